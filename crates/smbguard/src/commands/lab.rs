//! `smbguard lab`: the estate built from real components (network
//! namespaces, nftables, Samba), probed, and compared with the prediction.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use smbguard_lab::matrix::{Family, Probe, Session, SessionKind, SessionOutcome};
use smbguard_lab::topology::{HostKind, LabHost};
use smbguard_lab::{LabError, LabOptions, LabReport};
use smbguard_model::{Profile, Transport};
use smbguard_semantics::Verdict;

use crate::args::{EstateArg, Format};
use crate::input::load_estate;
use crate::render::to_json;
use crate::{CliError, EXIT_FAILED};

pub(crate) const LAB_LONG_ABOUT: &str = "\
Build the estate as network namespaces on this Linux host and test the plan against real
packets: a perimeter router namespace between an internal and an internet segment, one
namespace per representative host of every group (two workstations), an internet host and
each perimeter exception's cloud endpoint, all on 198.18.0.0/15, 203.0.113.0/24 and
2001:db8::/32, never routed out of the namespaces.

Every host is stood in by Linux with the nftables equivalent of its policy in its profile
(IPsec is not available, so the estate is compiled with strategy `complement`); the router
gets the perimeter ruleset. Real Samba smbd serves on domain controllers, file servers and
cloud endpoints. Every pair of hosts is probed on every governed transport, IPv4 and IPv6
(TCP connects, UDP datagrams to responders), real smbclient sessions (SMB3 with encryption,
and SMB1, which must be refused), and TCP 22/80, which the plan does not govern and must
flow. The observed matrix is printed beside the one `check` predicts.

Exit code 0 only if observed == predicted for everything; 1 if anything differs; 2 when the
lab cannot run (not root, a tool missing). Needs root; everything is removed afterwards,
also on Ctrl-C.";

/// The profile of the lab's workstations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LabProfile {
    /// Every Windows host in its Domain profile.
    Domain,
    /// Workstations in their Private profile, the rest in Domain.
    Private,
    /// Workstations moved to their Public profile, the rest in Domain.
    Public,
}

#[derive(Debug, Args)]
pub(crate) struct LabArgs {
    #[command(flatten)]
    pub(crate) estate: EstateArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// The profile of the workstations (servers stay in Domain).
    #[arg(long, value_enum, default_value_t = LabProfile::Domain)]
    pub(crate) profile: LabProfile,
    /// Leave the namespaces and smbd running afterwards, and print how to remove them.
    #[arg(long)]
    pub(crate) keep: bool,
}

