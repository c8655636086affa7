//! Writes the synthetic fleet of issue 14's benchmark to disk, for
//! `smbguard audit` under `/usr/bin/time -v` (BENCHMARKS.md, "Fleet
//! audit"): the estate file and every host's evidence bundle, as JSON lines
//! or one file per host; with `distinct`, the worst case where every host
//! has a rule of its own (`OUT/distinct.jsonl`).
//!
//! ```text
//! cargo build --release -p smbguard --bin smbguard --example fleet
//! target/release/examples/fleet OUT [HOSTS] [dir] [distinct]
//! /usr/bin/time -v target/release/smbguard audit OUT/fleet.toml - < OUT/bundles.jsonl
//! /usr/bin/time -v target/release/smbguard audit OUT/fleet.toml OUT/bundles   # with `dir`
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use smbguard_testkit::fleet::{Fleet, Params};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.first().map(PathBuf::from) else {
        eprintln!("usage: fleet OUT [HOSTS] [dir] [distinct]");
        return ExitCode::from(2);
    };
    let mut params = Params::benchmark();
    if let Some(n) = args.get(1).and_then(|s| s.parse().ok()) {
        params.hosts = n;
    }
    let as_dir = args.iter().skip(2).any(|a| a == "dir");
    // The worst case: every host has a rule of its own, no judgement shared.
    params.host_specific = args.iter().skip(2).any(|a| a == "distinct");
    let fleet = Fleet::new(&params);
    let written = std::fs::create_dir_all(&out)
        .and_then(|()| std::fs::write(out.join("fleet.toml"), &fleet.toml))
        .and_then(|()| {
            if as_dir {
                fleet.write_dir(&out.join("bundles"))
            } else {
                let name = if params.host_specific {
                    "distinct.jsonl"
                } else {
                    "bundles.jsonl"
                };
                let file = std::fs::File::create(out.join(name))?;
                let mut w = BufWriter::new(file);
                fleet.write_jsonl(&mut w)?;
                w.flush()
            }
        });
    if let Err(e) = written {
        eprintln!("fleet: {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    let drifted = (0..params.hosts)
        .filter(|&i| fleet.host(i).drift.is_some())
        .count();
    println!(
        "{} hosts ({drifted} drifted) over {} Windows groups written to {}",
        params.hosts,
        params.groups,
        out.display()
    );
    ExitCode::SUCCESS
}
