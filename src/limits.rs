//! Resource bounds: every limit redline puts on what it reads, in one place.
//!
//! Pages are untrusted input. A broken or hostile page must end in a clear
//! error naming the page and the limit, never in a run that takes hours,
//! exhausts memory or overflows the stack. Each limit sits far above what a
//! real publication page needs (the largest of the 51 real revision pairs is
//! about 0.5 MB and 2,300 blocks) and well below what would hurt a nightly
//! run on a small machine.
//!
//! | what | limit | where it is enforced |
//! |---|---|---|
//! | an HTTP response (after decoding) | 10 MiB, `[fetch] max_bytes` | `fetch::http` |
//! | a capture file read from disk | [`MAX_FILE_BYTES`] | `fetch::from_file` (before reading) |
//! | an HTML capture | [`MAX_HTML_BYTES`] | `normalize::html` |
//! | element nesting in HTML | [`MAX_DEPTH`] | `normalize::html` (before parsing) |
//! | body blocks of one document | [`MAX_BLOCKS`] | [`check_document`] |
//! | characters in one block | [`MAX_BLOCK_CHARS`] | [`check_document`] |
//! | items in the related list | [`MAX_RELATED`] | [`check_document`] |
//! | time of the sequence diffs | 2 s, `DiffOptions::deadline` | `diff`: past it the alignment is coarser (bigger replacements), never wrong |
//!
//! The fetch size cap is a setting (`redline.toml`); the others are
//! constants, because a page beyond them is not a publication page whatever
//! the user's machine.

pub use crate::normalize::html::{MAX_DEPTH, MAX_HTML_BYTES};

use crate::document::Document;

/// The largest capture file redline reads (checked from the file's size,
/// before reading it).
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;
/// The most body blocks one document may have.
pub const MAX_BLOCKS: usize = 50_000;
/// The longest block (paragraph, heading, list item) in characters: about
/// 30,000 words, a whole report in one paragraph.
pub const MAX_BLOCK_CHARS: usize = 200_000;
/// The most items a related list may have.
pub const MAX_RELATED: usize = 2_000;

/// A document over one of the limits: what is too big, how big, the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverLimit {
    /// What was counted, for a message: "body blocks", "characters in block 3".
    pub what: String,
    pub found: usize,
    pub limit: usize,
}

/// Checks a normalized document against [`MAX_BLOCKS`],
/// [`MAX_BLOCK_CHARS`] and [`MAX_RELATED`].
pub fn check_document(doc: &Document) -> Result<(), OverLimit> {
    if doc.body.len() > MAX_BLOCKS {
        return Err(OverLimit {
            what: "body blocks".into(),
            found: doc.body.len(),
            limit: MAX_BLOCKS,
        });
    }
    for (i, block) in doc.body.iter().enumerate() {
        // Bytes bound characters from above: count only when it may matter.
        if block.text.len() > MAX_BLOCK_CHARS {
            let chars = block.text.chars().count();
            if chars > MAX_BLOCK_CHARS {
                return Err(OverLimit {
                    what: format!("characters in body block {}", i + 1),
                    found: chars,
                    limit: MAX_BLOCK_CHARS,
                });
            }
        }
    }
    if doc.related.len() > MAX_RELATED {
        return Err(OverLimit {
            what: "items in the related list".into(),
            found: doc.related.len(),
            limit: MAX_RELATED,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::markdown::parse_document;

    #[test]
    fn documents_within_the_limits_pass_and_others_say_which_limit() {
        let doc = parse_document("# A\n\nSome text.\n");
        assert_eq!(check_document(&doc), Ok(()));
        let long = parse_document(&format!("# A\n\n{}\n", "x".repeat(MAX_BLOCK_CHARS + 1)));
        let err = check_document(&long).unwrap_err();
        assert_eq!(err.what, "characters in body block 2");
        assert_eq!(err.found, MAX_BLOCK_CHARS + 1);
        // Multi-byte text is counted in characters, not bytes.
        let wide = parse_document(&"é".repeat(MAX_BLOCK_CHARS));
        assert_eq!(check_document(&wide), Ok(()));
    }

    /// The diff's time bound: a pathological pair (thousands of blocks,
    /// reordered and edited) diffed with its deadline already passed still
    /// completes, coarser, and still accounts for every block of both sides
    /// exactly once.
    #[test]
    fn a_diff_past_its_deadline_is_coarser_but_complete() {
        use crate::diff::{DiffOptions, diff};
        let para = |i: usize, e: &str| {
            format!(
                "Paragraph {i} says that item {} costs {e} more than planned.",
                i * 7 % 1000
            )
        };
        let old: String = (0..3000).map(|i| para(i, "much") + "\n\n").collect();
        let new: String = (0..3000)
            .rev()
            .filter(|i| i % 11 != 0)
            .map(|i| para(i, if i % 3 == 0 { "far" } else { "much" }) + "\n\n")
            .collect();
        let (old, new) = (parse_document(&old), parse_document(&new));
        let d = diff(
            &old,
            &new,
            &DiffOptions {
                deadline: std::time::Duration::ZERO,
            },
        );
        let mut seen_old = vec![0; old.body.len()];
        let mut seen_new = vec![0; new.body.len()];
        for op in &d.body {
            op.old.iter().for_each(|&o| seen_old[o] += 1);
            op.new.iter().for_each(|&n| seen_new[n] += 1);
        }
        assert!(
            seen_old.iter().all(|&n| n == 1),
            "an old block lost or doubled"
        );
        assert!(
            seen_new.iter().all(|&n| n == 1),
            "a new block lost or doubled"
        );
    }
}
