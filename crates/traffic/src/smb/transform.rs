//! Interprets SMB3 encryption and compression transforms.

use super::DissectCounters;
use super::facts::SmbFacts;
use super::session::SmbSession;
use super::smb2::dissect_smb2;
use super::smb2_records::SMB2_MAGIC;
use super::transform_records::{parse_smb3_compression_header, parse_smb3_transform_header};

/// An encrypted PDU: nothing inside is visible, but its presence proves
/// encryption.
pub(super) fn dissect_transform(pdu: &[u8], facts: &mut SmbFacts, counters: &mut DissectCounters) {
    match parse_smb3_transform_header(pdu) {
        Ok(_) | Err(nom::Err::Incomplete(_)) => {
            counters.messages += 1;
            facts.mark_encrypted(|e| e.transform_seen = true);
        }
        Err(_) => counters.malformed += 1,
    }
}

/// A compressed PDU. In the unchained form the bytes between the header
/// and `offset` are uncompressed and usually hold the SMB2 header, which is
/// dissected; the compressed part is not decompressed.
pub(super) fn dissect_compressed(
    pdu: &[u8],
    session: &mut SmbSession,
    facts: &mut SmbFacts,
    counters: &mut DissectCounters,
) {
    let (rest, header) = match parse_smb3_compression_header(pdu) {
        Ok(ok) => ok,
        Err(nom::Err::Incomplete(_)) => {
            facts.compressed = true;
            return;
        }
        Err(_) => {
            counters.malformed += 1;
            return;
        }
    };
    facts.compressed = true;
    counters.messages += 1;
    if header.is_chained() {
        return;
    }
    let visible = rest.len().min(header.offset_or_length as usize);
    let uncompressed = &rest[..visible];
    if uncompressed.starts_with(SMB2_MAGIC) {
        dissect_smb2(uncompressed, session, facts, counters);
    }
}
