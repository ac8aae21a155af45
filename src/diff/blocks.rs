//! Body diff: which old block became which new block, and how.
//!
//! This is the heart of the redline. It works in stages, each one only on
//! what the previous stages left unexplained:
//!
//! 1. **Align** the sequences of block keys (kind + canonical text, interned
//!    to small integers so comparison is cheap) by patience alignment under
//!    the deadline (`align`). Aligned blocks are equal, or cosmetic when
//!    their raw text differs.
//! 2. **Identical blocks elsewhere**: an unaligned block whose key is also
//!    unaligned on the other side is the same block, moved (found through a
//!    hash map, first with first). Doing this before pairing keeps a moved
//!    paragraph from being mistaken for an edit of whatever now stands in its
//!    old place.
//! 3. **Splits and merges** (one old block ≈ several consecutive new blocks
//!    joined, or the reverse; [`SPLIT_MIN_SIMILARITY`]), then, **inside each
//!    unaligned stretch** (the gap between two blocks that kept their order),
//!    monotone pairing of the remaining blocks by word similarity
//!    ([`PAIR_MIN_SIMILARITY`]).
//! 4. **Across the document**, similar blocks still unpaired
//!    ([`MOVE_MIN_SIMILARITY`]), found through an inverted index of rare words
//!    (never all pairs on large inputs).
//! 5. **Order**: over every match found, the heaviest set that kept its
//!    relative order (most blocks, then unchanged ones, then the most text)
//!    stays in place; every other 1:1 match is a move. A block that merely
//!    sits next to insertions or deletions is therefore never a move.
//!
//! Ops come out in reading order of the new document; a deleted block is
//! placed right after the in-place block that preceded it in the old one.
//! Pairing and moves only join blocks of the same kind: a paragraph turned
//! into a quote reads as a deletion and an insertion.

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::hash::BuildHasher;
use std::ops::Range;
use std::rc::Rc;
use std::time::Instant;

use hashbrown::HashTable;
use rustc_hash::{FxBuildHasher, FxHashMap};

use super::align::align;
use super::canon::canonical_key_cow;
use super::model::{BlockOp, BodyStats, Indexes, OpChange, OpKind};
use super::order::heaviest_increasing_by;
use super::similarity::{
    Bag, Bags, Words, candidate_pairs, common, containment_of, dice, dice_bound, dice_of, sum,
};
use super::words::word_diff;
use crate::document::{Block, BlockKind, Text};
use crate::parallel::both;

/// Minimum word similarity (Dice over word multisets) for an old and a new
/// block in the same unaligned stretch to be the same block, edited. Position
/// is evidence too, so this is lower than [`MOVE_MIN_SIMILARITY`]; below it, a
/// rewritten paragraph is reported as deleted + inserted.
pub(crate) const PAIR_MIN_SIMILARITY: f64 = 0.5;

/// Minimum word similarity for a block found elsewhere in the document to be
/// the same block, moved and edited. Without positional evidence, demand more.
pub(crate) const MOVE_MIN_SIMILARITY: f64 = 0.6;

/// Minimum similarity between a block and the joined pieces it was split into
/// (or merged from). A split must also beat the best single piece.
pub(crate) const SPLIT_MIN_SIMILARITY: f64 = 0.8;

/// Share of a piece's words that must come from the whole for the piece to be
/// part of a split or merge.
pub(crate) const PIECE_MIN_CONTAINMENT: f64 = 0.75;

/// At most this many pieces in one split or merge.
const MAX_PIECES: usize = 8;

/// Separator of several blocks' texts in `old_text` / `new_text`.
pub(crate) const BLOCK_SEPARATOR: &str = "\n\n";

/// The body part of a `DocDiff`.
pub(crate) struct BodyDiff {
    pub ops: Vec<BlockOp>,
    pub stats: BodyStats,
}

/// Diffs two bodies, keyed here.
pub(crate) fn diff_body(old: &[Block], new: &[Block], deadline: Option<Instant>) -> BodyDiff {
    let (old_keys, new_keys) = body_keys_of_both(old, new);
    diff_keyed_body(old, &old_keys, new, &new_keys, deadline)
}

