//! The equivalence classes a Windows comparison enumerates, and the coarser
//! classes that stand for them.
//!
//! The enumeration (`walk.rs`) is over *fine* classes: class starts of
//! every rule's addresses and ports and of every address the plan names
//! (so that traces fall on meaningful addresses, and `classes` counts
//! them), every IPsec situation. Most fine classes cannot be told apart:
//! two remote addresses in the same class of the address sets of the rules
//! that can still match the flow get the same outcome from both policies;
//! so do two client ports, two local addresses, and two IPsec situations
//! that no rule of either side can tell apart. Such classes are evaluated
//! once, at the first of them in enumeration order, and counted with their
//! number (a [`Run`]). The enumeration is lexicographic and each run starts
//! at its first member, so the first class of every difference is still
//! evaluated: the differences, their first flows and their counts are
//! those of evaluating every fine class (a test compares the two).

use smbguard_model::{AddrSet, Domain, IntervalSet, Profile};
use smbguard_semantics::classes::class_starts;
use smbguard_semantics::{Action, IpsecContext, WindowsPolicy, WindowsRule};

/// Class starts of some address sets, per family: sorted, deduplicated,
/// each list beginning with the family's first address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Starts {
    v4: Vec<u32>,
    v6: Vec<u128>,
}

/// Two sorted, deduplicated lists merged into one.
fn merge<T: Domain>(a: &[T], b: &[T]) -> Vec<T> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let next = a[i].min(b[j]);
        out.push(next);
        i += usize::from(a[i] == next);
        j += usize::from(b[j] == next);
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

impl Starts {
    /// The class starts of `sets` (what `address_classes` returns, kept
    /// apart by family).
    pub(crate) fn of<'a>(sets: impl IntoIterator<Item = &'a AddrSet>) -> Self {
        let sets: Vec<&AddrSet> = sets.into_iter().collect();
        Starts {
            v4: class_starts(sets.iter().map(|s| &s.v4)),
            v6: class_starts(sets.iter().map(|s| &s.v6)),
        }
    }

    /// The class starts of both collections of sets.
    pub(crate) fn merge(&self, other: &Starts) -> Starts {
        Starts {
            v4: merge(&self.v4, &other.v4),
            v6: merge(&self.v6, &other.v6),
        }
    }

    /// Every start as an address, IPv4 then IPv6 (`address_classes`' order).
    #[cfg(test)]
    fn addresses(&self) -> impl Iterator<Item = std::net::IpAddr> + '_ {
        use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
        let v4 = self.v4.iter().map(|&a| IpAddr::V4(Ipv4Addr::from(a)));
        v4.chain(self.v6.iter().map(|&a| IpAddr::V6(Ipv6Addr::from(a))))
    }
}

/// One evaluated representative and how many enumerated classes it stands
/// for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Run<T> {
    /// The first class of the run, in enumeration order.
    pub first: T,
    /// Classes in the run.
    pub weight: usize,
}

/// The classes of `fine` (sorted starts, possibly filtered) grouped by the
/// classes of `coarse` (sorted starts of fewer sets, beginning with the
/// domain's first value): one run per coarse class holding a fine start,
/// at its first fine start.
pub(crate) fn runs<T: Domain>(fine: &[T], coarse: &[T]) -> Vec<Run<T>> {
    let mut out = Vec::with_capacity(coarse.len());
    let mut lo = 0;
    for k in 0..coarse.len() {
        let hi = match coarse.get(k + 1) {
            Some(&next) => lo + fine[lo..].partition_point(|&f| f < next),
            None => fine.len(),
        };
        if hi > lo {
            out.push(Run {
                first: fine[lo],
                weight: hi - lo,
            });
        }
        lo = hi;
    }
    out
}

impl Starts {
    /// The IPv4 starts.
    pub(crate) fn v4(&self) -> &[u32] {
        &self.v4
    }

    /// The IPv6 starts.
    pub(crate) fn v6(&self) -> &[u128] {
        &self.v6
    }

    /// Only the starts inside `set`.
    pub(crate) fn within(&self, set: &AddrSet) -> Starts {
        Starts {
            v4: self
                .v4
                .iter()
                .copied()
                .filter(|&a| set.v4.contains(a))
                .collect(),
            v6: self
                .v6
                .iter()
                .copied()
                .filter(|&a| set.v6.contains(a))
                .collect(),
        }
    }
}

