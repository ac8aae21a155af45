//! The `Document`: a publication reduced to what its editor controls.
//!
//! Every stage downstream of `normalize` sees only this value: the metadata
//! (title, series, publication date, authors, topics, canonical URL,
//! language), the body as an ordered list of [`Block`]s that each know their
//! section heading, and the page's "related publications" list. It is plain
//! data, serializable with serde and deterministic, so two captures of an
//! unchanged page give byte-identical documents. Its stored text form lives in
//! [`markdown`].

pub mod markdown;
mod text;

pub use text::Text;

use std::borrow::Cow;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Version of the `Document` JSON shape; bump it when a field changes meaning.
pub const DOCUMENT_SCHEMA: u32 = 1;

/// A publication as redline understands it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Version of this shape ([`DOCUMENT_SCHEMA`]).
    pub schema: u32,
    /// Title, date, authors and the other fields the page declares.
    #[serde(flatten)]
    pub meta: Meta,
    /// The body, in reading order.
    pub body: Vec<Block>,
    /// The page's "related publications" list, in page order.
    pub related: Vec<RelatedItem>,
}

impl Default for Document {
    fn default() -> Self {
        Document {
            schema: DOCUMENT_SCHEMA,
            meta: Meta::default(),
            body: Vec::new(),
            related: Vec::new(),
        }
    }
}

/// What a page says about the publication, as opposed to its text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub title: Option<String>,
    /// Series or kind, such as "Policy Paper".
    pub series: Option<String>,
    /// Publication date as the page states it (ISO `YYYY-MM-DD` in JSON).
    pub published: Option<NaiveDate>,
    pub authors: Vec<String>,
    pub topics: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// What a block is; decides how it is stored and rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    Heading,
    Paragraph,
    ListItem,
    Quote,
}

impl BlockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BlockKind::Heading => "heading",
            BlockKind::Paragraph => "paragraph",
            BlockKind::ListItem => "list_item",
            BlockKind::Quote => "quote",
        }
    }
}

/// One unit of the body: a heading, a paragraph, a list item or a quote.
///
/// `text` is what a reader sees, with whitespace collapsed to single spaces
/// and no line breaks. `section` is the text of the heading the block sits
/// under (a heading's section is itself); blocks before the first heading have
/// none.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Block {
    pub kind: BlockKind,
    pub text: Text,
    pub section: Option<Text>,
    /// Heading level, 1 to 6; only headings have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u8>,
}

impl Block {
    pub fn paragraph(text: impl Into<Text>) -> Block {
        Block {
            kind: BlockKind::Paragraph,
            text: text.into(),
            section: None,
            level: None,
        }
    }

    pub fn heading(text: impl Into<Text>, level: u8) -> Block {
        Block {
            kind: BlockKind::Heading,
            text: text.into(),
            section: None,
            level: Some(level.clamp(1, 6)),
        }
    }

    pub fn with_kind(kind: BlockKind, text: impl Into<Text>) -> Block {
        match kind {
            BlockKind::Heading => Block::heading(text, 2),
            _ => Block {
                kind,
                text: text.into(),
                section: None,
                level: None,
            },
        }
    }
}

/// One entry of a page's "related publications" list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RelatedItem {
    pub title: String,
    pub summary: Option<String>,
    pub date: Option<NaiveDate>,
    pub url: Option<String>,
    /// Image credit shown with the item ("REUTERS/Brian Snyder").
    pub credit: Option<String>,
}

/// Sets every block's `section` from the headings before it.
///
/// Normalizers and parsers build the body in order and call this once, so the
/// section of a block is always consistent with the headings around it.
pub fn assign_sections(body: &mut [Block]) {
    let mut current: Option<Text> = None;
    for block in body.iter_mut() {
        if block.kind == BlockKind::Heading {
            current = Some(block.text.clone());
        }
        block.section = current.clone();
    }
}

/// Collapses whitespace the way every stored block text has it, and drops
/// control characters (C0 and C1: an escape sequence's ESC, BEL, NUL) and
/// Unicode bidi overrides and isolates.
///
/// A run of whitespace that contains a breaking space (space, tab, line break)
/// becomes one space; a lone non-breaking space (U+00A0, U+2007, U+202F) is
/// kept, since publishers put it there on purpose ("10\u{a0}km"); the ends are
/// trimmed.
pub fn collapse_whitespace(text: &str) -> String {
    collapse_whitespace_cow(text).into_owned()
}

/// [`collapse_whitespace`], borrowing `text` when it is already collapsed
/// (as most text is, ASCII or not): no copy to make.
pub fn collapse_whitespace_cow(text: &str) -> Cow<'_, str> {
    if is_collapsed_ascii(text.as_bytes()) || is_collapsed(text) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(collapse_whitespace_slow(text))
}

