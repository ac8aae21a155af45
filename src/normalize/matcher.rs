//! How a profile's regular expressions are compiled and run: with
//! `regex-lite` whenever it is certain to give exactly the answers of
//! `regex`, with `regex` otherwise.
//!
//! Why it exists: a text capture is read with a dozen or two line patterns
//! (bylines, section ends, related-list dates), and `regex` spends most of
//! a small comparison compiling them: Unicode classes become UTF-8
//! automata, built forwards and backwards, and several engines are
//! prepared for haystacks of megabytes, where these run on lines of a
//! page. `regex-lite` compiles the same patterns in a fraction of the time
//! (the bundled captures' comparison: half its instructions were compiling
//! before; `scripts/count-instructions.sh`, BENCHMARKS.md) and matches a
//! line just as well. What it lacks is Unicode *syntax*: its `\d`, `\s`,
//! `\w` and `\b` are ASCII, and it has no `\p{..}` classes or Unicode case
//! folding. So a pattern is first parsed by `regex`'s own parser
//! (`regex-syntax`), which resolves every class, flag and case folding of
//! the pattern into explicit ranges of code points; that resolved form is
//! written out again and given to `regex-lite`, where it means the same.
//! The one thing that cannot be written out for `regex-lite` is a Unicode
//! word boundary (`\b` and its kin): patterns with one, and any that
//! `regex-lite` refuses, are compiled by `regex`. The tests below (on
//! patterns that tell ASCII and Unicode readings apart) and `profile`'s (on
//! every built-in pattern) hold the two to the same answers.

use std::ops::Range;

use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// A compiled pattern.
#[derive(Debug, Clone)]
pub enum LineRegex {
    /// The pattern as resolved by `regex-syntax`, compiled by `regex-lite`.
    Lite(regex_lite::Regex),
    /// The pattern compiled by `regex`.
    Full(regex::Regex),
}

/// The groups of one match.
pub enum Captures<'h> {
    Lite(regex_lite::Captures<'h>),
    Full(regex::Captures<'h>),
}

impl LineRegex {
    /// Compiles `source` with `regex`'s syntax and meaning; an invalid
    /// pattern is `regex`'s error.
    pub fn new(source: &str) -> Result<LineRegex, regex::Error> {
        match lite(source) {
            Some(re) => Ok(LineRegex::Lite(re)),
            None => regex::Regex::new(source).map(LineRegex::Full),
        }
    }

    /// Whether the pattern matches somewhere in `haystack`.
    pub fn is_match(&self, haystack: &str) -> bool {
        match self {
            LineRegex::Lite(re) => re.is_match(haystack),
            LineRegex::Full(re) => re.is_match(haystack),
        }
    }

    /// Where the leftmost-first match is.
    pub fn find(&self, haystack: &str) -> Option<Range<usize>> {
        match self {
            LineRegex::Lite(re) => re.find(haystack).map(|m| m.range()),
            LineRegex::Full(re) => re.find(haystack).map(|m| m.range()),
        }
    }

    /// The groups of the leftmost-first match.
    pub fn captures<'h>(&self, haystack: &'h str) -> Option<Captures<'h>> {
        match self {
            LineRegex::Lite(re) => re.captures(haystack).map(Captures::Lite),
            LineRegex::Full(re) => re.captures(haystack).map(Captures::Full),
        }
    }

    /// Whether `regex-lite` runs it.
    #[cfg(test)]
    fn is_lite(&self) -> bool {
        matches!(self, LineRegex::Lite(_))
    }
}

impl<'h> Captures<'h> {
    /// The text of the named group, if it took part in the match.
    pub fn name(&self, name: &str) -> Option<&'h str> {
        match self {
            Captures::Lite(c) => c.name(name).map(|m| m.as_str()),
            Captures::Full(c) => c.name(name).map(|m| m.as_str()),
        }
    }

    /// The text of group `i` (0: the whole match), if it took part.
    #[cfg(test)]
    fn get(&self, i: usize) -> Option<&'h str> {
        match self {
            Captures::Lite(c) => c.get(i).map(|m| m.as_str()),
            Captures::Full(c) => c.get(i).map(|m| m.as_str()),
        }
    }
}

/// `source` compiled by `regex-lite` with the meaning `regex` gives it, or
/// `None` when that cannot be done.
fn lite(source: &str) -> Option<regex_lite::Regex> {
    // The parser's defaults are `regex`'s: Unicode on, UTF-8 only, the same
    // nesting limit.
    let hir = regex_syntax::Parser::new().parse(source).ok()?;
    if !lite_can_say(&hir) {
        return None;
    }
    // Written out, the pattern has no flags and no Perl or Unicode classes
    // left: every class is explicit ranges, case folding is spelled out,
    // `^`/`$` are `\A`/`\z` (or `(?m:^)` and kin), and groups keep their
    // names and order.
    regex_lite::Regex::new(&hir.to_string()).ok()
}

