//! Classic libpcap files, framed by `pcap-parser`.

use pcap_parser::{
    LegacyPcapBlock, parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified,
    parse_pcap_header,
};

use super::{LinkType, MAX_RECORD, RawFrame, Step};
use crate::timestamp::Timestamp;

/// Per-file parameters learnt from the global header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PcapParams {
    big_endian: bool,
    modified: bool,
    units_per_sec: u64,
    link: LinkType,
    header_len: usize,
    snaplen: usize,
}

/// Records looked at, from a candidate position, before it is believed to
/// be a record boundary.
const RESYNC_CHAIN: usize = 4;

/// Steps through a pcap file: first the 24-byte global header, then records.
#[derive(Clone, Debug, Default)]
pub(crate) struct PcapStepper {
    params: Option<PcapParams>,
}

impl PcapStepper {
    pub(crate) fn step<'a>(&mut self, input: &'a [u8]) -> (usize, Step<'a>) {
        let Some(params) = self.params else {
            return self.step_header(input);
        };
        // Check the length field ourselves before asking pcap-parser for the
        // record: a corrupt caplen must not make the streaming reader buffer
        // gigabytes waiting for a record that will never complete.
        let Some(len_field) = input.get(8..12) else {
            return (0, Step::NeedMore(params.header_len));
        };
        let len_bytes = [len_field[0], len_field[1], len_field[2], len_field[3]];
        let caplen = if params.big_endian {
            u32::from_be_bytes(len_bytes)
        } else {
            u32::from_le_bytes(len_bytes)
        } as usize;
        if caplen > MAX_RECORD {
            return (0, Step::Corrupt("pcap record length is implausible"));
        }
        let parsed = if params.modified {
            parse_pcap_frame_modified(input)
        } else if params.big_endian {
            parse_pcap_frame_be(input)
        } else {
            parse_pcap_frame(input)
        };
        match parsed {
            Ok((rest, block)) => (input.len() - rest.len(), Step::Frame(frame(&block, params))),
            Err(nom::Err::Incomplete(_)) => (0, Step::NeedMore(params.header_len + caplen)),
            Err(_) => (0, Step::Corrupt("unparsable pcap record")),
        }
    }

    /// Whether the global header has been read, so records can be found.
    pub(crate) fn is_primed(&self) -> bool {
        self.params.is_some()
    }

    /// Whether a part framed from `self`'s state frames what one framed
    /// from `incoming` would: the file's parameters are the only state.
    pub(crate) fn speculation_holds(&self, incoming: &Self) -> bool {
        self.params == incoming.params
    }

    /// The first offset in `from..limit` where a run of plausible records
    /// starts. A guess (pcap has no sync marker): callers check it against
    /// the record chain before trusting what was framed from it.
    pub(crate) fn resync(&self, data: &[u8], from: usize, limit: usize) -> Option<usize> {
        let params = self.params?;
        (from..limit.min(data.len())).find(|&at| plausible_chain(data, at, params))
    }

    fn step_header<'a>(&mut self, input: &'a [u8]) -> (usize, Step<'a>) {
        match parse_pcap_header(input) {
            Ok((rest, header)) => {
                let modified = header.is_modified_format();
                self.params = Some(PcapParams {
                    big_endian: header.is_bigendian(),
                    modified,
                    units_per_sec: if header.is_nanosecond_precision() {
                        1_000_000_000
                    } else {
                        1_000_000
                    },
                    link: LinkType(u32::try_from(header.network.0).unwrap_or(u32::MAX)),
                    header_len: if modified { 24 } else { 16 },
                    snaplen: header.snaplen as usize,
                });
                (input.len() - rest.len(), Step::Skip(None))
            }
            Err(nom::Err::Incomplete(_)) => (0, Step::NeedMore(24)),
            Err(_) => (0, Step::Corrupt("unrecognised pcap global header")),
        }
    }
}

/// Most seconds between neighbouring records of a guessed chain.
const RESYNC_MAX_GAP_SECS: u32 = 3600;

