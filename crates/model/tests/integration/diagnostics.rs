//! Every malformed-input case gives its diagnostic, at the right line and
//! column, with a hint; and all problems are reported at once.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use smbguard_model::{Diagnostic, Severity, parse_estate};

/// A valid estate; each test breaks one line of it.
const BASE: &str = r#"[estate]
name = "t"
internal = ["198.18.0.0/15"]

[[groups]]
name = "dcs"
role = "domain-controller"
addresses = ["198.18.0.10"]
sid = "S-1-5-21-1-2-3-516"

[[groups]]
name = "ws"
role = "workstation"
addresses = ["198.18.16.0/20"]

[[groups]]
name = "fs"
role = "file-server"
addresses = ["198.18.1.20"]
clients = ["ws"]
"#;

fn errors(src: &str) -> Vec<Diagnostic> {
    match parse_estate(src) {
        Ok(p) => panic!(
            "expected errors, got an estate with warnings {:?}",
            p.warnings
        ),
        Err(r) => r
            .diagnostics
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .collect(),
    }
}

fn only_error(src: &str) -> Diagnostic {
    let e = errors(src);
    assert_eq!(e.len(), 1, "expected exactly one error, got {e:#?}");
    e.into_iter().next().unwrap()
}

fn assert_at(d: &Diagnostic, code: &str, line: usize, column: usize) {
    assert_eq!(d.code, code, "{d:#?}");
    assert_eq!((d.line, d.column), (Some(line), Some(column)), "{d:#?}");
    assert!(d.hint.is_some(), "every diagnostic carries a hint: {d:#?}");
}

#[test]
fn base_estate_is_valid() {
    let p = parse_estate(BASE).unwrap();
    assert_eq!(p.estate.groups.len(), 3);
    assert!(p.warnings.is_empty(), "{:#?}", p.warnings);
}

#[test]
fn invalid_address_points_at_the_string() {
    let src = BASE.replace(
        r#"addresses = ["198.18.16.0/20"]"#,
        r#"addresses = ["198.18.16.0/20", "198.18.300.1"]"#,
    );
    let d = only_error(&src);
    assert_at(&d, "invalid-address", 14, 32);
    assert!(d.message.contains("198.18.300.1"));
}

