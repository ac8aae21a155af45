//! The tracking commands: `add`, `remove`, `list`, the batch `snapshot`
//! (and its one-off `snapshot URL`), and fetching for `normalize URL`.
//!
//! These turn clap values and `redline.toml` into the batch's own options
//! ([`BatchOptions`], [`HttpOptions`], [`Job`]) and print its report; the
//! work itself is in [`crate::batch`].

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::time::Duration;

use super::Output;
use super::args::{BatchArgs, ProfileArg};
use super::commands::{Ctx, profile_choice};
use crate::batch::shard::Shard;
use crate::batch::{self, BatchOptions, BatchReport, Job, SourceReport};
use crate::error::Error;
use crate::exit_codes;
use crate::fetch::http::{self, Client, Fetched, HttpOptions, Request};
use crate::fetch::{Capture, FetchError};
use crate::normalize::ProfileChoice;
use crate::render::json::to_json;
use crate::store::config::{self, FetchSettings, SourceSpec};
use crate::store::state;
use crate::store::{STORE_MARKER, SourceId, Store};

/// `[fetch]` settings as the HTTP client's options.
pub(super) fn http_options(f: &FetchSettings) -> HttpOptions {
    let d = HttpOptions::default();
    HttpOptions {
        connect_timeout: f
            .connect_timeout_secs
            .map_or(d.connect_timeout, Duration::from_secs),
        timeout: f.timeout_secs.map_or(d.timeout, Duration::from_secs),
        max_redirects: f.max_redirects.unwrap_or(d.max_redirects),
        max_bytes: f.max_bytes.unwrap_or(d.max_bytes),
        retries: f.retries.unwrap_or(d.retries),
        retry_delay: f
            .retry_delay_ms
            .map_or(d.retry_delay, Duration::from_millis),
        max_retry_after: f
            .max_retry_after_secs
            .map_or(d.max_retry_after, Duration::from_secs),
        min_host_interval: f
            .min_interval_ms
            .map_or(d.min_host_interval, Duration::from_millis),
        contact: f.contact.clone(),
    }
}

/// Fetches one URL for `normalize URL` (one attempt's worth of patience:
/// the store's `[fetch]` settings when there is a store).
pub(super) fn fetch_url(store: Option<&Store>, url: &str) -> Result<Capture, Error> {
    let settings = match store {
        Some(store) => config::load(store.root())?.fetch,
        None => FetchSettings::default(),
    };
    let client = Client::new(http_options(&settings));
    match client.fetch(&Request {
        url: url.to_string(),
        ..Request::default()
    })? {
        Fetched::Page(capture) => Ok(capture),
        Fetched::NotModified { .. } => Err(Error::Fetch(FetchError::Http {
            url: url.to_string(),
            message: "the server answered 304 Not Modified to an unconditional request".into(),
        })),
    }
}

/// A readable id for a URL: host (without `www.`) and path, slugified.
fn id_for_url(url: &str) -> Option<SourceId> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.strip_prefix("www.").unwrap_or(rest);
    let rest = rest.split('#').next().unwrap_or(rest);
    SourceId::slugify(rest.trim_end_matches('/'))
}

fn parse_header(text: &str) -> Result<(String, String), Error> {
    let (name, value) = text.split_once(':').ok_or_else(|| {
        Error::Usage(format!(
            "--header {text:?} is not 'Name: value' (for example --header 'Accept-Language: en')"
        ))
    })?;
    let (name, value) = (name.trim(), value.trim());
    config::check_header(name, value).map_err(Error::Usage)?;
    Ok((name.to_string(), value.to_string()))
}

