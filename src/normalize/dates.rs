//! Dates as pages write them, read into calendar dates.
//!
//! Publication pages write dates in many shapes ("September 27, 2023",
//! "19/05/25", "2023-09-27"); profiles list the `chrono` formats a site uses
//! and this module tries them in order.

use chrono::{Datelike, NaiveDate};

/// Parses `text` with the first of `formats` that fits the whole text.
pub fn parse_date(text: &str, formats: &[String]) -> Option<NaiveDate> {
    let text = text.trim();
    formats
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
        .filter(is_writable)
}

/// Whether a date can be written as the Document's `YYYY-MM-DD` (years 1
/// to 9999) and read back as the same date. chrono also reads years before
/// 1 and past 9999 (`-0046`, `+12345`), which no publication carries and
/// the store could not keep (found by the `normalize_html` fuzz target).
pub fn is_writable(date: &NaiveDate) -> bool {
    (1..=9999).contains(&date.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmts(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_common_shapes() {
        let f = fmts(&["%d/%m/%y", "%B %d, %Y", "%Y-%m-%d"]);
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(parse_date("September 27, 2023", &f), d(2023, 9, 27));
        assert_eq!(parse_date("June 3, 2025", &f), d(2025, 6, 3));
        assert_eq!(parse_date("19/05/25", &f), d(2025, 5, 19));
        assert_eq!(parse_date("2023-09-27", &f), d(2023, 9, 27));
        assert_eq!(parse_date("31/02/25", &f), None);
        assert_eq!(parse_date("soon", &f), None);
        // Years a Document cannot write as YYYY-MM-DD.
        let iso = fmts(&["%Y-%m-%d"]);
        assert_eq!(parse_date("-0046-09-27", &iso), None);
        assert_eq!(parse_date("+12345-01-01", &iso), None);
        assert_eq!(parse_date("0046-09-27", &iso), d(46, 9, 27));
    }
}