/// How one side sees an IPsec situation: what its evaluation can depend on.
/// Without this host's isolation nothing else about IPsec matters (every
/// bypass and allow-if-secure fails for that reason first); without the
/// peer's, the peer's groups do not; with both, only which of the side's
/// bypass rules authorise the peer.
#[derive(Clone, Debug, PartialEq, Eq)]
enum SideView {
    NoLocal,
    NoPeer,
    Both(Vec<usize>),
}

fn side_view(c: &IpsecContext, isolated: bool, bypasses: &[(usize, &WindowsRule)]) -> SideView {
    match (c.local && isolated, c.peer) {
        (false, _) => SideView::NoLocal,
        (true, false) => SideView::NoPeer,
        (true, true) => SideView::Both(
            bypasses
                .iter()
                .filter(|(_, r)| r.remote_machines.iter().any(|s| c.peer_sids.contains(s)))
                .map(|(i, _)| *i)
                .collect(),
        ),
    }
}

/// The bypass rules of a side, numbered.
pub(crate) fn bypass_rules<'r>(rules: &[&'r WindowsRule]) -> Vec<(usize, &'r WindowsRule)> {
    rules
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, r)| r.action == Action::Bypass)
        .collect()
}

/// The IPsec situations of `contexts` that the two policies can tell apart
/// in `profile`, each at its first occurrence, weighted by how many
/// situations it stands for.
pub(crate) fn context_runs<'c>(
    contexts: &'c [IpsecContext],
    profile: Profile,
    expected: (&WindowsPolicy, &[(usize, &WindowsRule)]),
    actual: (&WindowsPolicy, &[(usize, &WindowsRule)]),
) -> Vec<Run<&'c IpsecContext>> {
    let (ei, ai) = (
        expected.0.has_isolation(profile),
        actual.0.has_isolation(profile),
    );
    let mut seen: Vec<(SideView, SideView)> = Vec::new();
    let mut out: Vec<Run<&IpsecContext>> = Vec::new();
    for c in contexts {
        let view = (side_view(c, ei, expected.1), side_view(c, ai, actual.1));
        match seen.iter().position(|v| *v == view) {
            Some(i) => out[i].weight += 1,
            None => {
                seen.push(view);
                out.push(Run {
                    first: c,
                    weight: 1,
                });
            }
        }
    }
    out
}

/// Port class starts of `sets`, merged with `other`'s.
pub(crate) fn port_starts<'a>(
    sets: impl IntoIterator<Item = &'a IntervalSet<u16>>,
    other: &[u16],
) -> Vec<u16> {
    merge(&class_starts(sets), other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_starts_are_the_starts_of_the_union() {
        let a = AddrSet::range("10.0.0.5".parse().unwrap(), "10.0.0.9".parse().unwrap()).unwrap();
        let b = AddrSet::range("10.0.0.7".parse().unwrap(), "10.0.1.0".parse().unwrap()).unwrap();
        let c = AddrSet::range("fd00::1".parse().unwrap(), "fd00::9".parse().unwrap()).unwrap();
        let whole = Starts::of([&a, &b, &c]);
        assert_eq!(Starts::of([&a]).merge(&Starts::of([&b, &c])), whole);
        assert_eq!(Starts::of([&c, &a]).merge(&Starts::of([&b])), whole);
        let list: Vec<std::net::IpAddr> = whole.addresses().collect();
        assert_eq!(
            list,
            smbguard_semantics::classes::address_classes([&a, &b, &c])
        );
    }

    #[test]
    fn runs_group_fine_classes_by_coarse_class() {
        // Fine starts 0, 10, 16, 32, 48, 64; coarse classes [0, 16), [16, 64), [64, ..).
        let fine: [u32; 6] = [0, 10, 16, 32, 48, 64];
        let got = runs(&fine, &[0, 16, 64]);
        let firsts: Vec<(u32, usize)> = got.iter().map(|r| (r.first, r.weight)).collect();
        assert_eq!(firsts, [(0, 2), (16, 3), (64, 1)]);
        // Filtered fine starts: a coarse class may hold none, or begin
        // before its first.
        let got = runs(&[10, 32, 48], &[0, 16, 40, 64]);
        let firsts: Vec<(u32, usize)> = got.iter().map(|r| (r.first, r.weight)).collect();
        assert_eq!(firsts, [(10, 1), (32, 1), (48, 1)]);
        assert!(runs::<u32>(&[], &[0, 5]).is_empty());
    }
}
