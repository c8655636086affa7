//! pcapng files, framed by `pcap-parser`: several sections, each with its own
//! byte order, and several interfaces, each with its own link type and
//! timestamp resolution.

use pcap_parser::{Block, parse_block_be, parse_block_le, parse_sectionheaderblock};

use super::{LinkType, MAX_RECORD, RawFrame, Step};
use crate::error::WarningKind;
use crate::timestamp::Timestamp;

const SHB_TYPE: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
const BYTE_ORDER_MAGIC_LE: [u8; 4] = [0x4d, 0x3c, 0x2b, 0x1a];
const BYTE_ORDER_MAGIC_BE: [u8; 4] = [0x1a, 0x2b, 0x3c, 0x4d];
/// Interfaces described beyond this count are ignored (their packets get an
/// `UnknownInterface` warning), so memory does not grow with the file.
const MAX_INTERFACES: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Interface {
    link: LinkType,
    /// Timestamp units per second; 0 when the IDB's `if_tsresol` is invalid.
    units_per_sec: u64,
    offset_secs: i64,
}

/// Block types a resync accepts as the start of a block.
const KNOWN_BLOCK_TYPES: [u32; 10] = [
    0x0a0d_0d0a, // section header
    1,           // interface description
    2,           // packet (obsolete)
    3,           // simple packet
    4,           // name resolution
    5,           // interface statistics
    6,           // enhanced packet
    0x0a,        // decryption secrets
    0x0bad,      // custom
    0x4000_0bad, // custom, not to be copied
];

/// Blocks looked at, from a candidate position, before it is believed to
/// be a block boundary.
const RESYNC_CHAIN: usize = 3;

/// Steps through pcapng blocks, remembering each section's interfaces.
#[derive(Clone, Debug, Default)]
pub(crate) struct PcapNgStepper {
    big_endian: bool,
    /// A section header has been read.
    in_section: bool,
    interfaces: Vec<Interface>,
    /// Simple Packet Blocks carry no timestamp; they inherit the last one.
    last_ts: Timestamp,
    /// Since [`PcapNgStepper::begin_part`]: an Enhanced Packet Block was read.
    saw_epb: bool,
    /// Since [`PcapNgStepper::begin_part`]: a Simple Packet Block inherited
    /// a timestamp from before the part.
    inherited_ts: bool,
}

impl PcapNgStepper {
    /// Whether a section header has been read, so blocks can be found.
    pub(crate) fn is_primed(&self) -> bool {
        self.in_section
    }

    /// Starts recording what a part depends on.
    pub(crate) fn begin_part(&mut self) {
        self.saw_epb = false;
        self.inherited_ts = false;
    }

    /// Whether a part framed from `self`'s state (ending in `part_end`)
    /// frames what one framed from `incoming` would: same byte order and
    /// interfaces, and the same inherited timestamp if one was used.
    pub(crate) fn speculation_holds(&self, incoming: &Self, part_end: &Self) -> bool {
        self.big_endian == incoming.big_endian
            && self.in_section == incoming.in_section
            && self.interfaces == incoming.interfaces
            && (!part_end.inherited_ts || self.last_ts == incoming.last_ts)
    }

    /// The state after a part that was framed from a state like `incoming`:
    /// the part's own, except a timestamp it never set.
    pub(crate) fn continue_from(mut part_end: Self, incoming: &Self) -> Self {
        if !part_end.saw_epb {
            part_end.last_ts = incoming.last_ts;
        }
        part_end
    }

    /// The first offset in `from..limit` where a run of plausible blocks
    /// starts; `base_offset` is the input offset of `data[0]` (blocks are
    /// 4-byte aligned in the file). A guess, as for pcap: callers check it.
    pub(crate) fn resync(
        &self,
        data: &[u8],
        base_offset: u64,
        from: usize,
        limit: usize,
    ) -> Option<usize> {
        if !self.in_section {
            return None;
        }
        let misalignment = ((base_offset + from as u64) % 4) as usize;
        let first = from + (4 - misalignment) % 4;
        (first..limit.min(data.len()))
            .step_by(4)
            .find(|&at| self.plausible_chain(data, at))
    }

