//! The git-backed store, read with git itself: one commit per version, no
//! commit when nothing changed, the layout, revisions, finding the store,
//! refusing hostile source ids, packed batch writes, the work tree.

use crate::util::{captures, env_in, git, new_store, run, snapshots_dir};

#[test]
fn snapshot_twice_makes_one_commit() {
    let (dir, store) = new_store();
    let env = env_in(&store);
    let seed = captures()[0].clone();
    let first = run(
        &env,
        &["snapshot", seed.to_str().unwrap(), "--source", "paper"],
    );
    assert_eq!(first.code, 0, "{first:?}");
    assert!(
        first.stdout.contains("paper: recorded 2025-05-20"),
        "{}",
        first.stdout
    );
    let again = run(
        &env,
        &["snapshot", seed.to_str().unwrap(), "--source", "paper"],
    );
    assert_eq!(again.code, 0, "{again:?}");
    assert!(
        again.stdout.contains("unchanged") && again.stdout.contains("no commit"),
        "{}",
        again.stdout
    );
    // The store creation commit plus one version.
    assert_eq!(git(&store, &["rev-list", "--count", "HEAD"]).trim(), "2");
    assert_eq!(
        git(&store, &["status", "--porcelain"]),
        "",
        "work tree matches history"
    );
    drop(dir);
}

#[test]
fn the_layout_is_plain_files_in_git() {
    let (_dir, store) = new_store();
    let seed = captures()[0].clone();
    run(
        &env_in(&store),
        &["snapshot", seed.to_str().unwrap(), "--source", "paper"],
    );
    let files = git(&store, &["ls-tree", "-r", "--name-only", "HEAD"]);
    let files: Vec<&str> = files.lines().collect();
    assert_eq!(
        files,
        [
            ".gitignore",
            "paper/capture.json",
            "paper/document.md",
            "paper/raw.txt",
            "paper/related.md",
            "redline.toml"
        ]
    );
    let raw = std::fs::read(store.join("paper/raw.txt")).unwrap();
    assert_eq!(
        raw,
        std::fs::read(&seed).unwrap(),
        "the raw capture is kept byte for byte"
    );
    let capture: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(store.join("paper/capture.json")).unwrap())
            .unwrap();
    assert_eq!(capture["captured_at"], "2025-05-20T00:00:00Z");
    assert_eq!(capture["sha256"].as_str().unwrap().len(), 64);
    let related = std::fs::read_to_string(store.join("paper/related.md")).unwrap();
    assert!(related.contains("## President Trump’s Visit to the Gulf"));
}

