//! Canonical comparison keys: the one place that decides when two texts "say
//! the same thing".
//!
//! Publishers re-typeset pages all the time (straight quotes become curly,
//! hyphens become en dashes, a non-breaking space appears), and a reader of a
//! redline does not want those reported as edits. Every comparison in the
//! engine therefore goes through [`canonical_key`]; the key is never stored or
//! shown, only compared. Case is kept on purpose: a capitalisation change is
//! an edit. (Block alignment pairs the key with the block kind, see
//! `blocks`, so a heading and a paragraph with the same words never compare
//! equal.)

use std::borrow::Cow;

use crate::document::{ASCII_CHUNK, ascii_chunk, chunk_spaces, is_collapsed_ascii};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// Canonical comparison key of a text.
///
/// Unicode NFKC; typographic quotes folded to ASCII (`‘ ’ ‚ ‛ ′` to `'`,
/// `“ ” „ ‟ ″ « »` to `"`); dashes (`‐ ‑ ‒ – — ―`) folded to `-`; soft
/// hyphens and zero-width characters removed; every Unicode space treated as
/// a space; whitespace collapsed to single spaces and trimmed. Case is kept.
pub fn canonical_key(text: &str) -> String {
    canonical_key_cow(text).into_owned()
}

/// [`canonical_key`] without a copy when the text is already canonical.
///
/// Most blocks are: printable ASCII with single spaces and no space at
/// either end. That is checked in one branch-free pass the compiler
/// vectorizes, and such a text is its own key, borrowed. The engine keys
/// every block of both documents, so on large documents this saves copying
/// (and allocating) both documents once more.
pub fn canonical_key_cow(text: &str) -> Cow<'_, str> {
    if is_collapsed_ascii(text.as_bytes()) {
        return Cow::Borrowed(text);
    }
    canonical_key_slow(text)
}

fn canonical_key_slow(text: &str) -> Cow<'_, str> {
    // Fold first: NFKC would turn `″` into two primes before we could map it.
    let folded = fold_and_collapse(text);
    if folded.is_ascii() || nfkc_quick(&folded) == IsNormalized::Yes {
        folded
    } else {
        // NFKC can produce new foldable characters (full-width quotes, ...).
        Cow::Owned(fold_and_collapse(&nfkc(&folded)).into_owned())
    }
}

/// `is_nfkc_quick` of `text`, run only over its stretches of characters
/// beyond ASCII. The check forgets everything at an ASCII character (it is
/// always allowed and starts afresh), so each stretch is checked as if on
/// its own, and the mostly-ASCII text of a page with a few accented words
/// is not decoded character by character.
fn nfkc_quick(text: &str) -> IsNormalized {
    let mut result = IsNormalized::Yes;
    for stretch in beyond_ascii(text).map(|r| &text[r]) {
        if stretch.chars().all(is_stable_letter) {
            continue;
        }
        match is_nfkc_quick(stretch.chars()) {
            IsNormalized::No => return IsNormalized::No,
            IsNormalized::Maybe => result = IsNormalized::Maybe,
            IsNormalized::Yes => {}
        }
    }
    result
}

/// The stretches of `text` beyond ASCII, in order: each a run of bytes of
/// 0x80 and up (so whole characters) between ASCII characters or the ends.
fn beyond_ascii(text: &str) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let bytes = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        let start = i + bytes[i..].iter().position(|&b| b >= 0x80)?;
        let end = bytes[start..]
            .iter()
            .position(|&b| b < 0x80)
            .map_or(bytes.len(), |k| start + k);
        i = end;
        Some(start..end)
    })
}

/// Letters of Latin-1 and Latin Extended-A that NFKC keeps as they are and
/// that combine with nothing before them (combining class 0): the accented
/// letters of most European languages, which the quick check would look up
/// one by one in its tables. (A test checks every one against the tables.)
fn is_stable_letter(c: char) -> bool {
    match c {
        '\u{C0}'..='\u{FF}' => true,
        '\u{100}'..='\u{17F}' => !matches!(
            c,
            '\u{132}' | '\u{133}' | '\u{13F}' | '\u{140}' | '\u{149}' | '\u{17F}'
        ),
        _ => false,
    }
}

/// NFKC of `text`, normalizing only its stretches of characters beyond
/// ASCII, each with the ASCII character before it (which a combining mark
/// may compose with). Normalization may be done piecewise at any boundary
/// before a character of combining class 0 that is NFKC-stable and composes
/// with nothing before it (Unicode's UAX #15), which every ASCII character
/// is; so the text between stretches is copied as it is.
fn nfkc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for stretch in beyond_ascii(text) {
        let from = stretch.start.saturating_sub(1).max(copied);
        out.push_str(&text[copied..from]);
        out.extend(text[from..stretch.end].nfkc());
        copied = stretch.end;
    }
    out.push_str(&text[copied..]);
    out
}

