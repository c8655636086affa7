//! Entry points for the fuzz targets in the repository's `fuzz/` directory
//! (and the in-crate property tests). Not part of the API: hidden from the
//! docs and free to change.

use crate::analysis::{Options, analyze_bytes, analyze_reader};
use crate::decode::TcpMeta;
use crate::flow::table::Direction;
use crate::netbios::{dissect_nbdgm, dissect_nbns};
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
