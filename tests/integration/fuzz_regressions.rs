//! Every input the fuzz targets ever crashed on, replayed on every test run.
//!
//! The fuzz targets (`fuzz/`, cargo-fuzz, nightly) are a one-line call into
//! `fuzz/src/checks.rs`; this module includes that same file, so each saved
//! input under `tests/fuzz-regressions/<target>/` goes through exactly the
//! code path, and the same property checks, that found it — on the stable
//! toolchain, without libFuzzer. A new crash input is added by copying it
//! there (see docs/fuzzing.md); the file name says what it found (`crash-*`,
//! `check-*` for a check that was wrong); `smoke-*` inputs never failed and
//! keep each target's path running when it has no crash input.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

#[path = "../../fuzz/src/checks.rs"]
mod checks;

/// Runs `check` on every file of `tests/fuzz-regressions/<target>/` and
/// fails naming each file that panicked.
fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs in {}", dir.display());
    let failed: Vec<String> = files
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).unwrap();
            catch_unwind(AssertUnwindSafe(|| check(&data))).is_err()
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(failed.is_empty(), "fuzz regressions failed: {failed:#?}");
}

#[test]
fn normalize_text_inputs() {
    replay("normalize_text", checks::normalize_text);
}

#[test]
fn normalize_html_inputs() {
    replay("normalize_html", checks::normalize_html);
}

#[test]
fn diff_inputs() {
    replay("diff", checks::diff);
}
