//! Windows Defender Firewall semantics.
//!
//! There is no rule order. Among enabled rules matching the profile, protocol,
//! ports and addresses: (1) an authenticated bypass whose IPsec session is
//! established on both ends and whose peer is authorised allows; else (2) any
//! block blocks; else (3) any allow (its IPsec requirement met) allows; else
//! (4) the profile default decides. An allow-if-secure rule without
//! "override block rules" is an ordinary allow: a block still wins.
//! (MS-FASP §2.2.34; "Order of Windows Firewall with Advanced Security Rules
//! Evaluation"; reference/windows-firewall.md §2.1.)
//!
//! Profile settings that change what rules do: in shielded mode
//! (`DoNotAllowExceptions`) no inbound allow or bypass applies and inbound is
//! blocked; with local-policy merge off (`AllowLocalPolicyMerge = 0`) the
//! local store's rules (the built-in ones) are ignored (MS-GPFAS §2.2.3.3,
//! §2.2.3.13); with local IPsec merge off (`AllowLocalIPsecPolicyMerge = 0`,
//! §2.2.3.14) a local-store isolation rule authenticates nothing
//! ([`local_ipsec`]). Traffic that arrived through edge traversal (Teredo) is
//! allowed only by rules that allow edge traversal; blocks apply to it as to
//! any traffic (New-NetFirewallRule -EdgeTraversalPolicy). Rules of several
//! stores are merged first ([`merge_stores`]).

use crate::eval::{Decision, Flow, RuleMatch, Verdict, WindowsContext};
use crate::policy::ProfileDefaults;
use crate::rule::{Action, Direction, Origin, Security, WindowsRule};

/// The rules Windows enforces from several stores, highest precedence first
/// (domain GPOs by link order, then the local GPO, then the local store).
/// Rules with the same ID "will overwrite one another so that only one
/// exists" (New-NetFirewallRule -Name): the highest-precedence store's copy
/// wins. The last store is the local one; with `local_merge` off
/// (`AllowLocalPolicyMerge = 0`, MS-GPFAS §2.2.3.13) it contributes nothing.
pub fn merge_stores(stores: &[&[WindowsRule]], local_merge: bool) -> Vec<WindowsRule> {
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    let last = stores.len().saturating_sub(1);
    for (i, store) in stores.iter().enumerate() {
        if i == last && i > 0 && !local_merge {
            break;
        }
        for r in *store {
            let id = r.id.to_ascii_lowercase();
            if !seen.contains(&id) {
                seen.push(id);
                out.push(r.clone());
            }
        }
    }
    out
}

/// True when the rule's conditions (not its action) match the flow seen
/// from this host in `direction`, in `profile`.
pub fn rule_matches(
    r: &WindowsRule,
    direction: Direction,
    flow: &Flow,
    ctx: &WindowsContext,
) -> bool {
    let (local, remote, local_port, remote_port) = match direction {
        Direction::Inbound => (
            flow.destination,
            flow.source,
            flow.transport.port,
            flow.source_port,
        ),
        Direction::Outbound => (
            flow.source,
            flow.destination,
            flow.source_port,
            flow.transport.port,
        ),
    };
    r.enabled
        && r.direction == direction
        && r.profiles.contains(ctx.profile)
        && r.protocol.is_none_or(|p| p == flow.transport.proto)
        && r.local_ports.contains(local_port)
        && r.remote_ports.contains(remote_port)
        && r.local_addresses.contains(local)
        && r.remote_addresses.contains(remote)
}

/// Why a bypass rule cannot apply, or `None` when it does.
fn bypass_blocker(
    r: &WindowsRule,
    direction: Direction,
    ctx: &WindowsContext,
    local_ipsec: bool,
) -> Option<&'static str> {
    if r.security == Security::None {
        return Some("a bypass rule must require authentication; Windows ignores it");
    }
    if !local_ipsec {
        return Some(
            "no connection security rule authenticates this host, so the bypass cannot apply",
        );
    }
    if !ctx.ipsec.peer {
        return Some(
            "the peer has no matching connection security rule (IPsec), so the bypass cannot apply",
        );
    }
    let authorised = r
        .remote_machines
        .iter()
        .any(|sid| ctx.ipsec.peer_sids.contains(sid));
    match direction {
        Direction::Inbound if r.remote_machines.is_empty() => {
            Some("an inbound bypass must name authorised computers; this one names none")
        }
        _ if !r.remote_machines.is_empty() && !authorised => {
            Some("the peer computer is not in the rule's authorised computers")
        }
        _ => None,
    }
}

