//! Tracking over real HTTP: sources in redline.toml, the batch `snapshot`
//! against the loopback [`Server`], every fetching behaviour and both guards.
//!
//! Every network request goes to 127.0.0.1 (or `localhost`, for a second
//! host name); stores are real git repositories in temporary folders.

use std::path::PathBuf;
use std::time::Duration;

use crate::server::{Route, Server};
use crate::util::{captures, env_in, git, new_store, run};

/// Settings that keep tests quick: no pacing, short retry delays.
const FAST: &str =
    "\n[fetch]\nmin_interval_ms = 0\nretry_delay_ms = 10\nretries = 2\ntimeout_secs = 2\n";

struct Fixture {
    _dir: tempfile::TempDir,
    store: PathBuf,
    server: Server,
}

impl Fixture {
    fn new(fetch: &str) -> Fixture {
        let (dir, store) = new_store();
        let config = store.join("redline.toml");
        let text = std::fs::read_to_string(&config).unwrap() + fetch;
        std::fs::write(&config, text).unwrap();
        Fixture {
            _dir: dir,
            store,
            server: Server::start(),
        }
    }

    fn run(&self, args: &[&str]) -> crate::util::Run {
        let mut all = vec!["--store", self.store.to_str().unwrap()];
        all.extend_from_slice(args);
        run(&env_in(self.store.parent().unwrap()), &all)
    }

    /// Tracks `path` on the server as source `id`, serving `route`.
    fn track(&self, id: &str, path: &str, route: Route) {
        self.server.route(path, route);
        let r = self.run(&["add", &self.server.url(path), "--id", id]);
        assert_eq!(r.code, 0, "{r:?}");
    }

    fn commits(&self) -> usize {
        git(&self.store, &["rev-list", "--count", "HEAD"])
            .trim()
            .parse()
            .unwrap()
    }

    fn document(&self, id: &str) -> String {
        git(&self.store, &["show", &format!("HEAD:{id}/document.md")])
    }
}

fn capture(i: usize) -> Vec<u8> {
    std::fs::read(&captures()[i]).unwrap()
}

fn line_of<'a>(stdout: &'a str, id: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.starts_with(&format!("{id}: ")))
        .unwrap_or_else(|| panic!("no line for {id} in:\n{stdout}"))
}

// ---------------------------------------------------------------- sources