pub(crate) fn run(args: &LabArgs) -> Result<ExitCode, CliError> {
    let loaded = load_estate(args.estate.estate.as_deref())?;
    // Ctrl-C / SIGTERM: tear down whatever the lab has created, then exit.
    let _ = ctrlc::set_handler(|| {
        let n = smbguard_lab::interrupt();
        eprintln!(
            "\ninterrupted: removed {n} lab object(s) (namespaces, smbd process groups, temporary directories)"
        );
        std::process::exit(130);
    });
    let opts = LabOptions {
        workstation_profile: match args.profile {
            LabProfile::Domain => Profile::Domain,
            LabProfile::Private => Profile::Private,
            LabProfile::Public => Profile::Public,
        },
        keep: args.keep,
        ruleset_hook: None,
    };
    let report = match smbguard_lab::run(&loaded.estate, &opts) {
        Ok(r) => r,
        Err(
            e @ (LabError::NotRoot { .. }
            | LabError::MissingTool { .. }
            | LabError::Estate(_)
            | LabError::Compile(_)),
        ) => {
            return Err(CliError::BadInput(format!("error: {e}")));
        }
        Err(e) => return Err(CliError::Io(e.to_string())),
    };
    match args.format {
        Format::Text => print!("{}", render_text(&report)),
        Format::Json => {
            let mut v = serde_json::to_value(&report).unwrap_or_default();
            v["ok"] = report.ok().into();
            v["differences"] = report.differences().into();
            println!("{}", to_json(&v));
        }
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}

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

/// One transport/family block: predicted and observed side by side.
fn matrix(out: &mut String, r: &LabReport, t: Transport, fam: Family) {
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
    let width = hosts.len() * 2;
    let header: String = hosts.iter().map(|h| format!("{} ", h.label)).collect();
    let _ = writeln!(
        out,
        "\n{t} {}  {:<w$}  observed",
        fam.as_str(),
        "predicted",
        w = width.max(9) + 1
    );
    let line = format!("  from\\to  {header:<w$}  {header}", w = width.max(9));
    let _ = writeln!(out, "{}", line.trim_end());
    for s in &hosts {
        let mut pred = String::new();
        let mut obs = String::new();
        for d in &hosts {
            match cells.get(&(s.name.as_str(), d.name.as_str())) {
                None if s.name == d.name => {
                    pred.push_str("- ");
                    obs.push_str("- ");
                }
                None => {
                    pred.push_str("  ");
                    obs.push_str("  ");
                }
                Some(p) => {
                    pred.push(verdict_mark(p.predicted));
                    pred.push(' ');
                    obs.push(verdict_mark(p.observed.verdict()));
                    obs.push(if p.differs { '!' } else { ' ' });
                }
            }
        }
        let line = format!("  {:<8} {pred:<w$}  {obs}", s.label, w = width.max(9));
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

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
    let mut columns: Vec<(&LabHost, Family)> = Vec::new();
    for h in r.hosts.iter().filter(|h| h.smb.is_some()) {
        for fam in Family::BOTH {
            if h.addr(fam.is_v6()).is_some() {
                columns.push((h, fam));
            }
        }
    }
    let header: String = columns
        .iter()
        .map(|(h, f)| format!("{}{} ", h.label, if f.is_v6() { '6' } else { '4' }))
        .collect();
    let w = (columns.len() * 3).max(9);
    let _ = writeln!(
        out,
        "\n{}  {:<w$}  observed",
        kind.as_str(),
        "predicted",
        w = w + 1
    );
    let line = format!("  from\\to  {header:<w$}  {header}");
    let _ = writeln!(out, "{}", line.trim_end());
    for s in &r.hosts {
        let mut pred = String::new();
        let mut obs = String::new();
        for (d, fam) in &columns {
            match cells.get(&(s.name.as_str(), d.name.as_str(), *fam)) {
                Some(c) => {
                    pred.push(session_mark(c.predicted));
                    pred.push_str("  ");
                    obs.push(session_mark(c.observed));
                    obs.push(if c.differs { '!' } else { ' ' });
                    obs.push(' ');
                }
                None if s.name == d.name => {
                    pred.push_str("-  ");
                    obs.push_str("-  ");
                }
                None => {
                    pred.push_str("   ");
                    obs.push_str("   ");
                }
            }
        }
        let line = format!("  {:<8} {pred:<w$}  {obs}", s.label);
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

fn secs(ms: u64) -> String {
    format!("{}.{} s", ms / 1000, (ms % 1000) / 100)
}

/// The text report.
pub(crate) fn render_text(r: &LabReport) -> String {
    let mut out = String::new();
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

    out.push_str("\nTransports: rows from, columns to; + delivered (allowed), . dropped (blocked), ! observed differs from predicted\n");
    for &t in &r.transports {
        for fam in Family::BOTH {
            matrix(&mut out, r, t, fam);
        }
    }
    out.push_str("\nSMB sessions (real smbclient on tcp/445; columns: server and IP version): E established, R refused by the server (dialect), . unreachable, F failed otherwise\n");
    for kind in [SessionKind::Smb3Encrypted, SessionKind::Smb1] {
        session_matrix(&mut out, r, kind);
    }

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
        "\nTraffic the plan does not govern ({} to {}): {} probes, {} delivered as expected",
        ports.join(", "),
        dsts.join(", "),
        r.ungoverned.len(),
        delivered
    );

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
    let t = &r.timings;
    let _ = writeln!(
        out,
        "\nresult: {} transport probes, {} SMB sessions, {} ungoverned probes: {}",
        r.probes.len(),
        r.sessions.len(),
        r.ungoverned.len(),
        if r.ok() {
            "observed == predicted".to_string()
        } else {
            format!("{} DIFFERENCE(S)", r.differences())
        }
    );
    let _ = writeln!(
        out,
        "time: setup {}, probes {}, sessions {}, teardown {}, total {}",
        secs(t.setup_ms),
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
    out
}
