//! SMB and NetBIOS traffic analysis for smbguard.
//!
//! Reads packet captures (pcap, pcapng) or Zeek logs ([`ZeekLogSet`]:
//! conn, smb_mapping, smb_files, dce_rpc and ntlm, joined by uid) and
//! produces one [`FlowRecord`] per SMB/NetBIOS conversation (TCP 445 and
//! 139, UDP 137 and 138; optionally UDP 443 and TCP 5445) and per DCE/RPC
//! conversation over TCP (135 and dynamic ports, [`RpcFacts`]), with what the
//! payload revealed in [`SmbFacts`]: the dialect actually negotiated, SMB1
//! offered versus used, encryption (TRANSFORM headers, session or share
//! encrypt flags), signing, compression, share paths, named pipes and
//! NetBIOS names. This is the evidence needed to check a network against
//! Microsoft KB3185535 ("block SMB lateral movement").
//!
//! # Which entry point
//!
//! * [`analyze_file`]: a file on disk, streamed with bounded memory
//!   ([`analyze_file_with_progress`] to drive a progress bar).
//! * [`analyze_file_mmap`]: a regular file, memory-mapped (opt-in; see its
//!   docs for the SIGBUS caveat).
//! * [`analyze_reader`]: any [`std::io::Read`] (a pipe, a decompressor).
//! * [`analyze_bytes`]: a capture already in memory, or memory-mapped by
//!   the caller; frames are read in place.
//! * [`Merged`]: several captures' analyses combined into one report.
//! * [`classify`]: place flows in an estate and evaluate them against its
//!   plan (what would be blocked).
//! * [`Analyzer`]: frames from elsewhere (a live capture, a custom reader),
//!   fed one at a time.
//!
//! # Guarantees
//!
//! * Never panics on any input; truncated or corrupt input gives partial
//!   results plus a [`Warning`] with the byte offset.
//! * Memory grows with the number of flows, never with the number of
//!   packets: TCP reassembly keeps at most a few KiB per direction.
//! * Checksums are not validated (offloaded checksums are common).
//! * [`Options::threads`] changes speed, not results; output is sorted.
//!
//! # Example
//!
//! ```no_run
//! use smbguard_traffic::{Options, analyze_file};
//!
//! let analysis = analyze_file("capture.pcapng", &Options::default().with_threads(2))?;
//! for flow in &analysis.flows {
//!     if flow.smb.smb1_used || !flow.smb.encrypted {
//!         println!("{} -> {}:{} {:?}", flow.client, flow.server, flow.server_port, flow.smb.dialect);
//!     }
//! }
//! for warning in &analysis.warnings {
//!     eprintln!("warning: {warning}");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

mod analysis;
mod analyzer;
mod bookkeeping;
mod capture;
pub mod classify;
mod dcerpc;
mod decode;
mod decompress;
mod draft;
mod error;
mod flow;
mod mapped;
mod merge;
mod netbios;
mod parallel;
mod report;
mod smb;
mod timestamp;
mod zeek_conn;
mod zeek_logs;

#[cfg(test)]
mod test_util;

#[doc(hidden)]
pub mod fuzzing;

pub use analysis::{analyze_bytes, analyze_file, analyze_file_with_progress, analyze_reader};
pub use analyzer::{Analyzer, Frame};
pub use capture::{InputFormat, LinkType};
pub use dcerpc::{RpcCall, RpcFacts, RpcInterface, RpcPurpose};
pub use draft::{Draft, DraftGroup, DraftManagement, DraftRole, draft_estate};
pub use error::{TrafficError, Warning, WarningKind};
pub use flow::{FlowRecord, Initiator, L4Protocol, RecordOrigin, Service};
pub use mapped::analyze_file_mmap;
pub use merge::Merged;
pub use report::{Analysis, Options, Stats};
pub use smb::{
    Anomaly, Denial, Dialect, EncryptionEvidence, NetbiosKind, NtStatus, Operation, SmbFacts,
};
pub use timestamp::Timestamp;
pub use zeek_logs::{ZeekLog, ZeekLogSet};
