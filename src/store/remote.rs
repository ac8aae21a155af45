//! Several machines, one store: `push` and `pull` through git remotes, and
//! the replay ("rebase") of this store's new commits onto the remote's that
//! lets machines snapshotting disjoint sources push to one remote.
//!
//! Remotes are ordinary git remotes of the store's repository (`git remote
//! add origin URL`; a `git clone` of a store has one already): their URLs
//! are per machine (paths, credentials), so they do not belong in the
//! committed `redline.toml`.
//!
//! **Transport.** A local path or a `file://` URL is read and written with
//! libgit2 directly: objects are copied as one pack, then the remote's branch
//! is moved with a compare-and-swap (`reference_matching`, under git's ref
//! lock), so of two machines pushing at once exactly one wins and the other
//! sees the branch moved. (libgit2's own local push overwrites the branch
//! without that check, which would lose the first machine's versions.)
//! The remote's hooks do not run on this path (git runs them for a local
//! push); a remote that needs its hooks is named by a URL git handles.
//! https, ssh and every other URL go through the user's `git` command, so
//! their credential helpers and ssh keys apply; `git push` (never forced)
//! refuses a non-fast-forward on the server side.
//!
//! **Push** = fetch the remote's branch, integrate it (fast-forward, or
//! replay this store's own commits on top of it), push; when the branch
//! moved in between (another machine pushed), do it all again, up to
//! [`SyncOptions::max_attempts`] times with a growing pause.
//!
//! **Replay.** Each own commit (those not on the remote) is rebuilt on the
//! new parent as "the parent's tree plus this commit's change to its
//! top-level entries" (a source folder, `redline.toml`); author, committer,
//! times and message stay, so history stays truthful. Sources are disjoint
//! between machines, so there is nothing to merge. When both sides changed
//! the same source folder, nothing is changed and the error names the
//! sources. `redline.toml` changed on both sides is merged when the changes
//! are sources added or removed (what `redline add`/`remove` do), else
//! refused.
//!
//! **After the branch moves** the work tree and index of the changed entries
//! are rewritten, and the run state (`.redline/state.json`) is corrected:
//! sources changed by other machines lose their validators and recent
//! versions (they described an older version), and the recent versions of
//! replayed commits get their new commit ids.
//!
//! The caller holds the store lock ([`super::lock`]) around each call.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use git2::{ErrorCode, ObjectType, Oid, Repository, Tree};
use thiserror::Error;

use super::config::{self, SourceSpec};
use super::{PROFILES_DIR, STORE_MARKER, SourceId, Store, StoreError, state};

/// The remote used when none is named.
pub const DEFAULT_REMOTE: &str = "origin";
/// The store's `.gitignore` (written by `redline init`).
const GITIGNORE: &str = ".gitignore";
/// Push attempts before giving up when other machines keep pushing.
pub const MAX_ATTEMPTS: u32 = 10;

/// How to reach a remote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransportChoice {
    /// libgit2 for local paths and `file://` URLs, `git` for the rest.
    #[default]
    Auto,
    /// The `git` command for every remote (as for https and ssh).
    GitCommand,
}

/// How `push` and `pull` behave.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub transport: TransportChoice,
    /// Push attempts while the remote's branch keeps moving.
    pub max_attempts: u32,
    /// Pause after the first refused attempt; it grows with each attempt.
    pub backoff: Duration,
}

impl Default for SyncOptions {
    fn default() -> SyncOptions {
        SyncOptions {
            transport: TransportChoice::Auto,
            max_attempts: MAX_ATTEMPTS,
            backoff: Duration::from_millis(50),
        }
    }
}

/// How a remote's URL is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// A repository on this machine's disks, opened with libgit2.
    Local(PathBuf),
    /// Anything else (https, ssh, git://, `host:path`): the `git` command.
    GitCommand,
}

/// Which transport a remote URL needs: local paths (relative ones count
/// from the store) and `file://` URLs are local; URLs of other schemes and
/// scp-like `[user@]host:path` go through `git`.
pub fn classify(url: &str, store_root: &Path) -> Transport {
    if let Some((scheme, rest)) = url.split_once("://") {
        if scheme.eq_ignore_ascii_case("file") {
            let path = rest.strip_prefix("localhost").unwrap_or(rest);
            return Transport::Local(PathBuf::from(path));
        }
        return Transport::GitCommand;
    }
    // `host:path` (scp-like ssh): a ':' before any '/'.
    if let Some(colon) = url.find(':')
        && !url[..colon].contains('/')
        && colon > 0
    {
        return Transport::GitCommand;
    }
    Transport::Local(store_root.join(url))
}

/// What a `push` or `pull` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// The remote's name and URL.
    pub remote: String,
    pub url: String,
    /// The branch (short name) synced.
    pub branch: String,
    /// Commits that came from the remote into this store.
    pub received: usize,
    /// This store's own commits replayed onto the remote's (new ids).
    pub replayed: usize,
    /// Commits the remote gained (push).
    pub pushed: usize,
    /// This store's commits not on the remote (after a pull).
    pub unpushed: usize,
    /// Push attempts (more than one when other machines pushed meanwhile).
    pub attempts: u32,
    /// The remote has no such branch yet.
    pub remote_empty: bool,
}

