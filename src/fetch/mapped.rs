//! The one place redline maps a file into memory instead of reading it: a
//! large file that `redline diff FILE FILE` compares, on Linux, when its
//! output cannot keep it waiting (a regular file or /dev/null), and only
//! while the file cannot change.
//!
//! Why it exists: reading a file of megabytes copies it into fresh memory
//! that the kernel must first clear, and clearing and copying were most of
//! the time it took; a map shares the kernel's own copy of the file (its
//! page cache). BENCHMARKS.md has the figures.
//!
//! Why it is careful: a mapped file that another program shortens or
//! rewrites changes under the reader, which then crashes (SIGBUS) or holds
//! text that is no longer the UTF-8 it checked. So a file is mapped only
//! - on a local filesystem, where every writer goes through this kernel;
//! - while redline holds a read lease on it (`fcntl(F_SETLEASE)`): the
//!   kernel refuses the lease while any program has the file open for
//!   writing, and makes a program that then opens it for writing or
//!   truncates it wait until redline exits, or until the system's lease
//!   break time has passed, which must be at least
//!   [`LEASE_BREAK_MIN_SECONDS`];
//!
//! and otherwise the caller reads it as before. The lease also needs the
//! file to be the user's own (or the capability to lease others'). A
//! writer waits for the lease as long as redline runs, which is why the
//! caller maps only when nothing can keep redline waiting: not when it
//! writes to a pipe or a terminal (a pager, a slow reader), where a wait
//! could outlast the lease break time and let a writer change the file
//! under text still being written out.
//! The signal that tells a lease holder a writer waits (SIGIO) would end
//! the process by default; it is ignored from the first lease on.
//!
//! This and `heap.rs` are the only modules with `unsafe` code; each use says
//! why it is sound.

use std::fs::File;
use std::os::fd::AsRawFd;

/// Filesystems whose files only this kernel writes (`statfs` magic numbers):
/// ext2/3/4, XFS, Btrfs, F2FS, tmpfs.
const LOCAL_FILESYSTEMS: [u32; 5] = [0xEF53, 0x5846_5342, 0x9123_683E, 0xF2F5_2010, 0x0102_1994];

/// The shortest lease break time (`/proc/sys/fs/lease-break-time`, 45 by
/// default) under which files are read, not mapped: a comparison of the
/// largest files redline accepts ends long before it.
pub const LEASE_BREAK_MIN_SECONDS: u64 = 10;

/// The whole of `file` (`len` bytes), mapped and kept with its lease until
/// the process exits; the file back when it cannot be mapped safely.
pub fn map_kept(file: File, len: usize) -> Result<&'static [u8], File> {
    if len == 0 || !on_local_filesystem(&file) || lease_break_seconds() < LEASE_BREAK_MIN_SECONDS {
        return Err(file);
    }
    ignore_lease_breaks();
    let fd = file.as_raw_fd();
    // SAFETY: F_SETLEASE on a descriptor this function owns; it only
    // changes the kernel's bookkeeping for the open file.
    if unsafe { libc::fcntl(fd, libc::F_SETLEASE, libc::F_RDLCK) } != 0 {
        return Err(file);
    }
    // Leased: no program has the file open for writing, and none can until
    // the process exits. It may have changed between the caller's look at
    // its size and the lease.
    if file.metadata().map(|m| m.len()).ok() != u64::try_from(len).ok() {
        return Err(file);
    }
    // SAFETY: memmap2 maps are unsafe because the file may change while
    // mapped; the lease above rules that out for as long as `file` stays
    // open, which is until the process exits (both are leaked below).
    let map = match unsafe { memmap2::MmapOptions::new().len(len).populate().map(&file) } {
        Ok(map) => map,
        Err(_) => return Err(file),
    };
    let kept: &'static (File, memmap2::Mmap) = Box::leak(Box::new((file, map)));
    Ok(&kept.1[..])
}

fn on_local_filesystem(file: &File) -> bool {
    let mut stats = std::mem::MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: fstatfs fills the struct it is given, for a descriptor that
    // `file` keeps open; the struct is only read when the call succeeded.
    let filesystem = unsafe {
        if libc::fstatfs(file.as_raw_fd(), stats.as_mut_ptr()) != 0 {
            return false;
        }
        stats.assume_init().f_type
    };
    // The magic numbers are 32 bits, in a wider field on some targets.
    #[allow(clippy::unnecessary_cast)]
    let magic = filesystem as u32;
    LOCAL_FILESYSTEMS.contains(&magic)
}

fn lease_break_seconds() -> u64 {
    std::fs::read_to_string("/proc/sys/fs/lease-break-time")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

fn ignore_lease_breaks() {
    static IGNORED: std::sync::Once = std::sync::Once::new();
    IGNORED.call_once(|| {
        // SAFETY: sets the disposition of SIGIO, which nothing else in
        // redline uses, to "ignore": no handler runs.
        unsafe {
            libc::signal(libc::SIGIO, libc::SIG_IGN);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;

    fn file_with(dir: &std::path::Path, text: &[u8]) -> std::path::PathBuf {
        let path = dir.join("capture.md");
        let mut f = File::create(&path).unwrap();
        f.write_all(text).unwrap();
        f.sync_all().unwrap();
        path
    }

    /// Where the temporary directory allows a lease (a local filesystem,
    /// the user's own file), the map holds the file's bytes and writers are
    /// kept out while it lives; elsewhere the file comes back unmapped.
    #[test]
    fn a_mapped_file_is_the_file_and_no_writer_gets_in() {
        let dir = tempfile::tempdir().unwrap();
        let text: Vec<u8> = (0..300_000).map(|i| b"abc def\n"[i % 8]).collect();
        let path = file_with(dir.path(), &text);
        let file = File::open(&path).unwrap();
        let leases =
            std::fs::read_to_string("/proc/sys/fs/leases-enable").is_ok_and(|s| s.trim() == "1");
        let mappable = leases
            && on_local_filesystem(&file)
            && lease_break_seconds() >= LEASE_BREAK_MIN_SECONDS;
        let mapped = map_kept(file, text.len());
        assert_eq!(mapped.is_ok(), mappable);
        let Ok(bytes) = mapped else {
            return;
        };
        assert_eq!(bytes, &text[..]);
        let writer = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path);
        let err = writer.expect_err("a writer got in while the file was mapped");
        assert_eq!(err.raw_os_error(), Some(libc::EWOULDBLOCK));
        assert_eq!(bytes, &text[..]);
    }

    #[test]
    fn a_file_open_for_writing_is_not_mapped() {
        let dir = tempfile::tempdir().unwrap();
        let path = file_with(dir.path(), b"some text\n");
        let _writer = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        let file = File::open(&path).unwrap();
        assert!(map_kept(file, 10).is_err());
    }

    #[test]
    fn a_file_whose_size_changed_is_not_mapped() {
        let dir = tempfile::tempdir().unwrap();
        let path = file_with(dir.path(), b"some text\n");
        let file = File::open(&path).unwrap();
        assert!(map_kept(file, 5).is_err());
    }
}
