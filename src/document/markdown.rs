//! The stored text form of a document: `document.md` and `related.md`.
//!
//! A store keeps each version as Markdown so anyone can read its history with
//! `git log -p`. `document.md` is YAML front matter (one `key: value` line per
//! metadata field, values written as JSON scalars or arrays, which YAML reads
//! too) followed by the body, one blank line between blocks: `#` headings,
//! `- ` list items, `> ` quotes, paragraphs as they are. `related.md` holds the
//! related list, one `## title` section per item. Both forms read back to the
//! same `Document` they were written from ([`parse_document`],
//! [`parse_related`]); the reader is lenient so any Markdown file can be read
//! as a document (blocks split at blank lines, list items and table rows are
//! blocks of their own, text underlined with `===` or `---` is a heading as
//! in CommonMark).

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use chrono::NaiveDate;

use super::{
    Block, BlockKind, Document, Meta, RelatedItem, Text, assign_sections, collapse_whitespace,
    collapse_whitespace_cow,
};

/// Writes the `document.md` form: front matter, then the body.
pub fn document_to_markdown(doc: &Document) -> String {
    let mut out = String::from("---\n");
    let meta = &doc.meta;
    front_scalar(&mut out, "title", meta.title.as_deref());
    front_scalar(&mut out, "series", meta.series.as_deref());
    let published = meta.published.map(|d| d.format("%Y-%m-%d").to_string());
    out.push_str("published: ");
    out.push_str(published.as_deref().unwrap_or("null"));
    out.push('\n');
    front_list(&mut out, "authors", &meta.authors);
    front_list(&mut out, "topics", &meta.topics);
    if meta.canonical_url.is_some() {
        front_scalar(&mut out, "canonical_url", meta.canonical_url.as_deref());
    }
    if meta.language.is_some() {
        front_scalar(&mut out, "language", meta.language.as_deref());
    }
    out.push_str("---\n");
    out.push_str(&body_to_markdown(&doc.body));
    out
}

/// Writes body blocks as Markdown, one blank line between blocks.
pub fn body_to_markdown(body: &[Block]) -> String {
    let mut out = String::new();
    for block in body {
        out.push('\n');
        match block.kind {
            BlockKind::Heading => {
                let level = block.level.unwrap_or(2).clamp(1, 6) as usize;
                out.push_str(&"#".repeat(level));
                out.push(' ');
                out.push_str(&block.text);
                // A heading that ends in `#` gets a closing sequence, which
                // the reader strips, so its own `#` survives.
                if block.text.ends_with('#') {
                    out.push_str(" #");
                }
            }
            BlockKind::ListItem => {
                out.push_str("- ");
                out.push_str(&block.text);
            }
            BlockKind::Quote => {
                out.push_str("> ");
                out.push_str(&block.text);
            }
            BlockKind::Paragraph => out.push_str(&escape_paragraph(&block.text)),
        }
        out.push('\n');
    }
    out
}

/// Writes the `related.md` form.
pub fn related_to_markdown(related: &[RelatedItem]) -> String {
    let mut out = String::from("# Related publications\n");
    for item in related {
        out.push_str("\n## ");
        out.push_str(&item.title);
        out.push('\n');
        let mut fields = Vec::new();
        if let Some(date) = item.date {
            fields.push(format!("- date: {}", date.format("%Y-%m-%d")));
        }
        if let Some(credit) = &item.credit {
            fields.push(format!("- credit: {credit}"));
        }
        if let Some(url) = &item.url {
            fields.push(format!("- url: {url}"));
        }
        if !fields.is_empty() {
            out.push('\n');
            out.push_str(&fields.join("\n"));
            out.push('\n');
        }
        if let Some(summary) = &item.summary {
            out.push('\n');
            out.push_str(&escape_paragraph(summary));
            out.push('\n');
        }
    }
    out
}

