//! `smbguard audit`: read what is deployed (evidence bundles, registry.pol,
//! GPO backups, .reg, .wfw, Get-NetFirewallRule exports, nftables JSON, iptables-save), judge it against the plan by
//! its effect, report findings and optionally write a fix script.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use smbguard_audit::{AuditReport, GroupChoice, Severity};

use super::audit_inputs::audit_inputs;
use crate::input::load_plan;
use crate::render;
use crate::{CliError, EXIT_FAILED, out};

pub(crate) const AUDIT_LONG_ABOUT: &str = "\
Read what is really deployed and judge it against the plan by its effect, not by rule names:
every input is lowered into smbguard's rule IR (several Windows stores merged as Windows
does: same-ID precedence, AllowLocalPolicyMerge, shielded mode, disabled profiles) and every
SMB flow class is evaluated with the plan's evaluator on both sides. A renamed, localised or
third-party rule that opens TCP 445 is caught; a compliant host with other rule names passes.

Inputs are auto-detected: evidence bundles written by the collector (`smbguard emit --target
collector`), folders of them, `-` for bundles as JSON lines on stdin; registry.pol files; GPO
backup folders; regedit `.reg` exports of the firewall keys (GPO, MDM and local stores told
apart); `.wfw` files from `netsh advfirewall export`; Get-NetFirewallRule exports as CSV
(`;`-separated, code page 1252 unless UTF-8/UTF-16) or JSON (lossy: the active store
without profile settings); `nft -j list ruleset` output; iptables-save output (an
ip6tables-save file beside it, same name with `6`, is read too). The first argument is the
estate when it ends in `.toml`. A host's group is told from its bundle's addresses, else from
--group, else from the file name (gpo/GROUP/..., GROUP.nft.json; `perimeter` for the
perimeter ACL).

Fleets: bundles are read one at a time and judged in parallel, and hosts with the same group,
firewall stores and SMB facts share one judgement (10,000 hosts of 150 rules in seconds,
under 100 MB; BENCHMARKS.md). A progress bar is drawn on stderr when it is a terminal.

Findings (docs/audit.md) come grouped by host, most severe first, each with the rules, the
store, the first differing flow traced as `smbguard check` would, and a fix. --format json
writes the whole report, sarif a SARIF 2.1.0 log for code-scanning dashboards, html one
self-contained page for a fleet (compliant hosts counted per group, long lists capped).

Exit code 0 without findings at or above --fail-on (default: high), 1 with, 2 on bad input.";

/// Output formats of `audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum AuditFormat {
    /// Human-readable text.
    Text,
    /// JSON (the `smbguard-audit/1` report).
    Json,
    /// SARIF 2.1.0 for code-scanning dashboards: one result per finding.
    Sarif,
    /// One self-contained HTML fleet report (no script, no external resources).
    Html,
}

/// `--fail-on` levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailOn {
    /// Any finding fails.
    Low,
    /// Medium or high findings fail.
    Medium,
    /// Only high findings fail.
    High,
}

#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    /// [ESTATE.toml] INPUT...: the estate (optional, first, ending in .toml) and the inputs.
    #[arg(value_name = "INPUT", required = true)]
    pub(crate) paths: Vec<PathBuf>,
    /// Judge every input against this group (else told from addresses or file names).
    #[arg(long, value_name = "GROUP")]
    pub(crate) group: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Text)]
    pub(crate) format: AuditFormat,
    /// Exit 1 when a finding of this severity or worse exists.
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    pub(crate) fail_on: FailOn,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Write a PowerShell script bringing the Windows hosts back to the plan
    /// (report-only unless run with -Apply).
    #[arg(long, value_name = "FILE")]
    pub(crate) fix_script: Option<PathBuf>,
}

pub(crate) fn run(args: &AuditArgs) -> Result<ExitCode, CliError> {
    let (estate, inputs) = match args.paths.split_first() {
        Some((first, rest)) if first.extension().is_some_and(|x| x == "toml") => {
            (Some(first.as_path()), rest)
        }
        _ => (None, args.paths.as_slice()),
    };
    if inputs.is_empty() {
        return Err(CliError::BadInput(
            "error: no INPUT given (bundles, registry.pol, GPO backups, nft JSON, iptables-save, or `-`)".into(),
        ));
    }
    let (loaded, plan) = load_plan(estate)?;
    let choice = match args.group.as_deref() {
        Some("perimeter") => GroupChoice::Perimeter,
        Some(g) => GroupChoice::Named(g),
        None => GroupChoice::Infer,
    };
    let hosts = audit_inputs(&plan, choice, inputs)?;
    let report = AuditReport::new(&loaded.estate.name, env!("CARGO_PKG_VERSION"), hosts);
    if let Some(path) = &args.fix_script {
        let script = smbguard_audit::fix_script(&report);
        std::fs::write(path, script)
            .map_err(|e| CliError::Io(format!("cannot write {}: {e}", path.display())))?;
    }
    let threshold = match args.fail_on {
        FailOn::Low => Severity::Low,
        FailOn::Medium => Severity::Medium,
        FailOn::High => Severity::High,
    };
    // Decided before the report is written: a reader that stops early
    // (`smbguard audit ... | head`) must not turn a failing audit into exit 0.
    let code = if report.fails(threshold) {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    };
    let body = match args.format {
        AuditFormat::Text => render::term::sanitize(render::audit_text::render(&report)),
        // Straight from the report, not through a `serde_json::Value`: for
        // 10,000 hosts the tree took 800 MB more than the text it becomes.
        AuditFormat::Json => {
            let mut s = serde_json::to_string_pretty(&report)
                .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
            s.push('\n');
            s
        }
        AuditFormat::Sarif => render::audit_sarif::render(&report),
        AuditFormat::Html => render::audit_html::render(&report),
    };
    out::verdict_report(args.out.as_deref(), &body)?;
    Ok(code)
}
