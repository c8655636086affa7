//! The scale estate outside criterion: prints the generated TOML, or runs
//! the whole pipeline in one process so `/usr/bin/time -v` can report its
//! peak resident set. `run` writes every target's artefacts the way
//! `smbguard emit --out` does (into a fresh folder under the temporary
//! directory, removed afterwards), so the emit figure includes the disk.
//!
//! ```text
//! cargo build --release -p smbguard --example scale
//! target/release/examples/scale toml 3000 [complement] > /tmp/scale.toml
//! /usr/bin/time -v target/release/examples/scale run 3000 [complement]
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../benches/support/scale_estate.rs"]
mod scale_estate;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use scale_estate::{Strategy, estate_toml};
use smbguard_emit::{EmitContext, Target, emit_staged, index_json};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map(String::as_str).unwrap_or("run");
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(3000);
    let strategy = match args.get(2).map(String::as_str) {
        Some("complement") => Strategy::Complement,
        _ => Strategy::IpsecBypass,
    };
    let toml = estate_toml(n, strategy);
    if mode == "toml" {
        print!("{toml}");
        return ExitCode::SUCCESS;
    }
    match run(&toml) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scale: {e}");
            ExitCode::FAILURE
        }
    }
}

/// CPU time (user + system) of this process so far, from `/proc/self/stat`
/// (clock ticks of 10 ms); zero where that file does not exist. On a shared
/// machine wall time includes waiting for a core; this does not.
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) end at `)`.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: u64 = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

/// Wall and CPU time of one stage.
struct Stage {
    wall: Instant,
    cpu: Duration,
}

impl Stage {
    fn start() -> Self {
        Self {
            wall: Instant::now(),
            cpu: cpu(),
        }
    }
    fn done(&self, name: &str) -> String {
        format!(
            "{name} {:.3}s (cpu {:.2}s)",
            self.wall.elapsed().as_secs_f64(),
            (cpu() - self.cpu).as_secs_f64()
        )
    }
}

fn run(toml: &str) -> Result<(), String> {
    let t = Stage::start();
    let estate = smbguard_model::parse_estate(toml)
        .map_err(|r| format!("{} diagnostics", r.diagnostics.len()))?
        .estate;
    let parse = t.done("parse");
    let t = Stage::start();
    let plan = smbguard_semantics::compile(&estate).map_err(|e| format!("{e:?}"))?;
    let compile = t.done("compile");
    let t = Stage::start();
    let report = smbguard_verify::verify(&plan, &estate);
    let verify = t.done("verify");
    // Printed before emit, so a failing emit still reports the other stages.
    eprintln!("{parse} {compile} {verify}");
    let t = Stage::start();
    let cx = EmitContext {
        estate: &estate,
        plan: &plan,
        version: "bench",
        unsafe_reason: None,
    };
    // Written as `smbguard emit --out` writes: staged file by file beside the
    // output folder, then moved into place with its index.
    let out = std::env::temp_dir().join(format!("smbguard-scale-{}", std::process::id()));
    let staged = emit_staged(&cx, &Target::ALL, &out).map_err(|e| e.to_string())?;
    let entries = staged.artifacts().to_vec();
    let index = index_json(&cx, &entries);
    let written = staged.commit(&index).map_err(|e| e.to_string());
    let emit_time = t.done("emit");
    let _ = std::fs::remove_dir_all(&out);
    let written = written?;
    let bytes: usize = entries.iter().map(|a| a.size).sum();
    println!(
        "groups {} failed {} artefacts {} bytes {bytes} files written {}",
        estate.groups.len(),
        report.failed().count(),
        entries.len(),
        written.written
    );
    let mut per_target: Vec<(Target, usize, usize)> = Vec::new();
    for e in &entries {
        match per_target.iter_mut().find(|(t, _, _)| *t == e.target) {
            Some(row) => {
                row.1 += 1;
                row.2 += e.size;
            }
            None => per_target.push((e.target, 1, e.size)),
        }
    }
    per_target.sort_by_key(|r| std::cmp::Reverse(r.2));
    for (t, files, bytes) in per_target {
        println!("  {t}: {files} files, {bytes} bytes");
    }
    println!("{parse} {compile} {verify} {emit_time}");
    Ok(())
}
