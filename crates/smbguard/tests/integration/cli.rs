//! The command line as a user meets it: outputs (snapshots), exit codes and
//! diagnostics.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::{Command, Output};

use smbguard_testkit::cli::{stderr, stdout};
use smbguard_testkit::scratch_dir;

fn smbguard(args: &[&str]) -> Output {
    smbguard_testkit::smbguard!().output(args)
}

/// `smbguard check --from FROM --to TO` and `more` arguments.
fn check(from: &str, to: &str, more: &[&str]) -> Output {
    smbguard(&[&["check", "--from", from, "--to", to][..], more].concat())
}

/// The JSON document on standard output.
fn json_of(o: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(o)).unwrap()
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
    let mut v = json_of(&o);
    v["smbguard"] = "VERSION".into();
    insta::assert_json_snapshot!("plan_json", v);
}

#[test]
fn check_blocked_flow_exits_1_and_names_the_rule() {
    let o = check_transport("198.18.16.5", "198.18.16.6", "tcp/445");
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!("check_ws_to_ws_text", stdout(&o));
}

#[test]
fn check_json_has_a_top_level_verdict() {
    let o = check("198.18.16.5", "198.18.0.10", &["--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let mut v = json_of(&o);
    assert_eq!(v["verdict"], "allow");
    assert_eq!(v["stages"].as_array().unwrap().len(), 3);
    v["smbguard"] = "VERSION".into();
    insta::assert_json_snapshot!("check_ws_to_dc_json", v);
    let o = check(
        "198.18.16.5",
        "198.18.0.10",
        &["--profile", "public", "--format", "json"],
    );
    assert_eq!(json_of(&o)["verdict"], "block");
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn check_expect_turns_the_verdict_into_the_exit_code() {
    let blocked = |expect| check("198.18.16.5", "198.18.16.6", &["--expect", expect]);
    assert_eq!(blocked("block").status.code(), Some(0));
    assert_eq!(blocked("allow").status.code(), Some(1));
}

#[test]
fn check_ipv6_flow() {
    let o = check("2001:db8:1:10::5", "2001:db8:1::10", &["--format", "json"]);
    assert_eq!(json_of(&o)["verdict"], "allow");
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
    let o = check_transport("198.18.16.5", "198.18.0.10", "tcp-445");
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
fn apply_refuses_an_estate_that_locks_members_out_of_the_dcs_before_touching_anything() {
    // Domain controllers that accept nobody but an unused range: members are
    // locked out of Group Policy (I3). The loader refuses it, naming I3, so
    // apply stops before any state or ruleset is touched.
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
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("member-without-dc"), "{}", stderr(&o));
    assert!(stderr(&o).contains("invariant I3"), "{}", stderr(&o));
    assert!(
        !state.exists(),
        "no state may be written for a refused apply"
    );
}

/// Runs smbguard with stdout a pipe whose reader goes away at once
/// (before the command has loaded and compiled the estate).
fn into_a_closed_pipe(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_smbguard"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run smbguard");
    drop(child.stdout.take());
    child.wait_with_output().expect("wait for smbguard")
}

#[test]
fn broken_pipe_is_a_quiet_exit_0() {
    // Issue 10, item 7: `smbguard plan | head -1` panicked on the closed pipe.
    let flows = temp_file(
        "pipe-flows.jsonl",
        "{\"from\": \"198.18.16.5\", \"to\": \"198.18.0.10\"}\n",
    );
    for args in [
        vec!["plan"],
        vec!["plan", "--format", "json"],
        vec!["init"],
        vec!["verify"],
        vec!["check", "--from", "198.18.16.5", "--to", "198.18.0.10"],
        vec!["check", "--flows", flows.to_str().unwrap()],
    ] {
        let o = into_a_closed_pipe(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn failing_verdict_into_a_closed_pipe_still_exits_1() {
    // `smbguard verify | head` exited 0 on a failing proof: the closed pipe
    // ended the command before its verdict became the exit code.
    let failing = crate::verify_cli::failing_estate();
    let failing = failing.to_str().unwrap();
    for args in [
        vec!["verify", failing],
        vec!["verify", failing, "--format", "json"],
        // The example blocks kiosk → file server on tcp/445.
        vec![
            "check",
            "--from",
            "198.18.3.5",
            "--to",
            "198.18.1.20",
            "--expect",
            "allow",
        ],
    ] {
        let o = into_a_closed_pipe(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn oversized_estate_is_refused_without_reading_it_whole() {
    // Issue 11, defect 11: `plan /dev/zero` grew to 2.9 GB.
    let started = std::time::Instant::now();
    let o = smbguard(&["plan", "/dev/zero"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("larger than 64 MiB"), "{}", stderr(&o));
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    // A sparse 1 GiB file: refused from its size alone.
    let p = temp_file("huge.toml", "");
    std::fs::File::options()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let o = smbguard(&["plan", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("larger than 64 MiB"), "{}", stderr(&o));
    std::fs::remove_file(&p).unwrap();
}

fn check_transport(from: &str, to: &str, transport: &str) -> Output {
    check(from, to, &["--transport", transport])
}

#[test]
fn check_refuses_a_mixed_family_flow() {
    // Issue 11, defect 12 and issue 13, point 5.
    let o = check_transport("198.18.16.5", "2001:db8:1:10::5", "tcp/445");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("a flow's two ends are of one family"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty());
}

#[test]
fn check_refuses_port_0() {
    let o = check_transport("198.18.16.5", "198.18.0.10", "tcp/0");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("port 0"), "{}", stderr(&o));
}

#[test]
fn ipv4_mapped_addresses_are_the_ipv4_hosts() {
    // `::ffff:198.18.16.5` was treated as internet instead of 198.18.16.5.
    let mapped = check_transport("::ffff:198.18.16.5", "::ffff:198.18.0.10", "tcp/445");
    let plain = check_transport("198.18.16.5", "198.18.0.10", "tcp/445");
    assert_eq!(mapped.status.code(), Some(0), "{}", stdout(&mapped));
    assert_eq!(stdout(&mapped), stdout(&plain));
    let estate = "[estate]\nname = \"m\"\ninternal = [\"::ffff:198.18.0.0/111\"]\n\n[[groups]]\nname = \"dcs\"\nrole = \"domain-controller\"\naddresses = [\"::ffff:198.18.0.10\"]\n\n[[groups]]\nname = \"ws\"\nrole = \"workstation\"\naddresses = [\"198.18.16.0/24\"]\n";
    let p = temp_file("mapped.toml", estate);
    let o = smbguard(&["plan", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("internal:   198.18.0.0/15"), "{text}");
    assert!(
        text.contains("domain-controller on windows, 198.18.0.10"),
        "{text}"
    );
}

#[test]
fn prefix_without_length_gets_a_precise_message() {
    // `198.18.16.0/` said "prefix length out of range".
    let p = temp_file(
        "slash.toml",
        "[estate]\nname = \"s\"\ninternal = [\"198.18.16.0/\"]\n",
    );
    let o = smbguard(&["plan", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("`198.18.16.0/` has no prefix length after `/`"),
        "{err}"
    );
    assert!(!err.contains("out of range"), "{err}");
}

#[test]
fn huge_names_give_short_diagnostics() {
    // A 1 MB group name gave 4 MB of diagnostics.
    let name = "g".repeat(1 << 20);
    let estate = format!(
        "[estate]\nname = \"h\"\ninternal = [\"198.18.0.0/15\"]\n\n[[groups]]\nname = \"{name}\"\nrole = \"workstation\"\naddresses = [\"198.18.16.0/24\"]\n\n[[groups]]\nname = \"{name}\"\nrole = \"workstation\"\naddresses = [\"198.18.17.0/24\"]\n"
    );
    let p = temp_file("huge-name.toml", &estate);
    let o = smbguard(&["plan", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o).len());
    let err = stderr(&o);
    assert!(err.len() < 16 * 1024, "{} bytes of diagnostics", err.len());
    assert!(
        err.contains("more bytes)"),
        "{}",
        &err[..err.len().min(2000)]
    );
}

#[test]
fn estate_strings_reach_the_terminal_escaped() {
    // Issue 11, deliverable: names from an estate are printed with their
    // control characters spelled out (or the estate is refused, its
    // diagnostics escaped the same way).
    let estate = smbguard_model::EXAMPLE_ESTATE.replacen(
        "name = \"contoso\"",
        "name = \"contoso\\r\\nFORGED\\u001b[2J\"",
        1,
    );
    assert_ne!(estate, smbguard_model::EXAMPLE_ESTATE);
    let p = temp_file("hostile-name.toml", &estate);
    let path = p.to_str().unwrap();
    for args in [
        vec!["plan", path],
        vec!["verify", path],
        vec![
            "check",
            path,
            "--from",
            "198.18.16.5",
            "--to",
            "198.18.0.10",
        ],
    ] {
        let o = smbguard(&args);
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(
            !all.contains('\x1b') && !all.contains('\r'),
            "{args:?}: {all}"
        );
        assert!(
            !all.lines().any(|l| l.starts_with("FORGED")),
            "{args:?}: {all}"
        );
        if o.status.code() == Some(0) {
            assert!(
                stdout(&o).contains("contoso\\r\\nFORGED\\x1b[2J"),
                "{args:?}"
            );
        }
    }
}

#[test]
fn check_flows_evaluates_json_lines_in_one_process() {
    // Issue 13, point 5: a batch mode for scripts and oracles.
    let flows = "{\"from\": \"198.18.16.5\", \"to\": \"198.18.0.10\"}\n\
        {\"from\": \"198.18.16.5\", \"to\": \"198.18.16.6\", \"expect\": \"block\"}\n\
        \n\
        {\"from\": \"::ffff:198.18.16.5\", \"to\": \"198.18.0.10\", \"transport\": \"tcp/139\", \"profile\": \"public\"}\n";
    let p = temp_file("flows.jsonl", flows);
    let o = smbguard(&["check", "--flows", p.to_str().unwrap(), "--format", "json"]);
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["verdict"], "allow");
    assert_eq!(lines[1]["verdict"], "block");
    assert_eq!(lines[1]["ok"], true);
    assert_eq!(lines[2]["line"], 4);
    assert_eq!(lines[2]["from"], "198.18.16.5");
    assert_eq!(lines[2]["profiles"]["source"], "public");
    let any_blocked = lines.iter().any(|l| l["ok"] == false);
    assert_eq!(o.status.code(), Some(if any_blocked { 1 } else { 0 }));
    // Bad lines are reported in place; the exit code says so at the end.
    let p = temp_file(
        "bad-flows.jsonl",
        "{\"from\": \"198.18.16.5\", \"to\": \"2001:db8::1\"}\nnot json\n",
    );
    let o = smbguard(&["check", "--flows", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let text = stdout(&o);
    assert!(
        text.starts_with("line 1: error: from 198.18.16.5 is IPv4"),
        "{text}"
    );
    assert!(text.contains("line 2: error: not a flow object"), "{text}");
}

#[test]
fn check_flows_reads_stdin() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_smbguard"))
        .args(["check", "--flows", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        for _ in 0..1000 {
            writeln!(
                stdin,
                "{{\"from\": \"198.18.16.5\", \"to\": \"198.18.0.10\"}}"
            )
            .unwrap();
        }
    }
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert_eq!(text.lines().count(), 1000);
    assert!(
        text.lines()
            .all(|l| l.starts_with("allow 198.18.16.5 -> 198.18.0.10 tcp/445"))
    );
}

#[test]
fn diagnostics_snapshot() {
    // Issue 10 acceptance: a bad estate gives located diagnostics.
    let estate = "[estate]\nname = \"bad\"\ninternal = [\"198.18.0.0/15\"]\n\n[[groups]]\nname = \"ws\"\nrole = \"workstation\"\naddresses = [\"198.18.16.0/24\", \"198.18.1.256\"]\n\n[[groups]]\nname = \"dcs\"\nrole = \"domain-controller\"\naddresses = [\"198.18.0.10\", \"198.18.0.0/\"]\n";
    let p = temp_file("diagnostics.toml", estate);
    let o = smbguard(&["plan", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o).replace(p.to_str().unwrap(), "diagnostics.toml");
    insta::assert_snapshot!("diagnostics_text", err);
}
