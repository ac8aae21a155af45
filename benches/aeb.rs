//! Speed of generic HTML normalization on the article-extraction
//! development set: the 60 pages decompressed into memory first, then each
//! normalized (decode, parse, metadata, main-content extraction, blocks) on
//! one thread. `scripts/aeb-speed.sh` turns the time into pages per second;
//! BENCHMARKS.md records the figures and the machine.
//!
//! The pages are read from `$AEB_DIR` (default `../shared/aeb-dev`); without
//! them the benchmark says so and measures nothing.

use std::io::Read;
use std::path::PathBuf;

use redline::normalize::{Profiles, decode::decode, html::normalize_html};

fn main() {
    divan::main();
}

fn pages() -> Vec<Vec<u8>> {
    let dir = std::env::var_os("AEB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/aeb-dev"));
    let Ok(entries) = std::fs::read_dir(dir.join("html")) else {
        eprintln!("no pages in {}/html: set AEB_DIR", dir.display());
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "gz"))
        .map(|p| {
            let mut bytes = Vec::new();
            flate2::read::GzDecoder::new(std::fs::File::open(p).expect("readable page"))
                .read_to_end(&mut bytes)
                .expect("gzip page");
            bytes
        })
        .collect()
}

/// All pages, one after another: one iteration normalizes every page once.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn all_pages(bencher: divan::Bencher) {
    let pages = pages();
    let profiles = Profiles::builtin();
    let generic = profiles.generic();
    bencher
        .counter(divan::counter::ItemsCount::new(pages.len()))
        .bench_local(|| {
            for page in &pages {
                let text = decode(page, None, None, true).text;
                let _ = divan::black_box(normalize_html(&text, generic, "page"));
            }
        });
}

/// The baseline: `dom_smoothie` alone (parse and readability, text in
/// `Formatted` mode), to compare redline's extra passes with on the same
/// machine at the same time.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn dom_smoothie_alone(bencher: divan::Bencher) {
    let pages: Vec<String> = pages()
        .iter()
        .map(|p| decode(p, None, None, true).text)
        .collect();
    bencher
        .counter(divan::counter::ItemsCount::new(pages.len()))
        .bench_local(|| {
            for page in &pages {
                let config = dom_smoothie::Config {
                    text_mode: dom_smoothie::TextMode::Formatted,
                    ..dom_smoothie::Config::default()
                };
                if let Ok(mut r) = dom_smoothie::Readability::new(page.as_str(), None, Some(config))
                {
                    let _ = divan::black_box(r.parse());
                }
            }
        });
}
