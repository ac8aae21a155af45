//! JSON output: the `DocDiff` and the `Document` as other programs read them.
//!
//! Both carry a `schema` number; see `docs/json-diff.md` for the diff's shape.

use serde::Serialize;

use crate::diff::{BlockOp, DocDiff};
use crate::document::Text;

/// Pretty-printed JSON of any of redline's plain values, with a final newline.
pub fn to_json<T: Serialize>(value: &T) -> String {
    let mut out = serde_json::to_string_pretty(value)
        .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()));
    out.push('\n');
    out
}

/// Pretty-printed JSON of a diff, exactly as [`to_json`] writes it, faster.
///
/// A large document's diff is mostly unchanged blocks, one small object
/// each, and serde's pretty printer spends most of its time on them (ten
/// thousand blocks: more than the comparison itself); a diff of long texts
/// is mostly their escaping, which serde does a byte at a time. Block ops
/// are therefore written here directly, each section heading escaped once
/// for the run of blocks under it and strings escaped a chunk at a time;
/// the rest (metadata, the related list, the counts) goes through serde,
/// indented to its place. Tests check the two writers give the same bytes.
pub fn diff_to_json(d: &DocDiff) -> String {
    let mut all = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write_diff_json(d, usize::MAX, &mut |chunk: &[u8]| {
        all.extend_from_slice(chunk);
        Ok(())
    });
    // Only UTF-8 was written.
    String::from_utf8(all).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Writes [`diff_to_json`]'s text to `sink` in pieces of about `chunk`
/// bytes (each ends between two ops), so a large diff can go to standard
/// output without first being held whole in memory.
pub fn write_diff_json(
    d: &DocDiff,
    chunk: usize,
    sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let text: usize = d
        .body
        .iter()
        .map(|op| {
            let len = |t: Option<&Text>| t.map_or(0, |t| t.len());
            // Each text, then its words again with their markup.
            3 * (len(op.old_text()) + len(op.new_text())) + 96 * op.words().len()
        })
        .sum();
    // An overestimate costs nothing: pages never written are never touched.
    let estimate = 4096 + 256 * (d.body.len() + d.related.len() + d.meta.len()) + text;
    let mut out = Vec::with_capacity(estimate.min(chunk.saturating_add(64 * 1024)));
    out.extend_from_slice(format!("{{\n  \"schema\": {},\n  \"meta\": ", d.schema).as_bytes());
    nested(&mut out, &d.meta, 1);
    out.extend_from_slice(b",\n  \"body\": ");
    if d.body.is_empty() {
        out.extend_from_slice(b"[]");
    } else {
        out.extend_from_slice(b"[");
        let mut section = SectionCache::default();
        for (i, op) in d.body.iter().enumerate() {
            out.extend_from_slice(if i == 0 { b"\n    " } else { b",\n    " });
            block_op(&mut out, op, &mut section);
            if out.len() >= chunk {
                sink(&out)?;
                out.clear();
            }
        }
        out.extend_from_slice(b"\n  ]");
    }
    out.extend_from_slice(b",\n  \"related\": ");
    nested(&mut out, &d.related, 1);
    out.extend_from_slice(b",\n  \"stats\": ");
    nested(&mut out, &d.stats, 1);
    out.extend_from_slice(b"\n}\n");
    sink(&out)
}

/// Appends `value` as serde writes it pretty-printed, at `depth` levels of
/// indentation (its first line is already in place).
fn nested<T: Serialize>(out: &mut Vec<u8>, value: &T, depth: usize) {
    let json = match serde_json::to_vec_pretty(value) {
        Ok(json) => json,
        Err(e) => format!("{{\"error\": {:?}}}", e.to_string()).into_bytes(),
    };
    let indent = "  ".repeat(depth);
    for (i, line) in json.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
            out.extend_from_slice(indent.as_bytes());
        }
        out.extend_from_slice(line);
    }
}

/// The escaped JSON of the last section heading written.
#[derive(Default)]
struct SectionCache {
    section: Option<Option<Text>>,
    json: Vec<u8>,
}

/// A block's op at depth 2, as serde would write it.
fn block_op(out: &mut Vec<u8>, op: &BlockOp, cache: &mut SectionCache) {
    out.extend_from_slice(b"{\n      \"op\": \"");
    out.extend_from_slice(op.op.as_str().as_bytes());
    out.extend_from_slice(b"\",\n      \"kind\": \"");
    out.extend_from_slice(op.kind.as_str().as_bytes());
    out.extend_from_slice(b"\",\n      \"old\": ");
    indexes(out, &op.old);
    out.extend_from_slice(b",\n      \"new\": ");
    indexes(out, &op.new);
    out.extend_from_slice(b",\n      \"section\": ");
    if cache.section.as_ref() != Some(&op.section) {
        cache.json.clear();
        match &op.section {
            Some(section) => string(&mut cache.json, section),
            None => cache.json.extend_from_slice(b"null"),
        }
        cache.section = Some(op.section.clone());
    }
    out.extend_from_slice(&cache.json);
    let texts = [
        ("old_section", op.old_section()),
        ("old_text", op.old_text()),
        ("new_text", op.new_text()),
    ];
    for (key, text) in texts {
        if let Some(text) = text {
            out.extend_from_slice(b",\n      \"");
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b"\": ");
            string(out, text);
        }
    }
    if !op.words().is_empty() {
        out.extend_from_slice(b",\n      \"words\": [");
        for (i, w) in op.words().iter().enumerate() {
            out.extend_from_slice(if i == 0 {
                b"\n        {\n          \"op\": \""
            } else {
                b",\n        {\n          \"op\": \""
            });
            out.extend_from_slice(w.op.as_str().as_bytes());
            out.extend_from_slice(b"\",\n          \"text\": ");
            string(out, &w.text);
            out.extend_from_slice(b"\n        }");
        }
        out.extend_from_slice(b"\n      ]");
    }
    out.extend_from_slice(if op.cosmetic {
        b",\n      \"cosmetic\": true\n    }"
    } else {
        b",\n      \"cosmetic\": false\n    }"
    });
}

