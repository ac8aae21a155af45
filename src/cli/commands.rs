//! Each command, wired from the stages: read, normalize, store, diff, render.
//!
//! This is where user intent (clap values, environment) becomes the stages'
//! own options; nothing below this layer sees clap or the process
//! environment.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};

use super::args::{
    Cli, ColorChoice, Command, DiffFormat, DiffViewArgs, DocFormat, HistoryCommand, ProfileArg,
};
use super::{Env, Output, Pager, report, sync, tracking};
use crate::diff::{BodyKeys, DiffOptions, DocDiff, diff, diff_keyed};
use crate::document::{Document, markdown};
use crate::error::Error;
use crate::exit_codes;
use crate::fetch::{self, Capture, CaptureKind};
use crate::normalize::{self, ProfileChoice, Profiles, normalize, normalize_report};
use crate::parallel::both;
use crate::render::{html, json, json::to_json, md, stat, term};
use crate::store::{self, PROFILES_DIR, Recorded, RevSpec, SourceId, Store, Version};

pub(super) fn dispatch(
    cli: Cli,
    env: &Env,
    pager: Option<&Pager>,
    out: &mut Output,
    err: &mut dyn Write,
) -> Result<i32, Error> {
    let ctx = Ctx {
        cli_store: cli.store.clone(),
        color: cli.color,
        env,
        pager,
    };
    // Commands that write to the store hold its lock while they run.
    let writes = matches!(
        cli.command,
        Command::Snapshot { .. }
            | Command::Import { .. }
            | Command::Add { .. }
            | Command::Remove { .. }
            | Command::Push { .. }
            | Command::Pull { .. }
            | Command::History(HistoryCommand::Renormalize { .. })
    );
    let _lock = match (writes, ctx.locate()) {
        (true, Ok(root)) => {
            let mut on_wait = |h: &store::lock::Holder| {
                let _ = writeln!(
                    err,
                    "redline: waiting for another redline run (process {} on {}, since {}) to finish with the store at {}...",
                    h.pid,
                    h.host,
                    h.since,
                    root.display()
                );
            };
            let lock = store::lock::lock(&root, !cli.no_wait, &mut on_wait)?;
            // What a killed writer left half-done in the work tree.
            if let Ok(store) = Store::open(&root) {
                match store.repair_work_tree() {
                    Ok(fixed) if !fixed.is_empty() => {
                        let _ = writeln!(
                            err,
                            "redline: rewrote the work-tree folders of {} source(s) an interrupted run left out of date",
                            fixed.len()
                        );
                    }
                    Ok(_) => {}
                    Err(e) => {
                        let _ = writeln!(err, "redline: warning: {e}");
                    }
                }
            }
            Some(lock)
        }
        _ => None,
    };
    match cli.command {
        Command::Init { dir } => {
            let dir = dir.or(cli.store).unwrap_or_else(|| env.cwd.clone());
            let dir = absolute(&env.cwd, &dir);
            Store::init(&dir)?;
            out.print(&format!("Created a redline store in {}\n", dir.display()))?;
            Ok(exit_codes::SUCCESS)
        }
        Command::Normalize {
            file,
            format,
            profile,
        } => {
            let store = ctx.try_store();
            let profiles = ctx.profiles(store.as_ref())?;
            let (profiles, choice) = profile_choice(profiles, &profile, &env.cwd)?;
            let capture = if fetch::http::is_url(&file) {
                tracking::fetch_url(store.as_ref(), &file)?
            } else {
                fetch::from_file(&absolute(&env.cwd, Path::new(&file)), None)?
            };
            let normalized = normalize_report(&capture, &profiles, &choice)?;
            warn(err, &capture, &normalized.warnings);
            out.print(&format_document(&normalized.document, format))?;
            Ok(exit_codes::SUCCESS)
        }
        Command::Snapshot {
            targets,
            source,
            at,
            profile,
            batch,
        } => {
            let file = match targets.as_slice() {
                [one]
                    if !fetch::http::is_url(one)
                        && absolute(&env.cwd, Path::new(one)).is_file() =>
                {
                    PathBuf::from(one)
                }
                _ => {
                    return tracking::snapshot(
                        &ctx,
                        &targets,
                        source.as_deref(),
                        &profile,
                        &batch,
                        out,
                        err,
                    );
                }
            };
            if batch.shard.is_some() {
                return Err(Error::Usage(format!(
                    "--shard picks among the tracked sources; {} is a capture file, recorded as it is",
                    file.display()
                )));
            }
            let store = ctx.store()?;
            let source = source.ok_or_else(|| {
                Error::Usage(format!(
                    "{} is a capture file: say which source it is a version of with --source ID",
                    file.display()
                ))
            })?;
            let id = SourceId::parse(&source)?;
            let at = at.as_deref().map(parse_time).transpose()?;
            let (profiles, choice) =
                profile_choice(ctx.profiles(Some(&store))?, &profile, &env.cwd)?;
            let capture = fetch::from_file(&absolute(&env.cwd, &file), at)?;
            let outcome = record(&store, &id, &capture, &profiles, &choice, err)?;
            out.print(&outcome.line(&id))?;
            Ok(exit_codes::SUCCESS)
        }
        Command::Import {
            dir,
            source,
            init,
            patch,
            profile,
            view,
        } => {
            let dir = absolute(&env.cwd, &dir);
            let store = match (init, ctx.locate()) {
                (_, Ok(path)) => Store::open(&path)?,
                (true, Err(_)) => {
                    let target = ctx.cli_store.clone().or_else(|| env.store.clone()).ok_or_else(|| {
                        Error::Usage("--init needs --store DIR (or REDLINE_STORE) to know where to create the store".into())
                    })?;
                    let target = absolute(&env.cwd, &target);
                    let store = Store::init(&target)?;
                    out.print(&format!(
                        "Created a redline store in {}\n",
                        target.display()
                    ))?;
                    store
                }
                (false, Err(e)) => return Err(e.into()),
            };
            let id = match source {
                Some(s) => SourceId::parse(&s)?,
                None => dir
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(SourceId::slugify)
                    .ok_or_else(|| {
                        Error::Usage(format!(
                            "cannot make a source id from {}; pass --source ID",
                            dir.display()
                        ))
                    })?,
            };
            let (profiles, choice) =
                profile_choice(ctx.profiles(Some(&store))?, &profile, &env.cwd)?;
            import(
                &ctx,
                &store,
                &id,
                &dir,
                &profiles,
                &choice,
                patch.then_some(&view),
                out,
                err,
            )
        }
        Command::Add {
            url,
            id,
            profile,
            select,
            remove,
            header,
        } => tracking::add(&ctx, url, id, profile, select, remove, header, out),
        Command::Remove { id } => tracking::remove(&ctx, &id, out),
        Command::List { json } => tracking::list(&ctx, json, out),
        Command::Push { remote, quiet } => sync::push(&ctx, &remote, quiet, out),
        Command::Pull { remote, quiet } => sync::pull(&ctx, &remote, quiet, out),
        Command::Diff {
            args,
            since,
            profile,
            view,
        } => {
            let since = since.as_deref().map(parse_day).transpose()?;
            diff_command(&ctx, &args, since, &profile, &view, out)
        }
        Command::Log {
            source,
            json,
            since,
            until,
            stat,
            patch,
            context,
            width,
            all,
        } => {
            let view = DiffViewArgs {
                format: DiffFormat::Term,
                context,
                show_cosmetic: false,
                width,
                stat: false,
                no_pager: true,
            };
            let filter = LogFilter {
                since: since.as_deref().map(parse_day).transpose()?,
                until: until.as_deref().map(parse_day).transpose()?,
                stat,
                patch: patch.then_some(&view),
                all,
            };
            log(&ctx, source.as_deref(), json, &filter, out)
        }
        Command::Report {
            sources,
            since,
            until,
            format,
            output,
            base_url,
        } => report::report(
            &ctx,
            &report::ReportArgs {
                sources,
                since,
                until,
                format,
                output,
                base_url,
            },
            out,
        ),
        Command::History(HistoryCommand::Blame {
            target,
            json,
            width,
        }) => super::history::blame(&ctx, &target, json, width, out),
        Command::History(HistoryCommand::Renormalize { ids, profile }) => {
            super::history::renormalize(&ctx, &ids, &profile, out, err)
        }
        Command::Show { target, format } => {
            let store = ctx.store()?;
            let (id, spec) = match target.split_once('@') {
                Some((id, rev)) => (id, Some(rev)),
                None => (target.as_str(), None),
            };
            let id = SourceId::parse(id)?;
            let spec = match spec {
                Some(s) => RevSpec::parse(s).map_err(Error::Usage)?,
                None => RevSpec::Back(0),
            };
            let version = store.resolve(&id, &spec)?;
            let doc = store.document_at(&id, &version)?;
            // Where this version stands, on stderr so the document can be
            // piped: the versions before and after it, to step through.
            let versions = store.versions(&id)?;
            let at = versions.iter().position(|v| v.id == version.id);
            let name = |v: Option<&Version>| match v {
                Some(v) => format!("{id}@{} ({})", v.short_id(), v.time.format("%Y-%m-%d")),
                None => "none".to_string(),
            };
            let _ = writeln!(
                err,
                "{}: version {} of {}; previous: {}; next: {}",
                name(Some(&version)),
                at.map(|i| versions.len() - i).unwrap_or(0),
                versions.len(),
                name(at.and_then(|i| versions.get(i + 1))),
                name(
                    at.and_then(|i| i.checked_sub(1))
                        .and_then(|i| versions.get(i))
                ),
            );
            out.print(&format_document(&doc, format))?;
            Ok(exit_codes::SUCCESS)
        }
    }
}

