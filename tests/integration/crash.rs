//! Crash safety: `redline snapshot` killed with SIGKILL at random moments,
//! and a store that cannot be written (a full disk, a read-only store).
//!
//! The kill harness serves 200 sources on a loopback server whose pages
//! change every round, so every run has versions to record. Each round it
//! starts the real binary, kills it after a random delay (seeded; the seed
//! is printed and `REDLINE_CRASH_SEED` replays it), and checks that
//!
//! - `git fsck --strict` is clean and the branch points to a complete
//!   commit;
//! - every version reachable from the branch just before the kill still is;
//! - the next run (without a kill, and with `--no-wait`: the killed run's
//!   stale lock must be taken over, not waited for) completes, records what
//!   was missing, and leaves the store equal to a reference store that saw
//!   the same pages without kills: the same documents, one version per
//!   source per round, and a clean `git status` (the work tree repaired).
//!
//! `REDLINE_CRASH_KILLS` sets the number of rounds (default 8, for CI); the
//! full run (`REDLINE_CRASH_KILLS=60`) and its figures are in
//! docs/reliability.md.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::server::{Route, Server};
use crate::util::{git, new_store};

const SOURCES: usize = 200;
const DEFAULT_KILLS: usize = 8;

/// A small deterministic generator (xorshift64*): the test's randomness is
/// replayable from the printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A duration in `[0, max)`.
    fn below(&mut self, max: Duration) -> Duration {
        let nanos = max.as_nanos().max(1) as u64;
        Duration::from_nanos(self.next() % nanos)
    }
}

/// Source `i`'s page in round `round`: one paragraph per round so far (a
/// page only grows, so neither guard holds a version back), and a marker
/// naming the round.
fn page(i: usize, round: usize) -> Vec<u8> {
    let mut text = format!(
        "Source {i} report\n\nA report on the state of things (s{i} r{round}).\n\n\
         The committee met on Monday and agreed that the budget for the coming year \
         should grow by a modest amount, after a long debate.\n"
    );
    for r in 0..=round {
        text.push_str(&format!(
            "\nIn session {r}, members of panel {i} raised concerns about the pace of the \
             reform, and asked for a review of the spending plans before the next session.\n"
        ));
    }
    text.into_bytes()
}

/// A store tracking the `SOURCES` pages of `server`, paced for loopback.
fn tracking_store(server: &Server) -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, store) = new_store();
    let mut config = std::fs::read_to_string(store.join("redline.toml")).unwrap();
    config.push_str("\n[fetch]\nmin_interval_ms = 0\nretries = 0\n");
    for i in 0..SOURCES {
        config.push_str(&format!(
            "\n[[source]]\nid = \"s{i:03}\"\nurl = \"{}\"\n",
            server.url(&format!("/s/{i:03}"))
        ));
    }
    std::fs::write(store.join("redline.toml"), config).unwrap();
    git(&store, &["add", "redline.toml"]);
    git(
        &store,
        &[
            "-c",
            "user.name=test",
            "-c",
            "user.email=test@localhost",
            "commit",
            "-q",
            "-m",
            "track sources",
        ],
    );
    (dir, store)
}

fn serve_round(server: &Server, round: usize) {
    for i in 0..SOURCES {
        server.route(&format!("/s/{i:03}"), Route::text(&page(i, round)));
    }
}

fn snapshot_command(store: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redline"));
    cmd.arg("--store")
        .arg(store)
        .args(["--no-wait", "snapshot", "--quiet"])
        .env_remove("REDLINE_STORE")
        .env("NO_COLOR", "1");
    cmd
}

/// Runs a snapshot to the end; returns its duration.
fn full_run(store: &Path) -> Duration {
    let t = Instant::now();
    let out = snapshot_command(store).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "a run after the kill failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    t.elapsed()
}

fn commits(store: &Path) -> Vec<String> {
    git(store, &["rev-list", "HEAD"])
        .lines()
        .map(str::to_string)
        .collect()
}

fn fsck_clean(store: &Path, context: &str) {
    let out = Command::new("git")
        .arg("-C")
        .arg(store)
        .args(["fsck", "--strict", "--no-dangling"])
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "{context}: git fsck --strict: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The documents of every source at HEAD: `path blob` of each
/// `document.md`, `related.md` and raw capture (capture.json holds fetch
/// times, which differ between two stores).
fn documents(store: &Path) -> Vec<String> {
    git(store, &["ls-tree", "-r", "HEAD"])
        .lines()
        .filter(|l| !l.ends_with("capture.json") && l.contains('/'))
        .map(|l| {
            let (meta, path) = l.split_once('\t').unwrap();
            format!("{path} {}", meta.split_whitespace().nth(2).unwrap())
        })
        .collect()
}

#[test]
fn sigkill_at_random_moments_never_loses_or_corrupts_history() {
    let kills: usize = std::env::var("REDLINE_CRASH_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(DEFAULT_KILLS);
    let seed: u64 = std::env::var("REDLINE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("crash harness: {kills} kills, seed {seed} (REDLINE_CRASH_SEED={seed} replays it)");
    let mut rng = Rng(seed);

    let server = Server::start();
    let (_dir, store) = tracking_store(&server);
    let (_ref_dir, reference) = tracking_store(&server);
    let base = commits(&store).len();

    // Round 0 runs to the end: every source gets its first version, and
    // the run's length sets the range of kill delays.
    serve_round(&server, 0);
    let mut longest = full_run(&store);
    full_run(&reference);

    let (mut landed, mut killed_with_lock, mut kept_total, mut repaired_total) = (0, 0, 0, 0);
    for round in 1..=kills {
        serve_round(&server, round);
        full_run(&reference);
        let mut child = snapshot_command(&store)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(rng.below(longest.mul_f64(1.1)));
        let before = commits(&store);
        let running = child.try_wait().unwrap().is_none();
        child.kill().unwrap();
        child.wait().unwrap();
        landed += usize::from(running);
        killed_with_lock += usize::from(store.join(".redline/lock").exists());

        let context = format!("round {round} (seed {seed})");
        fsck_clean(&store, &context);
        let after = commits(&store);
        let kept: std::collections::HashSet<&String> = after.iter().collect();
        for c in &before {
            assert!(
                kept.contains(c),
                "{context}: version {c} was recorded before the kill and is gone"
            );
        }
        let recorded_now = after.len() - base - SOURCES * round;
        kept_total += recorded_now;

        let t = full_run(&store);
        longest = longest.max(t);
        fsck_clean(&store, &context);
        let total = commits(&store).len();
        assert_eq!(
            total,
            base + SOURCES * (round + 1),
            "{context}: one version per source per round"
        );
        repaired_total += SOURCES - recorded_now;
        assert_eq!(
            documents(&store),
            documents(&reference),
            "{context}: the store differs from one that was never killed"
        );
        assert_eq!(
            git(&store, &["status", "--porcelain"]),
            "",
            "{context}: the work tree is out of date"
        );
        assert!(!store.join(".redline/lock").exists(), "{context}");
    }
    eprintln!(
        "crash harness: {kills} rounds, {landed} kills landed while the run was going \
         ({killed_with_lock} left a stale lock); {kept_total} versions recorded by killed runs \
         were kept, {repaired_total} recorded by the next run; every check passed"
    );
    assert!(
        landed * 2 >= kills,
        "most kills must land during a run ({landed} of {kills})"
    );
}
