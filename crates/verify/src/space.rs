//! The address space cut into the pieces that matter.
//!
//! Every address belongs to the first group declaring it (or to none). A
//! group's addresses are further cut by the local-address scopes of its own
//! rules, so that within one *unit* every address is evaluated by the same
//! rules as a local endpoint. The owner map is a sorted list of segments
//! covering all of IPv4 and all of IPv6, each labelled with its unit: the
//! number of segments is proportional to the number of distinct ranges, not
//! of addresses.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::net::IpAddr;

use smbguard_model::{AddrSet, IntervalSet, Profile};
use smbguard_semantics::{Direction, HostPolicy, HostRules, Plan, WindowsRule};

use crate::fam::{Fam, FxMap, classes, meet_slices, set_of};

/// One labelled segment of the owner map.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Seg<T> {
    pub(crate) lo: T,
    pub(crate) hi: T,
    pub(crate) unit: u32,
}

/// Addresses evaluated alike as a local endpoint: one host group (or none)
/// and one class of its rules' local-address scopes.
#[derive(Clone, Debug)]
pub(crate) struct Unit {
    /// Plan host index; `None` for addresses in no group.
    pub(crate) host: Option<usize>,
    /// The unit's addresses.
    pub(crate) addrs: AddrSet,
    /// One address of the unit, used to match local-address scopes.
    pub(crate) rep: Option<IpAddr>,
}

/// Per-host facts the evaluator needs about a peer.
#[derive(Clone, Debug)]
pub(crate) struct HostInfo {
    /// `HostPolicy::ipsec_in` per profile (Domain, Private, Public).
    pub(crate) ipsec: [bool; 3],
    /// Interned SID of the host group.
    pub(crate) sid: Option<u32>,
}

pub(crate) fn profile_index(p: Profile) -> usize {
    match p {
        Profile::Domain => 0,
        Profile::Private => 1,
        Profile::Public => 2,
    }
}

/// The cut address space of one plan.
#[derive(Debug)]
pub(crate) struct Space<'p> {
    pub(crate) plan: &'p Plan,
    /// IPv4 owner map.
    pub(crate) v4: Vec<Seg<u32>>,
    /// IPv6 owner map.
    pub(crate) v6: Vec<Seg<u128>>,
    /// Units; unit 0 is "in no group".
    pub(crate) units: Vec<Unit>,
    /// The addresses each host actually owns (first declaration wins).
    pub(crate) eff: Vec<AddrSet>,
    /// Addresses in some group.
    pub(crate) managed: AddrSet,
    /// Windows rules each host evaluates (its own plus built-ins not disabled), by direction.
    pub(crate) win_rules: Vec<[Vec<&'p WindowsRule>; 2]>,
    /// Host facts.
    pub(crate) hosts: Vec<HostInfo>,
    /// Interned SIDs.
    pub(crate) sids: HashMap<String, u32>,
    /// Source-port classes: within one, every rule matches alike.
    pub(crate) port_classes: Vec<(u16, u16)>,
    /// Per profile, the first profile in which every host has the same IPsec
    /// ability: peers in equivalent profiles are judged alike.
    pub(crate) peer_class: [usize; 3],
}

pub(crate) fn dir_index(d: Direction) -> usize {
    match d {
        Direction::Inbound => 0,
        Direction::Outbound => 1,
    }
}

/// The addresses each plan host owns: its own minus those of hosts declared
/// before it (`Plan::host_of` takes the first match).
pub fn effective_addresses(plan: &Plan) -> Vec<AddrSet> {
    let o4 = owners::<u32>(plan);
    let o6 = owners::<u128>(plan);
    let mut v4: Vec<Vec<(u32, u32)>> = vec![Vec::new(); plan.hosts.len()];
    let mut v6: Vec<Vec<(u128, u128)>> = vec![Vec::new(); plan.hosts.len()];
    for (lo, hi, h) in o4 {
        if let Some(h) = h {
            v4[h].push((lo, hi));
        }
    }
    for (lo, hi, h) in o6 {
        if let Some(h) = h {
            v6[h].push((lo, hi));
        }
    }
    v4.into_iter()
        .zip(v6)
        .map(|(a, b)| AddrSet {
            v4: set_of(a),
            v6: set_of(b),
        })
        .collect()
}

