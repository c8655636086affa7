//! Random drift of compiled plans, for differential tests: rules with odd
//! ports, scopes and profiles, disabled firewalls, missing connection
//! security rules, shadowed ACL entries. The estates themselves come from
//! the workspace's one generator (`smbguard_testkit::estates`, adversarial
//! knobs: overlapping groups, IPv6-only groups, a group or an internal
//! network covering the whole address space).

use smbguard_model::{Estate, PortSet, Proto, ServiceState};
use smbguard_semantics::{
    AclAction, AclEntry, Action, AuthMethod, ConnectionSecurityRule, Direction, HostRules, KbRow,
    Plan, Security, SecurityRequirement, ServiceSetting, WindowsRule, compile,
};
use smbguard_testkit::estates::{Knobs, Rng, SIDS, addr_set, estate, profile_set};

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
                        null_encapsulation: false,
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
    let e = estate(&mut rng, &Knobs::adversarial());
    let mut plan = compile(&e).ok()?;
    if rng.chance(2, 3) {
        drift(&mut plan, &mut rng);
    }
    Some((e, plan))
}
