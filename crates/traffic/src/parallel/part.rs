//! One part of a window: its records framed and decoded in a single pass
//! (each record's bytes are touched once, by one thread), its packets
//! sorted into flow shards.

use std::net::IpAddr;
use std::ops::Range;
use std::sync::Mutex;

use crate::capture::{FrameStepper, LinkType, MAX_STEP, RawFrame, Step};
use crate::decode::{DecodeTally, Decoded, FragmentPiece, Packet, decode_frame, is_supported_link};
use crate::error::{Warning, WarningKind, WarningSink};
use crate::flow::PortSet;
use crate::timestamp::Timestamp;

/// One frame held by [`crate::Analyzer::feed_frame`], located in its
/// window's bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FrameRef {
    /// Input offset of the frame's record, for warnings.
    pub(crate) offset: u64,
    pub(crate) ts: Timestamp,
    pub(crate) link: LinkType,
    pub(crate) start: usize,
    pub(crate) len: usize,
}

/// First occurrences of unsupported link types kept per part. The analyzer
/// warns about the first 16 distinct types overall; finding those in a part
/// may mean skipping up to 16 already warned about, hence twice that.
const LINK_EVENTS_PER_PART: usize = 32;

/// Index of a frame within its part; orders a part's packets.
pub(super) type FrameIndex = u32;

/// Counters and warnings of one part, in input order.
#[derive(Debug, Default)]
pub(crate) struct PartReport {
    pub(crate) frames: u64,
    pub(crate) tally: DecodeTally,
    /// Warnings about records without a frame, kept to the sink's cap.
    pub(crate) record_warnings: WarningSink,
    /// First occurrences of unsupported link types.
    pub(crate) unsupported_links: Vec<(u64, LinkType)>,
}

/// Something decoded from a window, with its payload as a range of the
/// window's bytes, so that it can outlive the borrow (the streaming
/// reader keeps a window's bytes while it frames the next).
#[derive(Debug)]
pub(super) struct Placed<T> {
    pub(super) index: FrameIndex,
    /// The packet or fragment, its payload left empty.
    pub(super) item: T,
    pub(super) payload: Range<usize>,
}

/// Packet lists of earlier windows, emptied, to be filled again without
/// allocating (a list grows to thousands of packets per window).
#[derive(Debug, Default)]
pub(super) struct ListPool(Mutex<Vec<Vec<Placed<Packet<'static>>>>>);

impl ListPool {
    fn take(&self) -> Vec<Placed<Packet<'static>>> {
        self.0
            .lock()
            .map(|mut lists| lists.pop().unwrap_or_default())
            .unwrap_or_default()
    }

    /// Keeps `lists` (emptied) for later windows.
    pub(super) fn give_back(&self, lists: impl IntoIterator<Item = Vec<Placed<Packet<'static>>>>) {
        if let Ok(mut pool) = self.0.lock() {
            pool.extend(lists.into_iter().map(|mut list| {
                list.clear();
                list
            }));
        }
    }
}

/// What decoding a part needs besides its bytes.
#[derive(Clone, Copy, Debug)]
pub(super) struct DecodeContext<'p> {
    pub(super) shards: usize,
    pub(super) ports: PortSet,
    pub(super) lists: &'p ListPool,
}

/// The packets of one part, ready for the dissect phase.
#[derive(Debug)]
pub(super) struct DecodedPart {
    /// Tracked packets by shard, each list in frame order.
    pub(super) by_shard: Vec<Vec<Placed<Packet<'static>>>>,
    /// IPv4 fragments, in frame order, for the one reassembler.
    pub(super) fragments: Vec<Placed<FragmentPiece<'static>>>,
    pub(super) report: PartReport,
    ports: PortSet,
    next_index: FrameIndex,
}

/// Where `inner` lies in `outer` (empty if it does not).
fn range_in(outer: &[u8], inner: &[u8]) -> Range<usize> {
    let start = (inner.as_ptr() as usize).wrapping_sub(outer.as_ptr() as usize);
    match start.checked_add(inner.len()) {
        Some(end) if end <= outer.len() => start..end,
        _ => 0..0,
    }
}

impl DecodedPart {
    pub(super) fn new(cx: DecodeContext<'_>) -> Self {
        Self {
            by_shard: (0..cx.shards).map(|_| cx.lists.take()).collect(),
            fragments: Vec::new(),
            report: PartReport::default(),
            ports: cx.ports,
            next_index: 0,
        }
    }

    /// Decodes one frame of `bytes` (its record at input offset `offset`).
    pub(super) fn add_frame(&mut self, bytes: &[u8], frame: &RawFrame<'_>, offset: u64) {
        let index = self.next_index;
        self.next_index = self.next_index.saturating_add(1);
        self.report.frames += 1;
        let decoded = decode_frame(frame, self.ports);
        self.report.tally.count(&decoded);
        match decoded {
            Decoded::Packet(p) => {
                let shard = shard_of(&p, self.by_shard.len());
                self.by_shard[shard].push(Placed {
                    index,
                    item: p.with_payload(&[]),
                    payload: range_in(bytes, p.payload),
                });
            }
            Decoded::Fragment(piece) => self.fragments.push(Placed {
                index,
                item: piece.with_payload(&[]),
                payload: range_in(bytes, piece.payload()),
            }),
            Decoded::UnsupportedLink => {
                let links = &mut self.report.unsupported_links;
                let link = frame.link;
                if !is_supported_link(link)
                    && links.len() < LINK_EVENTS_PER_PART
                    && !links.iter().any(|&(_, l)| l == link)
                {
                    links.push((offset, link));
                }
            }
            Decoded::Skipped | Decoded::Malformed => {}
        }
    }
}

