//! Every colour and marker decision, keyed by meaning.
//!
//! Renderers ask for "inserted words" or "a section heading", never for an
//! escape code. With colour on, meanings map to owo-colors styles; with colour
//! off (piped output, `NO_COLOR`, `--color never`) word changes get the plain
//! `[-deleted-]{+inserted+}` markers of `git diff --word-diff`, so a piped
//! redline still shows what changed. This is the only file that knows about
//! colour.

use owo_colors::OwoColorize;

/// Returns the cursor to the start of the line and clears it: how a
/// progress line on a terminal is redrawn or removed.
pub const CLEAR_LINE: &str = "\r\x1b[K";

/// What a piece of output means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Words inserted inside an edited block.
    WordInsert,
    /// Words deleted inside an edited block.
    WordDelete,
    /// A whole block that was added.
    BlockInsert,
    /// A whole block that was removed.
    BlockDelete,
    /// A block that moved (or was split or merged) without other edits.
    Moved,
    /// The label in front of a changed block ("edited", "moved from …").
    Label,
    /// A section heading shown for orientation.
    Section,
    /// Unchanged context and collapsed-run notes.
    Context,
    /// Metadata field names.
    MetaField,
    /// Headers: which versions are compared.
    Header,
}

/// Applies roles to text, in colour or as plain markers.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    color: bool,
}

impl Style {
    pub fn new(color: bool) -> Style {
        Style { color }
    }

    pub fn color(&self) -> bool {
        self.color
    }

    /// `text` styled for `role`.
    pub fn paint(&self, role: Role, text: &str) -> String {
        if !self.color {
            return match role {
                Role::WordInsert => format!("{{+{text}+}}"),
                Role::WordDelete => format!("[-{text}-]"),
                _ => text.to_string(),
            };
        }
        match role {
            Role::WordInsert => text.green().underline().to_string(),
            Role::WordDelete => text.red().strikethrough().to_string(),
            Role::BlockInsert => text.green().to_string(),
            Role::BlockDelete => text.red().to_string(),
            Role::Moved => text.cyan().to_string(),
            Role::Label => text.yellow().bold().to_string(),
            Role::Section => text.bold().to_string(),
            Role::Context => text.dimmed().to_string(),
            Role::MetaField => text.blue().bold().to_string(),
            Role::Header => text.bold().underline().to_string(),
        }
    }

    /// Styles a run of words one word at a time, so that line wrapping
    /// between words never leaves a colour open across lines. Plain markers
    /// wrap the whole run instead.
    pub fn paint_words(&self, role: Role, text: &str) -> String {
        if !self.color {
            return self.paint(role, text);
        }
        let mut out = String::with_capacity(text.len() + 16);
        for (i, word) in text.split(' ').enumerate() {
            if i > 0 {
                out.push(' ');
            }
            if !word.is_empty() {
                out.push_str(&self.paint(role, word));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_style_has_no_escapes_and_marks_words() {
        let s = Style::new(false);
        assert_eq!(s.paint(Role::WordInsert, "new"), "{+new+}");
        assert_eq!(s.paint(Role::WordDelete, "old"), "[-old-]");
        assert_eq!(s.paint(Role::BlockInsert, "x"), "x");
    }

    #[test]
    fn colour_style_uses_escapes_per_word() {
        let s = Style::new(true);
        let out = s.paint_words(Role::WordInsert, "two words");
        assert!(out.contains('\u{1b}'));
        assert_eq!(out.matches("\u{1b}[0m").count(), 2, "{out:?}");
    }
}
