//! SMB over TCP 445 and over the NetBIOS session service (TCP 139).
//!
//! Layout follows the records/handlers split: `*_records.rs` only parse wire
//! formats, zero-copy and in spec field order; `nbss.rs` reassembles
//! messages from segments; `smb1.rs`, `smb2.rs` and `transform.rs` interpret
//! records into [`SmbFacts`], with per-connection state in `session.rs`.
//! The 4-byte protocol id after the NBSS header selects the family:
//! `0xFF 'SMB'` SMB1, `0xFE 'SMB'` SMB2/3, `0xFD 'SMB'` encrypted SMB3
//! (TRANSFORM), `0xFC 'SMB'` compressed SMB3.

mod facts;
mod nbss;
mod nbss_records;
mod session;
mod smb1;
mod smb1_records;
mod smb2;
mod smb2_records;
mod transform;
mod transform_records;

pub use facts::{
    Anomaly, Denial, Dialect, EncryptionEvidence, NetbiosKind, NtStatus, Operation, SmbFacts,
};

use nbss::{NbssStream, StreamCounters};
use session::SmbSession;
use smb1_records::SMB1_MAGIC;
use smb2_records::SMB2_MAGIC;
use transform_records::{SMB3_COMPRESSION_MAGIC, SMB3_TRANSFORM_MAGIC};

use crate::decode::{Direction, TcpMeta};

/// Bytes of a PDU needed to decide how much more of it is interesting (an
/// SMB2 header; SMB1 headers are shorter).
pub(crate) const HEAD_LEN: usize = 64;
/// Most bytes of one PDU ever handed to a dissector: enough for NEGOTIATE,
/// TREE_CONNECT and CREATE bodies and typical compound chains.
pub(crate) const MAX_PREFIX: usize = 4096;

/// Dissection counters, summed into the analysis statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DissectCounters {
    /// SMB messages dissected (each part of a compound chain counts).
    pub(crate) messages: u64,
    /// PDUs whose header did not parse.
    pub(crate) malformed: u64,
    /// Segments that arrived after missing data.
    pub(crate) gaps: u64,
    /// Times the NBSS framing was re-found after being lost.
    pub(crate) resyncs: u64,
}

impl DissectCounters {
    pub(crate) fn add(&mut self, other: &Self) {
        self.messages += other.messages;
        self.malformed += other.malformed;
        self.gaps += other.gaps;
        self.resyncs += other.resyncs;
    }
}

/// SMB state of one TCP connection: both directions' reassembly plus the
/// session state.
#[derive(Debug, Default)]
pub(crate) struct SmbConnection {
    streams: [NbssStream; 2],
    session: SmbSession,
    closed: [bool; 2],
}

impl SmbConnection {
    /// Feeds one TCP segment.
    pub(crate) fn on_segment(
        &mut self,
        dir: Direction,
        tcp: TcpMeta,
        payload: &[u8],
        facts: &mut SmbFacts,
        counters: &mut DissectCounters,
    ) {
        let d = dir as usize;
        let stream = &mut self.streams[d];
        if tcp.syn {
            stream.on_syn(tcp.seq);
            return;
        }
        let session = &mut self.session;
        let mut stream_counters = StreamCounters::default();
        stream.on_segment(tcp.seq, payload, &mut stream_counters, &mut |pdu| {
            dissect_pdu(pdu, session, facts, counters);
        });
        counters.gaps += stream_counters.gaps;
        counters.resyncs += stream_counters.resyncs;
        if tcp.fin || tcp.rst {
            self.closed[d] = true;
            if tcp.rst || self.closed == [true, true] {
                self.streams[0].release();
                self.streams[1].release();
            }
        }
    }
}

/// Dispatches one SMB PDU (or its prefix) on the protocol id.
fn dissect_pdu(
    pdu: &[u8],
    session: &mut SmbSession,
    facts: &mut SmbFacts,
    counters: &mut DissectCounters,
) {
    match pdu.get(..4) {
        Some(m) if m == SMB2_MAGIC => smb2::dissect_smb2(pdu, session, facts, counters),
        Some(m) if m == SMB1_MAGIC => smb1::dissect_smb1(pdu, session, facts, counters),
        Some(m) if m == SMB3_TRANSFORM_MAGIC => transform::dissect_transform(pdu, facts, counters),
        Some(m) if m == SMB3_COMPRESSION_MAGIC => {
            transform::dissect_compressed(pdu, session, facts, counters);
        }
        _ => counters.malformed += 1,
    }
}