/// What every command may need from the user's choices and environment.
pub(super) struct Ctx<'a> {
    cli_store: Option<PathBuf>,
    color: ColorChoice,
    pub(super) env: &'a Env,
    /// Set when standard output is a terminal (see [`Pager::from_process`]).
    pager: Option<&'a Pager>,
}

impl Ctx<'_> {
    fn locate(&self) -> Result<PathBuf, store::StoreError> {
        let explicit = self.cli_store.as_ref().map(|p| absolute(&self.env.cwd, p));
        let from_env = self.env.store.as_ref().map(|p| absolute(&self.env.cwd, p));
        store::locate(explicit.as_deref(), from_env.as_deref(), &self.env.cwd)
    }

    pub(super) fn store(&self) -> Result<Store, Error> {
        Ok(Store::open(&self.locate()?)?)
    }

    fn try_store(&self) -> Option<Store> {
        self.locate().ok().and_then(|p| Store::open(&p).ok())
    }

    /// Built-in profiles plus the store's `profiles/*.toml`.
    pub(super) fn profiles(&self, store: Option<&Store>) -> Result<Profiles, Error> {
        let mut profiles = Profiles::builtin();
        let Some(store) = store else {
            return Ok(profiles);
        };
        let dir = store.root().join(PROFILES_DIR);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(profiles);
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        for file in files {
            let text = read_to_string(&file)?;
            profiles = profiles.with_user_profile(&file.display().to_string(), &text)?;
        }
        Ok(profiles)
    }

    fn color(&self) -> bool {
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => self.env.stdout_is_terminal && !self.env.no_color,
        }
    }

    fn term_options(&self, view: &DiffViewArgs) -> term::TermOptions {
        let width = match view.width {
            Some(0) => None,
            Some(w) => Some(w),
            None => self.env.terminal_width,
        };
        term::TermOptions {
            width,
            context: view.context,
            show_cosmetic: view.show_cosmetic,
            color: self.color(),
        }
    }
}

