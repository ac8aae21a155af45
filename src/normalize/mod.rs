//! Normalization: from a [`Capture`] to the [`Document`] it publishes.
//!
//! A capture is a whole page: menus, players, footers, sidebars and the
//! publication somewhere inside. Normalizing keeps what a reader of the
//! publication sees and drops what changes without an editor's hand. It is
//! layered: generic rules first (main-content extraction for HTML, block
//! classification for text captures), then the metadata the page declares,
//! then what the site's profile (data, see [`profile`]) says precisely.
//! Bytes become text in [`decode`] (BOM, HTTP charset, `<meta>`, detector).
//! This module does no I/O: the command layer reads files and user profiles
//! and hands them in.

pub mod dates;
pub mod decode;
pub mod html;
pub mod matcher;
pub mod profile;
pub mod text;

use std::borrow::Cow;
use std::sync::Arc;

use thiserror::Error;

use crate::document::{Document, markdown};
use crate::fetch::{Capture, CaptureKind};
pub use profile::{Profile, Profiles};

/// What can go wrong while normalizing one capture.
#[derive(Debug, Error)]
pub enum NormalizeError {
    /// The capture yielded no body text: the page changed shape or the
    /// profile no longer fits. Never treated as "the article was deleted".
    /// `reason` is empty or a parenthesized detail starting with a space
    /// (which profile selector matched nothing).
    #[error(
        "found no publication text in {origin}{reason}: the page may have changed shape or be empty; check the capture, or write a site profile (see profiles/README.md)"
    )]
    EmptyBody { origin: String, reason: String },
    /// The capture is larger than any publication page redline reads.
    #[error(
        "{origin} is {size} bytes of HTML, more than the {limit} bytes redline reads; is it really one publication page?"
    )]
    TooLarge {
        origin: String,
        size: usize,
        limit: usize,
    },
    /// The capture is named or served as HTML but is not text.
    #[error(
        "{origin} does not look like an HTML page: {reason}; check that the file is the saved page"
    )]
    NotHtml { origin: String, reason: String },
    /// The capture is named or served as text but is binary data.
    #[error(
        "{origin} does not look like a text page: {reason}; check that the file is the saved page"
    )]
    NotText { origin: String, reason: String },
    /// The page nests elements deeper than any real page does.
    #[error(
        "{origin} nests HTML elements {depth} deep (more than {limit}); redline does not read such pages, check the capture"
    )]
    TooDeep {
        origin: String,
        depth: usize,
        limit: usize,
    },
    /// The document is bigger than any publication (see [`crate::limits`]).
    #[error(
        "{origin} has {found} {what}, more than the {limit} redline reads; it is probably not one publication page (or its site profile selects too much): check the capture or the profile"
    )]
    OverLimit {
        origin: String,
        what: String,
        found: usize,
        limit: usize,
    },
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

/// A normalized capture and what the user should know about how it went.
#[derive(Debug, Clone)]
pub struct Normalized {
    pub document: Document,
    /// Things that did not fit but did not stop normalization, such as a
    /// profile selector that matched nothing. Shown to the user as warnings.
    pub warnings: Vec<String>,
}

/// Normalizes one capture.
pub fn normalize(
    capture: &Capture,
    profiles: &Profiles,
    choice: &ProfileChoice,
) -> Result<Document, NormalizeError> {
    normalize_report(capture, profiles, choice).map(|n| n.document)
}

/// Reads a Markdown capture (a stored `document.md`, or one written by
/// hand). Markdown needs no profile, so callers that only compare stored
/// documents skip loading (and compiling) the profiles.
pub fn normalize_markdown(mut capture: Capture) -> Result<Document, NormalizeError> {
    let charset = capture.charset.as_deref();
    let content_type = capture.content_type.as_deref();
    let sniff = |bytes: &[u8]| decode::sniff(bytes, charset, content_type, false).0;
    // UTF-8, as a stored document is (with no charset declared, valid UTF-8
    // is what sniffing answers, so it is checked once): the blocks share the
    // file's text instead of copying it.
    let undeclared = charset.is_none() && content_type.is_none();
    let is_utf8 = |text: &str| undeclared || sniff(text.as_bytes()) == encoding_rs::UTF_8;
    // Any other text: decoded (a copy) and read.
    let decoded = |bytes: &[u8]| markdown::parse_document(&sniff(bytes).decode(bytes).0);
    let document = match std::mem::take(&mut capture.body) {
        Cow::Borrowed(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) if is_utf8(text) => markdown::parse_document_kept(text),
            _ => decoded(bytes),
        },
        Cow::Owned(bytes) => match String::from_utf8(bytes) {
            Ok(text) if is_utf8(&text) => markdown::parse_document_shared(Arc::new(text)),
            Ok(text) => decoded(text.as_bytes()),
            Err(e) => decoded(e.as_bytes()),
        },
    };
    within_limits(&capture, non_empty(&capture, document)?)
}

/// The document, or the failure of a document past one of the size limits
/// (`crate::limits`).
fn within_limits(capture: &Capture, document: Document) -> Result<Document, NormalizeError> {
    if let Err(over) = crate::limits::check_document(&document) {
        return Err(NormalizeError::OverLimit {
            origin: capture.origin(),
            what: over.what,
            found: over.found,
            limit: over.limit,
        });
    }
    Ok(document)
}

/// The document, or the empty-body failure when it has no body.
fn non_empty(capture: &Capture, document: Document) -> Result<Document, NormalizeError> {
    if document.body.is_empty() {
        return Err(NormalizeError::EmptyBody {
            origin: capture.origin(),
            reason: String::new(),
        });
    }
    Ok(document)
}

