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

    // Round 0 runs to the end: every source gets its first version.
    serve_round(&server, 0);
    full_run(&store);
    full_run(&reference);

    let (mut landed, mut killed_with_lock, mut kept_total, mut repaired_total) = (0, 0, 0, 0);
    for round in 1..=kills {
        serve_round(&server, round);
        // The same run on the reference store, just before: its length (on
        // a machine whose load changes) sets the range of the kill delay.
        let length = full_run(&reference);
        let mut child = snapshot_command(&store)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(rng.below(length));
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

        full_run(&store);
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
        eprintln!(
            "round {round}: killed {} ({} of {SOURCES} versions kept, the rest recorded by the next run)",
            if running {
                "while running"
            } else {
                "after the run ended"
            },
            recorded_now
        );
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

/// Source `i`'s page for the store-failure tests: `words` words that do not
/// compress much, so a pack of a few sources is tens of kilobytes.
fn bulky_page(i: usize, edition: usize, words: usize) -> Vec<u8> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((i as u64) << 20) ^ edition as u64);
    let mut text = format!("Bulky report {i}\n\nEdition {edition} of the report ({i}).\n");
    for _ in 0..words / 20 {
        text.push('\n');
        for w in 0..20 {
            let len = 3 + rng.next() % 6;
            for _ in 0..len {
                text.push(char::from(b'a' + (rng.next() % 26) as u8));
            }
            text.push_str(if w == 19 { ".\n" } else { " " });
        }
    }
    text.into_bytes()
}

/// Everything of a store that a failed run must leave untouched: refs,
/// HEAD, the files in `.git/objects/pack` and `.redline/` (names and
/// bytes; the lock is gone after a run), and any temporary file anywhere.
fn store_state(store: &Path) -> Vec<String> {
    let mut out = vec![
        git(store, &["for-each-ref"]),
        std::fs::read_to_string(store.join(".git/HEAD")).unwrap(),
    ];
    for dir in [".git/objects/pack", ".redline"] {
        let mut files: Vec<String> = std::fs::read_dir(store.join(dir))
            .map(|d| {
                d.map(|e| {
                    let e = e.unwrap();
                    let bytes = std::fs::read(e.path()).unwrap_or_default();
                    format!(
                        "{dir}/{} {:x}",
                        e.file_name().to_string_lossy(),
                        bytes
                            .iter()
                            .fold(0u64, |h, b| h.wrapping_mul(31) ^ u64::from(*b))
                    )
                })
                .collect()
            })
            .unwrap_or_default();
        files.sort();
        out.extend(files);
    }
    let mut stack = vec![store.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if e.path().is_dir() {
                stack.push(e.path());
            } else if name.contains("redline-tmp") || name.starts_with("tmp_") {
                out.push(format!("temporary file left: {}", e.path().display()));
            }
        }
    }
    out
}

/// A store with `n` bulky sources recorded once, and the server serving
/// their second edition.
fn bulky_store(server: &Server, n: usize) -> (tempfile::TempDir, std::path::PathBuf) {
    let (dir, store) = new_store();
    let mut config = std::fs::read_to_string(store.join("redline.toml")).unwrap();
    config.push_str("\n[fetch]\nmin_interval_ms = 0\nretries = 0\n");
    for i in 0..n {
        let path = format!("/bulky/{i}");
        server.route(&path, Route::text(&bulky_page(i, 0, 3000)));
        config.push_str(&format!(
            "\n[[source]]\nid = \"b{i:02}\"\nurl = \"{}\"\n",
            server.url(&path)
        ));
    }
    std::fs::write(store.join("redline.toml"), config).unwrap();
    full_run(&store);
    for i in 0..n {
        server.route(&format!("/bulky/{i}"), Route::text(&bulky_page(i, 1, 3000)));
    }
    (dir, store)
}

