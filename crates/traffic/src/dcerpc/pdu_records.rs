//! Connection-oriented DCE/RPC PDUs (C706 "DCE 1.1: Remote Procedure Call"
//! chapter 12.6, as profiled by [MS-RPCE] §2.2.2): the common header and
//! the bodies of bind, alter_context, their acknowledgements and request.
//!
//! Hand-written (with nom) for the same reason as `smb2_records`: a few
//! fields from the front of each PDU are needed. Parsers bind fields in
//! spec order and never look past `frag_length`.

use nom::bytes::complete::take;
use nom::number::complete::{be_u16, be_u32, le_u16, le_u32, u8 as any_u8};
use nom::{IResult, Parser};

/// The common header is 16 bytes (C706 §12.6.3.1).
pub(crate) const HEADER_LEN: usize = 16;

/// PDU types (C706 §12.6.4).
pub(crate) const PTYPE_REQUEST: u8 = 0;
pub(crate) const PTYPE_RESPONSE: u8 = 2;
pub(crate) const PTYPE_FAULT: u8 = 3;
pub(crate) const PTYPE_BIND: u8 = 11;
pub(crate) const PTYPE_BIND_ACK: u8 = 12;
pub(crate) const PTYPE_BIND_NAK: u8 = 13;
pub(crate) const PTYPE_ALTER_CONTEXT: u8 = 14;
pub(crate) const PTYPE_ALTER_CONTEXT_RESP: u8 = 15;
pub(crate) const PTYPE_AUTH3: u8 = 16;
pub(crate) const PTYPE_CO_CANCEL: u8 = 18;
pub(crate) const PTYPE_ORPHANED: u8 = 19;

/// `pfc_flags` bit: an object UUID follows the request header (C706 §12.6.3.1).
const PFC_OBJECT_UUID: u8 = 0x80;
/// `packed_drep[0]` bit: integers are little-endian (C706 §14.1).
const DREP_LITTLE_ENDIAN: u8 = 0x10;

/// The common header of every connection-oriented PDU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PduHeader {
    pub(crate) rpc_vers: u8,
    pub(crate) rpc_vers_minor: u8,
    pub(crate) ptype: u8,
    pub(crate) pfc_flags: u8,
    pub(crate) drep: [u8; 4],
    pub(crate) frag_length: u16,
    pub(crate) auth_length: u16,
    pub(crate) call_id: u32,
}

impl PduHeader {
    pub(crate) const fn little_endian(&self) -> bool {
        self.drep[0] & DREP_LITTLE_ENDIAN != 0
    }
    const fn has_object(&self) -> bool {
        self.pfc_flags & PFC_OBJECT_UUID != 0
    }
}

/// A syntax identifier: interface UUID (wire order) and version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SyntaxId {
    pub(crate) uuid: [u8; 16],
    pub(crate) major: u16,
    pub(crate) minor: u16,
}

/// One presentation context a bind or alter_context proposes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ContextElem {
    pub(crate) context_id: u16,
    pub(crate) abstract_syntax: SyntaxId,
}

/// The body of a request PDU, up to the stub.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RequestBody {
    pub(crate) alloc_hint: u32,
    pub(crate) context_id: u16,
    pub(crate) opnum: u16,
    pub(crate) object: Option<[u8; 16]>,
}

/// u16 and u32 readers in the byte order `packed_drep` declares.
fn u16_in(le: bool) -> impl Fn(&[u8]) -> IResult<&[u8], u16> {
    move |i| if le { le_u16(i) } else { be_u16(i) }
}
fn u32_in(le: bool) -> impl Fn(&[u8]) -> IResult<&[u8], u32> {
    move |i| if le { le_u32(i) } else { be_u32(i) }
}

/// Parses the 16-byte common header.
pub(crate) fn parse_header(i: &[u8]) -> IResult<&[u8], PduHeader> {
    let (i, rpc_vers) = any_u8(i)?;
    let (i, rpc_vers_minor) = any_u8(i)?;
    let (i, ptype) = any_u8(i)?;
    let (i, pfc_flags) = any_u8(i)?;
    let (i, drep) = take(4usize).parse(i)?;
    let drep = [drep[0], drep[1], drep[2], drep[3]];
    let le = drep[0] & DREP_LITTLE_ENDIAN != 0;
    let (i, frag_length) = u16_in(le)(i)?;
    let (i, auth_length) = u16_in(le)(i)?;
    let (i, call_id) = u32_in(le)(i)?;
    Ok((
        i,
        PduHeader {
            rpc_vers,
            rpc_vers_minor,
            ptype,
            pfc_flags,
            drep,
            frag_length,
            auth_length,
            call_id,
        },
    ))
}

