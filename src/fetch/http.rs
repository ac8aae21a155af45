//! Fetching a page over HTTP(S) into a [`Capture`], politely and boundedly.
//!
//! One [`Client`] serves a whole run and is shared by its worker threads. It
//! owns what makes unattended fetching safe:
//!
//! - timeouts on connecting and on the whole exchange;
//! - redirects followed by hand (so each hop is paced and checked), at most
//!   [`HttpOptions::max_redirects`], never to a scheme other than http(s);
//! - gzip and brotli bodies (ureq decodes them), capped at
//!   [`HttpOptions::max_bytes`] after decoding;
//! - conditional requests: the caller passes the ETag and Last-Modified it
//!   kept, and a 304 comes back as [`Fetched::NotModified`] without a body;
//! - retries with exponential backoff on timeouts, connection errors, 5xx and
//!   429 (a `Retry-After` is honoured up to a cap), none on other 4xx;
//! - a minimum interval between two requests to one host, whatever the number
//!   of worker threads ([`HostPacer`]);
//! - content types: HTML and plain text (and Markdown) become captures;
//!   anything else is [`FetchError::UnsupportedContentType`], decided from the
//!   headers before the body is read.
//!
//! TLS is rustls with the webpki roots: no OpenSSL, no system library.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, Utc};

use super::{Capture, CaptureKind, FetchError, charset};

/// How a [`Client`] fetches. [`Default`] is what a nightly run uses.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Limit on establishing a connection (DNS, TCP, TLS).
    pub connect_timeout: Duration,
    /// Limit on one whole exchange, body included.
    pub timeout: Duration,
    /// Redirect hops followed before giving up.
    pub max_redirects: u32,
    /// Largest body accepted (after decompression), in bytes.
    pub max_bytes: u64,
    /// Retries after the first attempt on transient failures.
    pub retries: u32,
    /// First backoff delay; doubled on each retry.
    pub retry_delay: Duration,
    /// Longest `Retry-After` honoured; a server asking for more fails the
    /// source for this run instead of stalling it.
    pub max_retry_after: Duration,
    /// Least time between the starts of two requests to one host.
    pub min_host_interval: Duration,
    /// Appended to the User-Agent in parentheses: a contact address.
    pub contact: Option<String>,
}

impl Default for HttpOptions {
    fn default() -> HttpOptions {
        HttpOptions {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_redirects: 5,
            max_bytes: 10 * 1024 * 1024,
            retries: 2,
            retry_delay: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(120),
            min_host_interval: Duration::from_millis(1000),
            contact: None,
        }
    }
}

/// The User-Agent redline sends: its name and version, and a contact when
/// one is configured.
pub fn user_agent(contact: Option<&str>) -> String {
    let base = format!(
        "redline/{} (publication revision tracker)",
        env!("CARGO_PKG_VERSION")
    );
    match contact {
        Some(c) if !c.trim().is_empty() => format!("{base} (+{})", c.trim()),
        _ => base,
    }
}

/// One request: a URL, the validators kept from the last fetch, and extra
/// headers configured for the source.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// `(name, value)` pairs sent with every request for this source.
    pub headers: Vec<(String, String)>,
}

/// What a fetch found.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// The page, as a capture (status 2xx).
    Page(Capture),
    /// 304: the server says nothing changed since the validators were sent.
    NotModified {
        final_url: String,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

/// Spaces requests to each host at least `interval` apart, across threads.
///
/// A request reserves the next free slot for its host and sleeps until it;
/// slots are handed out in order, so N threads can never crowd one host.
#[derive(Debug, Default)]
pub struct HostPacer {
    interval: Duration,
    next_free: Mutex<HashMap<String, Instant>>,
}

impl HostPacer {
    pub fn new(interval: Duration) -> HostPacer {
        HostPacer {
            interval,
            next_free: Mutex::new(HashMap::new()),
        }
    }

    /// Reserves the earliest start time at or after `now` for `host`.
    pub fn reserve(&self, host: &str, now: Instant) -> Instant {
        let mut map = self.next_free.lock().unwrap_or_else(|e| e.into_inner());
        let slot = map.get(host).map_or(now, |&free| free.max(now));
        map.insert(host.to_string(), slot + self.interval);
        slot
    }

    /// Waits for `host`'s next slot.
    pub fn wait(&self, host: &str) {
        if self.interval.is_zero() {
            return;
        }
        let slot = self.reserve(host, Instant::now());
        let now = Instant::now();
        if slot > now {
            std::thread::sleep(slot - now);
        }
    }
}

/// An HTTP client for one run; share it between threads by reference.
pub struct Client {
    agent: ureq::Agent,
    options: HttpOptions,
    pacer: HostPacer,
    user_agent: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("options", &self.options)
            .finish()
    }
}

