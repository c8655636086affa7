//! A group's plan as MS-GPFAS registry values under
//! `Software\Policies\Microsoft\WindowsFirewall`, plus the SMB settings.

use std::collections::BTreeMap;

use smbguard_formats::gpfas::{
    self, AUTH_NO_ENCAP, AuthSet, AuthSets, AuthSuite, ConSecAction, ConSecRuleRecord, CryptoSet,
    CryptoSuite, FirewallPolicy, FirewallRuleRecord, Ipv4Spec, Ipv6Spec, PortEntry, PortValue,
    ProfileKey, ProfileSettings, SchemaVersion, Security2_9,
};
use smbguard_formats::registry_pol::{RegData, RegType, RegistryEntry};
use smbguard_model::{AddrRange, AddrSet, PortSet, Profile, ProfileSet, Proto};
use smbguard_semantics::{
    Action, AuthMethod, ConnectionSecurityRule, Direction, Security, SecurityRequirement,
    WindowsRule,
};

use super::guid::guid;
use super::stock;
use crate::artifact::{EmitContext, EmitError};
use crate::target::Target;
use crate::windows::{
    AddrChunk, MAX_AUTHORIZATION_UNITS, WindowsHost, chunk_remote, sddl_parts, smb_registry_values,
};

/// Every string smbguard writes uses tokens of schema 2.10 (Windows 7 /
/// Server 2008 R2 and later): `Security2_9`, `LPort2_10`, `AuthByPassOut`.
pub(crate) const VERSION: SchemaVersion = SchemaVersion::V2_10;

/// `PolicyVersion` (REG_DWORD) = the highest schema version used (0x020A),
/// as the reference §1.4 recommends.
pub(crate) const POLICY_VERSION: u32 = 0x020A;

