//! Finding and running the programs the lab drives (the process helpers
//! are the deployment crate's; the lab adds Samba to the list), and the
//! `ip netns` commands that act on a namespace by name, shared by the
//! `Netns` guard and the Ctrl-C sweep in `cleanup`.

use std::path::{Path, PathBuf};
use std::process::Command;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use smbguard_deploy::DeployError;
use smbguard_deploy::process::find_tool;
pub use smbguard_deploy::process::has_net_admin;
pub(crate) use smbguard_deploy::process::{describe, in_netns};

use crate::error::LabError;

/// Where `ip netns` keeps its bind mounts.
pub(crate) const NETNS_DIR: &str = "/run/netns";

/// Like `find_tool`, or the error naming the Debian package.
pub(crate) fn require_tool(name: &str, package: &str) -> Result<PathBuf, LabError> {
    find_tool(name).ok_or_else(|| LabError::MissingTool {
        tool: name.to_string(),
        package: package.to_string(),
    })
}

/// Runs `cmd` to completion with `stdin` as its input; stdout on success.
pub(crate) fn run(
    cmd: &mut std::process::Command,
    stdin: Option<&str>,
) -> Result<String, LabError> {
    smbguard_deploy::process::run(cmd, stdin).map_err(|e| match e {
        DeployError::Command { command, detail } => LabError::Command { command, detail },
        other => LabError::system(describe(cmd), other),
    })
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

/// SIGKILLs every process whose network namespace is `name` (never this
/// process), as `ip netns pids` lists them.
pub(crate) fn kill_processes(ip: &Path, name: &str) {
    let mut c = Command::new(ip);
    c.args(["netns", "pids", name]);
    let Ok(out) = run(&mut c, None) else {
        return;
    };
    let me = std::process::id();
    for pid in out.split_whitespace().filter_map(|p| p.parse::<i32>().ok()) {
        if u32::try_from(pid).is_ok_and(|p| p != me) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}

/// `ip netns del NAME`; true when it was deleted.
pub(crate) fn delete_quietly(ip: &Path, name: &str) -> bool {
    let mut c = Command::new(ip);
    c.args(["netns", "del", name]);
    let ok = run(&mut c, None).is_ok();
    if !ok {
        // Already gone is fine; anything else is retried once after a pause
        // (a process may have been exiting).
        if Path::new(NETNS_DIR).join(name).exists() {
            std::thread::sleep(std::time::Duration::from_millis(100));
            return run(&mut c, None).is_ok();
        }
    }
    ok
}

/// For messages: the command that would delete a kept namespace.
pub(crate) fn delete_command(ip: &Path, name: &str) -> String {
    let mut c = Command::new(ip);
    c.args(["netns", "del", name]);
    describe(&c)
}
