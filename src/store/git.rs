//! The git-backed [`Store`]: with `remote.rs` (push and pull), the only
//! file in redline that uses git2.
//!
//! A version is written objects first (blobs, trees, the commit), the branch
//! reference last, so a crash leaves either the old history or the new one,
//! never half a version. The work tree and index are brought in line with the
//! new commit afterwards, for people who browse the store with git; redline
//! itself reads only from objects.

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use git2::{ErrorCode, ObjectType, Oid, Repository, Signature, Time, TreeBuilder};

use super::atomic::{self, Durability};
use super::pack::{self, PackKind};
use super::{
    PROFILES_DIR, Recorded, RevSpec, STATE_DIR, STORE_MARKER, SourceId, StoreError, Version,
};
use crate::document::{Document, markdown};
use crate::fetch::Capture;

pub(super) const DOCUMENT_FILE: &str = "document.md";
pub(super) const RELATED_FILE: &str = "related.md";
pub(super) const CAPTURE_FILE: &str = "capture.json";
/// Name of the raw capture file, without its extension.
const RAW_STEM: &str = "raw";
const AUTHOR_NAME: &str = "redline";
const AUTHOR_EMAIL: &str = "redline@localhost";

const INITIAL_CONFIG: &str = "\
# A redline store: every version of every tracked source, in git.
# See `redline --help`. Sources added with `redline add` are listed here.

[store]
format = 1
";

/// A redline store: a git repository with a `redline.toml`.
pub struct Store {
    pub(super) root: PathBuf,
    /// Open to `remote.rs`, the store's other git2 user (push and pull).
    pub(super) repo: Repository,
    /// Inside [`Store::with_packing`]: new objects go to memory and are
    /// written as packs; these are the ids written since the last flush.
    packing: Cell<bool>,
    written: RefCell<Vec<Oid>>,
    /// Inside [`Store::with_packing`]: the newest commit, kept in memory until
    /// its pack is on disk; the branch still points at the last flushed one.
    pending_head: Cell<Option<Oid>>,
    /// Each source's history as last walked, with the head it was walked
    /// from (see `history.rs`); a walk from another head starts again.
    pub(super) history: RefCell<super::history::HistoryCache>,
    /// The root tree's entries as last written (see [`Store::write_root`]).
    root_tree: RefCell<Option<RootTree>>,
}

/// Priority of the in-memory object backend: above the loose and pack
/// backends, so it receives every write while a batch packs.
const MEMPACK_PRIORITY: i32 = 1000;

/// The handle a batch uses to write what it has recorded so far to disk.
pub struct Packing<'a> {
    store: &'a Store,
    odb: &'a git2::Odb<'a>,
    mempack: &'a git2::Mempack<'a>,
}

impl Packing<'_> {
    /// Writes every object recorded since the last flush as one pack file,
    /// then moves the branch to the newest commit: objects first, ref last.
    pub fn flush(&self) -> Result<(), StoreError> {
        let store = self.store;
        let mut oids = std::mem::take(&mut *store.written.borrow_mut());
        let mut seen = std::collections::HashSet::new();
        oids.retain(|oid| seen.insert(*oid));
        if oids.is_empty() && store.pending_head.get().is_none() {
            return Ok(());
        }
        let written = self.write_pack(&oids);
        if written.is_err() {
            // Nothing of this pack is on disk and the branch has not moved:
            // keep its objects for the next flush, which must write them
            // too, or the branch would later point at a commit whose
            // ancestors are missing.
            let mut kept = store.written.borrow_mut();
            let later = std::mem::take(&mut *kept);
            *kept = oids;
            kept.extend(later);
            return written;
        }
        if let Some(head) = store.pending_head.get() {
            let name = store
                .repo
                .find_reference("HEAD")
                .ok()
                .and_then(|r| r.symbolic_target().ok().flatten().map(str::to_string))
                .unwrap_or_else(|| "HEAD".to_string());
            store.git(
                "move the branch",
                store
                    .repo
                    .reference(&name, head, true, "redline: record versions"),
            )?;
            store.pending_head.set(None);
        }
        store.git("empty the in-memory objects", self.mempack.reset())?;
        Ok(())
    }

    /// Writes `oids` (kept in memory) as one pack file with its index, both
    /// flushed to disk before this returns: the branch will point into this
    /// pack, so even a power cut must not leave it naming objects that never
    /// reached the disk. The pack goes first; git and libgit2 look for packs
    /// by their index, so a pack without one is never read (and a crash
    /// between the two leaves only a stray file `git gc` removes).
    fn write_pack(&self, oids: &[Oid]) -> Result<(), StoreError> {
        let store = self.store;
        let mut objects = Vec::with_capacity(oids.len());
        for oid in oids {
            objects.push(store.git("read a new object", self.odb.read(*oid))?);
        }
        let mut entries = Vec::with_capacity(objects.len());
        for object in &objects {
            let kind = match object.kind() {
                ObjectType::Commit => PackKind::Commit,
                ObjectType::Tree => PackKind::Tree,
                _ => PackKind::Blob,
            };
            entries.push((kind, object.data()));
        }
        let packs = store.root.join(".git/objects/pack");
        let encoded =
            pack::encode(&entries).map_err(StoreError::io("write a pack into", &packs))?;
        drop(objects);
        let ids: Vec<[u8; 20]> = oids
            .iter()
            .map(|oid| {
                let mut id = [0u8; 20];
                id.copy_from_slice(oid.as_bytes());
                id
            })
            .collect();
        let idx = pack::index(&encoded, &ids);
        let name: String = encoded
            .checksum()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        std::fs::create_dir_all(&packs).map_err(StoreError::io("create", &packs))?;
        let pack_path = packs.join(format!("pack-{name}.pack"));
        atomic::write(&pack_path, &encoded.bytes, Durability::FileSynced)?;
        let idx_path = packs.join(format!("pack-{name}.idx"));
        if let Err(e) = atomic::write(&idx_path, &idx, Durability::FileSynced) {
            // A failed run leaves the store as it was: no pack without its
            // index either.
            let _ = std::fs::remove_file(&pack_path);
            return Err(e);
        }
        // Both renames are durable with one sync of the folder.
        atomic::sync_folder(&idx_path);
        // libgit2 lists the pack folder once; make it see the new pack
        // before the in-memory copies of its objects are dropped.
        store.git("read the new pack", self.odb.refresh())
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("root", &self.root).finish()
    }
}