/// Maps one character to its canonical form; `None` drops it.
fn fold(ch: char) -> Option<char> {
    match ch {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' => Some('\''),
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{AB}' | '\u{BB}' => {
            Some('"')
        }
        '\u{2010}'..='\u{2015}' => Some('-'),
        '\u{AD}' | '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' => None,
        c if c.is_whitespace() => Some(' '),
        c => Some(c),
    }
}

/// Folds characters, collapses whitespace runs to one space and trims.
///
/// Runs of characters that need nothing are copied as slices, so the common
/// case (clean text with single spaces) is little more than a copy, and no
/// copy at all when nothing needs changing (text with accents or other
/// letters beyond ASCII, but nothing to fold): this runs on every block of
/// both documents.
fn fold_and_collapse(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    // True at the start and after a space, so leading and doubled spaces go.
    let mut after_space = true;
    let mut i = 0;
    while i < bytes.len() {
        // Fastest path: a whole chunk of ASCII letters, digits, punctuation
        // and single spaces, which need nothing.
        // (Unwanted: anything beyond ASCII, and tab to carriage return.)
        if let Some(chunk) = ascii_chunk(bytes, i)
            && let Some(spaces) = chunk_spaces(chunk, |b| (b >= 0x80) | (b.wrapping_sub(0x09) < 5))
            && spaces & (spaces >> 1) == 0
            && !(after_space && spaces & 1 == 1)
        {
            after_space = spaces >> (ASCII_CHUNK - 1) == 1;
            i += ASCII_CHUNK;
            continue;
        }
        // Else byte by byte, then characters, up to the next chunk.
        let stop = (i + ASCII_CHUNK).min(bytes.len());
        while i < stop {
            i = fold_one(text, i, &mut out, &mut start, &mut after_space);
        }
    }
    if start == 0 {
        // Nothing was folded or dropped: at most a space at the end to trim
        // (a space at the start or after a space would have been dropped).
        return Cow::Borrowed(text.strip_suffix(' ').unwrap_or(text));
    }
    out.push_str(&text[start..]);
    if out.ends_with(' ') {
        out.pop();
    }
    Cow::Owned(out)
}

