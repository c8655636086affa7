//! `smbguard apply --target nftables`, `confirm` and `rollback`, for real,
//! each test in a network namespace of its own (created and always deleted)
//! with a decoy `table inet other` that must never change.
//!
//! Needs root and nftables/iproute2: without root every test says
//! `SKIPPED (needs root)` on stderr and passes; as root with a tool missing
//! it skips too, unless `SMBGUARD_REQUIRE_TOOLS=1`, where it fails.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const DECOY: &str = "table inet other {\n\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n\t\ttcp dport 9999 counter drop\n\t}\n}\n";
const MARKER: &str =
    "table inet smbguard {\n\tchain marker {\n\t\tcomment \"before smbguard apply\"\n\t}\n}\n";

fn ready(_test: &str) -> bool {
    smbguard_testkit::require_root() && smbguard_testkit::require_tools(&["nft", "ip", "setsid"])
}

/// A network namespace (the testkit's, deleted on drop) and a state
/// directory, removed when dropped.
struct Sandbox {
    ns: smbguard_testkit::Netns,
    netns: String,
    state: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        let ns = smbguard_testkit::Netns::new();
        let netns = ns.name().to_owned();
        let state = std::env::temp_dir().join(format!("smbguard-apply-test-{netns}"));
        let _ = std::fs::remove_dir_all(&state);
        std::fs::create_dir_all(&state).unwrap();
        let sb = Sandbox { ns, netns, state };
        sb.nft_load(DECOY);
        sb
    }

    fn nft(&self, args: &[&str], stdin: Option<&str>) -> Output {
        self.ns
            .run_stdin(&[&["nft"], args].concat(), stdin.map(str::as_bytes))
    }

    fn nft_load(&self, text: &str) {
        let o = self.nft(&["-f", "-"], Some(text));
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }

    fn table(&self, name: &str) -> Option<String> {
        let o = self.nft(&["list", "table", "inet", name], None);
        o.status
            .success()
            .then(|| String::from_utf8_lossy(&o.stdout).into_owned())
    }

    fn smbguard(&self, args: &[&str]) -> Output {
        let state = self.state.to_str().expect("UTF-8 temp path");
        smbguard_testkit::smbguard!()
            .env("SMBGUARD_STATE_DIR", state)
            .output(&[args, &["--netns", &self.netns]].concat())
    }

    fn decoy_untouched(&self) {
        let t = self.table("other").expect("decoy table still there");
        assert!(
            t.contains("tcp dport 9999 counter packets 0 bytes 0 drop"),
            "decoy changed:\n{t}"
        );
        assert!(t.contains("chain input"), "decoy changed:\n{t}");
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.state);
    }
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn watchdog_pid(o: &Output) -> Option<u32> {
    let s = String::from_utf8_lossy(&o.stdout);
    let rest = s.split("watchdog pid ").nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// True while `pid` runs (zombies and reused pids without our name excluded).
fn running_smbguard(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.contains("(smbguard)") && !stat.contains(") Z")
}

const APPLY_NAS: [&str; 5] = ["apply", "--target", "nftables", "--group", "nas"];

#[test]
fn apply_then_confirm_keeps_the_table() {
    if !ready("apply_then_confirm_keeps_the_table") {
        return;
    }
    let sb = Sandbox::new();
    let o = sb.smbguard(&[&APPLY_NAS[..], &["--confirm-within", "2"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("smbguard confirm"),
        "{}",
        text(&o)
    );
    let applied = sb.table("smbguard").expect("table loaded");
    assert!(applied.contains("tcp dport 445"), "{applied}");
    assert!(applied.contains("chain input") && applied.contains("chain output"));
    let pid = watchdog_pid(&o).expect("watchdog pid printed");
    assert!(running_smbguard(pid), "the watchdog runs detached");
    sb.decoy_untouched();

    let c = sb.smbguard(&["confirm"]);
    assert_eq!(c.status.code(), Some(0), "{}", text(&c));
    // Past the window: the table stays, the watchdog is gone.
    std::thread::sleep(Duration::from_millis(3500));
    assert_eq!(sb.table("smbguard").as_deref(), Some(applied.as_str()));
    assert!(!running_smbguard(pid), "watchdog {pid} still running");
    sb.decoy_untouched();
    // Nothing left to confirm.
    let again = sb.smbguard(&["confirm"]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again));
}

#[test]
fn apply_rolls_back_unless_confirmed() {
    if !ready("apply_rolls_back_unless_confirmed") {
        return;
    }
    let sb = Sandbox::new();
    sb.nft_load(MARKER);
    let before = sb.table("smbguard").unwrap();
    let o = sb.smbguard(&[&APPLY_NAS[..], &["--confirm-within", "2"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("previous table is saved"));
    let applied = sb.table("smbguard").unwrap();
    assert_ne!(applied, before);
    sb.decoy_untouched();
    // Nobody confirms: within the window plus a margin the old table is back.
    let deadline = Instant::now() + Duration::from_secs(12);
    while sb.table("smbguard").as_deref() != Some(before.as_str()) {
        assert!(
            Instant::now() < deadline,
            "not rolled back; watchdog log:\n{}",
            std::fs::read_to_string(
                sb.state
                    .join(format!("netns-{}", sb.netns))
                    .join("watchdog.log")
            )
            .unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    sb.decoy_untouched();
    let pid = watchdog_pid(&o).unwrap();
    let gone = Instant::now() + Duration::from_secs(3);
    while running_smbguard(pid) && Instant::now() < gone {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!running_smbguard(pid));
    // The rollback consumed the saved state; confirming now is too late.
    let c = sb.smbguard(&["confirm"]);
    assert_eq!(c.status.code(), Some(1), "{}", text(&c));
    let r = sb.smbguard(&["rollback"]);
    assert_eq!(r.status.code(), Some(1), "{}", text(&r));
}

#[test]
fn rollback_goes_back_one_apply() {
    if !ready("rollback_goes_back_one_apply") {
        return;
    }
    let sb = Sandbox::new();
    assert_eq!(sb.table("smbguard"), None);
    let o = sb.smbguard(&[&APPLY_NAS[..], &["--profile", "public"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(sb.table("smbguard").is_some());
    // A second apply is allowed (no confirmation pending) and saves the first.
    let o2 = sb.smbguard(&["apply", "--target", "nftables", "--group", "workstations"]);
    assert_eq!(o2.status.code(), Some(0), "{}", text(&o2));
    let ws = sb.table("smbguard").unwrap();
    assert!(ws.contains("Block all inbound SMB 445") || ws.contains("tcp dport 445"));
    let r = sb.smbguard(&["rollback"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r));
    let nas = sb.table("smbguard").expect("the nas table is back");
    assert_ne!(nas, ws);
    sb.decoy_untouched();
    // One step back only.
    let r2 = sb.smbguard(&["rollback"]);
    assert_eq!(r2.status.code(), Some(1), "{}", text(&r2));
}

#[test]
fn apply_while_pending_is_refused() {
    if !ready("apply_while_pending_is_refused") {
        return;
    }
    let sb = Sandbox::new();
    let o = sb.smbguard(&[&APPLY_NAS[..], &["--confirm-within", "30"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let applied = sb.table("smbguard").unwrap();
    let again = sb.smbguard(&APPLY_NAS);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(String::from_utf8_lossy(&again.stderr).contains("waiting for confirmation"));
    assert_eq!(sb.table("smbguard").as_deref(), Some(applied.as_str()));
    // An explicit rollback cancels the watchdog and deletes the table (there was none).
    let pid = watchdog_pid(&o).unwrap();
    let r = sb.smbguard(&["rollback"]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r));
    assert_eq!(sb.table("smbguard"), None);
    let gone = Instant::now() + Duration::from_secs(3);
    while running_smbguard(pid) && Instant::now() < gone {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !running_smbguard(pid),
        "watchdog {pid} not stopped by rollback"
    );
    sb.decoy_untouched();
}

#[test]
fn apply_errors_are_exit_2_and_change_nothing() {
    if !ready("apply_errors_are_exit_2_and_change_nothing") {
        return;
    }
    let sb = Sandbox::new();
    sb.nft_load(MARKER);
    let before = sb.table("smbguard").unwrap();
    let o = sb.smbguard(&["apply", "--target", "nftables", "--group", "no-such-group"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no-such-group"));
    // Not root: refused before anything is read or changed.
    let setpriv = smbguard_testkit::tools::find_tool("setpriv");
    if let Some(setpriv) = setpriv {
        let o = Command::new(setpriv)
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--inh-caps=-all",
            ])
            .arg(env!("CARGO_BIN_EXE_smbguard"))
            .args(APPLY_NAS)
            .args(["--netns", &sb.netns])
            .env("SMBGUARD_STATE_DIR", &sb.state)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("apply needs root (CAP_NET_ADMIN)"),
            "{}",
            text(&o)
        );
    }
    assert_eq!(sb.table("smbguard").as_deref(), Some(before.as_str()));
    sb.decoy_untouched();
}
