//! `Registry.pol` ("PReg" version 1), [MS-GPREG] §2.2.1.
//!
//! ```text
//! PolicyFile  = Header Body
//! Header      = "PReg" (50 52 65 67) + u32 LE version (1)
//! Instruction = "[" KeyPath ";" Value ";" Type ";" Size ";" Data "]"
//! ```
//! The delimiters and the key/value names are UTF-16LE; `Type` and `Size` are raw
//! little-endian `u32`s; `Data` is `Size` raw bytes.
//!
//! * [`read_registry_pol`] / [`read_registry_pol_partial`] parse a file into
//!   [`RegistryEntry`] values, keeping file order (§2.2.1: "the order of the
//!   Instruction elements is significant").
//! * [`write_registry_pol`] writes a canonical file (GPMC layout: NUL-terminated
//!   names, REG_SZ data with its NUL terminator). For every list it accepts,
//!   `read(write(entries)) == entries`.
//! * [`Directive`] and [`resolve`] interpret the special `**` value names
//!   ([MS-GPREG] §3.2.5.1).
//!
//! The data of each entry is decoded into a typed [`RegData`] only when the
//! canonical encoding of that typed value reproduces the original bytes exactly;
//! otherwise it stays [`RegData::Bytes`]. Reading is therefore lossless.

mod directive;
mod reader;
mod writer;

use serde::{Deserialize, Serialize};

pub use directive::{Directive, ResolveWarning, Resolved, resolve};
pub use reader::{PolReadOutcome, read_registry_pol, read_registry_pol_partial};
pub use writer::{MAX_DATA_SIZE, write_registry_pol};

use crate::utf16;

/// The 8-byte header of a version-1 `Registry.pol` file.
pub const HEADER: [u8; 8] = [0x50, 0x52, 0x65, 0x67, 0x01, 0x00, 0x00, 0x00];

/// A registry value type ([MS-GPREG] §2.2.1 `Type`, winnt.h `REG_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RegType {
    /// `REG_NONE` (0).
    None,
    /// `REG_SZ` (1).
    Sz,
    /// `REG_EXPAND_SZ` (2).
    ExpandSz,
    /// `REG_BINARY` (3).
    Binary,
    /// `REG_DWORD` (4), little endian.
    Dword,
    /// `REG_DWORD_BIG_ENDIAN` (5).
    DwordBigEndian,
    /// `REG_MULTI_SZ` (7).
    MultiSz,
    /// `REG_QWORD` (11), little endian.
    Qword,
    /// Any other type code (e.g. `REG_LINK` = 6). Never holds one of the codes above.
    Other(u32),
}

impl RegType {
    /// Maps a raw type code to a [`RegType`].
    #[must_use]
    pub fn from_code(code: u32) -> Self {
        match code {
            0 => Self::None,
            1 => Self::Sz,
            2 => Self::ExpandSz,
            3 => Self::Binary,
            4 => Self::Dword,
            5 => Self::DwordBigEndian,
            7 => Self::MultiSz,
            11 => Self::Qword,
            other => Self::Other(other),
        }
    }

    /// The raw type code written to the file.
    #[must_use]
    pub fn code(self) -> u32 {
        match self {
            Self::None => 0,
            Self::Sz => 1,
            Self::ExpandSz => 2,
            Self::Binary => 3,
            Self::Dword => 4,
            Self::DwordBigEndian => 5,
            Self::MultiSz => 7,
            Self::Qword => 11,
            Self::Other(code) => code,
        }
    }
}

/// The data of a registry value.
///
/// The reader produces a typed variant only when the canonical encoding of the
/// typed value (see [`RegData::encode`]) is byte-identical to the file's data;
/// anything else is kept as [`RegData::Bytes`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RegData {
    /// `REG_SZ` / `REG_EXPAND_SZ`: UTF-16LE text followed by one UTF-16 NUL, no interior NUL.
    String(String),
    /// `REG_MULTI_SZ`: each string NUL-terminated, then one more NUL; an empty
    /// list is a single NUL. Elements are non-empty and contain no NUL.
    MultiString(Vec<String>),
    /// `REG_DWORD` (4 bytes LE) or `REG_DWORD_BIG_ENDIAN` (4 bytes BE).
    Dword(u32),
    /// `REG_QWORD`: 8 bytes LE.
    Qword(u64),
    /// Raw bytes: `REG_BINARY`, `REG_NONE`, unknown types, and any data that is
    /// not in the canonical form of its type (e.g. a REG_SZ without terminator,
    /// or Samba's 8-bit `**DeleteKeys` lists).
    Bytes(Vec<u8>),
}

