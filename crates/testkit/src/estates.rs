//! THE random-estate generator. Every property test that needs a random
//! estate draws it here, so coverage grows in one place: all five roles,
//! Windows and Linux groups, both outbound strategies, IPv4, IPv6, dual-stack
//! and IPv6-only groups, singles, ranges and prefixes, client lists of groups
//! and of extra ranges, management exceptions, perimeter allows in every
//! direction (encrypted or not), NetBIOS and the extra transports, user
//! invariants, service overrides, `domain-joined` and `accept-smb-on`
//! overrides. With [`Knobs::adversarial`] it also draws what the parser
//! would refuse but `compile` accepts: overlapping groups, a group or an
//! internal network covering every address (empty complements), shared SIDs.
//!
//! The generator draws from a seeded [`Rng`] (proptest supplies the seed), so
//! a failing case is replayed from its seed; [`to_toml`] renders an estate as
//! an estate file for tests that go through the parser.

use std::fmt::Write as _;

use smbguard_model::{
    AddrSet, Dialect, Direction, Encryption, Estate, Expectation, Group, GroupSpans, IntervalSet,
    ManagementException, PerimeterException, Platform, Profile, ProfileSet, Role, ServiceState,
    SmbSettings, Strategy, Transport, UserInvariant,
};

/// The generator's randomness: verify's SplitMix64, so a seed gives the same
/// estate in every test and in verify's reference evaluators.
pub use smbguard_verify::reference::Rng;

/// What the generator may draw. Start from a preset and change fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Knobs {
    /// Host groups, at least 1 (the first is a DC when `first_is_dc`).
    pub min_groups: usize,
    /// Host groups, at most.
    pub max_groups: usize,
    /// The first group is a domain controller (Windows members need one).
    pub first_is_dc: bool,
    /// Linux groups, with probability 1 in this.
    pub linux_one_in: u64,
    /// Adversarial shapes the parser refuses (see the module docs).
    pub adversarial: bool,
    /// The outbound strategy, or random when `None`.
    pub strategy: Option<Strategy>,
    /// At most this many management exceptions.
    pub max_management: u64,
    /// At most this many perimeter allows.
    pub max_perimeter: u64,
    /// At most this many user invariants.
    pub max_invariants: u64,
    /// Issue 13's shapes, drawn after everything else (so estates without
    /// them, and every recorded seed, are unchanged): `needs-dc-smb = false`,
    /// `clients` ranges covering part of a group, bare `from` addresses
    /// inside a group, and a later group of the same role overlapping an
    /// earlier one.
    pub documented_shapes: bool,
}

impl Knobs {
    /// Everything, including shapes only `compile` accepts (verify's
    /// differential tests against the reference evaluators).
    pub fn adversarial() -> Self {
        Knobs {
            min_groups: 2,
            max_groups: 6,
            first_is_dc: true,
            linux_one_in: 5,
            adversarial: true,
            strategy: None,
            max_management: 2,
            max_perimeter: 2,
            max_invariants: 2,
            documented_shapes: false,
        }
    }

    /// Estates an operator could write: [`to_toml`] gives a file the parser
    /// accepts (most of the time: the few that fail a guard rail are
    /// skipped by the callers).
    pub fn parseable() -> Self {
        Knobs {
            adversarial: false,
            ..Self::adversarial()
        }
    }

    /// [`Knobs::parseable`] with [`Knobs::documented_shapes`]: the estates
    /// the documentation-oracle property test draws.
    pub fn documented() -> Self {
        Knobs {
            documented_shapes: true,
            ..Self::parseable()
        }
    }
}

const V4_BASE: u32 = 0xC612_0000; // 198.18.0.0 (RFC 2544 benchmarking space)
const V6_BASE: u128 = 0x2001_0db8_0001_0000_0000_0000_0000_0000; // 2001:db8:1::

/// The SIDs groups draw from (adversarial estates share them).
pub const SIDS: [&str; 5] = [
    "S-1-5-21-1-2-3-1101",
    "S-1-5-21-1-2-3-1102",
    "S-1-5-21-1-2-3-1103",
    "S-1-5-21-1-2-3-515",
    "S-1-5-21-1-2-3-516",
];

/// The roles, in the order the generator indexes them.
pub const ROLES: [Role; 5] = [
    Role::DomainController,
    Role::FileServer,
    Role::Member,
    Role::Workstation,
    Role::Isolated,
];

