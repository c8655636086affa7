//! One test per KB3185535 row, with concrete flows on the bundled example
//! estate ("contoso"). Each asserts the verdict and the rule that decided it.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use smbguard_model::{EXAMPLE_ESTATE, Profile, Transport, parse_estate};
use smbguard_semantics::{
    Flow, FlowReport, HostPolicy, HostRules, KbRow, Plan, Profiles, ServiceSetting, StageKind,
    Verdict, check_flow, compile,
};

fn plan() -> Plan {
    compile(&parse_estate(EXAMPLE_ESTATE).unwrap().estate).unwrap()
}

fn flow(plan: &Plan, from: &str, to: &str, t: Transport, p: Profile) -> FlowReport {
    check_flow(
        plan,
        &Flow::new(from.parse().unwrap(), to.parse().unwrap(), t),
        Profiles::both(p),
    )
}

/// [`flow`] over SMB (TCP 445), the transport most of these rows are about.
fn smb(plan: &Plan, from: &str, to: &str, p: Profile) -> FlowReport {
    flow(plan, from, to, Transport::SMB, p)
}

/// The decisive rule of a stage: (name, KB row).
fn decided(r: &FlowReport, stage: StageKind) -> Option<(String, KbRow)> {
    let s = r.stages.iter().find(|s| s.stage == stage)?;
    let m = s.decision.as_ref()?.matched.iter().find(|m| m.decisive)?;
    Some((m.name.clone(), m.kb))
}

const NETBIOS_AND_SMB: [Transport; 4] = [
    Transport::SMB,
    Transport::NETBIOS_SESSION,
    Transport::NETBIOS_NAME,
    Transport::NETBIOS_DATAGRAM,
];

#[test]
fn k1_perimeter_blocks_smb_and_netbios_both_ways() {
    let plan = plan();
    for t in NETBIOS_AND_SMB {
        for to in [
            "198.18.0.10",
            "198.18.1.20",
            "198.18.16.5",
            "198.18.3.7",
            "2001:db8:1:10::5",
        ] {
            let from = if to.contains(':') {
                "2001:db8:ffff::1"
            } else {
                "203.0.113.9"
            };
            let r = flow(&plan, from, to, t, Profile::Domain);
            assert_eq!(r.verdict, Verdict::Block, "internet {from} -> {to} {t}");
            let (name, kb) = decided(&r, StageKind::Perimeter).unwrap();
            assert_eq!(kb, KbRow::K1, "{name}");
            assert!(name.starts_with("Block inbound"), "{name}");
        }
        // Outbound from an unmanaged internal host: only the perimeter stands in the way.
        let r = flow(&plan, "198.18.200.1", "203.0.113.9", t, Profile::Domain);
        assert_eq!(r.verdict, Verdict::Block);
        assert_eq!(decided(&r, StageKind::Perimeter).unwrap().1, KbRow::K1);
    }
}

#[test]
fn k2_only_the_named_cloud_endpoint_crosses_outbound_on_445() {
    let plan = plan();
    let ok = smb(&plan, "198.18.16.5", "203.0.113.85", Profile::Domain);
    assert_eq!(ok.verdict, Verdict::Allow, "{ok:#?}");
    assert_eq!(
        decided(&ok, StageKind::Perimeter).unwrap(),
        ("Allow outbound SMB 445 to azure-files".into(), KbRow::K2)
    );
    let other = smb(&plan, "198.18.16.5", "203.0.113.9", Profile::Domain);
    assert_eq!(other.verdict, Verdict::Block);
    // Outbound only: the endpoint cannot open SMB inward.
    let inward = smb(&plan, "203.0.113.85", "198.18.1.20", Profile::Domain);
    assert_eq!(inward.verdict, Verdict::Block);
    assert_eq!(decided(&inward, StageKind::Perimeter).unwrap().1, KbRow::K1);
    // 445 only: NetBIOS to the endpoint stays blocked.
    let nb = flow(
        &plan,
        "198.18.16.5",
        "203.0.113.85",
        Transport::NETBIOS_SESSION,
        Profile::Domain,
    );
    assert_eq!(nb.verdict, Verdict::Block);
}

