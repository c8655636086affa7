//! The line grammar of regedit's `.reg` files, parse only (the sibling
//! `mod.rs` turns records into typed registry entries).
//!
//! ```text
//! [HKEY_LOCAL_MACHINE\KEY\PATH]        key header
//! [-HKEY_LOCAL_MACHINE\KEY\PATH]       delete the key
//! "Name"="text with \\ and \""         REG_SZ (only \\ and \" are escapes)
//! @=...                                the key's default value
//! "Name"=dword:0000001f                REG_DWORD
//! "Name"=hex:01,02,\                   REG_BINARY, continued on the next line
//!   03
//! "Name"=hex(7):41,00,00,00,00,00      any type code in hex (here REG_MULTI_SZ)
//! "Name"=-                             delete the value
//! ; comment
//! ```

use crate::ErrorKind;

/// One logical line of a `.reg` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Record {
    /// `[KEY]`, or `[-KEY]` when `delete` is set; `path` includes the root key name.
    Key { path: String, delete: bool },
    /// `"name"=data` or `@=data`.
    Value { name: String, data: RawData },
}

/// The data of a value line, before type interpretation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawData {
    /// `"..."`, unescaped.
    String(String),
    /// `dword:XXXXXXXX`.
    Dword(u32),
    /// `hex:` (type `None`, meaning REG_BINARY) or `hex(N):`.
    Hex { kind: Option<u32>, bytes: Vec<u8> },
    /// `-`.
    Delete,
}

/// Whether a physical line continues on the next one: a hex value whose text
/// ends with a backslash.
pub(crate) fn continues(line: &str) -> bool {
    let trimmed = line.trim_end();
    trimmed.ends_with('\\') && is_hex_value(trimmed)
}

fn is_hex_value(line: &str) -> bool {
    let Ok((_, rest)) = split_name(line.trim_start()) else {
        return false;
    };
    let data = rest.trim_start().strip_prefix('=').map(str::trim_start);
    data.and_then(|d| d.get(..3))
        .is_some_and(|h| h.eq_ignore_ascii_case("hex"))
}

/// Parses one logical line; `Ok(None)` for blank lines and comments.
pub(crate) fn parse_line(line: &str) -> Result<Option<Record>, ErrorKind> {
    let line = line.trim();
    if line.is_empty() || line.starts_with(';') {
        return Ok(None);
    }
    if let Some(inner) = line.strip_prefix('[') {
        let inner = inner
            .strip_suffix(']')
            .ok_or_else(|| ErrorKind::syntax("key header without a closing `]`", line))?;
        let (delete, path) = match inner.strip_prefix('-') {
            Some(path) => (true, path),
            None => (false, inner),
        };
        if path.trim().is_empty() {
            return Err(ErrorKind::syntax("empty key path", line));
        }
        return Ok(Some(Record::Key {
            path: path.trim().to_owned(),
            delete,
        }));
    }
    let (name, rest) = split_name(line)?;
    let rest = rest
        .trim_start()
        .strip_prefix('=')
        .ok_or_else(|| ErrorKind::syntax("expected `=` after the value name", line))?;
    let data = parse_data(rest.trim())?;
    Ok(Some(Record::Value { name, data }))
}

/// The value name (`@` or a quoted string) and the text after it.
fn split_name(line: &str) -> Result<(String, &str), ErrorKind> {
    if let Some(rest) = line.strip_prefix('@') {
        return Ok((String::new(), rest));
    }
    match line.strip_prefix('"') {
        Some(body) => {
            quoted(body).ok_or_else(|| ErrorKind::syntax("unterminated value name", line))
        }
        None => Err(ErrorKind::syntax(
            "expected a key header, `\"name\"=` or `@=`",
            line,
        )),
    }
}

/// The unescaped text up to the closing quote, and what follows it.
/// Only `\\` and `\"` are escapes; any other backslash is kept as written.
fn quoted(body: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &body[i + 1..])),
            '\\' => match chars.clone().next() {
                Some((_, e @ ('\\' | '"'))) => {
                    out.push(e);
                    chars.next();
                }
                _ => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    None
}

fn parse_data(text: &str) -> Result<RawData, ErrorKind> {
    if text == "-" {
        return Ok(RawData::Delete);
    }
    if let Some(body) = text.strip_prefix('"') {
        let (s, rest) =
            quoted(body).ok_or_else(|| ErrorKind::syntax("unterminated string data", text))?;
        if !rest.trim().is_empty() {
            return Err(ErrorKind::syntax("text after the closing quote", text));
        }
        return Ok(RawData::String(s));
    }
    let lower = text.get(..6).map(str::to_ascii_lowercase);
    if lower.as_deref() == Some("dword:") {
        let digits = text[6..].trim();
        let ok = (1..=8).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_hexdigit());
        return match u32::from_str_radix(digits, 16) {
            Ok(v) if ok => Ok(RawData::Dword(v)),
            _ => Err(ErrorKind::syntax("dword needs 1 to 8 hex digits", text)),
        };
    }
    parse_hex(text)
}

fn parse_hex(text: &str) -> Result<RawData, ErrorKind> {
    let bad = || ErrorKind::syntax("expected a string, dword:, hex: or hex(N):", text);
    let head = text
        .get(..3)
        .filter(|h| h.eq_ignore_ascii_case("hex"))
        .ok_or_else(bad)?;
    let rest = &text[head.len()..];
    let (kind, list) = if let Some(after) = rest.strip_prefix('(') {
        let (code, list) = after.split_once("):").ok_or_else(bad)?;
        let code = code.trim();
        let ok = (1..=8).contains(&code.len()) && code.chars().all(|c| c.is_ascii_hexdigit());
        match u32::from_str_radix(code, 16) {
            Ok(v) if ok => (Some(v), list),
            _ => return Err(ErrorKind::syntax("hex(N) needs a hex type code", text)),
        }
    } else {
        (None, rest.strip_prefix(':').ok_or_else(bad)?)
    };
    let bytes = hex_list(list).ok_or_else(|| ErrorKind::syntax("bad hex byte list", text))?;
    Ok(RawData::Hex { kind, bytes })
}

/// `aa,bb, cc,` (whitespace and one trailing comma allowed).
fn hex_list(list: &str) -> Option<Vec<u8>> {
    let list = list.trim();
    let list = list.strip_suffix(',').unwrap_or(list);
    if list.trim().is_empty() {
        return Some(Vec::new());
    }
    list.split(',')
        .map(|b| {
            let b = b.trim();
            let ok = (1..=2).contains(&b.len()) && b.chars().all(|c| c.is_ascii_hexdigit());
            if ok {
                u8::from_str_radix(b, 16).ok()
            } else {
                None
            }
        })
        .collect()
}
