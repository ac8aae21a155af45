//! `redline.toml`: the store's description of itself — its tracked sources
//! and how to fetch them. Committed with the store, so a clone knows what to
//! track.
//!
//! ```toml
//! [store]
//! format = 1
//!
//! [fetch]                     # all optional; defaults shown in README
//! jobs = 4
//! min_interval_ms = 1000
//!
//! [[source]]
//! id = "inss-defense-treaty"
//! url = "https://www.inss.org.il/publication/defense-treaty/"
//! profile = "inss"            # optional
//! select = ["article"]        # optional, for the HTML normalizer
//! remove = [".share"]         # optional
//! headers = { "Accept-Language" = "en" }
//! ```
//!
//! Reading goes through serde (errors carry file, line and column); adding
//! and removing sources edit the document with `toml_edit`, so the user's
//! comments and layout survive.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{STORE_MARKER, SourceId, StoreError};

/// One tracked source as written in `redline.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    pub id: String,
    pub url: String,
    /// Site profile name or file (default: chosen by the page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// CSS selectors of the publication (HTML pages).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub select: Vec<String>,
    /// CSS selectors of parts to drop (HTML pages).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<String>,
    /// Extra request headers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

/// The `[fetch]` table: how a run fetches. Every key is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchSettings {
    /// Parallel fetches (`--jobs` overrides).
    pub jobs: Option<usize>,
    pub timeout_secs: Option<u64>,
    pub connect_timeout_secs: Option<u64>,
    pub retries: Option<u32>,
    pub retry_delay_ms: Option<u64>,
    pub max_retry_after_secs: Option<u64>,
    /// Least time between two requests to one host.
    pub min_interval_ms: Option<u64>,
    pub max_redirects: Option<u32>,
    pub max_bytes: Option<u64>,
    /// A contact (mail or URL) added to the User-Agent.
    pub contact: Option<String>,
    /// How many earlier versions the flip-flop guard compares with (0: off).
    pub flip_flop_window: Option<usize>,
    /// Share of body words a version may lose before it is held as suspect
    /// (0.0 to 1.0; default 0.5).
    pub shrink_guard: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    #[allow(dead_code)]
    store: Option<toml::Value>,
    #[serde(default)]
    fetch: FetchSettings,
    #[serde(default)]
    source: Vec<SourceSpec>,
}

/// What `redline.toml` says.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub fetch: FetchSettings,
    pub sources: Vec<SourceSpec>,
}

impl Config {
    /// The source with id `id`.
    pub fn source(&self, id: &SourceId) -> Option<&SourceSpec> {
        self.sources.iter().find(|s| s.id == id.as_str())
    }
}

/// Reads and checks `<root>/redline.toml`.
pub fn load(root: &Path) -> Result<Config, StoreError> {
    let path = root.join(STORE_MARKER);
    let text = std::fs::read_to_string(&path).map_err(|source| StoreError::Io {
        action: "read",
        path: path.display().to_string(),
        source,
    })?;
    parse(&path.display().to_string(), &text)
}

/// Parses `text` (read from `path`) and checks every source.
pub fn parse(path: &str, text: &str) -> Result<Config, StoreError> {
    let file: ConfigFile = toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|span| line_column(text, span.start))
            .unwrap_or((1, 1));
        StoreError::Config {
            path: path.to_string(),
            line,
            column,
            message: e.message().trim().to_string(),
        }
    })?;
    let mut seen = std::collections::HashSet::new();
    for spec in &file.source {
        let at = |message: String| StoreError::Config {
            path: path.to_string(),
            line: find_line(text, &spec.id),
            column: 1,
            message,
        };
        SourceId::parse(&spec.id).map_err(|e| at(e.to_string()))?;
        crate::fetch::http::check_url(&spec.url)
            .map_err(|e| at(format!("source {}: {e}", spec.id)))?;
        for (name, value) in &spec.headers {
            check_header(name, value).map_err(|m| at(format!("source {}: {m}", spec.id)))?;
        }
        if !seen.insert(spec.id.clone()) {
            return Err(at(format!(
                "source id {:?} is listed twice; give one of them another id",
                spec.id
            )));
        }
    }
    if let Some(g) = file.fetch.shrink_guard
        && !(0.0..=1.0).contains(&g)
    {
        return Err(StoreError::Config {
            path: path.to_string(),
            line: find_line(text, "shrink_guard"),
            column: 1,
            message: format!("shrink_guard = {g} must be between 0.0 and 1.0"),
        });
    }
    Ok(Config {
        fetch: file.fetch,
        sources: file.source,
    })
}

