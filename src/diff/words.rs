//! Word-level diff of two texts, cleaned up to read like an editor's redline.
//!
//! A raw token diff is correct but hard to read: it keeps one-letter words and
//! lone spaces as "unchanged" islands between two edits, and on a rewritten
//! sentence it produces confetti. This module tokenizes into words,
//! whitespace runs and punctuation, diffs the tokens with `similar` (always
//! under the caller's deadline), then cleans up for readers:
//!
//! - an inserted or deleted phrase is slid so that it starts at a word, not at
//!   the space before it (`a few [+new +]words`);
//! - an unchanged island between two changes is absorbed into them when it is
//!   trivial: whitespace or punctuation only, at most one visible character,
//!   or much shorter than the edits around it ([`ISLAND_FACTOR`]);
//! - adjacent runs are merged, deletions before insertions;
//! - when little is left unchanged ([`WHOLE_REPLACEMENT_BELOW`]), the result is
//!   shown as one replacement of the whole text.
//!
//! Invariant: concatenating the `equal` and `delete` runs gives the old text
//! exactly, `equal` and `insert` the new text exactly.

use similar::{Algorithm, DiffTag, capture_diff_slices_deadline};
use std::time::Instant;

use super::model::{WordOp, WordTag};

/// An unchanged island between two changes is absorbed when its visible
/// length times this factor is at most the size of the smaller neighbouring
/// change (so "[-A long clause-] was [+Another long phrase+]" reads as one
/// replacement, while "[-cat-] sat on the [-mat-]" keeps "sat on the").
pub(crate) const ISLAND_FACTOR: usize = 2;

/// When the unchanged visible characters are less than this share of the
/// longer text, the diff is shown as a whole replacement: a reader gets more
/// from reading the old and new versions than from picking through confetti.
pub(crate) const WHOLE_REPLACEMENT_BELOW: f64 = 0.35;

/// Splits a text into tokens: words (letters, digits and combining marks,
/// with inner apostrophes and hyphens, and inner `.`/`,`/`:` between
/// digits), whitespace runs, and single punctuation or symbol characters.
/// Ideographs are one token each. The tokens concatenate to the text.
pub(crate) fn tokenize(text: &str) -> Vec<&str> {
    if text.is_ascii() {
        return tokenize_ascii(text);
    }
    tokenize_chars(text)
}

/// [`tokenize`], character by character (any text).
fn tokenize_chars(text: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let len = chars.len();
    let end_of = |j: usize| if j < len { chars[j].0 } else { text.len() };
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < len {
        let (start, c) = chars[i];
        let mut j = i + 1;
        if c.is_whitespace() {
            while j < len && chars[j].1.is_whitespace() {
                j += 1;
            }
        } else if is_word_char(c) && !is_ideograph(c) {
            loop {
                while j < len
                    && (is_format(chars[j].1)
                        || is_word_char(chars[j].1) && !is_ideograph(chars[j].1))
                {
                    j += 1;
                }
                if j + 1 < len && joins(chars[j - 1].1, chars[j].1, chars[j + 1].1) {
                    j += 2;
                    continue;
                }
                break;
            }
        }
        // Invisible format characters belong to what precedes them (as in
        // Unicode word boundaries): a page that hides thousands of them in
        // its text (zero-width watermarks) must not make each one a token.
        while j < len && is_format(chars[j].1) {
            j += 1;
        }
        tokens.push(&text[start..end_of(j)]);
        i = j;
    }
    tokens
}

/// [`tokenize`] of an ASCII text, byte by byte: the same tokens (for ASCII,
/// word characters are the alphanumeric ones, whitespace is tab to carriage
/// return and space, and nothing is an ideograph).
fn tokenize_ascii(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let space = |b: u8| matches!(b, b'\t'..=b'\r' | b' ');
    let word = |b: u8| b.is_ascii_alphanumeric();
    let mut tokens = Vec::with_capacity(bytes.len() / 3);
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let b = bytes[i];
        i += 1;
        if space(b) {
            while i < bytes.len() && space(bytes[i]) {
                i += 1;
            }
        } else if word(b) {
            loop {
                while i < bytes.len() && word(bytes[i]) {
                    i += 1;
                }
                let joined = i + 1 < bytes.len()
                    && word(bytes[i + 1])
                    && match bytes[i] {
                        b'\'' | b'-' | b'_' => true,
                        b'.' | b',' | b':' => {
                            bytes[i - 1].is_ascii_digit() && bytes[i + 1].is_ascii_digit()
                        }
                        _ => false,
                    };
                if !joined {
                    break;
                }
                i += 2;
            }
        }
        tokens.push(&text[start..i]);
    }
    tokens
}

