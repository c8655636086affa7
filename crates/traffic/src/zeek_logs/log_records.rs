//! Zeek ASCII logs, either form ([Zeek: Logging framework, ASCII
//! writer](https://docs.zeek.org/en/master/frameworks/logging.html)): TSV
//! with `#separator`, `#path` and `#fields` headers (`-` unset,
//! `(empty)` empty, sets joined by `,`), or one JSON object per line.
//! Only splits lines into (field, value) pairs; `zeek_logs.rs` reads them.

use std::collections::BTreeMap;

/// One log line: field name to value (unset fields are absent; a set or
/// vector is its elements joined by `,`).
pub(crate) type Fields = BTreeMap<String, String>;

/// What a line turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line {
    /// A header or blank line: nothing to read.
    Header,
    /// A record.
    Record(Fields),
}

/// Per-file TSV header state (JSON needs none).
#[derive(Debug)]
pub(crate) struct TsvHeader {
    separator: char,
    pub(crate) path: Option<String>,
    fields: Option<Vec<String>>,
}

impl Default for TsvHeader {
    fn default() -> Self {
        Self {
            separator: '\t',
            path: None,
            fields: None,
        }
    }
}

/// Parses one line of a TSV log.
pub(crate) fn parse_tsv_line(header: &mut TsvHeader, line: &str) -> Result<Line, &'static str> {
    if line.trim().is_empty() {
        return Ok(Line::Header);
    }
    if let Some(directive) = line.strip_prefix('#') {
        if let Some(value) = directive.strip_prefix("separator ") {
            header.separator = parse_separator(value.trim()).ok_or("bad #separator")?;
        } else if let Some(rest) = directive.strip_prefix("path") {
            header.path = Some(rest.trim_start_matches(header.separator).trim().to_owned());
        } else if let Some(rest) = directive.strip_prefix("fields") {
            let sep = header.separator;
            header.fields = Some(
                rest.trim_start_matches(sep)
                    .split(sep)
                    .map(str::to_owned)
                    .collect(),
            );
        }
        return Ok(Line::Header);
    }
    let names = header
        .fields
        .as_ref()
        .ok_or("data before the #fields header")?;
    let mut out = Fields::new();
    for (name, value) in names.iter().zip(line.split(header.separator)) {
        match value {
            "-" => {}
            "(empty)" => {
                out.insert(name.clone(), String::new());
            }
            v => {
                out.insert(name.clone(), unescape(v));
            }
        }
    }
    Ok(Line::Record(out))
}

/// Undoes the ASCII writer's escaping: `\\` is a backslash, `\xNN` a
/// byte (the separator, control characters). Bytes that are not UTF-8
/// become U+FFFD.
fn unescape(v: &str) -> String {
    if !v.contains('\\') {
        return v.to_owned();
    }
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 2..i + 4)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (b[i], b.get(i + 1)) {
            (b'\\', Some(b'\\')) => {
                out.push(b'\\');
                i += 2;
            }
            (b'\\', Some(b'x')) if hex.and_then(|h| u8::from_str_radix(h, 16).ok()).is_some() => {
                out.extend(hex.and_then(|h| u8::from_str_radix(h, 16).ok()));
                i += 4;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses one line of a JSON log.
pub(crate) fn parse_json_line(line: &str) -> Result<Line, &'static str> {
    if line.trim().is_empty() {
        return Ok(Line::Header);
    }
    let value: serde_json::Value = serde_json::from_str(line).map_err(|_| "not a JSON object")?;
    let object = value.as_object().ok_or("not a JSON object")?;
    let mut out = Fields::new();
    for (name, v) in object {
        let text = match v {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(","),
            other => other.to_string(),
        };
        out.insert(name.clone(), text);
    }
    Ok(Line::Record(out))
}

/// `#separator` values are written escaped, e.g. `\x09`.
fn parse_separator(value: &str) -> Option<char> {
    match value.strip_prefix("\\x") {
        Some(hex) => u8::from_str_radix(hex, 16).ok().map(char::from),
        None => value.chars().next().filter(|_| value.chars().count() == 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_header_unset_and_empty() {
        let mut h = TsvHeader::default();
        for l in [
            "#separator \\x09",
            "#path\tsmb_mapping",
            "#fields\tts\tuid\tpath\tservice",
        ] {
            assert_eq!(parse_tsv_line(&mut h, l), Ok(Line::Header));
        }
        assert_eq!(h.path.as_deref(), Some("smb_mapping"));
        // Zeek writes a backslash as `\\` and the separator as `\x09`.
        let line = "1.5\tCx\t\\\\\\\\h\\\\C$\\x09\t-";
        let Ok(Line::Record(f)) = parse_tsv_line(&mut h, line) else {
            panic!("record expected");
        };
        assert_eq!(f.get("path").map(String::as_str), Some("\\\\h\\C$\t"));
        assert!(!f.contains_key("service"));
        assert!(parse_tsv_line(&mut TsvHeader::default(), "1\t2").is_err());
    }

    #[test]
    fn json_values_become_text() {
        let Ok(Line::Record(f)) =
            parse_json_line(r#"{"ts":1.5,"uid":"C1","id.resp_p":445,"x":null,"s":["a","b"]}"#)
        else {
            panic!("record expected");
        };
        assert_eq!(f["ts"], "1.5");
        assert_eq!(f["id.resp_p"], "445");
        assert_eq!(f["s"], "a,b");
        assert!(!f.contains_key("x"));
        assert!(parse_json_line("[1]").is_err());
    }
}
