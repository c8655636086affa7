//! The detached watchdog that rolls an unconfirmed apply back, and how the
//! other commands tell whether it still runs.

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::path::Path;
use std::process::{Command, Stdio};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::error::DeployError;
use crate::process::{failed, find_tool};
use crate::state::{Pending, State, WATCHDOG_LOG};

/// Starts `argv` detached (its own session), logging to the state folder;
/// returns its pid.
pub(crate) fn spawn(state: &State, root: &Path, argv: &[OsString]) -> Result<u32, DeployError> {
    let setsid = find_tool("setsid").ok_or(DeployError::MissingTool {
        tool: "setsid",
        package: "util-linux",
    })?;
    let log_path = state.path(WATCHDOG_LOG);
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| DeployError::state(&log_path, e))?;
    let log2 = log
        .try_clone()
        .map_err(|e| DeployError::state(&log_path, e))?;
    // Not forking: our child is no process-group leader, so setsid makes it
    // the leader of a new session and execs in place; its pid is the
    // watchdog's, and no terminal signal or group kill of the CLI reaches it.
    let mut c = Command::new(setsid);
    c.args(argv)
        .env("SMBGUARD_STATE_DIR", root)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log2));
    let child = c.spawn().map_err(|e| failed(&c, e))?;
    Ok(child.id())
}

/// True while the pending apply's watchdog runs: its pid is alive, not a
/// zombie, and carries the apply's token on its command line (so a reused
/// pid does not count).
pub(crate) fn alive(p: &Pending) -> bool {
    let Some(pid) = p.watchdog else { return false };
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let zombie = stat
        .rsplit_once(')')
        .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X']));
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    !stat.is_empty()
        && !zombie
        && !p.token.is_empty()
        && String::from_utf8_lossy(&cmdline).contains(&p.token)
}

/// Stops a watchdog that still runs (never a reused pid: see [`alive`]).
pub(crate) fn stop(p: &Pending) {
    if !alive(p) {
        return;
    }
    if let Some(raw) = p.watchdog.and_then(|pid| i32::try_from(pid).ok()) {
        let _ = kill(Pid::from_raw(raw), Signal::SIGTERM);
    }
}
