//! Finding and running the programs the lab drives.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::LabError;

/// Directories searched after `PATH` (root's tools live in sbin, which a
/// non-login `PATH` may lack).
const EXTRA_DIRS: [&str; 4] = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

/// Finds `name` on `PATH` or in the sbin directories.
pub(crate) fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(EXTRA_DIRS.iter().map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Like [`find_tool`], or the error naming the Debian package.
pub(crate) fn require_tool(name: &str, package: &str) -> Result<PathBuf, LabError> {
    find_tool(name).ok_or_else(|| LabError::MissingTool {
        tool: name.to_string(),
        package: package.to_string(),
    })
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

/// The programs the lab runs, by absolute path.
#[derive(Debug, Clone)]
pub struct Tools {
    /// iproute2 `ip`.
    pub ip: PathBuf,
    /// `nft`.
    pub nft: PathBuf,
    /// util-linux `setsid`.
    pub setsid: PathBuf,
    /// Samba `smbd`.
    pub smbd: PathBuf,
    /// Samba `smbpasswd`.
    pub smbpasswd: PathBuf,
    /// Samba `smbclient`.
    pub smbclient: PathBuf,
}

impl Tools {
    /// Finds every program the lab needs, or says which is missing and
    /// which Debian package ships it.
    pub fn find() -> Result<Tools, LabError> {
        Ok(Tools {
            ip: require_tool("ip", "iproute2")?,
            nft: require_tool("nft", "nftables")?,
            setsid: require_tool("setsid", "util-linux")?,
            smbd: require_tool("smbd", "samba")?,
            smbpasswd: require_tool("smbpasswd", "samba-common-bin")?,
            smbclient: require_tool("smbclient", "smbclient")?,
        })
    }
}

/// The command line, for messages.
pub(crate) fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs `cmd` to completion with `stdin` as its input; stdout on success,
/// the exit status and stderr as the error.
pub(crate) fn run(cmd: &mut Command, stdin: Option<&str>) -> Result<String, LabError> {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| LabError::Command {
        command: describe(cmd),
        detail: e.to_string(),
    })?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // A write error shows up as the command's own failure below.
        let _ = pipe.write_all(text.as_bytes());
    }
    let out = child.wait_with_output().map_err(|e| LabError::Command {
        command: describe(cmd),
        detail: e.to_string(),
    })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(LabError::Command {
            command: describe(cmd),
            detail: format!(
                "{}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        })
    }
}

/// `ip netns exec NAME program`: `program` run inside a namespace.
pub(crate) fn in_netns(ip: &Path, netns: &str, program: &Path) -> Command {
    let mut c = Command::new(ip);
    c.args(["netns", "exec", netns]).arg(program);
    c
}
