//! Quick looks into a page's `<head>` before it is parsed: its title and
//! canonical URL host, which choose the site profile.
//!
//! Choosing the profile comes before parsing (the profile says what to
//! remove and where the body is), so these read the raw text with two small
//! patterns instead of building a DOM twice.

use std::sync::LazyLock;

use regex::Regex;

use crate::document::collapse_whitespace;

static TITLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)<title\b[^>]*>(.*?)</title>").expect("valid regex"));
static CANONICAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?is)<(?:link\b[^>]*\brel\s*=\s*["']?canonical["']?[^>]*\bhref|meta\b[^>]*\bproperty\s*=\s*["']?og:url["']?[^>]*\bcontent)\s*=\s*["']?([^"'\s>]+)"#,
    )
    .expect("valid regex")
});

/// The text of the page's `<title>`, entities for `&`, `|` and quotes
/// decoded, whitespace collapsed.
pub fn title(head: &str) -> Option<String> {
    let raw = TITLE.captures(head)?.get(1)?.as_str();
    let text = raw
        .replace("&amp;", "&")
        .replace("&#124;", "|")
        .replace("&quot;", "\"")
        .replace("&#39;", "'");
    let text = collapse_whitespace(&text);
    (!text.is_empty()).then_some(text)
}

/// The host of the canonical URL (`<link rel=canonical>` or `og:url`).
pub fn canonical_host(head: &str) -> Option<String> {
    crate::fetch::url_host(CANONICAL.captures(head)?.get(1)?.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_title_and_canonical_host() {
        let head = r#"<head><TITLE>
          A Paper &amp; More | INSS</TITLE>
          <link href="x.css" rel="stylesheet"><link rel="canonical" href="https://www.INSS.org.il/publication/x/"></head>"#;
        assert_eq!(title(head).as_deref(), Some("A Paper & More | INSS"));
        assert_eq!(canonical_host(head).as_deref(), Some("www.inss.org.il"));
        assert_eq!(
            canonical_host(r#"<meta property="og:url" content="https://e.example/a">"#).as_deref(),
            Some("e.example")
        );
        assert_eq!(title("<p>no head</p>"), None);
        assert_eq!(canonical_host("<link rel=canonical href=/relative>"), None);
    }
}
