//! A source's history: which commits are its versions, which re-derive an
//! older version with a newer normalizer, and recording such re-derivations.
//!
//! A **version** is a first-parent commit that changed the source's folder.
//! A **re-normalization commit** also changes the folder, but its message
//! carries a `Redline-Renormalized-From: <commit>` trailer: it holds the
//! document the current normalizer derives from the raw capture of that
//! earlier version (its folder keeps that version's raw capture and
//! `capture.json`, so every commit's folder is self-consistent). It is not an
//! editorial change, so [`Store::versions`] leaves it out, and
//! [`Store::document_at`] reads a version through the newest re-normalization
//! of it: history is compared as re-derived while the original commits stay
//! untouched.
//!
//! One walk serves every source: it reads each first-parent commit and its
//! root tree once (without re-hashing them; documents read later are
//! verified) and compares the folder ids of neighbouring root trees. Its
//! result is kept for as long as the branch head does not move, so reading
//! 500 versions' documents, or logging every source, walks history once.

use std::collections::HashMap;
use std::rc::Rc;

use chrono::{DateTime, FixedOffset};
use git2::{ObjectType, Oid};

use super::git::{CAPTURE_FILE, DOCUMENT_FILE, RELATED_FILE, version_of};
use super::{SourceId, Store, StoreError, Version};
use crate::document::{Document, markdown};

/// Trailer naming the version a re-normalization commit re-derives.
pub const RENORMALIZED_FROM: &str = "Redline-Renormalized-From";
/// Trailer naming the normalizer (`redline <version>`) that re-derived it.
pub const NORMALIZER: &str = "Redline-Normalizer";

/// One commit that changed a source's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub version: Version,
    /// For a re-normalization commit: the version it re-derives.
    pub renormalized_from: Option<String>,
}

/// Every source's history, walked from `head` at once.
#[derive(Debug, Default)]
pub struct HistoryCache {
    head: Option<Oid>,
    walked: HashMap<String, Rc<Vec<HistoryEntry>>>,
}

impl Store {
    /// Versions of `source`, newest first; re-normalization commits are not
    /// versions (see [`Store::history`]).
    pub fn versions(&self, source: &SourceId) -> Result<Vec<Version>, StoreError> {
        Ok(self
            .history(source)?
            .iter()
            .filter(|e| e.renormalized_from.is_none())
            .map(|e| e.version.clone())
            .collect())
    }

    /// Every commit that changed `source`'s folder, newest first: its
    /// versions and its re-normalization commits.
    pub fn history(&self, source: &SourceId) -> Result<Rc<Vec<HistoryEntry>>, StoreError> {
        let Some(head) = self.head_commit_id()? else {
            return Ok(Rc::new(Vec::new()));
        };
        if self.history.borrow().head != Some(head) {
            let walked = self.walk(head)?;
            *self.history.borrow_mut() = HistoryCache {
                head: Some(head),
                walked,
            };
        }
        Ok(self
            .history
            .borrow()
            .walked
            .get(source.as_str())
            .cloned()
            .unwrap_or_default())
    }

    /// The re-normalization commit `version` of `source` is read from: the
    /// newest one that re-derives it, if any.
    pub fn rederived(
        &self,
        source: &SourceId,
        version: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .history(source)?
            .iter()
            .find(|e| e.renormalized_from.as_deref() == Some(version))
            .map(|e| e.version.id.clone()))
    }

    /// Walks first-parent history from `head` once for every source: each
    /// commit and its root tree are read once, and a commit is a change of
    /// every folder whose id differs from its parent's (the two root trees'
    /// folder entries are merged in name order, nothing else is read).
    fn walk(&self, head: Oid) -> Result<HashMap<String, Rc<Vec<HistoryEntry>>>, StoreError> {
        // The walk only compares ids: re-hashing every commit and root tree
        // it reads (libgit2's default, kept for every other read) was most
        // of its time on long histories. Documents read later are verified.
        struct Verify;
        impl Drop for Verify {
            fn drop(&mut self) {
                git2::opts::strict_hash_verification(true);
            }
        }
        git2::opts::strict_hash_verification(false);
        let _verify = Verify;
        let mut walked: HashMap<String, Vec<HistoryEntry>> = HashMap::new();
        // The commit before (newer than) the one being read, with its tree.
        let mut child: Option<(git2::Commit<'_>, git2::Tree<'_>)> = None;
        let mut next = Some(head);
        loop {
            let (commit, tree) = match next {
                Some(id) => {
                    let commit = self.git("read history", self.repo.find_commit(id))?;
                    let tree = self.git("read a tree", self.repo.find_tree(commit.tree_id()))?;
                    next = commit.parent_id(0).ok();
                    (Some(commit), Some(tree))
                }
                None => (None, None),
            };
            if let Some((newer, newer_tree)) = child.take() {
                let changed = changed_folders(&newer_tree, tree.as_ref());
                if !changed.is_empty() {
                    let version = version_of(&newer);
                    let renormalized_from = trailer(&version.message, RENORMALIZED_FROM);
                    for name in changed {
                        walked.entry(name).or_default().push(HistoryEntry {
                            version: version.clone(),
                            renormalized_from: renormalized_from.clone(),
                        });
                    }
                }
            }
            match (commit, tree) {
                (Some(commit), Some(tree)) => child = Some((commit, tree)),
                _ => break,
            }
        }
        Ok(walked.into_iter().map(|(k, v)| (k, Rc::new(v))).collect())
    }

    /// Records `doc`, re-derived from the raw capture of `original`, as a
    /// re-normalization commit on top of the branch: `source`'s folder as it
    /// was in `original` (raw capture, `capture.json`) with `doc` as its
    /// document, and `message` (which must carry the
    /// [`RENORMALIZED_FROM`] trailer). The original commit is not touched.
    pub fn record_renormalized(
        &self,
        source: &SourceId,
        original: &Version,
        doc: &Document,
        message: &str,
        time: DateTime<FixedOffset>,
    ) -> Result<Version, StoreError> {
        if trailer(message, RENORMALIZED_FROM).as_deref() != Some(original.id.as_str()) {
            return Err(self.corrupt(
                source.as_str(),
                "a re-normalization commit must name the version it re-derives",
            ));
        }
        let oid =
            Oid::from_str(&original.id).map_err(|e| self.corrupt(&original.id, e.message()))?;
        let commit = self.git("read a version", self.repo.find_commit(oid))?;
        let folder = self
            .source_tree(&commit, source)
            .ok_or_else(|| self.unknown(source))?;
        let mut dir = self.builder(Some(folder))?;
        let document_md = markdown::document_to_markdown(doc);
        let related_md = markdown::related_to_markdown(&doc.related);
        for (name, content) in [(DOCUMENT_FILE, document_md), (RELATED_FILE, related_md)] {
            let blob = self.git("write a file", self.repo.blob(content.as_bytes()))?;
            self.git("build a tree", dir.insert(name, blob, 0o100644))?;
        }
        let dir = self.git("write a tree", dir.write())?;
        let mut root = self.builder(self.head_tree_id()?)?;
        self.git("build a tree", root.insert(source.as_str(), dir, 0o040000))?;
        let tree = self.git("write a tree", root.write())?;
        let version = self.commit(tree, message, time)?;
        self.sync_sources(std::slice::from_ref(source))?;
        Ok(version)
    }

    /// The capture behind `version` (its `capture.json` and raw bytes), for
    /// re-deriving its document.
    pub fn capture_at(
        &self,
        source: &SourceId,
        version: &Version,
    ) -> Result<crate::fetch::Capture, StoreError> {
        let oid = Oid::from_str(&version.id).map_err(|e| self.corrupt(&version.id, e.message()))?;
        let commit = self.git("read a version", self.repo.find_commit(oid))?;
        let json = self.read_file(&commit, source, CAPTURE_FILE)?;
        let path = format!("{source}/{CAPTURE_FILE}");
        let mut capture: crate::fetch::Capture = serde_json::from_str(&json)
            .map_err(|e| self.corrupt(&path, &format!("not a capture record: {e}")))?;
        capture.body = self.raw_capture(source, version)?.1.into();
        Ok(capture)
    }
}

