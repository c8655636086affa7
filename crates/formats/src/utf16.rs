//! Small UTF-16LE helpers shared by the Registry.pol reader and writer.

/// Encodes `s` as UTF-16LE bytes, without a terminator.
pub(crate) fn encode(s: &str, out: &mut Vec<u8>) {
    for unit in s.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
}

/// Encodes `s` as UTF-16LE bytes followed by a UTF-16 NUL.
pub(crate) fn encode_nul(s: &str, out: &mut Vec<u8>) {
    encode(s, out);
    out.extend_from_slice(&[0, 0]);
}

/// Splits an even-length byte slice into UTF-16LE code units; `None` for odd lengths.
pub(crate) fn units(bytes: &[u8]) -> Option<Vec<u16>> {
    if bytes.len() % 2 != 0 {
        return None;
    }
    Some(
        bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect(),
    )
}
