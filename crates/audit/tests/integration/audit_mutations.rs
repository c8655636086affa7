//! Acceptance: one mutated configuration per finding type yields exactly
//! the expected finding, and its trace is what `check_flow` says of the
//! same flow when the host's group is given the deployed policy.

use smbguard_audit::{AuditFinding, Bundle, HostAudit, RegValueData};
use smbguard_emit::Target;
use smbguard_model::Strategy;
use smbguard_semantics::{Direction, HostRules, Plan, Profiles, StageKind, check_flow};

use crate::audit_support::{
    artifacts, audit, codes, compliant_bundle, example, set_smb, show, value,
};

/// A compliant bundle of `group`'s host under the ipsec-bypass example.
fn setup(group: &str) -> (Plan, Bundle) {
    setup_in(Strategy::IpsecBypass, group)
}

fn setup_in(strategy: Strategy, group: &str) -> (Plan, Bundle) {
    let (estate, plan) = example(strategy);
    let arts = artifacts(&estate, &plan, &[Target::Gpo]);
    let b = compliant_bundle(&plan, &arts, group);
    (plan, b)
}

/// The GPO rule string whose ID ends with `suffix`.
fn gpo_rule<'a>(b: &'a mut Bundle, suffix: &str) -> &'a mut String {
    let v = b
        .firewall
        .gpo
        .iter_mut()
        .find(|v| v.key.eq_ignore_ascii_case("FirewallRules") && v.name.ends_with(suffix))
        .unwrap_or_else(|| panic!("no GPO rule *{suffix}"));
    match &mut v.data {
        RegValueData::Text(t) => t,
        _ => panic!("rule value is not a string"),
    }
}

/// Checks that the host's findings are exactly `want` (codes), and that
/// every flow trace is confirmed by `check_flow` with the deployed policy.
fn expect(plan: &Plan, b: &Bundle, want: &[&str]) -> HostAudit {
    let a = audit(plan, b);
    assert_eq!(codes(&a), want, "{}:\n{}", b.host.name, show(&a.findings));
    for f in &a.findings {
        confirm(plan, b, f);
    }
    a
}

/// `check_flow` on a plan whose host group carries the deployed policy
/// gives the trace's deployed verdict at the host's stage.
fn confirm(plan: &Plan, b: &Bundle, f: &AuditFinding) {
    let Some(t) = &f.evidence.trace else { return };
    let eff = b.firewall.effective("check");
    let mut deployed = plan.clone();
    let host_ip = b.addresses()[0];
    let g = deployed
        .hosts
        .iter_mut()
        .find(|h| h.addresses.contains(host_ip))
        .expect("group");
    g.rules = HostRules::Windows(eff.policy.clone());
    let profile = t.profile.expect("a Windows trace has a profile");
    let report = check_flow(&deployed, &t.flow, Profiles::both(profile));
    let stage = match t.direction {
        Some(Direction::Inbound) => StageKind::DestinationInbound,
        _ => StageKind::SourceOutbound,
    };
    let s = report
        .stages
        .iter()
        .find(|s| s.stage == stage)
        .expect("stage");
    // check_flow derives IPsec from the plan's groups; the trace may assume
    // a peer in no group. Confirm when the contexts agree.
    let d = s.decision.as_ref().expect("a policy at the host");
    if t.ipsec.as_ref().is_none_or(|c| !c.peer) || d.verdict == t.actual.verdict {
        assert_eq!(
            d.verdict,
            t.actual.verdict,
            "{}: check_flow disagrees with the trace on {:?}\n{:#?}",
            f.code.id(),
            t.flow,
            d
        );
    }
}

#[test]
fn compliant_hosts_have_no_findings() {
    let (plan, b) = setup("workstations");
    expect(&plan, &b, &[]);
}

#[test]
fn firewall_profile_off_is_sg_h010() {
    let (plan, mut b) = setup("workstations");
    b.firewall
        .gpo
        .retain(|v| !(v.key == "DomainProfile" && v.name == "EnableFirewall"));
    b.firewall.gpo.push(value(
        "DomainProfile",
        "EnableFirewall",
        RegValueData::Number(0),
    ));
    expect(&plan, &b, &["SG-H010"]);
}