/// Diffs two bodies whose keys ([`BodyKeys::of`]) are already computed.
pub(crate) fn diff_keyed_body(
    old: &[Block],
    old_keys: &BodyKeys,
    new: &[Block],
    new_keys: &BodyKeys,
    deadline: Option<Instant>,
) -> BodyDiff {
    let mut engine = Engine::new(
        Canon::new(old, old_keys),
        Canon::new(new, new_keys),
        deadline,
    );
    engine.align();
    engine.match_identical();
    engine.compute_bags();
    engine.find_splits_and_merges();
    for (olds, news) in engine.stretches() {
        engine.process_stretch(&olds, &news);
    }
    engine.match_similar_anywhere();
    engine.finish()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// One old block, one new block.
    Pair,
    /// One old block, several consecutive new blocks.
    Split,
    /// Several consecutive old blocks, one new block.
    Merge,
}

/// A match between old and new blocks.
#[derive(Debug, Clone)]
struct Unit {
    shape: Shape,
    old: Range<usize>,
    new: Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Old,
    New,
}

struct Engine<'a> {
    old: &'a [Block],
    new: &'a [Block],
    deadline: Option<Instant>,
    /// Interned block keys (kind + canonical text).
    old_ids: Vec<u32>,
    new_ids: Vec<u32>,
    /// Number of distinct keys: ids are `0..key_count`.
    key_count: usize,
    old_canon: Canon<'a>,
    new_canon: Canon<'a>,
    /// Unit each block belongs to, if matched (32 bits: these are
    /// per-block arrays, and a unit number never exceeds a block number).
    old_unit: Vec<Option<u32>>,
    new_unit: Vec<Option<u32>>,
    units: Vec<Unit>,
    /// Word bags, filled only for blocks left unmatched by stages 1 and 2.
    old_bags: Bags,
    new_bags: Bags,
    /// The last candidate search: the free blocks it was given and what it
    /// found. On a rewritten document the split stage and the one stretch
    /// between the ends ask for the same blocks, and the search is a large
    /// part of the work.
    last_candidates: Option<(Vec<usize>, Vec<usize>, Candidates)>,
}

/// Candidate `(old, new)` pairs from one search, shared by the stages that
/// ask for the same blocks.
type Candidates = Rc<Vec<(usize, usize)>>;

/// Blocks per side from which the two sides' keys are computed on two
/// threads: keying is the engine's largest single cost on big documents.
const PARALLEL_KEYS_MIN_BLOCKS: usize = 2_000;

/// One side's canonical block keys (kind aside) and their hashes: what the
/// engine computes first for each side, on its own so that a caller that
/// holds each side on a thread of its own (the command comparing two files)
/// can compute it there, while the text is fresh in the cache.
///
/// A block's key is its own text when that is already canonical (nearly
/// always), else a text made for it: four bytes a block instead of a
/// string or a reference each.
#[derive(Debug)]
pub struct BodyKeys {
    /// Per block, an index into `made`, or [`BodyKeys::OWN`].
    which: Vec<u32>,
    made: Vec<String>,
    /// Per block, the hash of its kind and key.
    hashes: Vec<u64>,
}

impl BodyKeys {
    const OWN: u32 = u32::MAX;

    /// The keys of `blocks`.
    pub fn of(blocks: &[Block]) -> BodyKeys {
        let mut made = Vec::new();
        let which: Vec<u32> = blocks
            .iter()
            .map(|b| {
                // Known plain: already canonical (and checked when read).
                if b.text.known_plain() {
                    return BodyKeys::OWN;
                }
                match canonical_key_cow(&b.text) {
                    // The whole text, unchanged.
                    Cow::Borrowed(key) if key.len() == b.text.len() => BodyKeys::OWN,
                    key => {
                        made.push(key.into_owned());
                        (made.len() - 1) as u32
                    }
                }
            })
            .collect();
        let mut keys = BodyKeys {
            which,
            made,
            hashes: Vec::new(),
        };
        let canon = Canon::new(blocks, &keys);
        let hashes = blocks
            .iter()
            .zip(canon.iter())
            .map(|(b, c)| FxBuildHasher.hash_one((b.kind, c)))
            .collect();
        keys.hashes = hashes;
        keys
    }
}

