//! SMB2/3 wire records ([MS-SMB2] §2.2): the 64-byte header and the few
//! command bodies needed to learn dialect, encryption, shares and pipes.
//!
//! Hand-written (with nom) rather than taken from a crate: the only
//! permissive SMB2 parser on crates.io (`smb-msg`) allocates owned structs
//! for whole messages, while this tool needs a few fields from the first
//! bytes of each PDU at line rate. Parsers bind every field in spec order;
//! offsets in bodies are relative to the start of the SMB2 header, so the
//! variable-length parts take the whole message `msg` as input.

use nom::bytes::streaming::take;
use nom::number::streaming::{le_u8, le_u16, le_u32, le_u64};
use nom::{IResult, Parser};

pub(crate) const SMB2_MAGIC: &[u8; 4] = b"\xfeSMB";
pub(crate) const SMB2_HEADER_LEN: usize = 64;

pub(crate) const SMB2_NEGOTIATE: u16 = 0x0000;
pub(crate) const SMB2_SESSION_SETUP: u16 = 0x0001;
pub(crate) const SMB2_TREE_CONNECT: u16 = 0x0003;
pub(crate) const SMB2_CREATE: u16 = 0x0005;

const SMB2_FLAGS_SERVER_TO_REDIR: u32 = 0x0000_0001;
const SMB2_FLAGS_ASYNC_COMMAND: u32 = 0x0000_0002;
const SMB2_FLAGS_RELATED_OPERATIONS: u32 = 0x0000_0004;
const SMB2_FLAGS_SIGNED: u32 = 0x0000_0008;
const SMB2_SHAREFLAG_ENCRYPT_DATA: u32 = 0x0000_8000;

/// The SMB2 packet header (sync or async form).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Smb2Header<'a> {
    pub(crate) credit_charge: u16,
    /// NT status in responses; ChannelSequence/Reserved in requests.
    pub(crate) status: u32,
    pub(crate) command: u16,
    pub(crate) credit: u16,
    pub(crate) flags: u32,
    pub(crate) next_command: u32,
    pub(crate) message_id: u64,
    /// Async form: AsyncId. Sync form: Reserved (low 32 bits, little
    /// endian on the wire first) and TreeId (high 32 bits).
    pub(crate) async_or_tree: u64,
    pub(crate) session_id: u64,
    pub(crate) signature: &'a [u8],
}

impl Smb2Header<'_> {
    pub(crate) const fn is_response(&self) -> bool {
        self.flags & SMB2_FLAGS_SERVER_TO_REDIR != 0
    }
    pub(crate) const fn is_signed(&self) -> bool {
        self.flags & SMB2_FLAGS_SIGNED != 0
    }
    pub(crate) const fn is_related(&self) -> bool {
        self.flags & SMB2_FLAGS_RELATED_OPERATIONS != 0
    }
    /// TreeId, for sync messages.
    pub(crate) const fn tree_id(&self) -> Option<u32> {
        if self.flags & SMB2_FLAGS_ASYNC_COMMAND != 0 {
            None
        } else {
            Some((self.async_or_tree >> 32) as u32)
        }
    }
}

/// Parses the 64-byte header. Unrolled over a fixed-size array rather
/// than chained nom parsers: it runs for every SMB2 PDU, including bulk
/// READ/WRITE traffic, and this form is several times cheaper. Fields are
/// still read in spec order.
pub(crate) fn parse_smb2_header(i: &[u8]) -> IResult<&[u8], Smb2Header<'_>> {
    let Some((h, rest)) = i.split_first_chunk::<SMB2_HEADER_LEN>() else {
        return Err(nom::Err::Incomplete(nom::Needed::new(
            SMB2_HEADER_LEN - i.len(),
        )));
    };
    let u16_at = |at: usize| u16::from_le_bytes([h[at], h[at + 1]]);
    let u32_at = |at: usize| u32::from_le_bytes([h[at], h[at + 1], h[at + 2], h[at + 3]]);
    let u64_at = |at: usize| u64::from(u32_at(at)) | (u64::from(u32_at(at + 4)) << 32);
    if h[..4] != SMB2_MAGIC[..] {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Tag,
        )));
    }
    let _structure_size = u16_at(4);
    let header = Smb2Header {
        credit_charge: u16_at(6),
        status: u32_at(8),
        command: u16_at(12),
        credit: u16_at(14),
        flags: u32_at(16),
        next_command: u32_at(20),
        message_id: u64_at(24),
        async_or_tree: u64_at(32),
        session_id: u64_at(40),
        signature: &h[48..64],
    };
    Ok((rest, header))
}

