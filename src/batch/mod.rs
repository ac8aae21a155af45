//! The batch run: fetch every tracked source, normalize, compare, commit
//! each changed one, and report one line per source.
//!
//! Built for unattended nightly runs:
//!
//! - worker threads fetch and normalize in parallel (the [`Client`] paces
//!   each host); the store is written by the calling thread alone, one
//!   commit per changed source, so a failure anywhere loses nothing already
//!   committed;
//! - one failing source (HTTP error, timeout, normalizer panic, store error)
//!   becomes that source's [`Status::Failed`] and the run goes on;
//! - a 304 skips normalization and the store entirely;
//! - the **extraction-failure guard** holds back a version whose body is
//!   empty, or lost more than [`BatchOptions::shrink_guard`] of its words,
//!   while the page answered 200: the source is [`Status::Suspect`], the
//!   previous version stays current, and the held version is recorded only
//!   when the next run sees it again or the user accepts it;
//! - the **flip-flop guard** reports a version identical to one of the last
//!   [`BatchOptions::flip_flop_window`] versions as [`Status::Reverted`] and
//!   records nothing (rotating content and A/B tests do not flood history);
//!   `--accept` records it when the reversion is real.
//!
//! Validators, last-checked times and held versions live in the run state
//! ([`crate::store::state`]), outside history.

pub mod shard;

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::Serialize;

use crate::diff::{DiffOptions, diff};
use crate::document::Document;
use crate::error::Error;
use crate::fetch::Capture;
use crate::fetch::http::{Client, Fetched, Request};
use crate::normalize::{NormalizeError, ProfileChoice, Profiles, normalize};
use crate::render::summary::summary_line;
use crate::store::state::{Held, RecentVersion, SourceState};
use crate::store::{Prepared, Recorded, SourceId, Store, StoreError};

/// Digest recorded for a held version with no body text.
const EMPTY_DIGEST: &str = "empty";

/// How a batch behaves.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Worker threads fetching and normalizing in parallel.
    pub jobs: usize,
    /// Earlier versions the flip-flop guard compares with (0 turns it off).
    pub flip_flop_window: usize,
    /// Share of body words a new version may lose before it is suspect.
    pub shrink_guard: f64,
    /// Sources whose guards are lifted this run: what is fetched is recorded.
    pub accept: HashSet<SourceId>,
}

impl Default for BatchOptions {
    fn default() -> BatchOptions {
        BatchOptions {
            jobs: 4,
            flip_flop_window: 5,
            shrink_guard: 0.5,
            accept: HashSet::new(),
        }
    }
}

/// One source to check.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: SourceId,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub profile: ProfileChoice,
}

/// What happened to one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Its first version was recorded.
    New,
    /// A new version was recorded.
    Changed,
    /// Fetched; the publication is the same as the current version.
    Unchanged,
    /// The server answered 304 to the kept validators.
    NotModified,
    /// Identical to an earlier version: reported, not recorded.
    Reverted,
    /// Held back by the extraction-failure guard.
    Suspect,
    /// Could not be checked; the reason says why.
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Changed => "changed",
            Status::Unchanged => "unchanged",
            Status::NotModified => "not-modified",
            Status::Reverted => "reverted",
            Status::Suspect => "suspect",
            Status::Failed => "failed",
        }
    }
}

/// The report on one source.
#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    pub source: String,
    pub url: String,
    pub status: Status,
    /// HTTP status of the last response, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// The change summary (new, changed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The commit recorded (new, changed), or reverted to (reverted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// Why it failed or was held back, and what to do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl SourceReport {
    /// The report as one line for people (no trailing newline).
    pub fn line(&self) -> String {
        let id = &self.source;
        let short = |r: &Option<String>| {
            r.as_deref()
                .map(|r| r[..r.len().min(10)].to_string())
                .unwrap_or_default()
        };
        let text = match self.status {
            Status::New => format!(
                "{id}: new {}: {}",
                short(&self.revision),
                self.summary.as_deref().unwrap_or("")
            ),
            Status::Changed => format!(
                "{id}: changed {}: {}",
                short(&self.revision),
                self.summary.as_deref().unwrap_or("")
            ),
            Status::Unchanged => format!("{id}: unchanged"),
            Status::NotModified => format!("{id}: not modified (304)"),
            Status::Reverted | Status::Suspect | Status::Failed => format!(
                "{id}: {}: {}",
                self.status.as_str(),
                self.message.as_deref().unwrap_or("")
            ),
        };
        crate::render::sanitize(&text)
    }
}

