//! The packet-fed analysis engine.
//!
//! Frames are decoded on the calling thread. With one thread, each packet
//! goes straight to the flow table; with more, to worker threads that each
//! own a shard of it (see `shards.rs`). Results are identical either way.

use crate::analysis::{Analysis, Options, Stats};
use crate::capture::{FrameSink, InputFormat, LinkType, RawFrame};
use crate::decode::{Decoded, Decoder, is_supported_link};
use crate::error::{TrafficError, WarningKind, WarningSink};
use crate::flow::table::FlowTable;
use crate::flow::{FlowRecord, PortSet};
use crate::shards::Shards;
use crate::smb::DissectCounters;
use crate::timestamp::Timestamp;

/// Distinct unsupported link types warned about.
const MAX_LINK_WARNINGS: usize = 16;

/// One captured frame handed to [`Analyzer::feed_frame`].
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    /// Link type of `data`.
    pub link_type: LinkType,
    /// Capture time.
    pub timestamp: Timestamp,
    /// The frame as captured (possibly cut at the snap length).
    pub data: &'a [u8],
    /// Byte offset of the frame's record in its file, used in warnings.
    pub offset: u64,
}

impl FrameSink for Analyzer {
    fn frame(&mut self, frame: &RawFrame<'_>, offset: u64) {
        self.feed(frame, offset);
    }

    fn warning(&mut self, offset: u64, kind: WarningKind) {
        self.warnings.push(offset, kind);
    }
}

/// Where flow state lives.
#[derive(Debug)]
enum Engine {
    /// On the calling thread.
    Inline(FlowTable),
    /// Sharded over worker threads.
    Sharded(Shards),
}

/// Incremental analyzer: feed it frames, then [`Analyzer::finish`].
///
/// Use this when frames come from somewhere other than a file (a live
/// capture, another reader); otherwise [`crate::analyze_file`] does the
/// whole job.
#[derive(Debug)]
pub struct Analyzer {
    decoder: Decoder,
    engine: Engine,
    warnings: WarningSink,
    stats: Stats,
    warned_links: Vec<LinkType>,
    input_format: Option<InputFormat>,
}

impl Analyzer {
    /// A new analyzer.
    ///
    /// # Errors
    ///
    /// [`TrafficError::ThreadPool`] if `options.threads > 1` and the worker
    /// threads cannot be started.
    pub fn new(options: &Options) -> Result<Self, TrafficError> {
        let ports = PortSet {
            quic: options.track_quic,
            smb_direct: options.track_smb_direct,
        };
        let threads = options.threads.max(1);
        let engine = if threads > 1 {
            // The calling thread decodes; the others hold flow state.
            Engine::Sharded(Shards::start(threads - 1, ports)?)
        } else {
            Engine::Inline(FlowTable::new(ports))
        };
        Ok(Self {
            decoder: Decoder::new(ports),
            engine,
            warnings: WarningSink::default(),
            stats: Stats::default(),
            warned_links: Vec::new(),
            input_format: None,
        })
    }

    /// Analyses one frame.
    pub fn feed_frame(&mut self, frame: &Frame<'_>) {
        let raw = RawFrame {
            ts: frame.timestamp,
            link: frame.link_type,
            data: frame.data,
        };
        self.feed(&raw, frame.offset);
    }

    pub(crate) fn set_input_format(&mut self, format: InputFormat) {
        self.input_format = Some(format);
    }

    pub(crate) fn stats_mut(&mut self) -> &mut Stats {
        &mut self.stats
    }

    fn feed(&mut self, frame: &RawFrame<'_>, offset: u64) {
        self.stats.frames += 1;
        match self.decoder.decode(frame) {
            Decoded::Packet(p) => {
                self.stats.packets_tracked += 1;
                match &mut self.engine {
                    Engine::Inline(table) => table.process(&p),
                    Engine::Sharded(shards) => shards.push(&p),
                }
            }
            Decoded::Skipped => self.stats.frames_skipped += 1,
            Decoded::Fragment => self.stats.ipv4_fragments += 1,
            Decoded::Malformed => self.stats.frames_malformed += 1,
            Decoded::UnsupportedLink => {
                self.stats.frames_unsupported_link += 1;
                let link = frame.link;
                if !is_supported_link(link)
                    && !self.warned_links.contains(&link)
                    && self.warned_links.len() < MAX_LINK_WARNINGS
                {
                    self.warned_links.push(link);
                    self.warnings.push(
                        offset,
                        WarningKind::UnsupportedLinkType { link_type: link.0 },
                    );
                }
            }
        }
    }

    /// Finishes the analysis: flows sorted by first packet, then 5-tuple.
    #[must_use]
    pub fn finish(self) -> Analysis {
        let tables = match self.engine {
            Engine::Inline(table) => vec![table],
            Engine::Sharded(shards) => shards.finish(),
        };
        let mut flows: Vec<FlowRecord> = Vec::new();
        let mut counters = DissectCounters::default();
        for shard in tables {
            let (records, c) = shard.into_parts();
            flows.extend(records);
            counters.add(&c);
        }
        let mut analysis = Analysis::new(self.input_format, flows, self.warnings, self.stats);
        analysis.stats.smb_messages = counters.messages;
        analysis.stats.smb_malformed = counters.malformed;
        analysis.stats.tcp_gaps = counters.gaps;
        analysis.stats.nbss_resyncs = counters.resyncs;
        analysis
    }
}
