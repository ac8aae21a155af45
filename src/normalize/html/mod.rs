//! HTML captures: from a page as served to the [`Document`] it publishes.
//!
//! The layers, in order:
//!
//! 1. limits: a page too large to be a publication page, or binary data
//!    with an `.html` name, is refused with a clear error before parsing;
//! 2. parse (html5ever through `dom_query`, as browsers do, any input);
//! 3. metadata the page declares ([`meta`]), then the profile's selectors
//!    for title, date, authors, series and topics on top;
//! 4. the related-publications list, when the profile says where it is;
//! 5. the profile's `remove` selectors;
//! 6. the body: the profile's body root when it has one, else generic
//!    main-content extraction ([`extract`]); either way [`blocks`] makes the
//!    blocks.
//!
//! A profile selector that matches nothing is reported in
//! [`Normalized::warnings`]; a body selector that matches nothing is an
//! [`NormalizeError::EmptyBody`], never an empty article.

pub mod blocks;
pub mod extract;
pub mod head_hints;
pub mod meta;

use dom_query::{Document as Dom, NodeRef, Selection};

use super::profile::{Css, Profile, RelatedRules};
use super::{NormalizeError, Normalized};
use crate::document::{
    Block, BlockKind, Document, Meta, RelatedItem, assign_sections, collapse_whitespace,
};

/// The largest HTML capture redline reads. Publication pages are far below
/// it (the largest of the benchmark pages is about 1 MB); parsing beyond it
/// would take seconds and gigabytes for no publication.
pub const MAX_HTML_BYTES: usize = 32 * 1024 * 1024;

/// Elements nested deeper than this are not a publication page; the
/// generic extractor walks the tree recursively, so such pages are refused
/// rather than risk the stack.
pub const MAX_DEPTH: usize = 1_000;

/// Normalizes the decoded text of an HTML capture with `profile`.
pub fn normalize_html(
    html: &str,
    profile: &Profile,
    origin: &str,
) -> Result<Normalized, NormalizeError> {
    if html.len() > MAX_HTML_BYTES {
        return Err(NormalizeError::TooLarge {
            origin: origin.to_string(),
            size: html.len(),
            limit: MAX_HTML_BYTES,
        });
    }
    if let Some(reason) = looks_binary(html) {
        return Err(NormalizeError::NotHtml {
            origin: origin.to_string(),
            reason,
        });
    }
    let estimate = nesting_estimate(html);
    if estimate > MAX_DEPTH {
        return Err(NormalizeError::TooDeep {
            origin: origin.to_string(),
            depth: estimate,
            limit: MAX_DEPTH,
        });
    }
    let dom = Dom::from(html);
    let depth = max_depth(&dom.root());
    if depth > MAX_DEPTH {
        return Err(NormalizeError::TooDeep {
            origin: origin.to_string(),
            depth,
            limit: MAX_DEPTH,
        });
    }
    let rules = &profile.html;
    let mut warnings = Vec::new();
    let mut miss = |css: &Css| {
        warnings.push(format!(
            "profile {}: {} selector {:?} matched nothing",
            profile.name, css.field, css.source
        ))
    };

    let mut meta = meta::read_meta(&dom, rules.title_suffix.as_deref(), &rules.date_formats);
    apply_profile_meta(&dom, profile, &mut meta, &mut miss);
    if !rules.canonical_url {
        meta.canonical_url = None;
    }
    if !rules.language {
        meta.language = None;
    }
    let related = read_related(&dom, &rules.related, &mut miss);

    for css in &rules.remove {
        dom.select_matcher(&css.matcher).remove();
    }

    let body = match &rules.body {
        Some(css) => {
            let roots = dom.select_matcher(&css.matcher);
            let Some(root) = roots.nodes().first() else {
                return Err(NormalizeError::EmptyBody {
                    origin: origin.to_string(),
                    reason: format!(
                        " (profile {}: {} selector {:?} matched nothing)",
                        profile.name, css.field, css.source
                    ),
                });
            };
            extract::dedupe(blocks::blocks_of(root))
        }
        None => extract::extract_body(dom),
    };
    let body = tidy_body(body, meta.title.as_deref());
    Ok(Normalized {
        document: Document {
            meta,
            body,
            related,
            ..Document::default()
        },
        warnings,
    })
}