/// True when `bytes` is printable ASCII with single spaces and no space at
/// either end: already collapsed, as nearly every stored block is. Every
/// block of a large document goes through here.
pub(crate) fn is_collapsed_ascii(bytes: &[u8]) -> bool {
    bytes.first() != Some(&b' ')
        && bytes.last() != Some(&b' ')
        && is_single_spaced_ascii(bytes, false)
}

/// True when `bytes` is printable ASCII (and line ends, when `lines`) with
/// no space after a space. The character check is one branch-free pass per
/// chunk, which the compiler vectorizes; doubled spaces are looked for with
/// memchr's vectorized substring search.
pub(crate) fn is_single_spaced_ascii(bytes: &[u8], lines: bool) -> bool {
    static DOUBLE_SPACE: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"  "));
    for chunk in bytes.chunks(256) {
        let mut bad = false;
        for &b in chunk {
            bad |= (b.wrapping_sub(0x20) > 0x5e) & !(lines & (b == b'\n'));
        }
        if bad {
            return false;
        }
    }
    DOUBLE_SPACE.find(bytes).is_none()
}

/// Bytes looked at at once by the fast paths over plain ASCII text (here
/// and in the diff's canonical keys).
pub(crate) const ASCII_CHUNK: usize = 16;

/// The [`ASCII_CHUNK`] bytes of `bytes` from `i`, if there are that many.
#[inline(always)]
pub(crate) fn ascii_chunk(bytes: &[u8], i: usize) -> Option<&[u8; ASCII_CHUNK]> {
    bytes.get(i..i + ASCII_CHUNK)?.try_into().ok()
}

/// Which bytes of `chunk` are spaces (bit `k` for byte `k`), or `None` when
/// any byte is `unwanted`. One branch-free pass the compiler turns into a
/// few vector instructions (give it an `unwanted` without `||`).
#[inline(always)]
pub(crate) fn chunk_spaces(
    chunk: &[u8; ASCII_CHUNK],
    unwanted: impl Fn(u8) -> bool,
) -> Option<u32> {
    let mut bad = false;
    let mut spaces = 0u32;
    for (k, &b) in chunk.iter().enumerate() {
        bad |= unwanted(b);
        spaces |= u32::from(b == b' ') << k;
    }
    (!bad).then_some(spaces)
}

/// What collapsing does with a character.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CharClass {
    /// Kept as it is.
    Text,
    /// Part of a whitespace run.
    Space,
    /// Removed: a control character or a bidi override.
    Dropped,
}

/// Escape sequences and other controls are never text a reader sees, and
/// must not reach a terminal; bidi overrides and isolates reorder what a
/// terminal shows (they can make text read as something it is not): both
/// are dropped.
fn class_of(ch: char) -> CharClass {
    if ch.is_whitespace() {
        CharClass::Space
    } else if matches!(ch, '\0'..='\x1f' | '\x7f'..='\u{9f}') || is_bidi_override(ch) {
        // Controls: exactly the characters `char::is_control` accepts (the
        // general category Cc), without its table lookup.
        CharClass::Dropped
    } else {
        CharClass::Text
    }
}

/// True when collapsing would leave `text` as it is (any text): nothing to
/// drop, no whitespace at either end, and every whitespace run one space or
/// one non-breaking space.
fn is_collapsed(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut after_space = true; // at the start, as after a space
    let mut i = 0;
    while i < bytes.len() {
        // A whole chunk of printable ASCII and single spaces at once (a
        // text with a few accented words is mostly such chunks).
        if let Some(chunk) = ascii_chunk(bytes, i)
            && let Some(spaces) = chunk_spaces(chunk, |b| !(0x20..=0x7e).contains(&b))
        {
            if spaces & (spaces >> 1) != 0 || (after_space && spaces & 1 == 1) {
                return false;
            }
            after_space = spaces >> (ASCII_CHUNK - 1) == 1;
            i += ASCII_CHUNK;
            continue;
        }
        // Else character by character, up to the next chunk.
        let stop = (i + ASCII_CHUNK).min(bytes.len());
        while i < stop {
            match collapsed_step(text, i, &mut after_space) {
                Some(next) => i = next,
                None => return false,
            }
        }
    }
    !after_space || text.is_empty()
}

/// One step of [`is_collapsed`] at byte `i` (a character boundary): where
/// the next character starts, or `None` when the text is not collapsed.
fn collapsed_step(text: &str, i: usize, after_space: &mut bool) -> Option<usize> {
    let b = *text.as_bytes().get(i)?;
    // Printable ASCII, most of any text: no decoding, no table lookups.
    if (0x21..=0x7e).contains(&b) {
        *after_space = false;
        return Some(i + 1);
    }
    let ch = char_at(text, i)?;
    match class_of(ch) {
        CharClass::Text => *after_space = false,
        CharClass::Space => {
            if *after_space || !(ch == ' ' || is_non_breaking(ch)) {
                return None;
            }
            *after_space = true;
        }
        CharClass::Dropped => return None,
    }
    Some(i + ch.len_utf8())
}

