//! What each fuzz target does with one input, and the properties it checks.
//!
//! The three cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`) are one-line
//! calls into this file, and the regression test
//! (`tests/integration/fuzz_regressions.rs`) includes the same file, so a
//! saved crash input runs through exactly the code path that found it, on
//! the stable toolchain, as part of `cargo test`. It depends only on redline
//! itself and on crates redline already uses (chrono, serde_json).
//!
//! - [`normalize_text`]: the bytes are a text capture, normalized with the
//!   generic and the INSS profile;
//! - [`normalize_html`]: the first byte picks an HTTP charset, a source URL
//!   and a profile choice, the rest is an HTML capture (so charset
//!   detection and decoding are in the path);
//! - [`diff`]: the bytes describe two documents (the second often an edit of
//!   the first), which are diffed and rendered in every format.
//!
//! A panic is a finding; so is a broken property. The properties are the
//! ones the code documents: block text is collapsed and free of controls,
//! sections follow headings, a document reads back from its stored Markdown
//! unchanged, a document diffed with itself is empty, every block is
//! accounted for once by the diff's ops, word ops rebuild both texts, and no
//! control character from page text reaches a terminal.

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset};
use redline::diff::{self as engine, BlockOp, DiffOptions, DocDiff, OpKind, WordOp, WordTag};
use redline::document::markdown::{
    document_to_markdown, parse_document, parse_document_shared, parse_related, related_to_markdown,
};
use redline::document::{
    Block, BlockKind, Document, Meta, RelatedItem, assign_sections, collapse_whitespace,
};
use redline::fetch::{Capture, CaptureKind};
use redline::normalize::{NormalizeError, ProfileChoice, Profiles, normalize_report};
use redline::render::{html, json, json::to_json, md, stat, term};

static PROFILES: LazyLock<Profiles> = LazyLock::new(Profiles::builtin);

fn captured_at() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2025-05-20T12:00:00+00:00").expect("a valid time")
}

/// Text captures: `data` is the page as a browser rendered it to text.
pub fn normalize_text(data: &[u8]) {
    let capture = Capture::new("fuzz.txt", data.to_vec(), CaptureKind::Text, captured_at());
    for name in ["generic", "inss"] {
        let choice = ProfileChoice::Named(name.to_string());
        match normalize_report(&capture, &PROFILES, &choice) {
            Ok(n) => check_document(&n.document),
            Err(e) => check_error(&e),
        }
    }
}

/// HTTP charsets the HTML target chooses from (the header a server sends).
const CHARSETS: [Option<&str>; 8] = [
    None,
    Some("utf-8"),
    Some("windows-1252"),
    Some("shift_jis"),
    Some("utf-16le"),
    Some("iso-2022-jp"),
    Some("gb18030"),
    Some("no-such-charset"),
];

/// HTML captures: the first byte of `data` chooses the HTTP charset (bits
/// 0-2, see [`CHARSETS`]), whether the page came from an INSS URL (bit 3,
/// so the host picks the INSS profile) and whether the generic profile is
/// named rather than chosen automatically (bit 4); the rest is the page.
pub fn normalize_html(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let source = if selector & 8 != 0 {
        "https://www.inss.org.il/publication/fuzz/"
    } else {
        "fuzz.html"
    };
    let mut capture = Capture::new(source, body.to_vec(), CaptureKind::Html, captured_at());
    if let Some(charset) = CHARSETS[usize::from(selector & 7)] {
        capture.charset = Some(charset.to_string());
        capture.content_type = Some(format!("text/html; charset={charset}"));
    }
    let choice = if selector & 16 != 0 {
        ProfileChoice::Named("generic".to_string())
    } else {
        ProfileChoice::Auto
    };
    match normalize_report(&capture, &PROFILES, &choice) {
        Ok(n) => check_document(&n.document),
        Err(e) => check_error(&e),
    }
}

/// Two documents from `data` (see [`Reader::document`] and [`edit`]),
/// diffed both ways round and with themselves, rendered in every format.
pub fn diff(data: &[u8]) {
    let mut r = Reader(data);
    let old = r.document();
    let new = if r.byte() % 4 == 0 {
        r.document()
    } else {
        edit(&old, &mut r)
    };
    let opts = DiffOptions::default();

    let same = engine::diff(&old, &old, &opts);
    assert!(same.is_empty(), "a document diffed with itself: {same:#?}");
    assert_eq!(same.stats.body.equal, old.body.len());

    let d = engine::diff(&old, &new, &opts);
    check_diff(&old, &new, &d);
    render_all(&old, &new, &d, r.byte());
}

