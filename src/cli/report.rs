//! `redline report`: the changes of a period as an Atom feed, a static HTML
//! site or JSON.
//!
//! This layer reads the user's choices (the period, the sources, where to
//! write), walks the store once through [`crate::report::walk`] feeding the
//! format's builder, and writes what the builders return: to standard
//! output, to a file, or (the site) into a folder. Files are written to a
//! temporary name and renamed, so a feed reader or web server never sees a
//! half-written file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};

use super::Output;
use super::args::ReportFormat;
use super::commands::{Ctx, absolute};
use crate::error::Error;
use crate::exit_codes;
use crate::report::atom::{FeedBuilder, FeedOptions, feed_id};
use crate::report::json::JsonBuilder;
use crate::report::site::{self, period};
use crate::report::{Selection, SourceInfo, http_url, walk};
use crate::store::{SourceId, config};

/// What the user asked for.
pub(super) struct ReportArgs {
    pub sources: Vec<String>,
    pub since: String,
    pub until: Option<String>,
    pub format: ReportFormat,
    pub output: Option<PathBuf>,
    pub base_url: Option<String>,
}

/// Runs `redline report`.
pub(super) fn report(ctx: &Ctx, args: &ReportArgs, out: &mut Output) -> Result<i32, Error> {
    let now = Utc::now();
    let selection = Selection {
        since: parse_since(&args.since, now)?,
        until: args
            .until
            .as_deref()
            .map(|u| parse_day("--until", u))
            .transpose()?,
        sources: args
            .sources
            .iter()
            .map(|s| SourceId::parse(s))
            .collect::<Result<_, _>>()?,
    };
    if let Some(until) = selection.until
        && until < selection.since
    {
        return Err(Error::Usage(format!(
            "--until {until} is before --since {}: give a period that runs forward",
            selection.since
        )));
    }
    let base = args.base_url.as_deref().map(base_url).transpose()?;
    let output = args.output.as_ref().map(|p| absolute(&ctx.env.cwd, p));
    if args.format == ReportFormat::Html && output.is_none() {
        return Err(Error::Usage(
            "--format html writes a whole site (index, timelines, one page per change): give the folder to write it to with -o DIR".into(),
        ));
    }
    let store = ctx.store()?;
    let urls: HashMap<String, String> = config::load(store.root())?
        .sources
        .into_iter()
        .map(|s| (s.id, s.url))
        .collect();
    let mut title = format!("redline: changes {}", period(&selection));
    if !selection.sources.is_empty() {
        let ids: Vec<&str> = selection.sources.iter().map(SourceId::as_str).collect();
        title.push_str(&format!(" in {}", ids.join(", ")));
    }
    let feed_opts = |pages: Option<String>| FeedOptions {
        title: title.clone(),
        id: feed_id(
            base.as_deref(),
            &store.root().display().to_string(),
            &args.sources,
        ),
        pages,
        now,
    };

    match args.format {
        ReportFormat::Atom => {
            let mut feed = FeedBuilder::new(feed_opts(base.clone()));
            let sources = walk(&store, &selection, &urls, |view| {
                feed.push(&view);
                Ok::<_, Error>(())
            })?;
            let text = feed.finish();
            emit(output.as_deref(), &text, &sources, out)
        }
        ReportFormat::Json => {
            let mut json = JsonBuilder::new();
            let sources = walk(&store, &selection, &urls, |view| {
                json.push(&view);
                Ok::<_, Error>(())
            })?;
            let text = json.finish(&sources, &selection, now);
            emit(output.as_deref(), &text, &sources, out)
        }
        ReportFormat::Html => {
            let dir = output.expect("checked above");
            prepare_site_dir(&dir)?;
            // The feed inside the site links its pages relatively, unless
            // the site's URL is known.
            let mut feed = FeedBuilder::new(feed_opts(Some(base.clone().unwrap_or_default())));
            let sources = walk(&store, &selection, &urls, |view| {
                let (path, page) = site::change_page(&view);
                write_atomic(&dir.join(path), &page)?;
                feed.push(&view);
                Ok::<_, Error>(())
            })?;
            for s in &sources {
                let (path, page) = site::timeline_page(s, &selection);
                write_atomic(&dir.join(path), &page)?;
            }
            write_atomic(&dir.join("feed.atom"), &feed.finish())?;
            write_atomic(
                &dir.join("index.html"),
                &site::index_page(&sources, &selection),
            )?;
            out.print(&format!(
                "Wrote {} to {} (open index.html)\n",
                counts(&sources),
                dir.display()
            ))?;
            Ok(exit_codes::SUCCESS)
        }
    }
}