/// NEGOTIATE response (§2.2.4), fixed part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Smb2NegotiateResponse {
    pub(crate) security_mode: u16,
    pub(crate) dialect_revision: u16,
    pub(crate) capabilities: u32,
}

pub(crate) fn parse_smb2_negotiate_response(body: &[u8]) -> IResult<&[u8], Smb2NegotiateResponse> {
    let (i, _structure_size) = le_u16(body)?;
    let (i, security_mode) = le_u16(i)?;
    let (i, dialect_revision) = le_u16(i)?;
    let (i, _negotiate_context_count) = le_u16(i)?;
    let (i, _server_guid) = take(16usize).parse(i)?;
    let (i, capabilities) = le_u32(i)?;
    Ok((
        i,
        Smb2NegotiateResponse {
            security_mode,
            dialect_revision,
            capabilities,
        },
    ))
}

/// SESSION_SETUP response (§2.2.6), fixed part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Smb2SessionSetupResponse {
    pub(crate) session_flags: u16,
}

impl Smb2SessionSetupResponse {
    /// SMB2_SESSION_FLAG_ENCRYPT_DATA.
    pub(crate) const fn encrypt_data(&self) -> bool {
        self.session_flags & 0x0004 != 0
    }
}

pub(crate) fn parse_smb2_session_setup_response(
    body: &[u8],
) -> IResult<&[u8], Smb2SessionSetupResponse> {
    let (i, _structure_size) = le_u16(body)?;
    let (i, session_flags) = le_u16(i)?;
    let (i, _security_buffer_offset) = le_u16(i)?;
    let (i, _security_buffer_length) = le_u16(i)?;
    Ok((i, Smb2SessionSetupResponse { session_flags }))
}

/// SESSION_SETUP request (§2.2.5): the GSS/SPNEGO security buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Smb2SessionSetupRequest<'a> {
    pub(crate) security_buffer: &'a [u8],
}

pub(crate) fn parse_smb2_session_setup_request<'a>(
    msg: &'a [u8],
    body: &'a [u8],
) -> IResult<&'a [u8], Smb2SessionSetupRequest<'a>> {
    let (i, _structure_size) = le_u16(body)?;
    let (i, _flags) = le_u8(i)?;
    let (i, _security_mode) = le_u8(i)?;
    let (i, _capabilities) = le_u32(i)?;
    let (i, _channel) = le_u32(i)?;
    let (i, offset) = le_u16(i)?;
    let (i, length) = le_u16(i)?;
    let (i, _previous_session_id) = le_u64(i)?;
    let (_, security_buffer) = buffer_at(msg, u32::from(offset), u32::from(length))?;
    Ok((i, Smb2SessionSetupRequest { security_buffer }))
}

/// TREE_CONNECT request (§2.2.9): the UNC share path, UTF-16LE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Smb2TreeConnectRequest<'a> {
    pub(crate) flags: u16,
    pub(crate) path: &'a [u8],
}

pub(crate) fn parse_smb2_tree_connect_request<'a>(
    msg: &'a [u8],
    body: &'a [u8],
) -> IResult<&'a [u8], Smb2TreeConnectRequest<'a>> {
    let (i, _structure_size) = le_u16(body)?;
    let (i, flags) = le_u16(i)?;
    let (i, path_offset) = le_u16(i)?;
    let (i, path_length) = le_u16(i)?;
    let (_, path) = buffer_at(msg, u32::from(path_offset), u32::from(path_length))?;
    Ok((i, Smb2TreeConnectRequest { flags, path }))
}

/// TREE_CONNECT response (§2.2.10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Smb2TreeConnectResponse {
    pub(crate) share_type: u8,
    pub(crate) share_flags: u32,
    pub(crate) capabilities: u32,
    pub(crate) maximal_access: u32,
}

