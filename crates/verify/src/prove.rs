//! Running invariants: search every context with the symbolic engine, then
//! confirm each counterexample, and illustrate each proof, with the very
//! `check_flow` that `smbguard check` uses.

use std::collections::HashSet;
use std::rc::Rc;

use smbguard_model::ServiceState;
use smbguard_semantics::{
    Flow, FlowReport, HostRules, Plan, Profiles, StageKind, Verdict, check_flow,
};

use crate::engine::{Ctx, Engine, PrefsOf, Prepared};
use crate::fam::Fam;
use crate::report::{
    DecisiveRule, Evidence, Failure, InvariantResult, IsolationRef, ServiceViolation, Status,
};
use crate::space::{port_rep, profile_index};
use crate::spec::{Clause, FlowClause, Invariant, Observe};

/// The verdict of `report` at the stage `observe` constrains.
pub fn observed(report: &FlowReport, observe: Observe) -> Verdict {
    let Some(stage) = observe.stage() else {
        return report.verdict;
    };
    report
        .stages
        .iter()
        .find(|s| s.stage == stage)
        .map_or(Verdict::Allow, |s| s.verdict())
}

/// The decisive rule of every stage of a report.
pub fn decisive_rules(report: &FlowReport) -> Vec<DecisiveRule> {
    let mut out = Vec::new();
    for s in &report.stages {
        if let Some(d) = &s.decision {
            for m in d.matched.iter().filter(|m| m.decisive) {
                out.push(DecisiveRule {
                    stage: s.stage,
                    group: s.group.clone(),
                    id: m.id.clone(),
                    name: m.name.clone(),
                    action: m.action.clone(),
                    kb: m.kb,
                    note: m.note.clone(),
                });
            }
        }
    }
    out
}

fn stage_name(k: StageKind) -> &'static str {
    match k {
        StageKind::SourceOutbound => "source outbound",
        StageKind::Perimeter => "perimeter",
        StageKind::DestinationInbound => "destination inbound",
    }
}

fn explain(report: &FlowReport, cl: &FlowClause, got: Verdict) -> String {
    let f = &report.flow;
    let head = format!(
        "{} -> {} {} (profiles {}/{})",
        f.source, f.destination, f.transport, report.profiles.source, report.profiles.destination
    );
    if got == Verdict::Allow {
        let stages: Vec<&str> = match cl.observe {
            Observe::Flow => report.stages.iter().map(|s| s.summary.as_str()).collect(),
            _ => report
                .stages
                .iter()
                .filter(|s| Some(s.stage) == cl.observe.stage())
                .map(|s| s.summary.as_str())
                .collect(),
        };
        format!(
            "{head} is allowed {} but must be blocked: {}",
            cl.observe.as_str(),
            stages.join("; ")
        )
    } else {
        let Some(stage) = report.stages.iter().find(|s| {
            s.verdict() == Verdict::Block && cl.observe.stage().is_none_or(|k| k == s.stage)
        }) else {
            return format!("{head} must be allowed");
        };
        let mut text = format!(
            "{head} must be allowed but the {} stage blocks it: {}",
            stage_name(stage.stage),
            stage.summary
        );
        if let Some(d) = &stage.decision {
            for m in d
                .matched
                .iter()
                .filter(|m| m.action == "bypass" && !m.decisive)
            {
                text.push_str(&format!(
                    "; bypass \"{}\" did not apply: {}",
                    m.name, m.note
                ));
            }
        }
        text
    }
}

/// Source-port classes in search order: the one holding port 50000 first,
/// then the ephemeral range, then the rest.
fn port_order(classes: &[(u16, u16)], scope: (u16, u16)) -> Vec<u16> {
    let mut reps: Vec<u16> = classes.iter().filter_map(|&c| port_rep(c, scope)).collect();
    reps.sort_by_key(|&p| (p != Flow::EPHEMERAL_PORT, p < crate::spec::EPHEMERAL_LOW, p));
    reps
}

