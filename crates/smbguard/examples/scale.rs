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
use std::time::Instant;

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

fn run(toml: &str) -> Result<(), String> {
    let t = Instant::now();
    let estate = smbguard_model::parse_estate(toml)
        .map_err(|r| format!("{} diagnostics", r.diagnostics.len()))?
        .estate;
    let parse = t.elapsed();
    let t = Instant::now();
    let plan = smbguard_semantics::compile(&estate).map_err(|e| format!("{e:?}"))?;
    let compile = t.elapsed();
    let t = Instant::now();
    let report = smbguard_verify::verify(&plan, &estate);
    let verify = t.elapsed();
    // Printed before emit, so a failing emit still reports the other stages.
    eprintln!(
        "parse {:.3}s compile {:.3}s verify {:.3}s",
        parse.as_secs_f64(),
        compile.as_secs_f64(),
        verify.as_secs_f64()
    );
    let t = Instant::now();
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
    let emit_time = t.elapsed();
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
    println!(
        "parse {:.3}s compile {:.3}s verify {:.3}s emit {:.3}s",
        parse.as_secs_f64(),
        compile.as_secs_f64(),
        verify.as_secs_f64(),
        emit_time.as_secs_f64()
    );
    Ok(())
}