impl Store {
    /// Creates a store in `dir` (created if missing): a git repository with
    /// `redline.toml` and a `.gitignore` in its first commit.
    pub fn init(dir: &Path) -> Result<Store, StoreError> {
        if dir.join(STORE_MARKER).exists() {
            return Err(StoreError::AlreadyExists {
                path: dir.display().to_string(),
            });
        }
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            action: "create the store directory",
            path: dir.display().to_string(),
            source,
        })?;
        let git_err = |action: &str, e: git2::Error| StoreError::Git {
            store: dir.display().to_string(),
            action: action.to_string(),
            message: e.message().to_string(),
        };
        // An existing repository (opened at exactly this path) is reused.
        let repo = match Repository::open(dir) {
            Ok(repo) => repo,
            Err(_) => Repository::init(dir).map_err(|e| git_err("create a git repository", e))?,
        };
        let store = Store {
            root: dir.to_path_buf(),
            repo,
            packing: Cell::new(false),
            written: RefCell::new(Vec::new()),
            pending_head: Cell::new(None),
            history: RefCell::default(),
            root_tree: RefCell::default(),
        };
        let files = [
            (STORE_MARKER, INITIAL_CONFIG.as_bytes()),
            (".gitignore", b"/.redline/\n".as_slice()),
        ];
        let head_tree = store.head_tree_id()?;
        let tree = {
            let mut builder = store.builder(head_tree)?;
            for (name, content) in files {
                let blob = store.git("write a file", store.repo.blob(content))?;
                store.git("build a tree", builder.insert(name, blob, 0o100644))?;
            }
            store.git("write a tree", builder.write())?
        };
        let now = chrono::Utc::now().fixed_offset();
        store.commit(tree, "redline: create store", now)?;
        store.sync_work_tree(&[STORE_MARKER, ".gitignore"])?;
        Ok(store)
    }

    /// Opens the store at `dir` (which must hold `redline.toml`).
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        // redline only links objects it has just written itself, so
        // libgit2's existence check on every tree insert only costs time
        // (it dominated batch runs). Objects read are still hash-verified:
        // the store is the user's only record, and corruption must show
        // (the history walk alone skips it for the ids it compares; see
        // `history.rs`).
        git2::opts::strict_object_creation(false);
        if !dir.join(STORE_MARKER).is_file() {
            return Err(StoreError::NotAStore {
                path: dir.display().to_string(),
            });
        }
        let repo = Repository::open(dir).map_err(|e| StoreError::Git {
            store: dir.display().to_string(),
            action: "open the git repository".into(),
            message: format!(
                "{}; is it a git repository? (`redline init` makes one)",
                e.message()
            ),
        })?;
        Ok(Store {
            root: dir.to_path_buf(),
            repo,
            packing: Cell::new(false),
            written: RefCell::new(Vec::new()),
            pending_head: Cell::new(None),
            history: RefCell::default(),
            root_tree: RefCell::default(),
        })
    }

    /// Runs `record` with every new object kept in memory and written as
    /// pack files (when it calls [`Packing::flush`], and once at the end)
    /// instead of one file per object: a batch of many versions then costs a
    /// few file creations rather than seven per version. The branch only
    /// moves after a pack is on disk, so a crash loses the unflushed versions
    /// (a later run records them again) and never leaves the branch pointing
    /// at missing objects. If the final flush fails, the error is returned
    /// and nothing after the last good flush is recorded.
    pub fn with_packing<R>(
        &mut self,
        record: impl FnOnce(&Store, &Packing<'_>) -> R,
    ) -> Result<R, StoreError> {
        let result = {
            let odb = self.git("open the object database", self.repo.odb())?;
            let mempack = self.git(
                "keep objects in memory",
                odb.add_new_mempack_backend(MEMPACK_PRIORITY),
            )?;
            let packing = Packing {
                store: self,
                odb: &odb,
                mempack: &mempack,
            };
            self.packing.set(true);
            let result = record(self, &packing);
            let flushed = packing.flush();
            self.packing.set(false);
            self.pending_head.set(None);
            self.written.borrow_mut().clear();
            flushed.map(|()| result)
        };
        // The memory backend stays in this handle's object database: reopen,
        // so nothing written later can land in memory.
        self.repo = self.git("reopen the repository", Repository::open(&self.root))?;
        result
    }

    /// Notes an object written while packing, so the next flush packs it.
    pub(super) fn wrote(&self, oid: Oid) -> Oid {
        if self.packing.get() {
            self.written.borrow_mut().push(oid);
        }
        oid
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where run state (outside history) is kept.
    pub fn state_dir(&self) -> PathBuf {
        self.root.join(STATE_DIR)
    }

    /// Sources with at least one version, sorted by id.
    pub fn sources(&self) -> Result<Vec<SourceId>, StoreError> {
        let Some(tree) = self.head_tree_id()? else {
            return Ok(Vec::new());
        };
        let tree = self.git("read the current tree", self.repo.find_tree(tree))?;
        let mut ids: Vec<SourceId> = tree
            .iter()
            .filter(|e| e.kind() == Some(ObjectType::Tree))
            .filter_map(|e| e.name().ok().and_then(|n| SourceId::parse(n).ok()))
            .filter(|id| id.as_str() != PROFILES_DIR)
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// The latest version of `source` and its document, if it has one.
    pub fn current(&self, source: &SourceId) -> Result<Option<(Version, Document)>, StoreError> {
        let Some(head) = self.head_commit_id()? else {
            return Ok(None);
        };
        let commit = self.git("read the latest commit", self.repo.find_commit(head))?;
        if self.source_tree(&commit, source).is_none() {
            return Ok(None);
        }
        let latest = self
            .versions(source)?
            .into_iter()
            .next()
            .ok_or_else(|| self.unknown(source))?;
        let doc = self.document_at(source, &latest)?;
        Ok(Some((latest, doc)))
    }

    /// The current document of `source`, read from the latest commit alone
    /// (no history walk; [`Store::current`] also finds its version).
    pub fn current_document(&self, source: &SourceId) -> Result<Option<Document>, StoreError> {
        let Some(head_tree) = self.head_tree_id()? else {
            return Ok(None);
        };
        let Some(dir) = self.source_dir(head_tree, source)? else {
            return Ok(None);
        };
        let dir = self.git("read a source folder", self.repo.find_tree(dir))?;
        let read = |name: &str| -> Result<String, StoreError> {
            let Some(entry) = dir.get_name(name) else {
                return Ok(String::new());
            };
            let blob = self.git(
                "read a file",
                entry.to_object(&self.repo).and_then(|o| o.peel_to_blob()),
            )?;
            String::from_utf8(blob.content().to_vec())
                .map_err(|_| self.corrupt(&format!("{source}/{name}"), "not UTF-8"))
        };
        let mut doc = markdown::parse_document_shared(std::sync::Arc::new(read(DOCUMENT_FILE)?));
        doc.related = markdown::parse_related(&read(RELATED_FILE)?);
        Ok(Some(doc))
    }

    /// The id of `source`'s folder in the root tree `root`, if it has one:
    /// from the entries [`Store::write_root`] keeps when they are `root`'s
    /// (a batch reads each changed source's current version), else from
    /// the tree itself.
    fn source_dir(&self, root: Oid, source: &SourceId) -> Result<Option<Oid>, StoreError> {
        if let Some(cached) = self.root_tree.borrow().as_ref()
            && cached.tree == Some(root)
        {
            let name = source.as_str().as_bytes();
            return Ok(cached
                .entries
                .iter()
                .find(|e| e.name == name && e.mode == TREE_MODE)
                .map(|e| e.id));
        }
        let tree = self.git("read the current tree", self.repo.find_tree(root))?;
        Ok(tree
            .get_name(source.as_str())
            .filter(|e| e.kind() == Some(ObjectType::Tree))
            .map(|e| e.id()))
    }

    /// The document of `source` as recorded in `version`, or as re-derived
    /// by the newest re-normalization of that version.
    pub fn document_at(
        &self,
        source: &SourceId,
        version: &Version,
    ) -> Result<Document, StoreError> {
        // A re-normalized version is read as re-derived (see `history.rs`).
        let id = self
            .rederived(source, &version.id)?
            .unwrap_or_else(|| version.id.clone());
        let oid = Oid::from_str(&id).map_err(|e| self.corrupt(&id, e.message()))?;
        let commit = self.git("read a version", self.repo.find_commit(oid))?;
        let doc_text = self.read_file(&commit, source, DOCUMENT_FILE)?;
        let related_text = self.read_file(&commit, source, RELATED_FILE)?;
        let mut doc = markdown::parse_document_shared(std::sync::Arc::new(doc_text));
        doc.related = markdown::parse_related(&related_text);
        Ok(doc)
    }

    /// The raw capture bytes and their file name recorded in `version`.
    pub fn raw_capture(
        &self,
        source: &SourceId,
        version: &Version,
    ) -> Result<(String, Vec<u8>), StoreError> {
        let oid = Oid::from_str(&version.id).map_err(|e| self.corrupt(&version.id, e.message()))?;
        let commit = self.git("read a version", self.repo.find_commit(oid))?;
        let tree = self.git("read a tree", commit.tree())?;
        let dir = self.git(
            "find the source folder",
            tree.get_name(source.as_str())
                .ok_or_else(|| git2::Error::from_str("missing"))
                .and_then(|e| e.to_object(&self.repo))
                .and_then(|o| o.peel_to_tree()),
        )?;
        for entry in dir.iter() {
            let Ok(name) = entry.name() else { continue };
            if name.starts_with(&format!("{RAW_STEM}.")) {
                let blob = self.git(
                    "read the raw capture",
                    entry.to_object(&self.repo).and_then(|o| o.peel_to_blob()),
                )?;
                return Ok((name.to_string(), blob.content().to_vec()));
            }
        }
        Err(self.corrupt(
            &format!("{source}/{RAW_STEM}.*"),
            "no raw capture in this version",
        ))
    }

    /// Finds the version of `source` a spec names.
    pub fn resolve(&self, source: &SourceId, spec: &RevSpec) -> Result<Version, StoreError> {
        let versions = self.versions(source)?;
        if versions.is_empty() {
            return Err(self.unknown(source));
        }
        let no = |reason: String| StoreError::NoSuchVersion {
            source_id: source.to_string(),
            spec: spec_text(spec),
            reason,
        };
        match spec {
            RevSpec::Back(n) => versions.get(*n).cloned().ok_or_else(|| {
                no(format!(
                    "it has only {} versions (~0 to ~{})",
                    versions.len(),
                    versions.len() - 1
                ))
            }),
            RevSpec::Date(day) => {
                let end = day
                    .succ_opt()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|t| chrono::Utc.from_utc_datetime(&t));
                versions
                    .iter()
                    .find(|v| end.is_some_and(|end| v.time < end))
                    .cloned()
                    .ok_or_else(|| {
                        no(format!(
                            "its first version is from {}",
                            first_day(&versions)
                        ))
                    })
            }
            RevSpec::Prefix(prefix) => {
                let found: Vec<&Version> = versions
                    .iter()
                    .filter(|v| v.id.starts_with(prefix.as_str()))
                    .collect();
                match found.as_slice() {
                    [one] => Ok((*one).clone()),
                    [] => Err(no(
                        "no version of this source has a commit id starting so; see `redline log`"
                            .into(),
                    )),
                    _ => Err(no("several versions match; give more digits".into())),
                }
            }
        }
    }

    /// A digest of what a version of `doc` would store (its `document.md`
    /// and `related.md`): equal digests mean equal versions. Computed without
    /// touching the repository.
    pub fn digest(doc: &Document) -> String {
        Prepared::of(doc).digest
    }

    /// The digest of `source`'s current version (see [`Store::digest`]),
    /// read from the latest tree alone: no file is read, no history walked.
    pub fn current_digest(&self, source: &SourceId) -> Result<Option<String>, StoreError> {
        let Some(tree) = self.head_tree_id()? else {
            return Ok(None);
        };
        let tree = self.git("read the current tree", self.repo.find_tree(tree))?;
        Ok(self.tree_digest(&tree, source))
    }

    /// The digests of every source's current version, read from the latest
    /// tree once (a batch asks for all of them).
    pub fn current_digests(&self) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let mut out = std::collections::HashMap::new();
        let Some(tree) = self.head_tree_id()? else {
            return Ok(out);
        };
        let tree = self.git("read the current tree", self.repo.find_tree(tree))?;
        for entry in tree.iter() {
            let Ok(Ok(id)) = entry.name().map(SourceId::parse) else {
                continue;
            };
            if let Some(d) = self.tree_digest(&tree, &id) {
                out.insert(id.to_string(), d);
            }
        }
        Ok(out)
    }

    /// Digests of the latest `n` versions of `source`, newest first. Walks
    /// history; the batch keeps these in its run state and calls this only
    /// when the state has lost them.
    pub fn recent_digests(
        &self,
        source: &SourceId,
        n: usize,
    ) -> Result<Vec<(Version, String)>, StoreError> {
        let mut out = Vec::new();
        for version in self.versions(source)?.into_iter().take(n) {
            // A re-normalized version counts as re-derived.
            let id = self
                .rederived(source, &version.id)?
                .unwrap_or_else(|| version.id.clone());
            let oid = Oid::from_str(&id).map_err(|e| self.corrupt(&id, e.message()))?;
            let commit = self.git("read a version", self.repo.find_commit(oid))?;
            let tree = self.git("read a tree", commit.tree())?;
            if let Some(d) = self.tree_digest(&tree, source) {
                out.push((version, d));
            }
        }
        Ok(out)
    }

    fn tree_digest(&self, tree: &git2::Tree<'_>, source: &SourceId) -> Option<String> {
        let dir = tree.get_name(source.as_str())?;
        if dir.kind() != Some(ObjectType::Tree) {
            return None;
        }
        let dir = self.repo.find_tree(dir.id()).ok()?;
        dir_digest(&dir)
    }

    /// Commits a new `redline.toml` (the sources list) with `message`, and
    /// writes it to the work tree.
    ///
    /// The file is written to its temporary name first, then committed, then
    /// renamed into place: a crash after the commit leaves the new text
    /// beside the old file, and [`Store::repair_work_tree`] finishes the
    /// rename, so the work tree's `redline.toml` (what the next `add` reads)
    /// never stays behind the committed one.
    pub fn commit_config(&self, text: &str, message: &str) -> Result<Version, StoreError> {
        let path = self.root.join(STORE_MARKER);
        let temp = atomic::temp_path(&path);
        let io = StoreError::io;
        let staged = (|| {
            let mut file = std::fs::File::create(&temp)?;
            std::io::Write::write_all(&mut file, text.as_bytes())?;
            file.sync_all()
        })();
        if let Err(e) = staged {
            let _ = std::fs::remove_file(&temp);
            return Err(io("write", &temp)(e));
        }
        let head_tree = self.head_tree_id()?;
        let committed = (|| {
            let mut root = self.builder(head_tree)?;
            let blob = self.git("write a file", self.repo.blob(text.as_bytes()))?;
            self.git("build a tree", root.insert(STORE_MARKER, blob, 0o100644))?;
            let tree = self.git("write a tree", root.write())?;
            self.commit(tree, message, chrono::Utc::now().fixed_offset())
        })();
        let version = match committed {
            Ok(version) => version,
            Err(e) => {
                let _ = std::fs::remove_file(&temp);
                return Err(e);
            }
        };
        std::fs::rename(&temp, &path).map_err(io("replace", &path))?;
        self.stage(&[STORE_MARKER])?;
        Ok(version)
    }

    /// Records the work tree's `paths` in the index as they are on disk.
    fn stage(&self, paths: &[&str]) -> Result<(), StoreError> {
        let mut index = self.git("read the index", self.repo.index())?;
        for p in paths {
            self.git("update the index", index.add_path(Path::new(p)))?;
        }
        self.git("write the index", index.write())
    }

    /// Finishes what a killed writer left undone in the work tree (a derived
    /// copy of HEAD; history itself is never half-written):
    ///
    /// - a `redline.toml` committed but not yet renamed into place (its
    ///   temporary file holds exactly HEAD's text) is renamed; any other
    ///   leftover temporary of it is removed;
    /// - source folders whose index entries differ from HEAD (the index is
    ///   written last when folders are synced, so these are folders a crash
    ///   interrupted) are written again from HEAD, leftover temporary files
    ///   included.
    ///
    /// Returns the sources repaired. Writers call this once they hold the
    /// store's lock.
    pub fn repair_work_tree(&self) -> Result<Vec<SourceId>, StoreError> {
        let Some(head_tree) = self.head_tree_id()? else {
            return Ok(Vec::new());
        };
        let tree = self.git("read the current tree", self.repo.find_tree(head_tree))?;
        let config = self.root.join(STORE_MARKER);
        let temp = atomic::temp_path(&config);
        if let Ok(text) = std::fs::read(&temp) {
            let committed = tree.get_name(STORE_MARKER).map(|e| e.id());
            let staged = Oid::hash_object(ObjectType::Blob, &text).ok();
            if committed.is_some() && committed == staged {
                std::fs::rename(&temp, &config).map_err(StoreError::io("replace", &config))?;
                self.stage(&[STORE_MARKER])?;
            } else {
                let _ = std::fs::remove_file(&temp);
            }
        }
        let index = self.git("read the index", self.repo.index())?;
        let diff = self.git(
            "compare the index with the latest commit",
            self.repo
                .diff_tree_to_index(Some(&tree), Some(&index), None),
        )?;
        let mut stale = std::collections::BTreeSet::new();
        for delta in diff.deltas() {
            for file in [delta.old_file(), delta.new_file()] {
                let top = file
                    .path()
                    .and_then(|p| p.components().next())
                    .and_then(|c| c.as_os_str().to_str())
                    .and_then(|name| SourceId::parse(name).ok());
                if let Some(id) = top.filter(|id| tree.get_name(id.as_str()).is_some()) {
                    stale.insert(id);
                }
            }
        }
        let stale: Vec<SourceId> = stale.into_iter().collect();
        self.sync_sources(&stale)?;
        Ok(stale)
    }

    /// Records `doc` (from `capture`) as the next version of `source` with
    /// commit `message`, unless it equals the current version.
    pub fn record(
        &self,
        source: &SourceId,
        doc: &Document,
        capture: &Capture,
        message: &str,
    ) -> Result<Recorded, StoreError> {
        let recorded = self.record_deferred(source, doc, capture, message)?;
        if matches!(recorded, Recorded::New(_)) {
            self.sync_sources(std::slice::from_ref(source))?;
        }
        Ok(recorded)
    }

    /// Brings the work tree's folders of `sources` in line with the latest
    /// commit, after [`Store::record_deferred`].
    pub fn sync_sources(&self, sources: &[SourceId]) -> Result<(), StoreError> {
        if sources.is_empty() {
            return Ok(());
        }
        #[cfg(unix)]
        {
            self.write_source_folders(sources)
        }
        #[cfg(not(unix))]
        {
            let paths: Vec<&str> = sources.iter().map(SourceId::as_str).collect();
            self.sync_work_tree(&paths)
        }
    }

    /// Writes the files of `sources` as they are at HEAD into the work tree
    /// (each replaced atomically), removes files HEAD no longer has there,
    /// and records them in the index with their file metadata, so `git
    /// status` sees a clean tree. A checkout does the same but walks every
    /// file of the store, which costs more than the batch's commits.
    #[cfg(unix)]
    fn write_source_folders(&self, sources: &[SourceId]) -> Result<(), StoreError> {
        use std::os::unix::fs::MetadataExt;

        let io = StoreError::io;
        let Some(head) = self.head_commit_id()? else {
            return Ok(());
        };
        let commit = self.git("read the latest commit", self.repo.find_commit(head))?;
        let root = self.git("read a tree", commit.tree())?;
        let mut index = self.git("read the index", self.repo.index())?;
        for source in sources {
            let dir = self.root.join(source.as_str());
            let Some(entry) = root.get_name(source.as_str()) else {
                continue;
            };
            let tree = self.git(
                "read a source folder",
                entry.to_object(&self.repo).and_then(|o| o.peel_to_tree()),
            )?;
            std::fs::create_dir_all(&dir).map_err(io("create", &dir))?;
            let mut names = std::collections::HashSet::new();
            for file in tree.iter() {
                let Ok(name) = file.name() else { continue };
                if file.kind() != Some(ObjectType::Blob) {
                    continue;
                }
                names.insert(name.to_string());
                let path = dir.join(name);
                let rel = format!("{source}/{name}");
                if index_matches(&index, &rel, file.id(), &path) {
                    // Already this content, as the index recorded it.
                    continue;
                }
                let blob = self.git(
                    "read a file",
                    file.to_object(&self.repo).and_then(|o| o.peel_to_blob()),
                )?;
                rewrite(&path, blob.content())?;
                let meta = std::fs::metadata(&path).map_err(io("read the metadata of", &path))?;
                // Index entries hold 32-bit fields; git truncates the same way.
                index
                    .add(&git2::IndexEntry {
                        ctime: git2::IndexTime::new(meta.ctime() as i32, meta.ctime_nsec() as u32),
                        mtime: git2::IndexTime::new(meta.mtime() as i32, meta.mtime_nsec() as u32),
                        dev: meta.dev() as u32,
                        ino: meta.ino() as u32,
                        mode: 0o100644,
                        uid: meta.uid(),
                        gid: meta.gid(),
                        file_size: meta.size() as u32,
                        id: file.id(),
                        flags: rel.len().min(0xfff) as u16,
                        flags_extended: 0,
                        path: rel.into_bytes(),
                    })
                    .map_err(|e| self.git_error("update the index", e))?;
            }
            // Files of an older version that this one no longer has (a raw
            // capture that changed kind).
            if let Ok(entries) = std::fs::read_dir(&dir) {
                for e in entries.flatten() {
                    let name = e.file_name().to_string_lossy().to_string();
                    if e.path().is_file() && !names.contains(&name) {
                        std::fs::remove_file(e.path()).map_err(io("remove", &e.path()))?;
                        let rel = format!("{source}/{name}");
                        let _ = index.remove_path(Path::new(&rel));
                    }
                }
            }
        }
        self.git("write the index", index.write())
    }

    /// [`Store::record`] without updating the work tree: history is complete
    /// when it returns; call [`Store::sync_sources`] once after a batch.
    pub fn record_deferred(
        &self,
        source: &SourceId,
        doc: &Document,
        capture: &Capture,
        message: &str,
    ) -> Result<Recorded, StoreError> {
        self.record_prepared(source, &Prepared::of(doc), capture, message)
    }

    /// [`Store::record_deferred`] for a document already serialized (a batch
    /// does that on its worker threads, where it needs the digest anyway).
    pub fn record_prepared(
        &self,
        source: &SourceId,
        prepared: &Prepared,
        capture: &Capture,
        message: &str,
    ) -> Result<Recorded, StoreError> {
        let head_tree = self.head_tree_id()?;
        if let Some(tree) = head_tree
            && let Some(dir) = self.source_dir(tree, source)?
        {
            // The same content has the same blob ids: no file is read.
            let dir = self.git("read a source folder", self.repo.find_tree(dir))?;
            if dir_digest(&dir).as_deref() == Some(prepared.digest.as_str()) {
                let latest = self
                    .versions(source)?
                    .into_iter()
                    .next()
                    .ok_or_else(|| self.unknown(source))?;
                return Ok(Recorded::Unchanged(latest));
            }
        }

        let capture_json = serde_json::to_string_pretty(capture).unwrap_or_default() + "\n";
        let raw_name = format!("{RAW_STEM}.{}", capture.kind.extension());
        let mut dir = self.builder(None)?;
        for (name, content) in [
            (DOCUMENT_FILE, prepared.document_md.as_bytes()),
            (RELATED_FILE, prepared.related_md.as_bytes()),
            (CAPTURE_FILE, capture_json.as_bytes()),
            (raw_name.as_str(), &capture.body[..]),
        ] {
            let blob = self.wrote(self.git("write a file", self.repo.blob(content))?);
            self.git("build a tree", dir.insert(name, blob, 0o100644))?;
        }
        let dir = self.wrote(self.git("write a tree", dir.write())?);
        let tree = self.write_root(head_tree, source, dir)?;
        let version = self.commit(tree, message, capture.captured_at)?;
        Ok(Recorded::New(version))
    }

    /// Writes the root tree: `base` (the current one) with `source`'s
    /// folder set to `dir`. The entries are kept in memory between calls
    /// (a store holds one folder per source, so the root tree of a large
    /// store is tens of kilobytes that a batch would otherwise read and
    /// parse again for every version) and serialized here in git's tree
    /// format and order.
    fn write_root(
        &self,
        base: Option<Oid>,
        source: &SourceId,
        dir: Oid,
    ) -> Result<Oid, StoreError> {
        let mut cache = self.root_tree.borrow_mut();
        if cache.as_ref().map(|c| c.tree) != Some(base) {
            let mut entries = Vec::new();
            if let Some(base) = base {
                let tree = self.git("read a tree", self.repo.find_tree(base))?;
                for e in tree.iter() {
                    entries.push(RootEntry {
                        name: e.name_bytes().to_vec(),
                        mode: e.filemode() as u32,
                        id: e.id(),
                    });
                }
            }
            *cache = Some(RootTree {
                tree: base,
                entries,
            });
        }
        let root = cache.as_mut().expect("filled above");
        let name = source.as_str().as_bytes();
        if let Some(i) = root.entries.iter().position(|e| e.name == name) {
            root.entries.remove(i);
        }
        let at = root
            .entries
            .binary_search_by(|e| tree_order(&e.name, e.mode == TREE_MODE, name, true))
            .unwrap_or_else(|i| i);
        root.entries.insert(
            at,
            RootEntry {
                name: name.to_vec(),
                mode: TREE_MODE,
                id: dir,
            },
        );
        let mut bytes = Vec::with_capacity(root.entries.len() * (name.len() + 30));
        for e in &root.entries {
            match e.mode {
                TREE_MODE => bytes.extend_from_slice(b"40000 "),
                0o100644 => bytes.extend_from_slice(b"100644 "),
                mode => bytes.extend_from_slice(format!("{mode:o} ").as_bytes()),
            }
            bytes.extend_from_slice(&e.name);
            bytes.push(0);
            bytes.extend_from_slice(e.id.as_bytes());
        }
        let odb = self.git("open the object database", self.repo.odb())?;
        let id = self.wrote(self.git("write a tree", odb.write(ObjectType::Tree, &bytes))?);
        root.tree = Some(id);
        Ok(id)
    }

    pub(super) fn commit(
        &self,
        tree: Oid,
        message: &str,
        time: DateTime<FixedOffset>,
    ) -> Result<Version, StoreError> {
        let when = Time::new(time.timestamp(), time.offset().local_minus_utc() / 60);
        let sig = self.git(
            "make a signature",
            Signature::new(AUTHOR_NAME, AUTHOR_EMAIL, &when),
        )?;
        let tree = self.git("read a tree", self.repo.find_tree(tree))?;
        let parent = match self.head_commit_id()? {
            Some(id) => Some(self.git("read the latest commit", self.repo.find_commit(id))?),
            None => None,
        };
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        // Objects first; `Some("HEAD")` moves the branch last, atomically.
        // While packing, the branch moves when the pack is flushed.
        let update = if self.packing.get() {
            None
        } else {
            Some("HEAD")
        };
        let id = self.git(
            "commit",
            self.repo
                .commit(update, &sig, &sig, message, &tree, &parents),
        )?;
        self.wrote(id);
        if self.packing.get() {
            self.pending_head.set(Some(id));
        }
        let commit = self.git("read the new commit", self.repo.find_commit(id))?;
        Ok(version_of(&commit))
    }

    /// Brings work tree and index in line with HEAD for `paths`.
    pub(super) fn sync_work_tree(&self, paths: &[&str]) -> Result<(), StoreError> {
        let mut opts = git2::build::CheckoutBuilder::new();
        opts.force();
        for p in paths {
            opts.path(*p);
        }
        self.git(
            "update the work tree",
            self.repo.checkout_head(Some(&mut opts)),
        )
    }

    pub(super) fn builder(&self, tree: Option<Oid>) -> Result<TreeBuilder<'_>, StoreError> {
        let tree = match tree {
            Some(id) => Some(self.git("read a tree", self.repo.find_tree(id))?),
            None => None,
        };
        self.git("build a tree", self.repo.treebuilder(tree.as_ref()))
    }

    pub(super) fn head_commit_id(&self) -> Result<Option<Oid>, StoreError> {
        if let Some(pending) = self.pending_head.get() {
            return Ok(Some(pending));
        }
        match self.repo.head() {
            Ok(head) => Ok(head.target()),
            Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => Ok(None),
            Err(e) => Err(self.git_error("read HEAD", e)),
        }
    }

    pub(super) fn head_tree_id(&self) -> Result<Option<Oid>, StoreError> {
        match self.head_commit_id()? {
            Some(id) => {
                let commit = self.git("read the latest commit", self.repo.find_commit(id))?;
                Ok(Some(commit.tree_id()))
            }
            None => Ok(None),
        }
    }

    /// The tree id of `source`'s folder in `commit`, if any.
    pub(super) fn source_tree(&self, commit: &git2::Commit<'_>, source: &SourceId) -> Option<Oid> {
        let tree = commit.tree().ok()?;
        let entry = tree.get_name(source.as_str())?;
        (entry.kind() == Some(ObjectType::Tree)).then(|| entry.id())
    }

    pub(super) fn read_file(
        &self,
        commit: &git2::Commit<'_>,
        source: &SourceId,
        name: &str,
    ) -> Result<String, StoreError> {
        let path = format!("{source}/{name}");
        let tree = self.git("read a tree", commit.tree())?;
        let entry = match tree.get_path(Path::new(&path)) {
            Ok(entry) => entry,
            Err(e) if e.code() == ErrorCode::NotFound => return Ok(String::new()),
            Err(e) => return Err(self.git_error("read a file", e)),
        };
        let blob = self.git(
            "read a file",
            entry.to_object(&self.repo).and_then(|o| o.peel_to_blob()),
        )?;
        String::from_utf8(blob.content().to_vec()).map_err(|_| self.corrupt(&path, "not UTF-8"))
    }

    pub(super) fn git<T>(
        &self,
        action: &str,
        result: Result<T, git2::Error>,
    ) -> Result<T, StoreError> {
        result.map_err(|e| self.git_error(action, e))
    }

    pub(super) fn git_error(&self, action: &str, e: git2::Error) -> StoreError {
        // Some failed writes come back from libgit2 without a message ("no
        // error"); the operating system's last error then says what it was.
        let message = if e.class() == git2::ErrorClass::None {
            let os = std::io::Error::last_os_error();
            match os.raw_os_error() {
                Some(code) if code != 0 => {
                    format!("{os}{}", super::write_hint(&os.to_string(), Some(os.kind())))
                }
                _ => "git gave no reason; a full disk or a store that cannot be written are the usual causes: check free space and permissions, then run again (what is already recorded stays)".to_string(),
            }
        } else {
            format!("{}{}", e.message(), super::write_hint(e.message(), None))
        };
        StoreError::Git {
            store: self.root.display().to_string(),
            action: action.to_string(),
            message,
        }
    }

    pub(super) fn corrupt(&self, path: &str, message: &str) -> StoreError {
        StoreError::Corrupt {
            store: self.root.display().to_string(),
            path: path.to_string(),
            message: message.to_string(),
        }
    }

    pub(super) fn unknown(&self, source: &SourceId) -> StoreError {
        let known = self
            .sources()
            .map(|s| {
                s.iter()
                    .map(SourceId::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        StoreError::UnknownSource {
            id: source.to_string(),
            store: self.root.display().to_string(),
            known: if known.is_empty() {
                "none yet".into()
            } else {
                known
            },
        }
    }
}

pub(super) fn version_of(commit: &git2::Commit<'_>) -> Version {
    let t = commit.time();
    let offset = FixedOffset::east_opt(t.offset_minutes() * 60)
        .unwrap_or(FixedOffset::east_opt(0).expect("UTC"));
    let time = offset
        .timestamp_opt(t.seconds(), 0)
        .single()
        .unwrap_or_else(|| chrono::Utc::now().fixed_offset());
    let message = commit.message().unwrap_or("").to_string();
    Version {
        id: commit.id().to_string(),
        time,
        summary: message.lines().next().unwrap_or("").to_string(),
        message,
    }
}

fn spec_text(spec: &RevSpec) -> String {
    match spec {
        RevSpec::Back(n) => format!("~{n}"),
        RevSpec::Date(d) => d.to_string(),
        RevSpec::Prefix(p) => p.clone(),
    }
}

fn first_day(versions: &[Version]) -> NaiveDate {
    versions
        .last()
        .map(|v| v.time.date_naive())
        .unwrap_or_default()
}

/// Whether the index records `path` (`rel` in the store) with content `id`
/// and the file still has the size and modification time the index saw:
/// then the file holds that content and need not be written again.
#[cfg(unix)]
fn index_matches(index: &git2::Index, rel: &str, id: Oid, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Some(entry) = index.get_path(Path::new(rel), 0) else {
        return false;
    };
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    entry.id == id
        && meta.is_file()
        && entry.file_size == meta.size() as u32
        && entry.mtime.seconds() == meta.mtime() as i32
        && entry.mtime.nanoseconds() == meta.mtime_nsec() as u32
}

/// Writes a work-tree file: an existing one is overwritten in place (and
/// cut to the new length), a missing one created directly. Work-tree files are
/// copies of what git holds, so they are not replaced through a temporary
/// file as state files are: on file systems that discard freed blocks
/// (ext4 mounted with `discard`, common on cloud disks) freeing a file's
/// blocks costs tens of times its writing (`scripts/bench-file-replace.py`), and a nightly run rewrites
/// hundreds of files. A crash mid-write leaves a file that differs from
/// git; the index is written only after all of a batch's files, so
/// [`Store::repair_work_tree`] rewrites it on the next run. Symbolic links
/// are never followed: one planted in the store is replaced, not written
/// through.
#[cfg(unix)]
fn rewrite(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let existing = std::fs::symlink_metadata(path);
    if existing
        .as_ref()
        .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
    {
        // A new file: created exclusively (never through a link someone
        // placed there meanwhile), like the in-place case repaired from git
        // if a crash cuts it short.
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .and_then(|mut file| file.write_all(bytes));
        return match created {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                atomic::write(path, bytes, Durability::Replaced)
            }
            other => other.map_err(StoreError::io("write", path)),
        };
    }
    if !existing.is_ok_and(|m| m.is_file()) {
        // Something else in the way (a link, a folder): replaced.
        return atomic::write(path, bytes, Durability::Replaced);
    }
    let written = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            if file.metadata()?.len() > bytes.len() as u64 {
                file.set_len(bytes.len() as u64)?;
            }
            Ok(())
        });
    written.map_err(StoreError::io("write", path))
}

