//! What must hold: the article's invariants and the defender's own, as
//! declarative clauses over sets of flows. The fast verifier, the exhaustive
//! oracle and the brute-force sampler all read the same clauses, so they
//! differ only in how they search.

use serde::Serialize;
use smbguard_model::{
    AddrSet, Direction as Crossing, Estate, Expectation, Platform, Profile, Role, Transport,
};
use smbguard_semantics::{KbRow, Plan, Profiles, Verdict, server_clients, session_transports};

use crate::space::effective_addresses;

/// The lowest port of the Windows dynamic (ephemeral) range; clients open
/// SMB from `49152..=65535`.
pub const EPHEMERAL_LOW: u16 = 49152;

/// Which verdict of a flow a clause constrains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Observe {
    /// The end-to-end verdict (source outbound, perimeter, destination inbound).
    Flow,
    /// The perimeter stage alone (not crossing the perimeter counts as allowed).
    Perimeter,
    /// The destination host's inbound stage alone: what the host accepts,
    /// whatever the source's own firewall does.
    DestinationInbound,
    /// The source host's outbound stage alone: what the host lets out,
    /// whatever the destination does.
    SourceOutbound,
}

impl Observe {
    /// Short text for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Observe::Flow => "end to end",
            Observe::Perimeter => "at the perimeter",
            Observe::DestinationInbound => "at the destination's inbound firewall",
            Observe::SourceOutbound => "at the source's outbound firewall",
        }
    }

    /// The stage of a [`smbguard_semantics::FlowReport`] this observes, if one.
    pub fn stage(self) -> Option<smbguard_semantics::StageKind> {
        use smbguard_semantics::StageKind;
        match self {
            Observe::Flow => None,
            Observe::Perimeter => Some(StageKind::Perimeter),
            Observe::DestinationInbound => Some(StageKind::DestinationInbound),
            Observe::SourceOutbound => Some(StageKind::SourceOutbound),
        }
    }
}

/// Flows a block clause tolerates: `from × to` on `transports`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Exemption {
    /// What declared it (management exception, perimeter exception, clients).
    pub name: String,
    /// Sources.
    pub from: AddrSet,
    /// Destinations.
    pub to: AddrSet,
    /// Transports it covers.
    pub transports: Vec<Transport>,
}

impl Exemption {
    /// True when the exemption covers transport `t`.
    pub fn covers(&self, t: Transport) -> bool {
        self.transports.contains(&t)
    }
}

/// "Every flow from `from` to `to` on these transports and profiles is
/// `expect`ed, as seen by `observe`", except exempted flows.
///
/// Only same-family pairs are flows (an IPv4 source never talks to an IPv6
/// destination). Block clauses quantify over every source port; allow
/// clauses over the ephemeral range clients actually use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FlowClause {
    /// What the clause says, for reports.
    pub label: String,
    /// Sources.
    pub from: AddrSet,
    /// Destinations.
    pub to: AddrSet,
    /// Transports.
    pub transports: Vec<Transport>,
    /// Source and destination profiles, each pair checked.
    pub profiles: Vec<Profiles>,
    /// Which verdict is constrained.
    pub observe: Observe,
    /// The verdict every flow must get.
    pub expect: Verdict,
    /// Flows not constrained (block clauses only).
    pub exempt: Vec<Exemption>,
}

impl FlowClause {
    /// The source ports quantified over, inclusive.
    pub fn source_ports(&self) -> (u16, u16) {
        match self.expect {
            Verdict::Block => (0, u16::MAX),
            Verdict::Allow => (EPHEMERAL_LOW, u16::MAX),
        }
    }

    /// True when the pair is exempted on `t`.
    pub fn exempted(&self, t: Transport, s: std::net::IpAddr, d: std::net::IpAddr) -> bool {
        self.exempt
            .iter()
            .any(|e| e.covers(t) && e.from.contains(s) && e.to.contains(d))
    }

