//! Perimeter devices: Cisco IOS and Junos access lists from `plan.perimeter`.

use ipnet::IpNet;
use smbguard_model::{AddrSet, PortSet, Proto};

pub(crate) mod cisco_ios;
pub(crate) mod junos;

/// The part of `set` in one family as CIDR networks; empty when the set has
/// no address of that family.
pub(crate) fn cidrs(set: &AddrSet, v6: bool) -> Vec<IpNet> {
    set.to_cidrs()
        .into_iter()
        .filter(|n| n.addr().is_ipv6() == v6)
        .collect()
}

/// [`cidrs`] as strings.
pub(crate) fn cidr_strings(set: &AddrSet, v6: bool) -> Vec<String> {
    cidrs(set, v6).iter().map(ToString::to_string).collect()
}

/// The protocols an entry needs a line for: its own, or TCP and UDP when it
/// has none but restricts ports. `None` inside means "any protocol".
pub(crate) fn protocols(protocol: Option<Proto>, ports: &PortSet) -> Vec<Option<Proto>> {
    match protocol {
        Some(p) => vec![Some(p)],
        None if ports.is_full() => vec![None],
        None => vec![Some(Proto::Tcp), Some(Proto::Udp)],
    }
}

/// A lowercase slug for identifiers, at most `max` characters.
pub(crate) fn slug(s: &str, max: usize) -> String {
    let mut out = smbguard_semantics::ids::slug(s);
    out.truncate(max);
    out.trim_end_matches('-').to_string()
}
