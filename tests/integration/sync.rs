//! Several machines, one store: `push`, `pull` and `snapshot --shard K/N`
//! with real stores, a real bare remote on the local disk (`git init
//! --bare`), `git clone` for the second machine, and pages served by the
//! loopback [`Server`]. The push race runs two machines' pushes at once on
//! two threads.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Barrier};

use redline::batch::shard::Shard;
use redline::store::remote::{self, SyncError, SyncOptions, TransportChoice};
use redline::store::{Store, state};

use crate::server::{Route, Server};
use crate::util::{Run, captures, env_in, git, run};

/// Settings that keep tests quick: no pacing, no retries.
const FAST: &str = "\n[fetch]\nmin_interval_ms = 0\nretries = 0\ntimeout_secs = 5\n";

/// A remote, a first machine's store that created it, and the server.
struct World {
    dir: tempfile::TempDir,
    remote: PathBuf,
    server: Server,
}

impl World {
    /// A bare remote and an empty temporary folder for machines.
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let remote = dir.path().join("remote.git");
        git(
            dir.path(),
            &["init", "-q", "--bare", remote.to_str().unwrap()],
        );
        World {
            dir,
            remote,
            server: Server::start(),
        }
    }

    /// A new store `name` with `origin` pointing at the remote.
    fn init(&self, name: &str) -> PathBuf {
        let store = self.dir.path().join(name);
        let r = run(&env_in(self.dir.path()), &["init", store.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{r:?}");
        let config = store.join("redline.toml");
        let text = std::fs::read_to_string(&config).unwrap() + FAST;
        std::fs::write(&config, text).unwrap();
        git(
            &store,
            &["remote", "add", "origin", self.remote.to_str().unwrap()],
        );
        store
    }

    /// A second machine: `git clone` of the remote.
    fn clone(&self, name: &str) -> PathBuf {
        let store = self.dir.path().join(name);
        git(
            self.dir.path(),
            &[
                "clone",
                "-q",
                self.remote.to_str().unwrap(),
                store.to_str().unwrap(),
            ],
        );
        store
    }

    /// Serves edition `edition` of source `i`.
    fn serve(&self, i: usize, edition: usize) {
        self.server
            .route(&format!("/p/{i}"), Route::text(&page(i, edition)));
    }

    fn track(&self, store: &Path, i: usize) {
        self.serve(i, 0);
        let url = self.server.url(&format!("/p/{i}"));
        let r = redline(store, &["add", &url, "--id", &id(i)]);
        assert_eq!(r.code, 0, "{r:?}");
    }

    fn remote_head(&self) -> String {
        git(&self.remote, &["rev-parse", "HEAD"]).trim().to_string()
    }
}

fn id(i: usize) -> String {
    format!("s{i}")
}

/// The bundled capture with a marker in its lead paragraph: each source and
/// edition is a different document.
fn page(i: usize, edition: usize) -> Vec<u8> {
    const LEAD: &str = "existential threats within the Middle East.";
    let base = std::fs::read_to_string(&captures()[0]).unwrap();
    assert!(base.contains(LEAD), "the bundled capture's lead changed");
    base.replacen(
        LEAD,
        &format!("existential threats within the Middle East ({i}.{edition})."),
        1,
    )
    .into_bytes()
}

fn redline(store: &Path, args: &[&str]) -> Run {
    let mut all = vec!["--store", store.to_str().unwrap()];
    all.extend_from_slice(args);
    run(&env_in(store.parent().unwrap()), &all)
}

fn ok(r: Run) -> Run {
    assert_eq!(r.code, 0, "{r:?}");
    r
}

fn head(store: &Path) -> String {
    git(store, &["rev-parse", "HEAD"]).trim().to_string()
}

/// Versions of `source` in a repository's history (commits touching its
/// folder).
fn versions(repo: &Path, source: &str) -> usize {
    git(
        repo,
        &["rev-list", "--count", "HEAD", "--", &format!("{source}/")],
    )
    .trim()
    .parse()
    .unwrap()
}

/// `git` with an identity, for commits made by hand.
fn git_commit(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=Hand", "-c", "user.email=hand@example.org"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A store equals the remote: same head, clean work tree whose files are
/// the head's.
fn assert_equals_remote(store: &Path, world: &World, sources: &[String]) {
    assert_eq!(head(store), world.remote_head(), "{}", store.display());
    assert_eq!(
        git(store, &["status", "--porcelain"]),
        "",
        "{}",
        store.display()
    );
    for s in sources {
        let file = std::fs::read_to_string(store.join(s).join("document.md")).unwrap();
        let committed = git(&world.remote, &["show", &format!("HEAD:{s}/document.md")]);
        assert_eq!(file, committed, "{s} in {}", store.display());
    }
}

// ------------------------------------------------------------ the race

#[test]
fn two_machines_split_the_sources_and_race_their_pushes() {
    const SOURCES: usize = 8;
    const ROUNDS: usize = 3;
    let world = World::new();
    let a = world.init("a");
    for i in 0..SOURCES {
        world.track(&a, i);
    }
    let r = ok(redline(&a, &["push"]));
    assert!(r.stdout.starts_with("pushed "), "{r:?}");
    // The second machine clones the remote: its sources come with it.
    let b = world.clone("b");
    assert_eq!(head(&b), head(&a));
    let ids: Vec<String> = (0..SOURCES).map(id).collect();
    let (one, two) = (Shard::new(1, 2).unwrap(), Shard::new(2, 2).unwrap());
    assert!(
        ids.iter().any(|s| one.contains(s)) && ids.iter().any(|s| two.contains(s)),
        "both shards need sources for this test"
    );

    let mut replays = 0;
    for round in 0..ROUNDS {
        for i in 0..SOURCES {
            world.serve(i, round + 1);
        }
        let barrier = Arc::new(Barrier::new(2));
        let machines = [(a.clone(), "1/2"), (b.clone(), "2/2")];
        let handles: Vec<_> = machines
            .into_iter()
            .map(|(store, shard)| {
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    let snap = ok(redline(&store, &["snapshot", "--shard", shard]));
                    barrier.wait();
                    (snap, ok(redline(&store, &["push"])))
                })
            })
            .collect();
        for h in handles {
            let (snap, push) = h.join().unwrap();
            assert!(
                !snap.stdout.contains("failed"),
                "round {round}: {}",
                snap.stdout
            );
            assert!(push.stdout.starts_with("pushed "), "{push:?}");
            if push.stdout.contains("replayed this store's") {
                replays += 1;
            }
        }
    }
    // Each round, whichever machine pushed second had to replay its commits.
    assert!(replays >= ROUNDS, "{replays} replays in {ROUNDS} rounds");

    // The remote holds every version from both machines, in one line.
    let fsck = Command::new("git")
        .args(["-C", world.remote.to_str().unwrap(), "fsck", "--strict"])
        .output()
        .unwrap();
    assert!(
        fsck.status.success(),
        "{}",
        String::from_utf8_lossy(&fsck.stderr)
    );
    assert_eq!(
        git(&world.remote, &["rev-list", "--merges", "--count", "HEAD"]).trim(),
        "0"
    );
    for s in &ids {
        // One version per round: the first, then one per edition.
        assert_eq!(versions(&world.remote, s), ROUNDS, "{s}");
    }
    // Every commit keeps its capture time as its commit time.
    let log = git(
        &world.remote,
        &[
            "log",
            "--format=%ct %at %(trailers:key=Redline-Captured-At,valueonly,separator=)",
        ],
    );
    let mut timed = 0;
    for line in log.lines() {
        let mut parts = line.split_whitespace();
        let (ct, at) = (parts.next().unwrap(), parts.next().unwrap());
        if let Some(captured) = parts.next() {
            let captured = chrono::DateTime::parse_from_rfc3339(captured).unwrap();
            assert_eq!(ct.parse::<i64>().unwrap(), captured.timestamp(), "{line}");
            assert_eq!(at, ct, "{line}");
            timed += 1;
        }
    }
    assert_eq!(timed, SOURCES * ROUNDS);

    // After a pull, both machines equal the remote.
    for store in [&a, &b] {
        let r = ok(redline(store, &["pull"]));
        assert!(
            r.stdout.starts_with("pulled ") || r.stdout.starts_with("already up to date"),
            "{r:?}"
        );
        assert_equals_remote(store, &world, &ids);
        let log = ok(redline(store, &["log"]));
        assert_eq!(log.stdout.matches("s0: ").count(), ROUNDS, "{}", log.stdout);
    }
}