#[test]
fn smb1_client_re_enabled_is_sg_h007() {
    let (plan, mut b) = setup("workstations");
    b.smb.smb1_feature = "enabled".into();
    set_smb(
        &mut b,
        r"SYSTEM\CurrentControlSet\Services\mrxsmb10",
        "Start",
        2,
    );
    let a = expect(&plan, &b, &["SG-H007"]);
    assert!(
        a.findings[0].title.contains("client"),
        "{}",
        a.findings[0].title
    );
}

#[test]
fn encryption_weaker_is_sg_h008() {
    let (plan, mut b) = setup("file-server");
    set_smb(
        &mut b,
        r"SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters",
        "EncryptData",
        0,
    );
    expect(&plan, &b, &["SG-H008"]);
}

#[test]
fn ntlm_allowed_is_sg_h009() {
    let (plan, mut b) = setup("workstations");
    set_smb(
        &mut b,
        r"Software\Policies\Microsoft\Windows\LanmanWorkstation",
        "BlockNTLM",
        0,
    );
    expect(&plan, &b, &["SG-H009"]);
}

#[test]
fn local_merge_switched_on_is_sg_h011() {
    let (mut plan, b) = setup("workstations");
    for h in &mut plan.hosts {
        if let HostRules::Windows(w) = &mut h.rules {
            for d in &mut w.profile_defaults {
                d.local_rules = false;
            }
        }
    }
    expect(&plan, &b, &["SG-H011"]);
}

#[test]
fn shielded_mode_on_a_dc_is_sg_h014() {
    let (plan, mut b) = setup("domain-controllers");
    b.firewall.gpo.push(value(
        "DomainProfile",
        "DoNotAllowExceptions",
        RegValueData::Number(1),
    ));
    let a = expect(&plan, &b, &["SG-H014"]);
    let t = a.findings[0].evidence.trace.as_ref().expect("trace");
    assert!(
        t.actual.matched.iter().any(|m| m.note.contains("shielded")),
        "{:#?}",
        t.actual
    );
}

#[test]
fn outbound_block_disabled_is_sg_h002() {
    let (plan, mut b) = setup("workstations");
    let r = gpo_rule(&mut b, "-out-block-trusted-tcp445");
    *r = r.replace("Active=TRUE", "Active=FALSE");
    expect(&plan, &b, &["SG-H002"]);
}

#[test]
fn connection_security_rule_deleted_is_sg_h006() {
    let (plan, mut b) = setup("workstations");
    b.firewall
        .gpo
        .retain(|v| !v.key.eq_ignore_ascii_case("ConSecRules"));
    expect(&plan, &b, &["SG-H006"]);
}

#[test]
fn dangling_auth_set_is_sg_h006_with_the_reader_note() {
    let (plan, mut b) = setup("workstations");
    for v in &mut b.firewall.gpo {
        if v.key.eq_ignore_ascii_case("ConSecRules") {
            if let RegValueData::Text(t) = &mut v.data {
                let start = t.find("Auth1Set=").expect("Auth1Set");
                let end = start + t[start..].find('|').expect("|");
                t.replace_range(
                    start..end,
                    "Auth1Set={00000000-0000-0000-0000-00000000dead}",
                );
            }
        }
    }
    let a = expect(&plan, &b, &["SG-H006"]);
    assert!(
        a.notes.iter().any(|n| n.code.id() == "SG-A003"),
        "{:?}",
        a.notes
    );
}

#[test]
fn bypass_without_override_is_sg_h005() {
    let (plan, mut b) = setup("workstations");
    let r = gpo_rule(&mut b, "-out-bypass-servers-tcp445");
    *r = r.replace("AuthByPassOut=TRUE|", "");
    expect(&plan, &b, &["SG-H005"]);
}