/// Prints `text`, or writes it to `path` and says so.
fn emit(
    path: Option<&Path>,
    text: &str,
    sources: &[SourceInfo],
    out: &mut Output,
) -> Result<i32, Error> {
    match path {
        None => out.print(text)?,
        Some(path) => {
            write_atomic(path, text)?;
            out.print(&format!(
                "Wrote {} to {}\n",
                counts(sources),
                path.display()
            ))?;
        }
    }
    Ok(exit_codes::SUCCESS)
}

fn counts(sources: &[SourceInfo]) -> String {
    let changes: usize = sources.iter().map(|s| s.changes.len()).sum();
    let noun = if changes == 1 { "change" } else { "changes" };
    format!("{changes} {noun} of {} sources", sources.len())
}

/// `--since`: a day, or `Nd` days before today (UTC).
fn parse_since(text: &str, now: DateTime<Utc>) -> Result<NaiveDate, Error> {
    if let Some(n) = text.strip_suffix('d')
        && let Ok(n) = n.parse::<u32>()
    {
        return now
            .date_naive()
            .checked_sub_days(chrono::Days::new(u64::from(n)))
            .ok_or_else(|| Error::Usage(format!("--since {text}: too far back")));
    }
    parse_day("--since", text)
}

fn parse_day(flag: &str, text: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        let days = if flag == "--since" {
            ", or Nd for N days before today"
        } else {
            ""
        };
        Error::Usage(format!(
            "{flag} {text:?} is not a day: use YYYY-MM-DD{days}"
        ))
    })
}

/// `--base-url`: an http(s) URL, ending with one `/` so page paths join it.
fn base_url(url: &str) -> Result<String, Error> {
    let url = http_url(url).ok_or_else(|| {
        Error::Usage(format!(
            "--base-url {url:?} is not an http(s) URL: give where the site is published, such as https://example.org/redline/"
        ))
    })?;
    Ok(format!("{}/", url.trim_end_matches('/')))
}

/// The site's folder must be new, empty, or an earlier report's (it has an
/// `index.html` written by redline): never another folder's files mixed
/// with the site.
fn prepare_site_dir(dir: &Path) -> Result<(), Error> {
    let io = |action: &'static str, path: &Path| {
        let path = path.display().to_string();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    };
    if dir.exists() {
        if !dir.is_dir() {
            return Err(Error::Usage(format!(
                "{} is a file: --format html writes a site into a folder; give a new or empty folder to -o",
                dir.display()
            )));
        }
        let empty = std::fs::read_dir(dir)
            .map_err(io("read", dir))?
            .next()
            .is_none();
        let earlier = std::fs::read_to_string(dir.join("index.html"))
            .is_ok_and(|t| t.contains("<meta name=\"generator\" content=\"redline "));
        if !empty && !earlier {
            return Err(Error::Usage(format!(
                "{} is not empty and holds no earlier redline report: give a new or empty folder to -o, so no other file is overwritten",
                dir.display()
            )));
        }
    }
    std::fs::create_dir_all(dir).map_err(io("create", dir))?;
    Ok(())
}

/// Writes `text` to `path` through a temporary file renamed over it;
/// creates the parent folders.
fn write_atomic(path: &Path, text: &str) -> Result<(), Error> {
    let io = |action: &'static str, p: &Path| {
        let p = p.display().to_string();
        move |source| Error::Io {
            action,
            path: p,
            source,
        }
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io("create", parent))?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, text).map_err(io("write", &tmp))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io("replace", path)(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_days_and_relative_days() {
        let now = DateTime::parse_from_rfc3339("2025-07-10T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_since("2025-06-01", now).unwrap(),
            NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()
        );
        assert_eq!(
            parse_since("30d", now).unwrap(),
            NaiveDate::from_ymd_opt(2025, 6, 10).unwrap()
        );
        let e = parse_since("last week", now).unwrap_err().to_string();
        assert!(e.contains("YYYY-MM-DD") && e.contains("Nd"), "{e}");
    }

    #[test]
    fn base_urls_must_be_http_and_end_with_a_slash() {
        assert_eq!(
            base_url("https://example.org/r").unwrap(),
            "https://example.org/r/"
        );
        assert_eq!(
            base_url("https://example.org/r/").unwrap(),
            "https://example.org/r/"
        );
        assert!(base_url("javascript:x").is_err());
    }
}
