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

/// Marks the items on a heaviest subsequence whose `new` positions strictly
/// increase. `items` are `(new_position, weight)` in old order; weights must
/// be positive. Ties are broken deterministically.
pub(crate) fn heaviest_increasing(items: &[(usize, u128)]) -> Vec<bool> {
    let n = items.len();
    let mut keep = vec![false; n];
    if n == 0 {
        return keep;
    }
    // Compress new positions to 1..=m for the Fenwick tree.
    let mut positions: Vec<usize> = items.iter().map(|&(p, _)| p).collect();
    positions.sort_unstable();
    positions.dedup();
    let m = positions.len();
    // tree[i] holds the best (total, item) among a range of ranks.
    let mut tree: Vec<Option<(u128, usize)>> = vec![None; m + 1];
    let mut total = vec![0u128; n];
    let mut prev: Vec<Option<usize>> = vec![None; n];
    let better = |a: Option<(u128, usize)>, b: Option<(u128, usize)>| match (a, b) {
        (None, x) | (x, None) => x,
        (Some(x), Some(y)) => Some(if y.0 > x.0 || (y.0 == x.0 && y.1 < x.1) {
            y
        } else {
            x
        }),
    };
    for (i, &(pos, weight)) in items.iter().enumerate() {
        let rank = positions.partition_point(|&p| p < pos) + 1;
        // Best chain ending at a strictly smaller position.
        let mut best = None;
        let mut r = rank - 1;
        while r > 0 {
            best = better(best, tree[r]);
            r &= r - 1;
        }
        total[i] = weight + best.map_or(0, |b| b.0);
        prev[i] = best.map(|b| b.1);
        let mut r = rank;
        while r <= m {
            tree[r] = better(tree[r], Some((total[i], i)));
            r += r & r.wrapping_neg();
        }
    }
    let mut end = 0;
    for i in 1..n {
        if total[i] > total[end] {
            end = i;
        }
    }
    let mut cur = Some(end);
    while let Some(i) = cur {
        keep[i] = true;
        cur = prev[i];
    }
    keep
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

    #[test]
    fn equal_positions_are_not_increasing() {
        let keep = unit(&[1, 1, 1]);
        assert_eq!(keep.iter().filter(|&&k| k).count(), 1);
    }
}
