//! The HTML redline rendered by a real headless Chromium.
//!
//! A bundled pair of captures (the one with a moved paragraph, a title
//! change and related-list changes) is diffed with `--format html`; Chromium
//! loads the page from disk, takes a screenshot and dumps the DOM it built.
//! The screenshot must be a real, non-trivial PNG, and the DOM must hold the
//! redline's parts: the summary, inline `<ins>`/`<del>`, a move linked to
//! where it came from, metadata and related-list sections, and nothing that
//! would make a request (no scripts, no external URLs).
//!
//! Needs Chromium (Debian package `chromium`; `.ci/run` installs it). When it
//! is missing the test fails and says so; `REDLINE_CHROMIUM` names another
//! binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{captures, env_in, run};

fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("REDLINE_CHROMIUM") {
        return PathBuf::from(p);
    }
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(out) = Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {name}"))
            .output()
            && out.status.success()
        {
            return PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        }
    }
    panic!(
        "headless Chromium is needed to check the HTML redline: install the Debian \
         package `chromium` (.ci/run does) or set REDLINE_CHROMIUM"
    );
}

/// Runs Chromium headless on `page` with the flags of a sandbox-less CI
/// box, plus `extra`; returns standard output.
fn headless(page: &Path, profile: &Path, extra: &[&str]) -> String {
    let mut cmd = Command::new("timeout");
    cmd.arg("120").arg(chromium()).args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ]);
    cmd.arg(format!("--user-data-dir={}", profile.display()));
    cmd.args(extra);
    cmd.arg(format!("file://{}", page.display()));
    let out = cmd.output().expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn html_redline_renders_in_headless_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let files = captures();
    // 2025-06-24 → 2025-07-08: a paragraph moved, the title and the related
    // list changed (snapshots/inss-defense-treaty/README.md).
    let (old, new) = (&files[2], &files[3]);
    let r = run(
        &env_in(tmp.path()),
        &[
            "diff",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "--format",
            "html",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let page = tmp.path().join("redline.html");
    std::fs::write(&page, &r.stdout).unwrap();

    let shot = tmp.path().join("shot.png");
    headless(
        &page,
        &tmp.path().join("profile-shot"),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1000,1400",
        ],
    );
    let png = std::fs::read(&shot).expect("chromium wrote no screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (1000, 1400));
    // A blank or unstyled page compresses to a few KB; the redline does not.
    assert!(
        png.len() > 30_000,
        "screenshot looks empty: {} bytes",
        png.len()
    );

    let dom = headless(&page, &tmp.path().join("profile-dom"), &["--dump-dom"]);
    for expected in [
        "id=\"summary\"",
        "1 paragraph moved",
        "<section id=\"metadata\">",
        "<dt>title</dt>",
        "<ins>Alliance</ins>",
        "<del>Relationship</del>",
        "class=\"op moved\"",
        "href=\"#from-",
        "class=\"op moved-away\"",
        "<section id=\"related\">",
        "class=\"moved\"",
    ] {
        assert!(
            dom.contains(expected),
            "{expected} missing from the DOM:\n{dom}"
        );
    }
    // Every move links to an element that exists.
    for (i, _) in dom.match_indices("href=\"#") {
        let target = &dom[i + 7..];
        let id = &target[..target.find('"').unwrap()];
        assert!(dom.contains(&format!("id=\"{id}\"")), "dangling link #{id}");
    }
    // Nothing that would load anything.
    for forbidden in [
        "<script", "<img", "<link", "<iframe", "src=", "url(", "@import",
    ] {
        assert!(!dom.contains(forbidden), "{forbidden} in the page");
    }
    assert!(!dom.contains("href=\"http"), "external link in the page");
}
