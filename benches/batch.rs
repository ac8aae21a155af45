//! Benchmark of the nightly batch: 1,000 sources against the loopback
//! server of the integration tests, and `git fast-import` on the same files.
//!
//! Run with `cargo bench --bench batch` (numbers go to BENCHMARKS.md). It
//! measures, in one process and one store:
//!
//! 1. the first run (1,000 new sources: fetch, normalize, 1,000 commits);
//! 2. nothing changed, every answer a 304 (validators kept from run 1);
//! 3. nothing changed, every answer a 200 with the same body (no validators);
//! 4. 10 % changed (100 commits);
//! 5. `git fast-import` committing the same 100 changed sources' files (one
//!    commit per source, as redline makes) onto a copy of the store taken
//!    before run 4.
//!
//! Each run reports sources/s and the store's share (the batch's own
//! `timings.store_seconds`). Not a test: nothing here asserts a speed.

#[path = "../tests/integration/server.rs"]
mod server;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use redline::cli::{Env, run_with};
use server::{Route, Server};

const SOURCES: usize = 1000;
const CHANGED: usize = 100;

fn env(cwd: &Path) -> Env {
    Env {
        cwd: cwd.to_path_buf(),
        store: None,
        no_color: true,
        stdout_is_terminal: false,
        stdout_never_waits: false,
        stderr_is_terminal: false,
        terminal_width: None,
        huge_heap: false,
    }
}

/// Runs `redline --store STORE snapshot --json` and returns (seconds, report).
fn snapshot(store: &Path, jobs: usize) -> (f64, serde_json::Value) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let args = [
        "redline",
        "--store",
        store.to_str().unwrap(),
        "snapshot",
        "--json",
        "--jobs",
        &jobs.to_string(),
    ];
    let t = Instant::now();
    let code = run_with(args, &env(store), &mut out, &mut err);
    let secs = t.elapsed().as_secs_f64();
    assert!(code == 0, "{}", String::from_utf8_lossy(&err));
    (secs, serde_json::from_slice(&out).unwrap())
}

/// The bundled capture with a marker in the lead paragraph, so that each
/// source's document differs and an edition change is an editorial edit.
/// (The marker must land in the body: the first "United States" of the page
/// is a menu entry, which normalization rightly ignores.)
fn page(base: &str, i: usize, edition: usize) -> Vec<u8> {
    const LEAD: &str = "existential threats within the Middle East.";
    assert!(base.contains(LEAD), "the bundled capture's lead changed");
    base.replacen(
        LEAD,
        &format!("existential threats within the Middle East ({i}.{edition})."),
        1,
    )
    .into_bytes()
}

fn report(name: &str, secs: f64, r: &serde_json::Value) {
    let store = r["timings"]["store_seconds"].as_f64().unwrap();
    println!(
        "{name:<34} {secs:>7.3} s  {:>7.0} sources/s  store {:>5.1} % ({store:.3} s)  counts {}",
        SOURCES as f64 / secs,
        100.0 * store / secs,
        r["counts"]
    );
}

fn main() {
    let jobs: usize = std::env::var("REDLINE_BENCH_JOBS")
        .ok()
        .and_then(|j| j.parse().ok())
        .unwrap_or(4);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let mut sink = Vec::new();
    assert_eq!(
        run_with(
            ["redline", "init", store.to_str().unwrap()],
            &env(dir.path()),
            &mut sink,
            &mut Vec::new()
        ),
        0
    );
    let captures = Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots/inss-defense-treaty");
    let base =
        std::fs::read_to_string(captures.join("2025-05-20-inss-defense-treaty.txt")).unwrap();
    let server = Server::start();
    let mut config = std::fs::read_to_string(store.join("redline.toml")).unwrap();
    config.push_str("\n[fetch]\nmin_interval_ms = 0\nretries = 0\n");
    for i in 0..SOURCES {
        let path = format!("/s/{i:04}");
        server.route(&path, Route::text(&page(&base, i, 0)));
        config.push_str(&format!(
            "\n[[source]]\nid = \"s{i:04}\"\nurl = \"{}\"\n",
            server.url(&path)
        ));
    }
    std::fs::write(store.join("redline.toml"), config).unwrap();
    println!("{SOURCES} sources on 127.0.0.1, --jobs {jobs}");

    let (secs, r) = snapshot(&store, jobs);
    report("1. first run (all new)", secs, &r);
    let (secs, r) = snapshot(&store, jobs);
    report("2. nothing changed, all 304", secs, &r);
    for i in 0..SOURCES {
        server.route(
            &format!("/s/{i:04}"),
            Route::text_no_validators(&page(&base, i, 0)),
        );
    }
    let (secs, r) = snapshot(&store, jobs);
    report("3. nothing changed, all 200 same", secs, &r);

    // A copy of the store before the changes, for fast-import.
    let copy = dir.path().join("copy");
    let status = Command::new("cp")
        .args(["-a", store.to_str().unwrap(), copy.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    for i in (0..SOURCES).step_by(SOURCES / CHANGED) {
        server.route(
            &format!("/s/{i:04}"),
            Route::text_no_validators(&page(&base, i, 1)),
        );
    }
    let (secs, r) = snapshot(&store, jobs);
    report("4. 10 % changed", secs, &r);
    let redline_store = r["timings"]["store_seconds"].as_f64().unwrap();

    // The same 100 versions through git fast-import, one commit each.
    let mut stream = Vec::new();
    let head = String::from_utf8(
        Command::new("git")
            .args(["-C", copy.to_str().unwrap(), "rev-parse", "HEAD"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let mut first = true;
    for i in (0..SOURCES).step_by(SOURCES / CHANGED) {
        let id = format!("s{i:04}");
        let msg = format!("{id}: benchmark\n");
        write!(
            stream,
            "commit refs/heads/fi\ncommitter redline <redline@localhost> 1700000000 +0000\ndata {}\n{msg}",
            msg.len()
        )
        .unwrap();
        if first {
            writeln!(stream, "from {}", head.trim()).unwrap();
            first = false;
        }
        for name in ["document.md", "related.md", "capture.json", "raw.txt"] {
            let data = std::fs::read(store.join(&id).join(name)).unwrap();
            write!(stream, "M 100644 inline {id}/{name}\ndata {}\n", data.len()).unwrap();
            stream.extend_from_slice(&data);
            stream.push(b'\n');
        }
        stream.push(b'\n');
    }
    let t = Instant::now();
    let mut child = Command::new("git")
        .args(["-C", copy.to_str().unwrap(), "fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&stream).unwrap();
    assert!(child.wait().unwrap().success());
    let fi = t.elapsed().as_secs_f64();
    println!(
        "5. git fast-import, same {CHANGED} versions  {fi:>7.3} s  {:>7.0} commits/s",
        CHANGED as f64 / fi
    );
    println!(
        "   redline store time for them   {redline_store:>7.3} s  {:>7.0} commits/s  = {:.0} % of fast-import's rate (whole run 4: {:.0} %)",
        CHANGED as f64 / redline_store,
        100.0 * fi / redline_store,
        100.0 * fi / secs
    );
}
