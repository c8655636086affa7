//! Issue 13 point 3: every documented key combination compiles to a plan
//! that verifies. Each test names the key and says what the build before the
//! fix reported.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use smbguard_model::parse_estate;
use smbguard_semantics::compile;
use smbguard_verify::verify;

const BASE: &str = r#"
[estate]
name = "keys"
internal = ["198.18.0.0/15"]
strategy = "complement"

[smb]
netbios = NETBIOS

[[groups]]
name = "dc"
role = "domain-controller"
addresses = ["198.18.0.10"]
sid = "S-1-5-21-1-2-3-1001"
DC_EXTRA

[[groups]]
name = "fs"
role = "file-server"
addresses = ["198.18.1.20"]
sid = "S-1-5-21-1-2-3-1002"
clients = ["workstations", "203.0.113.80/28"]

[[groups]]
name = "members"
role = "member"
addresses = ["198.18.2.0/24"]
sid = "S-1-5-21-1-2-3-1003"
MEMBER_EXTRA

[[groups]]
name = "workstations"
role = "workstation"
addresses = ["198.18.16.0/20"]
sid = "S-1-5-21-1-2-3-1004"

[[perimeter.allow]]
name = "cloud-clients"
addresses = ["203.0.113.80/28"]
direction = "inbound"
"#;

fn failed(netbios: bool, dc_extra: &str, member_extra: &str) -> Vec<String> {
    let text = BASE
        .replace("NETBIOS", if netbios { "true" } else { "false" })
        .replace("DC_EXTRA", dc_extra)
        .replace("MEMBER_EXTRA", member_extra);
    let estate = parse_estate(&text).unwrap().estate;
    let plan = compile(&estate).unwrap();
    verify(&plan, &estate)
        .failed()
        .map(|i| format!("{} {:?}", i.id, i.failures))
        .collect()
}

#[test]
fn the_base_estate_verifies() {
    assert_eq!(failed(false, "", ""), Vec::<String>::new());
}

/// Before: I3 asked every domain member to reach every DC, so a DC that
/// restricts itself to trusted ranges (K5) failed I3 and `emit` refused it
/// (here 198.18.0.0/15 minus the groups is left out).
#[test]
fn dc_with_clients_passes_i3() {
    let f = failed(
        false,
        "clients = [\"workstations\", \"fs\", \"members\"]",
        "",
    );
    assert_eq!(f, Vec::<String>::new());
}

/// Before: I6 failed any disabled service outside isolated hosts, although
/// K8 (and docs/policy.md) only forbid Server on DCs/file servers and
/// Workstation on domain members.
#[test]
fn server_disabled_on_a_member_passes_i6() {
    let f = failed(false, "", "services = { server = \"disabled\" }");
    assert_eq!(f, Vec::<String>::new());
}

/// Before: with `netbios = true` I4 asked the cloud client to reach the file
/// server on tcp/139 too, which the perimeter (K1) always blocks.
#[test]
fn netbios_with_a_cloud_client_passes_i4() {
    assert_eq!(failed(true, "", ""), Vec::<String>::new());
}

/// docs/policy.md states every built-in invariant in the words `verify` prints.
#[test]
fn policy_docs_state_every_invariant_as_the_code_does() {
    let docs = include_str!("../../../../docs/policy.md");
    let estate = parse_estate(smbguard_model::EXAMPLE_ESTATE).unwrap().estate;
    let plan = compile(&estate).unwrap();
    for inv in smbguard_verify::builtin_invariants(&plan, &estate) {
        let line = format!("- **{}**: {}", inv.id, inv.title);
        assert!(docs.contains(&line), "docs/policy.md lacks: {line}");
    }
}

/// A DC whose `clients` leave a domain member out breaks I3: that member
/// could no longer apply Group Policy. Issue 13: such an estate is refused
/// at load, located at the member, naming the invariant (it used to load and
/// fail `verify` only). With `needs-dc-smb = false` the member opts out.
#[test]
fn point_3_estate_breaking_i3_is_refused_at_load_naming_it() {
    let text = BASE
        .replace("NETBIOS", "false")
        .replace("DC_EXTRA", "clients = [\"workstations\", \"fs\"]")
        .replace("MEMBER_EXTRA", "");
    let refused = parse_estate(&text).unwrap_err();
    let d = refused
        .diagnostics
        .iter()
        .find(|d| d.code == "member-without-dc")
        .expect("the I3 refusal");
    assert!(
        d.message.contains("`members`") && d.message.contains("invariant I3"),
        "{}",
        d.message
    );
    let at = d.span.clone().expect("located");
    assert_eq!(&text[at], "\"members\"");
    assert!(d.line.is_some() && d.column.is_some(), "{d:?}");
    assert_eq!(
        failed(
            false,
            "clients = [\"workstations\", \"fs\"]",
            "needs-dc-smb = false"
        ),
        Vec::<String>::new()
    );
}

/// A management exception into an isolated group, or on a transport the
/// estate keeps closed, does nothing. Before: no warning at all (tcp/139 with
/// `netbios = false` even got an outbound allow and an inbound block).
#[test]
fn management_exception_that_does_nothing_is_a_lint() {
    let text = smbguard_model::EXAMPLE_ESTATE.replace(
        "to = [\"workstations\"]\ntransports = [\"tcp/445\"]",
        "to = [\"workstations\", \"kiosks\"]\ntransports = [\"tcp/445\", \"tcp/139\"]",
    );
    assert_ne!(text, smbguard_model::EXAMPLE_ESTATE);
    let estate = parse_estate(&text).unwrap().estate;
    let plan = compile(&estate).unwrap();
    let r = verify(&plan, &estate);
    let l = r
        .lints
        .iter()
        .find(|l| l.code == "management-no-effect")
        .expect("the lint");
    assert!(l.message.contains("`kiosks` is isolated"), "{}", l.message);
    assert!(l.message.contains("tcp/139"), "{}", l.message);
    let plain = parse_estate(smbguard_model::EXAMPLE_ESTATE).unwrap().estate;
    let r = verify(&compile(&plain).unwrap(), &plain);
    assert!(r.lints.iter().all(|l| l.code != "management-no-effect"));
}
