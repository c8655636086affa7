//! The typed firewall rule record of [MS-GPFAS] §2.2.2.19 (one value under
//! `...\WindowsFirewall\FirewallRules`; the registry value name is the rule ID).
//!
//! The record mirrors the rule string token by token, so that
//! `parse(write(record)) == record`. Boolean tokens are `Option<bool>` so that an
//! explicit `Active=FALSE` and an absent `Active=` stay distinct; use the
//! `is_*` accessors for the spec defaults (absent = false).

use serde::{Deserialize, Serialize};

use super::values::{
    Action, AddressKeyword2, Direction, EdgeDefer, IcmpTypeCode, InterfaceType, Ipv4Spec, Ipv6Spec,
    Platform, PlatformOp, PortEntry, Profile, Security, Security2, Security2_9, TrustTupleKeyword,
};
use super::version::SchemaVersion;

/// A firewall rule string, parsed. Field comments name the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallRuleRecord {
    /// `vMAJOR.MINOR` prefix.
    pub version: SchemaVersion,
    /// `Action=` (at most once).
    pub action: Option<Action>,
    /// `Active=`; absent means **disabled** (§2.2.2.19).
    pub active: Option<bool>,
    /// `Dir=`.
    pub direction: Option<Direction>,
    /// `Protocol=` (0–255); absent = any protocol (wIpProtocol 256).
    pub protocol: Option<u8>,
    /// `Profile=` (repeatable, unioned); empty = all profiles.
    pub profiles: Vec<Profile>,
    /// `LPort=`, `LPort2_10=`, `LPort2_20=`, `LPort2_24=` ... (repeatable, unioned).
    pub local_ports: Vec<PortEntry>,
    /// `RPort=`, `RPort2_10=` ... (repeatable, unioned).
    pub remote_ports: Vec<PortEntry>,
    /// `ICMP4=` type:code (repeatable).
    pub icmp4: Vec<IcmpTypeCode>,
    /// `ICMP6=` type:code (repeatable).
    pub icmp6: Vec<IcmpTypeCode>,
    /// `LA4=` (repeatable).
    pub local_v4: Vec<Ipv4Spec>,
    /// `LA6=` (repeatable).
    pub local_v6: Vec<Ipv6Spec>,
    /// `RA4=` (repeatable).
    pub remote_v4: Vec<Ipv4Spec>,
    /// `RA6=` (repeatable).
    pub remote_v6: Vec<Ipv6Spec>,
    /// `RA42=` keywords (schema 2.20+).
    pub remote_v4_keywords: Vec<AddressKeyword2>,
    /// `RA62=` keywords (schema 2.20+).
    pub remote_v6_keywords: Vec<AddressKeyword2>,
    /// `IF=` interface GUIDs (repeatable, LocalInterfaceIds).
    pub interfaces: Vec<String>,
    /// `IFType=` (repeatable, flags).
    pub interface_types: Vec<InterfaceType>,
    /// `App=` program path, raw (e.g. `System`, `%SystemRoot%\system32\svchost.exe`).
    pub app: Option<String>,
    /// `Svc=` service short name or `*`.
    pub service: Option<String>,
    /// `Name=` (display name; often an indirect string `@FirewallAPI.dll,-28511`).
    pub name: Option<String>,
    /// `Desc=`.
    pub description: Option<String>,
    /// `EmbedCtxt=` (the rule group).
    pub embedded_context: Option<String>,
    /// `Edge=` (edge traversal allowed).
    pub edge: Option<bool>,
    /// `Defer=` (schema 2.10+).
    pub defer: Option<EdgeDefer>,
    /// `LSM=` (loose source mapping).
    pub loose_source_mapping: Option<bool>,
    /// `Security=`.
    pub security: Option<Security>,
    /// `Security2_9=` (schema 2.9+).
    pub security2_9: Option<Security2_9>,
    /// `Security2=` (schema 2.10+).
    pub security2: Option<Security2>,
    /// `Platform=` (repeatable).
    pub platforms: Vec<Platform>,
    /// `Platform2=` (operator on the last `Platform=` entry).
    pub platform_op: Option<PlatformOp>,
    /// `RMauth=` remote machine authorization SDDL (spec prose spells `RMAuth=`;
    /// both are read, `RMauth` is written as Windows does).
    pub remote_machine_auth: Option<String>,
    /// `RUAuth=` remote user authorization SDDL.
    pub remote_user_auth: Option<String>,
    /// `AuthByPassOut=`.
    pub auth_bypass_out: Option<bool>,
    /// `SkipVer=`: highest inherent version that may ignore the rule.
    pub skip_version: Option<SchemaVersion>,
    /// `LOM=` (local only mapping).
    pub local_only_mapping: Option<bool>,
    /// `PCross=` (allow profile crossing; spec prose also spells `PCROSS=`).
    pub profile_crossing: Option<bool>,
    /// `LUAuth=` local user authorization SDDL.
    pub local_user_auth: Option<String>,
    /// `LUAuth2_24=` base64 local user authorization (conditional ACE).
    pub local_user_auth2_24: Option<String>,
    /// `LUOwn=` local user owner SID.
    pub local_user_owner: Option<String>,
    /// `AppPkgId=` package SID.
    pub app_package_id: Option<String>,
    /// `TTK=`, `TTK2_22=`, `TTK2_27=`, `TTK2_28=` (repeatable).
    pub trust_tuple_keywords: Vec<TrustTupleKeyword>,
    /// `NNm=` network names (spec says at most once; Windows' serializer writes a list).
    pub network_names: Vec<String>,
    /// `SecurityRealmId=`.
    pub security_realm_id: Option<String>,
    /// Fields with unknown tokens or without `=`, verbatim (without the `|`), in
    /// input order; written after all known tokens.
    pub unknown: Vec<String>,
}

