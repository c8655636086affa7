//! Address sets over IPv4 and IPv6, kept apart because a Windows rule with
//! only IPv4 scopes does not match IPv6 traffic, and forgetting IPv6 is the
//! classic way to leave SMB open.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use ipnet::{IpNet, Ipv4Subnets, Ipv6Subnets};

use crate::Error;
use crate::interval::IntervalSet;

/// A set of IPv4 and IPv6 addresses.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct AddrSet {
    /// The IPv4 part, addresses as `u32`.
    pub v4: IntervalSet<u32>,
    /// The IPv6 part, addresses as `u128`.
    pub v6: IntervalSet<u128>,
}

impl fmt::Debug for AddrSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AddrSet({self})")
    }
}

impl AddrSet {
    /// No address.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Every IPv4 and IPv6 address ("Any").
    pub fn any() -> Self {
        Self {
            v4: IntervalSet::full(),
            v6: IntervalSet::full(),
        }
    }

    /// Every IPv4 address and no IPv6 address.
    pub fn any_v4() -> Self {
        Self {
            v4: IntervalSet::full(),
            v6: IntervalSet::empty(),
        }
    }

    /// Every address [`is_local_scope`] accepts, as a set (IPv4-mapped IPv6
    /// forms included), for reasoning over whole ranges: `check` and
    /// `verify` never count a flow with such an end as crossing the
    /// perimeter.
    pub fn local_scope() -> Self {
        const V4: [(u32, u32); 4] = [
            (0x7F00_0000, 0x7FFF_FFFF), // 127.0.0.0/8
            (0xA9FE_0000, 0xA9FE_FFFF), // 169.254.0.0/16
            (0xE000_0000, 0xEFFF_FFFF), // 224.0.0.0/4
            (0xFFFF_FFFF, 0xFFFF_FFFF), // 255.255.255.255
        ];
        const MAPPED: u128 = 0xFFFF_0000_0000;
        let v6 = [
            (1, 1),                               // ::1
            (0xFE80 << 112, (0xFEC0 << 112) - 1), // fe80::/10
            (0xFF00 << 112, u128::MAX),           // ff00::/8
        ]
        .into_iter()
        .chain(V4.map(|(lo, hi)| (MAPPED | u128::from(lo), MAPPED | u128::from(hi))));
        Self {
            v4: IntervalSet::from_intervals(V4),
            v6: IntervalSet::from_intervals(v6),
        }
    }

    /// One address.
    pub fn single(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(a) => Self {
                v4: IntervalSet::single(u32::from(a)),
                ..Self::default()
            },
            IpAddr::V6(a) => Self {
                v6: IntervalSet::single(u128::from(a)),
                ..Self::default()
            },
        }
    }

    /// An inclusive range; both ends must be the same family.
    pub fn range(lo: IpAddr, hi: IpAddr) -> Option<Self> {
        match (lo, hi) {
            (IpAddr::V4(a), IpAddr::V4(b)) => Some(Self {
                v4: IntervalSet::range(a.into(), b.into()),
                ..Self::default()
            }),
            (IpAddr::V6(a), IpAddr::V6(b)) => Some(Self {
                v6: IntervalSet::range(a.into(), b.into()),
                ..Self::default()
            }),
            _ => None,
        }
    }

    /// A CIDR network (host bits are ignored).
    pub fn net(net: IpNet) -> Self {
        match net {
            IpNet::V4(n) => Self {
                v4: IntervalSet::range(n.network().into(), n.broadcast().into()),
                ..Self::default()
            },
            IpNet::V6(n) => Self {
                v6: IntervalSet::range(n.network().into(), n.broadcast().into()),
                ..Self::default()
            },
        }
    }

    /// True when there is no address.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// True when every IPv4 and IPv6 address is in the set.
    pub fn is_any(&self) -> bool {
        self.v4.is_full() && self.v6.is_full()
    }

    /// Membership.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => self.v4.contains(a.into()),
            IpAddr::V6(a) => self.v6.contains(a.into()),
        }
    }

    /// Union.
    pub fn union(&self, o: &Self) -> Self {
        Self {
            v4: self.v4.union(&o.v4),
            v6: self.v6.union(&o.v6),
        }
    }

    /// Intersection.
    pub fn intersection(&self, o: &Self) -> Self {
        Self {
            v4: self.v4.intersection(&o.v4),
            v6: self.v6.intersection(&o.v6),
        }
    }

    /// Difference.
    pub fn difference(&self, o: &Self) -> Self {
        Self {
            v4: self.v4.difference(&o.v4),
            v6: self.v6.difference(&o.v6),
        }
    }

    /// Complement over both families.
    pub fn complement(&self) -> Self {
        Self {
            v4: self.v4.complement(),
            v6: self.v6.complement(),
        }
    }

    /// True when the sets share an address.
    pub fn intersects(&self, o: &Self) -> bool {
        self.v4.intersects(&o.v4) || self.v6.intersects(&o.v6)
    }

    /// True when every address of `self` is in `o`.
    pub fn is_subset(&self, o: &Self) -> bool {
        self.v4.is_subset(&o.v4) && self.v6.is_subset(&o.v6)
    }

    /// One address of the set, IPv4 first (used for counterexamples).
    pub fn sample(&self) -> Option<IpAddr> {
        self.v4
            .first()
            .map(|a| IpAddr::V4(Ipv4Addr::from(a)))
            .or_else(|| self.v6.first().map(|a| IpAddr::V6(Ipv6Addr::from(a))))
    }

    /// The minimal list of CIDR networks covering exactly this set.
    pub fn to_cidrs(&self) -> Vec<IpNet> {
        let mut out = Vec::new();
        for &(lo, hi) in self.v4.intervals() {
            out.extend(Ipv4Subnets::new(lo.into(), hi.into(), 0).map(IpNet::V4));
        }
        for &(lo, hi) in self.v6.intervals() {
            out.extend(Ipv6Subnets::new(lo.into(), hi.into(), 0).map(IpNet::V6));
        }
        out
    }

    /// The set as inclusive ranges, each formatted as the shortest of
    /// `a`, `a/len` or `a-b` (the forms every Windows and Linux syntax accepts).
    pub fn to_ranges(&self) -> Vec<AddrRange> {
        let v4 =
            self.v4.intervals().iter().map(|&(a, b)| {
                AddrRange(IpAddr::V4(Ipv4Addr::from(a)), IpAddr::V4(Ipv4Addr::from(b)))
            });
        let v6 =
            self.v6.intervals().iter().map(|&(a, b)| {
                AddrRange(IpAddr::V6(Ipv6Addr::from(a)), IpAddr::V6(Ipv6Addr::from(b)))
            });
        v4.chain(v6).collect()
    }
}