#[test]
fn k3_rules_differ_per_profile() {
    let plan = plan();
    let domain = smb(&plan, "198.18.16.5", "198.18.0.10", Profile::Domain);
    assert_eq!(domain.verdict, Verdict::Allow);
    let private = smb(&plan, "198.18.16.5", "198.18.0.10", Profile::Private);
    assert_eq!(private.verdict, Verdict::Allow);
    let public = smb(&plan, "198.18.16.5", "198.18.0.10", Profile::Public);
    assert_eq!(public.verdict, Verdict::Block);
    assert_eq!(
        decided(&public, StageKind::SourceOutbound).unwrap(),
        ("Block outbound Guest/Public SMB 445".into(), KbRow::K6)
    );
}

#[test]
fn k4_workstation_to_workstation_is_blocked_in_every_profile() {
    let plan = plan();
    for p in Profile::ALL {
        for (a, b) in [
            ("198.18.16.5", "198.18.16.6"),
            ("2001:db8:1:10::5", "2001:db8:1:10::6"),
        ] {
            let r = smb(&plan, a, b, p);
            assert_eq!(r.verdict, Verdict::Block, "{a} -> {b} in {p}");
            let (name, kb) = decided(&r, StageKind::DestinationInbound).unwrap();
            assert_eq!(
                (name.as_str(), kb),
                ("Block all inbound SMB 445", KbRow::K4)
            );
        }
        // Member servers host no shares either.
        let r = smb(&plan, "198.18.16.5", "198.18.2.9", p);
        assert_eq!(r.verdict, Verdict::Block);
    }
    // The built-in SMB-In rules are disabled by ID on hosts without shares.
    let w = plan
        .host("workstations")
        .and_then(HostPolicy::windows)
        .unwrap();
    for id in [
        "FPS-SMB-In-TCP",
        "FPS-SMB-In-TCP-NoScope",
        "Netlogon-NamedPipe-In",
        "RemoteEventLogSvc-NP-In-TCP",
        "RemoteSvcAdmin-NP-In-TCP-NoScope",
    ] {
        assert!(w.disabled_builtins.contains(&id), "{id}");
    }
    let block = w
        .rules
        .iter()
        .find(|r| r.name == "Block all inbound SMB 445")
        .unwrap();
    assert!(block.profiles.is_all() && !block.edge_traversal && block.remote_addresses.is_any());
}

#[test]
fn k4_management_exception_reaches_workstations() {
    let plan = plan();
    let r = smb(&plan, "198.18.0.50", "198.18.16.9", Profile::Domain);
    assert_eq!(r.verdict, Verdict::Allow, "{r:#?}");
    assert_eq!(
        decided(&r, StageKind::DestinationInbound).unwrap().0,
        "Allow inbound SMB 445 from management hosts"
    );
    // Not on Public, and not from anyone else.
    assert_eq!(
        smb(&plan, "198.18.0.50", "198.18.16.9", Profile::Public).verdict,
        Verdict::Block
    );
    assert_eq!(
        smb(&plan, "198.18.0.51", "198.18.16.9", Profile::Domain).verdict,
        Verdict::Block
    );
}

#[test]
fn k5_file_server_serves_its_clients_only_and_never_on_public() {
    let plan = plan();
    let ws = smb(&plan, "198.18.16.5", "198.18.1.20", Profile::Domain);
    assert_eq!(ws.verdict, Verdict::Allow, "{ws:#?}");
    let kiosk = smb(&plan, "198.18.3.4", "198.18.1.20", Profile::Domain);
    assert_eq!(kiosk.verdict, Verdict::Block);
    let (name, kb) = decided(&kiosk, StageKind::DestinationInbound).unwrap();
    assert_eq!(
        (name.as_str(), kb),
        ("Block inbound SMB 445 from untrusted addresses", KbRow::K5)
    );
    // Even a legitimate client is refused when the server sits on a Public network.
    let public = check_flow(
        &plan,
        &Flow::new(
            "198.18.16.5".parse().unwrap(),
            "198.18.1.20".parse().unwrap(),
            Transport::SMB,
        ),
        Profiles {
            source: Profile::Domain,
            destination: Profile::Public,
        },
    );
    assert_eq!(public.verdict, Verdict::Block);
    assert_eq!(
        decided(&public, StageKind::DestinationInbound).unwrap().0,
        "Block inbound Guest/Public SMB 445"
    );
    // The Linux NAS serves workstations but not members.
    assert_eq!(
        smb(&plan, "198.18.16.5", "198.18.1.30", Profile::Domain).verdict,
        Verdict::Allow
    );
    assert_eq!(
        smb(&plan, "198.18.2.5", "198.18.1.30", Profile::Domain).verdict,
        Verdict::Block
    );
}

