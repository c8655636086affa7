//! NetBIOS name service (UDP 137) and datagram service (UDP 138): record
//! parsers in `*_records.rs`, interpretation into [`SmbFacts`] here.

mod nbdgm_records;
mod nbns_records;

use nbdgm_records::parse_nbdgm_packet;
use nbns_records::{ENCODED_NAME_LEN, parse_nbns_packet};

use crate::smb::{DissectCounters, SmbFacts};

/// Records the name an NBNS packet queries, registers or answers.
pub(crate) fn dissect_nbns(payload: &[u8], facts: &mut SmbFacts, counters: &mut DissectCounters) {
    match parse_nbns_packet(payload) {
        Ok((_, packet)) => {
            counters.messages += 1;
            if let Some(name) = packet.name.and_then(decode_netbios_name) {
                facts.add_netbios_name(name);
            }
        }
        Err(_) => counters.malformed += 1,
    }
}

/// Records the source and destination names of an NBDGM packet.
pub(crate) fn dissect_nbdgm(payload: &[u8], facts: &mut SmbFacts, counters: &mut DissectCounters) {
    match parse_nbdgm_packet(payload) {
        Ok((_, packet)) => {
            counters.messages += 1;
            for name in [packet.source_name, packet.destination_name] {
                if let Some(name) = name.and_then(decode_netbios_name) {
                    facts.add_netbios_name(name);
                }
            }
        }
        Err(_) => counters.malformed += 1,
    }
}

/// Decodes RFC 1001 §14.1 first-level encoding ("half-ASCII": each nibble
/// plus 'A') into `NAME<xx>`, where `xx` is the hex suffix byte. Returns
/// `None` for labels that are not 32 valid characters.
pub(crate) fn decode_netbios_name(label: &[u8]) -> Option<String> {
    if label.len() != ENCODED_NAME_LEN {
        return None;
    }
    let mut raw = [0u8; ENCODED_NAME_LEN / 2];
    for (out, pair) in raw.iter_mut().zip(label.chunks_exact(2)) {
        let hi = pair[0].checked_sub(b'A').filter(|n| *n < 16)?;
        let lo = pair[1].checked_sub(b'A').filter(|n| *n < 16)?;
        *out = (hi << 4) | lo;
    }
    let (name, suffix) = raw.split_at(15);
    let name: String = name
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '.'
            }
        })
        .collect();
    Some(format!("{}<{:02x}>", name.trim_end(), suffix[0]))
}

#[cfg(test)]
mod tests {
    use super::decode_netbios_name;

    #[test]
    fn decodes_first_level_encoding() {
        // sv__smb210_psexec_add_user_nbns.pcap frame 58: WPAD<00>.
        assert_eq!(
            decode_netbios_name(b"FHFAEBEECACACACACACACACACACACAAA").as_deref(),
            Some("WPAD<00>")
        );
        // sv__mixed_lan_nbns_nbdgm_139_smb2_smb3.pcap frame 1: WORKGROUP<1e>.
        assert_eq!(
            decode_netbios_name(b"FHEPFCELEHFCEPFFFACACACACACACABO").as_deref(),
            Some("WORKGROUP<1e>")
        );
        assert_eq!(decode_netbios_name(b"short"), None);
        assert_eq!(decode_netbios_name(&[b'z'; 32]), None);
    }
}
