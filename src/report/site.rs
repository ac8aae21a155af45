//! The static HTML site: an index of sources, one timeline per source, one
//! redline page per change.
//!
//! ```text
//! index.html                      sources: title, changes in the period, latest change
//! feed.atom                       the same changes as an Atom feed
//! sources/<id>/index.html         a source's timeline, newest first
//! sources/<id>/<short id>.html    one change: the redline, linked to its neighbours
//! ```
//!
//! Every page is self-contained — the redline stylesheet inline, no
//! scripts, fonts or images, a Content-Security-Policy that forbids
//! loading anything — and links only relatively, so the folder can be
//! opened from disk or served from any static host. The one kind of
//! absolute link is the publication's own URL, an ordinary `<a>` that loads
//! nothing until followed (and only when it is http(s)). This module only
//! makes text; the command layer writes the files.

use std::fmt::Write as _;

use super::{ChangeView, Selection, SourceInfo, VersionRef, change_path, http_url, timeline_path};
use crate::render::html::{self, HtmlOptions, Unchanged};
use crate::render::sanitize;
use crate::render::term::Header;

/// Styles of the site's own parts (navigation, tables), added to the
/// redline stylesheet.
const SITE_CSS: &str = r#"
nav.site { font: .85rem/1.5 system-ui, sans-serif; color: var(--muted); margin-bottom: 1rem; }
nav.site a { color: #0969da; }
table.sources, table.timeline { border-collapse: collapse; font: .9rem/1.4 system-ui, sans-serif; width: 100%; }
table.sources th, table.sources td, table.timeline th, table.timeline td {
  border-bottom: 1px solid var(--rule); padding: .35rem .5rem; text-align: left; vertical-align: top; }
table.sources th, table.timeline th { background: #f6f8fa; }
td.num { text-align: right; }
.first { color: var(--muted); font-style: italic; }
.url { font: .85rem system-ui, sans-serif; word-break: break-all; }
"#;

/// Untrusted text, safe for the page.
fn text(t: &str) -> String {
    html::escape(&sanitize(t))
}

fn day(v: &VersionRef) -> String {
    v.time.format("%Y-%m-%d %H:%M").to_string()
}

/// The period a report covers, in words.
pub fn period(selection: &Selection) -> String {
    match selection.until {
        Some(u) => format!("{} to {u}", selection.since),
        None => format!("since {}", selection.since),
    }
}

/// The publication's URL as a link when it is http(s), else as text.
fn url_html(url: Option<&str>) -> String {
    match url {
        Some(u) => match http_url(u) {
            Some(u) => format!(
                "<a class=\"url\" rel=\"noreferrer\" href=\"{}\">{}</a>",
                html::escape(u),
                text(u)
            ),
            None => format!("<span class=\"url\">{}</span>", text(u)),
        },
        None => String::new(),
    }
}

/// The page of one change: `(path in the site, HTML)`.
pub fn change_page(view: &ChangeView) -> (String, String) {
    let c = view.change;
    let mut body = String::with_capacity(16 * 1024);
    body.push_str("<nav class=\"site\"><a href=\"../../index.html\">All sources</a> &rsaquo; ");
    let _ = write!(
        body,
        "<a href=\"index.html\">{}</a>",
        text(c.source.as_str())
    );
    if let Some(p) = &c.previous_in_report {
        let _ = write!(
            body,
            " &middot; <a rel=\"prev\" href=\"{}.html\">&larr; previous change ({})</a>",
            p.short_id(),
            day(p)
        );
    }
    if let Some(n) = &c.next_in_report {
        let _ = write!(
            body,
            " &middot; <a rel=\"next\" href=\"{}.html\">next change ({}) &rarr;</a>",
            n.short_id(),
            day(n)
        );
    }
    body.push_str("</nav>\n");
    match (view.diff, view.old) {
        (Some(d), Some(old)) => {
            let label = |v: &VersionRef| format!("{} {} {}", c.source, day(v), v.short_id());
            let header = Header {
                subject: format!("{}: {}", c.source, c.title),
                old_label: c.old.as_ref().map(label).unwrap_or_default(),
                new_label: label(&c.new),
            };
            body.push_str(&html::fragment(
                d,
                old,
                view.new,
                &header,
                &HtmlOptions::default(),
                Unchanged::Folded,
            ));
        }
        _ => first_capture(&mut body, view),
    }
    let title = format!("redline: {}: {}", c.source, c.summary);
    (
        change_path(&c.source, &c.new),
        html::page(&title, SITE_CSS, &body),
    )
}

/// A first capture's page: what is tracked from now on.
fn first_capture(out: &mut String, view: &ChangeView) {
    let c = view.change;
    let doc = view.new;
    out.push_str("<header id=\"summary\">\n");
    let _ = writeln!(
        out,
        "<h1>{}: {}</h1>",
        text(c.source.as_str()),
        text(&c.title)
    );
    let _ = writeln!(
        out,
        "<p class=\"versions\">first capture <code>{} {}</code></p>",
        day(&c.new),
        c.new.short_id()
    );
    let _ = writeln!(
        out,
        "<p class=\"summary\">Now tracking: {} blocks, {} related publications.</p>",
        doc.body.len(),
        doc.related.len()
    );
    out.push_str("</header>\n<section id=\"document\">\n<h2>Document</h2>\n<dl class=\"meta\">\n");
    let m = &doc.meta;
    let mut field = |name: &str, value: String| {
        if !value.is_empty() {
            let _ = writeln!(out, "<dt>{name}</dt><dd>{value}</dd>");
        }
    };
    field("url", url_html(c.url.as_deref()));
    field("series", m.series.as_deref().map(text).unwrap_or_default());
    field(
        "published",
        m.published.map(|d| d.to_string()).unwrap_or_default(),
    );
    field("authors", text(&m.authors.join(", ")));
    field("topics", text(&m.topics.join(", ")));
    out.push_str("</dl>\n");
    let mut section: Option<&str> = None;
    for block in &doc.body {
        if block.kind == crate::document::BlockKind::Heading {
            continue;
        }
        if block.section.as_deref() != section {
            section = block.section.as_deref();
            if let Some(s) = section {
                let _ = writeln!(out, "<h3 class=\"section\">{}</h3>", text(s));
            }
        }
        let _ = writeln!(out, "<p>{}</p>", text(&block.text));
    }
    out.push_str("</section>\n");
}

/// A source's timeline page: `(path in the site, HTML)`.
pub fn timeline_page(source: &SourceInfo, selection: &Selection) -> (String, String) {
    let mut body = String::with_capacity(4096);
    body.push_str("<nav class=\"site\"><a href=\"../../index.html\">All sources</a></nav>\n");
    let _ = writeln!(
        body,
        "<header id=\"summary\">\n<h1>{}</h1>\n<p class=\"versions\"><code>{}</code> {}</p>",
        text(&source.title),
        text(source.id.as_str()),
        url_html(source.url.as_deref())
    );
    let _ = writeln!(
        body,
        "<p class=\"summary\">{} in the period ({}); {} versions recorded in all.</p>\n</header>",
        changes_noun(source.changes.len()),
        period(selection),
        source.versions
    );
    if source.changes.is_empty() {
        body.push_str("<p class=\"note\">No changes in this period.</p>\n");
    } else {
        body.push_str(
            "<table class=\"timeline\">\n<tr><th>captured</th><th>version</th><th>change</th></tr>\n",
        );
        for c in &source.changes {
            let class = if c.is_first_capture() {
                " class=\"first\""
            } else {
                ""
            };
            let _ = writeln!(
                body,
                "<tr{class}><td>{}</td><td><code>{}</code></td><td><a href=\"{}.html\">{}</a></td></tr>",
                day(&c.new),
                c.new.short_id(),
                c.new.short_id(),
                text(&c.summary)
            );
        }
        body.push_str("</table>\n");
    }
    let title = format!("redline: {}", source.id);
    (
        timeline_path(&source.id),
        html::page(&title, SITE_CSS, &body),
    )
}

/// The site's front page: every source, those changed most recently first.
pub fn index_page(sources: &[SourceInfo], selection: &Selection) -> String {
    let mut order: Vec<&SourceInfo> = sources.iter().collect();
    order.sort_by(|a, b| {
        let latest = |s: &SourceInfo| s.changes.first().map(|c| c.new.time);
        latest(b).cmp(&latest(a)).then_with(|| a.id.cmp(&b.id))
    });
    let total: usize = sources.iter().map(|s| s.changes.len()).sum();
    let changed = sources.iter().filter(|s| !s.changes.is_empty()).count();
    let mut body = String::with_capacity(1024 + 512 * sources.len());
    body.push_str("<nav class=\"site\"><a href=\"feed.atom\">Atom feed</a></nav>\n");
    let _ = writeln!(
        body,
        "<header id=\"summary\">\n<h1>Changes {}</h1>\n<p class=\"summary\">{} in {} of {} sources.</p>\n</header>",
        text(&period(selection)),
        changes_noun(total),
        changed,
        sources.len()
    );
    body.push_str(
        "<table class=\"sources\">\n<tr><th>source</th><th>changes</th><th>versions</th><th>latest change in the period</th></tr>\n",
    );
    for s in order {
        let latest = match s.changes.first() {
            Some(c) => format!(
                "<a href=\"{}\">{}</a>: {}",
                change_path(&s.id, &c.new),
                day(&c.new),
                text(&c.summary)
            ),
            None => "&mdash;".to_string(),
        };
        let _ = writeln!(
            body,
            "<tr id=\"source-{id}\"><td><a href=\"{}\"><code>{id}</code></a><br>{}<br>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{latest}</td></tr>",
            timeline_path(&s.id),
            text(&s.title),
            url_html(s.url.as_deref()),
            s.changes.len(),
            s.versions,
            id = text(s.id.as_str()),
        );
    }
    body.push_str("</table>\n");
    let title = format!("redline: changes {}", period(selection));
    html::page(&title, SITE_CSS, &body)
}

fn changes_noun(n: usize) -> String {
    if n == 1 {
        "1 change".to_string()
    } else {
        format!("{n} changes")
    }
}
