//! `smbguard verify` end to end: exit codes, formats, --out.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::Output;

fn smbguard(args: &[&str]) -> Output {
    smbguard_testkit::smbguard!().output(args)
}

fn scratch(name: &str) -> PathBuf {
    smbguard_testkit::scratch_dir("verify-cli").join(name)
}

fn example_with(from: &str, to: &str) -> PathBuf {
    let text = smbguard_model::EXAMPLE_ESTATE;
    assert_eq!(text.matches(from).count(), 1);
    let p = scratch("estate.toml");
    std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
    p
}

/// The example with an invariant of the user's that the plan breaks (the
/// kiosks are isolated). The loader refuses estates that would break a
/// built-in invariant whatever the rules (docs/policy.md), so a failing
/// `verify` on a loadable estate is a user invariant or a deployed GPO.
pub(crate) fn failing_estate() -> PathBuf {
    let p = scratch("failing.toml");
    let invariant = "[[invariants]]\nname = \"kiosks reach the file server\"\nfrom = [\"kiosks\"]\nto = [\"file-server\"]\ntransport = \"tcp/445\"\nexpect = \"allow\"\n";
    std::fs::write(
        &p,
        format!("{}\n{invariant}", smbguard_model::EXAMPLE_ESTATE),
    )
    .unwrap();
    p
}

/// Runs the report's first `replay:` command (`check …`) on `estate`.
fn replay(report: &str, estate: &std::path::Path) -> Output {
    let line = report
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay: "))
        .expect("a replay line");
    let args: Vec<String> = line
        .split_whitespace()
        .skip(1)
        .map(|a| {
            if a == "ESTATE" {
                estate.to_str().unwrap().to_string()
            } else {
                a.to_string()
            }
        })
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    smbguard(&args)
}