/// Offsets `lo..=hi` from 198.18.0.0.
pub fn v4(lo: u32, hi: u32) -> AddrSet {
    AddrSet {
        v4: IntervalSet::range(V4_BASE + lo, V4_BASE + hi),
        v6: IntervalSet::empty(),
    }
}

/// Offsets `lo..=hi` from 2001:db8:1::.
pub fn v6(lo: u128, hi: u128) -> AddrSet {
    AddrSet {
        v4: IntervalSet::empty(),
        v6: IntervalSet::range(V6_BASE + lo, V6_BASE + hi),
    }
}

/// A small random address set in a 64-address window of each family;
/// adversarially also everything, all IPv4, or everything but a /27.
pub fn addr_set(rng: &mut Rng) -> AddrSet {
    match rng.below(12) {
        0 => AddrSet::any(),
        1 => AddrSet::any_v4(),
        2 => AddrSet::any().difference(&v4(0, 31)),
        _ => {
            let mut s = AddrSet::empty();
            for _ in 0..=rng.below(2) {
                let lo = rng.below(48) as u32;
                let hi = lo + rng.below(12) as u32;
                if rng.chance(3, 4) {
                    s = s.union(&v4(lo, hi));
                } else {
                    s = s.union(&v6(u128::from(lo), u128::from(hi)));
                }
            }
            s
        }
    }
}

/// A non-empty random set of firewall profiles.
pub fn profile_set(rng: &mut Rng) -> ProfileSet {
    loop {
        let ps: Vec<Profile> = Profile::ALL
            .into_iter()
            .filter(|_| rng.chance(1, 2))
            .collect();
        if !ps.is_empty() {
            return ProfileSet::of(&ps);
        }
    }
}

/// One to three governed transports, usually with SMB (TCP 445).
pub fn transports(rng: &mut Rng) -> Vec<Transport> {
    let mut t: Vec<Transport> = Transport::KNOWN
        .into_iter()
        .filter(|_| rng.chance(1, 3))
        .take(3)
        .collect();
    if t.is_empty() || rng.chance(1, 2) && !t.contains(&Transport::SMB) {
        t.insert(0, Transport::SMB);
    }
    t.truncate(3);
    t
}

/// The internal networks: adversarially all addresses or all of IPv6 too;
/// operator-shaped, 198.18.0.0/15 and 2001:db8:1::/48.
fn internal(rng: &mut Rng, knobs: &Knobs) -> AddrSet {
    if !knobs.adversarial {
        return v4(0, 0x1_FFFF).union(&v6(0, (1 << 80) - 1));
    }
    match rng.below(6) {
        0 => AddrSet::any(),
        1 => v4(0, 40),
        2 => v4(0, 30).union(&v6(0, 20)),
        3 => v4(0, 20).union(&AddrSet {
            v4: IntervalSet::empty(),
            v6: IntervalSet::full(),
        }),
        _ => v4(0, 35).union(&v6(0, 35)),
    }
}

/// A group's addresses: adversarially anything at all, overlaps included;
/// otherwise a disjoint block of 64 per group, as a single, a range or a
/// prefix, dual-stack or IPv6-only now and then.
fn group_addresses(rng: &mut Rng, knobs: &Knobs, i: usize) -> AddrSet {
    if knobs.adversarial {
        return match rng.below(10) {
            0 => AddrSet::any(),
            1 => v6(rng.below(40).into(), 40 + u128::from(rng.below(20))),
            _ => {
                let lo = rng.below(40) as u32;
                let mut a = v4(lo, lo + rng.below(8) as u32);
                if rng.chance(1, 3) {
                    let lo = u128::from(rng.below(40));
                    a = a.union(&v6(lo, lo + 3));
                }
                a
            }
        };
    }
    let block = 256 + 64 * i as u32;
    let one = block + 1 + rng.below(60) as u32;
    let a = match rng.below(4) {
        0 => v4(one, one),
        1 => v4(block + 16, block + 16 + rng.below(24) as u32),
        2 => v4(block, block + 63),
        _ => v4(block + 32, block + 47),
    };
    let b6 = u128::from(block);
    match rng.below(6) {
        0 => v6(b6, b6 + 63),
        1 | 2 => a.union(&v6(b6, b6 + 15)),
        _ => a,
    }
}

