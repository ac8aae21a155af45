//! The store: every version of every source, in an ordinary git repository.
//!
//! Layout (one folder per source, one commit per recorded version):
//!
//! ```text
//! <store>/redline.toml               tracked sources and options
//! <store>/profiles/                  the user's site profiles
//! <store>/<source>/document.md       front matter (meta) + body
//! <store>/<source>/related.md        the related-publications list
//! <store>/<source>/capture.json      provenance of the capture behind it
//! <store>/<source>/raw.txt|raw.html  the raw capture itself
//! ```
//!
//! Callers see [`Store`], [`SourceId`], [`Version`] and documents; no git2
//! type leaves this module (they stay in `git.rs` and `remote.rs`). Reads always come from
//! git objects, never from the work tree, so a half-updated work tree can't
//! mislead a diff.

pub mod atomic;
pub mod config;
mod git;
pub mod history;
pub mod lock;
mod pack;
pub mod remote;
pub mod revspec;
pub mod state;

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use thiserror::Error;

pub use git::{Packing, Prepared, Store};
pub use history::{HistoryEntry, NORMALIZER, RENORMALIZED_FROM};
pub use revspec::RevSpec;

/// The file that marks a directory as a redline store.
pub const STORE_MARKER: &str = "redline.toml";
/// Folder for state that changes every run and is not history (the lock,
/// validators, last-checked times); ignored by git.
pub const STATE_DIR: &str = ".redline";
/// Store folder for the user's site profiles.
pub const PROFILES_DIR: &str = "profiles";
/// Longest source id accepted.
pub const MAX_SOURCE_ID_LEN: usize = 100;

/// What went wrong with the store.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error(
        "no redline store found in {searched} or any parent directory; run `redline init DIR` to create one, or pass --store DIR"
    )]
    NotFound { searched: String },
    #[error(
        "{path} is not a redline store (it has no {STORE_MARKER}); run `redline init {path}` to create one"
    )]
    NotAStore { path: String },
    #[error("{path} is already a redline store")]
    AlreadyExists { path: String },
    #[error("invalid source id {id:?}: {reason}; use lower-case letters, digits, '-', '_' and '.'")]
    BadSourceId { id: String, reason: &'static str },
    #[error("source {id:?} has no versions in the store at {store}; known sources: {known}")]
    UnknownSource {
        id: String,
        store: String,
        known: String,
    },
    #[error("source {source_id:?}: no version matches {spec:?}: {reason}")]
    NoSuchVersion {
        source_id: String,
        spec: String,
        reason: String,
    },
    #[error("store {store}: cannot {action}: {message}")]
    Git {
        store: String,
        action: String,
        message: String,
    },
    #[error("store {store}: {path}: {message}")]
    Corrupt {
        store: String,
        path: String,
        message: String,
    },
    /// `redline.toml` is not valid.
    #[error("{path}:{line}:{column}: {message}; fix redline.toml and run again")]
    Config {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "store {store} is in use by another redline run (process {pid} on {host}, since {since}); run again later, or without --no-wait to wait for it"
    )]
    Locked {
        store: String,
        pid: u32,
        host: String,
        since: String,
    },
    /// A batch could not write what it recorded: the branch still points
    /// at the last version written, so the store is as it was then.
    #[error(
        "{cause}\nredline: store {store}: the new versions this run reported after the last one written to disk were not recorded; the branch still points at a complete version and nothing recorded before is lost; the next run fetches and records them again"
    )]
    NotRecorded {
        store: String,
        cause: Box<StoreError>,
    },
    #[error("cannot {action} {path}: {source}{hint}", hint = write_hint(&.source.to_string(), Some(.source.kind())))]
    Io {
        action: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    /// Turns an I/O error into [`StoreError::Io`] for `action` on `path`:
    /// `.map_err(StoreError::io("write", &path))`.
    pub fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
        let path = path.display().to_string();
        move |source| StoreError::Io {
            action,
            path,
            source,
        }
    }
}

/// What the user should do about a failed write, from the error's kind or
/// the operating system's message (libgit2 reports only the message): a
/// full disk and a store that cannot be written are the common causes of
/// a failed write, and both are for the user to fix. Empty for other errors.
pub fn write_hint(message: &str, kind: Option<std::io::ErrorKind>) -> &'static str {
    use std::io::ErrorKind as K;
    let full = matches!(
        kind,
        Some(K::StorageFull | K::FileTooLarge | K::QuotaExceeded)
    ) || ["No space left", "File too large", "quota exceeded"]
        .iter()
        .any(|m| message.contains(m));
    let read_only = matches!(kind, Some(K::PermissionDenied | K::ReadOnlyFilesystem))
        || [
            "Permission denied",
            "Read-only file system",
            "Operation not permitted",
        ]
        .iter()
        .any(|m| message.contains(m));
    if full {
        "; the disk is full or a file size limit was hit: free space and run again (what is already recorded stays; the next run records the rest)"
    } else if read_only {
        "; the store cannot be written: check its permissions and that its disk is not mounted read-only, then run again (nothing already recorded is lost)"
    } else {
        ""
    }
}

