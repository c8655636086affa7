//! Capture readers: turn pcap and pcapng bytes into link-layer frames.
//!
//! Framing is done by `pcap-parser` (zero-copy, both byte orders, micro- and
//! nanosecond pcap, multi-section/multi-interface pcapng). This module adds a
//! small resumable state machine on top ([`FrameStepper`]) so that the same
//! code drives an in-memory slice and a bounded streaming buffer
//! ([`stream`]). A stepper never panics and never needs more memory than one
//! record.

mod pcap;
mod pcapng;
pub(crate) mod stream;

use serde::Serialize;

use crate::error::WarningKind;
use crate::timestamp::Timestamp;

/// A pcap/pcapng `LINKTYPE_*` value.
///
/// Kept as the raw number so that unknown types survive round trips; the
/// associated constants name the ones this crate decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: 4-byte address family in the capturing host's byte order.
    pub const NULL: Self = Self(0);
    /// Ethernet II, with optional 802.1Q / 802.1ad (QinQ) tags.
    pub const ETHERNET: Self = Self(1);
    /// Raw IPv4 or IPv6 (the value used in pcap files).
    pub const RAW: Self = Self(101);
    /// OpenBSD loopback: like [`LinkType::NULL`] but in network byte order.
    pub const LOOP: Self = Self(108);
    /// Linux "cooked" capture v1 (16-byte header).
    pub const LINUX_SLL: Self = Self(113);
    /// Raw IPv4 only.
    pub const IPV4: Self = Self(228);
    /// Raw IPv6 only.
    pub const IPV6: Self = Self(229);
    /// Linux "cooked" capture v2 (20-byte header).
    pub const LINUX_SLL2: Self = Self(276);
}

/// What kind of input was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InputFormat {
    /// Classic libpcap file (any byte order, micro- or nanosecond).
    Pcap,
    /// pcapng.
    PcapNg,
    /// Zeek `conn.log` in the default tab-separated format.
    ZeekConnTsv,
    /// Zeek `conn.log` as JSON lines (`LogAscii::use_json=T`).
    ZeekConnJson,
}

impl InputFormat {
    /// Recognises the format from the first bytes of the input.
    pub(crate) fn sniff(prefix: &[u8]) -> Option<Self> {
        let magic = prefix.get(..4)?;
        match magic {
            [0xa1, 0xb2, 0xc3, 0xd4]
            | [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xcd, 0x34]
            | [0x34, 0xcd, 0xb2, 0xa1] => Some(Self::Pcap),
            [0x0a, 0x0d, 0x0d, 0x0a] => Some(Self::PcapNg),
            _ if prefix.starts_with(b"#separator") => Some(Self::ZeekConnTsv),
            _ => {
                let first = prefix.iter().find(|b| !b.is_ascii_whitespace())?;
                (*first == b'{').then_some(Self::ZeekConnJson)
            }
        }
    }
}

/// One captured frame, borrowed from the input.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RawFrame<'a> {
    pub(crate) ts: Timestamp,
    pub(crate) link: LinkType,
    pub(crate) data: &'a [u8],
}

