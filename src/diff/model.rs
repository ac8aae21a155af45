//! The `DocDiff`: everything that changed between two documents, as data.
//!
//! This is the value the diff engine hands to `render` and the shape of
//! `redline diff --format json`. It is versioned ([`DIFF_SCHEMA`]) because
//! other programs read it: add fields freely, but change or remove one only
//! with a schema bump.

use serde::{Deserialize, Serialize};

use crate::document::{BlockKind, RelatedItem, Text};

/// Version of the `DocDiff` JSON shape.
pub const DIFF_SCHEMA: u32 = 1;

/// Changes between an old and a new [`Document`](crate::document::Document).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocDiff {
    pub schema: u32,
    /// Metadata fields that differ, in the order of [`MetaField`].
    pub meta: Vec<MetaChange>,
    /// Body operations in reading order of the new document; deleted blocks
    /// appear where they stood relative to their neighbours.
    pub body: Vec<BlockOp>,
    /// Operations on the related-publications list, in new-list order with
    /// removals where they stood.
    pub related: Vec<RelatedOp>,
    pub stats: Stats,
}

impl DocDiff {
    /// True when nothing differs, not even cosmetically.
    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
            && self.related.is_empty()
            && self.body.iter().all(|op| op.op == OpKind::Equal)
    }
}

/// Which metadata field changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetaField {
    Title,
    Series,
    Published,
    Authors,
    Topics,
    CanonicalUrl,
    Language,
}

impl MetaField {
    pub fn as_str(self) -> &'static str {
        match self {
            MetaField::Title => "title",
            MetaField::Series => "series",
            MetaField::Published => "published",
            MetaField::Authors => "authors",
            MetaField::Topics => "topics",
            MetaField::CanonicalUrl => "canonical_url",
            MetaField::Language => "language",
        }
    }
}

/// A metadata value: one string (title, date as `YYYY-MM-DD`) or a list
/// (authors, topics).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MetaValue {
    Text(String),
    List(Vec<String>),
}

/// One metadata field's change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetaChange {
    pub field: MetaField,
    pub old: Option<MetaValue>,
    pub new: Option<MetaValue>,
    /// For list fields: entries only in the new list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<String>,
    /// For list fields: entries only in the old list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
    /// Word-level changes for text fields (title, series).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<WordOp>,
}

/// What happened to a block, or a group of blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// Same text (a cosmetic-only difference is `Modified` with `cosmetic`).
    Equal,
    /// Same block, edited in place (or only cosmetically).
    Modified,
    Inserted,
    Deleted,
    /// The block now stands elsewhere (another position or section), possibly
    /// with edits (then `words` is not empty).
    Moved,
    /// One old block became several adjacent new blocks.
    Split,
    /// Several adjacent old blocks became one new block.
    Merged,
}

impl OpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Equal => "equal",
            OpKind::Modified => "modified",
            OpKind::Inserted => "inserted",
            OpKind::Deleted => "deleted",
            OpKind::Moved => "moved",
            OpKind::Split => "split",
            OpKind::Merged => "merged",
        }
    }
}

/// One body operation.
///
/// `old` and `new` are block indexes into the old and new `body`. For every op
/// but `equal`, `old_text` and `new_text` hold the text (several blocks joined
/// by a blank line, `"\n\n"`; `null` on the side that has no block).
///
/// Those texts, the section a moved block came from and the word-level
/// changes live in [`OpChange`], boxed and absent on `equal` ops: a large
/// document's diff is mostly equal ops, and each is then 72 bytes rather than 176
/// (less fresh memory to touch, which on some machines costs more than the
/// comparison). In JSON the fields are the op's own, as before.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "FlatBlockOp")]
pub struct BlockOp {
    pub op: OpKind,
    pub kind: BlockKind,
    pub old: Indexes,
    pub new: Indexes,
    /// Section heading the block stands under: in the new document, or in
    /// the old one for deletions.
    pub section: Option<Text>,
    /// Texts and word-level changes; `None` is all of them absent or empty.
    pub change: Option<Box<OpChange>>,
    /// True when the texts differ only in typography or spacing (quotes,
    /// dashes, doubled or non-breaking spaces, Unicode forms).
    pub cosmetic: bool,
}

/// The parts of a [`BlockOp`] only changed blocks have.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpChange {
    /// For moves: the section the block came from.
    pub old_section: Option<Text>,
    pub old_text: Option<Text>,
    pub new_text: Option<Text>,
    /// Word-level changes for edited blocks (modified, moved with edits,
    /// split and merged when the words changed too); empty otherwise.
    pub words: Vec<WordOp>,
}

impl BlockOp {
    /// For moves: the section the block came from.
    pub fn old_section(&self) -> Option<&Text> {
        self.change.as_ref()?.old_section.as_ref()
    }

