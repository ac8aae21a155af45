//! The Atom feed (RFC 4287): one entry per change, its HTML redline inside.
//!
//! Feed readers are the notification channel: subscribe to the feed a
//! nightly `redline report` writes, and every edit of a tracked publication
//! arrives as an entry whose content is the redline itself (`<ins>`/`<del>`,
//! no scripts, no stylesheet needed; unchanged text reduced to a count).
//!
//! Ids are stable `urn:uuid:` IRIs (name-based, RFC 4122 version 5): an
//! entry's from its source id and commit id, so a reader never shows the
//! same change twice; the feed's from the site's URL when one is given
//! (`--base-url`), else from the store's folder and the sources selected.
//!
//! The XML is written by hand, which is short for a format this small, and
//! every piece of text goes through [`xml_text`]: markup characters become
//! references and characters XML 1.0 forbids are dropped, so page text such
//! as `</content><script>` stays text. The tests parse the output with a
//! real XML parser and check RFC 4287's structure rules.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use sha1::{Digest, Sha1};

use super::{ChangeView, VersionRef, change_path, http_url};
use crate::render::html::{self, HtmlOptions, Unchanged};
use crate::render::sanitize;
use crate::render::term::Header;

/// The Atom namespace.
pub const ATOM_NS: &str = "http://www.w3.org/2005/Atom";

/// What the feed says about itself.
#[derive(Debug, Clone)]
pub struct FeedOptions {
    /// The feed's title.
    pub title: String,
    /// The feed's `id` (an IRI); see [`feed_id`].
    pub id: String,
    /// Where the site's pages are: `Some("")` for links relative to the feed
    /// (the feed inside a site), `Some("https://host/path/")` for absolute
    /// ones, `None` when there are no pages to link to.
    pub pages: Option<String>,
    /// The feed's `updated` when it has no entries (the report's time).
    pub now: DateTime<Utc>,
}

/// Builds a feed from the changes of a [`walk`](super::walk).
#[derive(Debug)]
pub struct FeedBuilder {
    opts: FeedOptions,
    /// (time, source id, entry XML), sorted when the feed is finished.
    entries: Vec<(DateTime<Utc>, String, String)>,
}

impl FeedBuilder {
    pub fn new(opts: FeedOptions) -> FeedBuilder {
        FeedBuilder {
            opts,
            entries: Vec::new(),
        }
    }

    /// Adds the entry of one change.
    pub fn push(&mut self, view: &ChangeView) {
        let c = view.change;
        let mut e = String::with_capacity(4096);
        e.push_str("<entry>\n");
        let _ = writeln!(e, "<id>{}</id>", entry_id(c.source.as_str(), &c.new));
        let _ = writeln!(
            e,
            "<title type=\"text\">{}</title>",
            xml_text(&format!("{}: {}", c.title, c.summary))
        );
        let _ = writeln!(e, "<updated>{}</updated>", c.new.rfc3339());
        let _ = writeln!(e, "<published>{}</published>", c.new.rfc3339());
        if let Some(base) = &self.opts.pages {
            let _ = writeln!(
                e,
                "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
                xml_text(&format!("{base}{}", change_path(&c.source, &c.new)))
            );
        }
        if let Some(url) = c.url.as_deref().and_then(http_url) {
            let _ = writeln!(e, "<link rel=\"related\" href=\"{}\"/>", xml_text(url));
        }
        let _ = writeln!(
            e,
            "<category term=\"{}\" label=\"{}\"/>",
            xml_text(c.source.as_str()),
            xml_text(&c.title)
        );
        let _ = writeln!(
            e,
            "<summary type=\"text\">{}</summary>",
            xml_text(&c.summary)
        );
        let _ = writeln!(
            e,
            "<content type=\"html\">{}</content>",
            xml_text(&entry_html(view))
        );
        e.push_str("</entry>\n");
        self.entries
            .push((c.new.time.with_timezone(&Utc), c.source.to_string(), e));
    }

