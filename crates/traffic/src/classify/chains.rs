//! Lateral-movement chains: host A reaches B over an admin share or remote
//! execution, then B reaches C the same way, in time order. One hop per
//! (client, server) pair, with every flow that showed it (SMB and DCE/RPC
//! over TCP between the same two hosts are one hop), so a chain reads the
//! way an intruder moved.

use std::net::IpAddr;

use serde::Serialize;

use super::{is_admin_share, is_remote_service};
use crate::flow::FlowRecord;
use crate::timestamp::Timestamp;

/// Most chains reported, and most hops in one.
const MAX_CHAINS: usize = 50;
const MAX_HOPS: usize = 12;

/// One host reaching another over an admin share or remote execution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Hop {
    /// The host that connected.
    pub client: IpAddr,
    /// The host it reached.
    pub server: IpAddr,
    /// The first flow's first packet.
    pub first_seen: Timestamp,
    /// What was done, in flow order: `ADMIN$`, `pipe svcctl`,
    /// `svcctl.RCreateServiceW over tcp/49667`.
    pub evidence: Vec<String>,
    /// Indices of the flows that showed it.
    pub flows: Vec<usize>,
}

/// Hops where each one starts from the host the previous one reached, no
/// earlier than it, visiting no host twice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Chain {
    /// The hops, in time order.
    pub hops: Vec<Hop>,
}

impl Chain {
    /// `198.18.16.5 → 198.18.2.7 → 198.18.16.9`.
    #[must_use]
    pub fn path(&self) -> String {
        let mut out = String::new();
        if let Some(first) = self.hops.first() {
            out.push_str(&first.client.to_string());
        }
        for h in &self.hops {
            out.push_str(" → ");
            out.push_str(&h.server.to_string());
        }
        out
    }
}

/// What one flow contributes to its hop.
fn evidence(flow: &FlowRecord) -> Vec<String> {
    let mut out: Vec<String> = flow
        .smb
        .share_names()
        .filter(|s| s.ends_with('$') && s != "IPC$")
        .collect();
    out.extend(flow.smb.pipes.iter().map(|p| format!("pipe {p}")));
    if flow.rpc.remote_execution() {
        let calls: Vec<String> = flow.rpc.calls.iter().map(|c| c.label()).collect();
        let what = if calls.is_empty() {
            flow.rpc
                .interfaces
                .iter()
                .map(|i| i.label().to_owned())
                .collect()
        } else {
            calls
        };
        out.push(format!("{} over tcp/{}", what.join(", "), flow.server_port));
    }
    out
}

/// The hops of `flows`, by first sight.
#[must_use]
pub fn hops(flows: &[FlowRecord]) -> Vec<Hop> {
    let mut hops: Vec<Hop> = Vec::new();
    for (i, f) in flows.iter().enumerate() {
        if !(is_admin_share(f) || is_remote_service(f)) {
            continue;
        }
        let (client, server) = (f.client.to_canonical(), f.server.to_canonical());
        let hop = match hops
            .iter_mut()
            .find(|h| h.client == client && h.server == server)
        {
            Some(h) => h,
            None => {
                hops.push(Hop {
                    client,
                    server,
                    first_seen: f.first_seen,
                    evidence: Vec::new(),
                    flows: Vec::new(),
                });
                let last = hops.len() - 1;
                &mut hops[last]
            }
        };
        hop.first_seen = hop.first_seen.min(f.first_seen);
        hop.flows.push(i);
        for e in evidence(f) {
            if !hop.evidence.contains(&e) {
                hop.evidence.push(e);
            }
        }
    }
    hops.sort_by_key(|h| (h.first_seen, h.client, h.server));
    hops
}

/// Every maximal chain, longest first (then earliest); single hops count
/// as chains of one.
#[must_use]
pub fn lateral_chains(flows: &[FlowRecord]) -> Vec<Chain> {
    let hops = hops(flows);
    let follows = |a: &Hop, b: &Hop| b.client == a.server && b.first_seen >= a.first_seen;
    let mut out: Vec<Vec<usize>> = Vec::new();
    for (start, h) in hops.iter().enumerate() {
        if hops.iter().any(|p| follows(p, h) && p.client != h.server) {
            continue; // reached from an earlier hop: part of its chain
        }
        let mut stack = vec![vec![start]];
        while let Some(path) = stack.pop() {
            if out.len() >= MAX_CHAINS {
                break;
            }
            let last = &hops[path[path.len() - 1]];
            let visited = |ip: IpAddr| {
                path.iter()
                    .any(|&i| hops[i].client == ip || hops[i].server == ip)
            };
            let next: Vec<usize> = (0..hops.len())
                .filter(|&j| follows(last, &hops[j]) && !visited(hops[j].server))
                .collect();
            if next.is_empty() || path.len() >= MAX_HOPS {
                out.push(path);
                continue;
            }
            for j in next.into_iter().rev() {
                let mut longer = path.clone();
                longer.push(j);
                stack.push(longer);
            }
        }
    }
    out.sort_by_key(|p| (std::cmp::Reverse(p.len()), hops[p[0]].first_seen));
    out.into_iter()
        .map(|p| Chain {
            hops: p.into_iter().map(|i| hops[i].clone()).collect(),
        })
        .collect()
}