/// One inclusive address range of a single family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddrRange(pub IpAddr, pub IpAddr);

impl fmt::Display for AddrRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (lo, hi) = (self.0, self.1);
        if lo == hi {
            return write!(f, "{lo}");
        }
        // A range that is exactly one CIDR block prints as CIDR.
        let set = AddrSet::range(lo, hi).unwrap_or_default();
        if let [net] = set.to_cidrs()[..] {
            return write!(f, "{net}");
        }
        write!(f, "{lo}-{hi}")
    }
}

impl fmt::Display for AddrSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_any() {
            return f.write_str("any");
        }
        if self.is_empty() {
            return f.write_str("none");
        }
        let mut first = true;
        let mut put = |f: &mut fmt::Formatter<'_>, s: &dyn fmt::Display| {
            let r = if first {
                write!(f, "{s}")
            } else {
                write!(f, ", {s}")
            };
            first = false;
            r
        };
        if self.v4.is_full() {
            put(f, &"any IPv4")?;
        } else {
            for r in self.to_ranges().iter().filter(|r| r.0.is_ipv4()) {
                put(f, r)?;
            }
        }
        if self.v6.is_full() {
            put(f, &"any IPv6")?;
        } else {
            for r in self.to_ranges().iter().filter(|r| r.0.is_ipv6()) {
                put(f, r)?;
            }
        }
        Ok(())
    }
}

/// Addresses a router never forwards between networks: link-local
/// (169.254.0.0/16, fe80::/10), loopback (127.0.0.0/8, ::1), multicast
/// (224.0.0.0/4, ff00::/8) and the IPv4 limited broadcast. Traffic to or
/// from them stays on its link, so it is never "internet", whatever
/// `internal` lists. IPv4-mapped IPv6 addresses are judged as IPv4.
#[must_use]
pub fn is_local_scope(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(a) => {
            a.is_link_local() || a.is_loopback() || a.is_multicast() || a.is_broadcast()
        }
        IpAddr::V6(a) => a.is_unicast_link_local() || a.is_loopback() || a.is_multicast(),
    }
}

/// One address; an IPv4-mapped IPv6 address (`::ffff:198.18.16.5`) is the
/// IPv4 address it maps, as the host stack treats it.
fn parse_ip(s: &str) -> Option<IpAddr> {
    IpAddr::from_str(s).ok().map(|ip| ip.to_canonical())
}

/// A CIDR network; an IPv4-mapped one (`::ffff:198.18.16.0/120`) is the
/// IPv4 network it maps. A shorter prefix reaches outside the mapped range
/// and stays IPv6.
fn mapped_net(ip: IpAddr, len: u8) -> (IpAddr, u8) {
    match ip {
        IpAddr::V6(v6) if len >= 96 => match v6.to_ipv4_mapped() {
            Some(v4) => (IpAddr::V4(v4), len - 96),
            None => (ip, len),
        },
        _ => (ip, len),
    }
}