pub(super) fn profile_choice(
    profiles: Profiles,
    arg: &ProfileArg,
    cwd: &Path,
) -> Result<(Profiles, ProfileChoice), Error> {
    let Some(value) = &arg.profile else {
        return Ok((profiles, ProfileChoice::Auto));
    };
    let path = absolute(cwd, Path::new(value));
    if value.ends_with(".toml") || path.is_file() {
        let text = read_to_string(&path)?;
        let profiles = profiles.with_user_profile(&path.display().to_string(), &text)?;
        let name = profiles
            .sites()
            .last()
            .map(|p| p.name.clone())
            .unwrap_or_default();
        return Ok((profiles, ProfileChoice::Named(name)));
    }
    Ok((profiles, ProfileChoice::Named(value.clone())))
}

/// Result of recording one capture.
enum Outcome {
    New { version: Version, summary: String },
    Unchanged(Version),
}

impl Outcome {
    fn line(&self, id: &SourceId) -> String {
        match self {
            Outcome::New { version, summary } => format!(
                "{id}: recorded {} {}: {summary}\n",
                version.time.format("%Y-%m-%d"),
                version.short_id()
            ),
            Outcome::Unchanged(v) => format!(
                "{id}: unchanged since {} {} (no commit)\n",
                v.time.format("%Y-%m-%d"),
                v.short_id()
            ),
        }
    }
}

