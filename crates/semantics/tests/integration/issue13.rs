//! Issue 13: documented keys mean what docs/policy.md says, on estates
//! shaped unlike the bundled example. Each test is named after the defect it
//! catches and says in its doc comment what the build before the fix did.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use smbguard_model::{Estate, Profile, Strategy, Transport, parse_estate};
use smbguard_semantics::{Flow, HostRules, Profiles, Verdict, check_flow, compile};

const BASE: &str = r#"
[estate]
name = "i13"
internal = ["198.18.0.0/15"]

[[groups]]
name = "dc"
role = "domain-controller"
addresses = ["198.18.0.10"]
sid = "S-1-5-21-1-2-3-1001"

[[groups]]
name = "fs"
role = "file-server"
addresses = ["198.18.1.20"]
sid = "S-1-5-21-1-2-3-1002"
clients = ["198.18.16.0/24"]

[[groups]]
name = "nas"
role = "file-server"
platform = "linux"
addresses = ["198.18.1.30"]
clients = ["workstations"]

[[groups]]
name = "sensor"
role = "member"
addresses = ["198.18.0.50"]
sid = "S-1-5-21-1-2-3-1003"

[[groups]]
name = "workstations"
role = "workstation"
addresses = ["198.18.16.0/20"]
sid = "S-1-5-21-1-2-3-1004"

[[groups]]
name = "intune"
role = "workstation"
addresses = ["198.18.40.0/24"]
domain-joined = false
"#;

/// A bare source address is accepted under `complement` only (under
/// `ipsec-bypass` the load refuses it: `bypass-needs-sid`).
const BARE_MGMT: &str = r#"
[[management]]
name = "sensor-queries"
from = ["198.18.16.7"]
to = ["sensor"]
"#;

fn estate(extra: &str) -> Estate {
    parse_estate(&format!("{BASE}{extra}")).unwrap().estate
}

fn verdict(e: &Estate, strategy: Strategy, from: &str, to: &str) -> Verdict {
    let mut e = e.clone();
    e.strategy = strategy;
    let plan = compile(&e).unwrap();
    let f = Flow::new(from.parse().unwrap(), to.parse().unwrap(), Transport::SMB);
    check_flow(&plan, &f, Profiles::both(Profile::Domain)).verdict
}

const BOTH: [Strategy; 2] = [Strategy::IpsecBypass, Strategy::Complement];

/// A file server whose `clients` range covers part of a client group.
/// Before: the listed workstations were accepted inbound but their own
/// outbound rules never allowed the server (`serves` asked for the whole
/// group to be inside the range), so 198.18.16.5 -> fs was blocked.
#[test]
fn partial_client_range_reaches_its_file_server() {
    let e = estate("");
    for s in BOTH {
        assert_eq!(
            verdict(&e, s, "198.18.16.5", "198.18.1.20"),
            Verdict::Allow,
            "{s:?}"
        );
        // The rest of the group stays out: the server's inbound rule decides.
        assert_eq!(
            verdict(&e, s, "198.18.20.5", "198.18.1.20"),
            Verdict::Block,
            "{s:?}"
        );
    }
}

/// A management exception `from` a bare address inside another group.
/// Before: the workstation at that address got no outbound allowance to the
/// exception's target, so the exception never applied.
#[test]
fn management_from_bare_address_inside_a_group_applies() {
    let text = format!("{BASE}{BARE_MGMT}").replace(
        "internal = [\"198.18.0.0/15\"]",
        "internal = [\"198.18.0.0/15\"]\nstrategy = \"complement\"",
    );
    let e = parse_estate(&text).unwrap().estate;
    let s = Strategy::Complement;
    assert_eq!(verdict(&e, s, "198.18.16.7", "198.18.0.50"), Verdict::Allow);
    assert_eq!(verdict(&e, s, "198.18.16.8", "198.18.0.50"), Verdict::Block);
}

/// Hosts not joined to the domain (`domain-joined = false`, Linux by
/// default). Before: they reached no DC under either strategy.
#[test]
fn non_joined_hosts_reach_the_dcs_by_default() {
    let e = estate("");
    for s in BOTH {
        assert_eq!(
            verdict(&e, s, "198.18.40.5", "198.18.0.10"),
            Verdict::Allow,
            "{s:?}"
        );
    }
}

