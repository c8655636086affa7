//! The little Markdown the finding codes' explanations use (`code`,
//! `**bold**`, `[text](url)`), as plain text (SARIF's `text` fields) or as
//! HTML (the audit report's legend). Other brackets (`[MS-GPFAS]`) are text.

use super::html_page::esc;

/// A piece of inline Markdown.
#[derive(Debug, PartialEq, Eq)]
enum Span<'a> {
    Text(&'a str),
    Code(&'a str),
    /// `**`: bold starts or ends.
    Bold,
    Link {
        text: &'a str,
        url: &'a str,
    },
}

/// `[text](url)` at the start of `s`: the parts and the length.
fn link(s: &str) -> Option<(&str, &str, usize)> {
    let mid = s.find(']')?;
    let target = s[mid + 1..].strip_prefix('(')?;
    let close = target.find(')')?;
    Some((&s[1..mid], &target[..close], mid + 2 + close + 1))
}

fn spans(s: &str) -> Vec<Span<'_>> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(at) = rest.find(['`', '*', '[']) {
        let (before, here) = rest.split_at(at);
        let (span, len) = if here.starts_with("**") {
            (Span::Bold, 2)
        } else if let Some(end) = here.strip_prefix('`').and_then(|t| t.find('`')) {
            (Span::Code(&here[1..=end]), end + 2)
        } else if let Some((text, url, len)) = here.starts_with('[').then(|| link(here)).flatten() {
            (Span::Link { text, url }, len)
        } else {
            (Span::Text(&here[..1]), 1)
        };
        if !before.is_empty() {
            out.push(Span::Text(before));
        }
        out.push(span);
        rest = &here[len..];
    }
    if !rest.is_empty() {
        out.push(Span::Text(rest));
    }
    out
}

/// Plain text: marks dropped, a link written `text (url)`.
pub(crate) fn to_text(markdown: &str) -> String {
    let mut o = String::with_capacity(markdown.len());
    for span in spans(markdown) {
        match span {
            Span::Text(t) | Span::Code(t) => o.push_str(t),
            Span::Bold => {}
            Span::Link { text, url } => {
                o.push_str(text);
                o.push_str(" (");
                o.push_str(url);
                o.push(')');
            }
        }
    }
    o
}

/// The same Markdown with `f` applied to the plain-text pieces only (not to
/// code, bold marks or links).
pub(crate) fn map_text(markdown: &str, f: impl Fn(&str) -> String) -> String {
    let mut o = String::with_capacity(markdown.len() + 16);
    for span in spans(markdown) {
        match span {
            Span::Text(t) => o.push_str(&f(t)),
            Span::Code(t) => {
                o.push('`');
                o.push_str(t);
                o.push('`');
            }
            Span::Bold => o.push_str("**"),
            Span::Link { text, url } => {
                o.push('[');
                o.push_str(text);
                o.push_str("](");
                o.push_str(url);
                o.push(')');
            }
        }
    }
    o
}

/// HTML, every piece escaped; links open in the same window.
pub(crate) fn to_html(markdown: &str) -> String {
    let mut o = String::with_capacity(markdown.len() * 2);
    let mut bold = false;
    for span in spans(markdown) {
        match span {
            Span::Text(t) => o.push_str(&esc(t)),
            Span::Code(t) => {
                o.push_str("<code>");
                o.push_str(&esc(t));
                o.push_str("</code>");
            }
            Span::Bold => {
                o.push_str(if bold { "</strong>" } else { "<strong>" });
                bold = !bold;
            }
            Span::Link { text, url } => {
                o.push_str("<a href=\"");
                o.push_str(&esc(url));
                o.push_str("\">");
                o.push_str(&esc(text));
                o.push_str("</a>");
            }
        }
    }
    if bold {
        o.push_str("</strong>");
    }
    o
}

#[cfg(test)]
mod tests {
    use super::{map_text, to_html, to_text};

    const SAMPLE: &str = "**Reference.** [MS-GPFAS] §2.2.3.1 (x); [SMB <signing>](https://x.example/a?b&c) and `A|B<` [b * c";

    #[test]
    fn markdown_becomes_plain_text() {
        assert_eq!(
            to_text(SAMPLE),
            "Reference. [MS-GPFAS] §2.2.3.1 (x); SMB <signing> (https://x.example/a?b&c) and A|B< [b * c"
        );
    }

    #[test]
    fn markdown_becomes_escaped_html() {
        assert_eq!(
            to_html(SAMPLE),
            "<strong>Reference.</strong> [MS-GPFAS] §2.2.3.1 (x); <a href=\"https://x.example/a?b&amp;c\">SMB &lt;signing&gt;</a> and <code>A|B&lt;</code> [b * c"
        );
    }

    #[test]
    fn map_text_touches_only_text() {
        assert_eq!(
            map_text(SAMPLE, str::to_uppercase),
            "**REFERENCE.** [MS-GPFAS] §2.2.3.1 (X); [SMB <signing>](https://x.example/a?b&c) AND `A|B<` [B * C"
        );
        assert_eq!(map_text(SAMPLE, str::to_owned), SAMPLE);
    }
}