#[allow(clippy::too_many_arguments)]
pub(super) fn add(
    ctx: &Ctx,
    url: String,
    id: Option<String>,
    profile: Option<String>,
    select: Vec<String>,
    remove: Vec<String>,
    header: Vec<String>,
    out: &mut Output,
) -> Result<i32, Error> {
    let store = ctx.store()?;
    http::check_url(&url)?;
    let id = match id {
        Some(id) => SourceId::parse(&id)?,
        None => id_for_url(&url).ok_or_else(|| {
            Error::Usage(format!("cannot make a source id from {url}; pass --id ID"))
        })?,
    };
    let headers: BTreeMap<String, String> = header
        .iter()
        .map(|h| parse_header(h))
        .collect::<Result<_, _>>()?;
    let existing = config::load(store.root())?;
    if let Some(same) = existing.sources.iter().find(|s| s.id == id.as_str()) {
        return Err(Error::Usage(format!(
            "a source with id {id} is already tracked ({}); pick another with --id, or `redline remove {id}` first",
            same.url
        )));
    }
    if let Some(same) = existing.sources.iter().find(|s| s.url == url) {
        return Err(Error::Usage(format!(
            "{url} is already tracked as {}",
            same.id
        )));
    }
    // Bad selectors are refused now, not on the first nightly run.
    if !select.is_empty() || !remove.is_empty() {
        let mut profiles = crate::normalize::Profiles::builtin();
        let generic = profiles.generic().clone();
        profiles.add_source_overrides(id.as_str(), &generic, &select, &remove)?;
    }
    let spec = SourceSpec {
        id: id.to_string(),
        url: url.clone(),
        profile,
        select,
        remove,
        headers,
    };
    let path = store.root().join(STORE_MARKER);
    let text = super::commands::read_to_string(&path)?;
    let text = config::with_source_added(&text, &spec)
        .map_err(|m| Error::Usage(format!("{}: {m}; fix it and run again", path.display())))?;
    // Check what will be committed parses as a whole.
    config::parse(&path.display().to_string(), &text)?;
    store.commit_config(
        &text,
        &format!("redline: track {id}\n\nRedline-Source: {id}\nRedline-Url: {url}\n"),
    )?;
    out.print(&format!(
        "tracking {id}: {}\n",
        crate::render::sanitize(&url)
    ))?;
    Ok(exit_codes::SUCCESS)
}

pub(super) fn remove(ctx: &Ctx, id: &str, out: &mut Output) -> Result<i32, Error> {
    let store = ctx.store()?;
    let id = SourceId::parse(id)?;
    let path = store.root().join(STORE_MARKER);
    let text = super::commands::read_to_string(&path)?;
    config::parse(&path.display().to_string(), &text)?;
    let text = config::with_source_removed(&text, id.as_str())
        .map_err(|m| Error::Usage(format!("{}: {m}", path.display())))?
        .ok_or_else(|| {
            Error::Usage(format!(
                "no tracked source {id} in {}; `redline list` shows the tracked ones",
                path.display()
            ))
        })?;
    store.commit_config(
        &text,
        &format!("redline: stop tracking {id}\n\nRedline-Source: {id}\n"),
    )?;
    let (mut run_state, _) = state::load(&store.state_dir());
    if run_state.sources.remove(id.as_str()).is_some() {
        state::save(&store.state_dir(), &run_state)?;
    }
    out.print(&format!(
        "stopped tracking {id}; its versions stay in the store's history\n"
    ))?;
    Ok(exit_codes::SUCCESS)
}

pub(super) fn list(ctx: &Ctx, json: bool, out: &mut Output) -> Result<i32, Error> {
    let store = ctx.store()?;
    let config = config::load(store.root())?;
    let (run_state, _) = state::load(&store.state_dir());
    let rows: Vec<serde_json::Value> = config
        .sources
        .iter()
        .map(|s| {
            let st = run_state.sources.get(&s.id).cloned().unwrap_or_default();
            serde_json::json!({
                "source": s.id,
                "url": s.url,
                "profile": s.profile,
                "last_checked": st.last_checked,
                "last_changed": st.last_changed,
                "last_status": st.last_status,
                "http_status": st.http_status,
                "message": st.last_error,
            })
        })
        .collect();
    if json {
        out.print(&to_json(&rows))?;
        return Ok(exit_codes::SUCCESS);
    }
    if rows.is_empty() {
        out.print("no tracked sources; add one with `redline add URL`\n")?;
        return Ok(exit_codes::SUCCESS);
    }
    let day = |v: &serde_json::Value| {
        v.as_str()
            .map(|t| t.get(..16).unwrap_or(t).replace('T', " "))
            .unwrap_or_else(|| "never".into())
    };
    let width = config.sources.iter().map(|s| s.id.len()).max().unwrap_or(2);
    out.print(&format!(
        "{:width$}  {:16}  {:16}  {:12}  URL\n",
        "ID", "CHECKED", "CHANGED", "STATUS"
    ))?;
    for r in &rows {
        out.print(&crate::render::sanitize(&format!(
            "{:width$}  {:16}  {:16}  {:12}  {}",
            r["source"].as_str().unwrap_or(""),
            day(&r["last_checked"]),
            day(&r["last_changed"]),
            r["last_status"].as_str().unwrap_or("-"),
            r["url"].as_str().unwrap_or(""),
        )))?;
        out.print("\n")?;
    }
    Ok(exit_codes::SUCCESS)
}

