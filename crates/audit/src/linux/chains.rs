//! The chain model both readers lower into, and its resolution into
//! first-match ACLs (jumps, gotos and returns inlined).

use smbguard_model::{AddrSet, PortSet, Proto};
use smbguard_semantics::{Acl, AclAction, AclEntry, KbRow};

use crate::linux::{ChainAcl, kb_of};
use crate::{Finding, FindingCode};

/// The conditions of a rule, in the IR's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cond {
    /// The rule can match TCP.
    pub(crate) tcp: bool,
    /// The rule can match UDP.
    pub(crate) udp: bool,
    /// Source addresses.
    pub(crate) source: AddrSet,
    /// Destination addresses.
    pub(crate) destination: AddrSet,
    /// Destination ports.
    pub(crate) ports: PortSet,
    /// Part of the condition could not be modelled (a finding says which).
    pub(crate) unknown: bool,
}

impl Cond {
    /// Matches every connection.
    pub(crate) fn any() -> Self {
        Cond {
            tcp: true,
            udp: true,
            source: AddrSet::any(),
            destination: AddrSet::any(),
            ports: PortSet::full(),
            unknown: false,
        }
    }

    /// Matches nothing (e.g. ICMP, or replies only).
    pub(crate) fn never(&mut self) {
        self.tcp = false;
        self.udp = false;
    }

    /// Restricts the protocols to those in `(tcp, udp)`.
    pub(crate) fn protocols(&mut self, tcp: bool, udp: bool) {
        self.tcp &= tcp;
        self.udp &= udp;
    }

    /// Restricts to one protocol.
    pub(crate) fn proto(&mut self, p: Proto) {
        match p {
            Proto::Tcp => self.protocols(true, false),
            Proto::Udp => self.protocols(false, true),
        }
    }

    /// Restricts the source addresses.
    pub(crate) fn source(&mut self, s: &AddrSet) {
        self.source = self.source.intersection(s);
    }

    /// Restricts the destination addresses.
    pub(crate) fn destination(&mut self, d: &AddrSet) {
        self.destination = self.destination.intersection(d);
    }

    /// Restricts the destination ports.
    pub(crate) fn ports(&mut self, p: &PortSet) {
        self.ports = self.ports.intersection(p);
    }

    /// Both conditions.
    pub(crate) fn and(&self, o: &Cond) -> Cond {
        Cond {
            tcp: self.tcp && o.tcp,
            udp: self.udp && o.udp,
            source: self.source.intersection(&o.source),
            destination: self.destination.intersection(&o.destination),
            ports: self.ports.intersection(&o.ports),
            unknown: self.unknown || o.unknown,
        }
    }

    /// True when no connection can match (a connection has a source and a
    /// destination of the same family).
    pub(crate) fn is_empty(&self) -> bool {
        let v4 = !self.source.v4.is_empty() && !self.destination.v4.is_empty();
        let v6 = !self.source.v6.is_empty() && !self.destination.v6.is_empty();
        !(self.tcp || self.udp) || self.ports.is_empty() || !(v4 || v6)
    }

    /// True when the condition is "every connection" and fully known.
    pub(crate) fn is_any(&self) -> bool {
        !self.unknown
            && self.tcp
            && self.udp
            && self.source.is_any()
            && self.destination.is_any()
            && self.ports.is_full()
    }

    fn entry(&self, name: &str, action: AclAction) -> AclEntry {
        let protocol = match (self.tcp, self.udp) {
            (true, false) => Some(Proto::Tcp),
            (false, true) => Some(Proto::Udp),
            _ => None,
        };
        AclEntry {
            name: name.to_string(),
            action,
            protocol,
            source: self.source.clone(),
            destination: self.destination.clone(),
            destination_ports: self.ports.clone(),
            kb: kb_of(name).unwrap_or(KbRow::K10),
        }
    }
}

/// What a rule does when it matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Accept.
    Accept,
    /// Drop or reject.
    Drop,
    /// Evaluate another chain, then come back.
    Jump(String),
    /// Evaluate another chain instead.
    Goto(String),
    /// Back to the calling chain (the policy in a base chain).
    Return,
    /// No verdict (counters, logging): evaluation continues.
    Continue,
    /// A verdict smbguard does not model (queue, ...), named.
    Unknown(String),
}

/// One rule.
#[derive(Clone, Debug)]
pub(crate) struct RawRule {
    pub(crate) cond: Cond,
    pub(crate) verdict: Verdict,
    /// Comment, or a generated name.
    pub(crate) name: String,
    /// Where it was read, for findings.
    pub(crate) location: String,
}

/// One chain.
#[derive(Clone, Debug)]
pub(crate) struct RawChain {
    pub(crate) name: String,
    /// Hook of a base chain.
    pub(crate) hook: Option<String>,
    /// Policy of a base chain.
    pub(crate) policy: AclAction,
    /// Priority of a base chain on its hook (lower runs first).
    pub(crate) priority: i64,
    pub(crate) rules: Vec<RawRule>,
}

const MAX_DEPTH: usize = 16;
/// Rules visited while inlining, at most (jumps can multiply them).
const BUDGET: usize = 200_000;

/// Where the flows of [`Walker::leave`] went.
enum Left {
    /// The base chain's policy decided them.
    ByPolicy,
    /// All of them went back to the caller: the rest of the chain sees none.
    ToCaller,
    /// Some may have gone back: the rest of the chain is uncertain.
    Maybe,
}

struct Walker<'a> {
    chains: &'a [RawChain],
    findings: &'a mut Vec<Finding>,
    out: Vec<AclEntry>,
    policy: AclAction,
    budget: usize,
}