/// What went wrong while syncing, and what to do about it.
#[derive(Debug, Error)]
pub enum SyncError {
    #[error(
        "store {store} has no git remote named {name:?} (its remotes: {known}); add one with `git -C {store} remote add {name} URL` (URL: a bare repository's path, or a file://, https:// or ssh:// URL)"
    )]
    NoRemote {
        store: String,
        name: String,
        known: String,
    },
    #[error(
        "the store {store} is not on a branch (its HEAD is detached); check one out with `git -C {store} checkout BRANCH`, then run again"
    )]
    NoBranch { store: String },
    #[error(
        "cannot open remote {name} at {path}: {message}; check its URL with `git -C {store} remote -v` (a new remote is made with `git init --bare PATH`)"
    )]
    RemoteUnreadable {
        store: String,
        name: String,
        path: String,
        message: String,
    },
    #[error(
        "remote {name} at {path} is not a bare repository, and pushing into one would leave its work tree stale; make a bare one with `git init --bare PATH` and point the remote there (`git -C {store} remote set-url {name} PATH`)"
    )]
    NotBare {
        store: String,
        name: String,
        path: String,
    },
    #[error(
        "cannot reach remote {name} ({url}): {message}; check the URL, the network and your git credentials, then run `redline {command}` again"
    )]
    Unreachable {
        name: String,
        url: String,
        command: &'static str,
        message: String,
    },
    #[error(
        "remote {name} ({url}) refused the push: {message}; this store keeps its versions: fix what the remote says, then run `redline push` again"
    )]
    Rejected {
        name: String,
        url: String,
        message: String,
    },
    #[error(
        "cannot run `git` for remote {name} ({url}): {message}; https and ssh remotes go through your git (its credential helpers and ssh keys): install git, or use a local or file:// remote"
    )]
    GitMissing {
        name: String,
        url: String,
        message: String,
    },
    #[error(
        "cannot combine this store's new versions with remote {name}'s: {sources} changed both here and there (each source should be snapshotted by one machine only: `redline snapshot --shard K/N`); nothing was changed. To keep the remote's history and drop this store's unpushed commits, run `git -C {store} reset --hard {name}/{branch}`"
    )]
    Conflict {
        store: String,
        name: String,
        branch: String,
        sources: String,
    },
    #[error(
        "cannot combine this store's redline.toml with remote {name}'s: {reason}; nothing was changed. Combine them with git (`git -C {store} rebase {name}/{branch}`, then fix redline.toml), and run `redline push` again"
    )]
    ConfigConflict {
        store: String,
        name: String,
        branch: String,
        reason: String,
    },
    #[error(
        "gave up pushing to remote {name} ({url}) after {attempts} attempts: its branch kept moving (other machines pushing) or stayed locked (last refusal: {last}); this store's versions are safe here, replayed onto the remote's: run `redline push` again"
    )]
    GaveUp {
        name: String,
        url: String,
        attempts: u32,
        last: String,
    },
    #[error(
        "cannot copy commits between the store {store} and remote {name} ({url}): {message}; check that both folders can be read and written and have space left, then run again"
    )]
    Transfer {
        store: String,
        name: String,
        url: String,
        message: String,
    },
    #[error(
        "{store}/{path} has changes that are not committed, and the remote's versions change it; commit them (`git -C {store} commit -am 'Edit {path}'`) or undo them (`git -C {store} checkout -- {path}`), then run again"
    )]
    Uncommitted { store: String, path: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A remote as configured in the store's git settings.
struct Remote {
    name: String,
    url: String,
    transport: Transport,
}

/// Sends this store's new commits to `remote`: fetch, integrate (the
/// remote's commits come in; this store's own are replayed on top), push;
/// again while other machines push in between. Leaves this store equal to
/// the remote.
pub fn push(store: &Store, remote: &str, options: &SyncOptions) -> Result<SyncReport, SyncError> {
    let sync = Sync::new(store, remote, true, options)?;
    if let Transport::Local(path) = &sync.remote.transport {
        // Refuse before anything changes here.
        sync.check_bare(path)?;
    }
    let mut report = sync.report();
    let mut last = String::new();
    for attempt in 1..=options.max_attempts.max(1) {
        report.attempts = attempt;
        let tip = sync.fetch("push")?;
        report.remote_empty = tip.is_none();
        let integrated = sync.integrate(tip)?;
        report.received += integrated.received;
        report.replayed = integrated.replayed;
        let Some(head) = sync.local_head()? else {
            return Ok(report);
        };
        if Some(head) == tip {
            return Ok(report);
        }
        let count = sync.count(head, tip)?;
        match sync.send(head, tip)? {
            Sent::Pushed => {
                report.pushed = count;
                sync.set_tracking(head)?;
                return Ok(report);
            }
            Sent::Moved(why) => {
                last = why;
                std::thread::sleep(options.backoff * attempt + jitter(options.backoff));
            }
        }
    }
    Err(SyncError::GaveUp {
        name: sync.remote.name.clone(),
        url: sync.remote.url.clone(),
        attempts: report.attempts,
        last,
    })
}

/// Brings the remote's new commits into this store: a fast-forward, or this
/// store's unpushed commits replayed on top of them. Sends nothing.
pub fn pull(store: &Store, remote: &str, options: &SyncOptions) -> Result<SyncReport, SyncError> {
    let sync = Sync::new(store, remote, false, options)?;
    let mut report = sync.report();
    let tip = sync.fetch("pull")?;
    report.remote_empty = tip.is_none();
    let integrated = sync.integrate(tip)?;
    report.received = integrated.received;
    report.replayed = integrated.replayed;
    if let Some(head) = sync.local_head()? {
        report.unpushed = sync.count(head, tip)?;
    }
    Ok(report)
}

/// A little randomness in the pause, so two machines refused at once do not
/// retry in lockstep.
fn jitter(backoff: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
        ^ std::process::id().wrapping_mul(2_654_435_761);
    backoff.mul_f64(f64::from(nanos % 1000) / 1000.0)
}

/// The outcome of one push attempt.
enum Sent {
    Pushed,
    /// The remote's branch moved since it was fetched (another machine
    /// pushed): fetch, integrate and try again.
    Moved(String),
}

/// What integrating the remote's commits did.
#[derive(Default)]
struct Integrated {
    received: usize,
    replayed: usize,
}

/// One sync of `store` with one remote's branch.
struct Sync<'a> {
    store: &'a Store,
    repo: &'a Repository,
    remote: Remote,
    /// `refs/heads/NAME`.
    branch: String,
    /// `refs/remotes/REMOTE/NAME`.
    tracking: String,
}