/// Keys of both sides, in parallel when the documents are large.
fn body_keys_of_both(old: &[Block], new: &[Block]) -> (BodyKeys, BodyKeys) {
    let parallel = old.len().max(new.len()) >= PARALLEL_KEYS_MIN_BLOCKS;
    both(parallel, || BodyKeys::of(old), || BodyKeys::of(new))
}

/// Interns both sides' keys (kind and canonical text) to small integers:
/// equal keys get one id, ids numbered in order of first appearance, the
/// old side first. Returns the ids of each side and the number of ids.
///
/// The table holds `(id, block)` pairs, blocks numbered across both sides
/// (old ones first), and compares keys through the sides' arrays: 8 bytes an
/// entry instead of a copy of each key, which on large documents kept the
/// table out of the cache.
fn intern(old: &Canon, new: &Canon) -> (Vec<u32>, Vec<u32>, usize) {
    let key = |g: u32| -> (u64, BlockKind, &str) {
        let g = g as usize;
        let (side, i) = match g.checked_sub(old.len()) {
            None => (old, g),
            Some(i) => (new, i),
        };
        (side.keys.hashes[i], side.blocks[i].kind, &side[i])
    };
    // Room for the old side's keys and a few new ones: two versions of a
    // document share most of their keys, and the table grows if they do not
    // (a table for both sides' worth would be twice the fresh memory).
    let mut table: HashTable<(u32, u32)> = HashTable::with_capacity(old.len() + new.len() / 16);
    let mut count: u32 = 0;
    let mut ids = |side: &Canon, first: usize| -> Vec<u32> {
        let mut out = Vec::with_capacity(side.len());
        for (i, b) in side.blocks.iter().enumerate() {
            let this = (side.keys.hashes[i], b.kind, &side[i]);
            let found = table.find(this.0, |&(_, g)| key(g) == this);
            out.push(match found {
                Some(&(id, _)) => id,
                None => {
                    let id = count;
                    count += 1;
                    table.insert_unique(this.0, (id, (first + i) as u32), |&(_, g)| key(g).0);
                    id
                }
            });
        }
        out
    };
    let old_ids = ids(old, 0);
    let new_ids = ids(new, old.len());
    (old_ids, new_ids, count as usize)
}

/// One side's blocks with their keys.
#[derive(Clone, Copy)]
struct Canon<'a> {
    blocks: &'a [Block],
    keys: &'a BodyKeys,
}

impl<'a> Canon<'a> {
    fn new(blocks: &'a [Block], keys: &'a BodyKeys) -> Canon<'a> {
        // A caller's mistake, not bad input: keys of another body.
        assert_eq!(keys.which.len(), blocks.len(), "body keys of another body");
        Canon { blocks, keys }
    }

    fn len(&self) -> usize {
        self.blocks.len()
    }

    fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        (0..self.len()).map(|i| self.key(i))
    }

    /// The key of block `i`.
    fn key(&self, i: usize) -> &'a str {
        match self.keys.which[i] {
            BodyKeys::OWN => self.blocks[i].text.as_str(),
            k => &self.keys.made[k as usize],
        }
    }
}

impl std::ops::Index<usize> for Canon<'_> {
    type Output = str;
    fn index(&self, i: usize) -> &str {
        self.key(i)
    }
}

impl<'a> Engine<'a> {
    fn new(old_canon: Canon<'a>, new_canon: Canon<'a>, deadline: Option<Instant>) -> Self {
        let (old, new) = (old_canon.blocks, new_canon.blocks);
        // Intern keys to small integers: exact (no hash collisions) and cheap
        // to compare during alignment. FxHash, computed with the keys: SipHash
        // would dominate on long documents, and the keys are not
        // hash-flooding input in any way that matters for a local CLI.
        let (old_ids, new_ids, key_count) = intern(&old_canon, &new_canon);
        Engine {
            key_count,
            old,
            new,
            deadline,
            old_ids,
            new_ids,
            old_canon,
            new_canon,
            old_unit: vec![None; old.len()],
            new_unit: vec![None; new.len()],
            units: Vec::with_capacity(old.len().min(new.len())),
            old_bags: Bags::default(),
            new_bags: Bags::default(),
            last_candidates: None,
        }
    }

