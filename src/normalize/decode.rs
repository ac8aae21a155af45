//! Bytes to text: which character encoding a capture is in, and its text.
//!
//! Pages are served in many encodings, and saying which one is spread over
//! several places. This module decides in the order the HTML standard and
//! browsers use, first answer wins:
//!
//! 1. a byte-order mark (UTF-8, UTF-16LE/BE);
//! 2. the HTTP `Content-Type` charset, when the capture came over HTTP;
//! 3. a `<meta charset>` or `<meta http-equiv="Content-Type">` declaration
//!    near the top of the page (HTML captures only);
//!    except that a declaration the bytes contradict loses: valid non-ASCII
//!    UTF-8 is UTF-8 whatever the label says, and a UTF-8 label on bytes that
//!    are not UTF-8 is ignored (servers mislabel pages every day);
//! 4. a guess by `chardetng` (the detector Firefox uses) from the bytes,
//!    which answers UTF-8 whenever the bytes are valid UTF-8.
//!
//! Decoding itself is `encoding_rs` (the WHATWG Encoding Standard): invalid
//! byte sequences become U+FFFD, never a panic. Pure functions, no I/O.

use std::borrow::Cow;

#[cfg(test)]
use encoding_rs::WINDOWS_1252;
use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};
use regex::bytes::Regex;
use std::sync::LazyLock;

/// Where the encoding of a capture came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingSource {
    ByteOrderMark,
    HttpHeader,
    MetaTag,
    Detected,
}

/// A capture's text and how its encoding was decided.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static Encoding,
    pub source: EncodingSource,
    /// True when some bytes were not valid in the encoding (each became
    /// U+FFFD).
    pub had_errors: bool,
}

/// How many leading bytes are searched for a `<meta>` charset declaration.
/// The HTML standard says 1024; real pages put long `<head>` preambles
/// (inline styles, comments) first, so redline looks further.
const META_PRESCAN_BYTES: usize = 8 * 1024;

/// Decodes `bytes`. `charset` is the HTTP charset parameter when known;
/// `content_type` the whole `Content-Type` header (its `charset=` is used
/// when `charset` is absent); `html` enables the `<meta>` prescan.
pub fn decode(
    bytes: &[u8],
    charset: Option<&str>,
    content_type: Option<&str>,
    html: bool,
) -> Decoded {
    let (encoding, source) = sniff(bytes, charset, content_type, html);
    // `decode` removes a BOM of the encoding it is given; a BOM always wins
    // above, so the two agree.
    let (text, _, had_errors) = encoding.decode(bytes);
    Decoded {
        text: strip_bom(text),
        encoding,
        source,
        had_errors,
    }
}

fn strip_bom(text: Cow<'_, str>) -> String {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text.into_owned(),
    }
}

/// Decides the encoding without decoding.
pub fn sniff(
    bytes: &[u8],
    charset: Option<&str>,
    content_type: Option<&str>,
    html: bool,
) -> (&'static Encoding, EncodingSource) {
    if let Some((encoding, _)) = Encoding::for_bom(bytes) {
        return (encoding, EncodingSource::ByteOrderMark);
    }
    let header = charset
        .map(str::to_string)
        .or_else(|| content_type.and_then(charset_param));
    let declared = match header.as_deref().and_then(label) {
        Some(encoding) => Some((encoding, EncodingSource::HttpHeader)),
        None if html => meta_charset(bytes).map(|e| (e, EncodingSource::MetaTag)),
        None => None,
    };
    if let Some((encoding, source)) = declared {
        // Servers mislabel pages (a default `iso-8859-1` on UTF-8 pages, a
        // `utf-8` on old Windows-1252 ones). Multi-byte UTF-8 sequences
        // almost never occur by accident in other encodings, so bytes that
        // are valid UTF-8 and not plain ASCII are UTF-8 whatever the label,
        // and a UTF-8 label on bytes that are not UTF-8 is no answer.
        let valid_utf8 = std::str::from_utf8(bytes).is_ok();
        if encoding != UTF_8 && valid_utf8 && !bytes.is_ascii() {
            return (UTF_8, EncodingSource::Detected);
        }
        if encoding != UTF_8 || valid_utf8 {
            return (encoding, source);
        }
    }
    // Valid UTF-8 is what the detector would answer for it; checking first
    // is a hundred times faster than running the detector over the page.
    if std::str::from_utf8(bytes).is_ok() {
        return (UTF_8, EncodingSource::Detected);
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    (detector.guess(None, true), EncodingSource::Detected)
}

/// An encoding label as pages and servers write it. A declared UTF-16 in a
/// byte stream without a BOM is read as UTF-8, as browsers do; an unknown
/// label is no answer.
fn label(name: &str) -> Option<&'static Encoding> {
    let encoding = Encoding::for_label(name.trim().trim_matches(['"', '\'']).as_bytes())?;
    Some(if encoding == UTF_16LE || encoding == UTF_16BE {
        UTF_8
    } else {
        encoding
    })
}

/// The `charset=` parameter of a `Content-Type` value.
fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']).to_string())
    })
}

static META_CHARSET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i-u)<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)"#)
        .expect("valid regex")
});