/// Normalizes a capture and records it as the next version of `id`.
fn record(
    store: &Store,
    id: &SourceId,
    capture: &Capture,
    profiles: &Profiles,
    choice: &ProfileChoice,
    err: &mut dyn Write,
) -> Result<Outcome, Error> {
    let in_source = |e: Error| Error::InSource {
        source_id: id.to_string(),
        error: Box::new(e),
    };
    let normalized =
        normalize_report(capture, profiles, choice).map_err(|e| in_source(e.into()))?;
    warn(err, capture, &normalized.warnings);
    let doc = normalized.document;
    let current = store.current(id)?;
    let (summary, message) =
        crate::batch::version_message(id, current.as_ref().map(|(_, d)| d), &doc, capture);
    Ok(match store.record(id, &doc, capture, &message)? {
        Recorded::New(version) => Outcome::New { version, summary },
        Recorded::Unchanged(version) => Outcome::Unchanged(version),
    })
}

/// Prints normalization warnings (a profile selector that matched nothing).
fn warn(err: &mut dyn Write, capture: &Capture, warnings: &[String]) {
    for w in warnings {
        let _ = writeln!(
            err,
            "redline: warning: {}: {}",
            crate::render::sanitize(&capture.origin()),
            crate::render::sanitize(w)
        );
    }
}

/// Capture files in `dir`, sorted by name: regular files with a capture
/// extension, not hidden, not a README.
fn capture_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
        action: "read the folder",
        path: dir.display().to_string(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let ext = p
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            !name.starts_with('.')
                && !name.to_ascii_lowercase().starts_with("readme")
                && matches!(
                    ext.as_str(),
                    "txt" | "text" | "html" | "htm" | "xhtml" | "md"
                )
        })
        .collect();
    files.sort();
    Ok(files)
}

#[allow(clippy::too_many_arguments)]
fn import(
    ctx: &Ctx,
    store: &Store,
    id: &SourceId,
    dir: &Path,
    profiles: &Profiles,
    choice: &ProfileChoice,
    patch: Option<&DiffViewArgs>,
    out: &mut Output,
    err: &mut dyn Write,
) -> Result<i32, Error> {
    let files = capture_files(dir)?;
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "{} holds no captures (.txt, .html or .md files); nothing to import",
            dir.display()
        )));
    }
    let mut failed = 0;
    for file in files {
        let result = fetch::from_file(&file, None)
            .map_err(Error::from)
            .and_then(|capture| record(store, id, &capture, profiles, choice, err));
        match result {
            Ok(outcome) => {
                out.print(&outcome.line(id))?;
                if let (Some(view), Outcome::New { version, .. }) = (patch, &outcome) {
                    let versions = store.versions(id)?;
                    if let Some(previous) =
                        versions.iter().skip_while(|v| v.id != version.id).nth(1)
                    {
                        let text = render_versions(ctx, store, id, previous, version, view)?.0;
                        out.print(&text)?;
                        out.print("\n")?;
                    }
                }
            }
            Err(e) => {
                failed += 1;
                let _ = writeln!(err, "redline: error: {}: {e}", file.display());
            }
        }
    }
    if failed > 0 {
        let _ = writeln!(
            err,
            "redline: {failed} capture(s) could not be recorded; the others were"
        );
        return Ok(exit_codes::TROUBLE);
    }
    Ok(exit_codes::SUCCESS)
}