/// One step of [`fold_and_collapse`] at byte `i` of `text` (a character
/// boundary): an ASCII byte that needs nothing, or one character folded,
/// dropped or collapsed into `out` (text before `start` is already there).
/// Returns where the next step starts.
fn fold_one(
    text: &str,
    mut i: usize,
    out: &mut String,
    start: &mut usize,
    after_space: &mut bool,
) -> usize {
    let b = text.as_bytes()[i];
    // ASCII fast path: most text is ASCII letters, digits, punctuation and
    // single spaces, which need nothing.
    if b < 0x80 {
        let plain = if b == b' ' {
            !*after_space
        } else {
            !b.is_ascii_whitespace() && b != 0x0B
        };
        if plain {
            *after_space = b == b' ';
            return i + 1;
        }
    }
    let ch = text[i..].chars().next().unwrap_or(' ');
    let len = ch.len_utf8();
    let folded = fold(ch);
    if b >= 0x80 && folded == Some(ch) {
        // (`fold` maps every whitespace character to a space.)
        *after_space = false;
        return i + len;
    }
    if out.capacity() == 0 {
        out.reserve(text.len());
    }
    out.push_str(&text[*start..i]);
    i += len;
    if folded.is_none() {
        // Dropped characters come in runs (zero-width watermarks hide
        // thousands in a page): skip the run at once.
        while let Some(next) = text[i..].chars().next()
            && fold(next).is_none()
        {
            i += next.len_utf8();
        }
    }
    *start = i;
    match folded {
        Some(' ') if !*after_space => {
            out.push(' ');
            *after_space = true;
        }
        Some(' ') | None => {}
        Some(folded) => {
            out.push(folded);
            *after_space = false;
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_quotes_dashes_and_spaces() {
        assert_eq!(
            canonical_key("\u{201C}Safe\u{a0}yield\u{201D} \u{2014} it\u{2019}s  here\u{2033}"),
            "\"Safe yield\" - it's here\""
        );
        assert_eq!(
            canonical_key("\u{ab}oui\u{bb} \u{2018}a\u{201a}"),
            "\"oui\" 'a'"
        );
    }

    #[test]
    fn drops_invisible_characters_and_trims() {
        assert_eq!(
            canonical_key("  co\u{ad}operation\u{200b} is\u{2060}\u{feff} key \n"),
            "cooperation is key"
        );
    }

    #[test]
    fn applies_nfkc_but_keeps_case() {
        assert_eq!(canonical_key("\u{FB01}nal \u{FF21}\u{FF22}"), "final AB");
        assert_eq!(canonical_key("e\u{301}t\u{e9}"), "\u{e9}t\u{e9}");
        assert_ne!(canonical_key("Policy"), canonical_key("policy"));
    }

    #[test]
    fn canonical_ascii_text_is_borrowed_and_equal_to_the_full_key() {
        for text in [
            "plain text, kept as is.",
            "a",
            "",
            "two  spaces",
            " lead",
            "trail ",
            "tab\there",
            "del\x7f",
            "caf\u{e9}",
        ] {
            let cow = canonical_key_cow(text);
            assert_eq!(cow, canonical_key_slow(text), "{text:?}");
            // Borrowed (as a whole or but for a space at its end) whenever
            // the key is the text itself.
            let borrowed = matches!(cow, Cow::Borrowed(_));
            assert_eq!(
                borrowed,
                text.trim_end_matches(' ') == cow || cow == text,
                "{text:?}"
            );
        }
        // Doubled spaces found across the 256-byte chunk boundary.
        let long = format!("{} {}", "a".repeat(255), " b");
        assert_eq!(canonical_key_cow(&long), canonical_key_slow(&long));
        assert!(matches!(canonical_key_cow(&long), Cow::Owned(_)));
    }

    #[test]
    fn stable_letters_are_what_the_normalization_tables_say() {
        let mut count = 0;
        for c in ('\u{80}'..='\u{24F}').filter(|&c| is_stable_letter(c)) {
            assert_eq!(
                is_nfkc_quick(std::iter::once(c)),
                IsNormalized::Yes,
                "{c:?} is not NFKC-stable"
            );
            assert_eq!(
                unicode_normalization::char::canonical_combining_class(c),
                0,
                "{c:?} combines"
            );
            count += 1;
        }
        assert_eq!(count, 64 + 128 - 6);
    }

    /// The key by its definition: fold, collapse, NFKC, fold and collapse
    /// again (a no-op unless NFKC changed something).
    fn key_by_definition(text: &str) -> String {
        let fold_collapse = |t: &str| {
            let folded: String = t.chars().filter_map(fold).collect();
            folded
                .split(' ')
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        };
        fold_collapse(&fold_collapse(text).nfkc().collect::<String>())
    }

    proptest::proptest! {
        /// The fast paths (borrowing the text, copying runs of it, skipping
        /// chunks of plain ASCII) give the key the definition gives: on
        /// short texts of characters that need work, and on longer ones,
        /// mostly ASCII, with a few such characters among chunks of plain
        /// text (combining marks out of order too, which NFKC reorders).
        #[test]
        fn keys_follow_their_definition(
            t in proptest::prop_oneof![
                "[ a.\t\n\u{b}\u{a0}\u{2003}\u{2019}\u{201c}\u{2014}\u{ad}\u{200b}\u{fb01}\u{ff21}\u{301}\u{e9}]{0,30}",
                "([a-z]{0,20}[ ,.\x01\x7f]?){0,6}[ \t\n\u{b}\u{a0}\u{2019}\u{2014}\u{ad}\u{200b}\u{fb01}\u{301}\u{323}\u{e9}ăț]{0,3}([a-z]{0,20} ?){0,6}",
            ]
        ) {
            let key = canonical_key_cow(&t);
            let expected = key_by_definition(&t);
            proptest::prop_assert_eq!(key.as_ref(), expected.as_str());
        }


        /// NFKC stretch by stretch is NFKC of the whole text: combining
        /// marks after an ASCII letter (composed with it, reordered among
        /// themselves), compatibility characters, Hangul jamo.
        #[test]
        fn nfkc_by_stretches_is_nfkc(
            t in "[a-e \u{301}\u{323}\u{308}\u{fb01}\u{2026}\u{ff21}\u{e9}\u{1100}\u{1161}\u{11a8}\u{ac00}\u{212b}]{0,40}"
        ) {
            proptest::prop_assert_eq!(nfkc(&t), t.nfkc().collect::<String>());
        }

        /// Checking NFKC stretch by stretch, skipping stretches of stable
        /// letters, answers as the whole text: stretches of marks and
        /// compatibility characters, and of stable letters with such
        /// characters among them or not.
        #[test]
        fn nfkc_quick_by_stretches_is_the_whole_check(
            t in proptest::prop_oneof![
                "([a-z ]{0,20}[\u{301}\u{323}\u{e9}\u{fb01}\u{ff21}ățe\u{0}]{0,3}){0,8}",
                "([a-z ]{0,10}[éățçżł\u{c0}\u{ff}\u{17f}\u{133}\u{301}\u{323}\u{2026}]{0,4}){0,8}",
            ]
        ) {
            proptest::prop_assert_eq!(nfkc_quick(&t), is_nfkc_quick(t.chars()));
        }
    }

    #[test]
    fn collapses_every_kind_of_whitespace() {
        assert_eq!(canonical_key(" a\tb  c\n"), "a b c");
        assert_eq!(canonical_key("a\u{2003}b \u{a0} c\x0b"), "a b c");
        assert_eq!(canonical_key("a \u{ad} b"), "a b");
        assert_eq!(canonical_key("   "), "");
        assert_eq!(
            canonical_key("plain text, kept as is."),
            "plain text, kept as is."
        );
    }
}
