//! The diff's output formats and options beyond the plain redline: `--stat`,
//! `--format md`, `--format json` against docs/json-diff.md, the pager and
//! `--no-pager`, and Markdown documents diffed directly.

use redline::cli::{Pager, run_with_pager};

use crate::util::{captures, env_in, run, run_binary};

/// The pair with a move, a title change and related-list changes.
fn pair() -> (String, String) {
    let files = captures();
    (
        files[2].to_str().unwrap().to_string(),
        files[3].to_str().unwrap().to_string(),
    )
}

#[test]
fn stat_prints_counts_without_text() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = pair();
    let r = run(&env_in(tmp.path()), &["diff", &a, &b, "--stat"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("summary: 1 paragraph moved; title changed"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains(" Significance | 1 moved"), "{}", r.stdout);
    assert!(
        r.stdout.contains("body: 1 moved, 14 unchanged"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("metadata: title"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("related: 0 added, 0 removed, 1 moved, 1 changed")
    );
    // Counts only: not the moved paragraph's text.
    assert!(!r.stdout.contains("Hezbollah"), "{}", r.stdout);
}

#[test]
fn markdown_output_marks_words_and_escapes_page_text() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("old.md"),
        "# Terms\n\nWe keep your data for 30 days.\n\nSee [the policy](https://x.example) *now*.\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("new.md"),
        "# Terms\n\nWe keep your data for 90 days.\n\nSee [the policy](https://x.example) *now*.\n\nA new paragraph.\n",
    )
    .unwrap();
    let r = run(
        &env_in(tmp.path()),
        &["diff", "old.md", "new.md", "--format", "md"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let md = &r.stdout;
    assert!(md.contains("**§ Terms**"), "{md}");
    assert!(
        md.contains("*Edited:*\n> We keep your data for ~~30~~**90** days."),
        "{md}"
    );
    assert!(md.contains("*Added:*\n> **A new paragraph.**"), "{md}");
    assert!(md.contains("`old.md` → `new.md`"), "{md}");
    // The unchanged paragraph with a link is not shown.
    assert!(!md.contains("x.example"), "{md}");
}

#[test]
fn large_files_are_compared_the_same_however_they_are_held_in_memory() {
    // Over 2 MB together (well over 128 KB), so the binary grows its heap
    // in huge pages first (`heap::grow_for`), unless REDLINE_HUGE_HEAP=0;
    // and on Linux, writing to a file, it maps each file under a read lease
    // (`fetch::mapped`), unless another program has it open for writing:
    // then it reads it, as it does when writing to a pipe.
    let tmp = tempfile::tempdir().unwrap();
    let paragraph = |i: usize| {
        let words: Vec<String> = (0..30).map(|w| format!("w{}x{}", i * 7 + w, w)).collect();
        format!("Paragraph {i} says {}.", words.join(" "))
    };
    let old: Vec<String> = (0..5000).map(paragraph).collect();
    let mut new = old.clone();
    new[100] = new[100].replace(" says ", " now says ");
    let moved = new.remove(2000);
    new.insert(4000, moved);
    std::fs::write(tmp.path().join("old.md"), old.join("\n\n")).unwrap();
    std::fs::write(tmp.path().join("new.md"), new.join("\n\n")).unwrap();
    let args = ["diff", "old.md", "new.md", "--format", "json"];
    // Standard output to a file, as `> out.json` does.
    let to_file = |vars: &[(&str, &str)]| {
        let out = tmp.path().join("out.json");
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_redline"))
            .args(args)
            .current_dir(tmp.path())
            .envs(vars.iter().copied())
            .stdout(std::fs::File::create(&out).unwrap())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(1));
        std::fs::read_to_string(&out).unwrap()
    };
    let mapped = to_file(&[]);
    let plain = to_file(&[("REDLINE_HUGE_HEAP", "0")]);
    let writer = std::fs::OpenOptions::new()
        .append(true)
        .open(tmp.path().join("old.md"))
        .unwrap();
    let read = to_file(&[]);
    drop(writer);
    let piped = run_binary(tmp.path(), &args, &[]);
    assert_eq!(piped.code, 1, "{}", piped.stderr);
    assert_eq!(mapped, plain);
    assert_eq!(mapped, read);
    assert_eq!(mapped, piped.stdout);
    let v: serde_json::Value = serde_json::from_str(&mapped).unwrap();
    let stats = &v["stats"]["body"];
    assert_eq!(stats["modified"], 1, "{stats}");
    assert_eq!(stats["moved"], 1, "{stats}");
    assert_eq!(stats["inserted"], 0, "{stats}");
    assert_eq!(stats["deleted"], 0, "{stats}");
}

#[test]
fn json_output_is_the_documented_shape() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = pair();
    let r = run(&env_in(tmp.path()), &["diff", &a, &b, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["schema"], redline::diff::DIFF_SCHEMA);
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/json-diff.md"),
    )
    .unwrap();
    assert!(
        doc.contains(&format!("\"schema\": {}", redline::diff::DIFF_SCHEMA)),
        "docs/json-diff.md must document the current schema"
    );
    // Every top-level and op field the output uses is documented.
    let mut fields: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    for op in v["body"].as_array().unwrap() {
        fields.extend(op.as_object().unwrap().keys().cloned());
    }
    for op in v["related"].as_array().unwrap() {
        fields.extend(op.as_object().unwrap().keys().cloned());
    }
    fields.extend(v["stats"]["body"].as_object().unwrap().keys().cloned());
    for f in fields {
        assert!(
            doc.contains(&format!("`{f}`")),
            "field {f} is not in docs/json-diff.md"
        );
    }
}

fn pager_run(height: usize, extra: &[&str]) -> (String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let paged = tmp.path().join("paged.txt");
    let pager = Pager {
        command: format!("cat > '{}'", paged.display()),
        height,
    };
    let (a, b) = pair();
    let mut args = vec!["redline", "diff", a.as_str(), b.as_str()];
    args.extend_from_slice(extra);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_with_pager(args, &env_in(tmp.path()), Some(&pager), &mut out, &mut err);
    assert_eq!(code, 1, "{}", String::from_utf8_lossy(&err));
    let paged = std::fs::read_to_string(paged).unwrap_or_default();
    (String::from_utf8(out).unwrap(), paged)
}

#[test]
fn a_redline_longer_than_the_screen_goes_through_the_pager() {
    let (stdout, paged) = pager_run(5, &[]);
    assert!(stdout.is_empty(), "printed directly: {stdout}");
    assert!(
        paged.contains("[moved from \"Policy Recommendations\"]"),
        "{paged}"
    );
}

#[test]
fn short_output_and_no_pager_print_directly() {
    let (stdout, paged) = pager_run(10_000, &[]);
    assert!(paged.is_empty());
    assert!(stdout.contains("summary:"));
    let (stdout, paged) = pager_run(5, &["--no-pager"]);
    assert!(paged.is_empty());
    assert!(stdout.contains("summary:"));
}
