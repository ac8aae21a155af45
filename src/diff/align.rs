//! Stage 1 of the body diff: which blocks stayed equal and in order.
//!
//! Patience alignment of two sequences of interned block keys (small
//! integers, see `blocks`): the common prefix and suffix are equal; inside,
//! keys that occur exactly once on each side are anchors, and the longest run
//! of anchors that kept their order is equal; the gaps between anchors are
//! aligned the same way, recursively; a gap with no unique key falls back to
//! Myers' diff (from `similar`) under the deadline.
//!
//! This is the alignment `similar`'s patience diff computes, without its
//! Myers pass over the sequences of unique keys: on a large document (10,000
//! blocks, a few hundred changed) that pass was the engine's largest cost,
//! while the increasing run of anchors costs `O(k log k)`. Keys are dense
//! integers, so the counting uses arrays, not hash maps.

use std::ops::Range;
use std::time::Instant;

use similar::{Algorithm, DiffTag, capture_diff_slices_deadline};

/// Pairs `(i, j)` with `old[i] == new[j]`, increasing in both, covering the
/// equal blocks of a patience alignment. Keys must be below `key_count`.
pub(crate) fn align(
    old: &[u32],
    new: &[u32],
    key_count: usize,
    deadline: Option<Instant>,
) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(old.len().min(new.len()));
    let mut counts = Counts::new(key_count);
    // A work list instead of recursion (adversarial inputs can nest deeply),
    // popped in order so that pairs come out sorted.
    let mut todo = vec![Work::Gap(0..old.len(), 0..new.len())];
    while let Some(work) = todo.pop() {
        let (a, b) = match work {
            Work::Equal { old, new, len } => {
                out.extend((0..len).map(|k| (old + k, new + k)));
                continue;
            }
            Work::Gap(a, b) => (a, b),
        };
        // Common prefix now, common suffix after everything inside.
        let (mut a, mut b) = (a, b);
        while !a.is_empty() && !b.is_empty() && old[a.start] == new[b.start] {
            out.push((a.start, b.start));
            a.start += 1;
            b.start += 1;
        }
        let suffix_len = a
            .clone()
            .rev()
            .zip(b.clone().rev())
            .take_while(|&(i, j)| old[i] == new[j])
            .count();
        let (a, b) = (a.start..a.end - suffix_len, b.start..b.end - suffix_len);
        todo.push(Work::Equal {
            old: a.end,
            new: b.end,
            len: suffix_len,
        });
        if a.is_empty() || b.is_empty() || deadline.is_some_and(|d| Instant::now() >= d) {
            continue;
        }
        let (anchors, any_common) = counts.unique_common(old, new, a.clone(), b.clone());
        if anchors.is_empty() {
            // With no key on both sides nothing can align (a rewritten
            // stretch): Myers would take time quadratic in the gap to say so.
            if any_common {
                myers(old, new, a, b, deadline, &mut out);
            }
            continue;
        }
        // The gaps between anchors (only those with blocks on both sides:
        // nothing else can align) and runs of adjacent anchors, in order;
        // pushed last first, so the first is processed next.
        let mut items: Vec<Work> = Vec::new();
        let (mut from_a, mut from_b) = (a.start, b.start);
        for &(i, j) in &anchors {
            if from_a < i && from_b < j {
                items.push(Work::Gap(from_a..i, from_b..j));
            }
            match items.last_mut() {
                Some(Work::Equal { old, new, len }) if *old + *len == i && *new + *len == j => {
                    *len += 1;
                }
                _ => items.push(Work::Equal {
                    old: i,
                    new: j,
                    len: 1,
                }),
            }
            (from_a, from_b) = (i + 1, j + 1);
        }
        if from_a < a.end && from_b < b.end {
            items.push(Work::Gap(from_a..a.end, from_b..b.end));
        }
        todo.extend(items.into_iter().rev());
    }
    out
}

/// An item of [`align`]'s work list.
enum Work {
    /// Two ranges still to align.
    Gap(Range<usize>, Range<usize>),
    /// `len` equal blocks from `old` and `new` on.
    Equal { old: usize, new: usize, len: usize },
}

/// Myers' diff of two ranges, for a gap with no unique key.
fn myers(
    old: &[u32],
    new: &[u32],
    a: Range<usize>,
    b: Range<usize>,
    deadline: Option<Instant>,
    out: &mut Vec<(usize, usize)>,
) {
    let ops =
        capture_diff_slices_deadline(Algorithm::Myers, &old[a.clone()], &new[b.clone()], deadline);
    for op in ops {
        let (tag, o, n) = op.as_tag_tuple();
        if tag == DiffTag::Equal {
            out.extend(o.zip(n).map(|(i, j)| (a.start + i, b.start + j)));
        }
    }
}

/// Occurrence counts per key, reused across ranges.
struct Counts {
    /// Per key: occurrences in the old range (saturating at 2), last
    /// position there, occurrences in the new range, last position there.
    old_count: Vec<u8>,
    old_pos: Vec<u32>,
    new_count: Vec<u8>,
    new_pos: Vec<u32>,
}

impl Counts {
    fn new(keys: usize) -> Counts {
        Counts {
            old_count: vec![0; keys],
            old_pos: vec![0; keys],
            new_count: vec![0; keys],
            new_pos: vec![0; keys],
        }
    }

