//! Interval sets against a naive bitset reference, and address formatting
//! round trips.

use std::net::{IpAddr, Ipv4Addr};

use proptest::prelude::*;
use smbguard_model::{AddrSet, IntervalSet, parse_addr_spec};

/// Naive reference: one bool per port.
fn bits(set: &IntervalSet<u16>) -> Vec<bool> {
    let mut v = vec![false; 65536];
    for &(lo, hi) in set.intervals() {
        for p in lo..=hi {
            v[p as usize] = true;
        }
    }
    v
}

fn from_bits(v: &[bool]) -> IntervalSet<u16> {
    IntervalSet::from_intervals(
        v.iter()
            .enumerate()
            .filter(|(_, b)| **b)
            .map(|(i, _)| (i as u16, i as u16)),
    )
}

fn edge_value() -> impl Strategy<Value = u16> {
    prop_oneof![
        Just(0u16),
        Just(1),
        Just(65534),
        Just(65535),
        any::<u16>(),
        0u16..64
    ]
}

fn port_set() -> impl Strategy<Value = IntervalSet<u16>> {
    prop::collection::vec((edge_value(), edge_value()), 0..6)
        .prop_map(|v| IntervalSet::from_intervals(v.into_iter().map(|(a, b)| (a.min(b), a.max(b)))))
}

fn is_canonical(s: &IntervalSet<u16>) -> bool {
    s.intervals()
        .windows(2)
        .all(|w| u32::from(w[0].1) + 1 < u32::from(w[1].0))
        && s.intervals().iter().all(|(a, b)| a <= b)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn operations_match_the_bitset_reference(a in port_set(), b in port_set()) {
        let (x, y) = (bits(&a), bits(&b));
        let union: Vec<bool> = x.iter().zip(&y).map(|(p, q)| *p || *q).collect();
        let inter: Vec<bool> = x.iter().zip(&y).map(|(p, q)| *p && *q).collect();
        let diff: Vec<bool> = x.iter().zip(&y).map(|(p, q)| *p && !*q).collect();
        let comp: Vec<bool> = x.iter().map(|p| !*p).collect();
        prop_assert_eq!(bits(&a.union(&b)), union.clone());
        prop_assert_eq!(bits(&a.intersection(&b)), inter.clone());
        prop_assert_eq!(bits(&a.difference(&b)), diff);
        prop_assert_eq!(bits(&a.complement()), comp);
        prop_assert_eq!(a.intersects(&b), inter.iter().any(|v| *v));
        prop_assert_eq!(a.is_subset(&b), x.iter().zip(&y).all(|(p, q)| !*p || *q));
        for r in [a.union(&b), a.intersection(&b), a.difference(&b), a.complement()] {
            prop_assert!(is_canonical(&r));
        }
        // Canonical form makes equality set equality.
        prop_assert_eq!(from_bits(&union), a.union(&b));
    }

    #[test]
    fn membership_matches_the_reference(a in port_set(), probe in edge_value()) {
        prop_assert_eq!(a.contains(probe), bits(&a)[probe as usize]);
    }

    #[test]
    fn complement_is_an_involution(a in port_set()) {
        prop_assert_eq!(a.complement().complement(), a.clone());
        prop_assert!(a.union(&a.complement()).is_full());
        prop_assert!(a.intersection(&a.complement()).is_empty());
    }

    #[test]
    fn cidr_cover_is_exact_and_minimal(ranges in prop::collection::vec((any::<u32>(), any::<u32>()), 1..5)) {
        let set = ranges.iter().fold(AddrSet::empty(), |acc, &(a, b)| {
            let (lo, hi) = (a.min(b), a.max(b));
            acc.union(&AddrSet::range(IpAddr::V4(Ipv4Addr::from(lo)), IpAddr::V4(Ipv4Addr::from(hi))).unwrap())
        });
        let cidrs = set.to_cidrs();
        let rebuilt = cidrs.iter().fold(AddrSet::empty(), |acc, n| acc.union(&AddrSet::net(*n)));
        prop_assert_eq!(&rebuilt, &set);
        // Minimal: no two blocks could merge into their common parent.
        for w in cidrs.windows(2) {
            if let (ipnet::IpNet::V4(x), ipnet::IpNet::V4(y)) = (w[0], w[1]) {
                let merged = x.prefix_len() == y.prefix_len()
                    && x.prefix_len() > 0
                    && x.supernet() == y.supernet()
                    && x.supernet().is_some();
                prop_assert!(!merged, "{} and {} should have been merged", x, y);
            }
        }
    }

    #[test]
    fn ranges_print_and_parse_back(ranges in prop::collection::vec((any::<u128>(), any::<u128>()), 1..4)) {
        let set = ranges.iter().fold(AddrSet::empty(), |acc, &(a, b)| {
            acc.union(&AddrSet { v6: IntervalSet::range(a.min(b), a.max(b)), ..AddrSet::empty() })
        });
        let reparsed = set
            .to_ranges()
            .iter()
            .fold(AddrSet::empty(), |acc, r| acc.union(&parse_addr_spec(&r.to_string()).unwrap()));
        prop_assert_eq!(reparsed, set);
    }
}

#[test]
fn complement_of_internal_covers_both_families() {
    let internal = parse_addr_spec("198.18.0.0/15")
        .unwrap()
        .union(&parse_addr_spec("2001:db8:1::/48").unwrap());
    let internet = internal.complement();
    assert!(internet.contains("203.0.113.9".parse().unwrap()));
    assert!(internet.contains("2001:db8:2::1".parse().unwrap()));
    assert!(!internet.contains("198.19.255.255".parse().unwrap()));
}

#[test]
fn address_specs_in_every_form() {
    let a = parse_addr_spec("198.18.0.10-198.18.0.11").unwrap();
    assert_eq!(a.to_string(), "198.18.0.10/31");
    let b = parse_addr_spec("198.18.0.10 - 198.18.0.12").unwrap();
    assert_eq!(b.to_string(), "198.18.0.10-198.18.0.12");
    assert_eq!(
        parse_addr_spec("198.18.1.7/24").unwrap().to_string(),
        "198.18.1.0/24"
    );
    assert!(parse_addr_spec("198.18.0.300").is_err());
    assert!(parse_addr_spec("198.18.0.0/33").is_err());
    assert!(parse_addr_spec("198.18.0.9-2001:db8::1").is_err());
    assert!(parse_addr_spec("198.18.0.9-198.18.0.1").is_err());
    assert_eq!(AddrSet::any().to_string(), "any");
}
