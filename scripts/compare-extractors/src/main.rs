//! Compares main-content extraction crates on the development set: each
//! extractor runs over the 60 pages in memory (one thread), writes its
//! predictions to /tmp/pred-<name>/ for aeb_score.py, and prints pages/s.

use std::io::Read;
use std::time::Instant;

fn load() -> Vec<(String, String)> {
    let dir = "/work/shared/aeb-dev/html";
    let mut v = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    for p in names {
        let id = p.file_name().unwrap().to_str().unwrap().trim_end_matches(".html.gz").to_string();
        let mut s = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&p).unwrap()).read_to_end(&mut s).unwrap();
        v.push((id, String::from_utf8_lossy(&s).into_owned()));
    }
    v
}

fn run(name: &str, pages: &[(String, String)], f: &dyn Fn(&str) -> String) {
    let out = format!("/tmp/pred-{name}");
    let _ = std::fs::create_dir_all(&out);
    // warm + write
    for (id, html) in pages {
        std::fs::write(format!("{out}/{id}.txt"), f(html)).unwrap();
    }
    let t = Instant::now();
    let rounds = 2;
    for _ in 0..rounds { for (_, html) in pages { std::hint::black_box(f(html)); } }
    let secs = t.elapsed().as_secs_f64();
    println!("{name}: {:.0} pages/s", (pages.len() * rounds) as f64 / secs);
}

fn main() {
    let pages = load();
    let which: Vec<String> = std::env::args().skip(1).collect();
    let want = |n: &str| which.is_empty() || which.iter().any(|w| w == n);
    if want("traf") { run("traf", &pages, &|h| trafilatura::extract(h, &trafilatura::Options::default()).map(|r| r.content_text).unwrap_or_default()); }
    if want("traf-recall") { run("traf-recall", &pages, &|h| trafilatura::extract(h, &trafilatura::Options::default().with_focus(trafilatura::ExtractionFocus::FavorRecall)).map(|r| r.content_text).unwrap_or_default()); }
    if want("smoothie") { run("smoothie", &pages, &|h| {
        let cfg = dom_smoothie::Config { text_mode: dom_smoothie::TextMode::Formatted, ..Default::default() };
        dom_smoothie::Readability::new(h, None, Some(cfg)).ok().and_then(|mut r| r.parse().ok()).map(|a| a.text_content.to_string()).unwrap_or_default()
    }); }
    if want("rstraf") { run("rstraf", &pages, &|h| rs_trafilatura::extract(h).map(|r| r.content_text).unwrap_or_default()); }
}