/// Adversarially [`addr_set`]; otherwise only its small-window shapes.
fn extra_set(rng: &mut Rng, knobs: &Knobs) -> AddrSet {
    loop {
        let s = addr_set(rng);
        if knobs.adversarial
            || !(s.is_any() || s.v4.intervals().len() > 2 || s == AddrSet::any_v4())
        {
            return s;
        }
    }
}

fn group(rng: &mut Rng, knobs: &Knobs, i: usize) -> Group {
    let role = if i == 0 && knobs.first_is_dc {
        Role::DomainController
    } else {
        ROLES[rng.index(5)]
    };
    let platform = if rng.chance(1, knobs.linux_one_in) {
        Platform::Linux
    } else {
        Platform::Windows
    };
    let addresses = group_addresses(rng, knobs, i);
    let windows = platform == Platform::Windows;
    let mut domain_joined = windows && role != Role::Isolated;
    if rng.chance(1, 8) {
        domain_joined = !domain_joined;
    }
    let services = |rng: &mut Rng| match rng.below(6) {
        0 => Some(ServiceState::Disabled),
        1 => Some(ServiceState::Enabled),
        _ => None,
    };
    let default_off = (role == Role::Isolated).then_some(ServiceState::Disabled);
    let mut server_service = services(rng).or(default_off);
    let mut workstation_service = services(rng).or(default_off);
    if role.hosts_shares() {
        server_service = None;
    }
    if domain_joined {
        workstation_service = None;
    }
    // Operator-shaped estates give each Windows group its own SID (a bypass
    // rule must name one); adversarial ones may omit or share them.
    let sid = if knobs.adversarial {
        (windows && rng.chance(4, 5)).then(|| SIDS[rng.index(SIDS.len())].to_string())
    } else {
        windows.then(|| format!("S-1-5-21-7-7-7-{}", 2000 + i))
    };
    Group {
        name: format!("g{i}"),
        description: None,
        role,
        platform,
        addresses,
        sid,
        clients: AddrSet::empty(),
        client_groups: Vec::new(),
        domain_joined,
        accept_smb_on: if rng.chance(1, 3) {
            ProfileSet::of(&[Profile::Domain])
        } else {
            ProfileSet::TRUSTED
        },
        server_service,
        workstation_service,
        outbound_block: rng.chance(1, 2),
        // Fixed so that the random stream (and every recorded seed) is
        // unchanged; property tests flip it themselves.
        needs_dc_smb: true,
        deployed_gpos: Vec::new(),
        spans: GroupSpans::default(),
    }
}

/// File servers (and some DCs) get clients: other groups, plus extra ranges.
fn clients(rng: &mut Rng, knobs: &Knobs, groups: &mut [Group]) {
    let n = groups.len();
    for i in 0..n {
        let role = groups[i].role;
        let want = role == Role::FileServer || (role == Role::DomainController && rng.chance(1, 3));
        if !want {
            continue;
        }
        let mut ids: Vec<usize> = (0..n).filter(|&j| j != i && rng.chance(1, 2)).collect();
        if ids.is_empty() && n > 1 {
            ids.push((i + 1) % n);
        }
        let mut clients = addresses_of(groups, &ids);
        if rng.chance(1, 4) || clients.is_empty() {
            clients = clients.union(&extra_set(rng, knobs));
        }
        groups[i].clients = clients;
        groups[i].client_groups = ids;
    }
}

/// The addresses of `groups[ids]`: what naming those groups admits.
pub(crate) fn addresses_of(groups: &[Group], ids: &[usize]) -> AddrSet {
    ids.iter()
        .fold(AddrSet::empty(), |a, &j| a.union(&groups[j].addresses))
}

/// Makes `groups[ids]`, and nothing else, the clients of `groups[server]`.
pub(crate) fn serve(groups: &mut [Group], server: usize, ids: Vec<usize>) {
    groups[server].clients = addresses_of(groups, &ids);
    groups[server].client_groups = ids;
}

/// The SMB settings every generated estate asks for (SMB 3 with signing
/// and encryption required, no SMB1); only NetBIOS varies.
pub(crate) fn strict_smb(netbios: bool) -> SmbSettings {
    SmbSettings {
        hardening: smbguard_model::SmbHardening::default(),
        smb1: false,
        min_dialect: Dialect::Smb300,
        encryption: Encryption::Required,
        signing: true,
        netbios,
    }
}

