//! Turning a capture's bytes into text, whatever its server claimed.
//!
//! Servers often declare the wrong charset: a UTF-8 page labelled
//! `iso-8859-1` by a default server configuration, or an old Windows-1252
//! page labelled `utf-8`. Raw bytes are stored exactly as served; this module
//! decides how to read them. The rule, in order:
//!
//! 1. bytes that are valid UTF-8 are UTF-8 (multi-byte UTF-8 sequences almost
//!    never occur by accident in single-byte text, so this beats a label);
//! 2. otherwise a declared single-byte Western charset (or a wrong `utf-8`
//!    label) is read as Windows-1252, the superset browsers use for Latin-1;
//! 3. anything else is read as UTF-8 with invalid bytes replaced, and the
//!    caller is told the charset is unsupported.
//!
//! No dependency: the Windows-1252 table is 32 entries.

/// How the bytes were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded {
    /// Valid UTF-8 (whatever was declared).
    Utf8,
    /// Read as Windows-1252 / Latin-1.
    Windows1252,
    /// An unsupported charset; invalid bytes were replaced.
    Lossy,
}

/// Characters 0x80..=0x9F of Windows-1252 (the rest of the range equals
/// Latin-1, which equals the first 256 Unicode code points).
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{81}', '\u{201A}', '\u{192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{2C6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8D}', '\u{17D}', '\u{8F}',
    '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{2DC}', '\u{2122}', '\u{161}', '\u{203A}', '\u{153}', '\u{9D}', '\u{17E}', '\u{178}',
];

/// Whether `label` names a charset read as Windows-1252.
fn is_western(label: &str) -> bool {
    matches!(
        label.trim().to_ascii_lowercase().as_str(),
        "iso-8859-1"
            | "iso8859-1"
            | "latin1"
            | "latin-1"
            | "l1"
            | "windows-1252"
            | "cp1252"
            | "x-cp1252"
            | "us-ascii"
            | "ascii"
            | "iso-8859-15"
            | "utf-8"
            | "utf8"
    )
}

/// Decodes `bytes` given the declared charset (if any); a leading byte-order
/// mark is dropped.
pub fn decode(bytes: &[u8], declared: Option<&str>) -> (String, Decoded) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (text.to_string(), Decoded::Utf8);
    }
    if declared.is_none_or(is_western) {
        let text = bytes
            .iter()
            .map(|&b| match b {
                0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)],
                _ => char::from(b),
            })
            .collect();
        return (text, Decoded::Windows1252);
    }
    (String::from_utf8_lossy(bytes).into_owned(), Decoded::Lossy)
}

/// The `charset` parameter of a Content-Type value, lower-cased.
pub fn charset_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"').to_ascii_lowercase())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_wins_over_a_wrong_latin1_label() {
        let (text, how) = decode("Israel’s — café".as_bytes(), Some("iso-8859-1"));
        assert_eq!(text, "Israel’s — café");
        assert_eq!(how, Decoded::Utf8);
    }

    #[test]
    fn invalid_utf8_labelled_utf8_is_read_as_windows_1252() {
        let (text, how) = decode(b"Israel\x92s \x97 caf\xe9", Some("utf-8"));
        assert_eq!(text, "Israel’s — café");
        assert_eq!(how, Decoded::Windows1252);
    }

    #[test]
    fn unknown_charsets_are_lossy() {
        let (_, how) = decode(b"\x82\xa0", Some("shift_jis"));
        assert_eq!(how, Decoded::Lossy);
    }

    #[test]
    fn charset_parameter() {
        assert_eq!(
            charset_of("text/html; Charset=\"UTF-8\"").as_deref(),
            Some("utf-8")
        );
        assert_eq!(charset_of("text/html"), None);
    }
}
