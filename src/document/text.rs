//! [`Text`]: the text of a block, owned or borrowed from the file it was
//! read from.
//!
//! A large document read from a file (a stored version, or a Markdown file
//! given to `redline diff`) has tens of thousands of blocks, and nearly all
//! of them are already in their final form in the file: one line, single
//! spaces. Copying each into its own `String` cost more than comparing
//! them: an allocation per block and a second copy of the whole file in
//! fresh memory (whose first touch is expensive). A `Text` is either an
//! owned string or a range of a shared, reference-counted buffer holding the
//! whole file (or of a file a one-shot command keeps until it exits);
//! cloning a shared one copies no text. Either way it reads as a
//! `&str`, compares, hashes and serializes as its text, so nothing
//! downstream can tell the two apart.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, Range};
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::is_collapsed_ascii;

/// The text of a block: a string, owned or shared with the file it came from.
#[derive(Clone)]
pub struct Text(Repr);

#[derive(Clone)]
enum Repr {
    Owned(String),
    /// `buf[start..end]`, always on character boundaries. `Plain` variants
    /// are known to be printable ASCII with single spaces and no space at
    /// their ends (checked once, when made). Offsets are 32 bits and
    /// plainness is told by the variant so that a text is 24 bytes, like a
    /// `String` (a diff holds tens of thousands of them).
    Shared {
        buf: Arc<String>,
        start: u32,
        end: u32,
    },
    SharedPlain {
        buf: Arc<String>,
        start: u32,
        end: u32,
    },
    /// A range of a text that lives as long as the process (a file a
    /// one-shot command read and keeps); `Plain` as for `Shared`.
    Kept(&'static str),
    KeptPlain(&'static str),
}

impl Text {
    /// A text that is `buf[range]`, sharing `buf`. `None` when the range is
    /// out of bounds, not on character boundaries or past 4 GB.
    pub fn shared(buf: &Arc<String>, range: Range<usize>) -> Option<Text> {
        let plain = is_collapsed_ascii(buf.get(range.clone())?.as_bytes());
        Text::shared_as(buf, range, plain)
    }

    /// [`Text::shared`] of a range the caller knows to be plain (printable
    /// ASCII, single spaces, no space at its ends), which is not checked
    /// again but in debug builds.
    pub(super) fn shared_plain(buf: &Arc<String>, range: Range<usize>) -> Option<Text> {
        debug_assert!(
            buf.get(range.clone())
                .is_none_or(|p| is_collapsed_ascii(p.as_bytes()))
        );
        Text::shared_as(buf, range, true)
    }

    fn shared_as(buf: &Arc<String>, range: Range<usize>, plain: bool) -> Option<Text> {
        buf.get(range.clone())?;
        let buf = Arc::clone(buf);
        let start = u32::try_from(range.start).ok()?;
        let end = u32::try_from(range.end).ok()?;
        Some(Text(match plain {
            true => Repr::SharedPlain { buf, start, end },
            false => Repr::Shared { buf, start, end },
        }))
    }

    /// A text that is `text[range]`, for text kept until the process ends.
    /// `None` when the range is out of bounds or not on character boundaries.
    pub fn kept(text: &'static str, range: Range<usize>) -> Option<Text> {
        let part = text.get(range)?;
        Some(Text(match is_collapsed_ascii(part.as_bytes()) {
            true => Repr::KeptPlain(part),
            false => Repr::Kept(part),
        }))
    }

    /// [`Text::kept`] of a range the caller knows to be plain, as for
    /// [`Text::shared_plain`].
    pub(super) fn kept_plain(text: &'static str, range: Range<usize>) -> Option<Text> {
        let part = text.get(range)?;
        debug_assert!(is_collapsed_ascii(part.as_bytes()), "{part:?}");
        Some(Text(Repr::KeptPlain(part)))
    }

    /// True when the text is known to be printable ASCII with single spaces
    /// and no space at either end, so already in its collapsed and canonical
    /// form: known for shared texts, which were checked when made. `false`
    /// means only "not known".
    pub fn known_plain(&self) -> bool {
        matches!(self.0, Repr::SharedPlain { .. } | Repr::KeptPlain(_))
    }

    /// The text as a string slice.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Owned(s) => s,
            // In bounds and on boundaries: checked when made.
            Repr::Shared { buf, start, end } | Repr::SharedPlain { buf, start, end } => {
                buf.get(*start as usize..*end as usize).unwrap_or_default()
            }
            Repr::Kept(text) | Repr::KeptPlain(text) => text,
        }
    }