fn management(rng: &mut Rng, knobs: &Knobs, groups: &[Group]) -> Vec<ManagementException> {
    let n = groups.len();
    let mut out = Vec::new();
    for k in 0..rng.below(knobs.max_management + 1) {
        let from_groups: Vec<usize> = vec![rng.index(n)];
        let mut from = groups[from_groups[0]].addresses.clone();
        if rng.chance(1, 4) {
            from = from.union(&extra_set(rng, knobs));
        }
        let mut to_groups: Vec<usize> = (0..n).filter(|_| rng.chance(1, 2)).collect();
        if !knobs.adversarial {
            to_groups.retain(|&j| j != from_groups[0]);
            if to_groups.is_empty() {
                continue;
            }
        }
        out.push(ManagementException {
            name: format!("m{k}"),
            description: None,
            from,
            from_groups,
            to_groups,
            transports: transports(rng),
            span: None,
        });
    }
    out
}

/// Cloud endpoints: adversarially anywhere (even inside the estate);
/// otherwise outside it, in 203.0.113.0/24 and 2001:db8:ff::/64.
fn perimeter(rng: &mut Rng, knobs: &Knobs, internal: &AddrSet) -> Vec<PerimeterException> {
    let mut out = Vec::new();
    for k in 0..rng.below(knobs.max_perimeter + 1) {
        let addresses = if !knobs.adversarial {
            let cloud =
                smbguard_model::parse_addr_spec(&format!("203.0.113.{}/28", 16 * rng.below(16)))
                    .expect("literal");
            match rng.below(3) {
                0 => cloud,
                1 => smbguard_model::parse_addr_spec("2001:db8:ff::/64").expect("literal"),
                _ => cloud
                    .union(&smbguard_model::parse_addr_spec("2001:db8:ff::/64").expect("literal")),
            }
        } else if rng.chance(1, 2) {
            internal.complement().intersection(&addr_set(rng))
        } else {
            addr_set(rng)
        };
        out.push(PerimeterException {
            name: format!("p{k}"),
            description: None,
            addresses,
            direction: [Direction::Outbound, Direction::Inbound, Direction::Both][rng.index(3)],
            transports: transports(rng),
            // The parser refuses an unencrypted exception (K2).
            require_encryption: rng.chance(3, 4) || !knobs.adversarial,
            span: None,
        });
    }
    out
}

fn invariants(
    rng: &mut Rng,
    knobs: &Knobs,
    groups: &[Group],
    t: &[Transport],
) -> Vec<UserInvariant> {
    let mut out = Vec::new();
    for k in 0..rng.below(knobs.max_invariants + 1) {
        let pick = |rng: &mut Rng| {
            if rng.chance(1, 2) {
                groups[rng.index(groups.len())].addresses.clone()
            } else {
                extra_set(rng, knobs)
            }
        };
        out.push(UserInvariant {
            name: format!("u{k}"),
            from: pick(rng),
            to: pick(rng),
            transport: t[rng.index(t.len())],
            profiles: profile_set(rng),
            expect: if rng.chance(1, 2) {
                Expectation::Allow
            } else {
                Expectation::Block
            },
            span: None,
        });
    }
    out
}

/// A random estate. Adversarial ones are for `compile` directly; the others
/// for [`to_toml`] and the parser.
pub fn estate(rng: &mut Rng, knobs: &Knobs) -> Estate {
    let internal = internal(rng, knobs);
    let spread = knobs.max_groups.saturating_sub(knobs.min_groups) + 1;
    let n = knobs.min_groups.max(1) + rng.index(spread);
    let mut groups: Vec<Group> = (0..n).map(|i| group(rng, knobs, i)).collect();
    clients(rng, knobs, &mut groups);
    let management = management(rng, knobs, &groups);
    let perimeter_allow = perimeter(rng, knobs, &internal);
    let t = transports(rng);
    let invariants = invariants(rng, knobs, &groups, &t);
    let strategy = knobs.strategy.unwrap_or_else(|| {
        if rng.chance(1, 2) {
            Strategy::IpsecBypass
        } else {
            Strategy::Complement
        }
    });
    let mut e = Estate {
        name: "random".into(),
        description: None,
        internal,
        strategy,
        transports: t,
        smb: strict_smb(rng.chance(1, 3)),
        groups,
        management,
        perimeter_allow,
        invariants,
        service_tags: None,
    };
    if knobs.documented_shapes {
        documented_shapes(rng, &mut e);
    }
    if !knobs.adversarial {
        well_formed(&mut e);
    }
    e
}

