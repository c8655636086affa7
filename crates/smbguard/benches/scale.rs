//! Cost of compile, verify and emit of every target (streamed, no file) on the
//! generated estates of `scale_estate.rs`. Figures are in BENCHMARKS.md
//! ("Scale"). Run with `cargo bench -p smbguard --bench scale`.

#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::print_stderr
)] // a benchmark harness, not library code
#[path = "support/scale_estate.rs"]
mod scale_estate;

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use scale_estate::{Strategy, estate_toml};
use smbguard_emit::{EmitContext, Target, emit_each};

// 10,000 groups take ~45 s per pipeline here: measured with `examples/scale.rs` instead.
const SIZES: [usize; 2] = [1_000, 3_000];

fn scale(c: &mut Criterion) {
    let mut g = c.benchmark_group("scale");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for n in SIZES {
        let toml = estate_toml(n, Strategy::IpsecBypass);
        let estate = match smbguard_model::parse_estate(&toml) {
            Ok(p) => p.estate,
            Err(r) => panic!("generated estate rejected: {:?}", r.diagnostics),
        };
        let plan = smbguard_semantics::compile(&estate).expect("generated estate compiles");
        g.bench_with_input(BenchmarkId::new("compile", n), &estate, |b, e| {
            b.iter(|| smbguard_semantics::compile(e))
        });
        g.bench_with_input(BenchmarkId::new("verify", n), &plan, |b, p| {
            b.iter(|| smbguard_verify::verify(p, &estate))
        });
        let cx = EmitContext {
            estate: &estate,
            plan: &plan,
            version: "bench",
            unsafe_reason: None,
        };
        // Every artefact is made, measured and dropped (no file written):
        // the cost of producing the output, not of the disk.
        g.bench_with_input(BenchmarkId::new("emit-all", n), &cx, |b, cx| {
            b.iter(|| {
                let mut bytes = 0usize;
                emit_each(cx, &Target::ALL, &mut |a| {
                    bytes += a.contents.len();
                    Ok(())
                })
                .expect("emit");
                bytes
            })
        });
    }
    // The other strategy: every block rule lists the complement of the servers.
    let toml = estate_toml(3_000, Strategy::Complement);
    if let Ok(p) = smbguard_model::parse_estate(&toml) {
        g.bench_function(BenchmarkId::new("compile-complement", 3_000), |b| {
            b.iter(|| smbguard_semantics::compile(&p.estate))
        });
    }
    g.finish();
}

criterion_group!(benches, scale);
criterion_main!(benches);