/// One side of `diff FILE FILE` after its thread's work.
enum Side {
    /// Read, to be normalized once the profile is known.
    Read(Capture),
    /// A Markdown file with no profile asked for: its document and body
    /// keys, or why it could not be read as a document.
    Markdown(Result<(Document, BodyKeys), Error>),
}

fn diff_command(
    ctx: &Ctx,
    args: &[String],
    since: Option<NaiveDate>,
    profile: &ProfileArg,
    view: &DiffViewArgs,
    out: &mut Output,
) -> Result<i32, Error> {
    let first = absolute(&ctx.env.cwd, Path::new(&args[0]));
    if first.is_file() {
        let [old, new] = args else {
            return Err(Error::Usage(format!(
                "{} is a file: give two files to compare (redline diff OLD_FILE NEW_FILE)",
                args[0]
            )));
        };
        let read = |name: &str| -> Result<Capture, Error> {
            Ok(fetch::from_file_kept(
                &absolute(&ctx.env.cwd, Path::new(name)),
                ctx.env.stdout_never_waits,
            )?)
        };
        // The two sides are independent: read and normalize them at once,
        // unless they are small (starting a thread costs more than that).
        let size = |name: &str| {
            std::fs::metadata(absolute(&ctx.env.cwd, Path::new(name))).map_or(0, |m| m.len())
        };
        let total = size(old).saturating_add(size(new));
        let parallel = total >= PARALLEL_MIN_BYTES;
        // Inputs of more than a few pages make blocks and arrays of many
        // more: the heap grows for them in one step, in huge pages (see
        // `heap`).
        if ctx.env.huge_heap && total >= HUGE_HEAP_MIN_BYTES {
            crate::heap::grow_for(usize::try_from(total).unwrap_or(usize::MAX));
        }
        // A Markdown file (a stored document, or one written by hand) needs
        // no profile unless one was asked for: each side is then read,
        // parsed and keyed for the engine on a thread of its own, without
        // waiting for the other at each step.
        let unprofiled = profile.profile.is_none();
        let keyed = |document: Document| {
            let keys = BodyKeys::of(&document.body);
            (document, keys)
        };
        let side = |name: &str| -> Result<Side, Error> {
            let capture = read(name)?;
            if !unprofiled || capture.kind != CaptureKind::Markdown {
                return Ok(Side::Read(capture));
            }
            Ok(Side::Markdown(
                normalize::normalize_markdown(capture)
                    .map(keyed)
                    .map_err(Error::from),
            ))
        };
        // Files that cannot be read are reported first (the old one first),
        // then documents that cannot be made.
        let (old_side, new_side) = both(parallel, || side(old), || side(new));
        let (old_side, new_side) = (old_side?, new_side?);
        let ((old_doc, old_keys), (new_doc, new_keys)) = match (old_side, new_side) {
            (Side::Markdown(old_doc), Side::Markdown(new_doc)) => (old_doc?, new_doc?),
            (old_side, new_side) => {
                // Not both Markdown, or a profile asked for: both go through
                // the profiles (a Markdown side is read again; this is rare).
                let capture = |side: Side, name: &str| match side {
                    Side::Read(capture) => Ok(capture),
                    Side::Markdown(_) => read(name),
                };
                let (old_capture, new_capture) = (capture(old_side, old)?, capture(new_side, new)?);
                let store = ctx.try_store();
                let (profiles, choice) =
                    profile_choice(ctx.profiles(store.as_ref())?, profile, &ctx.env.cwd)?;
                let to_document = |capture: Capture| -> Result<(Document, BodyKeys), Error> {
                    Ok(keyed(normalize(&capture, &profiles, &choice)?))
                };
                let (old_doc, new_doc) = both(
                    parallel,
                    || to_document(old_capture),
                    || to_document(new_capture),
                );
                (old_doc?, new_doc?)
            }
        };
        let d = diff_keyed(
            &old_doc,
            &old_keys,
            &new_doc,
            &new_keys,
            &DiffOptions::default(),
        );
        let header = term::Header {
            subject: title_of(&new_doc),
            old_label: old.clone(),
            new_label: new.clone(),
        };
        let code = exit_code(&d);
        if view.format == DiffFormat::Json && (ctx.pager.is_none() || view.no_pager) {
            // No pager to measure it for: written out piece by piece, never
            // held whole (megabytes for a large document).
            out.print_with(|sink| json::write_diff_json(&d, 64 * 1024, sink))?;
        } else {
            let text = render_diff(ctx, &d, &old_doc, &new_doc, &header, view);
            print_paged(ctx, view, &text, out)?;
            std::mem::forget(text);
        }
        // The command ends here: freeing tens of thousands of blocks one by
        // one would take longer than some of the comparison. The memory is
        // the process's until it exits.
        std::mem::forget((old_doc, new_doc, old_keys, new_keys, d));
        return Ok(code);
    }
    let store = ctx.store()?;
    let id = SourceId::parse(&args[0]).map_err(|e| {
        Error::Usage(format!(
            "{} is neither a file nor a source id ({e})",
            args[0]
        ))
    })?;
    let spec = |i: usize, default: usize| -> Result<RevSpec, Error> {
        match args.get(i) {
            Some(s) => RevSpec::parse(s).map_err(Error::Usage),
            None => Ok(RevSpec::Back(default)),
        }
    };
    let (old, new) = match since {
        Some(day) => {
            if args.len() > 1 {
                return Err(Error::Usage(
                    "--since DATE compares the version before that day with the latest; give no revisions with it".into(),
                ));
            }
            // The version in effect at the end of the day before.
            let before = day
                .pred_opt()
                .ok_or_else(|| Error::Usage(format!("{day} has no day before it")))?;
            (
                store.resolve(&id, &RevSpec::Date(before))?,
                store.resolve(&id, &RevSpec::Back(0))?,
            )
        }
        None => (
            store.resolve(&id, &spec(1, 1)?)?,
            store.resolve(&id, &spec(2, 0)?)?,
        ),
    };
    let (text, d) = render_versions(ctx, &store, &id, &old, &new, view)?;
    print_paged(ctx, view, &text, out)?;
    Ok(exit_code(&d))
}

