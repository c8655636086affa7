//! The report types every reader shares: settings in, flows, warnings and
//! counters out. A leaf module, so that the entry points (`analysis`), the
//! frame engine (`analyzer`), the parallel drivers and the Zeek reader all
//! depend on it and not on each other.

use serde::Serialize;

use crate::capture::InputFormat;
use crate::error::{Warning, WarningSink};
use crate::flow::FlowRecord;

/// Analysis settings.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Threads that analyse a capture. 1 (the default) does everything on
    /// the calling thread. With N > 1 a pool of N threads takes the capture
    /// a window (a few MiB) at a time: each thread frames and decodes a
    /// part of the window from a guessed record boundary (guesses are
    /// confirmed in order and redone when wrong), then the window's packets
    /// are dissected in N flow shards (by hash of the 5-tuple), each flow
    /// still seeing its packets in capture order, while the next window is
    /// framed. A regular file is read by the pool with positional reads;
    /// another reader by the calling thread. The result is the same for
    /// every value; 0 is treated as 1. Zeek conn.logs are always read on
    /// one thread.
    pub threads: usize,
    /// Also track UDP 443 (SMB over QUIC). Off by default: it would pull
    /// in all HTTP/3 traffic, whose payload cannot be told apart.
    pub track_quic: bool,
    /// Also track TCP 5445 (SMB Direct over iWARP). Payload is not dissected.
    pub track_smb_direct: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            threads: 1,
            track_quic: false,
            track_smb_direct: false,
        }
    }
}

impl Options {
    /// These options with `threads` worker threads.
    #[must_use]
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }
}

/// Counters describing what was read. Identical for every thread count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Stats {
    /// Input bytes read: all of them, unless a corrupt record stopped
    /// reading (then up to that record's offset).
    pub bytes_read: u64,
    /// Frames (capture) read.
    pub frames: u64,
    /// Packets on a tracked SMB/NetBIOS port (reassembled datagrams count once).
    pub packets_tracked: u64,
    /// Frames skipped: other ports, other protocols, non-IP.
    pub frames_skipped: u64,
    /// Frames too short or malformed to reach a transport header.
    pub frames_malformed: u64,
    /// Frames of an unsupported link type.
    pub frames_unsupported_link: u64,
    /// IPv4 UDP fragments buffered for reassembly.
    pub ipv4_fragments: u64,
    /// SMB/NetBIOS messages dissected (each part of a compound counts).
    pub smb_messages: u64,
    /// SMB/NetBIOS messages whose header did not parse.
    pub smb_malformed: u64,
    /// TCP segments that arrived after missing data.
    pub tcp_gaps: u64,
    /// Times NBSS framing was re-found after being lost (including
    /// connections captured midstream).
    pub nbss_resyncs: u64,
    /// Flow-log lines read.
    pub log_lines: u64,
    /// Warnings dropped because the warning list was full.
    pub warnings_suppressed: u64,
}

/// The result of an analysis.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct Analysis {
    /// Format of the input, when it came from a file, reader or buffer.
    pub input_format: Option<InputFormat>,
    /// One record per SMB/NetBIOS flow, ordered by first packet, then
    /// protocol, client and server.
    pub flows: Vec<FlowRecord>,
    /// Problems that did not stop the analysis, in input order.
    pub warnings: Vec<Warning>,
    /// Counters.
    pub stats: Stats,
}

impl Analysis {
    pub(crate) fn new(
        input_format: Option<InputFormat>,
        mut flows: Vec<FlowRecord>,
        warnings: WarningSink,
        mut stats: Stats,
    ) -> Self {
        flows.sort_by_cached_key(FlowRecord::sort_key);
        let (warnings, suppressed) = warnings.into_parts();
        stats.warnings_suppressed = suppressed;
        Self {
            input_format,
            flows,
            warnings,
            stats,
        }
    }
}
