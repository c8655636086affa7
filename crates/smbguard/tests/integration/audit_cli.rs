//! `smbguard audit` end to end: the real fixtures (a GPMC backup,
//! Registry.pol files, a recorded bundle) audited without error, their
//! findings in snapshots; exit codes and --fail-on; bad input exits 2;
//! JSON lines on stdin; the fix script.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::Output;

fn smbguard(args: &[&str]) -> Output {
    smbguard_testkit::smbguard!().output(args)
}

fn fixture(rel: &str) -> String {
    smbguard_testkit::fixtures_dir()
        .join(rel)
        .to_str()
        .unwrap()
        .to_owned()
}

const BUNDLE: &str = "audit/workstation-stock-rules.bundle.json";
const STIG: &str = "windows/nsacyber-stig-firewall-gpo-backup";

/// The JSON report with the machine's paths replaced, for a snapshot.
fn report(args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let out = smbguard(args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let root = smbguard_testkit::fixtures_dir()
        .to_str()
        .unwrap()
        .to_owned();
    let text = stdout.replace(&root, "FIXTURES");
    let v: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{e}: {text}\n{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), v)
}

/// Code and title of every finding, host by host.
fn summary(v: &serde_json::Value) -> String {
    let mut s = String::new();
    for h in v["hosts"].as_array().unwrap() {
        s.push_str(&format!(
            "{} [{}] group={} classes={}\n",
            h["host"].as_str().unwrap(),
            h["input"].as_str().unwrap(),
            h["group"].as_str().unwrap_or("-"),
            h["classes"]
        ));
        for f in h["findings"].as_array().unwrap() {
            s.push_str(&format!(
                "  {} {} {}: {}\n",
                f["severity"].as_str().unwrap(),
                f["code"].as_str().unwrap(),
                f["kb"].as_str().unwrap(),
                f["title"].as_str().unwrap()
            ));
        }
    }
    s
}

#[test]
fn real_fixtures_audit_without_error_and_their_findings_are_a_snapshot() {
    let (code, v) = report(&[
        "audit",
        &fixture(BUNDLE),
        &fixture(STIG),
        &fixture("windows/hotcakex-windows-firewall-policies.registry.pol"),
        "--group",
        "workstations",
        "--format",
        "json",
        "--fail-on",
        "low",
    ]);
    assert_eq!(code, Some(1), "findings at --fail-on low");
    assert_eq!(v["schema"], "smbguard-audit/1");
    assert_eq!(v["hosts"].as_array().unwrap().len(), 3);
    insta::assert_snapshot!("audit_fixtures", summary(&v));
}

#[test]
fn the_recorded_bundle_names_the_stock_rules_and_the_innocent_one() {
    let (_, v) = report(&["audit", &fixture(BUNDLE), "--format", "json"]);
    let h = &v["hosts"][0];
    assert_eq!(h["group"], "workstations", "group told from the addresses");
    let text = h.to_string();
    assert!(text.contains("Backup agent"), "{text}");
    assert!(text.contains("SG-H001"), "{text}");
    assert!(text.contains("SG-H007"), "{text}");
    // The block narrowed to one program is read as matching nothing, and said so.
    assert!(text.contains("narrowest"), "{text}");
}

#[test]
fn fail_on_sets_the_exit_code_and_text_is_grouped_most_severe_first() {
    let b = fixture(BUNDLE);
    let out = smbguard(&["audit", &b]);
    assert_eq!(out.status.code(), Some(1), "high findings fail by default");
    let text = String::from_utf8_lossy(&out.stdout);
    let high = text.find("[high]").expect("a high finding");
    let medium = text.find("[medium]").unwrap_or(usize::MAX);
    assert!(high < medium, "{text}");
    assert!(text.contains("WS-0042"), "{text}");
}

#[test]
fn bad_input_exits_2() {
    let dir = smbguard_testkit::scratch_dir("audit-cli");
    let junk = dir.join("junk.txt");
    std::fs::write(&junk, "hello").unwrap();
    let out = smbguard(&["audit", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let bad_bundle = dir.join("bad.json");
    std::fs::write(
        &bad_bundle,
        r#"{"schema":"smbguard-evidence/1","host":{"name":1}}"#,
    )
    .unwrap();
    let out = smbguard(&["audit", bad_bundle.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not an smbguard evidence bundle"),
        "{stderr}"
    );
}

#[test]
fn bundles_stream_as_json_lines_on_stdin_and_the_fix_script_is_report_only() {
    let text = std::fs::read_to_string(fixture(BUNDLE)).unwrap();
    let one: serde_json::Value = serde_json::from_str(&text).unwrap();
    let line = format!("\u{feff}{}\n{}\n", one, one);
    let dir = smbguard_testkit::scratch_dir("audit-cli-stdin");
    let fix: PathBuf = dir.join("fix.ps1");
    let out = smbguard_testkit::smbguard!().output_stdin(
        &[
            "audit",
            "-",
            "--format",
            "json",
            "--fix-script",
            fix.to_str().unwrap(),
        ],
        line.as_bytes(),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["hosts"], 2);
    let script = std::fs::read_to_string(&fix).unwrap();
    assert!(script.contains("param([switch]$Apply)"), "{script}");
    assert!(
        script.contains("Disable-NetFirewallRule -Name '{8D3A6E0B"),
        "{script}"
    );
    assert!(script.contains("if ($Apply)"));
}

#[test]
fn a_fleet_as_a_folder_and_as_json_lines_gives_one_report_and_the_first_bad_file_fails() {
    use smbguard_testkit::fleet::{Fleet, Params};
    let fleet = Fleet::new(&Params {
        groups: 15,
        hosts: 40,
        ranges: 80,
        seed: 3,
        drifted_per_mille: 200,
        host_specific: false,
    });
    let dir = smbguard_testkit::scratch_dir("audit-cli-fleet");
    let estate = dir.join("fleet.toml");
    std::fs::write(&estate, &fleet.toml).unwrap();
    let bundles = dir.join("bundles");
    fleet.write_dir(&bundles).unwrap();
    let mut lines = Vec::new();
    fleet.write_jsonl(&mut lines).unwrap();
    let estate = estate.to_str().unwrap();
    let folder = smbguard(&[
        "audit",
        estate,
        bundles.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let stdin = smbguard_testkit::smbguard!()
        .output_stdin(&["audit", estate, "-", "--format", "json"], &lines);
    for out in [&folder, &stdin] {
        // Drifted hosts have high findings; stderr is no terminal: no bar.
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let json = |o: &Output| serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap();
    let (a, b) = (json(&folder), json(&stdin));
    assert_eq!(a["summary"]["hosts"], 40);
    assert_eq!(a["summary"], b["summary"]);
    assert_eq!(summary(&a), summary(&b));
    // Two bad files: the first in the folder's order is the one reported.
    std::fs::write(
        bundles.join("AA-bad.json"),
        "{\"schema\": \"smbguard-evidence/1\"}",
    )
    .unwrap();
    std::fs::write(bundles.join("ZZ-bad.json"), "{}").unwrap();
    let out = smbguard(&["audit", estate, bundles.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("AA-bad.json"), "{stderr}");
    assert!(!stderr.contains("ZZ-bad"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
