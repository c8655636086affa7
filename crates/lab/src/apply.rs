//! Deploying an nftables ruleset: `apply`, `confirm` and `rollback`.
//!
//! smbguard owns exactly one nftables object, `table inet smbguard`, and
//! [`apply`] replaces only that table, in one `nft -f` transaction, after
//! checking the ruleset with `nft -c`. Before the change it saves the table
//! that was there (or notes that there was none) in a state directory, and
//! checks that the saved table would load again, so [`rollback`] can always
//! put it back. With a confirmation window, a detached watchdog process
//! (started with `setsid`, so it outlives the CLI) rolls back unless
//! [`confirm`] runs first, like Junos `commit confirmed`. Confirmation and
//! rollback race through one atomic `rename` of the pending marker: exactly
//! one of them wins.

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::cmd::{describe, find_tool, has_net_admin, run};
use crate::error::LabError;

/// The only nftables object smbguard creates, replaces or deletes.
pub const TABLE: &str = "inet smbguard";

/// The default state directory (overridden by `$SMBGUARD_STATE_DIR`).
pub const DEFAULT_STATE_DIR: &str = "/var/lib/smbguard";

/// The state directory: `$SMBGUARD_STATE_DIR`, else [`DEFAULT_STATE_DIR`].
pub fn default_state_dir() -> PathBuf {
    std::env::var_os("SMBGUARD_STATE_DIR")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(DEFAULT_STATE_DIR), PathBuf::from)
}

/// Why an apply, confirm or rollback did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// nftables changes need CAP_NET_ADMIN.
    #[error("apply needs root (CAP_NET_ADMIN)")]
    NotRoot,
    /// A program is missing.
    #[error(
        "`{tool}` is not installed (looked on PATH, /usr/sbin and /sbin); install the Debian package `{package}`"
    )]
    MissingTool {
        /// The program.
        tool: &'static str,
        /// Its Debian package.
        package: &'static str,
    },
    /// `--netns` names a namespace that does not exist.
    #[error("network namespace `{0}` does not exist (see `ip netns list`)")]
    NoSuchNetns(String),
    /// `nft -c` rejected the ruleset; nothing was changed.
    #[error("the ruleset does not pass `nft -c`; nothing was changed:\n{0}")]
    Invalid(String),
    /// The ruleset would touch more than smbguard's own table.
    #[error(
        "the ruleset touches more than `table {TABLE}` ({0}); smbguard never changes other tables, so nothing was changed"
    )]
    Foreign(String),
    /// The saved table would not load again, so the change could not be undone.
    #[error(
        "the current `table {TABLE}` could not be saved in a form nft loads again, so the change could not be rolled back; nothing was changed:\n{0}"
    )]
    Unrestorable(String),
    /// An earlier apply is still waiting for confirmation.
    #[error(
        "an apply is waiting for confirmation (token {token}); run `smbguard confirm` to keep it or `smbguard rollback` to undo it first"
    )]
    Pending {
        /// Its token.
        token: String,
    },
    /// `confirm` with nothing to confirm.
    #[error("no apply is waiting for confirmation in {0} (it may have been rolled back already)")]
    NothingPending(String),
    /// `rollback` with nothing saved.
    #[error("nothing to roll back: no saved table in {0}")]
    NothingSaved(String),
    /// `nft` (or `ip netns exec`) failed.
    #[error("`{command}` failed: {detail}")]
    Command {
        /// The command line.
        command: String,
        /// Status and stderr.
        detail: String,
    },
    /// The state directory could not be read or written.
    #[error("state directory {path}: {detail}")]
    State {
        /// The file or directory.
        path: String,
        /// The OS error.
        detail: String,
    },
}

impl ApplyError {
    fn state(path: &Path, e: impl std::fmt::Display) -> Self {
        ApplyError::State {
            path: path.display().to_string(),
            detail: e.to_string(),
        }
    }
}

