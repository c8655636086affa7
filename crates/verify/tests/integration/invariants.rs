//! One test per invariant: break exactly that invariant, in the estate
//! (TOML edits, recompiled) where the estate can express the mistake, or in
//! the compiled plan where only drift can (a share that re-enables a built-in
//! rule, a rule deleted by hand, a perimeter entry removed), and check that
//! `verify` fails it, alone, with a counterexample `check_flow` reproduces.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use crate::common::*;
use smbguard_model::{Profile, Role, ServiceState, Transport};
use smbguard_semantics::{
    HostPolicy, HostRules, KbRow, Plan, ServiceSetting, StageKind, Verdict, WindowsPolicy,
};
use smbguard_verify::{Observe, Status, guard, verify};

fn host<'a>(plan: &'a mut Plan, name: &str) -> &'a mut HostPolicy {
    plan.hosts.iter_mut().find(|h| h.group == name).unwrap()
}

fn windows<'a>(plan: &'a mut Plan, name: &str) -> &'a mut WindowsPolicy {
    match &mut host(plan, name).rules {
        HostRules::Windows(w) => w,
        HostRules::Linux(_) => panic!("{name} is not Windows"),
    }
}

fn in_group(plan: &Plan, ip: std::net::IpAddr, name: &str) -> bool {
    plan.host_of(ip).is_some_and(|h| h.group == name)
}

#[test]
fn i1_a_share_re_enabling_the_builtin_smb_rule_opens_workstations() {
    let (estate, mut plan) = example();
    // KB3185535: "Windows devices will allow inbound SMB communication only if
    // an administrator creates an SMB share" — which enables this rule. The
    // article's "Block all inbound SMB 445" still overrides it (see the
    // lints test); here someone also deleted that block rule.
    let w = windows(&mut plan, "workstations");
    w.disabled_builtins.retain(|id| *id != "FPS-SMB-In-TCP");
    w.rules.retain(|r| !r.id.ends_with("in-block-tcp445"));
    let r = verify(&plan, &estate);
    assert_fails_exactly(&plan, &r, &["I1"]);
    let f = &r.invariant("I1").unwrap().failures[0];
    let flow = f.flow.unwrap();
    assert!(in_group(&plan, flow.destination, "workstations"));
    assert_eq!(flow.transport, Transport::SMB);
    assert_ne!(
        f.profiles.unwrap().destination,
        Profile::Domain,
        "the stock rule is Private/Public"
    );
    assert_eq!(f.observe, Observe::DestinationInbound);
    assert!(
        f.decisive
            .iter()
            .any(|d| d.id == "FPS-SMB-In-TCP" && d.stage == StageKind::DestinationInbound)
    );
    assert!(
        f.explanation.contains("File and Printer Sharing (SMB-In)"),
        "{}",
        f.explanation
    );
    assert!(guard(&plan, &estate).is_err());
}

#[test]
fn i2_a_kiosk_whose_outbound_block_is_gone_reaches_the_domain_controllers() {
    let (estate, mut plan) = example();
    windows(&mut plan, "kiosks")
        .rules
        .retain(|r| !r.id.ends_with("out-block-all-tcp445"));
    let r = verify(&plan, &estate);
    assert_fails_exactly(&plan, &r, &["I2"]);
    let f = &r.invariant("I2").unwrap().failures[0];
    assert_eq!(f.clause, "isolated hosts → anywhere");
    let flow = f.flow.unwrap();
    assert!(in_group(&plan, flow.source, "kiosks"));
    assert_eq!(f.observed, Verdict::Allow);
    assert_eq!(f.trace.as_ref().unwrap().verdict, Verdict::Allow);
}

#[test]
fn i3_dcs_restricted_to_the_file_server_lock_members_out() {
    let refused = example_refused_with(
        "sid = \"S-1-5-21-1004336348-1177238915-682003330-516\"\n",
        "sid = \"S-1-5-21-1004336348-1177238915-682003330-516\"\nclients = [\"file-server\"]\n",
    );
    assert!(
        refused
            .iter()
            .any(|d| d.code == "member-without-dc" && d.message.contains("invariant I3")),
        "{refused:#?}"
    );
    // The same plan, built past the loader, still fails `verify` on I3.
    let (estate, plan) = example_edited(|e| {
        let fs = e
            .groups
            .iter()
            .position(|g| g.name == "file-server")
            .unwrap();
        let fs_addresses = e.groups[fs].addresses.clone();
        let dc = e
            .groups
            .iter_mut()
            .find(|g| g.name == "domain-controllers")
            .unwrap();
        dc.clients = fs_addresses;
        dc.client_groups = vec![fs];
    });
    let r = verify(&plan, &estate);
    assert_fails_exactly(&plan, &r, &["I3"]);
    let f = &r.invariant("I3").unwrap().failures[0];
    let flow = f.flow.unwrap();
    assert!(in_group(&plan, flow.destination, "domain-controllers"));
    assert_eq!(f.profiles.unwrap().source, Profile::Domain);
    assert_eq!(f.observed, Verdict::Block);
    let err = guard(&plan, &estate).unwrap_err();
    assert_eq!(err.failed.len(), 1);
    assert!(err.to_string().contains("I3"));
}

