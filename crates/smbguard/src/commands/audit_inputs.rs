//! `smbguard audit`'s inputs, read one at a time in the order given:
//! evidence bundles (files, folders of them, JSON lines on stdin) go to the
//! fleet audit (`smbguard_audit::audit_fleet`: parsed and judged in
//! parallel, one judgement per distinct configuration); every other input
//! is audited by its reader as it is read and kept in its place.

use std::io::{BufRead, BufReader, IsTerminal, Lines, Stdin};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use smbguard_audit::{
    AuditError, FleetInput, GroupChoice, HostAudit, InputKind, audit_fleet, audit_iptables,
    audit_netfw_export, audit_nft_json, audit_reg_export, audit_registry_pol, audit_wfw, detect,
};
use smbguard_semantics::Plan;

use crate::CliError;
use crate::render::term::esc;

impl From<AuditError> for CliError {
    fn from(e: AuditError) -> Self {
        CliError::BadInput(format!("error: {}", esc(&e.to_string())))
    }
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

/// The files of a folder that is not a GPO backup, by extension in any
/// case (`netsh advfirewall export` files are often `*.WFW`), sorted. A
/// folder without one is an input error: it must not pass as a compliant
/// fleet.
fn folder_files(dir: &Path) -> Result<Vec<PathBuf>, CliError> {
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

/// The inputs as a stream; after an error it ends (the audit stops there).
struct Inputs<'a> {
    plan: &'a Plan,
    choice: GroupChoice<'a>,
    paths: std::slice::Iter<'a, PathBuf>,
    /// The rest of the folder being read.
    files: std::vec::IntoIter<PathBuf>,
    /// Standard input while `-` is being read, and the last line number.
    stdin: Option<(Lines<BufReader<Stdin>>, usize)>,
    failed: bool,
    /// Grows by a folder's inputs when the folder is listed.
    bar: ProgressBar,
}

impl Iterator for Inputs<'_> {
    type Item = Result<FleetInput, CliError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.next_input()?;
        self.failed = item.is_err();
        Some(item)
    }
}

