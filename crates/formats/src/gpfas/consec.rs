//! Connection security (IPsec) rule strings ([MS-GPFAS] §2.2.6.2), one value
//! under `...\WindowsFirewall\ConSecRules` (value name = rule ID).
//!
//! Same parsing conventions as [`super::parse_firewall_rule`] (last duplicate
//! wins, unknown tokens kept verbatim). Writer token order: `Action, Active,
//! Protocol, Profile, EP1Port*, EP2Port*, EP1_4, EP2_4, EP1_6, EP2_6, IF, IFType,
//! RTunnel4, RTunnel6, LTunnel4, LTunnel6, RTunnel4_2, RTunnel6_2, LTunnel4_2,
//! LTunnel6_2, RTunnelFqdn, RTunEndpts4, RTunEndpts6, Name, Desc, Auth1Set,
//! Auth2Set, Crypto2Set, EmbedCtxt, Platform, Platform2, SkipVer,
//! SecureInClearOut, ByPassTunnel, Authz, KeyMod, KeyManagerDictate,
//! KeyManagerNotify, FwdLifetime, TransportMachineAuthzSDDL,
//! TransportUserAuthzSDDL, SecurityRealmEnabled`, unknown fields last. (The
//! §4.3 examples are not consistent about where `Protocol=` goes; this order
//! follows the firewall-rule serializer.)
//!
//! Set references (`Auth1Set=` etc.) are kept as strings; whether they name a
//! set that exists (Antignis writes `Auth1Set=ComputerKerberos` without creating
//! it) is a lowering concern.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use super::ctx::Ctx;
use super::diag::GpfasWarning;
use super::fields::{FieldWriter, lex};
use super::values::{
    ConSecAction, InterfaceType, Ipv4Spec, Ipv6Spec, KeyModule, Platform, PlatformOp, PortEntry,
    Profile, parse_digits, parse_ipv4,
};
use super::version::SchemaVersion;

/// A connection security rule string, parsed. Field comments name the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConSecRuleRecord {
    /// `vMAJOR.MINOR` prefix.
    pub version: SchemaVersion,
    /// `Action=`.
    pub action: Option<ConSecAction>,
    /// `Active=`; absent means disabled.
    pub active: Option<bool>,
    /// `Protocol=`; absent = any.
    pub protocol: Option<u8>,
    /// `Profile=` (repeatable); empty = all.
    pub profiles: Vec<Profile>,
    /// `EP1Port=`, `EP1Port2_10=` (repeatable).
    pub endpoint1_ports: Vec<PortEntry>,
    /// `EP2Port=`, `EP2Port2_10=` (repeatable).
    pub endpoint2_ports: Vec<PortEntry>,
    /// `EP1_4=` (repeatable; keywords allowed).
    pub endpoint1_v4: Vec<Ipv4Spec>,
    /// `EP2_4=`.
    pub endpoint2_v4: Vec<Ipv4Spec>,
    /// `EP1_6=`.
    pub endpoint1_v6: Vec<Ipv6Spec>,
    /// `EP2_6=`.
    pub endpoint2_v6: Vec<Ipv6Spec>,
    /// `IF=` interface GUIDs.
    pub interfaces: Vec<String>,
    /// `IFType=`.
    pub interface_types: Vec<InterfaceType>,
    /// `RTunnel4=`.
    pub remote_tunnel_v4: Option<Ipv4Addr>,
    /// `RTunnel6=`.
    pub remote_tunnel_v6: Option<Ipv6Addr>,
    /// `LTunnel4=`.
    pub local_tunnel_v4: Option<Ipv4Addr>,
    /// `LTunnel6=`.
    pub local_tunnel_v6: Option<Ipv6Addr>,
    /// `RTunnel4_2=` (also sets FW_CS_RULE_FLAGS_DTM).
    pub remote_tunnel_v4_dtm: Option<Ipv4Addr>,
    /// `RTunnel6_2=`.
    pub remote_tunnel_v6_dtm: Option<Ipv6Addr>,
    /// `LTunnel4_2=`.
    pub local_tunnel_v4_dtm: Option<Ipv4Addr>,
    /// `LTunnel6_2=`.
    pub local_tunnel_v6_dtm: Option<Ipv6Addr>,
    /// `RTunnelFqdn=`.
    pub remote_tunnel_fqdn: Option<String>,
    /// `RTunEndpts4=` (repeatable).
    pub remote_tunnel_endpoints_v4: Vec<Ipv4Spec>,
    /// `RTunEndpts6=` (repeatable).
    pub remote_tunnel_endpoints_v6: Vec<Ipv6Spec>,
    /// `Name=`.
    pub name: Option<String>,
    /// `Desc=`.
    pub description: Option<String>,
    /// `Auth1Set=` phase 1 authentication set ID.
    pub auth1_set: Option<String>,
    /// `Auth2Set=` phase 2 authentication set ID.
    pub auth2_set: Option<String>,
    /// `Crypto2Set=` phase 2 crypto set ID.
    pub crypto2_set: Option<String>,
    /// `EmbedCtxt=`.
    pub embedded_context: Option<String>,
    /// `Platform=` (repeatable).
    pub platforms: Vec<Platform>,
    /// `Platform2=`.
    pub platform_op: Option<PlatformOp>,
    /// `SkipVer=`.
    pub skip_version: Option<SchemaVersion>,
    /// `SecureInClearOut=` (FW_CS_RULE_OUTBOUND_CLEAR).
    pub secure_in_clear_out: Option<bool>,
    /// `ByPassTunnel=` (FW_CS_RULE_TUNNEL_BYPASS_IF_ENCRYPTED).
    pub bypass_tunnel: Option<bool>,
    /// `Authz=` (FW_CS_RULE_FLAGS_APPLY_AUTHZ).
    pub authz: Option<bool>,
    /// `KeyMod=` (repeatable, flags).
    pub key_modules: Vec<KeyModule>,
    /// `KeyManagerDictate=`.
    pub key_manager_dictate: Option<bool>,
    /// `KeyManagerNotify=`.
    pub key_manager_notify: Option<bool>,
    /// `FwdLifetime=` (forward path SA lifetime).
    pub forward_lifetime: Option<u32>,
    /// `TransportMachineAuthzSDDL=`.
    pub transport_machine_authz_sddl: Option<String>,
    /// `TransportUserAuthzSDDL=`.
    pub transport_user_authz_sddl: Option<String>,
    /// `SecurityRealmEnabled=`.
    pub security_realm_enabled: Option<bool>,
    /// Unknown or malformed fields, verbatim.
    pub unknown: Vec<String>,
}