impl From<LabError> for ApplyError {
    fn from(e: LabError) -> Self {
        match e {
            LabError::Command { command, detail } => ApplyError::Command { command, detail },
            other => ApplyError::Command {
                command: "nft".into(),
                detail: other.to_string(),
            },
        }
    }
}

/// `nft`, on the host or inside a network namespace.
#[derive(Debug, Clone)]
pub struct Nft {
    nft: PathBuf,
    ip: Option<PathBuf>,
    netns: Option<String>,
}

impl Nft {
    /// Checks for CAP_NET_ADMIN and the programs needed.
    pub fn new(netns: Option<&str>) -> Result<Nft, ApplyError> {
        if !has_net_admin() {
            return Err(ApplyError::NotRoot);
        }
        let nft = find_tool("nft").ok_or(ApplyError::MissingTool {
            tool: "nft",
            package: "nftables",
        })?;
        let ip = match netns {
            Some(name) => {
                let ip = find_tool("ip").ok_or(ApplyError::MissingTool {
                    tool: "ip",
                    package: "iproute2",
                })?;
                if name.contains('/') || !Path::new("/run/netns").join(name).exists() {
                    return Err(ApplyError::NoSuchNetns(name.to_string()));
                }
                Some(ip)
            }
            None => None,
        };
        Ok(Nft {
            nft,
            ip,
            netns: netns.map(str::to_string),
        })
    }

    fn command(&self) -> Command {
        match (&self.ip, &self.netns) {
            (Some(ip), Some(ns)) => crate::cmd::in_netns(ip, ns, &self.nft),
            _ => Command::new(&self.nft),
        }
    }

    /// `nft -c -f -`: would the ruleset load?
    pub fn check(&self, ruleset: &str) -> Result<(), ApplyError> {
        run(self.command().args(["-c", "-f", "-"]), Some(ruleset))
            .map(|_| ())
            .map_err(|e| match e {
                LabError::Command { detail, .. } => ApplyError::Invalid(detail),
                other => ApplyError::from(other),
            })
    }

    /// `nft -f -`: loads the ruleset as one transaction.
    pub fn load(&self, ruleset: &str) -> Result<(), ApplyError> {
        run(self.command().args(["-f", "-"]), Some(ruleset))
            .map(|_| ())
            .map_err(ApplyError::from)
    }

    /// The names of every table, as `family name` (`inet smbguard`).
    pub fn tables(&self) -> Result<Vec<String>, ApplyError> {
        let out = run(self.command().args(["list", "tables"]), None)?;
        Ok(out
            .lines()
            .filter_map(|l| l.trim().strip_prefix("table "))
            .map(str::to_string)
            .collect())
    }

    /// `nft list table FAMILY NAME`, or `None` when there is no such table.
    pub fn list_table(&self, table: &str) -> Result<Option<String>, ApplyError> {
        if !self.tables()?.iter().any(|t| t == table) {
            return Ok(None);
        }
        let mut c = self.command();
        c.arg("list").arg("table").args(table.split_whitespace());
        Ok(Some(run(&mut c, None)?))
    }
}

