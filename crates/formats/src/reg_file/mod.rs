//! regedit `.reg` exports: `Windows Registry Editor Version 5.00` (regedit and
//! `reg export` write it as UTF-16LE with a byte-order mark) and `REGEDIT4`
//! (ANSI, in the machine's code page).
//!
//! [`read_reg_file`] returns every value as a [`RegistryEntry`] (the type the
//! `Registry.pol` reader returns, key without the root key) with its root key
//! and line, and the deletions (`[-KEY]`, `"name"=-`) separately. Data is typed
//! as in [`RegData::decode`]: a typed variant only when it is the canonical
//! encoding; `hex(2)`/`hex(7)` strings of a `REGEDIT4` file are ANSI text and
//! are decoded in the file's code page.
//!
//! A line that does not follow the grammar is skipped and reported in
//! [`RegFile::skipped`] with its line number; only an undecodable file or a
//! missing header is an error. Which firewall store a key belongs to is
//! [`crate::firewall_store`]'s business.

mod reg_records;

use serde::Serialize;

use crate::registry_pol::{RegData, RegType, RegistryEntry};
use crate::text::{TextEncoding, code_page_encoding, decode_text, lines};
use crate::{Error, ErrorKind, utf16};
use reg_records::{RawData, Record, continues, parse_line};

/// Which header the file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RegFormat {
    /// `Windows Registry Editor Version 5.00` (Unicode data in `hex(N)` values).
    Regedit5,
    /// `REGEDIT4` (ANSI data in `hex(N)` values).
    Regedit4,
}

/// A predefined root key, as the first component of a key path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum RootKey {
    /// `HKEY_LOCAL_MACHINE` (`HKLM`).
    LocalMachine,
    /// `HKEY_CURRENT_USER` (`HKCU`).
    CurrentUser,
    /// `HKEY_CLASSES_ROOT` (`HKCR`).
    ClassesRoot,
    /// `HKEY_USERS` (`HKU`).
    Users,
    /// `HKEY_CURRENT_CONFIG` (`HKCC`).
    CurrentConfig,
}

impl RootKey {
    /// Parses a root key name, long or short, case-insensitively.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        let upper = name.to_ascii_uppercase();
        Some(match upper.as_str() {
            "HKEY_LOCAL_MACHINE" | "HKLM" => Self::LocalMachine,
            "HKEY_CURRENT_USER" | "HKCU" => Self::CurrentUser,
            "HKEY_CLASSES_ROOT" | "HKCR" => Self::ClassesRoot,
            "HKEY_USERS" | "HKU" => Self::Users,
            "HKEY_CURRENT_CONFIG" | "HKCC" => Self::CurrentConfig,
            _ => return None,
        })
    }
}

/// A value set by the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegValue {
    /// 1-based line of the value (its first line, when continued).
    pub line: usize,
    /// The root key of its key.
    pub root: RootKey,
    /// Key below the root, value name (empty for `@`), type and data.
    pub entry: RegistryEntry,
}

/// A key (`[-KEY]`) or value (`"name"=-`) the file deletes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegDeletion {
    /// 1-based line.
    pub line: usize,
    /// The root key.
    pub root: RootKey,
    /// Key below the root.
    pub key: String,
    /// The value name, or `None` when the whole key is deleted.
    pub value: Option<String>,
}

/// A `.reg` file read by [`read_reg_file`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegFile {
    /// The header.
    pub format: RegFormat,
    /// How the bytes were decoded.
    pub encoding: TextEncoding,
    /// Values in file order.
    pub values: Vec<RegValue>,
    /// Deletions in file order.
    pub deletions: Vec<RegDeletion>,
    /// Lines skipped, each with its line number and what was wrong.
    pub skipped: Vec<Error>,
}

impl RegFile {
    /// The values as bare registry entries, in file order.
    #[must_use]
    pub fn entries(&self) -> Vec<RegistryEntry> {
        self.values.iter().map(|v| v.entry.clone()).collect()
    }
}

const HEADER5: &str = "Windows Registry Editor Version 5.00";
const HEADER4: &str = "REGEDIT4";

/// Reads a `.reg` file. `code_page` decodes files that are neither UTF-16 nor
/// UTF-8 (`REGEDIT4` files and ANSI copies; 1252 for Western European Windows).
///
/// # Errors
/// [`ErrorKind::Undecodable`] or [`ErrorKind::MissingHeader`] (at line 1 or
/// the header's line); malformed lines are not errors but
/// [`RegFile::skipped`].
pub fn read_reg_file(bytes: &[u8], code_page: u16) -> Result<RegFile, Error> {
    let (text, encoding) = decode_text(bytes, code_page)?;
    let mut physical = lines(&text).enumerate().map(|(i, l)| (i + 1, l));
    let format = header(&mut physical)?;
    let mut reader = Reader {
        file: RegFile {
            format,
            encoding,
            values: Vec::new(),
            deletions: Vec::new(),
            skipped: Vec::new(),
        },
        current: Current::None,
        code_page,
    };
    while let Some((number, first)) = physical.next() {
        let mut logical = first.to_owned();
        while continues(&logical) {
            let Some((_, next)) = physical.next() else {
                break;
            };
            logical.truncate(logical.trim_end().len() - 1);
            logical.push_str(next.trim_start());
        }
        reader.record(number, &logical);
    }
    Ok(reader.file)
}

