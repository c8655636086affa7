//! Firewall rule strings ([MS-GPFAS] §2.2.2.19): parser and canonical writer.
//!
//! Parsing choices (the spec leaves them open):
//! * a token that may appear at most once but appears again produces
//!   [`GpfasWarningKind::DuplicateToken`] and the **last** occurrence wins
//!   (sequential assignment, like a later registry write);
//! * unknown tokens and fields without `=` are kept verbatim in
//!   [`FirewallRuleRecord::unknown`] with a warning (§3.1.5: unknown entries MUST
//!   be ignored — ignored for semantics, kept for round trips);
//! * port tokens not preceded by `Protocol=6`/`17`, and ICMP tokens not
//!   preceded by `Protocol=1`/`58`, are kept with a warning (§2.2.2.19 says they
//!   MUST NOT appear, but real generators get this wrong);
//! * keyword and boolean values are matched case-insensitively; invalid values
//!   of known tokens (e.g. `Protocol=Any`, `LPort=`) are errors.
//!
//! The writer emits tokens in one fixed order — the order of Windows' own
//! serializer and of the §4.2 example: `Action, Active, Dir, Protocol, Profile,
//! LPort*, RPort*, ICMP4, ICMP6, LA4, LA6, RA4, RA6, RA42, RA62, IF, IFType, App,
//! Svc, Name, Desc, RMauth, RUAuth, LUAuth, LUAuth2_24, LUOwn, AppPkgId,
//! EmbedCtxt, Platform, Platform2, SkipVer, Security, Security2_9, Security2,
//! AuthByPassOut, Edge, Defer, LSM, LOM, PCross, TTK*, NNm, SecurityRealmId`,
//! then unknown fields — every field terminated by `|`.

use super::ctx::Ctx;
use super::diag::{GpfasWarning, GpfasWarningKind};
use super::fields::{FieldWriter, lex};
use super::rule_records::FirewallRuleRecord;
use super::values::{
    Action, AddressKeyword2, Direction, EdgeDefer, IcmpTypeCode, InterfaceType, Platform,
    PlatformOp, Profile, Security, Security2, Security2_9, TrustTupleKeyword,
};
use super::version::SchemaVersion;

