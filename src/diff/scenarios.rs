//! Scenario tests: real editorial changes to a 15-block policy paper, and the
//! redline a reader should get for each.

use super::fixtures::{self, FACTS, RECOMMENDATIONS, SIGNIFICANCE, paper, related_item, with_body};
use super::words::check_word_ops;
use super::*;
use crate::document::{Block, BlockKind, Document};
use chrono::NaiveDate;

fn run(old: &Document, new: &Document) -> DocDiff {
    let d = diff(old, new, &DiffOptions::default());
    check(old, new, &d);
    d
}

/// Invariants every diff must keep: word ops rebuild the texts, ops follow
/// the new reading order, every block is accounted for once.
fn check(old: &Document, new: &Document, d: &DocDiff) {
    let mut seen_old = vec![0; old.body.len()];
    let mut seen_new = vec![0; new.body.len()];
    let mut last_new = None;
    for op in &d.body {
        op.old.iter().for_each(|&o| seen_old[o] += 1);
        op.new.iter().for_each(|&n| seen_new[n] += 1);
        if let Some(&n) = op.new.first() {
            assert!(
                last_new < Some(n),
                "ops out of reading order: {:#?}",
                d.body
            );
            last_new = Some(n);
        }
        if op.op != OpKind::Equal && !op.words().is_empty() {
            let (o, n) = (
                op.old_text().map(|t| t.as_str()),
                op.new_text().map(|t| t.as_str()),
            );
            check_word_ops(o.unwrap_or(""), n.unwrap_or(""), op.words()).unwrap();
        }
    }
    assert!(seen_old.iter().all(|&c| c == 1), "{:#?}", d.body);
    assert!(seen_new.iter().all(|&c| c == 1), "{:#?}", d.body);
}

fn changed(d: &DocDiff) -> Vec<&BlockOp> {
    d.body.iter().filter(|op| op.op != OpKind::Equal).collect()
}

fn body_of(doc: &Document) -> Vec<Block> {
    doc.body.clone()
}

#[test]
fn unchanged_paper_is_empty() {
    let d = run(&paper(), &paper());
    assert!(d.is_empty());
    assert_eq!(d.stats.body.equal, 15);
    assert_eq!(d.stats.meta, 0);
}

#[test]
fn a_few_words_inserted() {
    let old = paper();
    let mut body = body_of(&old);
    body[3].text = FACTS[1]
        .replace("enforcement is weak", "enforcement of these rules is weak")
        .into();
    let d = run(&old, &with_body(&old, body));
    let ops = changed(&d);
    assert_eq!(ops.len(), 1, "{ops:#?}");
    let op = ops[0];
    assert_eq!(
        (op.op, &op.old[..], &op.new[..]),
        (OpKind::Modified, &[3][..], &[3][..])
    );
    assert!(!op.cosmetic);
    assert_eq!(op.section.as_deref(), Some("The Facts"));
    let inserts: Vec<&str> = op
        .words()
        .iter()
        .filter(|w| w.op == WordTag::Insert)
        .map(|w| w.text.as_str())
        .collect();
    assert_eq!(inserts, ["of these rules "]);
    assert!(op.words().iter().all(|w| w.op != WordTag::Delete));
    assert_eq!((d.stats.body.modified, d.stats.body.equal), (1, 14));
}

#[test]
fn typography_only_change_is_cosmetic() {
    let straight = SIGNIFICANCE[0].replace(
        "a smaller savings account; compaction",
        "a smaller \"savings account\"; it's compaction",
    );
    let curly = SIGNIFICANCE[0].replace(
        "a smaller savings account; compaction",
        "a smaller \u{201c}savings account\u{201d}; it\u{2019}s  compaction",
    );
    let mut old = paper();
    old.body[6].text = straight.into();
    let mut new = paper();
    new.body[6].text = curly.into();
    let d = run(&old, &new);
    let ops = changed(&d);
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0].op, OpKind::Modified);
    assert!(ops[0].cosmetic);
    assert!(!ops[0].words().is_empty());
    assert_eq!((d.stats.body.cosmetic, d.stats.body.modified), (1, 0));
    assert!(!d.is_empty());
}

#[test]
fn paragraph_added_and_another_removed() {
    let old = paper();
    let mut body = body_of(&old);
    body.remove(12); // "Fund recharge."
    body.insert(
        8,
        Block::paragraph(
            "Tribal nations hold senior water rights in many of these basins, yet they are rarely consulted when groundwater plans are drafted. Any durable settlement will have to quantify those rights and give tribes a formal role in basin governance, rather than treating them as one stakeholder among many.",
        ),
    );
    let d = run(&old, &with_body(&old, body));
    let s = &d.stats.body;
    assert_eq!(
        (s.inserted, s.deleted, s.equal),
        (1, 1, 14),
        "{:#?}",
        changed(&d)
    );
    assert_eq!(s.modified + s.moved + s.split + s.merged + s.cosmetic, 0);
    let ins = changed(&d)[0];
    assert_eq!((ins.op, &ins.new[..]), (OpKind::Inserted, &[8][..]));
    assert_eq!(ins.section.as_deref(), Some("Significance"));
    // The deletion stands where the paragraph stood: after old block 11.
    let k = d
        .body
        .iter()
        .position(|op| op.op == OpKind::Deleted)
        .unwrap();
    assert_eq!(d.body[k - 1].old, [11]);
    assert_eq!(d.body[k].section.as_deref(), Some("Policy Recommendations"));
    assert!(d.body[k].old_text().unwrap().starts_with("Fund recharge."));
}

