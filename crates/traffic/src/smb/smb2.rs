//! Interprets SMB2/3 messages, including compound chains (NextCommand).

use super::facts::{Dialect, NtStatus, Operation, SmbFacts};
use super::session::{Proto, SmbSession};
use super::smb2_records::{
    SMB2_CREATE, SMB2_HEADER_LEN, SMB2_NEGOTIATE, SMB2_SESSION_SETUP, SMB2_TREE_CONNECT,
    Smb2Header, parse_smb2_create_request, parse_smb2_header, parse_smb2_negotiate_response,
    parse_smb2_session_setup_request, parse_smb2_session_setup_response,
    parse_smb2_tree_connect_request, parse_smb2_tree_connect_response,
};
use super::{DissectCounters, is_ipc_path, is_ntlm_authenticate, pipe_name, utf16le_to_string};

/// Compound chains longer than this are cut short (real ones have 2-4).
const MAX_CHAIN: usize = 32;
/// TreeId of a related compound request that inherits the previous one.
const RELATED_TREE_ID: u32 = 0xffff_ffff;
const STATUS_SUCCESS: u32 = 0;

/// Dissects an SMB2 PDU (possibly a compound chain, possibly only a prefix).
pub(super) fn dissect_smb2(
    pdu: &[u8],
    session: &mut SmbSession,
    facts: &mut SmbFacts,
    counters: &mut DissectCounters,
) {
    let mut pos = 0usize;
    let mut chain_tree = None;
    for _ in 0..MAX_CHAIN {
        let msg = &pdu[pos..];
        let header = match parse_smb2_header(msg) {
            Ok((_, h)) => h,
            Err(nom::Err::Incomplete(_)) => return,
            Err(_) => {
                counters.malformed += 1;
                return;
            }
        };
        let next = header.next_command as usize;
        let msg = if next >= SMB2_HEADER_LEN && next <= msg.len() {
            &msg[..next]
        } else {
            msg
        };
        let tree = match header.tree_id() {
            Some(RELATED_TREE_ID) if header.is_related() => chain_tree,
            other => other,
        };
        chain_tree = tree;
        counters.messages += 1;
        message(&header, tree, msg, session, facts);
        if next == 0 {
            return;
        }
        if next < SMB2_HEADER_LEN || next % 8 != 0 {
            counters.malformed += 1;
            return;
        }
        pos += next;
        if pos >= pdu.len() {
            return; // the rest of the chain is beyond the dissected prefix
        }
    }
}

fn message(
    h: &Smb2Header<'_>,
    tree: Option<u32>,
    msg: &[u8],
    session: &mut SmbSession,
    facts: &mut SmbFacts,
) {
    if h.is_signed() {
        facts.signed = true;
    }
    let body = msg.get(SMB2_HEADER_LEN..).unwrap_or_default();
    match (h.command, h.is_response()) {
        (SMB2_NEGOTIATE, true) if h.status == STATUS_SUCCESS => {
            if let Ok((_, r)) = parse_smb2_negotiate_response(body) {
                // 0x02FF (wildcard) is replaced by the follow-up NEGOTIATE.
                facts.dialect = Some(Dialect::from_revision(r.dialect_revision));
            }
        }
        (SMB2_SESSION_SETUP, false) => {
            if let Ok((_, r)) = parse_smb2_session_setup_request(msg, body) {
                facts.ntlm |= is_ntlm_authenticate(r.security_buffer);
            }
        }
        (SMB2_SESSION_SETUP, true) => {
            facts.session_setup_answered(NtStatus(h.status));
            if h.status != STATUS_SUCCESS {
                return;
            }
            if let Ok((_, r)) = parse_smb2_session_setup_response(body) {
                if r.encrypt_data() {
                    facts.mark_encrypted(|e| e.session_flag = true);
                }
            }
        }
        (SMB2_TREE_CONNECT, false) => {
            if let Ok((_, r)) = parse_smb2_tree_connect_request(msg, body) {
                let path = utf16le_to_string(r.path);
                session.tree_requested(Proto::Smb2, h.message_id, path.clone());
                facts.add_share(path);
            }
        }
        (SMB2_TREE_CONNECT, true) => {
            let requested = session.take_tree_request(Proto::Smb2, h.message_id);
            if h.status != STATUS_SUCCESS {
                facts.add_denial(Operation::TreeConnect, NtStatus(h.status), requested);
                return;
            }
            let requested_ipc = requested.as_deref().is_some_and(is_ipc_path);
            if let Ok((_, r)) = parse_smb2_tree_connect_response(body) {
                if r.encrypt_data() {
                    facts.mark_encrypted(|e| e.share_flag = true);
                }
                if let Some(id) = h.tree_id() {
                    session.tree_connected(Proto::Smb2, id, requested_ipc || r.is_pipe_share());
                }
            }
        }
        (SMB2_CREATE, false) => {
            let ipc = tree.and_then(|t| session.tree_is_ipc(Proto::Smb2, t));
            if ipc == Some(false) {
                return; // a file on a disk share: not decoded, not allocated
            }
            if let Ok((_, r)) = parse_smb2_create_request(msg, body) {
                if let Some(pipe) = pipe_name(&utf16le_to_string(r.name), ipc) {
                    facts.add_pipe(pipe);
                }
            }
        }
        _ => {}
    }
}
