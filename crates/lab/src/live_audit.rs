//! The audit of the live hosts: each host's nftables ruleset as its kernel
//! holds it (`nft -j list ruleset` inside its namespace), judged by
//! [`smbguard_audit::audit_nft_json`] against the plan of its group, as
//! `smbguard audit` judges a real Linux host; the router's against the
//! perimeter ACL.
//!
//! A Windows group is stood in by the first-match equivalent of its policy
//! in the host's profile ([`smbguard_emit::host_acls`], what
//! `host_ruleset` renders; the emit crate's translation validation proves it
//! equal to the Windows policy in that profile), so the audit judges the
//! host against that equivalent, as a Linux policy of the same group and
//! role: the finding codes still follow the role (a workstation that
//! accepts SMB is `SG-H001`, a server reachable where the plan refuses is
//! `SG-H003`).

use serde::Serialize;
use smbguard_audit::{GroupChoice, HostAudit, audit_nft_json};
use smbguard_emit::{EmitContext, Target, host_acls};
use smbguard_semantics::{HostRules, LinuxPolicy, Plan};

use crate::error::LabError;
use crate::topology::LabHost;

/// The name the router's ruleset goes by (in [`crate::RulesetHook`] too).
pub const PERIMETER: &str = "perimeter";

/// One host's live ruleset, judged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LiveAudit {
    /// The lab host ([`PERIMETER`] for the router).
    pub host: String,
    /// The group it was judged against; `None` for the router (the
    /// perimeter ACL).
    pub group: Option<String>,
    /// Its network namespace.
    pub netns: String,
    /// What the audit found: `findings` empty when the live ruleset means
    /// what the plan says.
    pub audit: HostAudit,
}

impl LiveAudit {
    /// True when the audit found nothing.
    pub fn clean(&self) -> bool {
        self.audit.findings.is_empty()
    }
}

/// The plan the live rulesets are judged against: the lab's plan with
/// every Windows group's policy replaced by its first-match equivalent in
/// the profile its hosts are in (one profile per group: workstations in the
/// lab's workstation profile, the rest in Domain).
pub(crate) fn stand_in_plan(cx: &EmitContext<'_>, hosts: &[LabHost]) -> Result<Plan, LabError> {
    let mut plan = cx.plan.clone();
    for h in hosts {
        let Some(gi) = h.group_index else { continue };
        let Some(policy) = plan.hosts.get_mut(gi) else {
            continue;
        };
        if policy.windows().is_none() {
            continue;
        }
        let acls = host_acls(cx, Target::Nftables, gi, h.prediction_profile()).map_err(|e| {
            LabError::Emit {
                what: h.name.clone(),
                detail: e.to_string(),
            }
        })?;
        policy.rules = HostRules::Linux(LinuxPolicy {
            input: acls.input,
            output: acls.output,
        });
    }
    Ok(plan)
}

/// Judges `json` (`nft -j list ruleset` of `netns`) against `group` of
/// `plan`, or against the perimeter when `group` is `None`.
pub(crate) fn judge(
    plan: &Plan,
    json: &str,
    host: &str,
    group: Option<&str>,
    netns: &str,
) -> Result<LiveAudit, LabError> {
    let choice = group.map_or(GroupChoice::Perimeter, GroupChoice::Named);
    let source = format!("nft -j list ruleset in netns {netns}");
    let mut audit = audit_nft_json(plan, json, choice, &source).map_err(|e| LabError::Audit {
        host: host.to_string(),
        detail: e.to_string(),
    })?;
    audit.host = host.to_string();
    audit.sort();
    Ok(LiveAudit {
        host: host.to_string(),
        group: group.map(str::to_string),
        netns: netns.to_string(),
        audit,
    })
}
