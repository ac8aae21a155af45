//! The oracle: snapshots/inss-defense-treaty/README.md lists, for each pair
//! of consecutive captures, what the editor changed (```oracle blocks and a
//! stats table). This module parses it and checks that `redline diff --format
//! json` reports exactly that and nothing else.

use serde_json::Value;

use crate::util::{captures, env_in, run, snapshots_dir};

/// One pair's expectations, read from the README.
#[derive(Debug)]
struct Pair {
    old_date: String,
    new_date: String,
    lines: Vec<Vec<String>>,
    stats: Vec<(String, u64)>,
}

/// Splits an oracle line into words and "quoted strings".
fn tokens(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('"') {
            let end = r.find('"').expect("closing quote");
            out.push(r[..end].to_string());
            rest = r[end + 1..].trim_start();
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = rest[end..].trim_start();
        }
    }
    out
}

fn read_oracle() -> Vec<Pair> {
    let readme = std::fs::read_to_string(snapshots_dir().join("README.md")).unwrap();
    let mut pairs: Vec<Pair> = Vec::new();
    let mut in_block = false;
    for line in readme.lines() {
        if let Some(title) = line.strip_prefix("## ")
            && let Some((a, b)) = title.split_once(" → ")
        {
            pairs.push(Pair {
                old_date: a.trim().into(),
                new_date: b.trim().into(),
                lines: Vec::new(),
                stats: Vec::new(),
            });
        } else if line == "```oracle" {
            in_block = true;
        } else if line == "```" {
            in_block = false;
        } else if in_block {
            pairs.last_mut().unwrap().lines.push(tokens(line));
        } else if line.starts_with("| 20") {
            let cells: Vec<&str> = line
                .split('|')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect();
            let (a, _) = cells[0].split_once(" → ").unwrap();
            let pair = pairs.iter_mut().find(|p| p.old_date == a).unwrap();
            let names = [
                "modified", "cosmetic", "inserted", "deleted", "moved", "split", "merged",
            ];
            for (name, cell) in names.iter().zip(&cells[1..]) {
                pair.stats.push((name.to_string(), cell.parse().unwrap()));
            }
        }
    }
    assert_eq!(pairs.len(), 5, "the README describes five pairs");
    pairs
}

fn capture_for(date: &str) -> String {
    captures()
        .into_iter()
        .find(|p| p.file_name().unwrap().to_str().unwrap().starts_with(date))
        .unwrap_or_else(|| panic!("no capture for {date}"))
        .to_str()
        .unwrap()
        .to_string()
}