    fn add(&mut self, shape: Shape, old: Range<usize>, new: Range<usize>) {
        let id = self.units.len();
        for o in old.clone() {
            debug_assert!(self.old_unit[o].is_none());
            self.old_unit[o] = Some(id as u32);
        }
        for n in new.clone() {
            debug_assert!(self.new_unit[n].is_none());
            self.new_unit[n] = Some(id as u32);
        }
        self.units.push(Unit { shape, old, new });
    }

    fn is_free(&self, side: Side, i: usize) -> bool {
        match side {
            Side::Old => self.old_unit[i].is_none(),
            Side::New => self.new_unit[i].is_none(),
        }
    }

    fn bag(&self, side: Side, i: usize) -> &Bag {
        match side {
            Side::Old => &self.old_bags[i],
            Side::New => &self.new_bags[i],
        }
    }

    /// Stage 1: align key sequences.
    fn align(&mut self) {
        let pairs = align(&self.old_ids, &self.new_ids, self.key_count, self.deadline);
        for (o, n) in pairs {
            self.add(Shape::Pair, o..o + 1, n..n + 1);
        }
    }

    /// Stage 2: identical unaligned blocks on both sides are the same block.
    fn match_identical(&mut self) {
        let mut by_id: FxHashMap<u32, VecDeque<usize>> = FxHashMap::default();
        for o in 0..self.old.len() {
            if self.old_unit[o].is_none() {
                by_id.entry(self.old_ids[o]).or_default().push_back(o);
            }
        }
        if by_id.is_empty() {
            return;
        }
        for n in 0..self.new.len() {
            if self.new_unit[n].is_none()
                && let Some(o) = by_id
                    .get_mut(&self.new_ids[n])
                    .and_then(VecDeque::pop_front)
            {
                self.add(Shape::Pair, o..o + 1, n..n + 1);
            }
        }
    }

    /// Word bags of every block still unmatched.
    fn compute_bags(&mut self) {
        let mut words = Words::default();
        let old_bags = bags(&self.old_canon, &self.old_unit, &mut words);
        let new_bags = bags(&self.new_canon, &self.new_unit, &mut words);
        (self.old_bags, self.new_bags) = (old_bags, new_bags);
    }

    /// Weight of a unit when choosing which matches stayed in place: the
    /// number of units first, then unchanged ones, then the amount of text.
    fn weight(&self, u: &Unit) -> u128 {
        let unchanged =
            u.shape == Shape::Pair && self.old_ids[u.old.start] == self.new_ids[u.new.start];
        let size: usize = u.old.clone().map(|o| self.old[o].text.len()).sum::<usize>()
            + u.new.clone().map(|n| self.new[n].text.len()).sum::<usize>();
        (1u128 << 80) + (u128::from(unchanged) << 50) + size.min(1 << 20) as u128
    }

    /// Which units kept their relative order.
    fn in_order(&self) -> Vec<bool> {
        // Units in order of their first old block (every unit has one).
        let ids: Vec<u32> = (0..self.old.len())
            .filter_map(|o| {
                let u = self.old_unit[o]?;
                (self.units[u as usize].old.start == o).then_some(u)
            })
            .collect();
        let unit = |k: usize| &self.units[ids[k] as usize];
        let keep =
            heaviest_increasing_by(ids.len(), |k| unit(k).new.start, |k| self.weight(unit(k)));
        let mut out = vec![false; self.units.len()];
        for (k, &u) in ids.iter().enumerate() {
            out[u as usize] = keep[k];
        }
        out
    }

