//! Entry points: analyse a file, a reader or an in-memory capture.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde::Serialize;

use crate::analyzer::Analyzer;
use crate::capture::stream::{ChunkReader, for_each_frame_in_reader, for_each_line_in_reader};
use crate::capture::{FrameStepper, InputFormat, for_each_frame_in_slice};
use crate::error::{TrafficError, Warning, WarningSink};
use crate::flow::FlowRecord;
use crate::zeek_conn::ConnLogReader;

/// Bytes looked at to recognise the input format.
const SNIFF_LEN: usize = 64;

/// Analysis settings.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Threads to use, counting the calling thread. 1 (the default) does
    /// everything on the calling thread. With N > 1 the calling thread reads
    /// and decodes frames while N - 1 worker threads, each owning a shard of
    /// the flows (by hash of the 5-tuple), dissect the previous batch. The
    /// result is the same for every value; 0 is treated as 1.
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
    /// Input bytes consumed.
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

/// Analyses a pcap, pcapng or Zeek conn.log file, streaming it through a
/// bounded buffer.
///
/// # Errors
///
/// I/O errors, an unrecognised format, or a thread pool that cannot start.
/// Truncated or corrupt input is not an error: the result holds what could
/// be read plus a [`Warning`].
pub fn analyze_file(path: impl AsRef<Path>, options: &Options) -> Result<Analysis, TrafficError> {
    // Not memory-mapped: a file truncated while mapped raises SIGBUS, and
    // buffered reads of a page-cached file run at several GB/s anyway. The
    // opt-in mapped path is `analyze_file_mmap` (src/mapped.rs).
    analyze_reader(File::open(path)?, options)
}

/// Analyses a capture or conn.log from any reader, with bounded memory.
///
/// # Errors
///
/// As [`analyze_file`].
pub fn analyze_reader(reader: impl Read, options: &Options) -> Result<Analysis, TrafficError> {
    let mut input = ChunkReader::new(reader);
    input.fill(SNIFF_LEN)?;
    // Sniff exactly the prefix `analyze_bytes` sees: the reader may have
    // buffered more, and whitespace before a JSON conn.log must not make the
    // two entry points disagree (found by the traffic_capture fuzz target).
    let available = input.available();
    let format = sniff(&available[..available.len().min(SNIFF_LEN)])?;
    let mut analyzer = Analyzer::new(options)?;
    analyzer.set_input_format(format);
    if let Some(mut stepper) = FrameStepper::new(format) {
        for_each_frame_in_reader(&mut input, &mut stepper, &mut analyzer)?;
        analyzer.stats_mut().bytes_read = input.offset() + input.available().len() as u64;
        return Ok(analyzer.finish());
    }
    let mut log = ConnLogReader::new(format, options);
    for_each_line_in_reader(&mut input, |line, offset| log.line(line, offset))?;
    Ok(log.finish(input.offset()))
}

/// Analyses a capture or conn.log held in memory (or memory-mapped by the
/// caller). Frames are read in place, without copying.
///
/// # Errors
///
/// An unrecognised format, or a thread pool that cannot start.
pub fn analyze_bytes(data: &[u8], options: &Options) -> Result<Analysis, TrafficError> {
    let format = sniff(&data[..data.len().min(SNIFF_LEN)])?;
    let mut analyzer = Analyzer::new(options)?;
    analyzer.set_input_format(format);
    if let Some(mut stepper) = FrameStepper::new(format) {
        for_each_frame_in_slice(data, &mut stepper, &mut analyzer);
        analyzer.stats_mut().bytes_read = data.len() as u64;
        return Ok(analyzer.finish());
    }
    let mut log = ConnLogReader::new(format, options);
    let mut offset = 0u64;
    for line in data.split_inclusive(|&b| b == b'\n') {
        log.line(line, offset);
        offset += line.len() as u64;
    }
    Ok(log.finish(offset))
}

fn sniff(prefix: &[u8]) -> Result<InputFormat, TrafficError> {
    InputFormat::sniff(prefix).ok_or_else(|| TrafficError::UnknownFormat {
        magic: prefix.iter().take(4).copied().collect(),
    })
}