/// The charset a `<meta charset>` or `<meta http-equiv content>` tag
/// declares in the first bytes of the page. Both shapes carry `charset=`
/// inside the tag, so one pattern reads both. A declaration inside a comment
/// is skipped.
fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(META_PRESCAN_BYTES)];
    META_CHARSET.captures_iter(head).find_map(|caps| {
        let whole = caps.get(0)?;
        if inside_comment(head, whole.start()) {
            return None;
        }
        let name = std::str::from_utf8(caps.get(1)?.as_bytes()).ok()?;
        // "x-user-defined" and friends aside, windows-1252 is what pages
        // labelled "iso-8859-1" or "ascii" really are; encoding_rs already
        // maps those labels so.
        label(name)
    })
}

fn inside_comment(head: &[u8], at: usize) -> bool {
    let before = &head[..at];
    let open = before.windows(4).rposition(|w| w == b"<!--");
    let close = before.windows(3).rposition(|w| w == b"-->");
    match (open, close) {
        (Some(o), Some(c)) => o > c,
        (Some(_), None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_wins_over_everything() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice("<meta charset=shift_jis>café".as_bytes());
        let d = decode(&bytes, Some("windows-1252"), None, true);
        assert_eq!(d.source, EncodingSource::ByteOrderMark);
        assert!(d.text.ends_with("café"));
        assert!(!d.text.starts_with('\u{feff}'));
    }

    #[test]
    fn utf16_with_bom() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "<p>Grüße</p>".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(decode(&bytes, None, None, true).text, "<p>Grüße</p>");
    }

    #[test]
    fn http_charset_beats_meta() {
        let bytes = b"<meta charset=\"utf-8\"><p>caf\xe9</p>";
        let d = decode(bytes, None, Some("text/html; charset=ISO-8859-1"), true);
        assert_eq!(d.source, EncodingSource::HttpHeader);
        assert_eq!(d.encoding, WINDOWS_1252);
        assert_eq!(d.text, "<meta charset=\"utf-8\"><p>café</p>");
    }

    #[test]
    fn labels_the_bytes_contradict_lose() {
        // UTF-8 served with a default Latin-1 label.
        let utf8 = "Israel’s — café".as_bytes();
        let d = decode(utf8, Some("iso-8859-1"), None, false);
        assert_eq!(d.text, "Israel’s — café");
        // Windows-1252 served as UTF-8.
        let cp1252 = b"Israel\x92s \x97 caf\xe9 and more words of text";
        let d = decode(cp1252, Some("utf-8"), None, false);
        assert!(d.text.starts_with("Israel’s — café"), "{}", d.text);
        // A label the bytes agree with still wins over detection.
        let (enc, source) = sniff(b"plain ascii", Some("windows-1252"), None, false);
        assert_eq!((enc, source), (WINDOWS_1252, EncodingSource::HttpHeader));
    }

    #[test]
    fn meta_charset_and_http_equiv() {
        let bytes =
            b"<html><head><meta charset='windows-1252'></head><p>\x93quoted\x94 \x96 dash</p>";
        let d = decode(bytes, None, None, true);
        assert_eq!(d.source, EncodingSource::MetaTag);
        assert!(d.text.contains("“quoted” – dash"), "{}", d.text);

        let bytes =
            b"<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=Shift_JIS\"><p>\x93\xfa\x96\x7b</p>";
        let d = decode(bytes, None, None, true);
        assert_eq!(d.encoding, encoding_rs::SHIFT_JIS);
        assert!(d.text.contains("日本"), "{}", d.text);
    }

    #[test]
    fn a_commented_out_meta_is_ignored() {
        let bytes = b"<!-- <meta charset=shift_jis> --><meta charset=utf-8><p>x</p>";
        let (encoding, source) = sniff(bytes, None, None, true);
        assert_eq!((encoding, source), (UTF_8, EncodingSource::MetaTag));
    }

    #[test]
    fn undeclared_pages_are_detected() {
        // Shift_JIS without any declaration: 日本語のページです。
        let text = "日本語のページです。これは文字コードの判定のための十分な長さの文章です。";
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(text);
        let d = decode(&bytes, None, None, true);
        assert_eq!(d.source, EncodingSource::Detected);
        assert_eq!(d.text, text);

        let (bytes, _, _) = WINDOWS_1252.encode("Les élèves ont déjà façonné ça: « déjà vu ».");
        let d = decode(&bytes, None, None, true);
        assert_eq!(d.text, "Les élèves ont déjà façonné ça: « déjà vu ».");

        let d = decode("plain ütf-8".as_bytes(), None, None, false);
        assert_eq!((d.encoding, d.text.as_str()), (UTF_8, "plain ütf-8"));
    }

    #[test]
    fn invalid_bytes_and_bad_labels_never_panic() {
        let d = decode(b"\xff\xfe\xfd abc \xc3", Some("utf-8"), None, true);
        assert!(d.had_errors);
        assert!(d.text.contains('\u{fffd}'));
        let d = decode(b"abc", Some("no-such-charset"), Some(";;charset="), true);
        assert_eq!(d.text, "abc");
        for bytes in [&b""[..], b"\0\0\0", b"<meta charset=", b"<!--"] {
            let _ = decode(bytes, None, None, true);
        }
    }
}
