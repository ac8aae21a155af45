//! Proof on real revisions: redline reports every word `git diff --word-diff`
//! marks, on the pairs of consecutive real document versions in
//! `../shared/revisions-dev/` (Open Terms Archive, Markdown).
//!
//! For each pair the real `git diff --no-index --word-diff=porcelain` runs on
//! the two files. Every word it marks deleted (in `old.md`) or inserted (in
//! `new.md`) is located by byte offset, mapped to the body block redline read
//! from those bytes (`parse_document_with_spans`), and must be covered by
//! what redline reports for that block:
//!
//! - a block op that shows the whole block (inserted, deleted, moved or
//!   split/merged without word edits) covers all its words;
//! - an op with word edits covers every word of its blocks: they fall inside
//!   a change redline reports. The test also measures how many of them are
//!   *word-precise* — one of the word's visible characters lies in a
//!   deleted (old side) or inserted (new side) run, or a change on the other
//!   side touches it (git marks `word` → `words`, redline inserts `s`) —
//!   comparing positions by counting non-whitespace characters, which
//!   redline's whitespace collapsing does not change. The rest are words
//!   git's alignment, one word stream over the whole file, placed
//!   differently from redline's alignment inside each block (a repeated
//!   phrase deleted here and inserted there): reported, not a miss;
//! - an `equal` block covers nothing: a git word in it is a miss, and so is
//!   a word outside every block.
//!
//! A pair whose two files are identical once every whitespace run is
//! collapsed to one space must give an empty diff.
//!
//! The data set lives beside the crate (`<crate>/../shared`, as in CI, where
//! a copy of `shared/` sits beside the fresh clone). When it is missing the
//! test fails and says so: a proof that silently proves nothing is worse than
//! a red build. `REDLINE_REVISIONS_DIR` points it elsewhere. Set
//! `REDLINE_REVISIONS_REPORT=<file>` to also write the per-pair table
//! (recorded in BENCHMARKS.md).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::Command;

use redline::diff::{BlockOp, DiffOptions, DocDiff, OpKind, WordTag, diff};
use redline::document::markdown::parse_document_with_spans;

fn revisions_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("REDLINE_REVISIONS_DIR") {
        return PathBuf::from(dir);
    }
    // The shared data set sits beside the clone (`<crate>/../shared`); look
    // in every ancestor so a clone one level deeper still finds it.
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir
        .ancestors()
        .skip(1)
        .map(|dir| dir.join("shared/revisions-dev"))
        .find(|dir| dir.is_dir())
        .unwrap_or_else(|| crate_dir.join("../shared/revisions-dev"))
}

/// The pair folders (`NNN/` with `old.md` and `new.md`), sorted.
fn pairs(dir: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| {
        panic!(
            "the real revision pairs are missing: cannot read {} ({e}). \
             This test needs the shared data set beside the crate \
             (<crate>/../shared/revisions-dev, as CI provides) or \
             REDLINE_REVISIONS_DIR pointing at a copy.",
            dir.display()
        )
    });
    let mut out: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("old.md").is_file() && p.join("new.md").is_file())
        .collect();
    out.sort();
    out
}

/// One word git marks: its byte offset in its file and its text.
#[derive(Debug)]
struct GitWord {
    offset: usize,
    text: String,
}

