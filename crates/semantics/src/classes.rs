//! Equivalence classes: the few representative values that stand for every
//! value of a domain with respect to a collection of sets.
//!
//! Two values that belong to exactly the same sets cannot be told apart by
//! any rule built from those sets, so checking one representative per class
//! proves a property for the whole domain (all of IPv4, IPv6 and the ports).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use smbguard_model::{AddrSet, Domain, IntervalSet};

/// The start of every class induced by `sets` over the whole domain, sorted.
/// Each start is also the class's representative.
pub fn class_starts<'a, T: Domain>(sets: impl IntoIterator<Item = &'a IntervalSet<T>>) -> Vec<T> {
    let mut starts = vec![T::MIN];
    for set in sets {
        for &(lo, hi) in set.intervals() {
            starts.push(lo);
            if let Some(next) = hi.succ() {
                starts.push(next);
            }
        }
    }
    starts.sort_unstable();
    starts.dedup();
    starts
}

/// One representative address per class induced by `sets`, IPv4 then IPv6.
pub fn address_classes<'a>(sets: impl IntoIterator<Item = &'a AddrSet>) -> Vec<IpAddr> {
    let sets: Vec<&AddrSet> = sets.into_iter().collect();
    let v4 = class_starts(sets.iter().map(|s| &s.v4));
    let v6 = class_starts(sets.iter().map(|s| &s.v6));
    v4.into_iter()
        .map(|a| IpAddr::V4(Ipv4Addr::from(a)))
        .chain(v6.into_iter().map(|a| IpAddr::V6(Ipv6Addr::from(a))))
        .collect()
}

/// One representative port per class induced by `sets`.
pub fn port_classes<'a>(sets: impl IntoIterator<Item = &'a IntervalSet<u16>>) -> Vec<u16> {
    class_starts(sets)
}
