//! Multi-threaded analysis: captures framed, decoded and dissected in
//! parallel, with results identical to one thread.
//!
//! The input is processed a window (a few MiB) at a time, in two parallel
//! phases on a thread pool:
//!
//! 1. **Frame and decode** (`window.rs`, `part.rs`). The window is cut into
//!    byte ranges; each thread guesses the first record boundary in its
//!    range, then frames and decodes its records in one pass, putting every
//!    tracked packet in the list of the shard that owns its flow (a
//!    direction-independent hash of the 5-tuple). Packets refer to the
//!    window's bytes by range: no payload is copied. The guesses are then
//!    confirmed in order, and any part that guessed wrong is redone.
//! 2. **Dissect.** Each shard's flow table takes its packets from every part
//!    in order, so each flow sees exactly the packets it would see on one
//!    thread, in capture order.
//!
//! Between the two, IPv4 fragments (rare: NBNS/NBDGM datagrams) are
//! reassembled in capture order on one thread, and each completed datagram
//! joins its shard's list at the position of its last fragment. Counters
//! are summed and warnings kept in input order, so
//! [`crate::Options::threads`] changes speed, not results.
//!
//! The phases are pipelined (`drive.rs`): window *k* is dissected while
//! window *k + 1* is framed (their state is disjoint: flow tables and the
//! reassembler against the frame stepper), and the window after that is
//! read meanwhile, by the pool with positional reads for a regular file,
//! by the calling thread for any other reader.

pub(crate) mod drive;
mod part;
pub(crate) mod window;

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use rayon::prelude::{
    IndexedParallelIterator, IntoParallelRefMutIterator, ParallelIterator, ParallelSlice,
};
use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::capture::FrameStepper;
use crate::decode::{Decoded, Packet, Reassembler};
use crate::error::{TrafficError, Warning};
use crate::flow::PortSet;
use crate::flow::table::FlowTable;
pub(crate) use drive::WindowSizes;
pub(crate) use part::FrameRef;
pub(crate) use part::PartReport;
use part::{DecodeContext, DecodedPart, FrameIndex, ListPool, Placed, decode_frames, shard_of};
use window::{WindowEnd, WindowInput, frame_window};

/// Parts per thread in the frame-and-decode phase: more than one, so that
/// a thread that finishes early can take over from a slow one.
const PARTS_PER_THREAD: usize = 2;
const SHARDS_PER_THREAD: usize = 1;

/// Packets looked ahead in the dissect phase (see its loop).
const PREFETCH_DISTANCE: usize = 24;

/// A thread pool plus the flow tables it dissects into, one per shard.
#[derive(Debug)]
pub(crate) struct Parallel {
    pool: Arc<ThreadPool>,
    windows: WindowSizes,
    ports: PortSet,
    lists: ListPool,
    dissector: Dissector,
}

/// A window framed and decoded, waiting to be dissected.
#[derive(Debug)]
pub(crate) struct Framed {
    parts: Vec<DecodedPart>,
    stop: Option<Warning>,
    /// Bytes of whole records framed.
    pub(super) consumed: usize,
    pub(super) end: WindowEnd,
}

impl Framed {
    /// Input bytes read if this window ends the input (`base`: the input
    /// offset of its first byte): a truncated record's bytes count, as in
    /// the sequential drivers.
    fn bytes_read_if_last(&self, base: u64) -> u64 {
        let trailing = match self.stop {
            Some(Warning {
                kind: crate::WarningKind::Truncated { trailing_bytes },
                ..
            }) => trailing_bytes,
            _ => 0,
        };
        base + self.consumed as u64 + trailing
    }
}

/// What dissecting one window found besides flows, for the analyzer's
/// counters and warnings.
#[derive(Debug)]
pub(crate) struct WindowOutcome {
    /// Per part, in input order.
    pub(crate) parts: Vec<PartReport>,
    /// The warning that ended reading, if any.
    pub(crate) stop: Option<Warning>,
}

/// One window to frame, with the stepper in the state at its start.
pub(crate) type ToFrame<'a, 'w> = (WindowInput<'w>, &'a mut FrameStepper);