    /// The part of this text in `range` (byte offsets into it); shares the
    /// buffer when this text does. `None` off character boundaries.
    pub fn slice(&self, range: Range<usize>) -> Option<Text> {
        self.as_str().get(range.clone())?;
        Some(match &self.0 {
            Repr::Owned(s) => Text(Repr::Owned(s[range].to_string())),
            Repr::Shared { buf, start, .. } | Repr::SharedPlain { buf, start, .. } => {
                let start = *start as usize;
                // Inside this text, so within 32 bits like its own offsets.
                Text::shared(buf, start + range.start..start + range.end)?
            }
            Repr::Kept(text) | Repr::KeptPlain(text) => Text::kept(text, range)?,
        })
    }

    /// The text as an owned `String` (a copy when shared).
    pub fn into_string(self) -> String {
        match self.0 {
            Repr::Owned(s) => s,
            _ => self.as_str().to_string(),
        }
    }

    /// True when the text is a range of a shared or kept buffer, not a copy
    /// of its own (for tests).
    pub fn is_shared(&self) -> bool {
        !matches!(self.0, Repr::Owned(_))
    }
}

impl Default for Text {
    fn default() -> Self {
        Text(Repr::Owned(String::new()))
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text(Repr::Owned(s))
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text(Repr::Owned(s.to_string()))
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Self {
        Text(Repr::Owned(s.clone()))
    }
}

impl From<Text> for String {
    fn from(t: Text) -> Self {
        t.into_string()
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Text) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Text {
    // As `str` hashes, so `Borrow<str>` lookups work.
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Text::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn shared_and_owned_texts_are_the_same_text() {
        let buf = Arc::new("alpha beta gamma".to_string());
        let shared = Text::shared(&buf, 6..10).expect("in bounds");
        let owned = Text::from("beta");
        assert!(shared.is_shared() && !owned.is_shared());
        assert!(shared.known_plain() && !owned.known_plain());
        assert!(
            !Text::shared(&buf, 5..10).is_some_and(|t| t.known_plain()),
            "space first"
        );
        assert_eq!(shared, owned);
        assert_eq!(shared.as_str(), "beta");
        assert_eq!(format!("{shared:?}"), format!("{:?}", "beta"));
        let mut map = HashMap::new();
        map.insert(shared.clone(), 1);
        assert_eq!(map.get("beta"), Some(&1));
        assert_eq!(map.get(&owned), Some(&1));
        assert_eq!(
            serde_json::to_string(&shared).ok(),
            serde_json::to_string(&owned).ok()
        );
        assert_eq!(shared.clone().into_string(), "beta");
    }

    #[test]
    fn ranges_off_bounds_or_boundaries_are_refused() {
        let buf = Arc::new("né".to_string());
        assert!(Text::shared(&buf, 0..2).is_none(), "inside é");
        assert!(Text::shared(&buf, 0..9).is_none(), "past the end");
        let whole = Text::shared(&buf, 0..3).expect("whole");
        assert!(whole.slice(0..2).is_none());
        let tail = whole.slice(1..3).expect("é");
        assert!(tail.is_shared());
        assert_eq!(tail, "é");
        assert_eq!(Text::from("xé").slice(1..3).as_deref(), Some("é"));
        let kept = Text::kept("a kept text", 2..6).expect("in bounds");
        assert!(kept.is_shared() && kept.known_plain());
        assert_eq!(kept, "kept");
        assert_eq!(kept.slice(1..3).as_deref(), Some("ep"));
        assert!(Text::kept("né", 0..2).is_none());
    }
}
