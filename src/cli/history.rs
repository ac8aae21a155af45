//! The history commands: `blame` (paragraph provenance) and `renormalize`
//! (re-deriving every version's document with the current normalizer).
//!
//! Both read a source's versions oldest first from the store and hand plain
//! documents to the stages: `history::blame` for blame, `normalize` for
//! re-normalization. Output formats of blame: one line per block for people,
//! `--json` as documented in `docs/json-blame.md`.

use std::io::Write;

use chrono::Utc;
use serde::Serialize;
use unicode_width::UnicodeWidthChar;

use super::Output;
use super::commands::{Ctx, profile_choice};
use crate::diff::{DiffOptions, diff};
use crate::error::Error;
use crate::exit_codes;
use crate::history::blame::{Blame, Blamer, Revision};
use crate::normalize::{ProfileChoice, Profiles, normalize};
use crate::render::{json::to_json, sanitize, summary::summary_line};
use crate::store::{self, NORMALIZER, RENORMALIZED_FROM, RevSpec, SourceId, Store, Version};

/// Version of the `blame --json` shape.
pub const BLAME_SCHEMA: u32 = 1;

/// `redline blame ID[@REV] [--json] [--width N]`.
pub(super) fn blame(
    ctx: &Ctx,
    target: &str,
    json: bool,
    width: Option<usize>,
    out: &mut Output,
) -> Result<i32, Error> {
    let store = ctx.store()?;
    let (id, spec) = match target.split_once('@') {
        Some((id, rev)) => (id, RevSpec::parse(rev).map_err(Error::Usage)?),
        None => (target, RevSpec::Back(0)),
    };
    let id = SourceId::parse(id)?;
    let version = store.resolve(&id, &spec)?;
    let versions = store.versions(&id)?;
    let at = versions
        .iter()
        .position(|v| v.id == version.id)
        .unwrap_or(0);
    let mut blamer = Blamer::new();
    for v in versions[at..].iter().rev() {
        let doc = store.document_at(&id, v)?;
        blamer.push(
            Revision {
                id: v.id.clone(),
                time: v.time,
            },
            doc.body,
        );
    }
    let blame = blamer.finish();
    if json {
        out.print(&to_json(&blame_json(&id, &version, &blame)))?;
    } else {
        let width = match width {
            Some(0) => None,
            Some(w) => Some(w),
            None => ctx.env.terminal_width,
        };
        out.print(&blame_text(&blame, width))?;
    }
    Ok(exit_codes::SUCCESS)
}

/// A revision in blame's JSON.
#[derive(Serialize)]
struct JsonRevision<'a> {
    revision: &'a str,
    time: String,
}

#[derive(Serialize)]
struct JsonBlock<'a> {
    index: usize,
    kind: &'static str,
    section: Option<&'a str>,
    text: &'a str,
    since: JsonRevision<'a>,
    first_published: JsonRevision<'a>,
    last_edited: Option<JsonRevision<'a>>,
    last_moved: Option<JsonRevision<'a>>,
    edits: usize,
}

#[derive(Serialize)]
struct JsonBlame<'a> {
    schema: u32,
    source: &'a str,
    version: JsonRevision<'a>,
    versions_read: usize,
    blocks: Vec<JsonBlock<'a>>,
}

fn blame_json<'a>(id: &'a SourceId, version: &'a Version, blame: &'a Blame) -> JsonBlame<'a> {
    let rev = |i: usize| {
        let r = blame.revision(i);
        JsonRevision {
            revision: &r.id,
            time: r.time.to_rfc3339(),
        }
    };
    JsonBlame {
        schema: BLAME_SCHEMA,
        source: id.as_str(),
        version: JsonRevision {
            revision: &version.id,
            time: version.time.to_rfc3339(),
        },
        versions_read: blame.revisions.len(),
        blocks: blame
            .blocks
            .iter()
            .enumerate()
            .map(|(index, b)| {
                let p = &b.provenance;
                JsonBlock {
                    index,
                    kind: b.block.kind.as_str(),
                    section: b.block.section.as_deref(),
                    text: &b.block.text,
                    since: rev(p.since),
                    first_published: rev(p.first_published),
                    last_edited: p.last_edited.map(rev),
                    last_moved: p.last_moved.map(rev),
                    edits: p.edits,
                }
            })
            .collect(),
    }
}

