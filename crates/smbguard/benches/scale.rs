//! Cost of compile, verify and emit of every target (in memory) on the
//! generated estates of `scale_estate.rs`. Figures are in BENCHMARKS.md
//! ("Scale"). Run with `cargo bench -p smbguard --bench scale`.

#[path = "scale_estate.rs"]
mod scale_estate;

use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use scale_estate::{Strategy, estate_toml};
use smbguard_emit::{EmitContext, Target, emit};

const SIZES: [usize; 3] = [1_000, 3_000, 10_000];

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
        g.bench_with_input(BenchmarkId::new("emit-all", n), &cx, |b, cx| {
            b.iter(|| emit(cx, &Target::ALL).expect("emit"))
        });
    }
    g.finish();
}

criterion_group!(benches, scale);
criterion_main!(benches);
