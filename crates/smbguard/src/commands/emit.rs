//! `smbguard emit`: compile, refuse an unsafe plan (unless told why), write
//! every requested target's artefacts and `index.json` atomically, print a
//! listing that fits an 80-column terminal.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use smbguard_emit::{ArtifactEntry, EmitError, Target, WriteReport, emit_staged, index_json};
use smbguard_model::Diagnostic;

use crate::input::{LoadedEstate, load_plan, render_diagnostics};
use crate::safety;
use crate::{CliError, EXIT_FAILED};

pub(crate) const EMIT_LONG_ABOUT: &str = "\
Compile the estate, check the built-in invariants of KB3185535 (the plan must not lock
domain members out of their DCs nor leave lateral SMB open), and write the deployment
artefacts of every requested target into --out, with index.json listing them.

Windows targets write one artefact per Windows group (Linux groups are skipped, and said so):
  powershell  GROUP.powershell.ps1   converging script (-WhatIf, -PolicyStore); reads everything
                                     back and exits non-zero on any difference
  netsh       GROUP.netsh.cmd        netsh advfirewall batch file (local store; rules by name)
  gpo         gpo/GROUP/...          GPMC backup folder (registry.pol, Backup.xml, bkupInfo.xml,
                                     manifest.xml; Services.xml for isolated groups) for Import-GPO

Output is deterministic: the same estate gives the same bytes. The set is written atomically:
it is built beside --out and moved into place, never through a symbolic link; on any error
--out is unchanged. Files a previous emit listed in index.json and this one does not write
are removed (and listed); files smbguard did not write are left alone (and listed).";

pub(crate) const EMIT_AFTER_HELP: &str = "\
Exit codes: 0 written; 1 the plan fails a built-in invariant (nothing written; see
--allow-unsafe); 2 bad input (estate, arguments, a name a target cannot write safely, or
two names that would share a file), or --out cannot be written (nothing changed).

Examples:
  smbguard emit                                   # bundled example, every target, ./out
  smbguard emit estate.toml --target powershell,gpo --out deploy
  smbguard emit estate.toml --allow-unsafe \"lab only, DCs not declared yet\"";

#[derive(Debug, Args)]
pub(crate) struct EmitArgs {
    #[command(flatten)]
    pub(crate) estate: crate::common_args::EstateArg,
    /// Targets, comma-separated: powershell, netsh, gpo (or `windows` for those three), any other
    /// target name listed in the long help, or `all`.
    #[arg(
        long,
        short,
        value_name = "TARGETS",
        value_delimiter = ',',
        default_value = "all"
    )]
    pub(crate) target: Vec<String>,
    /// Output directory (created if missing; files smbguard writes are overwritten).
    #[arg(long, short, value_name = "DIR", default_value = "./out")]
    pub(crate) out: PathBuf,
    /// Emit even if the plan fails a built-in invariant; REASON is written into every header.
    #[arg(long, value_name = "REASON")]
    pub(crate) allow_unsafe: Option<String>,
}

/// The width the listing fits in.
const COLUMNS: usize = 80;

fn size(n: usize) -> String {
    if n >= 10 * 1024 {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} B")
    }
}

/// An emit error as a diagnostic located at the group name that causes it,
/// when there is one.
fn located(loaded: &LoadedEstate, e: &EmitError) -> CliError {
    let group = match e {
        EmitError::UnsafePath { group, .. } => group.as_deref(),
        _ => None,
    };
    let span = group.and_then(|g| {
        loaded
            .estate
            .groups
            .iter()
            .find(|x| x.name == g)
            .and_then(|x| x.spans.name.clone())
    });
    match span {
        Some(span) => {
            let mut d = Diagnostic::error("unwritable-name", e.to_string())
                .at(Some(span))
                .hint("rename the group: every artefact path must be a distinct file name Windows can hold, ignoring case");
            d.locate(&loaded.source);
            CliError::BadInput(render_diagnostics(&loaded.name, &loaded.source, &[d]))
        }
        None => CliError::BadInput(format!("error: {e}")),
    }
}

/// The listing: one line per file, grouped by target, each GPO backup folder
/// as one line; a line that would pass 80 columns puts the size below.
fn listing(artifacts: &[ArtifactEntry]) -> Vec<String> {
    let mut rows: Vec<(Target, String, usize, usize)> = Vec::new();
    for a in artifacts {
        let shown = match a.target {
            Target::Gpo => a.path.split('/').take(2).collect::<Vec<_>>().join("/") + "/",
            _ => a.path.clone(),
        };
        match rows.last_mut() {
            Some(last) if last.0 == a.target && last.1 == shown => {
                last.2 += a.size;
                last.3 += 1;
            }
            _ => rows.push((a.target, shown, a.size, 1)),
        }
    }
    rows.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let sizes: Vec<String> = rows
        .iter()
        .map(|&(_, _, bytes, files)| match files {
            1 => size(bytes),
            n => format!("{} in {n} files", size(bytes)),
        })
        .collect();
    let size_width = sizes.iter().map(String::len).max().unwrap_or(0);
    let path_width = COLUMNS - 4 - size_width;
    let mut out = Vec::new();
    let mut current = None;
    for ((target, path, _, _), size) in rows.into_iter().zip(sizes) {
        if current != Some(target) {
            out.push(format!("{target}:"));
            current = Some(target);
        }
        if path.chars().count() <= path_width {
            out.push(format!("  {path:<path_width$}  {size:>size_width$}"));
        } else {
            out.push(format!("  {path}"));
            out.push(format!("{size:>COLUMNS$}"));
        }
    }
    out
}

