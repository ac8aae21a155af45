//! The sync commands: `push` and `pull`, which share a store between
//! machines through a git remote.
//!
//! The work (fetch, replay, push with retries) is in
//! [`crate::store::remote`]; this file opens the store and says what
//! happened in one line.

use super::Output;
use super::commands::Ctx;
use crate::error::Error;
use crate::exit_codes;
use crate::store::remote::{self, SyncOptions, SyncReport};

/// `redline push [REMOTE]`.
pub(super) fn push(ctx: &Ctx, remote: &str, quiet: bool, out: &mut Output) -> Result<i32, Error> {
    let store = ctx.store()?;
    let report = remote::push(&store, remote, &SyncOptions::default())?;
    if !quiet {
        out.print(&push_line(&report))?;
    }
    Ok(exit_codes::SUCCESS)
}

/// `redline pull [REMOTE]`.
pub(super) fn pull(ctx: &Ctx, remote: &str, quiet: bool, out: &mut Output) -> Result<i32, Error> {
    let store = ctx.store()?;
    let report = remote::pull(&store, remote, &SyncOptions::default())?;
    if !quiet {
        out.print(&pull_line(&report))?;
    }
    Ok(exit_codes::SUCCESS)
}

fn commits(n: usize) -> String {
    if n == 1 {
        "1 commit".into()
    } else {
        format!("{n} commits")
    }
}

/// What came in, as a clause (empty when nothing did).
fn received(r: &SyncReport) -> String {
    match (r.received, r.replayed) {
        (0, _) => String::new(),
        (n, 0) => format!("; took {} from the remote", commits(n)),
        (n, m) => format!(
            "; took {} from the remote and replayed this store's {} on top",
            commits(n),
            commits(m)
        ),
    }
}

fn push_line(r: &SyncReport) -> String {
    let target = format!("{} ({})", r.remote, r.branch);
    let mut line = if r.pushed == 0 {
        format!("{target} is up to date: nothing to push")
    } else if r.remote_empty {
        format!(
            "pushed {} to {target}, a new branch there",
            commits(r.pushed)
        )
    } else {
        format!("pushed {} to {target}", commits(r.pushed))
    };
    line.push_str(&received(r));
    if r.attempts > 1 {
        line.push_str(&format!(
            " (in {} attempts: other machines pushed meanwhile)",
            r.attempts
        ));
    }
    crate::render::sanitize(&line) + "\n"
}

fn pull_line(r: &SyncReport) -> String {
    let target = format!("{} ({})", r.remote, r.branch);
    let mut line = if r.remote_empty {
        format!("{target} has no versions yet: nothing to pull (`redline push` sends this store's)")
    } else if r.received == 0 {
        format!("already up to date with {target}")
    } else if r.replayed == 0 {
        format!("pulled {} from {target}", commits(r.received))
    } else {
        format!(
            "pulled {} from {target} and replayed this store's {} on top",
            commits(r.received),
            commits(r.replayed)
        )
    };
    if r.unpushed > 0 {
        line.push_str(&format!(
            "; {} of this store not on {} yet (`redline push` sends them)",
            commits(r.unpushed),
            r.remote
        ));
    }
    crate::render::sanitize(&line) + "\n"
}
