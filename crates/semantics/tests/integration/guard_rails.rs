//! The article's "must not" sentences are hard compile errors, located.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use smbguard_model::{EXAMPLE_ESTATE, parse_estate};
use smbguard_semantics::{CompileError, compile};

fn guard_rail_errors(src: &str) -> Vec<(&'static str, usize)> {
    let estate = parse_estate(src)
        .expect("the estate itself is valid")
        .estate;
    match compile(&estate) {
        Ok(_) => panic!("compile accepted an estate that breaks a guard rail"),
        Err(e) => {
            assert!(matches!(e, CompileError::GuardRails(_)), "{e:?}");
            let mut diags = e.into_diagnostics();
            for d in &mut diags {
                d.locate(src);
            }
            diags.iter().map(|d| (d.code, d.line.unwrap())).collect()
        }
    }
}

fn line_of(src: &str, needle: &str) -> usize {
    src[..src.find(needle).unwrap()].matches('\n').count() + 1
}

#[test]
fn server_service_never_disabled_on_domain_controllers() {
    let src = EXAMPLE_ESTATE.replace(
        "role = \"domain-controller\"\n",
        "role = \"domain-controller\"\nservices = { server = \"disabled\" }\n",
    );
    assert_eq!(
        guard_rail_errors(&src),
        [(
            "guard-rail-server-service",
            line_of(&src, "services = { server")
        )]
    );
}

#[test]
fn server_service_never_disabled_on_file_servers() {
    let src = EXAMPLE_ESTATE.replace(
        "name = \"file-server\"\nrole = \"file-server\"\n",
        "name = \"file-server\"\nrole = \"file-server\"\nservices = { server = \"disabled\" }\n",
    );
    assert_eq!(
        guard_rail_errors(&src),
        [(
            "guard-rail-server-service",
            line_of(&src, "services = { server")
        )]
    );
}

#[test]
fn workstation_service_never_disabled_on_domain_members() {
    let src = EXAMPLE_ESTATE.replace(
        "role = \"workstation\"\n",
        "role = \"workstation\"\nservices = { workstation = \"disabled\" }\n",
    );
    assert_eq!(
        guard_rail_errors(&src),
        [(
            "guard-rail-workstation-service",
            line_of(&src, "services = { workstation")
        )]
    );
}

#[test]
fn isolated_hosts_cannot_be_domain_members() {
    let src = EXAMPLE_ESTATE.replace(
        "role = \"isolated\"\n",
        "role = \"isolated\"\ndomain-joined = true\n",
    );
    assert_eq!(
        guard_rail_errors(&src),
        [(
            "guard-rail-workstation-service",
            line_of(&src, "role = \"isolated\"")
        )]
    );
}

#[test]
fn inbound_smb_never_blocked_globally_on_servers() {
    let src = EXAMPLE_ESTATE.replace(
        "name = \"file-server\"\nrole = \"file-server\"\n",
        "name = \"file-server\"\nrole = \"file-server\"\naccept-smb-on = []\n",
    );
    assert_eq!(
        guard_rail_errors(&src),
        [(
            "guard-rail-global-block",
            line_of(&src, "accept-smb-on = []")
        )]
    );
}

#[test]
fn servers_never_accept_smb_on_public() {
    let src = EXAMPLE_ESTATE.replace(
        "role = \"domain-controller\"\n",
        "role = \"domain-controller\"\naccept-smb-on = [\"domain\", \"public\"]\n",
    );
    assert_eq!(
        guard_rail_errors(&src),
        [("guard-rail-public-profile", line_of(&src, "accept-smb-on"))]
    );
}

#[test]
fn every_violation_is_reported_together() {
    let src = EXAMPLE_ESTATE
        .replace(
            "role = \"domain-controller\"\n",
            "role = \"domain-controller\"\naccept-smb-on = [\"public\"]\n",
        )
        .replace(
            "role = \"workstation\"\n",
            "role = \"workstation\"\nservices = { workstation = \"disabled\" }\n",
        );
    let codes: Vec<&str> = guard_rail_errors(&src)
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert_eq!(
        codes,
        [
            "guard-rail-public-profile",
            "guard-rail-workstation-service"
        ]
    );
}
