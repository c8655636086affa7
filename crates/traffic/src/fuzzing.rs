//! Entry points for the fuzz targets in the repository's `fuzz/` directory
//! (and the in-crate property tests). Not part of the API: hidden from the
//! docs and free to change.

use std::io::Read;

use crate::analysis::{
    Input, analyze_bytes, analyze_bytes_with, analyze_file_with, analyze_input, analyze_reader,
};
use crate::decode::{Direction, TcpMeta};
use crate::error::TrafficError;
use crate::netbios::{dissect_nbdgm, dissect_nbns};
use crate::parallel::WindowSizes;
use crate::report::{Analysis, Options};
use crate::smb::{DissectCounters, SmbConnection, SmbFacts};

/// Runs the capture readers (in memory and streamed, one thread each)
/// over arbitrary bytes. Panics only if the two readers disagree.
pub fn capture(data: &[u8]) {
    let one = analyze_bytes(data, &Options::default());
    let streamed = analyze_reader(data, &Options::default());
    match (one, streamed) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.flows, b.flows, "in-memory and streaming readers disagree");
            assert_eq!(
                a.warnings, b.warnings,
                "in-memory and streaming readers disagree"
            );
        }
        (Err(_), Err(_)) => {}
        (a, b) => panic!("readers disagree: {:?} vs {:?}", a.is_ok(), b.is_ok()),
    }
}

/// Runs the parallel engine over arbitrary bytes with windows of one to a
/// few thousand bytes (so that every boundary guess, spanning
/// record and carried-over tail is exercised), in memory and streamed, and
/// panics unless flows, warnings and counters equal one thread's.
pub fn parallel(data: &[u8]) {
    // From the last bytes, which a fuzzer can change without breaking the
    // file header (packet data, for a capture).
    let size = |back: usize, scale: usize| {
        let byte = data.len().checked_sub(back).map_or(0, |i| data[i]);
        1 + usize::from(byte) * scale
    };
    parallel_with(data, [size(1, 16), size(2, 16), size(3, 4), size(4, 8)]);
}

/// As [`parallel`], with the windows' sizes given: in memory, read, first
/// window, and the most bytes the reader hands out per call.
pub fn parallel_with(data: &[u8], sizes: [usize; 4]) {
    let reference = analyze_bytes(data, &Options::default());
    let [memory, read, first, trickle] = sizes;
    let windows = WindowSizes {
        memory,
        read,
        first,
    };
    // Two threads in memory (four parts), three streamed (six parts).
    let two = Options::default().with_threads(2);
    let in_memory = analyze_bytes_with(data, &two, windows);
    assert_same(&reference, &in_memory, "in memory");
    let three = Options::default().with_threads(3);
    let streamed = analyze_input(
        Trickle(data, trickle.max(1)),
        Input::default(),
        &three,
        windows,
    );
    assert_same(&reference, &streamed, "streamed");
}

/// As [`parallel`], reading `path` (the same bytes as `data`) with
/// positional reads.
pub fn parallel_file(data: &[u8], path: &std::path::Path, windows: [usize; 3]) {
    let reference = analyze_bytes(data, &Options::default());
    let [memory, read, first] = windows;
    let windows = WindowSizes {
        memory,
        read,
        first,
    };
    for threads in [2, 3] {
        let options = Options::default().with_threads(threads);
        let from_file = analyze_file_with(path, &options, windows);
        assert_same(&reference, &from_file, "from a file");
    }
}

fn assert_same(
    reference: &Result<Analysis, TrafficError>,
    other: &Result<Analysis, TrafficError>,
    how: &str,
) {
    match (reference, other) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.flows, b.flows, "flows differ {how}");
            assert_eq!(a.warnings, b.warnings, "warnings differ {how}");
            assert_eq!(a.stats, b.stats, "counters differ {how}");
        }
        (Err(_), Err(_)) => {}
        (a, b) => panic!("{how}: {:?} vs {:?}", a.is_ok(), b.is_ok()),
    }
}

/// A reader over `.0` that hands out at most `.1` bytes per call, to
/// exercise refills and records split across reads.
#[derive(Debug)]
pub struct Trickle<'a>(pub &'a [u8], pub usize);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.len().min(buf.len()).min(self.1);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// Feeds arbitrary bytes to the SMB and NetBIOS dissectors: whole, as UDP
/// payloads, and cut into TCP segments of an NBSS stream in both
/// directions. Each segment is a control byte (bit 0: direction, bit 1:
/// SYN, bit 2: bytes lost before this segment), a length byte, and that
/// many payload bytes.
pub fn smb_stream(data: &[u8]) {
    let mut facts = SmbFacts::default();
    let mut counters = DissectCounters::default();
    dissect_nbns(data, &mut facts, &mut counters);
    dissect_nbdgm(data, &mut facts, &mut counters);

    let mut conn = SmbConnection::default();
    let mut seq = [1000u32, 5000u32];
    let mut rest = data;
    while let [control, len, tail @ ..] = rest {
        let control = *control;
        let dir = if control & 1 == 0 {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        let (payload, tail) = tail.split_at(usize::from(*len).min(tail.len()));
        rest = tail;
        let d = dir as usize;
        if control & 4 != 0 {
            seq[d] = seq[d].wrapping_add(u32::from(control));
        }
        let tcp = TcpMeta {
            seq: seq[d],
            syn: control & 2 != 0,
            ack: true,
            ..TcpMeta::default()
        };
        conn.on_segment(dir, tcp, payload, &mut facts, &mut counters);
        seq[d] = seq[d].wrapping_add(u32::try_from(payload.len()).unwrap_or(0));
    }
}

/// Feeds arbitrary bytes to the DCE/RPC-over-TCP dissector as segments in
/// both directions (each segment: a direction byte, bit 0; a length byte;
/// that many bytes), and to the Zeek log join as one log of each form.
pub fn dcerpc_and_zeek_logs(data: &[u8]) {
    let mut facts = crate::dcerpc::RpcFacts::default();
    let mut counters = DissectCounters::default();
    let mut conn = crate::dcerpc::RpcConnection::default();
    let _ = crate::dcerpc::pdu_from_client(data);
    let mut rest = data;
    while let [control, len, tail @ ..] = rest {
        let (payload, tail) = tail.split_at(usize::from(*len).min(tail.len()));
        rest = tail;
        conn.on_segment(control & 1 == 0, payload, &mut facts, &mut counters);
    }
    let _ = facts.notes();
    let mut set = crate::ZeekLogSet::new(&crate::Options::default());
    let _ = set.add(data);
    let _ = crate::ZeekLogSet::looks_like_log(data);
    let _ = set.finish();
}
