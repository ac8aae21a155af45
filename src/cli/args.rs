//! What the user typed: the clap definitions, and nothing else.
//!
//! clap types stop at the command layer: `commands.rs` turns these into the
//! stages' own option structs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Track edits to published documents: snapshot publication pages into a
/// git-backed store and read what changed as a paragraph-level redline.
#[derive(Debug, Parser)]
#[command(name = "redline", version, about, max_term_width = 100)]
pub struct Cli {
    /// The store to use (default: $REDLINE_STORE, else the nearest directory
    /// upward holding redline.toml).
    #[arg(long, global = true, value_name = "DIR")]
    pub store: Option<PathBuf>,

    /// When to use colour (NO_COLOR is honoured by "auto").
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// When another redline run is writing to the store, wait for it to
    /// finish (the default).
    #[arg(long, global = true, overrides_with = "no_wait")]
    pub wait: bool,

    /// When another redline run is writing to the store, stop with an error
    /// instead of waiting.
    #[arg(long, global = true, overrides_with = "wait")]
    pub no_wait: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Each command's arguments are built only when that command is the one
/// given (`defer`): building all of them for every run was a third of the
/// time of comparing two small files before any comparing began.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Create a store: a git repository with a redline.toml.
    Init {
        /// Where to create it (default: the current directory).
        dir: Option<PathBuf>,
    },
    /// Print the document a capture or a URL normalizes to (no store needed).
    Normalize {
        /// A capture (text .txt, Markdown .md or HTML file), or an http(s)
        /// URL to fetch (for testing a profile).
        #[arg(value_name = "FILE|URL")]
        file: String,
        #[arg(long, value_enum, default_value_t = DocFormat::Json)]
        format: DocFormat,
        #[command(flatten)]
        profile: ProfileArg,
    },
    /// Fetch tracked sources and record what changed; or record one URL or
    /// capture file.
    ///
    /// `redline snapshot` checks every source in redline.toml, `redline
    /// snapshot ID...` only those: one line per source (changed, unchanged,
    /// not modified, reverted, suspect, failed), then a summary. `redline
    /// snapshot URL` records one page without `add`; `redline snapshot FILE
    /// --source ID` records a saved capture. Exit status: 0 every source was
    /// checked; 2 some failed (the summary says which and why); with
    /// --exit-code, 1 when something changed and nothing failed.
    Snapshot {
        /// Source ids (default: all), URLs, or one capture file.
        #[arg(value_name = "ID|URL|FILE")]
        targets: Vec<String>,
        /// The source id for a capture file or a single URL.
        #[arg(long, value_name = "ID")]
        source: Option<String>,
        /// Capture time of a file (RFC 3339 or YYYY-MM-DD; default: a date
        /// the file name starts with, else now).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        #[command(flatten)]
        profile: ProfileArg,
        #[command(flatten)]
        batch: BatchArgs,
    },
    /// Track a URL: add it to the store's redline.toml (committed).
    Add {
        /// The page's http(s) URL.
        url: String,
        /// The source id (default: a slug of the URL).
        #[arg(long, value_name = "ID")]
        id: Option<String>,
        /// Site profile for this source (a name, or a .toml file in the
        /// store's profiles/ folder).
        #[arg(long, value_name = "NAME")]
        profile: Option<String>,
        /// CSS selector of the publication in the HTML page (repeatable).
        #[arg(long, value_name = "CSS")]
        select: Vec<String>,
        /// CSS selector of parts to drop (repeatable).
        #[arg(long, value_name = "CSS")]
        remove: Vec<String>,
        /// Extra request header, 'Name: value' (repeatable).
        #[arg(long, value_name = "'K: V'")]
        header: Vec<String>,
    },
    /// Stop tracking a source (its history stays in the store).
    Remove {
        /// The source id.
        id: String,
    },
    /// List tracked sources with their last check, change and status.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Record every capture in a folder, in file-name (date) order.
    Import {
        /// The folder of captures (files whose names start with YYYY-MM-DD
        /// sort in time order).
        dir: PathBuf,
        /// The source id (default: the folder's name).
        #[arg(long, value_name = "ID")]
        source: Option<String>,
        /// Create the store first if it does not exist.
        #[arg(long)]
        init: bool,
        /// Print the redline of each version recorded.
        #[arg(short = 'p', long)]
        patch: bool,
        #[command(flatten)]
        profile: ProfileArg,
        #[command(flatten)]
        view: DiffViewArgs,
    },
    /// Show what changed: between two files, or two versions of a source.
    ///
    /// `redline diff OLD_FILE NEW_FILE` needs no store. `redline diff ID
    /// [OLD_REV [NEW_REV]]` compares versions in the store (default: the
    /// version before the latest against the latest). A revision is a commit
    /// id prefix, ~N (N versions before the latest) or a date YYYY-MM-DD (the
    /// version in effect that day). Exit status: 0 no differences, 1
    /// differences, 2 trouble.
    Diff {
        /// OLD_FILE NEW_FILE, or ID [OLD_REV [NEW_REV]].
        #[arg(required = true, num_args = 1..=3, value_name = "ARGS")]
        args: Vec<String>,
        /// Everything that changed since this day, as one diff: the version
        /// in effect before it against the latest (ID only).
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        #[command(flatten)]
        profile: ProfileArg,
        #[command(flatten)]
        view: DiffViewArgs,
    },
    /// List versions with their change summaries, newest first.
    Log {
        /// Only this source.
        source: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Only versions captured on or after this day (YYYY-MM-DD, UTC).
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Only versions captured on or before this day (YYYY-MM-DD, UTC).
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
        /// Add each version's counts (paragraphs, metadata, related list).
        #[arg(long)]
        stat: bool,
        /// Show each version's redline against the version before it.
        #[arg(short = 'p', long = "patch")]
        patch: bool,
        /// With -p: unchanged blocks shown around each change.
        #[arg(long, default_value_t = 1, value_name = "N")]
        context: usize,
        /// With -p: wrap at this many columns (default: the terminal's).
        #[arg(long, value_name = "COLUMNS")]
        width: Option<usize>,
        /// Also list re-normalization commits (hidden by default: they
        /// re-derive old versions, they are not edits).
        #[arg(long)]
        all: bool,
    },
    /// Publish the changes of a period: an Atom feed, a static HTML site,
    /// or JSON.
    ///
    /// A change is a version compared with the one before it (a source's
    /// first version is a "first capture"). `--format atom` (the default)
    /// and `json` print to standard output, or to -o FILE; `--format html`
    /// writes a site into -o DIR: index.html, feed.atom, and
    /// sources/<id>/ with a timeline and one redline page per change.
    /// Exit status: 0 written, 2 trouble.
    Report {
        /// Only these sources (default: all).
        #[arg(value_name = "ID")]
        sources: Vec<String>,
        /// Changes captured on or after this day: YYYY-MM-DD (UTC), or Nd
        /// for N days before today ("30d").
        #[arg(long, value_name = "DATE", required = true)]
        since: String,
        /// Changes captured on or before this day (YYYY-MM-DD, UTC).
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
        #[arg(long, value_enum, default_value_t = ReportFormat::Atom)]
        format: ReportFormat,
        /// Where to write: a file (atom, json) or a folder (html).
        #[arg(short = 'o', long, value_name = "PATH")]
        output: Option<PathBuf>,
        /// The http(s) URL the site is published at; makes the feed's
        /// links to the redline pages absolute.
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
    },
    /// Send this store's new versions to a git remote (default: origin).
    ///
    /// Fetches the remote's branch first: its new versions come in, and this
    /// store's own are replayed on top (machines that snapshot disjoint
    /// sources never conflict; see `snapshot --shard K/N`); then pushes,
    /// again if another machine pushed meanwhile. The remote is a git remote
    /// of the store (`git -C STORE remote add origin URL`): a bare
    /// repository's path or file:// URL (written directly), or an https/ssh
    /// URL (through your `git`, with its credentials and keys).
    Push {
        /// The remote's name.
        #[arg(default_value = crate::store::remote::DEFAULT_REMOTE)]
        remote: String,
        /// Print nothing unless something goes wrong.
        #[arg(short = 'q', long)]
        quiet: bool,
    },
    /// Bring in the versions other machines pushed to a git remote (default:
    /// origin); this store's unpushed versions are replayed on top.
    Pull {
        /// The remote's name.
        #[arg(default_value = crate::store::remote::DEFAULT_REMOTE)]
        remote: String,
        /// Print nothing unless something goes wrong.
        #[arg(short = 'q', long)]
        quiet: bool,
    },
    #[command(flatten)]
    History(HistoryCommand),
    /// Print one version of a source.
    Show {
        /// ID or ID@REV (default revision: the latest).
        target: String,
        #[arg(long, value_enum, default_value_t = DocFormat::Md)]
        format: DocFormat,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// An Atom feed (RFC 4287), each entry carrying its HTML redline.
    Atom,
    /// A static site in the folder -o DIR (no scripts, no external requests).
    Html,
    /// JSON for other programs (schema in docs/json-report.md).
    Json,
}

/// The history commands (`blame`, `renormalize`), kept apart so each
/// stays one small variant of [`Command`].
#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// For every block of a version: since when it has said what it says,
    /// and when it first appeared (through edits and moves).
    ///
    /// One line per block: the revision and day of its current wording,
    /// "first DAY" when the block itself is older, then its text (cut to the
    /// terminal width). Cosmetic changes (quotes, spacing) do not count as
    /// new wording. --json is documented in docs/json-blame.md.
    Blame {
        /// ID or ID@REV (default revision: the latest).
        target: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Cut lines at this many columns (default: the terminal's width;
        /// not cut when piped; 0 never cuts).
        #[arg(long, value_name = "COLUMNS")]
        width: Option<usize>,
    },
    /// Re-derive every version's document from its stored raw capture with
    /// this redline's normalizer.
    ///
    /// Versions that now normalize differently get a re-normalization commit
    /// on top of history (trailers Redline-Renormalized-From and
    /// Redline-Normalizer); the original commits stay as they are. log, diff,
    /// show and blame then read those versions as re-derived, and log hides
    /// the re-normalization commits (see them with log --all).
    Renormalize {
        /// Source ids (default: every source in the store).
        #[arg(value_name = "ID")]
        ids: Vec<String>,
        #[command(flatten)]
        profile: ProfileArg,
    },
}

// How a batch `snapshot` runs and reports. (A plain comment: with the
// commands' arguments deferred, a doc comment here would replace the help
// text of `snapshot`, the command it is flattened into.)
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// Parallel fetches (default: [fetch] jobs in redline.toml, else 4);
    /// requests to one host stay [fetch] min_interval_ms apart whatever N is.
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Print only the summary (and the sources that failed).
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Print a machine-readable JSON report instead of lines.
    #[arg(long)]
    pub json: bool,
    /// Exit 1 when any source changed (and none failed), for "mail me when
    /// something changed" cron jobs.
    #[arg(long)]
    pub exit_code: bool,
    /// Record what is fetched for this source even if a guard (suspect,
    /// reverted) would hold it back (repeatable).
    #[arg(long, value_name = "ID")]
    pub accept: Vec<String>,
    /// Check only this machine's share of the tracked sources: shard K of N
    /// (counted from 1), chosen by a fixed hash of each source's id, so N
    /// machines running 1/N .. N/N split the sources between them.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DocFormat {
    /// The Document as JSON.
    Json,
    /// Body blocks only, a blank line between blocks.
    Text,
    /// The stored Markdown form (document.md).
    Md,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// A redline for people.
    Term,
    /// The DocDiff as JSON (schema in docs/json-diff.md).
    Json,
    /// One self-contained HTML page (no external requests).
    Html,
    /// Markdown for an issue or an email.
    Md,
}

