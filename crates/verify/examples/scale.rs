//! Verifies a generated estate and prints sizes and timings:
//! `cargo run --release -p smbguard-verify --example scale [GROUPS RANGES]`.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::Instant;

use smbguard_testkit::scale::{Params, estate};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut p = Params::scale();
    if args.len() >= 3 {
        p.groups = args[1].parse().unwrap();
        p.ranges = args[2].parse().unwrap();
    }
    let t0 = Instant::now();
    let e = estate(&p);
    let t1 = Instant::now();
    let plan = smbguard_semantics::compile(&e).unwrap();
    let t2 = Instant::now();
    let report = smbguard_verify::verify(&plan, &e);
    let t3 = Instant::now();
    let s = &report.stats;
    let windows_rules: usize = plan
        .hosts
        .iter()
        .filter_map(|h| h.windows())
        .map(|w| w.rules.len())
        .sum();
    println!(
        "compiled: {windows_rules} Windows firewall rules, {} perimeter ACL entries",
        plan.perimeter.entries.len()
    );
    println!(
        "groups {} ranges {} rules {} address classes {} units {} contexts {}",
        s.groups, s.group_ranges, s.rules, s.address_classes, s.units, s.contexts
    );
    println!(
        "generate {:.3}s compile {:.3}s verify {:.3}s",
        (t1 - t0).as_secs_f64(),
        (t2 - t1).as_secs_f64(),
        (t3 - t2).as_secs_f64()
    );
    for r in &report.invariants {
        println!(
            "{} {:?} {} failures; {}",
            r.id,
            r.status,
            r.failures.len(),
            r.summary
        );
        for f in r.failures.iter().take(2) {
            println!("   {}", f.explanation);
        }
    }
    for l in report.lints.iter().take(10) {
        println!("lint {} {:?}: {}", l.code, l.group, l.message);
    }
    println!("lints: {}", report.lints.len());
}