#[test]
fn i3_without_the_isolation_rule_on_the_dcs_the_bypass_fails() {
    let (estate, mut plan) = example();
    windows(&mut plan, "domain-controllers")
        .connection_security
        .clear();
    let r = verify(&plan, &estate);
    let i3 = r.invariant("I3").unwrap();
    assert_eq!(i3.status, Status::Fail, "{}", describe(&r));
    for f in &i3.failures {
        assert_reproduces(&plan, f);
    }
    let f = &i3.failures[0];
    assert!(
        f.explanation.contains("connection security rule"),
        "the explanation must say the bypass needs IPsec on both ends: {}",
        f.explanation
    );
    // The same IPsec loss also breaks file-server reachability? No: clients
    // reach the file server with its own isolation rule. Only I3 fails.
    assert_fails_exactly(&plan, &r, &["I3"]);
}

#[test]
fn i3_proof_cites_the_bypass_and_the_isolation_rule_on_both_ends() {
    let (estate, plan) = example();
    let r = verify(&plan, &estate);
    let i3 = r.invariant("I3").unwrap();
    assert_eq!(i3.status, Status::Pass);
    let e = i3
        .proof
        .iter()
        .find(|e| in_group(&plan, e.flow.source, "workstations"))
        .unwrap();
    assert!(e.decided_by.iter().any(|d| d.action == "bypass"));
    assert_eq!(e.isolation.len(), 2);
    assert_eq!(e.isolation[0].group, "workstations");
    assert_eq!(e.isolation[1].group, "domain-controllers");
    assert!(
        e.text
            .contains("Isolation ESP Authentication for SMB overrides")
    );
    assert!(e.text.contains("both ends"));
}

#[test]
fn i4_a_client_group_that_cannot_open_smb_cannot_reach_its_file_server() {
    let refused = example_refused_with(
        "clients = [\"workstations\"]\n",
        "clients = [\"workstations\", \"kiosks\"]\n",
    );
    assert!(
        refused
            .iter()
            .any(|d| d.code == "isolated-client" && d.message.contains("invariant I4")),
        "{refused:#?}"
    );
    // The same plan, built past the loader, still fails `verify` on I4.
    let (estate, plan) = example_edited(|e| {
        let kiosks = e.groups.iter().position(|g| g.name == "kiosks").unwrap();
        let kiosk_addresses = e.groups[kiosks].addresses.clone();
        let nas = e.groups.iter_mut().find(|g| g.name == "nas").unwrap();
        nas.clients = nas.clients.union(&kiosk_addresses);
        nas.client_groups.push(kiosks);
    });
    let r = verify(&plan, &estate);
    assert_fails_exactly(&plan, &r, &["I4"]);
    let f = &r.invariant("I4").unwrap().failures[0];
    assert_eq!(f.clause, "`nas` is reachable from its clients");
    let flow = f.flow.unwrap();
    assert!(in_group(&plan, flow.source, "kiosks"));
    assert!(in_group(&plan, flow.destination, "nas"));
}

#[test]
fn i4_a_file_server_open_to_everyone() {
    let (estate, mut plan) = example();
    let w = windows(&mut plan, "file-server");
    w.rules
        .retain(|r| !r.id.ends_with("in-block-untrusted-tcp445"));
    for r in &mut w.rules {
        if r.id.ends_with("in-allow-clients-tcp445") {
            r.remote_addresses = smbguard_model::AddrSet::any();
        }
    }
    let r = verify(&plan, &estate);
    assert_fails_exactly(&plan, &r, &["I4"]);
    let f = &r.invariant("I4").unwrap().failures[0];
    assert_eq!(
        f.clause,
        "`file-server` accepts SMB only from its clients and management hosts"
    );
    let s = f.flow.unwrap().source;
    assert!(!estate.groups[1].clients.contains(s));
}

