//! `smbguard audit --format sarif|html` end to end (issue 14, point 6): the
//! SARIF log validates against the official SARIF 2.1.0 schema (which can
//! fail), both formats of a small fleet are snapshots, every string from
//! the inputs is escaped, the page renders in Chromium without horizontal
//! overflow, `-o FILE` writes every format, and the exit code survives a
//! reader that stops early.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use serde_json::Value;
use smbguard_audit::{Bundle, RegValueData};
use smbguard_emit::Target;
use smbguard_model::Strategy;

use crate::audit_support::{artifacts, compliant_bundle, example, set_smb, value};
use crate::sarif_schema::{assert_valid, validator};
use crate::verify_html::{assert_renders_as_a_page, chromium, dump_dom};

/// The name of the third-party rule the hostile workstation carries.
const HOSTILE_RULE: &str = "<script>alert(\"rule\")</script>";
/// The hostile workstation's host name and file name.
const HOSTILE_HOST: &str = "WS-<b>01</b>";
const HOSTILE_FILE: &str = "ws <i>&.json";

/// `smbguard ARGS` run in `dir` (so inputs are named relative to it).
fn smbguard_in(dir: &Path, args: &[&str]) -> Output {
    smbguard_testkit::smbguard!()
        .command()
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn write_bundle(dir: &Path, file: &str, b: &Bundle) {
    std::fs::write(dir.join(file), serde_json::to_string_pretty(b).unwrap()).unwrap();
}

/// A small fleet in `DIR/fleet/` (returns DIR), one host per severity:
/// - `ws <i>&.json`: workstation `WS-<b>01</b>` with a third-party bypass
///   named `<script>…` opening TCP 445 (`SG-H001`) and the SMB1 client on
///   (`SG-H007`), both high;
/// - `fs-01.json`: the file server with encryption off (`SG-H008`, medium);
/// - `dc-01.json`: a compliant domain controller.
fn small_fleet(tag: &str) -> PathBuf {
    let dir = smbguard_testkit::scratch_dir(tag);
    let fleet = dir.join("fleet");
    std::fs::create_dir_all(&fleet).unwrap();
    let (estate, plan) = example(Strategy::IpsecBypass);
    let arts = artifacts(&estate, &plan, &[Target::Gpo]);

    let mut ws = compliant_bundle(&plan, &arts, "workstations");
    ws.host.name = HOSTILE_HOST.to_owned();
    ws.firewall.local.push(value(
        "FirewallRules",
        "{8D3A6E0B-2C1F-4B5E-9A7D-5F1C3E2B4A60}",
        RegValueData::Text(format!("v2.33|Action=ByPass|Active=TRUE|Dir=In|Protocol=6|LPort=445|Security=Authenticate|RMauth=D:(A;;CC;;;S-1-5-21-1004336348-1177238915-682003330-3104)|Name={HOSTILE_RULE}|")),
    ));
    ws.smb.smb1_feature = "enabled".to_owned();
    set_smb(
        &mut ws,
        r"SYSTEM\CurrentControlSet\Services\mrxsmb10",
        "Start",
        2,
    );
    write_bundle(&fleet, HOSTILE_FILE, &ws);

    let mut fs = compliant_bundle(&plan, &arts, "file-server");
    fs.host.name = "FS-01".to_owned();
    let server = r"SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters";
    set_smb(&mut fs, server, "EncryptData", 0);
    write_bundle(&fleet, "fs-01.json", &fs);

    let mut dc = compliant_bundle(&plan, &arts, "domain-controllers");
    dc.host.name = "DC-01".to_owned();
    write_bundle(&fleet, "dc-01.json", &dc);
    dir
}

/// The fleet audited in `format`: exit code and stdout.
fn audit_fleet(dir: &Path, format: &str) -> (Option<i32>, String) {
    let out = smbguard_in(dir, &["audit", "fleet", "--format", format]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.stdout.is_empty(), "{stderr}");
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

/// What the schema cannot say: rule indexes point at their rule, levels
/// follow severities, fingerprints differ.
fn assert_consistent(doc: &Value) {
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), smbguard_audit::AuditCode::ALL.len());
    let mut prints = std::collections::BTreeSet::new();
    for r in run["results"].as_array().unwrap() {
        let i = usize::try_from(r["ruleIndex"].as_u64().unwrap()).unwrap();
        assert_eq!(rules[i]["id"], r["ruleId"]);
        let level = match r["properties"]["severity"].as_str().unwrap() {
            "high" => "error",
            "medium" => "warning",
            _ => "note",
        };
        assert_eq!(r["level"], level);
        assert!(prints.insert(r["partialFingerprints"].to_string()), "{r}");
    }
}