#[test]
fn management_bypass_scope_widened_is_sg_h001() {
    let (plan, mut b) = setup("workstations");
    let r = gpo_rule(&mut b, "-in-allow-mgmt-tcp445");
    // Every RA4 token becomes the whole internal range.
    let kept: Vec<&str> = r.split('|').filter(|t| !t.starts_with("RA4=")).collect();
    *r = kept
        .join("|")
        .replacen("|Name=", "|RA4=198.18.0.0/15|Name=", 1);
    expect(&plan, &b, &["SG-H001"]);
}

#[test]
fn management_bypass_sddl_broadened_is_sg_h001() {
    let (plan, mut b) = setup("workstations");
    let r = gpo_rule(&mut b, "-in-allow-mgmt-tcp445");
    let start = r.find("RMauth=").expect("RMauth");
    let end = start + r[start..].find('|').expect("|");
    // Domain Computers of the example domain added beside the sensors' own
    // group: every member may now open SMB to the workstations.
    r.insert_str(
        end,
        "(A;;CC;;;S-1-5-21-1004336348-1177238915-682003330-515)",
    );
    expect(&plan, &b, &["SG-H001"]);
}

#[test]
fn third_party_bypass_with_an_innocent_name_is_sg_h001() {
    let (plan, mut b) = setup("workstations");
    b.firewall.local.push(value(
        "FirewallRules",
        "{8D3A6E0B-2C1F-4B5E-9A7D-5F1C3E2B4A60}",
        RegValueData::Text("v2.33|Action=ByPass|Active=TRUE|Dir=In|Protocol=6|LPort=445|Security=Authenticate|RMauth=D:(A;;CC;;;S-1-5-21-1004336348-1177238915-682003330-3104)|Name=Backup agent|".into()),
    ));
    let a = expect(&plan, &b, &["SG-H001"]);
    let f = &a.findings[0];
    assert!(
        f.evidence
            .rules
            .iter()
            .any(|r| r.name == "Backup agent" && !r.declared),
        "{f:#?}"
    );
}

#[test]
fn block_narrowed_to_one_program_with_a_renamed_builtin_is_sg_h001() {
    let (plan, mut b) = setup("workstations");
    let r = gpo_rule(&mut b, "-in-block-tcp445");
    *r = r.replacen("|Name=", "|App=C:\\tools\\foo.exe|Name=", 1);
    // The stock SMB-In rule, copied under another ID (the GPO disables the original's ID).
    b.firewall.local.push(value(
        "FirewallRules",
        "FPS-SMB-In-TCP-Copy",
        RegValueData::Text("v2.33|Action=Allow|Active=TRUE|Dir=In|Protocol=6|Profile=Domain|LPort=445|App=System|Name=File and Printer Sharing (SMB-In)|".into()),
    ));
    let a = expect(&plan, &b, &["SG-H001"]);
    assert!(
        a.notes.iter().any(|n| n.message.contains("narrowest")),
        "the narrowed block is noted: {:?}",
        a.notes
    );
}

#[test]
fn same_id_rule_in_a_lower_store_changes_nothing() {
    let (plan, mut b) = setup("workstations");
    let id = b
        .firewall
        .gpo
        .iter()
        .find(|v| v.name.ends_with("-in-block-tcp445"))
        .expect("block")
        .name
        .clone();
    b.firewall.local.push(value(
        "FirewallRules",
        &id,
        RegValueData::Text(
            "v2.33|Action=Allow|Active=TRUE|Dir=In|Protocol=6|LPort=445|Name=x|".into(),
        ),
    ));
    expect(&plan, &b, &[]);
}

#[test]
fn undeclared_block_breaking_the_dc_path_is_sg_h012() {
    // Under `complement` the DC path is a plain allow, which a block beats
    // (under `ipsec-bypass` the authenticated bypass overrides it).
    let (plan, mut b) = setup_in(Strategy::Complement, "workstations");
    b.firewall.local.push(value(
        "FirewallRules",
        "Legacy-Block",
        RegValueData::Text("v2.33|Action=Block|Active=TRUE|Dir=Out|Protocol=6|RPort=445|RA4=198.18.0.10|Name=Legacy|".into()),
    ));
    expect(&plan, &b, &["SG-H012"]);
}
