//! The Markdown redline: a diff to paste into an issue, a pull request or an
//! email.
//!
//! It reads well both rendered (GitHub, GitLab, most mail clients that render
//! Markdown) and as plain text: deleted words are `~~struck~~`, inserted words
//! **bold**, each change is a labelled blockquote under its section, and
//! unchanged text is left out (a count says how much). Page text is
//! untrusted: control characters go ([`sanitize`]) and Markdown syntax in it
//! is backslash-escaped, so a page cannot inject links, images or HTML into
//! the issue it is pasted in.

use std::fmt::Write as _;

use super::sanitize;
use super::summary::summary_line;
use super::term::Header;
use crate::diff::{
    BlockOp, DocDiff, MetaChange, OpKind, RelatedOp, RelatedOpKind, WordOp, WordTag,
};
use crate::document::BlockKind;

/// How to render the Markdown.
#[derive(Debug, Clone, Default)]
pub struct MdOptions {
    /// Show cosmetic-only changes instead of counting them.
    pub show_cosmetic: bool,
}

/// Escapes Markdown syntax (and HTML) in untrusted text: the characters that
/// make emphasis, code, links, tables and strike-through anywhere, and a
/// leading `#`, `-`, `+` or `>` that would start a heading, list or quote.
/// Parentheses, dots and the like stay as they are, so the text still reads
/// naturally in a plain-text email.
pub fn escape(text: &str) -> String {
    let text = sanitize(text);
    let mut out = String::with_capacity(text.len() + 8);
    if text.starts_with(['#', '-', '+', '>']) {
        out.push('\\');
    }
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders `diff` as Markdown.
pub fn render(diff: &DocDiff, header: &Header, opts: &MdOptions) -> String {
    let mut out = String::new();
    if !header.subject.is_empty() {
        let _ = writeln!(out, "### {}\n", escape(&header.subject));
    }
    let _ = writeln!(
        out,
        "`{}` → `{}`  \n**{}**",
        code(&header.old_label),
        code(&header.new_label),
        escape(&summary_line(diff))
    );
    if !diff.meta.is_empty() {
        out.push_str("\n#### Metadata\n\n");
        for change in &diff.meta {
            meta(&mut out, change);
        }
    }
    let shown: Vec<&BlockOp> = diff
        .body
        .iter()
        .filter(|op| match op.op {
            OpKind::Equal => false,
            OpKind::Modified if op.cosmetic => opts.show_cosmetic,
            _ => true,
        })
        .collect();
    if !shown.is_empty() {
        out.push_str("\n#### Body\n");
        let mut section: Option<Option<&str>> = None;
        for op in shown {
            if section != Some(op.section.as_deref()) {
                let title = op
                    .section
                    .as_deref()
                    .unwrap_or("(before the first heading)");
                let _ = writeln!(out, "\n**§ {}**", escape(title));
                section = Some(op.section.as_deref());
            }
            change(&mut out, op);
        }
    }
    let hidden = diff
        .body
        .iter()
        .filter(|op| op.cosmetic && op.op == OpKind::Modified && !opts.show_cosmetic)
        .count();
    let unchanged = diff.stats.body.equal;
    if hidden > 0 || (unchanged > 0 && !diff.is_empty()) {
        let mut notes = Vec::new();
        if unchanged > 0 {
            notes.push(format!("{unchanged} unchanged blocks not shown"));
        }
        if hidden > 0 {
            notes.push(format!(
                "{hidden} cosmetic changes (quotes, spacing) hidden"
            ));
        }
        let _ = writeln!(out, "\n_{}._", notes.join("; "));
    }
    if !diff.related.is_empty() {
        out.push_str("\n#### Related publications\n\n");
        for op in &diff.related {
            related(&mut out, op);
        }
    }
    out
}

/// Text for inside a code span: no backticks, no controls.
fn code(text: &str) -> String {
    sanitize(text).replace('`', "'")
}

fn meta(out: &mut String, change: &MetaChange) {
    let name = change.field.as_str();
    if !change.words.is_empty() {
        let _ = writeln!(out, "- **{name}:** {}", words(&change.words));
    } else if !change.added.is_empty() || !change.removed.is_empty() {
        let mut parts: Vec<String> = change
            .added
            .iter()
            .map(|a| format!("**+ {}**", escape(a)))
            .collect();
        parts.extend(change.removed.iter().map(|r| format!("~~{}~~", escape(r))));
        let _ = writeln!(out, "- **{name}:** {}", parts.join(", "));
    } else {
        let _ = writeln!(
            out,
            "- **{name}:** ~~{}~~ → **{}**",
            escape(&super::meta_text(change.old.as_ref())),
            escape(&super::meta_text(change.new.as_ref()))
        );
    }
}

/// Word ops inline; a paragraph break inside an op becomes a quoted blank
/// line. Spaces at the edges of a change stay outside its markers, or
/// Markdown would not see them as emphasis.
fn words(ops: &[WordOp]) -> String {
    let mut out = String::new();
    for w in ops {
        for (i, part) in w.text.split("\n\n").enumerate() {
            if i > 0 {
                out.push_str("\n>\n> ");
            }
            if part.is_empty() {
                continue;
            }
            let marker = match w.op {
                WordTag::Equal => {
                    out.push_str(&escape(part));
                    continue;
                }
                WordTag::Insert => "**",
                WordTag::Delete => "~~",
            };
            let core = part.trim();
            if core.is_empty() {
                out.push_str(&escape(part));
                continue;
            }
            if part.starts_with(char::is_whitespace) {
                out.push(' ');
            }
            let _ = write!(out, "{marker}{}{marker}", escape(core));
            if part.ends_with(char::is_whitespace) {
                out.push(' ');
            }
        }
    }
    out
}

fn change(out: &mut String, op: &BlockOp) {
    let label = match op.op {
        OpKind::Modified if op.cosmetic => "Cosmetic".to_string(),
        OpKind::Modified => "Edited".to_string(),
        OpKind::Inserted => "Added".to_string(),
        OpKind::Deleted => "Removed".to_string(),
        OpKind::Moved => {
            let edited = if op.words().is_empty() {
                ""
            } else {
                ", edited"
            };
            match op.old_section() {
                Some(s) if Some(s) != op.section.as_ref() => {
                    format!("Moved from “{}”{edited}", escape(s))
                }
                _ => format!("Moved{edited}"),
            }
        }
        OpKind::Split => format!("Split in {}", op.new.len()),
        OpKind::Merged => format!("Merged from {}", op.old.len()),
        OpKind::Equal => String::new(),
    };
    let heading = if op.kind == BlockKind::Heading {
        " (heading)"
    } else {
        ""
    };
    let body = if !op.words().is_empty() {
        words(op.words())
    } else {
        let (t, marker) = match op.op {
            OpKind::Deleted => (op.old_text().map(|t| t.as_str()), "~~"),
            OpKind::Inserted => (op.new_text().map(|t| t.as_str()), "**"),
            _ => (op.new_text().map(|t| t.as_str()), ""),
        };
        t.unwrap_or_default()
            .split("\n\n")
            .map(|p| format!("{marker}{}{marker}", escape(p)))
            .collect::<Vec<_>>()
            .join("\n>\n> ")
    };
    let _ = writeln!(out, "\n*{label}{heading}:*\n> {body}");
}

fn related(out: &mut String, op: &RelatedOp) {
    let title = escape(&op.title);
    let line = match op.op {
        RelatedOpKind::Added => format!("- added: **{title}**"),
        RelatedOpKind::Removed => format!("- removed: ~~{title}~~"),
        RelatedOpKind::Moved => match (op.old_index, op.new_index) {
            (Some(a), Some(b)) => {
                format!("- moved: {title} (from position {} to {})", a + 1, b + 1)
            }
            _ => format!("- moved: {title}"),
        },
        RelatedOpKind::Changed => format!("- changed: {title}"),
    };
    let _ = writeln!(out, "{line}");
    for change in &op.changes {
        let value = if !change.words.is_empty() {
            words(&change.words)
        } else {
            format!(
                "~~{}~~ → **{}**",
                escape(change.old.as_deref().unwrap_or("(none)")),
                escape(change.new.as_deref().unwrap_or("(none)"))
            )
        };
        let _ = writeln!(out, "  - {}: {value}", escape(&change.field));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{DiffOptions, diff};
    use crate::document::{Block, Document};

    #[test]
    fn page_markup_is_escaped_and_changes_are_marked() {
        let doc = |t: &str| Document {
            body: vec![Block::paragraph(t)],
            ..Document::default()
        };
        let old = doc("See [this](http://evil.example) and the old terms of use here.");
        let new = doc("See [this](http://evil.example) and the new terms of use here.");
        let d = diff(&old, &new, &DiffOptions::default());
        let md = render(&d, &Header::default(), &MdOptions::default());
        assert!(md.contains("\\[this\\](http://evil.example)"), "{md}");
        assert!(
            md.contains("~~old~~ **new**") || md.contains("~~old~~**new**"),
            "{md}"
        );
        assert!(md.contains("*Edited:*"), "{md}");
    }
}
