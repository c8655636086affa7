//! Byte-level `Registry.pol` reader ([MS-GPREG] §2.2.1).
//!
//! Accepted variants (all observed in real writers):
//! * key and value names terminated by a UTF-16 NUL before the `;` (Windows,
//!   GPMC, `GPRegistryPolicyParser`), or not terminated at all (Samba's
//!   `patchfile_preg.c` writes the names without NUL). See [`read_name`] for how
//!   the two are told apart.
//! * any type code and any data size (the spec caps data at 65535 bytes; the
//!   reader does not, the writer does).

use serde::Serialize;
use thiserror::Error;

use super::{HEADER, RegData, RegType, RegistryEntry};

const OPEN: u16 = b'[' as u16;
const CLOSE: u16 = b']' as u16;
const SEMI: u16 = b';' as u16;

/// What went wrong while reading a `Registry.pol` file.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
pub enum PolErrorKind {
    /// The file does not start with the `PReg` signature.
    #[error("missing `PReg` signature")]
    BadSignature,
    /// The header announces a version other than 1.
    #[error("unsupported Registry.pol version {0} (only version 1 exists)")]
    UnsupportedVersion(u32),
    /// The file ends in the middle of an instruction.
    #[error("unexpected end of file while reading {0}")]
    Truncated(&'static str),
    /// A delimiter (`[`, `;`, `]`) was expected.
    #[error("expected `{expected}`, found UTF-16 unit {found:#06x}")]
    ExpectedDelimiter {
        /// The delimiter the grammar requires here.
        expected: char,
        /// The UTF-16 code unit found instead.
        found: u16,
    },
    /// A key or value name is not valid UTF-16 (unpaired surrogate).
    #[error("{0} name is not valid UTF-16")]
    InvalidName(&'static str),
    /// The `Size` field exceeds the bytes left in the file.
    #[error("data size {size} exceeds the {available} bytes left in the file")]
    DataTooLong {
        /// Declared size.
        size: u32,
        /// Bytes remaining after the `Size` field's delimiter.
        available: usize,
    },
}

/// A read error with the byte offset at which it was detected.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[error("Registry.pol: {kind} (at byte offset {offset}, entry #{entry_index})")]
pub struct PolError {
    /// Byte offset into the file.
    pub offset: usize,
    /// Index of the instruction being read (0-based; equals the number of
    /// entries read successfully before the error).
    pub entry_index: usize,
    /// What went wrong.
    pub kind: PolErrorKind,
}

/// Result of a lenient read: every entry read before the first error, plus that error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolReadOutcome {
    /// Entries in file order.
    pub entries: Vec<RegistryEntry>,
    /// The error that stopped reading, if any.
    pub error: Option<PolError>,
}

/// Reads a whole `Registry.pol` file; fails on the first malformed byte.
///
/// # Errors
/// A [`PolError`] with the byte offset of the problem.
pub fn read_registry_pol(bytes: &[u8]) -> Result<Vec<RegistryEntry>, PolError> {
    let outcome = read_registry_pol_partial(bytes);
    match outcome.error {
        Some(err) => Err(err),
        None => Ok(outcome.entries),
    }
}

/// Reads a `Registry.pol` file, returning the entries read before any error.
#[must_use]
pub fn read_registry_pol_partial(bytes: &[u8]) -> PolReadOutcome {
    let mut entries = Vec::new();
    let error = read_into(bytes, &mut entries).err();
    PolReadOutcome { entries, error }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    entry_index: usize,
}

impl Cursor<'_> {
    fn err(&self, offset: usize, kind: PolErrorKind) -> PolError {
        PolError {
            offset,
            entry_index: self.entry_index,
            kind,
        }
    }

    fn unit_at(&self, at: usize) -> Option<u16> {
        let b = self.bytes.get(at..at.checked_add(2)?)?;
        Some(u16::from_le_bytes([b[0], b[1]]))
    }

