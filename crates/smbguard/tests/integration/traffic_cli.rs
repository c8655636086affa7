//! `smbguard traffic` end to end: snapshots on every fixture with the
//! example estate, the would-be-blocked table, formats, exit codes.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::Output;

fn smbguard(args: &[&str]) -> Output {
    smbguard_testkit::smbguard!().output(args)
}

fn fixtures_dir() -> PathBuf {
    smbguard_testkit::fixture("pcaps")
}

fn fixture(name: &str) -> String {
    fixtures_dir().join(name).to_str().unwrap().to_owned()
}

fn all_fixtures() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .map(|p| p.to_str().unwrap().to_owned())
        .collect();
    v.sort();
    assert!(v.len() >= 10);
    v
}

fn scratch(name: &str) -> PathBuf {
    smbguard_testkit::scratch_dir("traffic-cli").join(name)
}

/// The ProtectWise captures' hosts: DC1 and two workstations.
const LAB: &str = r#"
[estate]
name = "lab"
internal = ["192.168.10.0/24"]

[[groups]]
name = "dcs"
role = "domain-controller"
addresses = ["192.168.10.10"]

[[groups]]
name = "workstations"
role = "workstation"
addresses = ["192.168.10.30", "192.168.10.31"]
"#;

fn lab_estate() -> String {
    let p = scratch("lab.toml");
    std::fs::write(&p, LAB).unwrap();
    p.to_str().unwrap().to_owned()
}

fn run_ok(args: &[&str]) -> String {
    smbguard_testkit::smbguard!().ok(args)
}

fn traffic_args<'a>(head: &[&'a str], files: &'a [String]) -> Vec<&'a str> {
    let mut v = vec!["traffic"];
    v.extend_from_slice(head);
    v.extend(files.iter().map(String::as_str));
    v
}

#[test]
fn all_fixtures_with_the_example_estate_text() {
    let files = all_fixtures();
    let text = run_ok(&traffic_args(&[], &files));
    insta::assert_snapshot!("traffic_all_fixtures_text", text);
}

#[test]
fn all_fixtures_with_the_example_estate_json_lines() {
    let files = all_fixtures();
    let json = run_ok(&traffic_args(&["--format", "json"], &files));
    for line in json.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        // Without an estate the first line is the note that says so.
        if v["note"].is_string() {
            continue;
        }
        assert!(v["categories"].is_array() && v["verdict"].is_string());
    }
    insta::assert_snapshot!("traffic_all_fixtures_json", json);
}

#[test]
fn lateral_copy_to_admin_share_would_be_blocked_with_its_rule() {
    let estate = lab_estate();
    let text = run_ok(&[
        "traffic",
        &estate,
        &fixture("sv__smb210_copy_to_admin_c_share.pcap"),
        &fixture("sv__smb210_net_user_domain_to_dc.pcap"),
    ]);
    assert!(
        text.contains("Would be blocked by the plan (Domain profile): 1 of 2 flows"),
        "{text}"
    );
    let row = text
        .lines()
        .find(|l| {
            l.trim_start()
                .starts_with("workstations  workstations  tcp/445")
        })
        .unwrap_or_else(|| panic!("no blocked row:\n{text}"));
    assert!(
        row.contains("Block outbound Domain/Private SMB 445 (K6, source-outbound)"),
        "{row}"
    );
    assert!(
        text.contains("Lateral SMB between client hosts (1)"),
        "{text}"
    );
    assert!(text.contains("\\\\admin-pc\\c$"), "{text}");
    // --estate FILE means the same as a leading .toml argument.
    let flag = run_ok(&[
        "traffic",
        "--estate",
        &estate,
        &fixture("sv__smb210_copy_to_admin_c_share.pcap"),
        &fixture("sv__smb210_net_user_domain_to_dc.pcap"),
    ]);
    assert_eq!(flag, text);
}

#[test]
fn json_lines_carry_verdict_and_rule() {
    let estate = lab_estate();
    let json = run_ok(&[
        "traffic",
        &estate,
        "--format",
        "json",
        &fixture("sv__smb210_copy_to_admin_c_share.pcap"),
    ]);
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(v["verdict"], "block");
    assert_eq!(v["rule"]["kb"], "K6");
    assert_eq!(
        v["categories"],
        serde_json::json!(["lateral", "admin-share"])
    );
    assert_eq!(v["client_endpoint"]["name"], "workstations");
}

