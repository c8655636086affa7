//! Each lint fires on the mistake it names, and none fires on the example.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use crate::common::*;
use smbguard_model::{EXAMPLE_ESTATE, PortSet, ProfileSet, Proto};
use smbguard_semantics::{
    Action, Direction, HostRules, KbRow, Plan, Security, WindowsPolicy, WindowsRule,
};
use smbguard_verify::{Lint, broad_sid, verify};

fn windows<'a>(plan: &'a mut Plan, name: &str) -> &'a mut WindowsPolicy {
    match &mut plan
        .hosts
        .iter_mut()
        .find(|h| h.group == name)
        .unwrap()
        .rules
    {
        HostRules::Windows(w) => w,
        HostRules::Linux(_) => panic!("{name} is not Windows"),
    }
}

fn lints_of(estate: &smbguard_model::Estate, plan: &Plan, code: &str) -> Vec<Lint> {
    verify(plan, estate)
        .lints
        .into_iter()
        .filter(|l| l.code == code)
        .collect()
}

#[test]
fn the_example_has_no_lints() {
    let (estate, plan) = example();
    let r = verify(&plan, &estate);
    assert!(r.lints.is_empty(), "{:#?}", r.lints);
}

#[test]
fn dead_allow_a_builtin_rule_the_block_all_rule_overrides() {
    let (estate, mut plan) = example();
    windows(&mut plan, "workstations")
        .disabled_builtins
        .retain(|id| *id != "FPS-SMB-In-TCP");
    let l = lints_of(&estate, &plan, "dead-allow");
    assert_eq!(l.len(), 1, "{l:#?}");
    assert_eq!(l[0].rule_id.as_deref(), Some("FPS-SMB-In-TCP"));
    assert!(
        l[0].message.contains("Block all inbound SMB 445"),
        "{}",
        l[0].message
    );
    // The invariants still hold: the article's block rule wins.
    assert!(verify(&plan, &estate).passed);
}

#[test]
fn dead_allow_allow_if_secure_without_override_block_rules() {
    let (estate, mut plan) = example();
    let mut r = WindowsRule::new(
        "secure-allow",
        "Allow outbound SMB to DCs if secure",
        Direction::Outbound,
        Action::Allow,
        KbRow::K6,
    );
    r.protocol = Some(Proto::Tcp);
    r.remote_ports = PortSet::single(445);
    r.profiles = ProfileSet::TRUSTED;
    r.security = Security::AuthenticateNoEncap;
    r.remote_addresses = "198.18.0.10".parse().unwrap();
    windows(&mut plan, "members").rules.push(r);
    let l = lints_of(&estate, &plan, "dead-allow");
    assert_eq!(l.len(), 1, "{l:#?}");
    assert!(
        l[0].message.contains("override block rules"),
        "{}",
        l[0].message
    );
}

#[test]
fn outbound_rule_on_the_local_port() {
    let (estate, mut plan) = example();
    let mut r = WindowsRule::new(
        "wrong-port",
        "Block outbound SMB (wrong port)",
        Direction::Outbound,
        Action::Block,
        KbRow::K6,
    );
    r.protocol = Some(Proto::Tcp);
    r.local_ports = PortSet::single(445);
    windows(&mut plan, "workstations").rules.push(r);
    let l = lints_of(&estate, &plan, "outbound-local-port");
    assert_eq!(l.len(), 1, "{l:#?}");
    assert_eq!(l[0].rule_id.as_deref(), Some("wrong-port"));
}

#[test]
fn bypass_without_isolation_on_the_host_or_its_peers() {
    let (estate, mut plan) = example();
    windows(&mut plan, "domain-controllers")
        .connection_security
        .clear();
    let l = lints_of(&estate, &plan, "bypass-without-isolation");
    // The DCs' own outbound bypass, and every bypass towards the DCs.
    assert!(
        l.iter()
            .any(|x| x.group.as_deref() == Some("domain-controllers"))
    );
    let ws = l
        .iter()
        .find(|x| x.group.as_deref() == Some("workstations"))
        .expect("the workstations' bypass to the DCs");
    assert!(
        ws.message.contains("`domain-controllers`"),
        "{}",
        ws.message
    );
}

