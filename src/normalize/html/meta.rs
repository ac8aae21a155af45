//! What an HTML page declares about the publication: title, date, authors,
//! series, topics, canonical URL and language.
//!
//! Pages say it in several vocabularies at once, more or less completely:
//! schema.org JSON-LD (`Article`, `NewsArticle`, `ScholarlyArticle`,
//! `Report`...), Highwire `citation_*` tags (scholarly publishers), Open
//! Graph and `article:*` tags, Dublin Core, `<time datetime>`, and finally
//! `<title>` and `<html lang>`. Each field takes the first vocabulary that has
//! it, in that order (the most structured first). A site profile's selectors
//! come before all of these; that is applied by the caller.

use chrono::NaiveDate;
use dom_query::{Document as Dom, NodeRef, local_name};
use serde_json::Value;

use crate::document::{Meta, collapse_whitespace};
use crate::normalize::dates::{is_writable, parse_date};
use crate::normalize::matcher::LineRegex;

/// schema.org types that describe a publication (not the page or the site).
const ARTICLE_TYPES: &[&str] = &[
    "Article",
    "NewsArticle",
    "ScholarlyArticle",
    "Report",
    "BlogPosting",
    "TechArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "ReportageNewsArticle",
    "ReviewNewsArticle",
    "BackgroundNewsArticle",
    "SocialMediaPosting",
    "LiveBlogPosting",
    "Thesis",
    "Chapter",
    "Book",
    "CreativeWork",
];

/// The metadata `dom` declares. `title_suffix` strips the site name from
/// `<title>`; `date_formats` read dates that are not ISO.
pub fn read_meta(dom: &Dom, title_suffix: Option<&LineRegex>, date_formats: &[String]) -> Meta {
    let found = Declared::find(dom);
    let ld = json_ld(&found.ld_scripts);
    let metas = MetaTags::read(&found.metas);
    let date = |s: &str| parse_meta_date(s, date_formats);

    let site_name = metas.first(&["og:site_name"]);
    let title = ld
        .as_ref()
        .and_then(|a| str_field(a, &["headline", "name"]))
        .or_else(|| metas.first(&["citation_title", "og:title", "dc.title", "dcterms.title"]))
        .or_else(|| {
            let text: String = found.titles.iter().map(|t| t.text().to_string()).collect();
            let t = collapse_whitespace(&text);
            (!t.is_empty()).then(|| strip_title_suffix(&t, site_name.as_deref(), title_suffix))
        });

    let published = ld
        .as_ref()
        .and_then(|a| str_field(a, &["datePublished", "dateCreated"]))
        .and_then(|s| date(&s))
        .or_else(|| {
            metas
                .all(&[
                    "citation_publication_date",
                    "citation_date",
                    "citation_online_date",
                    "article:published_time",
                    "og:published_time",
                    "dc.date",
                    "dcterms.issued",
                    "dcterms.created",
                    "dc.date.issued",
                    "date",
                    "pubdate",
                    "publishdate",
                    "parsely-pub-date",
                    "sailthru.date",
                ])
                .iter()
                .find_map(|s| date(s))
        })
        .or_else(|| {
            dom.select("[itemprop=datePublished], time[datetime]")
                .iter()
                .find_map(|t| {
                    let v = t.attr("datetime").or_else(|| t.attr("content"))?;
                    date(&v)
                })
        });

    let mut authors = ld.as_ref().map(ld_authors).unwrap_or_default();
    if authors.is_empty() {
        authors = metas.all(&["citation_author"]);
    }
    if authors.is_empty() {
        authors = metas
            .all(&[
                "article:author",
                "author",
                "dc.creator",
                "dcterms.creator",
                "parsely-author",
            ])
            .into_iter()
            .filter(|a| !a.contains("://"))
            .flat_map(|a| split_names(&a))
            .collect();
    }

    let series = ld
        .as_ref()
        .and_then(|a| str_field(a, &["articleSection"]))
        .or_else(|| {
            metas.first(&[
                "article:section",
                "citation_journal_title",
                "parsely-section",
            ])
        });

    let mut topics = ld
        .as_ref()
        .map(|a| list_field(a, "keywords"))
        .unwrap_or_default();
    if topics.is_empty() {
        topics = metas.all(&[
            "article:tag",
            "citation_keywords",
            "dc.subject",
            "dcterms.subject",
        ]);
        topics = topics.iter().flat_map(|t| split_keywords(t)).collect();
    }

    let canonical_url = found
        .canonical
        .and_then(|link| link.attr("href"))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| metas.first(&["og:url"]))
        .or_else(|| ld.as_ref().and_then(|a| str_field(a, &["url"])));

    let language = found
        .html
        .and_then(|html| html.attr("lang"))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| ld.as_ref().and_then(|a| str_field(a, &["inLanguage"])))
        .or_else(|| metas.first(&["citation_language", "dc.language", "og:locale"]))
        .map(|l| l.replace('_', "-"));

    Meta {
        title,
        series,
        published,
        authors: dedupe(authors),
        topics: dedupe(topics),
        canonical_url,
        language,
    }
}