/// Whether `h` is a plausible connection-oriented header: version 5.0, a
/// known PDU type, an integer representation of ASCII with either byte
/// order, and a fragment long enough for the header and its verifier.
pub(crate) fn is_plausible(h: &PduHeader) -> bool {
    h.rpc_vers == 5
        && h.rpc_vers_minor <= 1
        && matches!(
            h.ptype,
            PTYPE_REQUEST | PTYPE_RESPONSE | PTYPE_FAULT | PTYPE_BIND..=PTYPE_ORPHANED
        )
        && h.drep[0] & !DREP_LITTLE_ENDIAN == 0
        && usize::from(h.frag_length) >= HEADER_LEN + usize::from(h.auth_length)
}

/// A UUID in NDR wire order: the first three fields in the PDU's byte order.
fn parse_uuid(le: bool) -> impl Fn(&[u8]) -> IResult<&[u8], [u8; 16]> {
    move |i| {
        let (i, d1) = u32_in(le)(i)?;
        let (i, d2) = u16_in(le)(i)?;
        let (i, d3) = u16_in(le)(i)?;
        let (i, rest) = take(8usize).parse(i)?;
        let mut uuid = [0u8; 16];
        uuid[..4].copy_from_slice(&d1.to_be_bytes());
        uuid[4..6].copy_from_slice(&d2.to_be_bytes());
        uuid[6..8].copy_from_slice(&d3.to_be_bytes());
        uuid[8..].copy_from_slice(rest);
        Ok((i, uuid))
    }
}

fn parse_syntax_id(le: bool) -> impl Fn(&[u8]) -> IResult<&[u8], SyntaxId> {
    move |i| {
        let (i, uuid) = parse_uuid(le)(i)?;
        let (i, major) = u16_in(le)(i)?;
        let (i, minor) = u16_in(le)(i)?;
        Ok((i, SyntaxId { uuid, major, minor }))
    }
}

/// Most context elements read from one bind (real clients send one to
/// three; the field allows 255).
pub(crate) const MAX_CONTEXTS: usize = 16;

/// The presentation contexts of a bind or alter_context body (after the
/// header): `max_xmit_frag`, `max_recv_frag`, `assoc_group_id`, then the
/// `p_cont_list_t` (C706 §12.6.4.3).
pub(crate) fn parse_bind_body(
    i: &[u8],
    le: bool,
) -> IResult<&[u8], ([Option<ContextElem>; MAX_CONTEXTS], usize)> {
    let (i, _max_xmit_frag) = u16_in(le)(i)?;
    let (i, _max_recv_frag) = u16_in(le)(i)?;
    let (i, _assoc_group_id) = u32_in(le)(i)?;
    let (i, n_context_elem) = any_u8(i)?;
    let (i, _reserved) = any_u8(i)?;
    let (mut i, _reserved2) = u16_in(le)(i)?;
    let mut out = [None; MAX_CONTEXTS];
    let n = usize::from(n_context_elem).min(MAX_CONTEXTS);
    for slot in out.iter_mut().take(n) {
        let (rest, context_id) = u16_in(le)(i)?;
        let (rest, n_transfer_syn) = any_u8(rest)?;
        let (rest, _reserved) = any_u8(rest)?;
        let (rest, abstract_syntax) = parse_syntax_id(le)(rest)?;
        // Each transfer syntax is a 20-byte syntax id: skipped.
        let (rest, _transfer) = take(usize::from(n_transfer_syn) * 20).parse(rest)?;
        *slot = Some(ContextElem {
            context_id,
            abstract_syntax,
        });
        i = rest;
    }
    Ok((i, (out, n)))
}

/// The results of a bind_ack or alter_context_resp body (after the
/// header): `max_xmit_frag`, `max_recv_frag`, `assoc_group_id`, the
/// secondary address (`port_any_t`), padding to a 4-byte boundary of the
/// PDU, then the `p_result_list_t` (C706 §12.6.4.4). `pdu` is the whole
/// PDU, for the alignment. Each result is 0 (acceptance) or a rejection.
pub(crate) fn parse_bind_ack_body(
    pdu: &[u8],
    le: bool,
) -> IResult<&[u8], ([Option<u16>; MAX_CONTEXTS], usize)> {
    let i = pdu.get(HEADER_LEN..).unwrap_or_default();
    let (i, _max_xmit_frag) = u16_in(le)(i)?;
    let (i, _max_recv_frag) = u16_in(le)(i)?;
    let (i, _assoc_group_id) = u32_in(le)(i)?;
    let (i, sec_addr_len) = u16_in(le)(i)?;
    let (i, _sec_addr) = take(usize::from(sec_addr_len)).parse(i)?;
    let consumed = pdu.len() - i.len();
    let (i, _pad) = take((4 - consumed % 4) % 4).parse(i)?;
    let (i, n_results) = any_u8(i)?;
    let (i, _reserved) = any_u8(i)?;
    let (mut i, _reserved2) = u16_in(le)(i)?;
    let mut out = [None; MAX_CONTEXTS];
    let n = usize::from(n_results).min(MAX_CONTEXTS);
    for slot in out.iter_mut().take(n) {
        let (rest, result) = u16_in(le)(i)?;
        let (rest, _reason) = u16_in(le)(rest)?;
        let (rest, _transfer) = take(20usize).parse(rest)?;
        *slot = Some(result);
        i = rest;
    }
    Ok((i, (out, n)))
}

