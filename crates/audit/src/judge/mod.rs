//! Judging what is deployed against the plan of the host's group: flow
//! differences over every SMB equivalence class, classified into findings
//! (docs/audit.md, "Findings"), and the settings that are not flows (SMB1,
//! signing, encryption, NTLM, profiles, merge).

mod classes;
mod fix;
mod flows;
mod settings;
mod walk;

use smbguard_model::Role;
use smbguard_semantics::{
    Acl, Decision, Difference, Direction, HostPolicy, Plan, Security, Verdict, WindowsPolicy,
};

use crate::audit_code::AuditCode;
use crate::bundle::HostSmb;
use crate::effective::Effective;
use crate::finding::{Finding, FindingCode};
use crate::report::{AuditFinding, Evidence, RuleRef, Store};
use flows::{Bucket, Differences};

pub(crate) use classes::Starts;
pub(crate) use walk::{PlanSide, plan_starts};

pub use fix::ps_quote;

/// What a judgement found, and how much it compared.
#[derive(Clone, Debug, Default)]
pub struct Judgement {
    /// The findings, unsorted.
    pub findings: Vec<AuditFinding>,
    /// SMB flow classes compared.
    pub classes: usize,
}

/// Judges a Windows host's effective policy (and SMB configuration, when
/// known) against the plan of `group`.
#[must_use]
pub fn judge_windows(
    plan: &Plan,
    group: &HostPolicy,
    actual: &Effective,
    smb: Option<&HostSmb>,
) -> Judgement {
    let Some(expected) = group.windows() else {
        return Judgement::default();
    };
    let side = PlanSide::new(plan, &group.addresses, expected, &plan_starts(plan));
    judge_windows_against(&side, group, actual, smb)
}

/// [`judge_windows`] with the plan side of `group` already computed (the
/// fleet audit computes it once per group).
pub(crate) fn judge_windows_against(
    side: &PlanSide<'_>,
    group: &HostPolicy,
    actual: &Effective,
    smb: Option<&HostSmb>,
) -> Judgement {
    let expected = side.expected;
    let diffs = walk::windows(side, &actual.policy);
    let cx = Context {
        group,
        stores: Some(actual),
        notes: &actual.notes,
        linux: None,
    };
    let mut findings = cx.classify(&diffs);
    findings.extend(settings::profiles(expected, &actual.policy));
    if let Some(smb) = smb {
        findings.extend(settings::smb(&side.plan.smb, smb, group.role));
    }
    settings::bypass_without_isolation(expected, actual, &mut findings);
    Judgement {
        findings,
        classes: diffs.classes,
    }
}

/// Judges a Linux host's input and output chains against its group.
#[must_use]
pub fn judge_linux(
    plan: &Plan,
    group: &HostPolicy,
    input: &Acl,
    output: &Acl,
    notes: &[Finding],
) -> Judgement {
    let smbguard_semantics::HostRules::Linux(l) = &group.rules else {
        return Judgement::default();
    };
    let mut diffs = Differences::default();
    flows::acl(
        plan,
        Some(&group.addresses),
        &l.input,
        input,
        Some(Direction::Inbound),
        &mut diffs,
    );
    flows::acl(
        plan,
        Some(&group.addresses),
        &l.output,
        output,
        Some(Direction::Outbound),
        &mut diffs,
    );
    let cx = Context {
        group,
        stores: None,
        notes,
        linux: Some([&l.input, &l.output]),
    };
    Judgement {
        findings: cx.classify(&diffs),
        classes: diffs.classes,
    }
}

/// Judges a perimeter device's forwarding ACL against the plan's.
#[must_use]
pub fn judge_perimeter(plan: &Plan, actual: &Acl, notes: &[Finding]) -> Judgement {
    let mut diffs = Differences::default();
    flows::acl(plan, None, &plan.perimeter, actual, None, &mut diffs);
    let findings = diffs
        .buckets
        .values()
        .map(|b| {
            let d = &b.first;
            let (code, title) = match d.actual.verdict {
                Verdict::Allow => (
                    AuditCode::PerimeterWider,
                    format!("perimeter permits {} the plan denies", flow_text(d)),
                ),
                Verdict::Block => (
                    AuditCode::VerdictDiffers,
                    format!("perimeter denies {} the plan permits", flow_text(d)),
                ),
            };
            let rules = acl_rules(&d.actual, Store::Perimeter, &[&plan.perimeter]);
            let mut f = AuditFinding::new(code, title, evidence(b, rules, notes, ""));
            f.fix = Some(fix::perimeter());
            f
        })
        .collect();
    Judgement {
        findings,
        classes: diffs.classes,
    }
}

/// `tcp/445 from A to B`.
fn flow_text(d: &Difference) -> String {
    format!(
        "{}/{} from {} to {}",
        d.flow.transport.proto.as_str(),
        d.flow.transport.port,
        d.flow.source,
        d.flow.destination
    )
}