/// Parses a firewall rule string.
///
/// # Errors
/// [`Error`](crate::Error) when the version prefix is missing or a known token has a
/// value its grammar does not allow.
pub fn parse_firewall_rule(
    text: &str,
) -> Result<(FirewallRuleRecord, Vec<GpfasWarning>), crate::Error> {
    let (version, fields, warnings) = lex(text)?;
    let mut cx = Ctx { version, warnings };
    let mut r = FirewallRuleRecord::new(version);
    let mut saw_ports = false;
    let mut saw_icmp = false;
    for f in &fields {
        let v = f.value.unwrap_or_default();
        if f.value.is_none() {
            cx.unknown(f, &mut r.unknown);
            continue;
        }
        if let Some(port) = cx.port(f, "LPort").or_else(|| cx.port(f, "RPort")) {
            let entry = port?;
            if !matches!(r.protocol, Some(6 | 17)) {
                cx.warn(f, GpfasWarningKind::PortWithoutTcpUdp);
            }
            saw_ports = true;
            if f.token.starts_with('L') {
                r.local_ports.push(entry);
            } else {
                r.remote_ports.push(entry);
            }
            continue;
        }
        if let Some(ttk) = f.token.strip_prefix("TTK") {
            let token_version = if ttk.is_empty() {
                None
            } else if let Some(version) = SchemaVersion::parse_suffix(ttk) {
                Some(version)
            } else {
                cx.unknown(f, &mut r.unknown);
                continue;
            };
            if let Some(required) = token_version {
                cx.gate(f, required);
            }
            let (kw, right_token) = TrustTupleKeyword::parse(token_version, v);
            if !right_token {
                cx.warn(f, GpfasWarningKind::KeywordUnderOtherToken);
            }
            if let TrustTupleKeyword::Other { value, .. } = &kw {
                cx.warn(f, GpfasWarningKind::UnknownKeyword(value.clone()));
            }
            r.trust_tuple_keywords.push(kw);
            continue;
        }
        match f.token {
            "Action" => cx.keyword(
                f,
                &mut r.action,
                Action::parse,
                "expected Allow, Block or ByPass",
            )?,
            "Active" => cx.bool(f, &mut r.active)?,
            "Dir" => cx.keyword(f, &mut r.direction, Direction::parse, "expected In or Out")?,
            "Protocol" => cx.protocol(f, &mut r.protocol)?,
            "Profile" => r.profiles.push(
                Profile::parse(v)
                    .ok_or_else(|| Ctx::invalid(f, "expected Domain, Private or Public"))?,
            ),
            "ICMP4" | "ICMP6" => {
                let tc = IcmpTypeCode::parse(v)
                    .ok_or_else(|| Ctx::invalid(f, "expected TYPE:CODE or TYPE:*"))?;
                let (wanted, list) = if f.token == "ICMP4" {
                    (1, &mut r.icmp4)
                } else {
                    (58, &mut r.icmp6)
                };
                list.push(tc);
                if r.protocol != Some(wanted) {
                    cx.warn(f, GpfasWarningKind::IcmpWithoutIcmpProtocol);
                }
                saw_icmp = true;
            }
            "LA4" => r.local_v4.push(cx.v4(f, false)?),
            "RA4" => r.remote_v4.push(cx.v4(f, true)?),
            "LA6" => r.local_v6.push(cx.v6(f, false)?),
            "RA6" => r.remote_v6.push(cx.v6(f, true)?),
            "RA42" | "RA62" => {
                cx.gate(f, SchemaVersion::V2_20);
                let kw = AddressKeyword2::parse(v);
                if !kw.is_known() {
                    cx.warn(f, GpfasWarningKind::UnknownKeyword(v.to_owned()));
                }
                if f.token == "RA42" {
                    r.remote_v4_keywords.push(kw);
                } else {
                    r.remote_v6_keywords.push(kw);
                }
            }
            "IF" => r.interfaces.push(v.to_owned()),
            "IFType" => r.interface_types.push(
                InterfaceType::parse(v)
                    .ok_or_else(|| Ctx::invalid(f, "expected Lan, Wireless or RemoteAccess"))?,
            ),
            "App" => cx.string(f, &mut r.app),
            "Svc" => cx.string(f, &mut r.service),
            "Name" => cx.string(f, &mut r.name),
            "Desc" => cx.string(f, &mut r.description),
            "EmbedCtxt" => cx.string(f, &mut r.embedded_context),
            "Edge" => cx.bool(f, &mut r.edge)?,
            "Defer" => {
                cx.gate(f, SchemaVersion::V2_10);
                cx.keyword(f, &mut r.defer, EdgeDefer::parse, "expected App or User")?;
            }
            "LSM" => cx.bool(f, &mut r.loose_source_mapping)?,
            "Security" => cx.keyword(
                f,
                &mut r.security,
                Security::parse,
                "expected Authenticate or AuthenticateEncrypt",
            )?,
            "Security2_9" => {
                cx.gate(f, SchemaVersion::new(2, 9));
                cx.keyword(
                    f,
                    &mut r.security2_9,
                    Security2_9::parse,
                    "expected An-NoEncap",
                )?;
            }
            "Security2" => {
                cx.gate(f, SchemaVersion::V2_10);
                cx.keyword(f, &mut r.security2, Security2::parse, "expected AnE-Nego")?;
            }
            "Platform" => r.platforms.push(
                Platform::parse(v)
                    .ok_or_else(|| Ctx::invalid(f, "expected PLATFORM:MAJOR:MINOR"))?,
            ),
            "Platform2" => cx.keyword(f, &mut r.platform_op, PlatformOp::parse, "expected GTEQ")?,
            "RMauth" | "RMAuth" => cx.string(f, &mut r.remote_machine_auth),
            "RUAuth" => cx.string(f, &mut r.remote_user_auth),
            "AuthByPassOut" => cx.bool(f, &mut r.auth_bypass_out)?,
            "SkipVer" => cx.version_value(f, &mut r.skip_version)?,
            "LOM" => cx.bool(f, &mut r.local_only_mapping)?,
            "PCross" | "PCROSS" => cx.bool(f, &mut r.profile_crossing)?,
            "LUAuth" => cx.string(f, &mut r.local_user_auth),
            "LUAuth2_24" => {
                cx.gate(f, SchemaVersion::V2_24);
                cx.string(f, &mut r.local_user_auth2_24);
            }
            "LUOwn" => cx.string(f, &mut r.local_user_owner),
            "AppPkgId" => cx.string(f, &mut r.app_package_id),
            "NNm" => {
                // FW_RULE2_24 field: gate inferred from the structure version.
                cx.gate(f, SchemaVersion::V2_24);
                r.network_names.push(v.to_owned());
            }
            "SecurityRealmId" => {
                cx.gate(f, SchemaVersion::V2_24);
                cx.string(f, &mut r.security_realm_id);
            }
            _ => cx.unknown(f, &mut r.unknown),
        }
    }
    if saw_ports && saw_icmp {
        cx.warnings.push(GpfasWarning {
            field_index: 0,
            token: String::new(),
            kind: GpfasWarningKind::PortsAndIcmp,
        });
    }
    Ok((r, cx.warnings))
}