    /// True when the flow is one this clause constrains.
    pub fn covers(&self, flow: &smbguard_semantics::Flow, profiles: Profiles) -> bool {
        let (lo, hi) = self.source_ports();
        flow.source.is_ipv4() == flow.destination.is_ipv4()
            && self.transports.contains(&flow.transport)
            && self.profiles.contains(&profiles)
            && (lo..=hi).contains(&flow.source_port)
            && self.from.contains(flow.source)
            && self.to.contains(flow.destination)
            && !self.exempted(flow.transport, flow.source, flow.destination)
    }
}

/// One part of an invariant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Clause {
    /// A property of flows.
    Flows(FlowClause),
    /// The K8 service guard rails, read from the plan.
    Services,
}

/// A named property, built in (from KB3185535) or declared in the estate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Invariant {
    /// `I1`..`I6` for the built-in ones, `U1`.. for `[[invariants]]`.
    pub id: String,
    /// What it says.
    pub title: String,
    /// The rows of the guidance it proves.
    pub kb: Vec<KbRow>,
    /// Declared by the defender.
    pub user: bool,
    /// Its clauses; it holds when every clause holds.
    pub clauses: Vec<Clause>,
    /// Remarks on scope (e.g. a clause that does not apply to Linux hosts).
    pub notes: Vec<String>,
}

/// Every (source, destination) profile pair.
pub fn all_profile_pairs() -> Vec<Profiles> {
    pairs(&Profile::ALL, &Profile::ALL)
}

fn pairs(src: &[Profile], dst: &[Profile]) -> Vec<Profiles> {
    let mut v = Vec::new();
    for &s in src {
        for &d in dst {
            v.push(Profiles {
                source: s,
                destination: d,
            });
        }
    }
    v
}

fn union_of<'a>(sets: impl IntoIterator<Item = &'a AddrSet>) -> AddrSet {
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    for s in sets {
        v4.extend_from_slice(s.v4.intervals());
        v6.extend_from_slice(s.v6.intervals());
    }
    AddrSet {
        v4: smbguard_model::IntervalSet::from_intervals(v4),
        v6: smbguard_model::IntervalSet::from_intervals(v6),
    }
}

/// The plan host index of each estate group (by name; plans compiled by
/// smbguard keep estate order).
pub(crate) fn host_of_group(plan: &Plan, estate: &Estate, group: usize) -> Option<usize> {
    let name = &estate.groups.get(group)?.name;
    if plan.hosts.get(group).is_some_and(|h| &h.group == name) {
        return Some(group);
    }
    plan.hosts.iter().position(|h| &h.group == name)
}

/// Merges exemptions with the same sources and transports (their
/// destinations united), so a clause carries few rectangles.
fn merge_exemptions(v: Vec<Exemption>) -> Vec<Exemption> {
    let mut out: Vec<Exemption> = Vec::new();
    for e in v {
        match out
            .iter_mut()
            .find(|o| o.from == e.from && o.transports == e.transports)
        {
            Some(o) => {
                o.to = union_of([&o.to, &e.to]);
                if !o.name.contains(&e.name) {
                    o.name = format!("{}, {}", o.name, e.name);
                }
            }
            None => out.push(e),
        }
    }
    out
}

/// I3 in the words docs/policy.md uses.
const I3_TITLE: &str = "Every domain member that needs the DCs (`needs-dc-smb`, default true) reaches every domain controller that accepts it (all of them, unless the DC lists `clients`) on TCP 445 in the Domain profile, and at least one domain controller accepts it";

/// The article's invariants I1–I6 for this plan and estate.
pub fn builtin_invariants(plan: &Plan, estate: &Estate) -> Vec<Invariant> {
    builtin_with(plan, estate, &effective_addresses(plan))
}

/// [`builtin_invariants`] with the plan's effective addresses already computed.
pub(crate) fn builtin_with(plan: &Plan, estate: &Estate, eff: &[AddrSet]) -> Vec<Invariant> {
    BuiltinBuilder { plan, estate, eff }.build()
}