/// The shard owning a packet's flow: a hash of the 5-tuple that is the
/// same in both directions (XOR commutes) and in every run.
pub(super) fn shard_of(p: &Packet<'_>, shards: usize) -> usize {
    let fold = |ip: IpAddr| match ip {
        IpAddr::V4(v4) => u64::from(v4.to_bits()),
        IpAddr::V6(v6) => {
            let bits = v6.to_bits();
            (bits >> 64) as u64 ^ bits as u64
        }
    };
    let addresses = fold(p.src) ^ fold(p.dst);
    let ports = u64::from(p.src_port ^ p.dst_port);
    let mixed = (addresses ^ (ports << 40) ^ p.protocol as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    ((mixed >> 32) % shards as u64) as usize
}

/// Why a part stopped before its end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum PartStop {
    /// The record at the part's end is incomplete; at least this many more
    /// bytes are needed.
    NeedMore(usize),
    /// Reading is over: the input ended, or a record was truncated or
    /// corrupt (with the warning to give).
    Finished(Option<Warning>),
}

/// A part framed and decoded from a given state.
#[derive(Debug)]
pub(super) struct FramedPart {
    /// Where framing started (a guessed boundary unless confirmed).
    pub(super) start: usize,
    /// Just after the last whole record framed.
    pub(super) end: usize,
    pub(super) stop: Option<PartStop>,
    /// The state framing ended in.
    pub(super) stepper: FrameStepper,
    pub(super) decoded: DecodedPart,
}

/// Where one part's framing starts and stops.
#[derive(Clone, Copy, Debug)]
pub(super) struct PartBounds {
    pub(super) start: usize,
    /// Records starting at or after this belong to the next part.
    pub(super) end: usize,
    /// `bytes` runs to the end of the input.
    pub(super) at_eof: bool,
}

/// Frames and decodes the records of `bytes` (at input offset
/// `base_offset`) that start in `bounds`, beginning at `bounds.start` in
/// state `assumed`. Steps exactly as the sequential drivers do: each record
/// sees all of `bytes` from its start, not a slice cut at the part's end.
pub(super) fn frame_part(
    bytes: &[u8],
    base_offset: u64,
    bounds: PartBounds,
    assumed: &FrameStepper,
    cx: DecodeContext<'_>,
) -> FramedPart {
    let mut stepper = assumed.for_part();
    let mut decoded = DecodedPart::new(cx);
    let mut pos = bounds.start;
    let mut stop = None;
    while pos < bounds.end {
        if pos >= bytes.len() {
            stop = Some(if bounds.at_eof {
                PartStop::Finished(None)
            } else {
                PartStop::NeedMore(1)
            });
            break;
        }
        let offset = base_offset + pos as u64;
        let (consumed, step) = stepper.step(&bytes[pos..]);
        let finished = |kind| Some(PartStop::Finished(Some(Warning { offset, kind })));
        match step {
            Step::Frame(frame) => decoded.add_frame(bytes, &frame, offset),
            Step::Skip(Some(kind)) => decoded.report.record_warnings.push(offset, kind),
            Step::Skip(None) => {}
            Step::NeedMore(needed) => {
                let have = bytes.len() - pos;
                stop = if bounds.at_eof {
                    let trailing_bytes = have as u64;
                    finished(WarningKind::Truncated { trailing_bytes })
                } else {
                    Some(PartStop::NeedMore(needed.clamp(have + 1, MAX_STEP) - have))
                };
                break;
            }
            Step::Corrupt(reason) => {
                stop = finished(WarningKind::CorruptRecord { reason });
                break;
            }
        }
        if consumed == 0 {
            // Defensive, as in the sequential drivers.
            let reason = "no progress";
            stop = finished(WarningKind::CorruptRecord { reason });
            break;
        }
        pos += consumed;
    }
    FramedPart {
        start: bounds.start,
        end: pos,
        stop,
        stepper,
        decoded,
    }
}

/// Decodes frames already framed (by [`crate::Analyzer::feed_frame`]).
pub(super) fn decode_frames(
    bytes: &[u8],
    frames: &[FrameRef],
    cx: DecodeContext<'_>,
) -> DecodedPart {
    let mut decoded = DecodedPart::new(cx);
    for frame in frames {
        let raw = RawFrame {
            ts: frame.ts,
            link: frame.link,
            data: &bytes[frame.start..frame.start + frame.len],
        };
        decoded.add_frame(bytes, &raw, frame.offset);
    }
    decoded
}