#[test]
fn paragraph_moved_to_another_section() {
    let old = paper();
    let mut body = body_of(&old);
    let moved = body.remove(4);
    body.insert(11, moved);
    let d = run(&old, &with_body(&old, body));
    let ops = changed(&d);
    assert_eq!(ops.len(), 1, "{ops:#?}");
    let op = ops[0];
    assert_eq!(
        (op.op, &op.old[..], &op.new[..]),
        (OpKind::Moved, &[4][..], &[11][..])
    );
    assert_eq!(op.old_section().map(|t| t.as_str()), Some("The Facts"));
    assert_eq!(op.section.as_deref(), Some("Policy Recommendations"));
    assert!(op.words().is_empty());
    assert_eq!((d.stats.body.moved, d.stats.body.equal), (1, 14));
}

#[test]
fn paragraph_moved_and_lightly_edited() {
    let old = paper();
    let mut body = body_of(&old);
    let mut moved = body.remove(3);
    moved.text = moved.text.replace("patchwork", "mess").into();
    body.push(moved);
    let d = run(&old, &with_body(&old, body));
    let ops = changed(&d);
    assert_eq!(ops.len(), 1, "{ops:#?}");
    assert_eq!(ops[0].op, OpKind::Moved);
    assert_eq!(ops[0].old_section().map(|t| t.as_str()), Some("The Facts"));
    assert!(
        ops[0]
            .words()
            .iter()
            .any(|w| w.op == WordTag::Insert && w.text == "mess")
    );
}

#[test]
fn paragraph_split_at_a_sentence_boundary() {
    let old = paper();
    let mut body = body_of(&old);
    let (first, second) = FACTS[0].split_at(FACTS[0].find(" Unlike rivers").unwrap());
    body[2].text = first.to_string().into();
    body.insert(3, Block::paragraph(second.trim_start()));
    let d = run(&old, &with_body(&old, body));
    let ops = changed(&d);
    assert_eq!(ops.len(), 1, "{ops:#?}");
    let op = ops[0];
    assert_eq!(
        (op.op, &op.old[..], &op.new[..]),
        (OpKind::Split, &[2][..], &[2, 3][..])
    );
    assert!(op.words().is_empty());
    assert_eq!(
        op.new_text()
            .map(|t| t.as_str())
            .unwrap()
            .split("\n\n")
            .count(),
        2
    );
    assert_eq!((d.stats.body.split, d.stats.body.equal), (1, 14));
}

#[test]
fn paragraph_split_with_an_edit_carries_words() {
    let old = paper();
    let mut body = body_of(&old);
    let at = FACTS[2].find(" Land subsidence").unwrap();
    body[4].text = FACTS[2][..at]
        .replace("more than forty", "over forty")
        .into();
    body.insert(5, Block::paragraph(FACTS[2][at..].trim_start()));
    let d = run(&old, &with_body(&old, body));
    let ops = changed(&d);
    assert_eq!(ops.len(), 1, "{ops:#?}");
    assert_eq!(ops[0].op, OpKind::Split);
    let deleted: Vec<&str> = ops[0]
        .words()
        .iter()
        .filter(|w| w.op == WordTag::Delete)
        .map(|w| w.text.as_str())
        .collect();
    assert!(deleted.contains(&"more than"), "{:?}", ops[0].words());
}

#[test]
fn adjacent_paragraphs_merged() {
    let old = paper();
    let mut body = body_of(&old);
    let second = body.remove(10);
    body[9].text = format!("{} {}", body[9].text, second.text).into();
    let d = run(&old, &with_body(&old, body));
    let ops = changed(&d);
    assert_eq!(ops.len(), 1, "{ops:#?}");
    let op = ops[0];
    assert_eq!(
        (op.op, &op.old[..], &op.new[..]),
        (OpKind::Merged, &[9, 10][..], &[9][..])
    );
    assert!(op.words().is_empty());
    assert_eq!((d.stats.body.merged, d.stats.body.equal), (1, 13));
}

#[test]
fn rewritten_below_threshold_is_deleted_and_inserted() {
    // Same topic, new wording: too little in common to call it an edit.
    let old = paper();
    let mut body = body_of(&old);
    body[12].text = "Invest in putting water back. Spreading winter storm flows across fallowed fields lets them soak into depleted aquifers at a fraction of what a new dam would cost. Legislatures can speed approvals for such projects and reward growers who host them.".into();
    let d = run(&old, &with_body(&old, body));
    let ops = changed(&d);
    let kinds: Vec<OpKind> = ops.iter().map(|o| o.op).collect();
    assert_eq!(kinds, [OpKind::Deleted, OpKind::Inserted]);
    assert_eq!(ops[0].old, [12]);
    assert_eq!(ops[1].new, [12]);
}