impl Default for ConSecRuleRecord {
    fn default() -> Self {
        Self::new(SchemaVersion::V2_10)
    }
}

impl ConSecRuleRecord {
    /// An empty record with the given version.
    #[must_use]
    pub fn new(version: SchemaVersion) -> Self {
        Self {
            version,
            action: None,
            active: None,
            protocol: None,
            profiles: Vec::new(),
            endpoint1_ports: Vec::new(),
            endpoint2_ports: Vec::new(),
            endpoint1_v4: Vec::new(),
            endpoint2_v4: Vec::new(),
            endpoint1_v6: Vec::new(),
            endpoint2_v6: Vec::new(),
            interfaces: Vec::new(),
            interface_types: Vec::new(),
            remote_tunnel_v4: None,
            remote_tunnel_v6: None,
            local_tunnel_v4: None,
            local_tunnel_v6: None,
            remote_tunnel_v4_dtm: None,
            remote_tunnel_v6_dtm: None,
            local_tunnel_v4_dtm: None,
            local_tunnel_v6_dtm: None,
            remote_tunnel_fqdn: None,
            remote_tunnel_endpoints_v4: Vec::new(),
            remote_tunnel_endpoints_v6: Vec::new(),
            name: None,
            description: None,
            auth1_set: None,
            auth2_set: None,
            crypto2_set: None,
            embedded_context: None,
            platforms: Vec::new(),
            platform_op: None,
            skip_version: None,
            secure_in_clear_out: None,
            bypass_tunnel: None,
            authz: None,
            key_modules: Vec::new(),
            key_manager_dictate: None,
            key_manager_notify: None,
            forward_lifetime: None,
            transport_machine_authz_sddl: None,
            transport_user_authz_sddl: None,
            security_realm_enabled: None,
            unknown: Vec::new(),
        }
    }

    /// Whether the rule is enabled (`Active=` absent means false).
    #[must_use]
    pub fn is_active(&self) -> bool {
        self.active.unwrap_or(false)
    }

    /// Parses a connection security rule string.
    ///
    /// # Errors
    /// [`Error`](crate::Error) for a missing version or an invalid value of a known token.
    pub fn parse(text: &str) -> Result<(Self, Vec<GpfasWarning>), crate::Error> {
        parse_consec_rule(text)
    }

