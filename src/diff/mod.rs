//! TEMPORARY: replaced by the engine.
pub mod model;
pub use model::*;
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {}
pub fn diff(
    _old: &crate::document::Document,
    _new: &crate::document::Document,
    _opts: &DiffOptions,
) -> DocDiff {
    todo!()
}
pub fn canonical_key(text: &str) -> String {
    text.to_string()
}
