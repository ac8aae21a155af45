//! The diff engine: what an editor changed between two captures of a page.
//!
//! [`diff`] turns two [`Document`]s into a [`DocDiff`] that reads like an
//! editor's redline rather than `git diff`: paragraphs are matched even when
//! they were edited, moved, split or merged; typography-only changes are
//! flagged as cosmetic; word changes inside a paragraph are cleaned up so a
//! reader sees phrases, not confetti. Everything here is a pure function of
//! its inputs (no I/O); `similar` does the sequence diffs, always under the
//! caller's deadline ([`DiffOptions::deadline`]).
//!
//! Layout: `canon` ([`canonical_key`]) decides what "the same text" means;
//! `blocks` matches body blocks (alignment, pairing, moves, splits, merges);
//! `words` diffs and cleans up the words of an edited block; `meta` and
//! `related` handle the page's declared fields and its related list;
//! `similarity` and `order` are the shared tools (word-bag similarity with an
//! inverted index, heaviest increasing subsequence for "did it move?").
//!
//! Text conventions of the output, beyond the model's docs: `old_text` and
//! `new_text` of a split or merge join the blocks with `"\n\n"`, and the word
//! ops of any op rebuild exactly its `old_text` (equal + delete runs) and
//! `new_text` (equal + insert runs); a split or merge carries word ops only
//! when the words changed, not for the paragraph break alone.

mod align;
mod blocks;
mod canon;
mod meta;
pub mod model;
mod order;
mod related;
mod similarity;
mod words;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod scenarios;

pub use blocks::BodyKeys;
pub use canon::canonical_key;
pub use model::*;

use std::time::{Duration, Instant};

use crate::document::Document;

/// Options for the engine (no clap here).
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// Time budget for the sequence diffs, counted from the call to [`diff`].
    /// Past it, `similar` returns coarser (still correct) diffs, so a huge or
    /// pathological input degrades into bigger replacements instead of
    /// hanging. Default 2 s.
    pub deadline: Duration,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            deadline: Duration::from_secs(2),
        }
    }
}

/// Everything that changed between `old` and `new`.
pub fn diff(old: &Document, new: &Document, opts: &DiffOptions) -> DocDiff {
    let deadline = Instant::now().checked_add(opts.deadline);
    finish(
        old,
        new,
        blocks::diff_body(&old.body, &new.body, deadline),
        deadline,
    )
}

/// [`diff`] of two documents whose body keys ([`BodyKeys::of`] of each
/// body) were computed beforehand, as a caller holding each document on a
/// thread of its own does there. The keys must be those of these bodies.
pub fn diff_keyed(
    old: &Document,
    old_keys: &BodyKeys,
    new: &Document,
    new_keys: &BodyKeys,
    opts: &DiffOptions,
) -> DocDiff {
    let deadline = Instant::now().checked_add(opts.deadline);
    let body = blocks::diff_keyed_body(&old.body, old_keys, &new.body, new_keys, deadline);
    finish(old, new, body, deadline)
}

/// The rest of a diff once the bodies are compared.
fn finish(
    old: &Document,
    new: &Document,
    body: blocks::BodyDiff,
    deadline: Option<Instant>,
) -> DocDiff {
    let meta = meta::diff_meta(&old.meta, &new.meta, deadline);
    let (related, related_stats) = related::diff_related(&old.related, &new.related, deadline);
    DocDiff {
        schema: DIFF_SCHEMA,
        stats: Stats {
            body: body.stats,
            meta: meta.len(),
            related: related_stats,
        },
        meta,
        body: body.ops,
        related,
    }
}
