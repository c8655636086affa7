//! NetBIOS Session Service message header (RFC 1002 §4.3.1), also used,
//! with a 24-bit length, by "direct hosted" SMB on TCP 445 ([MS-SMB2] §2.1).

use nom::IResult;
use nom::number::streaming::{be_u8, be_u16};

/// Length of the session-service header.
pub(crate) const NBSS_HEADER_LEN: usize = 4;

/// SESSION MESSAGE: carries an SMB PDU.
pub(crate) const NBSS_SESSION_MESSAGE: u8 = 0x00;
/// SESSION REQUEST .. SESSION KEEP ALIVE: session set-up traffic on 139.
const NBSS_CONTROL_TYPES: std::ops::RangeInclusive<u8> = 0x81..=0x85;

/// A session-service message header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NbssHeader {
    pub(crate) msg_type: u8,
    /// Length of the message after this header. RFC 1002 gives 17 bits
    /// (7 reserved flag bits must be zero); direct TCP uses all 24.
    pub(crate) length: u32,
}

impl NbssHeader {
    /// Whether the type is one RFC 1002 defines.
    pub(crate) fn is_known_type(&self) -> bool {
        self.msg_type == NBSS_SESSION_MESSAGE || NBSS_CONTROL_TYPES.contains(&self.msg_type)
    }
}

pub(crate) fn parse_nbss_header(i: &[u8]) -> IResult<&[u8], NbssHeader> {
    let (i, msg_type) = be_u8(i)?;
    let (i, length_high) = be_u8(i)?;
    let (i, length_low) = be_u16(i)?;
    let length = (u32::from(length_high) << 16) | u32::from(length_low);
    Ok((i, NbssHeader { msg_type, length }))
}

#[cfg(test)]
mod tests {
    use super::{NBSS_SESSION_MESSAGE, parse_nbss_header};

    #[test]
    fn session_message_header() {
        // sv__smb210_psexec_add_user_nbns.pcap frame 15: NBSS header of the
        // SMB2 NEGOTIATE response, length 0xf8 (248).
        let (rest, h) = parse_nbss_header(&[0x00, 0x00, 0x00, 0xf8, 0xfe]).unwrap();
        assert_eq!(rest, &[0xfe]);
        assert_eq!(h.msg_type, NBSS_SESSION_MESSAGE);
        assert_eq!(h.length, 248);
        assert!(h.is_known_type());
    }

    #[test]
    fn session_request_and_garbage() {
        // sv__mixed_lan_nbns_nbdgm_139_smb2_smb3.pcap frame 193: SESSION
        // REQUEST on TCP 139, length 68.
        let (_, h) = parse_nbss_header(&[0x81, 0x00, 0x00, 0x44]).unwrap();
        assert_eq!((h.msg_type, h.length), (0x81, 68));
        assert!(h.is_known_type());
        let (_, h) = parse_nbss_header(&[0x42, 0, 0, 0]).unwrap();
        assert!(!h.is_known_type());
        assert!(parse_nbss_header(&[0, 0]).is_err());
    }
}