/// One attempt's failure, and whether trying again may help.
struct Failure {
    error: FetchError,
    retry: bool,
    /// The server's `Retry-After`, when it gave one.
    retry_after: Option<Duration>,
}

impl Client {
    pub fn new(options: HttpOptions) -> Client {
        let user_agent = user_agent(options.contact.as_deref());
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(options.connect_timeout))
            .timeout_global(Some(options.timeout))
            .user_agent(user_agent.as_str())
            .build()
            .into();
        Client {
            agent,
            pacer: HostPacer::new(options.min_host_interval),
            options,
            user_agent,
        }
    }

    /// The User-Agent this client sends.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// Fetches `request`, retrying transient failures.
    pub fn fetch(&self, request: &Request) -> Result<Fetched, FetchError> {
        check_url(&request.url)?;
        let mut attempt = 0;
        loop {
            match self.attempt(request) {
                Ok(fetched) => return Ok(fetched),
                Err(failure) if failure.retry && attempt < self.options.retries => {
                    let backoff = self.options.retry_delay * 2u32.saturating_pow(attempt);
                    let wait = match failure.retry_after {
                        Some(asked) if asked > self.options.max_retry_after => {
                            return Err(with_attempts(failure.error, attempt + 1));
                        }
                        Some(asked) => asked.max(backoff),
                        None => backoff,
                    };
                    std::thread::sleep(wait);
                    attempt += 1;
                }
                Err(failure) => {
                    let attempts = attempt + 1;
                    return Err(if attempts > 1 {
                        with_attempts(failure.error, attempts)
                    } else {
                        failure.error
                    });
                }
            }
        }
    }

    /// One attempt, following redirects by hand.
    fn attempt(&self, request: &Request) -> Result<Fetched, Failure> {
        let deadline = Instant::now() + self.options.timeout;
        let mut url = request.url.clone();
        let mut hops = 0;
        loop {
            let host = host_of(&url).unwrap_or_default();
            self.pacer.wait(&host);
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(self.timeout(&request.url, ""));
            }
            let mut builder = self
                .agent
                .get(&url)
                .config()
                .timeout_global(Some(remaining))
                .build();
            for (name, value) in &request.headers {
                builder = builder.header(name.as_str(), value.as_str());
            }
            // Validators only go to the URL they were issued for.
            if hops == 0 {
                if let Some(etag) = &request.etag {
                    builder = builder.header("If-None-Match", etag.as_str());
                }
                if let Some(lm) = &request.last_modified {
                    builder = builder.header("If-Modified-Since", lm.as_str());
                }
            }
            let mut response = builder.call().map_err(|e| self.failure(&url, e))?;
            let status = response.status().as_u16();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            match status {
                300..=399 if status != 304 => {
                    let location = header("location").ok_or_else(|| Failure {
                        error: FetchError::Http {
                            url: url.clone(),
                            message: format!("HTTP {status} redirect without a Location header"),
                        },
                        retry: false,
                        retry_after: None,
                    })?;
                    hops += 1;
                    if hops > self.options.max_redirects {
                        return Err(Failure {
                            error: FetchError::TooManyRedirects {
                                url: request.url.clone(),
                                max: self.options.max_redirects,
                            },
                            retry: false,
                            retry_after: None,
                        });
                    }
                    url = resolve(&url, &location).ok_or_else(|| Failure {
                        error: FetchError::BadRedirect {
                            url: url.clone(),
                            location: location.clone(),
                        },
                        retry: false,
                        retry_after: None,
                    })?;
                }
                304 => {
                    return Ok(Fetched::NotModified {
                        final_url: url,
                        etag: header("etag").or_else(|| request.etag.clone()),
                        last_modified: header("last-modified")
                            .or_else(|| request.last_modified.clone()),
                    });
                }
                200..=299 => {
                    let content_type = header("content-type");
                    let kind = kind_of(content_type.as_deref()).ok_or_else(|| Failure {
                        error: FetchError::UnsupportedContentType {
                            url: url.clone(),
                            content_type: content_type.clone().unwrap_or_default(),
                        },
                        retry: false,
                        retry_after: None,
                    })?;
                    let etag = header("etag");
                    let last_modified = header("last-modified");
                    let body = response
                        .body_mut()
                        .with_config()
                        .limit(self.options.max_bytes)
                        .read_to_vec()
                        .map_err(|e| self.failure(&url, e))?;
                    let kind = kind.unwrap_or_else(|| super::sniff(&body));
                    let captured_at: DateTime<FixedOffset> = Utc::now().fixed_offset();
                    let mut capture = Capture::new(request.url.clone(), body, kind, captured_at);
                    capture.final_url = Some(url);
                    capture.status = Some(status);
                    capture.charset = content_type.as_deref().and_then(charset::charset_of);
                    capture.content_type = content_type.as_deref().map(|ct| {
                        ct.split(';')
                            .next()
                            .unwrap_or("")
                            .trim()
                            .to_ascii_lowercase()
                    });
                    capture.etag = etag;
                    capture.last_modified = last_modified;
                    return Ok(Fetched::Page(capture));
                }
                _ => {
                    let retry_after = header("retry-after").and_then(|v| parse_retry_after(&v));
                    let retry = status >= 500 || status == 429;
                    return Err(Failure {
                        error: FetchError::Status {
                            url,
                            status,
                            after: String::new(),
                            advice: advice_for(status),
                        },
                        retry,
                        retry_after,
                    });
                }
            }
        }
    }

    fn timeout(&self, url: &str, after: &str) -> Failure {
        Failure {
            error: FetchError::Timeout {
                url: url.to_string(),
                seconds: self.options.timeout.as_secs().max(1),
                after: after.to_string(),
            },
            retry: true,
            retry_after: None,
        }
    }

    fn failure(&self, url: &str, e: ureq::Error) -> Failure {
        let connect = |message: String| Failure {
            error: FetchError::Connect {
                url: url.to_string(),
                message,
                after: String::new(),
            },
            retry: true,
            retry_after: None,
        };
        match e {
            ureq::Error::Timeout(_) => self.timeout(url, ""),
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                self.timeout(url, "")
            }
            ureq::Error::Io(io) => connect(io.to_string()),
            ureq::Error::ConnectionFailed => connect("the connection failed".into()),
            ureq::Error::HostNotFound => connect("the host name does not resolve".into()),
            ureq::Error::BodyExceedsLimit(limit) => Failure {
                error: FetchError::TooLarge {
                    url: url.to_string(),
                    limit,
                },
                retry: false,
                retry_after: None,
            },
            ureq::Error::Tls(m) => Failure {
                error: FetchError::Connect {
                    url: url.to_string(),
                    message: format!("TLS: {m}"),
                    after: String::new(),
                },
                retry: false,
                retry_after: None,
            },
            ureq::Error::Rustls(e) => Failure {
                error: FetchError::Connect {
                    url: url.to_string(),
                    message: format!("TLS: {e}"),
                    after: String::new(),
                },
                retry: false,
                retry_after: None,
            },
            ureq::Error::Protocol(e) => connect(format!("the server broke HTTP: {e}")),
            other => Failure {
                error: FetchError::Http {
                    url: url.to_string(),
                    message: other.to_string(),
                },
                retry: false,
                retry_after: None,
            },
        }
    }
}