/// A document as the store writes it (`document.md`, `related.md`) and its
/// digest (the two files' blob ids, see [`Store::digest`]): serialized once
/// and used both to compare with the current version and to record.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub document_md: String,
    pub related_md: String,
    pub digest: String,
}

impl Prepared {
    pub fn of(doc: &Document) -> Prepared {
        let document_md = markdown::document_to_markdown(doc);
        let related_md = markdown::related_to_markdown(&doc.related);
        let hash = |text: &str| {
            Oid::hash_object(ObjectType::Blob, text.as_bytes())
                .map(|o| o.to_string())
                .unwrap_or_default()
        };
        let digest = format!("{}:{}", hash(&document_md), hash(&related_md));
        Prepared {
            document_md,
            related_md,
            digest,
        }
    }
}

/// Mode of a folder entry in a git tree.
const TREE_MODE: u32 = 0o040000;

/// The root tree's entries as [`Store::write_root`] keeps them, with the id
/// of the tree they make.
pub(super) struct RootTree {
    tree: Option<Oid>,
    entries: Vec<RootEntry>,
}

struct RootEntry {
    name: Vec<u8>,
    mode: u32,
    id: Oid,
}

/// Git's order of tree entries: by name, bytes compared, a folder's name
/// read as if it ended in `/`.
fn tree_order(a: &[u8], a_tree: bool, b: &[u8], b_tree: bool) -> std::cmp::Ordering {
    let n = a.len().min(b.len());
    a[..n].cmp(&b[..n]).then_with(|| {
        let end = |name: &[u8], tree: bool| name.get(n).copied().or(tree.then_some(b'/'));
        end(a, a_tree).cmp(&end(b, b_tree))
    })
}

