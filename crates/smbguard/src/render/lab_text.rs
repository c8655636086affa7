//! `smbguard lab`'s text report: the hosts, the audit of their live
//! rulesets, one predicted-beside-observed matrix per transport, family and
//! SMB session kind, the differences. Strings read back from the hosts'
//! rulesets go through `esc`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use smbguard_lab::matrix::{Family, Probe, Session, SessionKind, SessionOutcome};
use smbguard_lab::topology::{HostKind, LabHost};
use smbguard_lab::{LabReport, LiveAudit};
use smbguard_model::Transport;
use smbguard_semantics::Verdict;

use super::term::esc;

fn addrs(h: &LabHost) -> String {
    let mut parts = Vec::new();
    if let Some(a) = h.v4 {
        parts.push(a.to_string());
    }
    if let Some(a) = h.v6 {
        parts.push(a.to_string());
    }
    parts.join(" ")
}

fn what(h: &LabHost) -> String {
    match h.kind {
        HostKind::Internet => "internet host (no policy)".into(),
        HostKind::Cloud => "cloud endpoint (perimeter exception)".into(),
        HostKind::Group => {
            let role = h.role.map_or("", |r| r.as_str());
            let platform = match h.platform {
                Some(smbguard_model::Platform::Linux) => "linux".to_string(),
                _ => format!("windows, {}", h.prediction_profile()),
            };
            format!("{role} ({platform})")
        }
    }
}

fn smb(h: &LabHost) -> String {
    match &h.smb {
        Some(s) if s.encryption_required => {
            format!(
                "smbd //{}: min {}, encryption required",
                s.share, s.min_protocol
            )
        }
        Some(s) => format!("smbd //{}: min {}", s.share, s.min_protocol),
        None => String::new(),
    }
}

fn verdict_mark(v: Verdict) -> char {
    match v {
        Verdict::Allow => '+',
        Verdict::Block => '.',
    }
}

fn session_mark(o: SessionOutcome) -> char {
    match o {
        SessionOutcome::Established => 'E',
        SessionOutcome::Refused => 'R',
        SessionOutcome::Unreachable => '.',
        SessionOutcome::Failed => 'F',
    }
}

/// One cell of a predicted-beside-observed matrix.
enum Cell {
    /// A host and itself.
    Diagonal,
    /// Not probed.
    Empty,
    /// The predicted and observed marks.
    Marks {
        predicted: char,
        observed: char,
        differs: bool,
    },
}

