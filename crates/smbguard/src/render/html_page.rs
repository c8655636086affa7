//! The chrome every HTML report shares (`verify`, `traffic` and `audit
//! --format html`): the escaping, the document head with the shared style
//! sheet, the dark header band, and the footer. Pages are self-contained:
//! inline CSS, no script, no external resource.

use std::fmt::Write;

/// Escapes text for HTML element content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// The rules every report uses: palette, page, header band, headings,
/// cards, badges, legends, the group × group matrix, details, footer.
const BASE_CSS: &str = r#"
:root { --pass:#17703a; --pass-bg:#e3f4e8; --fail:#b3261e; --fail-bg:#fde7e4; --warn:#8a5a00; --warn-bg:#fff3d6;
  --ink:#1d2430; --muted:#5b6472; --line:#d9dee6; --card:#ffffff; --page:#f5f7fa;
  --all:#cfe3ff; --all-ink:#0b3d91; --some:#ffdf9e; --some-ink:#6b4500; --none:#eceff3; --none-ink:#5b6472; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--page); color: var(--ink); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; }
main { max-width: 1360px; margin: 0 auto; padding: 20px 24px 48px; }
header.top { background: #1f2a3c; color: #fff; padding: 18px 24px 20px; }
header.top .inner { max-width: 1360px; margin: 0 auto; }
header.top .brand { font-size: 12px; letter-spacing: .12em; text-transform: uppercase; opacity: .75; }
header.top h1 { margin: 2px 0 4px; font-size: 26px; overflow-wrap: anywhere; }
header.top .meta { margin: 0 0 12px; opacity: .85; }
nav { margin: 14px 0 6px; font-size: 13px; }
nav a { color: #1f4fa3; margin-right: 14px; text-decoration: none; }
h2 { font-size: 19px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 0 0 8px; }
h4 { font-size: 13px; margin: 12px 0 6px; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; }
table { border-collapse: collapse; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin: 0 0 14px; }
.badge { display: inline-block; white-space: nowrap; min-width: 58px; text-align: center; padding: 2px 8px; border-radius: 4px; font-weight: 700; font-size: 12px; }
.badge.pass { background: var(--pass-bg); color: var(--pass); border: 1px solid #9fd3af; }
.badge.fail { background: var(--fail-bg); color: var(--fail); border: 1px solid #f2aaa2; }
.badge.warn { background: var(--warn-bg); color: var(--warn); border: 1px solid #e9cc85; }
.kb { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; color: var(--muted); }
code, .mono { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, monospace; font-size: 12.5px; }
code { background: #f0f2f6; padding: 1px 4px; border-radius: 3px; }
table.kv th { text-align: left; color: var(--muted); font-weight: 600; padding: 3px 14px 3px 0; vertical-align: top; white-space: nowrap; }
table.kv td { padding: 3px 0; }
.legend { display: flex; flex-wrap: wrap; gap: 18px; align-items: center; margin: 6px 0 14px; font-size: 13px; }
.legend span.sw { display: inline-block; padding: 2px 8px; border-radius: 3px; border: 1px solid #b9c2cf; margin-right: 6px; font-weight: 700; font-size: 12px; }
table.matrix { background: var(--card); border: 1px solid var(--line); font-size: 11px; }
table.matrix caption { text-align: left; font-weight: 700; padding: 4px 0 6px; font-size: 13px; }
table.matrix th.col { vertical-align: bottom; padding: 4px 2px; height: 150px; background: #fff; }
table.matrix th.col span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; font-weight: 600; }
table.matrix th.row { text-align: right; padding: 2px 6px; white-space: nowrap; font-weight: 600; font-size: 11.5px; background: #fff; }
table.matrix th.corner { font-size: 11px; color: var(--muted); font-weight: 400; text-align: right; vertical-align: bottom; padding: 4px 8px; background: #fff; }
table.matrix td { width: 48px; min-width: 48px; height: 24px; padding: 0 1px; white-space: nowrap; text-align: center; border: 1px solid #fff; font-weight: 700; font-size: 11px; }
td.r-all, span.r-all { background: var(--all); color: var(--all-ink); }
td.r-some, span.r-some { background: var(--some); color: var(--some-ink); }
td.r-none, span.r-none { background: var(--none); color: var(--none-ink); font-weight: 400; }
td.r-na, span.r-na { background: #fff; color: #a0a7b2; font-weight: 400; }
details { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin-bottom: 8px; }
details summary { cursor: pointer; font-weight: 600; }
details li { margin: 3px 0; font-size: 12.5px; }
.muted { color: var(--muted); }
footer { margin-top: 30px; color: var(--muted); font-size: 12px; }
@media print { body { background: #fff; } .card, details { break-inside: avoid; } }
"#;

/// What a report puts in its head and header band.
#[derive(Debug)]
pub(crate) struct Head<'a> {
    /// The window title (plain text).
    pub(crate) title: &'a str,
    /// The report's own rules, after the shared ones.
    pub(crate) css: &'a str,
    /// The small line above the heading (plain text).
    pub(crate) brand: &'a str,
    /// The heading (plain text).
    pub(crate) heading: &'a str,
    /// One line under the heading (HTML).
    pub(crate) meta: &'a str,
    /// More of the header band under the meta line, e.g. a verdict (HTML).
    pub(crate) extra: &'a str,
}

/// The page up to and including the opening `<main>`.
pub(crate) fn open(head: &Head<'_>) -> String {
    let mut o = String::with_capacity(64 * 1024);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{BASE_CSS}{}</style></head><body>",
        esc(head.title),
        head.css
    );
    let _ = write!(
        o,
        "<header class=\"top\"><div class=\"inner\"><div class=\"brand\">{}</div><h1>{}</h1><p class=\"meta\">{}</p>{}</div></header><main>",
        esc(head.brand),
        esc(head.heading),
        head.meta,
        head.extra
    );
    o
}

/// A legend line: a swatch (`class`, `label`) and its meaning per item.
pub(crate) fn legend(o: &mut String, items: &[(&str, &str, &str)]) {
    o.push_str("<div class=\"legend\"><strong>Legend:</strong>");
    for (class, label, meaning) in items {
        let _ = write!(
            o,
            "<span><span class=\"sw {class}\">{label}</span>{meaning}</span>"
        );
    }
    o.push_str("</div>");
}

/// The footer (`from` says what the report was made from, HTML) and the
/// end of the page.
pub(crate) fn close(o: &mut String, from: &str) {
    let _ = writeln!(
        o,
        "<footer>Generated by smbguard {}{from}. Self-contained: no script, no external resources.</footer></main></body></html>",
        env!("CARGO_PKG_VERSION")
    );
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