#[test]
fn the_example_verifies_clean_and_exits_0() {
    let out = smbguard(&["verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    for id in ["I1", "I2", "I3", "I4", "I5", "I6", "I7"] {
        assert!(
            stdout.contains(&format!("PASS  {id} ")),
            "{id} missing:\n{stdout}"
        );
    }
    assert!(stdout.contains("PASS: all 7 invariants hold for every address; no warnings"));
    assert!(
        stdout.contains("Isolation ESP Authentication for SMB overrides"),
        "I3's proof cites the isolation rule"
    );
}

#[test]
fn a_failing_invariant_exits_1_with_a_replayable_counterexample() {
    let estate = failing_estate();
    let out = smbguard(&["verify", estate.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL  U1 "), "{stdout}");
    assert!(
        stdout.contains("FAIL: 1 of 8 invariants fail (U1)"),
        "{stdout}"
    );
    // The counterexample replays with `check` and gives the same verdict.
    let check = replay(&stdout, &estate);
    let check_out = String::from_utf8_lossy(&check.stdout);
    assert_eq!(
        check.status.code(),
        Some(1),
        "the replayed flow is blocked:\n{check_out}"
    );
    assert!(check_out.starts_with("BLOCK"), "{check_out}");
    // ... and the check trace is the one embedded in the report.
    let first = check_out.lines().next().unwrap();
    assert!(stdout.contains(&format!("| {first}")), "{stdout}");
}

#[test]
fn json_is_the_whole_report() {
    let out = smbguard(&["verify", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["passed"], true);
    assert_eq!(v["estate"], "contoso");
    assert_eq!(v["invariants"].as_array().unwrap().len(), 7);
    assert_eq!(v["matrix"]["tables"].as_array().unwrap().len(), 12);
    assert!(v["smbguard"].is_string());
}

#[test]
fn html_goes_to_out_and_bad_input_exits_2() {
    let path = scratch("report.html");
    let out = smbguard(&[
        "verify",
        "--format",
        "html",
        "--out",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let html = std::fs::read_to_string(&path).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script"), "no script");
    assert!(!html.contains("src="), "no external asset");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external link"
    );
    assert!(html.contains("Legend"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("report written to"));

    let bad = scratch("bad.toml");
    std::fs::write(&bad, "[estate]\nname = \"x\"\n").unwrap();
    let out = smbguard(&["verify", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn verify_text_snapshot() {
    // Issue 10 acceptance: the verify text is reviewed as a snapshot, on the
    // example estate and on one with a failing invariant.
    let out = smbguard(&["verify"]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!("verify_text_example", String::from_utf8_lossy(&out.stdout));
    let p = failing_estate();
    let out = smbguard(&["verify", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("verify_text_failing", String::from_utf8_lossy(&out.stdout));
}

/// A `Registry.pol` beside `estate` with `values` under the firewall policy
/// key's subkeys (`(subkey, name, dword)`).
fn gpo_file(estate: &std::path::Path, name: &str, values: &[(&str, &str, u32)]) {
    use smbguard_formats::registry_pol::{RegistryEntry, write_registry_pol};
    let entries: Vec<RegistryEntry> = values
        .iter()
        .map(|(key, value, data)| {
            RegistryEntry::dword(
                format!(r"SOFTWARE\Policies\Microsoft\WindowsFirewall\{key}"),
                *value,
                *data,
            )
        })
        .collect();
    let p = estate.parent().unwrap().join(name);
    std::fs::write(&p, write_registry_pol(&entries).unwrap()).unwrap();
}

/// The example with `deployed-gpos = [NAME]` added after the line `after`,
/// and that GPO setting `DoNotAllowExceptions = 1` in `profile_key`;
/// `verify`'s output and the estate's path.
fn verify_with_shield(after: &str, name: &str, profile_key: &str) -> (Output, PathBuf) {
    let estate = example_with(after, &format!("{after}deployed-gpos = [\"{name}\"]\n"));
    gpo_file(&estate, name, &[(profile_key, "DoNotAllowExceptions", 1)]);
    (smbguard(&["verify", estate.to_str().unwrap()]), estate)
}

const DC_LINE: &str = "outbound-block = true\n";
const FS_LINE: &str = "sid = \"S-1-5-21-1004336348-1177238915-682003330-3101\"\n";

/// Issue 12: "`verify` must fail I3/I4 with a counterexample when a GPO in
/// the estate's input puts DCs or file servers in shielded mode". The GPO is
/// named by the group's `deployed-gpos`; `check` replays the counterexample
/// with the same GPO and blocks it, saying why.
#[test]
fn a_deployed_gpo_shielding_the_dcs_fails_i3_with_a_counterexample() {
    let (out, estate) = verify_with_shield(DC_LINE, "dc-shield.pol", "DomainProfile");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL  I3 "), "{stdout}");
    let check = replay(&stdout, &estate);
    let trace = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(1), "{trace}");
    assert!(trace.contains("shielded mode"), "{trace}");

    // The same estate without the GPO verifies: the GPO is what fails it.
    let plain = smbguard(&["verify"]);
    assert_eq!(plain.status.code(), Some(0));
}

#[test]
fn a_deployed_gpo_shielding_the_file_server_fails_i4() {
    let (out, _) = verify_with_shield(FS_LINE, "fs-shield.pol", "DomainProfile");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL  I4 "), "{stdout}");
    assert!(!stdout.contains("FAIL  I3 "), "{stdout}");
}

/// Settings that do not cut DCs or file servers off leave the proof alone,
/// and a file that is not a `Registry.pol` is bad input (exit 2).
#[test]
fn harmless_or_unreadable_deployed_gpos() {
    // Shielded on Public only: DCs and file servers accept nothing there anyway.
    let (out, _) = verify_with_shield(DC_LINE, "public-shield.pol", "PublicProfile");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let estate = example_with(
        DC_LINE,
        &format!("{DC_LINE}deployed-gpos = [\"garbage.pol\"]\n"),
    );
    std::fs::write(estate.with_file_name("garbage.pol"), b"not a PReg file").unwrap();
    let out = smbguard(&["verify", estate.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("garbage.pol"), "{stderr}");
}