/// Result of one step of a [`FrameStepper`].
#[derive(Debug)]
pub(crate) enum Step<'a> {
    /// A frame; the stepper consumed the returned number of bytes.
    Frame(RawFrame<'a>),
    /// A record without a packet (file header, interface description, ...)
    /// was consumed, possibly with a warning about it.
    Skip(Option<WarningKind>),
    /// The input holds only part of the next record: at least this many
    /// bytes (counted from the current position) are needed.
    NeedMore(usize),
    /// The next record is unusable and its length cannot be trusted, so
    /// reading cannot continue.
    Corrupt(&'static str),
}

/// Largest record accepted. Real snap lengths are at most 256 KiB; anything
/// far beyond is a corrupt length field, and refusing it keeps the streaming
/// buffer bounded.
pub(crate) const MAX_RECORD: usize = 16 * 1024 * 1024;

/// Most bytes a stepper may ask for at once: the largest record plus its
/// record header (a pcap record's 16 or 24 bytes precede its data).
pub(crate) const MAX_STEP: usize = MAX_RECORD + 64;

/// Resumable frame extractor for one capture format.
///
/// Besides stepping record by record, a stepper can *speculate*: a copy
/// started at a guessed record boundary ([`FrameStepper::resync`]) frames
/// part of a capture on another thread, and the guess is confirmed
/// afterwards ([`FrameStepper::speculation_holds`]) against the state the
/// records before it really left. That is how a window of a capture is
/// framed by several threads with results identical to one.
#[derive(Clone, Debug)]
pub(crate) enum FrameStepper {
    Pcap(pcap::PcapStepper),
    PcapNg(pcapng::PcapNgStepper),
}

impl FrameStepper {
    /// A stepper for `format`, or `None` for non-capture (flow log) formats.
    pub(crate) fn new(format: InputFormat) -> Option<Self> {
        match format {
            InputFormat::Pcap => Some(Self::Pcap(pcap::PcapStepper::default())),
            InputFormat::PcapNg => Some(Self::PcapNg(pcapng::PcapNgStepper::default())),
            InputFormat::ZeekConnTsv | InputFormat::ZeekConnJson => None,
        }
    }

    /// Whether the file header has been read, so that records can be found
    /// by [`FrameStepper::resync`].
    pub(crate) fn is_primed(&self) -> bool {
        match self {
            Self::Pcap(p) => p.is_primed(),
            Self::PcapNg(p) => p.is_primed(),
        }
    }

    /// A copy to frame one part with, recording what the part depends on.
    pub(crate) fn for_part(&self) -> Self {
        let mut part = self.clone();
        if let Self::PcapNg(p) = &mut part {
            p.begin_part();
        }
        part
    }

    /// The first plausible record boundary in `data[from..limit]`, where
    /// `data[0]` is at input offset `base_offset`. A guess, to be confirmed.
    pub(crate) fn resync(
        &self,
        data: &[u8],
        base_offset: u64,
        from: usize,
        limit: usize,
    ) -> Option<usize> {
        match self {
            Self::Pcap(p) => p.resync(data, from, limit),
            Self::PcapNg(p) => p.resync(data, base_offset, from, limit),
        }
    }

    /// Whether a part framed by a [`FrameStepper::for_part`] copy of `self`
    /// (which ended as `part_end`) framed exactly what stepping from the
    /// true state `incoming` would have, given that it started at the
    /// right boundary.
    pub(crate) fn speculation_holds(&self, incoming: &Self, part_end: &Self) -> bool {
        match (self, incoming, part_end) {
            (Self::Pcap(a), Self::Pcap(i), Self::Pcap(_)) => a.speculation_holds(i),
            (Self::PcapNg(a), Self::PcapNg(i), Self::PcapNg(e)) => a.speculation_holds(i, e),
            _ => false,
        }
    }

    /// The true state after a part whose speculation held.
    pub(crate) fn continue_from(part_end: Self, incoming: &Self) -> Self {
        match (part_end, incoming) {
            (Self::PcapNg(e), Self::PcapNg(i)) => {
                Self::PcapNg(pcapng::PcapNgStepper::continue_from(e, i))
            }
            (part_end, _) => part_end,
        }
    }

    /// Extracts the next record from `input` (which starts at a record
    /// boundary). Returns the number of bytes consumed and what was found.
    pub(crate) fn step<'a>(&mut self, input: &'a [u8]) -> (usize, Step<'a>) {
        match self {
            Self::Pcap(p) => p.step(input),
            Self::PcapNg(p) => p.step(input),
        }
    }
}

/// Receives frames and warnings from a capture driver.
pub(crate) trait FrameSink {
    /// One frame, with the byte offset of its record.
    fn frame(&mut self, frame: &RawFrame<'_>, offset: u64);
    /// A problem at a byte offset.
    fn warning(&mut self, offset: u64, kind: WarningKind);
}

/// Drives a stepper over a complete in-memory capture. Returns the bytes
/// read: all of them, unless a corrupt record stopped reading at its offset.
pub(crate) fn for_each_frame_in_slice(
    data: &[u8],
    stepper: &mut FrameStepper,
    sink: &mut impl FrameSink,
) -> u64 {
    let mut pos = 0usize;
    while pos < data.len() {
        let offset = pos as u64;
        let (consumed, step) = stepper.step(&data[pos..]);
        match step {
            Step::Frame(frame) => sink.frame(&frame, offset),
            Step::Skip(Some(kind)) => sink.warning(offset, kind),
            Step::Skip(None) => {}
            Step::NeedMore(_) => {
                let trailing_bytes = (data.len() - pos) as u64;
                sink.warning(offset, WarningKind::Truncated { trailing_bytes });
                return data.len() as u64;
            }
            Step::Corrupt(reason) => {
                sink.warning(offset, WarningKind::CorruptRecord { reason });
                return offset;
            }
        }
        if consumed == 0 {
            // Defensive: a stepper that makes no progress would loop forever.
            sink.warning(
                offset,
                WarningKind::CorruptRecord {
                    reason: "no progress",
                },
            );
            return offset;
        }
        pos += consumed;
    }
    data.len() as u64
}

#[cfg(test)]
mod tests {
    use super::InputFormat;

    #[test]
    fn sniffs_all_magics() {
        assert_eq!(
            InputFormat::sniff(&[0xd4, 0xc3, 0xb2, 0xa1]),
            Some(InputFormat::Pcap)
        );
        assert_eq!(
            InputFormat::sniff(&[0xa1, 0xb2, 0xc3, 0xd4]),
            Some(InputFormat::Pcap)
        );
        assert_eq!(
            InputFormat::sniff(&[0x4d, 0x3c, 0xb2, 0xa1]),
            Some(InputFormat::Pcap)
        );
        assert_eq!(
            InputFormat::sniff(&[0x0a, 0x0d, 0x0d, 0x0a]),
            Some(InputFormat::PcapNg)
        );
        assert_eq!(
            InputFormat::sniff(b"#separator \\x09\n"),
            Some(InputFormat::ZeekConnTsv)
        );
        assert_eq!(
            InputFormat::sniff(b"  {\"ts\":1}"),
            Some(InputFormat::ZeekConnJson)
        );
        assert_eq!(InputFormat::sniff(b"GIF8"), None);
        assert_eq!(InputFormat::sniff(b"ab"), None);
    }
}
