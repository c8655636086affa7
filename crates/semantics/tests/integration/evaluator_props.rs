//! The Windows and first-match evaluators against brute-force references
//! written independently, on random rule sets and flows.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::net::{IpAddr, Ipv4Addr};

use proptest::prelude::*;
use smbguard_model::{AddrSet, IntervalSet, PortSet, Profile, ProfileSet, Proto, Transport};
use smbguard_semantics::eval::acl::eval_acl;
use smbguard_semantics::eval::windows::{
    eval_windows, eval_windows_edge, merge_stores, windows_outcome,
};
use smbguard_semantics::{
    Acl, AclAction, AclEntry, Action, Direction, Flow, IpsecContext, KbRow, Origin,
    ProfileDefaults, Security, Verdict, WindowsContext, WindowsRule,
};

const SIDS: [&str; 2] = ["S-1-5-21-9-9-9-1001", "S-1-5-21-9-9-9-1002"];

fn v4(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(198, 18, 0, last))
}

fn addr_set() -> impl Strategy<Value = AddrSet> {
    prop_oneof![
        Just(AddrSet::any()),
        prop::collection::vec((0u8..16, 0u8..16), 1..3).prop_map(|v| {
            v.into_iter().fold(AddrSet::empty(), |acc, (a, b)| {
                acc.union(&AddrSet::range(v4(a.min(b)), v4(a.max(b))).unwrap())
            })
        }),
    ]
}

fn port_set() -> impl Strategy<Value = PortSet> {
    prop_oneof![
        Just(PortSet::full()),
        Just(PortSet::single(445)),
        (440u16..450, 440u16..450).prop_map(|(a, b)| IntervalSet::range(a.min(b), a.max(b)))
    ]
}

fn rule() -> impl Strategy<Value = WindowsRule> {
    (
        (
            any::<bool>(),
            0u8..3,
            0u8..4,
            0u8..3,
            1u8..8,
            any::<bool>(),
            any::<(bool, bool)>(),
        ),
        (
            port_set(),
            port_set(),
            addr_set(),
            addr_set(),
            prop::collection::vec(0usize..2, 0..2),
            0u32..1000,
        ),
    )
        .prop_map(
            |(
                (inbound, action, security, proto, profiles, enabled, (builtin, edge)),
                (lp, rp, la, ra, sids, id),
            )| {
                let direction = if inbound {
                    Direction::Inbound
                } else {
                    Direction::Outbound
                };
                let action = [Action::Allow, Action::Block, Action::Bypass][action as usize];
                let mut r = WindowsRule::new(
                    format!("r{id:04}"),
                    format!("rule {id}"),
                    direction,
                    action,
                    KbRow::K4,
                );
                r.security = [
                    Security::None,
                    Security::Authenticate,
                    Security::AuthenticateNoEncap,
                    Security::AuthenticateEncrypt,
                ][security as usize];
                r.protocol = [None, Some(Proto::Tcp), Some(Proto::Udp)][proto as usize];
                r.profiles = ProfileSet::of(
                    &Profile::ALL
                        .into_iter()
                        .enumerate()
                        .filter(|(i, _)| profiles & (1 << i) != 0)
                        .map(|(_, p)| p)
                        .collect::<Vec<_>>(),
                );
                r.enabled = enabled;
                r.local_ports = lp;
                r.remote_ports = rp;
                r.local_addresses = la;
                r.remote_addresses = ra;
                r.remote_machines = sids.into_iter().map(|i| SIDS[i].to_string()).collect();
                r.origin = if builtin {
                    Origin::BuiltIn
                } else {
                    Origin::Plan
                };
                r.edge_traversal = edge;
                r
            },
        )
}

fn context() -> impl Strategy<Value = WindowsContext> {
    (
        0usize..3,
        any::<bool>(),
        any::<bool>(),
        prop::option::of(0usize..2),
        any::<bool>(),
    )
        .prop_map(|(p, local, peer, sid, local_store)| WindowsContext {
            profile: Profile::ALL[p],
            ipsec: IpsecContext {
                local,
                peer,
                peer_sids: sid.map(|i| SIDS[i].to_string()).into_iter().collect(),
                local_store,
            },
        })
}

fn flow() -> impl Strategy<Value = Flow> {
    (0u8..16, 0u8..16, any::<bool>(), 440u16..450, 440u16..450).prop_map(
        |(a, b, tcp, port, sport)| Flow {
            source: v4(a),
            destination: v4(b),
            transport: Transport {
                proto: if tcp { Proto::Tcp } else { Proto::Udp },
                port,
            },
            source_port: sport,
        },
    )
}

