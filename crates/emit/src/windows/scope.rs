//! Address and port scopes as the Windows front ends write them, and the
//! splitting of long address lists over several rules.
//!
//! Splitting is sound for Windows Defender Firewall because every decision
//! is existential over the matching rules of one action (bypass, then block,
//! then allow; no order, reference §2.1): a flow matches rule R with remote
//! set A = A1 ∪ … ∪ An iff it matches one of the copies of R restricted to
//! Ai, so the copies together decide every flow exactly as R does. Each copy
//! keeps at least one address: a copy without addresses would mean "any".

use std::net::IpAddr;

use smbguard_model::{AddrRange, AddrSet, PortSet};

/// One rule's share of a remote address list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AddrChunk {
    /// Every IPv4 and IPv6 address: no address condition is written.
    Any,
    /// These ranges (a non-empty part of the list).
    Ranges(Vec<AddrRange>),
}

/// The shortest Windows form of one range: `a`, `a/len` or `a-b`. A whole
/// family is written as a range (`0.0.0.0-255.255.255.255`): `/0` is not a
/// form every front end documents.
pub(crate) fn range_string(r: &AddrRange) -> String {
    let (lo, hi) = (r.0, r.1);
    if lo == hi {
        return lo.to_string();
    }
    if let Some(len) = prefix_len(lo, hi) {
        return format!("{lo}/{len}");
    }
    format!("{lo}-{hi}")
}

/// Every range of the set in Windows form, IPv4 first.
#[cfg(test)]
pub(crate) fn range_strings(set: &AddrSet) -> Vec<String> {
    set.to_ranges().iter().map(range_string).collect()
}

/// The prefix length when `lo..=hi` is exactly one CIDR block (length > 0).
fn prefix_len(lo: IpAddr, hi: IpAddr) -> Option<u32> {
    let (lo, hi, bits) = match (lo, hi) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(u32::from(a)), u128::from(u32::from(b)), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        _ => return None,
    };
    let span = hi.checked_sub(lo)?;
    // The block size is span + 1, a power of two, with `lo` aligned to it.
    let size_log = if span == u128::MAX {
        128
    } else {
        (span + 1).trailing_zeros()
    };
    let is_block = span == u128::MAX || ((span + 1).is_power_of_two() && lo & span == 0);
    if !is_block || size_log >= bits {
        return None;
    }
    Some(bits - size_log)
}

/// Splits a remote address set over as few rules as possible such that each
/// holds at most `max_items` ranges and the rendered cost of its ranges
/// (`cost`) stays within `max_cost`. An empty set gives no chunk (the rule
/// matches nothing and is not written); "any" gives [`AddrChunk::Any`].
pub(crate) fn chunk_remote(
    set: &AddrSet,
    max_items: usize,
    max_cost: usize,
    cost: impl Fn(&AddrRange) -> usize,
) -> Vec<AddrChunk> {
    if set.is_any() {
        return vec![AddrChunk::Any];
    }
    let mut out = Vec::new();
    let mut current: Vec<AddrRange> = Vec::new();
    let mut used = 0;
    for r in set.to_ranges() {
        let c = cost(&r);
        if !current.is_empty() && (current.len() >= max_items || used + c > max_cost) {
            out.push(AddrChunk::Ranges(std::mem::take(&mut current)));
            used = 0;
        }
        used += c;
        current.push(r);
    }
    if !current.is_empty() {
        out.push(AddrChunk::Ranges(current));
    }
    out
}

/// The port list in Windows form (`445`, `5000-5020`), or `None` for every port.
pub(crate) fn port_list(ports: &PortSet) -> Option<Vec<String>> {
    if ports.is_full() {
        return None;
    }
    Some(ports.port_ranges())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(specs: &[&str]) -> AddrSet {
        specs.iter().fold(AddrSet::empty(), |acc, s| {
            acc.union(&s.parse().expect("spec"))
        })
    }

    #[test]
    fn ranges_print_in_their_shortest_form() {
        let s = set(&[
            "198.18.0.10",
            "198.18.16.0/20",
            "10.0.0.1-10.0.0.5",
            "2001:db8:1:10::/64",
        ]);
        assert_eq!(
            range_strings(&s),
            [
                "10.0.0.1-10.0.0.5",
                "198.18.0.10",
                "198.18.16.0/20",
                "2001:db8:1:10::/64"
            ]
        );
        let all_v4 = AddrSet::any_v4();
        assert_eq!(range_strings(&all_v4), ["0.0.0.0-255.255.255.255"]);
        assert_eq!(
            range_strings(&AddrSet::any().difference(&AddrSet::any_v4())),
            ["::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"]
        );
    }

    #[test]
    fn chunks_cover_the_set_exactly() {
        let mut s = AddrSet::empty();
        for i in 0..50u32 {
            s = s.union(&AddrSet::single(IpAddr::V4((0x0a00_0000 + i * 4).into())));
        }
        let chunks = chunk_remote(&s, 7, usize::MAX, |_| 1);
        assert_eq!(chunks.len(), 8);
        let back = chunks.iter().fold(AddrSet::empty(), |acc, c| match c {
            AddrChunk::Ranges(rs) => rs.iter().fold(acc, |a, r| {
                a.union(&AddrSet::range(r.0, r.1).expect("same family"))
            }),
            AddrChunk::Any => AddrSet::any(),
        });
        assert_eq!(back, s);
        assert!(chunk_remote(&AddrSet::empty(), 7, 10, |_| 1).is_empty());
        assert_eq!(
            chunk_remote(&AddrSet::any(), 7, 10, |_| 1),
            [AddrChunk::Any]
        );
    }
}
