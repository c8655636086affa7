//! Random estates and random drift of their plans, for differential tests.
//! Deliberately adversarial: overlapping groups, IPv6-only groups, a group
//! or an internal network covering the whole address space (empty
//! complements), rules with odd ports, scopes and profiles, disabled
//! firewalls, missing connection security rules, shadowed ACL entries.

use smbguard_model::{
    AddrSet, Dialect, Direction as Crossing, Encryption, Estate, Expectation, Group, GroupSpans,
    IntervalSet, ManagementException, PerimeterException, Platform, PortSet, Profile, ProfileSet,
    Proto, Role, ServiceState, SmbSettings, Strategy, Transport, UserInvariant,
};
use smbguard_semantics::{
    AclAction, AclEntry, Action, AuthMethod, ConnectionSecurityRule, Direction, HostRules, KbRow,
    Plan, Security, SecurityRequirement, ServiceSetting, WindowsRule, compile,
};
use smbguard_verify::reference::Rng;

const V4_BASE: u32 = 0x0A00_0000; // 10.0.0.0
const V6_BASE: u128 = 0x2001_0db8_0000_0000_0000_0000_0000_0000;

const SIDS: [&str; 5] = [
    "S-1-5-21-1-2-3-1101",
    "S-1-5-21-1-2-3-1102",
    "S-1-5-21-1-2-3-1103",
    "S-1-5-21-1-2-3-515",
    "S-1-5-21-1-2-3-516",
];

fn v4(lo: u32, hi: u32) -> AddrSet {
    AddrSet {
        v4: IntervalSet::range(V4_BASE + lo, V4_BASE + hi),
        v6: IntervalSet::empty(),
    }
}

fn v6(lo: u128, hi: u128) -> AddrSet {
    AddrSet {
        v4: IntervalSet::empty(),
        v6: IntervalSet::range(V6_BASE + lo, V6_BASE + hi),
    }
}

/// A small random address set in a 64-address window of each family.
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

