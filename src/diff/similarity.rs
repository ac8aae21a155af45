//! Word-bag similarity between blocks, and the index that finds candidates.
//!
//! Pairing an edited paragraph with its old self, spotting a split or a merge
//! and finding a paragraph that moved elsewhere all ask "how much do these
//! two texts share?". The answer here is the Dice coefficient over word
//! multisets (lower-cased alphanumeric runs of the canonical key), which is
//! cheap, symmetric and insensitive to word order. To stay fast on very long
//! documents, candidates are never found by comparing every block with every
//! other: [`candidate_pairs`] falls back to an inverted index over each
//! block's rarest words when a region is large.

use std::borrow::Cow;

use rustc_hash::FxHashMap;

/// Above this many old×new combinations, candidates come from the index.
const ALL_PAIRS_LIMIT: usize = 4096;
/// Words found in more blocks than this are too common to point anywhere.
const MAX_POSTING: usize = 64;
/// How many of a block's rarest words are looked up in the index.
const RARE_PROBES: usize = 8;
/// How many candidates one block keeps (those sharing most probe words).
const MAX_CANDIDATES: usize = 12;

/// A block's words: sorted ids of its lower-cased alphanumeric runs, with
/// repetitions (a multiset).
pub(crate) type Bag = Vec<u32>;

/// Word bags of some of one side's blocks, by block index; every other
/// block's bag is empty. Only blocks left unmatched get a bag, a few among
/// thousands: four bytes a block, rather than an empty bag each (24 bytes of
/// fresh memory a block, on both sides).
#[derive(Debug, Default)]
pub(crate) struct Bags {
    slot: Vec<u32>,
    bags: Vec<Bag>,
}

/// The bag of a block that has none.
static NO_BAG: Bag = Vec::new();

impl Bags {
    const NONE: u32 = u32::MAX;

    /// No bags yet, for a side of `len` blocks.
    pub(crate) fn new(len: usize) -> Bags {
        Bags {
            slot: vec![Bags::NONE; len],
            bags: Vec::new(),
        }
    }

    /// Gives block `i` its bag.
    pub(crate) fn set(&mut self, i: usize, bag: Bag) {
        if let Some(slot) = self.slot.get_mut(i) {
            *slot = self.bags.len() as u32;
            self.bags.push(bag);
        }
    }
}

impl std::ops::Index<usize> for Bags {
    type Output = Bag;
    fn index(&self, i: usize) -> &Bag {
        match self.slot.get(i) {
            Some(&slot) if slot != Bags::NONE => &self.bags[slot as usize],
            _ => &NO_BAG,
        }
    }
}

impl FromIterator<Bag> for Bags {
    fn from_iter<I: IntoIterator<Item = Bag>>(iter: I) -> Bags {
        let bags: Vec<Bag> = iter.into_iter().collect();
        Bags {
            slot: (0..bags.len() as u32).collect(),
            bags,
        }
    }
}

/// Class of each byte for splitting ASCII text into words: 0 outside a word,
/// [`LOWER`] for a lower-case letter or digit, [`UPPER`] for an upper-case
/// letter (one table lookup per byte instead of several range tests).
const WORD_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = if byte.is_ascii_uppercase() {
            UPPER
        } else if byte.is_ascii_alphanumeric() {
            LOWER
        } else {
            0
        };
        b += 1;
    }
    table
};
const LOWER: u8 = 1;
const UPPER: u8 = 2;

/// Gives every distinct (lower-cased) word a small id. Words are borrowed
/// from the texts when they are lower case already, so most cost no copy.
#[derive(Debug, Default)]
pub(crate) struct Words<'a> {
    ids: FxHashMap<Cow<'a, str>, u32>,
}

impl<'a> Words<'a> {
    /// The id of a lower-cased word, new if it was not seen before.
    fn id(&mut self, word: Cow<'a, str>) -> u32 {
        if let Some(&id) = self.ids.get(word.as_ref()) {
            return id;
        }
        let id = self.ids.len() as u32;
        self.ids.insert(word, id);
        id
    }

