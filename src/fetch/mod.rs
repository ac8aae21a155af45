//! Getting captures: the raw bytes of a page and what we know about them.
//!
//! A [`Capture`] is what every other stage starts from: the page exactly as it
//! was fetched or saved, with its provenance (where it came from, when, its
//! SHA-256). A local file is a capture too; fetching over HTTP builds the same
//! value. Nothing here interprets the page: that is `normalize`'s job.

pub mod charset;
pub mod http;
#[cfg(target_os = "linux")]
mod mapped;

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::heap::HUGE_PAGE;

/// What kind of page a capture holds; decides how it is normalized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureKind {
    /// HTML as served by the site.
    Html,
    /// A page rendered to text by a browser or crawler.
    Text,
    /// A Markdown document (such as redline's own `document.md`).
    Markdown,
}

impl CaptureKind {
    /// File extension of the raw capture in the store.
    pub fn extension(self) -> &'static str {
        match self {
            CaptureKind::Html => "html",
            CaptureKind::Text => "txt",
            CaptureKind::Markdown => "md",
        }
    }
}

/// A page as captured, with its provenance. `capture.json` in the store is
/// this value without the body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capture {
    /// The file path or URL the capture was requested from.
    pub source: String,
    /// The URL the page was finally served from, after redirects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_url: Option<String>,
    /// HTTP status, when fetched over HTTP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charset: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// When the page was captured.
    pub captured_at: DateTime<FixedOffset>,
    /// SHA-256 of the body, lower-case hex.
    pub sha256: String,
    pub kind: CaptureKind,
    /// The raw bytes; stored beside `capture.json`, not inside it. Borrowed
    /// only from a file a one-shot command keeps ([`from_file_kept`]).
    #[serde(skip)]
    pub body: Cow<'static, [u8]>,
}

/// Getting a capture failed: reading a file, or fetching a URL.
///
/// Messages name the URL and say what to do; the batch prefixes the source id.
#[derive(Debug, Error)]
pub enum FetchError {
    #[error("cannot read capture {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A capture file larger than any publication page.
    #[error(
        "capture {path} is {size} bytes, more than the {limit} bytes redline reads; is it really one saved page?"
    )]
    FileTooLarge { path: String, size: u64, limit: u64 },
    /// The URL cannot be fetched at all (not http(s), no host).
    #[error("{url} is not a URL redline can fetch: {reason}; give an http:// or https:// URL")]
    BadUrl { url: String, reason: String },
    /// The server answered with an error status (after any retries).
    #[error("{url} answered HTTP {status}{after}; {advice}")]
    Status {
        url: String,
        status: u16,
        /// " after N attempts" when retried.
        after: String,
        advice: &'static str,
    },
    /// No answer within the timeout (after any retries).
    #[error(
        "{url} did not answer within {seconds} s{after}; the site may be down or slow: it will be tried again next run (raise [fetch] timeout_secs in redline.toml if it is always slow)"
    )]
    Timeout {
        url: String,
        seconds: u64,
        after: String,
    },
    /// Connecting failed (DNS, refused, reset, TLS).
    #[error("cannot connect to {url}{after}: {message}; check the URL and the network")]
    Connect {
        url: String,
        message: String,
        after: String,
    },
    /// More redirects than allowed (or a loop).
    #[error(
        "{url} redirected more than {max} times (a redirect loop?); check the URL in a browser and track the final address instead"
    )]
    TooManyRedirects { url: String, max: u32 },
    /// A redirect to somewhere redline will not follow.
    #[error(
        "{url} redirected to {location:?}, which is not an http(s) URL; redline does not follow it"
    )]
    BadRedirect { url: String, location: String },
    /// The body is larger than the cap.
    #[error(
        "{url} sent more than {limit} bytes, the size cap; it is probably not a publication page (raise [fetch] max_bytes in redline.toml if it is)"
    )]
    TooLarge { url: String, limit: u64 },
    /// A content type that cannot be normalized yet.
    #[error(
        "{url} is {content_type:?}, an unsupported content type: redline reads HTML and plain text pages; remove this source or point it at the HTML page"
    )]
    UnsupportedContentType { url: String, content_type: String },
    /// Anything else the HTTP client reported.
    #[error("fetching {url} failed: {message}")]
    Http { url: String, message: String },
}

impl Capture {
    /// A capture of `body` requested from `source` at `captured_at`.
    pub fn new(
        source: impl Into<String>,
        body: Vec<u8>,
        kind: CaptureKind,
        captured_at: DateTime<FixedOffset>,
    ) -> Capture {
        let sha256 = sha256_hex(&body);
        Capture {
            sha256,
            ..Capture::unhashed(source.into(), Cow::Owned(body), kind, captured_at)
        }
    }

