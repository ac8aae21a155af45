//! The command layer: parses the command line, runs the stages, maps the
//! result to an exit code.
//!
//! [`run_with`] is the whole program given its arguments, environment and
//! output streams, so tests drive redline in-process exactly as a user does.
//! `main.rs` only calls [`run`].

mod args;
mod commands;
mod history;
mod report;
mod sync;
mod tracking;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Parser;

use crate::error::Error;
use crate::exit_codes;
pub use args::Cli;

/// What the program knows of the world it runs in.
#[derive(Debug, Clone)]
pub struct Env {
    pub cwd: PathBuf,
    /// `REDLINE_STORE`.
    pub store: Option<PathBuf>,
    /// `NO_COLOR` is set to a non-empty value.
    pub no_color: bool,
    /// Standard output is a terminal.
    pub stdout_is_terminal: bool,
    /// Standard output is a regular file or /dev/null: writing to it never
    /// waits for a reader (so a large file compared may be mapped; see
    /// `fetch::from_file_kept`).
    pub stdout_never_waits: bool,
    /// Standard error is a terminal (progress bars go there).
    pub stderr_is_terminal: bool,
    /// The terminal's width, when there is one.
    pub terminal_width: Option<usize>,
    /// A one-shot comparison of large files may grow the heap at once in
    /// huge pages (see `heap`); `REDLINE_HUGE_HEAP=0` turns that off.
    pub huge_heap: bool,
}

impl Env {
    /// The real process environment.
    pub fn from_process() -> Env {
        let stdout_is_terminal = std::io::stdout().is_terminal();
        Env {
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            store: std::env::var_os("REDLINE_STORE")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
            stdout_is_terminal,
            stdout_never_waits: stdout_never_waits(),
            stderr_is_terminal: std::io::stderr().is_terminal(),
            terminal_width: stdout_is_terminal.then(textwrap::termwidth),
            huge_heap: std::env::var_os("REDLINE_HUGE_HEAP").is_none_or(|v| v != "0"),
        }
    }
}

/// Standard output is a regular file or /dev/null (see
/// [`Env::stdout_never_waits`]).
fn stdout_never_waits() -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        use std::os::unix::fs::{FileTypeExt, MetadataExt};
        let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() else {
            return false;
        };
        let Ok(out) = std::fs::File::from(fd).metadata() else {
            return false;
        };
        let null = || std::fs::metadata("/dev/null").is_ok_and(|n| n.rdev() == out.rdev());
        out.file_type().is_file() || (out.file_type().is_char_device() && null())
    }
    #[cfg(not(unix))]
    false
}

/// Where a long redline goes when standard output is a terminal: the pager
/// command and the screen height that makes output "long".
#[derive(Debug, Clone)]
pub struct Pager {
    /// A shell command reading the text on its standard input.
    pub command: String,
    /// Outputs with more lines than this are paged.
    pub height: usize,
}

impl Pager {
    /// The process's pager: `$PAGER`, else `less -R`; `None` when standard
    /// output is not a terminal, or `$PAGER` is empty or `cat`.
    pub fn from_process() -> Option<Pager> {
        if !std::io::stdout().is_terminal() {
            return None;
        }
        let command = match std::env::var("PAGER") {
            Ok(p) if p.trim().is_empty() || p.trim() == "cat" => return None,
            Ok(p) => p,
            Err(_) => "less -R".to_string(),
        };
        let height = terminal_size::terminal_size().map_or(24, |(_, h)| usize::from(h.0));
        Some(Pager { command, height })
    }
}

/// Runs redline as a process: real arguments, environment and streams.
pub fn run() -> i32 {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    run_with_pager(
        std::env::args_os(),
        &Env::from_process(),
        Pager::from_process().as_ref(),
        &mut stdout.lock(),
        &mut stderr.lock(),
    )
}

/// Runs redline with the given arguments (the first is the program name),
/// environment and output streams; returns the exit code. Never pages.
pub fn run_with<I, T>(args: I, env: &Env, out: &mut dyn Write, err: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    run_with_pager(args, env, None, out, err)
}

/// [`run_with`], with a pager for redlines longer than the screen (`None`:
/// never page, as when standard output is not a terminal).
pub fn run_with_pager<I, T>(
    args: I,
    env: &Env,
    pager: Option<&Pager>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                exit_codes::TROUBLE
            } else {
                exit_codes::SUCCESS
            };
            let text = if env.stdout_is_terminal {
                e.render().ansi().to_string()
            } else {
                e.render().to_string()
            };
            let stream: &mut dyn Write = if e.use_stderr() { err } else { out };
            let _ = stream.write_all(text.as_bytes());
            return code;
        }
    };
    let mut out = Output::new(out);
    let result = commands::dispatch(cli, env, pager, &mut out, err);
    match result {
        Ok(code) => code,
        Err(_) if out.broken_pipe => exit_codes::SUCCESS,
        Err(e) => {
            let _ = writeln!(err, "redline: error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                let _ = writeln!(err, "  caused by: {cause}");
                source = cause.source();
            }
            exit_codes::TROUBLE
        }
    }
}

/// Standard output that remembers a closed pipe (`redline log | head`), so
/// the program can stop quietly instead of reporting an error.
pub(crate) struct Output<'a> {
    inner: &'a mut dyn Write,
    pub(crate) broken_pipe: bool,
}

impl<'a> Output<'a> {
    fn new(inner: &'a mut dyn Write) -> Output<'a> {
        Output {
            inner,
            broken_pipe: false,
        }
    }

    /// Writes `text`; a write error ends the command.
    pub(crate) fn print(&mut self, text: &str) -> Result<(), Error> {
        let result = self
            .inner
            .write_all(text.as_bytes())
            .and_then(|()| self.inner.flush());
        self.checked(result)
    }

    /// Writes what `write` produces, piece by piece (for output too large to
    /// hold whole first); a write error ends the command.
    pub(crate) fn print_with(
        &mut self,
        write: impl FnOnce(&mut dyn FnMut(&[u8]) -> std::io::Result<()>) -> std::io::Result<()>,
    ) -> Result<(), Error> {
        let inner = &mut *self.inner;
        let result = write(&mut |piece: &[u8]| inner.write_all(piece)).and_then(|()| inner.flush());
        self.checked(result)
    }

    fn checked(&mut self, result: std::io::Result<()>) -> Result<(), Error> {
        result.map_err(|source| {
            if source.kind() == std::io::ErrorKind::BrokenPipe {
                self.broken_pipe = true;
            }
            Error::Io {
                action: "write",
                path: "standard output".into(),
                source,
            }
        })
    }
}