/// Whitespace as git's word diff sees it (`isspace` in git's own ctype).
fn git_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// The words of a text as git's default `--word-diff` splits it (runs of
/// non-whitespace), with their byte offsets.
fn git_words(text: &str) -> Vec<GitWord> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (git_space(c), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.push(GitWord {
                    offset: s,
                    text: text[s..i].to_string(),
                });
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// Words `git diff --word-diff` marks deleted (old) and inserted (new).
///
/// The porcelain form lists common, deleted and inserted runs in order but
/// does not keep the whitespace between runs, so words are counted, not
/// bytes: the n-th word of a file is the n-th run of non-whitespace, which
/// gives its offset. Every word is checked against the file's own text.
fn git_word_changes(
    old_path: &Path,
    new_path: &Path,
    old: &str,
    new: &str,
) -> (Vec<GitWord>, Vec<GitWord>) {
    let output = Command::new("git")
        .args([
            "-c",
            "core.quotepath=off",
            "diff",
            "--no-index",
            "--no-color",
            "--no-ext-diff",
            "--word-diff=porcelain",
            // One hunk holding the whole file, so words can be counted.
            "--unified=1000000000",
        ])
        .arg(old_path)
        .arg(new_path)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git must be installed to run the revision proof");
    assert!(
        output.status.code().is_some_and(|c| c <= 1),
        "git diff failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let (old_words, new_words) = (git_words(old), git_words(new));
    let (mut deleted, mut inserted) = (Vec::new(), Vec::new());
    let (mut o, mut n) = (0usize, 0usize);
    let mut in_hunk = false;
    let take = |words: &[GitWord], at: &mut usize, run: &str, out: Option<&mut Vec<GitWord>>| {
        let mut out = out;
        for token in git_words(run) {
            let w = words.get(*at).unwrap_or_else(|| {
                panic!("git reports word {:?} past the end of the file", token.text)
            });
            assert_eq!(w.text, token.text, "git's words and the file's disagree");
            if let Some(out) = out.as_deref_mut() {
                out.push(GitWord {
                    offset: w.offset,
                    text: w.text.clone(),
                });
            }
            *at += 1;
        }
    };
    for line in text.split('\n') {
        if !in_hunk {
            in_hunk = line.starts_with("@@");
            continue;
        }
        let Some(tag) = line.chars().next() else {
            continue;
        };
        let run = &line[tag.len_utf8()..];
        match tag {
            ' ' => {
                take(&old_words, &mut o, run, None);
                take(&new_words, &mut n, run, None);
            }
            '-' => take(&old_words, &mut o, run, Some(&mut deleted)),
            '+' => take(&new_words, &mut n, run, Some(&mut inserted)),
            _ => {} // "~" (end of line), "\ No newline at end of file"
        }
    }
    if in_hunk {
        assert_eq!(o, old_words.len(), "git did not list every old word");
        assert_eq!(n, new_words.len(), "git did not list every new word");
    }
    (deleted, inserted)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Old,
    New,
}

/// Why a git word counts as covered, or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Coverage {
    /// Inside a changed run of a block with word edits.
    Words,
    /// In a block reported as a whole (added, removed, moved, split, merged).
    Block,
    /// In a block with word edits whose markup could not be lined up with
    /// its text; counted as covered because the block is reported changed.
    BlockApprox,
    /// In a block with word edits, but not next to one of them: git's word
    /// alignment (one stream over the whole file, across paragraph breaks)
    /// chose differently from redline's (inside each block). The block is
    /// reported changed, so the word falls inside a reported change.
    InEditedBlock,
    /// In a block redline reports unchanged (the same text on both sides),
    /// where git marks words both in it and in the block it matches: git
    /// deleted and re-inserted unchanged text — its one word stream slid
    /// past a nearby change, or read a reordering as this block moving where
    /// redline reports its neighbours moving. Not a change.
    Realigned,
    /// Outside every block and no text: a line of only (Unicode) whitespace
    /// such as a lone no-break space, a table's delimiter row (`|---|`), or
    /// a Setext heading's underline (`=====` or `-----` under its text).
    /// Whitespace, table rules and underlines are not words.
    NotText,
    /// In a block redline reports as unchanged.
    Missed,
    /// In no block at all (blank lines, table rules): no document text.
    OutsideBlocks,
}

fn nws(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// Everything needed to place git words in one side of one diff.
struct SideView<'a> {
    file: &'a str,
    spans: &'a [Range<usize>],
    texts: Vec<&'a str>,
    /// Block index → index of the op that reports it.
    op_of: HashMap<usize, usize>,
    ops: &'a [BlockOp],
    side: Side,
    /// Blocks of the other side holding a word git marks.
    other_marked: std::collections::HashSet<usize>,
}

/// Blocks holding a git-marked word, for the other side's view.
fn marked(words: &[GitWord], spans: &[Range<usize>]) -> std::collections::HashSet<usize> {
    words
        .iter()
        .filter_map(|w| {
            let b = spans.partition_point(|s| s.end <= w.offset);
            (b < spans.len() && spans[b].contains(&w.offset)).then_some(b)
        })
        .collect()
}

impl SideView<'_> {
    fn coverage(&self, word: &GitWord) -> Coverage {
        let b = self.spans.partition_point(|s| s.end <= word.offset);
        if b >= self.spans.len() || !self.spans[b].contains(&word.offset) {
            let no_text = word
                .text
                .chars()
                .all(|c| c.is_whitespace() || matches!(c, '|' | '-' | ':' | '='));
            return if no_text {
                Coverage::NotText
            } else {
                Coverage::OutsideBlocks
            };
        }
        let op = &self.ops[self.op_of[&b]];
        if op.op == OpKind::Equal {
            let other = match self.side {
                Side::Old => op.new.first(),
                Side::New => op.old.first(),
            };
            let realigned = other.is_some_and(|&m| self.other_marked.contains(&m));
            if realigned {
                return Coverage::Realigned;
            }
            return Coverage::Missed;
        }
        if op.words().is_empty() {
            return Coverage::Block;
        }
        // Visible characters of this block's text inside the op's text.
        let blocks = match self.side {
            Side::Old => &op.old,
            Side::New => &op.new,
        };
        let before: usize = blocks
            .iter()
            .take_while(|&&i| i != b)
            .map(|&i| nws(self.texts[i]))
            .sum();
        let raw = &self.file[self.spans[b].clone()];
        let raw_nws: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        let text_nws: String = self.texts[b]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let Some(prefix) = raw_nws.find(&text_nws) else {
            return Coverage::BlockApprox;
        };
        let prefix = raw_nws[..prefix].chars().count();
        let at = nws(&self.file[self.spans[b].start..word.offset]);
        let len = nws(&word.text);
        let text_len = nws(self.texts[b]);
        // The word's visible characters, as indexes into the block text.
        let lo = at.saturating_sub(prefix);
        let hi = (at + len).saturating_sub(prefix).min(text_len);
        if lo >= hi {
            // Only markup (a list bullet, heading hashes) of a changed block.
            return Coverage::Block;
        }
        let (lo, hi) = (before + lo, before + hi);
        // Walk the word ops keeping both sides' positions: a change on this
        // side covers the word when it overlaps it; a change on the other
        // side (which is a point on this side) when it touches it, as when
        // git marks `word` → `words` and redline only inserts the `s`.
        let (mut here, mut there) = (0usize, 0usize);
        for w in op.words() {
            let n = nws(&w.text);
            let this_side = matches!(
                (w.op, self.side),
                (WordTag::Delete, Side::Old) | (WordTag::Insert, Side::New)
            );
            match w.op {
                WordTag::Equal => {
                    here += n;
                    there += n;
                }
                _ if this_side => {
                    // A whitespace-only change (n = 0) counts where it stands.
                    if (here < hi && lo < here + n) || (n == 0 && lo <= here && here <= hi) {
                        return Coverage::Words;
                    }
                    here += n;
                }
                _ => {
                    if lo <= here && here <= hi {
                        return Coverage::Words;
                    }
                    there += n;
                }
            }
        }
        let _ = there;
        Coverage::InEditedBlock
    }
}

