//! Throughput of capture analysis, in bytes of capture per second.
//!
//! Input: the pcap named by `SMBGUARD_BENCH_CAPTURE` (build one with
//! `scripts/make-bench-capture.py /tmp/bench.pcap`, ≥ 500 MB), else a
//! ~64 MB capture generated in memory from the fixtures the same way
//! (addresses rewritten per copy, VLAN-tagged and untagged frames mixed).
//!
//! ```text
//! SMBGUARD_BENCH_CAPTURE=/tmp/bench.pcap cargo bench -p smbguard-traffic --bench traffic
//! ```

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{Pcap, fixtures, vlan_tag};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smbguard_traffic::{Options, analyze_bytes, analyze_file, analyze_reader};

const GENERATED_BYTES: usize = 64 * 1024 * 1024;

/// Fixtures with Ethernet framing, replicated until `GENERATED_BYTES`.
fn generated_capture() -> Vec<u8> {
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
    while size < GENERATED_BYTES {
        for pcap in &sources {
            for (sec, frac, frame) in &pcap.frames {
                let mut f = frame.clone();
                if f.len() >= 34 && f[12..14] == [0x08, 0x00] {
                    // 198.18.0.0/15, one block of addresses per copy.
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
    out.write(false, false)
}

fn bench(c: &mut Criterion) {
    let path = std::env::var_os("SMBGUARD_BENCH_CAPTURE");
    let (label, data) = match &path {
        Some(p) => (
            "file",
            std::fs::read(p).expect("read SMBGUARD_BENCH_CAPTURE"),
        ),
        None => ("generated", generated_capture()),
    };
    let mut group = c.benchmark_group(format!("traffic/{label}"));
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(if path.is_some() { 20 } else { 10 }));
    let one = Options::default();
    let two = Options::default().with_threads(2);
    group.bench_function("in_memory/1_thread", |b| {
        b.iter(|| black_box(analyze_bytes(&data, &one).unwrap().flows.len()));
    });
    group.bench_function("streaming/1_thread", |b| {
        b.iter(|| black_box(analyze_reader(data.as_slice(), &one).unwrap().flows.len()));
    });
    group.bench_function("in_memory/2_threads", |b| {
        b.iter(|| black_box(analyze_bytes(&data, &two).unwrap().flows.len()));
    });
    if let Some(p) = &path {
        group.bench_function("file/1_thread", |b| {
            b.iter(|| black_box(analyze_file(p, &one).unwrap().flows.len()));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
