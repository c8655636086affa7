//! First-match ACL semantics (nftables, iptables, Cisco, Junos, NSG by priority).

use crate::eval::{Decision, Flow, RuleMatch, Verdict};
use crate::rule::{Acl, AclAction, AclEntry};

/// True when the entry matches the flow's protocol, addresses and port.
pub fn entry_matches(e: &AclEntry, flow: &Flow) -> bool {
    e.protocol.is_none_or(|p| p == flow.transport.proto)
        && e.source.contains(flow.source)
        && e.destination.contains(flow.destination)
        && e.destination_ports.contains(flow.transport.port)
}

/// Evaluates `flow` against `acl`: the first matching entry decides, else the default.
pub fn eval_acl(acl: &Acl, flow: &Flow) -> Decision {
    for (i, e) in acl.entries.iter().enumerate() {
        if entry_matches(e, flow) {
            let verdict = verdict_of(e.action);
            return Decision {
                verdict,
                matched: vec![RuleMatch {
                    id: format!("{}#{}", acl.name, i + 1),
                    name: e.name.clone(),
                    action: action_str(e.action).into(),
                    kb: e.kb,
                    decisive: true,
                    note: format!(
                        "entry {} of {} is the first match",
                        i + 1,
                        acl.entries.len()
                    ),
                }],
                reason: format!("first match: \"{}\" ({})", e.name, action_str(e.action)),
            };
        }
    }
    Decision {
        verdict: verdict_of(acl.default),
        matched: Vec::new(),
        reason: format!("no entry matches; default {}", action_str(acl.default)),
    }
}

fn verdict_of(a: AclAction) -> Verdict {
    match a {
        AclAction::Permit => Verdict::Allow,
        AclAction::Deny => Verdict::Block,
    }
}

fn action_str(a: AclAction) -> &'static str {
    match a {
        AclAction::Permit => "permit",
        AclAction::Deny => "deny",
    }
}
