//! Builds a store with a long history for the history benchmark
//! (`scripts/bench-history.sh`): SOURCES sources, NIGHTS nightly versions of
//! each, EDIT_PERCENT % of each document's paragraphs edited per night.
//!
//! Versions are recorded the way a nightly `redline snapshot` records them:
//! each capture is normalized, its message made by `batch::version_message`
//! (a diff against the previous version), and the night's versions written
//! with `Store::with_packing` and `record_deferred`, one pack per 50
//! versions, the work tree written once at the end. Documents are generated
//! (deterministic, fixed seed): about 60 paragraphs of 70 words under six
//! headings; besides word edits, a night sometimes moves, adds or removes a
//! paragraph.
//!
//! With GC_EVERY, `git gc` runs every GC_EVERY nights, as a store kept by a
//! monthly `git gc` cron job would be: redline never repacks by itself, and a
//! year of nightly packs (four per night for 200 sources) slows every object
//! lookup down (see BENCHMARKS.md).
//!
//! `cargo run --release --example make_history_store -- DIR SOURCES NIGHTS EDIT_PERCENT [GC_EVERY]`

use chrono::{DateTime, Duration, FixedOffset};
use redline::fetch::{Capture, CaptureKind, sha256_hex};
use redline::normalize::{ProfileChoice, Profiles, normalize};
use redline::store::{SourceId, Store};

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const PARAGRAPHS: usize = 60;
const WORDS: usize = 70;
const SECTIONS: usize = 6;

struct Paper {
    title: String,
    /// Paragraphs by section.
    sections: Vec<Vec<String>>,
}

impl Paper {
    fn markdown(&self) -> String {
        let mut text = format!("# {}\n\n", self.title);
        for (i, paragraphs) in self.sections.iter().enumerate() {
            text.push_str(&format!("## Section {}\n\n", i + 1));
            for p in paragraphs {
                text.push_str(p);
                text.push_str("\n\n");
            }
        }
        text
    }
}

fn sentence(rng: &mut Rng, vocab: &[String], words: usize) -> String {
    let mut out: Vec<&str> = Vec::with_capacity(words);
    for _ in 0..words {
        // Biased towards the first words: a Zipf-ish vocabulary.
        let i = rng.below(vocab.len()).min(rng.below(vocab.len()));
        out.push(&vocab[i]);
    }
    let mut s = out.join(" ");
    s.push('.');
    s
}

fn edit(rng: &mut Rng, vocab: &[String], paper: &mut Paper, edits: usize) {
    for _ in 0..edits {
        let s = rng.below(paper.sections.len());
        if paper.sections[s].is_empty() {
            continue;
        }
        let p = rng.below(paper.sections[s].len());
        let mut words: Vec<String> = paper.sections[s][p]
            .split(' ')
            .map(str::to_string)
            .collect();
        let w = rng.below(words.len());
        words[w] = vocab[rng.below(vocab.len())].clone();
        paper.sections[s][p] = words.join(" ");
    }
    match rng.below(100) {
        // A paragraph moves to another section.
        0..=4 => {
            let from = rng.below(paper.sections.len());
            if let Some(p) = paper.sections[from].pop() {
                let to = rng.below(paper.sections.len());
                paper.sections[to].insert(0, p);
            }
        }
        5..=7 => {
            let s = rng.below(paper.sections.len());
            let text = sentence(rng, vocab, WORDS);
            paper.sections[s].push(text);
        }
        8..=9 => {
            let s = rng.below(paper.sections.len());
            if paper.sections[s].len() > 1 {
                paper.sections[s].remove(0);
            }
        }
        _ => {}
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: make_history_store DIR SOURCES NIGHTS EDIT_PERCENT [GC_EVERY]";
    let dir = std::path::PathBuf::from(args.get(1).expect(usage));
    let n = |i: usize| -> f64 { args.get(i).and_then(|a| a.parse().ok()).expect(usage) };
    let (sources, nights, percent) = (n(2) as usize, n(3) as usize, n(4));
    let gc_every: usize = args.get(5).and_then(|a| a.parse().ok()).unwrap_or(0);
    let edits = ((PARAGRAPHS as f64 * percent / 100.0).round() as usize).max(1);

    let syllables = [
        "ra", "to", "mi", "ne", "ka", "lo", "su", "vi", "de", "pa", "ri", "an", "el", "or", "us",
        "ter", "con", "ment", "tion", "pro", "ser", "vic", "lic", "priv", "da",
    ];
    let mut rng = Rng(0x5EED_2026);
    let vocab: Vec<String> = (0..4000)
        .map(|_| {
            (0..2 + rng.below(3))
                .map(|_| syllables[rng.below(syllables.len())])
                .collect()
        })
        .collect();
    let mut papers: Vec<Paper> = (0..sources)
        .map(|s| Paper {
            title: format!("Paper {s}: {}", sentence(&mut rng, &vocab, 8)),
            sections: (0..SECTIONS)
                .map(|_| {
                    (0..PARAGRAPHS / SECTIONS)
                        .map(|_| sentence(&mut rng, &vocab, WORDS))
                        .collect()
                })
                .collect(),
        })
        .collect();
    let ids: Vec<SourceId> = (0..sources)
        .map(|s| SourceId::parse(&format!("paper-{s:03}")).unwrap())
        .collect();
    let mut previous: Vec<Option<redline::document::Document>> = vec![None; sources];

    let mut store = Store::init(&dir).expect("create the store");
    let profiles = Profiles::builtin();
    let start: DateTime<FixedOffset> =
        DateTime::parse_from_rfc3339("2025-01-01T03:17:00+00:00").unwrap();
    let began = std::time::Instant::now();
    for night in 0..nights {
        if night > 0 {
            for paper in papers.iter_mut() {
                edit(&mut rng, &vocab, paper, edits);
            }
        }
        store
            .with_packing(|store, packing| {
                for (s, paper) in papers.iter().enumerate() {
                    let body = paper.markdown().into_bytes();
                    let capture = Capture {
                        source: format!("https://example.org/papers/{s}"),
                        final_url: None,
                        status: Some(200),
                        content_type: Some("text/markdown".into()),
                        charset: Some("utf-8".into()),
                        etag: None,
                        last_modified: None,
                        captured_at: start
                            + Duration::days(night as i64)
                            + Duration::seconds(s as i64),
                        sha256: sha256_hex(&body),
                        kind: CaptureKind::Markdown,
                        body: body.into(),
                    };
                    let doc =
                        normalize(&capture, &profiles, &ProfileChoice::Auto).expect("normalize");
                    let (_, message) = redline::batch::version_message(
                        &ids[s],
                        previous[s].as_ref(),
                        &doc,
                        &capture,
                    );
                    store
                        .record_deferred(&ids[s], &doc, &capture, &message)
                        .expect("record");
                    previous[s] = Some(doc);
                    if (s + 1) % 50 == 0 {
                        packing.flush().expect("flush");
                    }
                }
            })
            .expect("pack");
        if gc_every > 0 && night % gc_every == gc_every - 1 {
            let status = std::process::Command::new("git")
                .arg("-C")
                .arg(&dir)
                .args(["gc", "-q"])
                .status()
                .expect("run git gc");
            assert!(status.success(), "git gc failed");
        }
        if night % 50 == 49 {
            eprintln!(
                "night {}/{nights}: {:.0} versions/s",
                night + 1,
                ((night + 1) * sources) as f64 / began.elapsed().as_secs_f64()
            );
        }
    }
    store.sync_sources(&ids).expect("write the work tree");
}
