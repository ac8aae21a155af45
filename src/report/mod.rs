//! Publishing: the changes recorded in a period, as an Atom feed, a static
//! HTML site or JSON (`redline report`).
//!
//! A *change* is one version of a source compared with the version before
//! it; a source's first version is a change too (a *first capture*: the
//! source is being tracked from then on). [`walk`] reads the store once,
//! source by source in time order, and hands each change in the period to
//! a visitor with its [`DocDiff`] and both documents; each document is read
//! once and dropped when the next change is done, so the cost of a report is
//! linear in the versions it shows. The three formats are builders fed by
//! that visitor, each pure (they return text; the command layer writes it):
//!
//! - [`atom`]: an RFC 4287 feed whose entries carry each change's HTML
//!   redline (feed readers become the notification channel);
//! - [`site`]: a static site — an index of sources, one timeline per source,
//!   one self-contained redline page per change — with relative links only;
//! - [`json`]: the same changes for other programs (`docs/json-report.md`).
//!
//! Which versions count as changes is decided in one place,
//! [`reportable_versions`].

pub mod atom;
pub mod json;
pub mod site;

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, Utc};

use crate::diff::{DiffOptions, DocDiff, diff};
use crate::document::Document;
use crate::render::summary::summary_line;
use crate::store::{SourceId, Store, StoreError, Version};

/// Which changes a report shows: by capture time (UTC days, both ends
/// included) and, optionally, by source.
#[derive(Debug, Clone)]
pub struct Selection {
    pub since: NaiveDate,
    pub until: Option<NaiveDate>,
    /// Only these sources; empty means every source in the store.
    pub sources: Vec<SourceId>,
}

impl Selection {
    /// True when a version captured at `time` falls in the period.
    pub fn contains(&self, time: &DateTime<FixedOffset>) -> bool {
        let day = time.with_timezone(&Utc).date_naive();
        day >= self.since && self.until.is_none_or(|u| day <= u)
    }
}

/// One recorded version, as a report names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRef {
    /// Full commit id (hex).
    pub id: String,
    /// Capture time.
    pub time: DateTime<FixedOffset>,
}

impl VersionRef {
    fn of(v: &Version) -> VersionRef {
        VersionRef {
            id: v.id.clone(),
            time: v.time,
        }
    }

    /// The first 10 hex digits of the id (as `redline log` shows it).
    pub fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(10)]
    }

    /// The capture time in RFC 3339 (seconds, `Z` for UTC).
    pub fn rfc3339(&self) -> String {
        self.time.to_rfc3339_opts(SecondsFormat::Secs, true)
    }
}

/// One change: a version of a source and the version before it.
#[derive(Debug, Clone)]
pub struct Change {
    pub source: SourceId,
    /// The publication's URL: the one tracked in `redline.toml`, else the
    /// canonical URL the page declares. Untrusted when it comes from the
    /// page; renderers link it only when it is http(s).
    pub url: Option<String>,
    /// The new version's title ("(untitled)" when it has none).
    pub title: String,
    /// The version before; `None` for a first capture.
    pub old: Option<VersionRef>,
    pub new: VersionRef,
    /// One line: "2 paragraphs edited; related +1", or "first capture".
    pub summary: String,
    /// The previous and next changes of the same source in the report.
    pub previous_in_report: Option<VersionRef>,
    pub next_in_report: Option<VersionRef>,
}

impl Change {
    pub fn is_first_capture(&self) -> bool {
        self.old.is_none()
    }
}

/// What a visitor of [`walk`] sees for each change.
#[derive(Debug)]
pub struct ChangeView<'a> {
    pub change: &'a Change,
    /// The redline; `None` for a first capture.
    pub diff: Option<&'a DocDiff>,
    /// The previous version's document; `None` for a first capture.
    pub old: Option<&'a Document>,
    pub new: &'a Document,
}

/// A source as a report lists it.
#[derive(Debug, Clone)]
pub struct SourceInfo {
    pub id: SourceId,
    pub url: Option<String>,
    /// The title of its latest version in the period, else of its latest
    /// version.
    pub title: String,
    /// Versions recorded in all.
    pub versions: usize,
    /// Its changes in the period, newest first.
    pub changes: Vec<Change>,
}

/// The versions of `source` that a report may show, newest first.
///
/// Every recorded version counts today. Versions that do not record an
/// edit of the publication (a re-normalization of stored history, say) are
/// to be filtered out here, and only here.
pub fn reportable_versions(store: &Store, source: &SourceId) -> Result<Vec<Version>, StoreError> {
    store.versions(source)
}