/// Names of the folders (source ids) of `tree` that are new or differ in
/// `parent`. Both trees list folders in git's order (a folder's name
/// compares as `name/`), so one merge pass over their entries compares them,
/// without copying names; an unchanged root tree costs nothing.
fn changed_folders(tree: &git2::Tree<'_>, parent: Option<&git2::Tree<'_>>) -> Vec<String> {
    let is_folder = |e: &git2::TreeEntry<'_>| e.kind() == Some(ObjectType::Tree);
    let name = |e: &git2::TreeEntry<'_>| String::from_utf8_lossy(e.name_bytes()).into_owned();
    let Some(parent) = parent else {
        return tree.iter().filter(is_folder).map(|e| name(&e)).collect();
    };
    if parent.id() == tree.id() {
        return Vec::new();
    }
    let order = |a: &[u8], b: &[u8]| a.iter().chain(b"/").cmp(b.iter().chain(b"/"));
    let mut old = parent.iter().filter(is_folder).peekable();
    let mut changed = Vec::new();
    for e in tree.iter().filter(is_folder) {
        let name_bytes = e.name_bytes();
        // Most folders stand in both trees: equal names end the search
        // without the ordering comparison.
        while old.peek().is_some_and(|o| {
            let other = o.name_bytes();
            other != name_bytes && order(other, name_bytes).is_lt()
        }) {
            old.next();
        }
        let same = old
            .peek()
            .is_some_and(|o| o.name_bytes() == name_bytes && o.id() == e.id());
        if !same {
            changed.push(name(&e));
        }
    }
    changed
}

/// The value of the first `name: value` trailer line in `message`.
pub fn trailer(message: &str, name: &str) -> Option<String> {
    message.lines().find_map(|l| {
        l.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix(": "))
            .map(|v| v.trim().to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::{Capture, CaptureKind};

    fn record(store: &Store, id: &SourceId, text: &str) {
        let doc = markdown::parse_document(text);
        let capture = Capture::new(
            id.to_string(),
            text.as_bytes().to_vec(),
            CaptureKind::Markdown,
            chrono::Utc::now().fixed_offset(),
        );
        let recorded = store.record_deferred(id, &doc, &capture, "v").unwrap();
        assert!(matches!(recorded, crate::store::Recorded::New(_)));
    }

    /// git orders a folder `a` as `a/`, after `a-b` and `a.b`: a merge of
    /// two root trees in plain name order would pair the wrong folders.
    #[test]
    fn folders_whose_names_prefix_others_keep_their_own_versions() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::init(dir.path()).unwrap();
        let ids: Vec<SourceId> = ["a", "a-b", "a.b", "b"]
            .iter()
            .map(|s| SourceId::parse(s).unwrap())
            .collect();
        let mut expected = vec![0; ids.len()];
        for (round, pick) in [0, 1, 2, 3, 0, 1, 0, 2, 1, 0].iter().enumerate() {
            record(&store, &ids[*pick], &format!("Text {round}.\n"));
            expected[*pick] += 1;
        }
        for (id, n) in ids.iter().zip(&expected) {
            assert_eq!(store.versions(id).unwrap().len(), *n, "{id}");
        }
        assert!(
            store
                .history(&SourceId::parse("zzz").unwrap())
                .unwrap()
                .is_empty()
        );
    }
}
