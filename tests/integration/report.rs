//! `redline report`: the Atom feed checked against RFC 4287's structure
//! rules by a real XML parser, the JSON report against `redline diff` and
//! `redline log`, the static site opened in headless Chromium with its
//! network log watched, and hostile page text that must stay text.
//!
//! The store: the bundled captures of the INSS paper imported as source
//! `paper` (one version per changed capture), and a tracked source `evil`
//! whose page text and title try to break out of the feed and the pages.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use regex::Regex;
use roxmltree::{Document as Xml, Node};
use serde_json::Value;

use crate::util::{Run, env_in, new_store, run, snapshots_dir};

const ATOM: &str = "http://www.w3.org/2005/Atom";
const EVIL_URL: &str = "https://example.org/paper?a=1&b=2";
const HOSTILE: &str = "</content><script>alert(1)</script> ]]> <![CDATA[ x";

/// A store with the bundled paper and the hostile source; returns the temp
/// dir, the store and the folder for outputs.
fn report_store() -> (tempfile::TempDir, PathBuf) {
    let (dir, store) = new_store();
    let env = env_in(&store);
    let r = run(
        &env,
        &[
            "import",
            snapshots_dir().to_str().unwrap(),
            "--source",
            "paper",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let r = run(&env, &["add", EVIL_URL, "--id", "evil"]);
    assert_eq!(r.code, 0, "{r:?}");
    let page = |extra: &str| {
        format!(
            "---\ntitle: \"Bad {HOSTILE} title\"\n---\n\n# Intro\n\nThis paragraph stays the same for context.\n\nA paragraph with {HOSTILE} and \u{1} & in it{extra}.\n"
        )
    };
    for (day, extra) in [("2025-06-01", ""), ("2025-06-25", ", edited")] {
        let file = dir.path().join(format!("{day}.md"));
        std::fs::write(&file, page(extra)).unwrap();
        let r = run(
            &env,
            &[
                "snapshot",
                file.to_str().unwrap(),
                "--source",
                "evil",
                "--at",
                day,
            ],
        );
        assert_eq!(r.code, 0, "{r:?}");
    }
    (dir, store)
}

fn report(store: &Path, args: &[&str]) -> Run {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    run(&env_in(store), &all)
}

/// `(source, revision, time)` of every version, newest first, from `log`.
fn versions(store: &Path) -> Vec<(String, String, String)> {
    let r = run(&env_in(store), &["log", "--json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let log: Value = serde_json::from_str(&r.stdout).unwrap();
    log.as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["source"].as_str().unwrap().to_string(),
                v["revision"].as_str().unwrap().to_string(),
                v["time"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// One feed entry as the checks read it.
#[derive(Debug)]
struct Entry {
    id: String,
    title: String,
    updated: chrono::DateTime<chrono::FixedOffset>,
    /// The HTML the entry carries (unescaped once, as a reader sees it).
    html: String,
    /// rel → href
    links: HashMap<String, String>,
    category: String,
}

fn atom_children<'a>(node: Node<'a, 'a>, name: &str) -> Vec<Node<'a, 'a>> {
    node.children()
        .filter(|c| c.is_element() && c.tag_name().namespace() == Some(ATOM))
        .filter(|c| c.tag_name().name() == name)
        .collect()
}

fn exactly_one<'a>(node: Node<'a, 'a>, name: &str) -> Node<'a, 'a> {
    let found = atom_children(node, name);
    assert_eq!(
        found.len(),
        1,
        "atom:{} must have exactly one atom:{name}",
        node.tag_name().name()
    );
    found[0]
}

fn at_most_one(node: Node, name: &str) {
    assert!(
        atom_children(node, name).len() <= 1,
        "atom:{} has more than one atom:{name}",
        node.tag_name().name()
    );
}

/// A Date construct (RFC 4287 3.3): an RFC 3339 date-time, upper-case T
/// and Z.
fn date(node: Node) -> chrono::DateTime<chrono::FixedOffset> {
    let text = node.text().unwrap_or_default();
    let re =
        Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$").unwrap();
    assert!(re.is_match(text), "not an RFC 3339 date-time: {text:?}");
    chrono::DateTime::parse_from_rfc3339(text).unwrap()
}

/// An IRI (RFC 3987): a scheme, a colon, no spaces.
fn iri(text: &str) {
    let re = Regex::new(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>]+$").unwrap();
    assert!(re.is_match(text), "not an IRI: {text:?}");
}

/// A Text construct (RFC 4287 3.1): type text or html, and then no child
/// elements (html is escaped markup, not markup).
fn text_construct(node: Node) -> String {
    let kind = node.attribute("type").unwrap_or("text");
    assert!(
        matches!(kind, "text" | "html"),
        "unexpected type {kind:?} on atom:{}",
        node.tag_name().name()
    );
    assert!(
        !node.children().any(|c| c.is_element()),
        "atom:{} of type {kind} holds elements: text broke out of it",
        node.tag_name().name()
    );
    node.text().unwrap_or_default().to_string()
}

fn links(node: Node) -> HashMap<String, String> {
    let mut alternates = BTreeSet::new();
    let mut by_rel = HashMap::new();
    for link in atom_children(node, "link") {
        let href = link.attribute("href").expect("atom:link without href");
        let rel = link.attribute("rel").unwrap_or("alternate");
        if rel == "alternate" {
            let key = (link.attribute("type"), link.attribute("hreflang"));
            assert!(
                alternates.insert(key),
                "two alternate links of one type and language: {key:?}"
            );
        }
        by_rel.insert(rel.to_string(), href.to_string());
    }
    by_rel
}

/// Parses `xml` and checks the structure RFC 4287 requires of a feed;
/// returns its entries in document order.
fn check_atom(xml: &str) -> Vec<Entry> {
    let doc = Xml::parse(xml).unwrap_or_else(|e| panic!("not well-formed XML: {e}\n{xml}"));
    let feed = doc.root_element();
    assert_eq!(feed.tag_name().name(), "feed");
    assert_eq!(feed.tag_name().namespace(), Some(ATOM));
    iri(exactly_one(feed, "id").text().unwrap_or_default());
    text_construct(exactly_one(feed, "title"));
    let updated = date(exactly_one(feed, "updated"));
    for name in ["generator", "icon", "logo", "rights", "subtitle"] {
        at_most_one(feed, name);
    }
    let feed_authors = atom_children(feed, "author");
    for a in &feed_authors {
        exactly_one(*a, "name");
    }
    links(feed);

    let mut entries = Vec::new();
    let mut ids = BTreeSet::new();
    for e in atom_children(feed, "entry") {
        let id = exactly_one(e, "id").text().unwrap_or_default().to_string();
        iri(&id);
        assert!(ids.insert(id.clone()), "two entries share the id {id}");
        let title = text_construct(exactly_one(e, "title"));
        let entry_updated = date(exactly_one(e, "updated"));
        for name in ["content", "published", "summary", "rights", "source"] {
            at_most_one(e, name);
        }
        for p in atom_children(e, "published") {
            date(p);
        }
        for s in atom_children(e, "summary") {
            text_construct(s);
        }
        assert!(
            !feed_authors.is_empty() || !atom_children(e, "author").is_empty(),
            "an entry without an author in a feed without one"
        );
        let content = exactly_one(e, "content");
        assert_eq!(content.attribute("type"), Some("html"));
        assert!(content.attribute("src").is_none());
        let html = text_construct(content);
        let links = links(e);
        // An entry without content must link to it; this one has content.
        let category = atom_children(e, "category")
            .first()
            .map(|c| {
                c.attribute("term")
                    .expect("category without term")
                    .to_string()
            })
            .unwrap_or_default();
        entries.push(Entry {
            id,
            title,
            updated: entry_updated,
            html,
            links,
            category,
        });
    }
    // Newest first, and the feed is as recent as its newest entry.
    for w in entries.windows(2) {
        assert!(w[0].updated >= w[1].updated, "entries out of order");
    }
    if let Some(first) = entries.first() {
        assert_eq!(updated, first.updated);
    }
    entries
}

#[test]
fn the_atom_feed_has_the_structure_rfc_4287_requires() {
    let (_dir, store) = report_store();
    let r = report(&store, &["--since", "2025-01-01"]);
    assert_eq!(r.code, 0, "{r:?}");
    let entries = check_atom(&r.stdout);

    // One entry per recorded version, newest first: first captures too.
    let all = versions(&store);
    assert_eq!(entries.len(), all.len());
    let sources: Vec<&str> = entries.iter().map(|e| e.category.as_str()).collect();
    let mut expected: Vec<(&str, chrono::DateTime<chrono::FixedOffset>)> = all
        .iter()
        .map(|(s, _, t)| (s.as_str(), chrono::DateTime::parse_from_rfc3339(t).unwrap()))
        .collect();
    expected.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    assert_eq!(sources, expected.iter().map(|e| e.0).collect::<Vec<_>>());

    // The redline travels in the entry: 2025-07-08 changed the title.
    let july = entries
        .iter()
        .find(|e| e.category == "paper" && e.updated.format("%F").to_string() == "2025-07-08")
        .expect("the 2025-07-08 change");
    assert!(july.title.contains("title changed"), "{}", july.title);
    assert!(
        july.html.contains("<del>Relationship</del>"),
        "{}",
        july.html
    );
    assert!(july.html.contains("<ins>Alliance</ins>"), "{}", july.html);
    assert!(
        !july.html.contains("<details"),
        "unchanged text is only counted"
    );
    let first = entries.last().unwrap();
    assert!(first.html.contains("Now tracking"), "{}", first.html);

    // The tracked URL is the related link; without --base-url there are no
    // page links.
    let evil = entries.iter().find(|e| e.category == "evil").unwrap();
    assert_eq!(
        evil.links.get("related").map(String::as_str),
        Some(EVIL_URL)
    );
    assert!(!evil.links.contains_key("alternate"));

    // Ids are stable from one run to the next.
    let again = check_atom(&report(&store, &["--since", "2025-01-01"]).stdout);
    let ids = |es: &[Entry]| es.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&entries), ids(&again));

    // With the site's URL, each entry links its page there.
    let r = report(
        &store,
        &[
            "--since",
            "2025-07-01",
            "--base-url",
            "https://example.net/watch",
        ],
    );
    let entries = check_atom(&r.stdout);
    let page = entries[0].links.get("alternate").expect("page link");
    assert!(
        page.starts_with("https://example.net/watch/sources/paper/") && page.ends_with(".html"),
        "{page}"
    );
    assert!(
        r.stdout
            .contains("href=\"https://example.net/watch/feed.atom\"")
    );
}

#[test]
fn page_text_cannot_break_out_of_the_feed_or_the_site() {
    let (dir, store) = report_store();
    let r = report(&store, &["evil", "--since", "2025-06-20"]);
    assert_eq!(r.code, 0, "{r:?}");
    // check_atom fails on any element inside a text construct.
    let entries = check_atom(&r.stdout);
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    assert_eq!(
        e.title,
        format!("Bad {HOSTILE} title: 1 paragraph edited"),
        "the title is the page's text, as text"
    );
    // In the entry's HTML the page text is escaped once more: a reader
    // shows it, never runs it.
    assert!(!e.html.to_lowercase().contains("<script"), "{}", e.html);
    assert!(
        e.html
            .contains("&lt;/content&gt;&lt;script&gt;alert(1)&lt;/script&gt;")
    );
    assert!(!e.html.contains('\u{1}'));

    let site = dir.path().join("site");
    let r = report(
        &store,
        &[
            "--since",
            "2025-01-01",
            "--format",
            "html",
            "-o",
            site.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    for file in files(&site) {
        let text = std::fs::read_to_string(&file).unwrap().to_lowercase();
        assert!(!text.contains("<script"), "{}", file.display());
        assert!(!text.contains("<![cdata["), "{}", file.display());
    }
}

#[test]
fn the_json_report_carries_each_change_with_its_diff() {
    let (_dir, store) = report_store();
    let r = report(
        &store,
        &[
            "--format",
            "json",
            "--since",
            "2025-06-02",
            "--until",
            "2025-07-10",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let json: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["schema"], 1);
    assert_eq!(json["since"], "2025-06-02");
    assert_eq!(json["until"], "2025-07-10");

    // The changes are the versions captured in the period, newest first,
    // each against the version before it.
    let all = versions(&store);
    let in_period: Vec<&(String, String, String)> = all
        .iter()
        .filter(|(_, _, t)| t.as_str() >= "2025-06-02" && t.as_str() < "2025-07-11")
        .collect();
    let changes = json["changes"].as_array().unwrap();
    assert!(!changes.is_empty());
    assert_eq!(changes.len(), in_period.len());
    for (c, (source, revision, _)) in changes.iter().zip(&in_period) {
        assert_eq!(c["source"], source.as_str());
        assert_eq!(c["new"]["revision"], revision.as_str());
        assert_eq!(c["kind"], "change");
        let previous = all
            .iter()
            .filter(|(s, _, _)| s == source)
            .skip_while(|(_, r, _)| r != revision)
            .nth(1)
            .expect("a version before it");
        assert_eq!(c["old"]["revision"], previous.1.as_str());
        // The diff is the one `redline diff` gives for the same pair.
        let d = run(
            &env_in(&store),
            &[
                "diff",
                source,
                &previous.1[..12],
                &revision[..12],
                "--format",
                "json",
            ],
        );
        assert_eq!(d.code, 1, "{d:?}");
        let expected: Value = serde_json::from_str(&d.stdout).unwrap();
        assert_eq!(c["diff"], expected, "{source} {revision}");
        assert_eq!(c["stats"], expected["stats"]);
        assert!(!c["summary"].as_str().unwrap().is_empty());
    }
    let evil = changes.iter().find(|c| c["source"] == "evil").unwrap();
    assert_eq!(evil["url"], EVIL_URL);
    let sources = json["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 2);
    for s in sources {
        let n = changes.iter().filter(|c| c["source"] == s["id"]).count();
        assert_eq!(s["changes"], n);
    }

    // Restricted to one source, from its beginning: a first capture has no
    // old version and no diff.
    let r = report(
        &store,
        &["paper", "--format", "json", "--since", "2025-01-01"],
    );
    let json: Value = serde_json::from_str(&r.stdout).unwrap();
    let changes = json["changes"].as_array().unwrap();
    assert!(changes.iter().all(|c| c["source"] == "paper"));
    let first = changes.last().unwrap();
    assert_eq!(first["kind"], "first_capture");
    assert!(first["old"].is_null() && first["diff"].is_null());
    assert_eq!(json["sources"].as_array().unwrap().len(), 1);
}

/// Every file under `dir`.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

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
        "headless Chromium is needed: install the Debian package `chromium` or set REDLINE_CHROMIUM"
    );
}

/// Loads `page` in headless Chromium with no name resolving (nothing can
/// leave the machine) and its network log on; returns standard output and
/// the URLs the page itself asked for (requests Chromium makes for its own
/// services have no origin and are left out).
fn load(page: &Path, work: &Path, name: &str, extra: &[&str]) -> (String, Vec<String>) {
    let netlog = work.join(format!("{name}.netlog.json"));
    let out = Command::new("timeout")
        .arg("120")
        .arg(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ])
        .arg(format!(
            "--user-data-dir={}",
            work.join(format!("{name}.profile")).display()
        ))
        .arg(format!("--log-net-log={}", netlog.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&netlog).unwrap())
        .expect("chromium's network log");
    let start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].clone();
    let requests = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == start)
        .filter(|e| e["params"]["initiator"] != "not an origin")
        .filter_map(|e| e["params"]["url"].as_str().map(str::to_string))
        .collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), requests)
}