/// First-match owners of the whole domain, as maximal segments.
fn owners<T: Fam>(plan: &Plan) -> Vec<(T, T, Option<usize>)> {
    let mut iv: Vec<(T, T, usize)> = plan
        .hosts
        .iter()
        .enumerate()
        .flat_map(|(i, h)| {
            T::part(&h.addresses)
                .intervals()
                .iter()
                .map(move |&(lo, hi)| (lo, hi, i))
        })
        .collect();
    iv.sort_unstable_by_key(|x| x.0);
    let mut bps: Vec<T> = Vec::with_capacity(iv.len() * 2 + 1);
    bps.push(T::MIN);
    for &(lo, hi, _) in &iv {
        bps.push(lo);
        if let Some(n) = hi.succ() {
            bps.push(n);
        }
    }
    bps.sort_unstable();
    bps.dedup();
    let mut heap: BinaryHeap<Reverse<(usize, T)>> = BinaryHeap::new();
    let mut out: Vec<(T, T, Option<usize>)> = Vec::new();
    let mut k = 0;
    for (bi, &b) in bps.iter().enumerate() {
        let end = match bps.get(bi + 1) {
            Some(n) => n.pred().unwrap_or(T::MIN),
            None => T::MAX,
        };
        while k < iv.len() && iv[k].0 == b {
            heap.push(Reverse((iv[k].2, iv[k].1)));
            k += 1;
        }
        while heap.peek().is_some_and(|Reverse((_, hi))| *hi < b) {
            heap.pop();
        }
        let owner = heap.peek().map(|Reverse((h, _))| *h);
        match out.last_mut() {
            Some(last) if last.2 == owner => last.1 = end,
            _ => out.push((b, end, owner)),
        }
    }
    out
}

/// Iterates the segments of `segs` overlapping `x`, clipped to `x`.
pub(crate) fn overlapping<T: Fam>(segs: &[Seg<T>], x: &[(T, T)], mut f: impl FnMut(u32, T, T)) {
    for &(lo, hi) in x {
        let mut j = segs.partition_point(|s| s.hi < lo);
        while j < segs.len() && segs[j].lo <= hi {
            f(segs[j].unit, lo.max(segs[j].lo), hi.min(segs[j].hi));
            j += 1;
        }
    }
}

/// The units overlapping `x`, each with its part of `x`, in order of first appearance.
pub(crate) fn units_in<T: Fam>(segs: &[Seg<T>], x: &IntervalSet<T>) -> Vec<(u32, IntervalSet<T>)> {
    let mut order: Vec<u32> = Vec::new();
    let mut parts: FxMap<u32, Vec<(T, T)>> = FxMap::default();
    overlapping(segs, x.intervals(), |u, lo, hi| {
        parts
            .entry(u)
            .or_insert_with(|| {
                order.push(u);
                Vec::new()
            })
            .push((lo, hi));
    });
    order
        .into_iter()
        .map(|u| {
            let v = parts.remove(&u).unwrap_or_default();
            (u, set_of(v))
        })
        .collect()
}