// ------------------------------------------------------------ replay rules

#[test]
fn a_source_changed_on_both_machines_is_refused_and_nothing_changes() {
    let world = World::new();
    let a = world.init("a");
    world.track(&a, 0);
    world.track(&a, 1);
    ok(redline(&a, &["push"]));
    let b = world.clone("b");
    world.serve(0, 1);
    ok(redline(&a, &["snapshot", "s0"]));
    ok(redline(&a, &["push"]));
    world.serve(0, 2);
    world.serve(1, 2);
    ok(redline(&b, &["snapshot"]));
    let before = (head(&b), world.remote_head());

    let r = redline(&b, &["push"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("s0 changed both here and there"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("s1 changed"), "{}", r.stderr);
    assert!(r.stderr.contains("--shard K/N"), "{}", r.stderr);
    assert!(r.stderr.contains("reset --hard origin/"), "{}", r.stderr);
    assert_eq!((head(&b), world.remote_head()), before, "nothing moved");
    assert_eq!(git(&b, &["status", "--porcelain"]), "");
    let r = redline(&b, &["pull"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("s0 changed both"), "{}", r.stderr);
}

#[test]
fn sources_added_on_both_machines_are_united_in_redline_toml() {
    let world = World::new();
    let a = world.init("a");
    world.track(&a, 0);
    ok(redline(&a, &["push"]));
    let b = world.clone("b");
    world.track(&a, 1);
    world.track(&b, 2);
    ok(redline(&a, &["push"]));
    // An uncommitted edit of redline.toml is not overwritten.
    let path = b.join("redline.toml");
    let committed = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{committed}# mine\n")).unwrap();
    let r = redline(&b, &["pull"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("redline.toml has changes that are not committed"),
        "{}",
        r.stderr
    );
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .ends_with("# mine\n")
    );
    std::fs::write(&path, committed).unwrap();
    let r = ok(redline(&b, &["push"]));
    assert!(r.stdout.contains("replayed this store's 1 commit"), "{r:?}");

    let toml = git(&world.remote, &["show", "HEAD:redline.toml"]);
    for s in ["s0", "s1", "s2"] {
        assert_eq!(toml.matches(&format!("id = \"{s}\"")).count(), 1, "{toml}");
    }
    // B's work tree has the merged file; A gets it on pull.
    assert_eq!(
        std::fs::read_to_string(b.join("redline.toml")).unwrap(),
        toml
    );
    ok(redline(&a, &["pull"]));
    assert_eq!(
        std::fs::read_to_string(a.join("redline.toml")).unwrap(),
        toml
    );
    let list = ok(redline(&a, &["list"]));
    assert_eq!(list.stdout.lines().count(), 4, "{}", list.stdout);
    assert_eq!(git(&a, &["status", "--porcelain"]), "");
}

#[test]
fn hand_edits_of_redline_toml_on_both_machines_are_refused() {
    let world = World::new();
    let a = world.init("a");
    world.track(&a, 0);
    ok(redline(&a, &["push"]));
    let b = world.clone("b");
    for (store, jobs) in [(&a, "2"), (&b, "3")] {
        let path = store.join("redline.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(
            &path,
            text.replace("[fetch]\n", &format!("[fetch]\njobs = {jobs}\n")),
        )
        .unwrap();
        git_commit(store, &["commit", "-q", "-am", "more jobs"]);
    }
    ok(redline(&a, &["push"]));
    let before = head(&b);
    let r = redline(&b, &["push"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("redline.toml") && r.stderr.contains("were edited on both sides"),
        "{}",
        r.stderr
    );
    assert_eq!(head(&b), before);
}

// ------------------------------------------------------------ pull and state

#[test]
fn pull_updates_the_work_tree_and_the_run_state() {
    let world = World::new();
    let a = world.init("a");
    world.track(&a, 0);
    world.track(&a, 1);
    ok(redline(&a, &["snapshot"]));
    ok(redline(&a, &["push"]));
    let b = world.clone("b");
    // B checks s1 (its validators go into B's state), A records s0 anew.
    world.serve(1, 1);
    ok(redline(&b, &["snapshot", "s1"]));
    world.serve(0, 1);
    ok(redline(&a, &["snapshot", "s0"]));
    ok(redline(&a, &["push"]));
    let load = |store: &Path| state::load(&store.join(".redline")).0;
    let s1_before = load(&b).sources["s1"].recent[0].version.clone();
    assert_eq!(s1_before, head(&b));

    let r = ok(redline(&b, &["pull"]));
    assert!(
        r.stdout.contains("pulled 1 commit from origin")
            && r.stdout.contains("replayed this store's 1 commit"),
        "{r:?}"
    );
    assert!(r.stdout.contains("not on origin yet"), "{r:?}");
    // s0's new version is in B's work tree; s1's replayed commit has a new
    // id, and the state follows it.
    assert_eq!(
        std::fs::read_to_string(b.join("s0/document.md")).unwrap(),
        git(&a, &["show", "HEAD:s0/document.md"])
    );
    assert_eq!(git(&b, &["status", "--porcelain"]), "");
    let after = load(&b);
    assert_ne!(after.sources["s1"].recent[0].version, s1_before);
    assert_eq!(after.sources["s1"].recent[0].version, head(&b));
    assert!(after.sources["s1"].etag.is_some());

    // A's state knew s0 at edition 1; once B records s0 anew (edition 2)
    // and A pulls, A forgets its validators for s0.
    ok(redline(&b, &["push"]));
    world.serve(0, 2);
    ok(redline(&a, &["pull"]));
    assert!(load(&a).sources["s0"].etag.is_some());
    ok(redline(&b, &["snapshot", "s0"]));
    ok(redline(&b, &["push"]));
    ok(redline(&a, &["pull"]));
    let s0 = &load(&a).sources["s0"];
    assert!(s0.etag.is_none() && s0.recent.is_empty(), "{s0:?}");
    // And its next check fetches in full and finds nothing new.
    world.server.clear_log();
    let r = ok(redline(&a, &["snapshot", "s0"]));
    assert!(r.stdout.contains("s0: unchanged"), "{r:?}");
    let asked = world.server.requests("/p/0");
    assert!(!asked[0].headers.contains_key("if-none-match"), "{asked:?}");
}

#[test]
fn pull_from_an_empty_remote_and_push_when_up_to_date_say_so() {
    let world = World::new();
    let a = world.init("a");
    let r = ok(redline(&a, &["pull"]));
    assert!(
        r.stdout.contains("has no versions yet: nothing to pull"),
        "{r:?}"
    );
    ok(redline(&a, &["push"]));
    let r = ok(redline(&a, &["push"]));
    assert!(r.stdout.contains("is up to date: nothing to push"), "{r:?}");
    assert_eq!(ok(redline(&a, &["push", "--quiet"])).stdout, "");
    let r = ok(redline(&a, &["pull"]));
    assert!(
        r.stdout.starts_with("already up to date with origin"),
        "{r:?}"
    );
}

/// A store made with `redline init` (not cloned) joins a remote that
/// another store filled: its own first commit is the same change and
/// disappears; its sources are replayed.
#[test]
fn a_store_made_separately_joins_the_remote() {
    let world = World::new();
    let a = world.init("a");
    world.track(&a, 0);
    ok(redline(&a, &["push"]));
    let b = world.init("b");
    world.track(&b, 1);
    ok(redline(&b, &["push"]));
    ok(redline(&a, &["pull"]));
    assert_equals_remote(&a, &world, &[]);
    assert_equals_remote(&b, &world, &[]);
    let toml = git(&world.remote, &["show", "HEAD:redline.toml"]);
    assert!(
        toml.contains("id = \"s0\"") && toml.contains("id = \"s1\""),
        "{toml}"
    );
}

// ------------------------------------------------------------ retries

/// While another process holds the remote branch's lock, every attempt is
/// refused: the push retries a bounded number of times, then says so; when
/// the lock goes away it succeeds. Both transports.
#[test]
fn a_busy_remote_is_retried_then_given_up() {
    for transport in [TransportChoice::Auto, TransportChoice::GitCommand] {
        let world = World::new();
        let a = world.init("a");
        world.track(&a, 0);
        let url = format!("file://{}", world.remote.display());
        git(&a, &["remote", "set-url", "origin", &url]);
        let options = SyncOptions {
            transport,
            max_attempts: 3,
            backoff: std::time::Duration::from_millis(10),
        };
        let store = Store::open(&a).unwrap();
        let report = remote::push(&store, "origin", &options).unwrap();
        assert!(report.pushed > 0 && report.remote_empty, "{report:?}");

        world.track(&a, 1);
        let branch = git(&a, &["symbolic-ref", "HEAD"]).trim().to_string();
        let lock = world.remote.join(format!("{branch}.lock"));
        std::fs::write(&lock, "").unwrap();
        let e = remote::push(&store, "origin", &options).unwrap_err();
        assert!(
            matches!(e, SyncError::GaveUp { attempts: 3, .. }),
            "{transport:?}: {e}"
        );
        assert!(e.to_string().contains("run `redline push` again"), "{e}");
        assert_ne!(head(&a), world.remote_head());

        // The lock goes away after a while (well after the first attempt,
        // even on a loaded machine): a later attempt gets through.
        let options = SyncOptions {
            max_attempts: 100,
            ..options
        };
        let unlock = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(1500));
            std::fs::remove_file(lock).unwrap();
        });
        let report = remote::push(&store, "origin", &options).unwrap();
        unlock.join().unwrap();
        assert!(report.attempts > 1, "{transport:?}: {report:?}");
        assert_eq!(report.pushed, 1);
        assert_eq!(head(&a), world.remote_head());
    }
}

/// The `git` command path (as for https and ssh remotes), on a file://
/// remote: push, a second machine behind it, replay and pull.
#[test]
fn the_git_command_path_pushes_replays_and_pulls() {
    let world = World::new();
    let a = world.init("a");
    world.track(&a, 0);
    let url = format!("file://{}", world.remote.display());
    git(&a, &["remote", "set-url", "origin", &url]);
    let options = SyncOptions {
        transport: TransportChoice::GitCommand,
        ..SyncOptions::default()
    };
    let push = |store: &Path| remote::push(&Store::open(store).unwrap(), "origin", &options);
    let pull = |store: &Path| remote::pull(&Store::open(store).unwrap(), "origin", &options);
    assert!(push(&a).unwrap().pushed > 0);
    let b = world.clone("b");
    world.track(&a, 1);
    world.track(&b, 2);
    assert_eq!(push(&a).unwrap().pushed, 1);
    let report = push(&b).unwrap();
    assert_eq!((report.received, report.replayed, report.pushed), (1, 1, 1));
    let report = pull(&a).unwrap();
    assert_eq!((report.received, report.unpushed), (1, 0));
    assert_equals_remote(&a, &world, &[]);
    assert_equals_remote(&b, &world, &[]);

    // A remote whose policy refuses the push: said, not retried.
    let hook = world.remote.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho 'pushes are closed today' >&2\nexit 1\n",
    )
    .unwrap();
    let mut permissions = std::fs::metadata(&hook).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&hook, permissions).unwrap();
    world.track(&a, 3);
    let e = push(&a).unwrap_err();
    assert!(matches!(e, SyncError::Rejected { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("refused the push") && text.contains("pushes are closed today"),
        "{text}"
    );
    std::fs::remove_file(&hook).unwrap();
    assert_eq!(push(&a).unwrap().pushed, 1);

    git(
        &a,
        &[
            "remote",
            "set-url",
            "origin",
            "file:///nonexistent/remote.git",
        ],
    );
    let e = pull(&a).unwrap_err();
    assert!(matches!(e, SyncError::Unreachable { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("cannot reach remote origin (file:///nonexistent"),
        "{e}"
    );
}

// ------------------------------------------------------------ errors

#[test]
fn sync_errors_name_the_remote_and_what_to_do() {
    let world = World::new();
    let a = world.init("a");
    let r = redline(&a, &["push", "backup"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("no git remote named \"backup\" (its remotes: origin)")
            && r.stderr.contains("remote add backup URL"),
        "{}",
        r.stderr
    );
    git(&a, &["remote", "add", "gone", "../nowhere.git"]);
    let r = redline(&a, &["pull", "gone"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("cannot open remote gone at") && r.stderr.contains("git init --bare"),
        "{}",
        r.stderr
    );
    // Push and pull hold the store lock: with --no-wait, a running writer
    // (this very process, alive) makes them stop.
    let state = a.join(".redline");
    std::fs::create_dir_all(&state).unwrap();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let holder = format!(
        "{} {} 2026-01-01T00:00:00+00:00\n",
        std::process::id(),
        host.trim()
    );
    std::fs::write(state.join("lock"), holder).unwrap();
    for command in ["push", "pull"] {
        let r = redline(&a, &["--no-wait", command]);
        assert_eq!(r.code, 2, "{r:?}");
        assert!(
            r.stderr.contains("is in use by another redline run"),
            "{}",
            r.stderr
        );
    }
    std::fs::remove_file(state.join("lock")).unwrap();
    // Pushing into another machine's store (not bare) is refused.
    let b = world.init("b");
    git(&a, &["remote", "add", "b", b.to_str().unwrap()]);
    let r = redline(&a, &["push", "b"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("is not a bare repository"),
        "{}",
        r.stderr
    );
    // Another store can be pulled from directly, though (a shared disk).
    world.track(&b, 0);
    ok(redline(&b, &["snapshot"]));
    // (a's [fetch] settings were never committed: undo them, as told.)
    let r = redline(&a, &["pull", "b"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("checkout -- redline.toml"),
        "{}",
        r.stderr
    );
    git(&a, &["checkout", "--", "redline.toml"]);
    let r = redline(&a, &["pull", "b"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(a.join("s0").is_dir());
}

// ------------------------------------------------------------ shards

#[test]
fn shards_split_the_tracked_sources_between_runs() {
    let world = World::new();
    let a = world.init("a");
    for i in 0..9 {
        world.track(&a, i);
    }
    let mut seen: Vec<String> = Vec::new();
    for k in 1..=3 {
        let r = ok(redline(&a, &["snapshot", "--shard", &format!("{k}/3")]));
        let shard = Shard::new(k, 3).unwrap();
        for line in r
            .stdout
            .lines()
            .filter(|l| l.starts_with('s') && l.contains(": new"))
        {
            let id = line.split(':').next().unwrap().to_string();
            assert!(shard.contains(&id), "{id} in shard {shard}");
            assert!(!seen.contains(&id), "{id} checked twice");
            seen.push(id);
        }
    }
    seen.sort();
    let mut all: Vec<String> = (0..9).map(id).collect();
    all.sort();
    assert_eq!(seen, all);

    // A shard that holds none of the sources says so.
    let empty = (1..=100)
        .find(|&k| {
            let shard = Shard::new(k, 100).unwrap();
            !all.iter().any(|s| shard.contains(s))
        })
        .unwrap();
    let r = ok(redline(
        &a,
        &["snapshot", "--shard", &format!("{empty}/100")],
    ));
    assert_eq!(
        r.stdout,
        format!("shard {empty}/100 holds none of the 9 tracked sources\n")
    );

    for (args, says) in [
        (vec!["snapshot", "--shard", "0/3"], "K counts from 1"),
        (vec!["snapshot", "--shard", "4/3"], "at most N"),
        (vec!["snapshot", "--shard", "half"], "is not K/N"),
        (vec!["snapshot", "s1", "--shard", "1/2"], "not both"),
    ] {
        let r = redline(&a, &args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
    }
}
