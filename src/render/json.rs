//! JSON output: the `DocDiff` and the `Document` as other programs read them.
//!
//! Both carry a `schema` number; see `docs/json-diff.md` for the diff's shape.

use serde::Serialize;

/// Pretty-printed JSON of any of redline's plain values, with a final newline.
pub fn to_json<T: Serialize>(value: &T) -> String {
    let mut out = serde_json::to_string_pretty(value)
        .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()));
    out.push('\n');
    out
}
