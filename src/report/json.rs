//! The JSON report: the changes of a period for other programs.
//!
//! One object (`docs/json-report.md`): the period, every selected source
//! with its counts, and the changes newest first, each with its source,
//! URL, both versions (ids and capture times), summary, stats and the whole
//! `DocDiff` in its own versioned form (`docs/json-diff.md`). Versioned by
//! [`REPORT_SCHEMA`] under the same rules as the diff.

use serde::Serialize;

use super::{Change, ChangeView, Selection, SourceInfo, VersionRef};
use crate::diff::{DocDiff, Stats};

/// Version of the report's JSON shape.
pub const REPORT_SCHEMA: u32 = 1;

#[derive(Debug, Serialize)]
struct Report<'a> {
    schema: u32,
    since: String,
    until: Option<String>,
    generated_at: String,
    sources: Vec<SourceJson<'a>>,
    changes: Vec<ChangeJson>,
}

#[derive(Debug, Serialize)]
struct SourceJson<'a> {
    id: &'a str,
    url: Option<&'a str>,
    title: &'a str,
    versions: usize,
    changes: usize,
    latest: Option<VersionJson>,
}

#[derive(Debug, Clone, Serialize)]
struct VersionJson {
    revision: String,
    time: String,
}

impl VersionJson {
    fn of(v: &VersionRef) -> VersionJson {
        VersionJson {
            revision: v.id.clone(),
            time: v.rfc3339(),
        }
    }
}

#[derive(Debug, Serialize)]
struct ChangeJson {
    source: String,
    url: Option<String>,
    title: String,
    kind: &'static str,
    old: Option<VersionJson>,
    new: VersionJson,
    summary: String,
    stats: Option<Stats>,
    diff: Option<DocDiff>,
    #[serde(skip)]
    sort_key: (chrono::DateTime<chrono::Utc>, String),
}

/// Builds the JSON report from the changes of a [`walk`](super::walk).
#[derive(Debug, Default)]
pub struct JsonBuilder {
    changes: Vec<ChangeJson>,
}

impl JsonBuilder {
    pub fn new() -> JsonBuilder {
        JsonBuilder::default()
    }

    /// Adds one change (keeping its `DocDiff`; the documents are not kept).
    pub fn push(&mut self, view: &ChangeView) {
        let c: &Change = view.change;
        self.changes.push(ChangeJson {
            source: c.source.to_string(),
            url: c.url.clone(),
            title: c.title.clone(),
            kind: if c.is_first_capture() {
                "first_capture"
            } else {
                "change"
            },
            old: c.old.as_ref().map(VersionJson::of),
            new: VersionJson::of(&c.new),
            summary: c.summary.clone(),
            stats: view.diff.map(|d| d.stats.clone()),
            diff: view.diff.cloned(),
            sort_key: (c.new.time.with_timezone(&chrono::Utc), c.source.to_string()),
        });
    }

    /// The report, pretty-printed, with a final newline.
    pub fn finish(
        mut self,
        sources: &[SourceInfo],
        selection: &Selection,
        generated_at: chrono::DateTime<chrono::Utc>,
    ) -> String {
        self.changes.sort_by(|a, b| {
            b.sort_key
                .0
                .cmp(&a.sort_key.0)
                .then_with(|| a.sort_key.1.cmp(&b.sort_key.1))
        });
        let report = Report {
            schema: REPORT_SCHEMA,
            since: selection.since.to_string(),
            until: selection.until.map(|u| u.to_string()),
            generated_at: generated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            sources: sources
                .iter()
                .map(|s| SourceJson {
                    id: s.id.as_str(),
                    url: s.url.as_deref(),
                    title: &s.title,
                    versions: s.versions,
                    changes: s.changes.len(),
                    latest: s.changes.first().map(|c| VersionJson::of(&c.new)),
                })
                .collect(),
            changes: self.changes,
        };
        crate::render::json::to_json(&report)
    }
}