/// Parses one address, CIDR network (`a/len`) or range (`a-b`).
/// IPv4-mapped IPv6 addresses are read as IPv4.
pub fn parse_addr_spec(s: &str) -> Result<AddrSet, Error> {
    let t = s.trim();
    if let Some((a, b)) = t.split_once('-') {
        let lo = parse_ip(a.trim()).ok_or_else(|| Error::MalformedAddress(s.into()))?;
        let hi = parse_ip(b.trim()).ok_or_else(|| Error::MalformedAddress(s.into()))?;
        if lo.is_ipv4() != hi.is_ipv4() {
            return Err(Error::MixedFamilies(s.into()));
        }
        if lo > hi {
            return Err(Error::InvertedRange(s.into()));
        }
        return AddrSet::range(lo, hi).ok_or_else(|| Error::MixedFamilies(s.into()));
    }
    if let Some((a, len)) = t.split_once('/') {
        let ip = IpAddr::from_str(a).map_err(|_| Error::MalformedAddress(s.into()))?;
        if len.trim().is_empty() {
            return Err(Error::MissingPrefix(s.into()));
        }
        if !len.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::PrefixNotNumber(s.into()));
        }
        let len: u8 = len.parse().map_err(|_| Error::BadPrefix(s.into()))?;
        let (ip, len) = mapped_net(ip, len);
        let net = IpNet::new(ip, len).map_err(|_| Error::BadPrefix(s.into()))?;
        return Ok(AddrSet::net(net));
    }
    parse_ip(t)
        .map(AddrSet::single)
        .ok_or_else(|| Error::MalformedAddress(s.into()))
}

impl FromStr for AddrSet {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_addr_spec(s)
    }
}

impl serde::Serialize for AddrSet {
    /// `["any"]`, or the ranges as strings (`a`, `a/len` or `a-b`).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.is_any() {
            return s.collect_seq(["any"]);
        }
        s.collect_seq(self.to_ranges().iter().map(ToString::to_string))
    }
}

#[cfg(test)]
mod mapped_tests {
    use super::*;

    #[test]
    fn ipv4_mapped_estate_addresses_are_ipv4() {
        let v4 = |s: &str| parse_addr_spec(s).unwrap();
        assert_eq!(v4("::ffff:198.18.16.5"), v4("198.18.16.5"));
        assert_eq!(v4("::ffff:198.18.16.0/120"), v4("198.18.16.0/24"));
        assert_eq!(
            v4("::ffff:198.18.16.1-::ffff:198.18.16.9"),
            v4("198.18.16.1-198.18.16.9")
        );
        assert_eq!(
            v4("::ffff:198.18.16.1-198.18.16.9"),
            v4("198.18.16.1-198.18.16.9")
        );
        // A prefix shorter than the mapped range reaches outside it: IPv6.
        assert!(v4("::ffff:0:0/80").v4.is_empty());
    }

    #[test]
    fn missing_prefix_length_says_so() {
        let e = parse_addr_spec("198.18.16.0/").unwrap_err();
        assert_eq!(e, Error::MissingPrefix("198.18.16.0/".into()));
        assert!(e.to_string().contains("no prefix length after `/`"));
        assert!(matches!(
            parse_addr_spec("198.18.16.0/x"),
            Err(Error::PrefixNotNumber(_))
        ));
        assert!(matches!(
            parse_addr_spec("198.18.16.0/33"),
            Err(Error::BadPrefix(_))
        ));
    }

    #[test]
    fn link_local_loopback_and_multicast_are_local_scope() {
        for ip in [
            "169.254.1.1",
            "127.0.0.1",
            "224.0.0.251",
            "255.255.255.255",
            "fe80::1",
            "::1",
            "ff02::fb",
            "::ffff:169.254.1.1",
        ] {
            assert!(is_local_scope(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["198.18.16.5", "203.0.113.9", "2001:db8::1", "fec0::1"] {
            assert!(!is_local_scope(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn the_local_scope_set_is_the_predicate() {
        // Every edge of every interval, and the addresses just outside.
        let set = AddrSet::local_scope();
        let mut probes: Vec<IpAddr> = Vec::new();
        for &(lo, hi) in set.v4.intervals() {
            for a in [lo.wrapping_sub(1), lo, hi, hi.wrapping_add(1)] {
                probes.push(IpAddr::V4(a.into()));
            }
        }
        for &(lo, hi) in set.v6.intervals() {
            for a in [lo.wrapping_sub(1), lo, hi, hi.wrapping_add(1)] {
                probes.push(IpAddr::V6(a.into()));
            }
        }
        assert!(probes.len() > 30);
        for ip in probes {
            assert_eq!(set.contains(ip), is_local_scope(ip), "{ip}");
        }
    }
}