/// The character at byte offset `i` of `text` (a character boundary).
fn char_at(text: &str, i: usize) -> Option<char> {
    match *text.as_bytes().get(i)? {
        b @ 0..=0x7f => Some(char::from(b)),
        _ => text.get(i..)?.chars().next(),
    }
}

/// The collapsing itself: runs of kept characters are copied whole, and
/// ASCII (most of any text) is classified without decoding.
fn collapse_whitespace_slow(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // The whitespace run before the next kept character: its length in
    // characters and its first character.
    let mut run = 0usize;
    let mut run_first = ' ';
    // Start of the kept characters not yet copied.
    let mut span: Option<usize> = None;
    let mut i = 0;
    while let Some(&b) = text.as_bytes().get(i) {
        let (class, ch) = match b {
            // Printable ASCII: kept, one byte long like its stand-in.
            0x21..=0x7e => (CharClass::Text, ' '),
            _ => match char_at(text, i) {
                Some(ch) => (class_of(ch), ch),
                None => break,
            },
        };
        match class {
            CharClass::Text => {
                if span.is_none() {
                    if run > 0 && !out.is_empty() {
                        if run == 1 && is_non_breaking(run_first) {
                            out.push(run_first);
                        } else {
                            out.push(' ');
                        }
                    }
                    run = 0;
                    span = Some(i);
                }
                if b < 0x80 {
                    // The rest of a run of plain text: printable ASCII, and
                    // single spaces between it (kept as they are).
                    i += 1;
                    let bytes = text.as_bytes();
                    while let Some(&next) = bytes.get(i) {
                        let plain = (0x21..=0x7e).contains(&next)
                            || next == b' '
                                && bytes.get(i + 1).is_some_and(|b| (0x21..=0x7e).contains(b));
                        if !plain {
                            break;
                        }
                        i += 1;
                    }
                    continue;
                }
            }
            CharClass::Space | CharClass::Dropped => {
                if let Some(start) = span.take() {
                    out.push_str(&text[start..i]);
                }
                if class == CharClass::Space {
                    if run == 0 {
                        run_first = ch;
                    }
                    run += 1;
                }
            }
        }
        i += ch.len_utf8();
    }
    if let Some(start) = span {
        out.push_str(&text[start..]);
    }
    out
}