/// What the evaluation knows about the flow besides the rule: the profile's
/// settings, the direction, the IPsec context and edge traversal.
#[derive(Clone, Copy)]
struct Situation<'c> {
    defaults: ProfileDefaults,
    direction: Direction,
    ctx: &'c WindowsContext,
    edge: bool,
    local_ipsec: bool,
}

impl<'c> Situation<'c> {
    fn new(
        defaults: ProfileDefaults,
        direction: Direction,
        ctx: &'c WindowsContext,
        edge: bool,
    ) -> Self {
        Situation {
            defaults,
            direction,
            ctx,
            edge,
            local_ipsec: local_ipsec(ctx, defaults),
        }
    }

    /// Whether a rule that matches the flow applies, and the trace's note
    /// saying why (or why not).
    fn applies(&self, r: &WindowsRule) -> (bool, &'static str) {
        if let Some(why) = profile_blocker(r, self.defaults, self.direction, self.edge) {
            return (false, why);
        }
        match r.action {
            Action::Bypass => match bypass_blocker(r, self.direction, self.ctx, self.local_ipsec) {
                None if r.remote_machines.is_empty() => (
                    true,
                    "authenticated bypass: IPsec on both ends; overrides block rules",
                ),
                None => (
                    true,
                    "authenticated bypass: IPsec on both ends, peer computer authorised; overrides block rules",
                ),
                Some(why) => (false, why),
            },
            Action::Block => (true, "block rule"),
            Action::Allow
                if r.security != Security::None && !(self.local_ipsec && self.ctx.ipsec.peer) =>
            {
                (
                    false,
                    "allow-if-secure, but no IPsec session can be negotiated",
                )
            }
            Action::Allow => (true, "allow rule"),
        }
    }

    /// True when `r` matches the flow and is enforced (merge off: the local
    /// store's built-in rules are not).
    fn considers(&self, r: &WindowsRule, flow: &Flow) -> bool {
        rule_matches(r, self.direction, flow, self.ctx)
            && (self.defaults.local_rules || r.origin != Origin::BuiltIn)
    }

    /// The profile default's verdict when no rule applies.
    fn default_verdict(&self) -> Verdict {
        let block = match self.direction {
            Direction::Inbound => self.defaults.block_inbound || self.defaults.shielded,
            Direction::Outbound => self.defaults.block_outbound,
        };
        if block {
            Verdict::Block
        } else {
            Verdict::Allow
        }
    }
}

/// The verdict of [`eval_windows_edge`] and the rule that decided it,
/// without the trace: no allocation, for callers that evaluate many flows
/// and want the full [`Decision`] of only a few.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome<'r> {
    /// The verdict, as [`Decision::verdict`].
    pub verdict: Verdict,
    /// The decisive rule, as the [`RuleMatch`] marked `decisive` names it
    /// (`None`: the profile default decided, or the firewall is off).
    pub decisive: Option<&'r WindowsRule>,
}

/// [`eval_windows_edge`]'s verdict and decisive rule. Same precedence, same
/// choice among rules of the winning action (the least by ID, name and
/// note, the first given on a tie), so it always agrees with the
/// [`Decision`] (a property test holds it to that).
pub fn windows_outcome<'r>(
    rules: impl IntoIterator<Item = &'r WindowsRule>,
    defaults: ProfileDefaults,
    direction: Direction,
    flow: &Flow,
    ctx: &WindowsContext,
    edge: bool,
) -> Outcome<'r> {
    if !defaults.enabled {
        return Outcome {
            verdict: Verdict::Allow,
            decisive: None,
        };
    }
    let s = Situation::new(defaults, direction, ctx, edge);
    // The best applying rule of each action: bypass, block, allow.
    let mut best: [Option<(&'r WindowsRule, &'static str)>; 3] = [None; 3];
    for r in rules {
        if !s.considers(r, flow) {
            continue;
        }
        let (applies, note) = s.applies(r);
        if !applies {
            continue;
        }
        let slot = &mut best[match r.action {
            Action::Bypass => 0,
            Action::Block => 1,
            Action::Allow => 2,
        }];
        let better = slot.is_none_or(|(b, b_note)| {
            (r.id.as_str(), r.name.as_str(), note) < (b.id.as_str(), b.name.as_str(), b_note)
        });
        if better {
            *slot = Some((r, note));
        }
    }
    match best {
        [Some((r, _)), _, _] | [None, None, Some((r, _))] => Outcome {
            verdict: Verdict::Allow,
            decisive: Some(r),
        },
        [None, Some((r, _)), _] => Outcome {
            verdict: Verdict::Block,
            decisive: Some(r),
        },
        [None, None, None] => Outcome {
            verdict: s.default_verdict(),
            decisive: None,
        },
    }
}

