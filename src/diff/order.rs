//! Which matched items kept their relative order: a heaviest increasing
//! subsequence.
//!
//! Both the body and the related list report a "move" only when an item's
//! order relative to the others really changed. Given matched items listed in
//! old order with their new positions, the items on a heaviest strictly
//! increasing run of new positions stayed in place; every other matched item
//! moved. Items shifted by insertions or deletions elsewhere stay on the run,
//! so they are never moves. Runs in `O(n log n)` with a Fenwick tree of
//! prefix maxima.

use std::ops::Range;

/// Marks the items on a heaviest subsequence whose `new` positions strictly
/// increase. `items` are `(new_position, weight)` in old order; weights must
/// be positive. Ties are broken deterministically.
pub(crate) fn heaviest_increasing(items: &[(usize, u128)]) -> Vec<bool> {
    heaviest_increasing_by(items.len(), |i| items[i].0, |i| items[i].1)
}

/// [`heaviest_increasing`] of `n` items given by their position and weight,
/// for callers that have them at hand: no list of pairs to build (for the
/// body of a long document, 32 bytes an item of fresh memory).
pub(crate) fn heaviest_increasing_by(
    n: usize,
    position: impl Fn(usize) -> usize,
    weight: impl Fn(usize) -> u128,
) -> Vec<bool> {
    let mut keep = vec![false; n];
    if n == 0 {
        return keep;
    }
    // Ranks 1..=m of the distinct new positions, and whether several items
    // share a rank.
    let (rank, shared, m) = ranks(n, &position);
    let m = m as usize;
    // Runs: consecutive items whose ranks are consecutive and no other item
    // has. Every other item is before or after a whole run in both orders,
    // so a heaviest subsequence takes all of a run or none of it, and only
    // a run's last item (the heaviest chain in it) can precede anything.
    // Long documents are mostly such runs: one step each instead of one per
    // item gives the same choice (the test below checks it against the
    // quadratic definition).
    let unique = |i: usize| !shared[rank[i] as usize];
    let mut runs: Vec<Range<usize>> = Vec::new();
    let mut start = 0;
    for i in 1..=n {
        let continues = i < n && unique(i) && unique(i - 1) && rank[i] == rank[i - 1] + 1;
        if !continues {
            runs.push(start..i);
            start = i;
        }
    }
    // tree[r] holds the best (total, run) among a range of ranks; a total of
    // 0 is "none" (weights are positive). Runs are numbered in item order,
    // so the earlier run wins a tie as the earlier item would.
    const NONE: u32 = u32::MAX;
    let better = |x: (u128, u32), y: (u128, u32)| {
        if y.0 > x.0 || (y.0 == x.0 && y.1 < x.1) {
            y
        } else {
            x
        }
    };
    // Only the ranks runs end at are ever stored in the tree: it is indexed
    // by `slot[r]`, the number of such ranks up to `r`, so it has one entry
    // per run instead of one per item.
    let mut slot = vec![0u32; m + 1];
    for run in &runs {
        slot[rank[run.end - 1] as usize] = 1;
    }
    for r in 1..=m {
        slot[r] += slot[r - 1];
    }
    let slots = slot[m] as usize;
    let mut tree: Vec<(u128, u32)> = vec![(0, NONE); slots + 1];
    let mut total = vec![0u128; runs.len()];
    let mut prev = vec![NONE; runs.len()];
    for (k, run) in runs.iter().enumerate() {
        let (first, last) = (run.start, run.end - 1);
        let run_weight: u128 = run.clone().map(&weight).sum();
        // Best chain ending at a strictly smaller position.
        let mut best = (0, NONE);
        let mut r = slot[rank[first] as usize - 1] as usize;
        while r > 0 {
            best = better(best, tree[r]);
            r &= r - 1;
        }
        total[k] = run_weight + best.0;
        prev[k] = best.1;
        let mut r = slot[rank[last] as usize] as usize;
        while r <= slots {
            tree[r] = better(tree[r], (total[k], k as u32));
            r += r & r.wrapping_neg();
        }
    }
    let mut end = 0;
    for k in 1..runs.len() {
        if total[k] > total[end] {
            end = k;
        }
    }
    let mut cur = end as u32;
    while cur != NONE {
        keep[runs[cur as usize].clone()].fill(true);
        cur = prev[cur as usize];
    }
    keep
}

/// Dense ranks (from 1) of the items' positions, whether each rank is
/// shared by several items (indexed by rank), and the number of ranks.
/// Positions are usually indexes of a document's blocks, so they are ranked
/// by counting when they are not much sparser than the items; otherwise by
/// sorting.
fn ranks(n: usize, position: &impl Fn(usize) -> usize) -> (Vec<u32>, Vec<bool>, u32) {
    let max = (0..n).map(position).max().unwrap_or(0);
    if max < n.saturating_mul(4).saturating_add(1024) {
        ranks_by_counting(n, position, max)
    } else {
        ranks_by_sorting(n, position)
    }
}