    /// [`Words::id`] of a lower-cased word that does not live in the texts
    /// (copied only when it is new).
    fn id_of_copy(&mut self, word: &str) -> u32 {
        match self.ids.get(word) {
            Some(&id) => id,
            None => self.id(Cow::Owned(word.to_string())),
        }
    }

    /// [`Words::bag`] of an ASCII text, byte by byte (the same words and ids:
    /// for ASCII, alphanumeric and lower case are the ASCII ones).
    fn ascii_bag(&mut self, text: &'a str) -> Bag {
        let bytes = text.as_bytes();
        let mut bag = Vec::with_capacity(bytes.len() / 4);
        let mut lower = String::new();
        let mut i = 0;
        while i < bytes.len() {
            if WORD_CLASS[usize::from(bytes[i])] == 0 {
                i += 1;
                continue;
            }
            let start = i;
            let mut classes = 0;
            while let Some(&b) = bytes.get(i) {
                let class = WORD_CLASS[usize::from(b)];
                if class == 0 {
                    break;
                }
                classes |= class;
                i += 1;
            }
            let word = &text[start..i];
            bag.push(if classes & UPPER != 0 {
                lower.clear();
                lower.push_str(word);
                lower.make_ascii_lowercase();
                self.id_of_copy(&lower)
            } else {
                self.id(Cow::Borrowed(word))
            });
        }
        bag.sort_unstable();
        bag
    }

    /// The bag of words of a canonical text.
    pub(crate) fn bag(&mut self, canonical: &'a str) -> Bag {
        if canonical.is_ascii() {
            return self.ascii_bag(canonical);
        }
        let mut bag: Bag = canonical
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| {
                // Most words are lower-case already: look them up as they are.
                if w.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) {
                    self.id_of_copy(&w.to_lowercase())
                } else {
                    self.id(Cow::Borrowed(w))
                }
            })
            .collect();
        bag.sort_unstable();
        bag
    }
}

/// Size of the multiset intersection of two sorted bags.
pub(crate) fn common(a: &[u32], b: &[u32]) -> usize {
    let (small, big) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if small.len() * GALLOP_RATIO < big.len() {
        return common_galloping(small, big);
    }
    // A merge without branches on the comparison (candidates are compared
    // by the thousand, and which side steps is unpredictable): equal words
    // count and step both sides, else the smaller side steps.
    let (mut i, mut j, mut n) = (0, 0, 0);
    while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
        n += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    n
}

/// From this ratio of sizes up, [`common`] looks each word of the smaller
/// bag up in the larger one instead of walking both (a heading against a
/// paragraph: a few words against a hundred).
const GALLOP_RATIO: usize = 8;

/// [`common`] of a bag and one at least [`GALLOP_RATIO`] times larger: each
/// word of `small`, in order, is searched for in what is left of `big`
/// (doubling steps, then halving), and a match uses up one occurrence there.
fn common_galloping(small: &[u32], big: &[u32]) -> usize {
    let (mut j, mut n) = (0, 0);
    for &x in small {
        // The first position at or after `j` whose word is not below `x`.
        let mut step = 1;
        let mut hi = j;
        while hi < big.len() && big[hi] < x {
            j = hi + 1;
            hi += step;
            step *= 2;
        }
        let hi = hi.min(big.len());
        j += big[j..hi].partition_point(|&y| y < x);
        if j == big.len() {
            break;
        }
        if big[j] == x {
            n += 1;
            j += 1;
        }
    }
    n
}

/// Dice coefficient `2|a∩b| / (|a|+|b|)`, in `0..=1`; 0 when both are empty.
pub(crate) fn dice(a: &[u32], b: &[u32]) -> f64 {
    dice_of(common(a, b), a, b)
}

