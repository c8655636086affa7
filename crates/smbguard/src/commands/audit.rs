//! `smbguard audit`: read what is deployed (evidence bundles, registry.pol,
//! GPO backups, .reg, .wfw, Get-NetFirewallRule exports, nftables JSON, iptables-save), judge it against the plan by
//! its effect, report findings and optionally write a fix script.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use smbguard_audit::{
    AuditError, AuditReport, GroupChoice, HostAudit, InputKind, Severity, audit_bundle,
    audit_iptables, audit_netfw_export, audit_nft_json, audit_reg_export, audit_registry_pol,
    audit_wfw, detect, read_bundle,
};
use smbguard_semantics::Plan;

use crate::input::load_plan;
use crate::render::{self, term::esc};
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
ip6tables-save file beside it, same name with `6`, is read too). The first argument is the estate when it ends in
`.toml`. A host's group is told from its bundle's addresses, else from --group, else from the
file name (gpo/GROUP/..., GROUP.nft.json; `perimeter` for the perimeter ACL).

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

fn bad(e: &AuditError) -> CliError {
    CliError::BadInput(format!("error: {}", esc(&e.to_string())))
}

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path)
        .map_err(|e| CliError::BadInput(format!("error: cannot read {}: {e}", path.display())))
}

/// A GPO backup folder's `registry.pol` (GPMC layout), if `dir` is one.
fn gpo_registry_pol(dir: &Path) -> Option<PathBuf> {
    let direct = dir.join("DomainSysvol/GPO/Machine/registry.pol");
    if direct.is_file() {
        return Some(direct);
    }
    // A backup root holds one {GUID} folder per GPO.
    let mut subs: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("DomainSysvol/GPO/Machine/registry.pol").is_file())
        .collect();
    subs.sort();
    subs.first()
        .map(|p| p.join("DomainSysvol/GPO/Machine/registry.pol"))
}

struct Ctx<'a> {
    plan: &'a Plan,
    choice: GroupChoice<'a>,
    hosts: Vec<HostAudit>,
}

impl Ctx<'_> {
    fn file(&mut self, path: &Path) -> Result<(), CliError> {
        let bytes = read(path)?;
        let loc = path.display().to_string();
        let kind = detect(&bytes).ok_or_else(|| {
            CliError::BadInput(format!(
                "error: {}: not an evidence bundle, registry.pol, .reg, .wfw, Get-NetFirewallRule CSV/JSON, `nft -j list ruleset` JSON or iptables-save output",
                esc(&loc)
            ))
        })?;
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        let audit = match kind {
            InputKind::Bundle => {
                let b = read_bundle(&text(), &loc).map_err(|e| bad(&e))?;
                audit_bundle(self.plan, &b, self.choice, &loc)
            }
            InputKind::RegistryPol | InputKind::GpoBackup => {
                audit_registry_pol(self.plan, &bytes, self.choice, &loc, kind)
            }
            InputKind::RegExport => audit_reg_export(self.plan, &bytes, self.choice, &loc),
            InputKind::Wfw => audit_wfw(self.plan, &bytes, self.choice, &loc),
            InputKind::NetFirewallCsv | InputKind::NetFirewallJson => {
                let json = kind == InputKind::NetFirewallJson;
                audit_netfw_export(self.plan, &bytes, json, self.choice, &loc)
            }
            InputKind::NftJson => audit_nft_json(self.plan, &text(), self.choice, &loc),
            InputKind::IptablesSave => {
                let v6 = ip6_sibling(path).and_then(|p| std::fs::read_to_string(p).ok());
                audit_iptables(self.plan, &text(), v6.as_deref(), self.choice, &loc)
            }
            // Not a kind `detect` returns; refused rather than skipped, so
            // an input can never vanish from the report unnoticed.
            InputKind::Other => {
                return Err(CliError::BadInput(format!(
                    "error: {}: not an input `smbguard audit` reads",
                    esc(&loc)
                )));
            }
        };
        self.hosts.push(audit.map_err(|e| bad(&e))?);
        Ok(())
    }

    fn input(&mut self, path: &Path) -> Result<(), CliError> {
        if path.as_os_str() == "-" {
            return self.stdin();
        }
        if path.is_dir() {
            if let Some(pol) = gpo_registry_pol(path) {
                // The group comes from the backup folder's path (gpo/GROUP/...).
                let bytes = read(&pol)?;
                let loc = format!(
                    "{}/{}",
                    path.display(),
                    "DomainSysvol/GPO/Machine/registry.pol"
                );
                let a =
                    audit_registry_pol(self.plan, &bytes, self.choice, &loc, InputKind::GpoBackup)
                        .map_err(|e| bad(&e))?;
                self.hosts.push(a);
                return Ok(());
            }
            for f in folder_inputs(path)? {
                self.file(&f)?;
            }
            return Ok(());
        }
        self.file(path)
    }

    /// Bundles as JSON lines, read one at a time.
    fn stdin(&mut self) -> Result<(), CliError> {
        let stdin = std::io::stdin();
        for (i, line) in stdin.lock().lines().enumerate() {
            let line = line.map_err(|e| CliError::BadInput(format!("error: stdin: {e}")))?;
            if line.trim().is_empty() {
                continue;
            }
            let loc = format!("<stdin>:{}", i + 1);
            let b = read_bundle(&line, &loc).map_err(|e| bad(&e))?;
            let a = audit_bundle(self.plan, &b, self.choice, &loc).map_err(|e| bad(&e))?;
            self.hosts.push(a);
        }
        Ok(())
    }
}

/// The files of a folder the audit reads, by extension in any case
/// (`netsh advfirewall export` files are often `*.WFW`), sorted. A folder
/// without one is an input error: it must not pass as a compliant fleet.
fn folder_inputs(dir: &Path) -> Result<Vec<PathBuf>, CliError> {
    const EXTENSIONS: [&str; 4] = ["json", "reg", "wfw", "csv"];
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| CliError::BadInput(format!("error: cannot read {}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| EXTENSIONS.iter().any(|e| x.eq_ignore_ascii_case(e)))
        })
        .collect();
    if files.is_empty() {
        return Err(CliError::BadInput(format!(
            "error: {}: no evidence bundle, .reg, .wfw or Get-NetFirewallRule export (*.json, *.reg, *.wfw, *.csv) in this folder, and not a GPO backup",
            esc(&dir.display().to_string())
        )));
    }
    files.sort();
    Ok(files)
}

/// `rules.v4` → `rules.v6`, `iptables-save.txt` → `ip6tables-save.txt`.
fn ip6_sibling(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    let other = if name.contains(".v4") {
        name.replace(".v4", ".v6")
    } else if name.starts_with("iptables") {
        format!("ip6{name}")
    } else {
        return None;
    };
    let p = path.with_file_name(other);
    p.is_file().then_some(p)
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
    let mut cx = Ctx {
        plan: &plan,
        choice,
        hosts: Vec::new(),
    };
    for p in inputs {
        cx.input(p)?;
    }
    let report = AuditReport::new(&loaded.estate.name, env!("CARGO_PKG_VERSION"), cx.hosts);
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
        AuditFormat::Json => {
            let v = serde_json::to_value(&report).unwrap_or_default();
            let mut s = render::to_json(&v);
            s.push('\n');
            s
        }
        AuditFormat::Sarif => render::audit_sarif::render(&report),
        AuditFormat::Html => render::audit_html::render(&report),
    };
    out::verdict_report(args.out.as_deref(), &body)?;
    Ok(code)
}