/// The batch `snapshot`: tracked ids (default all) or one-off URLs.
pub(super) fn snapshot(
    ctx: &Ctx,
    targets: &[String],
    source: Option<&str>,
    profile: &ProfileArg,
    args: &BatchArgs,
    out: &mut Output,
    err: &mut dyn Write,
) -> Result<i32, Error> {
    let shard = args
        .shard
        .as_deref()
        .map(Shard::parse)
        .transpose()
        .map_err(Error::Usage)?;
    if shard.is_some() && !targets.is_empty() {
        return Err(Error::Usage(
            "--shard picks this machine's share of all tracked sources; give either --shard K/N or source ids and URLs, not both".into(),
        ));
    }
    let mut store = ctx.store()?;
    let config = config::load(store.root())?;
    let (profiles, cli_choice) =
        profile_choice(ctx.profiles(Some(&store))?, profile, &ctx.env.cwd)?;
    let mut profiles = profiles;
    let mut jobs: Vec<Job> = Vec::new();
    let urls: Vec<&String> = targets.iter().filter(|t| http::is_url(t)).collect();
    if !urls.is_empty() && urls.len() != targets.len() {
        return Err(Error::Usage(
            "give either source ids or URLs to `redline snapshot`, not both".into(),
        ));
    }
    if source.is_some() && urls.len() != 1 {
        return Err(Error::Usage(
            "--source ID names the source of one URL or one capture file; for tracked sources give their ids".into(),
        ));
    }
    let job_for =
        |spec: &SourceSpec, profiles: &mut crate::normalize::Profiles| -> Result<Job, Error> {
            let cli = profile.profile.is_some().then_some(&cli_choice);
            let choice = source_profile(&store, spec, cli, profiles)?;
            Ok(Job {
                id: SourceId::parse(&spec.id)?,
                url: spec.url.clone(),
                headers: spec.headers.clone().into_iter().collect(),
                profile: choice,
            })
        };
    if !urls.is_empty() {
        for url in urls {
            http::check_url(url)?;
            let spec = match config.sources.iter().find(|s| &s.url == url) {
                Some(spec) if source.is_none_or(|s| s == spec.id) => spec.clone(),
                _ => {
                    let id = match source {
                        Some(s) => SourceId::parse(s)?,
                        None => id_for_url(url).ok_or_else(|| {
                            Error::Usage(format!(
                                "cannot make a source id from {url}; pass --source ID"
                            ))
                        })?,
                    };
                    SourceSpec {
                        id: id.to_string(),
                        url: url.clone(),
                        profile: None,
                        select: Vec::new(),
                        remove: Vec::new(),
                        headers: BTreeMap::new(),
                    }
                }
            };
            jobs.push(job_for(&spec, &mut profiles)?);
        }
    } else if targets.is_empty() {
        for spec in &config.sources {
            if shard.is_none_or(|s| s.contains(&spec.id)) {
                jobs.push(job_for(spec, &mut profiles)?);
            }
        }
        if let Some(shard) = shard
            && jobs.is_empty()
            && !config.sources.is_empty()
        {
            out.print(&format!(
                "shard {shard} holds none of the {} tracked sources\n",
                config.sources.len()
            ))?;
            return Ok(exit_codes::SUCCESS);
        }
        if jobs.is_empty() {
            out.print("no tracked sources; add one with `redline add URL`\n")?;
            return Ok(exit_codes::SUCCESS);
        }
    } else {
        for target in targets {
            let id = SourceId::parse(target)?;
            let spec = config.source(&id).ok_or_else(|| {
                let known: Vec<&str> = config.sources.iter().map(|s| s.id.as_str()).collect();
                Error::Usage(format!(
                    "{id} is not a tracked source (known: {}); `redline add URL --id {id}` tracks it",
                    if known.is_empty() { "none".to_string() } else { known.join(", ") }
                ))
            })?;
            jobs.push(job_for(spec, &mut profiles)?);
        }
    }
    let accept: HashSet<SourceId> = args
        .accept
        .iter()
        .map(|a| SourceId::parse(a))
        .collect::<Result<_, _>>()?;
    let fetch = &config.fetch;
    let options = BatchOptions {
        jobs: args.jobs.or(fetch.jobs).unwrap_or(4).max(1),
        flip_flop_window: fetch.flip_flop_window.unwrap_or(5),
        shrink_guard: fetch.shrink_guard.unwrap_or(0.5),
        accept,
    };
    let client = Client::new(http_options(fetch));
    let total = jobs.len();
    let lines = !args.quiet && !args.json;
    let bar = ctx.env.stderr_is_terminal && !args.quiet && !args.json;
    let mut print_error = None;
    let report = batch::run(
        &mut store,
        &client,
        &profiles,
        &jobs,
        &options,
        &mut |r: &SourceReport, done| {
            if bar {
                let _ = write!(err, "{}", crate::render::style::CLEAR_LINE);
            }
            if lines
                && print_error.is_none()
                && let Err(e) = out.print(&format!("{}\n", r.line()))
            {
                print_error = Some(e);
            }
            if bar {
                let _ = write!(err, "{}", progress_bar(done, total, &r.source));
                let _ = err.flush();
            }
        },
    )?;
    if bar {
        let _ = write!(err, "{}", crate::render::style::CLEAR_LINE);
    }
    for w in &report.warnings {
        let _ = writeln!(err, "redline: warning: {w}");
    }
    if let Some(e) = print_error {
        return Err(e);
    }
    if args.json {
        out.print(&to_json(&report))?;
    } else {
        out.print(&report.summary())?;
    }
    Ok(exit_code(&report, args.exit_code))
}