    fn expect(&mut self, expected: u16, what: &'static str) -> Result<(), PolError> {
        match self.unit_at(self.pos) {
            None => Err(self.err(self.pos, PolErrorKind::Truncated(what))),
            Some(u) if u == expected => {
                self.pos += 2;
                Ok(())
            }
            Some(found) => Err(self.err(
                self.pos,
                PolErrorKind::ExpectedDelimiter {
                    expected: char::from(u8::try_from(expected).unwrap_or(b'?')),
                    found,
                },
            )),
        }
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, PolError> {
        let b = self
            .pos
            .checked_add(4)
            .and_then(|end| self.bytes.get(self.pos..end))
            .ok_or_else(|| self.err(self.pos, PolErrorKind::Truncated(what)))?;
        let v = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        self.pos += 4;
        Ok(v)
    }

    /// Reads a key or value name and consumes the `;` after it.
    ///
    /// Standard form: the name ends at the first UTF-16 NUL that is directly
    /// followed by `;` and no unit before it is a control character (< 0x20).
    /// Otherwise (Samba form, no terminator) the name ends at the first `;`. The
    /// control-character condition prevents mistaking the NUL inside the raw
    /// `Type` field of a Samba-form entry (e.g. `01 00 00 00`) for a terminator;
    /// the writer never emits control characters in names.
    fn read_name(&mut self, what: &'static str) -> Result<String, PolError> {
        let start = self.pos;
        let mut at = start;
        let mut first_semi: Option<usize> = None;
        let mut clean = true; // no control character seen yet
        while let Some(u) = self.unit_at(at) {
            if u == 0 {
                if self.unit_at(at + 2).is_none() {
                    return Err(self.err(at + 2, PolErrorKind::Truncated(what)));
                }
                if clean && self.unit_at(at + 2) == Some(SEMI) {
                    let name = self.name_between(start, at, what)?;
                    self.pos = at + 4;
                    return Ok(name);
                }
                break;
            }
            if u == SEMI && first_semi.is_none() {
                first_semi = Some(at);
            }
            if u < 0x20 {
                clean = false;
            }
            if !clean && first_semi.is_some() {
                break;
            }
            at += 2;
        }
        // Samba form: the name ends at the first `;`.
        match first_semi {
            Some(semi) => {
                let name = self.name_between(start, semi, what)?;
                self.pos = semi + 2;
                Ok(name)
            }
            None => match self.unit_at(at) {
                None => Err(self.err(at, PolErrorKind::Truncated(what))),
                Some(found) => Err(self.err(
                    at,
                    PolErrorKind::ExpectedDelimiter {
                        expected: ';',
                        found,
                    },
                )),
            },
        }
    }

    fn name_between(&self, from: usize, to: usize, what: &'static str) -> Result<String, PolError> {
        let units: Vec<u16> = self.bytes[from..to]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16(&units).map_err(|_| self.err(from, PolErrorKind::InvalidName(what)))
    }
}

fn read_into(bytes: &[u8], entries: &mut Vec<RegistryEntry>) -> Result<(), PolError> {
    let mut cur = Cursor {
        bytes,
        pos: 0,
        entry_index: 0,
    };
    if bytes.len() < 4 || bytes[..4] != HEADER[..4] {
        return Err(cur.err(0, PolErrorKind::BadSignature));
    }
    cur.pos = 4;
    let version = cur.u32("header version")?;
    if version != 1 {
        return Err(cur.err(4, PolErrorKind::UnsupportedVersion(version)));
    }
    while cur.pos < bytes.len() {
        cur.expect(OPEN, "`[`")?;
        let key = cur.read_name("key")?;
        let value = cur.read_name("value")?;
        let kind = RegType::from_code(cur.u32("type")?);
        cur.expect(SEMI, "`;` after type")?;
        let size = cur.u32("size")?;
        cur.expect(SEMI, "`;` after size")?;
        let available = bytes.len() - cur.pos;
        let len = usize::try_from(size).unwrap_or(usize::MAX);
        if len > available {
            return Err(cur.err(cur.pos, PolErrorKind::DataTooLong { size, available }));
        }
        let raw = &bytes[cur.pos..cur.pos + len];
        cur.pos += len;
        cur.expect(CLOSE, "`]`")?;
        entries.push(RegistryEntry {
            key,
            value,
            kind,
            data: RegData::decode(kind, raw),
        });
        cur.entry_index += 1;
    }
    Ok(())
}
