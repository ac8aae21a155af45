//! Paragraph provenance: for every block of a version, since when it has said
//! what it says.
//!
//! [`Blamer`] is fed a source's versions oldest first ([`Blamer::push`]); it
//! diffs each body against the one before with the diff engine and carries
//! each block's [`Provenance`] forward through what the engine reports:
//!
//! | body op | what the new block inherits |
//! |---|---|
//! | equal | everything |
//! | cosmetic only (quotes, spacing) | everything: typography is not wording, `since` stays |
//! | modified (words changed) | `first_published`; `since` and `last_edited` become this version |
//! | moved | everything, `last_moved` becomes this version; with word edits also as modified |
//! | split, no word changed | each piece inherits the whole block's provenance |
//! | split with word changes | each piece keeps `first_published`; a piece whose text was already in the old block keeps `since`, the others were edited here |
//! | merged, no word changed | earliest `first_published`, latest `since`, `last_edited`, `last_moved` of its parts (the merged wording exists since its newest part does) |
//! | merged with word changes | earliest `first_published`; edited here |
//! | inserted | a new block: all from this version |
//!
//! A block deleted and later inserted again is a new block (the engine only
//! compares neighbouring versions). Only the body is blamed; metadata and the
//! related list have their own diffs. No I/O here: the caller reads versions.

use chrono::{DateTime, FixedOffset};

use crate::diff::{DiffOptions, OpKind, canonical_key, diff};
use crate::document::{Block, Document};

/// A version as blame names it: its revision id and capture time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub id: String,
    pub time: DateTime<FixedOffset>,
}

/// Where one block comes from. Every field is an index into
/// [`Blame::revisions`] (0 = the oldest version read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provenance {
    /// The version from which the block has had its current wording.
    pub since: usize,
    /// The version in which the block, followed back through its edits,
    /// moves, splits and merges, first appeared.
    pub first_published: usize,
    /// The latest version that changed its words; `None` if it never was.
    pub last_edited: Option<usize>,
    /// The latest version that moved it; `None` if it never moved.
    pub last_moved: Option<usize>,
    /// How many versions changed its words.
    pub edits: usize,
}

impl Provenance {
    fn fresh(rev: usize) -> Provenance {
        Provenance {
            since: rev,
            first_published: rev,
            last_edited: None,
            last_moved: None,
            edits: 0,
        }
    }

    fn edited(self, rev: usize) -> Provenance {
        Provenance {
            since: rev,
            last_edited: Some(rev),
            edits: self.edits + 1,
            ..self
        }
    }

    fn moved(self, rev: usize) -> Provenance {
        Provenance {
            last_moved: Some(rev),
            ..self
        }
    }

    /// The provenance of a block merged from `parts` without word changes.
    fn merged(parts: &[Provenance]) -> Option<Provenance> {
        let first = parts.first()?;
        Some(parts.iter().skip(1).fold(*first, |acc, p| Provenance {
            since: acc.since.max(p.since),
            first_published: acc.first_published.min(p.first_published),
            last_edited: acc.last_edited.max(p.last_edited),
            last_moved: acc.last_moved.max(p.last_moved),
            edits: acc.edits.max(p.edits),
        }))
    }
}

/// One block of the blamed version and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockBlame {
    pub block: Block,
    pub provenance: Provenance,
}

/// The answer: the blamed version's blocks, in reading order, and the
/// versions read (oldest first) that their provenance points into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blame {
    pub revisions: Vec<Revision>,
    pub blocks: Vec<BlockBlame>,
    /// How many consecutive pairs had a different body and were diffed.
    pub diffs: usize,
}

impl Blame {
    /// The revision an index of a [`Provenance`] names.
    pub fn revision(&self, index: usize) -> &Revision {
        &self.revisions[index]
    }
}

/// Blame built up one version at a time, oldest first.
#[derive(Debug, Default)]
pub struct Blamer {
    revisions: Vec<Revision>,
    body: Vec<Block>,
    provenance: Vec<Provenance>,
    diffs: usize,
    options: DiffOptions,
}

impl Blamer {
    pub fn new() -> Blamer {
        Blamer::default()
    }