impl FirewallRuleRecord {
    /// Parses a rule string; see [`parse_firewall_rule`].
    ///
    /// # Errors
    /// See [`parse_firewall_rule`].
    pub fn parse(text: &str) -> Result<(Self, Vec<GpfasWarning>), crate::Error> {
        parse_firewall_rule(text)
    }

    /// Writes the canonical rule string (see the module docs for the token order).
    ///
    /// # Errors
    /// [`ErrorKind::PipeInValue`](crate::ErrorKind::PipeInValue) naming the first field whose value contains `|`.
    pub fn to_rule_string(&self) -> Result<String, crate::Error> {
        let mut w = FieldWriter::new(self.version);
        w.opt("Action", self.action);
        w.bool("Active", self.active);
        w.opt("Dir", self.direction);
        w.opt("Protocol", self.protocol);
        w.each("Profile", &self.profiles);
        for p in &self.local_ports {
            w.field(&p.token("LPort"), &p.value.to_string());
        }
        for p in &self.remote_ports {
            w.field(&p.token("RPort"), &p.value.to_string());
        }
        w.each("ICMP4", &self.icmp4);
        w.each("ICMP6", &self.icmp6);
        w.each("LA4", &self.local_v4);
        w.each("LA6", &self.local_v6);
        w.each("RA4", &self.remote_v4);
        w.each("RA6", &self.remote_v6);
        w.each("RA42", &self.remote_v4_keywords);
        w.each("RA62", &self.remote_v6_keywords);
        w.each("IF", &self.interfaces);
        w.each("IFType", &self.interface_types);
        w.opt("App", self.app.as_deref());
        w.opt("Svc", self.service.as_deref());
        w.opt("Name", self.name.as_deref());
        w.opt("Desc", self.description.as_deref());
        w.opt("RMauth", self.remote_machine_auth.as_deref());
        w.opt("RUAuth", self.remote_user_auth.as_deref());
        w.opt("LUAuth", self.local_user_auth.as_deref());
        w.opt("LUAuth2_24", self.local_user_auth2_24.as_deref());
        w.opt("LUOwn", self.local_user_owner.as_deref());
        w.opt("AppPkgId", self.app_package_id.as_deref());
        w.opt("EmbedCtxt", self.embedded_context.as_deref());
        w.each("Platform", &self.platforms);
        w.opt("Platform2", self.platform_op);
        w.opt("SkipVer", self.skip_version);
        w.opt("Security", self.security);
        w.opt("Security2_9", self.security2_9);
        w.opt("Security2", self.security2);
        w.bool("AuthByPassOut", self.auth_bypass_out);
        w.bool("Edge", self.edge);
        w.opt("Defer", self.defer);
        w.bool("LSM", self.loose_source_mapping);
        w.bool("LOM", self.local_only_mapping);
        w.bool("PCross", self.profile_crossing);
        for ttk in &self.trust_tuple_keywords {
            w.field(&ttk.token(), ttk.as_str());
        }
        w.each("NNm", &self.network_names);
        w.opt("SecurityRealmId", self.security_realm_id.as_deref());
        for raw in &self.unknown {
            w.raw(raw);
        }
        w.finish()
    }
}
