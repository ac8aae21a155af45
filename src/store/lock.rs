//! One writer at a time: the store's lock file.
//!
//! Two `redline snapshot` runs on one store (an overlapping cron job, a
//! second terminal) must never interleave their commits. A writer takes
//! `.redline/lock` (created exclusively, holding its process id, host and
//! start time) and removes it when done. A second writer waits for it, with
//! a message, or with `--no-wait` refuses with a clear error. A lock left by
//! a process that no longer runs on this host (killed, crashed) is stale and
//! is taken over.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{STATE_DIR, StoreError};

const LOCK_FILE: &str = "lock";
/// How often a waiting writer looks at the lock again.
const POLL: Duration = Duration::from_millis(200);
/// A lock file with no readable holder (its writer died between creating
/// and filling it) is stale once it is this old.
const UNREADABLE_STALE_AFTER: Duration = Duration::from_secs(10);

/// Who holds the lock, as written in the lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    /// RFC 3339 start time.
    pub since: String,
}

/// The store's lock, held until dropped.
#[derive(Debug)]
pub struct StoreLock {
    path: PathBuf,
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Takes the lock of the store at `store`. When another live process holds
/// it: with `wait`, calls `on_wait` once and waits; without, fails with
/// [`StoreError::Locked`].
pub fn lock(
    store: &Path,
    wait: bool,
    on_wait: &mut dyn FnMut(&Holder),
) -> Result<StoreLock, StoreError> {
    let state_dir = &store.join(STATE_DIR);
    let io = StoreError::io;
    std::fs::create_dir_all(state_dir).map_err(io("create", state_dir))?;
    let path = state_dir.join(LOCK_FILE);
    let mut told = false;
    loop {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                let me = Holder {
                    pid: std::process::id(),
                    host: host_name(),
                    since: chrono::Utc::now().to_rfc3339(),
                };
                writeln!(file, "{} {} {}", me.pid, me.host, me.since)
                    .and_then(|()| file.sync_all())
                    .map_err(io("write", &path))?;
                return Ok(StoreLock { path });
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io("create", &path)(e)),
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        match parse(&text) {
            Some(holder) if is_alive(&holder) => {
                if !wait {
                    return Err(StoreError::Locked {
                        store: store.display().to_string(),
                        pid: holder.pid,
                        host: holder.host,
                        since: holder.since,
                    });
                }
                if !told {
                    on_wait(&holder);
                    told = true;
                }
                std::thread::sleep(POLL);
            }
            Some(_) => take_over(&path, &text),
            None if is_old(&path) => take_over(&path, &text),
            None => std::thread::sleep(POLL),
        }
    }
}

/// Removes a stale lock, unless it changed since it was read (another
/// writer took it over first).
fn take_over(path: &Path, stale: &str) {
    if std::fs::read_to_string(path).unwrap_or_default() == stale {
        let _ = std::fs::remove_file(path);
    }
}

fn parse(text: &str) -> Option<Holder> {
    let mut parts = text.split_whitespace();
    Some(Holder {
        pid: parts.next()?.parse().ok()?,
        host: parts.next()?.to_string(),
        since: parts.next()?.to_string(),
    })
}

fn is_old(path: &Path) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age > UNREADABLE_STALE_AFTER)
}

/// Whether the holder still runs. Only a process on this host can be
/// checked; one elsewhere (a store on a shared disk) is taken as alive.
fn is_alive(holder: &Holder) -> bool {
    if holder.host != host_name() {
        return true;
    }
    process_exists(holder.pid)
}

#[cfg(target_os = "linux")]
fn process_exists(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(not(target_os = "linux"))]
fn process_exists(_pid: u32) -> bool {
    true
}

fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty() && !h.contains(char::is_whitespace))
        .unwrap_or_else(|| "localhost".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_and_the_lock_is_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join(STATE_DIR);
        let first = lock(dir.path(), false, &mut |_| {}).unwrap();
        let err = lock(dir.path(), false, &mut |_| {}).unwrap_err();
        assert!(
            matches!(&err, StoreError::Locked { pid, .. } if *pid == std::process::id()),
            "{err}"
        );
        drop(first);
        assert!(!state.join(LOCK_FILE).exists());
        lock(dir.path(), false, &mut |_| {}).unwrap();
    }

    #[test]
    fn a_lock_left_by_a_dead_process_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join(STATE_DIR);
        std::fs::create_dir_all(&state).unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        std::fs::write(
            state.join(LOCK_FILE),
            format!("{dead} {} 2026-01-01T00:00:00+00:00\n", host_name()),
        )
        .unwrap();
        let lock = lock(dir.path(), false, &mut |_| {}).unwrap();
        let text = std::fs::read_to_string(state.join(LOCK_FILE)).unwrap();
        assert!(text.starts_with(&std::process::id().to_string()), "{text}");
        drop(lock);
    }

    #[test]
    fn a_waiting_writer_gets_the_lock_when_it_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock(dir.path(), false, &mut |_| {}).unwrap();
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(500));
            drop(first);
        });
        let mut waited = 0;
        let second = lock(dir.path(), true, &mut |_| waited += 1).unwrap();
        assert_eq!(waited, 1, "told once that it waits");
        releaser.join().unwrap();
        drop(second);
    }
}