/// A date as metadata writes it: ISO 8601 (`2023-09-27`, with or without a
/// time and zone; the date as written is the publication date), else one of
/// `formats`.
pub fn parse_meta_date(text: &str, formats: &[String]) -> Option<NaiveDate> {
    let text = collapse_whitespace(text);
    // An ISO date, possibly followed by a time: exactly `DDDD-DD-DD` first.
    if let Some(head) = text.get(..10)
        && head.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
        && let Ok(d) = NaiveDate::parse_from_str(head, "%Y-%m-%d")
    {
        return Some(d).filter(is_writable);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc2822(&text) {
        return Some(t.date_naive()).filter(is_writable);
    }
    // "2023/09/27" and "20230927" appear in citation_* tags.
    for f in ["%Y/%m/%d", "%Y%m%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(&text, f) {
            return Some(d).filter(is_writable);
        }
    }
    parse_date(&text, formats)
}

/// `<title>` less its site name: the `og:site_name` when the title ends
/// with it after a separator, else the profile's suffix pattern.
pub fn strip_title_suffix(title: &str, site: Option<&str>, suffix: Option<&LineRegex>) -> String {
    if let Some(site) = site.filter(|s| !s.is_empty()) {
        for sep in [" | ", " - ", " – ", " — ", " · ", " :: "] {
            if let Some(rest) = title.strip_suffix(&format!("{sep}{site}")) {
                return rest.trim_end().to_string();
            }
        }
    }
    match suffix.and_then(|re| re.find(title)) {
        Some(m) if m.start > 0 => title[..m.start].trim_end().to_string(),
        _ => title.to_string(),
    }
}

/// The elements a page declares its metadata in, found in one walk of the
/// page (in document order, as the selectors `meta[content]`,
/// `link[rel=canonical]`, `html`, `head title` and
/// `script[type=application/ld+json]` would find them; `rel` and `type`
/// compare without case, as HTML says): one walk instead of one per
/// selector, since this runs on every page.
struct Declared<'a> {
    metas: Vec<NodeRef<'a>>,
    canonical: Option<NodeRef<'a>>,
    html: Option<NodeRef<'a>>,
    titles: Vec<NodeRef<'a>>,
    ld_scripts: Vec<NodeRef<'a>>,
}

