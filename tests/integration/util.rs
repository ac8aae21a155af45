//! Shared test helpers: running redline in-process or as a process, the
//! bundled captures, git, new stores.

use std::path::{Path, PathBuf};
use std::process::Command;

use redline::cli::{Env, run_with};

/// The bundled captures of the INSS policy paper.
pub fn snapshots_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots/inss-defense-treaty")
}

/// The capture files, oldest first.
pub fn captures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(snapshots_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    files
}

/// What one run printed.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// An environment as a piped, colourless process in `cwd` would have.
pub fn env_in(cwd: &Path) -> Env {
    Env {
        cwd: cwd.to_path_buf(),
        store: None,
        no_color: false,
        stdout_is_terminal: false,
        stdout_never_waits: false,
        stderr_is_terminal: false,
        terminal_width: None,
        // In-process runs leave the test harness's allocator alone.
        huge_heap: false,
    }
}

/// Runs redline in-process.
pub fn run(env: &Env, args: &[&str]) -> Run {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let mut argv = vec!["redline"];
    argv.extend_from_slice(args);
    let code = run_with(argv, env, &mut out, &mut err);
    Run {
        code,
        stdout: String::from_utf8(out).unwrap(),
        stderr: String::from_utf8(err).unwrap(),
    }
}

/// Runs the built binary as a child process with extra environment.
pub fn run_binary(cwd: &Path, args: &[&str], vars: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_redline"));
    cmd.args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .env_remove("REDLINE_STORE");
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let output = cmd.output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// Runs the system git in `dir` and returns its standard output.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A new, empty store in a temporary folder.
pub fn new_store() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let r = run(&env_in(dir.path()), &["init", store.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{r:?}");
    (dir, store)
}
