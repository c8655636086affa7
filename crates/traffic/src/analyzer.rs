//! The packet-fed analysis engine.
//!
//! With one thread, each frame is decoded and dissected as it is read. With
//! more, frames are gathered into windows that a thread pool decodes and
//! dissects in parallel (`parallel.rs`). Results are identical either way.

use std::fs::File;
use std::io::Read;

use crate::bookkeeping::Bookkeeping;
use crate::capture::stream::{ChunkReader, for_each_frame_in_reader};
use crate::capture::{
    FrameSink, FrameStepper, InputFormat, LinkType, RawFrame, for_each_frame_in_slice,
};
use crate::decode::{Decoded, Reassembler, decode_frame};
use crate::error::{TrafficError, WarningKind};
use crate::flow::table::FlowTable;
use crate::flow::{FlowRecord, PortSet};
use crate::parallel::drive::{self, FileSource, StreamSource};
use crate::parallel::{FrameRef, Parallel, WindowSizes};
use crate::report::{Analysis, Options};
use crate::smb::DissectCounters;
use crate::timestamp::Timestamp;

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

/// Where frames are decoded and flow state lives.
#[derive(Debug)]
enum Engine {
    /// On the calling thread.
    Inline {
        ports: PortSet,
        reassembler: Reassembler,
        table: FlowTable,
    },
    /// On a thread pool; `pending` gathers frames given one at a time.
    Parallel {
        parallel: Box<Parallel>,
        pending: PendingWindow,
    },
}

/// Frames copied from [`Analyzer::feed_frame`] until they fill a window.
#[derive(Debug, Default)]
struct PendingWindow {
    bytes: Vec<u8>,
    frames: Vec<FrameRef>,
}

/// Incremental analyzer: feed it frames, then [`Analyzer::finish`].
///
/// Use this when frames come from somewhere other than a file (a live
/// capture, another reader); otherwise [`crate::analyze_file`] does the
/// whole job.
#[derive(Debug)]
pub struct Analyzer {
    engine: Engine,
    book: Bookkeeping,
    input_format: Option<InputFormat>,
}

impl FrameSink for Analyzer {
    fn frame(&mut self, frame: &RawFrame<'_>, offset: u64) {
        self.feed(frame, offset);
    }

    fn warning(&mut self, offset: u64, kind: WarningKind) {
        self.book.warning(offset, kind);
    }
}

impl Analyzer {
    /// A new analyzer.
    ///
    /// # Errors
    ///
    /// [`TrafficError::ThreadPool`] if `options.threads > 1` and the worker
    /// threads cannot be started.
    pub fn new(options: &Options) -> Result<Self, TrafficError> {
        Self::with_window_sizes(options, WindowSizes::default())
    }

    /// As [`Analyzer::new`], with other window sizes for the parallel
    /// engine (tests and fuzzing use tiny ones).
    pub(crate) fn with_window_sizes(
        options: &Options,
        windows: WindowSizes,
    ) -> Result<Self, TrafficError> {
        let ports = PortSet {
            quic: options.track_quic,
            smb_direct: options.track_smb_direct,
        };
        let engine = match options.threads {
            0 | 1 => Engine::Inline {
                ports,
                reassembler: Reassembler::new(ports),
                table: FlowTable::new(ports),
            },
            threads => Engine::Parallel {
                parallel: Box::new(Parallel::start(threads, ports, windows)?),
                pending: PendingWindow::default(),
            },
        };
        Ok(Self {
            engine,
            book: Bookkeeping::default(),
            input_format: None,
        })
    }

    /// Analyses one frame.
    ///
    /// With more than one thread, frames are copied and analysed a window
    /// at a time; [`Analyzer::finish`] analyses the last one.
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

    /// Reads a whole in-memory capture.
    pub(crate) fn read_slice(&mut self, data: &[u8], stepper: &mut FrameStepper) {
        self.book.stats.bytes_read = if let Engine::Parallel { parallel, .. } = &mut self.engine {
            drive::run_slice(data, stepper, parallel, &mut self.book)
        } else {
            for_each_frame_in_slice(data, stepper, self)
        };
    }