/// The most [`dice`] of `a` and `b` can be, from their sizes alone (every
/// word of the smaller one shared): a pair below a threshold by this bound
/// is below it, and its words need not be compared.
pub(crate) fn dice_bound(a: &[u32], b: &[u32]) -> f64 {
    dice_of(a.len().min(b.len()), a, b)
}

/// [`dice`] of `a` and `b` with their [`common`] count already known.
pub(crate) fn dice_of(common: usize, a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 0.0;
    }
    2.0 * common as f64 / (a.len() + b.len()) as f64
}

/// Share of `part`'s words also in a whole, given their [`common`] count;
/// 0 for an empty part.
pub(crate) fn containment_of(common: usize, part: &[u32]) -> f64 {
    if part.is_empty() {
        return 0.0;
    }
    common as f64 / part.len() as f64
}

/// Multiset union (sum) of several bags, sorted.
pub(crate) fn sum<'a>(bags: impl Iterator<Item = &'a Bag>) -> Bag {
    let mut out: Bag = bags.flat_map(|b| b.iter().copied()).collect();
    out.sort_unstable();
    out
}

/// Pairs `(old, new)` worth scoring between two sets of blocks.
///
/// Small regions get every combination. Large ones get, for each block, the
/// blocks on the other side that share its rarest words (looked up in both
/// directions, so the result does not depend on which side is "old").
pub(crate) fn candidate_pairs(
    olds: &[usize],
    news: &[usize],
    old_bags: &Bags,
    new_bags: &Bags,
) -> Vec<(usize, usize)> {
    if olds.len().saturating_mul(news.len()) <= ALL_PAIRS_LIMIT {
        return olds
            .iter()
            .flat_map(|&o| news.iter().map(move |&n| (o, n)))
            .collect();
    }
    // `probe` answers `(indexed, query)`: indexing the new side gives
    // `(new, old)`, to be turned round; indexing the old side gives
    // `(old, new)` as it is.
    let mut pairs: Vec<(usize, usize)> = probe(news, new_bags, olds, old_bags)
        .into_iter()
        .map(|(n, o)| (o, n))
        .collect();
    pairs.extend(probe(olds, old_bags, news, new_bags));
    sorted_unique(pairs)
}

/// `pairs` sorted, without repeats: grouped by old block first (a counting
/// pass; old blocks are indexes of one document), then each group's few new
/// blocks sorted. On a rewritten document there are tens of thousands of
/// pairs, and one sort of them all was a large part of finding them.
fn sorted_unique(pairs: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    let Some(last) = pairs.iter().map(|&(o, _)| o).max() else {
        return pairs;
    };
    // `start[o]..start[o + 1]` will hold the new blocks paired with `o`.
    let mut start = vec![0usize; last + 2];
    for &(o, _) in &pairs {
        start[o + 1] += 1;
    }
    for o in 0..=last {
        start[o + 1] += start[o];
    }
    let mut next = start.clone();
    let mut news = vec![0usize; pairs.len()];
    for &(o, n) in &pairs {
        news[next[o]] = n;
        next[o] += 1;
    }
    let mut out = Vec::with_capacity(pairs.len());
    for o in 0..=last {
        let group = &mut news[start[o]..start[o + 1]];
        group.sort_unstable();
        for (k, &n) in group.iter().enumerate() {
            if k == 0 || group[k - 1] != n {
                out.push((o, n));
            }
        }
    }
    out
}

