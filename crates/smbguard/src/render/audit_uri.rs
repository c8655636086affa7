//! Where a host audit was read from (a path as given on the command line,
//! or `<stdin>:LINE`), as the URI of a SARIF `artifactLocation` (SARIF
//! 2.1.0 §3.4, RFC 3986 and RFC 8089 for `file` URIs).
//!
//! An absolute path becomes a `file` URI: `/srv/a b` → `file:///srv/a%20b`,
//! `C:\ev\h.json` → `file:///C:/ev/h.json`, `\\srv\ev$\h.json` →
//! `file://srv/ev$/h.json`. Anything else stays a relative reference
//! resolved against the directory smbguard ran in (`uriBaseId`). Every
//! byte outside RFC 3986's unreserved and sub-delimiter characters, `@`
//! and the `/` separators is percent-encoded, `:` included, so no relative
//! reference can be read as a scheme; a backslash in a POSIX path is a
//! file-name character and is encoded too.

use std::fmt::Write;

/// Bytes a path segment keeps as they are (RFC 3986 `pchar` without `:`).
fn keeps(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@".contains(&b)
}

/// `path` percent-encoded, `/` kept as the separator.
fn encode(path: &str) -> String {
    let mut o = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if keeps(b) || b == b'/' {
            o.push(char::from(b));
        } else {
            let _ = write!(o, "%{b:02X}");
        }
    }
    o
}

/// A Windows path with a drive letter (`C:\…` or `C:/…`): the letter.
fn drive(source: &str) -> Option<char> {
    let mut chars = source.chars();
    let letter = chars.next().filter(char::is_ascii_alphabetic)?;
    (chars.next() == Some(':') && matches!(chars.next(), Some('\\' | '/'))).then_some(letter)
}

/// The URI of `source`, and whether it is relative (then it needs a
/// `uriBaseId`).
pub(crate) fn artifact_uri(source: &str) -> (String, bool) {
    if let Some(letter) = drive(source) {
        let path = source[3..].replace('\\', "/");
        return (format!("file:///{letter}:/{}", encode(&path)), false);
    }
    if let Some(unc) = source.strip_prefix(r"\\") {
        return (format!("file://{}", encode(&unc.replace('\\', "/"))), false);
    }
    if source.starts_with('/') {
        return (format!("file://{}", encode(source)), false);
    }
    (encode(source), true)
}

#[cfg(test)]
mod tests {
    use super::artifact_uri;

    #[test]
    fn absolute_paths_become_file_uris_and_the_rest_stays_relative() {
        let cases = [
            (
                "/srv/ev dence/h.json",
                "file:///srv/ev%20dence/h.json",
                false,
            ),
            (r"C:\ev\h 1.json", "file:///C:/ev/h%201.json", false),
            (r"\\srv\ev$\h.json", "file://srv/ev$/h.json", false),
            ("fixtures/a.wfw", "fixtures/a.wfw", true),
            ("<stdin>:3", "%3Cstdin%3E%3A3", true),
            ("a:b/c#d?e%f", "a%3Ab/c%23d%3Fe%25f", true),
            (r"x\y", "x%5Cy", true),
            ("é<script>", "%C3%A9%3Cscript%3E", true),
        ];
        for (source, uri, relative) in cases {
            assert_eq!(artifact_uri(source), (uri.to_owned(), relative), "{source}");
        }
    }
}