    /// The whole feed, newest entry first.
    pub fn finish(mut self) -> String {
        self.entries
            .sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let updated = self.entries.first().map_or(self.opts.now, |e| e.0);
        let mut out =
            String::with_capacity(1024 + self.entries.iter().map(|e| e.2.len()).sum::<usize>());
        let _ = writeln!(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>");
        let _ = writeln!(out, "<feed xmlns=\"{ATOM_NS}\">");
        let _ = writeln!(out, "<id>{}</id>", xml_text(&self.opts.id));
        let _ = writeln!(
            out,
            "<title type=\"text\">{}</title>",
            xml_text(&self.opts.title)
        );
        let _ = writeln!(
            out,
            "<updated>{}</updated>",
            updated.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
        out.push_str("<author><name>redline</name></author>\n");
        let _ = writeln!(
            out,
            "<generator version=\"{}\">redline</generator>",
            env!("CARGO_PKG_VERSION")
        );
        if let Some(base) = &self.opts.pages {
            let _ = writeln!(
                out,
                "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
                xml_text(&format!("{base}index.html"))
            );
            if !base.is_empty() {
                let _ = writeln!(
                    out,
                    "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
                    xml_text(&format!("{base}feed.atom"))
                );
            }
        }
        for (_, _, entry) in &self.entries {
            out.push_str(entry);
        }
        out.push_str("</feed>\n");
        out
    }
}

/// The HTML an entry carries: the redline with unchanged text counted, not
/// repeated; for a first capture, what is now tracked.
fn entry_html(view: &ChangeView) -> String {
    let c = view.change;
    match (view.diff, view.old) {
        (Some(d), Some(old)) => {
            let header = Header {
                subject: format!("{}: {}", c.source, c.title),
                old_label: version_label(c.old.as_ref()),
                new_label: version_label(Some(&c.new)),
            };
            html::fragment(
                d,
                old,
                view.new,
                &header,
                &HtmlOptions::default(),
                Unchanged::Counted,
            )
        }
        _ => {
            let mut out = String::new();
            let _ = writeln!(
                out,
                "<p><strong>Now tracking</strong> {}: {}</p>",
                html::escape(&sanitize(c.source.as_str())),
                html::escape(&sanitize(&c.title))
            );
            let _ = writeln!(
                out,
                "<p>First capture {}: {} blocks, {} related publications.</p>",
                version_label(Some(&c.new)),
                view.new.body.len(),
                view.new.related.len()
            );
            out
        }
    }
}

fn version_label(v: Option<&VersionRef>) -> String {
    match v {
        Some(v) => format!("{} {}", v.time.format("%Y-%m-%d %H:%M"), v.short_id()),
        None => "none".to_string(),
    }
}

/// Escapes text for XML content and attribute values, dropping the
/// characters XML 1.0 does not allow (controls other than tab and line
/// breaks, U+FFFE and U+FFFF).
pub fn xml_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            '\u{fffe}' | '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// A name-based UUID (RFC 4122 version 5, SHA-1) as a `urn:uuid:` IRI.
pub fn urn_uuid(name: &str) -> String {
    // The namespace of redline's names: a fixed random UUID.
    const NAMESPACE: [u8; 16] = [
        0x5d, 0x1e, 0x0b, 0x47, 0x9c, 0x2a, 0x4e, 0x51, 0x8a, 0x6f, 0x3b, 0x0c, 0x72, 0xd4, 0x19,
        0xe8,
    ];
    let mut h = Sha1::new();
    h.update(NAMESPACE);
    h.update(name.as_bytes());
    let digest = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The id of the entry for `version` of `source`: the same in every feed.
pub fn entry_id(source: &str, version: &VersionRef) -> String {
    urn_uuid(&format!("redline entry {source} {}", version.id))
}

/// The feed's id: from the site's URL when known, else from `store` (its
/// folder) and the selected sources (empty: all).
pub fn feed_id(site: Option<&str>, store: &str, sources: &[String]) -> String {
    match site {
        Some(url) => urn_uuid(&format!("redline feed {url}")),
        None => urn_uuid(&format!("redline feed {store} {}", sources.join(","))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_5_and_stable() {
        let a = urn_uuid("x");
        assert_eq!(a, urn_uuid("x"));
        assert_ne!(a, urn_uuid("y"));
        let u = a.strip_prefix("urn:uuid:").unwrap();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "5");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
    }

    #[test]
    fn text_cannot_break_out_of_an_element() {
        let t = xml_text("</content><script>&\u{1}\u{ffff}'\"");
        assert_eq!(t, "&lt;/content&gt;&lt;script&gt;&amp;&apos;&quot;");
    }
}
