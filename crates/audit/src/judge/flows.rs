//! Every SMB flow class on which a deployed policy and the plan disagree,
//! bucketed by cause: the same enumeration as translation validation
//! (`smbguard_semantics::compare_windows` / `compare_acl`), restricted to
//! the plan's SMB transports on the server side, and not stopping at the
//! first difference.

use std::collections::BTreeMap;
use std::net::IpAddr;

use smbguard_model::{AddrSet, Profile, Transport};
use smbguard_semantics::classes::{address_classes, port_classes};
use smbguard_semantics::eval::acl::eval_acl;
use smbguard_semantics::eval::windows::eval_windows;
use smbguard_semantics::{
    Acl, Decision, Difference, Direction, Flow, IpsecContext, Plan, Verdict, WindowsContext,
    WindowsPolicy, WindowsRule,
};

/// Differences with the same cause, the first kept as the trace.
#[derive(Clone, Debug)]
pub(crate) struct Bucket {
    /// The first differing flow.
    pub first: Difference,
    /// How many classes differ the same way.
    pub classes: usize,
}

/// What makes two differences "the same": direction, profile, both
/// verdicts and both decisive rules.
type Key = (u8, Option<Profile>, bool, Option<String>, Option<String>);

fn decisive(d: &Decision) -> Option<String> {
    d.matched.iter().find(|m| m.decisive).map(|m| m.id.clone())
}

/// Buckets of differences and the number of classes compared.
#[derive(Debug, Default)]
pub(crate) struct Differences {
    pub buckets: BTreeMap<Key, Bucket>,
    pub classes: usize,
}

impl Differences {
    fn add(&mut self, diff: Difference) {
        let dir = match diff.direction {
            None => 0,
            Some(Direction::Inbound) => 1,
            Some(Direction::Outbound) => 2,
        };
        let key = (
            dir,
            diff.profile,
            diff.actual.verdict == Verdict::Allow,
            decisive(&diff.actual),
            decisive(&diff.expected),
        );
        self.buckets
            .entry(key)
            .and_modify(|b| b.classes += 1)
            .or_insert(Bucket {
                first: diff,
                classes: 1,
            });
    }
}

/// Every address the plan names (groups, the internal range) as class
/// breakpoints, so representatives fall on meaningful addresses.
fn plan_sets(plan: &Plan) -> Vec<AddrSet> {
    let mut sets: Vec<AddrSet> = plan.hosts.iter().map(|h| h.addresses.clone()).collect();
    sets.push(plan.internal.clone());
    sets
}

/// The SMB server ports of the plan's transports, by protocol.
fn server_ports(transports: &[Transport]) -> Vec<Transport> {
    let mut t = transports.to_vec();
    t.sort_by_key(|t| (t.proto.number(), t.port));
    t.dedup();
    t
}

/// The IPsec situations that can matter: none, only this end, both ends
/// with a peer in no group, and both ends with a peer holding each SID
/// either policy or the plan names.
fn ipsec_contexts(rules: &[&WindowsRule], plan: &Plan) -> Vec<IpsecContext> {
    let mut sids: Vec<String> = rules
        .iter()
        .flat_map(|r| r.remote_machines.iter().cloned())
        .chain(plan.hosts.iter().filter_map(|h| h.sid.clone()))
        .collect();
    sids.sort();
    sids.dedup();
    let ctx = |local, peer, sids: Vec<String>| IpsecContext {
        local,
        peer,
        peer_sids: sids,
        local_store: false,
    };
    let mut out = vec![
        ctx(false, false, vec![]),
        ctx(true, false, vec![]),
        ctx(true, true, vec![]),
    ];
    out.extend(sids.into_iter().map(|s| ctx(true, true, vec![s])));
    out
}

fn same_family(a: IpAddr, b: IpAddr) -> bool {
    a.is_ipv4() == b.is_ipv4()
}

fn flow(direction: Direction, t: Transport, la: IpAddr, ra: IpAddr, other: u16) -> Flow {
    match direction {
        Direction::Inbound => Flow {
            source: ra,
            destination: la,
            transport: t,
            source_port: other,
        },
        Direction::Outbound => Flow {
            source: la,
            destination: ra,
            transport: t,
            source_port: other,
        },
    }
}