/// Why `html` is not an HTML page, if it is not: mostly control characters
/// or undecodable bytes (an image or archive saved with an `.html` name).
/// A few NUL bytes in a real page are tolerated; the parser drops them.
fn looks_binary(html: &str) -> Option<String> {
    // The first 64 KiB, counted byte-wise where the text is ASCII (most
    // pages' first 64 KiB is markup and script): this runs on every page.
    let mut end = html.len().min(64 * 1024);
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    let sample = &html[..end];
    if sample.is_empty() {
        return None;
    }
    let bytes = sample.as_bytes();
    // `str::chars().count()` counts a word at a time; the odd-byte test has
    // no branches so the loop is vectorized.
    let chars = sample.chars().count();
    let mut odd = bytes
        .iter()
        .map(|&b| {
            let control = (b < 0x20) & (b != b'\n') & (b != b'\r') & (b != b'\t') & (b != 0x0c);
            usize::from(control | (b == 0x7f))
        })
        .sum::<usize>();
    // The non-ASCII control characters are U+0080..=U+009F (C2 80..C2 9F
    // in UTF-8); the replacement character is EF BF BD.
    for at in memchr::memchr2_iter(0xc2, 0xef, bytes) {
        let rest = &bytes[at..];
        if rest.starts_with(&[0xef, 0xbf, 0xbd])
            || (rest[0] == 0xc2 && rest.get(1).is_some_and(|b| (0x80..=0x9f).contains(b)))
        {
            odd += 1;
        }
    }
    (odd * 10 > chars).then(|| {
        format!(
            "{}% of its first {chars} characters are control characters or undecodable bytes",
            odd * 100 / chars
        )
    })
}

/// How deep the page nests container elements, estimated from its tags
/// before parsing: opening minus closing tags of elements that are never
/// closed implicitly. The HTML parser's scope checks take time in
/// proportion to the depth for every tag, so a page nested a hundred
/// thousand deep would keep it busy for minutes; this scan is linear.
fn nesting_estimate(html: &str) -> usize {
    let bytes = html.as_bytes();
    let (mut depth, mut deepest) = (0usize, 0usize);
    for lt in memchr::memchr_iter(b'<', bytes) {
        let i = lt + 1;
        let closing = bytes.get(i) == Some(&b'/');
        let start = if closing { i + 1 } else { i };
        // Container names are at most 10 letters: look no further.
        let end = bytes[start..]
            .iter()
            .take(11)
            .position(|b| !b.is_ascii_alphanumeric())
            .map_or(bytes.len().min(start + 11), |n| start + n);
        if is_container(&bytes[start..end]) {
            if closing {
                depth = depth.saturating_sub(1);
            } else {
                depth += 1;
                deepest = deepest.max(depth);
            }
        }
    }
    deepest
}

/// Elements [`nesting_estimate`] counts: containers a page nests deeply and
/// that are never closed implicitly (any case).
fn is_container(name: &[u8]) -> bool {
    lowercase_word::<10>(name).is_some_and(|lower| {
        matches!(
            lower.as_slice(),
            b"div"
                | b"section"
                | b"article"
                | b"span"
                | b"main"
                | b"aside"
                | b"blockquote"
                | b"table"
                | b"ul"
                | b"ol"
                | b"nav"
                | b"header"
                | b"footer"
                | b"form"
                | b"figure"
        )
    })
}

/// `word` in ASCII lower case, in a buffer of at most `N` bytes (no
/// allocation: the name matchers run for every tag and class word), or
/// `None` when it is longer than `N` or shorter than 2 bytes, so it cannot
/// be one of the names they look for.
fn lowercase_word<const N: usize>(word: &[u8]) -> Option<LowerWord<N>> {
    if word.len() < 2 || word.len() > N {
        return None;
    }
    let mut bytes = [0u8; N];
    bytes[..word.len()].copy_from_slice(word);
    bytes[..word.len()].make_ascii_lowercase();
    Some(LowerWord {
        bytes,
        len: word.len(),
    })
}