/// Whether a deployed first-match rule named `name` (its nft or iptables
/// comment) is one of the plan's `acls` entries. The emitters write
/// `NAME [Kn]` cleaned for the firewall's comment syntax (quotes swapped,
/// control characters dropped, cut to the length limit), so names are
/// compared on their letters and digits, a cut comment by its prefix.
fn declared_in(acls: &[&Acl], name: &str) -> bool {
    let letters = |s: &str| -> String { s.chars().filter(|c| c.is_alphanumeric()).collect() };
    let deployed = letters(name.trim_end().trim_end_matches("..."));
    !deployed.is_empty()
        && acls.iter().flat_map(|a| &a.entries).any(|e| {
            let planned = letters(&format!("{} [{}]", e.name, e.kb));
            planned == deployed
                || (name.trim_end().ends_with("...") && planned.starts_with(&deployed))
        })
}

fn acl_rules(d: &Decision, store: Store, acls: &[&Acl]) -> Vec<RuleRef> {
    d.matched
        .iter()
        .filter(|m| m.decisive)
        .map(|m| RuleRef {
            id: m.id.clone(),
            name: m.name.clone(),
            store,
            action: m.action.clone(),
            declared: declared_in(acls, &m.name),
        })
        .collect()
}

/// The evidence of a bucket: its first flow, its size, the rules, and what
/// the readers approximated about those rules (`input` is the location in
/// front of every note: the notes are matched on what follows it, so the
/// evidence does not depend on the file's name).
fn evidence(b: &Bucket, rules: Vec<RuleRef>, notes: &[Finding], input: &str) -> Evidence {
    let approximated = notes
        .iter()
        .filter(|n| n.code == FindingCode::Widened || n.code == FindingCode::BrokenReference)
        .filter(|n| {
            let at = n.location.strip_prefix(input).unwrap_or(&n.location);
            rules
                .iter()
                .any(|r| at.ends_with(&format!("!{}", r.id)) || at.contains(&r.name))
        })
        .map(|n| format!("{}: {}", n.location, n.message))
        .collect();
    Evidence {
        detail: format!(
            "plan: {} ({}); deployed: {} ({})",
            b.first.expected.verdict.as_str(),
            b.first.expected.reason,
            b.first.actual.verdict.as_str(),
            b.first.actual.reason
        ),
        rules,
        direction: b.first.direction,
        profile: b.first.profile,
        trace: Some(Box::new(b.first.clone())),
        classes: b.classes,
        approximated,
    }
}

struct Context<'a> {
    group: &'a HostPolicy,
    /// The Windows stores, for rule provenance.
    stores: Option<&'a Effective>,
    notes: &'a [Finding],
    /// For a Linux host, the plan's input and output chains.
    linux: Option<[&'a Acl; 2]>,
}