/// Reads a Markdown document: optional front matter, then blocks.
///
/// Never fails: what is not recognised is read as paragraphs, and unknown
/// front-matter keys are ignored.
pub fn parse_document(text: &str) -> Document {
    parse_from(Source::new(text, None, false)).0
}

/// Reads a Markdown document like [`parse_document`], and also says where
/// each body block came from: `spans[i]` is the byte range of `text` (from
/// the first to the last source line, markers included) that became
/// `body[i]`. Used to check the diff against line-based tools on the same
/// files.
pub fn parse_document_with_spans(text: &str) -> (Document, Vec<Range<usize>>) {
    parse_from(Source::new(text, None, true))
}

/// Reads a Markdown document like [`parse_document`] from a whole file's
/// text, which the blocks share: a block already in its final form (one
/// line, whitespace collapsed, as nearly every block of a stored version
/// is) is a range of `text` rather than a copy.
pub fn parse_document_shared(text: Arc<String>) -> Document {
    parse_from(Source::new(
        text.as_str(),
        Some(Buffer::Shared(&text)),
        false,
    ))
    .0
}

/// Reads a Markdown document like [`parse_document_shared`] from text kept
/// until the process ends (a file a one-shot command read).
pub fn parse_document_kept(text: &'static str) -> Document {
    parse_from(Source::new(text, Some(Buffer::Kept(text)), false)).0
}

/// A whole file's text that block texts may be ranges of.
#[derive(Clone, Copy)]
enum Buffer<'t> {
    Shared(&'t Arc<String>),
    Kept(&'static str),
}

/// The text a document is read from, and the shared buffer it is when its
/// blocks may borrow from it.
#[derive(Clone, Copy)]
struct Source<'t> {
    base: &'t str,
    shared: Option<Buffer<'t>>,
    /// Every line of the body is printable ASCII without doubled spaces
    /// (checked once for the whole body, see [`lines_are_plain`]), so a
    /// piece of one line without spaces at its ends needs no check of its own.
    plain_lines: bool,
    /// Whether the caller wants each block's byte range (only checks against
    /// line-based tools do; a large document has tens of thousands).
    spans: bool,
}

impl<'t> Source<'t> {
    /// A source whose lines are not known to be plain (`parse_blocks`
    /// checks the body when blocks may borrow from it).
    fn new(base: &'t str, shared: Option<Buffer<'t>>, spans: bool) -> Source<'t> {
        Source {
            base,
            shared,
            plain_lines: false,
            spans,
        }
    }

    /// `collapse_whitespace(part)` as a block text: a range of the shared
    /// buffer when `part` (a slice of `base`) is already collapsed but for
    /// spaces at its ends (plain ASCII or not), else a new string.
    fn text(&self, part: &str) -> Text {
        let inner = part.trim_matches(' ');
        let range = span_of(self.base, inner);
        let text = match (self.shared, self.plain_lines) {
            (Some(Buffer::Shared(buf)), true) => Text::shared_plain(buf, range),
            (Some(Buffer::Shared(buf)), false) => Text::shared(buf, range),
            (Some(Buffer::Kept(all)), true) => Text::kept_plain(all, range),
            (Some(Buffer::Kept(all)), false) => Text::kept(all, range),
            (None, _) => None,
        };
        match text {
            Some(text) if text.known_plain() => text,
            // Not plain ASCII (or not known to be), but maybe collapsed all
            // the same, as most text with accents or typographic quotes is:
            // then still a range of the buffer.
            text => match collapse_whitespace_cow(inner) {
                Cow::Borrowed(same) => text.unwrap_or_else(|| Text::from(same)),
                Cow::Owned(collapsed) => collapsed.into(),
            },
        }
    }
}

