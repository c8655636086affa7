//! MS-GPFAS policy (a `Registry.pol` read by `smbguard_formats`) lowered into
//! the rule IR ([`WindowsPolicy`]), so that the plan's evaluator judges what is
//! deployed.
//!
//! Lowering is total: every record becomes IR, or is dropped with a finding
//! when it cannot match SMB traffic at all. Conditions the IR does not model
//! (address keywords such as `LocalSubnet`, port keywords, programs,
//! services, interfaces, user authorisation, connection security endpoints)
//! are read soundly, with a finding saying so: an allow or bypass as its
//! widest meaning (it matches all such traffic), a block as its narrowest
//! (an unknown condition: it matches nothing; a keyword address or port:
//! none). An auditor then sees every flow the deployed policy *could* let
//! through, and never a block that may not apply.

use std::collections::BTreeSet;

use smbguard_formats::gpfas::{
    self, AuthPhase, AuthSets, ConSecAction, ConSecRuleRecord, CryptoSets, DefaultAction,
    FirewallPolicy, FirewallRuleRecord, Ipv4Spec, Ipv6Spec, PolicyWarning, PortEntry, PortValue,
    ProfileKey, ProfileSettings,
};
use smbguard_formats::registry_pol::read_registry_pol;
use smbguard_model::{AddrSet, IntervalSet, PortSet, Profile, ProfileSet, Proto};
use smbguard_semantics::{
    Action, AuthMethod, ConnectionSecurityRule, Direction, KbRow, Origin, ProfileDefaults,
    Security, SecurityRequirement, WindowsPolicy, WindowsRule, builtin,
};

use super::sddl;
use crate::error::AuditError;
use crate::{Finding, FindingCode};

/// A deployed Windows policy in the IR, with what the reader could not model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoweredWindows {
    /// The policy as the evaluator sees it.
    pub policy: WindowsPolicy,
    /// `PolicyVersion` of the file, when present.
    pub policy_version: Option<u32>,
    /// Values outside `Software\Policies\Microsoft\WindowsFirewall` (e.g. SMB
    /// settings), verbatim: not firewall policy, so not lowered.
    pub other_values: usize,
    /// Warnings: approximations and things ignored.
    pub findings: Vec<Finding>,
}

/// Reads a `Registry.pol` file and lowers its firewall policy.
///
/// # Errors
/// [`AuditError::RegistryPol`] when the bytes are not a PReg file; anything
/// inside a valid file is lowered (with findings), never rejected.
pub fn read_registry_pol_policy(
    bytes: &[u8],
    location: &str,
) -> Result<LoweredWindows, AuditError> {
    let entries = read_registry_pol(bytes).map_err(|error| AuditError::RegistryPol {
        location: location.to_owned(),
        error,
    })?;
    let (policy, warnings) = FirewallPolicy::from_registry(&entries);
    Ok(lower_firewall_policy(&policy, &warnings, location))
}

/// Lowers a typed firewall policy (and the warnings its reader produced).
pub fn lower_firewall_policy(
    p: &FirewallPolicy,
    warnings: &[PolicyWarning],
    location: &str,
) -> LoweredWindows {
    let mut cx = Lowering {
        narrow: false,
        location,
        findings: warnings
            .iter()
            .map(|w| {
                Finding::new(
                    FindingCode::FormatWarning,
                    format!("{location}: {}!{}", w.key, w.value),
                    w.kind.to_string(),
                )
            })
            .collect(),
    };
    let mut rules = Vec::new();
    let mut disabled: Vec<&'static str> = Vec::new();
    for (id, record) in &p.rules {
        // A value named after a built-in rule replaces the local copy of that
        // rule (same-ID precedence, reference §4.2): the catalogue assumption
        // no longer holds, whatever the GPO copy says.
        if let Some(stock) = builtin::catalogue()
            .iter()
            .find(|b| b.id.eq_ignore_ascii_case(id))
        {
            disabled.push(stock.id.as_str());
            if !record.is_active() {
                continue;
            }
        }
        if let Some(rule) = cx.rule(id, record) {
            rules.push(rule);
        }
    }
    disabled.sort_unstable();
    disabled.dedup();
    let connection_security = p
        .consec_rules
        .iter()
        .filter_map(|(id, r)| {
            cx.consec(
                id,
                r,
                &p.phase1_auth_sets,
                &p.phase2_auth_sets,
                &p.phase2_crypto_sets,
            )
        })
        .collect();
    let profile_defaults = Profile::ALL.map(|profile| cx.defaults(p, profile));
    for profile in Profile::ALL {
        if settings_for(p, profile).and_then(ProfileSettings::shielded) == Some(true) {
            cx.shield(&mut rules, profile);
        }
        if settings_for(p, profile).and_then(ProfileSettings::local_policy_merge) == Some(false) {
            cx.note(
                FindingCode::ProfileSetting,
                format!("{profile} profile"),
                "AllowLocalPolicyMerge=0: local rules (including the built-in rules) are ignored in this profile, and so is anything smbguard wrote to a local store",
            );
        }
    }
    let other_values = p.other_entries.len();
    if other_values > 0 {
        cx.note(
            FindingCode::OutOfScope,
            "other values",
            format!(
                "{other_values} value(s) outside the firewall policy key kept verbatim, not lowered"
            ),
        );
    }
    LoweredWindows {
        policy: WindowsPolicy {
            rules,
            disabled_builtins: disabled,
            profile_defaults,
            connection_security,
            services: Vec::new(),
        },
        policy_version: p.policy_version,
        other_values,
        findings: cx.findings,
    }
}

