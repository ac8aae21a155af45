//! Property tests on generated documents: random paragraphs of pseudo-words
//! under random edits (word edits, inserted, deleted, moved, split and merged
//! blocks), checking that the redline is complete, exact and symmetric.

use std::collections::HashMap;

use proptest::prelude::*;

use super::words::{check_word_ops, new_side, old_side};
use super::*;
use crate::document::{Block, BlockKind, Document, assign_sections};

const SYLLABLES: [&str; 20] = [
    "ka", "lo", "mi", "ne", "ru", "sa", "te", "vi", "zo", "pa", "do", "ge", "hu", "ji", "bo", "fe",
    "wa", "xi", "yu", "ce",
];

/// A distinct pseudo-word for every `i < 8000`.
pub(crate) fn word(i: u16) -> String {
    let i = usize::from(i);
    let mut w = format!("{}{}", SYLLABLES[i % 20], SYLLABLES[(i / 20) % 20]);
    if i >= 400 {
        w.push_str(SYLLABLES[(i / 400) % 20]);
    }
    w
}

fn sentence(words: &[u16]) -> String {
    let mut s = words.iter().map(|&w| word(w)).collect::<Vec<_>>().join(" ");
    s.push('.');
    s
}

fn build(blocks: Vec<Block>) -> Document {
    let mut body = Vec::new();
    for b in blocks {
        if !body
            .iter()
            .any(|x: &Block| x.kind == b.kind && x.text == b.text)
        {
            body.push(b);
        }
    }
    assign_sections(&mut body);
    Document {
        body,
        ..Document::default()
    }
}

fn doc_strategy(min_blocks: usize) -> impl Strategy<Value = Document> {
    prop::collection::vec(
        (0u8..6, prop::collection::vec(0u16..2000, 6..30)),
        min_blocks..18,
    )
    .prop_map(|raw| {
        build(
            raw.into_iter()
                .map(|(k, words)| {
                    if k == 0 {
                        Block::heading(
                            words[..3]
                                .iter()
                                .map(|&w| word(w))
                                .collect::<Vec<_>>()
                                .join(" "),
                            2,
                        )
                    } else {
                        Block::paragraph(sentence(&words))
                    }
                })
                .collect(),
        )
    })
}

#[derive(Debug, Clone)]
enum Edit {
    ReplaceWord(usize, usize, u16),
    InsertWord(usize, usize, u16),
    DeleteWord(usize, usize),
    InsertBlock(usize, Vec<u16>),
    DeleteBlock(usize),
    MoveBlock(usize, usize),
    Split(usize, usize),
    Merge(usize),
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    let idx = 0usize..64;
    prop_oneof![
        (idx.clone(), idx.clone(), 0u16..2000).prop_map(|(b, p, w)| Edit::ReplaceWord(b, p, w)),
        (idx.clone(), idx.clone(), 0u16..2000).prop_map(|(b, p, w)| Edit::InsertWord(b, p, w)),
        (idx.clone(), idx.clone()).prop_map(|(b, p)| Edit::DeleteWord(b, p)),
        (idx.clone(), prop::collection::vec(0u16..2000, 6..30))
            .prop_map(|(b, w)| Edit::InsertBlock(b, w)),
        idx.clone().prop_map(Edit::DeleteBlock),
        (idx.clone(), idx.clone()).prop_map(|(a, b)| Edit::MoveBlock(a, b)),
        (idx.clone(), idx.clone()).prop_map(|(b, p)| Edit::Split(b, p)),
        idx.prop_map(Edit::Merge),
    ]
}

