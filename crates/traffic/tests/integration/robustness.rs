//! Readers under stress: byte orders and resolutions, pcapng, truncated and
//! corrupt files, streaming vs. in-memory input, and thread counts.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use crate::common;

use crate::common::{Pcap, PcapNgWriter, fixture, fixtures};
use smbguard_traffic::fuzzing::Trickle;
use smbguard_traffic::{
    Analysis, InputFormat, Options, TrafficError, WarningKind, analyze_bytes, analyze_file,
    analyze_reader,
};

fn analyze(data: &[u8]) -> Analysis {
    analyze_bytes(data, &Options::default()).unwrap()
}

fn all_fixtures() -> Vec<(String, Vec<u8>)> {
    fixtures()
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn pcap_byte_orders_and_resolutions_agree() {
    for (name, data) in all_fixtures() {
        let pcap = Pcap::parse(&data);
        let original = analyze(&data);
        assert_eq!(original.input_format, Some(InputFormat::Pcap));
        for (big, nanos) in [(false, true), (true, false), (true, true)] {
            let copy = analyze(&pcap.write(big, nanos));
            assert_eq!(copy.flows, original.flows, "{name} big={big} nanos={nanos}");
        }
    }
}

#[test]
fn pcapng_with_several_interfaces_agrees() {
    for (name, data) in all_fixtures() {
        let pcap = Pcap::parse(&data);
        let original = analyze(&data);
        for big in [false, true] {
            // Interface 0 is an unrelated link type (USB) with no packets in
            // the second section; frames alternate between two interfaces
            // of the fixture's link type, one in µs and one in ns.
            let mut w = PcapNgWriter::new(big);
            w.interface(220, false);
            w.interface(u16::try_from(pcap.link_type).unwrap(), false);
            w.interface(u16::try_from(pcap.link_type).unwrap(), true);
            for (i, (_, _, frame)) in pcap.frames.iter().enumerate() {
                let ns = pcap.ts_nanos(i);
                if i % 2 == 0 {
                    w.packet(1, ns / 1000, frame);
                } else {
                    w.packet(2, ns, frame);
                }
            }
            let ng = w.finish();
            let a = analyze(&ng);
            assert_eq!(a.input_format, Some(InputFormat::PcapNg));
            assert!(a.warnings.is_empty(), "{name}: {:?}", a.warnings);
            assert_eq!(a.flows, original.flows, "{name} big={big}");
            // A second section (new byte order, new interface table) appended.
            let mut two = ng.clone();
            let mut w2 = PcapNgWriter::new(!big);
            w2.interface(u16::try_from(pcap.link_type).unwrap(), true);
            two.extend(w2.finish());
            assert_eq!(analyze(&two).flows, original.flows, "{name} two sections");
        }
    }
}

#[test]
fn truncated_files_give_partial_results_and_a_warning() {
    for (name, data) in all_fixtures() {
        let pcap = Pcap::parse(&data);
        let full = analyze(&data);
        let offsets = pcap.record_offsets();
        let step = (offsets.len() / 25).max(1);
        let mut cuts: Vec<usize> = (0..30).collect();
        for &o in offsets.iter().step_by(step) {
            cuts.extend([o, o + 1, o + 15, o + 17]);
        }
        cuts.push(data.len() - 1);
        for cut in cuts.into_iter().filter(|&c| c <= data.len()) {
            let slice = &data[..cut];
            let result = analyze_bytes(slice, &Options::default());
            if cut < 4 {
                assert!(
                    matches!(result, Err(TrafficError::UnknownFormat { .. })),
                    "{name} cut {cut}"
                );
                continue;
            }
            let a = result.unwrap_or_else(|e| panic!("{name} cut at {cut}: {e}"));
            // Complete records before the cut are all read.
            let complete = offsets
                .iter()
                .filter(|&&o| o <= cut)
                .count()
                .saturating_sub(1);
            assert_eq!(a.stats.frames, complete as u64, "{name} cut {cut}");
            let last_boundary = offsets
                .iter()
                .copied()
                .filter(|&o| o <= cut)
                .max()
                .unwrap_or(0);
            if cut == last_boundary {
                assert!(a.warnings.is_empty(), "{name} cut {cut}: {:?}", a.warnings);
            } else {
                let start = if cut < 24 { 0 } else { last_boundary };
                assert_eq!(a.warnings.len(), 1, "{name} cut {cut}");
                assert_eq!(a.warnings[0].offset, start as u64, "{name} cut {cut}");
                assert_eq!(
                    a.warnings[0].kind,
                    WarningKind::Truncated {
                        trailing_bytes: (cut - start) as u64
                    },
                    "{name} cut {cut}"
                );
            }
            // Partial results: never more than the whole file shows.
            let total = |a: &Analysis| {
                a.flows
                    .iter()
                    .map(|f| f.packets_to_server + f.packets_to_client)
                    .sum::<u64>()
            };
            assert!(total(&a) <= total(&full), "{name} cut {cut}");
            // The streaming reader agrees with the in-memory one.
            let streamed = analyze_reader(slice, &Options::default()).unwrap();
            assert_eq!(streamed.flows, a.flows, "{name} cut {cut}");
            assert_eq!(streamed.warnings, a.warnings, "{name} cut {cut}");
        }
    }
}

#[test]
fn corrupt_record_length_stops_with_a_warning() {
    let data = fixture("sv__smb1_only_osx.pcap");
    let pcap = Pcap::parse(&data);
    let at = pcap.record_offsets()[10];
    let mut broken = data.clone();
    broken[at + 8..at + 12].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
    let a = analyze(&broken);
    assert_eq!(a.stats.frames, 10);
    assert_eq!(a.warnings.len(), 1);
    assert_eq!(a.warnings[0].offset, at as u64);
    assert!(matches!(
        a.warnings[0].kind,
        WarningKind::CorruptRecord { .. }
    ));
}

#[test]
fn unknown_link_type_and_unknown_format() {
    let mut pcap = Pcap::parse(&fixture("zeek__smb1_negotiate_lanman.pcap"));
    pcap.link_type = 147; // LINKTYPE_USER0
    let a = analyze(&pcap.write(false, false));
    assert!(a.flows.is_empty());
    assert_eq!(a.stats.frames_unsupported_link, pcap.frames.len() as u64);
    assert_eq!(a.warnings.len(), 1, "warned once, not per frame");
    assert_eq!(
        a.warnings[0].kind,
        WarningKind::UnsupportedLinkType { link_type: 147 }
    );

    assert!(matches!(
        analyze_bytes(b"GIF89a....", &Options::default()),
        Err(TrafficError::UnknownFormat { .. })
    ));
    assert!(matches!(
        analyze_file("/nonexistent/x.pcap", &Options::default()),
        Err(TrafficError::Io(_))
    ));
}

#[test]
fn streaming_and_in_memory_agree() {
    for (name, data) in all_fixtures() {
        let a = analyze(&data);
        let b = analyze_reader(Trickle(&data, 777), &Options::default()).unwrap();
        let c = analyze_file(common::fixtures_dir().join(&name), &Options::default()).unwrap();
        assert_eq!(a.flows, b.flows, "{name}");
        assert_eq!(a.flows, c.flows, "{name}");
        assert_eq!(a.stats, b.stats, "{name}");
        assert_eq!(a.stats, c.stats, "{name}");
    }
}

/// All Ethernet fixtures, 20 times over (addresses changed per copy):
/// more packets than one parallel window holds.
fn merged_capture() -> Vec<u8> {
    common::replicated_fixtures(|copies, _| copies == 20).write(false, false)
}

#[test]
fn thread_count_does_not_change_results() {
    let data = merged_capture();
    let one = analyze(&data);
    assert!(
        one.stats.packets_tracked > 16 * 1024 * 2,
        "batches must be exercised"
    );
    for threads in [2, 3, 4] {
        let options = Options::default().with_threads(threads);
        let many = analyze_bytes(&data, &options).unwrap();
        assert_eq!(many.flows, one.flows, "{threads} threads");
        assert_eq!(many.warnings, one.warnings, "{threads} threads");
        assert_eq!(many.stats, one.stats, "{threads} threads");
        let streamed = analyze_reader(data.as_slice(), &options).unwrap();
        assert_eq!(streamed.flows, one.flows, "{threads} threads, streamed");
    }
    // Sorted by first packet, then 5-tuple.
    assert!(
        one.flows
            .windows(2)
            .all(|w| w[0].first_seen <= w[1].first_seen)
    );
}

/// Regression: 71 form feeds then `{"t...` made the streaming reader sniff
/// a JSON conn.log past the sniff window while the in-memory reader gave up
/// (fuzz/artifacts crash-306a4753, traffic_capture target).
#[test]
fn whitespace_longer_than_the_sniff_window_gives_the_same_answer_streamed_and_in_memory() {
    let mut data = vec![0x0c_u8; 71];
    data.extend_from_slice(b"{\"t\x02\0\0\0\0\0\0\0i\xa9\xf3p");
    let in_memory = smbguard_traffic::analyze_bytes(&data, &smbguard_traffic::Options::default());
    let streamed =
        smbguard_traffic::analyze_reader(&data[..], &smbguard_traffic::Options::default());
    assert_eq!(in_memory.is_ok(), streamed.is_ok());
    smbguard_traffic::fuzzing::capture(&data);
}

/// Regression: a record of exactly the largest accepted length made the
/// streaming reader ask for its header plus data, which the buffer refill
/// capped at the record length alone, so it asked again forever.
#[test]
fn largest_accepted_record_is_read_when_streamed() {
    const MAX_RECORD: u32 = 16 * 1024 * 1024;
    let mut data = Pcap {
        link_type: 1,
        nanos: false,
        frames: Vec::new(),
    }
    .write(false, false);
    for len in [MAX_RECORD, 60] {
        data.extend_from_slice(&1_600_000_000u32.to_le_bytes());
        data.extend_from_slice(&0u32.to_le_bytes());
        data.extend_from_slice(&len.to_le_bytes());
        data.extend_from_slice(&len.to_le_bytes());
        data.resize(data.len() + len as usize, 0);
    }
    let in_memory = analyze(&data);
    let streamed = analyze_reader(&data[..], &Options::default()).unwrap();
    assert_eq!(in_memory.stats.frames, 2);
    assert_eq!(streamed.stats, in_memory.stats);
    assert!(streamed.warnings.is_empty(), "{:?}", streamed.warnings);
}