fn profile_set(rng: &mut Rng) -> ProfileSet {
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

fn transports(rng: &mut Rng) -> Vec<Transport> {
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

/// A random estate (not necessarily one `parse_estate` would accept, but
/// one `compile` does).
pub fn estate(rng: &mut Rng) -> Estate {
    let internal = match rng.below(6) {
        0 => AddrSet::any(),
        1 => v4(0, 40),
        2 => v4(0, 30).union(&v6(0, 20)),
        3 => v4(0, 20).union(&AddrSet {
            v4: IntervalSet::empty(),
            v6: IntervalSet::full(),
        }),
        _ => v4(0, 35).union(&v6(0, 35)),
    };
    let n = 2 + rng.index(5);
    let roles = [
        Role::DomainController,
        Role::FileServer,
        Role::Member,
        Role::Workstation,
        Role::Isolated,
    ];
    let mut groups: Vec<Group> = Vec::new();
    for i in 0..n {
        let role = if i == 0 {
            Role::DomainController
        } else {
            roles[rng.index(5)]
        };
        let platform = if rng.chance(1, 5) {
            Platform::Linux
        } else {
            Platform::Windows
        };
        let addresses = match rng.below(10) {
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
        groups.push(Group {
            name: format!("g{i}"),
            description: None,
            role,
            platform,
            addresses,
            sid: (windows && rng.chance(4, 5)).then(|| SIDS[rng.index(SIDS.len())].to_string()),
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
            spans: GroupSpans::default(),
        });
    }
    for i in 0..n {
        let role = groups[i].role;
        let want = role == Role::FileServer || (role == Role::DomainController && rng.chance(1, 3));
        if !want {
            continue;
        }
        let mut ids: Vec<usize> = (0..n).filter(|&j| j != i && rng.chance(1, 2)).collect();
        if ids.is_empty() {
            ids.push((i + 1) % n);
        }
        let mut clients = ids
            .iter()
            .fold(AddrSet::empty(), |a, &j| a.union(&groups[j].addresses));
        if rng.chance(1, 4) {
            clients = clients.union(&addr_set(rng));
        }
        groups[i].clients = clients;
        groups[i].client_groups = ids;
    }
    let mut management = Vec::new();
    for k in 0..rng.below(3) {
        let from_groups: Vec<usize> = vec![rng.index(n)];
        let mut from = groups[from_groups[0]].addresses.clone();
        if rng.chance(1, 4) {
            from = from.union(&addr_set(rng));
        }
        let to_groups: Vec<usize> = (0..n).filter(|_| rng.chance(1, 2)).collect();
        management.push(ManagementException {
            name: format!("m{k}"),
            description: None,
            from,
            from_groups,
            to_groups,
            transports: transports(rng),
            span: None,
        });
    }
    let mut perimeter_allow = Vec::new();
    for k in 0..rng.below(3) {
        let addresses = if rng.chance(1, 2) {
            internal.complement().intersection(&addr_set(rng))
        } else {
            addr_set(rng)
        };
        perimeter_allow.push(PerimeterException {
            name: format!("p{k}"),
            description: None,
            addresses,
            direction: [Crossing::Outbound, Crossing::Inbound, Crossing::Both][rng.index(3)],
            transports: transports(rng),
            require_encryption: rng.chance(3, 4),
            span: None,
        });
    }
    let t = transports(rng);
    let mut invariants = Vec::new();
    for k in 0..rng.below(3) {
        let pick = |rng: &mut Rng, groups: &[Group]| {
            if rng.chance(1, 2) {
                groups[rng.index(groups.len())].addresses.clone()
            } else {
                addr_set(rng)
            }
        };
        invariants.push(UserInvariant {
            name: format!("u{k}"),
            from: pick(rng, &groups),
            to: pick(rng, &groups),
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
    Estate {
        name: "random".into(),
        description: None,
        internal,
        strategy: if rng.chance(1, 2) {
            Strategy::IpsecBypass
        } else {
            Strategy::Complement
        },
        transports: t,
        smb: SmbSettings {
            smb1: false,
            min_dialect: Dialect::Smb300,
            encryption: Encryption::Required,
            signing: true,
            netbios: rng.chance(1, 3),
        },
        groups,
        management,
        perimeter_allow,
        invariants,
        service_tags: None,
    }
}

fn ports(rng: &mut Rng) -> PortSet {
    match rng.below(8) {
        0 => PortSet::single(445),
        1 => PortSet::range(137, 139),
        2 => PortSet::range(49152, 65535),
        3 => PortSet::range(1, 1024),
        4 => PortSet::single(50000),
        _ => PortSet::full(),
    }
}

fn random_rule(rng: &mut Rng, k: u64) -> WindowsRule {
    let direction = if rng.chance(1, 2) {
        Direction::Inbound
    } else {
        Direction::Outbound
    };
    let action = [Action::Allow, Action::Block, Action::Bypass][rng.index(3)];
    let mut r = WindowsRule::new(
        format!("drift-{k}"),
        format!("drift {k}"),
        direction,
        action,
        KbRow::K10,
    );
    r.protocol = match rng.below(4) {
        0 => None,
        1 => Some(Proto::Udp),
        _ => Some(Proto::Tcp),
    };
    r.local_ports = ports(rng);
    r.remote_ports = ports(rng);
    if rng.chance(1, 4) {
        r.local_addresses = addr_set(rng);
    }
    r.remote_addresses = addr_set(rng);
    r.profiles = profile_set(rng);
    r.security = [
        Security::None,
        Security::Authenticate,
        Security::AuthenticateNoEncap,
        Security::AuthenticateEncrypt,
    ][rng.index(4)];
    if rng.chance(1, 2) {
        r.remote_machines = vec![SIDS[rng.index(SIDS.len())].to_string()];
    }
    r.enabled = rng.chance(9, 10);
    r
}

/// Random drift of a compiled plan, as a deployed configuration might show.
pub fn drift(plan: &mut Plan, rng: &mut Rng) {
    let n = plan.hosts.len();
    for k in 0..rng.below(6) {
        let h = rng.index(n);
        match (&mut plan.hosts[h].rules, rng.below(9)) {
            (HostRules::Windows(w), 0..=2) => w.rules.push(random_rule(rng, k)),
            (HostRules::Windows(w), 3) => {
                if !w.rules.is_empty() {
                    let i = rng.index(w.rules.len());
                    w.rules.remove(i);
                }
            }
            (HostRules::Windows(w), 4) => {
                let i = rng.index(3);
                match rng.below(3) {
                    0 => w.profile_defaults[i].enabled = false,
                    1 => w.profile_defaults[i].block_outbound = true,
                    _ => w.profile_defaults[i].block_inbound = false,
                }
            }
            (HostRules::Windows(w), 5) => {
                if w.connection_security.is_empty() {
                    w.connection_security.push(ConnectionSecurityRule {
                        id: format!("csr-{k}"),
                        name: "drift isolation".into(),
                        description: String::new(),
                        inbound: SecurityRequirement::Request,
                        outbound: SecurityRequirement::Request,
                        phase1: vec![AuthMethod::MachineKerberos],
                        phase2: vec![],
                        profiles: profile_set(rng),
                        enabled: true,
                        kb: KbRow::K7,
                    });
                } else {
                    w.connection_security.clear();
                }
            }
            (HostRules::Windows(w), 6) => {
                if !w.disabled_builtins.is_empty() {
                    let i = rng.index(w.disabled_builtins.len());
                    w.disabled_builtins.remove(i);
                }
            }
            (HostRules::Windows(w), _) => w.services.push(ServiceSetting {
                service: if rng.chance(1, 2) {
                    "LanmanServer"
                } else {
                    "LanmanWorkstation"
                },
                state: ServiceState::Disabled,
                kb: KbRow::K8,
            }),
            (HostRules::Linux(l), x) => {
                let acl = if x % 2 == 0 {
                    &mut l.input
                } else {
                    &mut l.output
                };
                if rng.chance(1, 5) {
                    acl.default = if acl.default == AclAction::Permit {
                        AclAction::Deny
                    } else {
                        AclAction::Permit
                    };
                } else {
                    let e = AclEntry {
                        name: format!("drift {k}"),
                        action: if rng.chance(1, 2) {
                            AclAction::Permit
                        } else {
                            AclAction::Deny
                        },
                        protocol: if rng.chance(1, 3) {
                            None
                        } else {
                            Some(Proto::Tcp)
                        },
                        source: addr_set(rng),
                        destination: addr_set(rng),
                        destination_ports: ports(rng),
                        kb: KbRow::K10,
                    };
                    let at = rng.index(acl.entries.len() + 1);
                    acl.entries.insert(at, e);
                }
            }
        }
    }
    for k in 0..rng.below(2) {
        if rng.chance(1, 2) && !plan.perimeter.entries.is_empty() {
            let i = rng.index(plan.perimeter.entries.len());
            plan.perimeter.entries.remove(i);
        } else {
            let at = rng.index(plan.perimeter.entries.len() + 1);
            plan.perimeter.entries.insert(
                at,
                AclEntry {
                    name: format!("perimeter drift {k}"),
                    action: if rng.chance(1, 2) {
                        AclAction::Permit
                    } else {
                        AclAction::Deny
                    },
                    protocol: Some(Proto::Tcp),
                    source: addr_set(rng),
                    destination: addr_set(rng),
                    destination_ports: ports(rng),
                    kb: KbRow::K10,
                },
            );
        }
    }
}

/// A random estate, compiled, with its plan drifted (or not).
pub fn case(seed: u64) -> Option<(Estate, Plan)> {
    let mut rng = Rng::new(seed);
    let e = estate(&mut rng);
    let mut plan = compile(&e).ok()?;
    if rng.chance(2, 3) {
        drift(&mut plan, &mut rng);
    }
    Some((e, plan))
}
