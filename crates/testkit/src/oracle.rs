//! A second evaluator of an estate, written from `docs/policy.md` alone: what
//! the documentation says happens to one flow, computed from the [`Estate`]
//! without the compiler, its rule IR or its evaluators (this module uses
//! nothing but `smbguard-model`). A property test compares it with
//! `compile` + `check_flow` on random estates; where the two disagree, either
//! the compiler or the documentation is wrong (issue 13).
//!
//! Each step cites the paragraph of `docs/policy.md` it implements. The flow
//! passes three stages, as the documentation's opening describes: the source
//! host's outbound rules, the perimeter when the flow crosses it, and the
//! destination host's inbound rules.

use std::net::IpAddr;

use smbguard_model::{
    AddrSet, Direction, Estate, Group, Platform, Profile, Role, Transport, is_local_scope,
};

/// One flow as the documentation talks about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OracleFlow {
    /// The host opening the connection.
    pub source: IpAddr,
    /// The host it connects to.
    pub destination: IpAddr,
    /// Protocol and destination port.
    pub transport: Transport,
    /// The source's network profile (Windows hosts only).
    pub source_profile: Profile,
    /// The destination's network profile (Windows hosts only).
    pub destination_profile: Profile,
}

/// What the documentation says happens to a flow, and at which stage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Said {
    /// Every stage lets it through.
    Allow,
    /// Blocked by the source's outbound rules.
    BlockedAtSource,
    /// Blocked at the perimeter.
    BlockedAtPerimeter,
    /// Blocked by the destination's inbound rules.
    BlockedAtDestination,
}

impl Said {
    /// True for [`Said::Allow`].
    pub fn allows(self) -> bool {
        self == Said::Allow
    }
}

/// The documented verdict on one flow. Only transports the estate governs
/// have a documented meaning at the hosts (`transports`: "The SMB transports
/// governed"); callers sample those.
pub fn evaluate(estate: &Estate, flow: &OracleFlow) -> Said {
    let (s, d) = (flow.source.to_canonical(), flow.destination.to_canonical());
    let t = flow.transport;
    if !source_allows(estate, s, d, t, flow.source_profile) {
        return Said::BlockedAtSource;
    }
    if !perimeter_allows(estate, s, d, t) {
        return Said::BlockedAtPerimeter;
    }
    if !destination_allows(estate, s, d, t, flow.destination_profile) {
        return Said::BlockedAtDestination;
    }
    Said::Allow
}

/// "A host belongs to the first group listing it."
fn group_of(estate: &Estate, ip: IpAddr) -> Option<(usize, &Group)> {
    estate
        .groups
        .iter()
        .enumerate()
        .find(|(_, g)| g.addresses.contains(ip))
}

/// The hosts that belong to group `gi`: its addresses minus those of
/// earlier groups ("A host belongs to the first group listing it"). An
/// allowance *to* a group reaches these hosts only.
fn owned(estate: &Estate, gi: usize) -> AddrSet {
    estate.groups[..gi]
        .iter()
        .fold(estate.groups[gi].addresses.clone(), |acc, g| {
            acc.difference(&g.addresses)
        })
}

/// `netbios`: "Keep NetBIOS transports (TCP 139, UDP 137/138) usable to DCs
/// and file servers. With `false` they are blocked on every host."
fn usable(estate: &Estate, t: Transport) -> bool {
    estate.transports.contains(&t) && (estate.smb.netbios || !t.is_netbios())
}

/// `clients`: "Who may connect: group names or address ranges. A range may
/// cover only part of a group: that whole group's outbound rules then allow
/// the server".
fn lists_as_client(server: &Group, client: usize, g: &Group) -> bool {
    server.client_groups.contains(&client) || server.clients.intersects(&g.addresses)
}

/// "A DC without `clients` accepts the whole `internal` network."
fn dc_accepts_all(dc: &Group) -> bool {
    dc.clients.is_empty() && dc.client_groups.is_empty()
}