struct LowerWord<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> LowerWord<N> {
    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// True for the `type` of a `<script>` holding JSON-LD structured data:
/// `application/ld+json` in any case, with any spaces around it. One test
/// for the metadata reader, which reads such scripts, and the extractor,
/// which keeps them from the text.
fn is_json_ld_type(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("application/ld+json")
}

/// The node after `node`'s subtree in document order, within `root`: the
/// step of the page walks that go without a stack (pruning, metadata).
fn following<'a>(node: &NodeRef<'a>, root: &NodeRef<'a>) -> Option<NodeRef<'a>> {
    let mut at = *node;
    loop {
        if at.id == root.id {
            return None;
        }
        if let Some(sibling) = at.next_sibling() {
            return Some(sibling);
        }
        at = at.parent()?;
    }
}

/// The depth of the deepest element, measured without recursion.
fn max_depth(root: &NodeRef) -> usize {
    // A walk in document order without a stack or per-node lists: the
    // check runs on every page, so it must cost little next to parsing.
    let (mut depth, mut deepest) = (0usize, 0usize);
    let mut node = *root;
    loop {
        if let Some(child) = node.first_element_child() {
            depth += 1;
            deepest = deepest.max(depth);
            if deepest > MAX_DEPTH {
                return deepest;
            }
            node = child;
            continue;
        }
        loop {
            if node.id == root.id {
                return deepest;
            }
            if let Some(sibling) = node.next_element_sibling() {
                node = sibling;
                break;
            }
            let Some(parent) = node.parent() else {
                return deepest;
            };
            node = parent;
            depth -= 1;
        }
    }
}

fn all_texts(sel: &Selection) -> Vec<String> {
    sel.nodes()
        .iter()
        .map(|n| collapse_whitespace(&n.text()))
        .filter(|t| !t.is_empty())
        .collect()
}

/// The profile's selectors override what the page declares.
fn apply_profile_meta(dom: &Dom, profile: &Profile, meta: &mut Meta, miss: &mut dyn FnMut(&Css)) {
    let rules = &profile.html;
    let mut found = |css: &Option<Css>| -> Option<Selection> {
        let css = css.as_ref()?;
        let sel = dom.select_matcher(&css.matcher);
        if sel.is_empty() {
            miss(css);
            None
        } else {
            Some(sel)
        }
    };
    if let Some(sel) = found(&rules.title)
        && let Some(t) = all_texts(&sel).into_iter().next()
    {
        meta.title = Some(t);
    }
    if let Some(sel) = found(&rules.date) {
        let date = sel.nodes().iter().find_map(|n| {
            let value = n
                .attr("datetime")
                .or_else(|| n.attr("content"))
                .map(|v| v.to_string())
                .unwrap_or_else(|| n.text().to_string());
            meta::parse_meta_date(&value, &rules.date_formats)
        });
        if date.is_some() {
            meta.published = date;
        }
    }
    if let Some(sel) = found(&rules.authors) {
        meta.authors = all_texts(&sel);
    }
    if let Some(sel) = found(&rules.series)
        && let Some(s) = all_texts(&sel).into_iter().next()
    {
        meta.series = Some(s);
    }
    if let Some(sel) = found(&rules.topics) {
        let mut seen = std::collections::HashSet::new();
        meta.topics = all_texts(&sel)
            .into_iter()
            .filter(|t| seen.insert(t.clone()))
            .collect();
    }
}

/// The related-publications list, when the profile says where it is.
fn read_related(dom: &Dom, rules: &RelatedRules, miss: &mut dyn FnMut(&Css)) -> Vec<RelatedItem> {
    let Some(item_css) = &rules.item else {
        return Vec::new();
    };
    let scope: Vec<NodeRef> = match &rules.list {
        Some(list) => {
            let sel = dom.select_matcher(&list.matcher);
            if sel.is_empty() {
                miss(list);
                return Vec::new();
            }
            sel.nodes().to_vec()
        }
        None => vec![dom.root()],
    };
    let mut items = Vec::new();
    for root in &scope {
        let sel = Selection::from(*root).select_matcher(&item_css.matcher);
        for node in sel.nodes() {
            if let Some(item) = related_item(node, rules) {
                items.push(item);
            }
        }
    }
    if items.is_empty() {
        miss(item_css);
    }
    items
}

fn related_item(node: &NodeRef, rules: &RelatedRules) -> Option<RelatedItem> {
    let within = |css: &Option<Css>| -> Option<NodeRef> {
        let css = css.as_ref()?;
        Selection::from(*node)
            .select_matcher(&css.matcher)
            .nodes()
            .first()
            .cloned()
    };
    let text = |css: &Option<Css>| -> Option<String> {
        within(css)
            .map(|n| collapse_whitespace(&n.text()))
            .filter(|t| !t.is_empty())
    };
    let title = text(&rules.title).or_else(|| {
        let t = collapse_whitespace(&node.text());
        (!t.is_empty() && rules.title.is_none()).then_some(t)
    })?;
    let date = within(&rules.date).and_then(|n| {
        let value = n
            .attr("datetime")
            .map(|v| v.to_string())
            .unwrap_or_else(|| n.text().to_string());
        meta::parse_meta_date(&value, &rules.date_formats)
    });
    let url = within(&rules.link)
        .and_then(|n| n.attr("href"))
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty());
    Some(RelatedItem {
        title,
        summary: text(&rules.summary),
        date,
        url,
        credit: text(&rules.credit),
    })
}