/// A request body (after the header): `alloc_hint`, `p_cont_id`, `opnum`
/// and, with PFC_OBJECT_UUID (DCOM calls carry the IPID there), the object
/// UUID (C706 §12.6.4.9).
pub(crate) fn parse_request_body<'a>(
    i: &'a [u8],
    header: &PduHeader,
) -> IResult<&'a [u8], RequestBody> {
    let le = header.little_endian();
    let (i, alloc_hint) = u32_in(le)(i)?;
    let (i, context_id) = u16_in(le)(i)?;
    let (i, opnum) = u16_in(le)(i)?;
    let (i, object) = if header.has_object() {
        let (i, uuid) = parse_uuid(le)(i)?;
        (i, Some(uuid))
    } else {
        (i, None)
    };
    Ok((
        i,
        RequestBody {
            alloc_hint,
            context_id,
            opnum,
            object,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frame 397 of `zeek__smb1_over_tcp139_dcerpc_mapi.pcap` (TCP payload):
    /// a bind to the endpoint mapper e1af8308-5d1f-11c9-91a4-08002b14a0fa
    /// v3.0 on 192.168.0.2:135, NDR transfer syntax (as tshark decodes it).
    const EPM_BIND: &[u8] = &[
        0x05, 0x00, 0x0b, 0x03, 0x10, 0x00, 0x00, 0x00, 0x48, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
        0x00, 0xd0, 0x16, 0xd0, 0x16, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x00, 0x08, 0x83, 0xaf, 0xe1, 0x1f, 0x5d, 0xc9, 0x11, 0x91, 0xa4, 0x08, 0x00, 0x2b,
        0x14, 0xa0, 0xfa, 0x03, 0x00, 0x00, 0x00, 0x04, 0x5d, 0x88, 0x8a, 0xeb, 0x1c, 0xc9, 0x11,
        0x9f, 0xe8, 0x08, 0x00, 0x2b, 0x10, 0x48, 0x60, 0x02, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn bind_from_a_real_capture() {
        let (rest, h) = parse_header(EPM_BIND).unwrap();
        assert!(is_plausible(&h));
        assert_eq!((h.ptype, h.frag_length, h.call_id), (PTYPE_BIND, 72, 1));
        let (_, (ctx, n)) = parse_bind_body(rest, h.little_endian()).unwrap();
        assert_eq!(n, 1);
        let c = ctx[0].unwrap();
        assert_eq!(c.context_id, 0);
        assert_eq!(
            c.abstract_syntax.uuid,
            [
                0xe1, 0xaf, 0x83, 0x08, 0x5d, 0x1f, 0x11, 0xc9, 0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14,
                0xa0, 0xfa
            ]
        );
        assert_eq!((c.abstract_syntax.major, c.abstract_syntax.minor), (3, 0));
    }

    #[test]
    fn implausible_headers_are_refused() {
        let (_, mut h) = parse_header(EPM_BIND).unwrap();
        h.rpc_vers = 4;
        assert!(!is_plausible(&h));
        let (_, mut h) = parse_header(EPM_BIND).unwrap();
        h.ptype = 7;
        assert!(!is_plausible(&h));
        let (_, mut h) = parse_header(EPM_BIND).unwrap();
        h.auth_length = 100;
        assert!(!is_plausible(&h));
        assert!(parse_header(&EPM_BIND[..15]).is_err());
    }

    #[test]
    fn big_endian_request_with_object_uuid() {
        let mut pdu = vec![5, 0, 0, 0x83, 0, 0, 0, 0, 0, 40, 0, 0, 0, 0, 0, 9];
        pdu.extend_from_slice(&[0, 0, 0, 8, 0, 1, 0, 24]);
        pdu.extend_from_slice(&[0xaa; 16]);
        let (rest, h) = parse_header(&pdu).unwrap();
        assert!(is_plausible(&h) && !h.little_endian());
        let (_, r) = parse_request_body(rest, &h).unwrap();
        assert_eq!((r.context_id, r.opnum, r.object), (1, 24, Some([0xaa; 16])));
        assert_eq!(r.alloc_hint, 8);
    }
}
