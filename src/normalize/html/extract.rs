//! Generic main-content extraction: the publication's body on a page no
//! profile describes.
//!
//! The content detection is `dom_smoothie` (a port of Mozilla's
//! Readability.js on `dom_query`): it scores the page's elements and keeps
//! the best article candidate, cutting navigation, headers, footers and
//! most sidebars. BENCHMARKS.md says why it was chosen over the trafilatura
//! ports. Readability keeps, inside the article, much that a reader does not
//! count as the article: image captions and credits, bylines and datelines,
//! share and newsletter prompts, "related" link lists. Two generic passes,
//! written here because no crate does them, remove those:
//!
//! - before readability, [`prune`] drops small elements whose class or id
//!   names them as such (`caption`, `byline`, `share`, `related`...), and
//!   `<figcaption>`s;
//! - after it, [`clean_pieces`] drops blocks that are mostly link text, have
//!   no letters, or read as a byline, dateline, credit or prompt.
//!
//! The rules are generic by design: they were checked on the development
//! set, but none names a site.

use std::collections::HashSet;
use std::sync::LazyLock;

use dom_query::{Document as Dom, NodeRef, local_name};
use dom_smoothie::{Config, Readability, TextMode};
use regex::Regex;

use super::blocks::{Piece, pieces_of};
use crate::document::{Block, BlockKind};

/// The article body of `dom` as blocks, or an empty list when the page has
/// no readable content. Consumes the DOM: readability edits it as it works.
pub fn extract_body(dom: Dom) -> Vec<Block> {
    prune(&dom);
    let config = Config {
        text_mode: TextMode::Raw,
        ..Config::default()
    };
    let Ok(mut readability) = Readability::with_document(dom, None, Some(config)) else {
        return Vec::new();
    };
    if readability.parse().is_err() {
        return Vec::new();
    }
    // The article is the `#readability-page-1` element of readability's
    // own document; walking it there spares serializing the article and
    // parsing it again.
    let article = readability.doc.select_single("#readability-page-1");
    let Some(root) = article.nodes().first() else {
        return Vec::new();
    };
    clean_pieces(pieces_of(root))
}

/// Makes embedded media safe for readability: `dom_smoothie` 0.19 looks for
/// video hosts in the attributes of `<object>`, `<embed>` and `<iframe>` and
/// in an `<object>`'s inner HTML by slicing bytes before the host name, which
/// panics when a multi-byte character stands there. Non-ASCII characters in
/// those attributes (and in those of an object's children) are
/// percent-encoded, which leaves URLs meaning what they meant; an object
/// whose content still holds non-ASCII text (plugin fallback text, never
/// article text a reader sees) is dropped. Found by the `normalize_html`
/// fuzz target. Returns false when the object must go.
fn ascii_embed(node: &NodeRef) -> bool {
    encode_attrs(node);
    if node.has_name("object") {
        // Collected first: the walk borrows the tree that `set_attr`
        // changes (found by the `normalize_html` fuzz target).
        let children: Vec<NodeRef> = node.descendants_it().filter(|n| n.is_element()).collect();
        for child in children {
            encode_attrs(&child);
        }
        if !node.inner_html().is_ascii() {
            return false;
        }
    }
    true
}

/// Percent-encodes the non-ASCII characters of `node`'s attribute values.
fn encode_attrs(node: &NodeRef) {
    let Some(el) = node.element_ref() else { return };
    if el.attrs.iter().all(|a| a.value.is_ascii()) {
        return;
    }
    drop(el);
    for attr in node.attrs() {
        if !attr.value.is_ascii() {
            node.set_attr(&attr.name.local, &percent_encode_non_ascii(&attr.value));
        }
    }
}