#[test]
fn stored_versions_read_back_as_the_normalized_document() {
    let (_dir, store) = new_store();
    let env = env_in(&store);
    let seed = captures()[0].clone();
    run(
        &env,
        &["snapshot", seed.to_str().unwrap(), "--source", "paper"],
    );
    let shown = run(&env, &["show", "paper", "--format", "json"]);
    let normalized = run(
        &env,
        &["normalize", seed.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(shown.code, 0, "{shown:?}");
    assert_eq!(shown.stdout, normalized.stdout);
}

#[test]
fn import_records_each_changed_capture_with_its_date_and_summary() {
    let (_dir, store) = new_store();
    let env = env_in(&store);
    let r = run(&env, &["import", snapshots_dir().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{r:?}");
    let all: Vec<&str> = r.stdout.lines().collect();
    // Each version is bundled as an HTML and a text capture; the HTML one
    // sorts first and is recorded, the text one normalizes identically and
    // makes no commit.
    assert_eq!(all.len(), 12, "{}", r.stdout);
    for pair in all.chunks(2) {
        assert!(pair[1].contains("unchanged"), "{}", r.stdout);
    }
    let lines: Vec<&str> = all.iter().step_by(2).copied().collect();
    assert_eq!(lines.len(), 6, "{}", r.stdout);
    assert!(
        lines[5].contains("unchanged"),
        "the chrome-only capture makes no commit: {}",
        lines[5]
    );

    // Five versions plus the store's creation.
    assert_eq!(git(&store, &["rev-list", "--count", "HEAD"]).trim(), "6");
    let dates = git(&store, &["log", "--format=%ad", "--date=short"]);
    assert_eq!(
        dates.lines().collect::<Vec<_>>()[..5],
        [
            "2025-07-22",
            "2025-07-08",
            "2025-06-24",
            "2025-06-03",
            "2025-05-20"
        ]
    );
    let subjects = git(&store, &["log", "--format=%s"]);
    let subjects: Vec<&str> = subjects.lines().collect();
    assert_eq!(
        subjects[0],
        "inss-defense-treaty: 1 paragraph split, 1 merged"
    );
    assert_eq!(
        subjects[1],
        "inss-defense-treaty: 1 paragraph moved; title changed; related 1 moved 1 changed"
    );
    assert_eq!(
        subjects[2],
        "inss-defense-treaty: 1 paragraph added, 1 removed; date changed; related +2 -1"
    );
    assert_eq!(
        subjects[3],
        "inss-defense-treaty: 1 paragraph edited, 1 cosmetic change; topics +1"
    );
    assert!(subjects[4].starts_with("inss-defense-treaty: first version"));
    let body = git(&store, &["log", "-1", "--format=%b"]);
    assert!(
        body.contains("Redline-Source: inss-defense-treaty"),
        "{body}"
    );
    assert!(
        body.contains("Redline-Capture: 2025-07-22-inss-defense-treaty.html"),
        "{body}"
    );

    let log = run(&env, &["log", "inss-defense-treaty", "--json"]);
    let log: serde_json::Value = serde_json::from_str(&log.stdout).unwrap();
    assert_eq!(log.as_array().unwrap().len(), 5);
    assert_eq!(log[0]["summary"], "1 paragraph split, 1 merged");
}

#[test]
fn revisions_by_offset_date_and_prefix() {
    let (_dir, store) = new_store();
    let env = env_in(&store);
    run(
        &env,
        &["import", snapshots_dir().to_str().unwrap(), "--source", "p"],
    );
    let json = |args: &[&str]| -> serde_json::Value {
        let r = run(&env, args);
        assert_eq!(r.code, 1, "{args:?}: {r:?}");
        serde_json::from_str(&r.stdout).unwrap()
    };
    // Default: the version before the latest against the latest.
    let latest = json(&["diff", "p", "--format", "json"]);
    assert_eq!(latest["stats"]["body"]["split"], 1);
    // ~4 is the first version; a date means the version in effect that day.
    let first_two = json(&["diff", "p", "~4", "~3", "--format", "json"]);
    assert_eq!(first_two["stats"]["body"]["cosmetic"], 1);
    let by_date = json(&["diff", "p", "2025-06-10", "2025-06-30", "--format", "json"]);
    assert_eq!(by_date["stats"]["body"]["inserted"], 1);
    let oldest = git(&store, &["log", "--format=%H", "-5"])
        .lines()
        .last()
        .unwrap()
        .to_string();
    let by_prefix = json(&["diff", "p", &oldest[..8], "~3", "--format", "json"]);
    assert_eq!(by_prefix, first_two);

    let shown = run(&env, &["show", "p@2025-05-25", "--format", "text"]);
    assert_eq!(shown.code, 0, "{shown:?}");
    assert!(shown.stdout.contains("also raised the idea September 2019"));
    let bad = run(&env, &["diff", "p", "~9"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("only 5 versions"), "{}", bad.stderr);
    let early = run(&env, &["show", "p@2020-01-01"]);
    assert_eq!(early.code, 2);
    assert!(
        early.stderr.contains("first version is from 2025-05-20"),
        "{}",
        early.stderr
    );
}

#[test]
fn the_store_is_found_like_git_finds_a_repository() {
    let (dir, store) = new_store();
    let seed = captures()[0].clone();
    let inner = store.join("paper");
    std::fs::create_dir_all(&inner).unwrap();
    // From a subdirectory: found upward.
    let r = run(
        &env_in(&inner),
        &["snapshot", seed.to_str().unwrap(), "--source", "paper"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    // From elsewhere: through REDLINE_STORE, or --store.
    let mut env = env_in(dir.path());
    env.store = Some(store.clone());
    assert_eq!(run(&env, &["log"]).code, 0);
    let r = run(
        &env_in(dir.path()),
        &["--store", store.to_str().unwrap(), "log"],
    );
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("paper: first version"), "{}", r.stdout);
}

#[test]
fn no_store_is_a_clear_error_that_says_to_run_init() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(&env_in(dir.path()), &["log"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no redline store found"), "{}", r.stderr);
    assert!(r.stderr.contains("redline init"), "{}", r.stderr);
    let r = run(
        &env_in(dir.path()),
        &["--store", dir.path().to_str().unwrap(), "log"],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("is not a redline store") && r.stderr.contains("redline init"),
        "{}",
        r.stderr
    );
}

#[test]
fn hostile_source_ids_are_refused_and_nothing_is_written() {
    let (_dir, store) = new_store();
    let seed = captures()[0].clone();
    for id in ["../escape", "/tmp/x", ".git", "a/b", "UPPER"] {
        let r = run(
            &env_in(&store),
            &["snapshot", seed.to_str().unwrap(), "--source", id],
        );
        assert_eq!(r.code, 2, "{id}");
        assert!(r.stderr.contains("invalid source id"), "{}", r.stderr);
    }
    assert_eq!(git(&store, &["rev-list", "--count", "HEAD"]).trim(), "1");
    assert!(!store.parent().unwrap().join("escape").exists());
}

#[test]
fn a_capture_with_no_text_is_an_error_and_records_nothing() {
    let (dir, store) = new_store();
    let empty = dir.path().join("2025-01-01-empty.txt");
    std::fs::write(&empty, "Menu\n  • Home\n  • About\n").unwrap();
    let r = run(
        &env_in(&store),
        &["snapshot", empty.to_str().unwrap(), "--source", "x"],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("found no publication text"),
        "{}",
        r.stderr
    );
    assert_eq!(git(&store, &["rev-list", "--count", "HEAD"]).trim(), "1");
}

/// A batch writes its versions as pack files, flushed along the way: the
/// history is complete and valid for git, no loose object is written, and
/// the same handle writes to disk as usual afterwards.
#[test]
fn packed_batches_leave_a_complete_history_git_accepts() {
    use redline::document::{Block, Document};
    use redline::fetch::{Capture, CaptureKind};
    use redline::store::{SourceId, Store};

    let (_dir, store_dir) = new_store();
    let counts = |dir: &std::path::Path, name: &str| -> u64 {
        let out = git(dir, &["count-objects", "-v"]);
        out.lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let loose_before = counts(&store_dir, "count:");
    let mut store = Store::open(&store_dir).unwrap();
    let at = chrono::DateTime::parse_from_rfc3339("2025-06-01T00:00:00Z").unwrap();
    // Names whose order in a git tree differs from plain byte order: a
    // folder sorts as if its name ended in `/` (after `-` and `.`, before
    // `0`), which `git fsck --strict` checks.
    let ids: Vec<SourceId> = ["a", "a-b", "a0"]
        .iter()
        .map(|name| SourceId::parse(name).unwrap())
        .collect();
    let recorded = store
        .with_packing(|store, packing| {
            let mut n: usize = 0;
            for round in 0..40 {
                for id in &ids {
                    let doc = Document {
                        body: vec![Block::paragraph(format!("Version {round} of {id}."))],
                        ..Document::default()
                    };
                    let raw = format!("raw capture {round} of {id}").into_bytes();
                    let capture = Capture::new(id.as_str(), raw, CaptureKind::Text, at);
                    store
                        .record_deferred(id, &doc, &capture, &format!("{id}: version {round}"))
                        .unwrap();
                    n += 1;
                    if n.is_multiple_of(50) {
                        packing.flush().unwrap();
                    }
                }
            }
            n
        })
        .unwrap();
    assert_eq!(recorded, 120);
    store.sync_sources(&ids).unwrap();

    assert_eq!(
        git(&store_dir, &["rev-list", "--count", "HEAD"]).trim(),
        "121"
    );
    for id in &ids {
        assert_eq!(store.versions(id).unwrap().len(), 40);
    }
    git(&store_dir, &["fsck", "--strict", "--no-dangling"]);
    assert_eq!(
        counts(&store_dir, "count:"),
        loose_before,
        "no loose objects were written"
    );
    assert!(counts(&store_dir, "packs:") >= 3, "one pack per flush");
    assert_eq!(git(&store_dir, &["status", "--porcelain"]), "");

    // Writes after packing, on the same handle, go to disk as usual.
    let extra = SourceId::parse("extra").unwrap();
    let doc = Document {
        body: vec![Block::paragraph("Written after the batch.")],
        ..Document::default()
    };
    let capture = Capture::new("extra", b"x".to_vec(), CaptureKind::Text, at);
    store
        .record(&extra, &doc, &capture, "extra: first")
        .unwrap();
    drop(store);
    assert_eq!(
        Store::open(&store_dir)
            .unwrap()
            .versions(&extra)
            .unwrap()
            .len(),
        1
    );
    git(&store_dir, &["fsck", "--strict", "--no-dangling"]);
}

/// When a source's capture changes kind (text, then HTML), the work tree
/// keeps only the current raw file and git sees a clean tree.
#[test]
fn the_work_tree_follows_a_change_of_capture_kind() {
    let (_dir, store) = new_store();
    let env = env_in(&store);
    let text = captures()[0].clone();
    let html = captures()[1].with_extension("html");
    assert_eq!(
        run(&env, &["snapshot", text.to_str().unwrap(), "--source", "p"]).code,
        0
    );
    assert!(store.join("p/raw.txt").is_file());
    let r = run(&env, &["snapshot", html.to_str().unwrap(), "--source", "p"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(store.join("p/raw.html").is_file());
    assert!(
        !store.join("p/raw.txt").exists(),
        "the old raw capture is gone"
    );
    assert_eq!(git(&store, &["status", "--porcelain"]), "");
    assert_eq!(git(&store, &["ls-files", "p"]).lines().count(), 4);
}

/// Two writers on one store never interleave: while a live process holds
/// the store's lock, `--no-wait` refuses with a clear error and records
/// nothing, and the default waits (saying so) and records once the lock is
/// released. A lock left by a dead process is taken over.
#[test]
fn a_second_writer_waits_or_refuses() {
    let (_dir, store) = new_store();
    let seed = captures()[0].clone();
    let lock = store.join(".redline/lock");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let held = format!(
        "{} {} 2026-11-26T00:00:00+00:00\n",
        std::process::id(),
        host.trim()
    );
    std::fs::write(&lock, &held).unwrap();

    let args = ["snapshot", seed.to_str().unwrap(), "--source", "p"];
    let mut no_wait = vec!["--no-wait"];
    no_wait.extend_from_slice(&args);
    let refused = crate::util::run_binary(&store, &no_wait, &[]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(
        refused.stderr.contains("in use by another redline run"),
        "{}",
        refused.stderr
    );
    assert_eq!(git(&store, &["rev-list", "--count", "HEAD"]).trim(), "1");

    let releaser = {
        let lock = lock.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(700));
            std::fs::remove_file(lock).unwrap();
        })
    };
    let waited = crate::util::run_binary(&store, &args, &[]);
    releaser.join().unwrap();
    assert_eq!(waited.code, 0, "{waited:?}");
    assert!(
        waited.stderr.contains("waiting for another redline run"),
        "{}",
        waited.stderr
    );
    assert_eq!(git(&store, &["rev-list", "--count", "HEAD"]).trim(), "2");
    assert!(!lock.exists(), "the lock is released");

    // A dead holder: its lock is stale and taken over without waiting.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    std::fs::write(
        &lock,
        format!("{dead} {} 2026-11-26T00:00:00+00:00\n", host.trim()),
    )
    .unwrap();
    let html = captures()[1].with_extension("html");
    let r = crate::util::run_binary(
        &store,
        &[
            "--no-wait",
            "snapshot",
            html.to_str().unwrap(),
            "--source",
            "p",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(git(&store, &["rev-list", "--count", "HEAD"]).trim(), "3");
}

/// Browsing history: `log` by date range, with counts and with each
/// version's redline; `show` names the versions around the one shown;
/// `diff --since` is everything since a day as one diff.
#[test]
fn history_can_be_browsed_by_date_counts_and_neighbours() {
    let (_dir, store) = new_store();
    let env = env_in(&store);
    run(
        &env,
        &["import", snapshots_dir().to_str().unwrap(), "--source", "p"],
    );

    let r = run(
        &env,
        &["log", "p", "--since", "2025-06-03", "--until", "2025-07-08"],
    );
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    assert!(
        lines[0].contains("2025-07-08") && lines[2].contains("2025-06-03"),
        "{}",
        r.stdout
    );

    let r = run(
        &env,
        &[
            "log",
            "p",
            "--stat",
            "--since",
            "2025-06-24",
            "--until",
            "2025-06-24",
        ],
    );
    assert_eq!(
        r.stdout.lines().nth(1),
        Some("    1 inserted, 1 deleted, 1 metadata, related 2 added, related 1 removed"),
        "{}",
        r.stdout
    );
    let json: serde_json::Value =
        serde_json::from_str(&run(&env, &["log", "p", "--json", "--stat"]).stdout).unwrap();
    assert_eq!(json[0]["stats"]["body"]["split"], 1);
    assert!(
        json[4]["stats"].is_null(),
        "the first version has no counts"
    );

    let r = run(
        &env,
        &[
            "log",
            "p",
            "-p",
            "--since",
            "2025-07-08",
            "--until",
            "2025-07-08",
        ],
    );
    assert!(
        r.stdout.contains("[moved from \"Policy Recommendations\"]"),
        "{}",
        r.stdout
    );

    let r = run(&env, &["show", "p@2025-06-30", "--format", "text"]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.contains("version 3 of 5"), "{}", r.stderr);
    assert!(
        r.stderr.contains("previous: p@") && r.stderr.contains("(2025-06-03)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("next: p@") && r.stderr.contains("(2025-07-08)"),
        "{}",
        r.stderr
    );
    let first = run(&env, &["show", "p@~4"]);
    assert!(first.stderr.contains("previous: none"), "{}", first.stderr);

    // Since 2025-07-01: the version of 2025-06-24 against the latest.
    let since: serde_json::Value = serde_json::from_str(
        &run(
            &env,
            &["diff", "p", "--since", "2025-07-01", "--format", "json"],
        )
        .stdout,
    )
    .unwrap();
    let b = &since["stats"]["body"];
    assert_eq!(
        (
            b["moved"].as_u64(),
            b["split"].as_u64(),
            b["merged"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    let none = run(&env, &["diff", "p", "--since", "2025-05-01"]);
    assert_eq!(none.code, 2, "{none:?}");
    assert!(
        none.stderr.contains("first version is from 2025-05-20"),
        "{}",
        none.stderr
    );
}
