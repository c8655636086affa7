//! The Windows walk: every class of (direction, profile, IPsec situation,
//! SMB transport, client port, local and remote address) on which a
//! deployed policy and the plan of the host's group disagree, with the
//! plan's side computed once per group ([`PlanSide`]) and the classes no
//! rule tells apart evaluated once (`classes.rs`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use smbguard_model::{AddrSet, PortSet, Profile, Transport};
use smbguard_semantics::classes::class_starts;
use smbguard_semantics::eval::windows::{eval_windows, windows_outcome};
use smbguard_semantics::{
    Difference, Direction, IpsecContext, Origin, Plan, ProfileDefaults, WindowsContext,
    WindowsPolicy, WindowsRule,
};

use super::classes::{Run, Starts, bypass_rules, context_runs, port_starts, runs};
use super::flows::{Differences, flow, key, plan_sets, server_ports};

/// The plan's side of every Windows comparison against one group: what
/// does not depend on the host, computed once per group and shared by every
/// host judged against it.
#[derive(Debug)]
pub(crate) struct PlanSide<'p> {
    pub plan: &'p Plan,
    pub host: &'p AddrSet,
    pub expected: &'p WindowsPolicy,
    rules: Vec<&'p WindowsRule>,
    bypasses: Vec<(usize, &'p WindowsRule)>,
    /// Class starts of the plan's rules' addresses and of every address
    /// the plan names.
    remote_fine: Starts,
    local_fine: Starts,
    /// Client port class starts, inbound (remote ports) and outbound (local).
    ports_in: Vec<u16>,
    ports_out: Vec<u16>,
    /// SIDs the plan's rules and groups name, sorted.
    sids: Vec<String>,
    transports: Vec<Transport>,
}

/// Class starts of every address the plan names ([`plan_sets`]): the same
/// for every group, computed once per plan.
pub(crate) fn plan_starts(plan: &Plan) -> Starts {
    Starts::of(&plan_sets(plan))
}

fn sids_of<'r>(rules: impl IntoIterator<Item = &'r WindowsRule>) -> Vec<String> {
    let mut sids: Vec<String> = rules
        .into_iter()
        .flat_map(|r| r.remote_machines.iter().cloned())
        .collect();
    sids.sort();
    sids.dedup();
    sids
}

impl<'p> PlanSide<'p> {
    /// The plan side of `host` (its group's addresses) with `expected`, the
    /// group's planned policy; `plan_starts` from [`plan_starts`].
    pub(crate) fn new(
        plan: &'p Plan,
        host: &'p AddrSet,
        expected: &'p WindowsPolicy,
        plan_starts: &Starts,
    ) -> Self {
        let rules: Vec<&WindowsRule> = expected.effective_rules().collect();
        let remote = Starts::of(rules.iter().map(|r| &r.remote_addresses));
        let local = Starts::of(rules.iter().map(|r| &r.local_addresses));
        let mut sids = sids_of(rules.iter().copied());
        sids.extend(plan.hosts.iter().filter_map(|h| h.sid.clone()));
        sids.sort();
        sids.dedup();
        PlanSide {
            plan,
            host,
            expected,
            bypasses: bypass_rules(&rules),
            remote_fine: remote.merge(plan_starts),
            local_fine: local.merge(plan_starts),
            ports_in: class_starts(rules.iter().map(|r| &r.remote_ports)),
            ports_out: class_starts(rules.iter().map(|r| &r.local_ports)),
            sids,
            transports: server_ports(&plan.transports),
            rules,
        }
    }
}

/// The IPsec situations that can matter: none, only this end, both ends
/// with a peer in no group, and both ends with a peer holding each SID
/// either policy or the plan names.
fn ipsec_contexts(sids: Vec<String>) -> Vec<IpsecContext> {
    let ctx = |local, peer, sids: Vec<String>| IpsecContext {
        local,
        peer,
        peer_sids: sids,
        local_store: false,
    };
    let mut out = vec![
        ctx(false, false, vec![]),
        ctx(true, false, vec![]),
        ctx(true, true, vec![]),
    ];
    out.extend(sids.into_iter().map(|s| ctx(true, true, vec![s])));
    out
}

/// The rules of one side that can decide a flow of `direction` in
/// `profile`: enabled, of that direction and profile, enforced (merge off:
/// not the built-in ones); none with the firewall off.
fn live<'r>(
    rules: &[&'r WindowsRule],
    d: ProfileDefaults,
    direction: Direction,
    profile: Profile,
) -> Vec<&'r WindowsRule> {
    if !d.enabled {
        return Vec::new();
    }
    rules
        .iter()
        .copied()
        .filter(|r| {
            r.enabled
                && r.direction == direction
                && r.profiles.contains(profile)
                && (d.local_rules || r.origin != Origin::BuiltIn)
        })
        .collect()
}