    /// Takes the next version (newer than every one before) and its body.
    pub fn push(&mut self, revision: Revision, body: Vec<Block>) {
        let rev = self.revisions.len();
        self.revisions.push(revision);
        if rev == 0 {
            self.provenance = vec![Provenance::fresh(rev); body.len()];
            self.body = body;
            return;
        }
        if body == self.body {
            return;
        }
        self.diffs += 1;
        let old_body = std::mem::take(&mut self.body);
        let old = std::mem::take(&mut self.provenance);
        // Shrink the input first: blocks equal at both ends keep their
        // provenance as they are; only the stretch between is diffed (most
        // versions change a paragraph or two of many).
        let prefix = old_body
            .iter()
            .zip(&body)
            .take_while(|(a, b)| a == b)
            .count();
        let suffix = old_body[prefix..]
            .iter()
            .rev()
            .zip(body[prefix..].iter().rev())
            .take_while(|(a, b)| a == b)
            .count();
        let old_mid = prefix..old_body.len() - suffix;
        let new_mid = prefix..body.len() - suffix;
        let old_doc = Document {
            body: old_body[old_mid.clone()].to_vec(),
            ..Document::default()
        };
        let new_doc = Document {
            body: body[new_mid.clone()].to_vec(),
            ..Document::default()
        };
        let d = diff(&old_doc, &new_doc, &self.options);
        let mut next: Vec<Option<Provenance>> = vec![None; body.len()];
        for (slot, p) in next.iter_mut().zip(&old[..prefix]) {
            *slot = Some(*p);
        }
        for (slot, p) in next.iter_mut().rev().zip(old.iter().rev()).take(suffix) {
            *slot = Some(*p);
        }
        let old = &old[old_mid];
        let next_mid = &mut next[new_mid];
        for op in &d.body {
            let words_changed = !op.words().is_empty() && !op.cosmetic;
            let parts: Vec<Provenance> =
                op.old.iter().filter_map(|&o| old.get(o).copied()).collect();
            let Some(first) = parts.first().copied() else {
                // Inserted (or an op without an old side): a new block.
                for &n in &op.new {
                    next_mid[n] = Some(Provenance::fresh(rev));
                }
                continue;
            };
            match op.op {
                OpKind::Equal | OpKind::Modified | OpKind::Moved => {
                    let mut p = if words_changed {
                        first.edited(rev)
                    } else {
                        first
                    };
                    if op.op == OpKind::Moved {
                        p = p.moved(rev);
                    }
                    for &n in &op.new {
                        next_mid[n] = Some(p);
                    }
                }
                OpKind::Split => {
                    let whole = op
                        .old
                        .first()
                        .map(|&o| canonical_key(&old_doc.body[o].text))
                        .unwrap_or_default();
                    for &n in &op.new {
                        let kept =
                            !words_changed || whole.contains(&canonical_key(&new_doc.body[n].text));
                        next_mid[n] = Some(if kept { first } else { first.edited(rev) });
                    }
                }
                OpKind::Merged => {
                    let joined = Provenance::merged(&parts).unwrap_or(first);
                    let p = if words_changed {
                        joined.edited(rev)
                    } else {
                        joined
                    };
                    for &n in &op.new {
                        next_mid[n] = Some(p);
                    }
                }
                OpKind::Inserted | OpKind::Deleted => {}
            }
        }
        self.provenance = next
            .into_iter()
            .map(|p| p.unwrap_or(Provenance::fresh(rev)))
            .collect();
        self.body = body;
    }

    /// The blame of the last version pushed.
    pub fn finish(self) -> Blame {
        Blame {
            blocks: self
                .body
                .into_iter()
                .zip(self.provenance)
                .map(|(block, provenance)| BlockBlame { block, provenance })
                .collect(),
            revisions: self.revisions,
            diffs: self.diffs,
        }
    }
}