impl<'a> Declared<'a> {
    fn find(dom: &'a Dom) -> Declared<'a> {
        let mut found = Declared {
            metas: Vec::new(),
            canonical: None,
            html: None,
            titles: Vec::new(),
            ld_scripts: Vec::new(),
        };
        let root = dom.root();
        let mut next = root.first_child();
        while let Some(node) = next {
            if let Some(el) = node.element_ref() {
                let attr = |name: &str| {
                    el.attrs
                        .iter()
                        .find(|a| &*a.name.local == name)
                        .map(|a| &*a.value)
                };
                match el.name.local {
                    local_name!("meta") if attr("content").is_some() => found.metas.push(node),
                    local_name!("link")
                        if found.canonical.is_none()
                            && attr("rel").is_some_and(|r| r.eq_ignore_ascii_case("canonical")) =>
                    {
                        found.canonical = Some(node);
                    }
                    local_name!("html") if found.html.is_none() => found.html = Some(node),
                    local_name!("title") => {
                        if node.ancestors_it(None).any(|a| a.has_name("head")) {
                            found.titles.push(node);
                        }
                    }
                    local_name!("script") if attr("type").is_some_and(super::is_json_ld_type) => {
                        found.ld_scripts.push(node);
                    }
                    _ => {}
                }
            }
            next = node
                .first_child()
                .or_else(|| super::following(&node, &root));
        }
        found
    }
}

/// `<meta>` tags by lower-cased `name`/`property`/`itemprop`, in page order.
struct MetaTags(Vec<(String, String)>);

impl MetaTags {
    fn read(metas: &[NodeRef]) -> MetaTags {
        let mut tags = Vec::new();
        for node in metas {
            let Some(content) = node.attr("content") else {
                continue;
            };
            let content = collapse_whitespace(&content);
            if content.is_empty() {
                continue;
            }
            for key in ["name", "property", "itemprop"] {
                if let Some(k) = node.attr(key) {
                    tags.push((k.trim().to_ascii_lowercase(), content.clone()));
                }
            }
        }
        MetaTags(tags)
    }

