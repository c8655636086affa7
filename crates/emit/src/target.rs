//! The targets smbguard can emit: a leaf module (it imports nothing from the
//! crate), so artefacts, errors and back ends can all name a [`Target`]
//! without importing each other back. The dispatch to back ends is in
//! `backend`, target-list parsing in `target_list`.

use std::fmt;

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
    /// The read-only PowerShell evidence collector for `smbguard audit`.
    Collector,
    /// Suricata 8 rules and their `address-groups` (detection, not blocking).
    Suricata,
    /// A Zeek package raising notices (detection, not blocking).
    Zeek,
    /// Sigma rules for Windows event logs (detection, not blocking).
    Sigma,
}

impl Target {
    /// Every target, in documentation order.
    pub const ALL: [Target; 16] = [
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
        Target::Collector,
        Target::Suricata,
        Target::Zeek,
        Target::Sigma,
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
            Target::Collector => "collector",
            Target::Suricata => "suricata",
            Target::Zeek => "zeek",
            Target::Sigma => "sigma",
        }
    }

    /// The Windows targets, which the `windows` alias names.
    pub const WINDOWS: [Target; 3] = [Target::PowerShell, Target::Netsh, Target::Gpo];
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