/// The transaction that replaces smbguard's table with `table_text` (a
/// `table inet smbguard { ... }` block), or deletes it when `None`.
pub fn replace_transaction(table_text: Option<&str>) -> String {
    let mut out = format!("table {TABLE} {{}}\ndelete table {TABLE}\n");
    if let Some(t) = table_text {
        out.push_str(t);
        if !t.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Refuses rulesets whose top-level statements name anything but
/// `table inet smbguard` (other tables, `flush ruleset`, `include`, ...).
pub fn only_smbguard(ruleset: &str) -> Result<(), ApplyError> {
    let mut depth = 0usize;
    let mut stmt = String::new();
    let mut in_string = false;
    let mut in_comment = false;
    let check = |stmt: &mut String| -> Result<(), ApplyError> {
        let words: Vec<&str> = stmt.split_whitespace().collect();
        let ok = matches!(
            words.as_slice(),
            [] | ["table", "inet", "smbguard"]
                | [
                    "add" | "create" | "delete" | "destroy" | "flush",
                    "table",
                    "inet",
                    "smbguard"
                ]
        );
        let text = words.join(" ");
        stmt.clear();
        if ok {
            Ok(())
        } else {
            Err(ApplyError::Foreign(format!("top-level statement `{text}`")))
        }
    };
    for c in ruleset.chars() {
        if in_comment {
            if c != '\n' {
                continue;
            }
            in_comment = false;
        }
        if in_string {
            if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '#' => in_comment = true,
            '{' => {
                if depth == 0 {
                    check(&mut stmt)?;
                }
                depth += 1;
            }
            '}' => depth = depth.saturating_sub(1),
            '\n' | ';' if depth == 0 => check(&mut stmt)?,
            _ if depth == 0 => stmt.push(c),
            _ => {}
        }
    }
    if in_comment || !stmt.trim().is_empty() {
        check(&mut stmt)?;
    }
    Ok(())
}

/// The state of one target (the host, or one network namespace).
#[derive(Debug, Clone)]
pub struct State {
    dir: PathBuf,
}

const PREVIOUS: &str = "previous.nft";
const PREVIOUS_NONE: &str = "previous.none";
const APPLIED: &str = "applied.nft";
const PENDING: &str = "pending";
const CLAIMED: &str = "pending.claimed";
const WATCHDOG_LOG: &str = "watchdog.log";

impl State {
    /// The state of `netns` (or the host) under `root`.
    pub fn new(root: &Path, netns: Option<&str>) -> State {
        let scope = match netns {
            Some(n) => format!("netns-{n}"),
            None => "host".to_string(),
        };
        State {
            dir: root.join(scope),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn write(&self, name: &str, text: &str) -> Result<(), ApplyError> {
        let tmp = self.path(&format!(".{name}.tmp"));
        let dst = self.path(name);
        fs::write(&tmp, text).map_err(|e| ApplyError::state(&tmp, e))?;
        fs::rename(&tmp, &dst).map_err(|e| ApplyError::state(&dst, e))
    }

    fn remove(&self, name: &str) -> Result<(), ApplyError> {
        let p = self.path(name);
        match fs::remove_file(&p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(ApplyError::state(&p, e)),
        }
    }

    /// The pending confirmation, if any.
    pub fn pending(&self) -> Result<Option<Pending>, ApplyError> {
        let p = self.path(PENDING);
        match fs::read_to_string(&p) {
            Ok(text) => Ok(Some(Pending::parse(&text))),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ApplyError::state(&p, e)),
        }
    }

    /// Atomically takes the pending marker (only one of `confirm` and the
    /// watchdog can); `None` when someone else took it first.
    fn claim(&self) -> Result<Option<Pending>, ApplyError> {
        let (from, to) = (self.path(PENDING), self.path(CLAIMED));
        match fs::rename(&from, &to) {
            Ok(()) => {
                let text = fs::read_to_string(&to).unwrap_or_default();
                let _ = fs::remove_file(&to);
                Ok(Some(Pending::parse(&text)))
            }
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ApplyError::state(&from, e)),
        }
    }

    /// What `rollback` would restore: `Some(Some(table))`, `Some(None)` (no
    /// table before: delete smbguard's), or `None` (nothing saved).
    pub fn saved(&self) -> Result<Option<Option<String>>, ApplyError> {
        let p = self.path(PREVIOUS);
        match fs::read_to_string(&p) {
            Ok(t) => return Ok(Some(Some(t))),
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(ApplyError::state(&p, e)),
        }
        Ok(self.path(PREVIOUS_NONE).exists().then_some(None))
    }
}

/// A change waiting for `smbguard confirm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Names this apply; the watchdog rolls back only its own.
    pub token: String,
    /// When the watchdog rolls back (seconds since the Unix epoch).
    pub deadline: u64,
    /// The watchdog's process id.
    pub watchdog: Option<u32>,
}

impl Pending {
    fn parse(text: &str) -> Pending {
        let get = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
                .map(str::trim)
        };
        Pending {
            token: get("token").unwrap_or_default().to_string(),
            deadline: get("deadline").and_then(|v| v.parse().ok()).unwrap_or(0),
            watchdog: get("watchdog").and_then(|v| v.parse().ok()),
        }
    }

    fn render(&self) -> String {
        let mut s = format!("token={}\ndeadline={}\n", self.token, self.deadline);
        if let Some(p) = self.watchdog {
            s.push_str(&format!("watchdog={p}\n"));
        }
        s
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn new_token() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{:x}-{:x}", std::process::id(), nanos)
}

/// The command line of the watchdog, given the token: program first. The
/// CLI passes itself (`smbguard rollback --if-unconfirmed TOKEN --after N`).
pub type WatchdogArgv<'a> = &'a dyn Fn(&str) -> Vec<OsString>;

/// What to apply, where.
#[derive(Clone, Copy)]
pub struct ApplyRequest<'a> {
    /// The nftables file (as `smbguard_emit`'s nftables target writes it).
    pub ruleset: &'a str,
    /// The state directory root.
    pub state_dir: &'a Path,
    /// Run everything inside this network namespace.
    pub netns: Option<&'a str>,
    /// Roll back unless confirmed within this time, with this watchdog.
    pub confirm: Option<(Duration, WatchdogArgv<'a>)>,
}

impl std::fmt::Debug for ApplyRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplyRequest")
            .field("state_dir", &self.state_dir)
            .field("netns", &self.netns)
            .field("confirm", &self.confirm.map(|(d, _)| d))
            .finish_non_exhaustive()
    }
}