/// `text` with every non-ASCII byte written as `%XX`, as in a URL.
fn percent_encode_non_ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for &b in text.as_bytes() {
        if b.is_ascii() {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Elements with more text than this are never pruned by their class name:
/// a container called `post-author-content` may hold the whole article.
const PRUNE_MAX_LETTERS: usize = 600;

/// Drops `<figcaption>`s and small elements whose class or id names them as
/// furniture, and makes embedded media and JSON-LD safe for readability
/// (`ascii_embed`, `valid_json`). One walk of the page finds all four
/// kinds; captions, unsafe objects and malformed JSON-LD go first, so a
/// container's size is measured without them, as a reader would see it.
pub fn prune(dom: &Dom) {
    let mut gone: Vec<NodeRef> = Vec::new();
    let mut candidates: Vec<NodeRef> = Vec::new();
    let root = dom.root();
    let mut next = root.first_child();
    while let Some(node) = next {
        let (kind, furniture) = match node.element_ref() {
            Some(el) => {
                let kind = match &*el.name.local {
                    "figcaption" => Kind::Caption,
                    "object" | "embed" | "iframe" => Kind::Embed,
                    "script" if is_json_ld(&el.attrs) => Kind::JsonLd,
                    "html" | "body" | "main" | "article" => Kind::Spared,
                    _ => Kind::Other,
                };
                (kind, names_furniture(&el.attrs))
            }
            None => (Kind::Spared, false),
        };
        let mut descend = true;
        match kind {
            Kind::Caption => {
                gone.push(node);
                descend = false;
            }
            // Encoding may change the class; it is read again after.
            Kind::Embed if !ascii_embed(&node) => {
                gone.push(node);
                descend = false;
            }
            Kind::Embed if names_furniture_node(&node) => candidates.push(node),
            Kind::JsonLd if !valid_json(&node.text()) => {
                gone.push(node);
                descend = false;
            }
            Kind::Other if furniture => candidates.push(node),
            _ => {}
        }
        next = if descend { node.first_child() } else { None }
            .or_else(|| super::following(&node, &root));
    }
    for node in gone {
        node.remove_from_parent();
    }
    let doomed: Vec<NodeRef> = candidates
        .into_iter()
        .filter(|node| letters(&node.text()) <= PRUNE_MAX_LETTERS)
        .collect();
    for node in doomed {
        node.remove_from_parent();
    }
}

/// What [`prune`] does with an element.
enum Kind {
    Caption,
    Embed,
    /// Structured data (`<script type="application/ld+json">`).
    JsonLd,
    /// Never pruned by name (the page's own containers), or not an element.
    Spared,
    Other,
}

/// True for a `<script>` whose type is JSON-LD (`application/ld+json`, in
/// any case).
fn is_json_ld(attrs: &[dom_query::Attr]) -> bool {
    attrs
        .iter()
        .any(|a| a.name.local == local_name!("type") && super::is_json_ld_type(&a.value))
}

/// True when a JSON-LD script's text (inside a CDATA section or not) is
/// well-formed JSON. `dom_smoothie` 0.19 reads JSON-LD with `gjson`, which
/// on a malformed `\u` escape (fewer than four hex digits before a
/// multi-byte character) makes a string of invalid UTF-8: undefined
/// behaviour, a panic in builds with debug checks. Such a script is removed
/// before readability runs; redline reads the page's JSON-LD itself, with
/// serde_json, and a malformed one gives it nothing either.
fn valid_json(text: &str) -> bool {
    let text = match text.trim_start().strip_prefix("<![CDATA[") {
        Some(rest) => rest.split("]]>").next().unwrap_or(rest),
        None => text,
    };
    serde_json::from_str::<serde::de::IgnoredAny>(text.trim()).is_ok()
}

fn names_furniture_node(node: &NodeRef) -> bool {
    node.element_ref()
        .is_some_and(|el| names_furniture(&el.attrs))
}

/// True when the element's class or id holds a furniture word (ASCII
/// letters and digits; case does not matter).
fn names_furniture(attrs: &[dom_query::Attr]) -> bool {
    attrs.iter().any(|a| {
        (a.name.local == local_name!("class") || a.name.local == local_name!("id"))
            && a.value
                .as_bytes()
                // Non-ASCII bytes separate words too, as any
                // non-alphanumeric character does.
                .split(|b| !b.is_ascii_alphanumeric())
                .any(is_furniture_word)
    })
}

/// True for the words in class and id names that mark page furniture, not
/// article text (ASCII, any case).
fn is_furniture_word(word: &[u8]) -> bool {
    // The longest furniture word has 13 letters.
    super::lowercase_word::<13>(word).is_some_and(|lower| {
        matches!(
            lower.as_slice(),
            b"caption"
                | b"credit"
                | b"credits"
                | b"byline"
                | b"dateline"
                | b"timestamp"
                | b"share"
                | b"sharing"
                | b"social"
                | b"newsletter"
                | b"subscribe"
                | b"subscription"
                | b"signup"
                | b"related"
                | b"recommended"
                | b"breadcrumb"
                | b"breadcrumbs"
                | b"promo"
                | b"advert"
                | b"advertisement"
                | b"ad"
                | b"ads"
                | b"sponsor"
                | b"sponsored"
                | b"comments"
                | b"tags"
                | b"popular"
                | b"trending"
                | b"outbrain"
                | b"taboola"
                | b"author"
                | b"bio"
                | b"disclaimer"
                | b"copyright"
        )
    })
}

fn letters(text: &str) -> usize {
    text.chars().filter(|c| c.is_alphanumeric()).count()
}

/// A block at least this much link text, and short, is navigation.
const LINK_DENSITY_MAX: f32 = 0.6;
/// Blocks longer than this are prose even when linked heavily.
const LINKY_MAX_WORDS: usize = 40;
/// Bylines, datelines and credits are short.
const FURNITURE_MAX_WORDS: usize = 15;

static FURNITURE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^(?:
            (?-i:By)\s+\p{Lu}[\w.'’\-]*(?:\s+\p{Lu}[\w.'’\-]*){0,3}(?:\s*(?:[|,•·–—\-]|and\b).*)?  # By A. Writer | date
          | (?:published|updated|posted|last\s+updated|first\s+published)\b.*
          | (?:©|\(c\)|copyright\b|image:|images:|photo:|photos:|picture:|credit:|image\s+credit|source:|\(image|\(photo).*
          | (?:advertisement|continue\s+reading(?:\s+below)?|read\s+more\b.*|related:.*|see\s+also:.*|click\s+here\b.*)
          | (?:share|share\s+this(?:\s+article)?|tweet|email|print|comments?)
          | (?:sign\s+up|subscribe)\b.*
        )$",
    )
    .expect("valid regex")
});