#[test]
fn sarif_validates_against_the_oasis_schema() {
    let validator = validator();
    // The schema can fail: a result without its required message, and a
    // helpUri that is no URI (the `format` check is on).
    let dir = small_fleet("audit-sarif-schema");
    let (code, text) = audit_fleet(&dir, "sarif");
    assert_eq!(code, Some(1), "high findings fail by default");
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_valid(&validator, &doc, "small fleet");
    assert_consistent(&doc);
    let mut broken = doc.clone();
    broken["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(!validator.is_valid(&broken), "a result without message");
    let mut broken = doc.clone();
    broken["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] = "docs/audit.md#x y".into();
    assert!(!validator.is_valid(&broken), "a helpUri that is no URI");

    let levels: Vec<&str> = doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    assert!(
        levels.contains(&"error") && levels.contains(&"warning"),
        "{levels:?}"
    );

    // The real fixtures (many findings, GPO backups, registry.pol) and a
    // clean audit (no result at all).
    let fixtures = smbguard_testkit::fixtures_dir();
    let out = smbguard_in(
        &fixtures,
        &[
            "audit",
            "audit/workstation-stock-rules.bundle.json",
            "windows/nsacyber-stig-firewall-gpo-backup",
            "windows/hotcakex-windows-firewall-policies.registry.pol",
            "--group",
            "workstations",
            "--format",
            "sarif",
        ],
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid(&validator, &doc, "fixtures");
    assert_consistent(&doc);
    let out = smbguard_in(&dir, &["audit", "fleet/dc-01.json", "--format", "sarif"]);
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_valid(&validator, &doc, "clean");
    assert_eq!(doc["runs"][0]["results"], Value::Array(Vec::new()));
}

#[test]
fn sarif_and_html_of_a_small_fleet_are_snapshots() {
    let dir = small_fleet("audit-report-snapshots");
    let (_, sarif) = audit_fleet(&dir, "sarif");
    let (_, html) = audit_fleet(&dir, "html");
    let (_, again) = audit_fleet(&dir, "sarif");
    assert_eq!(sarif, again, "deterministic");
    insta::assert_snapshot!("audit_small_fleet_sarif", sarif);
    insta::assert_snapshot!("audit_small_fleet_html", html);
}

#[test]
fn html_escapes_every_string_from_the_inputs_and_loads_nothing() {
    let dir = small_fleet("audit-html-escape");
    let (_, html) = audit_fleet(&dir, "html");
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<style>"));
    // The hostile rule name, host name and file name appear, escaped only.
    assert!(
        html.contains("&lt;script&gt;alert(&quot;rule&quot;)&lt;/script&gt;"),
        "the rule name is shown"
    );
    assert!(
        html.contains("WS-&lt;b&gt;01&lt;/b&gt;"),
        "the host name is shown"
    );
    assert!(
        html.contains("ws &lt;i&gt;&amp;.json"),
        "the file name is shown"
    );
    for raw in ["<script", "<b>01", "<i>&"] {
        assert!(!html.contains(raw), "unescaped {raw}");
    }
    // Self-contained: nothing is loaded (links to the references are fine).
    for banned in [" src=", "<link", "url(", "@import", "<iframe", "<object"] {
        assert!(!html.contains(banned), "{banned} in HTML");
    }
    // Compliant hosts are counted, not listed; the medium host is.
    assert!(!html.contains("DC-01") && html.contains("FS-01"));
    assert!(html.contains("href=\"#SG-H001\"") && html.contains("id=\"SG-H001\""));
}

#[test]
fn the_audit_report_renders_in_chromium_without_horizontal_overflow() {
    let dir = small_fleet("audit-html-chromium");
    let report = dir.join("report.html");
    let out = smbguard_in(
        &dir,
        &["audit", "fleet", "--format", "html", "-o", "report.html"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "the report went to the file");
    let Some(chromium) = chromium() else {
        smbguard_testkit::tools::missing(
            "chromium not installed (the HTML report was not rendered)",
        );
        return;
    };
    assert_renders_as_a_page(&chromium, &report, &dir);

    // No horizontal overflow, wide and narrow: a copy of the page with a
    // probe script (the report itself has none) writes the widths into the
    // DOM Chromium dumps after the load event.
    let probe = dir.join("probe.html");
    std::fs::write(
        &probe,
        std::fs::read_to_string(&report).unwrap().replace(
            "</body>",
            "<script>addEventListener('load', () => { const p = document.createElement('output'); p.id = 'probe'; p.textContent = 'scroll=' + document.documentElement.scrollWidth + ' client=' + document.documentElement.clientWidth + ';'; document.body.appendChild(p); });</script></body>",
        ),
    )
    .unwrap();
    for width in [1400, 600] {
        let dom = dump_dom(
            &chromium,
            &probe,
            &dir.join(format!("profile-{width}")),
            (width, 900),
        );
        let at = dom.find("id=\"probe\">scroll=").expect("the probe ran");
        let probe = &dom[at..];
        let number = |key: &str| -> u32 {
            let v = &probe[probe.find(key).unwrap() + key.len()..];
            v[..v.find([' ', ';']).unwrap()].parse().unwrap()
        };
        let (scroll, client) = (number("scroll="), number("client="));
        assert!(
            scroll <= client,
            "{width} px: page {scroll} px wide in {client} px"
        );
    }
}

#[test]
fn out_file_takes_every_format_and_help_names_them() {
    let dir = small_fleet("audit-out-file");
    for (format, start) in [
        ("text", "smbguard audit of estate"),
        ("json", "{"),
        ("sarif", "{"),
        ("html", "<!DOCTYPE html>"),
    ] {
        let file = format!("report.{format}");
        let out = smbguard_in(
            &dir,
            &["audit", "fleet/dc-01.json", "--format", format, "-o", &file],
        );
        assert_eq!(out.status.code(), Some(0), "{format}");
        assert!(out.stdout.is_empty(), "{format}: nothing on stdout");
        let text = std::fs::read_to_string(dir.join(&file)).unwrap();
        assert!(
            text.starts_with(start),
            "{format}: {}",
            &text[..text.len().min(80)]
        );
    }
    let help = smbguard_in(&dir, &["audit", "--help"]);
    let help = String::from_utf8(help.stdout).unwrap();
    for line in ["- sarif: SARIF 2.1.0", "- html:  One self-contained HTML"] {
        assert!(help.contains(line), "{line}:\n{help}");
    }
}

/// The case of issue 14: a `.wfw` audit with high findings exited 0. Two
/// causes, both held here: a folder's `FIREWALL.WFW` (upper-case extension)
/// was skipped, leaving an empty, "compliant" report; and the exit code was
/// decided after writing the report, so a reader that stopped early
/// (`smbguard audit … | head`) turned the failure into a quiet exit 0.
#[test]
fn wfw_audit_with_high_findings_exits_1_from_a_folder_and_into_a_closed_pipe() {
    let dir = smbguard_testkit::scratch_dir("audit-wfw-exit");
    std::fs::copy(
        smbguard_testkit::fixture("windows/luthfina16-firewall.wfw"),
        dir.join("FIREWALL.WFW"),
    )
    .unwrap();
    // `-` makes smbguard read stdin after the folder; stdout's reader is
    // closed before stdin is, so the report's first write meets a closed
    // pipe whatever the speed of either process.
    let mut child = smbguard_testkit::smbguard!()
        .command()
        .args([
            "audit",
            dir.to_str().unwrap(),
            "-",
            "--group",
            "workstations",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_folder_without_audit_inputs_exits_2() {
    let dir = smbguard_testkit::scratch_dir("audit-empty-folder");
    std::fs::write(dir.join("notes.txt"), "nothing to audit").unwrap();
    let out = smbguard_in(&dir, &["audit", "."]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no evidence bundle"), "{stderr}");
}