/// What an apply did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// True when a `table inet smbguard` existed before (it was saved).
    pub replaced_existing: bool,
    /// The confirmation window, when one was asked for.
    pub pending: Option<Pending>,
    /// The state directory used.
    pub state_dir: PathBuf,
}

/// Checks, saves, replaces: see the module documentation. Nothing changes
/// unless every check passed.
pub fn apply(req: &ApplyRequest<'_>) -> Result<Applied, ApplyError> {
    only_smbguard(req.ruleset)?;
    let nft = Nft::new(req.netns)?;
    let state = State::new(req.state_dir, req.netns);
    fs::create_dir_all(state.dir()).map_err(|e| ApplyError::state(state.dir(), e))?;
    if let Some(p) = state.pending()? {
        return Err(ApplyError::Pending { token: p.token });
    }
    nft.check(req.ruleset)?;
    let previous = nft.list_table(TABLE)?;
    if let Some(prev) = &previous {
        nft.check(&replace_transaction(Some(prev)))
            .map_err(|e| ApplyError::Unrestorable(e.to_string()))?;
    }
    match &previous {
        Some(prev) => {
            state.write(PREVIOUS, prev)?;
            state.remove(PREVIOUS_NONE)?;
        }
        None => {
            state.write(PREVIOUS_NONE, "no table inet smbguard before this apply\n")?;
            state.remove(PREVIOUS)?;
        }
    }
    let pending = match req.confirm {
        Some((within, argv)) => {
            let mut p = Pending {
                token: new_token(),
                deadline: now_secs() + within.as_secs(),
                watchdog: None,
            };
            state.write(PENDING, &p.render())?;
            match spawn_watchdog(&state, req.state_dir, &argv(&p.token)) {
                Ok(pid) => {
                    p.watchdog = Some(pid);
                    state.write(PENDING, &p.render())?;
                }
                Err(e) => {
                    let _ = state.claim();
                    return Err(e);
                }
            }
            Some(p)
        }
        None => None,
    };
    if let Err(e) = nft.load(req.ruleset) {
        if let Some(p) = state.claim()? {
            stop_watchdog(&p);
        }
        return Err(e);
    }
    state.write(APPLIED, req.ruleset)?;
    Ok(Applied {
        replaced_existing: previous.is_some(),
        pending,
        state_dir: state.dir().to_path_buf(),
    })
}

