//! Hostile and broken input: a corpus of bad pages, source ids and profile
//! files, each of which must end in a clear error or a sane result — never
//! a panic, a hang or a stack overflow, and never with anything lost from
//! the store. Large inputs are generated at run time (a 100 MB file is
//! sparse: it costs no disk). Also: page text never reaches the terminal
//! with control sequences in it, through every command that prints it, and
//! the HTML redline escapes it.
//!
//! The corpus is listed in docs/reliability.md; [`corpus`] is the source of
//! truth.

use std::path::{Path, PathBuf};

use crate::server::{Route, Server};
use crate::util::{env_in, git, new_store, run};

/// A good page to start a store with.
const GOOD: &str = "Report on the budget\n\n\
    The committee met on Monday and agreed that the budget for the coming year \
    should grow by a modest amount, after a long debate.\n\n\
    Members raised concerns about the pace of the reform, and asked for a \
    review of the spending plans before the next session opens.\n";

/// What must happen to a corpus item.
enum Expect {
    /// Refused: exit 2, and stderr names the file and says this.
    Refused(&'static str),
    /// Read: recorded as a version whose stored text passes the check.
    Read(fn(&str) -> bool),
}

/// One bad input: a file name (its extension picks HTML or text), a
/// description, and how to write it.
struct Item {
    file: &'static str,
    what: &'static str,
    expect: Expect,
}

fn prose(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "Paragraph {i} of the report says that the committee met again and agreed on a few more things.\n\n"
            )
        })
        .collect()
}

/// Writes the corpus item `file` into `dir` and returns its path.
fn write_item(dir: &Path, file: &str) -> PathBuf {
    let path = dir.join(file);
    let bytes: Vec<u8> = match file {
        "empty.txt" => Vec::new(),
        "navigation-only.html" => format!(
            "<html><head><title>Menu</title></head><body><nav><ul>{}</ul></nav>\
             <footer><a href=/>Home</a></footer></body></html>",
            (0..300)
                .map(|i| format!("<li><a href=\"/s{i}\">Section {i}</a></li>"))
                .collect::<String>()
        )
        .into_bytes(),
        "binary.txt" | "binary.html" => {
            let mut x = 0x1234_5678_9abc_def0u64;
            let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
            bytes.extend((0..300_000).map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            }));
            bytes
        }
        "invalid-utf8.txt" => {
            let mut bytes = b"Report on the budget\n\nThe committee met on Monday \xff\xfe and agreed that the \xc3\x28 budget should grow by a modest amount, after a long debate.\n\n".to_vec();
            bytes.extend_from_slice(b"Members raised concerns \xe2\x82 about the pace of the reform, and asked for a review \x80\x81 of the plans.\n");
            bytes
        }
        "nul-bytes.txt" => GOOD
            .replace("committee", "comm\0ittee")
            .replace("reform", "re\0\0form")
            .into_bytes(),
        "hundred-megabytes.txt" => {
            let file = std::fs::File::create(&path).unwrap();
            file.set_len(100 * 1024 * 1024).unwrap();
            return path;
        }
        "hundred-thousand-nested.html" => format!(
            "<html><body>{}<p>{}</p>{}</body></html>",
            "<div>".repeat(100_000),
            GOOD,
            "</div>".repeat(100_000)
        )
        .into_bytes(),
        "ten-thousand-related.txt" => format!(
            "{GOOD}\nRelated Publications\n\n{}",
            (0..10_000)
                .map(|i| format!("Another publication number {i} on the budget\n\n01/02/25\n\n"))
                .collect::<String>()
        )
        .into_bytes(),
        "megabyte-paragraph.html" => format!(
            "<html><body><article><p>{}</p><p>{}</p></article></body></html>",
            GOOD,
            "x".repeat(1024 * 1024)
        )
        .into_bytes(),
        "megabyte-line.txt" => format!(
            "{GOOD}\nA long line of letters follows, and nothing else.\n\n{}\n",
            "y".repeat(1024 * 1024)
        )
        .into_bytes(),
        "fifty-two-thousand-blocks.txt" => {
            format!("Many paragraphs\n\n{}", prose(52_000)).into_bytes()
        }
        "escape-sequences.txt" => hostile_page(0).into_bytes(),
        other => panic!("no corpus item {other}"),
    };
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The corpus, in the order it is fed to one store.
fn corpus() -> Vec<Item> {
    vec![
        Item {
            file: "empty.txt",
            what: "an empty file",
            expect: Expect::Refused("found no publication text"),
        },
        Item {
            file: "navigation-only.html",
            what: "a page that is only navigation",
            expect: Expect::Refused("found no publication text"),
        },
        Item {
            file: "binary.txt",
            what: "binary data saved as text",
            expect: Expect::Refused("does not look like a text page"),
        },
        Item {
            file: "binary.html",
            what: "binary data saved as HTML",
            expect: Expect::Refused("does not look like an HTML page"),
        },
        Item {
            file: "hundred-megabytes.txt",
            what: "a 100 MB page",
            expect: Expect::Refused("more than the 33554432 bytes redline reads"),
        },
        Item {
            file: "hundred-thousand-nested.html",
            what: "100,000 nested elements",
            expect: Expect::Refused("nests HTML elements"),
        },
        Item {
            file: "ten-thousand-related.txt",
            what: "a related list of 10,000 items",
            expect: Expect::Refused("10000 items in the related list, more than the 2000"),
        },
        Item {
            file: "megabyte-paragraph.html",
            what: "a paragraph of 1 MB without spaces (HTML)",
            expect: Expect::Refused("characters in body block 2, more than the 200000"),
        },
        Item {
            file: "fifty-two-thousand-blocks.txt",
            what: "52,000 paragraphs",
            expect: Expect::Refused("body blocks, more than the 50000"),
        },
        Item {
            file: "invalid-utf8.txt",
            what: "invalid UTF-8",
            expect: Expect::Read(|md| md.contains("The committee met on Monday")),
        },
        Item {
            file: "nul-bytes.txt",
            what: "NUL bytes inside words",
            expect: Expect::Read(|md| !md.contains('\0') && md.contains("reform")),
        },
        Item {
            file: "megabyte-line.txt",
            what: "a line of 1 MB without spaces (text capture)",
            expect: Expect::Read(|md| md.len() < 10_000 && md.contains("letters follows")),
        },
        Item {
            file: "escape-sequences.txt",
            what: "ANSI, OSC, C1 and bidi sequences in the text",
            expect: Expect::Read(|md| !has_terminal_controls(md)),
        },
    ]
}

