//! The scale generator for benchmarks and scale tests: many groups with many
//! ranges each, laid out like a large enterprise (DCs, Windows file servers
//! with client lists, Linux NAS, members, kiosks, an identity sensor with a
//! management exception, cloud perimeter exceptions and user invariants).
//! Deterministic per seed: the figures in BENCHMARKS.md were measured on it.
//! (Moved from `smbguard_verify::synthetic`, which is no longer public API.)

use smbguard_model::{
    AddrSet, Direction, Estate, Expectation, Group, GroupSpans, ManagementException,
    PerimeterException, Platform, ProfileSet, Role, ServiceState, Strategy, Transport,
    UserInvariant,
};

use crate::estates::{Rng, serve, strict_smb};

/// Size of a generated estate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Host groups.
    pub groups: usize,
    /// Address ranges over all groups.
    pub ranges: usize,
    /// Random seed.
    pub seed: u64,
    /// Outbound strategy.
    pub strategy: Strategy,
}

impl Params {
    /// The scale target: 100,000 ranges; about 10,000 compiled firewall rules.
    pub fn scale() -> Self {
        Params {
            groups: 680,
            ranges: 100_000,
            seed: 3_185_535,
            strategy: Strategy::IpsecBypass,
        }
    }
}

const SID_PREFIX: &str = "S-1-5-21-1111111111-2222222222-3333333333";

fn group(name: String, role: Role, platform: Platform, addresses: AddrSet, rid: u32) -> Group {
    let windows = platform == Platform::Windows;
    Group {
        name,
        description: None,
        role,
        platform,
        addresses,
        sid: windows.then(|| format!("{SID_PREFIX}-{rid}")),
        clients: AddrSet::empty(),
        client_groups: Vec::new(),
        domain_joined: windows && role != Role::Isolated,
        accept_smb_on: Estate::default_server_profiles(),
        server_service: (role == Role::Isolated).then_some(ServiceState::Disabled),
        workstation_service: (role == Role::Isolated).then_some(ServiceState::Disabled),
        outbound_block: false,
        needs_dc_smb: true,
        deployed_gpos: Vec::new(),
        spans: GroupSpans::default(),
    }
}

/// The groups generated so far, and the last RID given to a SID.
struct Groups {
    list: Vec<Group>,
    rid: u32,
}

impl Groups {
    /// Appends `count` groups named `name(i)`, with `ranges` fresh ranges
    /// each; each domain-joined one (Windows, not isolated) takes the next
    /// RID. Returns the index of the first.
    fn add(
        &mut self,
        a: &mut Alloc,
        count: usize,
        name: impl Fn(usize) -> String,
        role: Role,
        platform: Platform,
        ranges: usize,
    ) -> usize {
        let start = self.list.len();
        for i in 0..count {
            let rid = if platform == Platform::Windows && role != Role::Isolated {
                self.rid += 1;
                self.rid
            } else {
                0
            };
            self.list
                .push(group(name(i), role, platform, a.ranges(ranges), rid));
        }
        start
    }
}

struct Alloc {
    v4: u32,
    v6: u128,
    rng: Rng,
}

impl Alloc {
    /// A fresh IPv4 range inside 10.0.0.0/8 (64-address stride, 4 to 48 addresses).
    fn v4(&mut self) -> AddrSet {
        let base = self.v4;
        self.v4 += 64;
        let off = self.rng.below(8) as u32;
        let len = 4 + self.rng.below(45) as u32;
        let mut s = AddrSet::empty();
        s.v4 = smbguard_model::IntervalSet::range(base + off, base + off + len - 1);
        s
    }

    /// A fresh IPv6 /120 inside fd00::/8.
    fn v6(&mut self) -> AddrSet {
        let base = self.v6;
        self.v6 += 1 << 16;
        let mut s = AddrSet::empty();
        s.v6 = smbguard_model::IntervalSet::range(base, base + 255);
        s
    }

    fn ranges(&mut self, n: usize) -> AddrSet {
        let mut parts = Vec::with_capacity(n);
        for i in 0..n {
            parts.push(if i % 10 == 9 { self.v6() } else { self.v4() });
        }
        let v4 = parts
            .iter()
            .flat_map(|p| p.v4.intervals().iter().copied())
            .collect::<Vec<_>>();
        let v6 = parts
            .iter()
            .flat_map(|p| p.v6.intervals().iter().copied())
            .collect::<Vec<_>>();
        AddrSet {
            v4: smbguard_model::IntervalSet::from_intervals(v4),
            v6: smbguard_model::IntervalSet::from_intervals(v6),
        }
    }
}

fn net(s: &str) -> AddrSet {
    smbguard_model::parse_addr_spec(s).unwrap_or_default()
}

