//! Site profiles: what redline knows about one site's pages, as data.
//!
//! A profile is a TOML file (format in `profiles/README.md`). The built-in
//! ones are embedded at compile time; users add theirs to a store's
//! `profiles/` folder, and the command layer reads those files and hands their
//! text to [`Profiles::with_user_profile`] (no I/O here). Every profile
//! extends `generic.toml`: its scalar settings replace the generic ones and its
//! lists are added to them, so a site profile only says what is special about
//! the site.
//!
//! A profile has rules for two capture kinds: `[text]` (line patterns for
//! pages rendered to text) and `[html]` (CSS selectors for pages as served).
//! Selectors are checked when the profile is loaded, so a typo is an error
//! naming the file and field, not a silent miss at run time.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, OnceLock};

use dom_query::Matcher;

use serde::Deserialize;

use super::NormalizeError;
use super::matcher::LineRegex;

/// Built-in profiles, as (file name, TOML text); the generic base first.
const BUILTIN: &[(&str, &str)] = &[
    ("generic.toml", include_str!("../../profiles/generic.toml")),
    ("inss.toml", include_str!("../../profiles/inss.toml")),
];

/// A profile as written in TOML, before it is merged and compiled.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, rename = "match")]
    matching: MatchFile,
    #[serde(default)]
    text: TextFile,
    #[serde(default)]
    html: HtmlFile,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchFile {
    #[serde(default)]
    hosts: Vec<String>,
    #[serde(default)]
    text_signatures: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TextFile {
    title_suffix: Option<String>,
    byline: Option<String>,
    #[serde(default)]
    date_formats: Vec<String>,
    #[serde(default)]
    body_end: Vec<String>,
    #[serde(default)]
    drop: Vec<String>,
    topics: Option<String>,
    related_start: Option<String>,
    #[serde(default)]
    related_end: Vec<String>,
    #[serde(default)]
    related_skip: Vec<String>,
    related_date: Option<String>,
    #[serde(default)]
    related_date_formats: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HtmlFile {
    canonical_url: Option<bool>,
    language: Option<bool>,
    title_suffix: Option<String>,
    title: Option<String>,
    date: Option<String>,
    #[serde(default)]
    date_formats: Vec<String>,
    authors: Option<String>,
    series: Option<String>,
    topics: Option<String>,
    body: Option<String>,
    #[serde(default)]
    remove: Vec<String>,
    #[serde(default)]
    related: RelatedFile,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RelatedFile {
    list: Option<String>,
    item: Option<String>,
    title: Option<String>,
    summary: Option<String>,
    date: Option<String>,
    #[serde(default)]
    date_formats: Vec<String>,
    link: Option<String>,
    credit: Option<String>,
}

/// A compiled profile, merged with the generic base.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub description: Option<String>,
    pub hosts: Vec<String>,
    pub text_signatures: Vec<Pattern>,
    pub text: TextRules,
    pub html: HtmlRules,
}

/// Rules for text captures; see `profiles/README.md` for each field.
#[derive(Debug, Clone)]
pub struct TextRules {
    pub title_suffix: Option<Pattern>,
    pub byline: Option<Pattern>,
    pub date_formats: Vec<String>,
    pub body_end: Vec<Pattern>,
    pub drop: Vec<Pattern>,
    pub topics: Option<Pattern>,
    pub related_start: Option<Pattern>,
    pub related_end: Vec<Pattern>,
    pub related_skip: Vec<Pattern>,
    pub related_date: Option<Pattern>,
    pub related_date_formats: Vec<String>,
}

/// A CSS selector from a profile, checked when the profile was loaded.
#[derive(Debug, Clone)]
pub struct Css {
    /// The profile field it came from ("html.body"), for messages.
    pub field: String,
    /// The selector as written.
    pub source: String,
    pub matcher: Matcher,
}

/// Rules for HTML captures; see `profiles/README.md` for each field.
#[derive(Debug, Clone)]
pub struct HtmlRules {
    /// Keep the canonical URL the page declares (default true).
    pub canonical_url: bool,
    /// Keep the language the page declares (default true).
    pub language: bool,
    pub title_suffix: Option<Pattern>,
    pub title: Option<Css>,
    pub date: Option<Css>,
    pub date_formats: Vec<String>,
    pub authors: Option<Css>,
    pub series: Option<Css>,
    pub topics: Option<Css>,
    pub body: Option<Css>,
    pub remove: Vec<Css>,
    pub related: RelatedRules,
}

/// Where a page's related-publications list and each item's parts are.
#[derive(Debug, Clone)]
pub struct RelatedRules {
    pub list: Option<Css>,
    pub item: Option<Css>,
    pub title: Option<Css>,
    pub summary: Option<Css>,
    pub date: Option<Css>,
    pub date_formats: Vec<String>,
    pub link: Option<Css>,
    pub credit: Option<Css>,
}

impl Profile {
    /// True when this profile is for pages on `host` (or a subdomain of one).
    pub fn matches_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.hosts.iter().any(|h| {
            let h = h.to_ascii_lowercase();
            host == h || host.ends_with(&format!(".{h}"))
        })
    }

    /// True when a text capture's first lines carry this site's signature.
    pub fn matches_text(&self, text: &str) -> bool {
        let head: Vec<&str> = text.lines().take(TEXT_SIGNATURE_LINES).collect();
        self.text_signatures
            .iter()
            .any(|re| head.iter().any(|line| re.is_match(line.trim())))
    }
}

/// How many leading lines of a text capture are searched for a signature.
const TEXT_SIGNATURE_LINES: usize = 5;

/// The profiles known to one run: the generic base, the built-in site
/// profiles and any user profiles.
#[derive(Debug, Clone)]
pub struct Profiles {
    generic: Profile,
    sites: Vec<Profile>,
}

impl Profiles {
    /// The built-in profiles.
    pub fn builtin() -> Profiles {
        let generic_file = parse_file(BUILTIN[0].0, BUILTIN[0].1)
            .unwrap_or_else(|e| panic!("built-in profile is invalid: {e}"));
        let generic = compile(&generic_file, BUILTIN[0].0, Compile::OnUse)
            .unwrap_or_else(|e| panic!("built-in profile is invalid: {e}"));
        let mut profiles = Profiles {
            generic,
            sites: Vec::new(),
        };
        for (file, text) in &BUILTIN[1..] {
            profiles
                .add(file, text, Compile::OnUse)
                .unwrap_or_else(|e| panic!("built-in profile is invalid: {e}"));
        }
        profiles
    }

    /// Adds a user profile from its TOML text; `origin` names the file in
    /// errors. A profile with the name of an existing one replaces it.
    pub fn with_user_profile(
        mut self,
        origin: &str,
        text: &str,
    ) -> Result<Profiles, NormalizeError> {
        self.add(origin, text, Compile::Now)?;
        Ok(self)
    }

    fn add(&mut self, origin: &str, text: &str, when: Compile) -> Result<(), NormalizeError> {
        let file = parse_file(origin, text)?;
        let merged = merge(&self.generic_file(), &file);
        let profile = compile(&merged, origin, when)?;
        self.sites.retain(|p| p.name != profile.name);
        self.sites.push(profile);
        Ok(())
    }

    fn generic_file(&self) -> ProfileFile {
        // The generic base is always the first built-in.
        parse_file(BUILTIN[0].0, BUILTIN[0].1).unwrap_or_default()
    }

    /// The generic rules alone.
    pub fn generic(&self) -> &Profile {
        &self.generic
    }

    /// Adds the profile of one source's own `--select`/`--remove` options:
    /// `base` with its HTML body root replaced by the `select` selectors
    /// (when there are any) and the `remove` selectors added to what it
    /// removes. It matches no page by itself; the returned name selects it.
    pub fn add_source_overrides(
        &mut self,
        source: &str,
        base: &Profile,
        select: &[String],
        remove: &[String],
    ) -> Result<String, NormalizeError> {
        let origin = format!("the options of source {source} in redline.toml");
        let mut profile = base.clone();
        profile.name = format!("source:{source}");
        profile.description = Some(format!(
            "{} with the --select/--remove of {source}",
            base.name
        ));
        profile.hosts.clear();
        profile.text_signatures.clear();
        if !select.is_empty() {
            profile.html.body = Some(selector(&origin, "select", &select.join(", "))?);
        }
        for css in remove {
            profile.html.remove.push(selector(&origin, "remove", css)?);
        }
        let name = profile.name.clone();
        self.sites.retain(|p| p.name != name);
        self.sites.push(profile);
        Ok(name)
    }

    /// The profile named `name` ("generic" included).
    pub fn by_name(&self, name: &str) -> Option<&Profile> {
        if name == self.generic.name {
            return Some(&self.generic);
        }
        self.sites.iter().find(|p| p.name == name)
    }

    /// Every site profile (not the generic base), user profiles last.
    pub fn sites(&self) -> &[Profile] {
        &self.sites
    }

    /// The site profile for a text capture, or the generic rules.
    pub fn for_text(&self, text: &str) -> &Profile {
        self.sites
            .iter()
            .rev()
            .find(|p| p.matches_text(text))
            .unwrap_or(&self.generic)
    }

    /// The site profile for a URL host, if any.
    pub fn for_host(&self, host: &str) -> Option<&Profile> {
        self.sites.iter().rev().find(|p| p.matches_host(host))
    }
}

fn parse_file(origin: &str, text: &str) -> Result<ProfileFile, NormalizeError> {
    toml::from_str(text).map_err(|e| NormalizeError::Profile {
        origin: origin.to_string(),
        message: e.to_string().trim_end().to_string(),
    })
}

fn merge(base: &ProfileFile, site: &ProfileFile) -> ProfileFile {
    fn list(base: &[String], site: &[String]) -> Vec<String> {
        base.iter().chain(site).cloned().collect()
    }
    fn formats(base: &[String], site: &[String]) -> Vec<String> {
        // Site formats are tried first.
        site.iter().chain(base).cloned().collect()
    }
    let (b, s) = (&base.text, &site.text);
    ProfileFile {
        name: site.name.clone(),
        description: site.description.clone(),
        matching: site.matching.clone(),
        text: TextFile {
            title_suffix: s.title_suffix.clone().or_else(|| b.title_suffix.clone()),
            byline: s.byline.clone().or_else(|| b.byline.clone()),
            date_formats: formats(&b.date_formats, &s.date_formats),
            body_end: list(&b.body_end, &s.body_end),
            drop: list(&b.drop, &s.drop),
            topics: s.topics.clone().or_else(|| b.topics.clone()),
            related_start: s.related_start.clone().or_else(|| b.related_start.clone()),
            related_end: list(&b.related_end, &s.related_end),
            related_skip: list(&b.related_skip, &s.related_skip),
            related_date: s.related_date.clone().or_else(|| b.related_date.clone()),
            related_date_formats: formats(&b.related_date_formats, &s.related_date_formats),
        },
        html: merge_html(&base.html, &site.html),
    }
}

fn merge_html(b: &HtmlFile, s: &HtmlFile) -> HtmlFile {
    fn pick(s: &Option<String>, b: &Option<String>) -> Option<String> {
        s.clone().or_else(|| b.clone())
    }
    let (br, sr) = (&b.related, &s.related);
    HtmlFile {
        canonical_url: s.canonical_url.or(b.canonical_url),
        language: s.language.or(b.language),
        title_suffix: pick(&s.title_suffix, &b.title_suffix),
        title: pick(&s.title, &b.title),
        date: pick(&s.date, &b.date),
        date_formats: s
            .date_formats
            .iter()
            .chain(&b.date_formats)
            .cloned()
            .collect(),
        authors: pick(&s.authors, &b.authors),
        series: pick(&s.series, &b.series),
        topics: pick(&s.topics, &b.topics),
        body: pick(&s.body, &b.body),
        remove: b.remove.iter().chain(&s.remove).cloned().collect(),
        related: RelatedFile {
            list: pick(&sr.list, &br.list),
            item: pick(&sr.item, &br.item),
            title: pick(&sr.title, &br.title),
            summary: pick(&sr.summary, &br.summary),
            date: pick(&sr.date, &br.date),
            date_formats: sr
                .date_formats
                .iter()
                .chain(&br.date_formats)
                .cloned()
                .collect(),
            link: pick(&sr.link, &br.link),
            credit: pick(&sr.credit, &br.credit),
        },
    }
}

/// How a profile's regular expressions are compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compile {
    /// Now, so that a bad one is reported when the profile is loaded (user
    /// profiles).
    Now,
    /// On first use (built-in profiles, which tests compile whole).
    OnUse,
}