/// For each query block, the indexed blocks sharing most of its rare words,
/// as `(indexed, query)` pairs.
fn probe(
    indexed: &[usize],
    indexed_bags: &Bags,
    queries: &[usize],
    query_bags: &Bags,
) -> Vec<(usize, usize)> {
    let postings = Postings::new(indexed, indexed_bags);
    let mut out = Vec::new();
    // Probe words shared with each indexed block, for the current query;
    // `touched` lists the blocks with a count, to reset only those.
    let mut hits = vec![0u32; indexed.iter().max().map_or(0, |&i| i + 1)];
    let mut touched: Vec<usize> = Vec::new();
    let mut probes: Vec<(usize, u32)> = Vec::new();
    let mut best: Vec<usize> = Vec::new();
    for &q in queries {
        probes.clear();
        for w in distinct(&query_bags[q]) {
            let len = postings.blocks(w).len();
            if (1..=MAX_POSTING).contains(&len) {
                probes.push((len, w));
            }
        }
        // The rarest words: only which ones matters (every key is distinct,
        // so the set is the same as the first of a full sort).
        for &(_, w) in smallest(&mut probes, RARE_PROBES).iter() {
            for &i in postings.blocks(w) {
                if hits[i] == 0 {
                    touched.push(i);
                }
                hits[i] += 1;
            }
        }
        // Most shared probe words first, then the earliest block (in no
        // particular order: `candidate_pairs` sorts them all).
        most_shared(&touched, &hits, &mut best);
        out.extend(best.iter().map(|&i| (i, q)));
        for i in touched.drain(..) {
            hits[i] = 0;
        }
    }
    out
}

/// Sets `best` to the [`MAX_CANDIDATES`] blocks of `touched` with the most
/// probe words (`hits`, from 1 to [`RARE_PROBES`]), the earliest first among
/// equals: the smallest `(Reverse(hits), block)`, in no particular order.
/// Counted by number of hits rather than selected among all the touched
/// blocks (hundreds for each block of a rewritten document).
fn most_shared(touched: &[usize], hits: &[u32], best: &mut Vec<usize>) {
    best.clear();
    if touched.len() <= MAX_CANDIDATES {
        best.extend_from_slice(touched);
        return;
    }
    let mut count = [0usize; RARE_PROBES + 1];
    for &i in touched {
        count[hits[i] as usize] += 1;
    }
    // Every block with more hits than `h` is taken; of those with exactly
    // `h`, the earliest that still fit.
    let (mut h, mut above) = (RARE_PROBES, 0);
    while above + count[h] < MAX_CANDIDATES {
        above += count[h];
        h -= 1;
    }
    // (The loop stops at 1 at the latest: more than `MAX_CANDIDATES` blocks
    // were touched, each at least once.)
    let h = h as u32;
    best.extend(touched.iter().copied().filter(|&i| hits[i] > h));
    let boundary = best.len();
    best.extend(touched.iter().copied().filter(|&i| hits[i] == h));
    let room = MAX_CANDIDATES - above;
    smallest(&mut best[boundary..], room);
    best.truncate(boundary + room);
}

/// The `k` smallest items of `items` (all of them when there are fewer), in
/// no particular order: a partial selection rather than a sort.
fn smallest<T: Ord>(items: &mut [T], k: usize) -> &mut [T] {
    if items.len() > k {
        items.select_nth_unstable(k);
    }
    let k = k.min(items.len());
    &mut items[..k]
}

/// The distinct words of a sorted bag, in order.
fn distinct(bag: &[u32]) -> impl Iterator<Item = u32> + '_ {
    bag.iter()
        .enumerate()
        .filter(|&(k, &w)| k == 0 || bag[k - 1] != w)
        .map(|(_, &w)| w)
}

/// An inverted index: for each word, the blocks that hold it, in the order
/// they were given. Word ids are small and dense, so it is two arrays rather
/// than a map of lists.
struct Postings {
    /// The blocks holding word `w` are `blocks[start[w]..start[w + 1]]`.
    start: Vec<usize>,
    blocks: Vec<usize>,
}