/// The settings key that governs `profile` ([MS-GPFAS] §2.2.3: `StandardProfile`
/// stands for Private and Public only when neither of their keys exists).
pub(super) fn settings_for(p: &FirewallPolicy, profile: Profile) -> Option<&ProfileSettings> {
    let own = match profile {
        Profile::Domain => ProfileKey::Domain,
        Profile::Private => ProfileKey::Private,
        Profile::Public => ProfileKey::Public,
    };
    if let Some(s) = p.profiles.get(&own) {
        return Some(s);
    }
    let neither = !p.profiles.contains_key(&ProfileKey::Private)
        && !p.profiles.contains_key(&ProfileKey::Public);
    if profile != Profile::Domain && neither {
        return p.profiles.get(&ProfileKey::Standard);
    }
    None
}

struct Lowering<'a> {
    location: &'a str,
    findings: Vec<Finding>,
    /// The rule being lowered is a block: unmodelled conditions narrow it
    /// (it must not be read as stopping more than it does).
    narrow: bool,
}

fn profile_of(p: gpfas::Profile) -> Profile {
    match p {
        gpfas::Profile::Domain => Profile::Domain,
        gpfas::Profile::Private => Profile::Private,
        gpfas::Profile::Public => Profile::Public,
    }
}

fn profiles_of(list: &[gpfas::Profile]) -> ProfileSet {
    if list.is_empty() {
        ProfileSet::ALL
    } else {
        ProfileSet::of(&list.iter().copied().map(profile_of).collect::<Vec<_>>())
    }
}

