//! Exit codes, colour and piped output, and the errors a user sees for bad
//! input (profiles, missing files), run in-process and as the built binary.

use crate::util::{captures, env_in, run, run_binary, snapshots_dir};

#[test]
fn exit_codes_follow_diff() {
    let files = captures();
    let (a, b) = (files[0].to_str().unwrap(), files[1].to_str().unwrap());
    let env = env_in(&snapshots_dir());
    assert_eq!(run(&env, &["diff", a, a]).code, 0);
    assert_eq!(run(&env, &["diff", a, b]).code, 1);
    let missing = run(&env, &["diff", a, "/nonexistent/file.txt"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("/nonexistent/file.txt"),
        "{}",
        missing.stderr
    );
    assert_eq!(run(&env, &["no-such-command"]).code, 2);
    assert_eq!(run(&env, &["--help"]).code, 0);
}

#[test]
fn chrome_only_versions_diff_as_identical() {
    let files = captures();
    let (a, b) = (files[4].to_str().unwrap(), files[5].to_str().unwrap());
    let r = run(&env_in(&snapshots_dir()), &["diff", a, b]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("summary: no changes"), "{}", r.stdout);
}

fn has_escape(text: &str) -> bool {
    text.contains('\u{1b}')
}

#[test]
fn piped_output_and_no_color_have_no_escape_codes() {
    let files = captures();
    let (a, b) = (files[0].to_str().unwrap(), files[1].to_str().unwrap());
    let dir = snapshots_dir();
    // Piped (the child's stdout is a pipe): plain, with word markers.
    let piped = run_binary(&dir, &["diff", a, b], &[]);
    assert_eq!(piped.code, 1);
    assert!(!has_escape(&piped.stdout), "{:?}", piped.stdout);
    assert!(
        piped.stdout.contains("{+ahead of the+}"),
        "{}",
        piped.stdout
    );
    // NO_COLOR wins over auto.
    let no_color = run_binary(&dir, &["diff", a, b], &[("NO_COLOR", "1")]);
    assert!(!has_escape(&no_color.stdout));
    // --color always forces colour even into a pipe; never turns it off.
    let always = run_binary(&dir, &["--color", "always", "diff", a, b], &[]);
    assert!(has_escape(&always.stdout));
    let never = run(&env_in(&dir), &["--color", "never", "diff", a, b]);
    assert!(!has_escape(&never.stdout));
}

#[test]
fn colour_in_a_terminal_unless_no_color() {
    let files = captures();
    let (a, b) = (files[0].to_str().unwrap(), files[1].to_str().unwrap());
    let mut env = env_in(&snapshots_dir());
    env.stdout_is_terminal = true;
    env.terminal_width = Some(80);
    let r = run(&env, &["diff", a, b]);
    assert!(has_escape(&r.stdout));
    assert!(
        r.stdout
            .lines()
            .all(|l| strip_ansi(l).chars().count() <= 80),
        "wrapped to the terminal width"
    );
    env.no_color = true;
    assert!(!has_escape(&run(&env, &["diff", a, b]).stdout));
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn a_broken_profile_names_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("bad.toml");
    std::fs::write(&profile, "name = \"bad\"\n[text]\nbody_end = [\"(\"]\n").unwrap();
    let seed = captures()[0].clone();
    let r = run(
        &env_in(dir.path()),
        &[
            "normalize",
            seed.to_str().unwrap(),
            "--profile",
            profile.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("bad.toml") && r.stderr.contains("text.body_end"),
        "{}",
        r.stderr
    );
    let r = run(
        &env_in(dir.path()),
        &["normalize", seed.to_str().unwrap(), "--profile", "nope"],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no profile named \"nope\"") && r.stderr.contains("inss"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_html_page_normalizes_to_its_article() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    let para = "The council approved the new budget on Tuesday after a long debate about schools, roads and the future of the harbour.";
    std::fs::write(
        &page,
        format!(
            "<html lang=en><head><title>Budget passes | The Town Paper</title>\
             <meta property=\"article:published_time\" content=\"2024-03-05T10:00:00Z\"></head>\
             <body><nav><a href=/>Home</a> <a href=/news>News</a></nav>\
             <article><h1>Budget passes</h1><p>{para}</p><h2>What comes next</h2><p>{para} Again.</p>\
             <div class=share-bar>Share on Facebook</div></article><footer>© The Town Paper</footer></body></html>"
        ),
    )
    .unwrap();
    let r = run(
        &env_in(dir.path()),
        &["normalize", page.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["title"], "Budget passes");
    assert_eq!(doc["published"], "2024-03-05");
    assert_eq!(doc["language"], "en");
    let body: Vec<(&str, &str)> = doc["body"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["kind"].as_str().unwrap(), b["text"].as_str().unwrap()))
        .collect();
    let again = format!("{para} Again.");
    assert_eq!(
        body,
        [
            ("paragraph", para),
            ("heading", "What comes next"),
            ("paragraph", again.as_str())
        ]
    );
}

#[test]
fn markdown_files_diff_directly() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.md");
    let new = dir.path().join("new.md");
    std::fs::write(
        &old,
        "# Terms\n\nWe keep your data for 30 days.\n\nWe never sell it.\n",
    )
    .unwrap();
    std::fs::write(
        &new,
        "# Terms\n\nWe keep your data for 90 days.\n\nWe never sell it.\n",
    )
    .unwrap();
    let r = run(
        &env_in(dir.path()),
        &["diff", old.to_str().unwrap(), new.to_str().unwrap()],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("[-30-]{+90+}"), "{}", r.stdout);
}

/// Page text is untrusted: escape sequences (cursor moves, screen clears,
/// window titles), other controls and bidi overrides in a page never reach
/// the terminal. Only redline's own colour codes (SGR, `ESC [ ... m`) may.
#[test]
fn hostile_page_text_never_reaches_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = "\u{1b}[2J\u{1b}[H\u{1b}]0;pwned\u{7}\u{9b}31m\u{202e}\u{2066}";
    let page = |extra: &str| {
        format!(
            "Notice | Site\n\nNotice\n\nThe first paragraph of the notice says something {hostile}here.\n\n\
             The second paragraph of the notice {extra} says more things about it.\n"
        )
    };
    let (old, new) = (dir.path().join("old.txt"), dir.path().join("new.txt"));
    std::fs::write(&old, page("still")).unwrap();
    std::fs::write(&new, page(&format!("now {hostile}"))).unwrap();
    let (old, new) = (old.to_str().unwrap(), new.to_str().unwrap());
    let mut env = env_in(dir.path());
    env.stdout_is_terminal = true;
    env.terminal_width = Some(80);
    for args in [
        vec!["diff", old, new, "--show-cosmetic"],
        vec!["--color", "never", "diff", old, new],
        vec!["normalize", new, "--format", "text"],
        vec!["normalize", new, "--format", "md"],
    ] {
        let r = run(&env, &args);
        assert!(r.code <= 1, "{args:?}: {r:?}");
        // Remove redline's own colour codes, then nothing may remain that a
        // terminal would act on.
        let sgr = regex_lite_strip_sgr(&r.stdout);
        for bad in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}', '\u{2066}'] {
            assert!(
                !sgr.contains(bad),
                "{args:?} let {:?} through: {:?}",
                bad,
                r.stdout
            );
        }
    }
}

/// `text` without SGR sequences (`ESC [ digits ; ... m`).
fn regex_lite_strip_sgr(text: &str) -> String {
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
