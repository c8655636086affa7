//! Shared helpers for the integration tests: fixture discovery, a minimal
//! pcap reader/writer and a pcapng writer used to derive test captures
//! (VLAN-tagged, byte-swapped, pcapng, truncated) from the fixtures.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)] // each test module uses a subset

use std::path::{Path, PathBuf};

/// The fixture captures, kept in the repository (`fixtures/pcaps`).
pub fn fixtures_dir() -> PathBuf {
    smbguard_testkit::fixture("pcaps")
}

/// All `*.pcap` fixtures, sorted by name.
pub fn fixtures() -> Vec<PathBuf> {
    let dir = fixtures_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("fixtures missing at {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixtures_dir().join(name)).unwrap()
}

/// A scratch directory for derived captures.
pub fn scratch_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("smbguard-traffic");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A classic pcap file, decoded.
#[derive(Clone, Debug)]
pub struct Pcap {
    pub link_type: u32,
    pub nanos: bool,
    /// (seconds, fraction in micro- or nanoseconds, frame bytes)
    pub frames: Vec<(u32, u32, Vec<u8>)>,
}

impl Pcap {
    pub fn parse(data: &[u8]) -> Self {
        let magic = u32::from_le_bytes(data[..4].try_into().unwrap());
        let (big, nanos) = match magic {
            0xa1b2_c3d4 => (false, false),
            0xa1b2_3c4d => (false, true),
            0xd4c3_b2a1 => (true, false),
            0x4d3c_b2a1 => (true, true),
            _ => panic!("not a pcap"),
        };
        let u32_at = |at: usize| {
            let b: [u8; 4] = data[at..at + 4].try_into().unwrap();
            if big {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        let link_type = u32_at(20);
        let mut frames = Vec::new();
        let mut pos = 24;
        while pos + 16 <= data.len() {
            let caplen = u32_at(pos + 8) as usize;
            let frame = data[pos + 16..pos + 16 + caplen].to_vec();
            frames.push((u32_at(pos), u32_at(pos + 4), frame));
            pos += 16 + caplen;
        }
        Self {
            link_type,
            nanos,
            frames,
        }
    }

    /// Serialises in the given byte order and resolution.
    pub fn write(&self, big_endian: bool, nanos: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let put32 = |out: &mut Vec<u8>, v: u32| {
            out.extend(if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            });
        };
        let put16 = |out: &mut Vec<u8>, v: u16| {
            out.extend(if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            });
        };
        put32(&mut out, if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
        put16(&mut out, 2);
        put16(&mut out, 4);
        put32(&mut out, 0);
        put32(&mut out, 0);
        put32(&mut out, 262_144);
        put32(&mut out, self.link_type);
        for (sec, frac, data) in &self.frames {
            let frac = match (self.nanos, nanos) {
                (false, true) => frac * 1000,
                (true, false) => frac / 1000,
                _ => *frac,
            };
            put32(&mut out, *sec);
            put32(&mut out, frac);
            put32(&mut out, data.len() as u32);
            put32(&mut out, data.len() as u32);
            out.extend(data);
        }
        out
    }

    /// Offsets at which records start (the first is right after the header).
    pub fn record_offsets(&self) -> Vec<usize> {
        let mut offsets = vec![24];
        for (_, _, data) in &self.frames {
            let last = *offsets.last().unwrap();
            offsets.push(last + 16 + data.len());
        }
        offsets
    }

    /// Timestamp in nanoseconds of frame `i`.
    pub fn ts_nanos(&self, i: usize) -> u64 {
        let (sec, frac, _) = &self.frames[i];
        u64::from(*sec) * 1_000_000_000 + u64::from(*frac) * if self.nanos { 1 } else { 1000 }
    }
}

/// The Ethernet fixtures, replicated: copy `n` has its IPv4 addresses moved
/// into 198.18.0.0/15 (one block per copy) and, when `n` is odd, an 802.1Q
/// tag. Copies are added until `enough(copies, bytes)`.
pub fn replicated_fixtures(enough: impl Fn(u32, usize) -> bool) -> Pcap {
    let sources: Vec<Pcap> = fixtures()
        .iter()
        .map(|p| Pcap::parse(&std::fs::read(p).unwrap()))
        .filter(|p| p.link_type == 1)
        .collect();
    let mut out = Pcap {
        link_type: 1,
        nanos: false,
        frames: Vec::new(),
    };
    let mut size = 24;
    let mut copy: u32 = 0;
    while !enough(copy, size) {
        for pcap in &sources {
            for (sec, frac, frame) in &pcap.frames {
                let mut f = frame.clone();
                if f.len() >= 34 && f[12..14] == [0x08, 0x00] {
                    let [_, _, hi, lo] = copy.to_be_bytes();
                    for at in [26, 30] {
                        f[at] = 198;
                        f[at + 1] = 18 | (hi & 1);
                        f[at + 2] = lo;
                    }
                }
                if copy % 2 == 1 {
                    f = vlan_tag(&f, 1, 100);
                }
                size += 16 + f.len();
                out.frames.push((*sec, *frac, f));
            }
        }
        copy += 1;
    }
    out
}

/// A fixture of at most `max_len` bytes with up to `max_edits` bytes
/// overwritten.
pub fn mutated_fixture(
    max_len: usize,
    max_edits: usize,
) -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    use proptest::prelude::{Strategy, any, prop};
    let names: Vec<String> = fixtures()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .filter(|n| fixture(n).len() < max_len)
        .collect();
    (
        prop::sample::select(names),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..max_edits),
    )
        .prop_map(|(name, edits)| {
            let mut data = fixture(&name);
            for (at, byte) in edits {
                let i = at.index(data.len());
                data[i] = byte;
            }
            data
        })
}