/// Prints a redline, through the pager when standard output is a terminal,
/// the text is longer than the screen, and `--no-pager` was not given. If
/// the pager cannot be started, the text is printed directly.
fn print_paged(ctx: &Ctx, view: &DiffViewArgs, text: &str, out: &mut Output) -> Result<(), Error> {
    if let Some(pager) = ctx.pager
        && !view.no_pager
        && text.lines().count() > pager.height
        && run_pager(pager, text).is_ok()
    {
        return Ok(());
    }
    out.print(text)
}

/// Runs the pager (a shell command) with `text` on its standard input and
/// waits for it. Like git, sets `LESS=FRX` and `LV=-c` unless the user has
/// set them, so colours survive and a short text does not wait for `q`.
fn run_pager(pager: &Pager, text: &str) -> std::io::Result<()> {
    use std::process::{Command, Stdio};
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(&pager.command).stdin(Stdio::piped());
    if std::env::var_os("LESS").is_none() {
        cmd.env("LESS", "FRX");
    }
    if std::env::var_os("LV").is_none() {
        cmd.env("LV", "-c");
    }
    let mut child = cmd.spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        // The reader may quit early (q in less): a closed pipe is fine.
        match stdin.write_all(text.as_bytes()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                let _ = child.wait();
                return Err(e);
            }
            _ => {}
        }
    }
    child.wait()?;
    Ok(())
}

