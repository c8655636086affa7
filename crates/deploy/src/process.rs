//! Finding and running the programs smbguard drives (`nft`, `ip`,
//! `setsid`); shared with the lab, which drives more of them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::DeployError;

/// Directories searched after `PATH` (root's tools live in sbin, which a
/// non-login `PATH` may lack).
const EXTRA_DIRS: [&str; 4] = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

/// Finds `name` on `PATH` or in the sbin directories.
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(EXTRA_DIRS.iter().map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// True when this process may change network configuration: effective
/// capability CAP_NET_ADMIN (bit 12), which root has.
pub fn has_net_admin() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << 12) != 0)
}

/// The command line, for messages.
pub fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// [`DeployError::Command`]: `cmd` could not be started or failed, `detail` says how.
pub fn failed(cmd: &Command, detail: impl std::fmt::Display) -> DeployError {
    DeployError::Command {
        command: describe(cmd),
        detail: detail.to_string(),
    }
}

/// Runs `cmd` to completion with `stdin` as its input; stdout on success,
/// the exit status and stderr as [`DeployError::Command`].
pub fn run(cmd: &mut Command, stdin: Option<&str>) -> Result<String, DeployError> {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| failed(cmd, e))?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // A write error shows up as the command's own failure below.
        let _ = pipe.write_all(text.as_bytes());
    }
    let out = child.wait_with_output().map_err(|e| failed(cmd, e))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        Err(failed(cmd, format!("{}: {}", out.status, stderr.trim())))
    }
}

/// `ip netns exec NAME program`: `program` run inside a namespace.
pub fn in_netns(ip: &Path, netns: &str, program: &Path) -> Command {
    let mut c = Command::new(ip);
    c.args(["netns", "exec", netns]).arg(program);
    c
}