/// The digest (see [`Store::digest`]) of the version a source folder holds:
/// the blob ids of its `document.md` and `related.md`, a missing one
/// counted as empty.
fn dir_digest(dir: &git2::Tree<'_>) -> Option<String> {
    let empty = Oid::hash_object(ObjectType::Blob, b"").ok()?;
    let id = |name: &str| dir.get_name(name).map_or(empty, |e| e.id());
    Some(format!("{}:{}", id(DOCUMENT_FILE), id(RELATED_FILE)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    #[test]
    fn tree_order_reads_folders_as_ending_in_a_slash() {
        // Folders: "a" sorts as "a/", after "a-b" and "a.b", before "a0".
        let mut names = [
            ("a0", true),
            ("a", true),
            ("a.b", false),
            ("a-b", true),
            ("ab", false),
        ];
        names.sort_by(|x, y| tree_order(x.0.as_bytes(), x.1, y.0.as_bytes(), y.1));
        let sorted: Vec<&str> = names.iter().map(|n| n.0).collect();
        assert_eq!(sorted, ["a-b", "a.b", "a", "a0", "ab"]);
        // A file "a" sorts before a folder "a-b"; a folder "a" after it.
        assert_eq!(tree_order(b"a", false, b"a-b", true), Ordering::Less);
        assert_eq!(tree_order(b"a", true, b"a-b", true), Ordering::Greater);
        assert_eq!(tree_order(b"same", true, b"same", true), Ordering::Equal);
    }
}