impl<'a> Sync<'a> {
    fn new(
        store: &'a Store,
        name: &str,
        pushing: bool,
        options: &SyncOptions,
    ) -> Result<Sync<'a>, SyncError> {
        let repo = &store.repo;
        let root = store.root().display().to_string();
        let no_remote = || {
            let known: Vec<String> = repo
                .remotes()
                .map(|r| r.iter().flatten().flatten().map(str::to_string).collect())
                .unwrap_or_default();
            SyncError::NoRemote {
                store: root.clone(),
                name: name.to_string(),
                known: if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                },
            }
        };
        if !git2::Remote::is_valid_name(name) {
            return Err(no_remote());
        }
        let found = match repo.find_remote(name) {
            Ok(r) => r,
            Err(e) if matches!(e.code(), ErrorCode::NotFound | ErrorCode::InvalidSpec) => {
                return Err(no_remote());
            }
            Err(e) => return Err(store.git_error("read the remote's settings", e).into()),
        };
        let url = if pushing {
            found.pushurl().ok().flatten().or(found.url().ok())
        } else {
            found.url().ok()
        }
        .unwrap_or("")
        .to_string();
        if url.is_empty() {
            return Err(no_remote());
        }
        let transport = match options.transport {
            TransportChoice::GitCommand => Transport::GitCommand,
            TransportChoice::Auto => classify(&url, store.root()),
        };
        let head = repo
            .find_reference("HEAD")
            .map_err(|e| store.git_error("read HEAD", e))?;
        let branch = match head.symbolic_target().ok().flatten() {
            Some(target) if target.starts_with("refs/heads/") => target.to_string(),
            _ => return Err(SyncError::NoBranch { store: root }),
        };
        let short = branch.trim_start_matches("refs/heads/");
        let tracking = format!("refs/remotes/{name}/{short}");
        Ok(Sync {
            store,
            repo,
            remote: Remote {
                name: name.to_string(),
                url,
                transport,
            },
            branch,
            tracking,
        })
    }

    fn report(&self) -> SyncReport {
        SyncReport {
            remote: self.remote.name.clone(),
            url: self.remote.url.clone(),
            branch: self.short_branch().to_string(),
            ..SyncReport::default()
        }
    }

    fn short_branch(&self) -> &str {
        self.branch.trim_start_matches("refs/heads/")
    }

    fn root(&self) -> String {
        self.store.root().display().to_string()
    }

    fn git<T>(&self, action: &str, result: Result<T, git2::Error>) -> Result<T, SyncError> {
        Ok(self.store.git(action, result)?)
    }

    fn local_head(&self) -> Result<Option<Oid>, SyncError> {
        match self.repo.refname_to_id(&self.branch) {
            Ok(id) => Ok(Some(id)),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(self.store.git_error("read the branch", e).into()),
        }
    }

    fn set_tracking(&self, tip: Oid) -> Result<(), SyncError> {
        self.git(
            "note the remote's branch",
            self.repo
                .reference(&self.tracking, tip, true, "redline: sync")
                .map(|_| ()),
        )
    }

    /// Commits reachable from `head` and not from `base`.
    fn count(&self, head: Oid, base: Option<Oid>) -> Result<usize, SyncError> {
        let mut walk = self.git("walk history", self.repo.revwalk())?;
        self.git("walk history", walk.push(head))?;
        if let Some(base) = base {
            self.git("walk history", walk.hide(base))?;
        }
        Ok(walk.count())
    }

    fn transfer_error(&self, e: impl std::fmt::Display) -> SyncError {
        SyncError::Transfer {
            store: self.root(),
            name: self.remote.name.clone(),
            url: self.remote.url.clone(),
            message: e.to_string(),
        }
    }

    /// Opens a local remote's repository.
    fn open_local(&self, path: &Path) -> Result<Repository, SyncError> {
        Repository::open(path).map_err(|e| SyncError::RemoteUnreadable {
            store: self.root(),
            name: self.remote.name.clone(),
            path: path.display().to_string(),
            message: e.message().to_string(),
        })
    }

    /// Fetches the remote's branch into this store's objects and its
    /// tracking ref; returns its tip (`None`: the remote has no such branch).
    fn fetch(&self, command: &'static str) -> Result<Option<Oid>, SyncError> {
        let tip = match &self.remote.transport {
            Transport::Local(path) => {
                let theirs = self.open_local(path)?;
                let tip = match theirs.refname_to_id(&self.branch) {
                    Ok(id) => id,
                    Err(e) if e.code() == ErrorCode::NotFound => return Ok(None),
                    Err(e) => return Err(self.transfer_error(e.message())),
                };
                let ours = self.git("open the object database", self.repo.odb())?;
                if !ours.exists(tip) {
                    let theirs_odb = theirs.odb().map_err(|e| self.transfer_error(e.message()))?;
                    let known: Vec<Oid> = [self.local_head()?, self.tracked()?]
                        .into_iter()
                        .flatten()
                        .filter(|id| theirs_odb.exists(*id))
                        .collect();
                    copy_commits(&theirs, self.repo, tip, &known)
                        .map_err(|e| self.transfer_error(e))?;
                }
                tip
            }
            Transport::GitCommand => {
                let refspec = format!("+{}:{}", self.branch, self.tracking);
                let out =
                    self.run_git(&["fetch", "--quiet", "--no-tags", &self.remote.name, &refspec])?;
                if !out.status.success() {
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    if stderr.contains("couldn't find remote ref") {
                        return Ok(None);
                    }
                    return Err(SyncError::Unreachable {
                        name: self.remote.name.clone(),
                        url: self.remote.url.clone(),
                        command,
                        message: git_message(&stderr),
                    });
                }
                match self.tracked()? {
                    Some(tip) => tip,
                    None => return Ok(None),
                }
            }
        };
        self.set_tracking(tip)?;
        Ok(Some(tip))
    }

    /// The tracking ref's commit, if any.
    fn tracked(&self) -> Result<Option<Oid>, SyncError> {
        match self.repo.refname_to_id(&self.tracking) {
            Ok(id) => Ok(Some(id)),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(self.store.git_error("read the remote's branch", e).into()),
        }
    }

    /// Pushes `head` to the remote's branch, if it still points at
    /// `expected` (what was fetched).
    fn send(&self, head: Oid, expected: Option<Oid>) -> Result<Sent, SyncError> {
        match &self.remote.transport {
            Transport::Local(path) => self.send_local(path, head, expected),
            Transport::GitCommand => {
                let spec = format!("{}:{}", self.branch, self.branch);
                let out = self.run_git(&["push", "--porcelain", &self.remote.name, &spec])?;
                if out.status.success() {
                    return Ok(Sent::Pushed);
                }
                let stdout = String::from_utf8_lossy(&out.stdout);
                let refused = stdout
                    .lines()
                    .find(|l| l.starts_with('!'))
                    .map(|l| l.rsplit('\t').next().unwrap_or(l).trim().to_string());
                match refused {
                    Some(why) if is_moved(&why) => Ok(Sent::Moved(format!(
                        "{why}: {}",
                        git_message(&String::from_utf8_lossy(&out.stderr))
                    ))),
                    Some(why) => Err(SyncError::Rejected {
                        name: self.remote.name.clone(),
                        url: self.remote.url.clone(),
                        message: format!(
                            "{why} {}",
                            git_message(&String::from_utf8_lossy(&out.stderr))
                        )
                        .trim()
                        .to_string(),
                    }),
                    None => Err(SyncError::Unreachable {
                        name: self.remote.name.clone(),
                        url: self.remote.url.clone(),
                        command: "push",
                        message: git_message(&String::from_utf8_lossy(&out.stderr)),
                    }),
                }
            }
        }
    }

    /// A local remote pushed to must be bare.
    fn check_bare(&self, path: &Path) -> Result<Repository, SyncError> {
        let theirs = self.open_local(path)?;
        if !theirs.is_bare() {
            return Err(SyncError::NotBare {
                store: self.root(),
                name: self.remote.name.clone(),
                path: path.display().to_string(),
            });
        }
        Ok(theirs)
    }

    fn send_local(&self, path: &Path, head: Oid, expected: Option<Oid>) -> Result<Sent, SyncError> {
        let theirs = self.check_bare(path)?;
        // Objects first: a branch never points at missing objects.
        let known: Vec<Oid> = expected.into_iter().collect();
        copy_commits(self.repo, &theirs, head, &known).map_err(|e| self.transfer_error(e))?;
        // Then the branch, only if nobody moved it since the fetch.
        let message = "redline: push";
        let moved = match expected {
            Some(old) => theirs.reference_matching(&self.branch, head, true, old, message),
            None => theirs.reference(&self.branch, head, false, message),
        };
        match moved {
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.code(),
                    ErrorCode::Modified | ErrorCode::Locked | ErrorCode::Exists
                ) =>
            {
                return Ok(Sent::Moved(e.message().to_string()));
            }
            Err(e) => {
                return Err(SyncError::Rejected {
                    name: self.remote.name.clone(),
                    url: self.remote.url.clone(),
                    message: e.message().to_string(),
                });
            }
        }
        // A new bare remote's HEAD names a branch nobody made: point it at
        // this one, so that `git clone` checks the store out.
        if let Ok(head_ref) = theirs.find_reference("HEAD")
            && let Some(target) = head_ref.symbolic_target().ok().flatten()
            && target != self.branch
            && theirs.refname_to_id(target).is_err()
        {
            let _ = theirs.set_head(&self.branch);
        }
        Ok(Sent::Pushed)
    }

    fn run_git(&self, args: &[&str]) -> Result<Output, SyncError> {
        Command::new("git")
            .arg("-C")
            .arg(self.store.root())
            .args(args)
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| SyncError::GitMissing {
                name: self.remote.name.clone(),
                url: self.remote.url.clone(),
                message: e.to_string(),
            })
    }

    /// Makes this store's branch contain `tip`: nothing to do when it does
    /// already; a fast-forward when this store has no commit of its own;
    /// else its own commits replayed on top of `tip`.
    fn integrate(&self, tip: Option<Oid>) -> Result<Integrated, SyncError> {
        let Some(tip) = tip else {
            return Ok(Integrated::default());
        };
        let local = self.local_head()?;
        if let Some(local) = local
            && (local == tip
                || self.git(
                    "compare histories",
                    self.repo.graph_descendant_of(local, tip),
                )?)
        {
            return Ok(Integrated::default());
        }
        let base = match local {
            Some(local) => match self.repo.merge_base(local, tip) {
                Ok(base) => Some(base),
                Err(e) if e.code() == ErrorCode::NotFound => None,
                Err(e) => return Err(self.store.git_error("compare histories", e).into()),
            },
            None => None,
        };
        let received = self.count(tip, local)?;
        let base_tree = base.map(|b| self.tree_of(b)).transpose()?;
        let tip_tree = self.tree_of(tip)?;
        let theirs_changed = changed_names(base_tree.as_ref(), &tip_tree);
        let (new_head, mapping) = match local {
            Some(local) if base != Some(local) => self.replay(local, base, tip, &theirs_changed)?,
            _ => (tip, HashMap::new()),
        };
        let old_tree = local.map(|l| self.tree_of(l)).transpose()?;
        let new_tree = self.tree_of(new_head)?;
        self.check_work_tree(old_tree.as_ref(), &new_tree)?;
        // Objects are all written: move the branch (if nobody else did).
        let moved = match local {
            Some(old) => self.repo.reference_matching(
                &self.branch,
                new_head,
                true,
                old,
                "redline: take the remote's commits",
            ),
            None => self.repo.reference(
                &self.branch,
                new_head,
                false,
                "redline: take the remote's commits",
            ),
        };
        self.git("move the branch", moved)?;
        self.update_work_tree(old_tree.as_ref(), &new_tree)?;
        self.update_state(&theirs_changed, &mapping)?;
        Ok(Integrated {
            received,
            replayed: mapping.len(),
        })
    }

    fn tree_of(&self, commit: Oid) -> Result<Tree<'a>, SyncError> {
        let commit = self.git("read a commit", self.repo.find_commit(commit))?;
        self.git("read a tree", commit.tree())
    }

    /// Replays this store's own commits (from `local` back to `base`) onto
    /// `tip`; returns the new head and old → new commit ids.
    fn replay(
        &self,
        local: Oid,
        base: Option<Oid>,
        tip: Oid,
        theirs_changed: &BTreeSet<String>,
    ) -> Result<(Oid, HashMap<Oid, Oid>), SyncError> {
        let repo = self.repo;
        // Own commits, oldest first (first parents: history is linear).
        let mut own = Vec::new();
        let mut next = Some(local);
        while let Some(id) = next {
            if Some(id) == base {
                break;
            }
            own.push(id);
            let commit = self.git("read history", repo.find_commit(id))?;
            next = commit.parent_id(0).ok();
        }
        own.reverse();

        // Refuse before writing anything when both sides changed a source.
        let tip_tree = self.tree_of(tip)?;
        let local_tree = self.tree_of(local)?;
        let base_tree = base.map(|b| self.tree_of(b)).transpose()?;
        let conflicts: Vec<String> = changed_names(base_tree.as_ref(), &local_tree)
            .intersection(theirs_changed)
            .filter(|name| name.as_str() != STORE_MARKER)
            .filter(|name| entry_of(&local_tree, name) != entry_of(&tip_tree, name))
            .cloned()
            .collect();
        if !conflicts.is_empty() {
            return Err(SyncError::Conflict {
                store: self.root(),
                name: self.remote.name.clone(),
                branch: self.short_branch().to_string(),
                sources: conflicts.join(", "),
            });
        }

        let mut parent = tip;
        let mut mapping = HashMap::new();
        for id in own {
            let commit = self.git("read history", repo.find_commit(id))?;
            let before = match commit.parent(0) {
                Ok(p) => Some(self.git("read a tree", p.tree())?),
                Err(_) => None,
            };
            let after = self.git("read a tree", commit.tree())?;
            let parent_tree = self.tree_of(parent)?;
            let mut builder = self.git("build a tree", repo.treebuilder(Some(&parent_tree)))?;
            for name in changed_names(before.as_ref(), &after) {
                // A store made apart (`redline init`, not a clone) starts
                // with its own first commit; the remote's store files stand.
                if before.is_none()
                    && (name == STORE_MARKER || name == GITIGNORE)
                    && parent_tree.get_name(&name).is_some()
                {
                    continue;
                }
                if name == STORE_MARKER {
                    let merged = merge_config(
                        &blob_text(repo, before.as_ref(), STORE_MARKER),
                        &blob_text(repo, Some(&after), STORE_MARKER),
                        &blob_text(repo, Some(&parent_tree), STORE_MARKER),
                    )
                    .map_err(|reason| SyncError::ConfigConflict {
                        store: self.root(),
                        name: self.remote.name.clone(),
                        branch: self.short_branch().to_string(),
                        reason,
                    })?;
                    let blob = self.git("write a file", repo.blob(merged.as_bytes()))?;
                    self.git("build a tree", builder.insert(&name, blob, 0o100644))?;
                    continue;
                }
                match after.get_name(&name) {
                    Some(entry) => {
                        self.git(
                            "build a tree",
                            builder.insert(&name, entry.id(), entry.filemode()),
                        )?;
                    }
                    None => {
                        if builder.get(&name).ok().flatten().is_some() {
                            self.git("build a tree", builder.remove(&name))?;
                        }
                    }
                }
            }
            let tree_id = self.git("write a tree", builder.write())?;
            if tree_id == parent_tree.id() {
                // Already on the remote (the same change made there).
                continue;
            }
            let tree = self.git("read a tree", repo.find_tree(tree_id))?;
            let parent_commit = self.git("read a commit", repo.find_commit(parent))?;
            let new = self.git(
                "replay a commit",
                repo.commit(
                    None,
                    &commit.author(),
                    &commit.committer(),
                    commit.message_raw().unwrap_or(""),
                    &tree,
                    &[&parent_commit],
                ),
            )?;
            mapping.insert(id, new);
            parent = new;
        }
        Ok((parent, mapping))
    }

    /// Refuses to overwrite a top-level file (`redline.toml`, `.gitignore`)
    /// the user changed without committing it, when the sync changes it.
    fn check_work_tree(&self, old: Option<&Tree<'_>>, new: &Tree<'_>) -> Result<(), SyncError> {
        for name in changed_names(old, new) {
            let path = self.store.root().join(&name);
            if !path.is_file() {
                continue;
            }
            let on_disk = std::fs::read(&path).map_err(StoreError::io("read", &path))?;
            let committed = old
                .and_then(|t| t.get_name(&name))
                .and_then(|e| e.to_object(self.repo).ok())
                .and_then(|o| o.peel_to_blob().ok())
                .map(|b| b.content().to_vec());
            if committed.as_deref() != Some(on_disk.as_slice()) {
                return Err(SyncError::Uncommitted {
                    store: self.root(),
                    path: name,
                });
            }
        }
        Ok(())
    }

    /// Rewrites the work tree and index where `old` and `new` differ.
    fn update_work_tree(&self, old: Option<&Tree<'_>>, new: &Tree<'_>) -> Result<(), SyncError> {
        let mut sources = Vec::new();
        let mut others = Vec::new();
        for name in changed_names(old, new) {
            let is_folder = new
                .get_name(&name)
                .is_some_and(|e| e.kind() == Some(ObjectType::Tree));
            match SourceId::parse(&name) {
                Ok(id) if is_folder && name != PROFILES_DIR => sources.push(id),
                _ => others.push(name),
            }
        }
        self.store.sync_sources(&sources)?;
        if !others.is_empty() {
            let paths: Vec<&str> = others.iter().map(String::as_str).collect();
            self.store.sync_work_tree(&paths)?;
        }
        Ok(())
    }

    /// Corrects the run state after the branch moved: sources other machines
    /// changed forget what this machine knew of their older versions; the
    /// recent versions of replayed commits take their new ids.
    fn update_state(
        &self,
        theirs_changed: &BTreeSet<String>,
        mapping: &HashMap<Oid, Oid>,
    ) -> Result<(), SyncError> {
        let dir = self.store.state_dir();
        if !dir.join(state::STATE_FILE).exists() {
            return Ok(());
        }
        let (mut run_state, warning) = state::load(&dir);
        if warning.is_some() {
            // A damaged state is rebuilt by the next snapshot anyway.
            return Ok(());
        }
        let mut changed = false;
        for (id, source) in run_state.sources.iter_mut() {
            if theirs_changed.contains(id) {
                source.etag = None;
                source.last_modified = None;
                source.validated_url = None;
                source.suspect = None;
                source.recent.clear();
                changed = true;
                continue;
            }
            for recent in &mut source.recent {
                if let Ok(old) = Oid::from_str(&recent.version)
                    && let Some(new) = mapping.get(&old)
                {
                    recent.version = new.to_string();
                    changed = true;
                }
            }
        }
        if changed {
            state::save(&dir, &run_state)?;
        }
        Ok(())
    }
}

