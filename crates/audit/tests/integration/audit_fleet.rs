//! Acceptance (issue 14, point 7): the fleet audit (bundles streamed,
//! judged in parallel, the plan side computed once per group, one judgement
//! per distinct configuration) gives exactly what auditing each bundle on
//! its own gives, in input order; on the synthetic fleet every drifted host
//! has the finding its drift calls for and every other host none.

use smbguard_audit::{
    AuditError, AuditReport, Bundle, FleetInput, GroupChoice, HostAudit, audit_bundle, audit_fleet,
    read_bundle,
};
use smbguard_semantics::Plan;
use smbguard_testkit::fleet::{Drift, Fleet, Params};

/// A fleet small enough for a test.
fn small_fleet(hosts: usize) -> Fleet {
    Fleet::new(&Params {
        groups: 15,
        hosts,
        ranges: 80,
        seed: 7,
        drifted_per_mille: 120,
        host_specific: false,
    })
}

fn location(i: usize) -> String {
    format!("bundles/host-{i}.json")
}

/// Each input on its own, in order: what the CLI did before the fleet audit.
fn one_by_one(plan: &Plan, inputs: &[(String, String)]) -> Result<Vec<HostAudit>, AuditError> {
    inputs
        .iter()
        .map(|(loc, text)| {
            let b = read_bundle(text, loc)?;
            audit_bundle(plan, &b, GroupChoice::Infer, loc)
        })
        .collect()
}

fn fleet_audit(plan: &Plan, inputs: &[(String, String)]) -> Result<Vec<HostAudit>, AuditError> {
    let stream = inputs.iter().map(|(location, text)| {
        Ok(FleetInput::Bundle {
            location: location.clone(),
            text: text.clone(),
        })
    });
    audit_fleet(plan, GroupChoice::Infer, stream, &|| {})
}

/// The fleet's bundles collected twice (every configuration's
/// judgement is reused), plus inputs
/// that must not take the judgement of the host they copy: a bundle moved
/// to another group's address (same stores, other group).
fn inputs(fleet: &Fleet) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for round in ["monday", "tuesday"] {
        out.extend(
            (0..fleet.params.hosts).map(|i| (format!("{round}/{}", location(i)), fleet.bundle(i))),
        );
    }
    // A file name holding a rule's name: the evidence does not depend on it.
    out.push(("elsewhere/Backup agent.json".to_owned(), fleet.bundle(3)));
    let mut moved: Bundle = serde_json::from_str(&fleet.bundle(5)).expect("bundle");
    let other: Bundle = serde_json::from_str(&fleet.bundle(6)).expect("bundle");
    moved.host.addresses = other.host.addresses;
    out.push((
        "moved.json".to_owned(),
        serde_json::to_string(&moved).expect("json"),
    ));
    out
}

#[test]
fn fleet_audit_equals_the_bundle_by_bundle_audit() {
    let fleet = small_fleet(150);
    let inputs = inputs(&fleet);
    let want = one_by_one(&fleet.plan, &inputs).expect("audits");
    let got = fleet_audit(&fleet.plan, &inputs).expect("audits");
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "{}", w.source);
    }
    let report = |hosts| AuditReport::new(&fleet.estate.name, "test", hosts);
    assert_eq!(report(got), report(want));
}

#[test]
fn every_drifted_host_has_its_finding_and_no_other_host_has_any() {
    let fleet = small_fleet(400);
    let inputs: Vec<(String, String)> = (0..fleet.params.hosts)
        .map(|i| (location(i), fleet.bundle(i)))
        .collect();
    let hosts = fleet_audit(&fleet.plan, &inputs).expect("audits");
    let mut drifted = 0;
    let mut kinds = Vec::new();
    for (i, h) in hosts.iter().enumerate() {
        let host = fleet.host(i);
        assert_eq!(h.host, host.name);
        assert_eq!(h.group.as_deref(), Some(host.group.as_str()));
        let codes: Vec<&str> = h.findings.iter().map(|f| f.code.id()).collect();
        let Some(drift) = host.drift else {
            assert!(codes.is_empty(), "{}: {codes:?}", h.host);
            continue;
        };
        drifted += 1;
        if !kinds.contains(&drift) {
            kinds.push(drift);
        }
        let servers = ["dc-", "fs-"].iter().any(|p| host.group.starts_with(p));
        let want = match drift {
            Drift::PublicProfileOff => "SG-H010",
            Drift::Smb1On => "SG-H007",
            Drift::SigningOff => "SG-H008",
            Drift::InboundOpen if servers => "SG-H003",
            Drift::InboundOpen => "SG-H001",
            Drift::OutboundBlockOff => "SG-H002",
        };
        assert!(codes.contains(&want), "{} {drift:?}: {codes:?}", h.host);
    }
    assert!(drifted >= 20, "{drifted} drifted hosts");
    assert_eq!(kinds.len(), 5, "{kinds:?}");
}