/// What an operator's estate must satisfy to load (the loader refuses
/// estates that would break I2–I4): tcp/445 governed, no isolated host
/// among a server's clients, and every domain member that needs the DCs
/// accepted by one. Applied last, so the shapes drawn before stay.
fn well_formed(e: &mut Estate) {
    if !e.transports.contains(&Transport::SMB) {
        e.transports.insert(0, Transport::SMB);
    }
    let n = e.groups.len();
    let isolated: Vec<usize> = (0..n)
        .filter(|&i| e.groups[i].role == Role::Isolated)
        .collect();
    let isolated_addrs = addresses_of(&e.groups, &isolated);
    for g in &mut e.groups {
        g.client_groups.retain(|c| !isolated.contains(c));
        g.clients = g.clients.difference(&isolated_addrs);
    }
    let Some(dc) = e
        .groups
        .iter()
        .position(|g| g.role == Role::DomainController)
    else {
        return;
    };
    let accepted = smbguard_model::accepted_by_dcs(&e.groups, &e.internal);
    let orphans = e
        .groups
        .iter()
        .filter(|g| g.domain_joined && g.needs_dc_smb)
        .fold(AddrSet::empty(), |acc, g| {
            acc.union(&g.addresses.difference(&accepted))
        });
    if !orphans.is_empty() {
        // An empty `clients` means all of `internal`; keep that meaning.
        let first = &e.groups[dc];
        let own = if first.clients.is_empty() && first.client_groups.is_empty() {
            e.internal.clone()
        } else {
            first.clients.clone()
        };
        e.groups[dc].clients = own.union(&orphans);
    }
}

/// The first or second half of a group's first interval (IPv4 if it has
/// any): a range covering only part of the group.
fn part_of(g: &Group, rng: &mut Rng) -> AddrSet {
    if let Some(&(lo, hi)) = g.addresses.v4.intervals().first() {
        let mid = lo + (hi - lo) / 2;
        let (a, b) = if rng.chance(1, 2) {
            (lo, mid)
        } else {
            (mid, hi)
        };
        return AddrSet {
            v4: IntervalSet::range(a, b),
            v6: IntervalSet::empty(),
        };
    }
    let &(lo, hi) = g
        .addresses
        .v6
        .intervals()
        .first()
        .expect("groups are not empty");
    let mid = lo + (hi - lo) / 2;
    AddrSet {
        v4: IntervalSet::empty(),
        v6: IntervalSet::range(lo, mid),
    }
}

/// See [`Knobs::documented_shapes`].
fn documented_shapes(rng: &mut Rng, e: &mut Estate) {
    // What the parser refuses outright (no tcp/445, isolated clients, members
    // no DC accepts) is repaired afterwards by `well_formed`.
    let n = e.groups.len();
    for g in &mut e.groups {
        g.needs_dc_smb = !rng.chance(1, 4);
    }
    for i in 0..n {
        let wants = !e.groups[i].client_groups.is_empty() || !e.groups[i].clients.is_empty();
        if wants && rng.chance(1, 2) {
            let j = rng.index(n);
            let part = part_of(&e.groups[j], rng);
            e.groups[i].clients = e.groups[i].clients.union(&part);
        }
    }
    if e.strategy == Strategy::Complement {
        for k in 0..e.management.len() {
            if rng.chance(1, 2) {
                let j = rng.index(n);
                let one = e.groups[j].addresses.sample().map(AddrSet::single);
                if let Some(one) = one {
                    e.management[k].from = e.management[k].from.union(&one);
                }
            }
        }
    }
    if rng.chance(1, 3) {
        let j = rng.index(n);
        let mut twin = e.groups[j].clone();
        twin.name = format!("g{n}");
        twin.addresses =
            part_of(&e.groups[j], rng).union(&v4(256 + 64 * n as u32, 256 + 64 * n as u32 + 7));
        twin.sid = twin.sid.map(|_| format!("S-1-5-21-7-7-7-{}", 2000 + n));
        e.groups.push(twin);
        if rng.chance(1, 2) {
            if let Some(m) = e.management.first_mut() {
                m.to_groups.push(n);
            }
        }
    }
}

/// [`estate`] from a seed with [`Knobs::parseable`], as an estate file.
pub fn toml_from_seed(seed: u64) -> String {
    to_toml(&estate(&mut Rng::new(seed), &Knobs::parseable()))
}