fn apply_edits(doc: &Document, edits: &[Edit]) -> Document {
    let mut body = doc.body.clone();
    for edit in edits {
        if body.is_empty() {
            break;
        }
        let len = body.len();
        let with_words = |body: &mut Vec<Block>, b: usize, f: &dyn Fn(&mut Vec<String>)| {
            let mut words: Vec<String> = body[b].text.split(' ').map(String::from).collect();
            f(&mut words);
            if !words.is_empty() {
                body[b].text = words.join(" ").into();
            }
        };
        match *edit {
            Edit::ReplaceWord(b, p, w) => with_words(&mut body, b % len, &|ws| {
                let k = p % ws.len();
                ws[k] = word(w);
            }),
            Edit::InsertWord(b, p, w) => with_words(&mut body, b % len, &|ws| {
                let k = p % (ws.len() + 1);
                ws.insert(k, word(w));
            }),
            Edit::DeleteWord(b, p) => with_words(&mut body, b % len, &|ws| {
                if ws.len() > 1 {
                    let k = p % ws.len();
                    ws.remove(k);
                }
            }),
            Edit::InsertBlock(at, ref words) => {
                body.insert(at % (len + 1), Block::paragraph(sentence(words)))
            }
            Edit::DeleteBlock(at) => {
                body.remove(at % len);
            }
            Edit::MoveBlock(from, to) => {
                let b = body.remove(from % len);
                body.insert(to % len, b);
            }
            Edit::Split(b, p) => {
                let b = b % len;
                let words: Vec<&str> = body[b].text.split(' ').collect();
                if body[b].kind == BlockKind::Paragraph && words.len() >= 2 {
                    let k = 1 + p % (words.len() - 1);
                    let (first, second) = (words[..k].join(" "), words[k..].join(" "));
                    body[b].text = first.into();
                    body.insert(b + 1, Block::paragraph(second));
                }
            }
            Edit::Merge(b) => {
                let b = b % len;
                if b + 1 < len
                    && body[b].kind == BlockKind::Paragraph
                    && body[b + 1].kind == BlockKind::Paragraph
                {
                    let next = body.remove(b + 1);
                    body[b].text = format!("{} {}", body[b].text, next.text).into();
                }
            }
        }
    }
    assign_sections(&mut body);
    Document {
        body,
        ..doc.clone()
    }
}

/// Rebuilds the new body's texts from the old body and the diff's ops,
/// checking each op's texts and word ops on the way.
fn apply(old: &Document, d: &DocDiff) -> Result<Vec<String>, String> {
    let mut out: Vec<Option<String>> = Vec::new();
    let mut put = |n: usize, text: String| {
        if out.len() <= n {
            out.resize(n + 1, None);
        }
        if out[n].replace(text).is_some() {
            return Err(format!("new block {n} produced twice"));
        }
        Ok(())
    };
    let old_joined = |op: &BlockOp, sep: &str| {
        op.old
            .iter()
            .map(|&o| old.body[o].text.as_str())
            .collect::<Vec<_>>()
            .join(sep)
    };
    for op in &d.body {
        if op.op != OpKind::Equal {
            let expected_old = (!op.old.is_empty()).then(|| old_joined(op, "\n\n"));
            if op.old_text().map(|t| t.as_str()) != expected_old.as_deref() {
                return Err(format!("old_text mismatch: {op:?}"));
            }
            if op.op != OpKind::Deleted && op.new_text().is_none() {
                return Err(format!("missing new_text: {op:?}"));
            }
            if !op.words().is_empty() {
                let (o, n) = (
                    op.old_text().map(|t| t.as_str()),
                    op.new_text().map(|t| t.as_str()),
                );
                check_word_ops(o.unwrap_or(""), n.unwrap_or(""), op.words())?;
            }
        }
        match op.op {
            OpKind::Equal => put(op.new[0], old.body[op.old[0]].text.to_string())?,
            OpKind::Deleted => {}
            OpKind::Inserted => put(op.new[0], op.new_text().cloned().unwrap_or_default().into())?,
            OpKind::Modified | OpKind::Moved => {
                let text = if op.words().is_empty() {
                    if op.op == OpKind::Modified {
                        return Err(format!("modified without words: {op:?}"));
                    }
                    old.body[op.old[0]].text.to_string()
                } else {
                    new_side(op.words())
                };
                put(op.new[0], text)?;
            }
            OpKind::Split | OpKind::Merged => {
                let new_text = op.new_text().cloned().unwrap_or_default();
                if op.words().is_empty() {
                    if new_text.replace("\n\n", " ") != old_joined(op, " ") {
                        return Err(format!("split/merge without words changed text: {op:?}"));
                    }
                } else if old_side(op.words()) != old_joined(op, "\n\n") {
                    return Err(format!("split/merge words: {op:?}"));
                }
                let pieces: Vec<&str> = new_text.split("\n\n").collect();
                if pieces.len() != op.new.len() {
                    return Err(format!("pieces vs new indexes: {op:?}"));
                }
                for (&n, piece) in op.new.iter().zip(pieces) {
                    put(n, piece.to_string())?;
                }
            }
        }
    }
    out.into_iter()
        .enumerate()
        .map(|(n, t)| t.ok_or(format!("new block {n} missing")))
        .collect()
}

fn word_counts(texts: impl Iterator<Item = String>) -> HashMap<String, i64> {
    let mut counts = HashMap::new();
    for t in texts {
        for w in t
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            *counts.entry(w.to_string()).or_default() += 1;
        }
    }
    counts
}

fn mirrored(a: &BodyStats) -> BodyStats {
    BodyStats {
        inserted: a.deleted,
        deleted: a.inserted,
        split: a.merged,
        merged: a.split,
        ..a.clone()
    }
}

