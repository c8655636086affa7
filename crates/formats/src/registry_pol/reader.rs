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

use crate::{Error, ErrorKind, Location};

use super::{HEADER, RegData, RegType, RegistryEntry};

const OPEN: u16 = b'[' as u16;
const CLOSE: u16 = b']' as u16;
const SEMI: u16 = b';' as u16;

/// Result of a lenient read: every entry read before the first error, plus that error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolReadOutcome {
    /// Entries in file order.
    pub entries: Vec<RegistryEntry>,
    /// The error that stopped reading, if any.
    pub error: Option<Error>,
}

/// Reads a whole `Registry.pol` file; fails on the first malformed byte.
///
/// # Errors
/// An [`Error`] at [`Location::PolByte`] with the byte offset of the problem.
pub fn read_registry_pol(bytes: &[u8]) -> Result<Vec<RegistryEntry>, Error> {
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
    fn err(&self, offset: usize, kind: ErrorKind) -> Error {
        let entry_index = self.entry_index;
        Error::new(
            Location::PolByte {
                offset,
                entry_index,
            },
            kind,
        )
    }

    fn unit_at(&self, at: usize) -> Option<u16> {
        let b = self.bytes.get(at..at.checked_add(2)?)?;
        Some(u16::from_le_bytes([b[0], b[1]]))
    }

    fn expect(&mut self, expected: u16, what: &'static str) -> Result<(), Error> {
        match self.unit_at(self.pos) {
            None => Err(self.err(self.pos, ErrorKind::Truncated(what))),
            Some(u) if u == expected => {
                self.pos += 2;
                Ok(())
            }
            Some(found) => Err(self.err(
                self.pos,
                ErrorKind::ExpectedDelimiter {
                    expected: char::from(u8::try_from(expected).unwrap_or(b'?')),
                    found,
                },
            )),
        }
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, Error> {
        let b = self
            .pos
            .checked_add(4)
            .and_then(|end| self.bytes.get(self.pos..end))
            .ok_or_else(|| self.err(self.pos, ErrorKind::Truncated(what)))?;
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
    fn read_name(&mut self, what: &'static str) -> Result<String, Error> {
        let start = self.pos;
        let mut at = start;
        let mut first_semi: Option<usize> = None;
        let mut clean = true; // no control character seen yet
        while let Some(u) = self.unit_at(at) {
            if u == 0 {
                if self.unit_at(at + 2).is_none() {
                    return Err(self.err(at + 2, ErrorKind::Truncated(what)));
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
                None => Err(self.err(at, ErrorKind::Truncated(what))),
                Some(found) => Err(self.err(
                    at,
                    ErrorKind::ExpectedDelimiter {
                        expected: ';',
                        found,
                    },
                )),
            },
        }
    }

    fn name_between(&self, from: usize, to: usize, what: &'static str) -> Result<String, Error> {
        let units: Vec<u16> = self.bytes[from..to]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16(&units).map_err(|_| self.err(from, ErrorKind::InvalidName(what)))
    }
}

fn read_into(bytes: &[u8], entries: &mut Vec<RegistryEntry>) -> Result<(), Error> {
    let mut cur = Cursor {
        bytes,
        pos: 0,
        entry_index: 0,
    };
    if bytes.len() < 4 || bytes[..4] != HEADER[..4] {
        return Err(cur.err(0, ErrorKind::BadSignature));
    }
    cur.pos = 4;
    let version = cur.u32("header version")?;
    if version != 1 {
        return Err(cur.err(4, ErrorKind::UnsupportedVersion(version)));
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
            return Err(cur.err(cur.pos, ErrorKind::DataTooLong { size, available }));
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
