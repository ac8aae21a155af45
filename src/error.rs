//! The errors a command can end with, grouped by the stage that failed.
//!
//! Each stage names its own failures ([`NormalizeError`], [`StoreError`],
//! [`FetchError`]); this type gathers them for the command layer, which
//! prints the message (it already says what failed, for which source or file,
//! and what to do) and exits with [`TROUBLE`](crate::exit_codes::TROUBLE).

use thiserror::Error;

use crate::fetch::FetchError;
use crate::normalize::NormalizeError;
use crate::store::StoreError;
use crate::store::remote::SyncError;

/// Any failure of a redline command.
#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Normalize(#[from] NormalizeError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// `push` or `pull` failed (the remote, and what to do, are named).
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// The command line asked for something that cannot be done.
    #[error("{0}")]
    Usage(String),
    /// Reading or writing a local file or stream failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// An error that already carries its source's name (`source: message`).
    #[error("{source_id}: {error}")]
    InSource {
        source_id: String,
        error: Box<Error>,
    },
}