/// Invisible format characters: soft hyphen, zero-width space and joiners,
/// direction marks, word joiner and invisible operators, the byte order
/// mark, the Mongolian vowel separator.
fn is_format(c: char) -> bool {
    matches!(c, '\u{AD}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        // Most text: no table lookups (no ASCII character is a combining mark).
        return c.is_ascii_alphanumeric();
    }
    c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c)
}

fn is_ideograph(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF
        | 0x20000..=0x2FFFF)
}

/// Whether `mid` joins the word characters `before` and `after` into one word.
fn joins(before: char, mid: char, after: char) -> bool {
    if !is_word_char(after) || is_ideograph(after) {
        return false;
    }
    match mid {
        '\'' | '\u{2019}' | '-' | '\u{2010}' | '\u{2011}' | '_' => true,
        '.' | ',' | ':' => before.is_numeric() && after.is_numeric(),
        _ => false,
    }
}

/// Count of visible (non-whitespace) characters.
///
/// Counted on the UTF-8 bytes: characters are the bytes that start one,
/// less the whitespace characters, whose encodings are few and known. This
/// runs on whole paragraphs several times per edited block, and decoding
/// each character to look it up was a large part of diffing long texts.
fn visible(text: &str) -> usize {
    let bytes = text.as_bytes();
    if bytes.is_ascii() {
        // The same count, in a pass the compiler vectorizes.
        return bytes
            .iter()
            .filter(|b| !matches!(b, b'\t'..=b'\r' | b' '))
            .count();
    }
    // Every byte but a continuation byte (`10xxxxxx`) starts a character.
    let chars = bytes.iter().filter(|&&b| (b as i8) >= -0x40).count();
    chars - whitespace_chars(bytes)
}

/// How many characters of a UTF-8 text `char::is_whitespace` accepts (the
/// Unicode White_Space property): tab to carriage return, space, U+0085,
/// U+00A0, U+1680, U+2000 to U+200A, U+2028, U+2029, U+202F, U+205F and
/// U+3000.
fn whitespace_chars(bytes: &[u8]) -> usize {
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let mut n = 0;
    for (i, &b) in bytes.iter().enumerate() {
        n += usize::from(match b {
            b'\t'..=b'\r' | b' ' => true,
            0xC2 => matches!(at(i + 1), 0x85 | 0xA0),
            0xE1 => at(i + 1) == 0x9A && at(i + 2) == 0x80,
            0xE2 => matches!(
                (at(i + 1), at(i + 2)),
                (0x80, 0x80..=0x8A | 0xA8 | 0xA9 | 0xAF) | (0x81, 0x9F)
            ),
            0xE3 => at(i + 1) == 0x80 && at(i + 2) == 0x80,
            _ => false,
        });
    }
    n
}

/// A run of text and its count of [`visible`] characters, kept as the run
/// grows: the clean-up weighs runs against each other again and again as it
/// merges them, and counting them afresh each time made it quadratic on
/// long paragraphs.
#[derive(Debug, Clone, PartialEq, Default)]
struct Run {
    text: String,
    visible: usize,
}

impl Run {
    fn new(text: &str) -> Run {
        Run {
            text: text.to_string(),
            visible: visible(text),
        }
    }

    fn push(&mut self, other: &Run) {
        self.text.push_str(&other.text);
        self.visible += other.visible;
    }

    fn push_str(&mut self, text: &str) {
        self.text.push_str(text);
        self.visible += visible(text);
    }
}

/// A piece of the cleaned-up diff: unchanged text, or a change (either side
/// may be empty, not both).
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Equal(Run),
    Change { del: Run, ins: Run },
}

impl Seg {
    fn size(&self) -> usize {
        match self {
            Seg::Equal(t) => t.visible,
            Seg::Change { del, ins } => del.visible.max(ins.visible),
        }
    }
}