/// The estate's `[[invariants]]`, as `U1`, `U2`, ...
pub fn user_invariants(estate: &Estate) -> Vec<Invariant> {
    estate
        .invariants
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let profiles: Vec<Profile> = u.profiles.iter().collect();
            Invariant {
                id: format!("U{}", i + 1),
                title: u.name.clone(),
                kb: vec![KbRow::K10],
                user: true,
                clauses: vec![Clause::Flows(FlowClause {
                    label: format!(
                        "{} → {} on {} must be {}",
                        u.from,
                        u.to,
                        u.transport,
                        match u.expect {
                            Expectation::Allow => "allowed",
                            Expectation::Block => "blocked",
                        }
                    ),
                    from: u.from.clone(),
                    to: u.to.clone(),
                    transports: vec![u.transport],
                    profiles: pairs(&profiles, &profiles),
                    observe: Observe::Flow,
                    expect: match u.expect {
                        Expectation::Allow => Verdict::Allow,
                        Expectation::Block => Verdict::Block,
                    },
                    exempt: Vec::new(),
                })],
                notes: Vec::new(),
            }
        })
        .collect()
}

struct BuiltinBuilder<'a> {
    plan: &'a Plan,
    estate: &'a Estate,
    eff: &'a [AddrSet],
}

impl BuiltinBuilder<'_> {
    fn eff_of_group(&self, g: usize) -> AddrSet {
        host_of_group(self.plan, self.estate, g)
            .and_then(|h| self.eff.get(h).cloned())
            .unwrap_or_default()
    }

    fn groups_where(&self, pred: impl Fn(&smbguard_model::Group) -> bool) -> Vec<usize> {
        (0..self.estate.groups.len())
            .filter(|&i| pred(&self.estate.groups[i]))
            .collect()
    }

    /// Management exceptions into group `g`, as exemptions (none for isolated hosts).
    fn management_into(&self, g: usize) -> Vec<Exemption> {
        let to = self.eff_of_group(g);
        if self.estate.groups[g].role == Role::Isolated {
            return Vec::new();
        }
        self.estate
            .management
            .iter()
            .filter(|m| m.to_groups.contains(&g))
            .map(|m| Exemption {
                name: format!("management exception `{}`", m.name),
                from: m.from.clone(),
                to: to.clone(),
                transports: m.transports.clone(),
            })
            .collect()
    }

    fn build(&self) -> Vec<Invariant> {
        vec![
            self.i1(),
            self.i2(),
            self.i3(),
            self.i4(),
            self.i5(),
            Invariant {
                id: "I6".into(),
                title: "Never the Server service disabled on a domain controller or file server, never the Workstation service disabled on a domain member".into(),
                kb: vec![KbRow::K8],
                user: false,
                clauses: vec![Clause::Services],
                notes: Vec::new(),
            },
            self.i7(),
        ]
    }

    fn i1(&self) -> Invariant {
        let clients = self
            .groups_where(|g| matches!(g.role, Role::Workstation | Role::Member | Role::Isolated));
        let clauses = clients
            .iter()
            .map(|&g| {
                let group = &self.estate.groups[g];
                Clause::Flows(FlowClause {
                    label: format!(
                        "`{}` ({}) accepts no inbound SMB except from declared management hosts",
                        group.name,
                        group.role.as_str()
                    ),
                    from: AddrSet::any(),
                    to: self.eff_of_group(g),
                    transports: self.plan.transports.clone(),
                    profiles: all_profile_pairs(),
                    observe: Observe::DestinationInbound,
                    expect: Verdict::Block,
                    exempt: merge_exemptions(self.management_into(g)),
                })
            })
            .collect();
        Invariant {
            id: "I1".into(),
            title: "No workstation, member or isolated host accepts inbound SMB, except from the declared management hosts".into(),
            kb: vec![KbRow::K3, KbRow::K4],
            user: false,
            clauses,
            notes: Vec::new(),
        }
    }

    fn i2(&self) -> Invariant {
        let lateral = self.groups_where(|g| matches!(g.role, Role::Workstation | Role::Member));
        let isolated = self.groups_where(|g| g.role == Role::Isolated);
        let lateral_addrs = union_of(
            lateral
                .iter()
                .map(|&g| self.eff_of_group(g))
                .collect::<Vec<_>>()
                .iter(),
        );
        let isolated_addrs = union_of(
            isolated
                .iter()
                .map(|&g| self.eff_of_group(g))
                .collect::<Vec<_>>()
                .iter(),
        );
        let exempt = merge_exemptions(
            lateral
                .iter()
                .flat_map(|&g| self.management_into(g))
                .collect(),
        );
        let clause = |label: &str, from: AddrSet, to: AddrSet, exempt: Vec<Exemption>| {
            Clause::Flows(FlowClause {
                label: label.to_string(),
                from,
                to,
                transports: self.plan.transports.clone(),
                profiles: all_profile_pairs(),
                observe: Observe::Flow,
                expect: Verdict::Block,
                exempt,
            })
        };
        Invariant {
            id: "I2".into(),
            title: "No lateral SMB between client hosts (workstations, members), and no SMB at all to or from isolated hosts".into(),
            kb: vec![KbRow::K4, KbRow::K6, KbRow::K8],
            user: false,
            clauses: vec![
                clause(
                    "workstations and members ↔ workstations and members (management exceptions aside)",
                    lateral_addrs.clone(),
                    lateral_addrs,
                    exempt,
                ),
                clause("isolated hosts → anywhere", isolated_addrs.clone(), AddrSet::any(), Vec::new()),
                clause("anywhere → isolated hosts", AddrSet::any(), isolated_addrs, Vec::new()),
            ],
            notes: Vec::new(),
        }
    }

    fn i3(&self) -> Invariant {
        // A DC with `clients` accepts only them (K5: "restrict access to them
        // from trusted IP ranges"); `needs-dc-smb = false` opts a group out.
        let members = self.groups_where(|g| g.domain_joined && g.needs_dc_smb);
        let member_addrs: Vec<AddrSet> = members.iter().map(|&g| self.eff_of_group(g)).collect();
        let from_all = union_of(member_addrs.iter());
        let dcs = self.groups_where(|g| g.role == Role::DomainController);
        let to = union_of(
            dcs.iter()
                .map(|&g| self.eff_of_group(g))
                .collect::<Vec<_>>()
                .iter(),
        );
        let mut notes = Vec::new();
        for (&g, a) in members.iter().zip(&member_addrs) {
            if (!a.v4.is_empty() && to.v4.is_empty()) || (!a.v6.is_empty() && to.v6.is_empty()) {
                let fam = if !a.v4.is_empty() && to.v4.is_empty() {
                    "IPv4"
                } else {
                    "IPv6"
                };
                notes.push(format!(
                    "`{}` has {fam} addresses but no domain controller has one: those addresses have no DC to reach",
                    self.estate.groups[g].name
                ));
            }
        }
        // Members no DC accepts are locked out of Group Policy: the clause
        // asks them to reach the DCs anyway, so the lock-out is a failure.
        let accepted = union_of(
            dcs.iter()
                .map(|&d| server_clients(self.estate, &self.estate.groups[d]))
                .collect::<Vec<_>>()
                .iter(),
        );
        // A DC is its own domain's authority: it needs no other DC to accept it.
        let orphans = from_all.difference(&accepted).difference(&to);
        let mut clauses: Vec<Clause> = dcs
            .iter()
            .map(|&d| {
                let dc = &self.estate.groups[d];
                Clause::Flows(FlowClause {
                    label: format!("domain members → `{}`", dc.name),
                    from: from_all.intersection(&server_clients(self.estate, dc)),
                    to: self.eff_of_group(d),
                    transports: vec![Transport::SMB],
                    profiles: vec![Profiles::both(Profile::Domain)],
                    observe: Observe::Flow,
                    expect: Verdict::Allow,
                    exempt: Vec::new(),
                })
            })
            .collect();
        if !orphans.is_empty() {
            clauses.push(Clause::Flows(FlowClause {
                label:
                    "domain members no domain controller lists in `clients` → domain controllers"
                        .into(),
                from: orphans,
                to: to.clone(),
                transports: vec![Transport::SMB],
                profiles: vec![Profiles::both(Profile::Domain)],
                observe: Observe::Flow,
                expect: Verdict::Allow,
                exempt: Vec::new(),
            }));
        }
        Invariant {
            id: "I3".into(),
            title: I3_TITLE.into(),
            kb: vec![KbRow::K6, KbRow::K7],
            user: false,
            clauses,
            notes,
        }
    }

    fn i4(&self) -> Invariant {
        let session: Vec<Transport> = session_transports(self.estate)
            .into_iter()
            .filter(|t| self.plan.transports.contains(t))
            .collect();
        let mut clauses = Vec::new();
        let mut notes = Vec::new();
        for g in self.groups_where(|g| g.role == Role::FileServer) {
            let group = &self.estate.groups[g];
            let profiles: Vec<Profile> = group.accept_smb_on.iter().collect();
            // Clients across the perimeter get through on the transports
            // their `[[perimeter.allow]]` entry names, not on every session
            // transport (NetBIOS never crosses the perimeter: K1).
            let mut reach = vec![(
                group.clients.intersection(&self.estate.internal),
                session.clone(),
            )];
            for e in &self.estate.perimeter_allow {
                if matches!(e.direction, Crossing::Inbound | Crossing::Both) {
                    let ts: Vec<Transport> = session
                        .iter()
                        .copied()
                        .filter(|t| e.transports.contains(t))
                        .collect();
                    reach.push((group.clients.intersection(&e.addresses), ts));
                }
            }
            for (from, transports) in reach {
                if transports.is_empty() || from.is_empty() {
                    continue;
                }
                clauses.push(Clause::Flows(FlowClause {
                    label: format!("`{}` is reachable from its clients", group.name),
                    from,
                    to: self.eff_of_group(g),
                    transports,
                    profiles: pairs(&profiles, &profiles),
                    observe: Observe::Flow,
                    expect: Verdict::Allow,
                    exempt: Vec::new(),
                }));
            }
        }
        for g in self.groups_where(|g| g.role.hosts_shares()) {
            let group = &self.estate.groups[g];
            let to = self.eff_of_group(g);
            let mut exempt = vec![Exemption {
                name: if group.role == Role::DomainController
                    && group.clients.is_empty()
                    && group.client_groups.is_empty()
                {
                    "the internal network (a DC without `clients`)".to_string()
                } else {
                    format!("the clients of `{}`", group.name)
                },
                from: server_clients(self.estate, group),
                to: to.clone(),
                transports: self.plan.transports.clone(),
            }];
            exempt.extend(self.management_into(g));
            let exempt = merge_exemptions(exempt);
            clauses.push(Clause::Flows(FlowClause {
                label: format!(
                    "`{}` accepts SMB only from its clients and management hosts",
                    group.name
                ),
                from: AddrSet::any(),
                to: to.clone(),
                transports: self.plan.transports.clone(),
                profiles: all_profile_pairs(),
                observe: Observe::DestinationInbound,
                expect: Verdict::Block,
                exempt,
            }));
            if group.platform == Platform::Windows {
                clauses.push(Clause::Flows(FlowClause {
                    label: format!("`{}` accepts nothing on the Public profile", group.name),
                    from: AddrSet::any(),
                    to,
                    transports: self.plan.transports.clone(),
                    profiles: pairs(&Profile::ALL, &[Profile::Public]),
                    observe: Observe::DestinationInbound,
                    expect: Verdict::Block,
                    exempt: Vec::new(),
                }));
            } else {
                notes.push(format!(
                    "`{}` is a Linux host: it has no firewall profiles, so the Public-profile clause does not apply to it",
                    group.name
                ));
            }
        }
        Invariant {
            id: "I4".into(),
            title: "Each file server is reachable from its clients and from nobody else; DCs and file servers accept nothing on the Public profile".into(),
            kb: vec![KbRow::K5],
            user: false,
            clauses,
            notes,
        }
    }

    fn i7(&self) -> Invariant {
        let managed = union_of(self.eff.iter());
        // KB3185535's outbound rules are for hosts "that do not host SMB
        // Shares": DCs and file servers are sources only with `outbound-block`.
        let sources = self.groups_where(|g| g.role != Role::Isolated && g.blocks_outbound());
        let mut notes = vec![
            "isolated hosts are covered by I2; SMB between groups by I1, I2 and I4".to_string(),
        ];
        for g in self.estate.groups.iter().filter(|g| !g.blocks_outbound()) {
            notes.push(format!(
                "{} ({}) hosts shares and has no `outbound-block = true`: out of this invariant's scope, it can open SMB to any address, as KB3185535's scope leaves it",
                g.name,
                g.role.as_str()
            ));
        }
        let from = union_of(
            sources
                .iter()
                .map(|&g| self.eff_of_group(g))
                .collect::<Vec<_>>()
                .iter(),
        );
        let exempt = self
            .estate
            .perimeter_allow
            .iter()
            .filter(|e| matches!(e.direction, Crossing::Outbound | Crossing::Both))
            .map(|e| Exemption {
                name: format!("perimeter exception `{}`", e.name),
                from: from.clone(),
                to: e.addresses.clone(),
                transports: e.transports.clone(),
            })
            .collect();
        Invariant {
            id: "I7".into(),
            title: "No host opens SMB to an address outside the estate's groups (a rogue server inside the network or on the internet), except the declared cloud endpoints".into(),
            kb: vec![KbRow::K6],
            user: false,
            clauses: vec![Clause::Flows(FlowClause {
                label: "hosts (isolated ones aside) → addresses in no group, cloud endpoints aside"
                    .into(),
                from,
                to: managed.complement(),
                transports: self.plan.transports.clone(),
                profiles: all_profile_pairs(),
                observe: Observe::SourceOutbound,
                expect: Verdict::Block,
                exempt: merge_exemptions(exempt),
            })],
            notes,
        }
    }

    fn i5(&self) -> Invariant {
        let internal = self.estate.internal.clone();
        // Link-local, loopback and multicast addresses are never internet.
        let external = internal.complement().difference(&AddrSet::local_scope());
        let mut out_exempt = Vec::new();
        let mut in_exempt = Vec::new();
        for e in &self.estate.perimeter_allow {
            if matches!(e.direction, Crossing::Outbound | Crossing::Both) {
                out_exempt.push(Exemption {
                    name: format!("perimeter exception `{}` (outbound)", e.name),
                    from: internal.clone(),
                    to: e.addresses.clone(),
                    transports: e.transports.clone(),
                });
            }
            if matches!(e.direction, Crossing::Inbound | Crossing::Both) {
                in_exempt.push(Exemption {
                    name: format!("perimeter exception `{}` (inbound)", e.name),
                    from: e.addresses.clone(),
                    to: internal.clone(),
                    transports: e.transports.clone(),
                });
            }
        }
        // The perimeter has no profiles: one pair stands for all.
        let clause = |label: &str, from: AddrSet, to: AddrSet, exempt: Vec<Exemption>| {
            Clause::Flows(FlowClause {
                label: label.into(),
                from,
                to,
                transports: self.plan.transports.clone(),
                profiles: vec![Profiles::both(Profile::Domain)],
                observe: Observe::Perimeter,
                expect: Verdict::Block,
                exempt,
            })
        };
        Invariant {
            id: "I5".into(),
            title: "Nothing crosses the perimeter on SMB or NetBIOS except the declared cloud endpoints, in their declared direction".into(),
            kb: vec![KbRow::K1, KbRow::K2],
            user: false,
            clauses: vec![
                clause("internal → internet", internal.clone(), external.clone(), out_exempt),
                clause("internet → internal", external, internal, in_exempt),
            ],
            notes: vec!["the perimeter ACL has no profiles; the verdict holds for all of them".into()],
        }
    }
}