/// `needs-dc-smb = false` is the explicit opt-out.
#[test]
fn needs_dc_smb_false_blocks_the_dcs() {
    let e = estate("").clone();
    let text = BASE.replace(
        "domain-joined = false",
        "domain-joined = false\nneeds-dc-smb = false",
    );
    let e2 = parse_estate(&text).unwrap().estate;
    for s in BOTH {
        assert_eq!(verdict(&e, s, "198.18.40.5", "198.18.0.10"), Verdict::Allow);
        assert_eq!(
            verdict(&e2, s, "198.18.40.5", "198.18.0.10"),
            Verdict::Block
        );
    }
}

/// A Linux NAS with `outbound-block`. Before: its output chain was named
/// "... to DCs, file servers and named endpoints" when it had no DC, or had
/// no allow at all (not joined, so no DC).
#[test]
fn linux_outbound_rule_names_are_true_to_their_content() {
    let text = BASE.replace(
        "platform = \"linux\"",
        "platform = \"linux\"\noutbound-block = true",
    );
    let e = parse_estate(&text).unwrap().estate;
    let plan = compile(&e).unwrap();
    let nas = plan.hosts.iter().find(|h| h.group == "nas").unwrap();
    let HostRules::Linux(l) = &nas.rules else {
        panic!("nas is linux")
    };
    let names: Vec<&str> = l.output.entries.iter().map(|e| e.name.as_str()).collect();
    assert!(
        names.contains(&"Allow outbound SMB 445 to DCs"),
        "{names:?}"
    );
    assert!(
        !names
            .iter()
            .any(|n| n.contains("named endpoints") || n.contains("file servers")),
        "{names:?}"
    );
    for s in BOTH {
        assert_eq!(verdict(&e, s, "198.18.1.30", "198.18.0.10"), Verdict::Allow);
    }
}

/// Governing `udp/443` says plainly that it blocks QUIC, HTTP/3 included,
/// to every address not allowed. Before: "also blocks HTTP/3 to the same
/// addresses", which read as if only the SMB servers were affected.
#[test]
fn governing_udp_443_warns_that_it_blocks_quic_and_http3_everywhere() {
    let text = BASE.replace(
        "internal = [\"198.18.0.0/15\"]",
        "internal = [\"198.18.0.0/15\"]\ntransports = [\"tcp/445\", \"udp/443\"]",
    );
    let parsed = parse_estate(&text).unwrap();
    let w = parsed
        .warnings
        .iter()
        .find(|d| d.code == "quic-blocks-http3")
        .expect("the QUIC warning");
    assert!(
        w.message.contains("blocks all QUIC, HTTP/3 included"),
        "{}",
        w.message
    );
    assert!(
        w.message.contains("every address not allowed"),
        "{}",
        w.message
    );
}

/// Issue 13 point 5: link-local, loopback and multicast addresses are never
/// "internet". Before: 169.254.1.1 -> an internal address crossed the
/// perimeter and was blocked as "from the internet".
#[test]
fn point_5_link_local_never_crosses_the_perimeter() {
    let e = estate("");
    let plan = compile(&e).unwrap();
    for (from, to) in [
        ("169.254.1.1", "198.18.250.1"),
        ("fe80::1", "2001:db8:1::99"),
        ("198.18.250.1", "224.0.0.251"),
        ("127.0.0.1", "198.18.250.1"),
    ] {
        let f = Flow::new(from.parse().unwrap(), to.parse().unwrap(), Transport::SMB);
        let r = check_flow(&plan, &f, Profiles::both(Profile::Domain));
        assert!(
            r.stages[1].decision.is_none() && r.stages[1].summary.contains("never internet"),
            "{from} -> {to}: {:?}",
            r.stages[1]
        );
        assert_eq!(r.verdict, Verdict::Allow, "{from} -> {to}");
    }
    // A real internet address still crosses and is blocked.
    let f = Flow::new(
        "203.0.113.9".parse().unwrap(),
        "198.18.250.1".parse().unwrap(),
        Transport::SMB,
    );
    let r = check_flow(&plan, &f, Profiles::both(Profile::Domain));
    assert_eq!(r.verdict, Verdict::Block);
    assert!(r.stages[1].decision.is_some());
}
