//! `smbguard emit`: compile, refuse an unsafe plan (unless told why), write
//! every requested target's artefacts and `index.json`, print a summary.

use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;

use smbguard_emit::{Artifact, EmitContext, EmitError, Target, index_json};

use crate::args::EmitArgs;
use crate::input::load_plan;
use crate::safety::{self, Safety};
use crate::{CliError, EXIT_FAILED};

/// The Windows deployment targets.
const WINDOWS: [Target; 3] = [Target::PowerShell, Target::Netsh, Target::Gpo];

/// Resolves `--target` names. `all` asks for every target and tolerates
/// those not built yet; a target named explicitly must work.
fn targets(names: &[String]) -> Result<(Vec<Target>, bool), CliError> {
    let mut out: Vec<Target> = Vec::new();
    let mut all = false;
    for raw in names {
        let name = raw.trim().to_ascii_lowercase();
        let add: Vec<Target> = match name.as_str() {
            "all" => {
                all = true;
                Target::ALL.to_vec()
            }
            "windows" => WINDOWS.to_vec(),
            other => vec![Target::from_str(other).map_err(|e| {
                CliError::BadInput(format!(
                    "error: --target: {e}; or `windows` (powershell, netsh, gpo), or `all`"
                ))
            })?],
        };
        for t in add {
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    if out.is_empty() {
        return Err(CliError::BadInput("error: --target names no target".into()));
    }
    Ok((out, all))
}

/// An artefact path must stay inside the output directory.
fn checked_path(out: &Path, rel: &str) -> Result<PathBuf, CliError> {
    let p = Path::new(rel);
    let inside = !rel.is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)));
    if !inside {
        return Err(CliError::Io(format!(
            "refusing to write artefact outside {}: {rel}",
            out.display()
        )));
    }
    Ok(out.join(p))
}

fn write(out: &Path, rel: &str, bytes: &[u8]) -> Result<(), CliError> {
    let path = checked_path(out, rel)?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| CliError::Io(format!("cannot create {}: {e}", parent.display())))?;
    }
    std::fs::write(&path, bytes)
        .map_err(|e| CliError::Io(format!("cannot write {}: {e}", path.display())))
}

fn size(n: usize) -> String {
    if n >= 10 * 1024 {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} B")
    }
}

pub(crate) fn run(args: &EmitArgs) -> Result<ExitCode, CliError> {
    let (requested, all) = targets(&args.target)?;
    if args
        .allow_unsafe
        .as_deref()
        .is_some_and(|r| r.trim().is_empty())
    {
        return Err(CliError::BadInput(
            "error: --allow-unsafe needs a reason, e.g. --allow-unsafe \"lab estate, DCs not declared yet\"".into(),
        ));
    }
    let (loaded, plan) = load_plan(args.estate.estate.as_deref())?;

    // The built-in invariants of KB3185535 (smbguard-verify): a plan that
    // locks domain members out of their DCs or leaves lateral SMB open is not
    // written unless the user gives a reason.
    let unsafe_reason = match safety::check(
        &plan,
        &loaded.estate,
        args.allow_unsafe.as_deref(),
        "written",
    ) {
        Safety::Safe => None,
        Safety::Allowed(reason) => Some(reason),
        Safety::Refused => return Ok(ExitCode::from(EXIT_FAILED)),
    };

    let version = env!("CARGO_PKG_VERSION");
    let cx = EmitContext {
        estate: &loaded.estate,
        plan: &plan,
        version,
        unsafe_reason,
    };
    let mut artifacts: Vec<Artifact> = Vec::new();
    let mut written_targets: Vec<Target> = Vec::new();
    for t in &requested {
        match t.emit(&cx) {
            Ok(a) => {
                written_targets.push(*t);
                artifacts.extend(a);
            }
            Err(EmitError::NotImplemented(t)) if all => {
                eprintln!("note: target {t} is not available in this build; skipped");
            }
            Err(e @ (EmitError::UnsafeString { .. } | EmitError::Unrepresentable { .. })) => {
                return Err(CliError::BadInput(format!("error: {e}")));
            }
            Err(e) => return Err(CliError::BadInput(format!("error: {e}"))),
        }
    }
    artifacts.sort_by(|a, b| a.path.cmp(&b.path));

    let linux: Vec<&str> = plan
        .hosts
        .iter()
        .filter(|h| h.windows().is_none())
        .map(|h| h.group.as_str())
        .collect();
    if !linux.is_empty() && written_targets.iter().any(|t| WINDOWS.contains(t)) {
        eprintln!(
            "note: Windows targets skip Linux groups: {}",
            linux.join(", ")
        );
    }

    for a in &artifacts {
        write(&args.out, &a.path, &a.contents)?;
    }
    let index = index_json(&cx, &artifacts);
    write(&args.out, "index.json", index.as_bytes())?;

    println!(
        "smbguard emit: estate \"{}\" -> {}",
        loaded.estate.name,
        args.out.display()
    );
    let width = artifacts.iter().map(|a| a.path.len()).max().unwrap_or(0);
    for a in &artifacts {
        println!(
            "  {:<10}  {:<width$}  {:>8}  {}",
            a.target.as_str(),
            a.path,
            size(a.contents.len()),
            a.group.as_deref().unwrap_or("(estate)"),
        );
    }
    let names: Vec<&str> = written_targets.iter().map(|t| t.as_str()).collect();
    println!(
        "wrote {} file(s) and index.json for target(s) {}",
        artifacts.len(),
        names.join(", ")
    );
    if written_targets.contains(&Target::Gpo) {
        println!(
            "import a GPO backup: Import-GPO -BackupGpoName 'smbguard {} GROUP' -Path <out>\\gpo\\GROUP -TargetName 'smbguard {} GROUP' -CreateIfNeeded",
            loaded.estate.name, loaded.estate.name
        );
    }
    if written_targets.contains(&Target::Intune)
        && let Ok(ip) = smbguard_emit::intune::intune_plan(&loaded.estate)
    {
        ip.notes.iter().for_each(|n| eprintln!("note: intune: {n}"));
        println!(
            "deploy to Intune: pwsh <out>/intune/deploy-intune.ps1 -WhatIf, then without -WhatIf"
        );
    }
    if written_targets.contains(&Target::PowerShell) {
        println!(
            "try a script first: powershell -ExecutionPolicy Bypass -File <out>\\GROUP.powershell.ps1 -WhatIf"
        );
    }
    Ok(ExitCode::SUCCESS)
}
