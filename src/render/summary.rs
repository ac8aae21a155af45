//! One-line summaries of a diff, for commit messages, `log` and batch output.
//!
//! "2 paragraphs edited, 1 moved; title changed; related +2 -1": counts a
//! person can scan and a script can grep. ASCII only, so it greps the same
//! everywhere.

use crate::diff::{DocDiff, MetaField};

/// Summarizes a diff in one line ("no changes" when there are none).
pub fn summary_line(diff: &DocDiff) -> String {
    let mut parts = Vec::new();
    let b = &diff.stats.body;
    let mut body: Vec<String> = Vec::new();
    for (n, what) in [
        (b.modified, "edited"),
        (b.inserted, "added"),
        (b.deleted, "removed"),
        (b.moved, "moved"),
        (b.split, "split"),
        (b.merged, "merged"),
    ] {
        if n > 0 {
            if body.is_empty() {
                let noun = if n == 1 { "paragraph" } else { "paragraphs" };
                body.push(format!("{n} {noun} {what}"));
            } else {
                body.push(format!("{n} {what}"));
            }
        }
    }
    if b.cosmetic > 0 {
        let noun = if b.cosmetic == 1 { "change" } else { "changes" };
        body.push(format!("{} cosmetic {noun}", b.cosmetic));
    }
    if !body.is_empty() {
        parts.push(body.join(", "));
    }

    for change in &diff.meta {
        let name = match change.field {
            MetaField::Published => "date",
            MetaField::CanonicalUrl => "canonical URL",
            other => other.as_str(),
        };
        if change.added.is_empty() && change.removed.is_empty() {
            parts.push(format!("{name} changed"));
        } else {
            let mut s = name.to_string();
            if !change.added.is_empty() {
                s.push_str(&format!(" +{}", change.added.len()));
            }
            if !change.removed.is_empty() {
                s.push_str(&format!(" -{}", change.removed.len()));
            }
            parts.push(s);
        }
    }

    let r = &diff.stats.related;
    let mut related = Vec::new();
    if r.added > 0 {
        related.push(format!("+{}", r.added));
    }
    if r.removed > 0 {
        related.push(format!("-{}", r.removed));
    }
    if r.moved > 0 {
        related.push(format!("{} moved", r.moved));
    }
    if r.changed > 0 {
        related.push(format!("{} changed", r.changed));
    }
    if !related.is_empty() {
        parts.push(format!("related {}", related.join(" ")));
    }

    if parts.is_empty() {
        "no changes".to_string()
    } else {
        parts.join("; ")
    }
}
