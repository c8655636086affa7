//! The evidence collector (`collector/smbguard-collector.ps1`): one
//! read-only PowerShell script (Windows PowerShell 5.1 and PowerShell 7, no
//! modules beyond the OS) that writes the `smbguard-evidence/1` bundle
//! `smbguard audit` reads (docs/audit.md).
//!
//! It reads the firewall stores straight from the registry (local store
//! `SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy`,
//! Group Policy store `SOFTWARE\Policies\Microsoft\WindowsFirewall`, MDM
//! store `...\FirewallPolicy\Mdm`) as MS-GPFAS strings: locale-independent,
//! and fast where `Get-NetFirewallRule` takes tens of seconds on large hosts
//! (reference/modern-smb.md §5). Keys are opened with `writable = false`.
//! The script is a fixed runtime (`collector.ps1`) after a few literals;
//! every estate string goes through the PowerShell emitter's `literal`.

use std::fmt::Write as _;

use smbguard_model::Encryption;

use crate::artifact::{Artifact, EmitContext, EmitError, header_lines};
use crate::naming::one_line;
use crate::target::Target;
use crate::windows::powershell::literal;

const RUNTIME: &str = include_str!("collector.ps1");

/// The path of the one collector script.
pub(crate) const PATH: &str = "collector/smbguard-collector.ps1";

fn flag(b: bool) -> &'static str {
    if b { "$true" } else { "$false" }
}

/// The collector's text (without the byte order mark).
pub(crate) fn script(cx: &EmitContext<'_>) -> String {
    let mut s = String::new();
    for line in header_lines(cx, Target::Collector, None) {
        let _ = writeln!(s, "# {}", one_line(&line));
    }
    s.push_str(concat!(
        "#\n",
        "# Reads, without changing anything, this computer's firewall policy stores (local, Group\n",
        "# Policy, MDM), its SMB configuration, shares and services, and writes one JSON evidence\n",
        "# bundle (schema smbguard-evidence/1) for `smbguard audit`.\n",
        "#   powershell -ExecutionPolicy Bypass -File smbguard-collector.ps1 -OutFile C:\\evidence.json\n",
        "#   powershell -ExecutionPolicy Bypass -File smbguard-collector.ps1 -OutDirectory \\\\srv\\evidence$\n",
        "#   powershell -ExecutionPolicy Bypass -File smbguard-collector.ps1 -Digest   # one line (Intune remediation)\n",
        "# Without -OutFile/-OutDirectory the bundle is written to standard output as one JSON line.\n",
        "#Requires -Version 5.1\n",
        "[CmdletBinding()]\n",
        "param(\n",
        "    # Write the bundle to this file.\n",
        "    [string]$OutFile = '',\n",
        "    # Write the bundle to COMPUTERNAME.json in this folder (a share).\n",
        "    [string]$OutDirectory = '',\n",
        "    # Print one line under 2,048 characters: policy hash and the codes the host can tell alone.\n",
        "    [switch]$Digest\n",
        ")\n\n",
    ));
    let smb = &cx.plan.smb;
    let _ = writeln!(s, "$Estate = {}", literal(&cx.estate.name));
    let _ = writeln!(s, "$SmbguardVersion = {}", literal(cx.version));
    let _ = writeln!(s, "$RemoveSmb1 = {}", flag(!smb.smb1));
    let _ = writeln!(s, "$RequireSigning = {}", flag(smb.signing));
    let enc = match smb.encryption {
        Encryption::Off => "off",
        Encryption::Desired => "desired",
        Encryption::Required => "required",
    };
    let _ = writeln!(s, "$Encryption = '{enc}'");
    let _ = writeln!(s, "$BlockNtlm = {}", flag(smb.hardening.block_ntlm));
    s.push_str(RUNTIME);
    s
}

/// The collector artefact (UTF-8 with a byte order mark, which Windows
/// PowerShell 5.1 needs to read UTF-8).
pub(crate) fn emit(cx: &EmitContext<'_>) -> Result<Vec<Artifact>, EmitError> {
    let mut contents = vec![0xEF, 0xBB, 0xBF];
    contents.extend_from_slice(script(cx).as_bytes());
    Ok(vec![Artifact {
        path: PATH.to_owned(),
        target: Target::Collector,
        group: None,
        description: "read-only evidence collector for `smbguard audit` (PowerShell 5.1 and 7): writes an smbguard-evidence/1 bundle, or with -Digest one line".to_owned(),
        contents,
    }])
}
