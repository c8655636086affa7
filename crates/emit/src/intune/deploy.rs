//! `deploy-intune.ps1`: posts the policy files with the Microsoft Graph
//! PowerShell SDK; `-WhatIf` lists what would be created.

use crate::windows::one_line;

/// A PowerShell single-quoted string literal (`'` doubled).
fn quoted(s: &str) -> String {
    // The typographic quotes also end a single-quoted string in PowerShell.
    let mut out = String::from("'");
    for c in one_line(s).chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// The script: `header` as comment lines, then one POST per file in `files`
/// (paths relative to the script's folder).
pub(crate) fn script(header: &[String], files: &[String]) -> String {
    let mut s = String::from("\u{feff}");
    for line in header {
        s.push_str("# ");
        s.push_str(&one_line(line));
        s.push('\n');
    }
    s.push_str(
        "#\n# Creates one Intune configuration policy per JSON file beside this script\n\
         # (POST https://graph.microsoft.com/beta/deviceManagement/configurationPolicies).\n\
         # Needs the Microsoft Graph PowerShell SDK (Install-Module Microsoft.Graph.Authentication)\n\
         # and DeviceManagementConfiguration.ReadWrite.All. Run with -WhatIf first.\n\
         # Policies are created unassigned: assign each to its device group in the portal.\n",
    );
    s.push_str(
        "[CmdletBinding(SupportsShouldProcess = $true)]\nparam(\n    [string]$Path = $PSScriptRoot\n)\n\n\
         Set-StrictMode -Version Latest\n$ErrorActionPreference = 'Stop'\n\n$files = @(\n",
    );
    for (i, f) in files.iter().enumerate() {
        s.push_str("    ");
        s.push_str(&quoted(f));
        if i + 1 < files.len() {
            s.push(',');
        }
        s.push('\n');
    }
    s.push_str(
        ")\n\n\
         if (-not $WhatIfPreference) {\n\
         \x20   Import-Module Microsoft.Graph.Authentication\n\
         \x20   Connect-MgGraph -Scopes 'DeviceManagementConfiguration.ReadWrite.All' -NoWelcome\n\
         }\n\n\
         $uri = 'https://graph.microsoft.com/beta/deviceManagement/configurationPolicies'\n\
         foreach ($file in $files) {\n\
         \x20   $full = Join-Path -Path $Path -ChildPath $file\n\
         \x20   $policy = Get-Content -LiteralPath $full -Raw -Encoding UTF8 | ConvertFrom-Json\n\
         \x20   # The smbguard provenance block is not a Graph property.\n\
         \x20   $policy.PSObject.Properties.Remove('smbguard')\n\
         \x20   $body = $policy | ConvertTo-Json -Depth 64 -Compress\n\
         \x20   if ($PSCmdlet.ShouldProcess($policy.name, 'create Intune configuration policy')) {\n\
         \x20       $created = Invoke-MgGraphRequest -Method POST -Uri $uri -Body $body -ContentType 'application/json'\n\
         \x20       Write-Output ('created {0}: {1}' -f $created.id, $policy.name)\n\
         \x20   }\n\
         }\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::quoted;

    #[test]
    fn quotes_are_doubled() {
        assert_eq!(quoted("a'b"), "'a''b'");
        assert_eq!(quoted("a\u{2019}b\nc"), "'a\u{2019}\u{2019}b c'");
    }
}