/// Whether [`RESYNC_CHAIN`] records from `at` look real: fractions below a
/// second, non-empty records no longer than the snap length and their
/// original length, neighbours within an hour of each other (which rules
/// out runs of zeros in payloads). Running out of data counts as looking
/// real: the caller verifies anyway.
fn plausible_chain(data: &[u8], mut at: usize, params: PcapParams) -> bool {
    let longest = params.snaplen.clamp(65_535, MAX_RECORD);
    let mut previous_secs = None;
    for _ in 0..RESYNC_CHAIN {
        let Some(header) = data.get(at..at + params.header_len) else {
            return true;
        };
        let word = |i: usize| {
            let b = [header[i], header[i + 1], header[i + 2], header[i + 3]];
            if params.big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        let (secs, fraction) = (word(0), u64::from(word(4)));
        let (caplen, origlen) = (word(8) as usize, word(12) as usize);
        if fraction >= params.units_per_sec || caplen == 0 || caplen > origlen || caplen > longest {
            return false;
        }
        if previous_secs.is_some_and(|p: u32| p.abs_diff(secs) > RESYNC_MAX_GAP_SECS) {
            return false;
        }
        previous_secs = Some(secs);
        at += params.header_len + caplen;
    }
    true
}

fn frame<'a>(block: &LegacyPcapBlock<'a>, params: PcapParams) -> RawFrame<'a> {
    RawFrame {
        ts: Timestamp::from_parts(
            u64::from(block.ts_sec),
            u64::from(block.ts_usec),
            params.units_per_sec,
        ),
        link: params.link,
        data: block.data,
    }
}

#[cfg(test)]
mod tests {
    use super::PcapStepper;
    use crate::capture::{LinkType, Step};

    /// Builds a one-record pcap in the given byte order and resolution.
    fn one_record(big_endian: bool, nanos: bool) -> Vec<u8> {
        let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
        let words: [u32; 4] = [1_600_000_000, 250, 4, 60];
        let mut out = Vec::new();
        let put32 = |out: &mut Vec<u8>, v: u32| {
            out.extend_from_slice(&if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            });
        };
        let put16 = |out: &mut Vec<u8>, v: u16| {
            out.extend_from_slice(&if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            });
        };
        put32(&mut out, magic);
        put16(&mut out, 2);
        put16(&mut out, 4);
        put32(&mut out, 0);
        put32(&mut out, 0);
        put32(&mut out, 65535);
        put32(&mut out, 1);
        for w in words {
            put32(&mut out, w);
        }
        out.extend_from_slice(&[1, 2, 3, 4]);
        out
    }

    fn first_frame(data: &[u8]) -> (u64, usize) {
        let mut stepper = PcapStepper::default();
        let (n, step) = stepper.step(data);
        assert!(matches!(step, Step::Skip(None)));
        let (m, step) = stepper.step(&data[n..]);
        let Step::Frame(frame) = step else {
            panic!("expected a frame, got {step:?}");
        };
        assert_eq!(frame.link, LinkType::ETHERNET);
        assert_eq!(frame.data, &[1, 2, 3, 4]);
        (frame.ts.as_nanos(), n + m)
    }

    #[test]
    fn both_byte_orders_and_resolutions() {
        let base = 1_600_000_000 * 1_000_000_000;
        assert_eq!(first_frame(&one_record(false, false)), (base + 250_000, 44));
        assert_eq!(first_frame(&one_record(true, false)), (base + 250_000, 44));
        assert_eq!(first_frame(&one_record(false, true)), (base + 250, 44));
        assert_eq!(first_frame(&one_record(true, true)), (base + 250, 44));
    }

    #[test]
    fn incomplete_record_asks_for_more() {
        let data = one_record(false, false);
        let mut stepper = PcapStepper::default();
        let (n, _) = stepper.step(&data);
        let (m, step) = stepper.step(&data[n..data.len() - 1]);
        assert_eq!(m, 0);
        assert!(matches!(step, Step::NeedMore(20)));
    }

    #[test]
    fn absurd_caplen_is_corrupt() {
        let mut data = one_record(false, false);
        data[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut stepper = PcapStepper::default();
        let (n, _) = stepper.step(&data);
        assert!(matches!(stepper.step(&data[n..]).1, Step::Corrupt(_)));
    }
}