/// Final shape of an HTML body: no headline repeating the title at the top,
/// no headings left without text under them, sections assigned.
fn tidy_body(mut body: Vec<Block>, title: Option<&str>) -> Vec<Block> {
    if let Some(title) = title {
        let title = collapse_whitespace(title);
        while body
            .first()
            .is_some_and(|b| b.kind == BlockKind::Heading && b.text == title)
        {
            body.remove(0);
        }
    }
    let mut out: Vec<Block> = Vec::with_capacity(body.len());
    for block in body {
        if block.kind == BlockKind::Heading {
            while out.last().is_some_and(|b| {
                b.kind == BlockKind::Heading && b.level.unwrap_or(2) >= block.level.unwrap_or(2)
            }) {
                out.pop();
            }
        }
        out.push(block);
    }
    while out.last().is_some_and(|b| b.kind == BlockKind::Heading) {
        out.pop();
    }
    assign_sections(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The depth by the obvious recursion, to check the walk against.
    fn depth_by_recursion(node: &NodeRef) -> usize {
        node.element_children()
            .iter()
            .map(|c| 1 + depth_by_recursion(c))
            .max()
            .unwrap_or(0)
    }

    /// The share of odd characters by the obvious definition.
    fn odd_share(text: &str) -> (usize, usize) {
        let odd = text
            .chars()
            .filter(|&c| {
                (c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}')) || c == '\u{fffd}'
            })
            .count();
        (odd, text.chars().count())
    }

    #[test]
    fn looks_binary_counts_control_and_undecodable_characters() {
        for text in [
            "<p>plain page</p>\n",
            "\0\0\0\0PNG\u{1}\u{2}\u{3}abc",
            "caf\u{e9} \u{fffd}\u{fffd}\u{85}\u{9f} \u{1b}[31m",
            "\u{fffd}",
            "\t\r\n\u{c} page",
        ] {
            let (odd, chars) = odd_share(text);
            assert_eq!(looks_binary(text).is_some(), odd * 10 > chars, "{text:?}");
        }
        assert!(looks_binary("").is_none());
        let mostly_text = format!("{}\0\0", "text ".repeat(100));
        assert!(looks_binary(&mostly_text).is_none());
    }

    #[test]
    fn nesting_estimate_counts_container_tags_in_any_case() {
        assert_eq!(nesting_estimate(""), 0);
        assert_eq!(nesting_estimate("<p>a</p><br>"), 0);
        assert_eq!(
            nesting_estimate("<div><DIV><Section>x</section></div></div>"),
            3
        );
        assert_eq!(nesting_estimate("<div></div><div><ul><li>a</ul></div>"), 2);
        // Longer names that start like a container are not containers.
        assert_eq!(nesting_estimate("<blockquotes><divx><spanner><table>"), 1);
        assert_eq!(nesting_estimate("</div></div><div"), 1);
        assert_eq!(nesting_estimate(&"<div>".repeat(50)), 50);
    }

    #[test]
    fn max_depth_matches_the_recursive_definition() {
        for html in [
            "",
            "<p>text</p>",
            "<div><div><p>a</p></div><section><ul><li><b>deep</b></li></ul></section></div><p>b</p>",
            "<table><tr><td><div><span>x</span></div></td></tr></table><footer><a>y</a></footer>",
        ] {
            let dom = Dom::from(html);
            assert_eq!(
                max_depth(&dom.root()),
                depth_by_recursion(&dom.root()),
                "{html}"
            );
        }
        let nested = "<div>".repeat(MAX_DEPTH + 10);
        let dom = Dom::from(nested.as_str());
        assert!(max_depth(&dom.root()) > MAX_DEPTH);
    }
}
