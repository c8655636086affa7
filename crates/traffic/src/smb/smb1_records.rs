//! SMB1/CIFS wire records ([MS-CIFS] §2.2, [MS-SMB] §2.2): the 32-byte
//! header, the parameter/data block, and the commands that reveal the
//! negotiated dialect, share paths and pipe names.
//!
//! Hand-written for the same reason as `smb2_records`: a handful of fields
//! from the first bytes of a PDU, zero-copy, no allocation.

use nom::bytes::streaming::{tag, take};
use nom::number::streaming::{le_u8, le_u16, le_u32, le_u64};
use nom::{IResult, Parser};

pub(crate) const SMB1_MAGIC: &[u8; 4] = b"\xffSMB";
pub(crate) const SMB1_HEADER_LEN: usize = 32;

pub(crate) const SMB_COM_NEGOTIATE: u8 = 0x72;
pub(crate) const SMB_COM_SESSION_SETUP_ANDX: u8 = 0x73;
pub(crate) const SMB_COM_TREE_CONNECT_ANDX: u8 = 0x75;
pub(crate) const SMB_COM_NT_CREATE_ANDX: u8 = 0xa2;
pub(crate) const SMB_COM_NO_ANDX_COMMAND: u8 = 0xff;

const SMB_FLAGS_REPLY: u8 = 0x80;
const SMB_FLAGS2_SMB_SECURITY_SIGNATURE: u16 = 0x0004;
const SMB_FLAGS2_UNICODE: u16 = 0x8000;

/// The SMB1 header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Smb1Header<'a> {
    pub(crate) command: u8,
    pub(crate) status: u32,
    pub(crate) flags: u8,
    pub(crate) flags2: u16,
    pub(crate) pid_high: u16,
    pub(crate) security_features: &'a [u8],
    pub(crate) tid: u16,
    pub(crate) pid_low: u16,
    pub(crate) uid: u16,
    pub(crate) mid: u16,
}

impl Smb1Header<'_> {
    pub(crate) const fn is_response(&self) -> bool {
        self.flags & SMB_FLAGS_REPLY != 0
    }
    pub(crate) const fn is_unicode(&self) -> bool {
        self.flags2 & SMB_FLAGS2_UNICODE != 0
    }
    /// Flags2 says signed and the signature field is not all zero.
    pub(crate) fn is_signed(&self) -> bool {
        self.flags2 & SMB_FLAGS2_SMB_SECURITY_SIGNATURE != 0
            && self.security_features.iter().any(|&b| b != 0)
    }
}

pub(crate) fn parse_smb1_header(i: &[u8]) -> IResult<&[u8], Smb1Header<'_>> {
    let (i, _protocol) = tag(&SMB1_MAGIC[..]).parse(i)?;
    let (i, command) = le_u8(i)?;
    let (i, status) = le_u32(i)?;
    let (i, flags) = le_u8(i)?;
    let (i, flags2) = le_u16(i)?;
    let (i, pid_high) = le_u16(i)?;
    let (i, security_features) = take(8usize).parse(i)?;
    let (i, _reserved) = le_u16(i)?;
    let (i, tid) = le_u16(i)?;
    let (i, pid_low) = le_u16(i)?;
    let (i, uid) = le_u16(i)?;
    let (i, mid) = le_u16(i)?;
    Ok((
        i,
        Smb1Header {
            command,
            status,
            flags,
            flags2,
            pid_high,
            security_features,
            tid,
            pid_low,
            uid,
            mid,
        },
    ))
}

/// The parameter and data block that follows the header (and each AndX
/// link). `bytes_offset` is where `bytes` starts, counted from the start of
/// the SMB header: Unicode strings are aligned relative to that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Smb1Block<'a> {
    pub(crate) words: &'a [u8],
    pub(crate) bytes: &'a [u8],
    pub(crate) bytes_offset: usize,
}

/// Parses the block at `offset` from the start of the message `msg`.
pub(crate) fn parse_smb1_block(msg: &[u8], offset: usize) -> IResult<&[u8], Smb1Block<'_>> {
    let (i, _) = take(offset).parse(msg)?;
    let (i, word_count) = le_u8(i)?;
    let (i, words) = take(usize::from(word_count) * 2).parse(i)?;
    let (i, byte_count) = le_u16(i)?;
    let bytes_offset = offset + 1 + words.len() + 2;
    let (i, bytes) = take(byte_count).parse(i)?;
    Ok((
        i,
        Smb1Block {
            words,
            bytes,
            bytes_offset,
        },
    ))
}

