//! The targets smbguard can emit, the one exhaustive dispatch to their
//! back ends, and target-list parsing.

use std::fmt;
use std::str::FromStr;

use crate::artifact::{Artifact, EmitContext, EmitError};
use crate::backend::{self, Backend};

/// A deployment target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// PowerShell NetSecurity cmdlets (`.ps1`).
    PowerShell,
    /// `netsh advfirewall` (`.cmd`).
    Netsh,
    /// Group Policy backup with `registry.pol`.
    Gpo,
    /// nftables ruleset files (`nft -f`), one `table inet smbguard` each.
    Nftables,
    /// iptables-save / ip6tables-save files (`iptables-restore --noflush`).
    Iptables,
    /// Cisco IOS extended ACLs for the perimeter.
    CiscoIos,
    /// Junos firewall filters for the perimeter.
    Junos,
    /// Azure network security group rules (ARM JSON).
    AzureNsg,
    /// AWS network ACL entries (JSON).
    AwsNacl,
    /// Samba `smb.conf` hardening for Linux file servers.
    Samba,
    /// Ansible playbook deploying the Linux artefacts.
    Ansible,
    /// Microsoft Intune settings-catalog policies (Microsoft Graph JSON).
    Intune,
}

impl Target {
    /// Every target, in documentation order.
    pub const ALL: [Target; 12] = [
        Target::PowerShell,
        Target::Netsh,
        Target::Gpo,
        Target::Nftables,
        Target::Iptables,
        Target::CiscoIos,
        Target::Junos,
        Target::AzureNsg,
        Target::AwsNacl,
        Target::Samba,
        Target::Ansible,
        Target::Intune,
    ];

    /// The name used on the command line and in file names.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::PowerShell => "powershell",
            Target::Netsh => "netsh",
            Target::Gpo => "gpo",
            Target::Nftables => "nftables",
            Target::Iptables => "iptables",
            Target::CiscoIos => "cisco-ios",
            Target::Junos => "junos",
            Target::AzureNsg => "azure-nsg",
            Target::AwsNacl => "aws-nacl",
            Target::Samba => "samba",
            Target::Ansible => "ansible",
            Target::Intune => "intune",
        }
    }

    /// The Windows targets, which the `windows` alias names.
    pub const WINDOWS: [Target; 3] = [Target::PowerShell, Target::Netsh, Target::Gpo];

    /// This target's back end. The one place a target meets its back end:
    /// the match is exhaustive, so a new variant without a back end does not
    /// compile.
    ///
    /// ```compile_fail,E0004
    /// // A target with no arm here is a compile error (E0004), e.g.:
    /// enum Target { PowerShell, Pf }
    /// fn backend(t: Target) -> &'static str {
    ///     match t {
    ///         Target::PowerShell => "powershell",
    ///     }
    /// }
    /// ```
    pub fn backend(self) -> &'static dyn Backend {
        match self {
            Target::PowerShell => &backend::PowerShell,
            Target::Netsh => &backend::Netsh,
            Target::Gpo => &backend::Gpo,
            Target::Nftables => &backend::Nftables,
            Target::Iptables => &backend::Iptables,
            Target::CiscoIos => &backend::CiscoIos,
            Target::Junos => &backend::Junos,
            Target::AzureNsg => &backend::AzureNsg,
            Target::AwsNacl => &backend::AwsNacl,
            Target::Samba => &backend::Samba,
            Target::Ansible => &backend::Ansible,
            Target::Intune => &backend::Intune,
        }
    }

    /// Emits this target's artefacts.
    pub fn emit(self, cx: &EmitContext<'_>) -> Result<Vec<Artifact>, EmitError> {
        self.backend().emit(cx)
    }

    /// Parses `--target` values: each may be a comma-separated list of
    /// target names, `windows` (powershell, netsh, gpo) or `all`; case and
    /// surrounding spaces are ignored, duplicates dropped, order kept.
    pub fn parse_list<S: AsRef<str>>(values: &[S]) -> Result<Vec<Target>, EmitError> {
        let mut out: Vec<Target> = Vec::new();
        for name in values.iter().flat_map(|v| v.as_ref().split(',')) {
            let name = name.trim().to_ascii_lowercase();
            let add: Vec<Target> = match name.as_str() {
                "" => continue,
                "all" => Target::ALL.to_vec(),
                "windows" => Target::WINDOWS.to_vec(),
                other => vec![other.parse()?],
            };
            for t in add {
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        }
        if out.is_empty() {
            return Err(EmitError::NoTarget);
        }
        Ok(out)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Target {
    type Err = EmitError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Target::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Target::ALL.iter().map(|t| t.as_str()).collect();
                EmitError::UnknownTarget {
                    name: s.chars().take(64).collect(),
                    known: names.join(", "),
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_lists_parse() {
        assert_eq!(
            Target::parse_list(&["all"]).ok(),
            Some(Target::ALL.to_vec())
        );
        assert_eq!(
            Target::parse_list(&["Windows,nftables", "gpo"]).ok(),
            Some(vec![
                Target::PowerShell,
                Target::Netsh,
                Target::Gpo,
                Target::Nftables
            ])
        );
        assert!(matches!(
            Target::parse_list(&["pf"]),
            Err(EmitError::UnknownTarget { .. })
        ));
        assert_eq!(Target::parse_list(&[" , "]), Err(EmitError::NoTarget));
    }

    #[test]
    fn every_backend_declares_its_own_target() {
        for t in Target::ALL {
            assert_eq!(t.backend().target(), t);
            assert!(!t.backend().layout().is_empty());
        }
    }
}