/// Appends text to the segment list, merging with a segment of the same kind.
fn push(segs: &mut Vec<Seg>, tag: WordTag, text: &str) {
    if text.is_empty() {
        return;
    }
    match (tag, segs.last_mut()) {
        (WordTag::Equal, Some(Seg::Equal(t))) => t.push_str(text),
        (WordTag::Equal, _) => segs.push(Seg::Equal(Run::new(text))),
        (WordTag::Delete, Some(Seg::Change { del, .. })) => del.push_str(text),
        (WordTag::Insert, Some(Seg::Change { ins, .. })) => ins.push_str(text),
        (WordTag::Delete, _) => segs.push(Seg::Change {
            del: Run::new(text),
            ins: Run::default(),
        }),
        (WordTag::Insert, _) => segs.push(Seg::Change {
            del: Run::default(),
            ins: Run::new(text),
        }),
    }
}

/// Word diff of `old` against `new`, cleaned up for readers. Empty when the
/// texts are identical.
pub(crate) fn word_diff(old: &str, new: &str, deadline: Option<Instant>) -> Vec<WordOp> {
    if old == new {
        return Vec::new();
    }
    let old_tokens = tokenize(old);
    let new_tokens = tokenize(new);
    let ops = capture_diff_slices_deadline(Algorithm::Myers, &old_tokens, &new_tokens, deadline);
    let mut segs = Vec::new();
    for op in ops {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        let old_text = old_tokens[old_range].concat();
        let new_text = new_tokens[new_range].concat();
        match tag {
            DiffTag::Equal => push(&mut segs, WordTag::Equal, &old_text),
            DiffTag::Delete => push(&mut segs, WordTag::Delete, &old_text),
            DiffTag::Insert => push(&mut segs, WordTag::Insert, &new_text),
            DiffTag::Replace => {
                push(&mut segs, WordTag::Delete, &old_text);
                push(&mut segs, WordTag::Insert, &new_text);
            }
        }
    }
    slide_to_word_starts(&mut segs);
    absorb_islands(&mut segs);
    // Sizes from the runs' counts: the equal and deleted runs are the old
    // text, the equal and inserted runs the new one.
    let (mut unchanged, mut deleted, mut inserted) = (0, 0, 0);
    for seg in &segs {
        match seg {
            Seg::Equal(run) => unchanged += run.visible,
            Seg::Change { del, ins } => {
                deleted += del.visible;
                inserted += ins.visible;
            }
        }
    }
    let (old_visible, new_visible) = (unchanged + deleted, unchanged + inserted);
    let longer = old_visible.max(new_visible);
    if longer > 0 && (unchanged as f64) < WHOLE_REPLACEMENT_BELOW * longer as f64 {
        segs = vec![Seg::Change {
            del: Run {
                text: old.to_string(),
                visible: old_visible,
            },
            ins: Run {
                text: new.to_string(),
                visible: new_visible,
            },
        }];
    }
    let mut out = Vec::new();
    for seg in segs {
        match seg {
            Seg::Equal(run) => out.push(WordOp {
                op: WordTag::Equal,
                text: run.text,
            }),
            Seg::Change { del, ins } => {
                if !del.text.is_empty() {
                    out.push(WordOp {
                        op: WordTag::Delete,
                        text: del.text,
                    });
                }
                if !ins.text.is_empty() {
                    out.push(WordOp {
                        op: WordTag::Insert,
                        text: ins.text,
                    });
                }
            }
        }
    }
    out
}

/// Moves a pure insertion or deletion that starts with whitespace one
/// whitespace run to the right when the following unchanged text starts with
/// the same run: `a few[+ new+] words` becomes `a few [+new +]words`.
fn slide_to_word_starts(segs: &mut [Seg]) {
    for i in 1..segs.len().saturating_sub(1) {
        let (before, rest) = segs.split_at_mut(i);
        let (change, after) = rest.split_at_mut(1);
        let (Seg::Equal(prev), Seg::Change { del, ins }, Seg::Equal(next)) =
            (&mut before[i - 1], &mut change[0], &mut after[0])
        else {
            continue;
        };
        // Whitespace moves between runs: their visible counts stay.
        let moving = match (del.text.is_empty(), ins.text.is_empty()) {
            (true, false) => &mut ins.text,
            (false, true) => &mut del.text,
            _ => continue,
        };
        let next = &mut next.text;
        let ws_len = moving
            .char_indices()
            .find(|(_, c)| !c.is_whitespace())
            .map_or(moving.len(), |(k, _)| k);
        if ws_len == 0 || ws_len == moving.len() {
            continue;
        }
        let ws = moving[..ws_len].to_string();
        // The unchanged text must start with exactly this whitespace run and
        // keep something after it.
        let next_ws = next
            .char_indices()
            .find(|(_, c)| !c.is_whitespace())
            .map_or(next.len(), |(k, _)| k);
        if next_ws != ws_len || next[..ws_len] != ws || next.len() == ws_len {
            continue;
        }
        prev.text.push_str(&ws);
        let rotated = format!("{}{}", &moving[ws_len..], ws);
        *moving = rotated;
        next.drain(..ws_len);
    }
}

