//! The HTML redline: one self-contained page for reading a diff in a browser.
//!
//! The page has no external requests at all — the stylesheet is inline, there
//! are no scripts, fonts or images, and a Content-Security-Policy forbids
//! loading anything — so it can be mailed, archived or opened offline. Its
//! layout follows the terminal redline: a summary at the top (versions
//! compared, counts), metadata changes, the body in reading order under its
//! section headings with inserted words in `<ins>` and deleted words in
//! `<del>`, moved blocks linked both ways to where they came from, unchanged
//! runs folded into `<details>`, then the related-list changes.
//!
//! Page text is untrusted: every piece of it goes through [`sanitize`] (no
//! control characters) and [`escape`] (no markup) before it is written. The
//! colours live in the page's CSS, keyed by the same meanings as
//! `style.rs` roles (`ins`, `del`, `.moved`, `.label`...).

use std::fmt::Write as _;

use super::sanitize;
use super::summary::summary_line;
use super::term::Header;
use crate::diff::{
    BlockOp, DocDiff, MetaChange, OpKind, RelatedOp, RelatedOpKind, WordOp, WordTag,
};
use crate::document::{BlockKind, Document};

/// How to render the page.
#[derive(Debug, Clone)]
pub struct HtmlOptions {
    /// Unchanged blocks shown before and after each change (the rest fold).
    pub context: usize,
    /// Show cosmetic-only changes instead of counting them.
    pub show_cosmetic: bool,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions {
            context: 1,
            show_cosmetic: false,
        }
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Untrusted page text made safe for the page: no controls, no markup.
fn text(t: &str) -> String {
    escape(&sanitize(t))
}

const CSS: &str = r#"
:root { color-scheme: light; --ins: #e6ffec; --ins-fg: #055d20; --del: #ffebe9; --del-fg: #82071e;
  --moved: #ddf4ff; --moved-fg: #0a3069; --muted: #57606a; --rule: #d0d7de; }
* { box-sizing: border-box; }
body { font: 16px/1.55 Georgia, "Times New Roman", serif; color: #1f2328; background: #fff;
  max-width: 50rem; margin: 0 auto; padding: 1.5rem 1rem 4rem; }
header { border-bottom: 2px solid #1f2328; margin-bottom: 1.5rem; }
h1 { font-size: 1.5rem; line-height: 1.25; margin: 0 0 .5rem; }
h2 { font: 600 .8rem/1.4 system-ui, sans-serif; text-transform: uppercase; letter-spacing: .08em;
  color: var(--muted); border-bottom: 1px solid var(--rule); margin: 2rem 0 .75rem; padding-bottom: .25rem; }
h3.section { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.versions, .summary, .label, .note, table.counts, details > summary { font-family: system-ui, sans-serif; }
.versions { color: var(--muted); font-size: .9rem; margin: 0; }
.versions code { font-size: .85rem; }
.summary { font-weight: 600; margin: .5rem 0; }
table.counts { border-collapse: collapse; font-size: .85rem; margin: .5rem 0 1rem; }
table.counts th, table.counts td { border: 1px solid var(--rule); padding: .15rem .6rem; text-align: right; }
table.counts th { background: #f6f8fa; font-weight: 600; }
ins { background: var(--ins); color: var(--ins-fg); text-decoration: underline; text-decoration-thickness: 1px; }
del { background: var(--del); color: var(--del-fg); text-decoration: line-through; }
.op { margin: .75rem 0; padding: .25rem .75rem; border-left: 4px solid var(--rule); }
.op p { margin: .35rem 0; }
.op.modified { border-color: #bf8700; }
.op.inserted { border-color: #1a7f37; background: var(--ins); }
.op.deleted { border-color: #cf222e; background: var(--del); }
.op.deleted p { text-decoration: line-through; color: var(--del-fg); }
.op.moved, .op.split, .op.merged { border-color: #0969da; background: var(--moved); }
.op.cosmetic { border-color: var(--rule); color: var(--muted); }
.op.moved-away { border-color: #0969da; border-left-style: dashed; color: var(--muted); font-size: .9rem; }
.op:target { outline: 3px solid #0969da; }
.label { font-size: .78rem; font-weight: 700; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
.label a { color: #0969da; }
.context { color: var(--muted); margin: .5rem 0 .5rem 1rem; }
details.unchanged { margin: .5rem 0 .5rem 1rem; color: var(--muted); }
details.unchanged > summary { cursor: pointer; font-size: .85rem; }
.note { color: var(--muted); font-size: .85rem; }
dl.meta dt { font: 600 .85rem system-ui, sans-serif; margin-top: .5rem; }
dl.meta dd { margin: 0 0 0 1rem; }
ul.related { list-style: none; padding: 0; }
ul.related li { margin: .5rem 0; padding-left: .75rem; border-left: 4px solid var(--rule); }
ul.related li.added { border-color: #1a7f37; }
ul.related li.removed { border-color: #cf222e; }
ul.related li.moved { border-color: #0969da; }
ul.related li.changed { border-color: #bf8700; }
"#;

/// What happens to runs of unchanged blocks between changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unchanged {
    /// Folded into a `<details>` element that holds their text (a page).
    Folded,
    /// Replaced by a one-line count, their text left out (a feed entry,
    /// where `<details>` is not understood and whole documents would be
    /// repeated in every entry).
    Counted,
}

/// Renders `diff` between `old` and `new` as a complete HTML page.
pub fn render(
    diff: &DocDiff,
    old: &Document,
    new: &Document,
    header: &Header,
    opts: &HtmlOptions,
) -> String {
    let title = if header.subject.is_empty() {
        "redline".to_string()
    } else {
        format!("redline: {}", header.subject)
    };
    page(
        &title,
        "",
        &fragment(diff, old, new, header, opts, Unchanged::Folded),
    )
}

/// A complete self-contained page: `title` (plain text, escaped here), the
/// redline stylesheet plus `extra_css`, and `body` (HTML, written as is).
/// The Content-Security-Policy forbids loading anything.
pub fn page(title: &str, extra_css: &str, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + CSS.len() + 512);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"generator\" content=\"redline {}\">\n\
         <title>{}</title>\n<style>{CSS}{extra_css}</style>\n</head>\n<body>\n",
        env!("CARGO_PKG_VERSION"),
        text(title)
    );
    out.push_str(body);
    out.push_str("</body>\n</html>\n");
    out
}

/// The redline of `diff` as an HTML fragment (what [`render`] puts inside
/// `<body>`): summary, metadata, body and related-list changes. Styling
/// comes from class names and `<ins>`/`<del>`, so it still reads where a
/// stylesheet is dropped (feed readers).
pub fn fragment(
    diff: &DocDiff,
    old: &Document,
    new: &Document,
    header: &Header,
    opts: &HtmlOptions,
    unchanged: Unchanged,
) -> String {
    let mut out = String::with_capacity(16 * 1024);
    summary_block(&mut out, diff, header);
    if !diff.meta.is_empty() {
        out.push_str("<section id=\"metadata\">\n<h2>Metadata</h2>\n<dl class=\"meta\">\n");
        for change in &diff.meta {
            meta(&mut out, change);
        }
        out.push_str("</dl>\n</section>\n");
    }
    if diff.body.iter().any(|op| op.op != OpKind::Equal) {
        out.push_str("<section id=\"body\">\n<h2>Body</h2>\n");
        body(&mut out, diff, old, new, opts, unchanged);
        out.push_str("</section>\n");
    }
    if !diff.related.is_empty() {
        out.push_str(
            "<section id=\"related\">\n<h2>Related publications</h2>\n<ul class=\"related\">\n",
        );
        for op in &diff.related {
            related(&mut out, op);
        }
        out.push_str("</ul>\n</section>\n");
    }
    if diff.is_empty() {
        out.push_str("<p class=\"note\" id=\"no-changes\">No differences.</p>\n");
    }
    out
}

fn summary_block(out: &mut String, diff: &DocDiff, header: &Header) {
    out.push_str("<header id=\"summary\">\n");
    if !header.subject.is_empty() {
        let _ = writeln!(out, "<h1>{}</h1>", text(&header.subject));
    }
    let _ = writeln!(
        out,
        "<p class=\"versions\"><code>{}</code> &rarr; <code>{}</code></p>",
        text(&header.old_label),
        text(&header.new_label)
    );
    let _ = writeln!(
        out,
        "<p class=\"summary\">{}</p>",
        text(&summary_line(diff))
    );
    let b = &diff.stats.body;
    let r = &diff.stats.related;
    out.push_str("<table class=\"counts\">\n<tr>");
    let cols = [
        ("edited", b.modified),
        ("added", b.inserted),
        ("removed", b.deleted),
        ("moved", b.moved),
        ("split", b.split),
        ("merged", b.merged),
        ("cosmetic", b.cosmetic),
        ("unchanged", b.equal),
        ("metadata", diff.stats.meta),
        ("related", r.added + r.removed + r.moved + r.changed),
    ];
    for (name, _) in cols {
        let _ = write!(out, "<th>{name}</th>");
    }
    out.push_str("</tr>\n<tr>");
    for (name, n) in cols {
        let _ = write!(out, "<td class=\"count-{name}\">{n}</td>");
    }
    out.push_str("</tr>\n</table>\n</header>\n");
}

fn meta(out: &mut String, change: &MetaChange) {
    let _ = writeln!(out, "<dt>{}</dt>", change.field.as_str());
    if !change.words.is_empty() {
        let _ = writeln!(out, "<dd>{}</dd>", words(&change.words));
    } else if !change.added.is_empty() || !change.removed.is_empty() {
        for item in &change.added {
            let _ = writeln!(out, "<dd>+ <ins>{}</ins></dd>", text(item));
        }
        for item in &change.removed {
            let _ = writeln!(out, "<dd>&minus; <del>{}</del></dd>", text(item));
        }
    } else {
        let _ = writeln!(
            out,
            "<dd><del>{}</del> &rarr; <ins>{}</ins></dd>",
            text(&super::meta_text(change.old.as_ref())),
            text(&super::meta_text(change.new.as_ref()))
        );
    }
}

/// Word ops as inline HTML; paragraph breaks (`"\n\n"`) become `</p><p>`.
fn words(ops: &[WordOp]) -> String {
    let mut out = String::new();
    for w in ops {
        for (i, part) in w.text.split("\n\n").enumerate() {
            if i > 0 {
                out.push_str("</p>\n<p>");
            }
            if part.is_empty() {
                continue;
            }
            let part = text(part);
            match w.op {
                WordTag::Equal => out.push_str(&part),
                WordTag::Insert => {
                    let _ = write!(out, "<ins>{part}</ins>");
                }
                WordTag::Delete => {
                    let _ = write!(out, "<del>{part}</del>");
                }
            }
        }
    }
    out
}

fn is_visible(op: &BlockOp, opts: &HtmlOptions) -> bool {
    match op.op {
        OpKind::Equal => false,
        OpKind::Modified if op.cosmetic => opts.show_cosmetic,
        _ => true,
    }
}

/// Text of an unchanged op, from the documents.
fn block_text<'a>(op: &BlockOp, old: &'a Document, new: &'a Document) -> &'a str {
    op.new
        .first()
        .and_then(|&i| new.body.get(i))
        .or_else(|| op.old.first().and_then(|&i| old.body.get(i)))
        .map(|b| b.text.as_str())
        .unwrap_or_default()
}

fn body(
    out: &mut String,
    diff: &DocDiff,
    old: &Document,
    new: &Document,
    opts: &HtmlOptions,
    unchanged: Unchanged,
) {
    let ops = &diff.body;
    let visible: Vec<bool> = ops.iter().map(|op| is_visible(op, opts)).collect();
    // Where each moved block used to stand: before the first op that is not
    // a move and holds a later old block.
    let mut away: Vec<Vec<usize>> = vec![Vec::new(); ops.len() + 1];
    let anchors: Vec<(usize, usize)> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| op.op != OpKind::Moved)
        .filter_map(|(k, op)| op.old.first().map(|&o| (o, k)))
        .collect();
    let mut sorted = anchors.clone();
    sorted.sort_unstable();
    for (k, op) in ops.iter().enumerate() {
        if op.op == OpKind::Moved
            && let Some(&o) = op.old.first()
        {
            let at = sorted.partition_point(|&(a, _)| a < o);
            let slot = sorted.get(at).map_or(ops.len(), |&(_, j)| j);
            away[slot].push(k);
        }
    }
    let mut section: Option<Option<&str>> = None;
    let mut folded: Vec<&str> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        for &k in &away[i] {
            flush_folded(out, &mut folded, unchanged);
            moved_away(out, k, &ops[k]);
        }
        let near = (i.saturating_sub(opts.context)..=(i + opts.context).min(ops.len() - 1))
            .any(|j| visible[j]);
        let is_heading = op.kind == BlockKind::Heading;
        if !visible[i] && (!near || is_heading) {
            if !is_heading {
                folded.push(block_text(op, old, new));
            }
            continue;
        }
        if section != Some(op.section.as_deref()) {
            flush_folded(out, &mut folded, unchanged);
            let title = op
                .section
                .as_deref()
                .unwrap_or("(before the first heading)");
            let _ = writeln!(out, "<h3 class=\"section\">{}</h3>", text(title));
            section = Some(op.section.as_deref());
        }
        flush_folded(out, &mut folded, unchanged);
        if visible[i] {
            change(out, i, op);
        } else {
            let _ = writeln!(
                out,
                "<p class=\"context\">{}</p>",
                text(block_text(op, old, new))
            );
        }
    }
    for &k in &away[ops.len()] {
        flush_folded(out, &mut folded, unchanged);
        moved_away(out, k, &ops[k]);
    }
    flush_folded(out, &mut folded, unchanged);
    let hidden = ops
        .iter()
        .filter(|op| op.cosmetic && op.op == OpKind::Modified && !opts.show_cosmetic)
        .count();
    if hidden > 0 {
        let noun = if hidden == 1 { "change" } else { "changes" };
        let _ = writeln!(
            out,
            "<p class=\"note\">{hidden} cosmetic {noun} in quotes or spacing hidden (--show-cosmetic shows them).</p>"
        );
    }
}

fn flush_folded(out: &mut String, folded: &mut Vec<&str>, unchanged: Unchanged) {
    if folded.is_empty() {
        return;
    }
    let noun = if folded.len() == 1 { "block" } else { "blocks" };
    if unchanged == Unchanged::Counted {
        let _ = writeln!(
            out,
            "<p class=\"note\">&hellip; {} unchanged {noun}</p>",
            folded.len()
        );
        folded.clear();
        return;
    }
    let _ = writeln!(
        out,
        "<details class=\"unchanged\"><summary>{} unchanged {noun}</summary>",
        folded.len()
    );
    for t in folded.drain(..) {
        let _ = writeln!(out, "<p>{}</p>", text(t));
    }
    out.push_str("</details>\n");
}

fn moved_away(out: &mut String, k: usize, op: &BlockOp) {
    let old = op.old_text().map_or("", |t| t.as_str());
    let excerpt: String = old.chars().take(90).collect();
    let more = if old.chars().count() > 90 { "…" } else { "" };
    let _ = writeln!(
        out,
        "<div class=\"op moved-away\" id=\"from-{k}\"><span class=\"label\">moved away — <a href=\"#op-{k}\">see where it went</a></span>\
         <p>{}{more}</p></div>",
        text(&excerpt)
    );
}

fn change(out: &mut String, k: usize, op: &BlockOp) {
    let class = match op.op {
        OpKind::Modified if op.cosmetic => "cosmetic",
        other => other.as_str(),
    };
    let label = match op.op {
        OpKind::Modified if op.cosmetic => "cosmetic".to_string(),
        OpKind::Modified => "edited".to_string(),
        OpKind::Inserted => "added".to_string(),
        OpKind::Deleted => "removed".to_string(),
        OpKind::Moved => {
            let edited = if op.words().is_empty() {
                ""
            } else {
                ", edited"
            };
            let from = match op.old_section() {
                Some(s) if Some(s) != op.section.as_ref() => format!(" from “{}”", text(s)),
                _ => String::new(),
            };
            format!("<a href=\"#from-{k}\">moved{from}</a>{edited}")
        }
        OpKind::Split => format!("split in {}", op.new.len()),
        OpKind::Merged => format!("merged from {}", op.old.len()),
        OpKind::Equal => String::new(),
    };
    let heading = if op.kind == BlockKind::Heading {
        " heading"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "<div class=\"op {class}\" id=\"op-{k}\"><span class=\"label\">{label}{heading}</span>"
    );
    let inner = if !op.words().is_empty() {
        words(op.words())
    } else {
        let t = match op.op {
            OpKind::Deleted => op.old_text().map(|t| t.as_str()),
            _ => op.new_text().map(|t| t.as_str()),
        };
        t.unwrap_or_default()
            .split("\n\n")
            .map(text)
            .collect::<Vec<_>>()
            .join("</p>\n<p>")
    };
    let _ = writeln!(out, "<p>{inner}</p></div>");
}

fn related(out: &mut String, op: &RelatedOp) {
    let position = match (op.op, op.old_index, op.new_index) {
        (RelatedOpKind::Moved, Some(a), Some(b)) => {
            format!(
                " <span class=\"note\">(from position {} to {})</span>",
                a + 1,
                b + 1
            )
        }
        _ => String::new(),
    };
    let title = match op.op {
        RelatedOpKind::Added => format!("<ins>{}</ins>", text(&op.title)),
        RelatedOpKind::Removed => format!("<del>{}</del>", text(&op.title)),
        _ => text(&op.title),
    };
    let _ = write!(
        out,
        "<li class=\"{}\"><span class=\"label\">{}</span> {title}{position}",
        op.op.as_str(),
        op.op.as_str()
    );
    for change in &op.changes {
        let value = if !change.words.is_empty() {
            words(&change.words)
        } else {
            format!(
                "<del>{}</del> &rarr; <ins>{}</ins>",
                text(change.old.as_deref().unwrap_or("(none)")),
                text(change.new.as_deref().unwrap_or("(none)"))
            )
        };
        let _ = write!(
            out,
            "<br><span class=\"label\">{}</span> {value}",
            text(&change.field)
        );
    }
    out.push_str("</li>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{DiffOptions, diff};
    use crate::document::Block;

    fn doc(texts: &[&str]) -> Document {
        Document {
            body: texts.iter().map(|t| Block::paragraph(*t)).collect(),
            ..Document::default()
        }
    }

    #[test]
    fn page_text_is_escaped_and_has_no_external_references() {
        let old = doc(&["Keep <b>this</b> & that.", "<script>alert(1)</script> old"]);
        let new = doc(&[
            "Keep <b>this</b> & that.",
            "<script>alert(1)</script> new \u{1b}[31m",
        ]);
        let d = diff(&old, &new, &DiffOptions::default());
        let header = Header {
            subject: "A <title>".into(),
            old_label: "a".into(),
            new_label: "b".into(),
        };
        let page = render(&d, &old, &new, &header, &HtmlOptions::default());
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains("<b>"), "{page}");
        assert!(page.contains("&lt;script&gt;"));
        assert!(page.contains("A &lt;title&gt;"));
        assert!(!page.contains('\u{1b}'));
        for external in ["http://", "https://", "src=", "@import", "url("] {
            assert!(!page.contains(external), "{external} in page");
        }
        assert!(page.contains("<del>old</del><ins>new</ins>") || page.contains("<del>old"));
    }

    #[test]
    fn a_moved_block_links_back_to_where_it_stood() {
        let a = "A paragraph that moves to the end of the document.";
        let old = doc(&[a, "Second one stays.", "Third one stays too."]);
        let new = doc(&["Second one stays.", "Third one stays too.", a]);
        let d = diff(&old, &new, &DiffOptions::default());
        let page = render(&d, &old, &new, &Header::default(), &HtmlOptions::default());
        let k = d.body.iter().position(|op| op.op == OpKind::Moved).unwrap();
        assert!(page.contains(&format!("id=\"op-{k}\"")));
        assert!(page.contains(&format!("id=\"from-{k}\"")));
        assert!(page.contains(&format!("href=\"#from-{k}\"")));
        assert!(page.contains(&format!("href=\"#op-{k}\"")));
        // The "moved away" marker stands before the blocks that followed it.
        assert!(page.find("id=\"from-").unwrap() < page.find("Second one stays").unwrap());
    }
}
