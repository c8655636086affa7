//! Scale benchmark: a generated estate with 100,000 address ranges and about
//! 10,000 compiled firewall rules.
//!
//! - `verify/scale`: the full proof (every invariant, every address, every
//!   transport × profile pair × source-port class, with lints and evidence);
//! - `brute-force/scale`: `check_flow` on as many sampled flows as the estate
//!   has address ranges (100,000), judged against the same invariants: what
//!   sampling the same number of flows costs, while proving nothing.
//!
//! `cargo bench -p smbguard-verify --bench verify`; single-threaded code.
// Benchmark harness: criterion's generated fns are undocumented; setup failures may panic and print.
#![allow(missing_docs, clippy::unwrap_used, clippy::print_stderr)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smbguard_semantics::compile;
use smbguard_testkit::scale::{Params, estate};
use smbguard_verify::reference::{check_flows, sample_flows};
use smbguard_verify::{builtin_invariants, user_invariants, verify};

fn bench(c: &mut Criterion) {
    let params = Params::scale();
    let estate = estate(&params);
    let plan = match compile(&estate) {
        Ok(p) => p,
        Err(e) => panic!("generated estate does not compile: {e}"),
    };
    let report = verify(&plan, &estate);
    assert!(report.passed, "the generated estate must verify clean");
    let s = &report.stats;
    eprintln!(
        "generated estate: {} groups, {} address ranges, {} rules evaluated, {} address classes, {} contexts",
        s.groups, s.group_ranges, s.rules, s.address_classes, s.contexts
    );

    let mut g = c.benchmark_group("verify");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(15));
    g.throughput(Throughput::Elements(s.group_ranges as u64));
    g.bench_function("scale", |b| {
        b.iter(|| verify(black_box(&plan), black_box(&estate)))
    });
    g.finish();

    let mut invariants = builtin_invariants(&plan, &estate);
    invariants.extend(user_invariants(&estate));
    let flows = sample_flows(&plan, &invariants, s.group_ranges, 7);
    let mut g = c.benchmark_group("brute-force");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(flows.len() as u64));
    g.bench_function("scale", |b| {
        b.iter(|| check_flows(black_box(&plan), black_box(&invariants), black_box(&flows)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