impl Context<'_> {
    fn declared(&self, id: &str) -> bool {
        self.group.windows().is_some_and(|w| {
            w.rules.iter().any(|r| r.id.eq_ignore_ascii_case(id))
                || smbguard_semantics::builtin::lookup(id).is_some()
        })
    }

    /// The rules of a decision worth naming: the decisive one, then those
    /// that did not apply for a reason the finding is about.
    fn rules(&self, d: &Decision) -> Vec<RuleRef> {
        if let Some(acls) = self.linux {
            return acl_rules(d, Store::Linux, &acls);
        }
        let mut ms: Vec<_> = d.matched.iter().collect();
        ms.sort_by_key(|m| !m.decisive);
        ms.into_iter()
            .filter(|m| m.decisive || m.action != "block")
            .map(|m| RuleRef {
                id: m.id.clone(),
                name: m.name.clone(),
                store: self
                    .stores
                    .map_or(Store::AssumedBuiltIn, |s| s.store_of(&m.id)),
                action: m.action.clone(),
                declared: self.declared(&m.id),
            })
            .collect()
    }

    fn actual_rule(&self, id: &str) -> Option<&smbguard_semantics::WindowsRule> {
        let p: &WindowsPolicy = &self.stores?.policy;
        p.effective_rules().find(|r| r.id == id)
    }

    /// The code of a difference (docs/audit.md: the most specific wins).
    fn code(&self, d: &Difference) -> AuditCode {
        let role = self.group.role;
        match (d.direction, d.actual.verdict) {
            (Some(Direction::Inbound), Verdict::Allow) if role.hosts_shares() => {
                AuditCode::ServerExposed
            }
            (Some(Direction::Inbound), Verdict::Allow) => AuditCode::SmbInboundOpen,
            (_, Verdict::Allow) => AuditCode::LateralOutbound,
            (_, Verdict::Block) => self.blocked_code(d),
        }
    }

    /// Why a flow the plan allows is blocked.
    fn blocked_code(&self, d: &Difference) -> AuditCode {
        let shadowed_secure = d.actual.matched.iter().any(|m| {
            m.action == "allow"
                && self
                    .actual_rule(&m.id)
                    .is_some_and(|r| r.security != Security::None)
        });
        let decisive_block = d
            .actual
            .matched
            .iter()
            .any(|m| m.decisive && m.action == "block");
        if shadowed_secure && decisive_block {
            return AuditCode::AllowIfSecureShadowed;
        }
        let bypass_without_ipsec = d
            .actual
            .matched
            .iter()
            .any(|m| m.action == "bypass" && m.note.contains("connection security rule"));
        if bypass_without_ipsec {
            return AuditCode::BypassWithoutIsolation;
        }
        let undeclared = d
            .actual
            .matched
            .iter()
            .find(|m| m.decisive)
            .is_some_and(|m| {
                if let Some(acls) = self.linux {
                    !declared_in(&acls, &m.name)
                } else {
                    !self.declared(&m.id)
                }
            });
        if undeclared {
            AuditCode::UndeclaredRule
        } else {
            AuditCode::SmbNeededBlocked
        }
    }

    fn classify(&self, diffs: &Differences) -> Vec<AuditFinding> {
        let mut out = Vec::new();
        for b in diffs.buckets.values() {
            let d = &b.first;
            // A profile with the firewall off is one finding (SG-H010), not
            // one per flow.
            if d.actual.reason.starts_with("the firewall is off") {
                continue;
            }
            let code = self.code(d);
            let rules = self.rules(&d.actual);
            let title = self.title(code, d);
            let input = self.stores.map_or("", |s| s.location.as_str());
            let mut f = AuditFinding::new(code, title, evidence(b, rules, self.notes, input));
            f.fix = Some(fix::for_flow(
                code,
                self.group,
                &f.evidence,
                self.linux.is_some(),
            ));
            out.push(f);
        }
        out
    }

    fn title(&self, code: AuditCode, d: &Difference) -> String {
        let flow = flow_text(d);
        let profile = d.profile.map(|p| format!(" ({p})")).unwrap_or_default();
        let g = &self.group.group;
        let by = d.actual.matched.iter().find(|m| m.decisive).map_or_else(
            || "by the profile default".to_owned(),
            |m| format!("by rule \"{}\"", m.name),
        );
        match code {
            AuditCode::SmbInboundOpen => {
                format!(
                    "inbound SMB open on a {} host ({g}): {flow}{profile} allowed {by}",
                    role_name(self.group.role)
                )
            }
            AuditCode::ServerExposed => format!(
                "{} ({g}) reachable where the plan refuses: {flow}{profile} allowed {by}",
                role_name(self.group.role)
            ),
            AuditCode::LateralOutbound => {
                format!("lateral outbound SMB allowed ({g}): {flow}{profile} {by}")
            }
            AuditCode::AllowIfSecureShadowed => format!(
                "allow-if-secure without override is beaten by a block ({g}): {flow}{profile} blocked {by}"
            ),
            AuditCode::BypassWithoutIsolation => format!(
                "authenticated bypass cannot apply, no connection security rule ({g}): {flow}{profile} blocked"
            ),
            AuditCode::UndeclaredRule => {
                format!(
                    "undeclared rule changes an SMB verdict ({g}): {flow}{profile} blocked {by}"
                )
            }
            _ => format!("SMB the plan needs is blocked ({g}): {flow}{profile} blocked {by}"),
        }
    }
}

fn role_name(r: Role) -> &'static str {
    r.as_str()
}

#[cfg(test)]
mod tests {
    use smbguard_model::{AddrSet, PortSet};
    use smbguard_semantics::{Acl, AclAction, AclEntry, KbRow};

    use super::declared_in;

    fn acl(name: &str) -> Acl {
        Acl {
            name: "input".into(),
            entries: vec![AclEntry {
                name: name.into(),
                action: AclAction::Deny,
                protocol: None,
                source: AddrSet::any(),
                destination: AddrSet::any(),
                destination_ports: PortSet::single(445),
                kb: KbRow::K5,
            }],
            default: AclAction::Permit,
        }
    }

    #[test]
    fn linux_rules_are_declared_by_their_emitted_comment() {
        let a = acl("Block inbound SMB 445 from \"untrusted\" addresses");
        // As nft writes it: quotes swapped for apostrophes.
        assert!(declared_in(
            &[&a],
            "Block inbound SMB 445 from 'untrusted' addresses [K5]"
        ));
        // Cut to nft's comment limit.
        assert!(declared_in(&[&a], "Block inbound SMB 445 from 'untr..."));
        // A rule named by its place (no comment), or another rule's name, is not.
        assert!(!declared_in(&[&a], "inet smbguard input handle 7"));
        assert!(!declared_in(&[&a], "Block inbound SMB 445 [K5]"));
        assert!(!declared_in(&[&a], ""));
    }
}
