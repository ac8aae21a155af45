//! redline's integration tests: one binary, modules by purpose.
//!
//! Every test runs the real program (in-process through `cli::run_with`, or
//! the built binary where the process environment matters) on real files and
//! real git repositories in temporary folders.

/// Running redline and reading its output; the bundled captures.
mod util;

/// Exit codes, colour and piped output, error messages.
mod cli_behaviour;
/// HTML captures: the bundled page as served equals its text captures;
/// encodings, profile selectors, bad input.
mod html_captures;
/// The seed capture normalizes to exactly the publication, field by field.
mod normalize_seed;
/// The diff of each consecutive pair of bundled captures equals what
/// snapshots/inss-defense-treaty/README.md says the editor changed.
mod snapshot_oracle;
/// The git-backed store: init, snapshot, import, log, show, revisions.
mod store;
/// The terminal redline as a reader sees it (insta snapshots).
mod term_output;