    /// The longest increasing run of keys unique in both ranges, as
    /// `(old, new)` positions in order, and whether any key occurs in both.
    fn unique_common(
        &mut self,
        old: &[u32],
        new: &[u32],
        a: Range<usize>,
        b: Range<usize>,
    ) -> (Vec<(usize, usize)>, bool) {
        for i in a.clone() {
            let k = old[i] as usize;
            self.old_count[k] = self.old_count[k].saturating_add(1).min(2);
            self.old_pos[k] = i as u32;
        }
        for j in b.clone() {
            let k = new[j] as usize;
            self.new_count[k] = self.new_count[k].saturating_add(1).min(2);
            self.new_pos[k] = j as u32;
        }
        // New positions of the keys unique on both sides, in old order.
        let mut candidates: Vec<(u32, u32)> = Vec::new();
        let mut any_common = false;
        for i in a.clone() {
            let k = old[i] as usize;
            any_common |= self.new_count[k] > 0;
            if self.old_count[k] == 1 && self.new_count[k] == 1 {
                candidates.push((i as u32, self.new_pos[k]));
            }
        }
        // Reset only what was touched.
        for i in a {
            self.old_count[old[i] as usize] = 0;
        }
        for j in b {
            self.new_count[new[j] as usize] = 0;
        }
        (longest_increasing(&candidates), any_common)
    }
}

/// The longest subsequence of `items` (in order) whose second components
/// strictly increase; patience sorting, `O(n log n)`. Positions are 32-bit
/// (as in [`Counts`]): these arrays are as long as the document.
fn longest_increasing(items: &[(u32, u32)]) -> Vec<(usize, usize)> {
    const NONE: u32 = u32::MAX;
    // tails[l] = index of the item ending the best run of length l + 1.
    let mut tails: Vec<u32> = Vec::new();
    let mut prev: Vec<u32> = vec![NONE; items.len()];
    for (idx, &(_, j)) in items.iter().enumerate() {
        // Most items extend the longest run (most blocks kept their order).
        let l = match tails.last() {
            Some(&t) if items[t as usize].1 < j => tails.len(),
            _ => tails.partition_point(|&t| items[t as usize].1 < j),
        };
        if let Some(l) = l.checked_sub(1) {
            prev[idx] = tails[l];
        }
        if l == tails.len() {
            tails.push(idx as u32);
        } else {
            tails[l] = idx as u32;
        }
    }
    let mut run = Vec::with_capacity(tails.len());
    let mut at = tails.last().copied().unwrap_or(NONE);
    while at != NONE {
        let (i, j) = items[at as usize];
        run.push((i as usize, j as usize));
        at = prev[at as usize];
    }
    run.reverse();
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(old: &[u32], new: &[u32]) -> Vec<(usize, usize)> {
        let keys = old.iter().chain(new).max().map_or(0, |&m| m as usize + 1);
        let pairs = align(old, new, keys, None);
        for w in pairs.windows(2) {
            assert!(w[0].0 < w[1].0 && w[0].1 < w[1].1, "{pairs:?}");
        }
        for &(i, j) in &pairs {
            assert_eq!(old[i], new[j]);
        }
        pairs
    }

    #[test]
    fn equal_sequences_align_fully() {
        let s = [1, 2, 3, 4, 2, 1];
        assert_eq!(check(&s, &s).len(), 6);
        assert!(check(&[], &s).is_empty());
    }

    #[test]
    fn insertions_and_deletions_keep_the_rest() {
        assert_eq!(
            check(&[0, 1, 2, 3, 4], &[0, 9, 1, 3, 4, 8]),
            [(0, 0), (1, 2), (3, 3), (4, 4)]
        );
    }

    #[test]
    fn a_moved_unique_block_leaves_the_longest_order() {
        // 1 moved from the front to the end: 2, 3, 4 stay aligned.
        assert_eq!(
            check(&[1, 2, 3, 4, 5], &[0, 2, 3, 4, 1, 5]),
            [(1, 1), (2, 2), (3, 3), (4, 5)]
        );
    }

    #[test]
    fn repeated_keys_align_inside_gaps() {
        // 7 repeats: not an anchor globally, aligned inside the gap.
        let pairs = check(&[1, 7, 7, 2, 7, 3], &[1, 7, 2, 7, 7, 3]);
        assert!(pairs.contains(&(0, 0)) && pairs.contains(&(3, 2)) && pairs.contains(&(5, 5)));
        assert_eq!(pairs.len(), 5);
    }

    #[test]
    fn matches_as_many_as_an_lcs_on_small_random_inputs() {
        // Patience is not an LCS, but on inputs with unique keys it is.
        let mut seed = 0x2545_f491_u64;
        let mut rand = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..200 {
            let old: Vec<u32> = (0..20).collect();
            let mut new = old.clone();
            for _ in 0..4 {
                let i = (rand() % new.len() as u64) as usize;
                match rand() % 3 {
                    0 => {
                        new.remove(i);
                    }
                    1 => new.insert(i, 100 + (rand() % 50) as u32),
                    _ => {
                        let v = new.remove(i);
                        let j = (rand() % new.len() as u64) as usize;
                        new.insert(j, v);
                    }
                }
            }
            let pairs = check(&old, &new);
            let lcs = capture_diff_slices_deadline(Algorithm::Myers, &old, &new, None)
                .iter()
                .filter(|op| op.tag() == DiffTag::Equal)
                .map(|op| op.old_range().len())
                .sum::<usize>();
            assert!(pairs.len() <= lcs);
            // Unique keys: the anchors' longest increasing run is the LCS.
            let distinct: std::collections::HashSet<_> = new.iter().collect();
            if distinct.len() == new.len() {
                assert_eq!(pairs.len(), lcs, "{old:?} {new:?}");
            }
        }
    }
}
