//! Run state: what each source looked like when last checked, kept in the
//! store's ignored `.redline/state.json`, outside git history.
//!
//! Last-checked times, validators (ETag, Last-Modified), the last status and
//! the guards' pending decisions change every night and are not edits to
//! any publication, so they are not committed. Losing the file loses nothing
//! that matters: the next run fetches every page in full, compares it with
//! the store's history and rebuilds the state.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::StoreError;

/// The state file's name inside the store's state folder.
pub const STATE_FILE: &str = "state.json";
/// Version of the state file's format.
pub const STATE_SCHEMA: u32 = 1;

/// State of every source, by id.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunState {
    pub schema: u32,
    #[serde(default)]
    pub sources: BTreeMap<String, SourceState>,
}

/// What redline remembers of one source between runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceState {
    /// When the source was last checked (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_checked: Option<String>,
    /// When a new version was last recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_changed: Option<String>,
    /// The outcome of the last check (`changed`, `unchanged`, `not-modified`,
    /// `reverted`, `suspect`, `failed`, `new`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<String>,
    /// The HTTP status of the last check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Why the last check failed or was held back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Validators of the page behind the current version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// The URL the validators were issued for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validated_url: Option<String>,
    /// A version held back by the extraction-failure guard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspect: Option<Held>,
    /// Content digests of the latest versions, newest first (for the
    /// flip-flop guard).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recent: Vec<RecentVersion>,
}

/// A version the guard did not record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Held {
    /// The content digest of the held version (`empty` for no body).
    pub digest: String,
    pub reason: String,
    pub since: String,
}

/// One recorded version, by content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecentVersion {
    pub digest: String,
    pub version: String,
    pub time: String,
}

/// Reads the state in `dir`. A missing file is an empty state; an unreadable
/// one is too, with a warning to print (the state is only a cache).
pub fn load(dir: &Path) -> (RunState, Option<String>) {
    let path = dir.join(STATE_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return (fresh(), None);
        }
        Err(e) => {
            return (
                fresh(),
                Some(format!(
                    "cannot read {}: {e}; starting without saved validators (every page is fetched in full)",
                    path.display()
                )),
            );
        }
    };
    match serde_json::from_str::<RunState>(&text) {
        Ok(state) if state.schema == STATE_SCHEMA => (state, None),
        Ok(state) => (
            fresh(),
            Some(format!(
                "{} has format {} (this redline reads {STATE_SCHEMA}); starting afresh",
                path.display(),
                state.schema
            )),
        ),
        Err(e) => (
            fresh(),
            Some(format!(
                "{} is damaged ({e}); starting without saved validators (every page is fetched in full)",
                path.display()
            )),
        ),
    }
}

fn fresh() -> RunState {
    RunState {
        schema: STATE_SCHEMA,
        sources: BTreeMap::new(),
    }
}

/// Writes the state to `dir` atomically and durably
/// ([`super::atomic::write`]): a crash leaves the old state or the new one.
pub fn save(dir: &Path, state: &RunState) -> Result<(), StoreError> {
    std::fs::create_dir_all(dir).map_err(StoreError::io("create", dir))?;
    let text = serde_json::to_string_pretty(state).unwrap_or_default() + "\n";
    super::atomic::write(
        &dir.join(STATE_FILE),
        text.as_bytes(),
        super::atomic::Durability::Synced,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_damage_is_survivable() {
        let dir = tempfile::tempdir().unwrap();
        let (mut state, warning) = load(dir.path());
        assert!(warning.is_none());
        state.sources.insert(
            "a".into(),
            SourceState {
                etag: Some("\"x\"".into()),
                ..SourceState::default()
            },
        );
        save(dir.path(), &state).unwrap();
        let (again, _) = load(dir.path());
        assert_eq!(again.sources["a"].etag.as_deref(), Some("\"x\""));
        std::fs::write(dir.path().join(STATE_FILE), "{ nope").unwrap();
        let (broken, warning) = load(dir.path());
        assert!(broken.sources.is_empty());
        assert!(warning.unwrap().contains("damaged"));
    }
}