/// The client's port of a rule: remote for inbound, local for outbound.
fn client_ports(r: &WindowsRule, direction: Direction) -> &PortSet {
    match direction {
        Direction::Inbound => &r.remote_ports,
        Direction::Outbound => &r.local_ports,
    }
}

/// `rules` that match transport `t` from client port `cp`.
fn on_ports<'r>(
    rules: &[&'r WindowsRule],
    direction: Direction,
    t: Transport,
    cp: u16,
) -> Vec<&'r WindowsRule> {
    let (local_port, remote_port) = match direction {
        Direction::Inbound => (t.port, cp),
        Direction::Outbound => (cp, t.port),
    };
    rules
        .iter()
        .copied()
        .filter(|r| r.local_ports.contains(local_port) && r.remote_ports.contains(remote_port))
        .collect()
}

/// The runs of the `fine` starts of one family (`v4`) over the classes of
/// `coarse`, as addresses.
fn address_runs(fine: &Starts, coarse: &Starts, v4: bool) -> Vec<Run<IpAddr>> {
    fn as_addresses<T>(runs: Vec<Run<T>>, address: impl Fn(T) -> IpAddr) -> Vec<Run<IpAddr>> {
        runs.into_iter()
            .map(|r| Run {
                first: address(r.first),
                weight: r.weight,
            })
            .collect()
    }
    if v4 {
        as_addresses(runs(fine.v4(), coarse.v4()), |a| {
            IpAddr::V4(Ipv4Addr::from(a))
        })
    } else {
        as_addresses(runs(fine.v6(), coarse.v6()), |a| {
            IpAddr::V6(Ipv6Addr::from(a))
        })
    }
}

/// What one comparison walks: the classes of both policies together.
struct Walk<'a> {
    side: &'a PlanSide<'a>,
    actual: &'a WindowsPolicy,
    actual_rules: Vec<&'a WindowsRule>,
    actual_bypasses: Vec<(usize, &'a WindowsRule)>,
    contexts: Vec<IpsecContext>,
    /// Fine class starts: the host's own (local), and remote.
    local: Starts,
    remote: Starts,
}

/// One (direction, profile, IPsec situation, transport, client port): the
/// rules of each side that can still match, and the situation's weight.
struct Slice<'a, 'r> {
    direction: Direction,
    profile: Profile,
    t: Transport,
    cp: u16,
    ipsec: &'a IpsecContext,
    contexts: (&'a WindowsContext, &'a WindowsContext),
    rules: (Vec<&'r WindowsRule>, Vec<&'r WindowsRule>),
    weight: usize,
}

/// Windows: every class of (direction, profile, IPsec situation, SMB
/// transport, client port, local and remote address), in that order.
///
/// Local addresses are the host's (its group's): flows to or from other
/// addresses never reach this host. Classes that none of the rules that
/// can still match tells apart are evaluated once, at the first of them,
/// and counted with their weight (`classes.rs`), so the result is that of
/// evaluating each of them.
pub(crate) fn windows(side: &PlanSide<'_>, actual: &WindowsPolicy) -> Differences {
    let actual_rules: Vec<&WindowsRule> = actual.effective_rules().collect();
    let act_remote = Starts::of(actual_rules.iter().map(|r| &r.remote_addresses));
    let act_local = Starts::of(actual_rules.iter().map(|r| &r.local_addresses));
    let mut sids = side.sids.clone();
    sids.extend(sids_of(actual_rules.iter().copied()));
    sids.sort();
    sids.dedup();
    let walk = Walk {
        side,
        actual,
        actual_bypasses: bypass_rules(&actual_rules),
        contexts: ipsec_contexts(sids),
        local: side.local_fine.merge(&act_local).within(side.host),
        remote: side.remote_fine.merge(&act_remote),
        actual_rules,
    };
    let mut out = Differences::default();
    for direction in [Direction::Inbound, Direction::Outbound] {
        let fine_ports = match direction {
            Direction::Inbound => &side.ports_in,
            Direction::Outbound => &side.ports_out,
        };
        let fine_ports = port_starts(
            walk.actual_rules.iter().map(|r| client_ports(r, direction)),
            fine_ports,
        );
        for profile in Profile::ALL {
            walk.profile(direction, profile, &fine_ports, &mut out);
        }
    }
    out
}