/// Membership by scanning intervals, no binary search.
fn in_ports(set: &PortSet, p: u16) -> bool {
    set.intervals().iter().any(|&(a, b)| a <= p && p <= b)
}

fn in_addrs(set: &AddrSet, ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => set
            .v4
            .intervals()
            .iter()
            .any(|&(lo, hi)| lo <= u32::from(a) && u32::from(a) <= hi),
        IpAddr::V6(a) => set
            .v6
            .intervals()
            .iter()
            .any(|&(lo, hi)| lo <= u128::from(a) && u128::from(a) <= hi),
    }
}

/// The documented precedence as a ranking: bypass 3, block 2, allow 1;
/// shielded mode and edge traversal take allows and bypasses out inbound,
/// merge off takes the local (built-in) rules out.
fn reference(
    rules: &[WindowsRule],
    d: Direction,
    f: &Flow,
    ctx: &WindowsContext,
    defaults: ProfileDefaults,
    edge: bool,
) -> Verdict {
    // A local-store isolation rule is ignored with local IPsec merge off.
    let local_isolation = ctx.ipsec.local && (defaults.local_ipsec_rules || !ctx.ipsec.local_store);
    let secure = local_isolation && ctx.ipsec.peer;
    let mut best: Option<(u8, Verdict)> = None;
    for r in rules {
        if !defaults.local_rules && r.origin == Origin::BuiltIn {
            continue;
        }
        let inbound_exception = d == Direction::Inbound && r.action != Action::Block;
        if inbound_exception && (defaults.shielded || (edge && !r.edge_traversal)) {
            continue;
        }
        let (local, remote, lport, rport) = if d == Direction::Inbound {
            (f.destination, f.source, f.transport.port, f.source_port)
        } else {
            (f.source, f.destination, f.source_port, f.transport.port)
        };
        let matches = r.enabled
            && r.direction == d
            && r.profiles.contains(ctx.profile)
            && (r.protocol.is_none() || r.protocol == Some(f.transport.proto))
            && in_ports(&r.local_ports, lport)
            && in_ports(&r.remote_ports, rport)
            && in_addrs(&r.local_addresses, local)
            && in_addrs(&r.remote_addresses, remote);
        if !matches {
            continue;
        }
        let authorised = if r.remote_machines.is_empty() {
            d == Direction::Outbound
        } else {
            ctx.ipsec
                .peer_sids
                .iter()
                .any(|s| r.remote_machines.contains(s))
        };
        let rank = match r.action {
            Action::Bypass if r.security != Security::None && secure && authorised => {
                Some((3, Verdict::Allow))
            }
            Action::Bypass => None,
            Action::Block => Some((2, Verdict::Block)),
            Action::Allow if r.security == Security::None || secure => Some((1, Verdict::Allow)),
            Action::Allow => None,
        };
        if let Some(x) = rank {
            if best.is_none_or(|b| x.0 > b.0) {
                best = Some(x);
            }
        }
    }
    best.map(|b| b.1).unwrap_or_else(|| {
        let block = if d == Direction::Inbound {
            defaults.block_inbound || defaults.shielded
        } else {
            defaults.block_outbound
        };
        if block {
            Verdict::Block
        } else {
            Verdict::Allow
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn windows_evaluator_matches_the_reference(
        rules in prop::collection::vec(rule(), 0..8),
        f in flow(),
        ctx in context(),
        inbound in any::<bool>(),
        block_out in any::<bool>(),
        (shielded, local_rules, edge, local_ipsec_rules) in any::<(bool, bool, bool, bool)>(),
    ) {
        let d = if inbound { Direction::Inbound } else { Direction::Outbound };
        let defaults = ProfileDefaults { profile: ctx.profile, enabled: true, block_inbound: true, block_outbound: block_out, shielded, local_rules, local_ipsec_rules };
        let got = eval_windows_edge(&rules, defaults, d, &f, &ctx, edge);
        prop_assert_eq!(got.verdict, reference(&rules, d, &f, &ctx, defaults, edge));
        prop_assert!(got.matched.iter().filter(|m| m.decisive).count() <= 1);
    }

    /// Same-ID rules across stores: the highest-precedence store's copy is
    /// the one enforced, and merge off drops the local store; evaluation of
    /// the merged rules matches a brute-force merge.
    #[test]
    fn store_merge_matches_the_reference(
        stores in prop::collection::vec(prop::collection::vec(rule(), 0..5), 1..4),
        local_merge in any::<bool>(),
        f in flow(),
        ctx in context(),
    ) {
        // Few IDs, so that stores share some (case differs: IDs compare
        // case-insensitively, as registry value names do).
        let stores: Vec<Vec<WindowsRule>> = stores
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                s.into_iter()
                    .map(|mut r| {
                        let last = &r.id[r.id.len() - 1..];
                        r.id = if i % 2 == 0 { format!("r{last}") } else { format!("R{last}") };
                        r
                    })
                    .collect()
            })
            .collect();
        let refs: Vec<&[WindowsRule]> = stores.iter().map(Vec::as_slice).collect();
        let merged = merge_stores(&refs, local_merge);
        // Brute force: an ID is enforced from the first store that has it.
        let usable = if local_merge || stores.len() == 1 { stores.len() } else { stores.len() - 1 };
        let mut want: Vec<WindowsRule> = Vec::new();
        for store in &stores[..usable] {
            for r in store {
                if !want.iter().any(|w| w.id.eq_ignore_ascii_case(&r.id)) {
                    want.push(r.clone());
                }
            }
        }
        prop_assert_eq!(&merged, &want);
        let defaults = ProfileDefaults::windows_default(ctx.profile);
        for d in [Direction::Inbound, Direction::Outbound] {
            prop_assert_eq!(
                eval_windows(&merged, defaults, d, &f, &ctx).verdict,
                reference(&want, d, &f, &ctx, defaults, false)
            );
        }
    }

    /// `AllowLocalIPsecPolicyMerge = 0` with the isolation rule in the local
    /// store is the same as having no isolation rule at all; with the rule
    /// in a GPO, the setting changes nothing.
    #[test]
    fn local_ipsec_merge_off_ignores_a_local_store_isolation_rule(
        rules in prop::collection::vec(rule(), 0..8),
        f in flow(),
        ctx in context(),
        inbound in any::<bool>(),
    ) {
        let d = if inbound { Direction::Inbound } else { Direction::Outbound };
        let on = ProfileDefaults::windows_default(ctx.profile);
        let off = ProfileDefaults { local_ipsec_rules: false, ..on };
        let mut local = ctx.clone();
        local.ipsec.local_store = true;
        let mut none = ctx.clone();
        none.ipsec.local = false;
        prop_assert_eq!(
            eval_windows(&rules, off, d, &f, &local).verdict,
            eval_windows(&rules, on, d, &f, &none).verdict
        );
        let mut gpo = ctx.clone();
        gpo.ipsec.local_store = false;
        prop_assert_eq!(
            eval_windows(&rules, off, d, &f, &gpo).verdict,
            eval_windows(&rules, on, d, &f, &gpo).verdict
        );
    }

    #[test]
    fn rule_order_never_matters_on_windows(
        rules in prop::collection::vec(rule(), 1..8),
        f in flow(),
        ctx in context(),
        rotate in 0usize..8,
        (shielded, local_rules, edge, local_ipsec_rules) in any::<(bool, bool, bool, bool)>(),
    ) {
        let defaults = ProfileDefaults { shielded, local_rules, local_ipsec_rules, ..ProfileDefaults::windows_default(ctx.profile) };
        let mut shuffled = rules.clone();
        shuffled.reverse();
        let len = shuffled.len();
        shuffled.rotate_left(rotate % len);
        for d in [Direction::Inbound, Direction::Outbound] {
            let a = eval_windows_edge(&rules, defaults, d, &f, &ctx, edge);
            let b = eval_windows_edge(&shuffled, defaults, d, &f, &ctx, edge);
            prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn the_outcome_is_the_decisions_verdict_and_decisive_rule(
        rules in prop::collection::vec(rule(), 0..10),
        f in flow(),
        ctx in context(),
        (enabled, shielded, local_rules, edge, local_ipsec_rules) in any::<(bool, bool, bool, bool, bool)>(),
    ) {
        let defaults = ProfileDefaults {
            enabled,
            shielded,
            local_rules,
            local_ipsec_rules,
            ..ProfileDefaults::windows_default(ctx.profile)
        };
        // Same-ID rules (one per store), told apart by name, then not at all.
        let mut rules = rules;
        if let Some(first) = rules.first().cloned() {
            let mut twin = first.clone();
            twin.name = "a twin".into();
            rules.push(twin);
            rules.push(first);
        }
        for d in [Direction::Inbound, Direction::Outbound] {
            let full = eval_windows_edge(&rules, defaults, d, &f, &ctx, edge);
            let fast = windows_outcome(&rules, defaults, d, &f, &ctx, edge);
            prop_assert_eq!(fast.verdict, full.verdict);
            let decisive = full.matched.iter().find(|m| m.decisive);
            prop_assert_eq!(
                fast.decisive.map(|r| (&r.id, &r.name)),
                decisive.map(|m| (&m.id, &m.name))
            );
        }
    }

    #[test]
    fn first_match_acl_matches_the_reference(
        entries in prop::collection::vec((addr_set(), addr_set(), port_set(), 0u8..3, any::<bool>()), 0..8),
        f in flow(),
        deny_default in any::<bool>(),
    ) {
        let acl = Acl {
            name: "t".into(),
            entries: entries
                .into_iter()
                .map(|(source, destination, destination_ports, proto, permit)| AclEntry {
                    name: "e".into(),
                    action: if permit { AclAction::Permit } else { AclAction::Deny },
                    protocol: [None, Some(Proto::Tcp), Some(Proto::Udp)][proto as usize],
                    source,
                    destination,
                    destination_ports,
                    kb: KbRow::K1,
                })
                .collect(),
            default: if deny_default { AclAction::Deny } else { AclAction::Permit },
        };
        let expected = acl
            .entries
            .iter()
            .find(|e| (e.protocol.is_none() || e.protocol == Some(f.transport.proto))
                && in_addrs(&e.source, f.source)
                && in_addrs(&e.destination, f.destination)
                && in_ports(&e.destination_ports, f.transport.port))
            .map_or(acl.default, |e| e.action);
        let expected = if expected == AclAction::Permit { Verdict::Allow } else { Verdict::Block };
        prop_assert_eq!(eval_acl(&acl, &f).verdict, expected);
    }
}

#[test]
fn allow_if_secure_without_override_does_not_beat_a_block() {
    let mut block = WindowsRule::new(
        "b",
        "Block outbound Domain/Private SMB 445",
        Direction::Outbound,
        Action::Block,
        KbRow::K6,
    );
    block.remote_ports = PortSet::single(445);
    let mut allow = WindowsRule::new(
        "a",
        "Allow outbound Domain/Private SMB 445",
        Direction::Outbound,
        Action::Allow,
        KbRow::K6,
    );
    allow.remote_ports = PortSet::single(445);
    allow.security = Security::AuthenticateNoEncap;
    let ctx = WindowsContext {
        profile: Profile::Domain,
        ipsec: IpsecContext {
            local: true,
            peer: true,
            peer_sids: vec![],
            local_store: false,
        },
    };
    let f = Flow::new(v4(1), v4(2), Transport::SMB);
    let defaults = ProfileDefaults::windows_default(Profile::Domain);
    let d = eval_windows(
        &[allow.clone(), block.clone()],
        defaults,
        Direction::Outbound,
        &f,
        &ctx,
    );
    assert_eq!(
        d.verdict,
        Verdict::Block,
        "the classic 'allow then block' pair blocks the DCs too"
    );
    // The same rule as a bypass (override block rules) wins.
    allow.action = Action::Bypass;
    let d = eval_windows(&[allow, block], defaults, Direction::Outbound, &f, &ctx);
    assert_eq!(d.verdict, Verdict::Allow);
}

#[test]
fn inbound_bypass_without_authorised_computers_never_applies() {
    let mut block = WindowsRule::new("b", "block", Direction::Inbound, Action::Block, KbRow::K4);
    block.local_ports = PortSet::single(445);
    let mut bypass = WindowsRule::new("a", "bypass", Direction::Inbound, Action::Bypass, KbRow::K4);
    bypass.local_ports = PortSet::single(445);
    bypass.security = Security::AuthenticateNoEncap;
    let ctx = WindowsContext {
        profile: Profile::Domain,
        ipsec: IpsecContext {
            local: true,
            peer: true,
            peer_sids: vec![SIDS[0].into()],
            local_store: false,
        },
    };
    let f = Flow::new(v4(1), v4(2), Transport::SMB);
    let d = eval_windows(
        &[bypass.clone(), block.clone()],
        ProfileDefaults::windows_default(Profile::Domain),
        Direction::Inbound,
        &f,
        &ctx,
    );
    assert_eq!(d.verdict, Verdict::Block);
    assert!(
        d.matched
            .iter()
            .any(|m| m.note.contains("must name authorised computers"))
    );
    bypass.remote_machines = vec![SIDS[0].into()];
    let d = eval_windows(
        &[bypass, block],
        ProfileDefaults::windows_default(Profile::Domain),
        Direction::Inbound,
        &f,
        &ctx,
    );
    assert_eq!(d.verdict, Verdict::Allow);
}