// ------------------------------------------------------------ rendering

/// The serde spelling of a model enum (`"domain-controller"`, `"both"`).
fn word<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => panic!("not a unit enum: {other:?}"),
    }
}

fn quoted<I: IntoIterator<Item = String>>(items: I) -> String {
    let v: Vec<String> = items.into_iter().map(|s| format!("\"{s}\"")).collect();
    format!("[{}]", v.join(", "))
}

fn ranges(s: &AddrSet) -> Vec<String> {
    s.to_ranges().iter().map(ToString::to_string).collect()
}

/// Group names, then the addresses of `set` none of those groups covers.
fn names_and_rest(groups: &[Group], ids: &[usize], set: &AddrSet) -> String {
    let covered = addresses_of(groups, ids);
    let mut items: Vec<String> = ids.iter().map(|&j| groups[j].name.clone()).collect();
    items.extend(ranges(&set.difference(&covered)));
    quoted(items)
}

fn group_toml(t: &mut String, groups: &[Group], g: &Group) {
    let _ = write!(
        t,
        "[[groups]]\nname = \"{}\"\nrole = \"{}\"\nplatform = \"{}\"\naddresses = {}\ndomain-joined = {}\naccept-smb-on = {}\n",
        g.name,
        word(&g.role),
        word(&g.platform),
        quoted(ranges(&g.addresses)),
        g.domain_joined,
        quoted(g.accept_smb_on.iter().map(|p| word(&p))),
    );
    if let Some(sid) = &g.sid {
        let _ = writeln!(t, "sid = \"{sid}\"");
    }
    if g.outbound_block {
        t.push_str("outbound-block = true\n");
    }
    if !g.needs_dc_smb {
        t.push_str("needs-dc-smb = false\n");
    }
    if !g.client_groups.is_empty() || !g.clients.is_empty() {
        let _ = writeln!(
            t,
            "clients = {}",
            names_and_rest(groups, &g.client_groups, &g.clients)
        );
    }
    if g.server_service.is_some() || g.workstation_service.is_some() {
        t.push_str("[groups.services]\n");
        for (key, state) in [
            ("server", g.server_service),
            ("workstation", g.workstation_service),
        ] {
            if let Some(s) = state {
                let _ = writeln!(t, "{key} = \"{}\"", word(&s));
            }
        }
    }
    t.push('\n');
}

/// An estate as an estate file (what `parse_estate` reads).
pub fn to_toml(e: &Estate) -> String {
    let transports = |ts: &[Transport]| quoted(ts.iter().map(ToString::to_string));
    let mut t = format!(
        "[estate]\nname = \"{}\"\ninternal = {}\nstrategy = \"{}\"\ntransports = {}\n\n[smb]\nnetbios = {}\n\n",
        e.name,
        quoted(ranges(&e.internal)),
        word(&e.strategy),
        transports(&e.transports),
        e.smb.netbios
    );
    for g in &e.groups {
        group_toml(&mut t, &e.groups, g);
    }
    for m in &e.management {
        let to: Vec<String> = m
            .to_groups
            .iter()
            .map(|&j| e.groups[j].name.clone())
            .collect();
        let _ = write!(
            t,
            "[[management]]\nname = \"{}\"\nfrom = {}\nto = {}\ntransports = {}\n\n",
            m.name,
            names_and_rest(&e.groups, &m.from_groups, &m.from),
            quoted(to),
            transports(&m.transports)
        );
    }
    for p in &e.perimeter_allow {
        let _ = write!(
            t,
            "[[perimeter.allow]]\nname = \"{}\"\naddresses = {}\ndirection = \"{}\"\ntransports = {}\nrequire-encryption = {}\n\n",
            p.name,
            quoted(ranges(&p.addresses)),
            word(&p.direction),
            transports(&p.transports),
            p.require_encryption
        );
    }
    for u in &e.invariants {
        let _ = write!(
            t,
            "[[invariants]]\nname = \"{}\"\nfrom = {}\nto = {}\ntransport = \"{}\"\nprofile = {}\nexpect = \"{}\"\n\n",
            u.name,
            quoted(ranges(&u.from)),
            quoted(ranges(&u.to)),
            u.transport,
            quoted(u.profiles.iter().map(|p| word(&p))),
            word(&u.expect)
        );
    }
    t
}