fn spawn_watchdog(state: &State, root: &Path, argv: &[OsString]) -> Result<u32, ApplyError> {
    let setsid = find_tool("setsid").ok_or(ApplyError::MissingTool {
        tool: "setsid",
        package: "util-linux",
    })?;
    let log_path = state.path(WATCHDOG_LOG);
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| ApplyError::state(&log_path, e))?;
    let log2 = log
        .try_clone()
        .map_err(|e| ApplyError::state(&log_path, e))?;
    // Not forking: our child is no process-group leader, so setsid makes it
    // the leader of a new session and execs in place; its pid is the
    // watchdog's, and no terminal signal or group kill of the CLI reaches it.
    let mut c = Command::new(setsid);
    c.args(argv)
        .env("SMBGUARD_STATE_DIR", root)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log2));
    let child = c.spawn().map_err(|e| ApplyError::Command {
        command: describe(&c),
        detail: e.to_string(),
    })?;
    Ok(child.id())
}

/// Stops a watchdog that is still sleeping, identified by its pid and the
/// token on its command line (so a reused pid is never signalled).
fn stop_watchdog(p: &Pending) {
    let Some(pid) = p.watchdog else { return };
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    if !p.token.is_empty() && String::from_utf8_lossy(&cmdline).contains(&p.token) {
        if let Ok(raw) = i32::try_from(pid) {
            let _ = kill(Pid::from_raw(raw), Signal::SIGTERM);
        }
    }
}

/// What `confirm` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmed {
    /// The apply confirmed.
    pub pending: Pending,
}

/// Keeps the pending apply: removes the marker (the watchdog then does
/// nothing) and stops the watchdog.
pub fn confirm(state_dir: &Path, netns: Option<&str>) -> Result<Confirmed, ApplyError> {
    let state = State::new(state_dir, netns);
    match state.claim()? {
        Some(p) => {
            stop_watchdog(&p);
            Ok(Confirmed { pending: p })
        }
        None => Err(ApplyError::NothingPending(
            state.dir().display().to_string(),
        )),
    }
}

/// What `rollback` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolledBack {
    /// The saved table is back.
    Restored,
    /// There was no table before: smbguard's table was deleted.
    Deleted,
    /// `--if-unconfirmed TOKEN` and that apply was confirmed (or already
    /// rolled back, or superseded): nothing done.
    NotNeeded,
}

/// Restores the table saved by the last apply (or deletes smbguard's table
/// if there was none). With `if_unconfirmed`, only when that apply is still
/// pending (the watchdog's call).
pub fn rollback(
    state_dir: &Path,
    netns: Option<&str>,
    if_unconfirmed: Option<&str>,
) -> Result<RolledBack, ApplyError> {
    let state = State::new(state_dir, netns);
    if let Some(token) = if_unconfirmed {
        match state.pending()? {
            Some(p) if p.token == token => {}
            _ => return Ok(RolledBack::NotNeeded),
        }
        let nft = Nft::new(netns)?;
        match state.claim()? {
            Some(p) if p.token == token => restore(&state, &nft),
            _ => Ok(RolledBack::NotNeeded),
        }
    } else {
        let nft = Nft::new(netns)?;
        if state.saved()?.is_none() {
            return Err(ApplyError::NothingSaved(state.dir().display().to_string()));
        }
        if let Some(p) = state.claim()? {
            stop_watchdog(&p);
        }
        restore(&state, &nft)
    }
}

fn restore(state: &State, nft: &Nft) -> Result<RolledBack, ApplyError> {
    let saved = state
        .saved()?
        .ok_or_else(|| ApplyError::NothingSaved(state.dir().display().to_string()))?;
    let text = replace_transaction(saved.as_deref());
    nft.check(&text)?;
    nft.load(&text)?;
    state.remove(PREVIOUS)?;
    state.remove(PREVIOUS_NONE)?;
    state.remove(APPLIED)?;
    Ok(if saved.is_some() {
        RolledBack::Restored
    } else {
        RolledBack::Deleted
    })
}
