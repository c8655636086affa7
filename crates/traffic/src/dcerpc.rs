//! DCE/RPC over plain TCP: the endpoint mapper on TCP 135 and the dynamic
//! ports it hands out, where PsExec-style service creation, WMI, task
//! scheduling and remote firewall changes travel when they do not use an
//! SMB named pipe.
//!
//! `pdu_records.rs` only parses; this module keeps per-connection state
//! (which presentation context is which interface) and fills
//! [`RpcFacts`]. Dynamic ports are recognised by content, not by the
//! endpoint mapper's answer: a TCP segment on an untracked port that
//! begins with a plausible PDU header ([`pdu_from_client`]) starts a flow.
//! That decision needs only the packet, so it is the same on every thread
//! and whichever shard sees the mapper's answer. The cost: on a dynamic
//! port, segments that do not begin a PDU (pure ACKs, the rest of a long
//! PDU) are not counted in the flow's packets and bytes.

mod facts;
mod interfaces;
mod pdu_records;

pub use facts::{RpcCall, RpcFacts, RpcInterface};
pub use interfaces::RpcPurpose;

use interfaces::uuid_string;
pub(crate) use interfaces::{interface_by_name, opnum_by_name, remote_execution_uuids};
use pdu_records::{
    HEADER_LEN, PTYPE_ALTER_CONTEXT, PTYPE_ALTER_CONTEXT_RESP, PTYPE_AUTH3, PTYPE_BIND,
    PTYPE_BIND_ACK, PTYPE_BIND_NAK, PTYPE_CO_CANCEL, PTYPE_ORPHANED, PTYPE_REQUEST, is_plausible,
    parse_bind_ack_body, parse_bind_body, parse_header, parse_request_body,
};

use crate::smb::DissectCounters;

/// Presentation contexts remembered per connection.
const MAX_CONTEXTS: usize = 32;

/// DCE/RPC state of one TCP connection.
#[derive(Debug, Default)]
pub(crate) struct RpcConnection {
    /// (p_cont_id, index into `RpcFacts::interfaces`).
    contexts: Vec<(u16, usize)>,
    /// The interfaces of the last bind or alter_context, in order, for the
    /// results of its acknowledgement.
    proposed: Vec<Option<usize>>,
}

impl RpcConnection {
    /// Dissects the PDUs that begin at the start of a segment. A PDU that
    /// continues into later segments is read as far as this one goes; the
    /// next segment is dissected only if it begins with a header.
    pub(crate) fn on_segment(
        &mut self,
        to_server: bool,
        payload: &[u8],
        facts: &mut RpcFacts,
        counters: &mut DissectCounters,
    ) {
        let mut rest = payload;
        while rest.len() >= HEADER_LEN {
            let Ok((_, header)) = parse_header(rest) else {
                return;
            };
            if !is_plausible(&header) {
                // Continuation of a PDU, or not RPC at all.
                return;
            }
            counters.messages += 1;
            let len = usize::from(header.frag_length).min(rest.len());
            let pdu = &rest[..len];
            let le = header.little_endian();
            let body = &pdu[HEADER_LEN..];
            let ok = match (to_server, header.ptype) {
                (true, PTYPE_BIND | PTYPE_ALTER_CONTEXT) => self.bind(body, le, facts),
                (false, PTYPE_BIND_ACK | PTYPE_ALTER_CONTEXT_RESP) => self.bind_ack(pdu, le, facts),
                (false, PTYPE_BIND_NAK) => {
                    for index in self.proposed.drain(..).flatten() {
                        facts.answer(index, false);
                    }
                    true
                }
                (true, PTYPE_REQUEST) => match parse_request_body(body, &header) {
                    Ok((_, req)) => {
                        let index = self
                            .contexts
                            .iter()
                            .find(|(id, _)| *id == req.context_id)
                            .map(|(_, i)| *i);
                        facts.call(index, req.opnum);
                        true
                    }
                    Err(_) => false,
                },
                _ => true,
            };
            if !ok {
                counters.malformed += 1;
            }
            rest = &rest[len..];
        }
    }

    fn bind(&mut self, body: &[u8], le: bool, facts: &mut RpcFacts) -> bool {
        let Ok((_, (elems, n))) = parse_bind_body(body, le) else {
            return false;
        };
        self.proposed.clear();
        for elem in elems.iter().take(n).flatten() {
            let s = elem.abstract_syntax;
            let index = facts.bind(uuid_string(&s.uuid), s.major, s.minor);
            self.proposed.push(index);
            if let Some(index) = index {
                self.contexts.retain(|(id, _)| *id != elem.context_id);
                if self.contexts.len() < MAX_CONTEXTS {
                    self.contexts.push((elem.context_id, index));
                }
            }
        }
        true
    }

    fn bind_ack(&mut self, pdu: &[u8], le: bool, facts: &mut RpcFacts) -> bool {
        let Ok((_, (results, n))) = parse_bind_ack_body(pdu, le) else {
            return false;
        };
        for (result, index) in results.iter().take(n).zip(self.proposed.drain(..)) {
            if let (Some(result), Some(index)) = (result, index) {
                facts.answer(index, *result == 0);
            }
        }
        true
    }
}

/// Who sent a segment that begins with a plausible connection-oriented
/// PDU: `Some(true)` for the client's PDU types (bind, alter_context,
/// auth3, request, cancel, orphaned), `Some(false)` for the server's,
/// `None` when the segment does not begin a PDU.
pub(crate) fn pdu_from_client(payload: &[u8]) -> Option<bool> {
    let (_, header) = parse_header(payload).ok()?;
    if !is_plausible(&header) {
        return None;
    }
    Some(matches!(
        header.ptype,
        PTYPE_REQUEST
            | PTYPE_BIND
            | PTYPE_ALTER_CONTEXT
            | PTYPE_AUTH3
            | PTYPE_CO_CANCEL
            | PTYPE_ORPHANED
    ))
}

#[cfg(test)]
mod tests;