/// Whether a refused `git push` line means "the branch moved; fetch and
/// try again" rather than a remote's policy.
fn is_moved(why: &str) -> bool {
    [
        "fetch first",
        "non-fast-forward",
        "stale info",
        "cannot lock ref",
        // The remote's ref transaction lost a race (or its lock is held).
        "failed to update ref",
    ]
    .iter()
    .any(|m| why.contains(m))
}

/// The last few lines git printed, on one line.
fn git_message(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let start = lines.len().saturating_sub(3);
    let text = lines[start..].join(" / ");
    if text.is_empty() {
        "git failed without a message".into()
    } else {
        crate::render::sanitize(&text)
    }
}

/// Copies the objects of `tip`'s history that `to` lacks (everything not
/// reachable from `known`, which `to` has) from `from`, as one pack.
fn copy_commits(
    from: &Repository,
    to: &Repository,
    tip: Oid,
    known: &[Oid],
) -> Result<(), git2::Error> {
    let mut walk = from.revwalk()?;
    walk.push(tip)?;
    for id in known {
        walk.hide(*id)?;
    }
    let mut builder = from.packbuilder()?;
    builder.insert_walk(&mut walk)?;
    if builder.object_count() == 0 {
        return Ok(());
    }
    let mut buf = git2::Buf::new();
    builder.write_buf(&mut buf)?;
    let odb = to.odb()?;
    let mut writer = odb.packwriter()?;
    std::io::Write::write_all(&mut writer, &buf)
        .map_err(|e| git2::Error::from_str(&format!("cannot write a pack: {e}")))?;
    writer.commit()?;
    Ok(())
}