#[derive(Debug, Args)]
pub struct ProfileArg {
    /// Site profile: a name ("inss", "generic") or a profile TOML file
    /// (default: chosen by the page).
    #[arg(long, value_name = "NAME|FILE")]
    pub profile: Option<String>,
}

#[derive(Debug, Args)]
pub struct DiffViewArgs {
    #[arg(long, value_enum, default_value_t = DiffFormat::Term)]
    pub format: DiffFormat,
    /// Unchanged blocks shown around each change.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub context: usize,
    /// Show cosmetic-only changes (quotes, spacing) instead of counting them.
    #[arg(long)]
    pub show_cosmetic: bool,
    /// Wrap at this many columns (default: the terminal's width; no wrapping
    /// when piped; 0 turns wrapping off).
    #[arg(long, value_name = "COLUMNS")]
    pub width: Option<usize>,
    /// Counts only: the summary, changes per section, metadata and related
    /// counts (with --format term).
    #[arg(long)]
    pub stat: bool,
    /// Never page the output (by default a redline longer than the screen
    /// goes through $PAGER, else `less -R`, when printing to a terminal).
    #[arg(long)]
    pub no_pager: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// clap's own consistency checks (unique names, valid defaults), which
    /// otherwise only fail when a user runs the broken command.
    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    /// Each command's help is its own doc comment, also once its deferred
    /// arguments are built (a doc comment on a flattened argument struct
    /// would then replace it).
    #[test]
    fn every_command_keeps_its_own_help_once_built() {
        let mut cli = Cli::command();
        let before: Vec<(String, String)> = cli
            .get_subcommands()
            .map(|c| (c.get_name().to_string(), format!("{:?}", c.get_about())))
            .collect();
        cli.build();
        for (name, about) in before {
            let built = cli.find_subcommand(&name).expect("still there");
            assert_eq!(format!("{:?}", built.get_about()), about, "{name}");
            let mut built = built.clone();
            let long = built.render_long_help().to_string();
            assert!(long.contains("--store"), "{name}: global options missing");
        }
        let snapshot = cli.find_subcommand("snapshot").unwrap();
        assert!(
            format!("{:?}", snapshot.get_about()).contains("Fetch tracked sources"),
            "{:?}",
            snapshot.get_about()
        );
    }
}