#[test]
fn the_site_is_self_contained_in_headless_chromium() {
    let (dir, store) = report_store();
    let site = dir.path().join("site");
    let r = report(
        &store,
        &[
            "--since",
            "2025-01-01",
            "--format",
            "html",
            "-o",
            site.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");

    // One page per change, a timeline per source, the index and the feed.
    let all = versions(&store);
    for (source, revision, _) in &all {
        let page = site.join(format!("sources/{source}/{}.html", &revision[..10]));
        assert!(page.is_file(), "{} missing", page.display());
    }
    let pages = files(&site);
    assert_eq!(pages.len(), all.len() + 2 + 2, "{pages:?}");

    // Links: relative and to files that exist, or the publication's own URL.
    let href = Regex::new(r#"(?:href|src)="([^"]*)""#).unwrap();
    for page in pages
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
    {
        let text = std::fs::read_to_string(page).unwrap();
        for forbidden in [
            "<script", "<img", "<link", "<iframe", "src=", "url(", "@import",
        ] {
            assert!(
                !text.contains(forbidden),
                "{forbidden} in {}",
                page.display()
            );
        }
        for cap in href.captures_iter(&text) {
            let target = &cap[1];
            if target.starts_with('#') {
                continue;
            }
            if target.starts_with("http") {
                assert_eq!(
                    target,
                    "https://example.org/paper?a=1&amp;b=2",
                    "in {}",
                    page.display()
                );
                continue;
            }
            let file = target.split('#').next().unwrap();
            let resolved = page.parent().unwrap().join(file);
            assert!(
                resolved.is_file(),
                "{} links to missing {target}",
                page.display()
            );
        }
    }
    // The feed in the site links its pages relatively.
    let feed = check_atom(&std::fs::read_to_string(site.join("feed.atom")).unwrap());
    assert_eq!(feed.len(), all.len());
    for e in &feed {
        let page = e.links.get("alternate").expect("a page link");
        assert!(site.join(page).is_file(), "{page}");
    }

    let work = tempfile::tempdir().unwrap();
    // The network check catches a page that loads something.
    let control = work.path().join("control.html");
    std::fs::write(
        &control,
        "<!DOCTYPE html><p>x</p><img src=\"http://redline-test.invalid/x.png\">",
    )
    .unwrap();
    let (_, requests) = load(&control, work.path(), "control", &["--dump-dom"]);
    assert!(
        requests.iter().any(|u| u.contains("redline-test.invalid")),
        "the network log did not show the control page's request: {requests:?}"
    );

    let (dom, requests) = load(
        &site.join("index.html"),
        work.path(),
        "index",
        &["--dump-dom"],
    );
    assert!(requests.is_empty(), "the index asked for {requests:?}");
    assert!(
        dom.contains(&format!("{} changes in 2 of 2 sources", all.len())),
        "{dom}"
    );
    assert!(dom.contains("href=\"sources/paper/index.html\""));
    assert!(dom.contains("href=\"feed.atom\""));

    let (dom, requests) = load(
        &site.join("sources/paper/index.html"),
        work.path(),
        "timeline",
        &["--dump-dom"],
    );
    assert!(requests.is_empty(), "the timeline asked for {requests:?}");
    let paper_versions = all.iter().filter(|v| v.0 == "paper").count();
    assert_eq!(
        dom.matches("<tr><td>").count() + dom.matches("<tr class=\"first\"><td>").count(),
        paper_versions,
        "{dom}"
    );

    // The 2025-07-08 change: the redline, linked to its neighbours.
    let july = all
        .iter()
        .find(|(s, _, t)| s == "paper" && t.starts_with("2025-07-08"))
        .unwrap();
    let page = site.join(format!("sources/paper/{}.html", &july.1[..10]));
    let (dom, requests) = load(&page, work.path(), "change", &["--dump-dom"]);
    assert!(
        requests.is_empty(),
        "the change page asked for {requests:?}"
    );
    for expected in [
        "<del>Relationship</del>",
        "<ins>Alliance</ins>",
        "class=\"op moved\"",
        "rel=\"prev\"",
        "rel=\"next\"",
        "href=\"../../index.html\"",
    ] {
        assert!(dom.contains(expected), "{expected} missing:\n{dom}");
    }
    let shot = work.path().join("change.png");
    load(
        &page,
        work.path(),
        "shot",
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1000,1400",
        ],
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(
        png.len() > 30_000,
        "screenshot looks empty: {} bytes",
        png.len()
    );
}

#[test]
fn bad_requests_are_refused_with_what_to_do() {
    let (dir, store) = report_store();
    let r = report(&store, &["--since", "2025-01-01", "--format", "html"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("-o DIR"), "{}", r.stderr);

    let r = report(&store, &["--since", "last week"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("YYYY-MM-DD"), "{}", r.stderr);

    let r = report(&store, &["--since", "2025-07-01", "--until", "2025-06-01"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("before --since"), "{}", r.stderr);

    let r = report(&store, &["nosuch", "--since", "2025-01-01"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("nosuch") && r.stderr.contains("paper"),
        "{}",
        r.stderr
    );

    let r = report(
        &store,
        &["--since", "2025-01-01", "--base-url", "javascript:alert(1)"],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("http(s)"), "{}", r.stderr);

    // A folder with other files is never written into...
    let other = dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("index.html"), "mine").unwrap();
    let out = other.to_str().unwrap();
    let r = report(
        &store,
        &["--since", "2025-01-01", "--format", "html", "-o", out],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not empty"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(other.join("index.html")).unwrap(),
        "mine"
    );
    assert!(!other.join("sources").exists());

    // ...but an earlier report's folder is brought up to date.
    let site = dir.path().join("site");
    let out = site.to_str().unwrap();
    for since in ["2025-07-01", "2025-01-01"] {
        let r = report(&store, &["--since", since, "--format", "html", "-o", out]);
        assert_eq!(r.code, 0, "{r:?}");
    }
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(index.contains("since 2025-01-01"));

    // A feed written to a file.
    let feed = dir.path().join("feed.xml");
    let r = report(
        &store,
        &["--since", "2025-01-01", "-o", feed.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.starts_with("Wrote "), "{}", r.stdout);
    check_atom(&std::fs::read_to_string(&feed).unwrap());
}
