//! Metadata diff: which of the page's declared fields changed.
//!
//! Fields are compared in [`MetaField`] order. Text fields compare by
//! canonical key (a re-typeset title is not a change) and carry word ops for
//! the title and series; the date compares as `YYYY-MM-DD`; list fields
//! report the entries added and removed (matched by canonical key, counting
//! repeats). Author order is meaningful (a byline's first author matters), so
//! reordering authors is a change with nothing added or removed; topics are a
//! set, so reordering them is not. The language compares case-insensitively,
//! as language tags do.

use std::collections::HashMap;
use std::time::Instant;

use super::canon::canonical_key;
use super::model::{MetaChange, MetaField, MetaValue};
use super::words::word_diff;
use crate::document::Meta;

/// Changed metadata fields, in [`MetaField`] order.
pub(crate) fn diff_meta(old: &Meta, new: &Meta, deadline: Option<Instant>) -> Vec<MetaChange> {
    let mut out = Vec::new();
    let key = |s: &str| canonical_key(s);
    let lower_key = |s: &str| canonical_key(s).to_lowercase();
    text(
        &mut out,
        MetaField::Title,
        &old.title,
        &new.title,
        key,
        true,
        deadline,
    );
    text(
        &mut out,
        MetaField::Series,
        &old.series,
        &new.series,
        key,
        true,
        deadline,
    );
    let date = |d: &Option<chrono::NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
    text(
        &mut out,
        MetaField::Published,
        &date(&old.published),
        &date(&new.published),
        key,
        false,
        deadline,
    );
    list(
        &mut out,
        MetaField::Authors,
        &old.authors,
        &new.authors,
        true,
    );
    list(&mut out, MetaField::Topics, &old.topics, &new.topics, false);
    text(
        &mut out,
        MetaField::CanonicalUrl,
        &old.canonical_url,
        &new.canonical_url,
        key,
        false,
        deadline,
    );
    text(
        &mut out,
        MetaField::Language,
        &old.language,
        &new.language,
        lower_key,
        false,
        deadline,
    );
    out
}

/// Compares one text field; an empty value counts as absent.
fn text(
    out: &mut Vec<MetaChange>,
    field: MetaField,
    old: &Option<String>,
    new: &Option<String>,
    key: impl Fn(&str) -> String,
    with_words: bool,
    deadline: Option<Instant>,
) {
    let k = |v: &Option<String>| v.as_deref().map(&key).filter(|k| !k.is_empty());
    if k(old) == k(new) {
        return;
    }
    let words = match (old, new) {
        (Some(o), Some(n)) if with_words => word_diff(o, n, deadline),
        _ => Vec::new(),
    };
    out.push(MetaChange {
        field,
        old: old.clone().map(MetaValue::Text),
        new: new.clone().map(MetaValue::Text),
        added: Vec::new(),
        removed: Vec::new(),
        words,
    });
}

/// Compares one list field by canonical keys of its entries.
fn list(
    out: &mut Vec<MetaChange>,
    field: MetaField,
    old: &[String],
    new: &[String],
    ordered: bool,
) {
    let keys = |v: &[String]| -> Vec<String> { v.iter().map(|s| canonical_key(s)).collect() };
    let (old_keys, new_keys) = (keys(old), keys(new));
    let same = if ordered {
        old_keys == new_keys
    } else {
        let (mut a, mut b) = (old_keys.clone(), new_keys.clone());
        a.sort();
        b.sort();
        a == b
    };
    if same {
        return;
    }
    out.push(MetaChange {
        field,
        old: Some(MetaValue::List(old.to_vec())),
        new: Some(MetaValue::List(new.to_vec())),
        added: only_in(new, &new_keys, &old_keys),
        removed: only_in(old, &old_keys, &new_keys),
        words: Vec::new(),
    });
}

/// Entries of `items` whose keys are not matched in `other` (repeats count).
fn only_in(items: &[String], keys: &[String], other: &[String]) -> Vec<String> {
    let mut available: HashMap<&str, usize> = HashMap::new();
    for k in other {
        *available.entry(k.as_str()).or_default() += 1;
    }
    items
        .iter()
        .zip(keys)
        .filter(|(_, k)| match available.get_mut(k.as_str()) {
            Some(c) if *c > 0 => {
                *c -= 1;
                false
            }
            _ => true,
        })
        .map(|(item, _)| item.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn meta() -> Meta {
        Meta {
            title: Some("Groundwater Is a Shared Account".into()),
            series: Some("Policy Paper".into()),
            published: NaiveDate::from_ymd_opt(2023, 9, 27),
            authors: vec!["Ana Ruiz".into(), "Tom Keller".into()],
            topics: vec!["Water".into(), "Agriculture".into()],
            canonical_url: Some("https://example.org/groundwater".into()),
            language: Some("en".into()),
        }
    }

    #[test]
    fn unchanged_and_cosmetic_meta_gives_nothing() {
        assert!(diff_meta(&meta(), &meta(), None).is_empty());
        let mut new = meta();
        new.title = Some("Groundwater Is a Shared\u{a0}Account ".into());
        new.language = Some("EN".into());
        new.topics.reverse();
        assert!(diff_meta(&meta(), &new, None).is_empty());
    }

    #[test]
    fn fields_come_in_order_with_details() {
        let mut new = meta();
        new.language = Some("de".into());
        new.title = Some("Groundwater Is a Shared Savings Account".into());
        new.published = NaiveDate::from_ymd_opt(2023, 10, 2);
        new.authors = vec!["Tom Keller".into(), "Ana Ruiz".into()];
        new.topics.push("Climate".into());
        new.series = None;
        let changes = diff_meta(&meta(), &new, None);
        let fields: Vec<MetaField> = changes.iter().map(|c| c.field).collect();
        assert_eq!(
            fields,
            [
                MetaField::Title,
                MetaField::Series,
                MetaField::Published,
                MetaField::Authors,
                MetaField::Topics,
                MetaField::Language
            ]
        );
        assert!(!changes[0].words.is_empty());
        assert_eq!(changes[1].new, None);
        assert_eq!(changes[2].old, Some(MetaValue::Text("2023-09-27".into())));
        assert_eq!(changes[2].new, Some(MetaValue::Text("2023-10-02".into())));
        assert!(changes[3].added.is_empty() && changes[3].removed.is_empty());
        assert_eq!(changes[4].added, ["Climate"]);
        assert!(changes[4].removed.is_empty());
    }
}