    fn first(&self, keys: &[&str]) -> Option<String> {
        keys.iter()
            .find_map(|k| self.0.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
    }

    /// Every value of the first key that has any.
    fn all(&self, keys: &[&str]) -> Vec<String> {
        keys.iter()
            .map(|k| {
                self.0
                    .iter()
                    .filter(|(n, _)| n == k)
                    .map(|(_, v)| v.clone())
                    .collect::<Vec<_>>()
            })
            .find(|v| !v.is_empty())
            .unwrap_or_default()
    }
}

/// The first schema.org publication object in the page's JSON-LD blocks
/// (looking inside arrays and `@graph`). Blocks that are not valid JSON are
/// skipped: pages ship broken JSON-LD often enough.
fn json_ld(scripts: &[NodeRef]) -> Option<Value> {
    for script in scripts {
        let text = script.text();
        let Ok(value) = serde_json::from_str::<Value>(text.trim()) else {
            continue;
        };
        let mut queue = vec![value];
        while let Some(v) = queue.pop() {
            match v {
                Value::Array(items) => queue.extend(items.into_iter().rev()),
                Value::Object(mut map) => {
                    if is_article(map.get("@type")) {
                        return Some(Value::Object(map));
                    }
                    if let Some(graph) = map.remove("@graph") {
                        queue.push(graph);
                    }
                }
                _ => {}
            }
        }
    }
    None
}

fn is_article(t: Option<&Value>) -> bool {
    match t {
        Some(Value::String(s)) => ARTICLE_TYPES.contains(&s.as_str()),
        Some(Value::Array(a)) => a.iter().any(|v| is_article(Some(v))),
        _ => false,
    }
}

fn str_field(obj: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| {
        let v = obj.get(k)?;
        let s = match v {
            Value::String(s) => s.clone(),
            Value::Object(o) => o
                .get("@id")
                .or_else(|| o.get("name"))
                .and_then(Value::as_str)?
                .to_string(),
            Value::Array(a) => a.first().and_then(Value::as_str)?.to_string(),
            _ => return None,
        };
        let s = collapse_whitespace(&html_unescape(&s));
        (!s.is_empty()).then_some(s)
    })
}

fn list_field(obj: &Value, key: &str) -> Vec<String> {
    match obj.get(key) {
        Some(Value::String(s)) => split_keywords(&html_unescape(s)),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(|s| collapse_whitespace(&html_unescape(s)))
            .filter(|s| !s.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

fn ld_authors(obj: &Value) -> Vec<String> {
    let one = |v: &Value| -> Option<String> {
        let name = match v {
            Value::String(s) => s.clone(),
            Value::Object(o) => o.get("name").and_then(Value::as_str)?.to_string(),
            _ => return None,
        };
        let name = collapse_whitespace(&html_unescape(&name));
        (!name.is_empty() && !name.contains("://")).then_some(name)
    };
    match obj.get("author").or_else(|| obj.get("creator")) {
        Some(Value::Array(a)) => a.iter().filter_map(one).collect(),
        Some(v) => one(v).map(|n| split_names(&n)).unwrap_or_default(),
        None => Vec::new(),
    }
}

/// "A. Author and B. Writer", "A, B & C" → names.
fn split_names(text: &str) -> Vec<String> {
    text.split([',', '&', ';'])
        .flat_map(|p| p.split(" and "))
        .map(collapse_whitespace)
        .filter(|s| !s.is_empty())
        .collect()
}

fn split_keywords(text: &str) -> Vec<String> {
    text.split([',', ';'])
        .map(collapse_whitespace)
        .filter(|s| !s.is_empty())
        .collect()
}

/// JSON-LD written by templates sometimes carries HTML entities.
fn html_unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    text.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#039;", "'")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
}

fn dedupe(items: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    items
        .into_iter()
        .filter(|i| seen.insert(i.to_lowercase()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(html: &str) -> Meta {
        let suffix = LineRegex::new(r"\s+[|\-–—·]\s+[^|\-–—·]{1,40}$").unwrap();
        read_meta(&Dom::from(html), Some(&suffix), &[])
    }

    #[test]
    fn json_ld_article_in_a_graph() {
        let m = meta(
            r#"<html lang="en-GB"><head><title>Ignored | Site</title>
            <script type="application/ld+json">{"@context":"https://schema.org","@graph":[
              {"@type":"WebSite","name":"Site"},
              {"@type":["NewsArticle"],"headline":"The &amp; Headline","datePublished":"2023-09-27T23:30:00-05:00",
               "author":[{"@type":"Person","name":"Ann Author"},{"@type":"Person","name":"Bob Writer"}],
               "articleSection":"Analysis","keywords":"Iran, Gulf States"}]}</script>
            </head><body></body></html>"#,
        );
        assert_eq!(m.title.as_deref(), Some("The & Headline"));
        assert_eq!(m.published, NaiveDate::from_ymd_opt(2023, 9, 27));
        assert_eq!(m.authors, ["Ann Author", "Bob Writer"]);
        assert_eq!(m.series.as_deref(), Some("Analysis"));
        assert_eq!(m.topics, ["Iran", "Gulf States"]);
        assert_eq!(m.language.as_deref(), Some("en-GB"));
    }

    #[test]
    fn json_ld_type_in_any_case_with_spaces_around() {
        let m = meta(
            r#"<head><script type=" Application/LD+JSON ">{"@type":"Article","headline":"Padded"}</script></head>"#,
        );
        assert_eq!(m.title.as_deref(), Some("Padded"));
    }

    #[test]
    fn highwire_open_graph_dublin_core_and_title() {
        let m = meta(
            r#"<head><title>A Paper | Journal</title>
            <meta name="citation_author" content="Smith, J.">
            <meta name="citation_author" content="Doe, A.">
            <meta name="citation_publication_date" content="2021/03/04">
            <meta property="article:tag" content="One"><meta property="article:tag" content="Two">
            <meta property="og:url" content="https://j.example/p">
            <meta name="DC.language" content="fr_FR">
            <script type="application/ld+json">{ broken</script></head>"#,
        );
        assert_eq!(m.title.as_deref(), Some("A Paper"));
        assert_eq!(m.authors, ["Smith, J.", "Doe, A."]);
        assert_eq!(m.published, NaiveDate::from_ymd_opt(2021, 3, 4));
        assert_eq!(m.topics, ["One", "Two"]);
        assert_eq!(m.canonical_url.as_deref(), Some("https://j.example/p"));
        assert_eq!(m.language.as_deref(), Some("fr-FR"));
    }

    #[test]
    fn time_element_and_site_name_suffix() {
        let m = meta(
            r#"<head><title>Budget vote - a long story - The Daily Site</title>
            <meta property="og:site_name" content="The Daily Site"></head>
            <body><time datetime="2020-01-02">Jan 2</time></body>"#,
        );
        assert_eq!(m.title.as_deref(), Some("Budget vote - a long story"));
        assert_eq!(m.published, NaiveDate::from_ymd_opt(2020, 1, 2));
    }

    #[test]
    fn nothing_declared_is_nothing() {
        assert_eq!(meta("<p>text</p>"), Meta::default());
    }
}