/// A REG_SZ holds at most 65,535 bytes ([MS-GPREG] §2.2.1 `Size`), i.e.
/// 32,767 UTF-16 units including the terminating NUL.
pub(crate) const MAX_RULE_UNITS: usize = 32_766;

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Checks a value that goes into a rule string: MS-GPFAS has no escape for
/// `|` (§2.2.2.19; the field would split), and a NUL or other control
/// character would cut or corrupt the REG_SZ value.
pub(crate) fn gpfas_text(what: &str, value: &str) -> Result<String, EmitError> {
    let reject = |why: &str| EmitError::UnsafeString {
        target: Target::Gpo,
        what: what.to_owned(),
        value: value.to_owned(),
        why: why.to_owned(),
    };
    if value.contains('|') {
        return Err(reject(
            "MS-GPFAS rule strings have no escape for `|` (every field ends at `|`, [MS-GPFAS] §2.2.2.19); remove the `|`",
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(reject(
            "a control character would cut or corrupt the REG_SZ registry value",
        ));
    }
    Ok(value.to_owned())
}

/// Checks a registry value name (a rule or set ID): 1–255 characters, no
/// control characters, and not a `**` special name ([MS-GPREG] §3.2.5.1:
/// `**DelVals.` would delete every value of the key).
pub(crate) fn value_name(what: &str, id: &str) -> Result<String, EmitError> {
    let bad = id.is_empty()
        || id.chars().count() > 255
        || id.starts_with("**")
        || id.chars().any(char::is_control);
    if bad {
        return Err(EmitError::UnsafeString {
            target: Target::Gpo,
            what: what.to_owned(),
            value: id.to_owned(),
            why: "a registry value name must be 1-255 characters without control characters and must not start with `**` (MS-GPREG special values)".into(),
        });
    }
    Ok(id.to_owned())
}

fn gp_profiles(p: ProfileSet) -> Vec<gpfas::Profile> {
    if p.is_all() {
        return Vec::new();
    }
    p.iter()
        .map(|p| match p {
            Profile::Domain => gpfas::Profile::Domain,
            Profile::Private => gpfas::Profile::Private,
            Profile::Public => gpfas::Profile::Public,
        })
        .collect()
}

fn gp_ports(ports: &PortSet) -> Vec<PortEntry> {
    if ports.is_full() {
        return Vec::new();
    }
    ports
        .intervals()
        .iter()
        .map(|&(a, b)| {
            PortEntry::new(if a == b {
                PortValue::Single(a)
            } else {
                PortValue::Range(a, b)
            })
        })
        .collect()
}

fn v4_spec(lo: u32, hi: u32) -> Ipv4Spec {
    let span = hi - lo;
    if span == 0 {
        return Ipv4Spec::Single(lo.into());
    }
    let size = u64::from(span) + 1;
    if size.is_power_of_two() && size < (1 << 32) && u64::from(lo) % size == 0 {
        return Ipv4Spec::Prefix(lo.into(), (32 - size.trailing_zeros()) as u8);
    }
    Ipv4Spec::Range(lo.into(), hi.into())
}

fn v6_spec(lo: u128, hi: u128) -> Ipv6Spec {
    let span = hi - lo;
    if span == 0 {
        return Ipv6Spec::Single(lo.into());
    }
    if span != u128::MAX && (span + 1).is_power_of_two() && lo & span == 0 {
        return Ipv6Spec::Prefix(lo.into(), (128 - (span + 1).trailing_zeros()) as u8);
    }
    Ipv6Spec::Range(lo.into(), hi.into())
}

enum Spec {
    V4(Ipv4Spec),
    V6(Ipv6Spec),
}

fn spec(r: &AddrRange) -> Spec {
    match (r.0, r.1) {
        (std::net::IpAddr::V4(a), std::net::IpAddr::V4(b)) => Spec::V4(v4_spec(a.into(), b.into())),
        (std::net::IpAddr::V6(a), std::net::IpAddr::V6(b)) => Spec::V6(v6_spec(a.into(), b.into())),
        // AddrSet ranges never mix families.
        (a, _) => match a {
            std::net::IpAddr::V4(a) => Spec::V4(Ipv4Spec::Single(a)),
            std::net::IpAddr::V6(a) => Spec::V6(Ipv6Spec::Single(a)),
        },
    }
}

fn token_len(s: &Spec, remote: bool) -> usize {
    let (token, text) = match s {
        Spec::V4(v) => (if remote { "RA4" } else { "LA4" }, v.to_string()),
        Spec::V6(v) => (if remote { "RA6" } else { "LA6" }, v.to_string()),
    };
    token.len() + 1 + text.len() + 1
}

fn set_local(r: &mut FirewallRuleRecord, set: &AddrSet) {
    if set.is_any() {
        return;
    }
    for range in set.to_ranges() {
        match spec(&range) {
            Spec::V4(s) => r.local_v4.push(s),
            Spec::V6(s) => r.local_v6.push(s),
        }
    }
}

/// The record(s) of one plan rule: one, or several when its authorised
/// computers would pass Windows' limit on one rule's list
/// ([`MAX_AUTHORIZATION_UNITS`]) or its remote address list would not fit
/// one registry value (the copies `<id>-part2`, … split the lists; sound
/// because Windows decides by "some matching rule", see `scope.rs`). A rule that can match nothing (empty address, port or
/// profile set) is not written.
pub(crate) fn rule_records(
    rule: &WindowsRule,
    group: &str,
) -> Result<Vec<(String, FirewallRuleRecord)>, EmitError> {
    if rule.profiles.is_empty()
        || rule.local_ports.is_empty()
        || rule.remote_ports.is_empty()
        || rule.local_addresses.is_empty()
    {
        return Ok(Vec::new());
    }
    let id = value_name("rule ID", &rule.id)?;
    let mut r = FirewallRuleRecord::new(VERSION);
    r.direction = Some(match rule.direction {
        Direction::Inbound => gpfas::Direction::In,
        Direction::Outbound => gpfas::Direction::Out,
    });
    // Inbound authenticated bypass is Action=ByPass (MS-FASP
    // FW_RULE_ACTION_ALLOW_BYPASS, which needs authorised computers); the
    // outbound form is an allow rule with FW_RULE_FLAGS_AUTHENTICATE_BYPASS_OUTBOUND
    // (`AuthByPassOut=TRUE`, MS-FASP §2.2.35, reference §7), which needs none.
    r.action = Some(match (rule.action, rule.direction) {
        (Action::Allow, _) => gpfas::Action::Allow,
        (Action::Block, _) => gpfas::Action::Block,
        (Action::Bypass, Direction::Inbound) => gpfas::Action::ByPass,
        (Action::Bypass, Direction::Outbound) => {
            r.auth_bypass_out = Some(true);
            gpfas::Action::Allow
        }
    });
    r.active = Some(rule.enabled);
    r.protocol = rule.protocol.map(Proto::number);
    if rule.protocol.is_none() && (!rule.local_ports.is_full() || !rule.remote_ports.is_full()) {
        return Err(EmitError::Unrepresentable {
            target: Target::Gpo,
            what: format!("rule {}: ports without a protocol", rule.id),
        });
    }
    r.profiles = gp_profiles(rule.profiles);
    r.local_ports = gp_ports(&rule.local_ports);
    r.remote_ports = gp_ports(&rule.remote_ports);
    set_local(&mut r, &rule.local_addresses);
    r.name = Some(gpfas_text(
        &format!("display name of rule {}", rule.id),
        &rule.name,
    )?);
    if !rule.description.is_empty() {
        r.description = Some(gpfas_text(
            &format!("description of rule {}", rule.id),
            &rule.description,
        )?);
    }
    r.embedded_context = Some(gpfas_text(&format!("group of rule {}", rule.id), group)?);
    match rule.security {
        Security::None => {}
        Security::Authenticate => r.security = Some(gpfas::Security::Authenticate),
        Security::AuthenticateNoEncap => {
            // Null encapsulation = Authenticate + An-NoEncap (§2.2.2.6, §4.2 example).
            r.security = Some(gpfas::Security::Authenticate);
            r.security2_9 = Some(Security2_9::AnNoEncap);
        }
        Security::AuthenticateEncrypt => r.security = Some(gpfas::Security::AuthenticateEncrypt),
    }
    if rule.edge_traversal && rule.direction == Direction::Inbound {
        r.edge = Some(true);
    }
    // GPMC writes authorisation lists as O:LSD:(A;;CC;;;SID) (reference §1.3).
    let sddls = sddl_parts(
        Target::Gpo,
        "O:LSD:",
        &rule.remote_machines,
        MAX_AUTHORIZATION_UNITS,
    )?;
    let mut out = Vec::new();
    for sddl in sddls {
        let mut r = r.clone();
        r.remote_machine_auth = (!sddl.is_empty()).then_some(sddl);
        for copy in split_remote(rule, r)? {
            let copy_id = match out.len() {
                0 => id.clone(),
                n => value_name("rule ID", &format!("{id}-part{}", n + 1))?,
            };
            out.push((copy_id, copy));
        }
    }
    Ok(out)
}

/// Copies of `r` splitting the rule's remote addresses so that each rule
/// string fits one `registry.pol` value.
fn split_remote(
    rule: &WindowsRule,
    r: FirewallRuleRecord,
) -> Result<Vec<FirewallRuleRecord>, EmitError> {
    let base = r.to_rule_string().map_err(|e| EmitError::UnsafeString {
        target: Target::Gpo,
        what: format!("rule {}", rule.id),
        value: rule.name.clone(),
        why: e.to_string(),
    })?;
    let budget = MAX_RULE_UNITS.saturating_sub(utf16_len(&base));
    let chunks = chunk_remote(
        &rule.remote_addresses,
        crate::windows::powershell::MAX_ADDRESSES_PER_RULE,
        budget,
        |range| token_len(&spec(range), true),
    );
    let mut out = Vec::new();
    for chunk in chunks {
        let mut copy = r.clone();
        if let AddrChunk::Ranges(ranges) = chunk {
            for range in &ranges {
                match spec(range) {
                    Spec::V4(s) => copy.remote_v4.push(s),
                    Spec::V6(s) => copy.remote_v6.push(s),
                }
            }
        }
        out.push(copy);
    }
    Ok(out)
}

/// The quick-mode set of the isolation rule: null encapsulation first, ESP
/// SHA-256 integrity (no encryption) as the fallback "AuthNoEncap must be
/// accompanied by" (netsh-advfirewall.md, consec remarks; review A.4).
///
/// Tokens as MS-GPFAS §2.2.5 spells them: null encapsulation is
/// `2_9Protocol=AUTH_NO_ENCAP` (§2.2.5.27, with "a SkipVersion value with a
/// version of 0x0209"); SHA-256 is not a `HASH-VAL` of `EspHash` (`MD5` /
/// `SHA1`, §2.2.5.12 and §2.2.5.20) but of `2_1EspHash` (§2.2.5.26, with
/// SkipVersion 0x0200); `Encryption` has no `None` token (§2.2.5.11), so "no
/// encryption" is the value left out. The lifetimes are written because
/// MS-FASP §2.2.71 requires 5-2879 minutes and at least 20480 KB; 60 minutes
/// and 100000 KB are netsh's defaults (`QuickModeSecMethods:
/// ESP:SHA1-None+60min+100000kb`, Microsoft support article "L2TP VPN fails
/// with error 787").
pub(crate) fn quick_mode_set(name: String, group: &str) -> CryptoSet {
    let esp = CryptoSuite {
        protocol: Some("ESP".into()),
        esp_hash_2_1: Some("SHA256".into()),
        timeout_minutes: Some("60".into()),
        timeout_kbytes: Some("100000".into()),
        skip_version: Some(SchemaVersion::V2_0.to_string()),
        ..CryptoSuite::default()
    };
    let no_encap = CryptoSuite {
        protocol_2_9: Some(AUTH_NO_ENCAP.into()),
        skip_version: Some(SchemaVersion::new(2, 9).to_string()),
        ..esp.clone()
    };
    CryptoSet {
        version: Some(VERSION.to_string()),
        name: Some(name),
        embedded_context: Some(group.to_owned()),
        suites: vec![("0000".into(), no_encap), ("0001".into(), esp)],
        ..CryptoSet::default()
    }
}

fn consec_record(
    c: &ConnectionSecurityRule,
    group: &str,
    p1: Option<&str>,
    p2: Option<&str>,
    qm: Option<&str>,
) -> Result<ConSecRuleRecord, EmitError> {
    let mut r = ConSecRuleRecord::new(VERSION);
    // MS-FASP §2.2.52: Boundary = request in and out (the article's
    // "Request authentication for inbound and outbound connections").
    r.action = Some(match (c.inbound, c.outbound) {
        (SecurityRequirement::Request, SecurityRequirement::Request) => ConSecAction::Boundary,
        (SecurityRequirement::Require, SecurityRequirement::Request) => ConSecAction::SecureServer,
        (SecurityRequirement::Require, SecurityRequirement::Require) => ConSecAction::Secure,
        (SecurityRequirement::None, SecurityRequirement::None) => ConSecAction::DoNotSecure,
        _ => {
            return Err(EmitError::Unrepresentable {
                target: Target::Gpo,
                what: format!(
                    "connection security rule {}: this inbound/outbound combination",
                    c.id
                ),
            });
        }
    });
    r.active = Some(c.enabled);
    r.profiles = gp_profiles(c.profiles);
    r.name = Some(gpfas_text(
        &format!("name of connection security rule {}", c.id),
        &c.name,
    )?);
    if !c.description.is_empty() {
        r.description = Some(gpfas_text(
            &format!("description of connection security rule {}", c.id),
            &c.description,
        )?);
    }
    r.auth1_set = p1.map(str::to_owned);
    r.auth2_set = p2.map(str::to_owned);
    r.crypto2_set = qm.map(str::to_owned);
    r.embedded_context = Some(gpfas_text(
        &format!("group of connection security rule {}", c.id),
        group,
    )?);
    Ok(r)
}

fn auth_set(
    name: String,
    group: &str,
    methods: &[AuthMethod],
    phase: u8,
    id: &str,
) -> Result<AuthSet, EmitError> {
    let suites = methods
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let method = match (phase, m) {
                (1, AuthMethod::MachineKerberos) => gpfas::AuthMethod::MachineKerb,
                (2, AuthMethod::UserKerberos) => gpfas::AuthMethod::UserKerb,
                _ => {
                    return Err(EmitError::Unrepresentable {
                        target: Target::Gpo,
                        what: format!("connection security rule {id}: {m:?} in phase {phase}"),
                    });
                }
            };
            Ok((
                format!("{i:04}"),
                AuthSuite {
                    method: Some(method),
                    ..AuthSuite::default()
                },
            ))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(AuthSet {
        version: Some(VERSION),
        name: Some(name),
        description: None,
        embedded_context: Some(group.to_owned()),
        suites,
    })
}

/// The typed firewall policy of one group.
pub(crate) fn firewall_policy(
    cx: &EmitContext<'_>,
    h: &WindowsHost<'_>,
) -> Result<FirewallPolicy, EmitError> {
    let p = h.policy;
    let group = smbguard_semantics::ids::rule_group(&cx.estate.name);
    let mut fp = FirewallPolicy {
        policy_version: Some(POLICY_VERSION),
        ..FirewallPolicy::default()
    };
    let mut profiles = BTreeMap::new();
    for d in &p.profile_defaults {
        let key = match d.profile {
            Profile::Domain => ProfileKey::Domain,
            Profile::Private => ProfileKey::Private,
            Profile::Public => ProfileKey::Public,
        };
        profiles.insert(
            key,
            ProfileSettings {
                enable_firewall: Some(u32::from(d.enabled)),
                default_outbound_action: Some(u32::from(d.block_outbound)),
                default_inbound_action: Some(u32::from(d.block_inbound)),
                ..ProfileSettings::default()
            },
        );
    }
    fp.profiles = profiles;
    for rule in &p.rules {
        fp.rules.extend(rule_records(rule, &group)?);
    }
    for id in &p.disabled_builtins {
        let text = stock::stock(id).ok_or_else(|| EmitError::Unrepresentable {
            target: Target::Gpo,
            what: format!("built-in rule {id}: no stock definition to disable it by ID"),
        })?;
        let (record, _) =
            FirewallRuleRecord::parse(text).map_err(|e| EmitError::Unrepresentable {
                target: Target::Gpo,
                what: format!("built-in rule {id}: {e}"),
            })?;
        fp.rules.push(((*id).to_owned(), record));
    }
    if p.disabled_builtins.contains(&"FPS-SMB-In-TCP") {
        let (id, text) = stock::RESTRICTIVE_SMB_IN;
        if let Ok((record, _)) = FirewallRuleRecord::parse(text) {
            fp.rules.push((id.to_owned(), record));
        }
    }
    let mut p1 = AuthSets::default();
    let mut p2 = AuthSets::default();
    for c in &p.connection_security {
        let id = value_name("connection security rule ID", &c.id)?;
        let p1_id = (!c.phase1.is_empty())
            .then(|| guid(&cx.estate.name, &h.host.group, &format!("{id}/phase1")));
        let p2_id = (!c.phase2.is_empty())
            .then(|| guid(&cx.estate.name, &h.host.group, &format!("{id}/phase2")));
        if let Some(set_id) = &p1_id {
            let name = gpfas_text(
                "phase 1 set name",
                &format!("{} - Kerberos V5 computer", c.name),
            )?;
            p1.sets
                .push((set_id.clone(), auth_set(name, &group, &c.phase1, 1, &c.id)?));
        }
        if let Some(set_id) = &p2_id {
            let name = gpfas_text(
                "phase 2 set name",
                &format!("{} - Kerberos V5 user", c.name),
            )?;
            p2.sets
                .push((set_id.clone(), auth_set(name, &group, &c.phase2, 2, &c.id)?));
        }
        let qm_id = c
            .null_encapsulation
            .then(|| guid(&cx.estate.name, &h.host.group, &format!("{id}/quickmode")));
        if let Some(qm_id) = &qm_id {
            let qm_name = gpfas_text(
                "quick mode set name",
                &format!("{} - null encapsulation, ESP SHA-256 integrity", c.name),
            )?;
            fp.phase2_crypto_sets
                .sets
                .push((qm_id.clone(), quick_mode_set(qm_name, &group)));
        }
        fp.consec_rules.push((
            id,
            consec_record(
                c,
                &group,
                p1_id.as_deref(),
                p2_id.as_deref(),
                qm_id.as_deref(),
            )?,
        ));
    }
    fp.phase1_auth_sets = p1;
    fp.phase2_auth_sets = p2;
    Ok(fp)
}

/// Every registry value of the group's `registry.pol`, in write order: the
/// firewall policy ([`FirewallPolicy::to_registry`] order), then the SMB
/// settings.
/// smbguard's own policy key: comment values only, read by nothing.
pub(crate) const UNSAFE_KEY: &str = r"SOFTWARE\Policies\smbguard";

pub(crate) fn registry_entries(
    cx: &EmitContext<'_>,
    h: &WindowsHost<'_>,
) -> Result<Vec<RegistryEntry>, EmitError> {
    let fp = firewall_policy(cx, h)?;
    let mut entries = fp.to_registry().map_err(|e| {
        let id = match e.location() {
            smbguard_formats::Location::PolicyRule { id } => id.clone(),
            _ => String::new(),
        };
        EmitError::UnsafeString {
            target: Target::Gpo,
            what: format!("rule {id}"),
            value: id,
            why: e.kind().to_string(),
        }
    })?;
    for v in smb_registry_values(&cx.plan.smb) {
        entries.push(RegistryEntry::dword(v.key, v.value, v.data));
    }
    let h24 = &cx.plan.smb.hardening;
    if h24.block_ntlm && !h24.ntlm_exceptions.is_empty() {
        // "Block NTLM Server Exception List": LanmanWorkstation.admx policy
        // Pol_BlockNTLMServerExceptionList, a multiText (REG_MULTI_SZ) beside
        // BlockNTLM (smb-ntlm-blocking.md; docs/windows.md).
        entries.push(RegistryEntry {
            key: r"SOFTWARE\Policies\Microsoft\Windows\LanmanWorkstation".to_owned(),
            value: "BlockNTLMServerExceptionList".to_owned(),
            kind: RegType::MultiSz,
            data: RegData::MultiString(h24.ntlm_exceptions.clone()),
        });
    }
    if !cx.plan.smb.smb1 {
        entries.push(RegistryEntry {
            key: crate::windows::smb::WORKSTATION_SERVICE.to_owned(),
            value: "DependOnService".to_owned(),
            kind: RegType::MultiSz,
            data: RegData::MultiString(
                crate::windows::smb::WORKSTATION_DEPENDS
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
            ),
        });
    }
    if let Some(reason) = cx.unsafe_reason {
        // Registry.pol has no comments: the `--allow-unsafe` reason travels
        // as a value of smbguard's own key, which no Windows component reads,
        // so whoever inspects the GPO (or the host's registry) sees it.
        entries.push(RegistryEntry {
            key: UNSAFE_KEY.to_owned(),
            value: "AllowUnsafeReason".to_owned(),
            kind: RegType::Sz,
            data: RegData::String(crate::windows::one_line(reason)),
        });
    }
    for e in &entries {
        if let Some(text) = e.data.as_str() {
            if utf16_len(text) > MAX_RULE_UNITS {
                return Err(EmitError::Unrepresentable {
                    target: Target::Gpo,
                    what: format!(
                        "value {} longer than the 32,767-character registry limit",
                        e.value
                    ),
                });
            }
        }
    }
    Ok(entries)
}