fn compile(file: &ProfileFile, origin: &str, when: Compile) -> Result<Profile, NormalizeError> {
    let pattern = |field: &str, source: &str| -> Result<Pattern, NormalizeError> {
        match when {
            Compile::Now => Pattern::compiled(origin, field, source),
            Compile::OnUse => Ok(Pattern::on_use(source)),
        }
    };
    let one = |field: &str, source: &Option<String>| -> Result<Option<Pattern>, NormalizeError> {
        source.as_deref().map(|p| pattern(field, p)).transpose()
    };
    let many = |field: &str, sources: &[String]| -> Result<Vec<Pattern>, NormalizeError> {
        sources.iter().map(|p| pattern(field, p)).collect()
    };
    let t = &file.text;
    let css = |field: &str, sel: &Option<String>| -> Result<Option<Css>, NormalizeError> {
        sel.as_deref()
            .map(|s| selector(origin, field, s))
            .transpose()
    };
    let h = &file.html;
    let r = &h.related;
    let html = HtmlRules {
        canonical_url: h.canonical_url.unwrap_or(true),
        language: h.language.unwrap_or(true),
        title_suffix: one("html.title_suffix", &h.title_suffix)?,
        title: css("html.title", &h.title)?,
        date: css("html.date", &h.date)?,
        date_formats: h.date_formats.clone(),
        authors: css("html.authors", &h.authors)?,
        series: css("html.series", &h.series)?,
        topics: css("html.topics", &h.topics)?,
        body: css("html.body", &h.body)?,
        remove: h
            .remove
            .iter()
            .map(|s| selector(origin, "html.remove", s))
            .collect::<Result<_, _>>()?,
        related: RelatedRules {
            list: css("html.related.list", &r.list)?,
            item: css("html.related.item", &r.item)?,
            title: css("html.related.title", &r.title)?,
            summary: css("html.related.summary", &r.summary)?,
            date: css("html.related.date", &r.date)?,
            date_formats: r.date_formats.clone(),
            link: css("html.related.link", &r.link)?,
            credit: css("html.related.credit", &r.credit)?,
        },
    };
    Ok(Profile {
        html,
        name: file.name.clone(),
        description: file.description.clone(),
        hosts: file.matching.hosts.clone(),
        text_signatures: many("match.text_signatures", &file.matching.text_signatures)?,
        text: TextRules {
            title_suffix: one("text.title_suffix", &t.title_suffix)?,
            byline: one("text.byline", &t.byline)?,
            date_formats: t.date_formats.clone(),
            body_end: many("text.body_end", &t.body_end)?,
            drop: many("text.drop", &t.drop)?,
            topics: one("text.topics", &t.topics)?,
            related_start: one("text.related_start", &t.related_start)?,
            related_end: many("text.related_end", &t.related_end)?,
            related_skip: many("text.related_skip", &t.related_skip)?,
            related_date: one("text.related_date", &t.related_date)?,
            related_date_formats: t.related_date_formats.clone(),
        },
    })
}