fn parse_from(src: Source) -> (Document, Vec<Range<usize>>) {
    let base = src.base;
    let text = base.strip_prefix('\u{feff}').unwrap_or(base);
    let (front, body) = split_front_matter(text);
    let mut doc = Document::default();
    if let Some(front) = front {
        doc.meta = parse_front_matter(front);
    }
    let (blocks, spans) = parse_blocks(src, body);
    doc.body = blocks;
    assign_sections(&mut doc.body);
    (doc, spans)
}

/// Reads the `related.md` form back into items.
pub fn parse_related(text: &str) -> Vec<RelatedItem> {
    let mut items: Vec<RelatedItem> = Vec::new();
    for chunk in chunks(text) {
        let first = chunk[0];
        if let Some(title) = first.strip_prefix("## ") {
            items.push(RelatedItem {
                title: collapse_whitespace(title),
                ..RelatedItem::default()
            });
            continue;
        }
        let Some(item) = items.last_mut() else {
            continue; // the "# Related publications" heading
        };
        if chunk.iter().all(|l| field_line(l).is_some()) {
            for line in &chunk {
                if let Some((key, value)) = field_line(line) {
                    match key {
                        "date" => item.date = parse_iso_date(value),
                        "credit" => item.credit = Some(value.to_string()),
                        _ => item.url = Some(value.to_string()),
                    }
                }
            }
        } else {
            let joined = collapse_whitespace(&chunk.join(" "));
            item.summary = Some(unescape_paragraph(joined.into()).into_string());
        }
    }
    items
}

fn field_line(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("- ")?;
    let (key, value) = rest.split_once(": ")?;
    matches!(key, "date" | "credit" | "url").then_some((key, value.trim()))
}

fn front_scalar(out: &mut String, key: &str, value: Option<&str>) {
    out.push_str(key);
    out.push_str(": ");
    match value {
        Some(v) => out.push_str(&serde_json::to_string(v).unwrap_or_default()),
        None => out.push_str("null"),
    }
    out.push('\n');
}

fn front_list(out: &mut String, key: &str, values: &[String]) {
    out.push_str(key);
    out.push_str(": ");
    out.push_str(&serde_json::to_string(values).unwrap_or_default());
    out.push('\n');
}

fn split_front_matter(text: &str) -> (Option<&str>, &str) {
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return (None, text);
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return (Some(&rest[..offset]), &rest[offset + line.len()..]);
        }
        offset += line.len();
    }
    (None, text)
}

fn parse_front_matter(front: &str) -> Meta {
    let mut meta = Meta::default();
    for line in front.lines() {
        let Some((key, raw)) = line.split_once(':') else {
            continue;
        };
        let raw = raw.trim();
        let value: serde_json::Value =
            serde_json::from_str(raw).unwrap_or_else(|_| serde_json::Value::String(unquote(raw)));
        let text = match &value {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Null => None,
            other => Some(other.to_string()),
        };
        let list = || match &value {
            serde_json::Value::Array(items) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            serde_json::Value::String(s) if !s.is_empty() => vec![s.clone()],
            _ => Vec::new(),
        };
        match key.trim() {
            "title" => meta.title = text,
            "series" => meta.series = text,
            "published" | "date" => meta.published = text.as_deref().and_then(parse_iso_date),
            "authors" | "author" => meta.authors = list(),
            "topics" | "tags" | "keywords" => meta.topics = list(),
            "canonical_url" | "url" => meta.canonical_url = text,
            "language" | "lang" => meta.language = text,
            _ => {}
        }
    }
    meta
}

fn unquote(raw: &str) -> String {
    let t = raw.trim();
    for q in ['"', '\''] {
        if t.len() >= 2 && t.starts_with(q) && t.ends_with(q) {
            return t[1..t.len() - 1].to_string();
        }
    }
    t.to_string()
}

fn parse_iso_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.get(..10).unwrap_or(text), "%Y-%m-%d").ok()
}

/// Groups lines into chunks separated by blank lines.
fn chunks(text: &str) -> Vec<Vec<&str>> {
    let mut out: Vec<Vec<&str>> = Vec::new();
    for_each_chunk(text, |chunk| out.push(chunk.to_vec()));
    out
}

