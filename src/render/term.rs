//! The terminal redline: what a reviewer reads.
//!
//! Layout: a header naming the two versions and a one-line summary; metadata
//! changes; then the body in reading order, each change under its section
//! heading with a label ("edited", "added", "moved from …") and its text,
//! word changes marked inside; unchanged blocks collapsed to a little context;
//! cosmetic-only changes counted but hidden unless asked for; then the related
//! list. Text is wrapped to the given width (none when piped).

use textwrap::{Options, WordSplitter};

use super::sanitize;
use super::style::{Role, Style};
use super::summary::summary_line;
use crate::diff::{
    BlockOp, DocDiff, MetaChange, OpKind, RelatedOp, RelatedOpKind, WordOp, WordTag,
};
use crate::document::{BlockKind, Document, Text};

/// How to render for a terminal.
#[derive(Debug, Clone)]
pub struct TermOptions {
    /// Wrap at this many columns; `None` leaves each block on one line.
    pub width: Option<usize>,
    /// Unchanged blocks shown before and after each change.
    pub context: usize,
    /// Show cosmetic-only changes instead of counting them.
    pub show_cosmetic: bool,
    pub color: bool,
}

impl Default for TermOptions {
    fn default() -> Self {
        TermOptions {
            width: None,
            context: 1,
            show_cosmetic: false,
            color: false,
        }
    }
}

/// Names for the two sides, shown in the header.
#[derive(Debug, Clone, Default)]
pub struct Header {
    /// What is compared, such as a source id or a file pair.
    pub subject: String,
    pub old_label: String,
    pub new_label: String,
}

/// Longest one-line excerpt of an unchanged context block.
const CONTEXT_EXCERPT_CHARS: usize = 100;

/// Renders `diff` between `old` and `new`.
pub fn render(
    diff: &DocDiff,
    old: &Document,
    new: &Document,
    header: &Header,
    opts: &TermOptions,
) -> String {
    let r = Renderer {
        style: Style::new(opts.color),
        opts,
        out: String::new(),
    };
    r.run(diff, old, new, header)
}

struct Renderer<'a> {
    style: Style,
    opts: &'a TermOptions,
    out: String,
}

