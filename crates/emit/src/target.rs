//! The targets smbguard can emit, and dispatch to their modules.

use std::fmt;
use std::str::FromStr;

use crate::artifact::{Artifact, EmitContext, EmitError};

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

    /// Emits this target's artefacts.
    pub fn emit(self, cx: &EmitContext<'_>) -> Result<Vec<Artifact>, EmitError> {
        if self == Target::Intune {
            return crate::intune::artifacts(cx);
        }
        if let Some(out) = crate::windows::emit(self, cx) {
            return out;
        }
        if let Some(out) = crate::non_windows::emit(self, cx) {
            return out;
        }
        Err(EmitError::NotImplemented(self))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Target::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Target::ALL.iter().map(|t| t.as_str()).collect();
                format!("unknown target `{s}`; known targets: {}", names.join(", "))
            })
    }
}
