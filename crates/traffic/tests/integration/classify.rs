//! Classification against an estate and the Plan's impact, one test per
//! category, on the fixtures with small estates that place their hosts.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use crate::common;

use crate::common::fixtures_dir;
use smbguard_model::{EXAMPLE_ESTATE, Estate, Profile, parse_estate};
use smbguard_semantics::{KbRow, StageKind, Verdict, compile};
use smbguard_traffic::classify::{Category, Endpoint, PolicyBreach, classify, impact};
use smbguard_traffic::{FlowRecord, Options, analyze_file, analyze_file_mmap};

/// 192.168.10.10 is DC1, .30 (admin-pc) and .31 are workstations: the
/// ProtectWise captures' hosts.
const LAB: &str = r#"
[estate]
name = "lab"
internal = ["192.168.10.0/24", "192.168.1.0/24"]

[[groups]]
name = "dcs"
role = "domain-controller"
addresses = ["192.168.10.10"]

[[groups]]
name = "workstations"
role = "workstation"
addresses = ["192.168.10.30", "192.168.10.31", "192.168.1.10", "192.168.1.12"]

[[groups]]
name = "file-servers"
role = "file-server"
addresses = ["192.168.1.2", "192.168.1.51"]
clients = ["workstations"]
"#;

/// 172.171.65.181 inside, .180 a declared cloud endpoint (outbound).
const EDGE: &str = r#"
[estate]
name = "edge"
internal = ["172.171.65.181/32", "192.168.100.0/24"]

[[groups]]
name = "dcs"
role = "domain-controller"
addresses = ["192.168.100.10"]

[[groups]]
name = "workstations"
role = "workstation"
addresses = ["172.171.65.181", "192.168.100.168"]

[[perimeter.allow]]
name = "cloud-files"
addresses = ["172.171.65.180", "10.160.67.244"]
direction = "outbound"
transports = ["tcp/445"]
require-encryption = true
"#;

/// 172.171.65.180 inside (a DC); its client .181 on the internet.
const INBOUND: &str = r#"
[estate]
name = "inbound"
internal = ["172.171.65.180/32"]

[[groups]]
name = "dcs"
role = "domain-controller"
addresses = ["172.171.65.180"]
"#;

fn estate(text: &str) -> Estate {
    parse_estate(text).expect("test estate is valid").estate
}

fn flows(name: &str) -> Vec<FlowRecord> {
    analyze_file(fixtures_dir().join(name), &Options::default())
        .expect("fixture reads")
        .flows
}

/// Categories of the flows to `server_port` 445 in a fixture.
fn smb_categories(estate_text: &str, fixture: &str) -> Vec<Vec<Category>> {
    let e = estate(estate_text);
    flows(fixture)
        .iter()
        .filter(|f| f.server_port == 445)
        .map(|f| classify(&e, f).categories)
        .collect()
}

fn has(cats: &[Vec<Category>], c: Category) -> bool {
    cats.iter().any(|v| v.contains(&c))
}

#[test]
fn lateral_workstation_to_workstation_with_admin_share() {
    let cats = smb_categories(LAB, "sv__smb210_copy_to_admin_c_share.pcap");
    assert_eq!(cats, vec![vec![Category::Lateral, Category::AdminShare]]);
}

#[test]
fn approved_server_dc() {
    let cats = smb_categories(LAB, "sv__smb210_net_user_domain_to_dc.pcap");
    assert_eq!(cats, vec![vec![Category::ApprovedServer]]);
}

#[test]
fn approved_file_server_only_for_its_clients() {
    let cats = smb_categories(LAB, "sv__smb302_cleartext_file_delete.pcap");
    assert!(cats.iter().all(|c| c.contains(&Category::ApprovedServer)));
    let not_client = LAB.replace(
        "\"192.168.1.12\"]",
        "]\n\n[[groups]]\nname = \"m\"\nrole = \"member\"\naddresses = [\"192.168.1.12\"]",
    );
    let cats = smb_categories(&not_client, "sv__smb302_cleartext_file_delete.pcap");
    assert!(!has(&cats, Category::ApprovedServer), "{cats:?}");
}

