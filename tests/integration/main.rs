//! redline's integration tests: one binary, modules by purpose.
//!
//! Every test runs the real program (in-process through `cli::run_with`, or
//! the built binary where the process environment matters) on real files and
//! real git repositories in temporary folders.

/// A real HTTP server on 127.0.0.1 whose answers tests change between runs.
mod server;
/// Running redline and reading its output; the bundled captures.
mod util;

/// `redline blame` on the bundled history: since when each block says what
/// it says.
mod blame;
/// Exit codes, colour and piped output, error messages.
mod cli_behaviour;
/// SIGKILL at random moments of a 200-source snapshot; a full disk and a
/// read-only store.
mod crash;
/// `--stat`, `--format md|json`, the pager and `--no-pager`.
mod diff_formats;
/// Every input a fuzz target crashed on (tests/fuzz-regressions), replayed
/// through the targets' own code (fuzz/src/checks.rs).
mod fuzz_regressions;
/// Bad pages, source ids and profile files; page text that tries to reach
/// the terminal.
mod hostile;
/// HTML captures: the bundled page as served equals its text captures;
/// encodings, profile selectors, bad input.
mod html_captures;
/// `--format html` rendered by a real headless Chromium (screenshot, DOM).
mod html_chromium;
/// The built binary needs no system library.
mod linking;
/// The seed capture normalizes to exactly the publication, field by field.
mod normalize_seed;
/// `redline renormalize`: re-derived versions, original commits untouched.
mod renormalize;
/// `report`: the Atom feed (RFC 4287 rules), the JSON report, the static
/// site in headless Chromium, hostile page text.
mod report;
/// Every word `git diff --word-diff` marks in the real revision pairs of
/// ../shared/revisions-dev is covered by a change redline reports.
mod revisions;
/// The diff of each consecutive pair of bundled captures equals what
/// snapshots/inss-defense-treaty/README.md says the editor changed.
mod snapshot_oracle;
/// The git-backed store: init, snapshot, import, log, show, revisions.
mod store;
/// Several machines, one store: push, pull, replay, a push race; shards.
mod sync;
/// The terminal redline as a reader sees it (insta snapshots).
mod term_output;
/// Sources, fetching over loopback HTTP, the batch snapshot and its guards.
mod tracking;