/// What every normalized document must be.
fn check_document(doc: &Document) {
    assert!(!doc.body.is_empty(), "normalize returned an empty body");
    for block in &doc.body {
        assert!(!block.text.is_empty(), "empty block: {block:?}");
        assert_eq!(
            block.text,
            collapse_whitespace(&block.text),
            "block text not collapsed"
        );
        assert!(
            !block.text.chars().any(is_terminal_hazard),
            "control or bidi character in block text: {:?}",
            block.text
        );
        match block.kind {
            BlockKind::Heading => assert!(
                matches!(block.level, Some(1..=6)),
                "heading level: {block:?}"
            ),
            _ => assert_eq!(block.level, None, "level on a non-heading: {block:?}"),
        }
    }
    let mut sections = doc.body.clone();
    assign_sections(&mut sections);
    assert_eq!(sections, doc.body, "sections do not follow the headings");

    // The store keeps document.md and related.md and reads them back.
    let markdown = document_to_markdown(doc);
    let mut stored = parse_document(&markdown);
    stored.related = parse_related(&related_to_markdown(&doc.related));
    assert_eq!(
        &stored, doc,
        "the document does not read back from its Markdown"
    );
    // Read as the store and `redline diff` read it: block texts sharing the
    // file's text.
    let mut shared = parse_document_shared(std::sync::Arc::new(markdown));
    shared.related = stored.related.clone();
    assert_eq!(
        &shared, doc,
        "the document does not read back from its Markdown when shared"
    );
}

/// An error is fine; it must say something.
fn check_error(e: &NormalizeError) {
    assert!(!e.to_string().is_empty());
}

/// C0/C1 controls and bidi overrides/isolates: what must never reach a
/// terminal from page text.
fn is_terminal_hazard(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The diff's ops account for every block once and carry consistent texts.
fn check_diff(old: &Document, new: &Document, d: &DocDiff) {
    let mut old_seen = vec![0u32; old.body.len()];
    let mut new_seen = vec![0u32; new.body.len()];
    for op in &d.body {
        for &o in &op.old {
            old_seen[o] += 1;
        }
        for &n in &op.new {
            new_seen[n] += 1;
        }
        check_op(old, new, op);
    }
    assert!(
        old_seen.iter().all(|&c| c == 1),
        "old blocks not each used once: {old_seen:?} {d:#?}"
    );
    assert!(
        new_seen.iter().all(|&c| c == 1),
        "new blocks not each used once: {new_seen:?} {d:#?}"
    );
    let s = &d.stats.body;
    let count = |k: OpKind| d.body.iter().filter(|op| op.op == k).count();
    assert_eq!(s.equal, count(OpKind::Equal));
    assert_eq!(s.inserted, count(OpKind::Inserted));
    assert_eq!(s.deleted, count(OpKind::Deleted));
    assert_eq!(s.moved, count(OpKind::Moved));
    assert_eq!(s.split, count(OpKind::Split));
    assert_eq!(s.merged, count(OpKind::Merged));
    assert_eq!(s.modified + s.cosmetic, count(OpKind::Modified));
    assert_eq!(d.stats.meta, d.meta.len());
    // Metadata and the related list compare canonical forms on purpose (a
    // re-typeset title is no change); body text is exact: a diff that says
    // nothing changed has the same body texts on both sides.
    if d.is_empty() {
        let texts = |doc: &Document| doc.body.iter().map(|b| b.text.clone()).collect::<Vec<_>>();
        assert_eq!(
            texts(old),
            texts(new),
            "empty diff of different bodies: {d:#?}"
        );
    }
}

fn check_op(old: &Document, new: &Document, op: &BlockOp) {
    let joined = |body: &[Block], idx: &[usize]| {
        (!idx.is_empty()).then(|| {
            idx.iter()
                .map(|&i| body[i].text.as_str())
                .collect::<Vec<_>>()
                .join("\n\n")
        })
    };
    if op.op == OpKind::Equal {
        assert_eq!((op.old.len(), op.new.len()), (1, 1), "{op:?}");
        assert_eq!(
            old.body[op.old[0]].text, new.body[op.new[0]].text,
            "equal op on different texts"
        );
        return;
    }
    assert_eq!(
        op.old_text().map(|t| t.as_str()),
        joined(&old.body, &op.old).as_deref(),
        "old_text: {op:?}"
    );
    assert_eq!(
        op.new_text().map(|t| t.as_str()),
        joined(&new.body, &op.new).as_deref(),
        "new_text: {op:?}"
    );
    if !op.words().is_empty() {
        let side = |skip: WordTag| -> String {
            op.words()
                .iter()
                .filter(|w| w.op != skip)
                .map(|w: &WordOp| w.text.as_str())
                .collect()
        };
        assert_eq!(
            Some(side(WordTag::Insert).as_str()),
            op.old_text().map(|t| t.as_str()),
            "word ops do not rebuild the old text: {op:?}"
        );
        assert_eq!(
            Some(side(WordTag::Delete).as_str()),
            op.new_text().map(|t| t.as_str()),
            "word ops do not rebuild the new text: {op:?}"
        );
    }
}

/// Every output format; `opts` varies width, colour and context.
fn render_all(old: &Document, new: &Document, d: &DocDiff, opts: u8) {
    let header = term::Header {
        subject: format!(
            "fuzz: {}",
            new.meta.title.as_deref().unwrap_or("(untitled)")
        ),
        old_label: "fuzz old".to_string(),
        new_label: "fuzz new".to_string(),
    };
    let width = match opts % 4 {
        0 => None,
        w => Some(usize::from(w) * 30 + usize::from(opts >> 4)),
    };
    let context = usize::from((opts >> 2) % 4);
    let show_cosmetic = opts & 0x40 != 0;
    for color in [false, true] {
        let t = term::render(
            d,
            old,
            new,
            &header,
            &term::TermOptions {
                width,
                context,
                show_cosmetic,
                color,
            },
        );
        check_terminal(&t, color);
        check_terminal(&stat::render(d, &header, color), color);
    }
    let page = html::render(
        d,
        old,
        new,
        &header,
        &html::HtmlOptions {
            context,
            show_cosmetic,
        },
    );
    assert!(
        !page.to_ascii_lowercase().contains("<script"),
        "page text became a script element"
    );
    let _ = md::render(d, &header, &md::MdOptions { show_cosmetic });
    let json = to_json(d);
    assert_eq!(
        json::diff_to_json(d),
        json,
        "the fast JSON writer differs from serde's"
    );
    let back: DocDiff = serde_json::from_str(&json).expect("the JSON diff reads back");
    assert_eq!(
        &back, d,
        "the JSON diff does not read back to the same diff"
    );
}

/// Terminal output has no control character but line breaks, and, in
/// colour, the escape sequences the style writes (ESC followed by `[`).
fn check_terminal(text: &str, color: bool) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            continue;
        }
        if color && c == '\u{1b}' && chars.peek() == Some(&'[') {
            continue;
        }
        assert!(
            !is_terminal_hazard(c),
            "{c:?} reached terminal output (colour {color}): {text:?}"
        );
    }
}