    /// Writes the canonical rule string.
    ///
    /// # Errors
    /// [`ErrorKind::PipeInValue`](crate::ErrorKind::PipeInValue) naming the first field whose value contains `|`.
    pub fn to_rule_string(&self) -> Result<String, crate::Error> {
        let mut w = FieldWriter::new(self.version);
        w.opt("Action", self.action);
        w.bool("Active", self.active);
        w.opt("Protocol", self.protocol);
        w.each("Profile", &self.profiles);
        for p in &self.endpoint1_ports {
            w.field(&p.token("EP1Port"), &p.value.to_string());
        }
        for p in &self.endpoint2_ports {
            w.field(&p.token("EP2Port"), &p.value.to_string());
        }
        w.each("EP1_4", &self.endpoint1_v4);
        w.each("EP2_4", &self.endpoint2_v4);
        w.each("EP1_6", &self.endpoint1_v6);
        w.each("EP2_6", &self.endpoint2_v6);
        w.each("IF", &self.interfaces);
        w.each("IFType", &self.interface_types);
        w.opt("RTunnel4", self.remote_tunnel_v4);
        w.opt("RTunnel6", self.remote_tunnel_v6);
        w.opt("LTunnel4", self.local_tunnel_v4);
        w.opt("LTunnel6", self.local_tunnel_v6);
        w.opt("RTunnel4_2", self.remote_tunnel_v4_dtm);
        w.opt("RTunnel6_2", self.remote_tunnel_v6_dtm);
        w.opt("LTunnel4_2", self.local_tunnel_v4_dtm);
        w.opt("LTunnel6_2", self.local_tunnel_v6_dtm);
        w.opt("RTunnelFqdn", self.remote_tunnel_fqdn.as_deref());
        w.each("RTunEndpts4", &self.remote_tunnel_endpoints_v4);
        w.each("RTunEndpts6", &self.remote_tunnel_endpoints_v6);
        w.opt("Name", self.name.as_deref());
        w.opt("Desc", self.description.as_deref());
        w.opt("Auth1Set", self.auth1_set.as_deref());
        w.opt("Auth2Set", self.auth2_set.as_deref());
        w.opt("Crypto2Set", self.crypto2_set.as_deref());
        w.opt("EmbedCtxt", self.embedded_context.as_deref());
        w.each("Platform", &self.platforms);
        w.opt("Platform2", self.platform_op);
        w.opt("SkipVer", self.skip_version);
        w.bool("SecureInClearOut", self.secure_in_clear_out);
        w.bool("ByPassTunnel", self.bypass_tunnel);
        w.bool("Authz", self.authz);
        w.each("KeyMod", &self.key_modules);
        w.bool("KeyManagerDictate", self.key_manager_dictate);
        w.bool("KeyManagerNotify", self.key_manager_notify);
        w.opt("FwdLifetime", self.forward_lifetime);
        w.opt(
            "TransportMachineAuthzSDDL",
            self.transport_machine_authz_sddl.as_deref(),
        );
        w.opt(
            "TransportUserAuthzSDDL",
            self.transport_user_authz_sddl.as_deref(),
        );
        w.bool("SecurityRealmEnabled", self.security_realm_enabled);
        for raw in &self.unknown {
            w.raw(raw);
        }
        w.finish()
    }
}

