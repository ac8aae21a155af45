//! Text captures: a page already rendered to text, reduced to its publication.
//!
//! A browser's "select all, copy" or a crawler's text dump keeps everything
//! the page showed: menus, audio-player controls, lower-cased transcript
//! copies, event boxes, footers. This module finds the publication in it with
//! generic rules over lines and blank-line-separated chunks, guided by the
//! site profile's patterns:
//!
//! 1. the title is the first line, less its site suffix; the body starts after
//!    the headline that repeats it (and after the byline, which gives series,
//!    date and authors);
//! 2. the body ends at the profile's end patterns;
//! 3. inside the body, each line is classified: lower-cased copies of the page
//!    text (audio transcripts), lines without words (`0:00`, `1x`), code-like
//!    debris (`bool(false)`), short bulleted menu entries and the short
//!    control labels of widgets are dropped; prose lines are paragraphs, short
//!    title-like lines followed by prose are headings, prose bullets are list
//!    items, and hard-wrapped lines of one paragraph are joined;
//! 4. topics and the related list come from the page tail, by the profile's
//!    patterns.
//!
//! The thresholds are named constants below; what is specific to a site lives
//! in its profile, never here.

use std::borrow::Cow;
use std::collections::HashSet;

use rustc_hash::{FxHashMap, FxHashSet};

use super::dates::parse_date;
use super::html::meta::strip_title_suffix;
use super::profile::{Pattern, Profile, TextRules};
use crate::document::{
    Block, BlockKind, Document, Meta, RelatedItem, assign_sections, collapse_whitespace,
};

/// A line with at least this many words is prose even without final
/// punctuation.
const PROSE_MIN_WORDS_UNPUNCTUATED: usize = 12;
/// A line ending like a sentence is prose from this many words on.
const PROSE_MIN_WORDS: usize = 4;
/// Headings are at most this many words.
const HEADING_MAX_WORDS: usize = 12;
/// A lower-cased line needs this many words before it can be judged a copy.
const COPY_MIN_WORDS: usize = 8;
/// Share of a lower-cased line's word triples found elsewhere on the page
/// (in lines with capitals) above which it is a copy, not content.
const COPY_MIN_OVERLAP: f64 = 0.5;
/// Lines with fewer letters than this are controls or counters (`0:00`, `1x`).
const MIN_LETTERS: usize = 3;
/// Every line but the last of a hard-wrapped paragraph has at least this many
/// words.
const WRAPPED_MIN_WORDS: usize = 5;
/// Bullet markers that start list items and menu entries.
const BULLETS: &[char] = &['•', '·', '▪', '◦', '‣', '-', '*', '–'];

/// Normalizes a text capture with a (merged) profile.
pub fn normalize_text(text: &str, profile: &Profile) -> Document {
    let rules = &profile.text;
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let first = lines.iter().position(|l| !l.is_empty());
    let Some(first) = first else {
        return Document::default();
    };

    let title = strip_title_suffix(
        &collapse_whitespace(lines[first]),
        None,
        rules.title_suffix.as_deref(),
    );
    let headline = (first + 1..lines.len())
        .find(|&i| collapse_whitespace(lines[i]) == title)
        .unwrap_or(first);

    let mut meta = Meta {
        title: (!title.is_empty()).then(|| title.clone()),
        ..Meta::default()
    };
    let mut start = headline + 1;
    if let Some(i) = (start..lines.len()).find(|&i| !lines[i].is_empty())
        && let Some(byline) = read_byline(lines[i], rules)
    {
        meta.series = byline.series;
        meta.published = byline.date;
        meta.authors = byline.authors;
        start = i + 1;
    }

    let related_start = rules
        .related_start
        .as_ref()
        .and_then(|re| (start..lines.len()).find(|&i| re.is_match(lines[i])));
    let end = (start..lines.len())
        .find(|&i| matches_any(&rules.body_end, lines[i]))
        .or(related_start)
        .unwrap_or(lines.len());

    let copies = CopyDetector::new(&lines);
    let mut body = classify_body(&lines[start..end], rules, &copies);
    assign_sections(&mut body);

    meta.topics = read_topics(&lines[end..], rules);
    let related = related_start
        .map(|i| read_related(&lines[i + 1..], rules))
        .unwrap_or_default();

    Document {
        meta,
        body,
        related,
        ..Document::default()
    }
}

fn matches_any(patterns: &[Pattern], line: &str) -> bool {
    patterns.iter().any(|re| re.is_match(line))
}

struct Byline {
    series: Option<String>,
    date: Option<chrono::NaiveDate>,
    authors: Vec<String>,
}