/// Blames the last of `versions` (oldest first).
pub fn blame(versions: impl IntoIterator<Item = (Revision, Vec<Block>)>) -> Blame {
    let mut blamer = Blamer::new();
    for (revision, body) in versions {
        blamer.push(revision, body);
    }
    blamer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::assign_sections;

    fn rev(n: usize) -> Revision {
        let time = DateTime::parse_from_rfc3339("2025-01-01T00:00:00+00:00").unwrap()
            + chrono::Duration::days(n as i64);
        Revision {
            id: format!("{n:040x}"),
            time,
        }
    }

    /// A body from lines: `# X` is a heading, anything else a paragraph.
    fn body(lines: &[&str]) -> Vec<Block> {
        let mut blocks: Vec<Block> = lines
            .iter()
            .map(|l| match l.strip_prefix("# ") {
                Some(h) => Block::heading(h, 2),
                None => Block::paragraph(*l),
            })
            .collect();
        assign_sections(&mut blocks);
        blocks
    }

    fn run(versions: &[&[&str]]) -> Blame {
        blame(
            versions
                .iter()
                .enumerate()
                .map(|(i, lines)| (rev(i), body(lines))),
        )
    }

    fn prov<'a>(b: &'a Blame, text: &str) -> &'a Provenance {
        &b.blocks
            .iter()
            .find(|x| x.block.text.starts_with(text))
            .unwrap_or_else(|| panic!("no block {text:?} in {b:#?}"))
            .provenance
    }

    const A: &str =
        "The treaty was signed by both governments in the spring of that year after long talks.";
    const B: &str = "Critics argued that the agreement would limit the freedom of action of either side in a crisis.";
    const C: &str = "Supporters replied that deterrence depends on commitments that adversaries believe are real.";

    #[test]
    fn one_version_is_all_its_own() {
        let b = run(&[&[A, B]]);
        assert_eq!(b.blocks.len(), 2);
        for x in &b.blocks {
            assert_eq!(x.provenance, Provenance::fresh(0));
        }
        assert_eq!(b.diffs, 0);
    }

    #[test]
    fn an_edit_resets_since_but_not_first_published() {
        let edited = A.replace("spring", "autumn");
        let b = run(&[&[A, B], &[A, B], &[&edited, B]]);
        let p = prov(&b, "The treaty");
        assert_eq!(p.since, 2);
        assert_eq!(p.first_published, 0);
        assert_eq!(p.last_edited, Some(2));
        assert_eq!(p.edits, 1);
        assert_eq!(*prov(&b, "Critics"), Provenance::fresh(0));
        // The identical middle version needed no diff.
        assert_eq!(b.diffs, 1);
    }

    #[test]
    fn cosmetic_changes_keep_the_wording_date() {
        let curly = B.replace("Critics argued", "Critics  argued");
        let quoted = format!("{A} \"Indeed.\"");
        let curly_quoted = format!("{A} \u{201c}Indeed.\u{201d}");
        let b = run(&[&[&quoted, B], &[&curly_quoted, &curly]]);
        assert_eq!(*prov(&b, "The treaty"), Provenance::fresh(0));
        assert_eq!(*prov(&b, "Critics"), Provenance::fresh(0));
    }

    #[test]
    fn moves_keep_their_history() {
        let edited = B.replace("either side", "both sides");
        let v0: &[&str] = &["# One", A, B, "# Two", C];
        let v1: &[&str] = &["# One", A, &edited, "# Two", C];
        let v2: &[&str] = &["# One", A, "# Two", C, &edited];
        let b = run(&[v0, v1, v2]);
        let p = prov(&b, "Critics");
        assert_eq!(p.since, 1, "{b:#?}");
        assert_eq!(p.first_published, 0);
        assert_eq!(p.last_edited, Some(1));
        assert_eq!(p.last_moved, Some(2));
        assert_eq!(b.blocks[4].block.section.as_deref(), Some("Two"));
    }

    #[test]
    fn inserted_blocks_start_their_own_history() {
        let b = run(&[&[A, B], &[A, C, B]]);
        assert_eq!(*prov(&b, "Supporters"), Provenance::fresh(1));
        assert_eq!(*prov(&b, "Critics"), Provenance::fresh(0));
    }

    #[test]
    fn splits_pass_history_to_each_piece() {
        let whole = format!("{A} {B}");
        let b = run(&[&[&whole, C], &[&whole, C], &[A, B, C]]);
        for text in ["The treaty", "Critics"] {
            let p = prov(&b, text);
            assert_eq!(p.since, 0, "{text}: {b:#?}");
            assert_eq!(p.first_published, 0);
            assert_eq!(p.last_edited, None);
        }
    }

    #[test]
    fn a_split_with_an_edit_dates_only_the_changed_piece() {
        let whole = format!("{A} {B}");
        let edited = B.replace("in a crisis", "in any crisis at all");
        let b = run(&[&[&whole, C], &[A, &edited, C]]);
        assert_eq!(prov(&b, "The treaty").since, 0, "{b:#?}");
        let p = prov(&b, "Critics");
        assert_eq!(p.since, 1);
        assert_eq!(p.first_published, 0);
    }

    #[test]
    fn merges_take_the_newest_wording_and_the_oldest_origin() {
        let edited = B.replace("either side", "both sides");
        let v0: &[&str] = &[A, C];
        let v1: &[&str] = &[A, &edited, C];
        let merged = format!("{A} {edited}");
        let v2: &[&str] = &[&merged, C];
        let b = run(&[v0, v1, v2]);
        let p = prov(&b, "The treaty");
        // The second part was inserted in version 1: the merged wording
        // exists since then; the block goes back to version 0.
        assert_eq!(p.since, 1, "{b:#?}");
        assert_eq!(p.first_published, 0);
        assert_eq!(*prov(&b, "Supporters"), Provenance::fresh(0));
    }

    #[test]
    fn deleted_and_reinserted_is_a_new_block() {
        let b = run(&[&[A, B], &[A], &[A, B]]);
        assert_eq!(*prov(&b, "Critics"), Provenance::fresh(2));
    }
}