    /// The old text (`None` for an inserted block, and for `equal`).
    pub fn old_text(&self) -> Option<&Text> {
        self.change.as_ref()?.old_text.as_ref()
    }

    /// The new text (`None` for a deleted block, and for `equal`).
    pub fn new_text(&self) -> Option<&Text> {
        self.change.as_ref()?.new_text.as_ref()
    }

    /// Word-level changes; empty when there are none.
    pub fn words(&self) -> &[WordOp] {
        self.change.as_ref().map_or(&[], |c| &c.words)
    }

    /// The op's [`OpChange`], made empty if it had none.
    pub fn change_mut(&mut self) -> &mut OpChange {
        self.change.get_or_insert_with(Default::default)
    }
}

impl Serialize for BlockOp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = serializer.serialize_struct("BlockOp", 10)?;
        st.serialize_field("op", &self.op)?;
        st.serialize_field("kind", &self.kind)?;
        st.serialize_field("old", &self.old)?;
        st.serialize_field("new", &self.new)?;
        st.serialize_field("section", &self.section)?;
        match self.old_section() {
            Some(t) => st.serialize_field("old_section", t)?,
            None => st.skip_field("old_section")?,
        }
        match self.old_text() {
            Some(t) => st.serialize_field("old_text", t)?,
            None => st.skip_field("old_text")?,
        }
        match self.new_text() {
            Some(t) => st.serialize_field("new_text", t)?,
            None => st.skip_field("new_text")?,
        }
        match self.words() {
            [] => st.skip_field("words")?,
            words => st.serialize_field("words", words)?,
        }
        st.serialize_field("cosmetic", &self.cosmetic)?;
        st.end()
    }
}

/// A [`BlockOp`] as it is in JSON, every field its own.
#[derive(Deserialize)]
struct FlatBlockOp {
    op: OpKind,
    kind: BlockKind,
    old: Indexes,
    new: Indexes,
    section: Option<Text>,
    #[serde(default)]
    old_section: Option<Text>,
    #[serde(default)]
    old_text: Option<Text>,
    #[serde(default)]
    new_text: Option<Text>,
    #[serde(default)]
    words: Vec<WordOp>,
    #[serde(default)]
    cosmetic: bool,
}

impl From<FlatBlockOp> for BlockOp {
    fn from(f: FlatBlockOp) -> BlockOp {
        let change = OpChange {
            old_section: f.old_section,
            old_text: f.old_text,
            new_text: f.new_text,
            words: f.words,
        };
        BlockOp {
            op: f.op,
            kind: f.kind,
            old: f.old,
            new: f.new,
            section: f.section,
            change: (change != OpChange::default()).then(|| Box::new(change)),
            cosmetic: f.cosmetic,
        }
    }
}

/// Word-level operation inside an edited block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WordTag {
    Equal,
    Insert,
    Delete,
}

impl WordTag {
    pub fn as_str(self) -> &'static str {
        match self {
            WordTag::Equal => "equal",
            WordTag::Insert => "insert",
            WordTag::Delete => "delete",
        }
    }
}

/// A run of text that is equal, inserted or deleted. Concatenating the
/// `equal` and `delete` runs gives the old text; `equal` and `insert` the new.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WordOp {
    pub op: WordTag,
    pub text: String,
}

/// What happened to a related-list item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelatedOpKind {
    Added,
    Removed,
    /// Its position relative to the other items changed (it may also have
    /// changed fields, listed in `changes`).
    Moved,
    /// Same position, some fields changed.
    Changed,
}

impl RelatedOpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RelatedOpKind::Added => "added",
            RelatedOpKind::Removed => "removed",
            RelatedOpKind::Moved => "moved",
            RelatedOpKind::Changed => "changed",
        }
    }
}

/// One related-list operation. Items are matched by URL, else by their
/// normalized title.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelatedOp {
    pub op: RelatedOpKind,
    /// The item's title (the new one when it changed).
    pub title: String,
    pub old_index: Option<usize>,
    pub new_index: Option<usize>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// The item as it was (for removed, moved, changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<RelatedItem>,
    /// The item as it is (for added, moved, changed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new: Option<RelatedItem>,
}

/// A changed field of a related item (`title`, `summary`, `date`, `url`,
/// `credit`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
    /// Word-level changes for text fields (title, summary) present on both
    /// sides.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<WordOp>,
}

/// Counts, for summaries and exit codes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub body: BodyStats,
    /// Number of metadata fields that changed.
    pub meta: usize,
    pub related: RelatedStats,
}

/// Body operation counts. A cosmetic-only change counts in `cosmetic`, not in
/// `modified`; `equal` counts unchanged blocks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodyStats {
    pub equal: usize,
    pub modified: usize,
    pub cosmetic: usize,
    pub inserted: usize,
    pub deleted: usize,
    pub moved: usize,
    pub split: usize,
    pub merged: usize,
}

