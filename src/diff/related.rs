//! Related-publications diff: the list as a keyed list.
//!
//! Items are matched by URL when both sides have one, otherwise by their
//! lower-cased canonical title (repeats match first with first). Unmatched
//! items are added or removed. Among matched items, those on a longest run
//! that kept its order stayed in place, so items that shift only because
//! others were inserted or dropped are not moves; the rest moved. An item in
//! place with a field changed (title, summary, date, url, credit, compared by
//! canonical key) is `changed`; a moved item lists its changes on the move.
//! Ops follow the new list, removals placed after the in-place item that
//! preceded them.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use super::canon::canonical_key;
use super::model::{FieldChange, RelatedOp, RelatedOpKind, RelatedStats};
use super::order::heaviest_increasing;
use super::words::word_diff;
use crate::document::RelatedItem;

/// Related-list ops and their counts.
pub(crate) fn diff_related(
    old: &[RelatedItem],
    new: &[RelatedItem],
    deadline: Option<Instant>,
) -> (Vec<RelatedOp>, RelatedStats) {
    let mut old_match: Vec<Option<usize>> = vec![None; old.len()];
    let mut new_match: Vec<Option<usize>> = vec![None; new.len()];
    let url = |i: &RelatedItem| {
        i.url
            .as_deref()
            .map(canonical_key)
            .filter(|u| !u.is_empty())
    };
    let title = |i: &RelatedItem| canonical_key(&i.title).to_lowercase();
    // First by URL (both sides have one), then by title (at least one lacks).
    let mut by_url: HashMap<String, VecDeque<usize>> = HashMap::new();
    for (o, item) in old.iter().enumerate() {
        if let Some(u) = url(item) {
            by_url.entry(u).or_default().push_back(o);
        }
    }
    for (n, item) in new.iter().enumerate() {
        if let Some(o) = url(item)
            .and_then(|u| by_url.get_mut(&u))
            .and_then(VecDeque::pop_front)
        {
            old_match[o] = Some(n);
            new_match[n] = Some(o);
        }
    }
    let mut by_title: HashMap<String, VecDeque<usize>> = HashMap::new();
    for (o, item) in old.iter().enumerate() {
        if old_match[o].is_none() {
            by_title.entry(title(item)).or_default().push_back(o);
        }
    }
    for (n, item) in new.iter().enumerate() {
        if new_match[n].is_some() {
            continue;
        }
        let Some(queue) = by_title.get_mut(&title(item)) else {
            continue;
        };
        let has_url = url(item).is_some();
        // Items that both have a URL are different items when URLs differ.
        if let Some(k) = queue
            .iter()
            .position(|&o| !(has_url && url(&old[o]).is_some()))
        {
            let o = queue.remove(k).unwrap_or_default();
            old_match[o] = Some(n);
            new_match[n] = Some(o);
        }
    }

    // Which matched items kept their order.
    let matched: Vec<usize> = (0..old.len()).filter(|&o| old_match[o].is_some()).collect();
    let items: Vec<(usize, u128)> = matched
        .iter()
        .map(|&o| (old_match[o].unwrap_or_default(), 1))
        .collect();
    let keep_list = heaviest_increasing(&items);
    let mut in_place = vec![false; old.len()];
    for (k, &o) in matched.iter().enumerate() {
        in_place[o] = keep_list[k];
    }

    // Removed items, attached to the in-place item before them.
    let mut leading = Vec::new();
    let mut after: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut anchor = None;
    for o in 0..old.len() {
        match old_match[o] {
            Some(_) if in_place[o] => anchor = Some(o),
            Some(_) => {}
            None => match anchor {
                Some(a) => after.entry(a).or_default().push(o),
                None => leading.push(o),
            },
        }
    }

    let mut ops = Vec::new();
    let removed = |o: usize| RelatedOp {
        op: RelatedOpKind::Removed,
        title: old[o].title.clone(),
        old_index: Some(o),
        new_index: None,
        changes: Vec::new(),
        old: Some(old[o].clone()),
        new: None,
    };
    ops.extend(leading.iter().map(|&o| removed(o)));
    for (n, item) in new.iter().enumerate() {
        match new_match[n] {
            None => ops.push(RelatedOp {
                op: RelatedOpKind::Added,
                title: item.title.clone(),
                old_index: None,
                new_index: Some(n),
                changes: Vec::new(),
                old: None,
                new: Some(item.clone()),
            }),
            Some(o) => {
                let changes = field_changes(&old[o], item, deadline);
                let kind = if !in_place[o] {
                    Some(RelatedOpKind::Moved)
                } else if !changes.is_empty() {
                    Some(RelatedOpKind::Changed)
                } else {
                    None
                };
                if let Some(op) = kind {
                    ops.push(RelatedOp {
                        op,
                        title: item.title.clone(),
                        old_index: Some(o),
                        new_index: Some(n),
                        changes,
                        old: Some(old[o].clone()),
                        new: Some(item.clone()),
                    });
                }
                if in_place[o] {
                    ops.extend(after.get(&o).into_iter().flatten().map(|&r| removed(r)));
                }
            }
        }
    }
    let mut stats = RelatedStats::default();
    for op in &ops {
        match op.op {
            RelatedOpKind::Added => stats.added += 1,
            RelatedOpKind::Removed => stats.removed += 1,
            RelatedOpKind::Moved => stats.moved += 1,
            RelatedOpKind::Changed => stats.changed += 1,
        }
    }
    (ops, stats)
}

