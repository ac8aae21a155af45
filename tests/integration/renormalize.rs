//! `redline renormalize` on a real store: the bundled captures recorded with
//! an older way of normalizing them (the generic profile), then re-derived
//! with the one redline now chooses (the INSS profile). The original commits
//! stay untouched; log, diff, show and blame read the re-derived documents.

use serde_json::Value;

use crate::util::{env_in, git, new_store, run, snapshots_dir};

/// A store with the bundled captures recorded through the generic profile
/// as source `p`, and its commits (`id tree`), newest first.
fn generic_store() -> (tempfile::TempDir, std::path::PathBuf, Vec<String>) {
    let (dir, store) = new_store();
    let r = run(
        &env_in(&store),
        &[
            "import",
            snapshots_dir().to_str().unwrap(),
            "--source",
            "p",
            "--profile",
            "generic",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let commits = git(&store, &["log", "--format=%H %T"]);
    let commits = commits.lines().map(str::to_string).collect();
    (dir, store, commits)
}

fn log_ids(store: &std::path::Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["log", "p", "--json"];
    args.extend_from_slice(extra);
    let r = run(&env_in(store), &args);
    assert_eq!(r.code, 0, "{r:?}");
    let log: Value = serde_json::from_str(&r.stdout).unwrap();
    log.as_array()
        .unwrap()
        .iter()
        .map(|v| v["revision"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn renormalization_adds_commits_and_leaves_the_originals_alone() {
    let (_dir, store, before) = generic_store();
    let env = env_in(&store);
    let versions = log_ids(&store, &[]);
    // With the generic profile, the HTML and text captures of a day differ,
    // so every capture is a version.
    assert_eq!(versions.len(), 12, "{versions:?}");
    // Each day's HTML and text capture differ as recorded.
    assert_eq!(
        run(&env, &["diff", "p", "~1", "~0", "--format", "json"]).code,
        1
    );

    let r = run(&env, &["renormalize"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout
            .contains("p: 12 of 12 versions re-derived differently"),
        "{}",
        r.stdout
    );

    // The original commits: same ids, same trees, still the history below.
    let after = git(&store, &["log", "--format=%H %T"]);
    let after: Vec<&str> = after.lines().collect();
    assert_eq!(after.len(), before.len() + 12);
    assert_eq!(&after[12..], before.as_slice());
    // Each new commit names the version it re-derives and the normalizer.
    for (i, line) in after[..12].iter().enumerate() {
        let id = line.split(' ').next().unwrap();
        let message = git(&store, &["log", "-1", "--format=%B", id]);
        let from = versions[i].as_str();
        assert!(
            message.contains(&format!("Redline-Renormalized-From: {from}\n")),
            "{message}"
        );
        assert!(
            message.contains(&format!(
                "Redline-Normalizer: redline {}\n",
                env!("CARGO_PKG_VERSION")
            )),
            "{message}"
        );
        // The folder keeps the raw capture and capture.json of the version
        // it re-derives.
        let kept = |commit: &str| -> Vec<String> {
            git(&store, &["ls-tree", commit, "p/"])
                .lines()
                .filter(|l| !l.ends_with("document.md") && !l.ends_with("related.md"))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(kept(id), kept(from));
        assert_eq!(kept(id).len(), 2);
    }

    // log hides them; --all shows them, naming what they re-derive.
    assert_eq!(log_ids(&store, &[]), versions);
    let all = run(&env, &["log", "p", "--json", "--all"]);
    let all: Value = serde_json::from_str(&all.stdout).unwrap();
    let renormalized: Vec<&Value> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v.get("renormalized_from").is_some())
        .collect();
    assert_eq!(renormalized.len(), 12);
    assert_eq!(all.as_array().unwrap().len(), 24);

    // Versions compare as re-derived: a day's HTML and text captures now
    // normalize alike, so their diff is empty and log says so.
    assert_eq!(run(&env, &["diff", "p", "~1", "~0"]).code, 0);
    let log = run(&env, &["log", "p"]);
    let first_line = log.stdout.lines().next().unwrap();
    assert!(
        first_line.ends_with("p: no changes (as re-derived)"),
        "{first_line}"
    );
    assert!(
        log.stdout
            .contains("p: 1 paragraph edited, 1 cosmetic change; topics +1 (as re-derived)"),
        "{}",
        log.stdout
    );

    // The work tree is the head's; show reads the re-derived latest version,
    // which is what normalizing its capture now gives.
    assert_eq!(git(&store, &["status", "--porcelain"]), "");
    let shown = run(&env, &["show", "p", "--format", "text"]);
    let capture = snapshots_dir().join("2025-08-05-inss-defense-treaty.txt");
    let now = run(
        &env,
        &["normalize", capture.to_str().unwrap(), "--format", "text"],
    );
    assert_eq!(shown.stdout, now.stdout);

    // Recording that capture again changes nothing: the head holds it.
    let again = run(
        &env,
        &["snapshot", capture.to_str().unwrap(), "--source", "p"],
    );
    assert!(again.stdout.contains("unchanged"), "{again:?}");

    // A second run finds nothing to re-derive.
    let head = git(&store, &["rev-parse", "HEAD"]);
    let second = run(&env, &["renormalize", "p"]);
    assert_eq!(second.code, 0, "{second:?}");
    assert!(
        second.stdout.contains("nothing recorded"),
        "{}",
        second.stdout
    );
    assert_eq!(git(&store, &["rev-parse", "HEAD"]), head);
}

#[test]
fn blame_reads_versions_as_re_derived() {
    let (_dir, store, _) = generic_store();
    let env = env_in(&store);
    assert_eq!(run(&env, &["renormalize", "p"]).code, 0);
    let versions = log_ids(&store, &[]);
    let r = run(&env, &["blame", "p", "--json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let b: Value = serde_json::from_str(&r.stdout).unwrap();
    // As re-derived, the body is the INSS profile's (15 blocks after the
    // split and merge); the edited paragraph dates from the first capture of
    // 2025-06-03, the oldest version with its wording.
    let blocks = b["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 15);
    let edited = blocks
        .iter()
        .find(|x| {
            x["text"]
                .as_str()
                .unwrap()
                .starts_with("Israeli Prime Minister David Ben-Gurion")
        })
        .unwrap();
    assert_eq!(edited["since"]["revision"], versions[9].as_str());
    assert_eq!(edited["first_published"]["revision"], versions[11].as_str());
}

#[test]
fn versions_that_cannot_be_re_derived_are_kept_and_reported() {
    let (_dir, store) = new_store();
    let env = env_in(&store);
    let seed = crate::util::captures()[0].clone();
    let r = run(&env, &["snapshot", seed.to_str().unwrap(), "--source", "t"]);
    assert_eq!(r.code, 0, "{r:?}");
    let head = git(&store, &["rev-parse", "HEAD"]);
    let bad = run(&env, &["renormalize", "t", "--profile", "no-such-profile"]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(
        bad.stderr.contains("t: version") && bad.stderr.contains("no profile named"),
        "{}",
        bad.stderr
    );
    assert!(
        bad.stdout.contains("1 could not be re-derived"),
        "{}",
        bad.stdout
    );
    assert_eq!(
        git(&store, &["rev-parse", "HEAD"]),
        head,
        "nothing recorded"
    );
    let unknown = run(&env, &["renormalize", "nope"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("\"nope\""), "{}", unknown.stderr);
}