/// Notes the number of attempts in an error that was retried.
fn with_attempts(error: FetchError, attempts: u32) -> FetchError {
    let after = format!(" after {attempts} attempts");
    match error {
        FetchError::Status {
            url,
            status,
            advice,
            ..
        } => FetchError::Status {
            url,
            status,
            after,
            advice,
        },
        FetchError::Timeout { url, seconds, .. } => FetchError::Timeout {
            url,
            seconds,
            after,
        },
        FetchError::Connect { url, message, .. } => FetchError::Connect {
            url,
            message,
            after,
        },
        other => other,
    }
}

fn advice_for(status: u16) -> &'static str {
    match status {
        404 | 410 => {
            "the page is gone or moved: check the URL, then `redline remove ID` or re-add it with the new URL"
        }
        401 | 403 => {
            "the site refuses redline: the page may need a login, or the site blocks robots (a [source.headers] entry may help)"
        }
        429 => "the site is rate-limiting redline: raise [fetch] min_interval_ms in redline.toml",
        500..=599 => "the site has a server error: it will be tried again next run",
        _ => "check the URL in a browser",
    }
}

/// Refuses URLs that are not http(s) with a host.
pub fn check_url(url: &str) -> Result<(), FetchError> {
    let bad = |reason: &str| FetchError::BadUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(bad("its scheme is not http or https"));
    }
    if host_of(url).is_none_or(|h| h.is_empty()) {
        return Err(bad("it has no host"));
    }
    if url.chars().any(|c| c.is_control() || c == ' ') {
        return Err(bad("it contains spaces or control characters"));
    }
    Ok(())
}