/// Fields that differ by canonical key, in a fixed order.
fn field_changes(
    old: &RelatedItem,
    new: &RelatedItem,
    deadline: Option<Instant>,
) -> Vec<FieldChange> {
    let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
    let fields = [
        ("title", Some(old.title.clone()), Some(new.title.clone())),
        ("summary", old.summary.clone(), new.summary.clone()),
        ("date", date(old.date), date(new.date)),
        ("url", old.url.clone(), new.url.clone()),
        ("credit", old.credit.clone(), new.credit.clone()),
    ];
    let key = |v: &Option<String>| v.as_deref().map(canonical_key).filter(|k| !k.is_empty());
    fields
        .into_iter()
        .filter(|(_, o, n)| key(o) != key(n))
        .map(|(field, old, new)| {
            let words = match (field, &old, &new) {
                ("title" | "summary", Some(o), Some(n)) => word_diff(o, n, deadline),
                _ => Vec::new(),
            };
            FieldChange {
                field: field.to_string(),
                old,
                new,
                words,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(i: usize) -> RelatedItem {
        RelatedItem {
            title: format!("Report number {i}"),
            summary: Some(format!("Summary of report {i}.")),
            date: chrono::NaiveDate::from_ymd_opt(2023, 1, 1 + i as u32),
            url: Some(format!("https://example.org/r/{i}")),
            credit: None,
        }
    }

    #[test]
    fn swap_is_one_move() {
        let old = vec![item(0), item(1), item(2)];
        let new = vec![item(1), item(0), item(2)];
        let (ops, stats) = diff_related(&old, &new, None);
        assert_eq!(stats.moved, 1);
        assert_eq!(ops.len(), 1);
    }

    #[test]
    fn title_matching_when_a_url_is_missing() {
        let old = vec![RelatedItem {
            url: None,
            ..item(0)
        }];
        let new = vec![RelatedItem {
            title: "REPORT  number 0".into(),
            ..item(0)
        }];
        let (ops, stats) = diff_related(&old, &new, None);
        assert_eq!(stats.changed, 1, "{ops:?}");
        let fields: Vec<&str> = ops[0].changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["title", "url"]);
    }

    #[test]
    fn different_urls_are_different_items() {
        let old = vec![item(0)];
        let new = vec![RelatedItem {
            url: Some("https://example.org/elsewhere".into()),
            ..item(0)
        }];
        let (ops, stats) = diff_related(&old, &new, None);
        assert_eq!((stats.added, stats.removed), (1, 1));
        assert_eq!(ops[0].op, RelatedOpKind::Removed);
    }

    #[test]
    fn removal_stands_where_it_was() {
        let old = vec![item(0), item(1), item(2)];
        let new = vec![item(0), item(3), item(2)];
        let (ops, _) = diff_related(&old, &new, None);
        let kinds: Vec<RelatedOpKind> = ops.iter().map(|o| o.op).collect();
        assert_eq!(kinds, [RelatedOpKind::Removed, RelatedOpKind::Added]);
        assert_eq!(ops[0].old_index, Some(1));
    }
}