/// Windows: every class of (direction, profile, IPsec situation, SMB
/// transport, client port, local and remote address).
///
/// Local addresses are the host's (its group's): flows to or from other
/// addresses never reach this host.
pub(crate) fn windows(
    plan: &Plan,
    host: &AddrSet,
    expected: &WindowsPolicy,
    actual: &WindowsPolicy,
) -> Differences {
    let all: Vec<&WindowsRule> = expected
        .effective_rules()
        .chain(actual.effective_rules())
        .collect();
    let extra = plan_sets(plan);
    let remote = address_classes(all.iter().map(|r| &r.remote_addresses).chain(&extra));
    let local = own(
        address_classes(all.iter().map(|r| &r.local_addresses).chain(&extra)),
        Some(host),
    );
    let contexts = ipsec_contexts(&all, plan);
    let transports = server_ports(&plan.transports);
    let mut out = Differences::default();
    for direction in [Direction::Inbound, Direction::Outbound] {
        // The client's port: remote for inbound, local for outbound.
        let client_ports = port_classes(all.iter().map(|r| match direction {
            Direction::Inbound => &r.remote_ports,
            Direction::Outbound => &r.local_ports,
        }));
        for profile in Profile::ALL {
            for c in &contexts {
                let side = |p: &WindowsPolicy| {
                    let mut c = c.clone();
                    c.local = c.local && p.has_isolation(profile);
                    WindowsContext { profile, ipsec: c }
                };
                let (ce, ca) = (side(expected), side(actual));
                for &t in &transports {
                    for &cp in &client_ports {
                        for &la in &local {
                            for &ra in remote.iter().filter(|ra| same_family(la, **ra)) {
                                let f = flow(direction, t, la, ra, cp);
                                out.classes += 1;
                                let e = eval_windows(
                                    expected.effective_rules(),
                                    expected.defaults(profile),
                                    direction,
                                    &f,
                                    &ce,
                                );
                                let a = eval_windows(
                                    actual.effective_rules(),
                                    actual.defaults(profile),
                                    direction,
                                    &f,
                                    &ca,
                                );
                                if e.verdict != a.verdict {
                                    out.add(Difference {
                                        direction: Some(direction),
                                        profile: Some(profile),
                                        flow: f,
                                        ipsec: Some(c.clone()),
                                        expected: e,
                                        actual: a,
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// The representatives inside `host` (all of them without a host).
fn own(classes: Vec<IpAddr>, host: Option<&AddrSet>) -> Vec<IpAddr> {
    match host {
        Some(h) => classes.into_iter().filter(|a| h.contains(*a)).collect(),
        None => classes,
    }
}

/// First-match ACLs: every class of (SMB transport, source, destination).
/// `direction` labels the differences (`None` for the perimeter); for a
/// host, its own end of the flow is restricted to `host`.
pub(crate) fn acl(
    plan: &Plan,
    host: Option<&AddrSet>,
    expected: &Acl,
    actual: &Acl,
    direction: Option<Direction>,
    out: &mut Differences,
) {
    let entries: Vec<_> = expected.entries.iter().chain(&actual.entries).collect();
    let extra = plan_sets(plan);
    let mut sources = address_classes(entries.iter().map(|e| &e.source).chain(&extra));
    let mut destinations = address_classes(entries.iter().map(|e| &e.destination).chain(&extra));
    match direction {
        Some(Direction::Inbound) => destinations = own(destinations, host),
        Some(Direction::Outbound) => sources = own(sources, host),
        None => {}
    }
    for t in server_ports(&plan.transports) {
        for &s in &sources {
            for &d in destinations.iter().filter(|d| same_family(s, **d)) {
                let f = Flow::new(s, d, t);
                out.classes += 1;
                let e = eval_acl(expected, &f);
                let a = eval_acl(actual, &f);
                if e.verdict != a.verdict {
                    out.add(Difference {
                        direction,
                        profile: None,
                        flow: f,
                        ipsec: None,
                        expected: e,
                        actual: a,
                    });
                }
            }
        }
    }
}
