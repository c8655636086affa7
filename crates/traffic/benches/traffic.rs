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
// Benchmark harness: criterion's generated fns are undocumented; setup failures may panic and print.
#![allow(missing_docs, clippy::unwrap_used, clippy::print_stderr)]

#[path = "../tests/integration/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::Duration;

use common::replicated_fixtures;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smbguard_traffic::{Options, analyze_bytes, analyze_file, analyze_reader};

const GENERATED_BYTES: usize = 64 * 1024 * 1024;

/// Fixtures with Ethernet framing, replicated until `GENERATED_BYTES`.
fn generated_capture() -> Vec<u8> {
    replicated_fixtures(|_, bytes| bytes >= GENERATED_BYTES).write(false, false)
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
    for (threads, options) in [("1_thread", &one), ("2_threads", &two)] {
        group.bench_function(format!("in_memory/{threads}"), |b| {
            b.iter(|| black_box(analyze_bytes(&data, options).unwrap().flows.len()));
        });
        group.bench_function(format!("streaming/{threads}"), |b| {
            b.iter(|| {
                black_box(
                    analyze_reader(data.as_slice(), options)
                        .unwrap()
                        .flows
                        .len(),
                )
            });
        });
        if let Some(p) = &path {
            group.bench_function(format!("file/{threads}"), |b| {
                b.iter(|| black_box(analyze_file(p, options).unwrap().flows.len()));
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
