//! The charset a server declares for a page: the `charset` parameter of its
//! `Content-Type`, kept in the capture. Deciding how to read the bytes (the
//! declaration, a `<meta>` tag, a byte-order mark or a guess) is
//! `normalize::decode`'s job.

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
    fn charset_parameter() {
        assert_eq!(
            charset_of("text/html; Charset=\"UTF-8\"").as_deref(),
            Some("utf-8")
        );
        assert_eq!(charset_of("text/html"), None);
    }
}