fn report_changes(report: &WriteReport) {
    if !report.removed.is_empty() {
        eprintln!(
            "note: removed {} stale file(s) a previous emit wrote (listed in its index.json):",
            report.removed.len()
        );
        for p in &report.removed {
            eprintln!("  {}", p.escape_debug());
        }
    }
    if !report.foreign.is_empty() {
        eprintln!(
            "note: left alone {} file(s) in the output folder that smbguard did not write:",
            report.foreign.len()
        );
        for p in &report.foreign {
            eprintln!("  {}", p.escape_debug());
        }
    }
}

pub(crate) fn run(args: &EmitArgs) -> Result<ExitCode, CliError> {
    let requested = Target::parse_list(&args.target)
        .map_err(|e| CliError::BadInput(format!("error: --target: {e}")))?;
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
    let Some(cx) = safety::context(
        &plan,
        &loaded.estate,
        args.allow_unsafe.as_deref(),
        "written",
    ) else {
        return Ok(ExitCode::from(EXIT_FAILED));
    };
    // Each artefact is written into a staging folder beside --out as it is
    // made, so memory holds one group's files, not the estate's.
    let staged = emit_staged(&cx, &requested, &args.out).map_err(|e| located(&loaded, &e))?;

    let linux: Vec<&str> = plan
        .hosts
        .iter()
        .filter(|h| h.windows().is_none())
        .map(|h| h.group.as_str())
        .collect();
    if !linux.is_empty() && requested.iter().any(|t| Target::WINDOWS.contains(t)) {
        eprintln!(
            "note: Windows targets skip Linux groups: {}",
            linux.join(", ")
        );
    }

    let artifacts = staged.artifacts().to_vec();
    let index = index_json(&cx, &artifacts);
    let report = staged
        .commit(&index)
        .map_err(|e| CliError::BadInput(format!("error: {e}")))?;
    report_changes(&report);

    println!(
        "smbguard emit: estate \"{}\" -> {}",
        loaded.estate.name,
        args.out.display()
    );
    for line in listing(&artifacts) {
        println!("{line}");
    }
    let names: Vec<&str> = requested.iter().map(|t| t.as_str()).collect();
    println!(
        "wrote {} file(s) and index.json for target(s) {}",
        artifacts.len(),
        names.join(", ")
    );
    if requested.contains(&Target::Gpo) {
        println!(
            "import a GPO backup: Import-GPO -BackupGpoName 'smbguard {} GROUP' -Path <out>\\gpo\\GROUP -TargetName 'smbguard {} GROUP' -CreateIfNeeded",
            loaded.estate.name, loaded.estate.name
        );
    }
    if requested.contains(&Target::Intune)
        && let Ok(ip) = smbguard_emit::intune_plan(&loaded.estate)
    {
        ip.notes.iter().for_each(|n| eprintln!("note: intune: {n}"));
        println!(
            "deploy to Intune: pwsh <out>/intune/deploy-intune.ps1 -WhatIf, then without -WhatIf"
        );
    }
    if requested.contains(&Target::PowerShell) {
        println!(
            "try a script first: powershell -ExecutionPolicy Bypass -File <out>\\GROUP.powershell.ps1 -WhatIf"
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use smbguard_emit::{EmitContext, emit};

    #[test]
    fn emit_listing_fits_80_columns() {
        let estate = smbguard_model::parse_estate(smbguard_model::EXAMPLE_ESTATE)
            .expect("example parses")
            .estate;
        let plan = smbguard_semantics::compile(&estate).expect("example compiles");
        let cx = EmitContext {
            estate: &estate,
            plan: &plan,
            version: "0.0.0-test",
            unsafe_reason: None,
        };
        let artifacts: Vec<ArtifactEntry> = emit(&cx, &Target::ALL)
            .expect("example emits")
            .iter()
            .map(ArtifactEntry::of)
            .collect();
        let lines = listing(&artifacts);
        for l in &lines {
            assert!(l.chars().count() <= COLUMNS, "{l}");
        }
        insta::assert_snapshot!("emit_listing", lines.join("\n"));
    }
}