impl Lowering<'_> {
    fn note(&mut self, code: FindingCode, what: impl AsRef<str>, message: impl Into<String>) {
        self.findings.push(Finding::new(
            code,
            format!("{}: {}", self.location, what.as_ref()),
            message,
        ));
    }

    fn rule(&mut self, id: &str, r: &FirewallRuleRecord) -> Option<WindowsRule> {
        let what = format!("FirewallRules!{id}");
        let protocol = match r.protocol {
            None => None,
            Some(6) => Some(Proto::Tcp),
            Some(17) => Some(Proto::Udp),
            Some(other) => {
                if r.is_active() {
                    self.note(
                        FindingCode::OutOfScope,
                        &what,
                        format!("protocol {other} cannot carry SMB; rule ignored"),
                    );
                }
                return None;
            }
        };
        let direction = match r.direction {
            Some(gpfas::Direction::In) => Direction::Inbound,
            Some(gpfas::Direction::Out) => Direction::Outbound,
            None => {
                self.note(
                    FindingCode::DefaultAssumed,
                    &what,
                    "no Dir= token; read as inbound",
                );
                Direction::Inbound
            }
        };
        // Outbound authenticated bypass is an allow rule carrying
        // FW_RULE_FLAGS_AUTHENTICATE_BYPASS_OUTBOUND (`AuthByPassOut=TRUE`,
        // MS-FASP §2.2.35; reference §7); `Action=ByPass` is the inbound form.
        let action = match r.action {
            Some(gpfas::Action::Block) => Action::Block,
            Some(gpfas::Action::ByPass) => Action::Bypass,
            Some(gpfas::Action::Allow)
                if r.auth_bypass_out == Some(true) && direction == Direction::Outbound =>
            {
                Action::Bypass
            }
            Some(gpfas::Action::Allow) => Action::Allow,
            None => {
                self.note(
                    FindingCode::DefaultAssumed,
                    &what,
                    "no Action= token; read as Allow",
                );
                Action::Allow
            }
        };
        let security = match (r.security, r.security2_9) {
            (Some(gpfas::Security::AuthenticateEncrypt), _) => Security::AuthenticateEncrypt,
            (Some(gpfas::Security::Authenticate), Some(_)) => Security::AuthenticateNoEncap,
            (Some(gpfas::Security::Authenticate), None) => Security::Authenticate,
            (None, _) => Security::None,
        };
        let active = r.is_active();
        self.narrow = action == Action::Block;
        let mut rule = WindowsRule::new(
            id,
            r.name.clone().unwrap_or_else(|| id.to_owned()),
            direction,
            action,
            KbRow::K10,
        );
        rule.origin = Origin::Deployed;
        rule.enabled = active;
        rule.description = r.description.clone().unwrap_or_default();
        rule.group = r.embedded_context.clone().unwrap_or_default();
        rule.protocol = protocol;
        rule.security = security;
        rule.profiles = profiles_of(&r.profiles);
        rule.edge_traversal = r.is_edge() || r.defer.is_some();
        rule.local_ports = self.ports(&what, "LPort", &r.local_ports, active);
        rule.remote_ports = self.ports(&what, "RPort", &r.remote_ports, active);
        rule.local_addresses =
            self.addresses(&what, "LA", &r.local_v4, &r.local_v6, &[], &[], active);
        rule.remote_addresses = self.addresses(
            &what,
            "RA",
            &r.remote_v4,
            &r.remote_v6,
            &r.remote_v4_keywords,
            &r.remote_v6_keywords,
            active,
        );
        if let Some(sddl_text) = &r.remote_machine_auth {
            let t = sddl::trustees(sddl_text);
            if active && (!t.denied.is_empty() || !t.odd.is_empty()) {
                self.note(
                    FindingCode::Widened,
                    &what,
                    "RMauth has deny or unreadable entries; only the allowed computers are modelled (widest)",
                );
            }
            rule.remote_machines = t.allowed;
        }
        if active && self.unmodelled(&what, r) && self.narrow {
            // A block on `App=C:\tools\foo.exe` does not stop SMB, which the
            // kernel sends as `System`: the sound reading of a block whose
            // condition is unknown is that it matches nothing.
            rule.enabled = false;
        }
        Some(rule)
    }

    /// Conditions the IR has no field for: an allow is read as matching
    /// every flow, a block as matching none. True when there are any.
    fn unmodelled(&mut self, what: &str, r: &FirewallRuleRecord) -> bool {
        let mut names: Vec<&str> = Vec::new();
        if r.app
            .as_deref()
            .is_some_and(|a| !a.eq_ignore_ascii_case("System"))
        {
            // SMB is served and opened by the kernel (`App=System`), so only
            // other programs narrow the rule.
            names.push("App");
        }
        let present = [
            (r.service.is_some(), "Svc"),
            (!r.interfaces.is_empty(), "IF"),
            (!r.interface_types.is_empty(), "IFType"),
            (r.remote_user_auth.is_some(), "RUAuth"),
            (
                r.local_user_auth.is_some() || r.local_user_auth2_24.is_some(),
                "LUAuth",
            ),
            (r.local_user_owner.is_some(), "LUOwn"),
            (r.app_package_id.is_some(), "AppPkgId"),
            (!r.platforms.is_empty(), "Platform"),
            (!r.trust_tuple_keywords.is_empty(), "TTK"),
            (!r.icmp4.is_empty() || !r.icmp6.is_empty(), "ICMP"),
            (!r.network_names.is_empty(), "NNm"),
            (!r.unknown.is_empty(), "unknown tokens"),
        ];
        names.extend(present.iter().filter(|(p, _)| *p).map(|(_, n)| *n));
        if names.is_empty() {
            return false;
        }
        let reading = if self.narrow {
            "the block is read as matching nothing (narrowest: it may not stop SMB)"
        } else {
            "the rule is read as matching all such traffic (widest)"
        };
        self.note(
            FindingCode::Widened,
            what,
            format!("condition(s) {} not modelled; {reading}", names.join(", ")),
        );
        true
    }

    fn ports(&mut self, what: &str, token: &str, list: &[PortEntry], active: bool) -> PortSet {
        if list.is_empty() {
            return PortSet::full();
        }
        let mut set = PortSet::empty();
        for p in list {
            match &p.value {
                PortValue::Single(n) => set = set.union(&PortSet::single(*n)),
                PortValue::Range(a, b) => set = set.union(&PortSet::range(*a.min(b), *a.max(b))),
                PortValue::Keyword(k) if self.narrow => {
                    if active {
                        self.note(
                            FindingCode::Widened,
                            what,
                            format!(
                                "{token}={k} (port keyword) in a block read as no port (narrowest)"
                            ),
                        );
                    }
                }
                PortValue::Keyword(k) => {
                    if active {
                        self.note(
                            FindingCode::Widened,
                            what,
                            format!("{token}={k} (port keyword) read as every port (widest)"),
                        );
                    }
                    return PortSet::full();
                }
            }
        }
        set
    }

    #[allow(clippy::too_many_arguments)]
    fn addresses(
        &mut self,
        what: &str,
        token: &str,
        v4: &[Ipv4Spec],
        v6: &[Ipv6Spec],
        kw4: &[gpfas::AddressKeyword2],
        kw6: &[gpfas::AddressKeyword2],
        active: bool,
    ) -> AddrSet {
        if v4.is_empty() && v6.is_empty() && kw4.is_empty() && kw6.is_empty() {
            return AddrSet::any();
        }
        let mut out = AddrSet::empty();
        let mut widened: BTreeSet<String> = BTreeSet::new();
        for s in v4 {
            match s.range() {
                Some((a, b)) => {
                    let (lo, hi) = (
                        u32::from(a).min(u32::from(b)),
                        u32::from(a).max(u32::from(b)),
                    );
                    out.v4 = out.v4.union(&IntervalSet::range(lo, hi));
                }
                None => {
                    widened.insert(format!("{token}4={s}"));
                    if !self.narrow {
                        out.v4 = IntervalSet::full();
                    }
                }
            }
        }
        for s in v6 {
            match s.range() {
                Some((a, b)) => {
                    let (lo, hi) = (
                        u128::from(a).min(u128::from(b)),
                        u128::from(a).max(u128::from(b)),
                    );
                    out.v6 = out.v6.union(&IntervalSet::range(lo, hi));
                }
                None => {
                    widened.insert(format!("{token}6={s}"));
                    if !self.narrow {
                        out.v6 = IntervalSet::full();
                    }
                }
            }
        }
        for k in kw4 {
            widened.insert(format!("{token}42={k}"));
            if !self.narrow {
                out.v4 = IntervalSet::full();
            }
        }
        for k in kw6 {
            widened.insert(format!("{token}62={k}"));
            if !self.narrow {
                out.v6 = IntervalSet::full();
            }
        }
        if active && !widened.is_empty() {
            let list: Vec<String> = widened.into_iter().collect();
            self.note(
                FindingCode::Widened,
                what,
                if self.narrow {
                    format!("address keyword(s) {} depend on the host's network; in a block they are read as no address (narrowest)", list.join(", "))
                } else {
                    format!("address keyword(s) {} depend on the host's network; read as every address of that family (widest)", list.join(", "))
                },
            );
        }
        out
    }

    fn consec(
        &mut self,
        id: &str,
        r: &ConSecRuleRecord,
        p1: &AuthSets,
        p2: &AuthSets,
        qm: &CryptoSets,
    ) -> Option<ConnectionSecurityRule> {
        let what = format!("ConSecRules!{id}");
        let (inbound, outbound) = match r.action {
            Some(ConSecAction::Boundary) => {
                (SecurityRequirement::Request, SecurityRequirement::Request)
            }
            Some(ConSecAction::SecureServer) => {
                (SecurityRequirement::Require, SecurityRequirement::Request)
            }
            Some(ConSecAction::Secure) => {
                (SecurityRequirement::Require, SecurityRequirement::Require)
            }
            Some(ConSecAction::DoNotSecure) => {
                self.note(
                    FindingCode::OutOfScope,
                    &what,
                    "exemption rule (DoNotSecure): it authenticates nothing; ignored",
                );
                return None;
            }
            None => {
                self.note(
                    FindingCode::UnreadableInput,
                    &what,
                    "no Action= token; connection security rule ignored",
                );
                return None;
            }
        };
        let mut enabled = r.is_active();
        let phase1 = match self.auth_methods(&what, AuthPhase::Phase1, r.auth1_set.as_deref(), p1) {
            Some(m) => m,
            None => {
                enabled = false;
                Vec::new()
            }
        };
        let phase2 = match r.auth2_set.as_deref() {
            None => Vec::new(),
            Some(set) => match self.auth_methods(&what, AuthPhase::Phase2, Some(set), p2) {
                Some(m) => m,
                None => {
                    enabled = false;
                    Vec::new()
                }
            },
        };
        // The quick-mode set (MS-GPFAS §2.2.5): null encapsulation first?
        let null_encapsulation = match r.crypto2_set.as_deref() {
            None => false,
            Some(set_id) => match qm.get(set_id) {
                Some(set) => set
                    .suites
                    .first()
                    .is_some_and(|(_, s)| s.is_auth_no_encap()),
                None => {
                    self.note(FindingCode::BrokenReference, &what, format!("Crypto2Set={set_id} names no Phase2CryptoSets key in this file; read as the default quick-mode set"));
                    false
                }
            },
        };
        let narrowed = !r.endpoint1_v4.is_empty()
            || !r.endpoint2_v4.is_empty()
            || !r.endpoint1_v6.is_empty()
            || !r.endpoint2_v6.is_empty()
            || !r.endpoint1_ports.is_empty()
            || !r.endpoint2_ports.is_empty()
            || r.protocol.is_some()
            || !r.interface_types.is_empty()
            || !r.interfaces.is_empty();
        if narrowed && r.is_active() {
            self.note(FindingCode::Widened, &what, "endpoint, port or protocol conditions not modelled; the rule is read as covering all traffic (widest)");
        }
        Some(ConnectionSecurityRule {
            id: id.to_owned(),
            name: r.name.clone().unwrap_or_else(|| id.to_owned()),
            description: r.description.clone().unwrap_or_default(),
            inbound,
            outbound,
            phase1,
            phase2,
            null_encapsulation,
            profiles: profiles_of(&r.profiles),
            enabled,
            kb: KbRow::K7,
        })
    }

    /// The Kerberos methods of the set a rule names; `None` when the
    /// reference dangles (Windows cannot apply such a rule).
    fn auth_methods(
        &mut self,
        what: &str,
        phase: AuthPhase,
        set_id: Option<&str>,
        sets: &AuthSets,
    ) -> Option<Vec<AuthMethod>> {
        let default = || match phase {
            AuthPhase::Phase1 => vec![AuthMethod::MachineKerberos],
            AuthPhase::Phase2 => Vec::new(),
        };
        let Some(id) = set_id else {
            self.note(FindingCode::DefaultAssumed, what, "no phase 1 set: the global default applies (Kerberos V5 computer unless changed elsewhere)");
            return Some(default());
        };
        if id.eq_ignore_ascii_case(phase.default_set_id()) {
            self.note(
                FindingCode::DefaultAssumed,
                what,
                format!("{id} is the global default set; assumed Kerberos V5"),
            );
            return Some(match phase {
                AuthPhase::Phase1 => vec![AuthMethod::MachineKerberos],
                AuthPhase::Phase2 => vec![AuthMethod::UserKerberos],
            });
        }
        let Some(set) = sets.get(id) else {
            self.note(
                FindingCode::BrokenReference,
                what,
                format!(
                    "names {} {id}, which the policy does not define; the rule cannot apply",
                    phase.key_name()
                ),
            );
            return None;
        };
        let mut out = Vec::new();
        for (_, suite) in &set.suites {
            match suite.method {
                Some(gpfas::AuthMethod::MachineKerb) => out.push(AuthMethod::MachineKerberos),
                Some(gpfas::AuthMethod::UserKerb) => out.push(AuthMethod::UserKerberos),
                ref other => self.note(
                    FindingCode::OutOfScope,
                    what,
                    format!("authentication method {other:?} of set {id} is not modelled; Kerberos is what smbguard reasons about"),
                ),
            }
        }
        Some(out)
    }

    fn defaults(&mut self, p: &FirewallPolicy, profile: Profile) -> ProfileDefaults {
        let mut d = ProfileDefaults::windows_default(profile);
        if let Some(s) = settings_for(p, profile) {
            d.enabled = s.firewall_enabled().unwrap_or(true);
            d.block_inbound = s.default_inbound() != Some(DefaultAction::Allow);
            d.block_outbound = s.default_outbound() == Some(DefaultAction::Block);
            d.shielded = s.shielded() == Some(true);
            d.local_rules = s.local_policy_merge() != Some(false);
            d.local_ipsec_rules = s.local_ipsec_policy_merge() != Some(false);
        }
        d
    }

    /// `DoNotAllowExceptions=1` ("shield up", MS-GPFAS §2.2.3.3): inbound
    /// allow and bypass rules do not apply in that profile.
    fn shield(&mut self, rules: &mut [WindowsRule], profile: Profile) {
        for r in rules.iter_mut() {
            if r.direction == Direction::Inbound
                && r.action != Action::Block
                && r.profiles.contains(profile)
            {
                let kept: Vec<Profile> = r.profiles.iter().filter(|p| *p != profile).collect();
                r.profiles = ProfileSet::of(&kept);
            }
        }
        self.note(
            FindingCode::ProfileSetting,
            format!("{profile} profile"),
            "DoNotAllowExceptions=1 (shield up): inbound allow and bypass rules are not applied in this profile",
        );
    }
}
