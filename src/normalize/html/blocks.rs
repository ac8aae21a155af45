//! From an HTML subtree to body blocks: headings, paragraphs, list items,
//! quotes.
//!
//! Whatever found the publication's body (a site profile's selector or the
//! generic extractor), this is the one place that turns its elements into
//! [`Block`]s, so every HTML page gets the same block boundaries: each block
//! element (`<p>`, `<li>`, `<h2>`, a table cell...) is a block, two `<br>`s
//! in a row end a paragraph, inline elements and single `<br>`s are text,
//! whitespace is collapsed, and hidden or non-text elements (scripts, forms,
//! media, `hidden`, `aria-hidden`) are skipped.
//!
//! The walk is iterative, with its own stack, so a page nested a hundred
//! thousand elements deep cannot overflow the thread's stack.

use dom_query::NodeRef;

use crate::document::{Block, BlockKind, collapse_whitespace};

/// Marks a `<br>` in the text being gathered; never in page text (a
/// noncharacter).
const BREAK: char = '\u{FDD0}';

/// Elements whose content is never publication text.
fn is_skipped(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "svg"
            | "math"
            | "canvas"
            | "iframe"
            | "object"
            | "embed"
            | "button"
            | "select"
            | "input"
            | "textarea"
            | "option"
            | "head"
            | "title"
            | "meta"
            | "link"
            | "video"
            | "audio"
            | "source"
            | "track"
            | "map"
            | "dialog"
    )
}

/// Elements that start and end a block of their own.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "section"
            | "article"
            | "main"
            | "header"
            | "footer"
            | "aside"
            | "nav"
            | "li"
            | "ul"
            | "ol"
            | "dl"
            | "dt"
            | "dd"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "blockquote"
            | "pre"
            | "table"
            | "thead"
            | "tbody"
            | "tfoot"
            | "tr"
            | "td"
            | "th"
            | "caption"
            | "figure"
            | "figcaption"
            | "form"
            | "fieldset"
            | "legend"
            | "hr"
            | "address"
            | "details"
            | "summary"
            | "center"
            | "body"
            | "html"
    )
}

fn heading_level(name: &str) -> Option<u8> {
    match name {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

/// True when the element is hidden from readers by its attributes.
pub fn is_hidden(node: &NodeRef) -> bool {
    if node.has_attr("hidden") {
        return true;
    }
    if node
        .attr("aria-hidden")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return true;
    }
    node.attr("style").is_some_and(|style| {
        let style: String = style
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        style.contains("display:none") || style.contains("visibility:hidden")
    })
}

/// What kind of block text gathered now belongs to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Context {
    Heading(u8),
    ListItem,
    Quote,
}

enum Step<'a> {
    Enter(NodeRef<'a>),
    Exit {
        block: bool,
        context: bool,
        link: bool,
    },
}

/// A block and the share of its letters that are link text (0 to 1): a
/// block made of links is a menu, a "related" rail or a "read more" prompt
/// far more often than prose.
#[derive(Debug, Clone)]
pub struct Piece {
    pub block: Block,
    pub link_density: f32,
}

/// The blocks under `root` (the root itself included), in reading order.
pub fn blocks_of(root: &NodeRef) -> Vec<Block> {
    pieces_of(root).into_iter().map(|p| p.block).collect()
}

/// [`blocks_of`], with each block's link density.
pub fn pieces_of(root: &NodeRef) -> Vec<Piece> {
    let mut out = Gather::default();
    let mut stack = vec![Step::Enter(*root)];
    while let Some(step) = stack.pop() {
        match step {
            Step::Exit {
                block,
                context,
                link,
            } => {
                if link {
                    out.links -= 1;
                }
                if block {
                    out.flush();
                }
                if context {
                    out.flush();
                    out.contexts.pop();
                }
            }
            Step::Enter(node) => {
                if node.is_text() {
                    let text = node.text();
                    if out.links > 0 {
                        out.link_letters += letters(&text);
                    }
                    out.text.push_str(&text);
                    continue;
                }
                if !node.is_element() && !node.is_document() && !node.is_fragment() {
                    continue;
                }
                let qual = node.qual_name_ref();
                let name: &str = qual.as_ref().map_or("", |q| &q.local);
                if node.is_element() && (is_skipped(name) || is_hidden(&node)) {
                    continue;
                }
                if name == "br" {
                    out.text.push(BREAK);
                    continue;
                }
                if name == "img" {
                    continue;
                }
                let context = match name {
                    "li" | "dd" | "dt" => Some(Context::ListItem),
                    "blockquote" => Some(Context::Quote),
                    other => heading_level(other).map(Context::Heading),
                };
                let block = is_block(name);
                if block || context.is_some() {
                    out.flush();
                }
                if let Some(c) = context {
                    out.contexts.push(c);
                }
                let link = name == "a";
                if link {
                    out.links += 1;
                }
                stack.push(Step::Exit {
                    block,
                    context: context.is_some(),
                    link,
                });
                let mut child = node.last_child();
                while let Some(c) = child {
                    child = c.prev_sibling();
                    stack.push(Step::Enter(c));
                }
            }
        }
    }
    out.flush();
    out.pieces
}