    fn plausible_chain(&self, data: &[u8], mut at: usize) -> bool {
        for _ in 0..RESYNC_CHAIN {
            let Some(head) = data.get(at..at + 8) else {
                return true;
            };
            let word = |b: &[u8]| {
                let b = [b[0], b[1], b[2], b[3]];
                if self.big_endian {
                    u32::from_be_bytes(b)
                } else {
                    u32::from_le_bytes(b)
                }
            };
            let block_type = word(&head[..4]);
            let len = word(&head[4..8]) as usize;
            if !KNOWN_BLOCK_TYPES.contains(&block_type)
                || len < 12
                || len % 4 != 0
                || len > MAX_RECORD
            {
                return false;
            }
            // A section header may switch byte order: stop judging there.
            if block_type == 0x0a0d_0d0a {
                return true;
            }
            let Some(trailer) = data.get(at + len - 4..at + len) else {
                return true;
            };
            if word(trailer) as usize != len {
                return false;
            }
            at += len;
        }
        true
    }

    pub(crate) fn step<'a>(&mut self, input: &'a [u8]) -> (usize, Step<'a>) {
        let Some(head) = input.get(..12) else {
            return (0, Step::NeedMore(12));
        };
        let is_section = head[..4] == SHB_TYPE;
        if is_section {
            match &head[8..12] {
                m if *m == BYTE_ORDER_MAGIC_LE => self.big_endian = false,
                m if *m == BYTE_ORDER_MAGIC_BE => self.big_endian = true,
                _ => return (0, Step::Corrupt("bad pcapng byte-order magic")),
            }
        }
        let len_bytes = [head[4], head[5], head[6], head[7]];
        let block_len = if self.big_endian {
            u32::from_be_bytes(len_bytes)
        } else {
            u32::from_le_bytes(len_bytes)
        } as usize;
        if block_len < 12 || block_len % 4 != 0 || block_len > MAX_RECORD {
            return (0, Step::Corrupt("pcapng block length is implausible"));
        }
        let Some(block) = input.get(..block_len) else {
            return (0, Step::NeedMore(block_len));
        };
        if is_section {
            return (block_len, self.section(block));
        }
        let parsed = if self.big_endian {
            parse_block_be(block)
        } else {
            parse_block_le(block)
        };
        let step = match parsed {
            Ok((_, block)) => self.block(&block),
            // The length was sane, so the next block can still be found.
            Err(_) => Step::Skip(Some(WarningKind::CorruptRecord {
                reason: "unparsable pcapng block",
            })),
        };
        (block_len, step)
    }

    fn section<'a>(&mut self, block: &[u8]) -> Step<'a> {
        self.interfaces.clear();
        self.in_section = true;
        match parse_sectionheaderblock(block) {
            Ok(_) => Step::Skip(None),
            Err(_) => Step::Skip(Some(WarningKind::CorruptRecord {
                reason: "unparsable pcapng section header",
            })),
        }
    }

    fn block<'a>(&mut self, block: &Block<'a>) -> Step<'a> {
        match block {
            Block::InterfaceDescription(idb) => {
                if self.interfaces.len() < MAX_INTERFACES {
                    self.interfaces.push(Interface {
                        link: LinkType(u32::try_from(idb.linktype.0).unwrap_or(u32::MAX)),
                        units_per_sec: idb.ts_resolution().unwrap_or(0),
                        offset_secs: idb.ts_offset(),
                    });
                }
                Step::Skip(None)
            }
            Block::EnhancedPacket(epb) => {
                let Some(iface) = self.interfaces.get(epb.if_id as usize) else {
                    return Step::Skip(Some(WarningKind::UnknownInterface {
                        interface_id: epb.if_id,
                    }));
                };
                let ts = timestamp(*iface, epb.ts_high, epb.ts_low);
                self.last_ts = ts;
                self.saw_epb = true;
                Step::Frame(RawFrame {
                    ts,
                    link: iface.link,
                    data: trim(epb.data, epb.caplen),
                })
            }
            Block::SimplePacket(spb) => {
                let Some(iface) = self.interfaces.first() else {
                    return Step::Skip(Some(WarningKind::UnknownInterface { interface_id: 0 }));
                };
                self.inherited_ts |= !self.saw_epb;
                Step::Frame(RawFrame {
                    ts: self.last_ts,
                    link: iface.link,
                    data: trim(spb.data, spb.origlen),
                })
            }
            _ => Step::Skip(None),
        }
    }
}