/// 2 when a source failed; with `--exit-code`, 1 when something changed.
fn exit_code(report: &BatchReport, exit_code_flag: bool) -> i32 {
    if report.counts.failed > 0 {
        exit_codes::TROUBLE
    } else if exit_code_flag && report.anything_changed() {
        exit_codes::DIFFERENCES
    } else {
        exit_codes::SUCCESS
    }
}

fn progress_bar(done: usize, total: usize, last: &str) -> String {
    const WIDTH: usize = 30;
    let filled = done * WIDTH / total.max(1);
    let last: String = crate::render::sanitize(last).chars().take(40).collect();
    format!(
        "[{}{}] {done}/{total} {last}",
        "#".repeat(filled),
        " ".repeat(WIDTH - filled)
    )
}

/// The profile a tracked source is normalized with: `cli` (a `--profile`
/// given on the command line) when there is one, else what its
/// `redline.toml` entry says (`profile`, a built-in name or a TOML file in
/// the store's `profiles/`, which is loaded into `profiles`; none: chosen by
/// page), refined by the entry's own `select`/`remove`.
pub(super) fn source_profile(
    store: &Store,
    spec: &SourceSpec,
    cli: Option<&ProfileChoice>,
    profiles: &mut crate::normalize::Profiles,
) -> Result<ProfileChoice, Error> {
    let choice = match (&spec.profile, cli) {
        (_, Some(choice)) => choice.clone(),
        (None, None) => ProfileChoice::Auto,
        (Some(name), None) if name.ends_with(".toml") => {
            let path = store.root().join(crate::store::PROFILES_DIR).join(name);
            let text = super::commands::read_to_string(&path)?;
            *profiles = profiles
                .clone()
                .with_user_profile(&path.display().to_string(), &text)?;
            ProfileChoice::Named(
                profiles
                    .sites()
                    .last()
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
            )
        }
        (Some(name), None) => ProfileChoice::Named(name.clone()),
    };
    if spec.select.is_empty() && spec.remove.is_empty() {
        return Ok(choice);
    }
    let base = match &choice {
        ProfileChoice::Named(name) => profiles.by_name(name),
        ProfileChoice::Auto => {
            crate::fetch::url_host(&spec.url).and_then(|h| profiles.for_host(&h))
        }
    }
    .unwrap_or_else(|| profiles.generic())
    .clone();
    Ok(ProfileChoice::Named(profiles.add_source_overrides(
        &spec.id,
        &base,
        &spec.select,
        &spec.remove,
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_urls_are_readable() {
        assert_eq!(
            id_for_url("https://www.inss.org.il/publication/defense-treaty/")
                .unwrap()
                .as_str(),
            "inss-org-il-publication-defense-treaty"
        );
        assert_eq!(
            id_for_url("http://127.0.0.1:8080/../../etc/passwd")
                .unwrap()
                .as_str(),
            "127-0-0-1-8080-etc-passwd"
        );
    }

    #[test]
    fn headers_are_name_colon_value() {
        assert_eq!(
            parse_header("Accept-Language:  en ").unwrap(),
            ("Accept-Language".into(), "en".into())
        );
        assert!(parse_header("no colon").is_err());
        assert!(parse_header("Bad Name: x").is_err());
        assert!(parse_header("X: a\nb").is_err());
    }

    #[test]
    fn progress_bar_fills() {
        assert!(progress_bar(15, 30, "a").starts_with(&format!(
            "[{}{}]",
            "#".repeat(15),
            " ".repeat(15)
        )));
    }
}
