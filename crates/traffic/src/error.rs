//! Errors and warnings.
//!
//! Only two things make an analysis fail outright: an I/O error and input that
//! is not a capture or flow log at all. Everything else (a truncated file, a
//! corrupt record, an unsupported link type) is a [`Warning`] attached to a
//! partial [`crate::Analysis`], because a 10 GB capture with one bad block at
//! the end still says a lot about the network.

use std::fmt;
use std::io;

use serde::Serialize;

/// Why an analysis could not produce any result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrafficError {
    /// Reading the input failed.
    #[error("cannot read capture: {0}")]
    Io(#[from] io::Error),
    /// The input starts with bytes that are neither pcap, pcapng nor a Zeek
    /// conn.log (TSV or JSON lines).
    #[error("unrecognised input format (first bytes {magic:02x?})")]
    UnknownFormat {
        /// Up to the first four bytes of the input.
        magic: Vec<u8>,
    },
    /// A Zeek log other than conn, smb_mapping, smb_files, dce_rpc and
    /// ntlm (or one whose kind could not be told).
    #[error(
        "not a Zeek log smbguard reads ({path}); give conn, smb_mapping, smb_files, dce_rpc or ntlm logs"
    )]
    UnsupportedZeekLog {
        /// The log's `#path` (or `_path`), or what its fields looked like.
        path: String,
    },
    /// The worker threads for `threads > 1` could not be started.
    #[error("cannot start worker threads for a {threads}-thread analysis: {reason}")]
    ThreadPool {
        /// Number of threads asked for ([`crate::Options::threads`]).
        threads: usize,
        /// What the thread pool builder said.
        reason: String,
    },
}

/// A problem found in the input that did not stop the analysis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// Byte offset in the input where the problem starts.
    pub offset: u64,
    /// What went wrong.
    pub kind: WarningKind,
}

/// The kinds of [`Warning`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum WarningKind {
    /// The input ends in the middle of a header or record; everything before
    /// the offset was analysed.
    Truncated {
        /// Bytes that were left over after the last complete record.
        trailing_bytes: u64,
    },
    /// A record header is implausible (absurd length, bad magic); reading
    /// stopped there, or skipped the record when its length was trustworthy.
    CorruptRecord {
        /// Short human-readable reason.
        reason: &'static str,
    },
    /// Frames of this link type are not understood and were skipped (counted
    /// once, at the first such frame).
    UnsupportedLinkType {
        /// The LINKTYPE_* value.
        link_type: u32,
    },
    /// A pcapng packet refers to an interface that was never described.
    UnknownInterface {
        /// Interface id from the packet block.
        interface_id: u32,
    },
    /// A flow-log line could not be understood and was skipped.
    BadLogLine {
        /// 1-based line number.
        line: u64,
        /// Short human-readable reason.
        reason: &'static str,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: ", self.offset)?;
        match &self.kind {
            WarningKind::Truncated { trailing_bytes } => write!(
                f,
                "input is truncated ({trailing_bytes} bytes of an incomplete record ignored)"
            ),
            WarningKind::CorruptRecord { reason } => write!(f, "corrupt record: {reason}"),
            WarningKind::UnsupportedLinkType { link_type } => {
                write!(f, "unsupported link type {link_type}, frames skipped")
            }
            WarningKind::UnknownInterface { interface_id } => {
                write!(f, "packet for undescribed interface {interface_id} skipped")
            }
            WarningKind::BadLogLine { line, reason } => {
                write!(f, "flow log line {line} skipped: {reason}")
            }
        }
    }
}

/// Collects warnings with a hard cap, so that a pathological input cannot make
/// memory grow with the number of packets.
#[derive(Debug, Default)]
pub(crate) struct WarningSink {
    list: Vec<Warning>,
    suppressed: u64,
}

impl WarningSink {
    /// At most this many warnings are kept; the rest are only counted.
    const CAP: usize = 256;

    pub(crate) fn push(&mut self, offset: u64, kind: WarningKind) {
        if self.list.len() < Self::CAP {
            self.list.push(Warning { offset, kind });
        } else {
            self.suppressed += 1;
        }
    }

    /// Counts warnings that came after the sink was full.
    pub(crate) fn add_suppressed(&mut self, count: u64) {
        self.suppressed += count;
    }

    pub(crate) fn into_parts(self) -> (Vec<Warning>, u64) {
        (self.list, self.suppressed)
    }
}
