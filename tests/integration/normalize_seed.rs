//! The seed capture normalizes to exactly the publication: every metadata
//! field, the fifteen body blocks as whole lines of the page, the related
//! list, and none of the page chrome.

use serde_json::Value;

use crate::util::{captures, env_in, run};

fn seed_json() -> Value {
    let seed = captures()[0].clone();
    let r = run(
        &env_in(seed.parent().unwrap()),
        &["normalize", seed.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    serde_json::from_str(&r.stdout).unwrap()
}

#[test]
fn seed_metadata_is_exact() {
    let doc = seed_json();
    assert_eq!(
        doc["title"],
        "A US-Israel Defense Treaty: Strengthening the Long-Term Relationship and Providing a Strategic Response to Future Challenges"
    );
    assert_eq!(doc["series"], "Policy Paper");
    assert_eq!(doc["published"], "2023-09-27");
    assert_eq!(doc["authors"], serde_json::json!([]));
    assert_eq!(
        doc["topics"],
        serde_json::json!(["Israel-United States Relations"])
    );
    assert!(doc["schema"].as_u64().is_some_and(|v| v >= 1));
}

#[test]
fn seed_body_is_the_fifteen_blocks_exactly_as_on_the_page() {
    let doc = seed_json();
    let page = std::fs::read_to_string(&captures()[0]).unwrap();
    let page_lines: Vec<&str> = page.lines().collect();
    let body = doc["body"].as_array().unwrap();
    assert_eq!(body.len(), 15);

    // Shape: lead, then three headings with 3, 2 and 6 paragraphs.
    let shape: Vec<(&str, &str)> = body
        .iter()
        .map(|b| {
            (
                b["kind"].as_str().unwrap(),
                b["section"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let mut expected = vec![("paragraph", "")];
    for (heading, n) in [
        ("The Facts", 3),
        ("Significance", 2),
        ("Policy Recommendations", 6),
    ] {
        expected.push(("heading", heading));
        expected.extend(std::iter::repeat_n(("paragraph", heading), n));
    }
    assert_eq!(shape, expected);
    assert_eq!(body[1]["text"], "The Facts");
    assert_eq!(body[5]["text"], "Significance");
    assert_eq!(body[8]["text"], "Policy Recommendations");
    assert_eq!(
        body[0]["text"],
        "Israel should seek to conclude a defense treaty with the United States, limited to extreme and existential threats within the Middle East."
    );

    // Each block is a whole line of the page, character for character, in
    // page order, and all from the article (between headline and disclaimer).
    let headline = page_lines
        .iter()
        .position(|l| l.starts_with("Policy Paper, September 27, 2023"))
        .unwrap();
    let disclaimer = page_lines
        .iter()
        .position(|l| l.starts_with("The opinions expressed"))
        .unwrap();
    let mut last = headline;
    for block in body {
        let text = block["text"].as_str().unwrap();
        let at = page_lines[last + 1..disclaimer]
            .iter()
            .position(|l| *l == text)
            .unwrap_or_else(|| panic!("not a line of the article, in order: {text:?}"));
        last += 1 + at;
    }
}

#[test]
fn seed_related_list_is_exact() {
    let doc = seed_json();
    let related = doc["related"].as_array().unwrap();
    assert_eq!(related.len(), 3);
    let dates: Vec<&str> = related
        .iter()
        .map(|r| r["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2025-05-19", "2025-05-06", "2025-05-05"]);
    let credits: Vec<Option<&str>> = related.iter().map(|r| r["credit"].as_str()).collect();
    assert_eq!(
        credits,
        [Some("REUTERS/Brian Snyder"), None, Some("Shutterstock")]
    );
    assert_eq!(
        related[0]["title"],
        "President Trump’s Visit to the Gulf: A Shifting Regional Order and the Challenge for Israel"
    );
    assert_eq!(
        related[1]["title"],
        "Between a Nuclear Arrangement and Military Strike in Iran—Toward a Decision"
    );
    assert_eq!(
        related[2]["title"],
        "The Nuclear Talks Between the United States and Iran—Chances for Reaching an Agreement and Implications for Israel"
    );
    assert_eq!(
        related[0]["summary"],
        "What are the outcomes of Trump’s diplomatic visit to Saudi Arabia, Qatar, and the United Arab Emirates—and how do they affect Israel?"
    );
    assert!(
        related[1]["summary"]
            .as_str()
            .unwrap()
            .starts_with("The talks that began in April 2025")
    );
    assert!(
        related[1]["summary"]
            .as_str()
            .unwrap()
            .ends_with("imposing limits on its missile project.")
    );
    assert_eq!(
        related[2]["summary"],
        "The gaps between Tehran and Washington have not yet narrowed significantly, but it seems that both sides are determined to reach an agreement and avoid a military escalation. How should Israel, which is on the sidelines of the talks, act in this situation?"
    );
}

#[test]
fn no_page_chrome_reaches_the_document() {
    let doc = seed_json().to_string();
    for noise in [
        "Listen to this content",
        "Playback Speed",
        "bool(false)",
        "Downloaded:",
        "a us-israel defense treaty",
        "The 18th Annual International Conference",
        "Stay up to date",
        "The opinions expressed in INSS publications",
        "Tel Aviv University",
        "reCAPTCHA",
        "Registration was successful",
    ] {
        assert!(!doc.contains(noise), "{noise:?} leaked into the document");
    }
}

#[test]
fn text_format_is_body_blocks_with_blank_lines() {
    let seed = captures()[0].clone();
    let r = run(
        &env_in(seed.parent().unwrap()),
        &["normalize", seed.to_str().unwrap(), "--format", "text"],
    );
    assert_eq!(r.code, 0);
    let blocks: Vec<&str> = r.stdout.trim_end().split("\n\n").collect();
    assert_eq!(blocks.len(), 15);
    assert_eq!(blocks[1], "The Facts");
    assert!(
        !r.stdout.contains("Policy Paper, September"),
        "no title or date lines in text form"
    );
}

#[test]
fn markdown_format_has_front_matter_and_headings() {
    let seed = captures()[0].clone();
    let r = run(
        &env_in(seed.parent().unwrap()),
        &["normalize", seed.to_str().unwrap(), "--format", "md"],
    );
    assert_eq!(r.code, 0);
    assert!(
        r.stdout
            .starts_with("---\ntitle: \"A US-Israel Defense Treaty")
    );
    assert!(r.stdout.contains("\npublished: 2023-09-27\n"));
    assert!(r.stdout.contains("\n\n## The Facts\n\n"));
}

#[test]
fn later_versions_normalize_without_code_changes() {
    for capture in &captures()[1..] {
        let r = run(
            &env_in(capture.parent().unwrap()),
            &["normalize", capture.to_str().unwrap()],
        );
        assert_eq!(r.code, 0, "{}: {}", capture.display(), r.stderr);
        let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(doc["series"], "Policy Paper", "{}", capture.display());
        assert!(
            doc["body"].as_array().unwrap().len() >= 14,
            "{}",
            capture.display()
        );
        assert!(!r.stdout.contains("Downloaded:"));
    }
}
