//! NetBIOS Datagram Service packets (RFC 1002 §4.4), UDP 138.
//!
//! Hand-written for the same reason as `nbns_records`.

use std::net::Ipv4Addr;

use nom::IResult;
use nom::number::streaming::{be_u8, be_u16, be_u32};

use super::nbns_records::parse_netbios_name;

const DIRECT_UNIQUE: u8 = 0x10;
const DIRECT_GROUP: u8 = 0x11;
const BROADCAST: u8 = 0x12;
const QUERY_REQUEST: u8 = 0x14;
const POSITIVE_QUERY_RESPONSE: u8 = 0x15;
const NEGATIVE_QUERY_RESPONSE: u8 = 0x16;

/// NBDGM header, common to all message types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NbdgmHeader {
    pub(crate) msg_type: u8,
    pub(crate) flags: u8,
    pub(crate) datagram_id: u16,
    pub(crate) source_ip: Ipv4Addr,
    pub(crate) source_port: u16,
}

/// A datagram service packet with the names it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NbdgmPacket<'a> {
    pub(crate) header: NbdgmHeader,
    pub(crate) source_name: Option<&'a [u8]>,
    pub(crate) destination_name: Option<&'a [u8]>,
    /// For data messages: the user data (usually an SMB1 mailslot message).
    pub(crate) user_data: &'a [u8],
}

pub(crate) fn parse_nbdgm_packet(i: &[u8]) -> IResult<&[u8], NbdgmPacket<'_>> {
    let (i, msg_type) = be_u8(i)?;
    let (i, flags) = be_u8(i)?;
    let (i, datagram_id) = be_u16(i)?;
    let (i, source_ip) = be_u32(i)?;
    let (i, source_port) = be_u16(i)?;
    let header = NbdgmHeader {
        msg_type,
        flags,
        datagram_id,
        source_ip: Ipv4Addr::from(source_ip),
        source_port,
    };
    let mut packet = NbdgmPacket {
        header,
        source_name: None,
        destination_name: None,
        user_data: &[],
    };
    match msg_type {
        DIRECT_UNIQUE | DIRECT_GROUP | BROADCAST => {
            let (i, _datagram_length) = be_u16(i)?;
            let (i, _packet_offset) = be_u16(i)?;
            let (i, source_name) = parse_netbios_name(i)?;
            let (i, destination_name) = parse_netbios_name(i)?;
            packet.source_name = Some(source_name);
            packet.destination_name = Some(destination_name);
            packet.user_data = i;
            Ok((&i[i.len()..], packet))
        }
        QUERY_REQUEST | POSITIVE_QUERY_RESPONSE | NEGATIVE_QUERY_RESPONSE => {
            let (i, destination_name) = parse_netbios_name(i)?;
            packet.destination_name = Some(destination_name);
            Ok((i, packet))
        }
        // DATAGRAM ERROR (0x13) carries only an error code; unknown types
        // carry nothing this tool uses.
        _ => Ok((i, packet)),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_nbdgm_packet;
    use crate::test_util::hex;

    #[test]
    fn browser_announcement() {
        // sv__mixed_lan_nbns_nbdgm_139_smb2_smb3.pcap frame 1: DIRECT_GROUP
        // datagram from SCV<00> to WORKGROUP<1e>, carrying an SMB1
        // TRANSACTION (browser mailslot); cut inside the SMB header.
        let p = hex(
            "110eec7bc0a8c701008a00ab00002046444544464743414341434143414341434143414341\
             434143414341434141410020464845504643454c45484643455046464641434143414341\
             434143414341424f00ff534d4225000000",
        );
        let (_, d) = parse_nbdgm_packet(&p).unwrap();
        assert_eq!(d.header.msg_type, 0x11);
        assert_eq!(d.header.source_ip.to_string(), "192.168.199.1");
        assert_eq!(d.header.source_port, 138);
        assert!(d.source_name.unwrap().starts_with(b"FDEDFG"));
        assert!(d.destination_name.unwrap().starts_with(b"FHEPFCEL"));
        assert!(d.user_data.starts_with(b"\xffSMB"));
    }
}
