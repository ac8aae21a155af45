//! `--stat`: the counts of a diff, without the text.
//!
//! For a reviewer deciding whether to read the redline, and for scripts: a
//! header naming the two versions, the one-line summary, then one line per
//! section of the new document that has changes (like `git diff --stat`, by
//! section rather than by file), then metadata fields and related-list
//! counts. Page text passes through [`sanitize`].

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::sanitize;
use super::style::{Role, Style};
use super::summary::summary_line;
use super::term::Header;
use crate::diff::{BodyStats, DocDiff, OpKind};

/// Renders the counts of `diff`.
pub fn render(diff: &DocDiff, header: &Header, color: bool) -> String {
    let s = Style::new(color);
    let mut out = String::new();
    if !header.subject.is_empty() {
        let _ = writeln!(out, "{}", s.paint(Role::Header, &sanitize(&header.subject)));
    }
    let _ = writeln!(out, "--- {}", sanitize(&header.old_label));
    let _ = writeln!(out, "+++ {}", sanitize(&header.new_label));
    let _ = writeln!(
        out,
        "{} {}",
        s.paint(Role::Label, "summary:"),
        summary_line(diff)
    );

    // Per section, in order of first appearance.
    let mut order: Vec<Option<&str>> = Vec::new();
    let mut per: BTreeMap<usize, BodyStats> = BTreeMap::new();
    for op in &diff.body {
        if op.op == OpKind::Equal {
            continue;
        }
        let key = op.section.as_deref();
        let idx = match order.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                order.push(key);
                order.len() - 1
            }
        };
        let st = per.entry(idx).or_default();
        match op.op {
            OpKind::Modified if op.cosmetic => st.cosmetic += 1,
            OpKind::Modified => st.modified += 1,
            OpKind::Inserted => st.inserted += 1,
            OpKind::Deleted => st.deleted += 1,
            OpKind::Moved => st.moved += 1,
            OpKind::Split => st.split += 1,
            OpKind::Merged => st.merged += 1,
            OpKind::Equal => {}
        }
    }
    if !per.is_empty() {
        let names: Vec<String> = order
            .iter()
            .map(|k| sanitize(k.unwrap_or("(before the first heading)")))
            .map(|n| {
                if n.chars().count() > 48 {
                    format!("{}...", n.chars().take(45).collect::<String>())
                } else {
                    n
                }
            })
            .collect();
        let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
        out.push('\n');
        for (idx, st) in &per {
            let name = &names[*idx];
            let pad = width - name.chars().count();
            let _ = writeln!(
                out,
                " {}{} | {}",
                s.paint(Role::Section, name),
                " ".repeat(pad),
                counts(st)
            );
        }
    }
    let b = &diff.stats.body;
    let _ = writeln!(out, "\nbody: {}, {} unchanged", counts(b), b.equal);
    if !diff.meta.is_empty() {
        let fields: Vec<&str> = diff.meta.iter().map(|m| m.field.as_str()).collect();
        let _ = writeln!(out, "metadata: {}", fields.join(", "));
    }
    let r = &diff.stats.related;
    if r.added + r.removed + r.moved + r.changed > 0 {
        let _ = writeln!(
            out,
            "related: {} added, {} removed, {} moved, {} changed",
            r.added, r.removed, r.moved, r.changed
        );
    }
    out
}

fn counts(b: &BodyStats) -> String {
    let mut parts = Vec::new();
    for (n, what) in [
        (b.modified, "edited"),
        (b.inserted, "added"),
        (b.deleted, "removed"),
        (b.moved, "moved"),
        (b.split, "split"),
        (b.merged, "merged"),
        (b.cosmetic, "cosmetic"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    if parts.is_empty() {
        "no changes".to_string()
    } else {
        parts.join(", ")
    }
}
