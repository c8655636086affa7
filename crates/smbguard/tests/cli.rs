//! The command line as a user meets it: outputs (snapshots), exit codes and
//! diagnostics.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::Output;

use smbguard_testkit::cli::{stderr, stdout};
use smbguard_testkit::scratch_dir;

fn smbguard(args: &[&str]) -> Output {
    smbguard_testkit::smbguard!().output(args)
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let p = scratch_dir("cli").join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn plan_text_snapshot() {
    let o = smbguard(&["plan"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("using the bundled example estate"));
    insta::assert_snapshot!("plan_text", stdout(&o));
}

#[test]
fn plan_json_snapshot() {
    let o = smbguard(&["plan", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let mut v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    v["smbguard"] = "VERSION".into();
    insta::assert_json_snapshot!("plan_json", v);
}

#[test]
fn check_blocked_flow_exits_1_and_names_the_rule() {
    let o = smbguard(&[
        "check",
        "--from",
        "198.18.16.5",
        "--to",
        "198.18.16.6",
        "--transport",
        "tcp/445",
    ]);
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!("check_ws_to_ws_text", stdout(&o));
}

#[test]
fn check_json_has_a_top_level_verdict() {
    let o = smbguard(&[
        "check",
        "--from",
        "198.18.16.5",
        "--to",
        "198.18.0.10",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let mut v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["verdict"], "allow");
    assert_eq!(v["stages"].as_array().unwrap().len(), 3);
    v["smbguard"] = "VERSION".into();
    insta::assert_json_snapshot!("check_ws_to_dc_json", v);
    let o = smbguard(&[
        "check",
        "--from",
        "198.18.16.5",
        "--to",
        "198.18.0.10",
        "--profile",
        "public",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["verdict"], "block");
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn check_expect_turns_the_verdict_into_the_exit_code() {
    let blocked = ["check", "--from", "198.18.16.5", "--to", "198.18.16.6"];
    assert_eq!(
        smbguard(&[&blocked[..], &["--expect", "block"]].concat())
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        smbguard(&[&blocked[..], &["--expect", "allow"]].concat())
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn check_ipv6_flow() {
    let o = smbguard(&[
        "check",
        "--from",
        "2001:db8:1:10::5",
        "--to",
        "2001:db8:1::10",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["verdict"], "allow");
}

#[test]
fn bad_arguments_exit_2_with_a_helpful_message() {
    let o = smbguard(&["check", "--from", "198.18.16.500", "--to", "198.18.0.10"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--from `198.18.16.500` is not an IPv4 or IPv6 address"),
        "{}",
        stderr(&o)
    );
    let o = smbguard(&[
        "check",
        "--from",
        "198.18.16.5",
        "--to",
        "198.18.0.10",
        "--transport",
        "tcp-445",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("tcp/445"), "{}", stderr(&o));
    let o = smbguard(&["plan", "/nonexistent/estate.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read estate /nonexistent/estate.toml"));
}

#[test]
fn invalid_estate_exits_2_with_file_line_column() {
    let text = smbguard_model::EXAMPLE_ESTATE.replace("\"198.18.1.20\"", "\"198.18.1.256\"");
    let p = temp_file("bad.toml", &text);
    let o = smbguard(&["plan", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let line = text[..text.find("198.18.1.256").unwrap()]
        .matches('\n')
        .count()
        + 1;
    assert!(
        err.contains(&format!(
            "bad.toml:{line}:14: `198.18.1.256` is not an IPv4/IPv6 address"
        )),
        "{err}"
    );
    assert!(err.contains("help:"), "{err}");
    assert!(stdout(&o).is_empty());
}

#[test]
fn guard_rail_violation_exits_2() {
    let text = smbguard_model::EXAMPLE_ESTATE.replace(
        "role = \"domain-controller\"\n",
        "role = \"domain-controller\"\nservices = { server = \"disabled\" }\n",
    );
    let p = temp_file("guard.toml", &text);
    let o = smbguard(&[
        "check",
        p.to_str().unwrap(),
        "--from",
        "198.18.16.5",
        "--to",
        "198.18.0.10",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("error[guard-rail-server-service]"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn init_writes_the_example_and_refuses_to_overwrite() {
    let p = temp_file("init.toml", "");
    std::fs::remove_file(&p).unwrap();
    let path = p.to_str().unwrap();
    assert_eq!(smbguard(&["init", "--out", path]).status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        smbguard_model::EXAMPLE_ESTATE
    );
    let again = smbguard(&["init", "--out", path]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("--force"));
    assert_eq!(smbguard(&["plan", path]).status.code(), Some(0));
}

#[test]
fn help_teaches_exit_codes_and_precedence() {
    let o = smbguard(&["--help"]);
    let help = stdout(&o);
    assert!(help.contains("bypass beats a block"), "{help}");
    assert!(help.contains("Exit codes:"));
    let o = smbguard(&["check", "--help"]);
    assert!(stdout(&o).contains("--expect"));
}

#[test]
fn apply_refuses_an_unsafe_plan_before_touching_anything() {
    // Domain controllers that accept nobody but an unused range: members are
    // locked out of Group Policy (I3), so apply must refuse.
    let text = smbguard_model::EXAMPLE_ESTATE.replace(
        "# DCs accept SMB from the whole internal network unless you list `clients`.",
        "clients = [\"198.19.250.0/24\"]",
    );
    let p = temp_file("unsafe-apply.toml", &text);
    let state = std::env::temp_dir().join(format!("smbguard-cli-state-{}", std::process::id()));
    let o = smbguard_testkit::smbguard!()
        .env("SMBGUARD_STATE_DIR", state.to_str().unwrap())
        .output(&[
            "apply",
            "--target",
            "nftables",
            p.to_str().unwrap(),
            "--group",
            "nas",
            "--netns",
            "smbguard-never-created",
        ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("FAIL I3"), "{}", stderr(&o));
    assert!(stderr(&o).contains("nothing applied"), "{}", stderr(&o));
    assert!(
        !state.exists(),
        "no state may be written for a refused apply"
    );
}