impl Walker<'_> {
    fn push(&mut self, c: &Cond, name: &str, action: AclAction, uncertain: bool) {
        // Widest permissive meaning: an uncertain drop is left out.
        if uncertain && action == AclAction::Deny {
            return;
        }
        self.out.push(c.entry(name, action));
    }

    /// Flows matching `r` leave the chain (a `return`, or the end of a
    /// `goto` target): in a base chain (`depth` 0) the policy decides them,
    /// as an entry named `name`; from a jumped-to chain they go back to its
    /// caller, which ends this chain's walk only when `r` matches every flow
    /// for sure.
    fn leave(&mut self, depth: usize, c: &Cond, r: &RawRule, name: &str, unsure: bool) -> Left {
        if depth == 0 {
            let policy = self.policy;
            self.push(c, name, policy, unsure);
            Left::ByPolicy
        } else if r.cond.is_any() && !unsure {
            Left::ToCaller
        } else {
            self.conditional_return(r);
            Left::Maybe
        }
    }

    fn find(&self, name: &str) -> Option<usize> {
        self.chains.iter().position(|c| c.name == name)
    }

    fn walk(&mut self, idx: usize, ctx: &Cond, mut uncertain: bool, stack: &mut Vec<usize>) {
        let depth = stack.len();
        stack.push(idx);
        let rules = &self.chains[idx].rules;
        for r in rules {
            if self.budget == 0 {
                break;
            }
            self.budget -= 1;
            let c = ctx.and(&r.cond);
            if c.is_empty() {
                continue;
            }
            let unsure = uncertain || r.cond.unknown;
            match &r.verdict {
                Verdict::Continue => {}
                Verdict::Accept => self.push(&c, &r.name, AclAction::Permit, unsure),
                Verdict::Drop => self.push(&c, &r.name, AclAction::Deny, unsure),
                Verdict::Unknown(v) => {
                    self.findings.push(Finding::new(
                        FindingCode::Widened,
                        &r.location,
                        format!(
                            "verdict `{v}` is not modelled; read as accept (the widest meaning)"
                        ),
                    ));
                    self.push(&c, &r.name, AclAction::Permit, unsure);
                }
                Verdict::Jump(t) | Verdict::Goto(t) => {
                    let Some(target) = self.find(t) else {
                        self.findings.push(Finding::new(
                            FindingCode::BrokenReference,
                            &r.location,
                            format!("jump to chain `{t}`, which does not exist; ignored"),
                        ));
                        continue;
                    };
                    if stack.contains(&target) || depth + 1 >= MAX_DEPTH {
                        self.findings.push(Finding::new(
                            FindingCode::BrokenReference,
                            &r.location,
                            format!("jump to `{t}` loops or nests too deep; ignored"),
                        ));
                        continue;
                    }
                    self.walk(target, &c, unsure, stack);
                    if matches!(r.verdict, Verdict::Goto(_)) {
                        // Flows that leave the goto target do not come back here.
                        let name = format!("{} (policy after goto)", r.name);
                        match self.leave(depth, &c, r, &name, unsure) {
                            Left::ByPolicy => uncertain |= unsure,
                            Left::ToCaller => break,
                            Left::Maybe => uncertain = true,
                        }
                    }
                }
                Verdict::Return => match self.leave(depth, &c, r, &r.name, unsure) {
                    Left::ByPolicy => {}
                    Left::ToCaller => break,
                    Left::Maybe => uncertain = true,
                },
            }
        }
        stack.pop();
    }

    fn conditional_return(&mut self, r: &RawRule) {
        self.findings.push(Finding::new(
            FindingCode::Widened,
            &r.location,
            "conditional return from a jumped-to chain: the drops after it are left out (widest meaning)",
        ));
    }
}

/// Every chain of the table `family table`, in order, as a [`ChainAcl`]
/// (see [`resolve`]); what could not be modelled goes to `findings`.
pub(crate) fn table_acls(
    family: &str,
    table: &str,
    chains: &[RawChain],
    findings: &mut Vec<Finding>,
) -> Vec<ChainAcl> {
    let acl_of = |i: usize, c: &RawChain, findings: &mut Vec<Finding>| ChainAcl {
        family: family.to_string(),
        table: table.to_string(),
        chain: c.name.clone(),
        hook: c.hook.clone(),
        priority: c.priority,
        acl: resolve(chains, i, format!("{family} {table} {}", c.name), findings),
    };
    chains
        .iter()
        .enumerate()
        .map(|(i, c)| acl_of(i, c, findings))
        .collect()
}

/// The ACL of chain `idx`, jumps inlined; regular chains read on their own
/// have default permit.
fn resolve(chains: &[RawChain], idx: usize, acl_name: String, findings: &mut Vec<Finding>) -> Acl {
    let policy = chains[idx].policy;
    let mut w = Walker {
        chains,
        findings,
        out: Vec::new(),
        policy,
        budget: BUDGET,
    };
    let mut stack = Vec::new();
    w.walk(idx, &Cond::any(), false, &mut stack);
    if w.budget == 0 {
        // Widest meaning for everything not read: accepted.
        w.findings.push(Finding::new(
            FindingCode::Widened,
            chains[idx].name.clone(),
            format!("more than {BUDGET} rules after inlining jumps; the rest is read as accept"),
        ));
        w.out
            .push(Cond::any().entry("not read (too many rules)", AclAction::Permit));
    }
    Acl {
        name: acl_name,
        entries: w.out,
        default: policy,
    }
}
