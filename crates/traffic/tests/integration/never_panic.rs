//! Property tests: arbitrary and mutated input never panics (the same entry
//! points as the cargo-fuzz targets in the repository's `fuzz/` directory).
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use crate::common::mutated_fixture;
use proptest::prelude::{Just, ProptestConfig, Strategy, any, prop, prop_oneof, proptest};
use smbguard_traffic::fuzzing;

/// Headers that steer arbitrary bytes into each reader.
fn prefixed_bytes() -> impl Strategy<Value = Vec<u8>> {
    let pcap_le: Vec<u8> = [
        &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0][..],
        &[0; 8],
        &[0, 0, 4, 0, 1, 0, 0, 0],
    ]
    .concat();
    let pcapng = vec![0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a];
    let zeek =
        b"#separator \\x09\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n"
            .to_vec();
    let prefix = prop_oneof![Just(pcap_le), Just(pcapng), Just(zeek), Just(Vec::new())];
    (prefix, prop::collection::vec(any::<u8>(), 0..2048)).prop_map(|(mut p, tail)| {
        p.extend(tail);
        p
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in prefixed_bytes()) {
        fuzzing::capture(&data);
    }

    #[test]
    fn mutated_fixtures_never_panic(data in mutated_fixture(40_000, 16)) {
        fuzzing::capture(&data);
    }

    #[test]
    fn arbitrary_smb_streams_never_panic(data in prop::collection::vec(any::<u8>(), 0..4096)) {
        fuzzing::smb_stream(&data);
    }

    #[test]
    fn smb_like_streams_never_panic(
        pdus in prop::collection::vec(
            (prop::sample::select(vec![0xffu8, 0xfe, 0xfd, 0xfc]), prop::collection::vec(any::<u8>(), 0..300)),
            1..8,
        ),
        control in any::<u8>(),
    ) {
        // Plausible NBSS messages with SMB protocol ids and random bodies,
        // so the dissectors past the magic checks are exercised.
        let mut stream = Vec::new();
        for (magic, body) in pdus {
            let len = u32::try_from(body.len() + 4).unwrap();
            let mut pdu = vec![0, (len >> 16) as u8, (len >> 8) as u8, len as u8, magic, b'S', b'M', b'B'];
            pdu.extend(body);
            for chunk in pdu.chunks(usize::from(control % 64) + 1) {
                stream.push(control & 0x05);
                stream.push(u8::try_from(chunk.len()).unwrap());
                stream.extend(chunk);
            }
        }
        fuzzing::smb_stream(&stream);
    }
}