    /// Reads a capture to its end from the reader that sniffed its format.
    pub(crate) fn read_stream<R: Read>(
        &mut self,
        mut input: ChunkReader<R>,
        stepper: &mut FrameStepper,
    ) -> std::io::Result<()> {
        self.book.stats.bytes_read = if let Engine::Parallel { parallel, .. } = &mut self.engine {
            let base = input.offset();
            let (buffered, reader, eof) = input.into_parts();
            let mut source = StreamSource(reader);
            let start = (buffered, base, eof);
            drive::run_source(&mut source, start, stepper, parallel, &mut self.book)?
        } else {
            for_each_frame_in_reader(&mut input, stepper, self)?
        };
        Ok(())
    }

    /// Reads a capture file to its end, continuing from the reader that
    /// sniffed its format: with positional reads when several threads can
    /// share them.
    pub(crate) fn read_file<R: Read>(
        &mut self,
        input: ChunkReader<R>,
        file: &File,
        progress: Option<&dyn Fn(u64)>,
        stepper: &mut FrameStepper,
    ) -> std::io::Result<()> {
        let Engine::Parallel { parallel, .. } = &mut self.engine else {
            return self.read_stream(input, stepper);
        };
        let base = input.offset();
        let (buffered, _, eof) = input.into_parts();
        let mut source = FileSource::new(file, base + buffered.len() as u64, progress);
        let start = (buffered, base, eof);
        self.book.stats.bytes_read =
            drive::run_source(&mut source, start, stepper, parallel, &mut self.book)?;
        Ok(())
    }

    fn feed(&mut self, frame: &RawFrame<'_>, offset: u64) {
        match &mut self.engine {
            Engine::Inline {
                ports,
                reassembler,
                table,
            } => {
                self.book.stats.frames += 1;
                let decoded = decode_frame(frame, *ports);
                let tally = &mut self.book.tally;
                tally.count(&decoded);
                match decoded {
                    Decoded::Packet(p) => table.process(&p),
                    Decoded::Fragment(piece) => {
                        let done = reassembler.add(&piece);
                        tally.count_reassembly(done.as_ref());
                        if let Some(Decoded::Packet(p)) = done {
                            table.process(&p);
                        }
                    }
                    Decoded::UnsupportedLink => self.book.unsupported_link(offset, frame.link),
                    Decoded::Skipped | Decoded::Malformed => {}
                }
            }
            Engine::Parallel { parallel, pending } => {
                let start = pending.bytes.len();
                pending.bytes.extend_from_slice(frame.data);
                pending.frames.push(FrameRef {
                    offset,
                    ts: frame.ts,
                    link: frame.link,
                    start,
                    len: frame.data.len(),
                });
                if pending.bytes.len() >= parallel.window_sizes().memory {
                    flush(parallel, pending, &mut self.book);
                }
            }
        }
    }

    /// Finishes the analysis: flows sorted by first packet, then 5-tuple.
    #[must_use]
    pub fn finish(mut self) -> Analysis {
        let tables = match self.engine {
            Engine::Inline { table, .. } => vec![table],
            Engine::Parallel {
                mut parallel,
                mut pending,
            } => {
                flush(&mut parallel, &mut pending, &mut self.book);
                parallel.into_tables()
            }
        };
        let mut flows: Vec<FlowRecord> = Vec::new();
        let mut counters = DissectCounters::default();
        for shard in tables {
            let (records, c) = shard.into_parts();
            flows.extend(records);
            counters.add(&c);
        }
        let Bookkeeping {
            mut stats,
            tally,
            warnings,
            ..
        } = self.book;
        stats.packets_tracked = tally.packets_tracked;
        stats.frames_skipped = tally.frames_skipped;
        stats.frames_malformed = tally.frames_malformed;
        stats.frames_unsupported_link = tally.frames_unsupported_link;
        stats.ipv4_fragments = tally.ipv4_fragments;
        stats.smb_messages = counters.messages;
        stats.smb_malformed = counters.malformed;
        stats.tcp_gaps = counters.gaps;
        stats.nbss_resyncs = counters.resyncs;
        Analysis::new(self.input_format, flows, warnings, stats)
    }
}

/// Analyses the frames gathered by [`Analyzer::feed_frame`].
fn flush(parallel: &mut Parallel, pending: &mut PendingWindow, book: &mut Bookkeeping) {
    if pending.frames.is_empty() {
        return;
    }
    book.apply_window(parallel.process_frames(&pending.bytes, &pending.frames));
    pending.bytes.clear();
    pending.frames.clear();
}