fn opts() -> DiffOptions {
    // Generous: debug builds on a loaded machine must not hit the deadline.
    DiffOptions {
        deadline: std::time::Duration::from_secs(60),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn applying_ops_rebuilds_the_new_body(
        a in doc_strategy(1),
        edits in prop::collection::vec(edit_strategy(), 0..6),
    ) {
        let b = apply_edits(&a, &edits);
        let d = diff(&a, &b, &opts());
        let rebuilt = apply(&a, &d).map_err(TestCaseError::fail)?;
        let expected: Vec<String> = b.body.iter().map(|b| b.text.to_string()).collect();
        prop_assert_eq!(rebuilt, expected);
        let mut seen = vec![0; a.body.len()];
        for op in &d.body {
            for &o in &op.old {
                seen[o] += 1;
            }
        }
        prop_assert!(seen.iter().all(|&c| c == 1), "old blocks not each used once");
        let news: Vec<usize> = d.body.iter().filter_map(|op| op.new.first().copied()).collect();
        prop_assert!(news.windows(2).all(|w| w[0] < w[1]), "not in new reading order");
    }

    #[test]
    fn keys_computed_beforehand_give_the_same_diff(
        a in doc_strategy(1),
        edits in prop::collection::vec(edit_strategy(), 0..6),
    ) {
        let b = apply_edits(&a, &edits);
        let (a_keys, b_keys) = (BodyKeys::of(&a.body), BodyKeys::of(&b.body));
        let keyed = super::diff_keyed(&a, &a_keys, &b, &b_keys, &opts());
        prop_assert_eq!(
            serde_json::to_string(&keyed).unwrap(),
            serde_json::to_string(&diff(&a, &b, &opts())).unwrap()
        );
    }

    #[test]
    fn self_diff_is_empty_and_reverse_diff_mirrors(
        a in doc_strategy(1),
        edits in prop::collection::vec(edit_strategy(), 0..6),
    ) {
        let same = diff(&a, &a, &opts());
        prop_assert!(same.is_empty());
        prop_assert_eq!(same.stats.body.equal, a.body.len());
        let b = apply_edits(&a, &edits);
        let forward = diff(&a, &b, &opts());
        let backward = diff(&b, &a, &opts());
        prop_assert_eq!(mirrored(&forward.stats.body), backward.stats.body);
    }

    #[test]
    fn every_changed_word_is_reported(
        a in doc_strategy(1),
        edits in prop::collection::vec(edit_strategy(), 1..6),
    ) {
        let b = apply_edits(&a, &edits);
        let d = diff(&a, &b, &opts());
        let old = word_counts(a.body.iter().map(|b| b.text.to_string()));
        let new = word_counts(b.body.iter().map(|b| b.text.to_string()));
        let mut inserted = String::new();
        let mut deleted = String::new();
        for op in &d.body {
            match op.op {
                OpKind::Inserted => inserted += op.new_text().map(|t| t.as_str()).unwrap_or(""),
                OpKind::Deleted => deleted += op.old_text().map(|t| t.as_str()).unwrap_or(""),
                _ => {}
            }
            for w in op.words() {
                match w.op {
                    WordTag::Insert => inserted += &format!(" {} ", w.text),
                    WordTag::Delete => deleted += &format!(" {} ", w.text),
                    WordTag::Equal => {}
                }
                inserted.push(' ');
                deleted.push(' ');
            }
            inserted.push(' ');
            deleted.push(' ');
        }
        let inserted = word_counts(std::iter::once(inserted));
        let deleted = word_counts(std::iter::once(deleted));
        for (w, &n) in &new {
            if n > old.get(w).copied().unwrap_or(0) {
                prop_assert!(inserted.contains_key(w), "added word {} not reported", w);
            }
        }
        for (w, &n) in &old {
            if n > new.get(w).copied().unwrap_or(0) {
                prop_assert!(deleted.contains_key(w), "removed word {} not reported", w);
            }
        }
    }

    #[test]
    fn moved_block_is_one_move(
        a in doc_strategy(3),
        from in 0usize..64,
        to in 0usize..64,
        edit in prop::option::of((0usize..64, 0u16..2000)),
    ) {
        let len = a.body.len();
        prop_assume!(len >= 2);
        let from = from % len;
        let to = (from + 1 + to % (len - 1)) % len;
        let mut body = a.body.clone();
        let mut block = body.remove(from);
        let mut words: Vec<String> = block.text.split(' ').map(String::from).collect();
        // Lightly edit only paragraphs long enough for one word to be light.
        let edited = match edit {
            Some((p, w)) if block.kind == BlockKind::Paragraph && words.len() >= 12 => {
                let k = p % words.len();
                words[k] = if words[k] == word(w) { word(w + 1) } else { word(w) };
                block.text = words.join(" ").into();
                true
            }
            _ => false,
        };
        body.insert(to, block);
        let b = build(body);
        prop_assume!(b.body.len() == len);
        let d = diff(&a, &b, &opts());
        let s = &d.stats.body;
        prop_assert_eq!(s.moved, 1, "{:#?}", d.body);
        prop_assert_eq!(s.equal, len - 1);
        let op = d.body.iter().find(|op| op.op == OpKind::Moved).unwrap();
        prop_assert_eq!(op.words().is_empty(), !edited);
        prop_assert!(op.old_text().is_some() && op.new_text().is_some());
    }
}

/// A long document: `n` paragraphs of 40-80 pseudo-words from an 8000-word
/// vocabulary, and a copy with ~1% of paragraphs edited, some moved far,
/// some inserted and deleted. Returns the pair and the expected counts
/// (modified, moved, inserted, deleted).
pub(crate) fn large_pair(n: usize) -> (Document, Document, [usize; 4]) {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rand = move |m: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % m as u64) as usize
    };
    let para = |rand: &mut dyn FnMut(usize) -> usize| {
        let len = 40 + rand(41);
        let words: Vec<u16> = (0..len).map(|_| rand(8000) as u16).collect();
        sentence(&words)
    };
    let mut old_body = Vec::with_capacity(n);
    for i in 0..n {
        if i % 50 == 0 {
            old_body.push(Block::heading(format!("Section {i}"), 2));
        } else {
            // Typographic quotes, as real pages have them (non-ASCII path).
            let text = para(&mut rand).replacen(' ', " \u{201c}quoted\u{201d} it\u{2019}s ", 1);
            old_body.push(Block::paragraph(text));
        }
    }
    let old = build(old_body);
    let len = old.body.len();
    // Untouched blocks move far (half the document away); every 100th
    // paragraph gets a word inserted; 10 are deleted and 10 new ones inserted.
    let is_moved = |i: usize| i % 500 == 37;
    let mut body = Vec::with_capacity(len + 10);
    let mut modified = 0;
    for (i, block) in old.body.iter().enumerate() {
        if is_moved(i) || i % 1000 == 77 {
            continue;
        }
        let mut block = block.clone();
        if i % 100 == 7 && block.kind == BlockKind::Paragraph {
            block.text = block.text.replacen(' ', " inserted ", 1).into();
            modified += 1;
        }
        body.push(block);
    }
    let mut moved = 0;
    for i in (0..len).filter(|&i| is_moved(i)) {
        let to = ((i + len / 2) % len).min(body.len());
        body.insert(to, old.body[i].clone());
        moved += 1;
    }
    for k in 0..10 {
        body.insert(20 + k * 997, Block::paragraph(para(&mut rand)));
    }
    let new = build(body);
    (old, new, [modified, moved, 10, 10])
}