/// Checks a header name and value given by a user.
pub fn check_header(name: &str, value: &str) -> Result<(), String> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
    {
        return Err(format!(
            "header name {name:?} is not valid: use letters, digits and '-'"
        ));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(format!("header {name} has control characters in its value"));
    }
    Ok(())
}

/// `redline.toml`'s text with `spec` appended as a `[[source]]` table.
pub fn with_source_added(text: &str, spec: &SourceSpec) -> Result<String, String> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    let mut table = toml_edit::Table::new();
    table.insert("id", toml_edit::value(spec.id.as_str()));
    table.insert("url", toml_edit::value(spec.url.as_str()));
    if let Some(p) = &spec.profile {
        table.insert("profile", toml_edit::value(p.as_str()));
    }
    let array = |items: &[String]| {
        let mut a = toml_edit::Array::new();
        for i in items {
            a.push(i.as_str());
        }
        toml_edit::value(a)
    };
    if !spec.select.is_empty() {
        table.insert("select", array(&spec.select));
    }
    if !spec.remove.is_empty() {
        table.insert("remove", array(&spec.remove));
    }
    if !spec.headers.is_empty() {
        let mut h = toml_edit::InlineTable::new();
        for (k, v) in &spec.headers {
            h.insert(k, v.as_str().into());
        }
        table.insert("headers", toml_edit::value(h));
    }
    let sources = doc
        .entry("source")
        .or_insert_with(|| toml_edit::Item::ArrayOfTables(toml_edit::ArrayOfTables::new()));
    let Some(sources) = sources.as_array_of_tables_mut() else {
        return Err("`source` is not an array of [[source]] tables".into());
    };
    sources.push(table);
    Ok(doc.to_string())
}

/// `redline.toml`'s text without the source `id` (`None` if it has none).
pub fn with_source_removed(text: &str, id: &str) -> Result<Option<String>, String> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    let Some(sources) = doc
        .get_mut("source")
        .and_then(|s| s.as_array_of_tables_mut())
    else {
        return Ok(None);
    };
    let Some(index) = sources
        .iter()
        .position(|t| t.get("id").and_then(|v| v.as_str()) == Some(id))
    else {
        return Ok(None);
    };
    sources.remove(index);
    if sources.is_empty() {
        doc.remove("source");
    }
    Ok(Some(doc.to_string()))
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn find_line(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(1, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "# my store\n[store]\nformat = 1\n";

    #[test]
    fn sources_are_added_and_removed_keeping_comments() {
        let spec = SourceSpec {
            id: "a".into(),
            url: "https://a.org/p".into(),
            profile: Some("inss".into()),
            select: vec!["article".into()],
            remove: vec![],
            headers: [("Accept-Language".to_string(), "en".to_string())].into(),
        };
        let text = with_source_added(BASE, &spec).unwrap();
        assert!(text.starts_with("# my store\n"));
        let config = parse("redline.toml", &text).unwrap();
        assert_eq!(config.sources, vec![spec]);
        let text = with_source_removed(&text, "a").unwrap().unwrap();
        assert!(parse("redline.toml", &text).unwrap().sources.is_empty());
        assert!(with_source_removed(&text, "a").unwrap().is_none());
    }

    #[test]
    fn errors_carry_line_and_column() {
        let text = "[store]\nformat = 1\n\n[[source]]\nid = \"a\"\nurl = https://x\n";
        let e = parse("s/redline.toml", text).unwrap_err().to_string();
        assert!(e.starts_with("s/redline.toml:6:7:"), "{e}");
    }

    #[test]
    fn hostile_ids_and_urls_in_the_file_are_refused() {
        for (id, url) in [
            ("../x", "https://a.org/"),
            (".git", "https://a.org/"),
            ("ok", "file:///etc/passwd"),
        ] {
            let text = format!("[[source]]\nid = {id:?}\nurl = {url:?}\n");
            assert!(parse("redline.toml", &text).is_err(), "{id} {url}");
        }
    }
}
