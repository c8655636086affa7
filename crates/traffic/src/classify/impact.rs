//! What the Plan would do to every observed flow.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;
use smbguard_model::{Estate, Profile};
use smbguard_semantics::{Flow, FlowReport, KbRow, Plan, Profiles, StageKind, Verdict, check_flow};

use super::{Category, Classification, PolicyBreach, classify, policy_breaches, transport_of};
use crate::flow::FlowRecord;

/// The rule that decided a verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleRef {
    /// Which stage of the path decided.
    pub stage: StageKind,
    /// Rule display name, or the evaluator's reason when no rule matched
    /// (a profile default or an implicit deny).
    pub name: String,
    /// The KB3185535 row of the rule, when a rule decided.
    pub kb: Option<KbRow>,
}

/// One observed flow with its classification and the Plan's verdict.
#[derive(Clone, Debug, Serialize)]
pub struct ImpactedFlow<'a> {
    /// The flow as observed.
    pub flow: &'a FlowRecord,
    /// Where its ends sit, and its categories.
    pub class: Classification,
    /// The Plan's verdict.
    pub verdict: Verdict,
    /// What decided it: the first blocking stage's decisive rule, or for an
    /// allowed flow the destination's decisive rule.
    pub rule: Option<RuleRef>,
    /// The estate's SMB policy verdict: what the flow breaks (empty: it
    /// complies). Independent of the firewall verdict.
    pub policy: Vec<PolicyBreach>,
    /// For a DCE/RPC-over-TCP flow, the indices of the SMB flows (TCP 445
    /// or 139) between the same client and server: the two halves of one
    /// remote execution (PsExec copies over ADMIN$, then creates the
    /// service over RPC). Empty for other flows.
    pub smb_same_pair: Vec<usize>,
}

impl ImpactedFlow<'_> {
    /// `"complies"` or `"violates"`: the policy verdict in one word.
    #[must_use]
    pub fn policy_verdict(&self) -> &'static str {
        if self.policy.is_empty() {
            "complies"
        } else {
            "violates"
        }
    }
}

/// One row of the "would be blocked" table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BlockedRow {
    /// Source group label ([`super::Endpoint::label`]).
    pub source: String,
    /// Destination group label.
    pub destination: String,
    /// Transport, e.g. `tcp/445`.
    pub transport: String,
    /// The deciding rule.
    pub rule: RuleRef,
    /// Observed flows in this row.
    pub flows: u64,
}

/// Every flow's verdict plus the would-be-blocked summary.
#[derive(Clone, Debug, Serialize)]
pub struct Impact<'a> {
    /// The profile assumed at both ends.
    pub profile: Profile,
    /// Per flow, in input order.
    pub flows: Vec<ImpactedFlow<'a>>,
    /// Blocked flows grouped by (source, destination, transport, rule),
    /// most flows first.
    pub blocked: Vec<BlockedRow>,
    /// Flow count per category, in [`Category::ALL`] order (zeros omitted).
    pub categories: Vec<(Category, u64)>,
    /// Flow count per policy breach, in [`PolicyBreach::ALL`] order (zeros
    /// omitted).
    pub policy: Vec<(PolicyBreach, u64)>,
}

fn decisive(report: &FlowReport) -> Option<RuleRef> {
    let stage = report
        .blocking_stage()
        .or_else(|| report.stages.iter().rev().find(|s| s.decision.is_some()))?;
    let decision = stage.decision.as_ref()?;
    Some(match decision.matched.iter().find(|m| m.decisive) {
        Some(m) => RuleRef {
            stage: stage.stage,
            name: m.name.clone(),
            kb: Some(m.kb),
        },
        None => RuleRef {
            stage: stage.stage,
            name: decision.reason.clone(),
            kb: None,
        },
    })
}

/// SMB flows (TCP 445/139) by (client, server).
fn smb_by_pair(flows: &[FlowRecord]) -> BTreeMap<(IpAddr, IpAddr), Vec<usize>> {
    let mut out: BTreeMap<(IpAddr, IpAddr), Vec<usize>> = BTreeMap::new();
    for (i, f) in flows.iter().enumerate() {
        if f.service.carries_nbss() {
            let pair = (f.client.to_canonical(), f.server.to_canonical());
            out.entry(pair).or_default().push(i);
        }
    }
    out
}

/// Classifies every flow and evaluates it against the Plan with `profile`
/// at both ends.
#[must_use]
pub fn impact<'a>(
    estate: &Estate,
    plan: &Plan,
    flows: &'a [FlowRecord],
    profile: Profile,
) -> Impact<'a> {
    let mut out = Vec::with_capacity(flows.len());
    type Key = (String, String, String, String, String);
    let mut blocked: BTreeMap<Key, (RuleRef, u64)> = BTreeMap::new();
    let mut counts: BTreeMap<Category, u64> = BTreeMap::new();
    let mut breaches: BTreeMap<PolicyBreach, u64> = BTreeMap::new();
    let smb_pairs = smb_by_pair(flows);
    for flow in flows {
        let class = classify(estate, flow);
        let transport = transport_of(flow);
        let probe = Flow {
            source: flow.client.to_canonical(),
            destination: flow.server.to_canonical(),
            transport,
            source_port: flow.client_port,
        };
        let report = check_flow(plan, &probe, Profiles::both(profile));
        let rule = decisive(&report);
        let policy = policy_breaches(estate, flow, &class);
        for b in &policy {
            *breaches.entry(*b).or_default() += 1;
        }
        for c in &class.categories {
            *counts.entry(*c).or_default() += 1;
        }
        if report.verdict == Verdict::Block {
            if let Some(r) = &rule {
                let key = (
                    class.client.label().to_string(),
                    class.server.label().to_string(),
                    transport.to_string(),
                    r.name.clone(),
                    format!("{:?}", r.stage),
                );
                blocked.entry(key).or_insert_with(|| (r.clone(), 0)).1 += 1;
            }
        }
        out.push(ImpactedFlow {
            flow,
            class,
            verdict: report.verdict,
            rule,
            policy,
            smb_same_pair: if flow.service.carries_dcerpc() {
                let pair = (flow.client.to_canonical(), flow.server.to_canonical());
                smb_pairs.get(&pair).cloned().unwrap_or_default()
            } else {
                Vec::new()
            },
        });
    }
    let mut blocked: Vec<BlockedRow> = blocked
        .into_iter()
        .map(
            |((source, destination, transport, _, _), (rule, flows))| BlockedRow {
                source,
                destination,
                transport,
                rule,
                flows,
            },
        )
        .collect();
    blocked.sort_by_key(|r| std::cmp::Reverse(r.flows));
    Impact {
        profile,
        flows: out,
        blocked,
        categories: Category::ALL
            .iter()
            .filter_map(|c| counts.get(c).map(|n| (*c, *n)))
            .collect(),
        policy: PolicyBreach::ALL
            .iter()
            .filter_map(|b| breaches.get(b).map(|n| (*b, *n)))
            .collect(),
    }
}
