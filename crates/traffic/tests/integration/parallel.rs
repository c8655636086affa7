//! The parallel engine gives exactly one thread's results: flows, warnings
//! and counters, from memory, from a reader and from a file, whatever the
//! window sizes (tiny windows make every part guess a record boundary, and
//! many guesses land inside records or payloads).
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use crate::common::{
    Pcap, PcapNgWriter, fixture, fixtures, mutated_fixture, replicated_fixtures, scratch_dir,
};
use proptest::prelude::{ProptestConfig, proptest};
use smbguard_traffic::{Analysis, Options, analyze_bytes, analyze_file, fuzzing};

fn one_thread(data: &[u8]) -> Analysis {
    analyze_bytes(data, &Options::default()).unwrap()
}

/// Every Ethernet fixture 12 times over: a few MB, thousands of flows.
fn replicated_capture() -> Vec<u8> {
    replicated_fixtures(|copies, _| copies == 12).write(false, false)
}

/// The same frames as pcapng, on two interfaces (one declared after the
/// first packets, so parts guessed with the first interface alone must be
/// redone).
fn as_pcapng(pcap: &Pcap) -> Vec<u8> {
    let mut w = PcapNgWriter::new(false);
    w.interface(1, false);
    for (i, (sec, frac, frame)) in pcap.frames.iter().enumerate() {
        if i == pcap.frames.len() / 3 {
            w.interface(1, true);
        }
        let iface = u32::from(i >= pcap.frames.len() / 3 && i % 2 == 0);
        let ts = if iface == 1 {
            u64::from(*sec) * 1_000_000_000 + u64::from(*frac) * 1000
        } else {
            u64::from(*sec) * 1_000_000 + u64::from(*frac)
        };
        w.packet(iface, ts, frame);
    }
    w.finish()
}

#[test]
fn default_windows_match_one_thread_in_memory_streamed_and_from_a_file() {
    let data = replicated_capture();
    let reference = one_thread(&data);
    assert!(data.len() > 8 << 20, "spans several default windows");
    let path = scratch_dir().join("parallel-replicated.pcap");
    std::fs::write(&path, &data).unwrap();
    for threads in [2, 3, 4] {
        let options = Options::default().with_threads(threads);
        for (how, result) in [
            ("in memory", analyze_bytes(&data, &options).unwrap()),
            (
                "streamed",
                smbguard_traffic::analyze_reader(&data[..], &options).unwrap(),
            ),
            ("from a file", analyze_file(&path, &options).unwrap()),
        ] {
            assert_eq!(result.flows, reference.flows, "{threads} threads, {how}");
            assert_eq!(
                result.warnings, reference.warnings,
                "{threads} threads, {how}"
            );
            assert_eq!(result.stats, reference.stats, "{threads} threads, {how}");
        }
    }
}

#[test]
fn tiny_windows_match_one_thread_on_every_fixture() {
    for path in fixtures() {
        let data = std::fs::read(&path).unwrap();
        fuzzing::parallel_with(&data, [4096, 1500, 64, 777]);
        fuzzing::parallel_file(&data, &path, [4096, 1500, 64]);
        if data.len() < 130_000 {
            // Windows shorter than most records.
            fuzzing::parallel_with(&data, [97, 131, 13, 1000]);
            fuzzing::parallel_file(&data, &path, [97, 131, 13]);
        }
    }
}

#[test]
fn pcapng_interface_declared_midway_is_resolved_in_capture_order() {
    let pcap = Pcap::parse(&fixture(&fixture_names()[0]));
    let data = as_pcapng(&pcap);
    let reference = one_thread(&data);
    assert!(!reference.flows.is_empty());
    let path = scratch_dir().join("parallel-midway.pcapng");
    std::fs::write(&path, &data).unwrap();
    fuzzing::parallel_with(&data, [211, 173, 29, 500]);
    fuzzing::parallel_file(&data, &path, [211, 173, 29]);
}

#[test]
fn corrupt_record_in_a_later_part_stops_reading_exactly_there() {
    let data = replicated_capture();
    let pcap = Pcap::parse(&data);
    let offsets = pcap.record_offsets();
    let mut broken = data.clone();
    // An implausible caplen two thirds of the way in: every part after it
    // has guessed boundaries that must be thrown away.
    let at = offsets[offsets.len() * 2 / 3];
    broken[at + 8..at + 12].copy_from_slice(&u32::MAX.to_le_bytes());
    let reference = one_thread(&broken);
    assert_eq!(reference.warnings.last().map(|w| w.offset), Some(at as u64));
    assert_eq!(reference.stats.bytes_read, at as u64);
    let path = scratch_dir().join("parallel-corrupt.pcap");
    std::fs::write(&path, &broken).unwrap();
    for threads in [2, 4] {
        let options = Options::default().with_threads(threads);
        let many = analyze_bytes(&broken, &options).unwrap();
        assert_eq!(many.flows, reference.flows);
        assert_eq!(many.warnings, reference.warnings);
        assert_eq!(many.stats, reference.stats);
        let from_file = analyze_file(&path, &options).unwrap();
        assert_eq!(from_file.flows, reference.flows);
        assert_eq!(from_file.stats, reference.stats);
    }
    fuzzing::parallel_file(&broken, &path, [65_536, 8_192, 300]);
}

#[test]
fn truncated_last_record_counts_its_bytes_with_every_engine() {
    let data = replicated_capture();
    let cut = &data[..data.len() - 7];
    let reference = one_thread(cut);
    assert_eq!(reference.stats.bytes_read, cut.len() as u64);
    fuzzing::parallel_with(cut, [65_536, 32_768, 700, 4096]);
}

#[test]
fn unsupported_link_types_are_warned_about_once_each_in_order() {
    // Eighteen interfaces of unknown link types, packets alternating among
    // them: the first sixteen types get one warning each, at their first
    // packet, whichever part that packet fell in.
    let mut w = PcapNgWriter::new(false);
    for link in 0..18u16 {
        w.interface(200 + link, false);
    }
    for i in 0..2_000u32 {
        w.packet(i % 18, u64::from(i), &[0x45; 60]);
    }
    let data = w.finish();
    let reference = one_thread(&data);
    assert_eq!(reference.warnings.len(), 16);
    assert_eq!(reference.stats.frames_unsupported_link, 2_000);
    fuzzing::parallel_with(&data, [1000, 700, 100, 300]);
}

fn fixture_names() -> Vec<String> {
    fixtures()
        .iter()
        .filter(|p| Pcap::parse(&std::fs::read(p).unwrap()).link_type == 1)
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn mutated_fixtures_give_one_threads_results(
        data in mutated_fixture(40_000, 8),
        memory in 50..20_000usize,
        read in 50..20_000usize,
        first in 1..2_000usize,
    ) {
        fuzzing::parallel_with(&data, [memory, read, first, 4096]);
    }
}