/// A JSON string, escaped exactly as serde_json escapes it: quote and
/// backslash, and control characters (short forms where JSON has them,
/// else `\u00XX` in lower-case hexadecimal); nothing else. Runs with nothing
/// to escape, found a chunk at a time in a pass the compiler vectorizes, are
/// copied whole: a diff of long texts is mostly such runs.
fn string(out: &mut Vec<u8>, text: &str) {
    let needs = |b: u8| (b < 0x20) | (b == b'"') | (b == b'\\');
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (k, chunk) in bytes.chunks(32).enumerate() {
        if !chunk.iter().fold(false, |any, &b| any | needs(b)) {
            continue;
        }
        for (j, &b) in chunk.iter().enumerate() {
            if !needs(b) {
                continue;
            }
            let at = k * 32 + j;
            out.extend_from_slice(&bytes[start..at]);
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\x08' => out.extend_from_slice(b"\\b"),
                b'\t' => out.extend_from_slice(b"\\t"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\x0c' => out.extend_from_slice(b"\\f"),
                b'\r' => out.extend_from_slice(b"\\r"),
                _ => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[usize::from(b >> 4)]);
                    out.push(HEX[usize::from(b & 0xf)]);
                }
            }
            start = at + 1;
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// A list of block indexes at depth 3.
fn indexes(out: &mut Vec<u8>, list: &[usize]) {
    if list.is_empty() {
        out.extend_from_slice(b"[]");
        return;
    }
    out.push(b'[');
    for (i, n) in list.iter().enumerate() {
        out.extend_from_slice(if i == 0 {
            b"\n        "
        } else {
            b",\n        "
        });
        out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes());
    }
    out.extend_from_slice(b"\n      ]");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{DiffOptions, OpKind, diff};
    use crate::document::Document;
    use crate::document::markdown::{parse_document, parse_related};

    fn doc(markdown: &str, related: &str) -> Document {
        let mut d = parse_document(markdown);
        d.related = parse_related(related);
        d
    }

    proptest::proptest! {
        /// Strings are escaped exactly as serde_json escapes them.
        #[test]
        fn strings_are_escaped_as_serde_does(
            t in "[a \"\\\\/\\x00-\\x1f\\x7fé\\u{2028}\\u{1F600}]{0,80}"
        ) {
            let mut out = Vec::new();
            string(&mut out, &t);
            proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&t).unwrap());
        }
    }

    #[test]
    fn the_fast_writer_gives_serdes_bytes_in_any_pieces() {
        let old = doc(
            "---\ntitle: \"Old\"\n---\nBefore any heading.\n\n# A \"quoted\" \\ heading \u{e9}\u{1F600}\n\nOne paragraph that stays.\n\nA paragraph that will move away from here.\n\nA paragraph with \u{201c}curly\u{201d} quotes.\n\n## Second\n\nFirst half of a long paragraph. Second half of the same paragraph.\n\nGone soon.\n\n- an item\n",
            "## Related one\n\nhttps://example.org/1\n\n## Related two\n",
        );
        let new = doc(
            "---\ntitle: \"New\"\n---\nBefore any heading.\n\n# A \"quoted\" \\ heading \u{e9}\u{1F600}\n\nOne paragraph that stays.\n\nA paragraph with \"curly\" quotes.\n\n## Second\n\nFirst half of a long paragraph.\n\nSecond half of the same paragraph.\n\nA paragraph that will move away from here.\n\n- an item, edited\n\nNew at the end.\n",
            "## Related two\n\n## Related one\n\nhttps://example.org/1\n",
        );
        let empty = Document::default();
        let cases = [
            (&old, &new),
            (&new, &old),
            (&old, &old),
            (&empty, &old),
            (&old, &empty),
            (&empty, &empty),
        ];
        for (a, b) in cases {
            let d = diff(a, b, &DiffOptions::default());
            assert_eq!(diff_to_json(&d), to_json(&d), "{d:#?}");
            for chunk in [0, 1, 200] {
                let mut pieces: Vec<Vec<u8>> = Vec::new();
                write_diff_json(&d, chunk, &mut |p: &[u8]| {
                    pieces.push(p.to_vec());
                    Ok(())
                })
                .expect("written");
                assert_eq!(pieces.concat(), to_json(&d).into_bytes());
                if chunk == 0 && d.body.len() > 1 {
                    assert!(pieces.len() > 1, "written in pieces");
                }
            }
        }
        let d = diff(&old, &new, &DiffOptions::default());
        assert!(d.body.iter().filter(|op| op.op == OpKind::Equal).count() >= 3);
        assert!(d.body.iter().any(|op| op.section.is_none()));
        assert!(!d.meta.is_empty() && !d.related.is_empty(), "{d:#?}");
    }
}