/// Calls `f` with each run of non-blank lines, reusing one buffer: a large
/// document has tens of thousands of chunks.
fn for_each_chunk<'t>(text: &'t str, mut f: impl FnMut(&[&'t str])) {
    let mut current: Vec<&str> = Vec::new();
    // `str::lines`, with a vectorized search for the line ends (a large
    // document is megabytes of lines). A final empty line is blank anyway.
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', text.as_bytes()).chain(std::iter::once(text.len()));
    for end in ends {
        let line = &text[start..end];
        let line = line.strip_suffix('\r').unwrap_or(line);
        start = end + 1;
        if line.trim().is_empty() {
            if !current.is_empty() {
                f(&current);
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        f(&current);
    }
}

/// Byte range of `line` (a slice of `base`) inside `base`.
fn span_of(base: &str, line: &str) -> Range<usize> {
    let start = line.as_ptr() as usize - base.as_ptr() as usize;
    start..start + line.len()
}

/// Body blocks and, for each, the byte range of `base` it was read from
/// (`text` is a slice of `base`).
fn parse_blocks(src: Source, text: &str) -> (Vec<Block>, Vec<Range<usize>>) {
    // Blocks only borrow from a shared buffer, so only then does it pay to
    // check the whole body at once rather than each block on its own.
    let src = Source {
        plain_lines: src.shared.is_some() && lines_are_plain(text),
        ..src
    };
    let base = src.base;
    let mut body = Vec::new();
    let mut spans: Vec<Range<usize>> = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    for_each_chunk(text, |chunk| {
        let mut in_quote = false;
        let flush =
            |paragraph: &mut Vec<&str>, body: &mut Vec<Block>, spans: &mut Vec<Range<usize>>| {
                if let (Some(first), Some(last)) = (paragraph.first(), paragraph.last()) {
                    // Most paragraphs are one line: no joined copy for them.
                    let text = match paragraph.as_slice() {
                        [line] => src.text(line),
                        lines => collapse_whitespace(&lines.join(" ")).into(),
                    };
                    body.push(Block::paragraph(unescape_paragraph(text)));
                    if src.spans {
                        spans.push(span_of(base, first).start..span_of(base, last).end);
                    }
                    paragraph.clear();
                }
            };
        for &line in chunk {
            let trimmed = line.trim_start();
            let was_quote = std::mem::replace(&mut in_quote, false);
            if !paragraph.is_empty()
                && let Some(level) = setext_level(line)
            {
                // The paragraph so far was a heading's text (Setext).
                let text = match paragraph.as_slice() {
                    [line] => src.text(line),
                    lines => collapse_whitespace(&lines.join(" ")).into(),
                };
                body.push(Block::heading(text, level));
                if src.spans {
                    let (first, last) = (paragraph[0], paragraph[paragraph.len() - 1]);
                    spans.push(span_of(base, first).start..span_of(base, last).end);
                }
                paragraph.clear();
                continue;
            }
            if let Some(block) = line_block(trimmed, src) {
                flush(&mut paragraph, &mut body, &mut spans);
                body.push(block);
                if src.spans {
                    spans.push(span_of(base, line));
                }
            } else if trimmed.starts_with('>') && paragraph.is_empty() {
                let continuing = was_quote;
                let text = src.text(trimmed.trim_start_matches('>'));
                match body.last_mut() {
                    Some(last) if last.kind == BlockKind::Quote && continuing => {
                        last.text = collapse_whitespace(&format!("{} {}", last.text, text)).into();
                        if let Some(span) = spans.last_mut() {
                            span.end = span_of(base, line).end;
                        }
                    }
                    _ => {
                        body.push(Block::with_kind(BlockKind::Quote, text));
                        if src.spans {
                            spans.push(span_of(base, line));
                        }
                    }
                }
                in_quote = true;
                continue;
            } else if !paragraph.is_empty() || !continues_list(&body, line) {
                paragraph.push(line);
            } else if let Some(last) = body.last_mut() {
                // A wrapped list item: indented continuation line.
                last.text = collapse_whitespace(&format!("{} {}", last.text, line)).into();
                if let Some(span) = spans.last_mut() {
                    span.end = span_of(base, line).end;
                }
            }
        }
        flush(&mut paragraph, &mut body, &mut spans);
    });
    let keep: Vec<bool> = body.iter().map(|b| !b.text.is_empty()).collect();
    let mut k = keep.iter();
    body.retain(|_| *k.next().unwrap_or(&false));
    let mut k = keep.iter();
    spans.retain(|_| *k.next().unwrap_or(&false));
    (body, spans)
}

/// True when `text` is printable ASCII and line ends, with no doubled space:
/// then each of its lines, without spaces at its ends, is a plain text (see
/// [`Text::known_plain`]). One pass over a whole document instead of one
/// per block.
fn lines_are_plain(text: &str) -> bool {
    super::is_single_spaced_ascii(text.as_bytes(), true)
}

/// The level of the heading a line underlines (Setext): 1 for a run of
/// `=`, 2 for a run of `-`, with at most three spaces before it and only
/// spaces or tabs after it (CommonMark). Only a line that follows paragraph
/// text underlines it: `---` after a blank line is a thematic break, read
/// as a paragraph like any other unrecognised line.
fn setext_level(line: &str) -> Option<u8> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let run = line[indent..].trim_end_matches([' ', '\t']);
    if indent > 3 || run.is_empty() {
        return None;
    }
    if run.bytes().all(|b| b == b'=') {
        Some(1)
    } else if run.bytes().all(|b| b == b'-') {
        Some(2)
    } else {
        None
    }
}

fn continues_list(body: &[Block], line: &str) -> bool {
    line.starts_with("  ") && body.last().is_some_and(|b| b.kind == BlockKind::ListItem)
}

/// A line that is a block on its own: heading, list item or table row.
fn line_block(line: &str, src: Source) -> Option<Block> {
    let hashes = line.chars().take_while(|&c| c == '#').count();
    if (1..=6).contains(&hashes) {
        let rest = &line[hashes..];
        if rest.is_empty() || rest.starts_with(' ') {
            // A closing run of `#` goes only when a space precedes it
            // (CommonMark): `## Issue #` is "Issue", `## C#` is "C#".
            let rest = rest.trim_end();
            let open = rest.trim_end_matches('#');
            let text = if open.is_empty() || open.ends_with([' ', '\t']) {
                src.text(open)
            } else {
                src.text(rest)
            };
            return (!text.is_empty()).then(|| Block::heading(text, hashes as u8));
        }
    }
    for marker in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(marker) {
            return Some(Block::with_kind(BlockKind::ListItem, src.text(rest)));
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && digits < 10 {
        let rest = &line[digits..];
        if rest.starts_with(". ") || rest.starts_with(") ") {
            return Some(Block::with_kind(BlockKind::ListItem, src.text(line)));
        }
    }
    if line.starts_with('|') && line.trim_end().ends_with('|') {
        let is_rule = line.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '));
        if !is_rule {
            return Some(Block::paragraph(src.text(line)));
        }
        return Some(Block::paragraph(String::new()));
    }
    None
}

/// Escapes a paragraph whose first characters would read as Markdown syntax.
fn escape_paragraph(text: &str) -> String {
    let needs = text.starts_with(['#', '>', '-', '*', '+', '|', '\\'])
        || text.chars().next().is_some_and(|c| c.is_ascii_digit())
            && line_block(text, Source::new(text, None, false)).is_some();
    if needs {
        format!("\\{text}")
    } else {
        text.to_string()
    }
}

fn unescape_paragraph(text: Text) -> Text {
    if text.starts_with('\\') {
        return text.slice(1..text.len()).unwrap_or_default();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Document {
        let mut body = vec![
            Block::paragraph("Lead sentence."),
            Block::heading("The Facts", 2),
            Block::heading("Why C#", 3),
            Block::heading("Issue #", 2),
            Block::paragraph("# not a heading, 100\u{a0}km"),
            Block::with_kind(BlockKind::ListItem, "an item"),
            Block::with_kind(BlockKind::Quote, "a quote"),
            Block::paragraph("- not an item"),
            Block::paragraph("1. not numbered"),
            Block::paragraph("\\ starts with a backslash"),
        ];
        assign_sections(&mut body);
        Document {
            meta: Meta {
                title: Some("A \"quoted\" title: with colon".into()),
                series: Some("Policy Paper".into()),
                published: NaiveDate::from_ymd_opt(2023, 9, 27),
                authors: vec!["A. Author".into()],
                topics: vec!["Israel-United States Relations".into()],
                canonical_url: Some("https://example.org/p".into()),
                language: None,
            },
            body,
            ..Document::default()
        }
    }

    #[test]
    fn document_round_trips() {
        let doc = sample();
        let md = document_to_markdown(&doc);
        assert!(md.starts_with("---\ntitle: \"A \\\"quoted\\\" title: with colon\"\n"));
        assert_eq!(parse_document(&md), doc);
    }

    #[test]
    fn shared_reading_gives_the_same_document() {
        let texts = [
            document_to_markdown(&sample()),
            "\u{feff}# Title #\n\nOne  two\tthree.\n\n \\# not a heading \n\n> quoted  line\n> more\n\n- item\n  wrapped\n* other\n\n1. first\n\n| a | b |\n|---|---|\n\nno\u{a0}break and caf\u{e9}\n\n## C# \n\nplain last line"
                .to_string(),
            String::new(),
        ];
        for text in texts {
            let shared = parse_document_shared(Arc::new(text.clone()));
            assert_eq!(shared, parse_document(&text), "{text:?}");
            // Blocks already in final form (ASCII or not) share the buffer;
            // others are copies.
            for block in &shared.body {
                let collapsed = collapse_whitespace(&block.text) == block.text.as_str();
                assert!(!block.text.is_shared() || collapsed, "{block:?}");
                let shared_expected = match block.text.as_str() {
                    "no\u{a0}break and caf\u{e9}" => Some(true),
                    "One two three." => Some(false),
                    _ => None,
                };
                if let Some(expected) = shared_expected {
                    assert_eq!(block.text.is_shared(), expected, "{block:?}");
                }
            }
        }
        let plain = "# Head\n\nA plain paragraph.\n\n- an item\n";
        let kept = parse_document_kept(plain);
        assert!(kept.body.iter().all(|b| b.text.is_shared()), "{kept:?}");
        assert_eq!(kept, parse_document(plain));
        let doc = parse_document_shared(Arc::new(plain.into()));
        assert!(doc.body.iter().all(|b| b.text.is_shared()), "{doc:?}");
        assert!(
            doc.body
                .iter()
                .all(|b| b.section.as_ref().is_some_and(Text::is_shared))
        );
    }

    #[test]
    fn related_round_trips() {
        let items = vec![
            RelatedItem {
                title: "One".into(),
                summary: Some("- a summary that looks like a list".into()),
                date: NaiveDate::from_ymd_opt(2025, 5, 19),
                url: None,
                credit: Some("REUTERS/Brian Snyder".into()),
            },
            RelatedItem {
                title: "Two".into(),
                ..RelatedItem::default()
            },
        ];
        assert_eq!(parse_related(&related_to_markdown(&items)), items);
    }

    #[test]
    fn plain_markdown_reads_as_blocks() {
        let doc = parse_document(
            "# Terms\n\nFirst line\nwraps here.\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        );
        let texts: Vec<_> = doc.body.iter().map(|b| (b.kind, b.text.as_str())).collect();
        assert_eq!(
            texts,
            [
                (BlockKind::Heading, "Terms"),
                (BlockKind::Paragraph, "First line wraps here."),
                (BlockKind::ListItem, "one"),
                (BlockKind::ListItem, "two"),
                (BlockKind::Paragraph, "| a | b |"),
                (BlockKind::Paragraph, "| 1 | 2 |"),
            ]
        );
        assert_eq!(doc.body[1].section.as_deref(), Some("Terms"));
    }

    #[test]
    fn setext_headings_read_as_headings() {
        let text = "Copyright\n=========\n\nIntro text.\n\nHow claims\nwork  \n---\n\nA rule follows:\n\n---\n\n===\n\nNot a title\n    ---\n\n| a |\n|---|\n\nEnd of text\n   ----- \t\n";
        let (doc, spans) = parse_document_with_spans(text);
        let blocks: Vec<_> = doc
            .body
            .iter()
            .map(|b| (b.kind, b.level, b.text.as_str(), b.section.as_deref()))
            .collect();
        let heading = BlockKind::Heading;
        let para = BlockKind::Paragraph;
        assert_eq!(
            blocks,
            [
                (heading, Some(1), "Copyright", Some("Copyright")),
                (para, None, "Intro text.", Some("Copyright")),
                (heading, Some(2), "How claims work", Some("How claims work")),
                (para, None, "A rule follows:", Some("How claims work")),
                // After a blank line, `---` is a thematic break and `===`
                // text; neither underlines anything.
                (para, None, "---", Some("How claims work")),
                (para, None, "===", Some("How claims work")),
                // Indented four spaces: not an underline, but more text.
                (para, None, "Not a title ---", Some("How claims work")),
                (para, None, "| a |", Some("How claims work")),
                (heading, Some(2), "End of text", Some("End of text")),
            ]
        );
        // A heading's span is its text, not its underline.
        let of = |i: usize| &text[spans[i].clone()];
        assert_eq!(of(0), "Copyright");
        assert_eq!(of(2), "How claims\nwork  ");
        assert_eq!(of(8), "End of text");
        // Shared reading agrees.
        assert_eq!(parse_document_shared(Arc::new(text.to_string())), doc);
    }

    proptest::proptest! {
        /// Any text reads the same shared or copied, its spans are ordered
        /// ranges of it, and what it reads as is written and read back as
        /// the same document.
        #[test]
        fn any_text_reads_writes_and_reads_back_the_same(
            text in "([a-zA-Z\u{e9}\u{a0}\u{200b} ]{0,12}|[-=#>|*+.:1\\ ]{1,4}|\n|  |\t){0,40}"
        ) {
            let (doc, spans) = parse_document_with_spans(&text);
            proptest::prop_assert_eq!(&parse_document_shared(Arc::new(text.clone())), &doc);
            proptest::prop_assert_eq!(spans.len(), doc.body.len());
            for pair in spans.windows(2) {
                proptest::prop_assert!(pair[0].end <= pair[1].start, "{:?}", spans);
            }
            for span in &spans {
                proptest::prop_assert!(text.get(span.clone()).is_some(), "{:?}", span);
            }
            let written = document_to_markdown(&doc);
            proptest::prop_assert_eq!(parse_document(&written), doc, "written as {:?}", written);
        }
    }

    #[test]
    fn setext_underlines_are_only_runs_of_one_character() {
        for (line, level) in [
            ("=", Some(1)),
            ("===  ", Some(1)),
            ("   -", Some(2)),
            ("--\t", Some(2)),
            ("    ---", None),
            ("-=-", None),
            ("- -", None),
            ("--- x", None),
            ("", None),
            ("   ", None),
        ] {
            assert_eq!(setext_level(line), level, "{line:?}");
        }
    }
}