#[test]
fn empty_group_is_rejected() {
    let src = BASE.replace(r#"addresses = ["198.18.16.0/20"]"#, "addresses = []");
    let d = only_error(&src);
    assert_at(&d, "empty-group", 14, 13);
}

#[test]
fn host_in_two_groups_with_conflicting_roles() {
    let src = format!(
        "{BASE}\n[[groups]]\nname = \"servers\"\nrole = \"member\"\naddresses = [\"198.18.16.5\"]\n"
    );
    let d = only_error(&src);
    assert_at(&d, "conflicting-roles", 25, 13);
    assert!(
        d.message.contains("198.18.16.5")
            && d.message.contains("`ws`")
            && d.message.contains("`servers`"),
        "{}",
        d.message
    );
}

#[test]
fn same_role_overlap_is_only_a_warning() {
    let src = format!(
        "{BASE}\n[[groups]]\nname = \"ws2\"\nrole = \"workstation\"\naddresses = [\"198.18.16.5\"]\n"
    );
    let p = parse_estate(&src).unwrap();
    assert_eq!(p.warnings.len(), 1);
    assert_eq!(p.warnings[0].code, "overlapping-groups");
}

#[test]
fn file_server_without_clients() {
    let src = BASE.replace("clients = [\"ws\"]\n", "");
    let d = only_error(&src);
    assert_at(&d, "file-server-without-clients", 17, 8);
}

#[test]
fn no_domain_controllers_while_domain_members_exist() {
    let src = BASE
        .replace("role = \"domain-controller\"", "role = \"member\"")
        .replace("[\"ws\"]", "[\"ws\", \"dcs\"]");
    let d = only_error(&src);
    assert_at(&d, "no-domain-controllers", 6, 8);
}

#[test]
fn malformed_sid() {
    let src = BASE.replace("S-1-5-21-1-2-3-516", "S-1-5-21-x-516");
    let d = only_error(&src);
    assert_at(&d, "invalid-sid", 9, 7);
}

#[test]
fn unknown_key_is_an_error_not_a_default() {
    let src = BASE.replace(
        "role = \"workstation\"",
        "role = \"workstation\"\nadresses = [\"1.2.3.4\"]",
    );
    let d = only_error(&src);
    assert_eq!(d.code, "syntax");
    assert_eq!(d.line, Some(14));
    assert!(d.message.contains("adresses"), "{}", d.message);
}

#[test]
fn unknown_role_lists_the_valid_ones() {
    let src = BASE.replace("role = \"workstation\"", "role = \"laptop\"");
    let d = only_error(&src);
    assert_eq!((d.code, d.line, d.column), ("syntax", Some(13), Some(8)));
    assert!(d.message.contains("workstation"), "{}", d.message);
}

#[test]
fn unknown_client_group() {
    let src = BASE.replace("clients = [\"ws\"]", "clients = [\"wrkstations\"]");
    let d = only_error(&src);
    assert_at(&d, "unknown-reference", 20, 12);
    assert!(d.hint.as_deref().unwrap().contains("ws"));
}

#[test]
fn duplicate_group_names() {
    let src = format!(
        "{BASE}\n[[groups]]\nname = \"ws\"\nrole = \"workstation\"\naddresses = [\"198.18.40.0/24\"]\n"
    );
    let d = only_error(&src);
    assert_at(&d, "duplicate-group", 23, 8);
}

/// Issue 11, defect 8: `café` with a precomposed `é` (U+00E9) and with `e`
/// plus U+0301 look the same in every report and rule name.
#[test]
fn names_equal_after_unicode_normalisation_are_refused() {
    let src = BASE
        .replace("name = \"ws\"", "name = \"caf\u{e9}\"")
        .replace("clients = [\"ws\"]", "clients = [\"caf\u{e9}\"]")
        + "\n[[groups]]\nname = \"cafe\u{301}\"\nrole = \"workstation\"\naddresses = [\"198.18.40.0/24\"]\n";
    let d = only_error(&src);
    assert_at(&d, "confusable-name", 23, 8);
    assert!(d.message.contains("Unicode normalisation"), "{}", d.message);
}

#[test]
fn unknown_transport() {
    let src = BASE.replace(
        "internal = [\"198.18.0.0/15\"]",
        "internal = [\"198.18.0.0/15\"]\ntransports = [\"tcp/445\", \"tcp/80\"]",
    );
    let d = only_error(&src);
    assert_at(&d, "unknown-transport", 4, 26);
}

#[test]
fn perimeter_exception_inside_the_internal_network() {
    let src = format!(
        "{BASE}\n[[perimeter.allow]]\nname = \"cloud\"\naddresses = [\"198.18.9.0/24\"]\ndirection = \"outbound\"\n"
    );
    let d = only_error(&src);
    assert_at(&d, "exception-inside", 24, 13);
}

#[test]
fn inbound_exception_under_ipsec_bypass_needs_a_sid() {
    let src = format!(
        "{BASE}\n[[management]]\nname = \"scanner\"\nfrom = [\"198.18.0.99\"]\nto = [\"ws\"]\n"
    );
    let d = only_error(&src);
    assert_at(&d, "bypass-needs-sid", 24, 8);
    let complement = src.replace(
        "internal = [\"198.18.0.0/15\"]",
        "internal = [\"198.18.0.0/15\"]\nstrategy = \"complement\"",
    );
    assert!(parse_estate(&complement).is_ok());
}

#[test]
fn names_with_newlines_are_rejected() {
    let src = BASE.replace("name = \"dcs\"", "name = \"d\\ncs\"");
    let d = only_error(&src);
    assert_at(&d, "invalid-name", 6, 8);
}

#[test]
fn all_problems_are_reported_at_once_in_source_order() {
    let src = BASE
        .replace("S-1-5-21-1-2-3-516", "not-a-sid")
        .replace(
            r#"addresses = ["198.18.16.0/20"]"#,
            r#"addresses = ["198.18.16.0/33"]"#,
        )
        .replace("clients = [\"ws\"]", "clients = [\"nobody\"]");
    let e = errors(&src);
    let codes: Vec<&str> = e.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        ["invalid-sid", "invalid-address", "unknown-reference"],
        "{e:#?}"
    );
    let lines: Vec<usize> = e.iter().map(|d| d.line.unwrap()).collect();
    assert_eq!(lines, [9, 14, 20]);
}

#[test]
fn toml_syntax_error_is_located() {
    let src = BASE.replace("name = \"t\"", "name = \"t");
    let d = only_error(&src);
    assert_eq!((d.code, d.line), ("syntax", Some(2)));
}

#[test]
fn the_bundled_example_is_valid_and_warning_free() {
    let p = parse_estate(smbguard_model::EXAMPLE_ESTATE).unwrap();
    assert!(p.warnings.is_empty(), "{:#?}", p.warnings);
    assert_eq!(p.estate.name, "contoso");
    assert_eq!(p.estate.groups.len(), 7);
}

/// Issue 13 point 4: an overlap that changes which group a host belongs to
/// says which exceptions it disables. Before: only "smbguard evaluates it
/// as `a`", although the management exception into `b` silently stopped
/// applying to the shared host.
#[test]
fn point_4_overlap_warning_names_the_exceptions_it_disables() {
    let text = r#"
[estate]
name = "o"
internal = ["198.18.0.0/15"]

[[groups]]
name = "dc"
role = "domain-controller"
addresses = ["198.18.0.10"]
sid = "S-1-5-21-1-2-3-1000"

[[groups]]
name = "sensor"
role = "member"
addresses = ["198.18.0.50"]
sid = "S-1-5-21-1-2-3-1001"

[[groups]]
name = "a"
role = "workstation"
addresses = ["198.18.16.0/24"]
sid = "S-1-5-21-1-2-3-1002"

[[groups]]
name = "b"
role = "workstation"
addresses = ["198.18.16.128/25", "198.18.17.0/24"]
sid = "S-1-5-21-1-2-3-1003"

[[management]]
name = "into-b"
from = ["sensor"]
to = ["b"]

[[management]]
name = "into-both"
from = ["sensor"]
to = ["a", "b"]
"#;
    let parsed = parse_estate(text).unwrap();
    let w = parsed
        .warnings
        .iter()
        .find(|d| d.code == "overlapping-groups")
        .expect("the overlap warning");
    assert!(
        w.message.contains("management `into-b` (into it)"),
        "{}",
        w.message
    );
    assert!(!w.message.contains("into-both"), "{}", w.message);
}