impl<'p> Space<'p> {
    pub(crate) fn new(plan: &'p Plan) -> Self {
        let mut sids: HashMap<String, u32> = HashMap::new();
        let mut intern = |s: &str| -> u32 {
            let n = sids.len() as u32;
            *sids.entry(s.to_string()).or_insert(n)
        };
        let hosts: Vec<HostInfo> = plan
            .hosts
            .iter()
            .map(|h| HostInfo {
                ipsec: Profile::ALL.map(|p| h.ipsec_in(p)),
                sid: h.sid.as_deref().map(&mut intern),
            })
            .collect();
        for h in &plan.hosts {
            if let Some(w) = h.windows() {
                for r in w.effective_rules() {
                    for s in &r.remote_machines {
                        intern(s);
                    }
                }
            }
        }
        let win_rules: Vec<[Vec<&WindowsRule>; 2]> = plan
            .hosts
            .iter()
            .map(|h| {
                let mut by_dir: [Vec<&WindowsRule>; 2] = [Vec::new(), Vec::new()];
                if let Some(w) = h.windows() {
                    for r in w.effective_rules() {
                        by_dir[dir_index(r.direction)].push(r);
                    }
                }
                by_dir
            })
            .collect();
        let eff = effective_addresses(plan);
        let managed = AddrSet {
            v4: set_of(
                eff.iter()
                    .flat_map(|e| e.v4.intervals().iter().copied())
                    .collect::<Vec<_>>(),
            ),
            v6: set_of(
                eff.iter()
                    .flat_map(|e| e.v6.intervals().iter().copied())
                    .collect::<Vec<_>>(),
            ),
        };

        // Units: unit 0 is "no group"; then each host's local-scope classes.
        let mut units = vec![Unit {
            host: None,
            addrs: managed.complement(),
            rep: managed.complement().sample(),
        }];
        let mut pieces4: Vec<(u32, u32, u32)> = Vec::new();
        let mut pieces6: Vec<(u128, u128, u32)> = Vec::new();
        for (h, host) in plan.hosts.iter().enumerate() {
            let locals = local_scopes(host, &win_rules[h]);
            let e = &eff[h];
            if e.is_empty() {
                continue;
            }
            if locals.is_empty() {
                let u = units.len() as u32;
                units.push(Unit {
                    host: Some(h),
                    addrs: e.clone(),
                    rep: e.sample(),
                });
                pieces4.extend(e.v4.intervals().iter().map(|&(a, b)| (a, b, u)));
                pieces6.extend(e.v6.intervals().iter().map(|&(a, b)| (a, b, u)));
                continue;
            }
            let l4: Vec<&IntervalSet<u32>> = locals.iter().map(|s| &s.v4).collect();
            let l6: Vec<&IntervalSet<u128>> = locals.iter().map(|s| &s.v6).collect();
            let mut by_sig: HashMap<Vec<bool>, crate::fam::Raw> = HashMap::new();
            let mut sig_order: Vec<Vec<bool>> = Vec::new();
            for (sig, p) in classes(&e.v4, &l4) {
                let entry = by_sig.entry(sig.clone()).or_insert_with(|| {
                    sig_order.push(sig);
                    (Vec::new(), Vec::new())
                });
                entry.0.extend(p);
            }
            for (sig, p) in classes(&e.v6, &l6) {
                let entry = by_sig.entry(sig.clone()).or_insert_with(|| {
                    sig_order.push(sig);
                    (Vec::new(), Vec::new())
                });
                entry.1.extend(p);
            }
            for sig in sig_order {
                let Some((a, b)) = by_sig.remove(&sig) else {
                    continue;
                };
                let u = units.len() as u32;
                pieces4.extend(a.iter().map(|&(x, y)| (x, y, u)));
                pieces6.extend(b.iter().map(|&(x, y)| (x, y, u)));
                let addrs = AddrSet {
                    v4: IntervalSet::from_intervals(a),
                    v6: IntervalSet::from_intervals(b),
                };
                units.push(Unit {
                    host: Some(h),
                    rep: addrs.sample(),
                    addrs,
                });
            }
        }
        let v4 = segments(pieces4, &units[0].addrs.v4);
        let v6 = segments(pieces6, &units[0].addrs.v6);
        let port_classes = port_classes(&win_rules);
        let peer_class = [0, 1, 2].map(|i| {
            (0..=i)
                .find(|&j| hosts.iter().all(|h| h.ipsec[j] == h.ipsec[i]))
                .unwrap_or(i)
        });
        Space {
            plan,
            v4,
            v6,
            units,
            eff,
            managed,
            win_rules,
            hosts,
            sids,
            port_classes,
            peer_class,
        }
    }