impl Renderer<'_> {
    fn run(mut self, diff: &DocDiff, old: &Document, new: &Document, header: &Header) -> String {
        let s = self.style;
        if !header.subject.is_empty() {
            self.wrapped(&s.paint_words(Role::Header, &sanitize(&header.subject)), "");
        }
        self.wrapped(&format!("--- {}", sanitize(&header.old_label)), "");
        self.wrapped(&format!("+++ {}", sanitize(&header.new_label)), "");
        let summary = format!(
            "{} {}",
            s.paint(Role::Label, "summary:"),
            summary_line(diff)
        );
        self.wrapped(&summary, "");

        if !diff.meta.is_empty() {
            self.blank();
            self.line(&s.paint(Role::Section, "Metadata"));
            for change in &diff.meta {
                self.meta(change);
            }
        }

        if diff.body.iter().any(|op| op.op != OpKind::Equal) {
            self.blank();
            self.line(&s.paint(Role::Section, "Body"));
            self.body(diff, old, new);
        }

        if !diff.related.is_empty() {
            self.blank();
            self.line(&s.paint(Role::Section, "Related publications"));
            for op in &diff.related {
                self.related(op);
            }
        }
        self.out
    }

    fn line(&mut self, text: &str) {
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn blank(&mut self) {
        if !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    /// Wraps an already styled text with an indent.
    fn wrapped(&mut self, text: &str, indent: &str) {
        match self.opts.width {
            Some(width) if width > indent.len() + 10 => {
                let options = Options::new(width)
                    .initial_indent(indent)
                    .subsequent_indent(indent)
                    .word_splitter(WordSplitter::NoHyphenation)
                    .break_words(false);
                for line in textwrap::wrap(text, options) {
                    self.line(&line);
                }
            }
            _ => self.line(&format!("{indent}{text}")),
        }
    }

    fn meta(&mut self, change: &MetaChange) {
        let s = self.style;
        let name = s.paint(Role::MetaField, &format!("{}:", change.field.as_str()));
        if !change.words.is_empty() {
            let text = self.words(&change.words);
            self.wrapped(&format!("{name} {text}"), "  ");
        } else if !change.added.is_empty() || !change.removed.is_empty() {
            self.line(&format!("  {name}"));
            for item in &change.added {
                self.line(&format!(
                    "    + {}",
                    s.paint(Role::BlockInsert, &sanitize(item))
                ));
            }
            for item in &change.removed {
                self.line(&format!(
                    "    - {}",
                    s.paint(Role::BlockDelete, &sanitize(item))
                ));
            }
        } else {
            let old = super::meta_text(change.old.as_ref());
            let new = super::meta_text(change.new.as_ref());
            let text = format!(
                "{name} {} -> {}",
                s.paint(Role::WordDelete, &sanitize(&old)),
                s.paint(Role::WordInsert, &sanitize(&new))
            );
            self.wrapped(&text, "  ");
        }
    }

    fn body(&mut self, diff: &DocDiff, old: &Document, new: &Document) {
        let visible: Vec<bool> = diff.body.iter().map(|op| self.is_visible(op)).collect();
        let hidden_cosmetic = diff
            .body
            .iter()
            .filter(|op| op.cosmetic && op.op == OpKind::Modified && !self.opts.show_cosmetic)
            .count();
        let mut section: Option<Option<Text>> = None;
        let mut skipped = 0usize;
        for (i, op) in diff.body.iter().enumerate() {
            let near_change = (i.saturating_sub(self.opts.context)
                ..=(i + self.opts.context).min(diff.body.len() - 1))
                .any(|j| visible[j]);
            let is_heading = op.kind == BlockKind::Heading;
            if !visible[i] && (!near_change || is_heading) {
                if !is_heading {
                    skipped += 1;
                }
                continue;
            }
            if section.as_ref() != Some(&op.section) {
                self.blank();
                let title = op
                    .section
                    .as_deref()
                    .map(sanitize)
                    .unwrap_or_else(|| "(before the first heading)".into());
                self.line(&self.style.paint(Role::Section, &format!("## {title}")));
                section = Some(op.section.clone());
            }
            self.flush_skipped(&mut skipped);
            if visible[i] {
                self.change(op);
            } else {
                self.context(op, old, new);
            }
        }
        self.flush_skipped(&mut skipped);
        if hidden_cosmetic > 0 {
            self.blank();
            let noun = if hidden_cosmetic == 1 {
                "change"
            } else {
                "changes"
            };
            self.line(&self.style.paint(
                Role::Context,
                &format!("({hidden_cosmetic} cosmetic {noun} in quotes or spacing hidden; --show-cosmetic shows them)"),
            ));
        }
    }

    fn is_visible(&self, op: &BlockOp) -> bool {
        match op.op {
            OpKind::Equal => false,
            OpKind::Modified if op.cosmetic => self.opts.show_cosmetic,
            _ => true,
        }
    }

    fn flush_skipped(&mut self, skipped: &mut usize) {
        if *skipped > 0 {
            let noun = if *skipped == 1 { "block" } else { "blocks" };
            let note = format!("  ... {skipped} unchanged {noun}");
            self.line(&self.style.paint(Role::Context, &note));
            *skipped = 0;
        }
    }

    fn context(&mut self, op: &BlockOp, old: &Document, new: &Document) {
        let text = op
            .new
            .first()
            .and_then(|&i| new.body.get(i))
            .or_else(|| op.old.first().and_then(|&i| old.body.get(i)))
            .map(|b| sanitize(&b.text))
            .unwrap_or_default();
        let limit = match self.opts.width {
            Some(w) => CONTEXT_EXCERPT_CHARS.min(w.saturating_sub(8)).max(20),
            None => CONTEXT_EXCERPT_CHARS,
        };
        let excerpt: String = if text.chars().count() > limit {
            let cut: String = text.chars().take(limit).collect();
            format!("{}...", cut.trim_end())
        } else {
            text
        };
        self.line(&self.style.paint(Role::Context, &format!("    {excerpt}")));
    }

    fn change(&mut self, op: &BlockOp) {
        let s = self.style;
        let label = match op.op {
            OpKind::Modified if op.cosmetic => "[cosmetic]".to_string(),
            OpKind::Modified => "[edited]".to_string(),
            OpKind::Inserted => "[added]".to_string(),
            OpKind::Deleted => "[removed]".to_string(),
            OpKind::Moved => {
                let edited = if op.words().is_empty() {
                    ""
                } else {
                    ", edited"
                };
                match op.old_section() {
                    Some(from) if Some(from) != op.section.as_ref() => {
                        format!("[moved from \"{}\"{edited}]", sanitize(from))
                    }
                    _ => format!("[moved{edited}]"),
                }
            }
            OpKind::Split => format!("[split in {}]", op.new.len()),
            OpKind::Merged => format!("[merged from {}]", op.old.len()),
            OpKind::Equal => String::new(),
        };
        let kind = if op.kind == BlockKind::Heading {
            " heading"
        } else {
            ""
        };
        self.line(&format!(
            "  {}{}",
            s.paint(Role::Label, &label),
            s.paint(Role::Label, kind)
        ));
        let body = if !op.words().is_empty() {
            self.words(op.words())
        } else {
            let (role, text) = match op.op {
                OpKind::Deleted => (Role::BlockDelete, op.old_text().map(|t| t.as_str())),
                OpKind::Inserted => (Role::BlockInsert, op.new_text().map(|t| t.as_str())),
                _ => (Role::Moved, op.new_text().map(|t| t.as_str())),
            };
            text.unwrap_or_default()
                .split("\n\n")
                .map(|p| s.paint_words(role, &sanitize(p)))
                .collect::<Vec<_>>()
                .join("\n\n")
        };
        for (i, paragraph) in body.split("\n\n").enumerate() {
            if i > 0 {
                self.line("");
            }
            self.wrapped(paragraph, "    ");
        }
        self.blank();
    }

    /// Word ops as one styled text; paragraph breaks ("\n\n") are kept.
    fn words(&self, words: &[WordOp]) -> String {
        let s = self.style;
        let mut out = String::new();
        for w in words {
            let parts: Vec<&str> = w.text.split("\n\n").collect();
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    out.push_str("\n\n");
                }
                let part = sanitize(part);
                if part.is_empty() {
                    continue;
                }
                let role = match w.op {
                    WordTag::Equal => {
                        out.push_str(&part);
                        continue;
                    }
                    WordTag::Insert => Role::WordInsert,
                    WordTag::Delete => Role::WordDelete,
                };
                // Spaces at the edges of a change stay outside its markers:
                // "idea {+ahead of the+} September", not "{+ahead of the +}".
                let core = part.trim();
                if core.is_empty() {
                    out.push_str(&s.paint(role, &part));
                    continue;
                }
                if part.starts_with(' ') && !out.ends_with(' ') {
                    out.push(' ');
                }
                out.push_str(&s.paint_words(role, core));
                if part.ends_with(' ') {
                    out.push(' ');
                }
            }
        }
        out
    }

    fn related(&mut self, op: &RelatedOp) {
        let s = self.style;
        let title = sanitize(&op.title);
        let (label, role) = match op.op {
            RelatedOpKind::Added => ("[added]", Role::BlockInsert),
            RelatedOpKind::Removed => ("[removed]", Role::BlockDelete),
            RelatedOpKind::Moved => ("[moved]", Role::Moved),
            RelatedOpKind::Changed => ("[changed]", Role::Label),
        };
        let position = match (op.op, op.old_index, op.new_index) {
            (RelatedOpKind::Moved, Some(a), Some(b)) => {
                format!(" (from position {} to {})", a + 1, b + 1)
            }
            _ => String::new(),
        };
        let text = format!(
            "{} {}{}",
            s.paint(Role::Label, label),
            s.paint_words(role, &title),
            position
        );
        self.wrapped(&text, "  ");
        for change in &op.changes {
            if !change.words.is_empty() {
                let name = s.paint(Role::MetaField, &format!("{}:", change.field));
                let text = format!("{name} {}", self.words(&change.words));
                self.wrapped(&text, "      ");
                continue;
            }
            let old = sanitize(change.old.as_deref().unwrap_or("(none)"));
            let new = sanitize(change.new.as_deref().unwrap_or("(none)"));
            let text = format!(
                "{} {} -> {}",
                s.paint(Role::MetaField, &format!("{}:", change.field)),
                s.paint_words(Role::WordDelete, &old),
                s.paint_words(Role::WordInsert, &new)
            );
            self.wrapped(&text, "      ");
        }
    }
}