#[test]
fn the_first_bad_input_is_the_error_as_one_by_one() {
    let fleet = small_fleet(60);
    let mut inputs: Vec<(String, String)> = (0..fleet.params.hosts)
        .map(|i| (location(i), fleet.bundle(i)))
        .collect();
    inputs[17].1 = "{\"schema\": \"smbguard-evidence/1\"}".to_owned();
    let mut nowhere: Bundle = serde_json::from_str(&inputs[40].1).expect("bundle");
    nowhere.host.addresses = vec!["192.0.2.1".to_owned()];
    inputs[40].1 = serde_json::to_string(&nowhere).expect("json");
    let want = one_by_one(&fleet.plan, &inputs).expect_err("fails");
    assert!(want.to_string().contains("host-17"), "{want}");
    assert_eq!(fleet_audit(&fleet.plan, &inputs).expect_err("fails"), want);
    inputs[17].1 = fleet.bundle(17);
    let want = one_by_one(&fleet.plan, &inputs).expect_err("fails");
    assert!(matches!(want, AuditError::NoGroup { .. }), "{want}");
    assert_eq!(fleet_audit(&fleet.plan, &inputs).expect_err("fails"), want);
}

#[test]
fn inputs_audited_elsewhere_keep_their_place() {
    let fleet = small_fleet(30);
    let mut inputs: Vec<Result<FleetInput, AuditError>> = Vec::new();
    let mut want = Vec::new();
    for i in 0..fleet.params.hosts {
        let text = fleet.bundle(i);
        let b = read_bundle(&text, &location(i)).expect("bundle");
        let a = audit_bundle(&fleet.plan, &b, GroupChoice::Infer, &location(i)).expect("audits");
        if i % 7 == 3 {
            // Stands for a registry.pol or an nftables ruleset read by the CLI.
            let mut other = a.clone();
            other.host = format!("other-{i}");
            inputs.push(Ok(FleetInput::Audited(Box::new(other.clone()))));
            want.push(other);
        } else {
            inputs.push(Ok(FleetInput::Bundle {
                location: location(i),
                text,
            }));
            want.push(a);
        }
    }
    let got =
        audit_fleet(&fleet.plan, GroupChoice::Infer, inputs.into_iter(), &|| {}).expect("audits");
    assert_eq!(got, want);
}

/// The benchmark's worst case (no two hosts share a judgement) gives the
/// one-by-one audit's result, and the rule each host has of its own (a
/// listener on a port no plan rule names) changes no SMB verdict.
#[test]
fn host_specific_rules_share_no_judgement_and_change_no_finding() {
    let params = |host_specific| Params {
        groups: 15,
        hosts: 40,
        ranges: 80,
        seed: 7,
        drifted_per_mille: 120,
        host_specific,
    };
    let (plain, specific) = (Fleet::new(&params(false)), Fleet::new(&params(true)));
    let inputs = |fleet: &Fleet| -> Vec<(String, String)> {
        (0..fleet.params.hosts)
            .map(|i| (location(i), fleet.bundle(i)))
            .collect()
    };
    let got = fleet_audit(&specific.plan, &inputs(&specific)).expect("audits");
    let want = one_by_one(&specific.plan, &inputs(&specific)).expect("audits");
    assert_eq!(got, want);
    let before = fleet_audit(&plain.plan, &inputs(&plain)).expect("audits");
    let mut hashes: Vec<&str> = got.iter().map(|h| h.policy_hash.as_str()).collect();
    hashes.sort_unstable();
    hashes.dedup();
    assert_eq!(hashes.len(), got.len(), "every host's stores differ");
    for (a, b) in got.iter().zip(&before) {
        let codes = |h: &HostAudit| h.findings.iter().map(|f| f.code).collect::<Vec<_>>();
        assert_eq!(codes(a), codes(b), "{}", a.host);
        assert_ne!(a.policy_hash, b.policy_hash, "{}", a.host);
    }
}