impl Smb2TreeConnectResponse {
    /// SMB2_SHARE_TYPE_PIPE: the IPC$ share.
    pub(crate) const fn is_pipe_share(&self) -> bool {
        self.share_type == 0x02
    }
    /// SMB2_SHAREFLAG_ENCRYPT_DATA (§2.2.10: 0x00008000; 0x0008 is not a
    /// share flag at all, the caching bits are 0x0030).
    pub(crate) const fn encrypt_data(&self) -> bool {
        self.share_flags & SMB2_SHAREFLAG_ENCRYPT_DATA != 0
    }
}

pub(crate) fn parse_smb2_tree_connect_response(
    body: &[u8],
) -> IResult<&[u8], Smb2TreeConnectResponse> {
    let (i, _structure_size) = le_u16(body)?;
    let (i, share_type) = le_u8(i)?;
    let (i, _reserved) = le_u8(i)?;
    let (i, share_flags) = le_u32(i)?;
    let (i, capabilities) = le_u32(i)?;
    let (i, maximal_access) = le_u32(i)?;
    Ok((
        i,
        Smb2TreeConnectResponse {
            share_type,
            share_flags,
            capabilities,
            maximal_access,
        },
    ))
}

/// CREATE request (§2.2.13): the file or pipe name, UTF-16LE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Smb2CreateRequest<'a> {
    pub(crate) desired_access: u32,
    pub(crate) create_disposition: u32,
    pub(crate) name: &'a [u8],
}

pub(crate) fn parse_smb2_create_request<'a>(
    msg: &'a [u8],
    body: &'a [u8],
) -> IResult<&'a [u8], Smb2CreateRequest<'a>> {
    let (i, _structure_size) = le_u16(body)?;
    let (i, _security_flags) = le_u8(i)?;
    let (i, _requested_oplock_level) = le_u8(i)?;
    let (i, _impersonation_level) = le_u32(i)?;
    let (i, _smb_create_flags) = le_u64(i)?;
    let (i, _reserved) = le_u64(i)?;
    let (i, desired_access) = le_u32(i)?;
    let (i, _file_attributes) = le_u32(i)?;
    let (i, _share_access) = le_u32(i)?;
    let (i, create_disposition) = le_u32(i)?;
    let (i, _create_options) = le_u32(i)?;
    let (i, name_offset) = le_u16(i)?;
    let (i, name_length) = le_u16(i)?;
    let (i, _create_contexts_offset) = le_u32(i)?;
    let (i, _create_contexts_length) = le_u32(i)?;
    let (_, name) = buffer_at(msg, u32::from(name_offset), u32::from(name_length))?;
    Ok((
        i,
        Smb2CreateRequest {
            desired_access,
            create_disposition,
            name,
        },
    ))
}

/// The `len` bytes at `offset` from the start of the message.
fn buffer_at(msg: &[u8], offset: u32, len: u32) -> IResult<&[u8], &[u8]> {
    let (i, _) = take(offset as usize).parse(msg)?;
    take(len as usize).parse(i)
}

#[cfg(test)]
mod tests {
    use super::{
        parse_smb2_create_request, parse_smb2_header, parse_smb2_negotiate_response,
        parse_smb2_session_setup_response, parse_smb2_tree_connect_request,
        parse_smb2_tree_connect_response,
    };
    use crate::test_util::hex;

    /// Strips the 4-byte NBSS header of a TCP payload dumped by tshark.
    fn pdu(tcp_payload: &str) -> Vec<u8> {
        hex(tcp_payload)[4..].to_vec()
    }

    #[test]
    fn negotiate_response_dialect_2_10() {
        // sv__smb210_psexec_add_user_nbns.pcap frame 15 (tcp.payload, cut
        // after Capabilities): SMB2 NEGOTIATE response, DialectRevision 0x0210.
        let msg = pdu(
            "000000f8fe534d4240000000000000000000010001000000000000000100000000000000\
             fffe0000000000000000000000000000000000000000000000000000000000004100030010020000\
             acb9aade1e2315418a6dc95db7d6905b07000000",
        );
        let (body, h) = parse_smb2_header(&msg).unwrap();
        assert_eq!(h.command, 0);
        assert!(h.is_response());
        assert_eq!(h.message_id, 1);
        let (_, r) = parse_smb2_negotiate_response(body).unwrap();
        assert_eq!(r.dialect_revision, 0x0210);
        assert_eq!(r.security_mode, 0x0003);
        assert_eq!(r.capabilities, 7);
    }