    pub(crate) fn host_policy(&self, h: usize) -> &'p HostPolicy {
        &self.plan.hosts[h]
    }
}

/// Distinct local-address scopes of a host's rules (none when all are "any").
fn local_scopes(host: &HostPolicy, win: &[Vec<&WindowsRule>; 2]) -> Vec<AddrSet> {
    let mut out: Vec<AddrSet> = Vec::new();
    let mut add = |s: &AddrSet| {
        if !s.is_any() && !out.contains(s) {
            out.push(s.clone());
        }
    };
    match &host.rules {
        HostRules::Windows(_) => {
            for r in win.iter().flatten() {
                add(&r.local_addresses);
            }
        }
        HostRules::Linux(l) => {
            for e in &l.input.entries {
                add(&e.destination);
            }
            for e in &l.output.entries {
                add(&e.source);
            }
        }
    }
    out
}

/// Sorted segments covering the domain from the managed pieces and the unmanaged set.
fn segments<T: Fam>(mut pieces: Vec<(T, T, u32)>, unmanaged: &IntervalSet<T>) -> Vec<Seg<T>> {
    pieces.extend(unmanaged.intervals().iter().map(|&(a, b)| (a, b, 0)));
    pieces.sort_unstable_by_key(|p| p.0);
    let mut out: Vec<Seg<T>> = Vec::with_capacity(pieces.len());
    for (lo, hi, unit) in pieces {
        match out.last_mut() {
            Some(last) if last.unit == unit && last.hi.succ() == Some(lo) => last.hi = hi,
            _ => out.push(Seg { lo, hi, unit }),
        }
    }
    out
}

/// Classes of source ports: cut at every bound of an outbound rule's local
/// ports and an inbound rule's remote ports. (Allow clauses clamp each class
/// to the ephemeral range themselves.)
fn port_classes(win: &[[Vec<&WindowsRule>; 2]]) -> Vec<(u16, u16)> {
    let mut cuts: Vec<u16> = vec![0];
    for by_dir in win {
        for r in by_dir.iter().flatten() {
            let ports = match r.direction {
                Direction::Inbound => &r.remote_ports,
                Direction::Outbound => &r.local_ports,
            };
            for &(lo, hi) in ports.intervals() {
                cuts.push(lo);
                if let Some(n) = hi.checked_add(1) {
                    cuts.push(n);
                }
            }
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts.iter()
        .enumerate()
        .map(|(i, &lo)| {
            let hi = cuts.get(i + 1).map_or(u16::MAX, |n| n - 1);
            (lo, hi)
        })
        .collect()
}

/// The representative port of a class within `lo..=hi`: 50000 when it can,
/// so counterexamples look like real client connections.
pub(crate) fn port_rep(class: (u16, u16), scope: (u16, u16)) -> Option<u16> {
    let lo = class.0.max(scope.0);
    let hi = class.1.min(scope.1);
    if lo > hi {
        return None;
    }
    let preferred = smbguard_semantics::Flow::EPHEMERAL_PORT;
    Some(if (lo..=hi).contains(&preferred) {
        preferred
    } else {
        lo
    })
}

/// The address in `x` to show, preferring (in order) the given sets.
pub(crate) fn pick<T: Fam>(x: &IntervalSet<T>, prefer: &[&IntervalSet<T>], avoid: T) -> Option<T> {
    for p in prefer {
        let m = meet_slices(x.intervals(), p.intervals());
        if let Some(v) = crate::fam::other_than(&m, avoid).filter(|&v| v != avoid) {
            return Some(v);
        }
    }
    crate::fam::other_than(x.intervals(), avoid)
}