fn is_bidi_override(ch: char) -> bool {
    matches!(ch, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn is_non_breaking(ch: char) -> bool {
    matches!(ch, '\u{a0}' | '\u{2007}' | '\u{202f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collapsed_by_definition(t: &str) -> bool {
        t.bytes().all(|b| (0x20..=0x7e).contains(&b))
            && !t.starts_with(' ')
            && !t.ends_with(' ')
            && !t.contains("  ")
    }

    /// The rules of [`collapse_whitespace`] written as plainly as possible,
    /// to check the fast paths against.
    fn collapse_by_definition(text: &str) -> String {
        let mut out = String::new();
        let mut run = String::new();
        for ch in text.chars() {
            if ch.is_whitespace() {
                run.push(ch);
                continue;
            }
            if ch.is_control() || is_bidi_override(ch) {
                continue;
            }
            if !run.is_empty() {
                if !out.is_empty() {
                    let mut chars = run.chars();
                    match (chars.next(), chars.next()) {
                        (Some(only), None) if is_non_breaking(only) => out.push(only),
                        _ => out.push(' '),
                    }
                }
                run.clear();
            }
            out.push(ch);
        }
        out
    }

    proptest::proptest! {
        /// Collapsing copies runs of kept text whole and classifies ASCII
        /// without decoding; it gives what the rules say, and a text is
        /// borrowed exactly when collapsing leaves it as it is.
        #[test]
        fn collapsing_follows_its_rules(
            t in "[ a.\t\n\r\u{7}\u{1b}\u{7f}\u{85}\u{9c}\u{a0}\u{2007}\u{202f}\u{2003}\u{3000}\u{202e}\u{2067}é中]{0,40}"
        ) {
            let expected = collapse_by_definition(&t);
            proptest::prop_assert_eq!(collapse_whitespace_slow(&t), expected.clone());
            proptest::prop_assert_eq!(is_collapsed(&t), expected == t);
            let cow = collapse_whitespace_cow(&t);
            proptest::prop_assert_eq!(matches!(cow, Cow::Borrowed(_)), expected == t);
            proptest::prop_assert_eq!(cow.as_ref(), expected.as_str());
        }

        /// The same on longer texts, mostly ASCII words and single spaces,
        /// so that whole chunks of them are checked at once.
        #[test]
        fn collapsing_mostly_ascii_text_follows_its_rules(
            t in "( ?[a-z.,]{0,12}){0,10}[ \t\u{a0}\u{7f}é\u{202e}]{0,2}( ?[a-z]{0,12}){0,10} ?"
        ) {
            let expected = collapse_by_definition(&t);
            proptest::prop_assert_eq!(is_collapsed(&t), expected == t);
            let cow = collapse_whitespace_cow(&t);
            proptest::prop_assert_eq!(matches!(cow, Cow::Borrowed(_)), expected == t);
            proptest::prop_assert_eq!(cow.as_ref(), expected.as_str());
        }

        /// The fast check is its definition, and such a text is what
        /// collapsing it gives (the general path agrees with the fast one).
        #[test]
        fn fast_collapse_check_matches_its_definition(t in "[ a.\t\n\u{7}\u{7f}\u{a0}é]{0,700}") {
            proptest::prop_assert_eq!(is_collapsed_ascii(t.as_bytes()), collapsed_by_definition(&t));
            if collapsed_by_definition(&t) {
                proptest::prop_assert_eq!(collapse_whitespace_slow(&t), t.clone());
            }
        }
    }

    #[test]
    fn whole_bodies_may_have_line_ends_but_no_doubled_space() {
        assert!(is_single_spaced_ascii(b"One line.\nAnother line.\n", true));
        assert!(!is_single_spaced_ascii(
            b"One line.\nAnother line.\n",
            false
        ));
        assert!(!is_single_spaced_ascii(
            b"One line.\nAnother  line.\n",
            true
        ));
        assert!(!is_single_spaced_ascii(b"One line.\r\nTab\there.", true));
        let long = format!("{}\n  {}", "x".repeat(254), "y");
        assert!(!is_single_spaced_ascii(long.as_bytes(), true));
    }

    #[test]
    fn doubled_spaces_across_chunks_are_found() {
        for at in [0, 1, 254, 255, 256, 257, 511, 600] {
            let mut t = "x".repeat(700);
            t.replace_range(at + 1..at + 3, "  ");
            assert!(!is_collapsed_ascii(t.as_bytes()), "{at}");
            t.replace_range(at + 1..at + 3, " x");
            assert!(is_collapsed_ascii(t.as_bytes()), "{at}");
        }
    }

    #[test]
    fn collapsed_ascii_fast_path_agrees_with_the_full_rules() {
        let long_doubled = format!("{} {}", "x".repeat(255), " y");
        for text in [
            "plain words, one space.",
            "",
            "a",
            " lead",
            "trail ",
            "two  spaces",
            "tab\tand\nnewline",
            "esc\x1b[31m",
            "del\x7f",
            "caf\u{e9} 10\u{a0}km",
            long_doubled.as_str(),
        ] {
            assert_eq!(
                collapse_whitespace(text),
                collapse_whitespace_slow(text),
                "{text:?}"
            );
        }
    }

    #[test]
    fn sections_follow_headings() {
        let mut body = vec![
            Block::paragraph("lead"),
            Block::heading("One", 2),
            Block::paragraph("a"),
            Block::heading("Two", 2),
            Block::paragraph("b"),
        ];
        assign_sections(&mut body);
        let sections: Vec<_> = body.iter().map(|b| b.section.as_deref()).collect();
        assert_eq!(
            sections,
            [None, Some("One"), Some("One"), Some("Two"), Some("Two")]
        );
    }

    #[test]
    fn json_has_flat_meta_fields_and_iso_date() {
        let doc = Document {
            meta: Meta {
                title: Some("T".into()),
                published: NaiveDate::from_ymd_opt(2023, 9, 27),
                ..Meta::default()
            },
            ..Document::default()
        };
        let json = serde_json::to_value(&doc).unwrap();
        assert_eq!(json["title"], "T");
        assert_eq!(json["published"], "2023-09-27");
        assert_eq!(json["schema"], DOCUMENT_SCHEMA);
        let back: Document = serde_json::from_value(json).unwrap();
        assert_eq!(back, doc);
    }

    #[test]
    fn whitespace_collapses_including_nbsp() {
        assert_eq!(collapse_whitespace("  a\u{a0}\u{a0}b \n c \u{a0}"), "a b c");
        assert_eq!(collapse_whitespace("10\u{a0}km"), "10\u{a0}km");
        assert_eq!(collapse_whitespace("a\u{1b}[2Jb\u{7}\u{9b}c\0"), "a[2Jbc");
        assert_eq!(collapse_whitespace("x\u{202e}y\u{2066}z"), "xyz");
    }
}
