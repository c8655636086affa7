//! Canonical `Registry.pol` writer ([MS-GPREG] §2.2.1).
//!
//! Layout is the one GPMC and `GPRegistryPolicyParser` produce: header
//! `PReg` + version 1, then for each entry `[` key NUL `;` value NUL `;` type
//! `;` size `;` data `]`, delimiters in UTF-16LE, type/size as u32 LE. The output
//! depends only on the entry list, so it is deterministic.

use serde::Serialize;
use thiserror::Error;

use super::{HEADER, RegistryEntry};
use crate::utf16;

/// Largest data size the writer accepts: [MS-GPREG] §2.2.1 `Data = *65535OCTET`.
///
/// For a firewall rule (REG_SZ, UTF-16 with NUL) this means at most 32,767
/// characters including the terminator.
pub const MAX_DATA_SIZE: usize = 65535;

/// Why an entry cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
pub enum PolWriteErrorKind {
    /// The key or value name contains a NUL or another control character
    /// (the grammar's IdCharacter excludes them, and a reader could not find
    /// the end of the name).
    #[error("{0} name contains a control character")]
    ControlCharInName(&'static str),
    /// The data variant does not match the value type (e.g. a string stored as REG_DWORD).
    #[error("data variant does not fit value type {0}")]
    DataKindMismatch(u32),
    /// A string contains a NUL character, which would end it early.
    #[error("string data contains a NUL character")]
    NulInString,
    /// A REG_MULTI_SZ element is empty (an empty element terminates the list).
    #[error("REG_MULTI_SZ element is empty")]
    EmptyMultiStringElement,
    /// [`RegData::Bytes`](super::RegData::Bytes) whose content is the canonical
    /// encoding of a typed value of this type (e.g. 4 bytes for REG_DWORD): use
    /// the typed variant ([`RegData::decode`](super::RegData::decode) gives it),
    /// so that reading the file back yields the same entry.
    #[error("raw bytes have a typed form for value type {0}; use RegData::decode")]
    BytesHaveTypedForm(u32),
    /// The encoded data exceeds [`MAX_DATA_SIZE`].
    #[error("data is {0} bytes; MS-GPREG allows at most 65535")]
    DataTooLarge(usize),
}

/// An entry that cannot be written, with its position and names.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[error("cannot write Registry.pol entry #{index} ({key}!{value}): {kind}")]
pub struct PolWriteError {
    /// Index of the entry in the input list.
    pub index: usize,
    /// Key of the entry.
    pub key: String,
    /// Value name of the entry.
    pub value: String,
    /// What is wrong with it.
    pub kind: PolWriteErrorKind,
}

/// Writes `entries` as a canonical `Registry.pol` file.
///
/// For every list this accepts, [`super::read_registry_pol`] returns an equal list.
///
/// # Errors
/// [`PolWriteError`] for the first entry that cannot be represented (see
/// [`PolWriteErrorKind`]).
pub fn write_registry_pol(entries: &[RegistryEntry]) -> Result<Vec<u8>, PolWriteError> {
    let mut out = HEADER.to_vec();
    for (index, entry) in entries.iter().enumerate() {
        let fail = |kind| PolWriteError {
            index,
            key: entry.key.clone(),
            value: entry.value.clone(),
            kind,
        };
        check(entry).map_err(fail)?;
        let data = entry.data_bytes();
        if data.len() > MAX_DATA_SIZE {
            return Err(fail(PolWriteErrorKind::DataTooLarge(data.len())));
        }
        // Bounded by MAX_DATA_SIZE above.
        let size = u32::try_from(data.len()).unwrap_or(u32::MAX);
        utf16::encode("[", &mut out);
        utf16::encode_nul(&entry.key, &mut out);
        utf16::encode(";", &mut out);
        utf16::encode_nul(&entry.value, &mut out);
        utf16::encode(";", &mut out);
        out.extend_from_slice(&entry.kind.code().to_le_bytes());
        utf16::encode(";", &mut out);
        out.extend_from_slice(&size.to_le_bytes());
        utf16::encode(";", &mut out);
        out.extend_from_slice(&data);
        utf16::encode("]", &mut out);
    }
    Ok(out)
}

fn check(entry: &RegistryEntry) -> Result<(), PolWriteErrorKind> {
    if entry.key.chars().any(is_c0) {
        return Err(PolWriteErrorKind::ControlCharInName("key"));
    }
    if entry.value.chars().any(is_c0) {
        return Err(PolWriteErrorKind::ControlCharInName("value"));
    }
    if !entry.data.fits(entry.kind) {
        return Err(PolWriteErrorKind::DataKindMismatch(entry.kind.code()));
    }
    match &entry.data {
        super::RegData::Bytes(b)
            if !matches!(
                super::RegData::decode(entry.kind, b),
                super::RegData::Bytes(_)
            ) =>
        {
            Err(PolWriteErrorKind::BytesHaveTypedForm(entry.kind.code()))
        }
        super::RegData::String(s) if s.contains('\0') => Err(PolWriteErrorKind::NulInString),
        super::RegData::MultiString(items) => {
            if items.iter().any(String::is_empty) {
                Err(PolWriteErrorKind::EmptyMultiStringElement)
            } else if items.iter().any(|s| s.contains('\0')) {
                Err(PolWriteErrorKind::NulInString)
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

/// C0 control characters (U+0000..U+001F), excluded from names by the grammar.
fn is_c0(c: char) -> bool {
    u32::from(c) < 0x20
}
