//! HTML captures: the bundled INSS page as served, real encodings, site
//! profiles with selectors, and inputs that must fail cleanly.

use std::path::{Path, PathBuf};

use crate::util::{captures, env_in, git, new_store, run, snapshots_dir};

/// The HTML capture of the same version as a text capture.
fn html_of(txt: &Path) -> PathBuf {
    txt.with_extension("html")
}

fn normalize_json(path: &Path, extra: &[&str]) -> String {
    let mut args = vec!["normalize", path.to_str().unwrap(), "--format", "json"];
    args.extend_from_slice(extra);
    let r = run(&env_in(path.parent().unwrap()), &args);
    assert_eq!(r.code, 0, "{}: {r:?}", path.display());
    r.stdout
}

#[test]
fn text_and_html_captures_of_each_version_are_the_same_document() {
    let txts = captures();
    assert_eq!(txts.len(), 6);
    for txt in &txts {
        let html = html_of(txt);
        assert!(html.is_file(), "missing {}", html.display());
        assert_eq!(
            normalize_json(txt, &[]),
            normalize_json(&html, &[]),
            "{} and its HTML capture differ",
            txt.display()
        );
    }
}

#[test]
fn the_diff_of_two_html_versions_is_the_diff_of_the_text_versions() {
    let txts = captures();
    for pair in txts.windows(2) {
        let diff = |a: &Path, b: &Path| {
            let r = run(
                &env_in(&snapshots_dir()),
                &[
                    "diff",
                    a.to_str().unwrap(),
                    b.to_str().unwrap(),
                    "--format",
                    "json",
                ],
            );
            assert!(r.code == 0 || r.code == 1, "{r:?}");
            (r.code, r.stdout)
        };
        let text = diff(&pair[0], &pair[1]);
        let html = diff(&html_of(&pair[0]), &html_of(&pair[1]));
        assert_eq!(text, html, "{} → {}", pair[0].display(), pair[1].display());
    }
}

#[test]
fn the_html_page_loses_its_chrome() {
    let html = html_of(&captures()[0]);
    let doc: serde_json::Value = serde_json::from_str(&normalize_json(&html, &[])).unwrap();
    let text = serde_json::to_string(&doc).unwrap();
    for chrome in [
        "Listen to this content",
        "Downloaded",
        "Playback Speed",
        "All events",
        "Share on",
        "The opinions expressed",
        "Stay up to date",
        "Vision and Mission",
    ] {
        assert!(
            !text.contains(chrome),
            "{chrome:?} leaked into the document"
        );
    }
    assert_eq!(doc["related"].as_array().unwrap().len(), 3);
    assert_eq!(doc["related"][0]["credit"], "REUTERS/Brian Snyder");
}

#[test]
fn importing_text_and_html_captures_records_each_version_once() {
    let (_dir, store) = new_store();
    let r = run(
        &env_in(&snapshots_dir()),
        &["--store", store.to_str().unwrap(), "import", "."],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout.matches(": recorded ").count(), 5, "{}", r.stdout);
    let log = git(&store, &["log", "--format=%s", "--", "inss-defense-treaty"]);
    assert_eq!(log.lines().count(), 5, "{log}");
}

#[test]
fn a_windows_1252_page_reads_right() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("old.html");
    let mut bytes = b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\"><title>Caf\xe9 society | Old Site</title></head><body><article><p>".to_vec();
    bytes.extend_from_slice(
        b"The caf\xe9 re-opened on Monday \x96 \x93finally\x94, said the owner, who had waited a long time for the permits to arrive from the city.",
    );
    bytes.extend_from_slice(b"</p></article></body></html>");
    std::fs::write(&page, bytes).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&normalize_json(&page, &[])).unwrap();
    assert_eq!(doc["title"], "Café society");
    assert!(
        doc["body"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("The café re-opened on Monday – “finally”, said"),
        "{doc}"
    );
}