/// The one matrix printer: a row per host of `rows`, a column per header of
/// `columns` (each as wide as the widest header, plus a space), predicted
/// on the left, observed on the right with `!` where they differ.
fn matrix(
    out: &mut String,
    title: &str,
    rows: &[&LabHost],
    columns: &[String],
    cell: impl Fn(&LabHost, usize) -> Cell,
) {
    let cw = columns.iter().map(String::len).max().unwrap_or(1) + 1;
    let w = (columns.len() * cw).max(9);
    let _ = writeln!(out, "\n{title}  {:<w1$}  observed", "predicted", w1 = w + 1);
    let header: String = columns.iter().map(|c| format!("{c:<cw$}")).collect();
    let line = format!("  from\\to  {header:<w$}  {header}");
    let _ = writeln!(out, "{}", line.trim_end());
    for s in rows {
        let (mut pred, mut obs) = (String::new(), String::new());
        for col in 0..columns.len() {
            let (p, o) = match cell(s, col) {
                Cell::Diagonal => ("-".to_string(), "-".to_string()),
                Cell::Empty => (String::new(), String::new()),
                Cell::Marks {
                    predicted,
                    observed,
                    differs,
                } => (
                    predicted.to_string(),
                    format!("{observed}{}", if differs { "!" } else { "" }),
                ),
            };
            let _ = write!(pred, "{p:<cw$}");
            let _ = write!(obs, "{o:<cw$}");
        }
        let line = format!("  {:<8} {pred:<w$}  {obs}", s.label);
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// One transport and family: every host with an address in it, both ways.
fn transport_matrix(out: &mut String, r: &LabReport, t: Transport, fam: Family) {
    let cells: BTreeMap<(&str, &str), &Probe> = r
        .probes
        .iter()
        .filter(|p| p.transport == t && p.family == fam)
        .map(|p| ((p.source.as_str(), p.destination.as_str()), p))
        .collect();
    if cells.is_empty() {
        return;
    }
    let hosts: Vec<&LabHost> = r
        .hosts
        .iter()
        .filter(|h| h.addr(fam.is_v6()).is_some())
        .collect();
    let columns: Vec<String> = hosts.iter().map(|h| h.label.to_string()).collect();
    let title = format!("{t} {}", fam.as_str());
    matrix(out, &title, &hosts, &columns, |s, col| {
        let d = hosts[col];
        match cells.get(&(s.name.as_str(), d.name.as_str())) {
            None if s.name == d.name => Cell::Diagonal,
            None => Cell::Empty,
            Some(p) => Cell::Marks {
                predicted: verdict_mark(p.predicted),
                observed: verdict_mark(p.observed.verdict()),
                differs: p.differs,
            },
        }
    });
}

/// One session kind: every host to every smbd, a column per server and family.
fn session_matrix(out: &mut String, r: &LabReport, kind: SessionKind) {
    let cells: BTreeMap<(&str, &str, Family), &Session> = r
        .sessions
        .iter()
        .filter(|s| s.kind == kind)
        .map(|s| ((s.source.as_str(), s.destination.as_str(), s.family), s))
        .collect();
    if cells.is_empty() {
        return;
    }
    let servers: Vec<(&LabHost, Family)> = r
        .hosts
        .iter()
        .filter(|h| h.smb.is_some())
        .flat_map(|h| Family::BOTH.map(|f| (h, f)))
        .filter(|(h, f)| h.addr(f.is_v6()).is_some())
        .collect();
    let columns: Vec<String> = servers
        .iter()
        .map(|(h, f)| format!("{}{}", h.label, if f.is_v6() { '6' } else { '4' }))
        .collect();
    let rows: Vec<&LabHost> = r.hosts.iter().collect();
    matrix(out, kind.as_str(), &rows, &columns, |s, col| {
        let (d, fam) = servers[col];
        match cells.get(&(s.name.as_str(), d.name.as_str(), fam)) {
            Some(c) => Cell::Marks {
                predicted: session_mark(c.predicted),
                observed: session_mark(c.observed),
                differs: c.differs,
            },
            None if s.name == d.name => Cell::Diagonal,
            None => Cell::Empty,
        }
    });
}

fn secs(ms: u64) -> String {
    format!("{}.{} s", ms / 1000, (ms % 1000) / 100)
}

/// The text report.
pub(crate) fn render_text(r: &LabReport) -> String {
    let mut out = String::new();
    hosts_section(&mut out, r);
    live_audit_section(&mut out, r);
    out.push_str("\nTransports: rows from, columns to; + delivered (allowed), . dropped (blocked), ! observed differs from predicted\n");
    for &t in &r.transports {
        for fam in Family::BOTH {
            transport_matrix(&mut out, r, t, fam);
        }
    }
    out.push_str("\nSMB sessions (real smbclient on tcp/445; columns: server and IP version): E established, R refused by the server (dialect), . unreachable, F failed otherwise\n");
    for kind in [SessionKind::Smb3Encrypted, SessionKind::Smb1] {
        session_matrix(&mut out, r, kind);
    }
    ungoverned_section(&mut out, r);
    differences_section(&mut out, r);
    result_section(&mut out, r);
    out
}

/// The title, the notes, and one line per host and for the router.
fn hosts_section(out: &mut String, r: &LabReport) {
    let _ = writeln!(
        out,
        "smbguard lab: estate \"{}\", {} hosts, workstations in the {} profile",
        r.estate,
        r.hosts.len(),
        r.workstation_profile
    );
    for n in &r.notes {
        let _ = writeln!(out, "note: {n}");
    }
    for n in &r.not_exercised {
        let _ = writeln!(out, "not exercised: {n}");
    }
    out.push_str("\nHosts (each in its own network namespace)\n");
    let name_w = r.hosts.iter().map(|h| h.name.len()).max().unwrap_or(8);
    let what_w = r.hosts.iter().map(|h| what(h).len()).max().unwrap_or(8);
    let addr_w = r.hosts.iter().map(|h| addrs(h).len()).max().unwrap_or(8);
    for h in &r.hosts {
        let line = format!(
            "  {}  {:<name_w$}  {:<what_w$}  {:<addr_w$}  {}",
            h.label,
            h.name,
            what(h),
            addrs(h),
            smb(h)
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let rt = &r.router;
    let side = |a: Option<std::net::Ipv4Addr>, b: Option<std::net::Ipv6Addr>| {
        [a.map(|x| x.to_string()), b.map(|x| x.to_string())]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let _ = writeln!(
        out,
        "  perimeter router (forward chain): internal {} | internet {}",
        side(rt.internal_v4, rt.internal_v6),
        side(rt.external_v4, rt.external_v6)
    );
}

/// One line on the audit of the live rulesets, then each finding with the
/// rules it names, and what the reader could not model.
fn live_audit_section(out: &mut String, r: &LabReport) {
    let hosts = r.live_audit.iter().filter(|a| a.group.is_some()).count();
    let router = if r.live_audit.iter().any(|a| a.group.is_none()) {
        " and the perimeter router"
    } else {
        ""
    };
    let flagged: Vec<&LiveAudit> = r.live_audit.iter().filter(|a| !a.clean()).collect();
    let verdict = if flagged.is_empty() {
        "clean".to_string()
    } else {
        let names: Vec<&str> = flagged.iter().map(|a| a.host.as_str()).collect();
        format!(
            "{} FINDING(S) on {}",
            r.live_findings(),
            esc(&names.join(", "))
        )
    };
    let _ = writeln!(
        out,
        "\nAudit of the live hosts (`nft -j list ruleset` in each namespace after `apply`, judged against the plan): {hosts} hosts{router}, {verdict}"
    );
    for a in &flagged {
        let group = a.group.as_deref().unwrap_or("the perimeter");
        for f in &a.audit.findings {
            let _ = writeln!(
                out,
                "  ! {} ({}): [{}] {} {}: {}",
                esc(&a.host),
                esc(group),
                f.severity.as_str(),
                f.code.id(),
                f.slug,
                esc(&f.title)
            );
            for rule in &f.evidence.rules {
                let _ = writeln!(out, "      rule \"{}\" ({})", esc(&rule.name), rule.action);
            }
        }
    }
    for a in &r.live_audit {
        for n in &a.audit.notes {
            let _ = writeln!(
                out,
                "  note {}: {} {}: {}",
                esc(&a.host),
                n.code.id(),
                esc(&n.location),
                esc(&n.message)
            );
        }
    }
}

/// One line on the traffic the plan does not govern.
fn ungoverned_section(out: &mut String, r: &LabReport) {
    let delivered = r.ungoverned.iter().filter(|p| !p.differs).count();
    let mut ports: Vec<String> = r
        .ungoverned
        .iter()
        .map(|p| p.transport.to_string())
        .collect();
    ports.sort();
    ports.dedup();
    let mut dsts: Vec<String> = r.ungoverned.iter().map(|p| p.destination.clone()).collect();
    dsts.sort();
    dsts.dedup();
    let _ = writeln!(
        out,
        "\nTraffic outside the plan ({} to {}): {} probes, {} passed the plan's rules as expected",
        ports.join(", "),
        dsts.join(", "),
        r.ungoverned.len(),
        delivered
    );
    let blocked = r
        .ungoverned
        .iter()
        .filter(|p| p.check == Some(Verdict::Block))
        .count();
    if blocked > 0 {
        let _ = writeln!(
            out,
            "  not compared with `check`, which predicts {blocked} of them blocked on the real hosts by what the lab's stand-ins do not model (a Windows profile's default inbound action)"
        );
    }
}

/// Every difference, one line each.
fn differences_section(out: &mut String, r: &LabReport) {
    let diffs: Vec<String> = r
        .probes
        .iter()
        .chain(&r.ungoverned)
        .filter(|p| p.differs)
        .map(|p| {
            format!(
                "  ! {} {} {} ({}) -> {} ({}): predicted {} [{}], observed {} [{}]",
                p.transport,
                p.family.as_str(),
                p.source,
                p.from,
                p.destination,
                p.to,
                p.predicted.as_str(),
                p.predicted_by,
                p.observed.verdict().as_str(),
                p.detail
            )
        })
        .chain(r.sessions.iter().filter(|s| s.differs).map(|s| {
            format!(
                "  ! {} {} {} -> {}: predicted {}, observed {} [{}]",
                s.kind.as_str(),
                s.family.as_str(),
                s.source,
                s.destination,
                s.predicted.as_str(),
                s.observed.as_str(),
                s.detail
            )
        }))
        .collect();
    if !diffs.is_empty() {
        let _ = writeln!(out, "\nDifferences ({})", diffs.len());
        for d in &diffs {
            let _ = writeln!(out, "{d}");
        }
    }
}

/// The verdict, the timings, and what `--keep` left.
fn result_section(out: &mut String, r: &LabReport) {
    let t = &r.timings;
    let compared = if r.differences() == 0 {
        "observed == predicted".to_string()
    } else {
        format!("{} DIFFERENCE(S)", r.differences())
    };
    let audited = match r.live_findings() {
        0 => "live rulesets audit clean".to_string(),
        n => format!("{n} LIVE RULESET FINDING(S)"),
    };
    let _ = writeln!(
        out,
        "\nresult: {} transport probes, {} SMB sessions, {} ungoverned probes: {compared}; {audited}",
        r.probes.len(),
        r.sessions.len(),
        r.ungoverned.len(),
    );
    let _ = writeln!(
        out,
        "time: setup {}, audit {}, probes {}, sessions {}, teardown {}, total {}",
        secs(t.setup_ms),
        secs(t.audit_ms),
        secs(t.probes_ms),
        secs(t.sessions_ms),
        secs(t.teardown_ms),
        secs(t.total_ms)
    );
    if let Some(k) = &r.kept {
        let _ = writeln!(
            out,
            "\nkept (--keep): namespaces {}; smbd process groups {:?}; files in {}\n  (the TCP listeners and UDP responders ended with this process)\n  remove with: {}",
            k.netns.join(" "),
            k.smbd_process_groups,
            k.dir.display(),
            k.cleanup
        );
    }
}

#[cfg(test)]
mod tests {
    //! The text report of a constructed lab run (no root, no namespaces):
    //! four hosts, two transports, both families, one difference of each
    //! kind, so every part of the report shows.

    use std::net::IpAddr;

    use smbguard_audit::{
        AuditCode, AuditFinding, Evidence, Finding, FindingCode, HostAudit, InputKind, RuleRef,
        Store,
    };
    use smbguard_lab::matrix::{Observed, Timings};
    use smbguard_lab::topology::{Router, SmbServer};
    use smbguard_model::{Platform, Profile, Proto, Role, Strategy};

    use super::*;

    fn host(label: char, name: &str, kind: HostKind, v4: &str, v6: Option<&str>) -> LabHost {
        LabHost {
            name: name.into(),
            label,
            kind,
            group: (kind == HostKind::Group).then(|| name.into()),
            group_index: None,
            role: None,
            platform: None,
            internal: kind == HostKind::Group,
            v4: Some(v4.parse().unwrap()),
            v6: v6.map(|a| a.parse().unwrap()),
            profile: None,
            smb: None,
            netns: format!("sgtest{label}"),
        }
    }

    fn hosts() -> Vec<LabHost> {
        let mut dc = host(
            'A',
            "dcs",
            HostKind::Group,
            "198.18.0.10",
            Some("2001:db8::10"),
        );
        dc.role = Some(Role::DomainController);
        dc.platform = Some(Platform::Windows);
        dc.profile = Some(Profile::Domain);
        dc.smb = Some(SmbServer {
            share: "sysvol".into(),
            min_protocol: "SMB2",
            encryption_required: true,
        });
        let mut ws = host(
            'B',
            "workstations-1",
            HostKind::Group,
            "198.18.16.5",
            Some("2001:db8:16::5"),
        );
        ws.role = Some(Role::Workstation);
        ws.platform = Some(Platform::Windows);
        ws.profile = Some(Profile::Public);
        let mut nas = host('C', "nas", HostKind::Group, "198.18.32.7", None);
        nas.role = Some(Role::FileServer);
        nas.platform = Some(Platform::Linux);
        nas.smb = Some(SmbServer {
            share: "data".into(),
            min_protocol: "NT1",
            encryption_required: false,
        });
        let net = host(
            'D',
            "internet",
            HostKind::Internet,
            "203.0.113.9",
            Some("2001:db8:ffff::9"),
        );
        vec![dc, ws, nas, net]
    }

    fn addr(h: &LabHost, fam: Family) -> Option<IpAddr> {
        h.addr(fam.is_v6())
    }

    /// Every ordered pair on `t`: allowed to the DC and the NAS from inside,
    /// blocked otherwise; `differ` names the one pair observed otherwise.
    fn probes(hosts: &[LabHost], t: Transport, differ: (&str, &str)) -> Vec<Probe> {
        let mut out = Vec::new();
        for s in hosts {
            for d in hosts.iter().filter(|d| d.name != s.name) {
                for fam in Family::BOTH {
                    let (Some(from), Some(to)) = (addr(s, fam), addr(d, fam)) else {
                        continue;
                    };
                    let allow = s.internal && d.smb.is_some();
                    let predicted = if allow {
                        Verdict::Allow
                    } else {
                        Verdict::Block
                    };
                    let differs = (s.name.as_str(), d.name.as_str()) == differ;
                    let seen_allow = allow != differs;
                    out.push(Probe {
                        source: s.name.clone(),
                        destination: d.name.clone(),
                        family: fam,
                        transport: t,
                        from,
                        to,
                        predicted,
                        predicted_by: if allow {
                            "every stage allows".into()
                        } else {
                            "inbound: Block all inbound SMB".into()
                        },
                        observed: if seen_allow {
                            Observed::Delivered
                        } else {
                            Observed::Dropped
                        },
                        detail: if seen_allow {
                            "connected".into()
                        } else {
                            "no answer in 1.0 s".into()
                        },
                        differs,
                        check: None,
                    });
                }
            }
        }
        out
    }

    fn sessions(hosts: &[LabHost]) -> Vec<Session> {
        let mut out = Vec::new();
        for s in hosts {
            for d in hosts.iter().filter(|d| d.smb.is_some() && d.name != s.name) {
                for fam in Family::BOTH {
                    if addr(s, fam).is_none() || addr(d, fam).is_none() {
                        continue;
                    }
                    for kind in [SessionKind::Smb3Encrypted, SessionKind::Smb1] {
                        let predicted = match (s.internal, kind) {
                            (false, _) => SessionOutcome::Unreachable,
                            (true, SessionKind::Smb1) if d.name == "dcs" => SessionOutcome::Refused,
                            (true, _) => SessionOutcome::Established,
                        };
                        let differs = s.name == "workstations-1"
                            && d.name == "nas"
                            && kind == SessionKind::Smb1;
                        out.push(Session {
                            source: s.name.clone(),
                            destination: d.name.clone(),
                            family: fam,
                            kind,
                            predicted,
                            observed: if differs {
                                SessionOutcome::Failed
                            } else {
                                predicted
                            },
                            detail: if differs {
                                "NT_STATUS_ACCESS_DENIED".into()
                            } else {
                                String::new()
                            },
                            differs,
                        });
                    }
                }
            }
        }
        out
    }

    fn report() -> LabReport {
        let hosts = hosts();
        let udp137 = Transport {
            proto: Proto::Udp,
            port: 137,
        };
        let mut probes = probes(&hosts, Transport::SMB, ("internet", "dcs"));
        probes.extend(super::tests::probes(&hosts, udp137, ("", "")));
        let ssh = Transport {
            proto: Proto::Tcp,
            port: 22,
        };
        let ungoverned = probes_to(&hosts, ssh, "dcs");
        LabReport {
            estate: "contoso \"mini\"".into(),
            estate_strategy: Strategy::IpsecBypass,
            lab_strategy: Strategy::Complement,
            workstation_profile: Profile::Public,
            transports: vec![Transport::SMB, udp137],
            notes: vec!["IPsec is not available in the lab: compiled with \"complement\".".into()],
            not_exercised: vec!["strategy \"ipsec-bypass\": no IPsec in the namespaces".into()],
            sessions: sessions(&hosts),
            router: Router {
                netns: "sgtestR".into(),
                internal_v4: Some("198.18.0.1".parse().unwrap()),
                internal_v6: Some("2001:db8::1".parse().unwrap()),
                external_v4: Some("203.0.113.1".parse().unwrap()),
                external_v6: None,
            },
            live_audit: live_audit(&hosts),
            hosts,
            probes,
            ungoverned,
            timings: Timings {
                setup_ms: 1234,
                audit_ms: 321,
                probes_ms: 2345,
                sessions_ms: 3456,
                teardown_ms: 456,
                total_ms: 7491,
            },
            kept: None,
        }
    }

    /// The router and the group hosts audited; workstations-1 with a rule
    /// added by hand (and a reader note on it), the others clean.
    fn live_audit(hosts: &[LabHost]) -> Vec<LiveAudit> {
        let audited = |host: &str, group: Option<&str>| LiveAudit {
            host: host.into(),
            group: group.map(str::to_string),
            netns: format!("sgtest-{host}"),
            audit: HostAudit {
                host: host.into(),
                source: format!("nft -j list ruleset in netns sgtest-{host}"),
                input: InputKind::NftJson,
                group: group.map(str::to_string),
                policy_hash: "0".repeat(40),
                classes: 96,
                findings: Vec::new(),
                notes: Vec::new().into(),
            },
        };
        let mut out = vec![audited("perimeter", None)];
        for h in hosts.iter().filter(|h| h.kind == HostKind::Group) {
            out.push(audited(&h.name, Some(&h.name)));
        }
        let ws = out.iter_mut().find(|a| a.host == "workstations-1").unwrap();
        let rule = "inet smbguard input handle 31";
        ws.audit.findings.push(AuditFinding::new(
            AuditCode::SmbInboundOpen,
            format!("inbound SMB open on a workstation host (workstations-1): tcp/445 from 0.0.0.0 to 198.18.16.0 allowed by rule \"{rule}\""),
            Evidence {
                detail: "plan: block; deployed: allow".into(),
                rules: vec![RuleRef {
                    id: "inet smbguard input#1".into(),
                    name: rule.into(),
                    store: Store::Linux,
                    action: "permit".into(),
                    declared: false,
                }],
                direction: None,
                profile: None,
                trace: None,
                classes: 12,
                approximated: Vec::new(),
            },
        ));
        ws.audit.notes = vec![Finding::new(
            FindingCode::Widened,
            "inet smbguard input handle 32",
            "meta iifname: not modelled; read with the widest meaning (accept kept, drop left out)",
        )]
        .into();
        out
    }

    /// Ungoverned probes: every host to `dst`, delivered.
    fn probes_to(hosts: &[LabHost], t: Transport, dst: &str) -> Vec<Probe> {
        let d = hosts.iter().find(|h| h.name == dst).unwrap();
        hosts
            .iter()
            .filter(|s| s.name != dst)
            .filter_map(|s| {
                Some(Probe {
                    source: s.name.clone(),
                    destination: d.name.clone(),
                    family: Family::Ipv4,
                    transport: t,
                    from: addr(s, Family::Ipv4)?,
                    to: addr(d, Family::Ipv4)?,
                    predicted: Verdict::Allow,
                    predicted_by: "not governed by the plan".into(),
                    observed: Observed::Delivered,
                    detail: "connected".into(),
                    differs: false,
                    check: Some(if d.platform == Some(Platform::Windows) {
                        Verdict::Block
                    } else {
                        Verdict::Allow
                    }),
                })
            })
            .collect()
    }

    #[test]
    fn lab_text_report() {
        insta::assert_snapshot!(render_text(&report()));
    }
}