fn read_byline(line: &str, rules: &TextRules) -> Option<Byline> {
    let caps = rules.byline.as_ref()?.captures(line)?;
    let group = |name: &str| caps.name(name).map(collapse_whitespace);
    let date = group("date").and_then(|d| parse_date(&d, &rules.date_formats));
    let authors = group("authors")
        .map(|a| {
            a.split([',', '&'])
                .flat_map(|part| part.split(" and "))
                .map(collapse_whitespace)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    Some(Byline {
        series: group("series").filter(|s| !s.is_empty()),
        date,
        authors,
    })
}

/// Recognises lower-cased copies of the page's own text (audio transcripts,
/// "open text" panes): their word triples mostly occur in the page's
/// ordinary, capitalised lines.
///
/// Words are numbered and triples kept as three numbers: every line of a
/// capture passes through here, and a set of joined strings (an allocation
/// and a hash of the whole text per triple) was most of a text capture's
/// normalization time.
struct CopyDetector<'t> {
    /// Number of each lower-cased word of the capitalised lines.
    ids: FxHashMap<Cow<'t, str>, u32>,
    triples: FxHashSet<[u32; 3]>,
}

impl<'t> CopyDetector<'t> {
    fn new(lines: &[&'t str]) -> CopyDetector<'t> {
        let mut ids: FxHashMap<Cow<'t, str>, u32> = FxHashMap::default();
        let mut triples = FxHashSet::default();
        let mut line_ids = Vec::new();
        for line in lines.iter().filter(|l| l.chars().any(char::is_uppercase)) {
            line_ids.clear();
            for word in lower_words(line) {
                let next = ids.len() as u32;
                line_ids.push(*ids.entry(word).or_insert(next));
            }
            for w in line_ids.windows(3) {
                triples.insert([w[0], w[1], w[2]]);
            }
        }
        CopyDetector { ids, triples }
    }

    fn is_copy(&self, line: &str) -> bool {
        if line.chars().any(char::is_uppercase) {
            return false;
        }
        // A word never seen in a capitalised line is in no known triple.
        let words: Vec<Option<u32>> = lower_words(line)
            .map(|w| self.ids.get(w.as_ref()).copied())
            .collect();
        if words.len() < COPY_MIN_WORDS {
            return false;
        }
        let total = words.len() - 2;
        let found = words
            .windows(3)
            .filter(|w| match (w[0], w[1], w[2]) {
                (Some(a), Some(b), Some(c)) => self.triples.contains(&[a, b, c]),
                _ => false,
            })
            .count();
        found as f64 / total as f64 >= COPY_MIN_OVERLAP
    }
}

/// The line's alphanumeric runs, lower-cased (borrowed when they are
/// already).
fn lower_words(line: &str) -> impl Iterator<Item = Cow<'_, str>> {
    line.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            {
                Cow::Borrowed(w)
            } else {
                Cow::Owned(w.to_lowercase())
            }
        })
}

/// What one line of the body region is.
#[derive(Debug, Clone, PartialEq)]
enum Line {
    Prose(String),
    Short(String),
    Bullet(String),
    Junk,
}

fn classify_line(line: &str, rules: &TextRules, copies: &CopyDetector) -> Line {
    if matches_any(&rules.drop, line) || copies.is_copy(line) {
        return Line::Junk;
    }
    if line.chars().filter(|c| c.is_alphabetic()).count() < MIN_LETTERS || is_code_like(line) {
        return Line::Junk;
    }
    if let Some(rest) = line.strip_prefix(BULLETS)
        && rest.starts_with(char::is_whitespace)
    {
        let rest = collapse_whitespace(rest);
        return if is_prose(&rest) {
            Line::Bullet(rest)
        } else {
            Line::Junk
        };
    }
    let text = collapse_whitespace(line);
    if is_prose(&text) {
        Line::Prose(text)
    } else {
        Line::Short(text)
    }
}

/// `bool(false)`, `undefined`, `{{ title }}`: template and debug output.
fn is_code_like(line: &str) -> bool {
    let t = line.trim();
    let call = t.ends_with(')')
        && t.split_once('(').is_some_and(|(name, _)| {
            !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        })
        && !t.contains(' ');
    call || matches!(t, "undefined" | "null" | "NaN") || (t.starts_with("{{") && t.ends_with("}}"))
}

fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

fn is_prose(text: &str) -> bool {
    let words = word_count(text);
    let starts_lower = text.chars().next().is_some_and(char::is_lowercase);
    if words >= PROSE_MIN_WORDS_UNPUNCTUATED {
        return true;
    }
    let ends_sentence = text
        .trim_end_matches(['"', '\'', '”', '’', ')', '»'])
        .ends_with(['.', '!', '?', '…', ':']);
    !starts_lower && words >= PROSE_MIN_WORDS && ends_sentence
}