    /// The unmatched blocks between consecutive in-order units.
    fn stretches(&self) -> Vec<(Vec<usize>, Vec<usize>)> {
        let keep = self.in_order();
        let mut chain: Vec<&Unit> = self
            .units
            .iter()
            .zip(&keep)
            .filter(|(_, k)| **k)
            .map(|(u, _)| u)
            .collect();
        chain.sort_by_key(|u| u.old.start);
        let mut out = Vec::new();
        let (mut o0, mut n0) = (0, 0);
        let bounds = chain
            .iter()
            .map(|u| (u.old.start, u.new.start, u.old.end, u.new.end))
            .chain(std::iter::once((
                self.old.len(),
                self.new.len(),
                self.old.len(),
                self.new.len(),
            )));
        for (o1, n1, o_end, n_end) in bounds {
            // Most gaps between in-order units are empty on one side.
            if o0 < o1 && n0 < n1 {
                let olds: Vec<usize> = (o0..o1).filter(|&o| self.old_unit[o].is_none()).collect();
                let news: Vec<usize> = (n0..n1).filter(|&n| self.new_unit[n].is_none()).collect();
                if !olds.is_empty() && !news.is_empty() {
                    out.push((olds, news));
                }
            }
            o0 = o_end;
            n0 = n_end;
        }
        out
    }

    /// Candidate `(old, new)` pairs of the same kind with non-empty bags.
    fn candidates(&mut self, olds: &[usize], news: &[usize]) -> Candidates {
        let olds: Vec<usize> = olds
            .iter()
            .copied()
            .filter(|&o| self.is_free(Side::Old, o) && !self.old_bags[o].is_empty())
            .collect();
        let news: Vec<usize> = news
            .iter()
            .copied()
            .filter(|&n| self.is_free(Side::New, n) && !self.new_bags[n].is_empty())
            .collect();
        // Bags do not change once computed: the same blocks give the same
        // candidates.
        if let Some((o, n, found)) = &self.last_candidates
            && *o == olds
            && *n == news
        {
            return Rc::clone(found);
        }
        let mut found = candidate_pairs(&olds, &news, &self.old_bags, &self.new_bags);
        found.retain(|&(o, n)| self.old[o].kind == self.new[n].kind);
        let found = Rc::new(found);
        self.last_candidates = Some((olds, news, Rc::clone(&found)));
        found
    }

    /// The candidates whose word bags are at least `min` alike ([`dice`]),
    /// most alike first, then by old and new block. (Pairs whose sizes
    /// alone keep them under `min` are not compared word by word.)
    fn similar_pairs(&self, cands: &[(usize, usize)], min: f64) -> Vec<(usize, usize)> {
        let mut scored: Vec<(f64, usize, usize)> = cands
            .iter()
            .filter(|&&(o, n)| dice_bound(&self.old_bags[o], &self.new_bags[n]) >= min)
            .map(|&(o, n)| (dice(&self.old_bags[o], &self.new_bags[n]), o, n))
            .filter(|&(s, _, _)| s >= min)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        scored.into_iter().map(|(_, o, n)| (o, n)).collect()
    }