fn selector(origin: &str, field: &str, source: &str) -> Result<Css, NormalizeError> {
    let matcher = Matcher::new(source).map_err(|e| NormalizeError::Profile {
        origin: origin.to_string(),
        message: format!("{field}: invalid CSS selector {source:?}: {:?}", e.kind),
    })?;
    Ok(Css {
        field: field.to_string(),
        source: source.to_string(),
        matcher,
    })
}

/// A profile's regular expression, compiled at most once per process.
///
/// Profiles hold dozens of expressions and a command uses a few of one
/// profile; compiling every built-in one up front was half the time of
/// comparing two small captures. Built-in patterns therefore compile on
/// first use, user patterns when their profile is loaded (so a bad one is
/// reported then), and every compiled pattern is shared through a cache, so
/// the generic rules merged into each site profile compile once.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
    compiled: OnceLock<LineRegex>,
}

impl Pattern {
    /// A pattern compiled now; a bad one is an error naming the profile
    /// file and field.
    fn compiled(origin: &str, field: &str, source: &str) -> Result<Pattern, NormalizeError> {
        let regex = cached(source).map_err(|e| NormalizeError::Profile {
            origin: origin.to_string(),
            message: format!("{field}: invalid regular expression {source:?}: {e}"),
        })?;
        Ok(Pattern {
            source: source.to_string(),
            compiled: OnceLock::from(regex),
        })
    }

