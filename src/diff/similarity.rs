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

/// Dice coefficient `2|a∩b| / (|a|+|b|)`, in `0..=1`; 0 when both are empty.
pub(crate) fn dice(a: &[u32], b: &[u32]) -> f64 {
    dice_of(common(a, b), a, b)
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
    pairs.sort_unstable();
    pairs.dedup();
    pairs
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
    let mut ranked: Vec<(std::cmp::Reverse<u32>, usize)> = Vec::new();
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
        // Most shared probe words first, then the earliest block.
        ranked.clear();
        ranked.extend(touched.iter().map(|&i| (std::cmp::Reverse(hits[i]), i)));
        let best = smallest(&mut ranked, MAX_CANDIDATES);
        best.sort_unstable();
        out.extend(best.iter().map(|&(_, i)| (i, q)));
        for i in touched.drain(..) {
            hits[i] = 0;
        }
    }
    out
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

    proptest::proptest! {
        /// The merge counts the multiset intersection of two sorted bags.
        #[test]
        fn common_counts_shared_words_with_repetition(
            mut a in proptest::collection::vec(0u32..20, 0..40),
            mut b in proptest::collection::vec(0u32..20, 0..40),
        ) {
            a.sort_unstable();
            b.sort_unstable();
            let expected: usize = (0..20u32)
                .map(|w| {
                    let count = |bag: &[u32]| bag.iter().filter(|&&x| x == w).count();
                    count(&a).min(count(&b))
                })
                .sum();
            proptest::prop_assert_eq!(common(&a, &b), expected);
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