/// Normalizes one capture and reports the warnings too.
pub fn normalize_report(
    capture: &Capture,
    profiles: &Profiles,
    choice: &ProfileChoice,
) -> Result<Normalized, NormalizeError> {
    let origin = capture.origin();
    // Refuse an oversized page before decoding it: decoding 100 MB only to
    // refuse it would take longer than any real page.
    if capture.kind == CaptureKind::Html && capture.body.len() > html::MAX_HTML_BYTES {
        return Err(NormalizeError::TooLarge {
            origin,
            size: capture.body.len(),
            limit: html::MAX_HTML_BYTES,
        });
    }
    let decoded = decode::decode(
        &capture.body,
        capture.charset.as_deref(),
        capture.content_type.as_deref(),
        capture.kind == CaptureKind::Html,
    );
    let text = decoded.text;
    let normalized = match capture.kind {
        CaptureKind::Text | CaptureKind::Markdown if looks_binary(&capture.body).is_some() => {
            return Err(NormalizeError::NotText {
                reason: looks_binary(&capture.body).unwrap_or_default(),
                origin,
            });
        }
        CaptureKind::Text => {
            let profile = choose(profiles, choice, capture, &text)?;
            Normalized {
                document: text::normalize_text(&text, profile),
                warnings: Vec::new(),
            }
        }
        CaptureKind::Markdown => Normalized {
            document: markdown::parse_document(&text),
            warnings: Vec::new(),
        },
        CaptureKind::Html => {
            let profile = match choice {
                ProfileChoice::Auto => choose_html(profiles, capture, &text),
                named => choose(profiles, named, capture, &text)?,
            };
            html::normalize_html(&text, profile, &origin)?
        }
    };
    Ok(Normalized {
        document: within_limits(capture, non_empty(capture, normalized.document)?)?,
        warnings: normalized.warnings,
    })
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

/// The profile for an HTML page: by the capture's URL host, else by the host
/// of the canonical URL the page declares (a saved page keeps it), else by a
/// text signature matching the page's `<title>` (what a browser shows as
/// the first line of a text capture), else the generic rules.
fn choose_html<'p>(profiles: &'p Profiles, capture: &Capture, html: &str) -> &'p Profile {
    if let Some(p) = capture.host().and_then(|h| profiles.for_host(&h)) {
        return p;
    }
    let head = head_of(html);
    if let Some(p) = html::head_hints::canonical_host(head).and_then(|h| profiles.for_host(&h)) {
        return p;
    }
    match html::head_hints::title(head) {
        Some(title) => profiles.for_text(&title),
        None => profiles.generic(),
    }
}

/// The start of a page, where `<head>` is; cut at a character boundary.
fn head_of(html: &str) -> &str {
    let mut end = html.len().min(64 * 1024);
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    &html[..end]
}

/// Why `bytes` are not text, if they are not: more than one byte in 20 of
/// the first 64 KiB is a control byte that text does not use (NUL, and the
/// C0 controls other than tab, line breaks, form feed and escape). An
/// image, archive or executable saved under a text name; a page with a few
/// stray NULs or escape sequences is still read (and cleaned).
fn looks_binary(bytes: &[u8]) -> Option<String> {
    let sample = &bytes[..bytes.len().min(64 * 1024)];
    let odd = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
        .count();
    (!sample.is_empty() && odd * 20 > sample.len()).then(|| {
        format!(
            "{odd} of its first {} bytes are control bytes that text does not contain",
            sample.len()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn markdown(body: &[u8], charset: Option<&str>) -> Document {
        let mut capture = Capture::new(
            "test.md",
            body.to_vec(),
            CaptureKind::Markdown,
            chrono::Utc::now().fixed_offset(),
        );
        capture.charset = charset.map(str::to_string);
        normalize_markdown(capture).expect("a document")
    }

    fn texts(doc: &Document) -> Vec<&str> {
        doc.body.iter().map(|b| b.text.as_str()).collect()
    }

    #[test]
    fn markdown_is_read_in_its_encoding() {
        let utf8 = markdown("# Caf\u{e9}\n\nPlain text.\n".as_bytes(), None);
        assert_eq!(texts(&utf8), ["Caf\u{e9}", "Plain text."]);
        assert!(utf8.body[1].text.is_shared(), "UTF-8 is read in place");
        let bom = markdown(b"\xef\xbb\xbf# Title\n\nText.\n", None);
        assert_eq!(texts(&bom), ["Title", "Text."]);
        // UTF-16 with its byte order mark.
        let mut utf16 = vec![0xff, 0xfe];
        utf16.extend(
            "# T\u{ee}tle\n\nText.\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        assert_eq!(texts(&markdown(&utf16, None)), ["T\u{ee}tle", "Text."]);
        // Not UTF-8: detected, or as declared.
        let latin = b"# Caf\xe9\n\nUn caf\xe9 cr\xe8me, tr\xe8s bien, d\xe9j\xe0 vu.\n";
        assert_eq!(markdown(latin, None).body[0].text, "Caf\u{e9}");
        let declared = markdown(latin, Some("iso-8859-1"));
        assert_eq!(declared.body[0].text, "Caf\u{e9}");
        // A declared single-byte charset on ASCII bytes reads the same.
        assert_eq!(
            texts(&markdown(b"# A\n\nB.\n", Some("windows-1252"))),
            ["A", "B."]
        );
    }
}
