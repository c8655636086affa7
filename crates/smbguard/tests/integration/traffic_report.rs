//! Issue 15, items 3 to 5 end to end: Zeek logs and captures through the
//! CLI, `init --from-traffic`, the no-estate note, and the HTML report
//! (matrix, chains, category links) rendered by headless Chromium.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::Output;

use crate::verify_html::{chromium, distinct_bytes, png_size, screenshot_sized};

fn smbguard(args: &[&str]) -> Output {
    smbguard_testkit::smbguard!().output(args)
}

fn pcap(name: &str) -> String {
    smbguard_testkit::fixture("pcaps")
        .join(name)
        .to_str()
        .unwrap()
        .to_owned()
}

fn all_pcaps() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(smbguard_testkit::fixture("pcaps"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .map(|p| p.to_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

fn scratch(name: &str) -> PathBuf {
    smbguard_testkit::scratch_dir("traffic-report").join(name)
}

const CHAIN: &str = "gen__lateral_chain_smb_dcerpc_tcp.pcap";

#[test]
fn init_from_traffic_drafts_an_estate_that_verifies_and_places_every_host() {
    let draft = scratch("draft.toml");
    let mut args = vec![
        "init",
        "--out",
        draft.to_str().unwrap(),
        "--force",
        "--from-traffic",
    ];
    let pcaps = all_pcaps();
    args.extend(pcaps.iter().map(String::as_str));
    let out = smbguard(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&draft).unwrap();
    insta::assert_snapshot!("drafted_estate", text);
    let verify = smbguard(&["verify", draft.to_str().unwrap()]);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let mut args = vec!["traffic", draft.to_str().unwrap(), "--format", "json"];
    args.extend(pcaps.iter().map(String::as_str));
    let out = smbguard(&args);
    assert!(out.status.success());
    let lines = String::from_utf8(out.stdout).unwrap();
    assert!(lines.lines().count() > 30);
    for line in lines.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let cats = v["categories"].as_array().unwrap();
        assert!(!cats.iter().any(|c| c == "unknown-host"), "{line}");
    }
}

#[test]
fn traffic_without_estate_on_foreign_addresses_says_so_on_stdout() {
    let out = smbguard(&["traffic", &pcap("sv__smb1_file_transfer_public_ips.pcap")]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.starts_with("note: no ESTATE given"), "{stdout}");
    assert!(stdout.contains("init --from-traffic"), "{stdout}");
    // Hosts the example places: no note.
    let out = smbguard(&["traffic", &pcap(CHAIN)]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!stdout.contains("no ESTATE given"), "{stdout}");
}

#[test]
fn zeek_logs_through_the_cli_report_like_the_capture() {
    let dir = smbguard_testkit::fixture("zeek/gen__lateral_chain/tsv");
    let logs: Vec<String> = ["conn.log", "smb_mapping.log", "dce_rpc.log"]
        .iter()
        .map(|f| dir.join(f).to_str().unwrap().to_owned())
        .collect();
    let mut args = vec!["traffic", "--format", "json"];
    args.extend(logs.iter().map(String::as_str));
    let from_logs = smbguard(&args);
    assert!(
        from_logs.status.success(),
        "{}",
        String::from_utf8_lossy(&from_logs.stderr)
    );
    let from_capture = smbguard(&["traffic", "--format", "json", &pcap(CHAIN)]);
    let cats = |o: &Output| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .map(|v| {
                (
                    format!("{}:{}", v["client_port"], v["server_port"]),
                    v["categories"].to_string(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(cats(&from_logs), cats(&from_capture));
}

#[test]
fn the_traffic_report_shows_matrix_and_chain_in_chromium() {
    let report = scratch("traffic.html");
    let estate = scratch("contoso.toml");
    std::fs::write(&estate, smbguard_model::EXAMPLE_ESTATE).unwrap();
    let out = smbguard(&[
        "traffic",
        "--estate",
        estate.to_str().unwrap(),
        &pcap(CHAIN),
        "--format",
        "html",
        "--out",
        report.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&report).unwrap();
    // The matrix: a cell observed although the plan forbids it (workstations
    // to members), and the chain, with links from counts to flows.
    assert!(html.contains("id=\"matrix\""));
    assert!(
        html.contains("<td class=\"forbidden\" title=\"workstations → members"),
        "no forbidden cell"
    );
    assert!(html.contains("198.18.16.5 → 198.18.2.7 → 198.18.16.9"));
    assert!(html.contains("href=\"#cat-lateral\"") && html.contains("id=\"cat-lateral\""));
    assert!(html.contains("id=\"flow-0\""));
    let matrix_at = html.find("id=\"matrix\"").unwrap();
    let chains_at = html.find("id=\"chains\"").unwrap();
    let flows_at = html.find("<h2>Flows").unwrap();
    assert!(
        matrix_at < chains_at && chains_at < flows_at,
        "matrix and chains come first"
    );
    let Some(chromium) = chromium() else {
        smbguard_testkit::tools::missing(
            "chromium not installed (the HTML report was not rendered)",
        );
        return;
    };
    // Tall enough that the categories, the matrix and the chain are all in view.
    let png = scratch("traffic.png");
    screenshot_sized(&chromium, &report, &png, &scratch("profile"), (1400, 2400));
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(png_size(&bytes), (1400, 2400));
    assert!(
        bytes.len() > 40_000,
        "screenshot too small: {} bytes",
        bytes.len()
    );
    assert!(distinct_bytes(&bytes) > 200, "too uniform to be a page");
    eprintln!("screenshot: {} ({} bytes)", png.display(), bytes.len());
}