/// Whether an unchanged island between two changes should be absorbed.
fn trivial_island(island: &Run, left: &Seg, right: &Seg) -> bool {
    let size = island.visible;
    size <= 1
        || !island.text.chars().any(is_word_char)
        || size * ISLAND_FACTOR <= left.size().min(right.size())
}

/// Absorbs trivial unchanged islands into the changes around them, until
/// none is left.
fn absorb_islands(segs: &mut Vec<Seg>) {
    loop {
        let mut changed = false;
        let mut out: Vec<Seg> = Vec::with_capacity(segs.len());
        for seg in segs.drain(..) {
            if matches!(seg, Seg::Change { .. })
                && out.len() >= 2
                && let (Some(Seg::Equal(island)), Some(left @ Seg::Change { .. })) =
                    (out.last(), out.get(out.len() - 2))
                && trivial_island(island, left, &seg)
            {
                let Some(Seg::Equal(island)) = out.pop() else {
                    unreachable!()
                };
                let Some(Seg::Change { mut del, mut ins }) = out.pop() else {
                    unreachable!()
                };
                let Seg::Change { del: d2, ins: i2 } = seg else {
                    unreachable!()
                };
                del.push(&island);
                del.push(&d2);
                ins.push(&island);
                ins.push(&i2);
                out.push(Seg::Change { del, ins });
                changed = true;
            } else {
                out.push(seg);
            }
        }
        *segs = out;
        if !changed {
            return;
        }
    }
}

/// The old text rebuilt from word ops (`equal` + `delete`).
#[cfg(test)]
pub(crate) fn old_side(ops: &[WordOp]) -> String {
    ops.iter()
        .filter(|o| o.op != WordTag::Insert)
        .map(|o| o.text.as_str())
        .collect()
}

/// The new text rebuilt from word ops (`equal` + `insert`).
#[cfg(test)]
pub(crate) fn new_side(ops: &[WordOp]) -> String {
    ops.iter()
        .filter(|o| o.op != WordTag::Delete)
        .map(|o| o.text.as_str())
        .collect()
}

