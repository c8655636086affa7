//! `smbguard audit` on issue 14's fleet (`smbguard_testkit::fleet::Params::
//! benchmark()`): 10,000 evidence bundles of about 150 firewall rules each,
//! spread over 50 Windows groups, 4 % of the hosts drifted. One `smbguard
//! audit` process per sample, as a user runs it: process start, estate
//! parse and compile, reading the bundles (JSON lines on stdin, or a folder
//! of one file per host), parsing, judging and the text report. Figures in
//! BENCHMARKS.md ("Fleet audit"). `distinct_jsonl_stdin` is the worst
//! case: every host also has a rule of its own (`Params::host_specific`),
//! so no judgement is shared. `SMBGUARD_BENCH_FLEET_HOSTS=N` runs a
//! smaller fleet.

#![allow(missing_docs, clippy::unwrap_used, clippy::print_stderr)] // a benchmark harness, not library code
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use smbguard_testkit::fleet::{Fleet, Params};

/// One `smbguard audit ESTATE INPUT` with `stdin`, its exit code checked
/// (1: the drifted hosts have high findings).
fn audit(estate: &Path, input: &str, stdin: Stdio) {
    let status = Command::new(env!("CARGO_BIN_EXE_smbguard"))
        .args(["audit", estate.to_str().unwrap(), input])
        .stdin(stdin)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
}

fn fleet_audit(c: &mut Criterion) {
    let mut params = Params::benchmark();
    if let Some(n) = std::env::var("SMBGUARD_BENCH_FLEET_HOSTS")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        params.hosts = n;
    }
    let dir = std::env::temp_dir().join(format!("smbguard-bench-fleet-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fleet = Fleet::new(&params);
    let estate = dir.join("fleet.toml");
    std::fs::write(&estate, &fleet.toml).unwrap();
    let write_lines = |fleet: &Fleet, name: &str| {
        let path = dir.join(name);
        let mut w = BufWriter::new(File::create(&path).unwrap());
        fleet.write_jsonl(&mut w).unwrap();
        w.flush().unwrap();
        path
    };
    let lines = write_lines(&fleet, "bundles.jsonl");
    let distinct = Fleet::new(&Params {
        host_specific: true,
        ..params.clone()
    });
    assert_eq!(distinct.toml, fleet.toml, "the same estate");
    let distinct_lines = write_lines(&distinct, "distinct.jsonl");
    let folder = dir.join("bundles");
    fleet.write_dir(&folder).unwrap();
    eprintln!("fleet: {} hosts written to {}", params.hosts, dir.display());

    let mut group = c.benchmark_group("audit_fleet");
    // One process per sample (several seconds each): flat sampling, so ten
    // samples are ten runs.
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(60))
        .throughput(Throughput::Elements(params.hosts as u64));
    group.bench_function("jsonl_stdin", |b| {
        b.iter(|| audit(&estate, "-", Stdio::from(File::open(&lines).unwrap())));
    });
    group.bench_function("folder", |b| {
        b.iter(|| audit(&estate, folder.to_str().unwrap(), Stdio::null()));
    });
    group.bench_function("distinct_jsonl_stdin", |b| {
        b.iter(|| {
            audit(
                &estate,
                "-",
                Stdio::from(File::open(&distinct_lines).unwrap()),
            )
        });
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, fleet_audit);
criterion_main!(benches);