/// The first two words of every AndX command: the next command in the
/// chain and its offset from the start of the SMB header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Smb1AndX {
    pub(crate) command: u8,
    pub(crate) offset: u16,
}

pub(crate) fn parse_smb1_andx(words: &[u8]) -> IResult<&[u8], Smb1AndX> {
    let (i, command) = le_u8(words)?;
    let (i, _reserved) = le_u8(i)?;
    let (i, offset) = le_u16(i)?;
    Ok((i, Smb1AndX { command, offset }))
}

/// NEGOTIATE request dialect strings (buffer format 0x02, NUL-terminated).
pub(crate) fn smb1_dialects(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| s.strip_prefix(&[0x02]).unwrap_or(s))
}

/// NEGOTIATE response: which of the client's dialects the server chose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Smb1NegotiateResponse {
    /// 0xFFFF: none of the offered dialects is acceptable.
    pub(crate) dialect_index: u16,
    /// Present in the NT LM 0.12 (17-word) and LANMAN (13-word) forms.
    pub(crate) security_mode: Option<u8>,
}

pub(crate) fn parse_smb1_negotiate_response(words: &[u8]) -> IResult<&[u8], Smb1NegotiateResponse> {
    let (i, dialect_index) = le_u16(words)?;
    let security_mode = i.first().copied();
    Ok((
        i,
        Smb1NegotiateResponse {
            dialect_index,
            security_mode,
        },
    ))
}

/// TREE_CONNECT_ANDX request: the share path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Smb1TreeConnectAndXRequest<'a> {
    pub(crate) andx: Smb1AndX,
    pub(crate) flags: u16,
    /// Unicode (UTF-16LE) or OEM, without the terminator. When ByteCount
    /// ends before the terminator, the path bytes it does cover.
    pub(crate) path: &'a [u8],
    /// `None` when the service string is not within ByteCount: exploit
    /// tools (EternalBlue) send it past the block, and Windows accepts it.
    pub(crate) service: Option<&'a [u8]>,
}

impl Smb1TreeConnectAndXRequest<'_> {
    /// The path or service string runs past ByteCount.
    pub(crate) const fn outside_byte_count(&self) -> bool {
        self.service.is_none()
    }
}

pub(crate) fn parse_smb1_tree_connect_andx_request<'a>(
    block: &Smb1Block<'a>,
    unicode: bool,
) -> IResult<&'a [u8], Smb1TreeConnectAndXRequest<'a>> {
    let (_, andx) = parse_smb1_andx(block.words)?;
    let (w, _) = take(4usize).parse(block.words)?;
    let (w, flags) = le_u16(w)?;
    let (_, password_length) = le_u16(w)?;
    let (i, _password) = take(password_length).parse(block.bytes)?;
    let at = block.bytes_offset + usize::from(password_length);
    // `block.bytes` is complete (ByteCount bytes were there), so a missing
    // terminator inside it is a malformation, not a short read: keep what
    // the block holds instead of losing the whole tree connect.
    let (i, path) = string(i, unicode, at).unwrap_or_else(|_| (&[], unterminated(i, unicode, at)));
    let (i, service) = match cstring(i) {
        Ok((i, service)) => (i, Some(service)),
        Err(_) => (i, None),
    };
    Ok((
        i,
        Smb1TreeConnectAndXRequest {
            andx,
            flags,
            path,
            service,
        },
    ))
}

/// TREE_CONNECT_ANDX response: the service type ("A:" disk, "IPC", ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Smb1TreeConnectAndXResponse<'a> {
    pub(crate) andx: Smb1AndX,
    pub(crate) service: &'a [u8],
}

pub(crate) fn parse_smb1_tree_connect_andx_response<'a>(
    block: &Smb1Block<'a>,
) -> IResult<&'a [u8], Smb1TreeConnectAndXResponse<'a>> {
    let (_, andx) = parse_smb1_andx(block.words)?;
    let (i, service) = cstring(block.bytes)?;
    Ok((i, Smb1TreeConnectAndXResponse { andx, service }))
}

/// NT_CREATE_ANDX request: the file or pipe name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Smb1NtCreateAndXRequest<'a> {
    pub(crate) andx: Smb1AndX,
    pub(crate) desired_access: u32,
    pub(crate) create_disposition: u32,
    /// Unicode (UTF-16LE) or OEM, possibly NUL-terminated.
    pub(crate) file_name: &'a [u8],
}