fn render_versions(
    ctx: &Ctx,
    store: &Store,
    id: &SourceId,
    old: &Version,
    new: &Version,
    view: &DiffViewArgs,
) -> Result<(String, DocDiff), Error> {
    let old_doc = store.document_at(id, old)?;
    let new_doc = store.document_at(id, new)?;
    let d = diff(&old_doc, &new_doc, &DiffOptions::default());
    let label = |v: &Version| format!("{id} {} {}", v.time.format("%Y-%m-%d"), v.short_id());
    let header = term::Header {
        subject: format!("{id}: {}", title_of(&new_doc)),
        old_label: label(old),
        new_label: label(new),
    };
    let text = render_diff(ctx, &d, &old_doc, &new_doc, &header, view);
    Ok((text, d))
}

fn render_diff(
    ctx: &Ctx,
    d: &DocDiff,
    old: &Document,
    new: &Document,
    header: &term::Header,
    view: &DiffViewArgs,
) -> String {
    match view.format {
        DiffFormat::Json => json::diff_to_json(d),
        DiffFormat::Term if view.stat => stat::render(d, header, ctx.color()),
        DiffFormat::Term => term::render(d, old, new, header, &ctx.term_options(view)),
        DiffFormat::Html => html::render(
            d,
            old,
            new,
            header,
            &html::HtmlOptions {
                context: view.context,
                show_cosmetic: view.show_cosmetic,
            },
        ),
        DiffFormat::Md => md::render(
            d,
            header,
            &md::MdOptions {
                show_cosmetic: view.show_cosmetic,
            },
        ),
    }
}

fn exit_code(d: &DocDiff) -> i32 {
    if d.is_empty() {
        exit_codes::SUCCESS
    } else {
        exit_codes::DIFFERENCES
    }
}

fn title_of(doc: &Document) -> String {
    doc.meta
        .title
        .clone()
        .unwrap_or_else(|| "(untitled)".into())
}

/// What `log` shows.
struct LogFilter<'a> {
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
    stat: bool,
    /// With `-p`: how to show each version's redline.
    patch: Option<&'a DiffViewArgs>,
    /// Also list re-normalization commits.
    all: bool,
}

fn parse_day(text: &str) -> Result<NaiveDate, Error> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| Error::Usage(format!("{text:?} is not a day: use YYYY-MM-DD")))
}

fn log(
    ctx: &Ctx,
    source: Option<&str>,
    json: bool,
    filter: &LogFilter,
    out: &mut Output,
) -> Result<i32, Error> {
    let store = ctx.store()?;
    let ids = match source {
        Some(s) => vec![SourceId::parse(s)?],
        None => store.sources()?,
    };
    // Each row keeps the version before it (of the same source) for -p.
    let mut rows: Vec<(SourceId, Version, Option<Version>)> = Vec::new();
    for id in ids {
        let versions = super::history::log_versions(&store, &id, store.versions(&id)?)?;
        if versions.is_empty() && source.is_some() {
            return Err(store.resolve(&id, &RevSpec::Back(0)).unwrap_err().into());
        }
        for (i, v) in versions.iter().enumerate() {
            let day = v.time.with_timezone(&Utc).date_naive();
            if filter.since.is_some_and(|d| day < d) || filter.until.is_some_and(|d| day > d) {
                continue;
            }
            rows.push((id.clone(), v.clone(), versions.get(i + 1).cloned()));
        }
        if filter.all {
            for e in store.history(&id)?.iter() {
                if e.renormalized_from.is_some() {
                    rows.push((id.clone(), e.version.clone(), None));
                }
            }
        }
    }
    rows.sort_by(|a, b| b.1.time.cmp(&a.1.time).then_with(|| a.0.cmp(&b.0)));
    if json {
        let items: Vec<serde_json::Value> = rows
            .iter()
            .map(|(id, v, _)| {
                let mut item = serde_json::json!({
                    "source": id.as_str(),
                    "revision": v.id,
                    "time": v.time.to_rfc3339(),
                    "summary": v.summary.strip_prefix(&format!("{id}: ")).unwrap_or(&v.summary),
                });
                if let Some(from) = store::history::trailer(&v.message, store::RENORMALIZED_FROM) {
                    item["renormalized_from"] = serde_json::Value::String(from);
                }
                if filter.stat {
                    item["stats"] = stats_trailer(&v.message).unwrap_or(serde_json::Value::Null);
                }
                item
            })
            .collect();
        out.print(&to_json(&items))?;
        return Ok(exit_codes::SUCCESS);
    }
    for (id, v, previous) in &rows {
        out.print(&format!(
            "{} {}  {}\n",
            v.short_id(),
            v.time.format("%Y-%m-%d %H:%M"),
            crate::render::sanitize(&v.summary)
        ))?;
        if filter.stat
            && let Some(stats) = stats_trailer(&v.message)
        {
            out.print(&format!("    {}\n", stat_line(&stats)))?;
        }
        if let (Some(view), Some(previous)) = (filter.patch, previous) {
            let (text, _) = render_versions(ctx, &store, id, previous, v, view)?;
            out.print("\n")?;
            out.print(&text)?;
            out.print("\n")?;
        }
    }
    Ok(exit_codes::SUCCESS)
}