/// Packet data without the block's padding.
fn trim(data: &[u8], len: u32) -> &[u8] {
    &data[..data.len().min(len as usize)]
}

fn timestamp(iface: Interface, high: u32, low: u32) -> Timestamp {
    if iface.units_per_sec == 0 {
        return Timestamp::default();
    }
    let raw = (u64::from(high) << 32) | u64::from(low);
    let secs = raw / iface.units_per_sec;
    let secs = if iface.offset_secs >= 0 {
        secs.saturating_add(iface.offset_secs.unsigned_abs())
    } else {
        secs.saturating_sub(iface.offset_secs.unsigned_abs())
    };
    Timestamp::from_parts(secs, raw % iface.units_per_sec, iface.units_per_sec)
}

#[cfg(test)]
mod tests {
    use super::PcapNgStepper;
    use crate::capture::{LinkType, Step};

    fn block(kind: u32, body: &[u8]) -> Vec<u8> {
        let len = u32::try_from(12 + body.len()).unwrap();
        let mut out = Vec::new();
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(&len.to_le_bytes());
        out
    }

    fn shb() -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&0x1a2b_3c4d_u32.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&(-1i64).to_le_bytes());
        block(0x0a0d_0d0a, &body)
    }

    fn idb(link: u16, tsresol: Option<u8>) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&link.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        body.extend_from_slice(&0u32.to_le_bytes());
        if let Some(r) = tsresol {
            body.extend_from_slice(&9u16.to_le_bytes());
            body.extend_from_slice(&1u16.to_le_bytes());
            body.extend_from_slice(&[r, 0, 0, 0]);
            body.extend_from_slice(&[0, 0, 0, 0]);
        }
        block(1, &body)
    }

    fn epb(if_id: u32, ts: u64, data: &[u8]) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&if_id.to_le_bytes());
        body.extend_from_slice(&u32::try_from(ts >> 32).unwrap().to_le_bytes());
        body.extend_from_slice(&u32::try_from(ts & 0xffff_ffff).unwrap().to_le_bytes());
        let len = u32::try_from(data.len()).unwrap();
        body.extend_from_slice(&len.to_le_bytes());
        body.extend_from_slice(&len.to_le_bytes());
        body.extend_from_slice(data);
        while body.len() % 4 != 0 {
            body.push(0);
        }
        block(6, &body)
    }

    #[test]
    fn per_interface_link_type_and_resolution() {
        let mut file = shb();
        file.extend(idb(1, None));
        file.extend(idb(113, Some(9)));
        file.extend(epb(1, 1_600_000_000_123_456_789, &[7; 5]));
        file.extend(epb(0, 1_600_000_000_123_456, &[8; 3]));
        let mut stepper = PcapNgStepper::default();
        let mut pos = 0;
        let mut frames = Vec::new();
        while pos < file.len() {
            let (n, step) = stepper.step(&file[pos..]);
            if let Step::Frame(f) = step {
                frames.push((f.link, f.ts.as_nanos(), f.data.to_vec()));
            }
            pos += n;
        }
        assert_eq!(
            frames,
            vec![
                (LinkType::LINUX_SLL, 1_600_000_000_123_456_789, vec![7; 5]),
                (LinkType::ETHERNET, 1_600_000_000_123_456_000, vec![8; 3]),
            ]
        );
    }

    #[test]
    fn packet_for_unknown_interface_is_a_warning() {
        let mut file = shb();
        let first = file.len();
        file.extend(epb(3, 0, &[1]));
        let mut stepper = PcapNgStepper::default();
        let _ = stepper.step(&file);
        let (n, step) = stepper.step(&file[first..]);
        assert_eq!(n, file.len() - first);
        assert!(matches!(step, Step::Skip(Some(_))));
    }

    #[test]
    fn bad_block_length_is_corrupt() {
        let mut file = shb();
        let first = file.len();
        file.extend(block(6, &[0; 20]));
        file[first + 4..first + 8].copy_from_slice(&7u32.to_le_bytes());
        let mut stepper = PcapNgStepper::default();
        let _ = stepper.step(&file);
        assert!(matches!(stepper.step(&file[first..]).1, Step::Corrupt(_)));
    }
}
