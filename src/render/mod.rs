//! Rendering: a [`DocDiff`](crate::diff::DocDiff) or a document, shown to
//! people and programs.
//!
//! - [`term`]: the coloured (or plain, when piped) redline for a terminal;
//! - [`json`]: the versioned machine form (`docs/json-diff.md`);
//! - [`html`]: one self-contained page for a browser;
//! - [`md`]: Markdown for an issue or an email;
//! - [`stat`]: counts only (`--stat`);
//! - [`summary`]: one-line summaries for commit messages and logs;
//! - [`style`]: the only place that knows about colour.
//!
//! Page text is untrusted: everything page-derived goes through
//! [`sanitize`] before it reaches a terminal.

pub mod html;
pub mod json;
pub mod md;
pub mod stat;
pub mod style;
pub mod summary;
pub mod term;

/// A metadata value as one line of text, for every output format.
pub(crate) fn meta_text(value: Option<&crate::diff::MetaValue>) -> String {
    match value {
        None => "(none)".to_string(),
        Some(crate::diff::MetaValue::Text(t)) => t.clone(),
        Some(crate::diff::MetaValue::List(items)) => items.join(", "),
    }
}

/// Removes what could act on a terminal from page text: C0 and C1 control
/// characters (escape sequences start with one) and Unicode bidirectional
/// overrides and isolates. Line breaks and tabs become spaces.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\n' | '\t' | '\r' => Some(' '),
            c if c.is_control() => None,
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => None,
            c => Some(c),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_bidi_overrides_are_removed() {
        let hostile = "a\u{1b}[31mred\u{1b}]0;title\u{7}\u{9b}2J\u{202e}b\u{2066}c";
        let clean = sanitize(hostile);
        assert!(!clean.chars().any(|c| c.is_control()), "{clean:?}");
        assert!(!clean.contains('\u{202e}'));
        assert_eq!(clean, "a[31mred]0;title2Jbc");
    }
}
