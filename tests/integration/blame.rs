//! `redline blame` on a real store: the bundled captures imported in order,
//! checked against what snapshots/inss-defense-treaty/README.md says the
//! editor did in each version (edited, cosmetic, added, moved, split,
//! merged), as JSON and as terminal lines.

use serde_json::Value;

use crate::util::{env_in, new_store, run, snapshots_dir};

/// A store holding the bundled history as source `p`, and its versions
/// (revision ids) oldest first, read from `log --json`.
fn imported() -> (tempfile::TempDir, std::path::PathBuf, Vec<String>) {
    let (dir, store) = new_store();
    let env = env_in(&store);
    let r = run(
        &env,
        &["import", snapshots_dir().to_str().unwrap(), "--source", "p"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let log = run(&env, &["log", "p", "--json"]);
    let log: Value = serde_json::from_str(&log.stdout).unwrap();
    let mut revs: Vec<String> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["revision"].as_str().unwrap().to_string())
        .collect();
    revs.reverse();
    (dir, store, revs)
}

fn blame_json(store: &std::path::Path, target: &str) -> Value {
    let r = run(&env_in(store), &["blame", target, "--json"]);
    assert_eq!(r.code, 0, "{r:?}");
    serde_json::from_str(&r.stdout).unwrap()
}

/// The block whose text starts with `start`.
fn block<'a>(blame: &'a Value, start: &str) -> &'a Value {
    blame["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["text"].as_str().unwrap().starts_with(start))
        .unwrap_or_else(|| panic!("no block starting {start:?}"))
}

fn rev(v: &Value) -> &str {
    v["revision"].as_str().unwrap()
}

#[test]
fn each_block_dates_from_the_version_that_gave_it_its_wording() {
    let (_dir, store, revs) = imported();
    // Five versions: the last capture (2025-08-05) changes only page chrome.
    assert_eq!(revs.len(), 5, "{revs:?}");
    let b = blame_json(&store, "p");
    assert_eq!(b["schema"], 1);
    assert_eq!(b["source"], "p");
    assert_eq!(rev(&b["version"]), revs[4]);
    assert_eq!(b["versions_read"], 5);

    // Edited in version 2 ("ahead of the" inserted).
    let edited = block(&b, "Israeli Prime Minister David Ben-Gurion");
    assert_eq!(rev(&edited["since"]), revs[1]);
    assert_eq!(rev(&edited["first_published"]), revs[0]);
    assert_eq!(rev(&edited["last_edited"]), revs[1]);
    assert_eq!(edited["edits"], 1);
    assert_eq!(edited["since"]["time"], "2025-06-03T00:00:00+00:00");

    // Only typography changed in version 2: its wording is from version 1.
    let cosmetic = block(&b, "A defense treaty between Israel and the");
    assert_eq!(rev(&cosmetic["since"]), revs[0]);
    assert!(cosmetic["last_edited"].is_null());

    // Added in version 3.
    let added = block(&b, "Such a treaty would complement");
    assert_eq!(rev(&added["since"]), revs[2]);
    assert_eq!(rev(&added["first_published"]), revs[2]);

    // Moved in version 4 to another section: it keeps its history.
    let moved = block(&b, "Israel does not need a defense treaty");
    assert_eq!(moved["section"], "Significance");
    assert_eq!(rev(&moved["since"]), revs[0]);
    assert_eq!(rev(&moved["first_published"]), revs[0]);
    assert_eq!(rev(&moved["last_moved"]), revs[3]);
    assert!(moved["last_edited"].is_null());

    // Split and merged in version 5, no word changed: wording from version 1.
    for start in [
        "More importantly, a defense treaty would cement",
        "This relationship is already under strain",
        "The treaty must anchor the US commitment",
    ] {
        let piece = block(&b, start);
        assert_eq!(rev(&piece["since"]), revs[0], "{start}");
        assert_eq!(rev(&piece["first_published"]), revs[0], "{start}");
    }
    // Blocks nobody touched.
    let lead = block(&b, "Israel should seek to conclude");
    assert_eq!(rev(&lead["since"]), revs[0]);
    assert!(lead["last_moved"].is_null());
    assert_eq!(lead["edits"], 0);
}

#[test]
fn blame_of_an_earlier_version_reads_history_up_to_it() {
    let (_dir, store, revs) = imported();
    let b = blame_json(&store, "p@2025-06-03");
    assert_eq!(rev(&b["version"]), revs[1]);
    assert_eq!(b["versions_read"], 2);
    assert_eq!(b["blocks"].as_array().unwrap().len(), 15);
    assert!(
        b["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| !x["text"].as_str().unwrap().starts_with("Such a treaty")),
        "a paragraph of a later version"
    );
    let edited = block(&b, "Israeli Prime Minister David Ben-Gurion");
    assert_eq!(rev(&edited["since"]), revs[1]);
    // The deleted paragraph of version 3 is still there.
    let deleted = block(&b, "In the rapidly changing strategic circumstances");
    assert_eq!(rev(&deleted["since"]), revs[0]);
}

#[test]
fn terminal_lines_show_revision_day_and_first_day() {
    let (_dir, store, revs) = imported();
    let env = env_in(&store);
    let r = run(&env, &["blame", "p"]);
    assert_eq!(r.code, 0, "{r:?}");
    let json = blame_json(&store, "p");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), json["blocks"].as_array().unwrap().len());
    let edited = lines
        .iter()
        .find(|l| l.contains("Israeli Prime Minister David Ben-Gurion"))
        .unwrap();
    assert!(
        edited.starts_with(&format!("{} 2025-06-03 first 2025-05-20  ", &revs[1][..10])),
        "{edited}"
    );
    let heading = lines.iter().find(|l| l.ends_with("## The Facts")).unwrap();
    assert!(heading.starts_with(&revs[0][..10]), "{heading}");
    // Piped, lines are not cut; with --width they are, at that many columns.
    assert!(lines.iter().any(|l| l.chars().count() > 200));
    let cut = run(&env, &["blame", "p", "--width", "70"]);
    assert_eq!(cut.code, 0);
    for line in cut.stdout.lines() {
        assert!(line.chars().count() <= 70, "{line}");
    }
    assert!(cut.stdout.lines().any(|l| l.ends_with('…')));
}

#[test]
fn bad_targets_say_what_is_wrong() {
    let (_dir, store, _) = imported();
    let env = env_in(&store);
    let unknown = run(&env, &["blame", "nope"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.stderr.contains("\"nope\""), "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("known sources: p"),
        "{}",
        unknown.stderr
    );
    let bad_rev = run(&env, &["blame", "p@yesterday"]);
    assert_eq!(bad_rev.code, 2);
    assert!(
        bad_rev.stderr.contains("not a revision"),
        "{}",
        bad_rev.stderr
    );
    let too_early = run(&env, &["blame", "p@2020-01-01"]);
    assert_eq!(too_early.code, 2);
    assert!(
        too_early
            .stderr
            .contains("first version is from 2025-05-20"),
        "{}",
        too_early.stderr
    );
}
