//! Builds the large benchmark pair: two Markdown documents of about 5 MB and
//! 10,000 paragraphs each, the new one with about 1 % of paragraphs edited,
//! some moved, a few added and removed.
//!
//! Deterministic (a fixed-seed generator, no dependencies), so every run and
//! every machine times the same input. Used by `scripts/bench-large.sh`;
//! run by hand with `cargo run --release --example make_large_pair -- DIR`.

use std::fmt::Write as _;

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
        (self.next() % n as u64) as usize
    }
}

const PARAGRAPHS: usize = 10_000;
const SECTION_EVERY: usize = 25;

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let mut rng = Rng(0x5EED_2025);
    // A vocabulary of pronounceable words, Zipf-ish by drawing with bias.
    let syllables = [
        "ra", "to", "mi", "ne", "ka", "lo", "su", "vi", "de", "pa", "ri", "an", "el", "or", "us",
        "ter", "con", "ment", "tion", "pro", "ser", "vic", "lic", "priv", "da",
    ];
    let vocab: Vec<String> = (0..5000)
        .map(|_| {
            let n = 1 + rng.below(4);
            (0..n)
                .map(|_| syllables[rng.below(syllables.len())])
                .collect()
        })
        .collect();
    let word = |rng: &mut Rng| -> String {
        // Bias toward common words: min of two draws.
        let i = rng.below(vocab.len()).min(rng.below(vocab.len()));
        vocab[i].clone()
    };
    let paragraph = |rng: &mut Rng| -> String {
        let sentences = 3 + rng.below(4);
        let mut p = String::new();
        for s in 0..sentences {
            if s > 0 {
                p.push(' ');
            }
            let words = 8 + rng.below(14);
            for w in 0..words {
                let mut t = word(rng);
                if w == 0 {
                    t[..1].make_ascii_uppercase();
                } else {
                    p.push(' ');
                }
                p.push_str(&t);
            }
            p.push('.');
        }
        p
    };
    let mut blocks: Vec<String> = Vec::with_capacity(PARAGRAPHS + PARAGRAPHS / SECTION_EVERY);
    for i in 0..PARAGRAPHS {
        if i % SECTION_EVERY == 0 {
            blocks.push(format!(
                "## Section {} {}",
                i / SECTION_EVERY + 1,
                word(&mut rng)
            ));
        }
        blocks.push(paragraph(&mut rng));
    }
    let old = blocks.clone();
    let mut new = blocks;
    let paragraph_ids: Vec<usize> = (0..new.len())
        .filter(|&i| !new[i].starts_with('#'))
        .collect();
    // ~1 % edited: replace, insert or delete a few words.
    let mut edited = 0;
    for _ in 0..PARAGRAPHS / 100 {
        let i = paragraph_ids[rng.below(paragraph_ids.len())];
        let mut words: Vec<String> = new[i].split(' ').map(str::to_string).collect();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(words.len());
            match rng.below(3) {
                0 => words[at] = word(&mut rng),
                1 => words.insert(at, word(&mut rng)),
                _ if words.len() > 5 => {
                    words.remove(at);
                }
                _ => {}
            }
        }
        new[i] = words.join(" ");
        edited += 1;
    }
    // Some moved: 20 paragraphs taken out and put back elsewhere, 5 of them
    // lightly edited.
    let mut moved = Vec::new();
    for k in 0..20 {
        let ids: Vec<usize> = (0..new.len())
            .filter(|&i| !new[i].starts_with('#'))
            .collect();
        let from = ids[rng.below(ids.len())];
        let mut p = new.remove(from);
        if k < 5 {
            p.push_str(" Added clause.");
        }
        moved.push(p);
    }
    for p in moved {
        let to = rng.below(new.len());
        new.insert(to, p);
    }
    // A few added and removed.
    for _ in 0..10 {
        let at = rng.below(new.len());
        let p = paragraph(&mut rng);
        new.insert(at, p);
    }
    for _ in 0..10 {
        let ids: Vec<usize> = (0..new.len())
            .filter(|&i| !new[i].starts_with('#'))
            .collect();
        new.remove(ids[rng.below(ids.len())]);
    }
    let write = |name: &str, blocks: &[String]| {
        let mut text = String::new();
        for b in blocks {
            let _ = write!(text, "{b}\n\n");
        }
        let path = std::path::Path::new(&dir).join(name);
        std::fs::write(&path, &text).expect("write the pair");
        eprintln!(
            "{}: {} blocks, {} bytes",
            path.display(),
            blocks.len(),
            text.len()
        );
    };
    write("old.md", &old);
    write("new.md", &new);
    eprintln!("edited {edited}, moved 20 (5 edited), added 10, removed 10");
}