/// A full disk, simulated with a file size limit (`RLIMIT_FSIZE`, set by
/// `prlimit`, with SIGXFSZ ignored so that writes past it fail with EFBIG
/// as they fail with ENOSPC on a full disk). Works unprivileged and as
/// root, in any container: no mount needed. The pack of the new versions
/// is larger than the limit, the small files (lock, state) are not.
#[test]
fn a_full_disk_fails_the_run_clearly_and_leaves_the_store_as_it_was() {
    let server = Server::start();
    let (_dir, store) = bulky_store(&server, 12);
    let before = store_state(&store);
    let head = git(&store, &["rev-parse", "HEAD"]);

    let out = Command::new("sh")
        .arg("-c")
        .arg(r#"trap '' XFSZ; exec prlimit --fsize=65536 "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_redline"))
        .arg("--store")
        .arg(&store)
        .args(["snapshot", "--quiet"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("disk is full or a file size limit was hit")
            && stderr.contains(&store.display().to_string())
            && stderr.contains("were not recorded")
            && stderr.contains("the next run fetches and records them again"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(store_state(&store), before, "the store changed");
    assert_eq!(git(&store, &["rev-parse", "HEAD"]), head);
    fsck_clean(&store, "after a full disk");

    // One capture file, written as loose objects rather than a pack.
    let file = store.parent().unwrap().join("bulky.txt");
    std::fs::write(&file, bulky_page(99, 0, 12_000)).unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg(r#"trap '' XFSZ; exec prlimit --fsize=16384 "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_redline"))
        .arg("--store")
        .arg(&store)
        .args(["snapshot", file.to_str().unwrap(), "--source", "one"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&store.display().to_string()) && stderr.contains("a full disk"),
        "{stderr}"
    );
    assert_eq!(store_state(&store), before, "the store changed");

    // Space again: the next run records everything.
    full_run(&store);
    assert_eq!(
        commits(&store).len(),
        1 + 2 * 12,
        "every source's new version"
    );
    fsck_clean(&store, "after the run that followed");
}

/// Whether this process runs as root (which ignores file permissions).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().next().map(|u| u == "0"))
        .unwrap_or(false)
}

/// Runs redline on a store made read-only with `chmod -R a-w`. Root
/// ignores permissions through CAP_DAC_OVERRIDE, so as root (CI runs tests
/// as root) the process is started by `setpriv` without that capability
/// (and without CAP_FOWNER): it is still root and owns the files, and the
/// owner's missing write bit then stops it as it stops any other user.
fn run_read_only(store: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = if is_root() {
        let mut cmd = Command::new("setpriv");
        cmd.args([
            "--inh-caps=-dac_override,-fowner",
            "--bounding-set=-dac_override,-fowner",
        ])
        .arg(env!("CARGO_BIN_EXE_redline"));
        cmd
    } else {
        Command::new(env!("CARGO_BIN_EXE_redline"))
    };
    cmd.arg("--store")
        .arg(store)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn set_writable(root: &Path, writable: bool) {
    let mode = if writable { "u+w" } else { "a-w" };
    let status = Command::new("chmod")
        .args(["-R", mode])
        .arg(root)
        .status()
        .unwrap();
    assert!(status.success());
}

/// A read-only store (all of it, then only its git objects): the run
/// fails with a message naming the store and what to do, and the store is
/// as it was.
#[test]
fn a_read_only_store_fails_the_run_clearly_and_is_left_as_it_was() {
    let server = Server::start();
    let (_dir, store) = bulky_store(&server, 3);
    let before = store_state(&store);

    set_writable(&store, false);
    let out = run_read_only(&store, &["snapshot", "--quiet"]);
    set_writable(&store, true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&store.display().to_string())
            && stderr.contains("the store cannot be written: check its permissions"),
        "{stderr}"
    );
    assert_eq!(store_state(&store), before, "the store changed");

    // Only the object database read-only: the lock and state can be
    // written, the versions cannot.
    set_writable(&store.join(".git"), false);
    let out = run_read_only(&store, &["snapshot", "--quiet"]);
    set_writable(&store.join(".git"), true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&store.display().to_string())
            && stderr.contains("the store cannot be written")
            && stderr.contains("were not recorded"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(store_state(&store), before, "the store changed");
    fsck_clean(&store, "after a read-only run");

    full_run(&store);
    assert_eq!(
        commits(&store).len(),
        1 + 2 * 3,
        "every source's new version"
    );
}

/// Two real `redline snapshot` processes on one store at once: while the
/// first runs (one of its pages answers only after 5 s, so it surely still
/// holds the lock), a second with `--no-wait` refuses naming the first's
/// process, and a third with `--wait` (the default) says it waits and runs
/// after it. The pages change once the first run has fetched them all, so
/// each run records its own versions, and history is never interleaved:
/// every version of the first run comes before every version of the third.
#[test]
fn two_snapshots_at_once_never_interleave() {
    let server = Server::start();
    let (_dir, store) = tracking_store(&server);
    serve_round(&server, 0);
    server.route(
        "/s/000",
        Route::Stall {
            delay: Duration::from_secs(5),
            then: Box::new(Route::text(&page(0, 0))),
        },
    );
    let mut first = Command::new(env!("CARGO_BIN_EXE_redline"))
        .arg("--store")
        .arg(&store)
        .args(["snapshot", "--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while server.all_requests().len() < SOURCES {
        assert!(
            first.try_wait().unwrap().is_none(),
            "the first run ended early"
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "pages not fetched"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    serve_round(&server, 1);
    assert!(
        first.try_wait().unwrap().is_none(),
        "the first run ended while its stalled page was still due"
    );
    let refused = Command::new(env!("CARGO_BIN_EXE_redline"))
        .arg("--store")
        .arg(&store)
        .args(["--no-wait", "snapshot", "--quiet"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("in use by another redline run")
            && stderr.contains(&format!("process {}", first.id())),
        "{stderr}"
    );
    let waited = Command::new(env!("CARGO_BIN_EXE_redline"))
        .arg("--store")
        .arg(&store)
        .args(["snapshot", "--quiet"])
        .output()
        .unwrap();
    assert!(first.wait().unwrap().success());
    let stderr = String::from_utf8_lossy(&waited.stderr);
    assert_eq!(waited.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("waiting for another redline run"),
        "{stderr}"
    );

    fsck_clean(&store, "after two runs at once");
    let subjects = git(&store, &["log", "--reverse", "--format=%s"]);
    let versions: Vec<&str> = subjects.lines().filter(|s| s.starts_with('s')).collect();
    assert_eq!(versions.len(), 2 * SOURCES, "{subjects}");
    assert!(
        versions[..SOURCES]
            .iter()
            .all(|s| s.contains("first version"))
            && versions[SOURCES..]
                .iter()
                .all(|s| !s.contains("first version")),
        "the two runs' versions interleave: {subjects}"
    );
    // Every source ends at the second round's page.
    let marked = git(
        &store,
        &["grep", "-l", "-F", " r1).", "HEAD", "--", "*/document.md"],
    );
    assert_eq!(marked.lines().count(), SOURCES);
}

/// What a kill can leave in the work tree, set up by hand, and repaired by
/// the next writer: source folders (and the index) one version behind
/// HEAD with a leftover temporary file, and a `redline.toml` committed but
/// not yet renamed into place (the next `add` must build on the committed
/// one, not lose it).
#[test]
fn an_interrupted_work_tree_update_is_repaired_by_the_next_writer() {
    let (dir, store) = new_store();
    let env = crate::util::env_in(&store);
    let page = dir.path().join("page.txt");
    for round in 0..2 {
        std::fs::write(&page, page_text(round)).unwrap();
        let r = crate::util::run(&env, &["snapshot", page.to_str().unwrap(), "--source", "p"]);
        assert_eq!(r.code, 0, "{r:?}");
    }
    // A kill after the commit, before the folder was synced.
    git(&store, &["read-tree", "HEAD~1"]);
    git(&store, &["checkout-index", "-f", "-a"]);
    std::fs::write(store.join("p/.document.md.redline-tmp"), "half a file").unwrap();
    assert_ne!(git(&store, &["status", "--porcelain"]), "");

    let other = dir.path().join("other.txt");
    std::fs::write(&other, page_text(7)).unwrap();
    let r = crate::util::run(
        &env,
        &["snapshot", other.to_str().unwrap(), "--source", "q"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stderr
            .contains("rewrote the work-tree folders of 1 source"),
        "{}",
        r.stderr
    );
    assert_eq!(git(&store, &["status", "--porcelain"]), "");
    assert!(!store.join("p/.document.md.redline-tmp").exists());
    assert_eq!(
        std::fs::read_to_string(store.join("p/document.md")).unwrap(),
        git(&store, &["show", "HEAD:p/document.md"])
    );

    // A kill between committing redline.toml and renaming it into place.
    let r = crate::util::run(&env, &["add", "http://127.0.0.1:9/x", "--id", "x"]);
    assert_eq!(r.code, 0, "{r:?}");
    let committed = git(&store, &["show", "HEAD:redline.toml"]);
    std::fs::write(store.join(".redline.toml.redline-tmp"), &committed).unwrap();
    std::fs::write(
        store.join("redline.toml"),
        git(&store, &["show", "HEAD~1:redline.toml"]),
    )
    .unwrap();
    git(&store, &["read-tree", "HEAD~1"]);
    let r = crate::util::run(&env, &["add", "http://127.0.0.1:9/y", "--id", "y"]);
    assert_eq!(r.code, 0, "{r:?}");
    let config = std::fs::read_to_string(store.join("redline.toml")).unwrap();
    assert!(
        config.contains("id = \"x\"") && config.contains("id = \"y\""),
        "{config}"
    );
    assert_eq!(git(&store, &["status", "--porcelain"]), "");
    assert!(!store.join(".redline.toml.redline-tmp").exists());
}

fn page_text(round: usize) -> Vec<u8> {
    page(0, round)
}