pub(crate) struct Prover<'e, 's, 'p> {
    pub(crate) engine: &'e mut Engine<'s, 'p>,
    pub(crate) evidence_limit: usize,
}

impl Prover<'_, '_, '_> {
    fn plan(&self) -> &Plan {
        self.engine.space.plan
    }

    pub(crate) fn run(&mut self, inv: &Invariant) -> InvariantResult {
        let mut failures = Vec::new();
        let mut contexts = 0;
        let mut proof = Vec::new();
        let mut src_classes = 0;
        let mut dst_classes = 0;
        for clause in &inv.clauses {
            match clause {
                Clause::Services => failures.extend(self.services()),
                Clause::Flows(cl) => {
                    let p4: Prepared<u32> = self.engine.prepare(cl);
                    let p6: Prepared<u128> = self.engine.prepare(cl);
                    src_classes += p4.src_count() + p6.src_count();
                    dst_classes += p4.dst_count() + p6.dst_count();
                    let before = failures.len();
                    self.flows(cl, &p4, &p6, &mut failures, &mut contexts);
                    if failures.len() == before && proof.len() < self.evidence_limit {
                        let room = self.evidence_limit - proof.len();
                        proof.extend(self.evidence(cl, &p4, &p6, room));
                    }
                }
            }
        }
        let status = if failures.is_empty() {
            Status::Pass
        } else {
            Status::Fail
        };
        let summary = if let Some(f) = failures.first() {
            format!(
                "{} counterexample(s) over {} clause(s), {} context(s) checked; first: {}",
                failures.len(),
                inv.clauses.len(),
                contexts,
                f.explanation
            )
        } else if inv.clauses.iter().all(|c| matches!(c, Clause::Services)) {
            format!(
                "{} service setting(s) checked on {} group(s)",
                self.plan()
                    .hosts
                    .iter()
                    .filter_map(|h| h.windows())
                    .map(|w| w.services.len())
                    .sum::<usize>(),
                self.plan().hosts.len()
            )
        } else {
            format!(
                "proved for every address in scope: {} clause(s), {} context(s) (transport × profile pair × source-port class), {} source and {} destination classes walked, all other addresses by interval algebra",
                inv.clauses.len(),
                contexts,
                src_classes,
                dst_classes
            )
        };
        InvariantResult {
            id: inv.id.clone(),
            title: inv.title.clone(),
            kb: inv.kb.clone(),
            user: inv.user,
            status,
            summary,
            clauses: inv.clauses.len(),
            contexts,
            failures,
            proof: if status == Status::Pass {
                proof
            } else {
                Vec::new()
            },
            notes: inv.notes.clone(),
        }
    }

    fn flows(
        &mut self,
        cl: &FlowClause,
        p4: &Prepared<u32>,
        p6: &Prepared<u128>,
        failures: &mut Vec<Failure>,
        contexts: &mut usize,
    ) {
        let ports = port_order(&self.engine.space.port_classes, cl.source_ports());
        for &t in &cl.transports {
            let (i4, i6) = if matches!(
                cl.observe,
                Observe::DestinationInbound | Observe::SourceOutbound
            ) {
                (
                    self.engine.stage_classes(cl, p4, t),
                    self.engine.stage_classes(cl, p6, t),
                )
            } else {
                (Vec::new(), Vec::new())
            };
            let mut first: Option<(Flow, Profiles)> = None;
            let mut also = Vec::new();
            let mut perimeter_result: Option<Option<Flow>> = None;
            // A single stage depends on the peer's profile only through the
            // peer's IPsec ability: equivalent peer profiles share a result.
            let mut stage_memo: Vec<((usize, usize), Option<Flow>)> = Vec::new();
            for &pair in &cl.profiles {
                let mut found: Option<Flow> = None;
                let stage_key = match cl.observe {
                    Observe::DestinationInbound => Some((
                        profile_index(pair.destination),
                        self.engine.space.peer_class[profile_index(pair.source)],
                    )),
                    Observe::SourceOutbound => Some((
                        profile_index(pair.source),
                        self.engine.space.peer_class[profile_index(pair.destination)],
                    )),
                    _ => None,
                };
                if let Some(done) = stage_key
                    .and_then(|k| stage_memo.iter().find(|(m, _)| *m == k))
                    .map(|(_, f)| *f)
                {
                    *contexts += ports.len();
                    found = done;
                } else if cl.observe == Observe::Perimeter {
                    // The perimeter has no profiles and ignores the source port.
                    *contexts += 1;
                    if perimeter_result.is_none() {
                        let ctx = Ctx {
                            t,
                            ps: pair.source,
                            pd: pair.destination,
                            port: Flow::EPHEMERAL_PORT,
                            edge: false,
                        };
                        perimeter_result = Some(self.search(cl, p4, p6, &i4, &i6, &ctx));
                    }
                    found = perimeter_result.flatten();
                } else {
                    for &port in &ports {
                        *contexts += 1;
                        let ctx = Ctx {
                            t,
                            ps: pair.source,
                            pd: pair.destination,
                            port,
                            edge: false,
                        };
                        if let Some(f) = self.search(cl, p4, p6, &i4, &i6, &ctx) {
                            found = Some(f);
                            break;
                        }
                    }
                    if let Some(k) = stage_key {
                        stage_memo.push((k, found));
                    }
                }
                if let Some(f) = found {
                    if first.is_none() {
                        first = Some((f, pair));
                    } else {
                        also.push(pair);
                    }
                }
            }
            if let Some((flow, profiles)) = first {
                failures.push(self.failure(cl, flow, profiles, also));
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn search(
        &mut self,
        cl: &FlowClause,
        p4: &Prepared<u32>,
        p6: &Prepared<u128>,
        i4: &[(u32, u32, Rc<smbguard_model::IntervalSet<u32>>)],
        i6: &[(u32, u128, Rc<smbguard_model::IntervalSet<u128>>)],
        ctx: &Ctx,
    ) -> Option<Flow> {
        let mk = |s: std::net::IpAddr, d: std::net::IpAddr| Flow {
            source: s,
            destination: d,
            transport: ctx.t,
            source_port: ctx.port,
        };
        if let Some((s, d)) = self.engine.violation(cl, p4, i4, ctx) {
            return Some(mk(s.ip(), d.ip()));
        }
        if let Some((s, d)) = self.engine.violation(cl, p6, i6, ctx) {
            return Some(mk(s.ip(), d.ip()));
        }
        None
    }

    fn failure(
        &self,
        cl: &FlowClause,
        flow: Flow,
        profiles: Profiles,
        also_in: Vec<Profiles>,
    ) -> Failure {
        let report = check_flow(self.plan(), &flow, profiles);
        let got = observed(&report, cl.observe);
        let reproduced = got != cl.expect && cl.covers(&flow, profiles);
        debug_assert!(
            reproduced,
            "verifier counterexample not reproduced by check_flow: {flow:?} {profiles:?} for {}",
            cl.label
        );
        Failure {
            clause: cl.label.clone(),
            explanation: explain(&report, cl, got),
            observe: cl.observe,
            expected: cl.expect,
            observed: got,
            flow: Some(flow),
            profiles: Some(profiles),
            also_in,
            decisive: decisive_rules(&report),
            trace: Some(report),
            reproduced,
            service: None,
        }
    }

    /// I6 on the plan's service settings.
    fn services(&self) -> Vec<Failure> {
        let mut out = Vec::new();
        for h in &self.plan().hosts {
            let HostRules::Windows(w) = &h.rules else {
                continue;
            };
            for s in &w.services {
                if s.state != ServiceState::Disabled {
                    continue;
                }
                // K8 forbids two things only; disabling Server on a host
                // without shares (a member) is allowed hardening (issue 13).
                let mut why = Vec::new();
                if s.service == "LanmanServer" && h.role.hosts_shares() {
                    why.push(format!(
                        "never disable the Server service on a {}: clients could no longer apply Group Policy or reach their data",
                        h.role.as_str()
                    ));
                }
                if s.service == "LanmanWorkstation" && h.domain_joined {
                    why.push(
                        "never disable the Workstation service on a domain member: it would no longer apply Group Policy"
                            .to_string(),
                    );
                }
                if why.is_empty() {
                    continue;
                }
                out.push(Failure {
                    clause: format!("`{}`: {} disabled", h.group, s.service),
                    explanation: format!(
                        "`{}` disables {}: {}",
                        h.group,
                        s.service,
                        why.join("; ")
                    ),
                    observe: Observe::DestinationInbound,
                    expected: Verdict::Allow,
                    observed: Verdict::Block,
                    flow: None,
                    profiles: None,
                    also_in: Vec::new(),
                    decisive: Vec::new(),
                    trace: None,
                    reproduced: true,
                    service: Some(ServiceViolation {
                        group: h.group.clone(),
                        role: h.role,
                        domain_joined: h.domain_joined,
                        service: s.service.to_string(),
                        state: s.state,
                    }),
                });
            }
        }
        out
    }

    /// Representative flows of a passing clause and what decides them.
    fn evidence(
        &mut self,
        cl: &FlowClause,
        p4: &Prepared<u32>,
        p6: &Prepared<u128>,
        room: usize,
    ) -> Vec<Evidence> {
        let Some(&t) = cl.transports.first() else {
            return Vec::new();
        };
        let Some(&profiles) = cl.profiles.first() else {
            return Vec::new();
        };
        let port = if (cl.source_ports().0..=cl.source_ports().1).contains(&Flow::EPHEMERAL_PORT) {
            Flow::EPHEMERAL_PORT
        } else {
            cl.source_ports().0
        };
        let ctx = Ctx {
            t,
            ps: profiles.source,
            pd: profiles.destination,
            port,
            edge: false,
        };
        let mut pairs: Vec<(std::net::IpAddr, std::net::IpAddr)> = Vec::new();
        self.sample_pairs(cl, p4, &ctx, room, &mut pairs);
        if pairs.len() < room {
            self.sample_pairs(cl, p6, &ctx, room - pairs.len(), &mut pairs);
        }
        pairs
            .into_iter()
            .map(|(s, d)| {
                let flow = Flow {
                    source: s,
                    destination: d,
                    transport: t,
                    source_port: port,
                };
                self.illustrate(cl, flow, profiles)
            })
            .collect()
    }

    /// Up to `room` covered, non-exempt pairs, one per (source group, destination group).
    fn sample_pairs<T: Fam + PrefsOf>(
        &mut self,
        cl: &FlowClause,
        prep: &Prepared<T>,
        ctx: &Ctx,
        room: usize,
        out: &mut Vec<(std::net::IpAddr, std::net::IpAddr)>,
    ) {
        let space = self.engine.space;
        let want = out.len() + room;
        match cl.observe {
            Observe::Perimeter => {
                let ex: Vec<_> = cl.exempt.iter().filter(|e| e.covers(ctx.t)).collect();
                if let Some((s, d)) = self.engine.pair_at_perimeter(
                    prep.from(),
                    prep.to(),
                    ctx.t,
                    &ex,
                    cl.expect,
                    true,
                ) {
                    out.push((s.ip(), d.ip()));
                }
            }
            Observe::DestinationInbound | Observe::SourceOutbound => {
                let mut seen = HashSet::new();
                for (u, here, x) in self.engine.stage_classes(cl, prep, ctx.t) {
                    if out.len() >= want {
                        break;
                    }
                    let host = space.units[u as usize].host;
                    if !seen.insert(host) {
                        continue;
                    }
                    let prefs = T::prefs(self.engine);
                    let peer = crate::space::pick(
                        &x,
                        &[prefs.unmanaged_internal(), prefs.internal()],
                        here,
                    );
                    if let Some(peer) = peer {
                        out.push(if cl.observe == Observe::SourceOutbound {
                            (here.ip(), peer.ip())
                        } else {
                            (peer.ip(), here.ip())
                        });
                    }
                }
            }
            Observe::Flow => {
                let mut seen = HashSet::new();
                for (us, ss) in prep.src_units() {
                    for (ud, dd) in prep.dst_units() {
                        if out.len() >= want {
                            return;
                        }
                        let key = (
                            space.units[*us as usize].host,
                            space.units[*ud as usize].host,
                        );
                        if seen.contains(&key) {
                            continue;
                        }
                        // A non-exempt pair of distinct addresses, when there is one.
                        let pick = ss.intervals().iter().find_map(|&(slo, _)| {
                            let s = slo.ip();
                            dd.intervals().iter().find_map(|&(dlo, dhi)| {
                                let d = if dlo == slo && dhi > dlo {
                                    dlo.succ().unwrap_or(dlo)
                                } else {
                                    dlo
                                };
                                (!cl.exempted(ctx.t, s, d.ip())).then_some((s, d.ip()))
                            })
                        });
                        if let Some(p) = pick {
                            seen.insert(key);
                            out.push(p);
                        }
                    }
                }
            }
        }
    }

    fn illustrate(&self, cl: &FlowClause, flow: Flow, profiles: Profiles) -> Evidence {
        let report = check_flow(self.plan(), &flow, profiles);
        let verdict = observed(&report, cl.observe);
        let decided_by = decisive_rules(&report);
        let relevant: Vec<&DecisiveRule> = decided_by
            .iter()
            .filter(|r| cl.observe.stage().is_none_or(|k| k == r.stage))
            .collect();
        let name_of = |s: StageKind| -> String {
            report
                .stages
                .iter()
                .find(|x| x.stage == s)
                .and_then(|x| x.group.clone())
                .unwrap_or_else(|| "an address in no group".into())
        };
        let mut isolation = Vec::new();
        let bypass = relevant.iter().any(|r| r.action == "bypass");
        if bypass {
            for (stage, profile) in [
                (StageKind::SourceOutbound, profiles.source),
                (StageKind::DestinationInbound, profiles.destination),
            ] {
                let Some(group) = report
                    .stages
                    .iter()
                    .find(|x| x.stage == stage)
                    .and_then(|x| x.group.clone())
                else {
                    continue;
                };
                if let Some(w) = self
                    .plan()
                    .hosts
                    .iter()
                    .find(|h| h.group == group)
                    .and_then(|h| h.windows())
                {
                    for c in w
                        .connection_security
                        .iter()
                        .filter(|c| c.enabled && c.profiles.contains(profile))
                    {
                        isolation.push(IsolationRef {
                            group: group.clone(),
                            id: c.id.clone(),
                            name: c.name.clone(),
                        });
                    }
                }
            }
        }
        let f = &flow;
        let mut text = format!(
            "{} ({}) -> {} ({}) {}: {} {}",
            f.source,
            name_of(StageKind::SourceOutbound),
            f.destination,
            name_of(StageKind::DestinationInbound),
            f.transport,
            verdict.as_str(),
            cl.observe.as_str()
        );
        let parts: Vec<String> = relevant
            .iter()
            .map(|r| {
                format!(
                    "{} {} \"{}\" [{}]",
                    stage_name(r.stage),
                    r.action,
                    r.name,
                    r.id
                )
            })
            .collect();
        if parts.is_empty() {
            text.push_str(
                "; no rule matches, so the profile default or the absence of a policy decides",
            );
        } else {
            text.push_str(&format!("; decided by {}", parts.join(", ")));
        }
        if bypass {
            if isolation.is_empty() {
                text.push_str("; the bypass has no connection security rule to rely on");
            } else {
                let cites: Vec<String> = isolation
                    .iter()
                    .map(|c| format!("\"{}\" [{}] on `{}`", c.name, c.id, c.group))
                    .collect();
                text.push_str(&format!(
                    "; the authenticated bypass holds only because the isolation rule is on both ends: {}",
                    cites.join(" and ")
                ));
            }
        }
        Evidence {
            text,
            flow,
            profiles,
            verdict,
            decided_by,
            isolation,
        }
    }
}
