//! The evidence bundle's JSON layout (`smbguard-evidence/1`), as the
//! collector writes it: parsing only; `super` interprets it. Documented in
//! `docs/audit.md` ("Evidence bundle").

use serde::{Deserialize, Serialize};

/// The schema name a bundle must carry.
pub const SCHEMA: &str = "smbguard-evidence/1";

/// One host's evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// What wrote it, e.g. `smbguard 0.1.0 collector (estate contoso)`.
    #[serde(default)]
    pub collector: String,
    /// Who the host is.
    pub host: HostFacts,
    /// The firewall policy stores, as registry values.
    pub firewall: FirewallStores,
    /// SMB server and client configuration.
    #[serde(default)]
    pub smb: SmbFacts,
    /// The Server and Workstation services.
    #[serde(default)]
    pub services: Vec<ServiceFact>,
}

/// Identity, addresses, OS build and domain membership.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostFacts {
    /// Computer name.
    pub name: String,
    /// DNS domain (or workgroup name when not joined).
    #[serde(default)]
    pub domain: String,
    /// `Win32_ComputerSystem.PartOfDomain`.
    #[serde(default)]
    pub domain_joined: bool,
    /// `CurrentBuildNumber.UBR`, e.g. `26100.2605`.
    #[serde(default)]
    pub os_build: String,
    /// The host's unicast IP addresses, as text.
    #[serde(default)]
    pub addresses: Vec<String>,
}

/// The three stores Windows merges, each as the registry values below its
/// root (`key` is relative to the root: `FirewallRules`, `DomainProfile`, …).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirewallStores {
    /// `HKLM\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy`.
    #[serde(default)]
    pub local: Vec<RegValue>,
    /// `HKLM\SOFTWARE\Policies\Microsoft\WindowsFirewall`.
    #[serde(default)]
    pub gpo: Vec<RegValue>,
    /// `HKLM\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy\Mdm`.
    #[serde(default)]
    pub mdm: Vec<RegValue>,
}

/// One registry value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegValue {
    /// Key path (relative to the store root for firewall stores, to HKLM for
    /// `smb.registry`); `""` for the root itself.
    #[serde(default)]
    pub key: String,
    /// Value name.
    pub name: String,
    /// `REG_SZ`, `REG_EXPAND_SZ`, `REG_MULTI_SZ` or `REG_DWORD`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A string, a number or a list of strings.
    pub data: RegValueData,
}

/// The data of a [`RegValue`].
///
/// No JSON value is more than one of these, so the order only says which is
/// tried first: text, by far the most common (a failed attempt costs an
/// error message quoting the whole value).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RegValueData {
    /// `REG_SZ` / `REG_EXPAND_SZ`.
    Text(String),
    /// `REG_DWORD`.
    Number(u32),
    /// `REG_MULTI_SZ`.
    List(Vec<String>),
}

/// SMB configuration: the registry values the server, the client and their
/// policies read, and what the registry does not say.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmbFacts {
    /// Values under `SYSTEM\CurrentControlSet\Services\{LanmanServer,
    /// LanmanWorkstation, mrxsmb10}` and `SOFTWARE\Policies\Microsoft\Windows\
    /// {LanmanServer,LanmanWorkstation,NetworkProvider,Bowser}`; `key` relative to HKLM.
    #[serde(default)]
    pub registry: Vec<RegValue>,
    /// `Win32_OptionalFeature` `SMB1Protocol` state: `enabled`, `disabled`,
    /// `absent` or `unknown`.
    #[serde(default)]
    pub smb1_feature: String,
    /// Shares (`Win32_Share`).
    #[serde(default)]
    pub shares: Vec<ShareFact>,
}

/// One share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareFact {
    /// Share name (`ADMIN$`, `SYSVOL`, `data`).
    pub name: String,
    /// Local path.
    #[serde(default)]
    pub path: String,
    /// An administrative or special share (`Win32_Share.Type` has 0x80000000).
    #[serde(default)]
    pub special: bool,
}

/// One service's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceFact {
    /// Service name (`LanmanServer`, `LanmanWorkstation`).
    pub name: String,
    /// `Running`, `Stopped`, … (`Win32_Service.State`).
    #[serde(default)]
    pub state: String,
    /// `Auto`, `Manual`, `Disabled` (`Win32_Service.StartMode`).
    #[serde(default)]
    pub start: String,
}