#[test]
fn large_document_stays_sane() {
    let (old, new, [modified, moved, inserted, deleted]) = large_pair(10_000);
    let d = diff(&old, &new, &opts());
    let rebuilt = apply(&old, &d).unwrap();
    assert_eq!(rebuilt.len(), new.body.len());
    assert!(rebuilt.iter().zip(&new.body).all(|(t, b)| *t == b.text));
    let s = &d.stats.body;
    assert_eq!(s.modified, modified, "{s:?}");
    assert_eq!(s.moved, moved, "{s:?}");
    assert_eq!((s.inserted, s.deleted), (inserted, deleted), "{s:?}");
    assert_eq!(s.split + s.merged + s.cosmetic, 0);
    assert_eq!(s.equal + s.modified + s.moved + s.deleted, old.body.len());
}

/// `cargo test --release -- --ignored --nocapture large_document_timing`
#[test]
#[ignore]
fn large_document_timing() {
    let (old, new, _) = large_pair(10_000);
    let opts = DiffOptions::default();
    let _ = diff(&old, &new, &opts);
    // The fastest of several runs: the machine is shared with other builds.
    let per = (0..10)
        .map(|_| {
            let start = std::time::Instant::now();
            std::hint::black_box(diff(&old, &new, &opts));
            start.elapsed()
        })
        .min()
        .unwrap_or_default();
    let identical = std::time::Instant::now();
    std::hint::black_box(diff(&old, &old, &opts));
    eprintln!(
        "10,000 paragraphs: {per:?} per diff ({:?} for identical documents)",
        identical.elapsed()
    );
}
