//! Finding and running the programs the lab drives (the process helpers
//! are the deployment crate's; the lab adds Samba to the list).

use std::path::PathBuf;

pub use smbguard_deploy::process::has_net_admin;
use smbguard_deploy::process::{CommandFailed, find_tool};
pub(crate) use smbguard_deploy::process::{describe, in_netns};

use crate::error::LabError;

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
    smbguard_deploy::process::run(cmd, stdin).map_err(LabError::from)
}

impl From<CommandFailed> for LabError {
    fn from(e: CommandFailed) -> Self {
        LabError::Command {
            command: e.command,
            detail: e.detail,
        }
    }
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