fn letters(text: &str) -> usize {
    text.chars().filter(|c| c.is_alphanumeric()).count()
}

#[derive(Default)]
struct Gather {
    text: String,
    contexts: Vec<Context>,
    /// How many `<a>` elements the walk is inside.
    links: usize,
    /// Letters of link text in `text`.
    link_letters: usize,
    pieces: Vec<Piece>,
}

impl Gather {
    fn flush(&mut self) {
        if self.text.is_empty() {
            return;
        }
        let text = std::mem::take(&mut self.text);
        let link_letters = std::mem::take(&mut self.link_letters);
        let link_density = (link_letters as f32 / letters(&text).max(1) as f32).min(1.0);
        let context = self.contexts.last().copied();
        // Most blocks hold no `<br>`: no split, no copy.
        let parts: Vec<String> = if text.contains(BREAK) {
            split_at_double_breaks(&text)
                .into_iter()
                .map(|part| part.replace(BREAK, " "))
                .collect()
        } else {
            vec![text]
        };
        for part in parts {
            let part = collapse_whitespace(&part);
            if part.is_empty() || !part.chars().any(char::is_alphanumeric) {
                continue;
            }
            let block = match context {
                Some(Context::Heading(level)) => Block::heading(part, level),
                Some(Context::ListItem) => Block::with_kind(BlockKind::ListItem, part),
                Some(Context::Quote) => Block::with_kind(BlockKind::Quote, part),
                None => Block::paragraph(part),
            };
            self.pieces.push(Piece {
                block,
                link_density,
            });
        }
    }
}

/// Splits text where two or more `<br>`s follow each other (with only
/// whitespace between): the way many CMSs separate paragraphs.
fn split_at_double_breaks(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut pending = String::new(); // breaks and whitespace after a break
    let mut breaks = 0;
    for ch in text.chars() {
        if ch == BREAK {
            breaks += 1;
            pending.push(ch);
        } else if breaks > 0 && ch.is_whitespace() {
            pending.push(ch);
        } else {
            if breaks >= 2 {
                parts.push(std::mem::take(&mut current));
            } else {
                current.push_str(&pending);
            }
            pending.clear();
            breaks = 0;
            current.push(ch);
        }
    }
    parts.push(current);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use dom_query::Document;

    fn blocks(html: &str) -> Vec<(BlockKind, String)> {
        let doc = Document::from(html);
        blocks_of(&doc.root())
            .into_iter()
            .map(|b| (b.kind, b.text.into_string()))
            .collect()
    }

    #[test]
    fn block_elements_make_blocks_and_inline_ones_do_not() {
        let got = blocks(
            "<div><h2>The  Facts</h2><p>One <b>bold</b>\n word.</p>Loose text<p>Two</p>\
             <ul><li>First <a href=x>item</a></li><li>Second</li></ul>\
             <blockquote><p>Quoted.</p></blockquote></div>",
        );
        use BlockKind::*;
        assert_eq!(
            got,
            [
                (Heading, "The Facts".to_string()),
                (Paragraph, "One bold word.".into()),
                (Paragraph, "Loose text".into()),
                (Paragraph, "Two".into()),
                (ListItem, "First item".into()),
                (ListItem, "Second".into()),
                (Quote, "Quoted.".into()),
            ]
        );
    }

    #[test]
    fn double_breaks_split_single_breaks_join() {
        let got = blocks("<p>Line one<br>line two<br><br>\n<br>Next para</p>");
        let texts: Vec<_> = got.into_iter().map(|(_, t)| t).collect();
        assert_eq!(texts, ["Line one line two", "Next para"]);
    }

    #[test]
    fn scripts_forms_and_hidden_elements_are_skipped() {
        let got = blocks(
            "<p>Kept</p><script>var x = 1;</script><p hidden>Hidden</p>\
             <div aria-hidden=\"true\">Aria</div><p style=\"display: none\">None</p>\
             <form><button>Subscribe</button></form><p>|</p>",
        );
        assert_eq!(got, [(BlockKind::Paragraph, "Kept".to_string())]);
    }

    #[test]
    fn link_density_is_measured_per_block() {
        let doc = Document::from(
            "<p>Plain words here</p><p><a href=x>All link</a></p><p>Half <a>link</a></p>",
        );
        let d: Vec<f32> = pieces_of(&doc.root())
            .iter()
            .map(|p| p.link_density)
            .collect();
        assert_eq!(d[0], 0.0);
        assert_eq!(d[1], 1.0);
        assert!(d[2] > 0.3 && d[2] < 0.6, "{d:?}");
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        // Deeper pages are refused before parsing (see `MAX_DEPTH`); the
        // walk itself has no depth limit.
        let depth = 2_000;
        let html = format!(
            "{}<p>deep</p>{}",
            "<div>".repeat(depth),
            "</div>".repeat(depth)
        );
        let got = blocks(&html);
        assert_eq!(got, [(BlockKind::Paragraph, "deep".to_string())]);
    }
}