/// The `Redline-Stats` trailer of a version's commit message, if any.
fn stats_trailer(message: &str) -> Option<serde_json::Value> {
    message
        .lines()
        .find_map(|l| l.strip_prefix("Redline-Stats: "))
        .and_then(|json| serde_json::from_str(json).ok())
        .filter(|v: &serde_json::Value| v.as_object().is_some_and(|o| !o.is_empty()))
}

/// One line of counts from a version's stats: body ops, metadata fields,
/// related-list ops.
fn stat_line(stats: &serde_json::Value) -> String {
    let n = |v: &serde_json::Value| v.as_u64().unwrap_or(0);
    let body = &stats["body"];
    let mut parts: Vec<String> = [
        "modified", "cosmetic", "inserted", "deleted", "moved", "split", "merged",
    ]
    .iter()
    .filter(|k| n(&body[**k]) > 0)
    .map(|k| format!("{} {k}", n(&body[*k])))
    .collect();
    if n(&stats["meta"]) > 0 {
        parts.push(format!("{} metadata", n(&stats["meta"])));
    }
    let related = &stats["related"];
    for k in ["added", "removed", "moved", "changed"] {
        if n(&related[k]) > 0 {
            parts.push(format!("related {} {k}", n(&related[k])));
        }
    }
    if parts.is_empty() {
        "no counted changes".to_string()
    } else {
        parts.join(", ")
    }
}

fn format_document(doc: &Document, format: DocFormat) -> String {
    match format {
        DocFormat::Json => to_json(doc),
        DocFormat::Md => markdown::document_to_markdown(doc),
        DocFormat::Text => {
            let blocks: Vec<&str> = doc.body.iter().map(|b| b.text.as_str()).collect();
            let mut text = blocks.join("\n\n");
            text.push('\n');
            text
        }
    }
}

/// Reads `--at`: RFC 3339, `YYYY-MM-DD HH:MM[:SS]` (UTC) or `YYYY-MM-DD`.
fn parse_time(text: &str) -> Result<DateTime<FixedOffset>, Error> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t);
    }
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(t.and_utc().fixed_offset());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(d
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .fixed_offset());
    }
    let _ = Utc::now();
    Err(Error::Usage(format!(
        "--at {text:?} is not a time: use RFC 3339 (2025-06-03T08:00:00+02:00), \"YYYY-MM-DD HH:MM\" (UTC) or YYYY-MM-DD"
    )))
}

pub(super) fn read_to_string(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        action: "read",
        path: path.display().to_string(),
        source,
    })
}

pub(super) fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    }
}

/// Two files to compare from this size (together) up are read and
/// normalized on two threads.
const PARALLEL_MIN_BYTES: u64 = 256 * 1024;

/// Inputs from this size up (both files together) get a heap grown at once
/// in huge pages ([`crate::heap::grow_for`]): from about here, the ordinary
/// pages a comparison touches (a hundred or more, each a fault) cost more
/// than the kernel's clearing of one 2 MB page; below it, less.
const HUGE_HEAP_MIN_BYTES: u64 = 128 * 1024;