#[test]
fn heavily_reworded_is_modified_as_one_replacement() {
    // Most words kept, order and phrasing changed: the same paragraph, but
    // word-by-word marks would be confetti, so it reads as one replacement.
    let old = paper();
    let mut body = body_of(&old);
    body[13].text = "First, protect drinking water. Plans for allocation should guarantee that domestic wells and small community systems are supplied, and each basin should keep a fund to replace or deepen wells that others' pumping leaves dry. Compared with emergency water deliveries to households left without supply, the cost of such a fund is small.".into();
    let d = run(&old, &with_body(&old, body));
    let ops = changed(&d);
    assert_eq!(ops.len(), 1, "{ops:#?}");
    assert_eq!(ops[0].op, OpKind::Modified);
    let tags: Vec<WordTag> = ops[0].words().iter().map(|w| w.op).collect();
    assert_eq!(tags, [WordTag::Delete, WordTag::Insert]);
    assert_eq!(ops[0].words()[0].text, RECOMMENDATIONS[4]);
}

#[test]
fn heading_renamed_is_modified_and_sections_follow() {
    let old = paper();
    let mut body = body_of(&old);
    body[8].text = "Recommendations".into();
    let d = run(&old, &with_body(&old, body));
    let ops = changed(&d);
    assert_eq!(ops.len(), 1);
    assert_eq!(
        (ops[0].op, ops[0].kind),
        (OpKind::Modified, BlockKind::Heading)
    );
    assert_eq!(d.body[14].section.as_deref(), Some("Recommendations"));
}

#[test]
fn title_changed() {
    let old = paper();
    let mut new = paper();
    new.meta.title =
        Some("Running Dry: Why Groundwater Law in the American West Must Change".into());
    let d = run(&old, &new);
    assert_eq!(d.stats.meta, 1);
    assert_eq!(d.meta[0].field, MetaField::Title);
    assert!(d.meta[0].words.iter().any(|w| w.op == WordTag::Insert));
    assert_eq!(d.stats.body.equal, 15);
}

#[test]
fn date_changed() {
    let old = paper();
    let mut new = paper();
    new.meta.published = NaiveDate::from_ymd_opt(2023, 10, 4);
    let d = run(&old, &new);
    assert_eq!(d.meta.len(), 1);
    let change = &d.meta[0];
    assert_eq!(change.field, MetaField::Published);
    assert_eq!(change.old, Some(MetaValue::Text("2023-09-27".into())));
    assert_eq!(change.new, Some(MetaValue::Text("2023-10-04".into())));
}

#[test]
fn topic_added() {
    let old = paper();
    let mut new = paper();
    new.meta.topics.push("State Policy".into());
    let d = run(&old, &new);
    assert_eq!(d.meta.len(), 1);
    assert_eq!(d.meta[0].field, MetaField::Topics);
    assert_eq!(d.meta[0].added, ["State Policy"]);
    assert!(d.meta[0].removed.is_empty());
}

#[test]
fn related_two_added_at_top_one_dropped_at_bottom() {
    let old = paper();
    let mut new = paper();
    new.related = [6, 7, 0, 1, 2, 3, 4].map(related_item).to_vec();
    let d = run(&old, &new);
    let s = &d.stats.related;
    assert_eq!((s.added, s.removed, s.moved, s.changed), (2, 1, 0, 0));
    let kinds: Vec<RelatedOpKind> = d.related.iter().map(|o| o.op).collect();
    assert_eq!(
        kinds,
        [
            RelatedOpKind::Added,
            RelatedOpKind::Added,
            RelatedOpKind::Removed
        ]
    );
    assert_eq!(d.related[2].old_index, Some(5));
}

#[test]
fn related_one_moved_up_and_one_summary_edited() {
    let old = paper();
    let mut new = paper();
    let mut items: Vec<_> = [0, 4, 1, 2, 3, 5].map(related_item).to_vec();
    items[3].summary = Some("A new summary written after the state budget passed.".into());
    new.related = items;
    let d = run(&old, &new);
    let s = &d.stats.related;
    assert_eq!((s.added, s.removed, s.moved, s.changed), (0, 0, 1, 1));
    assert_eq!(d.related[0].op, RelatedOpKind::Moved);
    assert_eq!(
        (d.related[0].old_index, d.related[0].new_index),
        (Some(4), Some(1))
    );
    assert_eq!(d.related[1].op, RelatedOpKind::Changed);
    assert_eq!(d.related[1].changes.len(), 1);
    assert_eq!(d.related[1].changes[0].field, "summary");
}

#[test]
fn diff_serializes_to_json_and_back() {
    let old = paper();
    let mut body = body_of(&old);
    body[3].text = body[3].text.replace("patchwork", "mess").into();
    let mut new = with_body(&old, body);
    new.meta.title = Some("Running Dry".into());
    let d = run(&old, &new);
    let json = serde_json::to_string(&d).unwrap();
    let back: DocDiff = serde_json::from_str(&json).unwrap();
    assert_eq!(back, d);
    let _ = fixtures::LEAD;
}