/// Where a group's outbound rules let SMB go on `t`: the DCs (`needs-dc-smb`,
/// "within a DC's `clients` when it has any"), the file servers whose
/// `clients` cover it, the targets of management exceptions it is a source
/// of ("the source group also gets the matching outbound allowance"; "a bare
/// address in `from` that lies inside a group ... gives that whole group the
/// outbound allowance") and the outbound cloud endpoints ("Windows hosts also
/// get the endpoint carved out of their outbound block").
fn outbound_targets(estate: &Estate, gi: usize, g: &Group, t: Transport) -> AddrSet {
    let mut to = AddrSet::empty();
    if usable(estate, t) {
        for (j, server) in estate.groups.iter().enumerate() {
            let reached = match server.role {
                Role::DomainController => {
                    g.needs_dc_smb && (dc_accepts_all(server) || lists_as_client(server, gi, g))
                }
                Role::FileServer => lists_as_client(server, gi, g),
                _ => false,
            };
            if reached {
                to = to.union(&owned(estate, j));
            }
        }
    }
    for m in &estate.management {
        let source = m.from_groups.contains(&gi) || m.from.intersects(&g.addresses);
        if source && m.transports.contains(&t) {
            for &j in &m.to_groups {
                to = to.union(&owned(estate, j));
            }
        }
    }
    for e in &estate.perimeter_allow {
        if matches!(e.direction, Direction::Outbound | Direction::Both) && e.transports.contains(&t)
        {
            to = to.union(&e.addresses);
        }
    }
    to
}

/// The source's outbound rules (K6). `outbound-block`: DCs and file servers
/// get none unless they opt in; "Other roles always get them". `isolated`
/// "needs no SMB at all". Windows hosts block outbound SMB on the Public
/// profile (the article's "Block outbound Guest/Public SMB 445").
fn source_allows(estate: &Estate, s: IpAddr, d: IpAddr, t: Transport, profile: Profile) -> bool {
    let Some((gi, g)) = group_of(estate, s) else {
        return true;
    };
    if !estate.transports.contains(&t) || (g.role.hosts_shares() && !g.outbound_block) {
        return true;
    }
    if g.role == Role::Isolated {
        return false;
    }
    if g.platform == Platform::Windows && profile == Profile::Public {
        return false;
    }
    outbound_targets(estate, gi, g, t).contains(d)
}

/// `internal`: "Everything else is internet for the perimeter rows (K1,
/// K2)"; link-local, loopback and multicast addresses are never internet.
/// A flow crosses the perimeter when one end is internal and the other is
/// internet; it is then blocked on every governed transport and every
/// transport a `[[perimeter.allow]]` entry names, except to or from a named
/// endpoint in its declared `direction` on its `transports`.
fn perimeter_allows(estate: &Estate, s: IpAddr, d: IpAddr, t: Transport) -> bool {
    let internet = |ip: IpAddr| !estate.internal.contains(ip) && !is_local_scope(ip);
    let outbound = estate.internal.contains(s) && internet(d);
    let inbound = internet(s) && estate.internal.contains(d);
    if !(outbound || inbound) {
        return true;
    }
    let governed = estate.transports.contains(&t)
        || estate
            .perimeter_allow
            .iter()
            .any(|e| e.transports.contains(&t));
    if !governed {
        return true;
    }
    estate.perimeter_allow.iter().any(|e| {
        let way = if outbound {
            matches!(e.direction, Direction::Outbound | Direction::Both) && e.addresses.contains(d)
        } else {
            matches!(e.direction, Direction::Inbound | Direction::Both) && e.addresses.contains(s)
        };
        way && e.transports.contains(&t)
    })
}

/// Whether `[[management]]` admits `s` into group `gi` on `t`: "Hosts
/// allowed inbound SMB to groups that otherwise accept none"; "the target's
/// inbound rule admits only the address listed". Under `ipsec-bypass`,
/// exceptions into a domain-joined Windows group whose sources are all
/// domain-joined Windows groups with a `sid` (no bare address) are
/// "authenticated bypass rules, which Windows only accepts with authorised
/// computers": they admit the computers of the groups named, so a host that
/// belongs to another group (an overlap) is not admitted. DCs and file
/// servers (`servers`) admit management sources by address, like clients.
fn management_admits(estate: &Estate, gi: usize, s: IpAddr, t: Transport, servers: bool) -> bool {
    let into: Vec<_> = estate
        .management
        .iter()
        .filter(|m| m.to_groups.contains(&gi) && m.transports.contains(&t))
        .collect();
    let target = &estate.groups[gi];
    let bypass = !servers
        && estate.strategy == smbguard_model::Strategy::IpsecBypass
        && target.platform == Platform::Windows
        && target.domain_joined
        && into.iter().all(|m| {
            let named = m.from_groups.iter().fold(AddrSet::empty(), |acc, &g| {
                acc.union(&estate.groups[g].addresses)
            });
            !m.from_groups.is_empty()
                && m.from.is_subset(&named)
                && m.from_groups.iter().all(|&g| {
                    let g = &estate.groups[g];
                    g.platform == Platform::Windows && g.domain_joined && g.sid.is_some()
                })
        });
    if !bypass {
        return into.iter().any(|m| m.from.contains(s));
    }
    // The computers authorised are those of every source group named.
    let from_groups: Vec<usize> = into
        .iter()
        .flat_map(|m| m.from_groups.iter().copied())
        .collect();
    let sids: Vec<&String> = from_groups
        .iter()
        .filter_map(|&g| estate.groups[g].sid.as_ref())
        .collect();
    let computer = group_of(estate, s).and_then(|(_, g)| g.sid.as_ref());
    into.iter().any(|m| m.from.contains(s)) && computer.is_some_and(|sid| sids.contains(&sid))
}

