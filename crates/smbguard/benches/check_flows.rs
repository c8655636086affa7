//! `smbguard check --flows` throughput on the example estate: one process
//! evaluating a batch of flows (process start, estate load and compile
//! included), for issue 13's target of 50,000 flows per second.

#![allow(missing_docs, clippy::unwrap_used, clippy::print_stderr)] // a benchmark harness, not library code
use std::hint::black_box;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Flows per batch.
const FLOWS: usize = 100_000;

/// A deterministic mix over the example estate: every group, unknown
/// internal hosts and the internet, both families, every governed
/// transport and every profile pair.
fn batch() -> PathBuf {
    let v4 = [
        "198.18.0.10",
        "198.18.0.11",
        "198.18.0.50",
        "198.18.1.20",
        "198.18.1.30",
        "198.18.2.7",
        "198.18.3.9",
        "198.18.16.5",
        "198.18.17.200",
        "198.19.250.1",
        "203.0.113.9",
        "169.254.1.1",
    ];
    let v6 = [
        "2001:db8:1:10::5",
        "2001:db8:1::10",
        "2001:db8:ffff::1",
        "fe80::1",
    ];
    let transports = ["tcp/445", "tcp/139", "udp/137", "udp/138", "tcp/22"];
    let profiles = ["domain", "private", "public"];
    let path =
        std::env::temp_dir().join(format!("smbguard-check-flows-{}.jsonl", std::process::id()));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    for i in 0..FLOWS {
        let (from, to) = if i % 5 == 4 {
            (v6[next(v6.len())], v6[next(v6.len())])
        } else {
            (v4[next(v4.len())], v4[next(v4.len())])
        };
        writeln!(
            out,
            "{{\"from\": \"{from}\", \"to\": \"{to}\", \"transport\": \"{}\", \"source_profile\": \"{}\", \"destination_profile\": \"{}\"}}",
            transports[next(transports.len())],
            profiles[next(profiles.len())],
            profiles[next(profiles.len())],
        )
        .unwrap();
    }
    out.flush().unwrap();
    path
}

fn check_flows(c: &mut Criterion) {
    let flows = batch();
    let mut group = c.benchmark_group("check_flows");
    group.sample_size(10);
    group.throughput(Throughput::Elements(FLOWS as u64));
    for format in ["text", "json"] {
        group.bench_function(format!("example_estate_{format}"), |b| {
            b.iter(|| {
                let status = Command::new(env!("CARGO_BIN_EXE_smbguard"))
                    .args(["check", "--flows"])
                    .arg(&flows)
                    .args(["--format", format])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .unwrap();
                black_box(status.code())
            });
        });
    }
    group.finish();
    let _ = std::fs::remove_file(flows);
}

criterion_group!(benches, check_flows);
criterion_main!(benches);