/// One line per block: the revision and day its wording dates from, the day
/// the block first appeared when that is earlier, then the text (headings
/// as `## `), cut to `width` columns when there is one.
fn blame_text(blame: &Blame, width: Option<usize>) -> String {
    let mut text = String::new();
    for b in &blame.blocks {
        let p = &b.provenance;
        let since = blame.revision(p.since);
        let short = &since.id[..since.id.len().min(10)];
        let first = if p.first_published == p.since {
            " ".repeat(16)
        } else {
            format!(
                "first {}",
                blame.revision(p.first_published).time.format("%Y-%m-%d")
            )
        };
        let gutter = format!("{short} {} {first}  ", since.time.format("%Y-%m-%d"));
        let heading = if b.block.kind == crate::document::BlockKind::Heading {
            "## "
        } else {
            ""
        };
        let body = sanitize(&format!("{heading}{}", b.block.text));
        let body = match width {
            Some(w) => truncate(&body, w.saturating_sub(gutter.chars().count())),
            None => body,
        };
        text.push_str(&gutter);
        text.push_str(&body);
        text.push('\n');
    }
    text
}

/// `text` cut to at most `columns` terminal columns, ending in "…" when cut.
fn truncate(text: &str, columns: usize) -> String {
    let total: usize = text.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= columns {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > columns {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// `redline renormalize [ID...]`.
pub(super) fn renormalize(
    ctx: &Ctx,
    ids: &[String],
    profile: &super::args::ProfileArg,
    out: &mut Output,
    err: &mut dyn Write,
) -> Result<i32, Error> {
    let store = ctx.store()?;
    let ids = if ids.is_empty() {
        store.sources()?
    } else {
        ids.iter()
            .map(|s| SourceId::parse(s))
            .collect::<Result<_, _>>()?
    };
    let config = store::config::load(store.root())?;
    let (base, cli_choice) = profile_choice(ctx.profiles(Some(&store))?, profile, &ctx.env.cwd)?;
    let normalizer = format!("redline {}", env!("CARGO_PKG_VERSION"));
    let mut failed = 0;
    for id in ids {
        let (profiles, choice) = match &profile.profile {
            Some(_) => (base.clone(), cli_choice.clone()),
            None => source_profile(&store, &config, &id, base.clone())?,
        };
        match renormalize_source(&store, &id, &profiles, &choice, &normalizer, err) {
            Ok((line, kept)) => {
                out.print(&line)?;
                if kept > 0 {
                    failed += 1;
                }
            }
            Err(e) => {
                failed += 1;
                let _ = writeln!(err, "redline: error: {id}: {e}");
            }
        }
    }
    Ok(if failed > 0 {
        exit_codes::TROUBLE
    } else {
        exit_codes::SUCCESS
    })
}

/// The profiles and choice a tracked source is normalized with, as its
/// `redline.toml` entry says (`profile`, `select`, `remove`); sources that
/// are not tracked (imported captures) choose by page.
fn source_profile(
    store: &Store,
    config: &store::config::Config,
    id: &SourceId,
    mut profiles: Profiles,
) -> Result<(Profiles, ProfileChoice), Error> {
    let Some(spec) = config.source(id) else {
        return Ok((profiles, ProfileChoice::Auto));
    };
    let choice = super::tracking::source_profile(store, spec, None, &mut profiles)?;
    Ok((profiles, choice))
}

/// Re-derives every version of `id` (oldest first) and records those that
/// differ from how they are read now. If anything was recorded, the last
/// commit is the latest version's, so the source's folder at the head is
/// its latest version, re-derived (the next snapshot compares with that).
fn renormalize_source(
    store: &Store,
    id: &SourceId,
    profiles: &Profiles,
    choice: &ProfileChoice,
    normalizer: &str,
    err: &mut dyn Write,
) -> Result<(String, usize), Error> {
    let versions = store.versions(id)?;
    if versions.is_empty() {
        return Err(store.resolve(id, &RevSpec::Back(0)).unwrap_err().into());
    }
    let now = Utc::now().fixed_offset();
    let mut recorded = 0;
    let mut last_recorded: Option<String> = None;
    let mut skipped = 0;
    for v in versions.iter().rev() {
        let current = store.document_at(id, v)?;
        let capture = store.capture_at(id, v)?;
        let doc = match normalize(&capture, profiles, choice) {
            Ok(doc) => doc,
            Err(e) => {
                skipped += 1;
                let _ = writeln!(
                    err,
                    "redline: error: {id}: version {} ({}) could not be re-derived and is kept as recorded: {e}",
                    v.short_id(),
                    v.time.format("%Y-%m-%d")
                );
                continue;
            }
        };
        if Store::digest(&doc) == Store::digest(&current) {
            continue;
        }
        let d = diff(&current, &doc, &DiffOptions::default());
        let message = renormalization_message(id, v, &summary_line(&d), normalizer, &d);
        store.record_renormalized(id, v, &doc, &message, now)?;
        recorded += 1;
        last_recorded = Some(v.id.clone());
    }
    let latest = &versions[0];
    if last_recorded.as_ref().is_some_and(|l| *l != latest.id) {
        // The head's folder must hold the latest version again.
        let doc = store.document_at(id, latest)?;
        let message = renormalization_message(
            id,
            latest,
            "unchanged",
            normalizer,
            &diff(&doc, &doc, &DiffOptions::default()),
        );
        store.record_renormalized(id, latest, &doc, &message, now)?;
    }
    let kept = if skipped > 0 {
        format!("; {skipped} could not be re-derived and were kept as recorded")
    } else {
        String::new()
    };
    let line = if recorded == 0 {
        format!(
            "{id}: all {} versions re-derive as stored; nothing recorded{kept}\n",
            versions.len()
        )
    } else {
        format!(
            "{id}: {recorded} of {} versions re-derived differently, recorded as re-normalization commits ({normalizer}){kept}\n",
            versions.len()
        )
    };
    Ok((line, skipped))
}

/// `versions` (newest first) as `log` shows them: once a source has been
/// re-normalized, each version's summary and `Redline-Stats` are computed
/// again from the re-derived documents (marked "as re-derived"); otherwise
/// they are the recorded ones.
pub(super) fn log_versions(
    store: &Store,
    id: &SourceId,
    versions: Vec<Version>,
) -> Result<Vec<Version>, Error> {
    if !store
        .history(id)?
        .iter()
        .any(|e| e.renormalized_from.is_some())
    {
        return Ok(versions);
    }
    let docs = versions
        .iter()
        .map(|v| store.document_at(id, v))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(versions
        .into_iter()
        .enumerate()
        .map(|(i, mut v)| {
            let (summary, stats) = match docs.get(i + 1) {
                Some(older) => {
                    let d = diff(older, &docs[i], &DiffOptions::default());
                    (
                        summary_line(&d),
                        serde_json::to_string(&d.stats).unwrap_or_default(),
                    )
                }
                None => (
                    format!(
                        "first version ({} blocks, {} related)",
                        docs[i].body.len(),
                        docs[i].related.len()
                    ),
                    "{}".to_string(),
                ),
            };
            v.summary = format!("{id}: {summary} (as re-derived)");
            let trailers: String = v
                .message
                .lines()
                .filter(|l| l.starts_with("Redline-") && !l.starts_with("Redline-Stats:"))
                .map(|l| format!("{l}\n"))
                .collect();
            v.message = format!("{}\n\n{trailers}Redline-Stats: {stats}\n", v.summary);
            v
        })
        .collect())
}

/// The message of a re-normalization commit: what re-deriving changed, and
/// the trailers that mark it as a re-normalization.
fn renormalization_message(
    id: &SourceId,
    original: &Version,
    summary: &str,
    normalizer: &str,
    d: &crate::diff::DocDiff,
) -> String {
    format!(
        "{id}: re-normalized {} of {}: {summary}\n\nRedline-Source: {id}\n{RENORMALIZED_FROM}: {}\n{NORMALIZER}: {normalizer}\nRedline-Captured-At: {}\nRedline-Stats: {}\n",
        original.short_id(),
        original.time.format("%Y-%m-%d"),
        original.id,
        original.time.to_rfc3339(),
        serde_json::to_string(&d.stats).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_counts_columns_and_marks_the_cut() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("abcdefghij", 5), "abcd…");
        // Wide characters take two columns each.
        assert_eq!(truncate("日本語の文章", 5), "日本…");
    }
}