    /// A built-in pattern, compiled when first used.
    fn on_use(source: &str) -> Pattern {
        Pattern {
            source: source.to_string(),
            compiled: OnceLock::new(),
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl std::ops::Deref for Pattern {
    type Target = LineRegex;

    fn deref(&self) -> &LineRegex {
        self.compiled.get_or_init(|| {
            // Only built-in patterns get here uncompiled, and the tests
            // compile every one of them.
            cached(&self.source)
                .unwrap_or_else(|e| panic!("built-in profile pattern {:?}: {e}", self.source))
        })
    }
}

/// Compiles `source`, or returns the compiled copy of an earlier call.
fn cached(source: &str) -> Result<LineRegex, regex::Error> {
    static CACHE: LazyLock<Mutex<HashMap<String, LineRegex>>> = LazyLock::new(Default::default);
    // A poisoned lock only means another thread panicked mid-insert; the
    // map is still valid.
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(regex) = cache.get(source) {
        return Ok(regex.clone());
    }
    let regex = LineRegex::new(source)?;
    cache.insert(source.to_string(), regex.clone());
    Ok(regex)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pattern of the built-in profiles.
    fn built_in_patterns() -> Vec<Pattern> {
        let profiles = Profiles::builtin();
        let all = std::iter::once(profiles.generic()).chain(profiles.sites());
        let mut out = Vec::new();
        for p in all {
            let t = &p.text;
            let singles = [
                &t.title_suffix,
                &t.byline,
                &t.topics,
                &t.related_start,
                &t.related_date,
                &p.html.title_suffix,
            ];
            let lists = [
                &p.text_signatures,
                &t.body_end,
                &t.drop,
                &t.related_end,
                &t.related_skip,
            ];
            out.extend(
                singles
                    .into_iter()
                    .flatten()
                    .chain(lists.into_iter().flatten())
                    .cloned(),
            );
        }
        out
    }

    #[test]
    fn every_built_in_pattern_compiles() {
        let all = built_in_patterns();
        for pattern in &all {
            // Deref compiles it; an invalid built-in pattern panics here.
            let _ = pattern.is_match("");
        }
        assert!(all.len() > 20, "only {} patterns", all.len());
    }

    /// Lines of the bundled text captures, and of every sort the patterns
    /// look for, with Unicode spaces, digits and letters.
    fn sample_lines() -> Vec<String> {
        let captures = [
            include_str!("../../snapshots/inss-defense-treaty/2025-05-20-inss-defense-treaty.txt"),
            include_str!("../../snapshots/inss-defense-treaty/2025-08-05-inss-defense-treaty.txt"),
        ];
        let mut lines: Vec<String> = captures
            .iter()
            .flat_map(|c| c.lines())
            .flat_map(|l| [l.to_string(), l.trim().to_string()])
            .collect();
        lines.extend(
            super::super::matcher::tests::TRICKY
                .iter()
                .map(|s| s.to_string()),
        );
        lines.extend(
            [
                "Topics: Defense, Israel",
                "Tags: a, b",
                "Topics\u{a0}Defense",
                "Subscribe",
                "Subscribe to our newsletter",
                "Subscribeé",
                "Publication Series",
                "Publication Seriesß",
                "All publications",
                "More Articles",
                "Share this article",
                "INSS Insight No. 1965, March 19, 2025",
                "Special Publication, 20 May, 2025",
                "By A. Author & B. Author, Policy Paper | May 5, 2025",
                "5/6/2025",
                "12/05/25",
                "12/05/2025",
                "The opinions expressed in INSS publications are the authors' alone",
                "A Paper\u{2003}|\u{2003}INSS",
            ]
            .map(String::from),
        );
        lines
    }

    #[test]
    fn built_in_patterns_answer_as_the_regex_crate_does() {
        // Each built-in pattern, however compiled (src/normalize/matcher.rs),
        // finds what the `regex` crate finds, on real lines and on lines
        // that tell ASCII and Unicode readings apart.
        let lines = sample_lines();
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        for pattern in built_in_patterns() {
            super::super::matcher::tests::assert_same_on(pattern.as_str(), &lines);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(16))]
        #[test]
        fn built_in_patterns_answer_as_the_regex_crate_does_on_any_line(
            lines in proptest::collection::vec(
                "[A-Za-z0-9 ,.|/:&\\-–—·é\u{a0}\u{2009}\u{3000}\u{660}-\u{669}ſKk\n]{0,80}",
                1..64,
            )
        ) {
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            for pattern in built_in_patterns() {
                super::super::matcher::tests::assert_same_on(pattern.as_str(), &lines);
            }
        }
    }

    #[test]
    fn builtins_compile_and_inss_extends_generic() {
        let profiles = Profiles::builtin();
        let inss = profiles.by_name("inss").expect("inss profile ships");
        assert!(inss.matches_host("www.inss.org.il"));
        assert!(!inss.matches_host("example.org"));
        assert!(inss.matches_text("A Paper | INSS\nmore"));
        // Lists from the generic base are kept, the site's added.
        assert!(inss.text.body_end.len() > profiles.generic().text.body_end.len());
    }

    #[test]
    fn a_bad_user_profile_names_file_and_field() {
        let err = Profiles::builtin()
            .with_user_profile("profiles/x.toml", "name = \"x\"\n[text]\nbyline = \"(\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("profiles/x.toml"), "{err}");
        assert!(err.contains("text.byline"), "{err}");
    }

    #[test]
    fn an_unknown_key_is_an_error_with_its_line() {
        let err = Profiles::builtin()
            .with_user_profile("p.toml", "name = \"x\"\n[text]\nbodyend = []\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("p.toml") && err.contains("line 3"), "{err}");
    }

    #[test]
    fn a_user_profile_replaces_a_builtin_of_the_same_name() {
        let profiles = Profiles::builtin()
            .with_user_profile(
                "inss.toml",
                "name = \"inss\"\n[match]\nhosts = [\"inss.example\"]\n",
            )
            .unwrap();
        assert!(
            profiles
                .by_name("inss")
                .unwrap()
                .matches_host("inss.example")
        );
        assert_eq!(
            profiles.sites().iter().filter(|p| p.name == "inss").count(),
            1
        );
    }
}