static DATE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)^(?:[a-z]{3,9}\.?,?\s+)?(?:
            (?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}
          | \d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+\d{4}
          | \d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}
        )(?:\s*(?:at\s+)?\d{1,2}:\d{2}.*)?$",
    )
    .expect("valid regex")
});

/// Removes blocks that are navigation or furniture, and repeated blocks.
pub fn clean_pieces(pieces: Vec<Piece>) -> Vec<Block> {
    let mut seen = HashSet::new();
    pieces
        .into_iter()
        .filter(|p| !is_furniture(p))
        .map(|p| p.block)
        .filter(|b| b.kind == BlockKind::Heading || seen.insert(b.text.clone()))
        .collect()
}

/// Removes repeated blocks (a heading may repeat; text may not).
pub fn dedupe(blocks: Vec<Block>) -> Vec<Block> {
    let mut seen = HashSet::new();
    blocks
        .into_iter()
        .filter(|b| b.kind == BlockKind::Heading || seen.insert(b.text.clone()))
        .collect()
}

fn is_furniture(piece: &Piece) -> bool {
    let text = piece.block.text.as_str();
    if !text.chars().any(char::is_alphabetic) {
        return true;
    }
    let words = text.split_whitespace().count();
    // A sentence with a link in it is prose unless it is all link.
    let sentence = words >= 6
        && text
            .trim_end_matches(['"', '\'', '”', '’', ')'])
            .ends_with(['.', '!', '?']);
    let max_density = if sentence { 0.9 } else { LINK_DENSITY_MAX };
    if piece.link_density >= max_density && words <= LINKY_MAX_WORDS {
        return true;
    }
    words <= FURNITURE_MAX_WORDS && (FURNITURE_LINE.is_match(text) || DATE_LINE.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(text: &str, link_density: f32) -> Piece {
        Piece {
            block: Block::paragraph(text),
            link_density,
        }
    }

    #[test]
    fn furniture_blocks_go_prose_stays() {
        let kept = clean_pieces(vec![
            piece("By Jane Doe | November 18, 2019 at 2:26 PM", 0.0),
            piece("Updated at 1:23 p.m.", 0.0),
            piece("November 20, 2019", 0.0),
            piece("225.86", 0.0),
            piece("Most read: Ten things you missed", 0.9),
            piece(
                "The study was published in the journal Nature Astronomy.",
                0.7,
            ),
            piece("(Image: © TNG Collaboration)", 0.0),
            piece(
                "By the end of the year, the plan had failed, officials said.",
                0.0,
            ),
            piece(
                "The council voted on Tuesday to approve the new budget.",
                0.2,
            ),
            piece(
                "The council voted on Tuesday to approve the new budget.",
                0.2,
            ),
        ]);
        let texts: Vec<_> = kept.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "The study was published in the journal Nature Astronomy.",
                "By the end of the year, the plan had failed, officials said.",
                "The council voted on Tuesday to approve the new budget."
            ]
        );
    }

    #[test]
    fn furniture_words_any_case_whole_words_only() {
        for w in [
            "share",
            "SHARE",
            "Related",
            "ad",
            "advertisement",
            "breadcrumbs",
        ] {
            assert!(is_furniture_word(w.as_bytes()), "{w}");
        }
        for w in [
            "",
            "a",
            "shared",
            "adventure",
            "header",
            "content",
            "authorship",
        ] {
            assert!(!is_furniture_word(w.as_bytes()), "{w}");
        }
    }

    #[test]
    fn malformed_json_ld_is_removed_and_well_formed_kept() {
        let dom = Dom::from(
            "<html><head>\
             <script type='application/ld+json'>{\"@context\":\"https://schema.org\\u00\u{20ac}\"}</script>\
             <script type='Application/LD+JSON'> <![CDATA[{\"@type\":\"NewsArticle\"}]]> </script>\
             <script type='application/ld+json'>{\"@type\":\"NewsArticle\",\"headline\":\"\\u00e9\"}</script>\
             <script>not json</script>\
             </head><body><p>Text</p></body></html>",
        );
        prune(&dom);
        let kept: Vec<String> = dom
            .select("script")
            .iter()
            .map(|s| s.text().trim().to_string())
            .collect();
        assert_eq!(
            kept,
            [
                "<![CDATA[{\"@type\":\"NewsArticle\"}]]>",
                "{\"@type\":\"NewsArticle\",\"headline\":\"\\u00e9\"}",
                "not json",
            ]
        );
    }

    #[test]
    fn prune_spares_large_containers() {
        let long = "word ".repeat(200);
        let dom = Dom::from(format!(
            "<div class='post-author-content'><p>{long}</p></div>\
             <div class='share-bar'>Share on Facebook</div><figure><figcaption>A caption</figcaption></figure>"
        ));
        prune(&dom);
        let text = dom.select("body").text();
        assert!(text.contains("word word"));
        assert!(!text.contains("Share on") && !text.contains("caption"));
    }

    #[test]
    fn embedded_media_with_non_ascii_urls_do_not_crash_readability() {
        // A multi-byte character right before a video host name: what
        // made dom_smoothie slice inside a character.
        let para = "<p>This paragraph is long enough, with commas, to be the article; \
                    it goes on, and on, so readability keeps it as the body.</p>";
        let html = format!(
            "<html><body><article>{para}{para}\
             <iframe src='€youtube.com/embed/1'></iframe>\
             <object data='x'>€€€€€€//www.vimeo.com/1</object>{para}</article></body></html>"
        );
        let dom = Dom::from(html);
        prune(&dom);
        assert_eq!(
            dom.select("iframe").attr("src").as_deref(),
            Some("%E2%82%ACyoutube.com/embed/1")
        );
        assert!(dom.select("object").is_empty());
        let blocks = extract_body(Dom::from(dom.html().to_string()));
        assert!(blocks.iter().any(|b| b.text.starts_with("This paragraph")));
    }
}