/// Reads fuzz bytes as small numbers and strings; zeros once they run out.
struct Reader<'a>(&'a [u8]);

/// Words the documents are made of: prose, typography that canonicalizes
/// (quotes, dashes, spaces, ligatures), markup and control characters that
/// must be escaped or dropped, and other scripts.
const WORDS: [&str; 48] = [
    "the",
    "treaty",
    "Israel",
    "United",
    "States",
    "defense",
    "would",
    "not",
    "and",
    "of",
    "a",
    "to",
    "in",
    "2025",
    "policy",
    "paper",
    "threats",
    "region",
    "alliance",
    "strategic",
    "“quoted”",
    "\"quoted\"",
    "it’s",
    "it's",
    "—",
    "-",
    "–",
    "10\u{a0}km",
    "ﬁnal",
    "final",
    "<script>alert(1)</script>",
    "&amp;",
    "*emph*",
    "# heading",
    "- item",
    "> quote",
    "[link](x)",
    "|",
    "\u{1b}[31mred",
    "\u{202e}evil",
    "\u{200b}",
    "e\u{301}",
    "é",
    "שלום",
    "مرحبا",
    "漢字",
    "🙂",
    "\t",
];

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    /// Up to `max` raw bytes as text (invalid UTF-8 replaced).
    fn raw(&mut self, max: u8) -> String {
        let n = usize::from(self.byte() % max).min(self.0.len());
        let (s, rest) = self.0.split_at(n);
        self.0 = rest;
        String::from_utf8_lossy(s).into_owned()
    }

    fn word(&mut self) -> String {
        let b = self.byte();
        match WORDS.get(usize::from(b)) {
            Some(w) => (*w).to_string(),
            None if b >= 0xf0 => self.raw(24),
            // Many distinct plain words, so blocks can be told apart.
            None => format!("w{b}"),
        }
    }

    /// Text as a normalizer leaves it: collapsed, maybe empty.
    fn text(&mut self, max_words: u8) -> String {
        let n = self.byte() % max_words;
        let words: Vec<String> = (0..n).map(|_| self.word()).collect();
        collapse_whitespace(&words.join(" "))
    }

    fn opt_text(&mut self, max_words: u8) -> Option<String> {
        Some(self.text(max_words)).filter(|t| !t.is_empty())
    }

    fn block(&mut self) -> Option<Block> {
        let kind = match self.byte() % 8 {
            0 => BlockKind::Heading,
            1 => BlockKind::ListItem,
            2 => BlockKind::Quote,
            _ => BlockKind::Paragraph,
        };
        let level = self.byte() % 6 + 1;
        let text = self.text(24);
        if text.is_empty() {
            return None;
        }
        Some(match kind {
            BlockKind::Heading => Block::heading(text, level),
            k => Block::with_kind(k, text),
        })
    }

    fn date(&mut self) -> Option<chrono::NaiveDate> {
        let b = self.byte();
        if b < 128 {
            return None;
        }
        chrono::NaiveDate::from_ymd_opt(
            2000 + i32::from(b % 30),
            1 + u32::from(self.byte() % 12),
            1 + u32::from(self.byte() % 28),
        )
    }

    fn related_item(&mut self) -> Option<RelatedItem> {
        let title = self.opt_text(8)?;
        let flags = self.byte();
        Some(RelatedItem {
            title,
            summary: if flags & 1 != 0 {
                self.opt_text(16)
            } else {
                None
            },
            date: if flags & 2 != 0 { self.date() } else { None },
            url: (flags & 4 != 0).then(|| format!("https://example.org/p/{}", self.byte() % 8)),
            credit: if flags & 8 != 0 {
                self.opt_text(4)
            } else {
                None
            },
        })
    }

    fn list(&mut self, max: u8) -> Vec<String> {
        let n = self.byte() % max;
        (0..n).filter_map(|_| self.opt_text(3)).collect()
    }

    /// A document: metadata, up to 31 blocks, up to 7 related items.
    fn document(&mut self) -> Document {
        let meta = Meta {
            title: self.opt_text(12),
            series: self.opt_text(3),
            published: self.date(),
            authors: self.list(4),
            topics: self.list(4),
            canonical_url: None,
            language: None,
        };
        let n = self.byte() % 32;
        let mut body: Vec<Block> = (0..n).filter_map(|_| self.block()).collect();
        assign_sections(&mut body);
        let n = self.byte() % 8;
        let related = (0..n).filter_map(|_| self.related_item()).collect();
        Document {
            meta,
            body,
            related,
            ..Document::default()
        }
    }
}