#[test]
fn add_list_remove_are_committed_in_redline_toml() {
    let f = Fixture::new(FAST);
    let before = f.commits();
    let url = f.server.url("/publication/defense-treaty/");
    let r = f.run(&[
        "add",
        &url,
        "--profile",
        "inss",
        "--header",
        "Accept-Language: en",
        "--select",
        "article",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let id = "127-0-0-1-".to_string() + &f.server.port.to_string() + "-publication-defense-treaty";
    assert!(r.stdout.contains(&id), "{}", r.stdout);
    assert_eq!(f.commits(), before + 1);
    let committed = git(&f.store, &["show", "HEAD:redline.toml"]);
    assert!(committed.contains(&url) && committed.contains("Accept-Language"));
    assert!(
        committed.contains("min_interval_ms"),
        "comments and settings kept"
    );

    let list = f.run(&["list", "--json"]);
    let rows: serde_json::Value = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(rows[0]["source"], id.as_str());
    assert_eq!(rows[0]["last_checked"], serde_json::Value::Null);

    assert_eq!(f.run(&["add", &url]).code, 2, "the same URL twice");
    let r = f.run(&["remove", &id]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!git(&f.store, &["show", "HEAD:redline.toml"]).contains(&url));
    assert_eq!(f.run(&["remove", &id]).code, 2);
}

#[test]
fn hostile_source_ids_never_leave_the_store() {
    let f = Fixture::new(FAST);
    let url = f.server.url("/p");
    for id in [
        "../escape",
        "/etc/x",
        ".git",
        "a/b",
        "a\0b",
        &"x".repeat(300),
        "profiles",
    ] {
        let r = f.run(&["add", &url, "--id", id]);
        assert_eq!(r.code, 2, "{id:?} accepted: {r:?}");
        assert!(r.stderr.contains("invalid source id"), "{}", r.stderr);
    }
    // Ids made from URLs are slugs inside the store, however the URL looks.
    f.server
        .route("/a/../../../etc/passwd", Route::text(&capture(0)));
    let nasty = format!(
        "http://127.0.0.1:{}/a/../../../etc/passwd?x=/../.git/{}",
        f.server.port,
        "y".repeat(300)
    );
    let r = f.run(&["add", &nasty]);
    assert_eq!(r.code, 0, "{r:?}");
    let list: serde_json::Value = serde_json::from_str(&f.run(&["list", "--json"]).stdout).unwrap();
    let id = list[0]["source"].as_str().unwrap();
    assert!(
        id.len() <= 100 && !id.contains('/') && !id.starts_with('.'),
        "{id}"
    );
    // A hand-edited hostile id is refused when the file is read.
    let config = f.store.join("redline.toml");
    let text = std::fs::read_to_string(&config).unwrap()
        + "\n[[source]]\nid = \"../../outside\"\nurl = \"http://127.0.0.1/\"\n";
    std::fs::write(&config, text).unwrap();
    let r = f.run(&["snapshot"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("invalid source id"), "{}", r.stderr);
    assert!(!f.store.parent().unwrap().join("outside").exists());
}

#[test]
fn malformed_redline_toml_is_reported_with_line_and_column() {
    let f = Fixture::new("\n[[source]]\nid = \"a\"\nurl = http://oops\n");
    let r = f.run(&["snapshot"]);
    assert_eq!(r.code, 2);
    let config = f.store.join("redline.toml").display().to_string();
    let lines = std::fs::read_to_string(f.store.join("redline.toml")).unwrap();
    let line = lines.lines().position(|l| l.starts_with("url =")).unwrap() + 1;
    assert!(
        r.stderr.contains(&format!("{config}:{line}:7:")),
        "{}",
        r.stderr
    );
    assert_eq!(f.run(&["list"]).code, 2);
}

// ---------------------------------------------------------------- the batch

#[test]
fn a_nightly_cycle_new_then_304_then_changed() {
    let f = Fixture::new(FAST);
    f.track("treaty", "/treaty", Route::text(&capture(0)));
    let start = f.commits();

    let first = f.run(&["snapshot"]);
    assert_eq!(first.code, 0, "{first:?}");
    assert!(line_of(&first.stdout, "treaty").starts_with("treaty: new "));
    assert_eq!(f.commits(), start + 1);

    // Same page: the kept ETag comes back, the server answers 304.
    let second = f.run(&["snapshot", "--exit-code"]);
    assert_eq!(second.code, 0, "{second:?}");
    assert_eq!(
        line_of(&second.stdout, "treaty"),
        "treaty: not modified (304)"
    );
    let sent = f.server.requests("/treaty");
    assert!(sent.last().unwrap().headers.contains_key("if-none-match"));
    assert_eq!(f.commits(), start + 1, "a 304 makes no commit");

    // The editor changes the page.
    f.server.route("/treaty", Route::text(&capture(1)));
    let third = f.run(&["snapshot", "--exit-code"]);
    assert_eq!(third.code, 1, "--exit-code: something changed: {third:?}");
    let line = line_of(&third.stdout, "treaty");
    assert!(line.starts_with("treaty: changed "), "{line}");
    assert!(
        line.contains("edited"),
        "the summary says what changed: {line}"
    );
    assert_eq!(f.commits(), start + 2);
    assert!(
        third.stdout.contains("redline: 1 source: 1 changed"),
        "{}",
        third.stdout
    );
    // Without --exit-code a change is success.
    f.server.route("/treaty", Route::text(&capture(2)));
    assert_eq!(f.run(&["snapshot"]).code, 0);

    let list: serde_json::Value = serde_json::from_str(&f.run(&["list", "--json"]).stdout).unwrap();
    assert_eq!(list[0]["last_status"], "changed");
    assert!(list[0]["last_checked"].is_string() && list[0]["last_changed"].is_string());
    // The state lives outside history.
    assert!(f.store.join(".redline/state.json").is_file());
    assert!(!git(&f.store, &["ls-files"]).contains(".redline"));
    assert_eq!(git(&f.store, &["status", "--porcelain"]).trim(), "");
}

#[test]
fn identical_200_pages_are_unchanged_and_commit_nothing() {
    let f = Fixture::new(FAST);
    f.track("a", "/a", Route::text_no_validators(&capture(4)));
    assert_eq!(f.run(&["snapshot"]).code, 0);
    let n = f.commits();
    // Other bytes (only the page chrome differs), the same publication.
    assert_ne!(capture(4), capture(5));
    f.server.route("/a", Route::text_no_validators(&capture(5)));
    let r = f.run(&["snapshot"]);
    assert_eq!(line_of(&r.stdout, "a"), "a: unchanged");
    assert!(
        !f.server
            .requests("/a")
            .last()
            .unwrap()
            .headers
            .contains_key("if-none-match")
    );
    assert_eq!(f.commits(), n);
}

#[test]
fn one_failing_source_never_stops_the_run() {
    let f = Fixture::new(FAST);
    f.track("good", "/good", Route::text(&capture(0)));
    f.track("gone", "/gone", Route::status(404));
    f.track("also-good", "/also-good", Route::text(&capture(3)));
    let r = f.run(&["snapshot", "--exit-code"]);
    assert_eq!(r.code, 2, "some failed beats changed: {r:?}");
    assert!(line_of(&r.stdout, "good").starts_with("good: new"));
    assert!(line_of(&r.stdout, "also-good").starts_with("also-good: new"));
    let gone = line_of(&r.stdout, "gone");
    assert!(
        gone.contains("HTTP 404") && gone.contains("redline remove"),
        "{gone}"
    );
    // The summary says which failed and why.
    assert!(r.stdout.contains("2 new, 1 failed"), "{}", r.stdout);
    assert!(r.stdout.contains("  gone: failed:"), "{}", r.stdout);
    // No retry on a 4xx.
    assert_eq!(f.server.requests("/gone").len(), 1);
    assert!(f.document("good").contains("Defense Treaty"));
    // --quiet: only the summary.
    let q = f.run(&["snapshot", "--quiet"]);
    assert!(!q.stdout.contains("good: "), "{}", q.stdout);
    assert!(q.stdout.starts_with("redline: 3 sources:"), "{}", q.stdout);
    assert!(q.stdout.contains("gone: failed"), "{}", q.stdout);
}

#[test]
fn server_errors_are_retried_with_backoff() {
    let f = Fixture::new(FAST);
    f.track(
        "flaky",
        "/flaky",
        Route::Sequence(vec![
            Route::status(500),
            Route::status(503),
            Route::text(&capture(0)),
        ]),
    );
    let r = f.run(&["snapshot"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(line_of(&r.stdout, "flaky").starts_with("flaky: new"));
    assert_eq!(f.server.requests("/flaky").len(), 3);

    f.server.route("/flaky", Route::status(500));
    let r = f.run(&["snapshot"]);
    assert_eq!(r.code, 2);
    let line = line_of(&r.stdout, "flaky");
    assert!(line.contains("HTTP 500 after 3 attempts"), "{line}");
}

#[test]
fn rate_limits_honour_retry_after() {
    let f = Fixture::new(FAST);
    let limited = |secs: &str| Route::Status {
        status: 429,
        headers: vec![("Retry-After".into(), secs.into())],
        body: Vec::new(),
    };
    f.track(
        "busy",
        "/busy",
        Route::Sequence(vec![limited("0"), Route::text(&capture(0))]),
    );
    let r = f.run(&["snapshot"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(f.server.requests("/busy").len(), 2);

    // A server asking for an hour is not waited for: the source fails now.
    f.server.route("/busy", limited("3600"));
    let r = f.run(&["snapshot"]);
    assert_eq!(r.code, 2);
    assert!(
        line_of(&r.stdout, "busy").contains("HTTP 429"),
        "{}",
        r.stdout
    );
    assert!(line_of(&r.stdout, "busy").contains("min_interval_ms"));
    assert_eq!(
        f.server.requests("/busy").len(),
        3,
        "no retry beyond the cap"
    );
}

#[test]
fn redirects_are_followed_bounded_and_only_to_http() {
    let f = Fixture::new(FAST);
    let moved = f.server.url("/new-home");
    f.server.route("/new-home", Route::text(&capture(0)));
    f.track(
        "moved",
        "/old-home",
        Route::Redirect {
            status: 301,
            location: moved,
        },
    );
    f.track(
        "loop",
        "/loop-a",
        Route::Redirect {
            status: 302,
            location: "/loop-b".into(),
        },
    );
    f.server.route(
        "/loop-b",
        Route::Redirect {
            status: 302,
            location: "/loop-a".into(),
        },
    );
    f.track(
        "escape",
        "/escape",
        Route::Redirect {
            status: 302,
            location: "file:///etc/passwd".into(),
        },
    );
    let r = f.run(&["snapshot"]);
    assert_eq!(r.code, 2);
    assert!(
        line_of(&r.stdout, "moved").starts_with("moved: new"),
        "{}",
        r.stdout
    );
    let capture_json = git(&f.store, &["show", "HEAD~0:moved/capture.json"]);
    assert!(
        capture_json.contains("/new-home"),
        "final URL kept: {capture_json}"
    );
    assert!(line_of(&r.stdout, "loop").contains("redirected more than 5 times"));
    assert!(f.server.requests("/loop-a").len() <= 3 + 1);
    assert!(line_of(&r.stdout, "escape").contains("not an http(s) URL"));
}

#[test]
fn a_stalled_server_times_out_and_the_run_goes_on() {
    let f = Fixture::new("\n[fetch]\nmin_interval_ms = 0\nretries = 0\ntimeout_secs = 1\n");
    f.track(
        "stalled",
        "/stalled",
        Route::Stall {
            delay: Duration::from_secs(4),
            then: Box::new(Route::text(&capture(0))),
        },
    );
    f.track("fine", "/fine", Route::text(&capture(0)));
    let r = f.run(&["snapshot", "--jobs", "2"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        line_of(&r.stdout, "stalled").contains("did not answer within 1 s"),
        "{}",
        r.stdout
    );
    assert!(line_of(&r.stdout, "fine").starts_with("fine: new"));
}

#[test]
fn fifty_megabytes_hit_the_size_cap() {
    let f = Fixture::new(FAST);
    f.track(
        "huge",
        "/huge",
        Route::Huge {
            len: 50 * 1024 * 1024,
        },
    );
    let r = f.run(&["snapshot"]);
    assert_eq!(r.code, 2);
    assert!(
        line_of(&r.stdout, "huge").contains("size cap"),
        "{}",
        r.stdout
    );
    assert_eq!(f.server.requests("/huge").len(), 1, "not retried");
}

#[test]
fn wrong_charset_labels_do_not_garble_the_text() {
    let f = Fixture::new(FAST);
    let utf8 = capture(0);
    assert!(String::from_utf8_lossy(&utf8).contains('’'));
    // UTF-8 bytes labelled Latin-1 by a default server configuration.
    f.track(
        "labelled-latin1",
        "/l1",
        Route::Page {
            body: utf8.clone(),
            content_type: "text/plain; charset=iso-8859-1".into(),
            etag: None,
            last_modified: None,
        },
    );
    // Windows-1252 bytes labelled UTF-8.
    let text = String::from_utf8(utf8).unwrap();
    let cp1252: Vec<u8> = text
        .chars()
        .map(|c| match c {
            '’' => 0x92,
            '‘' => 0x91,
            '“' => 0x93,
            '”' => 0x94,
            '—' => 0x97,
            '–' => 0x96,
            c if (c as u32) < 0x100 => c as u8,
            _ => b'?',
        })
        .collect();
    f.track(
        "labelled-utf8",
        "/u8",
        Route::Page {
            body: cp1252,
            content_type: "text/plain; charset=utf-8".into(),
            etag: None,
            last_modified: None,
        },
    );
    let r = f.run(&["snapshot"]);
    assert_eq!(r.code, 0, "{r:?}");
    for id in ["labelled-latin1", "labelled-utf8"] {
        let doc = f.document(id);
        assert!(doc.contains("Israel’s"), "{id}: {doc}");
        assert!(
            !doc.contains("â€") && !doc.contains('\u{fffd}'),
            "{id} garbled"
        );
    }
}

#[test]
fn unsupported_content_types_are_a_clear_per_source_error() {
    let f = Fixture::new(FAST);
    f.track(
        "paper-pdf",
        "/paper.pdf",
        Route::Page {
            body: b"%PDF-1.7".to_vec(),
            content_type: "application/pdf".into(),
            etag: None,
            last_modified: None,
        },
    );
    f.track("ok", "/ok", Route::text(&capture(0)));
    let r = f.run(&["snapshot"]);
    assert_eq!(r.code, 2);
    let line = line_of(&r.stdout, "paper-pdf");
    assert!(
        line.contains("\"application/pdf\", an unsupported content type"),
        "{line}"
    );
    assert!(line_of(&r.stdout, "ok").starts_with("ok: new"));
}

#[test]
fn requests_carry_the_user_agent_gzip_and_source_headers() {
    let f = Fixture::new(FAST);
    f.server.route("/h", Route::text(&capture(0)));
    let r = f.run(&[
        "add",
        &f.server.url("/h"),
        "--id",
        "h",
        "--header",
        "X-Api-Key: s3cret",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(f.run(&["snapshot"]).code, 0);
    let sent = &f.server.requests("/h")[0].headers;
    assert_eq!(
        sent["user-agent"],
        format!(
            "redline/{} (publication revision tracker)",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert_eq!(sent["x-api-key"], "s3cret");
    assert!(sent["accept-encoding"].contains("gzip"), "{sent:?}");
    assert!(sent["accept-encoding"].contains("br"), "{sent:?}");
    // The server gzipped the page (it is large) and it was read correctly.
    assert!(f.document("h").contains("Defense Treaty"));
}

#[test]
fn requests_to_one_host_keep_the_minimum_interval_whatever_the_jobs() {
    let f = Fixture::new("\n[fetch]\nmin_interval_ms = 200\nretries = 0\n");
    for i in 0..4 {
        f.track(
            &format!("p{i}"),
            &format!("/p{i}"),
            Route::text(&capture(i)),
        );
    }
    // A second host name for the same server is paced separately.
    f.server.route("/other", Route::text(&capture(5)));
    let r = f.run(&["add", &f.server.url_localhost("/other"), "--id", "other"]);
    assert_eq!(r.code, 0, "{r:?}");
    f.server.clear_log();
    let r = f.run(&["snapshot", "--jobs", "4"]);
    assert_eq!(r.code, 0, "{r:?}");
    let mut times: Vec<_> = f
        .server
        .all_requests()
        .into_iter()
        .filter(|l| l.path.starts_with("/p"))
        .map(|l| l.at)
        .collect();
    times.sort();
    assert_eq!(times.len(), 4);
    for pair in times.windows(2) {
        // A lower bound (the pacer sleeps at least the interval); 50 ms of
        // slack for the loopback delivering one request late.
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(150),
            "{:?}",
            pair[1] - pair[0]
        );
    }
}

#[test]
fn the_json_report_is_machine_readable() {
    let f = Fixture::new(FAST);
    f.track("a", "/a", Route::text(&capture(0)));
    f.track("b", "/b", Route::status(500));
    let r = f.run(&["snapshot", "--json"]);
    assert_eq!(r.code, 2);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(report["schema"], 1);
    assert_eq!(report["counts"]["new"], 1);
    assert_eq!(report["counts"]["failed"], 1);
    assert_eq!(report["sources"][0]["source"], "a");
    assert_eq!(report["sources"][0]["status"], "new");
    assert_eq!(report["sources"][0]["http_status"], 200);
    assert_eq!(report["sources"][1]["status"], "failed");
    assert!(
        report["sources"][1]["message"]
            .as_str()
            .unwrap()
            .contains("HTTP 500")
    );
}

#[test]
fn no_progress_bar_unless_stderr_is_a_terminal() {
    let f = Fixture::new(FAST);
    f.track("a", "/a", Route::text(&capture(0)));
    let piped = f.run(&["snapshot"]);
    assert!(piped.stderr.is_empty(), "{:?}", piped.stderr);
    let mut env = env_in(f.store.parent().unwrap());
    env.stderr_is_terminal = true;
    let store = f.store.to_str().unwrap();
    let tty = run(&env, &["--store", store, "snapshot"]);
    assert!(tty.stderr.contains("1/1"), "{:?}", tty.stderr);
    assert!(!tty.stdout.contains('\u{1b}'), "stdout stays clean");
    let quiet = run(&env, &["--store", store, "snapshot", "--quiet"]);
    assert!(quiet.stderr.is_empty());
}

// ---------------------------------------------------------------- guards

#[test]
fn a_page_that_lost_most_of_its_text_is_held_as_suspect() {
    let f = Fixture::new(FAST);
    f.track("t", "/t", Route::text(&capture(0)));
    assert_eq!(f.run(&["snapshot"]).code, 0);
    let n = f.commits();
    let good = f.document("t");

    let broken = capture(0)[..3000].to_vec();
    f.server.route("/t", Route::text(&broken));
    let r = f.run(&["snapshot", "--exit-code"]);
    assert_eq!(r.code, 0, "a suspect is not a change: {r:?}");
    let line = line_of(&r.stdout, "t");
    assert!(line.starts_with("t: suspect: lost 9"), "{line}");
    assert!(line.contains("--accept t"), "{line}");
    assert_eq!(f.commits(), n, "the previous version stays current");
    assert_eq!(f.document("t"), good);
    let list: serde_json::Value = serde_json::from_str(&f.run(&["list", "--json"]).stdout).unwrap();
    assert_eq!(list[0]["last_status"], "suspect");

    // The page recovers: nothing to record, the suspicion is dropped.
    f.server.route("/t", Route::text(&capture(0)));
    assert_eq!(line_of(&f.run(&["snapshot"]).stdout, "t"), "t: unchanged");

    // Broken again, then seen again on the next run: recorded.
    f.server.route("/t", Route::text(&broken));
    assert!(line_of(&f.run(&["snapshot"]).stdout, "t").starts_with("t: suspect"));
    let again = f.run(&["snapshot"]);
    assert!(
        line_of(&again.stdout, "t").starts_with("t: changed"),
        "{}",
        again.stdout
    );
    assert_eq!(f.commits(), n + 1);
}

#[test]
fn an_empty_body_is_suspect_until_accepted() {
    let f = Fixture::new(FAST);
    f.track("e", "/e", Route::text(&capture(0)));
    assert_eq!(f.run(&["snapshot"]).code, 0);
    let n = f.commits();
    f.server.route("/e", Route::text(b""));
    let r = f.run(&["snapshot"]);
    assert!(
        line_of(&r.stdout, "e").starts_with("e: suspect: no publication text found"),
        "{}",
        r.stdout
    );
    assert_eq!(f.commits(), n);
    let accepted = f.run(&["snapshot", "--accept", "e"]);
    assert!(
        line_of(&accepted.stdout, "e").starts_with("e: changed"),
        "{}",
        accepted.stdout
    );
    assert_eq!(f.commits(), n + 1);
}

#[test]
fn flip_flopping_pages_do_not_flood_history() {
    let f = Fixture::new(FAST);
    let (a, b) = (capture(0), capture(1));
    f.track("ab", "/ab", Route::text(&a));
    assert!(line_of(&f.run(&["snapshot"]).stdout, "ab").starts_with("ab: new"));
    f.server.route("/ab", Route::text(&b));
    assert!(line_of(&f.run(&["snapshot"]).stdout, "ab").starts_with("ab: changed"));
    let n = f.commits();
    for round in 0..6 {
        let page = if round % 2 == 0 { &a } else { &b };
        f.server.route("/ab", Route::text(page));
        let r = f.run(&["snapshot", "--exit-code"]);
        let line = line_of(&r.stdout, "ab");
        if round % 2 == 0 {
            assert!(
                line.starts_with("ab: reverted: the page is back to version"),
                "{line}"
            );
            assert_eq!(r.code, 0, "a reversion is not a change");
        } else {
            assert_eq!(line, "ab: unchanged");
        }
    }
    assert_eq!(f.commits(), n, "six flips, no new commits");

    // A real revert is recorded when accepted.
    f.server.route("/ab", Route::text(&a));
    let r = f.run(&["snapshot", "--accept", "ab"]);
    assert!(
        line_of(&r.stdout, "ab").starts_with("ab: changed"),
        "{}",
        r.stdout
    );
    assert_eq!(f.commits(), n + 1);
}

#[test]
fn the_flip_flop_window_is_configurable() {
    let f = Fixture::new(&(FAST.to_string() + "flip_flop_window = 0\n"));
    let (a, b) = (capture(0), capture(1));
    f.track("ab", "/ab", Route::text(&a));
    f.run(&["snapshot"]);
    f.server.route("/ab", Route::text(&b));
    f.run(&["snapshot"]);
    f.server.route("/ab", Route::text(&a));
    let r = f.run(&["snapshot"]);
    assert!(
        line_of(&r.stdout, "ab").starts_with("ab: changed"),
        "guard off: {}",
        r.stdout
    );
}

// ---------------------------------------------------------------- one-offs

#[test]
fn snapshot_and_normalize_a_url_without_adding_it() {
    let f = Fixture::new(FAST);
    f.server.route("/once", Route::text(&capture(0)));
    let url = f.server.url("/once");
    let r = f.run(&["snapshot", &url, "--source", "once"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(line_of(&r.stdout, "once").starts_with("once: new"));
    assert!(f.document("once").contains("Defense Treaty"));
    assert!(
        !std::fs::read_to_string(f.store.join("redline.toml"))
            .unwrap()
            .contains(&url)
    );

    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &env_in(dir.path()),
        &["normalize", &url, "--format", "text"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("defense treaty"), "{}", &r.stdout[..200]);
    let missing = run(
        &env_in(dir.path()),
        &["normalize", &f.server.url("/nothing")],
    );
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("HTTP 404"), "{}", missing.stderr);
}

#[test]
fn capture_files_still_snapshot_with_source() {
    let f = Fixture::new(FAST);
    let file = captures()[0].clone();
    let r = f.run(&["snapshot", file.to_str().unwrap(), "--source", "treaty"]);
    assert_eq!(r.code, 0, "{r:?}");
    let r = f.run(&["snapshot", file.to_str().unwrap()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--source ID"), "{}", r.stderr);
}

/// A page served as HTML goes through the HTML normalizer: the bundled HTML
/// capture, fetched over HTTP, gives the same document as its text capture,
/// and its next version is a change with the editor's summary.
#[test]
fn html_pages_are_normalized_like_their_text_captures() {
    let f = Fixture::new(FAST);
    let html = |i: usize| std::fs::read(captures()[i].with_extension("html")).unwrap();
    let page = |i: usize| Route::Page {
        body: html(i),
        content_type: "text/html; charset=utf-8".into(),
        etag: None,
        last_modified: None,
    };
    f.track("treaty", "/treaty.html", page(0));
    let r = f.run(&["snapshot"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        line_of(&r.stdout, "treaty").starts_with("treaty: new "),
        "{}",
        r.stdout
    );

    let text_capture = captures()[0].clone();
    let from_text = run(
        &env_in(f.store.parent().unwrap()),
        &[
            "normalize",
            text_capture.to_str().unwrap(),
            "--format",
            "md",
        ],
    );
    assert_eq!(f.document("treaty"), from_text.stdout);

    f.server.route("/treaty.html", page(1));
    let r = f.run(&["snapshot"]);
    let line = line_of(&r.stdout, "treaty");
    assert!(
        line.contains("1 paragraph edited, 1 cosmetic change; topics +1"),
        "{line}"
    );
}

/// A source's own `--select` and `--remove` pick the body of its pages:
/// only the selected element is read, without the removed parts; a bad
/// selector is refused when the source is added.
#[test]
fn select_and_remove_options_shape_the_body() {
    let f = Fixture::new(FAST);
    let page = "<!doctype html><html><head><title>Notice | Agency</title></head><body>\
        <nav><a href='/'>Home</a> <a href='/about'>About the agency and its many offices</a></nav>\
        <main><h1>Notice</h1>\
        <div class='intro'><p>This introduction is long enough to look like article text to any extractor.</p></div>\
        <section class='terms'><p>The first term of the notice applies to every reader of the notice.</p>\
        <aside class='promo'><p>Subscribe to our newsletter for more notices like this one every week.</p></aside>\
        <p>The second term of the notice applies from the first of June onwards.</p></section>\
        </main></body></html>";
    f.server.route(
        "/notice",
        Route::Page {
            body: page.as_bytes().to_vec(),
            content_type: "text/html; charset=utf-8".into(),
            etag: None,
            last_modified: None,
        },
    );
    let url = f.server.url("/notice");
    let bad = f.run(&[
        "add", &url, "--id", "bad", "--select", "section[", "--remove", ".promo",
    ]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(
        bad.stderr.contains("invalid CSS selector"),
        "{}",
        bad.stderr
    );

    let r = f.run(&[
        "add",
        &url,
        "--id",
        "notice",
        "--select",
        "section.terms",
        "--remove",
        ".promo",
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let r = f.run(&["snapshot"]);
    assert_eq!(r.code, 0, "{r:?}");
    let doc = f.document("notice");
    assert!(doc.contains("The first term of the notice"), "{doc}");
    assert!(doc.contains("The second term of the notice"), "{doc}");
    assert!(
        !doc.contains("Subscribe to our newsletter"),
        "removed: {doc}"
    );
    assert!(
        !doc.contains("This introduction"),
        "outside the selection: {doc}"
    );
}