impl Default for FirewallRuleRecord {
    fn default() -> Self {
        Self::new(SchemaVersion::V2_10)
    }
}

impl FirewallRuleRecord {
    /// An empty record with the given version (every token absent).
    #[must_use]
    pub fn new(version: SchemaVersion) -> Self {
        Self {
            version,
            action: None,
            active: None,
            direction: None,
            protocol: None,
            profiles: Vec::new(),
            local_ports: Vec::new(),
            remote_ports: Vec::new(),
            icmp4: Vec::new(),
            icmp6: Vec::new(),
            local_v4: Vec::new(),
            local_v6: Vec::new(),
            remote_v4: Vec::new(),
            remote_v6: Vec::new(),
            remote_v4_keywords: Vec::new(),
            remote_v6_keywords: Vec::new(),
            interfaces: Vec::new(),
            interface_types: Vec::new(),
            app: None,
            service: None,
            name: None,
            description: None,
            embedded_context: None,
            edge: None,
            defer: None,
            loose_source_mapping: None,
            security: None,
            security2_9: None,
            security2: None,
            platforms: Vec::new(),
            platform_op: None,
            remote_machine_auth: None,
            remote_user_auth: None,
            auth_bypass_out: None,
            skip_version: None,
            local_only_mapping: None,
            profile_crossing: None,
            local_user_auth: None,
            local_user_auth2_24: None,
            local_user_owner: None,
            app_package_id: None,
            trust_tuple_keywords: Vec::new(),
            network_names: Vec::new(),
            security_realm_id: None,
            unknown: Vec::new(),
        }
    }

    /// Whether the rule is enabled (`Active=` absent means false).
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.active.unwrap_or(false)
    }

    /// Whether edge traversal is allowed (`Edge=` absent means false).
    #[must_use]
    pub fn is_edge(&self) -> bool {
        self.edge.unwrap_or(false)
    }

    /// Whether the rule applies to `profile` (no `Profile=` token = all profiles).
    #[must_use]
    pub fn applies_to(&self, profile: Profile) -> bool {
        self.profiles.is_empty() || self.profiles.contains(&profile)
    }
}
