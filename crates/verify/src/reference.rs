//! Reference evaluators the fast verifier is tested and benchmarked against.
//!
//! Both call `smbguard_semantics::check_flow` on concrete flows and judge
//! them with [`crate::FlowClause::covers`] and [`crate::observed`]: nothing symbolic.
//! [`exhaustive`] enumerates one address per elementary interval between
//! every bound of every range in the plan and the clauses (quadratic: small
//! estates only) and is exact; [`sample`] checks random flows and can only
//! find violations, never prove their absence.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use smbguard_model::{AddrSet, Profile, ServiceState, Transport};
use smbguard_semantics::{Flow, HostRules, Plan, Profiles, check_flow};

use crate::prove::observed;
use crate::spec::{Clause, EPHEMERAL_LOW, Invariant};

/// A deterministic pseudo-random generator (SplitMix64).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// An index into a slice of length `n`.
    pub fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    /// True with probability `num/den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }
}

/// A flow a reference evaluator found violating an invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The clause it violates.
    pub clause: String,
    /// The flow (`None` for I6 service settings).
    pub flow: Option<Flow>,
    /// Its profiles.
    pub profiles: Option<Profiles>,
}

/// What a reference run found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The first violation found per invariant ID.
    pub violations: BTreeMap<String, Violation>,
    /// Flows evaluated with `check_flow`.
    pub flows: usize,
}

impl Outcome {
    /// True when a violation of this invariant was found.
    pub fn failed(&self, id: &str) -> bool {
        self.violations.contains_key(id)
    }
}

/// I6 read directly from the plan.
fn services_violation(plan: &Plan) -> Option<Violation> {
    for h in &plan.hosts {
        let HostRules::Windows(w) = &h.rules else {
            continue;
        };
        for s in &w.services {
            let bad = s.state == ServiceState::Disabled
                && ((s.service == "LanmanServer" && h.role.hosts_shares())
                    || (s.service == "LanmanWorkstation" && h.domain_joined));
            if bad {
                return Some(Violation {
                    clause: format!("`{}`: {} disabled", h.group, s.service),
                    flow: None,
                    profiles: None,
                });
            }
        }
    }
    None
}

/// Judges one evaluated flow against every invariant, recording the first
/// violation per invariant.
fn judge(
    plan: &Plan,
    invariants: &[Invariant],
    flow: &Flow,
    profiles: Profiles,
    out: &mut Outcome,
) -> bool {
    let mut report = None;
    for inv in invariants {
        if out.violations.contains_key(&inv.id) {
            continue;
        }
        for c in &inv.clauses {
            let Clause::Flows(cl) = c else { continue };
            if !cl.covers(flow, profiles) {
                continue;
            }
            let r = report.get_or_insert_with(|| {
                out.flows += 1;
                check_flow(plan, flow, profiles)
            });
            if observed(r, cl.observe) != cl.expect {
                out.violations.insert(
                    inv.id.clone(),
                    Violation {
                        clause: cl.label.clone(),
                        flow: Some(*flow),
                        profiles: Some(profiles),
                    },
                );
                break;
            }
        }
    }
    report.is_some()
}

fn services(invariants: &[Invariant], plan: &Plan, out: &mut Outcome) {
    for inv in invariants {
        if inv.clauses.iter().any(|c| matches!(c, Clause::Services)) {
            if let Some(v) = services_violation(plan) {
                out.violations.insert(inv.id.clone(), v);
            }
        }
    }
}

fn all_address_sets<'a>(plan: &'a Plan, invariants: &'a [Invariant]) -> Vec<&'a AddrSet> {
    let mut sets: Vec<&AddrSet> = vec![&plan.internal];
    for h in &plan.hosts {
        sets.push(&h.addresses);
        match &h.rules {
            HostRules::Windows(w) => {
                for r in w.effective_rules() {
                    sets.push(&r.local_addresses);
                    sets.push(&r.remote_addresses);
                }
            }
            HostRules::Linux(l) => {
                for e in l.input.entries.iter().chain(&l.output.entries) {
                    sets.push(&e.source);
                    sets.push(&e.destination);
                }
            }
        }
    }
    for e in &plan.perimeter.entries {
        sets.push(&e.source);
        sets.push(&e.destination);
    }
    for inv in invariants {
        for c in &inv.clauses {
            if let Clause::Flows(cl) = c {
                sets.push(&cl.from);
                sets.push(&cl.to);
                for e in &cl.exempt {
                    sets.push(&e.from);
                    sets.push(&e.to);
                }
            }
        }
    }
    sets
}

