//! Normalization: from a [`Capture`] to the [`Document`] it publishes.
//!
//! A capture is a whole page: menus, players, footers, sidebars and the
//! publication somewhere inside. Normalizing keeps what a reader of the
//! publication sees and drops what changes without an editor's hand. It is
//! layered: generic rules first (block classification for text captures),
//! then what the site's profile (data, see [`profile`]) says precisely. This
//! module does no I/O: the command layer reads files and user profiles and
//! hands them in.

pub mod dates;
pub mod profile;
pub mod text;

use thiserror::Error;

use crate::document::{Document, markdown};
use crate::fetch::{Capture, CaptureKind};
pub use profile::{Profile, Profiles};

/// What can go wrong while normalizing one capture.
#[derive(Debug, Error)]
pub enum NormalizeError {
    /// The capture yielded no body text: the page changed shape or the
    /// profile no longer fits. Never treated as "the article was deleted".
    #[error(
        "found no publication text in {origin}: the page may have changed shape or be empty; check the capture, or write a site profile (see profiles/README.md)"
    )]
    EmptyBody { origin: String },
    /// The capture is of a kind this version cannot read.
    #[error(
        "{origin}: {kind} captures are not supported yet; save the page as text (select all, copy) or Markdown"
    )]
    Unsupported { origin: String, kind: &'static str },
    /// A profile file is not valid.
    #[error("profile {origin}: {message}")]
    Profile { origin: String, message: String },
    /// `--profile NAME` named no known profile.
    #[error("no profile named {name:?}; known profiles: {known}")]
    UnknownProfile { name: String, known: String },
}

/// Which profile to use.
#[derive(Debug, Clone, Default)]
pub enum ProfileChoice {
    /// Pick by the capture's URL host or text signature, else generic rules.
    #[default]
    Auto,
    /// Use the named profile.
    Named(String),
}

/// Normalizes one capture.
pub fn normalize(
    capture: &Capture,
    profiles: &Profiles,
    choice: &ProfileChoice,
) -> Result<Document, NormalizeError> {
    let origin = capture.origin();
    let doc = match capture.kind {
        CaptureKind::Text => {
            let text = capture.text();
            let profile = choose(profiles, choice, capture, &text)?;
            text::normalize_text(&text, profile)
        }
        CaptureKind::Markdown => markdown::parse_document(&capture.text()),
        CaptureKind::Html => {
            return Err(NormalizeError::Unsupported {
                origin,
                kind: "HTML",
            });
        }
    };
    if doc.body.is_empty() {
        return Err(NormalizeError::EmptyBody { origin });
    }
    Ok(doc)
}

fn choose<'p>(
    profiles: &'p Profiles,
    choice: &ProfileChoice,
    capture: &Capture,
    text: &str,
) -> Result<&'p Profile, NormalizeError> {
    match choice {
        ProfileChoice::Named(name) => profiles.by_name(name).ok_or_else(|| {
            let mut known: Vec<&str> = profiles.sites().iter().map(|p| p.name.as_str()).collect();
            known.push("generic");
            NormalizeError::UnknownProfile {
                name: name.clone(),
                known: known.join(", "),
            }
        }),
        ProfileChoice::Auto => Ok(capture
            .host()
            .and_then(|h| profiles.for_host(&h))
            .unwrap_or_else(|| profiles.for_text(text))),
    }
}