/// The report on a whole run.
#[derive(Debug, Clone, Serialize)]
pub struct BatchReport {
    pub schema: u32,
    pub started_at: String,
    pub finished_at: String,
    pub counts: Counts,
    /// One per source, in the order the sources were given.
    pub sources: Vec<SourceReport>,
    /// Problems of the run itself (a damaged state file).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Where the time went.
    pub timings: Timings,
}

/// Wall-clock time of a run and the store's share of it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    pub total_seconds: f64,
    /// Reading the store, comparing, committing, syncing the work tree and
    /// saving the run state (all on the calling thread).
    pub store_seconds: f64,
}

/// How many sources ended in each status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub checked: usize,
    pub new: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub not_modified: usize,
    pub reverted: usize,
    pub suspect: usize,
    pub failed: usize,
}

impl BatchReport {
    /// Whether any source got a new version.
    pub fn anything_changed(&self) -> bool {
        self.counts.new + self.counts.changed > 0
    }

    /// The closing summary for people: counts, then each failed, suspect
    /// or reverted source with its reason.
    pub fn summary(&self) -> String {
        let c = &self.counts;
        let mut parts = Vec::new();
        for (n, what) in [
            (c.new, "new"),
            (c.changed, "changed"),
            (c.unchanged, "unchanged"),
            (c.not_modified, "not modified"),
            (c.reverted, "reverted"),
            (c.suspect, "suspect"),
            (c.failed, "failed"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        let noun = if c.checked == 1 { "source" } else { "sources" };
        let mut text = format!(
            "redline: {} {noun}: {}\n",
            c.checked,
            if parts.is_empty() {
                "nothing to do".to_string()
            } else {
                parts.join(", ")
            }
        );
        for r in &self.sources {
            if matches!(r.status, Status::Failed | Status::Suspect) {
                text.push_str(&format!("  {}\n", r.line()));
            }
        }
        text
    }
}

/// What a worker hands back for one source. (One per source, moved once:
/// the size difference between variants does not matter.)
#[allow(clippy::large_enum_variant)]
enum Fetch {
    NotModified {
        etag: Option<String>,
        last_modified: Option<String>,
    },
    Page {
        capture: Capture,
        doc: Result<Document, NormalizeError>,
        /// The document serialized and digested, on the worker thread.
        prepared: Option<Prepared>,
    },
    Failed(String),
}

/// New versions per pack file while a batch runs: a crash loses at most
/// this many recorded versions (the next run records them again).
pub const FLUSH_EVERY: usize = 50;

/// Runs the batch over `jobs`; `progress` is called once per source as it is
/// done, with the report and the count done so far.
///
/// Errors only when the store cannot write what was recorded, or the run
/// state cannot be saved at the end; everything a source can fail on is in
/// its report.
///
/// New versions are written as pack files ([`Store::with_packing`]), flushed
/// every [`FLUSH_EVERY`] versions and at the end.
pub fn run(
    store: &mut Store,
    client: &Client,
    profiles: &Profiles,
    jobs: &[Job],
    options: &BatchOptions,
    progress: &mut dyn FnMut(&SourceReport, usize),
) -> Result<BatchReport, Error> {
    let started_at = Utc::now().to_rfc3339();
    let clock = Instant::now();
    let mut store_time = Duration::ZERO;
    let state_dir = store.state_dir();
    let (mut state, warning) = crate::store::state::load(&state_dir);
    let warnings: Vec<String> = warning.into_iter().collect();

    // Current versions by content, read once; updated as versions are made.
    let mut digests = store.current_digests()?;
    // Requests are prepared here so workers never touch the state.
    let mut requests = Vec::with_capacity(jobs.len());
    for job in jobs {
        let s = state.sources.get(job.id.as_str());
        let conditional = s.is_some_and(|s| {
            s.suspect.is_none()
                && s.last_status.as_deref() != Some("reverted")
                && s.validated_url.as_deref() == Some(job.url.as_str())
        }) && !options.accept.contains(&job.id)
            && digests.contains_key(job.id.as_str());
        requests.push(Request {
            url: job.url.clone(),
            etag: s.filter(|_| conditional).and_then(|s| s.etag.clone()),
            last_modified: s
                .filter(|_| conditional)
                .and_then(|s| s.last_modified.clone()),
            headers: job.headers.clone(),
        });
    }

    let mut reports: Vec<Option<SourceReport>> = vec![None; jobs.len()];
    let mut touched: Vec<SourceId> = Vec::new();
    let next = AtomicUsize::new(0);
    let workers = options.jobs.clamp(1, jobs.len().max(1));
    let mut flush_failed = None;
    let packed = store.with_packing(|store, packing| std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<(usize, Fetch)>();
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, requests) = (&next, &requests);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let result = catch_unwind(AssertUnwindSafe(|| {
                        fetch_one(client, profiles, &requests[i], &job.profile)
                    }))
                    .unwrap_or_else(|_| {
                        Fetch::Failed(
                            "redline crashed while reading this page (a bug: please report it with the URL); the other sources were not affected".into(),
                        )
                    });
                    if tx.send((i, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut done = 0;
        for (i, fetched) in rx {
            let job = &jobs[i];
            let entry = state.sources.entry(job.id.to_string()).or_default();
            let t = Instant::now();
            let current = digests.get(job.id.as_str()).cloned();
            let report = settle(store, job, fetched, entry, current, options);
            if let Some(recent) = entry_digest(&state, &job.id, &report) {
                digests.insert(job.id.to_string(), recent);
            }
            if matches!(report.status, Status::New | Status::Changed) {
                touched.push(job.id.clone());
                // A failed flush (a full disk, a read-only store) keeps its
                // versions in memory and stops the run: the final flush
                // when packing ends tries once more, and the run fails.
                if touched.len().is_multiple_of(FLUSH_EVERY)
                    && let Err(e) = packing.flush()
                {
                    flush_failed = Some(e);
                    progress(&report, done + 1);
                    reports[i] = Some(report);
                    break;
                }
            }
            store_time += t.elapsed();
            done += 1;
            progress(&report, done);
            reports[i] = Some(report);
        }
    }));
    if let Some(e) = packed.err().or(flush_failed) {
        return Err(StoreError::NotRecorded {
            store: store.root().display().to_string(),
            cause: Box::new(e),
        }
        .into());
    }

    let mut warnings = warnings;
    let t = Instant::now();
    if let Err(e) = store.sync_sources(&touched) {
        warnings.push(format!(
            "the new versions are committed, but the work tree was not updated ({e}); run `git checkout -- .` in the store"
        ));
    }
    crate::store::state::save(&state_dir, &state)?;
    store_time += t.elapsed();

    let sources: Vec<SourceReport> = reports.into_iter().flatten().collect();
    let mut counts = Counts {
        checked: sources.len(),
        ..Counts::default()
    };
    for r in &sources {
        *match r.status {
            Status::New => &mut counts.new,
            Status::Changed => &mut counts.changed,
            Status::Unchanged => &mut counts.unchanged,
            Status::NotModified => &mut counts.not_modified,
            Status::Reverted => &mut counts.reverted,
            Status::Suspect => &mut counts.suspect,
            Status::Failed => &mut counts.failed,
        } += 1;
    }
    Ok(BatchReport {
        schema: 1,
        started_at,
        finished_at: Utc::now().to_rfc3339(),
        counts,
        sources,
        warnings,
        timings: Timings {
            total_seconds: clock.elapsed().as_secs_f64(),
            store_seconds: store_time.as_secs_f64(),
        },
    })
}

/// Fetches and normalizes one source (on a worker thread).
fn fetch_one(
    client: &Client,
    profiles: &Profiles,
    request: &Request,
    choice: &ProfileChoice,
) -> Fetch {
    match client.fetch(request) {
        Ok(Fetched::NotModified {
            etag,
            last_modified,
            ..
        }) => Fetch::NotModified {
            etag,
            last_modified,
        },
        Ok(Fetched::Page(capture)) => {
            let doc = normalize(&capture, profiles, choice);
            let prepared = doc.as_ref().ok().map(Prepared::of);
            Fetch::Page {
                capture,
                doc,
                prepared,
            }
        }
        Err(e) => Fetch::Failed(e.to_string()),
    }
}

/// Decides and records one source's outcome (on the calling thread).
fn settle(
    store: &Store,
    job: &Job,
    fetched: Fetch,
    state: &mut SourceState,
    current: Option<String>,
    options: &BatchOptions,
) -> SourceReport {
    let now = Utc::now().to_rfc3339();
    state.last_checked = Some(now.clone());
    let mut report = SourceReport {
        source: job.id.to_string(),
        url: job.url.clone(),
        status: Status::Failed,
        http_status: None,
        summary: None,
        revision: None,
        message: None,
    };
    let outcome = match fetched {
        Fetch::NotModified {
            etag,
            last_modified,
        } => {
            report.http_status = Some(304);
            state.etag = etag;
            state.last_modified = last_modified;
            Ok(Status::NotModified)
        }
        Fetch::Failed(message) => Err(message),
        Fetch::Page {
            capture,
            doc,
            prepared,
        } => {
            report.http_status = capture.status;
            decide(
                store,
                job,
                &capture,
                doc.map(|d| (d, prepared)),
                state,
                current,
                options,
                &mut report,
            )
            .map_err(|e| e.to_string())
        }
    };
    match outcome {
        Ok(status) => {
            report.status = status;
            state.last_error = report.message.clone();
        }
        Err(message) => {
            report.status = Status::Failed;
            report.message = Some(message.clone());
            state.last_error = Some(message);
        }
    }
    state.last_status = Some(report.status.as_str().to_string());
    state.http_status = report.http_status;
    report
}

/// Compares a fetched page with the store (`current` is the digest of the
/// current version), applies the guards, records.
#[allow(clippy::too_many_arguments)]
fn decide(
    store: &Store,
    job: &Job,
    capture: &Capture,
    doc: Result<(Document, Option<Prepared>), NormalizeError>,
    state: &mut SourceState,
    current: Option<String>,
    options: &BatchOptions,
    report: &mut SourceReport,
) -> Result<Status, Error> {
    let accepted = options.accept.contains(&job.id);
    let keep_validators = |state: &mut SourceState| {
        state.etag = capture.etag.clone();
        state.last_modified = capture.last_modified.clone();
        state.validated_url = Some(job.url.clone());
    };
    let (doc, prepared) = match doc {
        Ok(doc) => doc,
        Err(NormalizeError::EmptyBody { .. }) if current.is_some() => {
            let reason = format!(
                "no publication text found although the page answered {}",
                capture.status.unwrap_or(200)
            );
            if !accepted && !seen_again(state, EMPTY_DIGEST) {
                return Ok(hold(state, EMPTY_DIGEST, &reason, job, report));
            }
            (Document::default(), None)
        }
        Err(e) => return Err(e.into()),
    };
    let prepared = prepared.unwrap_or_else(|| Prepared::of(&doc));
    let digest = if doc.body.is_empty() {
        EMPTY_DIGEST.to_string()
    } else {
        prepared.digest.clone()
    };
    if current.as_deref() == Some(digest.as_str()) {
        state.suspect = None;
        keep_validators(state);
        return Ok(Status::Unchanged);
    }
    let old = store.current_document(&job.id)?;
    if let Some(old) = &old {
        // Flip-flop guard: the same as one of the last N versions?
        if options.flip_flop_window > 0 && !accepted {
            // Rebuilt from history when lost, or when it does not start
            // at the current version (a killed run recorded versions but
            // never saved its state).
            if state.recent.first().map(|r| &r.digest) != current.as_ref() {
                state.recent = store
                    .recent_digests(&job.id, options.flip_flop_window + 1)?
                    .into_iter()
                    .map(|(v, digest)| RecentVersion {
                        digest,
                        version: v.id,
                        time: v.time.to_rfc3339(),
                    })
                    .collect();
            }
            if let Some(earlier) = state
                .recent
                .iter()
                .skip(1)
                .take(options.flip_flop_window)
                .find(|r| r.digest == digest)
            {
                let short = &earlier.version[..earlier.version.len().min(10)];
                report.revision = Some(earlier.version.clone());
                report.message = Some(format!(
                    "the page is back to version {short} of {}; not recorded (flip-flop guard: rotating content or an A/B test?); if the edit was really undone, run `redline snapshot --accept {}`",
                    earlier.time.get(..10).unwrap_or(&earlier.time),
                    job.id
                ));
                state.suspect = None;
                return Ok(Status::Reverted);
            }
        }
        // Extraction-failure guard: most of the text gone while answering 200?
        let (before, after) = (words(old), words(&doc));
        let lost = 1.0 - after as f64 / before.max(1) as f64;
        if before > 0 && lost > options.shrink_guard && !accepted && !seen_again(state, &digest) {
            let reason = format!(
                "lost {:.0}% of its text ({before} -> {after} words) although the page answered {}",
                lost * 100.0,
                capture.status.unwrap_or(200)
            );
            return Ok(hold(state, &digest, &reason, job, report));
        }
    }
    let (summary, message) = version_message(&job.id, old.as_ref(), &doc, capture);
    let version = match store.record_prepared(&job.id, &prepared, capture, &message)? {
        Recorded::New(v) => v,
        Recorded::Unchanged(_) => {
            state.suspect = None;
            keep_validators(state);
            return Ok(Status::Unchanged);
        }
    };
    state.suspect = None;
    keep_validators(state);
    state.last_changed = Some(version.time.to_rfc3339());
    state.recent.insert(
        0,
        RecentVersion {
            digest,
            version: version.id.clone(),
            time: version.time.to_rfc3339(),
        },
    );
    state.recent.truncate(options.flip_flop_window + 1);
    report.summary = Some(summary);
    report.revision = Some(version.id);
    Ok(if old.is_some() {
        Status::Changed
    } else {
        Status::New
    })
}

/// The digest of the version a report recorded, to keep `digests` current.
fn entry_digest(
    state: &crate::store::state::RunState,
    id: &SourceId,
    report: &SourceReport,
) -> Option<String> {
    if !matches!(report.status, Status::New | Status::Changed) {
        return None;
    }
    state
        .sources
        .get(id.as_str())?
        .recent
        .first()
        .map(|r| r.digest.clone())
}

/// Whether the version held last run is the one seen now.
fn seen_again(state: &SourceState, digest: &str) -> bool {
    state.suspect.as_ref().is_some_and(|h| h.digest == digest)
}

/// Holds a version back as suspect.
fn hold(
    state: &mut SourceState,
    digest: &str,
    reason: &str,
    job: &Job,
    report: &mut SourceReport,
) -> Status {
    state.suspect = Some(Held {
        digest: digest.to_string(),
        reason: reason.to_string(),
        since: Utc::now().to_rfc3339(),
    });
    report.message = Some(format!(
        "{reason}; the previous version stays current (an extraction failure?). If the page really changed, it is recorded when the next run sees it again, or now with `redline snapshot --accept {}`",
        job.id
    ));
    Status::Suspect
}

fn words(doc: &Document) -> usize {
    doc.body
        .iter()
        .map(|b| b.text.split_whitespace().count())
        .sum()
}

/// The commit message of a new version: `<id>: <summary>` and the
/// `Redline-*` trailers (`stats` is the diff's stats as JSON, `{}` if none).
/// Where a capture came from, for the `Redline-Capture` trailer: its final
/// URL, or a local file's name.
fn capture_name(capture: &Capture) -> String {
    if let Some(url) = &capture.final_url {
        return url.clone();
    }
    if capture.source.contains("://") {
        return capture.source.clone();
    }
    std::path::Path::new(&capture.source)
        .file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .unwrap_or_else(|| capture.source.clone())
}

/// The summary line and the commit message of a new version of `id`:
/// what changed since `old` (its current version, if any) and the
/// `Redline-*` trailers.
pub fn version_message(
    id: &SourceId,
    old: Option<&Document>,
    new: &Document,
    capture: &Capture,
) -> (String, String) {
    let (summary, stats) = match old {
        Some(old) => {
            let d = diff(old, new, &DiffOptions::default());
            (
                summary_line(&d),
                serde_json::to_string(&d.stats).unwrap_or_default(),
            )
        }
        None => (
            format!(
                "first version ({} blocks, {} related)",
                new.body.len(),
                new.related.len()
            ),
            "{}".to_string(),
        ),
    };
    let message = commit_message(id, &summary, capture, &stats);
    (summary, message)
}

/// The commit message of a version: `<id>: <summary>` and the trailers
/// (`Redline-Source`, `-Captured-At`, `-Capture`, `-Capture-Sha256`,
/// `-Http-Status` for pages fetched over HTTP, `-Stats`).
pub fn commit_message(id: &SourceId, summary: &str, capture: &Capture, stats: &str) -> String {
    let mut message = format!(
        "{id}: {summary}\n\nRedline-Source: {id}\nRedline-Captured-At: {}\nRedline-Capture: {}\nRedline-Capture-Sha256: {}\n",
        capture.captured_at.to_rfc3339(),
        capture_name(capture),
        capture.sha256,
    );
    if let Some(status) = capture.status {
        message.push_str(&format!("Redline-Http-Status: {status}\n"));
    }
    message.push_str(&format!("Redline-Stats: {stats}\n"));
    message
}