impl RegData {
    /// Encodes the data as it is stored in a file for a value of type `kind`.
    ///
    /// `kind` only matters for [`RegData::Dword`] (big endian for
    /// [`RegType::DwordBigEndian`]).
    #[must_use]
    pub fn encode(&self, kind: RegType) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Self::String(s) => utf16::encode_nul(s, &mut out),
            Self::MultiString(items) => {
                for item in items {
                    utf16::encode_nul(item, &mut out);
                }
                out.extend_from_slice(&[0, 0]);
            }
            Self::Dword(v) => {
                if kind == RegType::DwordBigEndian {
                    out.extend_from_slice(&v.to_be_bytes());
                } else {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
            Self::Qword(v) => out.extend_from_slice(&v.to_le_bytes()),
            Self::Bytes(b) => out.extend_from_slice(b),
        }
        out
    }

    /// Decodes raw `bytes` of a value of type `kind` (lossless, see the type docs).
    #[must_use]
    pub fn decode(kind: RegType, bytes: &[u8]) -> Self {
        let typed = match kind {
            RegType::Sz | RegType::ExpandSz => decode_string(bytes).map(Self::String),
            RegType::MultiSz => decode_multi(bytes).map(Self::MultiString),
            RegType::Dword => <[u8; 4]>::try_from(bytes)
                .ok()
                .map(|b| Self::Dword(u32::from_le_bytes(b))),
            RegType::DwordBigEndian => <[u8; 4]>::try_from(bytes)
                .ok()
                .map(|b| Self::Dword(u32::from_be_bytes(b))),
            RegType::Qword => <[u8; 8]>::try_from(bytes)
                .ok()
                .map(|b| Self::Qword(u64::from_le_bytes(b))),
            RegType::None | RegType::Binary | RegType::Other(_) => None,
        };
        match typed {
            Some(data) if data.encode(kind) == bytes => data,
            _ => Self::Bytes(bytes.to_vec()),
        }
    }

    /// The string, if this is [`RegData::String`].
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value, if this is [`RegData::Dword`].
    #[must_use]
    pub fn as_dword(&self) -> Option<u32> {
        match self {
            Self::Dword(v) => Some(*v),
            _ => None,
        }
    }

    /// Whether this data variant can be written for a value of type `kind`
    /// such that reading it back yields the same variant.
    #[must_use]
    pub fn fits(&self, kind: RegType) -> bool {
        match self {
            Self::String(_) => matches!(kind, RegType::Sz | RegType::ExpandSz),
            Self::MultiString(_) => kind == RegType::MultiSz,
            Self::Dword(_) => matches!(kind, RegType::Dword | RegType::DwordBigEndian),
            Self::Qword(_) => kind == RegType::Qword,
            Self::Bytes(_) => true,
        }
    }
}

/// Canonical REG_SZ: even length, exactly one trailing UTF-16 NUL, valid UTF-16.
fn decode_string(bytes: &[u8]) -> Option<String> {
    let units = utf16::units(bytes)?;
    let (last, body) = units.split_last()?;
    if *last != 0 || body.contains(&0) {
        return None;
    }
    String::from_utf16(body).ok()
}

/// Canonical REG_MULTI_SZ: `s1 NUL s2 NUL ... NUL`, non-empty elements; `NUL` alone = empty list.
fn decode_multi(bytes: &[u8]) -> Option<Vec<String>> {
    let units = utf16::units(bytes)?;
    let (last, body) = units.split_last()?;
    if *last != 0 {
        return None;
    }
    if body.is_empty() {
        return Some(Vec::new());
    }
    let (body_last, items) = body.split_last()?;
    if *body_last != 0 {
        return None;
    }
    items
        .split(|u| *u == 0)
        .map(|piece| {
            if piece.is_empty() {
                None
            } else {
                String::from_utf16(piece).ok()
            }
        })
        .collect()
}

/// One `[key;value;type;size;data]` instruction of a `Registry.pol` file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RegistryEntry {
    /// Key path without hive, e.g. `SOFTWARE\Policies\Microsoft\WindowsFirewall`.
    pub key: String,
    /// Value name; may be a special `**` name (see [`Directive`]).
    pub value: String,
    /// Value type.
    pub kind: RegType,
    /// Value data.
    pub data: RegData,
}

impl RegistryEntry {
    /// A `REG_SZ` value.
    pub fn sz(key: impl Into<String>, value: impl Into<String>, data: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
            kind: RegType::Sz,
            data: RegData::String(data.into()),
        }
    }

    /// A `REG_DWORD` value.
    pub fn dword(key: impl Into<String>, value: impl Into<String>, data: u32) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
            kind: RegType::Dword,
            data: RegData::Dword(data),
        }
    }

    /// The encoded data bytes of this entry.
    #[must_use]
    pub fn data_bytes(&self) -> Vec<u8> {
        self.data.encode(self.kind)
    }

    /// Classifies the value name ([MS-GPREG] §3.2.5.1 special values).
    #[must_use]
    pub fn directive(&self) -> Directive {
        Directive::of(self)
    }
}

/// Case-insensitive (ASCII) comparison of registry key paths, ignoring a trailing `\`.
#[must_use]
pub fn key_eq(a: &str, b: &str) -> bool {
    a.trim_end_matches('\\')
        .eq_ignore_ascii_case(b.trim_end_matches('\\'))
}