/// Whether `text` looks like a URL redline fetches (rather than a path or id).
pub fn is_url(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// The lower-cased host (with port) of an http(s) URL.
pub fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    Some(host.to_ascii_lowercase())
}

/// Resolves a `Location` against the URL it came from; `None` when the
/// target is not http(s).
pub fn resolve(base: &str, location: &str) -> Option<String> {
    let location = location.trim();
    if let Some((scheme, _)) = location.split_once(':')
        && !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !location.starts_with("//")
    {
        return is_url(location).then(|| location.to_string());
    }
    let (scheme, rest) = base.split_once("://")?;
    if let Some(net) = location.strip_prefix("//") {
        return Some(format!("{scheme}://{net}"));
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    if location.starts_with('/') {
        return Some(format!("{scheme}://{authority}{location}"));
    }
    let path = &rest[authority.len()..];
    let path = path.split(['?', '#']).next().unwrap_or("");
    let dir = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "/",
    };
    Some(format!("{scheme}://{authority}{dir}{location}"))
}

/// The capture kind for a Content-Type: `Some(None)` means "none given,
/// sniff the body"; `None` means unsupported.
fn kind_of(content_type: Option<&str>) -> Option<Option<CaptureKind>> {
    let Some(ct) = content_type else {
        return Some(None);
    };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "" => Some(None),
        "text/html" | "application/xhtml+xml" => Some(Some(CaptureKind::Html)),
        "text/plain" => Some(Some(CaptureKind::Text)),
        "text/markdown" | "text/x-markdown" => Some(Some(CaptureKind::Markdown)),
        _ => None,
    }
}

/// A `Retry-After` value: seconds, or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.with_timezone(&Utc) - Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_resolve_and_never_leave_http() {
        let base = "https://a.org/x/y?q=1";
        assert_eq!(resolve(base, "/z").as_deref(), Some("https://a.org/z"));
        assert_eq!(resolve(base, "z").as_deref(), Some("https://a.org/x/z"));
        assert_eq!(
            resolve(base, "//b.org/p").as_deref(),
            Some("https://b.org/p")
        );
        assert_eq!(
            resolve(base, "http://c.org/").as_deref(),
            Some("http://c.org/")
        );
        for bad in ["file:///etc/passwd", "ftp://x/", "javascript:alert(1)"] {
            assert_eq!(resolve(base, bad), None, "{bad}");
        }
    }

    #[test]
    fn only_http_urls_are_fetched() {
        assert!(check_url("https://www.inss.org.il/p/").is_ok());
        assert!(check_url("file:///etc/passwd").is_err());
        assert!(check_url("http:///nohost").is_err());
        assert!(check_url("http://a.org/a b").is_err());
    }

    #[test]
    fn content_types() {
        assert_eq!(
            kind_of(Some("text/html; charset=utf-8")),
            Some(Some(CaptureKind::Html))
        );
        assert_eq!(kind_of(Some("text/plain")), Some(Some(CaptureKind::Text)));
        assert_eq!(kind_of(None), Some(None));
        assert_eq!(kind_of(Some("application/pdf")), None);
        assert_eq!(kind_of(Some("image/png")), None);
        assert_eq!(kind_of(Some("application/json")), None);
    }

    #[test]
    fn retry_after_in_seconds_or_a_date() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn the_pacer_spaces_one_host_and_not_others() {
        let pacer = HostPacer::new(Duration::from_millis(100));
        let t0 = Instant::now();
        let a1 = pacer.reserve("a", t0);
        let a2 = pacer.reserve("a", t0);
        let a3 = pacer.reserve("a", t0);
        let b1 = pacer.reserve("b", t0);
        assert_eq!(a1, t0);
        assert_eq!(a2 - a1, Duration::from_millis(100));
        assert_eq!(a3 - a2, Duration::from_millis(100));
        assert_eq!(b1, t0);
    }

    #[test]
    fn the_user_agent_names_redline_and_its_version() {
        let ua = user_agent(Some("ops@example.org"));
        assert!(ua.starts_with(&format!("redline/{}", env!("CARGO_PKG_VERSION"))));
        assert!(ua.ends_with("(+ops@example.org)"));
    }
}
