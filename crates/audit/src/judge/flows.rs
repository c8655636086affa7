//! Every SMB flow class on which a deployed policy and the plan disagree,
//! bucketed by cause: the same enumeration as translation validation
//! (`smbguard_semantics::compare_windows` / `compare_acl`), restricted to
//! the plan's SMB transports on the server side, and not stopping at the
//! first difference. The Windows walk is `walk.rs`; the first-match ACLs'
//! is here.

use std::collections::BTreeMap;
use std::net::IpAddr;

use smbguard_model::{AddrSet, Profile, Transport};
use smbguard_semantics::classes::address_classes;
use smbguard_semantics::eval::acl::eval_acl;
use smbguard_semantics::eval::windows::Outcome;
use smbguard_semantics::{Acl, Decision, Difference, Direction, Flow, Plan, Verdict};

/// Differences with the same cause, the first kept as the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Bucket {
    /// The first differing flow.
    pub first: Difference,
    /// How many classes differ the same way.
    pub classes: usize,
}

/// What makes two differences "the same": direction, profile, both
/// verdicts and both decisive rules.
pub(crate) type Key = (u8, Option<Profile>, bool, Option<String>, Option<String>);

fn decisive(d: &Decision) -> Option<String> {
    d.matched.iter().find(|m| m.decisive).map(|m| m.id.clone())
}

/// Buckets of differences and the number of classes compared.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Differences {
    pub buckets: BTreeMap<Key, Bucket>,
    pub classes: usize,
}

impl Differences {
    /// Counts `weight` differing classes under `key`; the first one of a
    /// key is kept as its trace (`make` builds it).
    pub(crate) fn add(&mut self, key: Key, weight: usize, make: impl FnOnce() -> Difference) {
        self.buckets
            .entry(key)
            .and_modify(|b| b.classes += weight)
            .or_insert_with(|| Bucket {
                first: make(),
                classes: weight,
            });
    }

    pub(crate) fn add_difference(&mut self, diff: Difference) {
        let key = (
            direction_code(diff.direction),
            diff.profile,
            diff.actual.verdict == Verdict::Allow,
            decisive(&diff.actual),
            decisive(&diff.expected),
        );
        self.add(key, 1, || diff);
    }
}

fn direction_code(d: Option<Direction>) -> u8 {
    match d {
        None => 0,
        Some(Direction::Inbound) => 1,
        Some(Direction::Outbound) => 2,
    }
}

/// The key of a Windows difference, from both outcomes (what
/// [`Differences::add_difference`] computes from both decisions).
pub(crate) fn key(direction: Direction, profile: Profile, e: &Outcome<'_>, a: &Outcome<'_>) -> Key {
    (
        direction_code(Some(direction)),
        Some(profile),
        a.verdict == Verdict::Allow,
        a.decisive.map(|r| r.id.clone()),
        e.decisive.map(|r| r.id.clone()),
    )
}

/// Every address the plan names (groups, the internal range) as class
/// breakpoints, so representatives fall on meaningful addresses.
pub(crate) fn plan_sets(plan: &Plan) -> Vec<AddrSet> {
    let mut sets: Vec<AddrSet> = plan.hosts.iter().map(|h| h.addresses.clone()).collect();
    sets.push(plan.internal.clone());
    sets
}

/// The SMB server ports of the plan's transports, by protocol.
pub(crate) fn server_ports(transports: &[Transport]) -> Vec<Transport> {
    let mut t = transports.to_vec();
    t.sort_by_key(|t| (t.proto.number(), t.port));
    t.dedup();
    t
}

pub(crate) fn same_family(a: IpAddr, b: IpAddr) -> bool {
    a.is_ipv4() == b.is_ipv4()
}

pub(crate) fn flow(direction: Direction, t: Transport, la: IpAddr, ra: IpAddr, other: u16) -> Flow {
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

/// The representatives inside `host` (all of them without a host).
pub(crate) fn own(classes: Vec<IpAddr>, host: Option<&AddrSet>) -> Vec<IpAddr> {
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
                    out.add_difference(Difference {
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