/// Parses a connection security rule string ([MS-GPFAS] §2.2.6.2).
///
/// # Errors
/// [`Error`](crate::Error) for a missing version or an invalid value of a known token.
pub fn parse_consec_rule(
    text: &str,
) -> Result<(ConSecRuleRecord, Vec<GpfasWarning>), crate::Error> {
    let (version, fields, warnings) = lex(text)?;
    let mut cx = Ctx { version, warnings };
    let mut r = ConSecRuleRecord::new(version);
    for f in &fields {
        let v = f.value.unwrap_or_default();
        if f.value.is_none() {
            cx.unknown(f, &mut r.unknown);
            continue;
        }
        if let Some(port) = cx.port(f, "EP1Port") {
            r.endpoint1_ports.push(port?);
            continue;
        }
        if let Some(port) = cx.port(f, "EP2Port") {
            r.endpoint2_ports.push(port?);
            continue;
        }
        let v4 = |f: &super::fields::Field<'_>| {
            parse_ipv4(v).ok_or_else(|| Ctx::invalid(f, "expected an IPv4 address"))
        };
        let v6 = |f: &super::fields::Field<'_>| {
            v.parse::<Ipv6Addr>()
                .map_err(|_| Ctx::invalid(f, "expected an IPv6 address"))
        };
        match f.token {
            "Action" => cx.keyword(
                f,
                &mut r.action,
                ConSecAction::parse,
                "expected SecureServer, Boundary, Secure or DoNotSecure",
            )?,
            "Active" => cx.bool(f, &mut r.active)?,
            "Protocol" => cx.protocol(f, &mut r.protocol)?,
            "Profile" => r.profiles.push(
                Profile::parse(v)
                    .ok_or_else(|| Ctx::invalid(f, "expected Domain, Private or Public"))?,
            ),
            "EP1_4" => r.endpoint1_v4.push(cx.v4(f, true)?),
            "EP2_4" => r.endpoint2_v4.push(cx.v4(f, true)?),
            "EP1_6" => r.endpoint1_v6.push(cx.v6(f, true)?),
            "EP2_6" => r.endpoint2_v6.push(cx.v6(f, true)?),
            "IF" => r.interfaces.push(v.to_owned()),
            "IFType" => r.interface_types.push(
                InterfaceType::parse(v)
                    .ok_or_else(|| Ctx::invalid(f, "expected Lan, Wireless or RemoteAccess"))?,
            ),
            "RTunnel4" => cx.once(f, &mut r.remote_tunnel_v4, v4(f)?),
            "RTunnel6" => cx.once(f, &mut r.remote_tunnel_v6, v6(f)?),
            "LTunnel4" => cx.once(f, &mut r.local_tunnel_v4, v4(f)?),
            "LTunnel6" => cx.once(f, &mut r.local_tunnel_v6, v6(f)?),
            "RTunnel4_2" => cx.once(f, &mut r.remote_tunnel_v4_dtm, v4(f)?),
            "RTunnel6_2" => cx.once(f, &mut r.remote_tunnel_v6_dtm, v6(f)?),
            "LTunnel4_2" => cx.once(f, &mut r.local_tunnel_v4_dtm, v4(f)?),
            "LTunnel6_2" => cx.once(f, &mut r.local_tunnel_v6_dtm, v6(f)?),
            "RTunnelFqdn" => cx.string(f, &mut r.remote_tunnel_fqdn),
            "RTunEndpts4" => r.remote_tunnel_endpoints_v4.push(cx.v4(f, true)?),
            "RTunEndpts6" => r.remote_tunnel_endpoints_v6.push(cx.v6(f, true)?),
            "Name" => cx.string(f, &mut r.name),
            "Desc" => cx.string(f, &mut r.description),
            "Auth1Set" => cx.string(f, &mut r.auth1_set),
            "Auth2Set" => cx.string(f, &mut r.auth2_set),
            "Crypto2Set" => cx.string(f, &mut r.crypto2_set),
            "EmbedCtxt" => cx.string(f, &mut r.embedded_context),
            "Platform" => r.platforms.push(
                Platform::parse(v)
                    .ok_or_else(|| Ctx::invalid(f, "expected PLATFORM:MAJOR:MINOR"))?,
            ),
            "Platform2" => cx.keyword(f, &mut r.platform_op, PlatformOp::parse, "expected GTEQ")?,
            "SkipVer" => cx.version_value(f, &mut r.skip_version)?,
            "SecureInClearOut" => cx.bool(f, &mut r.secure_in_clear_out)?,
            "ByPassTunnel" => cx.bool(f, &mut r.bypass_tunnel)?,
            "Authz" => cx.bool(f, &mut r.authz)?,
            "KeyMod" => r.key_modules.push(KeyModule::parse(v).ok_or_else(|| {
                Ctx::invalid(f, "expected KeyModDefault, IkeV1, AuthIP or IkeV2")
            })?),
            "KeyManagerDictate" => cx.bool(f, &mut r.key_manager_dictate)?,
            "KeyManagerNotify" => cx.bool(f, &mut r.key_manager_notify)?,
            "FwdLifetime" => {
                let n = parse_digits(v, 10)
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| Ctx::invalid(f, "expected a decimal number up to 4294967295"))?;
                cx.once(f, &mut r.forward_lifetime, n);
            }
            "TransportMachineAuthzSDDL" => cx.string(f, &mut r.transport_machine_authz_sddl),
            "TransportUserAuthzSDDL" => cx.string(f, &mut r.transport_user_authz_sddl),
            "SecurityRealmEnabled" => cx.bool(f, &mut r.security_realm_enabled)?,
            _ => cx.unknown(f, &mut r.unknown),
        }
    }
    Ok((r, cx.warnings))
}