fn commit_count(store: &Path) -> usize {
    git(store, &["rev-list", "--count", "HEAD"])
        .trim()
        .parse()
        .unwrap()
}

fn assert_fsck_clean(store: &Path) {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(store)
        .args(["fsck", "--strict", "--no-dangling"])
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "git fsck: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every item of the corpus, recorded with `snapshot FILE --source p` into
/// a store that already holds a version: refused items change nothing,
/// read items become one sane version each, and the first version is
/// still there, byte for byte, at the end.
#[test]
fn every_bad_input_ends_in_a_clear_error_or_a_sane_version_and_loses_nothing() {
    let (dir, store) = new_store();
    let env = env_in(&store);
    let good = dir.path().join("good.txt");
    std::fs::write(&good, GOOD).unwrap();
    let r = run(&env, &["snapshot", good.to_str().unwrap(), "--source", "p"]);
    assert_eq!(r.code, 0, "{r:?}");
    let first = git(&store, &["rev-parse", "HEAD"]).trim().to_string();
    let first_doc = git(&store, &["show", &format!("{first}:p/document.md")]);

    let items = corpus();
    let (mut refused, mut read) = (0, 0);
    for item in &items {
        let path = write_item(dir.path(), item.file);
        let before = commit_count(&store);
        let start = std::time::Instant::now();
        let r = run(&env, &["snapshot", path.to_str().unwrap(), "--source", "p"]);
        eprintln!(
            "{:<30} {:<45} exit {} in {:.2?}",
            item.file,
            item.what,
            r.code,
            start.elapsed()
        );
        assert!(
            !r.stderr.contains("panicked"),
            "{}: {}",
            item.file,
            r.stderr
        );
        match &item.expect {
            Expect::Refused(message) => {
                assert_eq!(
                    r.code, 2,
                    "{} ({}) was not refused: {r:?}",
                    item.file, item.what
                );
                assert!(
                    r.stderr.contains(item.file) && r.stderr.contains(message),
                    "{}: the error must name the file and say {message:?}: {}",
                    item.file,
                    r.stderr
                );
                assert_eq!(commit_count(&store), before, "{}: recorded", item.file);
                refused += 1;
            }
            Expect::Read(check) => {
                assert_eq!(r.code, 0, "{} ({}): {r:?}", item.file, item.what);
                assert_eq!(commit_count(&store), before + 1, "{}", item.file);
                let md = git(&store, &["show", "HEAD:p/document.md"]);
                assert!(check(&md), "{}: stored as {md:?}", item.file);
                read += 1;
            }
        }
        std::fs::remove_file(&path).unwrap();
    }
    eprintln!(
        "{} inputs: {refused} refused with a clear error, {read} read",
        items.len()
    );
    assert_fsck_clean(&store);
    assert_eq!(git(&store, &["status", "--porcelain"]), "");
    assert_eq!(
        git(&store, &["show", &format!("{first}:p/document.md")]),
        first_doc,
        "the first version changed"
    );
}

/// The same kinds of bad pages served over HTTP to one batch run, with a
/// good source among them: each bad source fails with its reason, the good
/// one is recorded, and what was stored before is untouched.
#[test]
fn a_batch_over_bad_pages_fails_each_clearly_and_records_the_good_one() {
    let server = Server::start();
    let (dir, store) = new_store();
    let env = env_in(&store);
    let pages = [
        ("good", Route::text(GOOD.as_bytes())),
        (
            "huge",
            Route::Huge {
                len: 100 * 1024 * 1024,
            },
        ),
        (
            "deep",
            Route::Page {
                body: std::fs::read(write_item(dir.path(), "hundred-thousand-nested.html"))
                    .unwrap(),
                content_type: "text/html".into(),
                etag: None,
                last_modified: None,
            },
        ),
        (
            "binary",
            Route::text(&std::fs::read(write_item(dir.path(), "binary.txt")).unwrap()),
        ),
        ("empty", Route::text(b"")),
        (
            "related",
            Route::text(
                &std::fs::read(write_item(dir.path(), "ten-thousand-related.txt")).unwrap(),
            ),
        ),
    ];
    let mut config = std::fs::read_to_string(store.join("redline.toml")).unwrap();
    config.push_str("\n[fetch]\nmin_interval_ms = 0\nretries = 0\n");
    for (id, route) in pages {
        server.route(&format!("/{id}"), route);
        config.push_str(&format!(
            "\n[[source]]\nid = \"{id}\"\nurl = \"{}\"\n",
            server.url(&format!("/{id}"))
        ));
    }
    std::fs::write(store.join("redline.toml"), config).unwrap();

    let r = run(&env, &["snapshot"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    for (id, reason) in [
        ("huge", "the size cap"),
        ("deep", "nests HTML elements"),
        ("binary", "does not look like a text page"),
        ("empty", "found no publication text"),
        ("related", "items in the related list"),
    ] {
        let line = r
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("{id}: ")))
            .unwrap_or_else(|| panic!("no line for {id}: {}", r.stdout));
        assert!(
            line.contains("failed") && line.contains(reason),
            "{id}: {line}"
        );
    }
    assert!(r.stdout.contains("good: new"), "{}", r.stdout);
    let recorded = git(&store, &["rev-parse", "HEAD"]);
    let r = run(&env, &["snapshot"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(git(&store, &["rev-parse", "HEAD"]), recorded);
    assert!(r.stdout.contains("good: "), "{}", r.stdout);
    assert_fsck_clean(&store);
}

/// Source ids come from users, URLs and hand-edited `redline.toml` files:
/// none can name a path outside its folder, and each bad one is refused
/// with a message that names it (escaped, never raw control bytes).
#[test]
fn hostile_source_ids_are_refused_and_write_nothing() {
    let (dir, store) = new_store();
    let env = env_in(&store);
    let good = dir.path().join("good.txt");
    std::fs::write(&good, GOOD).unwrap();
    let outside = dir.path().join("escaped");
    // Plain path tricks are covered in store.rs and tracking.rs; these are
    // the ones that could also reach the terminal or the argument parser.
    for id in [
        "a/../../escaped",
        "a\u{1b}[2Jb",
        "a\u{9b}31mb\u{202e}",
        "-rf",
        "..",
        &"x".repeat(500),
    ] {
        let source = format!("--source={id}");
        let r = run(&env, &["snapshot", good.to_str().unwrap(), &source]);
        assert_eq!(r.code, 2, "{id:?}: {r:?}");
        assert!(
            r.stderr.contains("invalid source id"),
            "{id:?}: {}",
            r.stderr
        );
        assert!(!has_terminal_controls(&r.stderr), "{id:?}: {:?}", r.stderr);
        let r = run(
            &env,
            &["add", "http://127.0.0.1:9/page", &format!("--id={id}")],
        );
        assert_eq!(r.code, 2, "{id:?}: {r:?}");
        assert!(!has_terminal_controls(&r.stderr), "{id:?}: {:?}", r.stderr);
    }
    assert!(!outside.exists());
    assert_eq!(commit_count(&store), 1, "nothing was recorded");

    // A hand-edited redline.toml.
    let config = std::fs::read_to_string(store.join("redline.toml")).unwrap();
    std::fs::write(
        store.join("redline.toml"),
        format!("{config}\n[[source]]\nid = \"../../escaped\"\nurl = \"http://127.0.0.1:9/x\"\n"),
    )
    .unwrap();
    let r = run(&env, &["snapshot"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("redline.toml") && r.stderr.contains("../../escaped"),
        "{}",
        r.stderr
    );
    assert!(!outside.exists());
    assert_eq!(commit_count(&store), 1);
}

/// Profile files are user input too: broken, binary, or with patterns
/// built to be expensive. Each is refused naming its file; none panics or
/// hangs (the regex engine is linear-time, and its size is capped).
#[test]
fn hostile_profile_files_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.txt");
    std::fs::write(&page, GOOD).unwrap();
    let env = env_in(dir.path());
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("binary.toml", write_binary()),
        ("not-toml.toml", b"[text\nbody_end = ".to_vec()),
        (
            "bad-regex.toml",
            b"[text]\nbody_end = ['(unclosed']\n".to_vec(),
        ),
        (
            "huge-regex.toml",
            b"[text]\nbody_end = ['(?:a{1000}){1000}{1000}']\n".to_vec(),
        ),
        ("bad-selector.toml", b"[html]\nbody = '<<<>>>'\n".to_vec()),
        ("unknown-field.toml", b"[text]\nrm_rf = '/'\n".to_vec()),
        (
            "nested.toml",
            format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
        ),
    ];
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let start = std::time::Instant::now();
        let r = run(
            &env,
            &[
                "normalize",
                page.to_str().unwrap(),
                "--profile",
                path.to_str().unwrap(),
            ],
        );
        eprintln!("{name:<20} exit {} in {:.2?}", r.code, start.elapsed());
        assert_eq!(r.code, 2, "{name}: {r:?}");
        assert!(r.stderr.contains(name), "{name}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{name}: {}", r.stderr);
    }
}

fn write_binary() -> Vec<u8> {
    (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect()
}

/// A page whose title, body and related list carry terminal control
/// sequences, HTML and bidi overrides; `edition` varies one paragraph.
fn hostile_page(edition: usize) -> String {
    let esc = "\u{1b}[2J\u{1b}[H\u{1b}]0;pwned\u{7}\u{1b}]8;;http://evil/\u{1b}\\link\u{9b}31m\u{202e}\u{2066}\u{8}\u{85}";
    format!(
        "Budget {esc}report <script>alert(1)</script>\n\n\
         The committee met on Monday {esc} and agreed that the budget for the coming year \
         should grow by a modest amount, after a long debate.\n\n\
         Members raised concerns <img src=x onerror=alert(2)> about the pace of the reform, \
         and asked for a review of the plans in edition {edition} {esc}.\n\n\
         Related Publications\n\n\
         A related paper {esc} on <b>budgets</b>\n\n01/02/25\n\n"
    )
}

/// Whether `text` holds anything a terminal acts on besides redline's own
/// colours and progress line: ESC (after removing SGR sequences
/// `ESC [ digits ; m` and the progress line's `CR ESC [ K`), the
/// 8-bit CSI, BEL, backspace, NEL, other C0/C1 controls but line breaks
/// and tabs, or a bidi override or isolate.
fn has_terminal_controls(text: &str) -> bool {
    let own = text.replace(redline::render::style::CLEAR_LINE, "");
    strip_sgr(&own).chars().any(|c| {
        (c.is_control() && !matches!(c, '\n' | '\t'))
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

fn strip_sgr(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("\u{1b}[") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 2..];
        let len = tail
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(tail.len());
        if tail[len..].starts_with('m') {
            rest = &tail[len + 1..];
        } else {
            out.push('\u{1b}');
            rest = &rest[at + 1..];
        }
    }
    out.push_str(rest);
    out
}

/// Hostile page text through every command that prints it, in colour on a
/// terminal: the batch's lines, `log` (with `-p` and `--stat`), `show` in
/// each format, `diff` between stored versions, and `list`. Only redline's
/// SGR colour codes may reach the terminal. The HTML redline escapes it.
#[test]
fn hostile_page_text_never_reaches_the_terminal_from_the_store() {
    let server = Server::start();
    let (_dir, store) = new_store();
    let mut config = std::fs::read_to_string(store.join("redline.toml")).unwrap();
    config.push_str(&format!(
        "\n[fetch]\nmin_interval_ms = 0\nretries = 0\n\n[[source]]\nid = \"evil\"\nurl = \"{}\"\n",
        server.url("/evil")
    ));
    std::fs::write(store.join("redline.toml"), config).unwrap();
    let mut env = env_in(&store);
    env.stdout_is_terminal = true;
    env.stderr_is_terminal = true;
    env.terminal_width = Some(80);

    let mut outputs = Vec::new();
    for edition in 0..3 {
        server.route("/evil", Route::text(hostile_page(edition).as_bytes()));
        let r = run(&env, &["--color", "always", "snapshot"]);
        assert!(r.code <= 1, "{r:?}");
        outputs.push(("snapshot".to_string(), r));
    }
    assert_eq!(commit_count(&store), 4, "three versions recorded");
    for args in [
        vec!["log"],
        vec!["log", "evil", "-p"],
        vec!["log", "evil", "--stat"],
        vec!["show", "evil"],
        vec!["show", "evil", "--format", "text"],
        vec!["diff", "evil"],
        vec!["diff", "evil", "~2", "~0", "--show-cosmetic"],
        vec!["diff", "evil", "--stat"],
        vec!["diff", "evil", "--format", "md"],
        vec!["list"],
    ] {
        let mut argv = vec!["--color", "always"];
        argv.extend_from_slice(&args);
        let r = run(&env, &argv);
        assert!(r.code <= 1, "{args:?}: {r:?}");
        outputs.push((args.join(" "), r));
    }
    for (what, r) in &outputs {
        for (stream, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
            assert!(
                !has_terminal_controls(text),
                "{what} let a control sequence from the page reach {stream}: {text:?}"
            );
        }
    }
    assert!(
        outputs.iter().any(|(_, r)| r.stdout.contains('\u{1b}')),
        "colour was on: redline's own SGR codes must appear somewhere"
    );

    let r = run(&env, &["diff", "evil", "--format", "html"]);
    assert_eq!(r.code, 1, "{r:?}");
    let html = r.stdout;
    for raw in ["<script>alert", "<img src=x", "<b>budgets"] {
        assert!(!html.contains(raw), "the HTML redline let {raw:?} through");
    }
    assert!(
        html.contains("&lt;img src=x"),
        "page text is shown, escaped"
    );
    assert!(!has_terminal_controls(&html.replace('\r', "")));
}