pub(crate) fn parse_smb1_nt_create_andx_request<'a>(
    block: &Smb1Block<'a>,
    unicode: bool,
) -> IResult<&'a [u8], Smb1NtCreateAndXRequest<'a>> {
    let (_, andx) = parse_smb1_andx(block.words)?;
    let (w, _) = take(4usize).parse(block.words)?;
    let (w, _reserved) = le_u8(w)?;
    let (w, name_length) = le_u16(w)?;
    let (w, _flags) = le_u32(w)?;
    let (w, _root_directory_fid) = le_u32(w)?;
    let (w, desired_access) = le_u32(w)?;
    let (w, _allocation_size) = le_u64(w)?;
    let (w, _ext_file_attributes) = le_u32(w)?;
    let (w, _share_access) = le_u32(w)?;
    let (w, create_disposition) = le_u32(w)?;
    let (w, _create_options) = le_u32(w)?;
    let (w, _impersonation_level) = le_u32(w)?;
    let (_, _security_flags) = le_u8(w)?;
    let pad = usize::from(unicode && block.bytes_offset % 2 == 1);
    let (i, _pad) = take(pad).parse(block.bytes)?;
    let (i, file_name) = take(name_length).parse(i)?;
    Ok((
        i,
        Smb1NtCreateAndXRequest {
            andx,
            desired_access,
            create_disposition,
            file_name,
        },
    ))
}

/// A NUL-terminated string, Unicode (aligned to 2 from the header start;
/// `at` is the header-relative offset of `i`) or OEM.
fn string(i: &[u8], unicode: bool, at: usize) -> IResult<&[u8], &[u8]> {
    if !unicode {
        return cstring(i);
    }
    let (i, _pad) = take(at % 2).parse(i)?;
    let end = i
        .chunks_exact(2)
        .position(|c| c == [0, 0])
        .ok_or(nom::Err::Incomplete(nom::Needed::Unknown))?;
    Ok((&i[end * 2 + 2..], &i[..end * 2]))
}

/// The rest of `i` as an unterminated string (Unicode: after the pad, an
/// even number of bytes).
fn unterminated(i: &[u8], unicode: bool, at: usize) -> &[u8] {
    if !unicode {
        return i;
    }
    let i = i.get(at % 2..).unwrap_or_default();
    &i[..i.len() / 2 * 2]
}

fn cstring(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let end = i
        .iter()
        .position(|&b| b == 0)
        .ok_or(nom::Err::Incomplete(nom::Needed::Unknown))?;
    Ok((&i[end + 1..], &i[..end]))
}

#[cfg(test)]
mod tests {
    use super::{
        SMB_COM_NEGOTIATE, SMB1_HEADER_LEN, parse_smb1_block, parse_smb1_header,
        parse_smb1_negotiate_response, parse_smb1_nt_create_andx_request,
        parse_smb1_tree_connect_andx_request, parse_smb1_tree_connect_andx_response, smb1_dialects,
    };
    use crate::test_util::hex;

    fn pdu(tcp_payload: &str) -> Vec<u8> {
        hex(tcp_payload)[4..].to_vec()
    }

    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    #[test]
    fn negotiate_request_offering_smb2() {
        // sv__smb1_to_smb2_transition_c_share.pcap frame 4: a modern
        // client's SMB1 NEGOTIATE offering NT LM 0.12, SMB 2.002, SMB 2.???
        let msg = pdu(
            "00000045ff534d427200000000180148000000000000000000000000ffffb802000000\
             00002200024e54204c4d20302e31320002534d4220322e3030320002534d4220322e3f3f3f00",
        );
        let (_, h) = parse_smb1_header(&msg).unwrap();
        assert_eq!(h.command, SMB_COM_NEGOTIATE);
        assert!(!h.is_response());
        let (_, block) = parse_smb1_block(&msg, SMB1_HEADER_LEN).unwrap();
        let dialects: Vec<&[u8]> = smb1_dialects(block.bytes).collect();
        assert_eq!(
            dialects,
            vec![&b"NT LM 0.12"[..], b"SMB 2.002", b"SMB 2.???"]
        );
    }

    #[test]
    fn lanman_negotiate_response() {
        // zeek__smb1_negotiate_lanman.pcap frame 6: LANMAN (13-word)
        // response choosing index 3 ("LANMAN2.1") of frame 4's list.
        let msg = pdu(
            "0000004fff534d4272000000009853c800000000000000000000000000003412000001000d\
             0300030004112000010000000000000033283a5b4a010800000012001122334455667788\
             574f524b47524f555000",
        );
        let (_, h) = parse_smb1_header(&msg).unwrap();
        assert!(h.is_response());
        let (_, block) = parse_smb1_block(&msg, SMB1_HEADER_LEN).unwrap();
        let (_, r) = parse_smb1_negotiate_response(block.words).unwrap();
        assert_eq!(r.dialect_index, 3);
        assert_eq!(r.security_mode, Some(3));
    }

