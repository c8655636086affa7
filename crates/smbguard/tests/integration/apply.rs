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

    /// [`Sandbox::smbguard`], which must exit with `code` (else the
    /// assertion shows its output).
    fn exits(&self, code: i32, args: &[&str]) -> Output {
        let o = self.smbguard(args);
        assert_eq!(o.status.code(), Some(code), "{}", text(&o));
        o
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
    let o = sb.exits(0, &[&APPLY_NAS[..], &["--confirm-within", "2"]].concat());
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

    sb.exits(0, &["confirm"]);
    // Past the window: the table stays, the watchdog is gone.
    std::thread::sleep(Duration::from_millis(3500));
    assert_eq!(sb.table("smbguard").as_deref(), Some(applied.as_str()));
    assert!(!running_smbguard(pid), "watchdog {pid} still running");
    sb.decoy_untouched();
    // Nothing left to confirm.
    sb.exits(1, &["confirm"]);
}

#[test]
fn apply_rolls_back_unless_confirmed() {
    if !ready("apply_rolls_back_unless_confirmed") {
        return;
    }
    let sb = Sandbox::new();
    sb.nft_load(MARKER);
    let before = sb.table("smbguard").unwrap();
    let o = sb.exits(0, &[&APPLY_NAS[..], &["--confirm-within", "2"]].concat());
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
    sb.exits(1, &["confirm"]);
    sb.exits(1, &["rollback"]);
}

#[test]
fn rollback_goes_back_one_apply() {
    if !ready("rollback_goes_back_one_apply") {
        return;
    }
    let sb = Sandbox::new();
    assert_eq!(sb.table("smbguard"), None);
    sb.exits(0, &[&APPLY_NAS[..], &["--profile", "public"]].concat());
    assert!(sb.table("smbguard").is_some());
    // A second apply is allowed (no confirmation pending) and saves the first.
    sb.exits(
        0,
        &["apply", "--target", "nftables", "--group", "workstations"],
    );
    let ws = sb.table("smbguard").unwrap();
    assert!(ws.contains("Block all inbound SMB 445") || ws.contains("tcp dport 445"));
    sb.exits(0, &["rollback"]);
    let nas = sb.table("smbguard").expect("the nas table is back");
    assert_ne!(nas, ws);
    sb.decoy_untouched();
    // One step back only.
    sb.exits(1, &["rollback"]);
}

#[test]
fn apply_while_pending_is_refused() {
    if !ready("apply_while_pending_is_refused") {
        return;
    }
    let sb = Sandbox::new();
    let o = sb.exits(0, &[&APPLY_NAS[..], &["--confirm-within", "30"]].concat());
    let applied = sb.table("smbguard").unwrap();
    let again = sb.exits(2, &APPLY_NAS);
    assert!(String::from_utf8_lossy(&again.stderr).contains("waiting for confirmation"));
    assert_eq!(sb.table("smbguard").as_deref(), Some(applied.as_str()));
    // An explicit rollback cancels the watchdog and deletes the table (there was none).
    let pid = watchdog_pid(&o).unwrap();
    sb.exits(0, &["rollback"]);
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
    let o = sb.exits(
        2,
        &["apply", "--target", "nftables", "--group", "no-such-group"],
    );
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

impl Sandbox {
    fn scope(&self) -> PathBuf {
        self.state.join(format!("netns-{}", self.netns))
    }

    fn smbguard_env(&self, args: &[&str], state_dir: &str) -> Output {
        Command::new(env!("CARGO_BIN_EXE_smbguard"))
            .args(args)
            .env("SMBGUARD_STATE_DIR", state_dir)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }
}

/// Issue 11, defect 6: `flush ruleset` (or nothing at all) in the saved
/// state was run by rollback, deleting every table. Now rollback refuses
/// anything but the checksummed `table inet smbguard` apply saved.
#[test]
fn defect_6_rollback_runs_whatever_the_saved_state_holds() {
    if !ready("defect_6_rollback_runs_whatever_the_saved_state_holds") {
        return;
    }
    let sb = Sandbox::new();
    sb.nft_load(MARKER);
    sb.exits(0, &APPLY_NAS);
    let applied = sb.table("smbguard").unwrap();
    let previous = sb.scope().join("previous.nft");
    let honest = std::fs::read_to_string(&previous).unwrap();
    let tampered = honest.replace("before smbguard apply", "after tampering");
    for bad in [
        "flush ruleset\n",
        "",
        "table inet other {}\ndelete table inet other\n",
        tampered.as_str(),
    ] {
        std::fs::write(&previous, bad).unwrap();
        let r = sb.smbguard(&["rollback"]);
        assert_eq!(r.status.code(), Some(2), "{bad:?}\n{}", text(&r));
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(err.contains("refusing to use"), "{bad:?}\n{}", text(&r));
        assert!(err.contains("nothing was changed"), "{}", text(&r));
        assert_eq!(sb.table("smbguard").as_deref(), Some(applied.as_str()));
        sb.decoy_untouched();
    }
    // The honest file still works: the marker table is back.
    std::fs::write(&previous, honest).unwrap();
    sb.exits(0, &["rollback"]);
    assert!(
        sb.table("smbguard")
            .unwrap()
            .contains("before smbguard apply")
    );
    sb.decoy_untouched();
}

fn kill9(pid: u32) {
    let st = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let gone = Instant::now() + Duration::from_secs(3);
    while running_smbguard(pid) && Instant::now() < gone {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!running_smbguard(pid), "watchdog {pid} survived SIGKILL");
}

/// Issue 11, defect 9: with the watchdog killed, the deadline passed with
/// no rollback and a late `confirm` said the rollback was cancelled. Now a
/// dead watchdog is reported, and past the deadline the next command does
/// the rollback.
#[test]
fn defect_9_a_dead_watchdog_goes_unnoticed() {
    if !ready("defect_9_a_dead_watchdog_goes_unnoticed") {
        return;
    }
    let sb = Sandbox::new();
    sb.nft_load(MARKER);
    let before = sb.table("smbguard").unwrap();
    // Before the deadline: confirm keeps the change and says the watchdog was dead.
    let o = sb.exits(0, &[&APPLY_NAS[..], &["--confirm-within", "30"]].concat());
    kill9(watchdog_pid(&o).unwrap());
    let applied = sb.table("smbguard").unwrap();
    let again = sb.exits(2, &APPLY_NAS);
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("watchdog is not running"),
        "{}",
        text(&again)
    );
    let c = sb.exits(0, &["confirm"]);
    assert!(
        String::from_utf8_lossy(&c.stdout).contains("watchdog was no longer running"),
        "{}",
        text(&c)
    );
    assert_eq!(sb.table("smbguard").as_deref(), Some(applied.as_str()));
    sb.exits(0, &["rollback"]);
    assert_eq!(sb.table("smbguard").as_deref(), Some(before.as_str()));

    // Past the deadline: the late confirm does the overdue rollback, exit 1.
    let o = sb.exits(0, &[&APPLY_NAS[..], &["--confirm-within", "1"]].concat());
    kill9(watchdog_pid(&o).unwrap());
    std::thread::sleep(Duration::from_millis(2200));
    assert_ne!(sb.table("smbguard").as_deref(), Some(before.as_str()));
    let c = sb.exits(1, &["confirm"]);
    let err = String::from_utf8_lossy(&c.stderr);
    assert!(err.contains("too late to confirm"), "{}", text(&c));
    assert!(!err.contains("cancelled"), "{}", text(&c));
    assert_eq!(sb.table("smbguard").as_deref(), Some(before.as_str()));
    sb.decoy_untouched();
}