/// [`ranks`] through a table of items per position, `max` the largest.
fn ranks_by_counting(
    n: usize,
    position: &impl Fn(usize) -> usize,
    max: usize,
) -> (Vec<u32>, Vec<bool>, u32) {
    let mut shared = vec![false; n + 1];
    let mut at = vec![0u32; max + 1];
    for p in (0..n).map(position) {
        at[p] += 1;
    }
    let mut m = 0u32;
    for count in &mut at {
        if *count > 0 {
            m += 1;
            shared[m as usize] = *count > 1;
            *count = m;
        }
    }
    let rank = (0..n).map(|i| at[position(i)]).collect();
    (rank, shared, m)
}

/// [`ranks`] through sorting.
fn ranks_by_sorting(n: usize, position: &impl Fn(usize) -> usize) -> (Vec<u32>, Vec<bool>, u32) {
    let mut rank = vec![0u32; n];
    let mut shared = vec![false; n + 1];
    let mut m = 0u32;
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_unstable_by_key(|&i| position(i as usize));
    for (k, &i) in order.iter().enumerate() {
        if k == 0 || position(i as usize) != position(order[k - 1] as usize) {
            m += 1;
        } else {
            shared[m as usize] = true;
        }
        rank[i as usize] = m;
    }
    (rank, shared, m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(positions: &[usize]) -> Vec<bool> {
        let items: Vec<(usize, u128)> = positions.iter().map(|&p| (p, 1)).collect();
        heaviest_increasing(&items)
    }

    #[test]
    fn shifted_items_stay_in_place() {
        assert_eq!(unit(&[2, 3, 4]), [true, true, true]);
        assert_eq!(unit(&[]), Vec::<bool>::new());
    }

    #[test]
    fn one_item_moved_far_is_the_only_one_out() {
        assert_eq!(unit(&[0, 1, 2, 3, 4, 5]), [true; 6]);
        assert_eq!(unit(&[4, 0, 1, 2, 3]), [false, true, true, true, true]);
        assert_eq!(unit(&[0, 2, 3, 4, 1]), [true, true, true, true, false]);
    }

    #[test]
    fn weights_decide_between_equal_length_runs() {
        let keep = heaviest_increasing(&[(1, 5), (0, 1)]);
        assert_eq!(keep, [true, false]);
        let keep = heaviest_increasing(&[(1, 1), (0, 5)]);
        assert_eq!(keep, [false, true]);
    }

    /// The same choice by the quadratic definition: each item's best chain
    /// ends at the earliest heaviest item before it at a smaller position.
    fn quadratic(items: &[(usize, u128)]) -> Vec<bool> {
        let n = items.len();
        let mut total = vec![0u128; n];
        let mut prev = vec![None; n];
        for i in 0..n {
            let mut best: Option<usize> = None;
            for j in 0..i {
                if items[j].0 < items[i].0 && best.is_none_or(|b| total[j] > total[b]) {
                    best = Some(j);
                }
            }
            total[i] = items[i].1 + best.map_or(0, |b| total[b]);
            prev[i] = best;
        }
        let mut keep = vec![false; n];
        let mut cur = (0..n).reduce(|a, b| if total[b] > total[a] { b } else { a });
        while let Some(i) = cur {
            keep[i] = true;
            cur = prev[i];
        }
        keep
    }

    proptest::proptest! {
        #[test]
        fn matches_the_quadratic_definition(
            items in proptest::collection::vec((0usize..40, 1u128..4), 0..60)
        ) {
            proptest::prop_assert_eq!(heaviest_increasing(&items), quadratic(&items));
            let max = items.iter().map(|&(p, _)| p).max().unwrap_or(0);
            let position = |i: usize| items[i].0;
            proptest::prop_assert_eq!(
                ranks_by_counting(items.len(), &position, max),
                ranks_by_sorting(items.len(), &position)
            );
            // Sparse positions take the sorting path.
            let sparse: Vec<(usize, u128)> = items.iter().map(|&(p, w)| (p * 1_000_003, w)).collect();
            proptest::prop_assert_eq!(heaviest_increasing(&sparse), quadratic(&sparse));
        }

        /// Mostly in order, as a long document's matches are: long runs,
        /// broken by a few items that moved and a few positions left out.
        #[test]
        fn matches_the_quadratic_definition_on_runs(
            len in 0usize..80,
            moves in proptest::collection::vec((0usize..80, 0usize..80), 0..5),
            gaps in proptest::collection::vec(0usize..80, 0..5),
            weights in proptest::collection::vec(1u128..3, 80),
        ) {
            let mut positions: Vec<usize> = (0..len).filter(|p| !gaps.contains(p)).collect();
            for (a, b) in moves {
                if a < positions.len() && b < positions.len() {
                    let p = positions.remove(a);
                    positions.insert(b, p);
                }
            }
            let items: Vec<(usize, u128)> =
                positions.iter().zip(&weights).map(|(&p, &w)| (p, w)).collect();
            proptest::prop_assert_eq!(heaviest_increasing(&items), quadratic(&items));
        }
    }

    #[test]
    fn equal_positions_are_not_increasing() {
        let keep = unit(&[1, 1, 1]);
        assert_eq!(keep.iter().filter(|&&k| k).count(), 1);
    }
}