    #[test]
    fn tree_connect_andx_unicode_path() {
        // sv__smb1_write_linux_sll.pcap frame 11: TREE_CONNECT_ANDX for
        // \\192.168.1.3\PUBLIC (service "?????"), and frame 12: its response
        // (Tid 2048, service "A:").
        let msg = pdu(
            "0000005cff534d4275000000001843c8000000000000000000000000ffff3f030008030004\
             ff0000000c0001003100005c005c003100390032002e003100360038002e0031002e0033\
             005c005000550042004c004900430000003f3f3f3f3f00",
        );
        let (_, h) = parse_smb1_header(&msg).unwrap();
        let (_, block) = parse_smb1_block(&msg, SMB1_HEADER_LEN).unwrap();
        let (_, tc) = parse_smb1_tree_connect_andx_request(&block, h.is_unicode()).unwrap();
        assert_eq!(tc.path, utf16(r"\\192.168.1.3\PUBLIC"));
        assert_eq!(tc.service, Some(&b"?????"[..]));
        assert!(!tc.outside_byte_count());
        assert_eq!(tc.andx.command, 0xff);

        let resp = pdu(
            "0000003eff534d4275000000009843c800000000000000000000000000083f030008030007\
             ff003e000d00bf011300bf0113000d00413a004e005400460053000000",
        );
        let (_, h) = parse_smb1_header(&resp).unwrap();
        assert_eq!(h.tid, 2048);
        let (_, block) = parse_smb1_block(&resp, SMB1_HEADER_LEN).unwrap();
        let (_, r) = parse_smb1_tree_connect_andx_response(&block).unwrap();
        assert_eq!(r.service, b"A:");
    }

    #[test]
    fn tree_connect_andx_service_outside_byte_count() {
        // sv__smb1_file_transfer_public_ips.pcap frame 11 (\\127.0.0.1\VIDEOS,
        // ByteCount 45) with ByteCount cut to 39, as exploit traffic sends
        // it: the service string "?????" lies after the block.
        let mut msg = pdu(
            "00000058ff534d4275000000001801c8000000000000000000000000ffffec0703100000\
             04ff000000000001002d00005c005c003100320037002e0030002e0030002e0031005c00\
             56004900440045004f00530000003f3f3f3f3f00",
        );
        msg[41] = 39;
        let (_, block) = parse_smb1_block(&msg, SMB1_HEADER_LEN).unwrap();
        let (_, tc) = parse_smb1_tree_connect_andx_request(&block, true).unwrap();
        assert_eq!(tc.path, utf16(r"\\127.0.0.1\VIDEOS"));
        assert_eq!(tc.service, None);
        assert!(tc.outside_byte_count());
        // Cut inside the path: the covered part is kept, on a UTF-16 boundary.
        msg[41] = 12;
        let (_, block) = parse_smb1_block(&msg, SMB1_HEADER_LEN).unwrap();
        let (_, tc) = parse_smb1_tree_connect_andx_request(&block, true).unwrap();
        assert_eq!(tc.path, utf16(r"\\127"));
        assert!(tc.outside_byte_count());
    }

    #[test]
    fn nt_create_andx_padded_name() {
        // sv__smb1_write_linux_sll.pcap frame 17: NT_CREATE_ANDX of
        // "\eicar" (Unicode, one pad byte, NameLength 14 incl. terminator).
        let msg = pdu(
            "00000064ff534d42a2000000001843c800000000000000000000000000083f0300080500\
             18ff000000000e0000000000000000009f0112000000000000000000000000000300000005\
             0000004000000002000000001100005c006500690063006100720000000000",
        );
        let (_, h) = parse_smb1_header(&msg).unwrap();
        let (_, block) = parse_smb1_block(&msg, SMB1_HEADER_LEN).unwrap();
        let (_, c) = parse_smb1_nt_create_andx_request(&block, h.is_unicode()).unwrap();
        let mut want = utf16(r"\eicar");
        want.extend([0, 0]);
        assert_eq!(c.file_name, want);
        assert_eq!(c.create_disposition, 5);
    }

    #[test]
    fn truncated_block_is_incomplete() {
        let msg = pdu(
            "00000045ff534d427200000000180148000000000000000000000000ffffb802000000\
             00002200024e54204c4d20302e313200",
        );
        assert!(matches!(
            parse_smb1_block(&msg, SMB1_HEADER_LEN),
            Err(nom::Err::Incomplete(_))
        ));
    }
}
