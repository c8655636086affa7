//! NetBIOS Name Service packets (RFC 1002 §4.2), UDP 137: the DNS-like
//! header and the first (question or resource record) name, which is all
//! this tool needs.
//!
//! Hand-written: no maintained permissively licensed NBNS parser exists on
//! crates.io, and the format is a dozen bytes plus RFC 1001 name encoding.

use nom::IResult;
use nom::Parser;
use nom::bytes::streaming::take;
use nom::number::streaming::{be_u8, be_u16};

/// The encoded first label of a NetBIOS name: 32 bytes 'A'..'P'.
pub(crate) const ENCODED_NAME_LEN: usize = 32;
/// Scope labels beyond this are refused (names are at most 255 bytes).
const MAX_LABELS: usize = 64;

/// NBNS header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NbnsHeader {
    pub(crate) transaction_id: u16,
    pub(crate) flags: u16,
    pub(crate) qd_count: u16,
    pub(crate) an_count: u16,
    pub(crate) ns_count: u16,
    pub(crate) ar_count: u16,
}

/// An NBNS packet with its first name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NbnsPacket<'a> {
    pub(crate) header: NbnsHeader,
    /// First label of the first name (question, else answer), if any.
    pub(crate) name: Option<&'a [u8]>,
}

pub(crate) fn parse_nbns_packet(i: &[u8]) -> IResult<&[u8], NbnsPacket<'_>> {
    let (i, transaction_id) = be_u16(i)?;
    let (i, flags) = be_u16(i)?;
    let (i, qd_count) = be_u16(i)?;
    let (i, an_count) = be_u16(i)?;
    let (i, ns_count) = be_u16(i)?;
    let (i, ar_count) = be_u16(i)?;
    let header = NbnsHeader {
        transaction_id,
        flags,
        qd_count,
        an_count,
        ns_count,
        ar_count,
    };
    if qd_count == 0 && an_count == 0 {
        return Ok((i, NbnsPacket { header, name: None }));
    }
    let (i, name) = parse_netbios_name(i)?;
    Ok((
        i,
        NbnsPacket {
            header,
            name: Some(name),
        },
    ))
}

/// An RFC 1002 §4.1 compressed domain name whose first label is an encoded
/// NetBIOS name; returns that first label (scope labels are skipped).
pub(crate) fn parse_netbios_name(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let (mut i, len) = be_u8(i)?;
    let (rest, first) = take(len).parse(i)?;
    i = rest;
    for _ in 0..MAX_LABELS {
        let (rest, len) = be_u8(i)?;
        if len == 0 {
            return Ok((rest, first));
        }
        if len & 0xc0 == 0xc0 {
            // Compression pointer: two bytes, ends the name.
            let (rest, _) = be_u8(rest)?;
            return Ok((rest, first));
        }
        let (rest, _label) = take(len).parse(rest)?;
        i = rest;
    }
    Err(nom::Err::Error(nom::error::Error::new(
        i,
        nom::error::ErrorKind::TooLarge,
    )))
}

#[cfg(test)]
mod tests {
    use super::{ENCODED_NAME_LEN, parse_nbns_packet};
    use crate::test_util::hex;

    #[test]
    fn wpad_broadcast_query() {
        // sv__smb210_psexec_add_user_nbns.pcap frame 58: broadcast name
        // query for WPAD<00> (udp.payload).
        let p = hex(
            "e0ab011000010000000000002046484641454245454341434143414341434143414341434143\
             414341434141410000200001",
        );
        let (rest, packet) = parse_nbns_packet(&p).unwrap();
        assert_eq!(rest, hex("00200001"));
        assert_eq!(packet.header.transaction_id, 0xe0ab);
        assert_eq!(packet.header.flags, 0x0110); // query, recursion desired, broadcast
        assert_eq!(packet.header.qd_count, 1);
        let name = packet.name.unwrap();
        assert_eq!(name.len(), ENCODED_NAME_LEN);
        assert!(name.starts_with(b"FHFAEBEE"));
        assert!(parse_nbns_packet(&p[..20]).is_err());
    }
}
