//! Replacing a file so that a crash leaves the old content or the new one,
//! never a mix: the one place redline writes a file atomically.
//!
//! The new content goes to a temporary file in the same folder (a rename
//! is atomic only within one file system), is flushed to disk when asked,
//! and is then renamed over the target. A crash before the rename leaves the
//! target as it was plus a temporary file named `.<name>.redline-tmp`,
//! which the next write of the same file replaces (and which
//! [`is_temporary`] lets cleaners recognize).
//!
//! Three strengths: [`Durability::Synced`] for state that must survive a
//! power cut once written (the run state, `redline.toml`);
//! [`Durability::FileSynced`] for files written together whose folder the
//! caller syncs once (a pack and its index); and [`Durability::Replaced`]
//! for derived copies that redline can rebuild from git (new files of the
//! store's work tree), where an fsync per file would cost more than the
//! batch's commits.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::StoreError;

/// Suffix of the temporary files this module writes.
pub const TEMP_SUFFIX: &str = ".redline-tmp";

/// How hard [`write`] works to make the new content survive a crash of the
/// machine (a killed process is covered by both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// The temporary file and the folder are fsynced: after `write` returns,
    /// the new content survives a power cut.
    Synced,
    /// The temporary file is fsynced, the folder is not: for several files
    /// written together, after which the caller calls [`sync_folder`] once
    /// (a pack and its index).
    FileSynced,
    /// Rename only: a killed process leaves the old or the new content, but
    /// after a power cut the file may be empty. For copies rebuilt from git.
    Replaced,
}

/// The temporary file [`write`] uses for `path`.
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}{TEMP_SUFFIX}"))
}

/// Whether a file name is one of [`write`]'s temporary files.
pub fn is_temporary(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(TEMP_SUFFIX)
}

/// Replaces `path` with `bytes`: the old content or the new one, never a
/// part. Errors name the file and carry the I/O error (a full disk, a
/// read-only store), and leave the target as it was.
pub fn write(path: &Path, bytes: &[u8], durability: Durability) -> Result<(), StoreError> {
    let io = StoreError::io;
    let temp = temp_path(path);
    let written = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        if matches!(durability, Durability::Synced | Durability::FileSynced) {
            file.sync_all()?;
        }
        Ok(())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(io("write", &temp)(e));
    }
    if let Err(e) = std::fs::rename(&temp, path) {
        let _ = std::fs::remove_file(&temp);
        return Err(io("replace", path)(e));
    }
    if durability == Durability::Synced {
        sync_folder(path);
    }
    Ok(())
}

/// Makes a rename in `path`'s folder durable. Best effort: some file systems
/// refuse to open or fsync a folder, and the rename itself already happened.
pub fn sync_folder(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(handle) = std::fs::File::open(dir) {
            let _ = handle.sync_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_replaces_the_whole_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, "old content that is longer").unwrap();
        write(&path, b"new", Durability::Synced).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        write(&path, b"newer", Durability::Replaced).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "newer");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        assert_eq!(names, ["state.json"]);
    }

    #[test]
    fn a_failed_write_leaves_the_target_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "kept").unwrap();
        // The temporary file's place is taken by a folder: creating it fails.
        std::fs::create_dir(temp_path(&path)).unwrap();
        let err = write(&path, b"lost", Durability::Synced).unwrap_err();
        assert!(err.to_string().contains(".f.redline-tmp"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "kept");
    }

    #[test]
    fn temporaries_are_recognized() {
        let t = temp_path(Path::new("/s/a/document.md"));
        assert_eq!(t, Path::new("/s/a/.document.md.redline-tmp"));
        assert!(is_temporary(".document.md.redline-tmp"));
        assert!(!is_temporary("document.md"));
    }
}