/// Reads the changes of `selection` from `store`, source by source, oldest
/// first within a source, calling `visit` for each; returns every selected
/// source (those without changes in the period too), sorted by id.
///
/// `urls` maps source ids to the URLs tracked in `redline.toml`.
pub fn walk<E>(
    store: &Store,
    selection: &Selection,
    urls: &HashMap<String, String>,
    mut visit: impl FnMut(ChangeView) -> Result<(), E>,
) -> Result<Vec<SourceInfo>, E>
where
    E: From<StoreError>,
{
    let ids = if selection.sources.is_empty() {
        store.sources()?
    } else {
        let mut ids = selection.sources.clone();
        ids.sort();
        ids.dedup();
        ids
    };
    let mut infos = Vec::with_capacity(ids.len());
    for id in ids {
        let versions = reportable_versions(store, &id)?;
        if versions.is_empty() {
            // Asked for by name but never recorded: the store's own error
            // names the known sources.
            match store.resolve(&id, &crate::store::RevSpec::Back(0)) {
                Err(e) => return Err(e.into()),
                Ok(_) => continue,
            }
        }
        // Chronological order; `range` holds the positions in the period.
        let chrono: Vec<&Version> = versions.iter().rev().collect();
        let range: Vec<usize> = (0..chrono.len())
            .filter(|&i| selection.contains(&chrono[i].time))
            .collect();
        let tracked_url = urls.get(id.as_str()).cloned();
        let mut changes = Vec::with_capacity(range.len());
        let mut previous: Option<Document> = match range.first() {
            Some(&first) if first > 0 => Some(store.document_at(&id, chrono[first - 1])?),
            _ => None,
        };
        for (k, &i) in range.iter().enumerate() {
            let new_doc = store.document_at(&id, chrono[i])?;
            let d = previous
                .as_ref()
                .map(|old| diff(old, &new_doc, &DiffOptions::default()));
            let change = Change {
                source: id.clone(),
                url: tracked_url
                    .clone()
                    .or_else(|| new_doc.meta.canonical_url.clone()),
                title: title_of(&new_doc),
                old: (i > 0).then(|| VersionRef::of(chrono[i - 1])),
                new: VersionRef::of(chrono[i]),
                summary: match &d {
                    Some(d) => summary_line(d),
                    None => "first capture".to_string(),
                },
                previous_in_report: k.checked_sub(1).map(|p| VersionRef::of(chrono[range[p]])),
                next_in_report: range.get(k + 1).map(|&n| VersionRef::of(chrono[n])),
            };
            visit(ChangeView {
                change: &change,
                diff: d.as_ref(),
                old: previous.as_ref(),
                new: &new_doc,
            })?;
            changes.push(change);
            previous = Some(new_doc);
        }
        changes.reverse();
        let (title, url) = match changes.first() {
            Some(c) => (c.title.clone(), c.url.clone()),
            None => {
                let doc = store.document_at(&id, &versions[0])?;
                let url = tracked_url.or_else(|| doc.meta.canonical_url.clone());
                (title_of(&doc), url)
            }
        };
        infos.push(SourceInfo {
            id,
            url,
            title,
            versions: versions.len(),
            changes,
        });
    }
    Ok(infos)
}

/// All changes of `sources`, newest first (ties by source id): the order of
/// every report format.
pub fn newest_first(sources: &[SourceInfo]) -> Vec<&Change> {
    let mut all: Vec<&Change> = sources.iter().flat_map(|s| &s.changes).collect();
    all.sort_by(|a, b| {
        b.new
            .time
            .cmp(&a.new.time)
            .then_with(|| a.source.cmp(&b.source))
    });
    all
}

fn title_of(doc: &Document) -> String {
    doc.meta
        .title
        .clone()
        .unwrap_or_else(|| "(untitled)".to_string())
}

/// `url` when it is an absolute http(s) URL safe to put in a link (no
/// spaces, no control characters); page-declared URLs such as
/// `javascript:` never become links.
pub fn http_url(url: &str) -> Option<&str> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let ok = (lower.starts_with("http://") || lower.starts_with("https://"))
        && url.len() > 8
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(url)
}

/// Where the pages of a report live in a site, relative to its top folder:
/// `sources/<id>/index.html` (timeline) and `sources/<id>/<short id>.html`
/// (one change). Source ids are already safe folder names ([`SourceId`]);
/// they sit under `sources/` so that no id can collide with `index.html` or
/// `feed.atom` at the top.
pub fn timeline_path(source: &SourceId) -> String {
    format!("sources/{source}/index.html")
}

/// See [`timeline_path`].
pub fn change_path(source: &SourceId, version: &VersionRef) -> String {
    format!("sources/{source}/{}.html", version.short_id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_urls_become_links() {
        assert!(http_url("https://example.org/a?b=1").is_some());
        assert!(http_url("HTTP://example.org/").is_some());
        for bad in [
            "javascript:alert(1)",
            "data:text/html,x",
            "https://",
            "https://a b",
            "//example.org",
            "ftp://x",
        ] {
            assert!(http_url(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_period_includes_both_days() {
        let sel = Selection {
            since: NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
            until: NaiveDate::from_ymd_opt(2025, 6, 30),
            sources: Vec::new(),
        };
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap();
        assert!(sel.contains(&t("2025-06-01T00:00:00Z")));
        assert!(sel.contains(&t("2025-06-30T23:59:59Z")));
        // 01:00 on July 1st at +02:00 is still June 30th in UTC.
        assert!(sel.contains(&t("2025-07-01T01:00:00+02:00")));
        assert!(!sel.contains(&t("2025-05-31T23:59:59Z")));
        assert!(!sel.contains(&t("2025-07-01T00:00:00Z")));
    }
}