/// Checks the reader-facing shape of word ops: sides rebuild the texts, no
/// two adjacent runs share a tag, deletions come before insertions, and no
/// unchanged island between two changes is trivial.
#[cfg(test)]
pub(crate) fn check_word_ops(old: &str, new: &str, ops: &[WordOp]) -> Result<(), String> {
    if old_side(ops) != old {
        return Err(format!("old side differs: {ops:?}"));
    }
    if new_side(ops) != new {
        return Err(format!("new side differs: {ops:?}"));
    }
    for w in ops.windows(2) {
        if w[0].op == w[1].op {
            return Err(format!("adjacent runs share a tag: {ops:?}"));
        }
        if w[0].op == WordTag::Insert && w[1].op == WordTag::Delete {
            return Err(format!("insert before delete: {ops:?}"));
        }
    }
    for (k, op) in ops.iter().enumerate() {
        if op.text.is_empty() {
            return Err(format!("empty run: {ops:?}"));
        }
        let between_changes = op.op == WordTag::Equal
            && k > 0
            && k + 1 < ops.len()
            && ops[k - 1].op != WordTag::Equal
            && ops[k + 1].op != WordTag::Equal;
        if between_changes && (visible(&op.text) <= 1 || !op.text.chars().any(is_word_char)) {
            return Err(format!("trivial island {:?}: {ops:?}", op.text));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_characters_stay_with_what_precedes_them() {
        let text = "\u{200b}te\u{200c}xt\u{200d}\u{200d} and\u{feff}, more\u{ad}";
        let tokens = tokenize(text);
        assert_eq!(
            tokens,
            [
                "\u{200b}",
                "te\u{200c}xt\u{200d}\u{200d}",
                " ",
                "and\u{feff}",
                ",",
                " ",
                "more\u{ad}"
            ]
        );
        assert_eq!(tokens.concat(), text);
    }

    proptest::proptest! {
        /// ASCII texts split the same byte by byte as character by character.
        #[test]
        fn ascii_tokens_are_the_general_ones(t in "[a-zA-Z0-9 \t\n\x0b\x0c\r\x1c.,:'_\\-!?]{0,80}") {
            proptest::prop_assert_eq!(tokenize_ascii(&t), tokenize_chars(&t));
        }

        /// The byte count of visible characters is the character one.
        #[test]
        fn visible_counts_are_those_of_char_is_whitespace(t in "[ -~\t\n\x0b\x0c\r\x1c-\x1f\x00]{0,80}") {
            proptest::prop_assert_eq!(visible(&t), t.chars().filter(|c| !c.is_whitespace()).count());
        }

        /// The same on any text, with every whitespace character and its
        /// neighbours in the encoding.
        #[test]
        fn visible_counts_are_those_of_char_is_whitespace_beyond_ascii(
            t in "[a-z \u{84}-\u{86}\u{9f}-\u{a1}\u{167f}-\u{1681}\u{1fff}-\u{2030}\u{205e}-\u{2060}\u{2fff}-\u{3001}\u{feff}\u{10000}\u{1F600}é]{0,80}"
        ) {
            proptest::prop_assert_eq!(visible(&t), t.chars().filter(|c| !c.is_whitespace()).count());
        }
    }

    fn wd(old: &str, new: &str) -> Vec<WordOp> {
        let ops = word_diff(old, new, None);
        check_word_ops(old, new, &ops).unwrap();
        ops
    }

    fn render(ops: &[WordOp]) -> String {
        ops.iter()
            .map(|o| match o.op {
                WordTag::Equal => o.text.clone(),
                WordTag::Delete => format!("[-{}-]", o.text),
                WordTag::Insert => format!("{{+{}+}}", o.text),
            })
            .collect()
    }

    #[test]
    fn tokens_keep_words_whole() {
        assert_eq!(
            tokenize("It's a well-known  fact: 3.5% of U.S. \u{201c}cases\u{201d}."),
            [
                "It's",
                " ",
                "a",
                " ",
                "well-known",
                "  ",
                "fact",
                ":",
                " ",
                "3.5",
                "%",
                " ",
                "of",
                " ",
                "U",
                ".",
                "S",
                ".",
                " ",
                "\u{201c}",
                "cases",
                "\u{201d}",
                "."
            ]
        );
        assert_eq!(tokenize("日本語 ok"), ["日", "本", "語", " ", "ok"]);
        assert_eq!(tokenize(""), Vec::<&str>::new());
    }

    #[test]
    fn inserted_phrase_starts_at_a_word() {
        let ops = wd(
            "The council approved a few changes to the plan.",
            "The council approved a few long overdue changes to the plan.",
        );
        assert_eq!(
            render(&ops),
            "The council approved a few {+long overdue +}changes to the plan."
        );
    }

    #[test]
    fn no_one_letter_islands() {
        let ops = wd("They bought a red car.", "They sold a blue car.");
        assert_eq!(render(&ops), "They [-bought a red-]{+sold a blue+} car.");
        let ops = wd("x y z", "p y q");
        // Both "y" and the spaces are trivial: the whole text is one change.
        assert_eq!(ops.len(), 2);
    }

    #[test]
    fn separate_edits_stay_separate() {
        let ops = wd(
            "The committee recommended that the government act quickly.",
            "The committee urged that the state act quickly.",
        );
        assert_eq!(
            render(&ops),
            "The committee [-recommended-]{+urged+} that the [-government-]{+state+} act quickly."
        );
    }

    #[test]
    fn rewritten_text_is_one_replacement() {
        let old = "Officials say the program failed because funding arrived late.";
        let new = "Late funding, officials now concede, doomed the effort from the start.";
        let ops = wd(old, new);
        assert_eq!(
            ops,
            [
                WordOp {
                    op: WordTag::Delete,
                    text: old.into()
                },
                WordOp {
                    op: WordTag::Insert,
                    text: new.into()
                }
            ]
        );
    }

    #[test]
    fn cosmetic_changes_show_as_small_runs() {
        let ops = wd(
            "He called it \"safe yield\" and left.",
            "He called it \u{201c}safe yield\u{201d} and  left.",
        );
        assert!(ops.iter().any(|o| o.op == WordTag::Insert));
        assert!(ops.iter().filter(|o| o.op == WordTag::Equal).count() >= 2);
    }

    #[test]
    fn identical_texts_give_no_ops() {
        assert!(word_diff("same", "same", None).is_empty());
        let ops = wd("", "new text");
        assert_eq!(render(&ops), "{+new text+}");
    }
}