/// Top-level names whose entry differs between `a` (none: empty) and `b`.
fn changed_names(a: Option<&Tree<'_>>, b: &Tree<'_>) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let entries = |t: &Tree<'_>| -> Vec<String> {
        t.iter()
            .filter_map(|e| e.name().ok().map(str::to_string))
            .collect()
    };
    let mut all: BTreeSet<String> = entries(b).into_iter().collect();
    if let Some(a) = a {
        all.extend(entries(a));
    }
    for name in all {
        let before = a.and_then(|a| entry_of(a, &name));
        if before != entry_of(b, &name) {
            names.insert(name);
        }
    }
    names
}

/// An entry's id and mode, for comparison.
fn entry_of(tree: &Tree<'_>, name: &str) -> Option<(Oid, i32)> {
    tree.get_name(name).map(|e| (e.id(), e.filemode()))
}

/// A top-level file's text (empty when missing or not text).
fn blob_text(repo: &Repository, tree: Option<&Tree<'_>>, name: &str) -> String {
    tree.and_then(|t| t.get_name(name))
        .and_then(|e| e.to_object(repo).ok())
        .and_then(|o| o.peel_to_blob().ok())
        .and_then(|b| String::from_utf8(b.content().to_vec()).ok())
        .unwrap_or_default()
}