fn is_heading_like(text: &str) -> bool {
    let words = word_count(text);
    let first = text.chars().next();
    words <= HEADING_MAX_WORDS
        && first.is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
        && !text.ends_with(['.', ',', ';', ':', '!'])
}

fn classify_body(lines: &[&str], rules: &TextRules, copies: &CopyDetector) -> Vec<Block> {
    let mut blocks: Vec<Block> = Vec::new();
    for chunk in lines.split(|l| l.is_empty()).filter(|c| !c.is_empty()) {
        let classified: Vec<Line> = chunk
            .iter()
            .map(|l| classify_line(l, rules, copies))
            .collect();
        let kept: Vec<&Line> = classified.iter().filter(|l| **l != Line::Junk).collect();
        if kept.is_empty() {
            continue;
        }
        if kept.len() == chunk.len() && is_wrapped_paragraph(&kept) {
            let joined: Vec<&str> = kept.iter().map(|l| line_text(l)).collect();
            blocks.push(Block::paragraph(collapse_whitespace(&joined.join(" "))));
            continue;
        }
        if chunk.len() == 1 {
            match kept[0] {
                Line::Short(text) if is_heading_like(text) => {
                    blocks.push(Block::heading(text.clone(), 2))
                }
                Line::Short(_) | Line::Junk => {}
                Line::Prose(text) => blocks.push(Block::paragraph(text.clone())),
                Line::Bullet(text) => {
                    blocks.push(Block::with_kind(BlockKind::ListItem, text.clone()))
                }
            }
            continue;
        }
        // A chunk mixing widget labels and text: keep the text, drop labels.
        for line in kept {
            match line {
                Line::Prose(text) => blocks.push(Block::paragraph(text.clone())),
                Line::Bullet(text) => {
                    blocks.push(Block::with_kind(BlockKind::ListItem, text.clone()))
                }
                Line::Short(_) | Line::Junk => {}
            }
        }
    }
    drop_orphan_headings(blocks)
}

fn line_text(line: &Line) -> &str {
    match line {
        Line::Prose(t) | Line::Short(t) | Line::Bullet(t) => t,
        Line::Junk => "",
    }
}

/// Several lines that read as one paragraph broken at a fixed width.
fn is_wrapped_paragraph(lines: &[&Line]) -> bool {
    if lines.len() < 2 || lines.iter().any(|l| matches!(l, Line::Bullet(_))) {
        return false;
    }
    let (last, rest) = lines.split_last().expect("two or more lines");
    let joined: Vec<&str> = lines.iter().map(|l| line_text(l)).collect();
    rest.iter().all(|l| {
        let t = line_text(l);
        word_count(t) >= WRAPPED_MIN_WORDS && !t.ends_with(['.', '!', '?', ':'])
    }) && !line_text(last).is_empty()
        && is_prose(&joined.join(" "))
}

/// Drops headings with no text under them (labels such as "Events").
fn drop_orphan_headings(blocks: Vec<Block>) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::with_capacity(blocks.len());
    for block in blocks {
        if block.kind == BlockKind::Heading {
            while out.last().is_some_and(|b| b.kind == BlockKind::Heading) {
                out.pop();
            }
        }
        out.push(block);
    }
    while out.last().is_some_and(|b| b.kind == BlockKind::Heading) {
        out.pop();
    }
    out
}

fn read_topics(tail: &[&str], rules: &TextRules) -> Vec<String> {
    let Some(re) = &rules.topics else {
        return Vec::new();
    };
    let Some((i, caps)) = tail
        .iter()
        .enumerate()
        .find_map(|(i, l)| re.captures(l).map(|c| (i, c)))
    else {
        return Vec::new();
    };
    let mut topics = Vec::new();
    if let Some(first) = caps.name("topics") {
        topics.push(collapse_whitespace(first));
    }
    for line in &tail[i + 1..] {
        if line.is_empty() {
            break;
        }
        topics.push(collapse_whitespace(line));
    }
    topics.retain(|t| !t.is_empty());
    let mut seen = HashSet::new();
    topics.retain(|t| seen.insert(t.clone()));
    topics
}

fn read_related(lines: &[&str], rules: &TextRules) -> Vec<RelatedItem> {
    let Some(date_re) = &rules.related_date else {
        return Vec::new();
    };
    let mut items = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    for line in lines {
        if matches_any(&rules.related_end, line) {
            break;
        }
        if line.is_empty() || matches_any(&rules.related_skip, line) {
            continue;
        }
        if date_re.is_match(line) {
            let date = parse_date(line, &rules.related_date_formats);
            if let Some(item) = related_item(std::mem::take(&mut pending), date) {
                items.push(item);
            }
        } else {
            pending.push(collapse_whitespace(line));
        }
    }
    items
}