/// Related-list operation counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelatedStats {
    pub added: usize,
    pub removed: usize,
    pub moved: usize,
    pub changed: usize,
}

/// Block indexes of one side of a [`BlockOp`]: none, one (nearly every op,
/// kept inline: a large document's diff has tens of thousands of ops, and
/// a `Vec` each was an allocation each), or several consecutive ones (a
/// split's or merge's pieces). Reads as a `&[usize]`; in JSON, an array.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Indexes(IndexesRepr);

#[derive(Clone, Default, PartialEq, Eq, Hash)]
enum IndexesRepr {
    #[default]
    None,
    One(usize),
    /// Boxed: the rare case stays out of the way of the common ones (an
    /// `Indexes` is 16 bytes; a `Vec` or a boxed slice inline would make
    /// it 24, for every op of a large diff).
    #[allow(clippy::box_collection)]
    Many(Box<Vec<usize>>),
}

impl Indexes {
    /// No block.
    pub fn none() -> Indexes {
        Indexes(IndexesRepr::None)
    }

    /// One block.
    pub fn one(i: usize) -> Indexes {
        Indexes(IndexesRepr::One(i))
    }
}

impl std::ops::Deref for Indexes {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        match &self.0 {
            IndexesRepr::None => &[],
            IndexesRepr::One(i) => std::slice::from_ref(i),
            IndexesRepr::Many(v) => v,
        }
    }
}

impl From<Vec<usize>> for Indexes {
    fn from(v: Vec<usize>) -> Self {
        match v.as_slice() {
            [] => Indexes::none(),
            &[i] => Indexes::one(i),
            _ => Indexes(IndexesRepr::Many(Box::new(v))),
        }
    }
}

impl FromIterator<usize> for Indexes {
    fn from_iter<I: IntoIterator<Item = usize>>(iter: I) -> Self {
        let mut iter = iter.into_iter();
        let Some(first) = iter.next() else {
            return Indexes::none();
        };
        let Some(second) = iter.next() else {
            return Indexes::one(first);
        };
        let mut v = vec![first, second];
        v.extend(iter);
        Indexes(IndexesRepr::Many(Box::new(v)))
    }
}

impl<'a> IntoIterator for &'a Indexes {
    type Item = &'a usize;
    type IntoIter = std::slice::Iter<'a, usize>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl PartialEq<Vec<usize>> for Indexes {
    fn eq(&self, other: &Vec<usize>) -> bool {
        **self == **other
    }
}

impl PartialEq<[usize]> for Indexes {
    fn eq(&self, other: &[usize]) -> bool {
        **self == *other
    }
}

impl<const N: usize> PartialEq<[usize; N]> for Indexes {
    fn eq(&self, other: &[usize; N]) -> bool {
        **self == other[..]
    }
}

impl std::fmt::Debug for Indexes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

impl Serialize for Indexes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Indexes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<usize>::deserialize(deserializer).map(Indexes::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unchanged_op_is_small_and_a_changed_one_reads_back_the_same() {
        // What only changed ops have is boxed (see `BlockOp`).
        assert!(std::mem::size_of::<BlockOp>() <= 72);
        assert_eq!(std::mem::size_of::<Indexes>(), 16);
        let equal = BlockOp {
            op: OpKind::Equal,
            kind: BlockKind::Paragraph,
            old: Indexes::one(0),
            new: Indexes::one(1),
            section: Some("Intro".into()),
            change: None,
            cosmetic: false,
        };
        let moved = BlockOp {
            op: OpKind::Moved,
            old: Indexes::one(4),
            change: Some(Box::new(OpChange {
                old_section: Some("Facts".into()),
                old_text: Some("A cat sat.".into()),
                new_text: Some("A cat sat down.".into()),
                words: vec![
                    WordOp {
                        op: WordTag::Equal,
                        text: "A cat sat".into(),
                    },
                    WordOp {
                        op: WordTag::Insert,
                        text: " down".into(),
                    },
                    WordOp {
                        op: WordTag::Equal,
                        text: ".".into(),
                    },
                ],
            })),
            ..equal.clone()
        };
        let json = serde_json::to_string(&equal).unwrap();
        assert_eq!(
            json,
            r#"{"op":"equal","kind":"paragraph","old":[0],"new":[1],"section":"Intro","cosmetic":false}"#
        );
        for op in [equal, moved] {
            let json = serde_json::to_string(&op).unwrap();
            let back: BlockOp = serde_json::from_str(&json).unwrap();
            assert_eq!(back, op, "{json}");
        }
        // Absent and empty fields read as no change at all.
        let flat =
            r#"{"op":"equal","kind":"paragraph","old":[0],"new":[0],"section":null,"words":[]}"#;
        let op: BlockOp = serde_json::from_str(flat).unwrap();
        assert!(op.change.is_none() && op.words().is_empty() && op.old_text().is_none());
    }
}