    #[test]
    fn tree_connect_admin_share() {
        // sv__smb210_psexec_add_user_nbns.pcap frame 19: TREE_CONNECT
        // request for \\dc1\ADMIN$, and frame 20: its response (TreeId 1,
        // share type DISK, no encryption).
        let req = pdu(
            "00000060fe534d4240000100000000000300010008000000000000000300000000000000\
             fffe0000000000004900000400240000199122237cf1b0586264038a954ee6e5\
             09000000480018005c005c006400630031005c00410044004d0049004e002400",
        );
        let (body, h) = parse_smb2_header(&req).unwrap();
        assert_eq!(h.command, 3);
        let (_, tc) = parse_smb2_tree_connect_request(&req, body).unwrap();
        let path: Vec<u16> = tc
            .path
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(String::from_utf16(&path).unwrap(), r"\\dc1\ADMIN$");

        let resp = pdu(
            "00000050fe534d4240000100000000000300010009000000000000000300000000000000\
             fffe0000010000004900000400240000a50df0624eb8d48c5a5f40fabc993b11\
             100001000000000000000000ff011f01",
        );
        let (body, h) = parse_smb2_header(&resp).unwrap();
        assert_eq!(h.tree_id(), Some(1));
        let (_, r) = parse_smb2_tree_connect_response(body).unwrap();
        assert_eq!(r.share_type, 1);
        assert!(!r.is_pipe_share());
        assert!(!r.encrypt_data());
        assert_eq!(r.maximal_access, 0x011f_01ff);
    }

    #[test]
    fn session_setup_response_flags() {
        // zeek__smb311_encrypted_transform_only.pcap frame 6: final
        // SESSION_SETUP response, SessionFlags 0 (encryption is per share
        // here), signed.
        let msg = pdu(
            "00000048fe534d42400000000000000001008200090000000000000002000000000000000b01\
             000000000000690000ac1c280000a40707763fffe1927a5bf65fed0f6591\
             0900000048000000",
        );
        let (body, h) = parse_smb2_header(&msg).unwrap();
        assert!(h.is_signed());
        assert_eq!(h.session_id, 0x0000_281c_ac00_0069);
        let (_, r) = parse_smb2_session_setup_response(body).unwrap();
        assert!(!r.encrypt_data());
    }

    #[test]
    fn create_request_pipe_name_and_truncation() {
        // sv__smb210_psexec_add_user_nbns.pcap frame 150: CREATE of the
        // named pipe "svcctl" on TreeId 1 (\\dc1\IPC$); frame 149 is the
        // TREE_CONNECT response with share type PIPE.
        let msg = pdu(
            "00000084fe534d4240000100000000000500010008000000000000000300000000000000\
             fffe00000100000045000004002400007427a36b96544ed96a9f0cfaa8d2b6b3\
             3900000002000000000000000000000000000000000000009f011200000000000700\
             0000010000004000400078000c000000000000000000730076006300630074006c00",
        );
        let (b, h) = parse_smb2_header(&msg).unwrap();
        assert_eq!(h.tree_id(), Some(1));
        let (_, c) = parse_smb2_create_request(&msg, b).unwrap();
        assert_eq!(
            c.name,
            "svcctl"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<_>>()
        );
        assert_eq!(c.desired_access, 0x0012_019f);
        // A prefix that stops inside the name is incomplete, not an error.
        let cut = &msg[..msg.len() - 1];
        let (b, _) = parse_smb2_header(cut).unwrap();
        assert!(matches!(
            parse_smb2_create_request(cut, b),
            Err(nom::Err::Incomplete(_))
        ));

        let resp = pdu(
            "00000050fe534d4240000100000000000300010009000000000000000200000000000000\
             fffe0000010000004500000400240000750277e3afee780aa345089157ccad1b\
             100002003000000000000000ff011f01",
        );
        let (b, _) = parse_smb2_header(&resp).unwrap();
        let (_, r) = parse_smb2_tree_connect_response(b).unwrap();
        assert!(r.is_pipe_share());
    }
}