#[test]
fn a_user_profile_file_with_selectors_that_match_nothing_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("mysite.toml");
    std::fs::write(
        &profile,
        "name = \"mysite\"\n[html]\ntitle = \"h1.headline\"\nbody = \"div.story\"\ntopics = \"a.tag\"\n\
         [html.related]\nitem = \"li.more\"\ntitle = \"a\"\nlink = \"a\"\n",
    )
    .unwrap();
    let page = dir.path().join("page.html");
    std::fs::write(
        &page,
        "<h1 class=headline>Headline</h1><div class=story><p>Story text.</p></div>\
         <ul><li class=more><a href=\"/a\">Another story</a></li></ul>",
    )
    .unwrap();
    let r = run(
        &env_in(dir.path()),
        &[
            "normalize",
            "page.html",
            "--profile",
            "mysite.toml",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["title"], "Headline");
    assert_eq!(doc["related"][0]["url"], "/a");
    assert_eq!(doc["related"][0]["title"], "Another story");
    assert!(
        r.stderr.contains("warning")
            && r.stderr
                .contains("html.topics selector \"a.tag\" matched nothing"),
        "{}",
        r.stderr
    );

    // The body selector matching nothing is an extraction failure.
    std::fs::write(
        &page,
        "<h1 class=headline>Headline</h1><main><p>Moved text.</p></main>",
    )
    .unwrap();
    let r = run(
        &env_in(dir.path()),
        &["normalize", "page.html", "--profile", "mysite.toml"],
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("found no publication text")
            && r.stderr
                .contains("html.body selector \"div.story\" matched nothing"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_invalid_selector_names_the_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "name = \"bad\"\n[html]\nbody = \"div[\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("p.html"), "<p>x</p>").unwrap();
    let r = run(
        &env_in(dir.path()),
        &["normalize", "p.html", "--profile", "bad.toml"],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("bad.toml")
            && r.stderr.contains("html.body")
            && r.stderr.contains("CSS selector"),
        "{}",
        r.stderr
    );
}

/// Runs `normalize` on a page and returns (exit code, stderr).
fn normalize_bytes(name: &str, bytes: &[u8]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), bytes).unwrap();
    let r = run(&env_in(dir.path()), &["normalize", name]);
    (r.code, r.stderr)
}

#[test]
fn bad_input_fails_cleanly() {
    let nav = format!(
        "<html><body><nav><ul>{}</ul></nav><footer><a href=/>Home</a></footer></body></html>",
        (0..200)
            .map(|i| format!("<li><a href=\"/s{i}\">Section {i}</a></li>"))
            .collect::<String>()
    );
    let mut binary: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    binary.splice(0..0, b"\x89PNG\r\n\x1a\n".iter().copied());
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.html", Vec::new(), "found no publication text"),
        (
            "blank.html",
            b"<html><head><title>T</title></head><body></body></html>".to_vec(),
            "found no publication text",
        ),
        ("nav.html", nav.into_bytes(), "found no publication text"),
        ("image.html", binary, "does not look like an HTML page"),
        (
            "nuls.html",
            b"\0\0\0\0<p>\0\0</p>\0".repeat(10_000),
            "does not look like an HTML page",
        ),
    ];
    for (name, bytes, expected) in cases {
        let (code, stderr) = normalize_bytes(name, &bytes);
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(
            stderr.contains(name) && stderr.contains(expected),
            "{name}: {stderr}"
        );
    }
}

#[test]
fn a_page_with_some_nul_bytes_still_reads() {
    let text = "A paragraph long enough to be an article, with some words in it, and then a few more words to be sure.";
    let page =
        format!("<html><body><article><p>{text}\0</p><p>{text} Again.</p></article></body></html>");
    let (code, stderr) = normalize_bytes("page.html", page.as_bytes());
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_hundred_thousand_nested_divs_are_refused() {
    let depth = 100_000;
    let page = format!(
        "{}<p>deep</p>{}",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    );
    let (code, stderr) = normalize_bytes("deep.html", page.as_bytes());
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("nests HTML elements"), "{stderr}");
}

#[test]
fn a_hundred_megabytes_of_html_are_refused() {
    let para = "<p>Some words of a paragraph that repeats itself for a very long time.</p>\n";
    let page = para.repeat(100 * 1024 * 1024 / para.len() + 1);
    let (code, stderr) = normalize_bytes("huge.html", page.as_bytes());
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("more than the") && stderr.contains("huge.html"),
        "{stderr}"
    );
}
