//! `smbguard lab` as a user runs it: exit code 0 when observed ==
//! predicted, JSON output, and Ctrl-C tearing everything down.
//!
//! Needs root and iproute2, nftables, samba, smbclient: without root every
//! test says `SKIPPED (needs root)` on stderr and passes; as root with a
//! tool missing it skips too, unless `SMBGUARD_REQUIRE_TOOLS=1`.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static ONE_LAB_AT_A_TIME: Mutex<()> = Mutex::new(());

fn ready(_test: &str) -> bool {
    smbguard_testkit::require_root()
        && smbguard_testkit::require_tools(&[
            "ip",
            "nft",
            "smbd",
            "smbclient",
            "smbpasswd",
            "setsid",
        ])
}

/// Namespaces of the lab run by process `pid`.
fn lab_netns(pid: u32) -> Vec<String> {
    let prefix = format!("sg{pid}r");
    std::fs::read_dir("/run/netns")
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(&prefix))
                .collect()
        })
        .unwrap_or_default()
}

/// Live (not zombie) processes of the lab run by `pid` (smbd started from
/// its temporary directory).
fn lab_processes(pid: u32) -> Vec<String> {
    let marker = format!("smbguard-lab-sg{pid}r");
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        if stat
            .rsplit(')')
            .next()
            .is_some_and(|r| r.trim_start().starts_with('Z'))
        {
            continue;
        }
        let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if cmd.contains(&marker) {
            out.push(cmd);
        }
    }
    out
}

#[test]
fn lab_public_profile_json_exits_0() {
    if !ready("lab_public_profile_json_exits_0") {
        return;
    }
    let _one = ONE_LAB_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let child = Command::new(env!("CARGO_BIN_EXE_smbguard"))
        .args(["lab", "--profile", "public", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let o = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "stderr:\n{}\nstdout:\n{stdout}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["differences"], 0);
    assert_eq!(v["workstation_profile"], "public");
    assert_eq!(v["lab_strategy"], "complement");
    assert!(v["probes"].as_array().unwrap().len() > 300);
    // Every host's live ruleset (and the router's), read back after `apply`,
    // audits clean, each judged against its own group.
    assert_eq!(v["live_findings"], 0);
    let live = v["live_audit"].as_array().unwrap();
    let policed = v["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["group"].is_string())
        .count();
    assert_eq!(live.len(), policed + 1, "every group host and the router");
    for a in live {
        assert_eq!(a["audit"]["findings"], serde_json::json!([]), "{a}");
        assert_eq!(a["audit"]["input"], "nft-json", "{a}");
        assert!(a["audit"]["classes"].as_u64().unwrap() > 0, "{a}");
        assert_eq!(a["audit"]["group"], a["group"], "{a}");
    }
    assert!(
        live.iter()
            .any(|a| a["host"] == "perimeter" && a["group"].is_null())
    );
    assert!(
        v["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["observed"] == "refused")
    );
    assert!(lab_netns(pid).is_empty(), "{:?}", lab_netns(pid));
    assert!(lab_processes(pid).is_empty(), "{:?}", lab_processes(pid));
}

#[test]
fn lab_ctrl_c_tears_everything_down() {
    if !ready("lab_ctrl_c_tears_everything_down") {
        return;
    }
    let _one = ONE_LAB_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let mut child = Command::new(env!("CARGO_BIN_EXE_smbguard"))
        .arg("lab")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // Interrupt once smbd runs, in the middle of the lab.
    let deadline = Instant::now() + Duration::from_secs(30);
    while lab_processes(pid).is_empty() {
        assert!(Instant::now() < deadline, "the lab never started smbd");
        assert!(child.try_wait().unwrap().is_none(), "the lab ended early");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!lab_netns(pid).is_empty());
    let st = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("interrupted"));
    assert!(lab_netns(pid).is_empty(), "{:?}", lab_netns(pid));
    // smbd got SIGKILL; give the kernel a moment to finish it.
    let gone = Instant::now() + Duration::from_secs(3);
    while !lab_processes(pid).is_empty() && Instant::now() < gone {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(lab_processes(pid).is_empty(), "{:?}", lab_processes(pid));
    let dir = std::env::temp_dir();
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("smbguard-lab-sg{pid}r"))
        })
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary directories left: {leftovers:?}"
    );
}
