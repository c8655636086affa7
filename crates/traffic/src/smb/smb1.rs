//! Interprets SMB1 messages, following AndX chains.

use super::facts::{Anomaly, Dialect, NtStatus, Operation, SmbFacts};
use super::session::{Proto, SmbSession};
use super::smb1_records::{
    SMB_COM_NEGOTIATE, SMB_COM_NO_ANDX_COMMAND, SMB_COM_NT_CREATE_ANDX, SMB_COM_SESSION_SETUP_ANDX,
    SMB_COM_TREE_CONNECT_ANDX, SMB1_HEADER_LEN, Smb1AndX, Smb1Block, Smb1Header, parse_smb1_andx,
    parse_smb1_block, parse_smb1_header, parse_smb1_negotiate_response,
    parse_smb1_nt_create_andx_request, parse_smb1_tree_connect_andx_request,
    parse_smb1_tree_connect_andx_response, smb1_dialects,
};
use super::{
    DissectCounters, is_ipc_path, is_ntlm_authenticate, oem_to_string, pipe_name, utf16le_to_string,
};

const MAX_ANDX: usize = 8;
/// Other AndX commands whose chain is followed (LOCKING, OPEN, READ, WRITE,
/// LOGOFF); their own parameters are not needed.
const OTHER_ANDX: [u8; 5] = [0x24, 0x2d, 0x2e, 0x2f, 0x74];
/// The server found none of the client's dialects acceptable.
const NO_DIALECT: u16 = 0xffff;

/// Dissects an SMB1 PDU (possibly only a prefix).
pub(super) fn dissect_smb1(
    pdu: &[u8],
    session: &mut SmbSession,
    facts: &mut SmbFacts,
    counters: &mut DissectCounters,
) {
    let header = match parse_smb1_header(pdu) {
        Ok((_, h)) => h,
        Err(nom::Err::Incomplete(_)) => return,
        Err(_) => {
            counters.malformed += 1;
            return;
        }
    };
    counters.messages += 1;
    if header.command != SMB_COM_NEGOTIATE {
        // Anything but NEGOTIATE means the session really runs SMB1.
        facts.smb1_used = true;
        facts.dialect.get_or_insert(Dialect::Smb1);
        if header.is_signed() {
            facts.signed = true;
        }
    }
    let mut command = header.command;
    let mut offset = SMB1_HEADER_LEN;
    for _ in 0..MAX_ANDX {
        let Ok((_, block)) = parse_smb1_block(pdu, offset) else {
            return;
        };
        let Some(andx) = command_block(command, &header, &block, session, facts) else {
            return;
        };
        let next = usize::from(andx.offset);
        if andx.command == SMB_COM_NO_ANDX_COMMAND || next <= offset {
            return;
        }
        command = andx.command;
        offset = next;
    }
}

/// Handles one command block; returns the AndX link, if any.
fn command_block(
    command: u8,
    h: &Smb1Header<'_>,
    block: &Smb1Block<'_>,
    session: &mut SmbSession,
    facts: &mut SmbFacts,
) -> Option<Smb1AndX> {
    let unicode = h.is_unicode();
    let ok = h.status == 0;
    match (command, h.is_response()) {
        (SMB_COM_NEGOTIATE, false) => {
            negotiate_request(block, session, facts);
            None
        }
        (SMB_COM_NEGOTIATE, true) => {
            if let Ok((_, r)) = parse_smb1_negotiate_response(block.words) {
                if ok && r.dialect_index != NO_DIALECT {
                    facts.smb1_used = true;
                    facts.dialect = Some(Dialect::Smb1);
                    facts.smb1_dialect = session.smb1_dialect(r.dialect_index).map(str::to_owned);
                }
            }
            None
        }
        (SMB_COM_TREE_CONNECT_ANDX, false) => {
            let (_, r) = parse_smb1_tree_connect_andx_request(block, unicode).ok()?;
            let path = if unicode {
                utf16le_to_string(r.path)
            } else {
                oem_to_string(r.path)
            };
            if r.outside_byte_count() {
                facts.add_anomaly(Anomaly::Smb1TreeConnectOutsideByteCount);
            }
            session.tree_requested(Proto::Smb1, u64::from(h.mid), path.clone());
            facts.add_share(path);
            Some(r.andx)
        }
        (SMB_COM_TREE_CONNECT_ANDX, true) => {
            let requested = session.take_tree_request(Proto::Smb1, u64::from(h.mid));
            if !ok {
                // An error response has no parameter words to parse.
                facts.add_denial(Operation::TreeConnect, NtStatus(h.status), requested);
                return None;
            }
            let requested_ipc = requested.as_deref().is_some_and(is_ipc_path);
            let (_, r) = parse_smb1_tree_connect_andx_response(block).ok()?;
            {
                let ipc = requested_ipc || r.service == b"IPC";
                session.tree_connected(Proto::Smb1, u32::from(h.tid), ipc);
            }
            Some(r.andx)
        }
        (SMB_COM_NT_CREATE_ANDX, false) => {
            let (_, r) = parse_smb1_nt_create_andx_request(block, unicode).ok()?;
            let ipc = session.tree_is_ipc(Proto::Smb1, u32::from(h.tid));
            if ipc != Some(false) {
                let name = if unicode {
                    utf16le_to_string(r.file_name)
                } else {
                    oem_to_string(r.file_name)
                };
                if let Some(pipe) = pipe_name(&name, ipc) {
                    facts.add_pipe(pipe);
                }
            }
            Some(r.andx)
        }
        (SMB_COM_SESSION_SETUP_ANDX, true) => {
            facts.session_setup_answered(NtStatus(h.status));
            parse_smb1_andx(block.words).ok().map(|(_, a)| a)
        }
        (SMB_COM_SESSION_SETUP_ANDX, false) => {
            // Extended security puts the SPNEGO blob first in the data block.
            facts.ntlm |= is_ntlm_authenticate(block.bytes);
            parse_smb1_andx(block.words).ok().map(|(_, a)| a)
        }
        (SMB_COM_NT_CREATE_ANDX, _) => parse_smb1_andx(block.words).ok().map(|(_, a)| a),
        (c, _) if OTHER_ANDX.contains(&c) => parse_smb1_andx(block.words).ok().map(|(_, a)| a),
        _ => None,
    }
}

fn negotiate_request(block: &Smb1Block<'_>, session: &mut SmbSession, facts: &mut SmbFacts) {
    let dialects = smb1_dialects(block.bytes).map(oem_to_string);
    session.set_smb1_dialects(dialects);
    // "SMB 2.002" and "SMB 2.???" ask for SMB2; anything else is SMB1.
    if smb1_dialects(block.bytes).any(|d| !d.starts_with(b"SMB 2.")) {
        facts.offered_smb1 = true;
    }
}