#[test]
fn i4_a_domain_controller_accepting_smb_on_public() {
    let (estate, mut plan) = example();
    let w = windows(&mut plan, "domain-controllers");
    w.rules
        .retain(|r| !r.id.ends_with("in-block-profile-tcp445"));
    for r in &mut w.rules {
        if r.id.ends_with("in-allow-clients-tcp445") {
            r.profiles = smbguard_model::ProfileSet::ALL;
        }
    }
    let r = verify(&plan, &estate);
    assert_fails_exactly(&plan, &r, &["I4"]);
    let i4 = r.invariant("I4").unwrap();
    let f = i4
        .failures
        .iter()
        .find(|f| f.clause == "`domain-controllers` accepts nothing on the Public profile")
        .unwrap();
    assert_eq!(f.profiles.unwrap().destination, Profile::Public);
}

#[test]
fn i5_perimeter_without_the_inbound_smb_block() {
    let (estate, mut plan) = example();
    plan.perimeter
        .entries
        .retain(|e| !(e.kb == KbRow::K1 && e.name == "Block inbound SMB 445 from the internet"));
    let r = verify(&plan, &estate);
    assert_fails_exactly(&plan, &r, &["I5"]);
    let f = &r.invariant("I5").unwrap().failures[0];
    assert_eq!(f.clause, "internet → internal");
    let flow = f.flow.unwrap();
    assert!(!estate.internal.contains(flow.source));
    assert!(estate.internal.contains(flow.destination));
    assert!(plan.host_of(flow.source).is_none() && plan.host_of(flow.destination).is_none());
    // Both ends are in no group: the whole flow crosses, not only the perimeter stage.
    assert_eq!(f.trace.as_ref().unwrap().verdict, Verdict::Allow);
}

#[test]
fn i5_a_cloud_exception_is_honoured_only_in_its_declared_direction() {
    let (estate, mut plan) = example();
    // Flip the azure-files entry to inbound: the declared direction is outbound.
    for e in &mut plan.perimeter.entries {
        if e.kb == KbRow::K2 {
            std::mem::swap(&mut e.source, &mut e.destination);
        }
    }
    let r = verify(&plan, &estate);
    assert_fails_exactly(&plan, &r, &["I5"]);
    let f = &r.invariant("I5").unwrap().failures[0];
    let flow = f.flow.unwrap();
    assert!(estate.perimeter_allow[0].addresses.contains(flow.source));
}

#[test]
fn i6_server_service_disabled_on_a_member() {
    // Issue 13: K8 forbids only Server on DCs/file servers and Workstation on
    // domain members; a member without shares may turn its Server off.
    let (estate, plan) = example_with(
        "description = \"Servers that host no SMB shares.\"\n",
        "description = \"Servers that host no SMB shares.\"\nservices = { server = \"disabled\" }\n",
    );
    let r = verify(&plan, &estate);
    assert_fails_exactly(&plan, &r, &[]);
}

#[test]
fn i6_services_the_compiler_refuses_are_caught_in_a_drifted_plan() {
    for (group, service, why) in [
        (
            "file-server",
            "LanmanServer",
            "never disable the Server service",
        ),
        (
            "workstations",
            "LanmanWorkstation",
            "never disable the Workstation service",
        ),
    ] {
        let (estate, mut plan) = example();
        windows(&mut plan, group).services.push(ServiceSetting {
            service,
            state: ServiceState::Disabled,
            kb: KbRow::K8,
        });
        let r = verify(&plan, &estate);
        assert_fails_exactly(&plan, &r, &["I6"]);
        let f = &r.invariant("I6").unwrap().failures[0];
        assert!(f.explanation.contains(why), "{}", f.explanation);
        assert_ne!(f.service.as_ref().unwrap().role, Role::Isolated);
    }
}