#[test]
fn profile_option_changes_the_evaluation() {
    let estate = lab_estate();
    let dc = fixture("sv__smb210_net_user_domain_to_dc.pcap");
    let domain = run_ok(&["traffic", &estate, &dc]);
    let public = run_ok(&["traffic", &estate, &dc, "--profile", "public"]);
    assert!(
        domain.contains("nothing observed would be blocked"),
        "{domain}"
    );
    assert!(public.contains("profile Public"), "{public}");
    assert!(
        !public.contains("nothing observed would be blocked"),
        "{public}"
    );
}

#[test]
fn html_is_self_contained() {
    let files = all_fixtures();
    let out = scratch("report.html");
    let out_s = out.to_str().unwrap();
    let o = smbguard(&traffic_args(&["--format", "html", "--out", out_s], &files));
    assert_eq!(o.status.code(), Some(0));
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<style>"));
    for banned in ["<script", "http://", "https://", " src=", "<link"] {
        assert!(!html.contains(banned), "{banned} in HTML");
    }
    assert!(html.contains("admin-share"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("report written to"));
}

#[test]
fn threads_and_mmap_do_not_change_the_result() {
    let files = all_fixtures();
    let base = run_ok(&traffic_args(&["--format", "json"], &files));
    let threaded = run_ok(&traffic_args(
        &["--format", "json", "--threads", "4"],
        &files,
    ));
    let mapped = run_ok(&traffic_args(&["--format", "json", "--mmap"], &files));
    assert_eq!(base, threaded);
    assert_eq!(base, mapped);
}

#[test]
fn truncated_capture_warns_with_offset_and_still_reports() {
    let data = std::fs::read(fixture("sv__smb210_psexec_add_user_nbns.pcap")).unwrap();
    let cut = scratch("cut.pcap");
    std::fs::write(&cut, &data[..data.len() * 2 / 3 + 7]).unwrap();
    let out = smbguard(&["traffic", "--format", "json", cut.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: cut.pcap: at byte ") && stderr.contains("truncated"),
        "{stderr}"
    );
    assert!(!out.stdout.is_empty(), "partial results are still reported");
}

#[test]
fn unreadable_input_exits_2() {
    let junk = scratch("junk.bin");
    std::fs::write(&junk, b"this is not a capture\n").unwrap();
    let out = smbguard(&["traffic", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unrecognised input format"));
    let out = smbguard(&["traffic", "/nonexistent/capture.pcap"]);
    assert_eq!(out.status.code(), Some(2));
    let out = smbguard(&["traffic", &lab_estate()]);
    assert_eq!(out.status.code(), Some(2), "an estate without a capture");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no CAPTURE given"));
}

/// One Ethernet/IPv4/TCP frame from `src:sport` to `dst:dport`.
fn tcp_frame(
    src: [u8; 4],
    dst: [u8; 4],
    ports: (u16, u16),
    seq: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00];
    let total = u16::try_from(20 + 20 + payload.len()).unwrap();
    f.extend([0x45, 0]);
    f.extend(total.to_be_bytes());
    f.extend([0, 1, 0x40, 0, 64, 6, 0, 0]);
    f.extend(src);
    f.extend(dst);
    f.extend(ports.0.to_be_bytes());
    f.extend(ports.1.to_be_bytes());
    f.extend(seq.to_be_bytes());
    f.extend(0u32.to_be_bytes());
    f.extend([0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    f.extend(payload);
    f
}

/// An SMB2 TREE_CONNECT request for `path`, in its NBSS frame.
fn tree_connect(path: &str) -> Vec<u8> {
    let path: Vec<u8> = path.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut smb = vec![0xfe, b'S', b'M', b'B', 64, 0, 0, 0, 0, 0, 0, 0];
    smb.extend(3u16.to_le_bytes()); // TREE_CONNECT
    smb.extend([1, 0]);
    smb.extend(0u32.to_le_bytes()); // a request
    smb.extend(0u32.to_le_bytes());
    smb.extend(7u64.to_le_bytes()); // MessageId
    smb.extend([0u8; 4 + 4 + 8 + 16]);
    smb.extend(9u16.to_le_bytes());
    smb.extend(0u16.to_le_bytes());
    smb.extend(72u16.to_le_bytes());
    smb.extend(u16::try_from(path.len()).unwrap().to_le_bytes());
    smb.extend(path);
    let mut nbss = vec![0, 0];
    nbss.extend(u16::try_from(smb.len()).unwrap().to_be_bytes());
    nbss.extend(smb);
    nbss
}

/// A pcap of one SMB connection between the lab's two workstations whose
/// tree connect names `path`.
fn capture_with_share_path(path: &str) -> PathBuf {
    let (ws1, ws2) = ([192, 168, 10, 31], [192, 168, 10, 30]);
    let frames = [
        tcp_frame(ws1, ws2, (50000, 445), 1000, 0x02, &[]),
        tcp_frame(ws2, ws1, (445, 50000), 5000, 0x12, &[]),
        tcp_frame(ws1, ws2, (50000, 445), 1001, 0x18, &tree_connect(path)),
    ];
    write_pcap(&frames, "hostile-share.pcap")
}

#[test]
fn capture_data_reaches_the_terminal_escaped() {
    // Issue 11, defect 5: a share path from the wire with CR/LF and ANSI
    // escapes forged report lines and drove the terminal.
    let capture =
        capture_with_share_path("\\\\192.168.10.30\\x\r\nFORGED LINE\x1b[2J\x1b]0;owned\x07");
    let capture = capture.to_str().unwrap();
    let estate = lab_estate();
    let text = run_ok(&["traffic", &estate, capture]);
    assert!(
        text.contains("\\r\\nFORGED LINE\\x1b[2J\\x1b]0;owned\\x07"),
        "{text}"
    );
    assert!(!text.contains('\x1b') && !text.contains('\r') && !text.contains('\x07'));
    assert!(!text.lines().any(|l| l.starts_with("FORGED")), "{text}");
    let json = run_ok(&["traffic", &estate, capture, "--format", "json"]);
    assert!(json.contains("\\r\\nFORGED LINE\\u001b[2J"), "{json}");
    assert!(!json.contains('\x1b'));
}

#[test]
fn threads_are_capped_at_the_machine_s_parallelism() {
    // Issue 11, defect 11: `--threads 10000` started thousands of threads.
    let capture = capture_with_share_path("\\\\192.168.10.30\\data");
    let out = smbguard(&[
        "traffic",
        &lab_estate(),
        capture.to_str().unwrap(),
        "--threads",
        "10000",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("note: --threads 10000 capped at"), "{err}");
}

/// An SMB2 response header (NBSS-framed) to TREE_CONNECT MessageId 7 with
/// `status` and a 9-byte error body.
fn tree_connect_refused(status: u32) -> Vec<u8> {
    let mut smb = vec![0xfe, b'S', b'M', b'B', 64, 0, 0, 0];
    smb.extend(status.to_le_bytes());
    smb.extend(3u16.to_le_bytes()); // TREE_CONNECT
    smb.extend([1, 0]);
    smb.extend(1u32.to_le_bytes()); // SMB2_FLAGS_SERVER_TO_REDIR
    smb.extend(0u32.to_le_bytes());
    smb.extend(7u64.to_le_bytes()); // MessageId
    smb.extend([0u8; 4 + 4 + 8 + 16]);
    smb.extend([9, 0, 0, 0, 0, 0, 0, 0, 0]);
    let mut nbss = vec![0, 0];
    nbss.extend(u16::try_from(smb.len()).unwrap().to_be_bytes());
    nbss.extend(smb);
    nbss
}

#[test]
fn denied_tree_connect_and_compression_are_shown_in_text_and_html() {
    // Issue 15: a refused ADMIN$ looked like an access, and SMB 3.1.1
    // compression (CVE-2020-0796) appeared in JSON only.
    let (ws1, ws2) = ([192, 168, 10, 31], [192, 168, 10, 30]);
    let request = tree_connect("\\\\192.168.10.30\\ADMIN$");
    let refused = tree_connect_refused(0xc000_0022);
    // SMB2 COMPRESSION_TRANSFORM_HEADER (MS-SMB2 2.2.42), LZNT1, unchained.
    let mut compressed = vec![0, 0, 0, 20, 0xfc, b'S', b'M', b'B', 64, 0, 0, 0, 1, 0, 0, 0];
    compressed.extend([0u8; 8]);
    let frames = [
        tcp_frame(ws1, ws2, (50000, 445), 1000, 0x02, &[]),
        tcp_frame(ws2, ws1, (445, 50000), 5000, 0x12, &[]),
        tcp_frame(ws1, ws2, (50000, 445), 1001, 0x18, &request),
        tcp_frame(ws2, ws1, (445, 50000), 5001, 0x18, &refused),
        tcp_frame(
            ws1,
            ws2,
            (50000, 445),
            1001 + len32(&request),
            0x18,
            &compressed,
        ),
    ];
    let capture = write_pcap(&frames, "denied-compressed.pcap");
    let capture = capture.to_str().unwrap();
    let estate = lab_estate();
    let text = run_ok(&["traffic", &estate, capture]);
    assert!(
        text.contains("denied tree connect \\\\192.168.10.30\\ADMIN$: STATUS_ACCESS_DENIED"),
        "{text}"
    );
    assert!(text.contains("CVE-2020-0796"), "{text}");
    let html = scratch("denied.html");
    run_ok(&[
        "traffic",
        &estate,
        capture,
        "--format",
        "html",
        "--out",
        html.to_str().unwrap(),
    ]);
    let html = std::fs::read_to_string(html).unwrap();
    assert!(html.contains("STATUS_ACCESS_DENIED"), "{html}");
    assert!(html.contains("CVE-2020-0796"));
    let json = run_ok(&["traffic", &estate, capture, "--format", "json"]);
    assert!(
        json.contains("\"status\":\"STATUS_ACCESS_DENIED\""),
        "{json}"
    );
}

fn len32(b: &[u8]) -> u32 {
    u32::try_from(b.len()).unwrap()
}

/// A pcap of `frames` in the scratch directory.
fn write_pcap(frames: &[Vec<u8>], name: &str) -> PathBuf {
    let mut pcap = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    pcap.extend([0u8; 8]);
    pcap.extend(65535u32.to_le_bytes());
    pcap.extend(1u32.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        pcap.extend(u32::try_from(1_700_000_000 + i).unwrap().to_le_bytes());
        pcap.extend(0u32.to_le_bytes());
        let len = u32::try_from(f.len()).unwrap().to_le_bytes();
        pcap.extend(len);
        pcap.extend(len);
        pcap.extend(f);
    }
    let p = scratch(name);
    std::fs::write(&p, pcap).unwrap();
    p
}

#[test]
fn one_unreadable_input_does_not_suppress_the_report() {
    // Issue 15: a junk file among the captures hid every other capture's
    // flows. Now the readable ones are reported, the junk one is listed with
    // its reason in text, JSON and HTML, and the exit code is still 2.
    let junk = scratch("junk-among-captures.bin");
    std::fs::write(&junk, b"this is not a capture\n").unwrap();
    let junk = junk.to_str().unwrap();
    let good = fixture("sv__smb210_copy_to_admin_c_share.pcap");
    let estate = lab_estate();
    let out = smbguard(&["traffic", &estate, &good, junk]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("sv__smb210_copy_to_admin_c_share.pcap"),
        "{text}"
    );
    assert!(text.contains("1 SMB/NetBIOS flows"), "{text}");
    assert!(
        text.contains("Unreadable inputs")
            && text.contains("junk-among-captures.bin: unrecognised input format"),
        "{text}"
    );
    let out = smbguard(&["traffic", &estate, &good, junk, "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let json = String::from_utf8_lossy(&out.stdout);
    let last: serde_json::Value = serde_json::from_str(json.lines().last().unwrap()).unwrap();
    assert_eq!(last["unreadable"], "junk-among-captures.bin");
    assert!(
        json.lines().count() > 1,
        "the readable capture's flows come first"
    );
    let html = scratch("partial.html");
    let out = smbguard(&[
        "traffic",
        &estate,
        &good,
        junk,
        "--format",
        "html",
        "--out",
        html.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let html = std::fs::read_to_string(html).unwrap();
    assert!(html.contains("Unreadable inputs") && html.contains("junk-among-captures.bin"));
}