fn diff_json(old: &str, new: &str) -> (i32, Value) {
    let r = run(
        &env_in(&snapshots_dir()),
        &["diff", old, new, "--format", "json"],
    );
    assert!(r.code == 0 || r.code == 1, "{r:?}");
    (r.code, serde_json::from_str(&r.stdout).unwrap())
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn parts(v: &Value) -> Vec<&str> {
    text(v).split("\n\n").collect()
}

/// Does body op `op` satisfy oracle line `l`?
fn body_matches(l: &[String], op: &Value) -> bool {
    let kind = text(&op["op"]);
    let cosmetic = op["cosmetic"].as_bool().unwrap_or(false);
    match l[1].as_str() {
        "modified" => {
            if kind != "modified" || cosmetic || !text(&op["old_text"]).starts_with(&l[2]) {
                return false;
            }
            let runs = |tag: &str| -> Vec<String> {
                op["words"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|w| w["op"] == tag)
                    .map(|w| text(&w["text"]).trim().to_string())
                    .collect()
            };
            let expect = |tag: &str| -> Vec<String> {
                l.windows(2)
                    .filter(|w| w[0] == tag)
                    .map(|w| w[1].clone())
                    .collect()
            };
            runs("insert") == expect("insert") && runs("delete") == expect("delete")
        }
        "cosmetic" => kind == "modified" && cosmetic && text(&op["old_text"]).starts_with(&l[2]),
        "inserted" => {
            kind == "inserted"
                && text(&op["new_text"]).starts_with(&l[2])
                && op["section"] == l[4].as_str()
        }
        "deleted" => {
            kind == "deleted"
                && text(&op["old_text"]).starts_with(&l[2])
                && op["section"] == l[4].as_str()
        }
        "moved" => {
            kind == "moved"
                && text(&op["new_text"]).starts_with(&l[2])
                && op["old_section"] == l[4].as_str()
                && op["section"] == l[6].as_str()
                && op["words"].as_array().is_none_or(|w| w.is_empty())
        }
        "split" => {
            let new = parts(&op["new_text"]);
            kind == "split"
                && text(&op["old_text"]).starts_with(&l[2])
                && new.len() == 2
                && new[0].starts_with(&l[4])
                && new[1].starts_with(&l[5])
        }
        "merged" => {
            let old = parts(&op["old_text"]);
            kind == "merged"
                && old.len() == 2
                && old[0].starts_with(&l[2])
                && old[1].starts_with(&l[3])
                && text(&op["new_text"]).starts_with(&l[5])
        }
        other => panic!("unknown oracle body line kind {other}"),
    }
}

fn related_matches(l: &[String], op: &Value) -> bool {
    let kind_ok = op["op"] == l[1].as_str() && text(&op["title"]).starts_with(&l[2]);
    if l[1] == "changed" {
        let fields: Vec<&str> = op["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| text(&c["field"]))
            .collect();
        return kind_ok && fields == [l[3].as_str()];
    }
    kind_ok
}

fn meta_matches(l: &[String], change: &Value) -> bool {
    if change["field"] != l[1].as_str() {
        return false;
    }
    match l[1].as_str() {
        "topics" | "authors" => {
            let added: Vec<&str> = change["added"]
                .as_array()
                .map(|a| a.iter().map(text).collect())
                .unwrap_or_default();
            let removed: Vec<&str> = change["removed"]
                .as_array()
                .map(|a| a.iter().map(text).collect())
                .unwrap_or_default();
            let want_added: Vec<&str> = l
                .windows(2)
                .filter(|w| w[0] == "+")
                .map(|w| w[1].as_str())
                .collect();
            let want_removed: Vec<&str> = l
                .windows(2)
                .filter(|w| w[0] == "-")
                .map(|w| w[1].as_str())
                .collect();
            added == want_added && removed == want_removed
        }
        _ => change["old"] == l[2].as_str() && change["new"] == l[4].as_str(),
    }
}

/// Each oracle line matches exactly one reported change, and nothing else is
/// reported.
fn check_one_to_one(
    what: &str,
    pair: &Pair,
    expected: &[&Vec<String>],
    reported: &[&Value],
    matches: fn(&[String], &Value) -> bool,
) {
    assert_eq!(
        expected.len(),
        reported.len(),
        "{} → {}: {what}: expected {expected:?}\nreported {reported:#?}",
        pair.old_date,
        pair.new_date
    );
    let mut used = vec![false; reported.len()];
    for line in expected {
        let hit = reported
            .iter()
            .enumerate()
            .find(|(i, op)| !used[*i] && matches(line, op))
            .map(|(i, _)| i);
        match hit {
            Some(i) => used[i] = true,
            None => panic!(
                "{} → {}: {what}: nothing reported matches {line:?}\nreported {reported:#?}",
                pair.old_date, pair.new_date
            ),
        }
    }
}

#[test]
fn every_pair_reports_exactly_what_the_editor_changed() {
    for pair in read_oracle() {
        let (code, diff) = diff_json(&capture_for(&pair.old_date), &capture_for(&pair.new_date));
        let none = pair.lines.iter().any(|l| l == &["none"]);
        assert_eq!(
            code,
            if none { 0 } else { 1 },
            "{} → {}: exit code",
            pair.old_date,
            pair.new_date
        );
        assert_eq!(diff["schema"], 1);

        let body: Vec<&Value> = diff["body"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|op| op["op"] != "equal")
            .collect();
        let expected: Vec<&Vec<String>> = pair.lines.iter().filter(|l| l[0] == "body").collect();
        check_one_to_one("body", &pair, &expected, &body, body_matches);

        let meta: Vec<&Value> = diff["meta"].as_array().unwrap().iter().collect();
        let expected: Vec<&Vec<String>> = pair.lines.iter().filter(|l| l[0] == "meta").collect();
        check_one_to_one("meta", &pair, &expected, &meta, meta_matches);

        let related: Vec<&Value> = diff["related"].as_array().unwrap().iter().collect();
        let expected: Vec<&Vec<String>> = pair.lines.iter().filter(|l| l[0] == "related").collect();
        check_one_to_one("related", &pair, &expected, &related, related_matches);

        for (name, n) in &pair.stats {
            assert_eq!(
                diff["stats"]["body"][name], *n,
                "{} → {}: stats.body.{name}",
                pair.old_date, pair.new_date
            );
        }
        assert_eq!(diff["stats"]["meta"], meta.len() as u64);
        for kind in ["added", "removed", "moved", "changed"] {
            let n = pair
                .lines
                .iter()
                .filter(|l| l[0] == "related" && l[1] == kind)
                .count();
            assert_eq!(
                diff["stats"]["related"][kind], n as u64,
                "{} → {}: stats.related.{kind}",
                pair.old_date, pair.new_date
            );
        }
    }
}

#[test]
fn every_block_op_carries_indexes_and_texts() {
    let files = captures();
    for w in files.windows(2) {
        let (_, diff) = diff_json(w[0].to_str().unwrap(), w[1].to_str().unwrap());
        for op in diff["body"].as_array().unwrap() {
            let kind = text(&op["op"]);
            let (old, new) = (op["old"].as_array().unwrap(), op["new"].as_array().unwrap());
            match kind {
                "inserted" => {
                    assert!(old.is_empty() && new.len() == 1 && op["new_text"].is_string())
                }
                "deleted" => {
                    assert!(new.is_empty() && old.len() == 1 && op["old_text"].is_string())
                }
                "equal" => assert!(old.len() == 1 && new.len() == 1),
                _ => assert!(
                    !old.is_empty()
                        && !new.is_empty()
                        && op["old_text"].is_string()
                        && op["new_text"].is_string()
                ),
            }
        }
    }
}

#[test]
fn diff_in_reverse_mirrors_the_counts() {
    let files = captures();
    for w in files.windows(2) {
        let (_, fwd) = diff_json(w[0].to_str().unwrap(), w[1].to_str().unwrap());
        let (_, back) = diff_json(w[1].to_str().unwrap(), w[0].to_str().unwrap());
        let (f, b) = (&fwd["stats"]["body"], &back["stats"]["body"]);
        for (x, y) in [
            ("inserted", "deleted"),
            ("split", "merged"),
            ("modified", "modified"),
            ("moved", "moved"),
            ("cosmetic", "cosmetic"),
        ] {
            assert_eq!(f[x], b[y], "{} {x} vs reverse {y}", w[0].display());
        }
        assert_eq!(
            fwd["stats"]["related"]["added"],
            back["stats"]["related"]["removed"]
        );
    }
}