/// Whether everything in `hir` can be written for `regex-lite` with the
/// same meaning: not a Unicode word boundary (`regex-lite`'s are ASCII),
/// not a class of bytes (written as `(?-u:..)`, which `regex-lite` reads as
/// code points), and no empty class (written as `[a&&b]`, which it refuses
/// anyway).
fn lite_can_say(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Empty | HirKind::Literal(_) => true,
        HirKind::Class(Class::Unicode(c)) => !c.ranges().is_empty(),
        HirKind::Class(Class::Bytes(_)) => false,
        HirKind::Look(look) => !matches!(
            look,
            Look::WordUnicode
                | Look::WordUnicodeNegate
                | Look::WordStartUnicode
                | Look::WordEndUnicode
                | Look::WordStartHalfUnicode
                | Look::WordEndHalfUnicode
        ),
        HirKind::Repetition(r) => lite_can_say(&r.sub),
        HirKind::Capture(c) => lite_can_say(&c.sub),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => subs.iter().all(lite_can_say),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Both compilations of `source`, the second by `regex` whatever it is.
    fn both(source: &str) -> (LineRegex, LineRegex) {
        let chosen = LineRegex::new(source).expect("valid pattern");
        let full = LineRegex::Full(regex::Regex::new(source).expect("valid pattern"));
        (chosen, full)
    }

    /// Every group's text, in order.
    fn groups(m: &LineRegex, haystack: &str, count: usize) -> Option<Vec<Option<String>>> {
        let caps = m.captures(haystack)?;
        Some(
            (0..count)
                .map(|i| caps.get(i).map(str::to_string))
                .collect(),
        )
    }

    /// The two answer alike on `haystack`: match, place and every group.
    pub(crate) fn assert_same(source: &str, haystack: &str) {
        assert_same_on(source, &[haystack]);
    }

    /// [`assert_same`] on each of `haystacks` (compiling once).
    pub(crate) fn assert_same_on(source: &str, haystacks: &[&str]) {
        let (chosen, full) = both(source);
        let count = match &full {
            LineRegex::Full(re) => re.captures_len(),
            LineRegex::Lite(_) => unreachable!(),
        };
        for haystack in haystacks {
            assert_eq!(
                chosen.is_match(haystack),
                full.is_match(haystack),
                "is_match of {source:?} on {haystack:?}"
            );
            assert_eq!(
                chosen.find(haystack),
                full.find(haystack),
                "find of {source:?} on {haystack:?}"
            );
            assert_eq!(
                groups(&chosen, haystack, count),
                groups(&full, haystack, count),
                "captures of {source:?} on {haystack:?}"
            );
        }
    }

    /// Haystacks that tell ASCII and Unicode readings apart: non-ASCII
    /// digits, spaces, letters and case pairs, next to ASCII ones.
    pub(crate) const TRICKY: &[&str] = &[
        "",
        "Topics",
        "Topics x",
        "Topicsé",
        "Topics\u{a0}Defense",
        "12/05/25",
        "١٢/٠٥/٢٥",
        "May 20, 2025",
        "May\u{2009}20,\u{a0}2025",
        "2025-05-20",
        "Policy Paper No. 12, May 20, 2025",
        "By Ann Lee, Bo Kim, Policy Paper, May 20, 2025",
        "The Title | INSS",
        "The Title\u{3000}|\u{3000}INSS",
        "Title — Site Name",
        "ǅemal ΣΑΣ σας ſ K k K",
        "STRASSE straße ß ẞ",
        "x\ny",
        "Related Publications",
    ];

    #[test]
    fn unicode_classes_keep_their_meaning_under_regex_lite() {
        for source in [
            r"^\d{2}/\d{2}/\d{2}$",
            r"\s+\|\s+INSS$",
            r"^\w+$",
            r"^\W",
            r"(?i)^straße$",
            r"(?i)ſ|k",
            r"(?i)^σας",
            r"^\p{L}+",
            r"^\p{Greek}",
            r"^[^,]{1,5}?,",
            r"(?m)^y$",
            r"(?s)x.y",
            r"x.y",
            r"^(?<a>[A-Z])(?P<b>\D)?",
        ] {
            assert!(LineRegex::new(source).unwrap().is_lite(), "{source}");
            assert_same_on(source, TRICKY);
        }
    }

    #[test]
    fn a_unicode_word_boundary_stays_with_regex() {
        for source in [r"^Topics\b", r"\bk\B", r"\b{start}x", r"(?-u:\b)x"] {
            let m = LineRegex::new(source).unwrap();
            if source.contains("-u") {
                // An ASCII boundary is regex-lite's own `\b`.
                assert!(m.is_lite(), "{source}");
            } else {
                assert!(!m.is_lite(), "{source}");
            }
            assert_same_on(source, TRICKY);
        }
        // The reason: regex-lite alone reads `\b` as an ASCII boundary.
        let lite = regex_lite::Regex::new(r"^Topics\b").unwrap();
        assert!(lite.is_match("Topicsé"));
        assert!(!LineRegex::new(r"^Topics\b").unwrap().is_match("Topicsé"));
    }

    #[test]
    fn invalid_patterns_are_regex_errors() {
        // (Through a variable: the pattern is invalid on purpose.)
        let bad = String::from(r"^(unclosed");
        let err = LineRegex::new(&bad).unwrap_err();
        assert_eq!(
            err.to_string(),
            regex::Regex::new(&bad).unwrap_err().to_string()
        );
        assert!(
            LineRegex::new(r"[a&&b]").is_ok(),
            "empty class: regex takes it"
        );
        assert_same(r"x[a&&b]|y", "xy");
    }
}
