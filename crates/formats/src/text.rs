//! Turning the bytes of a Windows text export into a `String`: byte-order
//! marks, UTF-16 without a mark, UTF-8, and the Windows ANSI code pages
//! (through `encoding_rs`), which is what `regedit`, `reg export`,
//! PowerShell 5.1's `Set-Content`/`Out-File` and Excel write.

use serde::Serialize;

use crate::{Error, ErrorKind, Location};

/// How the bytes of a text file were decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TextEncoding {
    /// UTF-16 little endian (with or without a byte-order mark).
    Utf16Le,
    /// UTF-16 big endian (with a byte-order mark).
    Utf16Be,
    /// UTF-8 (with or without a byte-order mark).
    Utf8,
    /// A Windows code page (e.g. 1252), used when the bytes are not UTF-8.
    CodePage(u16),
}

/// The `encoding_rs` encoding of a Windows code page number, if it knows one.
///
/// The numbers are those of `GetACP` / `[Console]::OutputEncoding.CodePage`.
#[must_use]
pub fn code_page_encoding(code_page: u16) -> Option<&'static encoding_rs::Encoding> {
    let label = match code_page {
        866 => "ibm866".to_owned(),
        874 => "windows-874".to_owned(),
        932 => "shift_jis".to_owned(),
        936 => "gbk".to_owned(),
        949 => "euc-kr".to_owned(),
        950 => "big5".to_owned(),
        1250..=1258 => format!("windows-{code_page}"),
        20866 => "koi8-r".to_owned(),
        21866 => "koi8-u".to_owned(),
        28592..=28606 => format!("iso-8859-{}", code_page - 28590),
        54936 => "gb18030".to_owned(),
        65001 => "utf-8".to_owned(),
        _ => return None,
    };
    encoding_rs::Encoding::for_label(label.as_bytes())
}

/// Decodes `bytes`: a byte-order mark wins; then UTF-16LE is recognised by
/// zero high bytes at the start (PowerShell and regedit always write a mark,
/// hand-made copies sometimes lose it); then UTF-8 if the bytes are valid
/// UTF-8; otherwise the ANSI `code_page`.
///
/// # Errors
/// [`ErrorKind::Undecodable`] for UTF-16 of odd length or with unpaired
/// surrogates, or an unknown code page.
pub fn decode_text(bytes: &[u8], code_page: u16) -> Result<(String, TextEncoding), Error> {
    let file = |why| Error::new(Location::Line { line: 1 }, ErrorKind::Undecodable(why));
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, u16::from_le_bytes).map(|s| (s, TextEncoding::Utf16Le));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, u16::from_be_bytes).map(|s| (s, TextEncoding::Utf16Be));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return match std::str::from_utf8(rest) {
            Ok(s) => Ok((s.to_owned(), TextEncoding::Utf8)),
            Err(_) => Err(file("invalid UTF-8 after a UTF-8 byte-order mark")),
        };
    }
    if looks_like_utf16le(bytes) {
        return utf16(bytes, u16::from_le_bytes).map(|s| (s, TextEncoding::Utf16Le));
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_owned(), TextEncoding::Utf8));
    }
    let encoding = code_page_encoding(code_page).ok_or_else(|| file("unknown code page"))?;
    let (text, _, _) = encoding.decode(bytes);
    Ok((text.into_owned(), TextEncoding::CodePage(code_page)))
}

/// ASCII text stored as UTF-16LE: every odd byte of the first 32 units is zero
/// and the even bytes are not.
fn looks_like_utf16le(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(64)];
    head.len() >= 4 && head.len() % 2 == 0 && head.chunks_exact(2).all(|c| c[1] == 0 && c[0] != 0)
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, Error> {
    let file = |why| Error::new(Location::Line { line: 1 }, ErrorKind::Undecodable(why));
    if bytes.len() % 2 != 0 {
        return Err(file("UTF-16 text of odd length"));
    }
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| file("UTF-16 text with an unpaired surrogate"))
}

/// Splits text into lines on LF, dropping the CR of a CRLF.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l))
}