#[test]
fn k6_outbound_only_to_dcs_and_file_servers() {
    let plan = plan();
    let dc = smb(&plan, "198.18.16.5", "198.18.0.10", Profile::Domain);
    assert_eq!(
        decided(&dc, StageKind::SourceOutbound).unwrap(),
        ("Allow outbound Domain/Private SMB 445".into(), KbRow::K6)
    );
    let v6 = smb(&plan, "2001:db8:1:10::5", "2001:db8:1::10", Profile::Domain);
    assert_eq!(v6.verdict, Verdict::Allow);
    // A rogue SMB server inside the network, not in any group.
    let rogue = smb(&plan, "198.18.16.5", "198.18.99.99", Profile::Domain);
    assert_eq!(rogue.verdict, Verdict::Block);
    assert_eq!(
        decided(&rogue, StageKind::SourceOutbound).unwrap(),
        ("Block outbound Domain/Private SMB 445".into(), KbRow::K6)
    );
}

#[test]
fn k7_bypass_needs_the_isolation_rule_on_both_ends() {
    let plan = plan();
    let r = smb(&plan, "198.18.16.5", "198.18.0.10", Profile::Domain);
    let out = r
        .stages
        .iter()
        .find(|s| s.stage == StageKind::SourceOutbound)
        .unwrap();
    let m = out
        .decision
        .as_ref()
        .unwrap()
        .matched
        .iter()
        .find(|m| m.decisive)
        .unwrap();
    assert_eq!(m.action, "bypass");
    assert!(m.note.contains("IPsec on both ends"), "{}", m.note);
    // Remove the DCs' isolation rule: the bypass no longer applies and the block wins.
    let mut broken = plan.clone();
    let dcs = broken
        .hosts
        .iter_mut()
        .find(|h| h.group == "domain-controllers")
        .unwrap();
    let HostRules::Windows(w) = &mut dcs.rules else {
        panic!("windows")
    };
    assert_eq!(
        w.connection_security[0].name,
        "Isolation ESP Authentication for SMB overrides"
    );
    w.connection_security.clear();
    let r = flow(
        &broken,
        "198.18.16.5",
        "198.18.0.10",
        Transport::SMB,
        Profile::Domain,
    );
    assert_eq!(r.verdict, Verdict::Block);
    let out = r
        .stages
        .iter()
        .find(|s| s.stage == StageKind::SourceOutbound)
        .unwrap();
    let bypass = out
        .decision
        .as_ref()
        .unwrap()
        .matched
        .iter()
        .find(|m| m.action == "bypass")
        .unwrap();
    assert!(
        bypass
            .note
            .contains("peer has no matching connection security rule"),
        "{}",
        bypass.note
    );
}

#[test]
fn k8_services_disabled_only_on_isolated_hosts() {
    let plan = plan();
    for h in &plan.hosts {
        let services: Vec<&ServiceSetting> = match &h.rules {
            HostRules::Windows(w) => w.services.iter().collect(),
            HostRules::Linux(_) => vec![],
        };
        if h.group == "kiosks" {
            let names: Vec<&str> = services.iter().map(|s| s.service).collect();
            assert_eq!(names, ["LanmanServer", "LanmanWorkstation"]);
            assert!(services.iter().all(|s| s.kb == KbRow::K8));
        } else {
            assert!(services.is_empty(), "{} must keep its services", h.group);
        }
    }
    // And the isolated kiosk reaches no SMB at all.
    assert_eq!(
        smb(&plan, "198.18.3.4", "198.18.0.10", Profile::Domain).verdict,
        Verdict::Block
    );
}

#[test]
fn k9_smb1_removed_and_netbios_blocked_laterally() {
    let plan = plan();
    assert!(!plan.smb.smb1);
    assert!(plan.kb_rows().contains(&KbRow::K9));
    for t in [
        Transport::NETBIOS_SESSION,
        Transport::NETBIOS_NAME,
        Transport::NETBIOS_DATAGRAM,
    ] {
        for (a, b) in [
            ("198.18.16.5", "198.18.16.6"),
            ("198.18.16.5", "198.18.1.20"),
            ("198.18.16.5", "198.18.0.10"),
        ] {
            assert_eq!(
                flow(&plan, a, b, t, Profile::Domain).verdict,
                Verdict::Block,
                "{a} -> {b} {t}"
            );
        }
    }
}