/// The pool of `threads` threads, started on first use and kept for the
/// life of the process, like rayon's global pool: starting threads for every
/// capture would cost more than analysing a small one, and an analysis
/// that returns leaves no threads winding down behind it. Analyses running
/// at the same time with the same thread count share the pool.
fn shared_pool(threads: usize) -> Result<Arc<ThreadPool>, TrafficError> {
    /// Pools by thread count.
    type Pools = Vec<(usize, Arc<ThreadPool>)>;
    static POOLS: OnceLock<Mutex<Pools>> = OnceLock::new();
    let pools = POOLS.get_or_init(Mutex::default);
    // A panic while the lock was held cannot leave the list inconsistent.
    let mut pools = pools.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, pool)) = pools.iter().find(|(n, _)| *n == threads) {
        return Ok(Arc::clone(pool));
    }
    let pool = ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(move |i| format!("smbguard-traffic-{threads}-{i}"))
        .build()
        .map_err(|e| TrafficError::ThreadPool {
            threads,
            reason: e.to_string(),
        })?;
    let pool = Arc::new(pool);
    pools.push((threads, Arc::clone(&pool)));
    Ok(pool)
}

impl Parallel {
    /// The pool of `threads` threads and as many flow shards.
    pub(crate) fn start(
        threads: usize,
        ports: PortSet,
        windows: WindowSizes,
    ) -> Result<Self, TrafficError> {
        let pool = shared_pool(threads)?;
        let tables = (0..threads * SHARDS_PER_THREAD)
            .map(|_| FlowTable::new(ports))
            .collect();
        Ok(Self {
            pool,
            windows,
            ports,
            lists: ListPool::default(),
            dissector: Dissector {
                tables,
                reassembler: Reassembler::new(ports),
            },
        })
    }

    /// The pool, what decoding needs, and the flow state, borrowed apart.
    fn parts(&mut self) -> (&ThreadPool, DecodeContext<'_>, &mut Dissector) {
        let cx = DecodeContext {
            shards: self.dissector.tables.len(),
            ports: self.ports,
            lists: &self.lists,
        };
        (&self.pool, cx, &mut self.dissector)
    }

    /// One pipeline step on the pool: frames `next` (leaving its stepper in
    /// the state at the window's end) while dissecting `previous` (a window
    /// framed by the step before, with its bytes) and running `in_pool`;
    /// meanwhile `on_caller` runs on the calling thread (which need not be
    /// `Send`: a reader reading ahead).
    fn step<P: Send, C>(
        &mut self,
        previous: Option<(&[u8], Framed)>,
        next: Option<ToFrame<'_, '_>>,
        in_pool: impl FnOnce() -> P + Send,
        on_caller: impl FnOnce() -> C,
    ) -> (Option<Framed>, Option<WindowOutcome>, P, C) {
        let (pool, cx, dissector) = self.parts();
        let lists = cx.lists;
        let mut results = None;
        let on_caller = pool.in_place_scope(|scope| {
            scope.spawn(|_| {
                let ((framed, outcome), in_pool) = rayon::join(
                    || {
                        rayon::join(
                            || next.map(|(input, stepper)| frame(input, stepper, cx)),
                            || {
                                previous
                                    .map(|(bytes, framed)| dissector.dissect(bytes, framed, lists))
                            },
                        )
                    },
                    in_pool,
                );
                results = Some((framed, outcome, in_pool));
            });
            on_caller()
        });
        let (framed, outcome, in_pool) =
            results.unwrap_or_else(|| unreachable!("the scope waits for its task"));
        (framed, outcome, in_pool, on_caller)
    }

    /// Processes frames gathered one at a time (already framed).
    pub(crate) fn process_frames(&mut self, bytes: &[u8], frames: &[FrameRef]) -> WindowOutcome {
        let (pool, cx, dissector) = self.parts();
        pool.install(|| {
            let chunk = frames.len() / (rayon::current_num_threads() * PARTS_PER_THREAD) + 1;
            let parts = frames
                .par_chunks(chunk)
                .map(|run| decode_frames(bytes, run, cx))
                .collect();
            let framed = Framed {
                parts,
                stop: None,
                consumed: bytes.len(),
                end: WindowEnd::Budget,
            };
            dissector.dissect(bytes, framed, cx.lists)
        })
    }