fn header<'a>(lines: &mut impl Iterator<Item = (usize, &'a str)>) -> Result<RegFormat, Error> {
    for (number, line) in lines {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        return if line.eq_ignore_ascii_case(HEADER5) {
            Ok(RegFormat::Regedit5)
        } else if line.eq_ignore_ascii_case(HEADER4) {
            Ok(RegFormat::Regedit4)
        } else {
            Err(Error::line(number, missing_header(line)))
        };
    }
    Err(Error::line(1, missing_header("")))
}

fn missing_header(found: &str) -> ErrorKind {
    ErrorKind::MissingHeader {
        expected: "`Windows Registry Editor Version 5.00` or `REGEDIT4`",
        found: crate::error::clip(found),
    }
}

/// The key that values on the following lines belong to.
enum Current {
    /// No key header yet.
    None,
    /// Values go to this key.
    Key(RootKey, String),
    /// After `[-KEY]` or an unusable header: values are skipped.
    Ignored,
}

struct Reader {
    file: RegFile,
    current: Current,
    code_page: u16,
}

impl Reader {
    fn record(&mut self, line: usize, text: &str) {
        let outcome = parse_line(text).and_then(|record| match record {
            None => Ok(()),
            Some(Record::Key { path, delete }) => self.key(line, &path, delete),
            Some(Record::Value { name, data }) => self.value(line, name, data, text),
        });
        if let Err(kind) = outcome {
            self.file.skipped.push(Error::line(line, kind));
        }
    }

    fn key(&mut self, line: usize, path: &str, delete: bool) -> Result<(), ErrorKind> {
        let (root, key) = path.split_once('\\').unwrap_or((path, ""));
        let Some(root) = RootKey::from_name(root) else {
            self.current = Current::Ignored;
            return Err(ErrorKind::syntax("unknown root key", path));
        };
        let key = key.trim_end_matches('\\').to_owned();
        if delete {
            self.current = Current::Ignored;
            self.file.deletions.push(RegDeletion {
                line,
                root,
                key,
                value: None,
            });
        } else {
            self.current = Current::Key(root, key);
        }
        Ok(())
    }

    fn value(
        &mut self,
        line: usize,
        name: String,
        data: RawData,
        text: &str,
    ) -> Result<(), ErrorKind> {
        let (root, key) = match &self.current {
            Current::Key(root, key) => (*root, key.clone()),
            Current::None => return Err(ErrorKind::syntax("value before any key header", text)),
            Current::Ignored => {
                return Err(ErrorKind::syntax(
                    "value under a deleted or unusable key",
                    text,
                ));
            }
        };
        let (kind, data) = match data {
            RawData::Delete => {
                self.file.deletions.push(RegDeletion {
                    line,
                    root,
                    key,
                    value: Some(name),
                });
                return Ok(());
            }
            RawData::String(s) => string_data(s),
            RawData::Dword(v) => (RegType::Dword, RegData::Dword(v)),
            RawData::Hex { kind: None, bytes } => (RegType::Binary, RegData::Bytes(bytes)),
            RawData::Hex {
                kind: Some(code),
                bytes,
            } => self.hex_data(code, bytes),
        };
        let entry = RegistryEntry {
            key,
            value: name,
            kind,
            data,
        };
        self.file.values.push(RegValue { line, root, entry });
        Ok(())
    }

    fn hex_data(&self, code: u32, bytes: Vec<u8>) -> (RegType, RegData) {
        let kind = RegType::from_code(code);
        let ansi = self.file.format == RegFormat::Regedit4
            && matches!(kind, RegType::ExpandSz | RegType::MultiSz);
        let data = match ansi
            .then(|| ansi_data(kind, &bytes, self.code_page))
            .flatten()
        {
            Some(data) => data,
            None => RegData::decode(kind, &bytes),
        };
        (kind, data)
    }
}

/// A quoted string is REG_SZ; one holding a NUL has no canonical typed form.
fn string_data(s: String) -> (RegType, RegData) {
    if s.contains('\0') {
        let mut bytes = Vec::new();
        utf16::encode_nul(&s, &mut bytes);
        return (RegType::Sz, RegData::Bytes(bytes));
    }
    (RegType::Sz, RegData::String(s))
}

/// `REGEDIT4` strings in `hex(2)`/`hex(7)`: NUL-terminated ANSI text.
fn ansi_data(kind: RegType, bytes: &[u8], code_page: u16) -> Option<RegData> {
    let encoding = code_page_encoding(code_page)?;
    let body = bytes.strip_suffix(&[0])?;
    let decode = |b: &[u8]| {
        encoding
            .decode_without_bom_handling_and_without_replacement(b)
            .map(|s| s.into_owned())
            .filter(|s| !s.is_empty() && !s.contains('\0'))
    };
    match kind {
        RegType::ExpandSz if body.is_empty() => Some(RegData::String(String::new())),
        RegType::ExpandSz => decode(body).map(RegData::String),
        RegType::MultiSz if body.is_empty() => Some(RegData::MultiString(Vec::new())),
        RegType::MultiSz => body
            .strip_suffix(&[0])?
            .split(|b| *b == 0)
            .map(decode)
            .collect::<Option<Vec<_>>>()
            .map(RegData::MultiString),
        _ => None,
    }
}