/// One address per elementary interval of the partition all the sets induce.
fn representatives<T: Copy + Ord>(
    bounds: impl Iterator<Item = (T, T)>,
    succ: impl Fn(T) -> Option<T>,
    min: T,
) -> Vec<T> {
    let mut cuts: Vec<T> = vec![min];
    for (lo, hi) in bounds {
        cuts.push(lo);
        if let Some(n) = succ(hi) {
            cuts.push(n);
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

fn port_reps(plan: &Plan) -> Vec<u16> {
    let mut cuts: Vec<u16> = vec![0, EPHEMERAL_LOW];
    for h in &plan.hosts {
        if let Some(w) = h.windows() {
            for r in w.effective_rules() {
                for ps in [&r.local_ports, &r.remote_ports] {
                    for &(lo, hi) in ps.intervals() {
                        cuts.push(lo);
                        if let Some(n) = hi.checked_add(1) {
                            cuts.push(n);
                        }
                    }
                }
            }
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

fn contexts(invariants: &[Invariant]) -> (Vec<Transport>, Vec<Profiles>) {
    let mut ts = Vec::new();
    let mut ps = Vec::new();
    for inv in invariants {
        for c in &inv.clauses {
            if let Clause::Flows(cl) = c {
                for t in &cl.transports {
                    if !ts.contains(t) {
                        ts.push(*t);
                    }
                }
                for p in &cl.profiles {
                    if !ps.contains(p) {
                        ps.push(*p);
                    }
                }
            }
        }
    }
    (ts, ps)
}

/// Exact: every flow between representatives of the elementary address
/// intervals, for every transport, profile pair and source-port class the
/// invariants mention. Cost is quadratic in the number of intervals.
pub fn exhaustive(plan: &Plan, invariants: &[Invariant]) -> Outcome {
    let sets = all_address_sets(plan, invariants);
    let v4 = representatives(
        sets.iter().flat_map(|s| s.v4.intervals().iter().copied()),
        |x: u32| x.checked_add(1),
        0,
    );
    let v6 = representatives(
        sets.iter().flat_map(|s| s.v6.intervals().iter().copied()),
        |x: u128| x.checked_add(1),
        0,
    );
    let v4: Vec<IpAddr> = v4
        .into_iter()
        .map(|a| IpAddr::V4(Ipv4Addr::from(a)))
        .collect();
    let v6: Vec<IpAddr> = v6
        .into_iter()
        .map(|a| IpAddr::V6(Ipv6Addr::from(a)))
        .collect();
    let ports = port_reps(plan);
    let (ts, ps) = contexts(invariants);
    let mut out = Outcome::default();
    services(invariants, plan, &mut out);
    for t in &ts {
        for &p in &ps {
            for &port in &ports {
                for fam in [&v4, &v6] {
                    for &s in fam {
                        for &d in fam {
                            let flow = Flow {
                                source: s,
                                destination: d,
                                transport: *t,
                                source_port: port,
                            };
                            judge(plan, invariants, &flow, p, &mut out);
                        }
                    }
                }
            }
        }
    }
    out
}

/// Addresses worth sampling: bounds of every range and their neighbours,
/// points inside, and random addresses anywhere.
fn candidates(plan: &Plan, invariants: &[Invariant], rng: &mut Rng) -> (Vec<u32>, Vec<u128>) {
    let sets = all_address_sets(plan, invariants);
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    for s in &sets {
        for &(lo, hi) in s.v4.intervals().iter().take(64) {
            v4.extend([lo, hi, lo.wrapping_sub(1), hi.wrapping_add(1)]);
            v4.push(lo + (rng.next_u64() as u32) % (hi - lo).saturating_add(1).max(1));
        }
        for &(lo, hi) in s.v6.intervals().iter().take(64) {
            v6.extend([lo, hi, lo.wrapping_sub(1), hi.wrapping_add(1)]);
            let span = (hi - lo).saturating_add(1).max(1);
            let r = (u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64())) % span;
            v6.push(lo + r);
        }
    }
    for _ in 0..16 {
        v4.push(rng.next_u64() as u32);
        v6.push(u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64()));
    }
    v4.sort_unstable();
    v4.dedup();
    v6.sort_unstable();
    v6.dedup();
    (v4, v6)
}

/// `n` random flows: both ends drawn from the sampling candidates of one
/// family, random transport among the plan's, random profiles, source port
/// 50000 most of the time.
pub fn sample_flows(
    plan: &Plan,
    invariants: &[Invariant],
    n: usize,
    seed: u64,
) -> Vec<(Flow, Profiles)> {
    let mut rng = Rng::new(seed);
    let (v4, v6) = candidates(plan, invariants, &mut rng);
    let (mut ts, _) = contexts(invariants);
    for t in &plan.transports {
        if !ts.contains(t) {
            ts.push(*t);
        }
    }
    if ts.is_empty() {
        ts.push(Transport::SMB);
    }
    let ports = port_reps(plan);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let (s, d) = if v6.is_empty() || rng.chance(3, 4) {
            let s = v4[rng.index(v4.len())];
            let d = v4[rng.index(v4.len())];
            (IpAddr::V4(Ipv4Addr::from(s)), IpAddr::V4(Ipv4Addr::from(d)))
        } else {
            let s = v6[rng.index(v6.len())];
            let d = v6[rng.index(v6.len())];
            (IpAddr::V6(Ipv6Addr::from(s)), IpAddr::V6(Ipv6Addr::from(d)))
        };
        let port = if rng.chance(7, 10) {
            Flow::EPHEMERAL_PORT
        } else if rng.chance(1, 2) {
            ports[rng.index(ports.len())]
        } else {
            rng.next_u64() as u16
        };
        let profiles = Profiles {
            source: Profile::ALL[rng.index(3)],
            destination: Profile::ALL[rng.index(3)],
        };
        out.push((
            Flow {
                source: s,
                destination: d,
                transport: ts[rng.index(ts.len())],
                source_port: port,
            },
            profiles,
        ));
    }
    out
}

/// Brute force: evaluates the given flows and records violations.
pub fn check_flows(plan: &Plan, invariants: &[Invariant], flows: &[(Flow, Profiles)]) -> Outcome {
    let mut out = Outcome::default();
    services(invariants, plan, &mut out);
    for (f, p) in flows {
        judge(plan, invariants, f, *p, &mut out);
    }
    out
}

/// Brute force over `n` sampled flows.
pub fn sample(plan: &Plan, invariants: &[Invariant], n: usize, seed: u64) -> Outcome {
    let flows = sample_flows(plan, invariants, n, seed);
    check_flows(plan, invariants, &flows)
}
