//! Revision specs: how users name a version of a source.
//!
//! `~N` is N versions before the latest (`~0` the latest), `YYYY-MM-DD` the
//! version in effect at the end of that day (UTC), anything else a prefix of a
//! commit id. Parsing is separate from resolving so the syntax is testable
//! without a repository.

use chrono::NaiveDate;

/// A parsed revision spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevSpec {
    /// N versions before the latest.
    Back(usize),
    /// The version in effect on that day.
    Date(NaiveDate),
    /// A commit id prefix (at least 4 hex digits).
    Prefix(String),
}

impl RevSpec {
    /// Parses a spec; the error says what forms are accepted.
    pub fn parse(spec: &str) -> Result<RevSpec, String> {
        let spec = spec.trim();
        if let Some(n) = spec.strip_prefix('~') {
            let n = if n.is_empty() { Ok(1) } else { n.parse() };
            return n.map(RevSpec::Back).map_err(|_| {
                format!("{spec:?} is not ~N (N versions before the latest, a whole number)")
            });
        }
        if let Ok(date) = NaiveDate::parse_from_str(spec, "%Y-%m-%d") {
            return Ok(RevSpec::Date(date));
        }
        if spec.len() >= 4 && spec.len() <= 40 && spec.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(RevSpec::Prefix(spec.to_ascii_lowercase()));
        }
        Err(format!(
            "{spec:?} is not a revision: use a commit id prefix (4+ hex digits), ~N, or a date YYYY-MM-DD"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(RevSpec::parse("~2"), Ok(RevSpec::Back(2)));
        assert_eq!(RevSpec::parse("~"), Ok(RevSpec::Back(1)));
        assert_eq!(
            RevSpec::parse("2025-06-03"),
            Ok(RevSpec::Date(NaiveDate::from_ymd_opt(2025, 6, 3).unwrap()))
        );
        assert_eq!(
            RevSpec::parse("ABCDEF1"),
            Ok(RevSpec::Prefix("abcdef1".into()))
        );
        assert!(RevSpec::parse("abc").is_err());
        assert!(RevSpec::parse("~x").is_err());
        assert!(RevSpec::parse("HEAD").is_err());
    }
}