/// The destination's inbound rules. DCs and file servers accept their
/// `clients` (a DC without them: all of `internal`) and their management
/// sources on `accept-smb-on` (Linux hosts have no profiles); every other
/// host, and every host on a NetBIOS transport with `netbios = false`,
/// accepts only management sources ("The exception is active on the Domain
/// and Private profiles only"), and isolated hosts nothing at all.
fn destination_allows(
    estate: &Estate,
    s: IpAddr,
    d: IpAddr,
    t: Transport,
    profile: Profile,
) -> bool {
    let Some((gi, g)) = group_of(estate, d) else {
        return true;
    };
    if !estate.transports.contains(&t) {
        // Not governed: no documented meaning (callers do not sample these).
        return true;
    }
    let windows = g.platform == Platform::Windows;
    if g.role.hosts_shares() && usable(estate, t) {
        let clients = if g.role == Role::DomainController && dc_accepts_all(g) {
            estate.internal.clone()
        } else {
            g.clients.clone()
        };
        let on_profile = !windows || g.accept_smb_on.contains(profile);
        return on_profile && (clients.contains(s) || management_admits(estate, gi, s, t, true));
    }
    if g.role == Role::Isolated || !usable(estate, t) {
        return false;
    }
    let on_profile = !windows || profile != Profile::Public;
    on_profile && management_admits(estate, gi, s, t, false)
}

/// One address per equivalence class of `sets`: the first and last address
/// of every interval, and the addresses just outside them, in each family.
/// Two addresses in the same class are in exactly the same sets, so they
/// share every verdict this module can give.
pub fn class_representatives<'a>(sets: impl IntoIterator<Item = &'a AddrSet>) -> Vec<IpAddr> {
    let mut v4: Vec<u32> = vec![0, u32::MAX];
    let mut v6: Vec<u128> = vec![0, u128::MAX];
    for s in sets {
        for &(lo, hi) in s.v4.intervals() {
            v4.extend([lo, hi, lo.saturating_sub(1), hi.saturating_add(1)]);
        }
        for &(lo, hi) in s.v6.intervals() {
            v6.extend([lo, hi, lo.saturating_sub(1), hi.saturating_add(1)]);
        }
    }
    v4.sort_unstable();
    v4.dedup();
    v6.sort_unstable();
    v6.dedup();
    let mut out: Vec<IpAddr> = v4.into_iter().map(|a| IpAddr::V4(a.into())).collect();
    out.extend(v6.into_iter().map(|a| IpAddr::V6(a.into())));
    out
}

/// Every address set the documented meaning reads, plus the local-scope
/// networks, so [`class_representatives`] of them covers every class.
pub fn estate_sets(estate: &Estate) -> Vec<AddrSet> {
    let mut sets = vec![estate.internal.clone()];
    for g in &estate.groups {
        sets.push(g.addresses.clone());
        sets.push(g.clients.clone());
    }
    sets.extend(estate.management.iter().map(|m| m.from.clone()));
    sets.extend(estate.perimeter_allow.iter().map(|e| e.addresses.clone()));
    for local in [
        "169.254.0.0/16",
        "127.0.0.0/8",
        "224.0.0.0/4",
        "fe80::/10",
        "ff00::/8",
        "::1",
    ] {
        if let Ok(s) = smbguard_model::parse_addr_spec(local) {
            sets.push(s);
        }
    }
    sets
}