/// `old` with up to 15 editor's changes read from `r`: blocks deleted,
/// moved, inserted, split, merged, retyped, words replaced, inserted or
/// removed; the title and related list edited.
fn edit(old: &Document, r: &mut Reader) -> Document {
    let mut doc = old.clone();
    let n = r.byte() % 16;
    for _ in 0..n {
        let len = doc.body.len();
        let what = r.byte() % 10;
        let i = usize::from(r.byte()) % len.max(1);
        let j = usize::from(r.byte()) % len.max(1);
        match what {
            0 if len > 0 => {
                doc.body.remove(i);
            }
            1 if len > 0 => {
                let b = doc.body.remove(i);
                doc.body.insert(j.min(doc.body.len()), b);
            }
            2 => {
                if let Some(b) = r.block() {
                    doc.body.insert(i.min(len), b);
                }
            }
            3 if len > 0 => {
                // Split at a word.
                let words: Vec<&str> = doc.body[i].text.split(' ').collect();
                if words.len() > 1 {
                    let at = 1 + usize::from(r.byte()) % (words.len() - 1);
                    let (a, b) = (words[..at].join(" "), words[at..].join(" "));
                    doc.body[i].text = a.into();
                    doc.body.insert(i + 1, Block::paragraph(b));
                }
            }
            4 if i + 1 < len => {
                let next = doc.body.remove(i + 1);
                doc.body[i].text = format!("{} {}", doc.body[i].text, next.text).into();
            }
            5 if len > 0 => {
                let kind = doc.body[i].kind;
                let text = doc.body[i].text.clone();
                doc.body[i] = match kind {
                    BlockKind::Heading => Block::paragraph(text),
                    _ => Block::heading(text, 2),
                };
            }
            6..=8 if len > 0 => {
                // Replace, insert or delete one word.
                let mut words: Vec<String> =
                    doc.body[i].text.split(' ').map(str::to_string).collect();
                let k = usize::from(r.byte()) % words.len();
                match what {
                    6 => words[k] = r.word(),
                    7 => words.insert(k, r.word()),
                    _ => {
                        words.remove(k);
                    }
                }
                let text = collapse_whitespace(&words.join(" "));
                if text.is_empty() {
                    doc.body.remove(i);
                } else {
                    doc.body[i].text = text.into();
                }
            }
            9 => match r.byte() % 4 {
                0 => doc.meta.title = r.opt_text(12),
                1 => doc.meta.authors = r.list(4),
                2 if !doc.related.is_empty() => {
                    let k = usize::from(r.byte()) % doc.related.len();
                    let item = doc.related.remove(k);
                    let at = usize::from(r.byte()) % (doc.related.len() + 1);
                    doc.related.insert(at, item);
                }
                _ => {
                    if let Some(item) = r.related_item() {
                        doc.related.push(item);
                    }
                }
            },
            _ => {}
        }
    }
    assign_sections(&mut doc.body);
    doc
}