/// Running smbguard watchdogs for this sandbox's namespace.
fn watchdogs(netns: &str) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if running_smbguard(pid)
            && cmd.contains("--if-unconfirmed")
            && cmd.ends_with(&format!("--netns {netns} "))
        {
            n += 1;
        }
    }
    n
}

/// Issue 11, defect 10: concurrent applies failed with a misleading
/// missing-file error or each started a watchdog. Now the state folder is
/// locked: one apply wins, the others are told one is waiting.
#[test]
fn defect_10_concurrent_applies_are_not_locked() {
    if !ready("defect_10_concurrent_applies_are_not_locked") {
        return;
    }
    let sb = Sandbox::new();
    let children: Vec<_> = (0..6)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_smbguard"))
                .args(APPLY_NAS)
                .args(["--confirm-within", "60", "--netns", &sb.netns])
                .env("SMBGUARD_STATE_DIR", &sb.state)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let all: String = outs.iter().map(text).collect();
    let won = outs.iter().filter(|o| o.status.code() == Some(0)).count();
    assert_eq!(won, 1, "exactly one apply wins:\n{all}");
    for o in outs.iter().filter(|o| o.status.code() != Some(0)) {
        assert_eq!(o.status.code(), Some(2), "{}", text(o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("waiting for confirmation"),
            "{}",
            text(o)
        );
    }
    assert_eq!(watchdogs(&sb.netns), 1, "one watchdog:\n{all}");
    sb.exits(0, &["rollback"]);
    assert_eq!(sb.table("smbguard"), None, "there was no table before");
    sb.decoy_untouched();
}

/// Issue 11, defect 12 (deploy part): `--netns ""` was reported as an
/// `nft -c` failure, a garbage pending file was confirmed, and an empty
/// SMBGUARD_STATE_DIR silently meant /var/lib/smbguard.
#[test]
fn defect_12_deploy_inputs_are_refused_clearly() {
    if !ready("defect_12_deploy_inputs_are_refused_clearly") {
        return;
    }
    let sb = Sandbox::new();
    let state = sb.state.to_string_lossy().into_owned();
    let o = sb.smbguard_env(&[&APPLY_NAS[..], &["--netns", ""]].concat(), &state);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("is not a network namespace name"),
        "{}",
        text(&o)
    );
    assert!(!err.contains("nft -c"), "{}", text(&o));
    for cmd in [
        &["confirm", "--netns", ""][..],
        &["rollback", "--netns", ""],
    ] {
        let o = sb.smbguard_env(cmd, &state);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(String::from_utf8_lossy(&o.stderr).contains("is not a network namespace name"));
    }

    std::fs::create_dir_all(sb.scope()).unwrap();
    std::fs::write(sb.scope().join("pending"), "hello\x1b[2J world\n").unwrap();
    let c = sb.exits(2, &["confirm"]);
    let err = String::from_utf8_lossy(&c.stderr);
    assert!(
        err.contains("not a pending marker smbguard wrote"),
        "{}",
        text(&c)
    );
    assert!(
        !err.contains('\x1b'),
        "control characters escaped: {}",
        text(&c)
    );
    assert!(sb.scope().join("pending").exists(), "refused, not consumed");

    let o = sb.smbguard_env(&["confirm", "--netns", &sb.netns], "");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("SMBGUARD_STATE_DIR is set but empty"),
        "{}",
        text(&o)
    );
    sb.decoy_untouched();
}