/// A source's id: the name of its folder in the store.
///
/// Ids come from users and URLs, so they are checked: nothing an id says can
/// name a path outside its own folder.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(String);

impl SourceId {
    /// Checks an id given by a user.
    pub fn parse(id: &str) -> Result<SourceId, StoreError> {
        let bad = |reason| StoreError::BadSourceId {
            id: id.to_string(),
            reason,
        };
        if id.is_empty() {
            return Err(bad("it is empty"));
        }
        if id.len() > MAX_SOURCE_ID_LEN {
            return Err(bad("it is longer than 100 characters"));
        }
        if !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
        {
            return Err(bad(
                "it has characters other than a-z, 0-9, '-', '_' and '.'",
            ));
        }
        if id.starts_with(['.', '-']) {
            return Err(bad("it starts with '.' or '-'"));
        }
        if id.contains("..") {
            return Err(bad("it contains '..'"));
        }
        if id == PROFILES_DIR {
            return Err(bad("it is the name of the store's profiles folder"));
        }
        Ok(SourceId(id.to_string()))
    }

    /// Makes a valid id from any text (a URL, a file name): lower-cased,
    /// other characters turned into '-', trimmed to the length limit.
    pub fn slugify(text: &str) -> Option<SourceId> {
        let mut slug = String::new();
        for c in text.chars() {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                slug.push(c);
            } else if !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let slug: String = slug
            .trim_matches('-')
            .chars()
            .take(MAX_SOURCE_ID_LEN)
            .collect();
        SourceId::parse(slug.trim_end_matches('-')).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One recorded version of a source: a commit that changed its folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// Full commit id (hex).
    pub id: String,
    /// The capture time the version was recorded with.
    pub time: DateTime<FixedOffset>,
    /// The commit message's first line.
    pub summary: String,
    /// The whole commit message.
    pub message: String,
}

impl Version {
    /// The first 10 hex digits of the id.
    pub fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(10)]
    }
}

/// The result of recording a capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// A new version was committed.
    New(Version),
    /// The normalized document and related list equal the current version's;
    /// nothing was committed.
    Unchanged(Version),
}

/// Finds the store the way git finds a repository: `explicit` (`--store`),
/// else `env` (`REDLINE_STORE`), else the nearest directory from `cwd` upward
/// that holds `redline.toml`.
pub fn locate(
    explicit: Option<&Path>,
    env: Option<&Path>,
    cwd: &Path,
) -> Result<PathBuf, StoreError> {
    if let Some(dir) = explicit.or(env) {
        return if dir.join(STORE_MARKER).is_file() {
            Ok(dir.to_path_buf())
        } else {
            Err(StoreError::NotAStore {
                path: dir.display().to_string(),
            })
        };
    }
    cwd.ancestors()
        .find(|dir| dir.join(STORE_MARKER).is_file())
        .map(Path::to_path_buf)
        .ok_or_else(|| StoreError::NotFound {
            searched: cwd.display().to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_ids_are_refused() {
        for id in [
            "",
            "../x",
            "/etc",
            "a/b",
            ".git",
            "..",
            "a..b",
            "-rf",
            "profiles",
            "A",
            "a\0b",
            &"x".repeat(101),
        ] {
            assert!(SourceId::parse(id).is_err(), "{id:?} accepted");
        }
        for id in ["inss-defense-treaty", "a.b_c-1", "x"] {
            assert!(SourceId::parse(id).is_ok(), "{id:?} refused");
        }
    }

    #[test]
    fn slugs_are_valid_ids() {
        let id = SourceId::slugify("https://www.inss.org.il/publication/defense-treaty/").unwrap();
        assert_eq!(
            id.as_str(),
            "https-www-inss-org-il-publication-defense-treaty"
        );
        assert!(SourceId::slugify("../../..").is_none());
    }

    #[test]
    fn locate_walks_upward_and_honours_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("s");
        let deep = store.join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        assert!(matches!(
            locate(None, None, &deep),
            Err(StoreError::NotFound { .. })
        ));
        std::fs::write(store.join(STORE_MARKER), "").unwrap();
        assert_eq!(locate(None, None, &deep).unwrap(), store);
        let other = dir.path().join("other");
        std::fs::create_dir_all(&other).unwrap();
        assert!(matches!(
            locate(Some(&other), None, &deep),
            Err(StoreError::NotAStore { .. })
        ));
        assert_eq!(locate(None, Some(&store), &other).unwrap(), store);
    }
}