fn view<'a>(
    file: &'a str,
    spans: &'a [Range<usize>],
    texts: Vec<&'a str>,
    d: &'a DocDiff,
    side: Side,
    other_marked: std::collections::HashSet<usize>,
) -> SideView<'a> {
    let mut op_of = HashMap::new();
    for (k, op) in d.body.iter().enumerate() {
        let blocks = match side {
            Side::Old => &op.old,
            Side::New => &op.new,
        };
        for &b in blocks {
            op_of.insert(b, k);
        }
    }
    SideView {
        file,
        spans,
        texts,
        op_of,
        ops: &d.body,
        side,
        other_marked,
    }
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Default)]
struct Totals {
    git_words: usize,
    covered: std::collections::BTreeMap<Coverage, usize>,
    moved: usize,
    split: usize,
    merged: usize,
    cosmetic: usize,
    modified: usize,
    inserted: usize,
    deleted: usize,
    whitespace_pairs: usize,
}

#[test]
fn every_word_git_marks_is_reported_on_real_revisions() {
    let dir = revisions_dir();
    let pairs = pairs(&dir);
    assert!(
        pairs.len() >= 10,
        "expected the revision pairs in {}, found {}",
        dir.display(),
        pairs.len()
    );
    let mut totals = Totals::default();
    let mut failures = Vec::new();
    let mut table = String::from(
        "| pair | kind | KB old/new | git words -/+ | covered | word-precise | edited | added | removed | moved | split | merged | cosmetic |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for pair in &pairs {
        let name = pair.file_name().unwrap().to_string_lossy().to_string();
        let old_file = std::fs::read_to_string(pair.join("old.md")).unwrap();
        let new_file = std::fs::read_to_string(pair.join("new.md")).unwrap();
        let (old_doc, old_spans) = parse_document_with_spans(&old_file);
        let (new_doc, new_spans) = parse_document_with_spans(&new_file);
        let d = diff(&old_doc, &new_doc, &DiffOptions::default());

        if collapse(&old_file) == collapse(&new_file) {
            totals.whitespace_pairs += 1;
            if !d.is_empty() {
                failures.push(format!(
                    "{name}: identical after whitespace normalization, yet redline reports {:?}",
                    d.stats
                ));
            }
        }

        let (deleted, inserted) = git_word_changes(
            &pair.join("old.md"),
            &pair.join("new.md"),
            &old_file,
            &new_file,
        );
        let old_view = view(
            &old_file,
            &old_spans,
            old_doc.body.iter().map(|b| b.text.as_str()).collect(),
            &d,
            Side::Old,
            marked(&inserted, &new_spans),
        );
        let new_view = view(
            &new_file,
            &new_spans,
            new_doc.body.iter().map(|b| b.text.as_str()).collect(),
            &d,
            Side::New,
            marked(&deleted, &old_spans),
        );
        let mut missed = 0;
        let mut precise = 0;
        let mut pair_words = 0;
        for (words, v) in [(&deleted, &old_view), (&inserted, &new_view)] {
            for w in words {
                let c = v.coverage(w);
                pair_words += 1;
                *totals.covered.entry(c).or_default() += 1;
                if matches!(c, Coverage::Words | Coverage::Block) {
                    precise += 1;
                }
                if c == Coverage::NotText {
                    pair_words -= 1;
                    continue;
                }
                if matches!(c, Coverage::Missed | Coverage::OutsideBlocks) {
                    missed += 1;
                    if missed <= 5 {
                        failures.push(format!(
                            "{name}: git word {:?} at byte {} of {} not reported ({c:?})",
                            w.text,
                            w.offset,
                            if v.side == Side::Old {
                                "old.md"
                            } else {
                                "new.md"
                            }
                        ));
                    }
                }
            }
        }
        totals.git_words += pair_words;
        let s = &d.stats.body;
        totals.moved += s.moved;
        totals.split += s.split;
        totals.merged += s.merged;
        totals.cosmetic += s.cosmetic;
        totals.modified += s.modified;
        totals.inserted += s.inserted;
        totals.deleted += s.deleted;
        let kind = std::fs::read_to_string(pair.join("meta.json"))
            .ok()
            .and_then(|m| serde_json::from_str::<serde_json::Value>(&m).ok())
            .and_then(|m| m["kind"].as_str().map(str::to_string))
            .unwrap_or_default();
        let pct = |n: usize| {
            if pair_words == 0 {
                "-".to_string()
            } else {
                format!("{:.1} %", 100.0 * n as f64 / pair_words as f64)
            }
        };
        let (covered, precise) = (pct(pair_words - missed), pct(precise));
        let _ = writeln!(
            table,
            "| {name} | {kind} | {}/{} | {}/{} | {covered} | {precise} | {} | {} | {} | {} | {} | {} | {} |",
            old_file.len() / 1024,
            new_file.len() / 1024,
            deleted.len(),
            inserted.len(),
            s.modified,
            s.inserted,
            s.deleted,
            s.moved,
            s.split,
            s.merged,
            s.cosmetic
        );
    }
    let missed = totals.covered.get(&Coverage::Missed).copied().unwrap_or(0)
        + totals
            .covered
            .get(&Coverage::OutsideBlocks)
            .copied()
            .unwrap_or(0);
    let summary = format!(
        "{} pairs; {} words marked by git, {} covered ({:.2} %): {:?}; \
         body ops: {} edited, {} added, {} removed, {} moved, {} split, {} merged, {} cosmetic; \
         {} pairs identical after whitespace normalization",
        pairs.len(),
        totals.git_words,
        totals.git_words - missed,
        100.0 * (totals.git_words - missed) as f64 / totals.git_words.max(1) as f64,
        totals.covered,
        totals.modified,
        totals.inserted,
        totals.deleted,
        totals.moved,
        totals.split,
        totals.merged,
        totals.cosmetic,
        totals.whitespace_pairs,
    );
    println!("{table}\n{summary}");
    if let Some(path) = std::env::var_os("REDLINE_REVISIONS_REPORT") {
        std::fs::write(path, format!("{table}\n{summary}\n")).unwrap();
    }
    assert!(failures.is_empty(), "{summary}\n{}", failures.join("\n"));
}