/// Lines of one related item before its date: `[credit] title [summary…]`.
fn related_item(lines: Vec<String>, date: Option<chrono::NaiveDate>) -> Option<RelatedItem> {
    let mut lines = lines.into_iter().filter(|l| !l.is_empty());
    let first = lines.next()?;
    let rest: Vec<String> = lines.collect();
    let (credit, title, summary) = match rest.len() {
        0 => (None, first, Vec::new()),
        1 if !is_prose(&rest[0]) || looks_like_credit(&first) && !is_prose(&rest[0]) => {
            (Some(first), rest[0].clone(), Vec::new())
        }
        1 => (None, first, rest),
        _ => {
            let mut rest = rest.into_iter();
            let title = rest.next().unwrap_or_default();
            (Some(first), title, rest.collect())
        }
    };
    let summary = collapse_whitespace(&summary.join(" "));
    Some(RelatedItem {
        title,
        summary: (!summary.is_empty()).then_some(summary),
        date,
        url: None,
        credit,
    })
}

fn looks_like_credit(line: &str) -> bool {
    word_count(line) <= 6 && !line.ends_with(['.', '?', '!'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::Profiles;

    fn generic() -> Profile {
        Profiles::builtin().generic().clone()
    }

    #[test]
    fn widget_chunk_is_dropped_but_prose_kept() {
        let page = "My Paper | Site\n\nMy Paper\n\nPolicy Paper, May 5, 2025\n\nListen to this content\n0:00\n1x\nPlayback Speed\n  • 0.5\n\nThe first paragraph says something of substance here.\n\nA Heading\n\nThe second paragraph says something more of substance.";
        let doc = normalize_text(page, &generic());
        assert_eq!(doc.meta.title.as_deref(), Some("My Paper"));
        assert_eq!(doc.meta.series.as_deref(), Some("Policy Paper"));
        assert_eq!(
            doc.meta.published,
            chrono::NaiveDate::from_ymd_opt(2025, 5, 5)
        );
        let texts: Vec<_> = doc.body.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "The first paragraph says something of substance here.",
                "A Heading",
                "The second paragraph says something more of substance."
            ]
        );
        assert_eq!(doc.body[2].section.as_deref(), Some("A Heading"));
    }

    #[test]
    fn lower_cased_copies_are_dropped() {
        let page = "T | S\n\nT\n\nThe treaty would strengthen deterrence against rivals in the region.\n\nthe treaty would strengthen deterrence against rivals in the region.";
        let doc = normalize_text(page, &generic());
        assert_eq!(doc.body.len(), 1);
    }

    #[test]
    fn hard_wrapped_paragraphs_are_joined() {
        let page = "T | S\n\nT\n\nThis paragraph was wrapped at a fixed width by\nthe crawler that saved the page, so its lines\nmust be joined again.";
        let doc = normalize_text(page, &generic());
        assert_eq!(doc.body.len(), 1);
        assert!(
            doc.body[0]
                .text
                .starts_with("This paragraph was wrapped at a fixed width by the crawler")
        );
    }

    #[test]
    fn headings_without_text_are_dropped() {
        let page = "T | S\n\nT\n\nEvents\n\nReal Heading\n\nA paragraph under the real heading, with words.";
        let doc = normalize_text(page, &generic());
        let texts: Vec<_> = doc.body.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Real Heading",
                "A paragraph under the real heading, with words."
            ]
        );
    }

    #[test]
    fn related_items_with_and_without_credit() {
        let rules = &generic().text;
        let lines = [
            "REUTERS/Someone",
            "First Title",
            "A summary of the first item, in a sentence.",
            "19/05/25",
            "Second Title",
            "A summary of the second one.",
            "06/05/25",
            "Stay up to date",
            "Ignored Title",
        ];
        let items = read_related(&lines, rules);
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].credit.as_deref(), Some("REUTERS/Someone"));
        assert_eq!(items[0].title, "First Title");
        assert_eq!(items[1].credit, None);
        assert_eq!(items[1].title, "Second Title");
        assert_eq!(items[1].date, chrono::NaiveDate::from_ymd_opt(2025, 5, 6));
    }

    #[test]
    fn empty_and_odd_input_never_panics() {
        for page in [
            "",
            "\n\n",
            "x",
            "•",
            "| INSS",
            "\u{0}\u{0}",
            "a\n\u{feff}\n—",
        ] {
            let _ = normalize_text(page, &generic());
        }
    }
}