    /// Stage 3a: splits and merges among all unmatched blocks.
    ///
    /// Not limited to one stretch: which stretch a split lands in depends on
    /// which of two swapped neighbours counts as moved, and the split must be
    /// found either way (and in both directions of a diff). The piece and
    /// similarity conditions are strict enough not to need position.
    fn find_splits_and_merges(&mut self) {
        let olds: Vec<usize> = (0..self.old.len())
            .filter(|&o| self.is_free(Side::Old, o))
            .collect();
        let news: Vec<usize> = (0..self.new.len())
            .filter(|&n| self.is_free(Side::New, n))
            .collect();
        // A split's pieces are two or more consecutive new blocks, a merge's
        // two or more consecutive old ones, all unmatched: with no two
        // unmatched blocks next to each other on either side (a document
        // whose edits are single paragraphs here and there), there is
        // nothing to look for.
        let adjacent = |free: &[usize]| free.windows(2).any(|w| w[1] == w[0] + 1);
        if !adjacent(&olds) && !adjacent(&news) {
            return;
        }
        // Words in common, once per candidate for both directions.
        let cands: Vec<(usize, usize, usize)> = self
            .candidates(&olds, &news)
            .iter()
            .map(|&(o, n)| (o, n, common(&self.old_bags[o], &self.new_bags[n])))
            .collect();
        let mut groups = self.group_candidates(&cands, Side::Old);
        groups.extend(self.group_candidates(&cands, Side::New));
        // Best first, so overlapping candidates (a split that could also be
        // read as a merge) resolve the same way in both diff directions.
        groups.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then(a.2.start.cmp(&b.2.start))
                .then(a.3.start.cmp(&b.3.start))
        });
        for (_, shape, old, new) in groups {
            let free = old.clone().all(|o| self.is_free(Side::Old, o))
                && new.clone().all(|n| self.is_free(Side::New, n));
            if free {
                self.add(shape, old, new);
            }
        }
    }

    /// Stage 3b: in-order pairing of similar blocks inside one stretch.
    fn process_stretch(&mut self, olds: &[usize], news: &[usize]) {
        let cands = self.candidates(olds, news);
        // Pairs accepted so far, old → new, to keep the pairing monotone.
        let mut placed: BTreeMap<usize, usize> = BTreeMap::new();
        for (o, n) in self.similar_pairs(&cands, PAIR_MIN_SIMILARITY) {
            if !self.is_free(Side::Old, o) || !self.is_free(Side::New, n) {
                continue;
            }
            let before_ok = placed.range(..o).next_back().is_none_or(|(_, &m)| m < n);
            let after_ok = placed.range(o + 1..).next().is_none_or(|(_, &m)| m > n);
            if before_ok && after_ok {
                self.add(Shape::Pair, o..o + 1, n..n + 1);
                placed.insert(o, n);
            }
        }
    }

    /// Candidate splits (`whole` = old side) or merges (`whole` = new side):
    /// a block whose words are those of several consecutive blocks on the
    /// other side, each mostly made of the whole's words. Returns
    /// `(score, shape, old range, new range)`, at most one per whole block.
    fn group_candidates(
        &self,
        cands: &[(usize, usize, usize)],
        whole: Side,
    ) -> Vec<(f64, Shape, Range<usize>, Range<usize>)> {
        let part = match whole {
            Side::Old => Side::New,
            Side::New => Side::Old,
        };
        let mut pieces: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let mut best_single: FxHashMap<usize, f64> = FxHashMap::default();
        for &(o, n, common) in cands {
            let (w, p) = match whole {
                Side::Old => (o, n),
                Side::New => (n, o),
            };
            let (wb, pb) = (self.bag(whole, w), self.bag(part, p));
            let single = best_single.entry(w).or_insert(0.0);
            *single = single.max(dice_of(common, wb, pb));
            if containment_of(common, pb) >= PIECE_MIN_CONTAINMENT {
                pieces.entry(w).or_default().push(p);
            }
        }
        let mut out = Vec::new();
        for (w, mut ps) in pieces {
            if ps.len() < 2 {
                continue;
            }
            ps.sort_unstable();
            let mut best: Option<(f64, usize, usize)> = None;
            let mut start = 0;
            while start < ps.len() {
                // A run of consecutive pieces (candidates share the kind).
                let mut end = start + 1;
                while end < ps.len() && ps[end] == ps[end - 1] + 1 {
                    end += 1;
                }
                for a in start..end {
                    for b in a + 1..end.min(a + MAX_PIECES) {
                        let joined = sum((a..=b).map(|k| self.bag(part, ps[k])));
                        let score = dice(self.bag(whole, w), &joined);
                        if best.is_none_or(|(s, _, _)| score > s) {
                            best = Some((score, ps[a], ps[b]));
                        }
                    }
                }
                start = end;
            }
            if let Some((score, first, last)) = best
                && score >= SPLIT_MIN_SIMILARITY
                && score > best_single[&w]
            {
                out.push(match whole {
                    Side::Old => (score, Shape::Split, w..w + 1, first..last + 1),
                    Side::New => (score, Shape::Merge, first..last + 1, w..w + 1),
                });
            }
        }
        out
    }

    /// Stage 4: similar blocks anywhere in the document.
    fn match_similar_anywhere(&mut self) {
        let olds: Vec<usize> = (0..self.old.len())
            .filter(|&o| self.is_free(Side::Old, o))
            .collect();
        let news: Vec<usize> = (0..self.new.len())
            .filter(|&n| self.is_free(Side::New, n))
            .collect();
        if olds.is_empty() || news.is_empty() {
            return;
        }
        let cands = self.candidates(&olds, &news);
        for (o, n) in self.similar_pairs(&cands, MOVE_MIN_SIMILARITY) {
            if self.is_free(Side::Old, o) && self.is_free(Side::New, n) {
                self.add(Shape::Pair, o..o + 1, n..n + 1);
            }
        }
    }

    /// Stage 5 and output: decide moves, build ops in new reading order.
    fn finish(self) -> BodyDiff {
        let keep = self.in_order();
        // Deleted old blocks, attached to the in-place unit before them.
        let mut leading: Vec<usize> = Vec::new();
        let mut after: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
        let mut anchor: Option<usize> = None;
        for o in 0..self.old.len() {
            match self.old_unit[o].map(|u| u as usize) {
                Some(u) if keep[u] => anchor = Some(u),
                Some(_) => {}
                None => match anchor {
                    Some(u) => after.entry(u).or_default().push(o),
                    None => leading.push(o),
                },
            }
        }
        let mut ops = Vec::with_capacity(self.new.len() + leading.len());
        // Ops whose texts differ, for the word-level diff once all are known.
        let mut edited_ops: Vec<usize> = Vec::new();
        for &o in &leading {
            ops.push(self.deleted(o));
        }
        for n in 0..self.new.len() {
            match self.new_unit[n].map(|u| u as usize) {
                None => ops.push(self.inserted(n)),
                Some(u) if self.units[u].new.start == n => {
                    let (op, edited) = self.unit_op(&self.units[u], keep[u]);
                    if edited {
                        edited_ops.push(ops.len());
                    }
                    ops.push(op);
                    if let Some(dels) = after.get(&u) {
                        for &o in dels {
                            ops.push(self.deleted(o));
                        }
                    }
                }
                Some(_) => {}
            }
        }
        add_word_diffs(&mut ops, &edited_ops, self.deadline);
        let stats = stats(&ops);
        BodyDiff { ops, stats }
    }

    fn deleted(&self, o: usize) -> BlockOp {
        let b = &self.old[o];
        BlockOp {
            op: OpKind::Deleted,
            kind: b.kind,
            old: Indexes::one(o),
            new: Indexes::none(),
            section: b.section.clone(),
            change: Some(Box::new(OpChange {
                old_text: Some(b.text.clone()),
                ..OpChange::default()
            })),
            cosmetic: false,
        }
    }

    fn inserted(&self, n: usize) -> BlockOp {
        let b = &self.new[n];
        BlockOp {
            op: OpKind::Inserted,
            kind: b.kind,
            old: Indexes::none(),
            new: Indexes::one(n),
            section: b.section.clone(),
            change: Some(Box::new(OpChange {
                new_text: Some(b.text.clone()),
                ..OpChange::default()
            })),
            cosmetic: false,
        }
    }

    /// The op of a unit, and whether its texts differ (it then needs its
    /// word-level diff, [`add_word_diffs`]).
    fn unit_op(&self, u: &Unit, in_place: bool) -> (BlockOp, bool) {
        let first_new = &self.new[u.new.start];
        let mut op = BlockOp {
            op: OpKind::Equal,
            kind: first_new.kind,
            old: u.old.clone().collect(),
            new: u.new.clone().collect(),
            section: first_new.section.clone(),
            change: None,
            cosmetic: false,
        };
        let joined = |blocks: &[Block], r: &Range<usize>, sep: &str| -> String {
            let texts: Vec<&str> = blocks[r.clone()].iter().map(|b| b.text.as_str()).collect();
            texts.join(sep)
        };
        let (same_key, same_raw) = match u.shape {
            Shape::Pair => {
                let old_text = &self.old[u.old.start].text;
                let same_key = self.old_ids[u.old.start] == self.new_ids[u.new.start];
                // Texts known plain are their own keys: equal keys, equal
                // texts, without comparing them again.
                let known = old_text.known_plain() && first_new.text.known_plain();
                (same_key, (same_key && known) || *old_text == first_new.text)
            }
            // Pieces compare as if joined by a space: the paragraph break
            // alone is not a word change.
            Shape::Split | Shape::Merge => {
                let canon = |c: &Canon, r: &Range<usize>| {
                    let keys: Vec<&str> = r.clone().map(|i| &c[i]).collect();
                    keys.join(" ")
                };
                (
                    canon(&self.old_canon, &u.old) == canon(&self.new_canon, &u.new),
                    joined(self.old, &u.old, " ") == joined(self.new, &u.new, " "),
                )
            }
        };
        op.op = match u.shape {
            Shape::Split => OpKind::Split,
            Shape::Merge => OpKind::Merged,
            Shape::Pair if !in_place => OpKind::Moved,
            Shape::Pair if same_raw => return (op, false),
            Shape::Pair => OpKind::Modified,
        };
        let old_section = match op.op {
            OpKind::Moved => self.old[u.old.start].section.clone(),
            _ => None,
        };
        // One block's text is shared, not copied; pieces are joined.
        let text = |blocks: &[Block], r: &Range<usize>| -> Text {
            match &blocks[r.clone()] {
                [one] => one.text.clone(),
                _ => joined(blocks, r, BLOCK_SEPARATOR).into(),
            }
        };
        let old_text = text(self.old, &u.old);
        let new_text = text(self.new, &u.new);
        op.cosmetic = !same_raw && same_key;
        op.change = Some(Box::new(OpChange {
            old_section,
            old_text: Some(old_text),
            new_text: Some(new_text),
            words: Vec::new(),
        }));
        (op, !same_raw)
    }
}

