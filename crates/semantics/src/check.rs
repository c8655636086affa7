//! One flow through the whole path: the source's outbound policy, the
//! perimeter when the flow crosses it, and the destination's inbound policy.
//! The flow is permitted only if every stage on the path permits it.

use std::net::IpAddr;

use serde::Serialize;
use smbguard_model::{AddrSet, Profile, is_local_scope};

use crate::eval::acl::eval_acl;
use crate::eval::windows::eval_windows;
use crate::eval::{Decision, Flow, IpsecContext, Verdict, WindowsContext};
use crate::policy::{HostPolicy, HostRules, Plan};
use crate::rule::Direction;

/// The active profile at each end (Windows hosts only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Profiles {
    /// Profile of the source host's interface.
    pub source: Profile,
    /// Profile of the destination host's interface.
    pub destination: Profile,
}

impl Profiles {
    /// Both ends in the same profile.
    pub fn both(p: Profile) -> Self {
        Profiles {
            source: p,
            destination: p,
        }
    }
}

/// Which part of the path a stage is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StageKind {
    /// The source host's outbound rules.
    SourceOutbound,
    /// The perimeter firewall.
    Perimeter,
    /// The destination host's inbound rules.
    DestinationInbound,
}

/// One stage of the path and its decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stage {
    /// Which stage.
    pub stage: StageKind,
    /// The group whose policy applies, if any.
    pub group: Option<String>,
    /// The profile evaluated (Windows hosts).
    pub profile: Option<Profile>,
    /// The decision; `None` when smbguard has no policy there.
    pub decision: Option<Decision>,
    /// What happened, in one line.
    pub summary: String,
}

impl Stage {
    /// The verdict of this stage (no policy = allow).
    pub fn verdict(&self) -> Verdict {
        self.decision.as_ref().map_or(Verdict::Allow, |d| d.verdict)
    }
}

/// A flow's verdict and every stage that produced it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FlowReport {
    /// Allow only if every stage allows.
    pub verdict: Verdict,
    /// The flow checked.
    pub flow: Flow,
    /// Profiles assumed.
    pub profiles: Profiles,
    /// The three stages, in path order.
    pub stages: Vec<Stage>,
}

impl FlowReport {
    /// The first stage that blocked, if any.
    pub fn blocking_stage(&self) -> Option<&Stage> {
        self.stages.iter().find(|s| s.verdict() == Verdict::Block)
    }
}

fn ipsec(
    local: Option<&HostPolicy>,
    local_profile: Profile,
    peer: Option<&HostPolicy>,
    peer_profile: Profile,
) -> IpsecContext {
    IpsecContext {
        local: local.is_some_and(|h| h.ipsec_in(local_profile)),
        peer: peer.is_some_and(|h| h.ipsec_in(peer_profile)),
        peer_sids: peer.and_then(|h| h.sid.clone()).into_iter().collect(),
        local_store: false,
    }
}

fn host_stage(
    stage: StageKind,
    host: Option<&HostPolicy>,
    address: IpAddr,
    profile: Profile,
    direction: Direction,
    flow: &Flow,
    ipsec: IpsecContext,
) -> Stage {
    let Some(host) = host else {
        return Stage {
            stage,
            group: None,
            profile: None,
            decision: None,
            summary: format!("{address} is in no group: smbguard manages no firewall there"),
        };
    };
    let (decision, profile) = match &host.rules {
        HostRules::Windows(w) => {
            let ctx = WindowsContext { profile, ipsec };
            (
                eval_windows(
                    w.effective_rules(),
                    w.defaults(profile),
                    direction,
                    flow,
                    &ctx,
                ),
                Some(profile),
            )
        }
        HostRules::Linux(l) => {
            let acl = match direction {
                Direction::Inbound => &l.input,
                Direction::Outbound => &l.output,
            };
            (eval_acl(acl, flow), None)
        }
    };
    Stage {
        stage,
        group: Some(host.group.clone()),
        profile,
        summary: format!(
            "{} on {address} ({}): {}",
            decision.verdict.as_str(),
            host.group,
            decision.reason
        ),
        decision: Some(decision),
    }
}

/// Whether a flow between `source` and `destination` crosses the perimeter:
/// one end internal, the other internet. Link-local, loopback and multicast
/// addresses are never internet (a router does not forward them; see
/// [`smbguard_model::is_local_scope`]), so a flow with such an end and not
/// internal stays on its side, as `smbguard traffic` classifies it.
pub fn crosses_perimeter(internal: &AddrSet, source: IpAddr, destination: IpAddr) -> bool {
    let internet = |ip: IpAddr| !internal.contains(ip) && !is_local_scope(ip);
    (internal.contains(source) && internet(destination))
        || (internet(source) && internal.contains(destination))
}

fn not_crossed(plan: &Plan, flow: &Flow) -> String {
    let local = [flow.source, flow.destination]
        .into_iter()
        .find(|&ip| !plan.internal.contains(ip) && is_local_scope(ip));
    match local {
        Some(ip) => {
            format!("not crossed: {ip} is link-local, loopback or multicast, never internet")
        }
        None => "not crossed: both ends are on the same side of the perimeter".into(),
    }
}

/// Checks one flow end to end.
pub fn check_flow(plan: &Plan, flow: &Flow, profiles: Profiles) -> FlowReport {
    let src = plan.host_of(flow.source);
    let dst = plan.host_of(flow.destination);
    let out_ctx = ipsec(src, profiles.source, dst, profiles.destination);
    let in_ctx = ipsec(dst, profiles.destination, src, profiles.source);
    let mut stages = vec![host_stage(
        StageKind::SourceOutbound,
        src,
        flow.source,
        profiles.source,
        Direction::Outbound,
        flow,
        out_ctx,
    )];
    let crosses = crosses_perimeter(&plan.internal, flow.source, flow.destination);
    stages.push(if crosses {
        let d = eval_acl(&plan.perimeter, flow);
        Stage {
            stage: StageKind::Perimeter,
            group: None,
            profile: None,
            summary: format!("{} at the perimeter: {}", d.verdict.as_str(), d.reason),
            decision: Some(d),
        }
    } else {
        Stage {
            stage: StageKind::Perimeter,
            group: None,
            profile: None,
            decision: None,
            summary: not_crossed(plan, flow),
        }
    });
    stages.push(host_stage(
        StageKind::DestinationInbound,
        dst,
        flow.destination,
        profiles.destination,
        Direction::Inbound,
        flow,
        in_ctx,
    ));
    let verdict = if stages.iter().all(|s| s.verdict() == Verdict::Allow) {
        Verdict::Allow
    } else {
        Verdict::Block
    };
    FlowReport {
        verdict,
        flow: *flow,
        profiles,
        stages,
    }
}