/// Inserts 802.1Q tags (`tags` of them: 1 = 802.1Q, 2 = QinQ) after the
/// MAC addresses of an Ethernet frame.
pub fn vlan_tag(frame: &[u8], tags: usize, vlan: u16) -> Vec<u8> {
    let mut out = frame[..12].to_vec();
    for t in 0..tags {
        let tpid: u16 = if t + 1 < tags { 0x88a8 } else { 0x8100 };
        out.extend(tpid.to_be_bytes());
        out.extend((vlan + t as u16).to_be_bytes());
    }
    out.extend(&frame[12..]);
    out
}

/// A pcapng writer: one section, the given interfaces (link types, with
/// if_tsresol = 9 for nanoseconds), then enhanced packet blocks.
pub struct PcapNgWriter {
    out: Vec<u8>,
    big_endian: bool,
}

impl PcapNgWriter {
    pub fn new(big_endian: bool) -> Self {
        let mut w = Self {
            out: Vec::new(),
            big_endian,
        };
        let mut body = Vec::new();
        w.put32(&mut body, 0x1a2b_3c4d);
        w.put16(&mut body, 1);
        w.put16(&mut body, 0);
        body.extend([0xff; 8]); // section length unknown
        w.block(0x0a0d_0d0a, &body);
        w
    }

    fn put32(&self, out: &mut Vec<u8>, v: u32) {
        out.extend(if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        });
    }

    fn put16(&self, out: &mut Vec<u8>, v: u16) {
        out.extend(if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        });
    }

    fn block(&mut self, kind: u32, body: &[u8]) {
        let mut padded = body.to_vec();
        while padded.len() % 4 != 0 {
            padded.push(0);
        }
        let len = 12 + padded.len() as u32;
        let mut block = Vec::new();
        self.put32(&mut block, kind);
        self.put32(&mut block, len);
        block.extend(padded);
        self.put32(&mut block, len);
        self.out.extend(block);
    }

    pub fn interface(&mut self, link_type: u16, nanos: bool) {
        let mut body = Vec::new();
        self.put16(&mut body, link_type);
        self.put16(&mut body, 0);
        self.put32(&mut body, 0);
        if nanos {
            self.put16(&mut body, 9); // if_tsresol
            self.put16(&mut body, 1);
            body.extend([9, 0, 0, 0]);
            body.extend([0, 0, 0, 0]); // opt_endofopt
        }
        self.block(1, &body);
    }

    /// `ts` in the interface's units (µs by default, ns with if_tsresol 9).
    pub fn packet(&mut self, interface: u32, ts: u64, data: &[u8]) {
        let mut body = Vec::new();
        self.put32(&mut body, interface);
        self.put32(&mut body, (ts >> 32) as u32);
        self.put32(&mut body, ts as u32);
        self.put32(&mut body, data.len() as u32);
        self.put32(&mut body, data.len() as u32);
        body.extend(data);
        self.block(6, &body);
    }

    pub fn finish(self) -> Vec<u8> {
        self.out
    }
}