#[test]
fn admin_share_and_remote_service_pipes() {
    let cats = smb_categories(LAB, "sv__smb210_psexec_add_user_nbns.pcap");
    assert!(has(&cats, Category::AdminShare));
    assert!(
        cats.iter()
            .any(|c| c.contains(&Category::RemoteService) && c.contains(&Category::ApprovedServer))
    );
}

#[test]
fn perimeter_inbound() {
    let cats = smb_categories(INBOUND, "sv__smb1_file_transfer_public_ips.pcap");
    assert!(!cats.is_empty());
    for c in &cats {
        assert!(c.contains(&Category::PerimeterInbound), "{c:?}");
        assert!(
            !c.contains(&Category::ApprovedServer),
            "internet is never approved"
        );
    }
}

#[test]
fn perimeter_outbound_to_cloud_exception_without_encryption() {
    let cats = smb_categories(EDGE, "sv__smb1_file_transfer_public_ips.pcap");
    assert!(!cats.is_empty());
    for c in &cats {
        for want in [
            Category::PerimeterOutbound,
            Category::CloudException,
            Category::CloudUnencrypted,
            Category::Smb1,
        ] {
            assert!(c.contains(&want), "{want:?} missing from {c:?}");
        }
        assert!(
            !c.contains(&Category::UnknownHost),
            "a cloud endpoint is known"
        );
    }
}

#[test]
fn encrypted_smb311_to_cloud_exception_meets_k2() {
    let e = estate(EDGE);
    let f = flows("zeek__smb311_encrypted_transform_only.pcap");
    let c = classify(&e, &f[0]);
    assert_eq!(c.cloud_exception.as_deref(), Some("cloud-files"));
    assert_eq!(
        c.categories,
        vec![Category::PerimeterOutbound, Category::CloudException]
    );
}

#[test]
fn smb1_used_not_merely_offered() {
    let cats = smb_categories(LAB, "sv__smb1_only_osx.pcap");
    assert!(has(&cats, Category::Smb1), "{cats:?}");
    // The C$ capture offers SMB1 but negotiates 2.1.
    let e = estate(EXAMPLE_ESTATE);
    let f = flows("sv__smb1_to_smb2_transition_c_share.pcap");
    assert!(f.iter().any(|f| f.smb.offered_smb1));
    assert!(
        f.iter()
            .all(|f| !classify(&e, f).categories.contains(&Category::Smb1))
    );
}

#[test]
fn cleartext_smb3() {
    let cats = smb_categories(LAB, "sv__smb302_cleartext_file_delete.pcap");
    assert!(has(&cats, Category::CleartextSmb3));
    let e = estate(EDGE);
    let f = flows("zeek__smb311_encrypted_transform_only.pcap");
    assert!(
        !classify(&e, &f[0])
            .categories
            .contains(&Category::CleartextSmb3)
    );
}

#[test]
fn unknown_hosts() {
    let e = estate(EXAMPLE_ESTATE);
    let f = flows("sv__smb210_net_user_domain_to_dc.pcap");
    let c = classify(&e, &f[0]);
    assert_eq!(c.categories, vec![Category::UnknownHost]);
    assert_eq!(c.client, Endpoint::Internet);
    let lab = estate(&LAB.replace("\"192.168.10.10\"", "\"192.168.10.11\""));
    let c = classify(&lab, &f[0]);
    assert_eq!(c.server, Endpoint::UnknownInternal);
    assert!(c.categories.contains(&Category::UnknownHost));
}