    /// A capture whose `sha256` is empty (see [`from_file_unhashed`]).
    fn unhashed(
        source: String,
        body: Cow<'static, [u8]>,
        kind: CaptureKind,
        captured_at: DateTime<FixedOffset>,
    ) -> Capture {
        Capture {
            source,
            final_url: None,
            status: None,
            content_type: None,
            charset: None,
            etag: None,
            last_modified: None,
            captured_at,
            sha256: String::new(),
            kind,
            body,
        }
    }

    /// Names the capture in messages: its final URL, else its source.
    pub fn origin(&self) -> String {
        self.final_url
            .clone()
            .unwrap_or_else(|| self.source.clone())
    }

    /// The host of the capture's URL, if it came from one.
    pub fn host(&self) -> Option<String> {
        url_host(self.final_url.as_deref().unwrap_or(&self.source))
    }
}

/// The lower-cased host of a URL, without user info or port; `None` for
/// text that is not a `scheme://` URL.
pub fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?.split(':').next()?;
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Reads a local file as a capture.
///
/// The capture time is `at` when given, else a `YYYY-MM-DD` date at the start
/// of the file name (midnight UTC), else now.
pub fn from_file(path: &Path, at: Option<DateTime<FixedOffset>>) -> Result<Capture, FetchError> {
    let mut capture = read_file(path, at, Keep::No)?;
    capture.sha256 = sha256_hex(&capture.body);
    Ok(capture)
}

/// Reads a capture file only to compare it (`redline diff FILE FILE`): as
/// [`from_file`], but without the SHA-256 of the body, which only a capture
/// that is stored needs (`sha256` is left empty). Hashing both sides of a
/// large pair took a tenth of the comparison.
pub fn from_file_unhashed(path: &Path) -> Result<Capture, FetchError> {
    read_file(path, None, Keep::No)
}

/// Reads a capture file like [`from_file_unhashed`], for a command that ends
/// soon after (`redline diff FILE FILE`): a large file is kept in memory
/// until the process exits, so the documents read from it can borrow its
/// text (see [`crate::document::Text`]). With `map`, on Linux, it is mapped
/// where it cannot change meanwhile (under a read lease, on a local
/// filesystem: see `mapped`); pass it only when the command cannot be kept
/// waiting (its output is a regular file or /dev/null, not a pipe or a
/// terminal), since a program that wants to write the file waits for the
/// lease. Otherwise the file is read into memory mapped and filled in one
/// step (pages of ordinary heap memory are each mapped on first touch,
/// which for a file of megabytes took longer than reading it). Never use it
/// in a loop: the memory (and a lease) is not given back.
pub fn from_file_kept(path: &Path, map: bool) -> Result<Capture, FetchError> {
    read_file(path, None, if map { Keep::MapOrRead } else { Keep::Read })
}

/// How [`read_file`] holds a file's bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// Read into memory of its own, freed with the capture.
    No,
    /// A large file read into memory kept until the process exits.
    Read,
    /// A large file mapped when safe (see `mapped`), else as `Read`.
    MapOrRead,
}

/// Files from this size up are read into kept memory by [`from_file_kept`];
/// smaller ones are read as usual.
const KEEP_MIN_BYTES: u64 = 256 * 1024;

