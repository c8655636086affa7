//! Canonical `Registry.pol` writer ([MS-GPREG] §2.2.1).
//!
//! Layout is the one GPMC and `GPRegistryPolicyParser` produce: header
//! `PReg` + version 1, then for each entry `[` key NUL `;` value NUL `;` type
//! `;` size `;` data `]`, delimiters in UTF-16LE, type/size as u32 LE. The output
//! depends only on the entry list, so it is deterministic.

use super::{HEADER, RegistryEntry};
use crate::{Error, ErrorKind, Location, utf16};

/// Largest data size the writer accepts: [MS-GPREG] §2.2.1 `Data = *65535OCTET`.
///
/// For a firewall rule (REG_SZ, UTF-16 with NUL) this means at most 32,767
/// characters including the terminator.
pub const MAX_DATA_SIZE: usize = 65535;

/// Writes `entries` as a canonical `Registry.pol` file.
///
/// For every list this accepts, [`super::read_registry_pol`] returns an equal list.
///
/// # Errors
/// An [`Error`] at [`Location::PolEntry`] for the first entry that cannot be
/// represented (see the writer kinds of [`ErrorKind`]).
pub fn write_registry_pol(entries: &[RegistryEntry]) -> Result<Vec<u8>, Error> {
    let mut out = HEADER.to_vec();
    for (index, entry) in entries.iter().enumerate() {
        let fail = |kind| {
            let (key, value) = (entry.key.clone(), entry.value.clone());
            Error::new(Location::PolEntry { index, key, value }, kind)
        };
        check(entry).map_err(fail)?;
        let data = entry.data_bytes();
        if data.len() > MAX_DATA_SIZE {
            return Err(fail(ErrorKind::DataTooLarge(data.len())));
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

fn check(entry: &RegistryEntry) -> Result<(), ErrorKind> {
    if entry.key.chars().any(is_c0) {
        return Err(ErrorKind::ControlCharInName("key"));
    }
    if entry.value.chars().any(is_c0) {
        return Err(ErrorKind::ControlCharInName("value"));
    }
    if !entry.data.fits(entry.kind) {
        return Err(ErrorKind::DataKindMismatch(entry.kind.code()));
    }
    match &entry.data {
        super::RegData::Bytes(b)
            if !matches!(
                super::RegData::decode(entry.kind, b),
                super::RegData::Bytes(_)
            ) =>
        {
            Err(ErrorKind::BytesHaveTypedForm(entry.kind.code()))
        }
        super::RegData::String(s) if s.contains('\0') => Err(ErrorKind::NulInString),
        super::RegData::MultiString(items) => {
            if items.iter().any(String::is_empty) {
                Err(ErrorKind::EmptyMultiStringElement)
            } else if items.iter().any(|s| s.contains('\0')) {
                Err(ErrorKind::NulInString)
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