/// Word bags of one side's blocks that are not matched yet (the others'
/// bags are empty).
fn bags<'w>(canon: &'w Canon, unit: &[Option<u32>], words: &mut Words<'w>) -> Bags {
    let mut bags = Bags::new(unit.len());
    for (i, u) in unit.iter().enumerate() {
        if u.is_none() {
            bags.set(i, words.bag(&canon[i]));
        }
    }
    bags
}

/// From this many edited blocks up, their word-level diffs are computed on
/// two threads.
const PARALLEL_WORDS_MIN: usize = 32;

/// Fills in the word-level diff of the ops at `edited` (their texts are set).
fn add_word_diffs(ops: &mut [BlockOp], edited: &[usize], deadline: Option<Instant>) {
    let words = |indexes: &[usize]| -> Vec<Vec<super::model::WordOp>> {
        indexes
            .iter()
            .map(|&i| {
                let op = &ops[i];
                let old = op.old_text().map_or("", |t| t.as_str());
                let new = op.new_text().map_or("", |t| t.as_str());
                word_diff(old, new, deadline)
            })
            .collect()
    };
    let (first, second) = edited.split_at(edited.len() / 2);
    let parallel = edited.len() >= PARALLEL_WORDS_MIN;
    let (mut all, rest) = both(parallel, || words(first), || words(second));
    all.extend(rest);
    for (&i, w) in edited.iter().zip(all) {
        if !w.is_empty() {
            ops[i].change_mut().words = w;
        }
    }
}

/// Counts ops by kind.
pub(crate) fn stats(ops: &[BlockOp]) -> BodyStats {
    let mut s = BodyStats::default();
    for op in ops {
        match op.op {
            OpKind::Equal => s.equal += 1,
            OpKind::Modified if op.cosmetic => s.cosmetic += 1,
            OpKind::Modified => s.modified += 1,
            OpKind::Inserted => s.inserted += 1,
            OpKind::Deleted => s.deleted += 1,
            OpKind::Moved => s.moved += 1,
            OpKind::Split => s.split += 1,
            OpKind::Merged => s.merged += 1,
        }
    }
    s
}