#[test]
fn lateral_flow_would_be_blocked_with_its_rule() {
    let e = estate(LAB);
    let plan = compile(&e).expect("compiles");
    let f = flows("sv__smb210_copy_to_admin_c_share.pcap");
    let report = impact(&e, &plan, &f, Profile::Domain);
    assert_eq!(report.flows[0].verdict, Verdict::Block);
    assert_eq!(report.blocked.len(), 1);
    let row = &report.blocked[0];
    assert_eq!(
        (
            row.source.as_str(),
            row.destination.as_str(),
            row.transport.as_str(),
            row.flows
        ),
        ("workstations", "workstations", "tcp/445", 1)
    );
    assert_eq!(row.rule.stage, StageKind::SourceOutbound);
    assert_eq!(row.rule.kb, Some(KbRow::K6));
    assert!(row.rule.name.contains("SMB 445"), "{}", row.rule.name);
}

#[test]
fn dc_traffic_is_not_blocked_and_inbound_from_internet_is() {
    let e = estate(LAB);
    let plan = compile(&e).expect("compiles");
    let f = flows("sv__smb210_net_user_domain_to_dc.pcap");
    let report = impact(&e, &plan, &f, Profile::Domain);
    assert!(report.flows.iter().all(|f| f.verdict == Verdict::Allow));
    assert!(report.blocked.is_empty());

    let e = estate(INBOUND);
    let plan = compile(&e).expect("compiles");
    let f = flows("sv__smb1_file_transfer_public_ips.pcap");
    let report = impact(&e, &plan, &f, Profile::Domain);
    let row = &report.blocked[0];
    assert_eq!(
        (row.source.as_str(), row.destination.as_str()),
        ("internet", "dcs")
    );
    assert_eq!(
        (row.rule.stage, row.rule.kb),
        (StageKind::Perimeter, Some(KbRow::K1))
    );
}

#[test]
fn mmap_matches_streaming_on_every_fixture() {
    for path in common::fixtures() {
        let a = analyze_file(&path, &Options::default()).unwrap();
        let b = analyze_file_mmap(&path, &Options::default()).unwrap();
        assert_eq!(a.flows, b.flows, "{}", path.display());
        assert_eq!(a.warnings, b.warnings, "{}", path.display());
    }
}

/// The policy breaches of every flow to 445 in a fixture, with the firewall
/// verdicts.
fn policy_of(estate_text: &str, fixture: &str) -> Vec<(Verdict, Vec<PolicyBreach>)> {
    let e = estate(estate_text);
    let plan = compile(&e).expect("compiles");
    let f = flows(fixture);
    impact(&e, &plan, &f, Profile::Domain)
        .flows
        .into_iter()
        .filter(|x| x.flow.server_port == 445 && x.flow.smb.dialect.is_some())
        .map(|x| (x.verdict, x.policy))
        .collect()
}

#[test]
fn policy_verdict_sits_beside_the_firewall_verdict() {
    // Issue 15: the verdict was firewall-only. sv__smb302_cleartext_file_delete.pcap:
    // 192.168.1.12 -> 192.168.1.51 (an approved file server: the firewall
    // allows it), SMB 3.0.2 without encryption, NTLM (frame with
    // `ntlmssp.messagetype == 3`).
    let fixture = "sv__smb302_cleartext_file_delete.pcap";
    let required = format!("{LAB}\n[smb]\nencryption = \"required\"\n");
    assert_eq!(
        policy_of(&required, fixture),
        vec![(
            Verdict::Allow,
            vec![PolicyBreach::CleartextSmb3, PolicyBreach::Ntlm]
        )]
    );
    // Encryption only desired, NTLM allowed: the same traffic complies.
    let lax = format!("{LAB}\n[smb]\nblock-ntlm = false\n");
    assert_eq!(policy_of(&lax, fixture), vec![(Verdict::Allow, vec![])]);
    // A declared NTLM exception for the server lifts the NTLM breach.
    let excepted = format!("{LAB}\n[smb]\nntlm-exceptions = [\"192.168.1.51\"]\n");
    assert_eq!(
        policy_of(&excepted, fixture),
        vec![(Verdict::Allow, vec![])]
    );
    // SMB1 where the estate removes it (the default).
    let smb1 = policy_of(LAB, "sv__smb1_only_osx.pcap");
    assert!(
        smb1.iter().any(|(_, p)| p.contains(&PolicyBreach::Smb1)),
        "{smb1:?}"
    );
}