/// Whether four bytes are one of the SMB protocol ids.
pub(crate) fn is_smb_magic(bytes: &[u8]) -> bool {
    bytes.len() == 4 && bytes[1..] == *b"SMB" && matches!(bytes[0], 0xfc..=0xff)
}

/// How many bytes of a PDU of length `len` the dissectors want, judging by
/// its first bytes (`head`, at most [`HEAD_LEN`]). Bulk traffic (READ,
/// WRITE, IOCTL, encrypted data) only needs its header, so most PDU bytes
/// are skipped without being copied.
pub(crate) fn wanted_prefix(head: &[u8], len: u32) -> usize {
    let len = len as usize;
    let want = match head.get(..4) {
        Some(m) if m == SMB2_MAGIC => {
            let command = head
                .get(12..14)
                .map_or(0, |c| u16::from_le_bytes([c[0], c[1]]));
            let chained = head.get(20..24).is_some_and(|n| n != [0, 0, 0, 0]);
            if chained || matches!(command, 0x0000 | 0x0001 | 0x0003 | 0x0005) {
                MAX_PREFIX
            } else {
                HEAD_LEN
            }
        }
        Some(m) if m == SMB1_MAGIC => match head.get(4) {
            Some(0x72 | 0x73 | 0x75 | 0xa2) => MAX_PREFIX,
            _ => HEAD_LEN,
        },
        // TRANSFORM header is 52 bytes; a compression header (16) may be
        // followed by an uncompressed SMB2 header (64).
        Some(m) if m == SMB3_COMPRESSION_MAGIC => 16 + HEAD_LEN,
        _ => HEAD_LEN,
    };
    want.max(head.len()).min(len)
}

/// `NTLMSSP\0` then MessageType 3 ([MS-NLMP] §2.2.1.3): the client
/// authenticates with NTLM. SPNEGO carries the token verbatim inside its
/// DER wrapping, so a byte search finds it without an ASN.1 parser.
const NTLMSSP_AUTHENTICATE: &[u8; 12] = b"NTLMSSP\0\x03\0\0\0";

/// Whether a session setup security blob holds an NTLM AUTHENTICATE.
pub(crate) fn is_ntlm_authenticate(blob: &[u8]) -> bool {
    blob.windows(NTLMSSP_AUTHENTICATE.len())
        .any(|w| w == NTLMSSP_AUTHENTICATE)
}

/// UTF-16LE to a String, stopping at a NUL; bad code units become U+FFFD.
pub(crate) fn utf16le_to_string(bytes: &[u8]) -> String {
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0);
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// OEM (treated as Latin-1/ASCII) to a String, stopping at a NUL.
pub(crate) fn oem_to_string(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take_while(|&&b| b != 0)
        .map(|&b| char::from(b))
        .collect()
}

/// Whether a UNC path names the IPC$ share.
fn is_ipc_path(path: &str) -> bool {
    path.rsplit('\\')
        .next()
        .is_some_and(|share| share.eq_ignore_ascii_case("IPC$"))
}

/// Pipes commonly opened for remote administration; used to recognise a
/// pipe when the TREE_CONNECT to IPC$ was not captured.
const WELL_KNOWN_PIPES: [&str; 20] = [
    "atsvc",
    "browser",
    "efsrpc",
    "epmapper",
    "eventlog",
    "initshutdown",
    "lsarpc",
    "lsass",
    "netdfs",
    "netlogon",
    "ntsvcs",
    "protected_storage",
    "samr",
    "scerpc",
    "spoolss",
    "srvsvc",
    "svcctl",
    "tapsrv",
    "winreg",
    "wkssvc",
];

/// The pipe name for a CREATE on a tree that is IPC$ (`Some(true)`), not
/// IPC$ (`Some(false)`), or unknown (`None`: only well-known pipe names).
fn pipe_name(name: &str, tree_is_ipc: Option<bool>) -> Option<String> {
    let name = name.trim_start_matches('\\');
    let name = name
        .strip_prefix("PIPE\\")
        .or_else(|| name.strip_prefix("pipe\\"))
        .unwrap_or(name)
        .to_ascii_lowercase();
    match tree_is_ipc {
        Some(true) if !name.is_empty() => Some(name),
        None if WELL_KNOWN_PIPES.contains(&name.as_str()) => Some(name),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