/// A generated estate.
pub fn estate(p: &Params) -> Estate {
    let mut a = Alloc {
        v4: u32::from(std::net::Ipv4Addr::new(10, 0, 0, 0)),
        v6: u128::from(std::net::Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 0)),
        rng: Rng::new(p.seed),
    };
    let n = p.groups.max(8);
    let dcs = 4;
    let fs = (n / 40).max(2);
    let nas = (n / 100).max(1);
    let sensors = 1;
    let kiosks = (n / 20).max(1);
    let members = (n / 10).max(1);
    let servers = dcs + fs + nas;
    let workstations = n
        .saturating_sub(servers + sensors + kiosks + members)
        .max(1);
    let clients_total = members + kiosks + workstations;
    let server_ranges = dcs * 3 + fs * 2 + nas * 2 + sensors;
    let per_client = (p.ranges.saturating_sub(server_ranges) / clients_total).max(1);

    let mut g = Groups {
        list: Vec::new(),
        rid: 5000,
    };
    for i in 0..dcs {
        let addrs = a.ranges(2).union(&a.v6());
        let dc = group(
            format!("dc-{i}"),
            Role::DomainController,
            Platform::Windows,
            addrs,
            516,
        );
        g.list.push(dc);
    }
    let (windows, linux) = (Platform::Windows, Platform::Linux);
    let named = |prefix: &'static str| move |i: usize| format!("{prefix}-{i}");
    let fs_start = g.add(&mut a, fs, named("fs"), Role::FileServer, windows, 2);
    let nas_start = g.add(&mut a, nas, named("nas"), Role::FileServer, linux, 2);
    let sensor_name = |_| "identity-sensor".to_string();
    let sensor = g.add(&mut a, 1, sensor_name, Role::Member, windows, 1);
    let members_start = g.add(
        &mut a,
        members,
        named("members"),
        Role::Member,
        windows,
        per_client,
    );
    g.add(
        &mut a,
        kiosks,
        named("kiosks"),
        Role::Isolated,
        windows,
        per_client,
    );
    let ws_start = g.add(
        &mut a,
        workstations,
        named("ws"),
        Role::Workstation,
        windows,
        per_client,
    );
    let mut groups = g.list;
    // File servers serve a few workstation groups and a member group each.
    for k in 0..fs {
        let mut ids = Vec::new();
        for j in 0..8 {
            ids.push(ws_start + (k * 8 + j) % workstations);
        }
        ids.push(members_start + k % members);
        ids.sort_unstable();
        ids.dedup();
        serve(&mut groups, fs_start + k, ids);
    }
    for k in 0..nas {
        let ids: Vec<usize> = (0..4)
            .map(|j| ws_start + (k * 4 + j + 3) % workstations)
            .collect();
        serve(&mut groups, nas_start + k, ids);
    }
    let watched: Vec<usize> = (ws_start..ws_start + workstations.div_ceil(4)).collect();
    let management = vec![ManagementException {
        name: "identity-sensor-queries".into(),
        description: None,
        from: groups[sensor].addresses.clone(),
        from_groups: vec![sensor],
        to_groups: watched,
        transports: vec![Transport::SMB],
        span: None,
    }];
    let perimeter_allow = vec![
        PerimeterException {
            name: "azure-files".into(),
            description: None,
            addresses: net("203.0.113.80/28"),
            direction: Direction::Outbound,
            transports: vec![Transport::SMB],
            require_encryption: true,
            span: None,
        },
        PerimeterException {
            name: "o365".into(),
            description: None,
            addresses: net("2001:db8:ff::/48"),
            direction: Direction::Outbound,
            transports: vec![Transport::SMB],
            require_encryption: true,
            span: None,
        },
    ];
    let invariants = vec![
        UserInvariant {
            name: "first workstations reach their file server".into(),
            from: groups[ws_start].addresses.clone(),
            to: groups[fs_start].addresses.clone(),
            transport: Transport::SMB,
            profiles: ProfileSet::TRUSTED,
            expect: Expectation::Allow,
            span: None,
        },
        UserInvariant {
            name: "kiosks never reach a DC".into(),
            from: groups[ws_start - 1].addresses.clone(),
            to: groups[0].addresses.clone(),
            transport: Transport::SMB,
            profiles: ProfileSet::ALL,
            expect: Expectation::Block,
            span: None,
        },
        UserInvariant {
            name: "the internet never reaches a workstation".into(),
            from: net("10.0.0.0/8").complement(),
            to: groups[ws_start + 1].addresses.clone(),
            transport: Transport::SMB,
            profiles: ProfileSet::ALL,
            expect: Expectation::Block,
            span: None,
        },
    ];
    Estate {
        name: format!("synthetic-{}x{}", n, p.ranges),
        description: None,
        internal: net("10.0.0.0/8").union(&net("fd00::/8")),
        strategy: p.strategy,
        transports: Transport::DEFAULT.to_vec(),
        smb: strict_smb(false),
        groups,
        management,
        perimeter_allow,
        invariants,
        service_tags: None,
    }
}