impl Inputs<'_> {
    fn next_input(&mut self) -> Option<Result<FleetInput, CliError>> {
        loop {
            if let Some(line) = self.stdin_line() {
                return Some(line);
            }
            if let Some(f) = self.files.next() {
                match self.file(&f) {
                    Some(input) => return Some(input),
                    None => continue,
                }
            }
            let path = self.paths.next()?;
            if path.as_os_str() == "-" {
                self.stdin = Some((BufReader::new(std::io::stdin()).lines(), 0));
            } else if !path.is_dir() {
                match self.file(path) {
                    Some(input) => return Some(input),
                    None => continue,
                }
            } else if let Some(pol) = gpo_registry_pol(path) {
                self.bar.inc_length(1);
                return Some(self.gpo_backup(path, &pol));
            } else {
                match folder_files(path) {
                    Ok(files) => {
                        self.bar.inc_length(files.len() as u64);
                        self.files = files.into_iter();
                    }
                    Err(e) => return Some(Err(e)),
                }
            }
        }
    }

    /// The next bundle on stdin (blank lines skipped), `None` at its end.
    fn stdin_line(&mut self) -> Option<Result<FleetInput, CliError>> {
        let (lines, n) = self.stdin.as_mut()?;
        for line in lines.by_ref() {
            *n += 1;
            let line = match line {
                Ok(l) => l,
                Err(e) => return Some(Err(CliError::BadInput(format!("error: stdin: {e}")))),
            };
            if !line.trim().is_empty() {
                let location = format!("<stdin>:{n}");
                return Some(Ok(FleetInput::Bundle {
                    location,
                    text: line,
                }));
            }
        }
        self.stdin = None;
        None
    }

    /// The group comes from the backup folder's path (gpo/GROUP/...).
    fn gpo_backup(&self, path: &Path, pol: &Path) -> Result<FleetInput, CliError> {
        let bytes = read(pol)?;
        let loc = format!(
            "{}/{}",
            path.display(),
            "DomainSysvol/GPO/Machine/registry.pol"
        );
        let a = audit_registry_pol(self.plan, &bytes, self.choice, &loc, InputKind::GpoBackup)?;
        Ok(FleetInput::Audited(Box::new(a)))
    }

    /// One file: a bundle to judge, or another input audited now; `None`
    /// for a kind with nothing to audit.
    fn file(&self, path: &Path) -> Option<Result<FleetInput, CliError>> {
        let bytes = match read(path) {
            Ok(b) => b,
            Err(e) => return Some(Err(e)),
        };
        let loc = path.display().to_string();
        let Some(kind) = detect(&bytes) else {
            return Some(Err(CliError::BadInput(format!(
                "error: {}: not an evidence bundle, registry.pol, .reg, .wfw, Get-NetFirewallRule CSV/JSON, `nft -j list ruleset` JSON or iptables-save output",
                esc(&loc)
            ))));
        };
        let text = || String::from_utf8_lossy(&bytes).into_owned();
        let (plan, choice) = (self.plan, self.choice);
        let audit = match kind {
            InputKind::Bundle => {
                return Some(Ok(FleetInput::Bundle {
                    location: loc,
                    text: text(),
                }));
            }
            InputKind::RegistryPol | InputKind::GpoBackup => {
                audit_registry_pol(plan, &bytes, choice, &loc, kind)
            }
            InputKind::RegExport => audit_reg_export(plan, &bytes, choice, &loc),
            InputKind::Wfw => audit_wfw(plan, &bytes, choice, &loc),
            InputKind::NetFirewallCsv | InputKind::NetFirewallJson => {
                let json = kind == InputKind::NetFirewallJson;
                audit_netfw_export(plan, &bytes, json, choice, &loc)
            }
            InputKind::NftJson => audit_nft_json(plan, &text(), choice, &loc),
            InputKind::IptablesSave => {
                let v6 = ip6_sibling(path).and_then(|p| std::fs::read_to_string(p).ok());
                audit_iptables(plan, &text(), v6.as_deref(), choice, &loc)
            }
            // Not a kind `detect` returns; refused rather than skipped, so
            // an input can never vanish from the report unnoticed.
            InputKind::Other => {
                return Some(Err(CliError::BadInput(format!(
                    "error: {}: not an input `smbguard audit` reads",
                    esc(&loc)
                ))));
            }
        };
        Some(
            audit
                .map(|a| FleetInput::Audited(Box::new(a)))
                .map_err(CliError::from),
        )
    }
}

/// A bar (or, reading stdin, a counter) on stderr when it is a terminal.
/// It starts with the files named; a folder adds its inputs when it is
/// listed (it is read once, as it is reached).
fn progress(paths: &[PathBuf]) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    }
    let files = || paths.iter().filter(|p| !p.is_dir()).count() as u64;
    let stdin = paths.iter().any(|p| p.as_os_str() == "-");
    let (bar, template) = match (!stdin).then(files) {
        Some(n) => (
            ProgressBar::new(n),
            "audit [{bar:40}] {pos}/{len} hosts, {elapsed} elapsed, eta {eta}",
        ),
        None => (
            ProgressBar::new_spinner(),
            "audit {spinner} {pos} hosts, {elapsed} elapsed",
        ),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Audits every input, in order: one [`HostAudit`] per host or file.
pub(crate) fn audit_inputs(
    plan: &Plan,
    choice: GroupChoice<'_>,
    paths: &[PathBuf],
) -> Result<Vec<HostAudit>, CliError> {
    let bar = progress(paths);
    let inputs = Inputs {
        plan,
        choice,
        paths: paths.iter(),
        files: Vec::new().into_iter(),
        stdin: None,
        failed: false,
        bar: bar.clone(),
    };
    let hosts = audit_fleet(plan, choice, inputs, &|| bar.inc(1));
    bar.finish_and_clear();
    hosts
}