    pub(crate) fn window_sizes(&self) -> WindowSizes {
        self.windows
    }

    /// The flow tables, one per shard.
    pub(crate) fn into_tables(self) -> Vec<FlowTable> {
        self.dissector.tables
    }
}

/// Frames and decodes one window (inside the pool).
fn frame(input: WindowInput<'_>, stepper: &mut FrameStepper, cx: DecodeContext<'_>) -> Framed {
    let parts = rayon::current_num_threads() * PARTS_PER_THREAD;
    let window = frame_window(input, stepper, parts, cx);
    Framed {
        parts: window.parts.into_iter().map(|part| part.decoded).collect(),
        stop: window.stop,
        consumed: window.consumed,
        end: window.end,
    }
}

/// Flow state split by shard, plus the one fragment reassembler.
#[derive(Debug)]
struct Dissector {
    tables: Vec<FlowTable>,
    reassembler: Reassembler,
}

/// A reassembled datagram, its payload in the window's reassembly arena.
#[derive(Debug)]
struct Reassembled {
    /// Part and frame of the fragment that completed it.
    at: (usize, FrameIndex),
    shard: usize,
    packet: Placed<Packet<'static>>,
}

impl Dissector {
    /// Reassembles the window's fragments in order, then dissects every
    /// shard's packets in parallel (inside the pool).
    fn dissect(&mut self, bytes: &[u8], framed: Framed, lists: &ListPool) -> WindowOutcome {
        let Framed {
            mut parts, stop, ..
        } = framed;
        let shards = self.tables.len();
        let mut arena = Vec::new();
        let mut reassembled = Vec::new();
        for (k, part) in parts.iter_mut().enumerate() {
            for fragment in &part.fragments {
                let piece = fragment.item.with_payload(&bytes[fragment.payload.clone()]);
                let done = self.reassembler.add(&piece);
                part.report.tally.count_reassembly(done.as_ref());
                if let Some(Decoded::Packet(p)) = done {
                    let start = arena.len();
                    arena.extend_from_slice(p.payload);
                    reassembled.push(Reassembled {
                        at: (k, fragment.index),
                        shard: shard_of(&p, shards),
                        packet: Placed {
                            index: fragment.index,
                            item: p.with_payload(&[]),
                            payload: start..arena.len(),
                        },
                    });
                }
            }
        }
        let decoded = &parts;
        self.tables
            .par_iter_mut()
            .enumerate()
            .for_each(|(shard, table)| {
                let mut extra = reassembled.iter().filter(|r| r.shard == shard).peekable();
                let mut feed_extra_before = |table: &mut FlowTable, at: (usize, FrameIndex)| {
                    while let Some(r) = extra.next_if(|r| r.at < at) {
                        let payload = &arena[r.packet.payload.clone()];
                        table.process(&r.packet.item.with_payload(payload));
                    }
                };
                for (k, part) in decoded.iter().enumerate() {
                    let list = &part.by_shard[shard];
                    for (i, placed) in list.iter().enumerate() {
                        // Load a payload a few packets ahead, so that its
                        // cache miss overlaps with dissecting this one.
                        if let Some(ahead) = list.get(i + PREFETCH_DISTANCE) {
                            std::hint::black_box(bytes.get(ahead.payload.start));
                        }
                        feed_extra_before(table, (k, placed.index));
                        table.process(&placed.item.with_payload(&bytes[placed.payload.clone()]));
                    }
                }
                feed_extra_before(table, (usize::MAX, FrameIndex::MAX));
            });
        let reports = parts
            .into_iter()
            .map(|part| {
                lists.give_back(part.by_shard);
                part.report
            })
            .collect();
        WindowOutcome {
            parts: reports,
            stop,
        }
    }
}
