//! `nft`, on the host or inside a network namespace.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::DeployError;
use crate::process::{find_tool, has_net_admin, in_netns, run};

/// Refuses names `ip netns` cannot hold, before they reach a path or a
/// command line (`--netns ""` used to surface as an `nft -c` failure).
pub fn check_netns_name(name: &str) -> Result<&str, DeployError> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name.len() > 255
        || name.contains(['/', '\0']);
    if bad {
        Err(DeployError::BadNetnsName(name.to_string()))
    } else {
        Ok(name)
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
    /// Checks the namespace name, CAP_NET_ADMIN and the programs needed.
    pub fn new(netns: Option<&str>) -> Result<Nft, DeployError> {
        if let Some(n) = netns {
            check_netns_name(n)?;
        }
        if !has_net_admin() {
            return Err(DeployError::NotRoot);
        }
        let nft = find_tool("nft").ok_or(DeployError::MissingTool {
            tool: "nft",
            package: "nftables",
        })?;
        let ip = match netns {
            Some(name) => {
                let ip = find_tool("ip").ok_or(DeployError::MissingTool {
                    tool: "ip",
                    package: "iproute2",
                })?;
                if !Path::new("/run/netns").join(name).exists() {
                    return Err(DeployError::NoSuchNetns(name.to_string()));
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
            (Some(ip), Some(ns)) => in_netns(ip, ns, &self.nft),
            _ => Command::new(&self.nft),
        }
    }

    /// `nft -c -f -`: would the ruleset load?
    pub fn check(&self, ruleset: &str) -> Result<(), DeployError> {
        run(self.command().args(["-c", "-f", "-"]), Some(ruleset))
            .map(|_| ())
            .map_err(|e| match e {
                DeployError::Command { detail, .. } => DeployError::Invalid(detail),
                other => other,
            })
    }

    /// `nft -f -`: loads the ruleset as one transaction.
    pub fn load(&self, ruleset: &str) -> Result<(), DeployError> {
        run(self.command().args(["-f", "-"]), Some(ruleset))?;
        Ok(())
    }

    /// The names of every table, as `family name` (`inet smbguard`).
    pub fn tables(&self) -> Result<Vec<String>, DeployError> {
        let out = run(self.command().args(["list", "tables"]), None)?;
        Ok(out
            .lines()
            .filter_map(|l| l.trim().strip_prefix("table "))
            .map(str::to_string)
            .collect())
    }

    /// `nft list table FAMILY NAME`, or `None` when there is no such table.
    pub fn list_table(&self, table: &str) -> Result<Option<String>, DeployError> {
        if !self.tables()?.iter().any(|t| t == table) {
            return Ok(None);
        }
        let mut c = self.command();
        c.arg("list").arg("table").args(table.split_whitespace());
        Ok(Some(run(&mut c, None)?))
    }
}