/// `redline.toml` without its `[[source]]` tables: its settings.
fn settings_of(text: &str) -> Result<String, String> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    doc.remove("source");
    Ok(doc.to_string())
}

/// The sources of a `redline.toml` text, by id.
fn sources_of(text: &str) -> Result<HashMap<String, SourceSpec>, String> {
    Ok(config::parse(STORE_MARKER, text)
        .map_err(|e| e.to_string())?
        .sources
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect())
}

/// Three-way merge of `redline.toml`: `ours` is a commit's version, `base`
/// its parent's, `theirs` the version it is replayed onto. The sources are
/// merged one by one (added, changed and removed on either side are all
/// kept; the same source changed differently on both sides is a conflict);
/// the settings (everything but the sources) may be edited on one side
/// only. The side whose settings win keeps its text, comments and all, and
/// gets the other side's source edits. Returns the reason of a conflict.
fn merge_config(base: &str, ours: &str, theirs: &str) -> Result<String, String> {
    if theirs == base || ours == theirs {
        return Ok(ours.to_string());
    }
    if ours == base {
        return Ok(theirs.to_string());
    }
    let (base_settings, our_settings, their_settings) =
        (settings_of(base)?, settings_of(ours)?, settings_of(theirs)?);
    // Start from the side whose settings stand; apply the other's sources.
    let (start, other) = if our_settings == their_settings || our_settings == base_settings {
        (theirs, ours)
    } else if their_settings == base_settings {
        (ours, theirs)
    } else {
        return Err("its settings (everything but the sources) were edited on both sides".into());
    };
    let (base_sources, start_sources, other_sources) =
        (sources_of(base)?, sources_of(start)?, sources_of(other)?);
    let mut text = start.to_string();
    let mut ids: Vec<&String> = base_sources.keys().chain(other_sources.keys()).collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        let (was, now) = (base_sources.get(id), other_sources.get(id));
        if was == now {
            continue; // the other side left it alone
        }
        let here = start_sources.get(id);
        if here == now {
            continue; // both sides made the same change
        }
        if here != was {
            return Err(format!(
                "source {id} was added, changed or removed on both machines, differently"
            ));
        }
        if here.is_some() {
            text = config::with_source_removed(&text, id)?.unwrap_or(text);
        }
        if let Some(spec) = now {
            text = config::with_source_added(&text, spec)?;
        }
    }
    config::parse(STORE_MARKER, &text).map_err(|e| e.to_string())?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_classified_by_how_they_are_reached() {
        let root = Path::new("/srv/store");
        let local = |p: &str| Transport::Local(PathBuf::from(p));
        assert_eq!(classify("/srv/remote.git", root), local("/srv/remote.git"));
        assert_eq!(
            classify("../remote.git", root),
            local("/srv/store/../remote.git")
        );
        assert_eq!(classify("file:///srv/r.git", root), local("/srv/r.git"));
        assert_eq!(
            classify("file://localhost/srv/r.git", root),
            local("/srv/r.git")
        );
        for url in [
            "https://example.org/papers.git",
            "http://example.org/papers.git",
            "ssh://git@example.org/papers.git",
            "git@example.org:papers.git",
            "example.org:papers.git",
            "git://example.org/papers.git",
        ] {
            assert_eq!(classify(url, root), Transport::GitCommand, "{url}");
        }
        // A path with a colon after a slash is still a path.
        assert_eq!(classify("./a:b", root), local("/srv/store/./a:b"));
    }

    const BASE: &str = "[store]\nformat = 1\n";

    fn spec(id: &str) -> SourceSpec {
        SourceSpec {
            id: id.into(),
            url: format!("https://example.org/{id}"),
            profile: None,
            select: Vec::new(),
            remove: Vec::new(),
            headers: Default::default(),
        }
    }

    fn add(text: &str, id: &str) -> String {
        config::with_source_added(text, &spec(id)).unwrap()
    }

    fn ids(text: &str) -> Vec<String> {
        config::parse(STORE_MARKER, text)
            .unwrap()
            .sources
            .into_iter()
            .map(|s| s.id)
            .collect()
    }

    #[test]
    fn sources_added_on_both_sides_are_united() {
        let base = add(BASE, "a");
        let ours = add(&base, "b");
        let theirs = add(&base, "c");
        assert_eq!(
            ids(&merge_config(&base, &ours, &theirs).unwrap()),
            ["a", "c", "b"]
        );
        // Removed here, added there.
        let ours = config::with_source_removed(&base, "a").unwrap().unwrap();
        assert_eq!(ids(&merge_config(&base, &ours, &theirs).unwrap()), ["c"]);
        // The same source added on both sides, alike: once.
        let theirs = add(&base, "b");
        let ours = add(&base, "b");
        assert_eq!(
            ids(&merge_config(&base, &ours, &theirs).unwrap()),
            ["a", "b"]
        );
    }

    #[test]
    fn conflicting_edits_of_the_config_are_refused() {
        let base = add(BASE, "a");
        let ours = add(&base, "b");
        let mut other = spec("b");
        other.url = "https://example.org/elsewhere".into();
        let theirs = config::with_source_added(&base, &other).unwrap();
        let e = merge_config(&base, &ours, &theirs).unwrap_err();
        assert!(
            e.contains("source b was added, changed or removed on both"),
            "{e}"
        );
        // Hand edits on both sides.
        let ours = base.replace("format = 1", "format = 1 # here\n[fetch]\njobs = 2");
        let theirs = base.replace("format = 1", "format = 1\n[fetch]\njobs = 3");
        let e = merge_config(&base, &ours, &theirs).unwrap_err();
        assert!(
            e.contains("settings (everything but the sources) were edited on both sides"),
            "{e}"
        );
        // A hand edit on one side, sources on the other: combined.
        let theirs = add(&base, "c");
        let merged = merge_config(&base, &ours, &theirs).unwrap();
        assert!(merged.contains("# here"), "{merged}");
        assert_eq!(ids(&merged), ["a", "c"]);
    }

    #[test]
    fn a_refused_push_is_told_from_a_moved_branch() {
        assert!(is_moved("[rejected] (fetch first)"));
        assert!(is_moved("[rejected] (non-fast-forward)"));
        assert!(is_moved(
            "[remote rejected] (cannot lock ref 'refs/heads/main')"
        ));
        assert!(is_moved("[remote rejected] (failed to update ref)"));
        assert!(!is_moved("[remote rejected] (pre-receive hook declined)"));
    }
}