impl Postings {
    fn new(indexed: &[usize], bags: &Bags) -> Postings {
        // Bags are sorted: the last word is the largest.
        let words = indexed
            .iter()
            .filter_map(|&i| bags[i].last())
            .max()
            .map_or(0, |&w| w as usize + 1);
        let mut start = vec![0usize; words + 1];
        for &i in indexed {
            for w in distinct(&bags[i]) {
                start[w as usize + 1] += 1;
            }
        }
        for w in 0..words {
            start[w + 1] += start[w];
        }
        let mut next = start.clone();
        let mut blocks = vec![0usize; start[words]];
        for &i in indexed {
            for w in distinct(&bags[i]) {
                blocks[next[w as usize]] = i;
                next[w as usize] += 1;
            }
        }
        Postings { start, blocks }
    }

    /// The blocks holding word `w` (none for a word no indexed block has).
    fn blocks(&self, w: u32) -> &[usize] {
        let w = w as usize;
        match self.start.get(w..w + 2) {
            Some(&[from, to]) => &self.blocks[from..to],
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The size of the multiset intersection of two sorted bags by its
    /// definition: for each word, the fewer of its occurrences in either.
    fn shared_by_counting(a: &[u32], b: &[u32]) -> usize {
        let count = |bag: &[u32], w: u32| bag.iter().filter(|&&x| x == w).count();
        let mut words: Vec<u32> = a.to_vec();
        words.dedup();
        words.iter().map(|&w| count(a, w).min(count(b, w))).sum()
    }

    proptest::proptest! {
        /// The merge counts the multiset intersection of two sorted bags.
        #[test]
        fn common_counts_shared_words_with_repetition(
            mut a in proptest::collection::vec(0u32..20, 0..40),
            mut b in proptest::collection::vec(0u32..20, 0..40),
        ) {
            a.sort_unstable();
            b.sort_unstable();
            proptest::prop_assert_eq!(common(&a, &b), shared_by_counting(&a, &b));
        }
    }

    proptest::proptest! {
        /// Bags are the lower-cased alphanumeric runs, ids included, on ASCII
        /// text (byte by byte) and on text with letters, digits, spaces and
        /// punctuation beyond ASCII.
        #[test]
        fn bags_are_the_lower_cased_alphanumeric_runs(texts in proptest::collection::vec("[a-zA-Z0-9 ,.'\\-éÉßẞİΣσ٣\u{a0}“”—日本ǅ]{0,60}", 1..6)) {
            let mut fast = Words::default();
            let mut general = Words::default();
            for t in &texts {
                let general_bag: Bag = {
                    let mut bag: Bag = t
                        .split(|c: char| !c.is_alphanumeric())
                        .filter(|w| !w.is_empty())
                        .map(|w| {
                            let next = general.ids.len() as u32;
                            *general.ids.entry(Cow::Owned(w.to_lowercase())).or_insert(next)
                        })
                        .collect();
                    bag.sort_unstable();
                    bag
                };
                proptest::prop_assert_eq!(fast.bag(t), general_bag);
            }
        }
    }

    proptest::proptest! {
        /// Looking the words of a small bag up in a large one counts what the
        /// merge counts, repeated words included.
        #[test]
        fn galloping_counts_what_the_merge_counts(
            mut small in proptest::collection::vec(0u32..300, 0..12),
            mut big in proptest::collection::vec(0u32..300, 0..400),
        ) {
            small.sort_unstable();
            big.sort_unstable();
            let expected = shared_by_counting(&small, &big);
            proptest::prop_assert_eq!(common_galloping(&small, &big), expected);
            proptest::prop_assert_eq!(common(&small, &big), expected);
            proptest::prop_assert_eq!(common(&big, &small), expected);
        }

        /// Counting by hits picks what selecting the smallest
        /// `(Reverse(hits), block)` picks.
        #[test]
        fn most_shared_blocks_are_the_smallest_keys(
            hits_of in proptest::collection::vec(0u32..=RARE_PROBES as u32, 0..200),
        ) {
            let touched: Vec<usize> = (0..hits_of.len()).filter(|&i| hits_of[i] > 0).collect();
            let mut best = Vec::new();
            most_shared(&touched, &hits_of, &mut best);
            best.sort_unstable();
            let mut keys: Vec<(std::cmp::Reverse<u32>, usize)> =
                touched.iter().map(|&i| (std::cmp::Reverse(hits_of[i]), i)).collect();
            keys.sort_unstable();
            let mut expected: Vec<usize> =
                keys.iter().take(MAX_CANDIDATES).map(|&(_, i)| i).collect();
            expected.sort_unstable();
            proptest::prop_assert_eq!(best, expected);
        }

        /// The counting sort of candidate pairs is a sort and a dedup.
        #[test]
        fn candidate_pairs_come_sorted_and_unique(
            pairs in proptest::collection::vec((0usize..50, 0usize..50), 0..300),
        ) {
            let mut expected = pairs.clone();
            expected.sort_unstable();
            expected.dedup();
            proptest::prop_assert_eq!(sorted_unique(pairs), expected);
        }
    }

    #[test]
    fn words_are_lower_cased_as_words() {
        let mut w = Words::default();
        // A final capital sigma lower-cases to `ς`, as `str::to_lowercase`
        // has it, not to `σ` as the character alone would.
        assert_eq!(w.bag("ΟΔΟΣ"), w.bag("οδος"));
        assert_ne!(w.bag("ΟΔΟΣ"), w.bag("οδοσ"));
        assert_eq!(w.bag("Café “Déjà” vu"), w.bag("café déjà VU"));
    }

    #[test]
    fn dice_counts_repeated_words() {
        let mut w = Words::default();
        let a = w.bag("the cat and the dog");
        let b = w.bag("The dog and a cat");
        assert_eq!(common(&a, &b), 4);
        assert!((dice(&a, &b) - 0.8).abs() < 1e-9);
        assert_eq!(dice(&[], &[]), 0.0);
        let part = w.bag("cat dog");
        assert_eq!(containment_of(common(&part, &a), &part), 1.0);
    }

    /// Regression: the index answered `(new, old)` instead of `(old, new)`,
    /// which read past the end of the shorter side (a panic on a real pair
    /// of revisions) and scored the wrong blocks against each other.
    #[test]
    fn index_pairs_are_old_then_new_when_sides_differ_in_size() {
        let mut w = Words::default();
        let texts: Vec<String> = (0..300)
            .map(|i| format!("shared words here unique{i} marker{i} tail{i}"))
            .collect();
        let old_bags: Bags = texts.iter().map(|t| w.bag(t)).collect();
        // The new side: 100 blocks, the old blocks 200..300 in order.
        let new_bags: Bags = texts[200..].iter().map(|t| w.bag(t)).collect();
        let olds: Vec<usize> = (0..300).collect();
        let news: Vec<usize> = (0..100).collect();
        let pairs = candidate_pairs(&olds, &news, &old_bags, &new_bags);
        assert!(pairs.iter().all(|&(o, n)| o < 300 && n < 100));
        for n in 0..100 {
            assert!(pairs.contains(&(200 + n, n)), "missing ({}, {n})", 200 + n);
        }
    }

    #[test]
    fn index_finds_the_matching_block_among_many() {
        let mut w = Words::default();
        let texts: Vec<String> = (0..200)
            .map(|i| format!("common words here unique{i} marker{i} tail{i}"))
            .collect();
        let old_bags: Bags = texts.iter().map(|t| w.bag(t)).collect();
        let new_bags: Bags = texts.iter().rev().map(|t| w.bag(t)).collect();
        let olds: Vec<usize> = (0..200).collect();
        let news: Vec<usize> = (0..200).collect();
        let pairs = candidate_pairs(&olds, &news, &old_bags, &new_bags);
        assert!(pairs.len() < 200 * 20, "index must prune: {}", pairs.len());
        for o in 0..200 {
            assert!(pairs.contains(&(o, 199 - o)));
        }
    }
}