#[test]
fn bypass_authorising_domain_computers_is_broad() {
    assert_eq!(
        broad_sid("S-1-5-21-1004336348-1177238915-682003330-515"),
        Some("Domain Computers")
    );
    assert_eq!(
        broad_sid("S-1-5-21-1004336348-1177238915-682003330-3103"),
        None
    );
    assert_eq!(broad_sid("S-1-1-0"), Some("Everyone"));
    assert_eq!(broad_sid("S-1-5-11"), Some("Authenticated Users"));
    // Workstations declared with the Domain Computers SID (a common mistake):
    // a management exception *from* them authorises every domain computer.
    let estate_text = EXAMPLE_ESTATE.replace(
        "S-1-5-21-1004336348-1177238915-682003330-3104",
        "S-1-5-21-1004336348-1177238915-682003330-515",
    );
    assert_ne!(
        estate_text, EXAMPLE_ESTATE,
        "the example's workstations SID moved"
    );
    let extra = r#"
[[management]]
name = "workstations-to-members"
from = ["workstations"]
to = ["members"]
transports = ["tcp/445"]
"#;
    let (estate, plan) = load(&format!("{estate_text}{extra}"));
    let l = lints_of(&estate, &plan, "bypass-broad-group");
    // The members' inbound management bypass, and the outbound bypass of
    // every group that opens SMB to the workstations, now scoped by the
    // workstations' (broad) SID too.
    assert_eq!(l.len(), 2, "{l:#?}");
    assert!(l.iter().any(|x| x.group.as_deref() == Some("members")));
    assert!(l.iter().all(|x| x.message.contains("Domain Computers")));
}

#[test]
fn ipv4_only_block_leaves_ipv6_open() {
    let (estate, mut plan) = example();
    for r in &mut windows(&mut plan, "members").rules {
        if r.id.ends_with("out-block-public-tcp445") {
            r.remote_addresses = smbguard_model::AddrSet::any_v4();
        }
    }
    let l = lints_of(&estate, &plan, "ipv4-only-rule");
    // members have no IPv6 address: nothing is open on IPv6 for them.
    assert!(l.is_empty(), "{l:#?}");
    for r in &mut windows(&mut plan, "workstations").rules {
        if r.id.ends_with("out-block-public-tcp445") {
            r.remote_addresses = smbguard_model::AddrSet::any_v4();
        }
    }
    let l = lints_of(&estate, &plan, "ipv4-only-rule");
    assert_eq!(l.len(), 1, "{l:#?}");
    assert!(l[0].message.contains("Public"), "{}", l[0].message);
}

#[test]
fn perimeter_exception_without_encryption() {
    let (estate, plan) = example_with("require-encryption = true", "require-encryption = false");
    let l = lints_of(&estate, &plan, "perimeter-unencrypted");
    assert_eq!(l.len(), 1, "{l:#?}");
    assert!(l[0].message.contains("azure-files"));
}

/// `edge-traversal`: an inbound SMB allow that also admits edge-traversal
/// (Teredo) traffic is named; a block over it, or shielded mode in every
/// profile it covers, silences it, because the lint asks the engine what
/// the host accepts through edge traversal, not just what the rule says.
#[test]
fn edge_traversal_on_an_smb_allow_is_flagged_unless_something_blocks_it() {
    let (estate, mut plan) = example();
    let w = windows(&mut plan, "file-server");
    let allow = w
        .rules
        .iter_mut()
        .find(|r| {
            r.direction == Direction::Inbound
                && r.action == Action::Allow
                && r.local_ports.contains(445)
        })
        .expect("the file server's inbound SMB allow");
    allow.edge_traversal = true;
    let id = allow.id.clone();
    let found = lints_of(&estate, &plan, "edge-traversal");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].rule_id.as_deref(), Some(id.as_str()));
    assert!(found[0].message.contains("Teredo"), "{}", found[0].message);

    let mut shielded = plan.clone();
    for d in &mut windows(&mut shielded, "file-server").profile_defaults {
        d.shielded = true;
    }
    assert!(lints_of(&estate, &shielded, "edge-traversal").is_empty());

    let w = windows(&mut plan, "file-server");
    let mut block = WindowsRule::new(
        "block-all-445",
        "block all 445",
        Direction::Inbound,
        Action::Block,
        KbRow::K4,
    );
    block.protocol = Some(Proto::Tcp);
    block.local_ports = PortSet::single(445);
    w.rules.push(block);
    assert!(lints_of(&estate, &plan, "edge-traversal").is_empty());
}