#[test]
fn user_invariants_pass_and_fail_with_counterexamples() {
    let extra = r#"
[[invariants]]
name = "workstations reach the NAS"
from = ["workstations"]
to = ["nas"]
transport = "tcp/445"
profile = ["domain", "private"]
expect = "allow"

[[invariants]]
name = "kiosks never reach the file server"
from = ["kiosks"]
to = ["file-server"]
transport = "tcp/445"
expect = "block"

[[invariants]]
name = "members reach the NAS"
from = ["members"]
to = ["nas"]
transport = "tcp/445"
profile = ["domain"]
expect = "allow"
"#;
    let (estate, plan) = load(&format!("{}{extra}", smbguard_model::EXAMPLE_ESTATE));
    let r = verify(&plan, &estate);
    assert_fails_exactly(&plan, &r, &["U3"]);
    assert_eq!(
        r.invariant("U1").unwrap().title,
        "workstations reach the NAS"
    );
    let f = &r.invariant("U3").unwrap().failures[0];
    let flow = f.flow.unwrap();
    assert!(in_group(&plan, flow.source, "members"));
    assert!(in_group(&plan, flow.destination, "nas"));
    assert_eq!(f.observed, Verdict::Block);
    assert!(
        guard(&plan, &estate).is_ok(),
        "the guard checks built-in invariants only"
    );
}

#[test]
fn i7_an_outbound_block_that_forgot_ipv6_lets_workstations_reach_rogue_servers() {
    let (estate, mut plan) = example();
    for r in &mut windows(&mut plan, "workstations").rules {
        if r.id.ends_with("out-block-trusted-tcp445") {
            r.remote_addresses.v6 = smbguard_model::IntervalSet::empty();
        }
    }
    let r = verify(&plan, &estate);
    assert_fails_exactly(&plan, &r, &["I7"]);
    let f = &r.invariant("I7").unwrap().failures[0];
    let flow = f.flow.unwrap();
    assert!(
        flow.source.is_ipv6() && flow.destination.is_ipv6(),
        "{flow:?}"
    );
    assert!(in_group(&plan, flow.source, "workstations"));
    assert!(
        plan.host_of(flow.destination).is_none(),
        "a rogue server in no group"
    );
    assert!(
        estate.internal.contains(flow.destination),
        "inside the network"
    );
    assert_eq!(f.observe, Observe::SourceOutbound);
    assert!(
        r.lints.iter().any(|l| l.code == "ipv4-only-rule"),
        "{:?}",
        r.lints
    );
}

/// Shielded mode (`DoNotAllowExceptions = 1`) from another GPO in the
/// input, applied to the group's profile settings as the GPFAS reader
/// lowers it: no inbound allow or bypass applies in the Domain profile.
fn shield(plan: &mut Plan, name: &str) {
    let w = windows(plan, name);
    for d in &mut w.profile_defaults {
        if d.profile == Profile::Domain {
            d.shielded = true;
        }
    }
}

#[test]
fn i3_a_gpo_putting_the_dcs_in_shielded_mode_cuts_them_off() {
    let (estate, mut plan) = example();
    shield(&mut plan, "domain-controllers");
    let r = verify(&plan, &estate);
    assert!(
        failed_ids(&r).contains(&"I3".to_string()),
        "{}",
        describe(&r)
    );
    let f = &r.invariant("I3").unwrap().failures[0];
    let flow = f.flow.unwrap();
    assert!(in_group(&plan, flow.destination, "domain-controllers"));
    assert_eq!(f.observed, Verdict::Block);
    assert_reproduces(&plan, f);
    let trace = f.trace.as_ref().unwrap();
    assert!(
        format!("{trace:?}").contains("shielded mode"),
        "the trace says why: {trace:?}"
    );
}

#[test]
fn i4_a_gpo_putting_the_file_server_in_shielded_mode_cuts_its_clients_off() {
    let (estate, mut plan) = example();
    shield(&mut plan, "file-server");
    let r = verify(&plan, &estate);
    assert_fails_exactly(&plan, &r, &["I4"]);
    let f = &r.invariant("I4").unwrap().failures[0];
    assert!(in_group(&plan, f.flow.unwrap().destination, "file-server"));
    assert_eq!(f.observed, Verdict::Block);
}

#[test]
fn merge_off_drops_a_reenabled_builtin_rule() {
    // A share re-enables the stock SMB rule and the block rule is gone: I1
    // fails; with AllowLocalPolicyMerge = 0 the local (built-in) rule is not
    // enforced, so the workstations are closed again.
    let (estate, mut plan) = example();
    let w = windows(&mut plan, "workstations");
    w.disabled_builtins.retain(|id| *id != "FPS-SMB-In-TCP");
    w.rules.retain(|r| !r.id.ends_with("in-block-tcp445"));
    assert!(failed_ids(&verify(&plan, &estate)).contains(&"I1".to_string()));
    for d in &mut windows(&mut plan, "workstations").profile_defaults {
        d.local_rules = false;
    }
    let r = verify(&plan, &estate);
    assert!(
        !failed_ids(&r).contains(&"I1".to_string()),
        "{}",
        describe(&r)
    );
}