impl<'a> Walk<'a> {
    fn profile(
        &self,
        direction: Direction,
        profile: Profile,
        fine_ports: &[u16],
        out: &mut Differences,
    ) {
        let (expected, actual) = (self.side.expected, self.actual);
        let (de, da) = (expected.defaults(profile), actual.defaults(profile));
        let live_e = live(&self.side.rules, de, direction, profile);
        let live_a = live(&self.actual_rules, da, direction, profile);
        let situations = context_runs(
            &self.contexts,
            profile,
            (expected, &self.side.bypasses),
            (actual, &self.actual_bypasses),
        );
        for c in situations {
            let side = |p: &WindowsPolicy| {
                let mut c = c.first.clone();
                c.local = c.local && p.has_isolation(profile);
                WindowsContext { profile, ipsec: c }
            };
            let (ce, ca) = (side(expected), side(actual));
            for &t in &self.side.transports {
                let proto = |rules: &[&'a WindowsRule]| -> Vec<&'a WindowsRule> {
                    let on = |r: &&WindowsRule| r.protocol.is_none_or(|p| p == t.proto);
                    rules.iter().copied().filter(on).collect()
                };
                let (pe, pa) = (proto(&live_e), proto(&live_a));
                let coarse = class_starts(pe.iter().chain(&pa).map(|r| client_ports(r, direction)));
                for cp in runs(fine_ports, &coarse) {
                    let slice = Slice {
                        direction,
                        profile,
                        t,
                        cp: cp.first,
                        ipsec: c.first,
                        contexts: (&ce, &ca),
                        rules: (
                            on_ports(&pe, direction, t, cp.first),
                            on_ports(&pa, direction, t, cp.first),
                        ),
                        weight: c.weight * cp.weight,
                    };
                    self.addresses(&slice, out);
                }
            }
        }
    }

    /// Every (local, remote) class of a slice, IPv4 then IPv6.
    fn addresses(&self, s: &Slice<'_, 'a>, out: &mut Differences) {
        let (re, ra) = (&s.rules.0, &s.rules.1);
        let local_coarse = Starts::of(re.iter().chain(ra).map(|r| &r.local_addresses));
        for v4 in [true, false] {
            for l in address_runs(&self.local, &local_coarse, v4) {
                let here = |rules: &[&'a WindowsRule]| -> Vec<&'a WindowsRule> {
                    let on = |r: &&WindowsRule| r.local_addresses.contains(l.first);
                    rules.iter().copied().filter(on).collect()
                };
                let (le, la) = (here(re), here(ra));
                let remote_coarse = Starts::of(le.iter().chain(&la).map(|r| &r.remote_addresses));
                for r in address_runs(&self.remote, &remote_coarse, v4) {
                    let weight = s.weight * l.weight * r.weight;
                    self.evaluate(s, (&le, &la), l.first, r.first, weight, out);
                }
            }
        }
    }

    /// One class: both outcomes, and a difference when they disagree.
    fn evaluate(
        &self,
        s: &Slice<'_, '_>,
        rules: (&[&WindowsRule], &[&WindowsRule]),
        la: IpAddr,
        ra: IpAddr,
        weight: usize,
        out: &mut Differences,
    ) {
        let (expected, actual) = (self.side.expected, self.actual);
        let (de, da) = (expected.defaults(s.profile), actual.defaults(s.profile));
        let f = flow(s.direction, s.t, la, ra, s.cp);
        out.classes += weight;
        let (ce, ca) = s.contexts;
        let e = windows_outcome(rules.0.iter().copied(), de, s.direction, &f, ce, false);
        let a = windows_outcome(rules.1.iter().copied(), da, s.direction, &f, ca, false);
        if e.verdict == a.verdict {
            return;
        }
        out.add(key(s.direction, s.profile, &e, &a), weight, || Difference {
            direction: Some(s.direction),
            profile: Some(s.profile),
            flow: f,
            ipsec: Some(s.ipsec.clone()),
            expected: eval_windows(expected.effective_rules(), de, s.direction, &f, ce),
            actual: eval_windows(actual.effective_rules(), da, s.direction, &f, ca),
        });
    }
}

#[cfg(test)]
mod tests {
    //! The walk with collapsed classes against the plain walk it replaced
    //! (kept here as the reference): same buckets, same first flows, same
    //! counts.

    use super::*;
    use crate::judge::flows::{own, same_family};
    use smbguard_semantics::classes::address_classes;
    use smbguard_semantics::{HostPolicy, compile};
    use smbguard_testkit::estates::{Knobs, Rng, estate};

    fn reference_contexts(rules: &[&WindowsRule], plan: &Plan) -> Vec<IpsecContext> {
        let mut sids = sids_of(rules.iter().copied());
        sids.extend(plan.hosts.iter().filter_map(|h| h.sid.clone()));
        sids.sort();
        sids.dedup();
        ipsec_contexts(sids)
    }

    /// The walk as it was: every class evaluated with the full evaluator.
    fn reference(
        plan: &Plan,
        host: &AddrSet,
        expected: &WindowsPolicy,
        actual: &WindowsPolicy,
    ) -> Differences {
        let all: Vec<&WindowsRule> = expected
            .effective_rules()
            .chain(actual.effective_rules())
            .collect();
        let extra = plan_sets(plan);
        let remote = address_classes(all.iter().map(|r| &r.remote_addresses).chain(&extra));
        let local = own(
            address_classes(all.iter().map(|r| &r.local_addresses).chain(&extra)),
            Some(host),
        );
        let contexts = reference_contexts(&all, plan);
        let transports = server_ports(&plan.transports);
        let mut out = Differences::default();
        for direction in [Direction::Inbound, Direction::Outbound] {
            let client_ports = class_starts(all.iter().map(|r| match direction {
                Direction::Inbound => &r.remote_ports,
                Direction::Outbound => &r.local_ports,
            }));
            for profile in Profile::ALL {
                for c in &contexts {
                    let side = |p: &WindowsPolicy| {
                        let mut c = c.clone();
                        c.local = c.local && p.has_isolation(profile);
                        WindowsContext { profile, ipsec: c }
                    };
                    let (ce, ca) = (side(expected), side(actual));
                    for &t in &transports {
                        for &cp in &client_ports {
                            for &la in &local {
                                for &ra in remote.iter().filter(|ra| same_family(la, **ra)) {
                                    let f = flow(direction, t, la, ra, cp);
                                    out.classes += 1;
                                    let ev = |p: &WindowsPolicy, c| {
                                        eval_windows(
                                            p.effective_rules(),
                                            p.defaults(profile),
                                            direction,
                                            &f,
                                            c,
                                        )
                                    };
                                    let (e, a) = (ev(expected, &ce), ev(actual, &ca));
                                    if e.verdict != a.verdict {
                                        out.add_difference(Difference {
                                            direction: Some(direction),
                                            profile: Some(profile),
                                            flow: f,
                                            ipsec: Some(c.clone()),
                                            expected: e,
                                            actual: a,
                                        });
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        out
    }

    fn windows_groups(plan: &Plan) -> Vec<&HostPolicy> {
        plan.hosts
            .iter()
            .filter(|h| h.windows().is_some())
            .collect()
    }

    /// Every Windows group of random estates judged against another group's
    /// policy (many differences) and its own (none).
    #[test]
    fn collapsed_walk_equals_the_full_walk() {
        let mut compared = 0;
        let mut differing = 0;
        for seed in 0..8 {
            let e = estate(&mut Rng::new(seed), &Knobs::parseable());
            let Ok(plan) = compile(&e) else { continue };
            let starts = plan_starts(&plan);
            let groups = windows_groups(&plan);
            for (i, g) in groups.iter().enumerate() {
                let expected = g.windows().expect("windows");
                let side = PlanSide::new(&plan, &g.addresses, expected, &starts);
                let other = groups[(i + 1) % groups.len()].windows().expect("windows");
                // The other group's policy without its isolation rule, and
                // in shielded mode (Private) with local merge flipped.
                let mut bare = other.clone();
                bare.connection_security.clear();
                let mut flipped = other.clone();
                for d in &mut flipped.profile_defaults {
                    d.shielded = d.profile == Profile::Private;
                    d.local_rules = !d.local_rules;
                }
                // Windows' own SMB rules back (none disabled) and no block
                // rule to beat them.
                let mut stock = other.clone();
                stock.disabled_builtins.clear();
                stock
                    .rules
                    .retain(|r| r.action != smbguard_semantics::Action::Block);
                for actual in [expected, other, &bare, &flipped, &stock] {
                    let want = reference(&plan, &g.addresses, expected, actual);
                    let got = windows(&side, actual);
                    assert_eq!(got, want, "seed {seed}, group {}", g.group);
                    compared += 1;
                    differing += usize::from(!want.buckets.is_empty());
                }
            }
        }
        assert!(compared > 40, "{compared}");
        assert!(differing > 20, "{differing}");
    }
}