fn action_str(a: Action) -> &'static str {
    match a {
        Action::Allow => "allow",
        Action::Block => "block",
        Action::Bypass => "bypass",
    }
}

/// Evaluates one direction of `flow` on one Windows host.
pub fn eval_windows<'r>(
    rules: impl IntoIterator<Item = &'r WindowsRule>,
    defaults: ProfileDefaults,
    direction: Direction,
    flow: &Flow,
    ctx: &WindowsContext,
) -> Decision {
    eval_windows_edge(rules, defaults, direction, flow, ctx, false)
}

/// Why an allow or bypass cannot apply because of the profile or edge
/// traversal, or `None`.
fn profile_blocker(
    r: &WindowsRule,
    defaults: ProfileDefaults,
    direction: Direction,
    edge: bool,
) -> Option<&'static str> {
    if r.action == Action::Block || direction != Direction::Inbound {
        return None;
    }
    if defaults.shielded {
        return Some("shielded mode (DoNotAllowExceptions): no inbound allow or bypass applies");
    }
    if edge && !r.edge_traversal {
        return Some("the traffic came through edge traversal, which this rule does not allow");
    }
    None
}

/// Whether this host's isolation rule applies in the profile: with
/// `AllowLocalIPsecPolicyMerge = 0` a connection security rule of the local
/// store is ignored (MS-GPFAS §2.2.3.14; netsh `set … settings
/// localconsecrules disable`), so it authenticates nothing.
pub fn local_ipsec(ctx: &WindowsContext, defaults: ProfileDefaults) -> bool {
    ctx.ipsec.local && (defaults.local_ipsec_rules || !ctx.ipsec.local_store)
}

/// [`eval_windows`] for a flow that arrived through edge traversal when
/// `edge` is true.
pub fn eval_windows_edge<'r>(
    rules: impl IntoIterator<Item = &'r WindowsRule>,
    defaults: ProfileDefaults,
    direction: Direction,
    flow: &Flow,
    ctx: &WindowsContext,
    edge: bool,
) -> Decision {
    if !defaults.enabled {
        return Decision {
            verdict: Verdict::Allow,
            matched: Vec::new(),
            reason: format!("the firewall is off in the {} profile", ctx.profile),
        };
    }
    let s = Situation::new(defaults, direction, ctx, edge);
    let mut matched: Vec<(&WindowsRule, RuleMatch, bool)> = rules
        .into_iter()
        .filter(|r| s.considers(r, flow))
        .map(|r| {
            let (applies, note) = s.applies(r);
            let m = RuleMatch {
                id: r.id.clone(),
                name: r.name.clone(),
                action: action_str(r.action).into(),
                kb: r.kb,
                decisive: false,
                note: note.to_owned(),
            };
            (r, m, applies)
        })
        .collect();
    // Windows has no rule order: sort on everything reported, so two rules
    // sharing an ID (one per store) are listed the same whatever the input order.
    matched.sort_by(|a, b| {
        (&a.1.id, &a.1.action, &a.1.name, &a.1.note, !a.2).cmp(&(
            &b.1.id,
            &b.1.action,
            &b.1.name,
            &b.1.note,
            !b.2,
        ))
    });

    let pick = |action: Action| {
        matched
            .iter()
            .position(|(r, _, applies)| *applies && r.action == action)
    };
    let (verdict, decisive, reason) = if let Some(i) = pick(Action::Bypass) {
        (
            Verdict::Allow,
            Some(i),
            format!(
                "authenticated bypass \"{}\" overrides every block rule",
                matched[i].0.name
            ),
        )
    } else if let Some(i) = pick(Action::Block) {
        let beaten = matched
            .iter()
            .filter(|(r, _, a)| *a && r.action == Action::Allow)
            .count();
        let extra = if beaten > 0 {
            format!("; block beats the {beaten} matching allow rule(s)")
        } else {
            String::new()
        };
        (
            Verdict::Block,
            Some(i),
            format!("block rule \"{}\"{extra}", matched[i].0.name),
        )
    } else if let Some(i) = pick(Action::Allow) {
        (
            Verdict::Allow,
            Some(i),
            format!("allow rule \"{}\"", matched[i].0.name),
        )
    } else {
        let verdict = s.default_verdict();
        let d = match direction {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        };
        (
            verdict,
            None,
            format!(
                "no rule applies; {} profile default {d} action is {}",
                ctx.profile,
                verdict.as_str()
            ),
        )
    };
    let matched = matched
        .into_iter()
        .enumerate()
        .map(|(i, (_, mut m, _))| {
            m.decisive = Some(i) == decisive;
            m
        })
        .collect();
    Decision {
        verdict,
        matched,
        reason,
    }
}