fn read_file(
    path: &Path,
    at: Option<DateTime<FixedOffset>>,
    keep: Keep,
) -> Result<Capture, FetchError> {
    let read_error = |source| FetchError::Read {
        path: path.display().to_string(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read_error)?.len();
    if size > crate::limits::MAX_FILE_BYTES {
        return Err(FetchError::FileTooLarge {
            path: path.display().to_string(),
            size,
            limit: crate::limits::MAX_FILE_BYTES,
        });
    }
    let body = if keep != Keep::No && size >= KEEP_MIN_BYTES {
        read_kept(path, size, keep == Keep::MapOrRead).map_err(read_error)?
    } else {
        Cow::Owned(std::fs::read(path).map_err(read_error)?)
    };
    let captured_at = at
        .or_else(|| date_from_file_name(path))
        .unwrap_or_else(|| Utc::now().fixed_offset());
    let kind = kind_of(path, &body);
    Ok(Capture::unhashed(
        path.display().to_string(),
        body,
        kind,
        captured_at,
    ))
}

/// The bytes of the file at `path`, about `size` bytes long, mapped or in
/// memory filled in one step, and never freed (see [`from_file_kept`]).
/// A file that changed size while read is read again as usual.
fn read_kept(path: &Path, size: u64, map: bool) -> std::io::Result<Cow<'static, [u8]>> {
    let file = std::fs::File::open(path)?;
    let len = usize::try_from(size).map_err(std::io::Error::other)?;
    // Shared with the kernel's copy where the file cannot change meanwhile.
    #[cfg(target_os = "linux")]
    let file = match map {
        true => match mapped::map_kept(file, len) {
            Ok(bytes) => return Ok(Cow::Borrowed(bytes)),
            Err(file) => file,
        },
        false => file,
    };
    #[cfg(not(target_os = "linux"))]
    let _ = map;
    let mut file = file;
    // Transparent huge pages where the system allows them (2 MB pages: a
    // handful of faults instead of one per 4 KB, which on a virtual machine
    // cost more than the copy), then the whole map filled at once. Both are
    // only advice: without them the read below faults the pages in itself.
    // Elsewhere than Linux, the map is filled as it is read.
    // Rounded up to whole huge pages: Linux only aligns (and so only backs
    // with huge pages) anonymous maps of such lengths.
    let mapped = match len >= HUGE_PAGE {
        true => len.div_ceil(HUGE_PAGE) * HUGE_PAGE,
        false => len,
    };
    #[cfg(target_os = "linux")]
    let mut map = {
        let map = memmap2::MmapOptions::new().len(mapped).map_anon()?;
        let _ = map.advise(memmap2::Advice::HugePage);
        let _ = map.advise(memmap2::Advice::PopulateWrite);
        map
    };
    #[cfg(not(target_os = "linux"))]
    let mut map = memmap2::MmapOptions::new()
        .len(mapped)
        .populate()
        .map_anon()?;
    let mut filled = 0;
    while filled < len {
        match file.read(&mut map[filled..len]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    if filled < len || file.read(&mut [0u8; 1])? > 0 {
        return Ok(Cow::Owned(std::fs::read(path)?));
    }
    let kept: &'static memmap2::MmapMut = Box::leak(Box::new(map));
    Ok(Cow::Borrowed(&kept[..len]))
}

/// The capture date a file name starts with (`2025-06-03-page.txt`).
pub fn date_from_file_name(path: &Path) -> Option<DateTime<FixedOffset>> {
    let name = path.file_name()?.to_str()?;
    let date = NaiveDate::parse_from_str(name.get(..10)?, "%Y-%m-%d").ok()?;
    let midnight = date.and_hms_opt(0, 0, 0)?;
    Some(Utc.from_utc_datetime(&midnight).fixed_offset())
}

/// Decides the capture kind from the extension, else by sniffing the bytes.
pub fn kind_of(path: &Path, body: &[u8]) -> CaptureKind {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("html" | "htm" | "xhtml") => CaptureKind::Html,
        Some("md" | "markdown") => CaptureKind::Markdown,
        Some("txt" | "text") => CaptureKind::Text,
        _ => sniff(body),
    }
}

fn sniff(body: &[u8]) -> CaptureKind {
    let head = &body[..body.len().min(1024)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let trimmed = head.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with("<!doctype html")
        || trimmed.starts_with("<html")
        || head.contains("<body")
    {
        CaptureKind::Html
    } else {
        CaptureKind::Text
    }
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_name_dates_give_the_capture_time() {
        let t = date_from_file_name(Path::new("snapshots/x/2025-06-03-page.txt")).unwrap();
        assert_eq!(t.to_rfc3339(), "2025-06-03T00:00:00+00:00");
        assert!(date_from_file_name(Path::new("page.txt")).is_none());
    }

    #[test]
    fn kinds_by_extension_and_content() {
        assert_eq!(kind_of(Path::new("a.HTML"), b""), CaptureKind::Html);
        assert_eq!(
            kind_of(Path::new("a"), b"  <!DOCTYPE html><p>"),
            CaptureKind::Html
        );
        assert_eq!(kind_of(Path::new("a"), b"plain words"), CaptureKind::Text);
        assert_eq!(kind_of(Path::new("a.md"), b"# x"), CaptureKind::Markdown);
    }

    #[test]
    fn hosts_come_from_urls_only() {
        let mut c = Capture::new(
            "https://user@www.INSS.org.il:443/p?q",
            Vec::new(),
            CaptureKind::Html,
            Utc::now().fixed_offset(),
        );
        assert_eq!(c.host().as_deref(), Some("www.inss.org.il"));
        c.source = "snapshots/a.txt".into();
        assert_eq!(c.host(), None);
    }

    #[test]
    fn sha256_is_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
