//! `smbguard verify` as text: one line per invariant, then for each failure
//! its counterexample with the `check` trace, then the warnings.

use std::fmt::Write;

use smbguard_semantics::{Flow, Plan, Profiles};
use smbguard_verify::{Failure, Report, Status};

use super::term::esc;

/// Failures printed in full per invariant; the rest are counted.
const FULL_FAILURES: usize = 5;
/// Proof lines printed per passing invariant.
const PROOF_LINES: usize = 3;

/// `PASS: ...` or `FAIL: ...`, one line.
pub(crate) fn verdict_line(r: &Report) -> String {
    let failed: Vec<&str> = r.failed().map(|i| i.id.as_str()).collect();
    let warnings = match r.lints.len() {
        0 => "no warnings".to_string(),
        1 => "1 warning".to_string(),
        n => format!("{n} warnings"),
    };
    if failed.is_empty() {
        format!(
            "PASS: all {} invariants hold for every address; {warnings}",
            r.invariants.len()
        )
    } else {
        format!(
            "FAIL: {} of {} invariants fail ({}); {warnings}",
            failed.len(),
            r.invariants.len(),
            failed.join(", ")
        )
    }
}

fn profile_arg(p: smbguard_model::Profile) -> &'static str {
    match p {
        smbguard_model::Profile::Domain => "domain",
        smbguard_model::Profile::Private => "private",
        smbguard_model::Profile::Public => "public",
    }
}

/// The `smbguard check` command that replays a counterexample.
pub(crate) fn check_command(flow: &Flow, p: &Profiles) -> String {
    let mut s = format!(
        "smbguard check ESTATE --from {} --to {} --transport {} --source-profile {} --destination-profile {}",
        flow.source,
        flow.destination,
        flow.transport,
        profile_arg(p.source),
        profile_arg(p.destination)
    );
    if flow.source_port != Flow::EPHEMERAL_PORT {
        let _ = write!(s, " --source-port {}", flow.source_port);
    }
    s
}

fn profiles_text(p: &Profiles) -> String {
    format!("{} → {}", p.source, p.destination)
}

fn failure(o: &mut String, plan: &Plan, n: usize, f: &Failure) {
    let _ = writeln!(o, "      {n}) {}", esc(&f.clause));
    if let Some(s) = &f.service {
        let _ = writeln!(
            o,
            "         setting: {} = {:?} on `{}` ({}{})",
            s.service,
            s.state,
            esc(&s.group),
            s.role.as_str(),
            if s.domain_joined {
                ", domain-joined"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(o, "         why: {}", esc(&f.explanation));
    if let (Some(flow), Some(p)) = (&f.flow, &f.profiles) {
        let mut ctx = format!(
            "         counterexample: {} -> {} {} from port {}, profiles {}",
            flow.source,
            flow.destination,
            flow.transport,
            flow.source_port,
            profiles_text(p)
        );
        if !f.also_in.is_empty() {
            let more: Vec<String> = f.also_in.iter().map(profiles_text).collect();
            let _ = write!(ctx, " (also fails with profiles {})", more.join(", "));
        }
        let _ = writeln!(o, "{ctx}");
        let _ = writeln!(o, "         replay: {}", check_command(flow, p));
        if !f.reproduced {
            let _ = writeln!(
                o,
                "         INTERNAL ERROR: check_flow does not reproduce this counterexample; please report it"
            );
        }
        if let Some(trace) = &f.trace {
            for line in super::check_text::render(plan, trace).lines() {
                let _ = writeln!(o, "         | {line}");
            }
        }
    }
}

pub(crate) fn render(plan: &Plan, r: &Report) -> String {
    let mut o = String::new();
    let transports: Vec<String> = r.transports.iter().map(ToString::to_string).collect();
    let _ = writeln!(
        o,
        "smbguard verify: estate \"{}\" (strategy {}; transports {})",
        esc(&r.estate),
        match r.strategy {
            smbguard_model::Strategy::IpsecBypass => "ipsec-bypass",
            smbguard_model::Strategy::Complement => "complement",
        },
        transports.join(", ")
    );
    let s = &r.stats;
    let _ = writeln!(
        o,
        "  {} groups ({} ranges), {} rules; every IPv4 and IPv6 address in {} classes, 3 × 3 profile pairs, {} source-port class(es)",
        s.groups, s.group_ranges, s.rules, s.address_classes, s.source_port_classes
    );
    o.push('\n');
    for inv in &r.invariants {
        let status = match inv.status {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
        };
        let kb: Vec<String> = inv.kb.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            o,
            "{status}  {:<3} {}  [{}]",
            inv.id,
            esc(&inv.title),
            kb.join(" ")
        );
        let _ = writeln!(o, "      {}", esc(&inv.summary));
        for e in inv.proof.iter().take(PROOF_LINES) {
            let _ = writeln!(o, "      proof: {}", esc(&e.text));
        }
        if inv.proof.len() > PROOF_LINES {
            let _ = writeln!(
                o,
                "      ({} more representative flows in --format json or html)",
                inv.proof.len() - PROOF_LINES
            );
        }
        for (i, f) in inv.failures.iter().take(FULL_FAILURES).enumerate() {
            failure(&mut o, plan, i + 1, f);
        }
        if inv.failures.len() > FULL_FAILURES {
            let _ = writeln!(
                o,
                "      ... and {} more failure(s) (every one in --format json or html)",
                inv.failures.len() - FULL_FAILURES
            );
        }
        for n in &inv.notes {
            let _ = writeln!(o, "      note: {}", esc(n));
        }
    }
    if !r.lints.is_empty() {
        let _ = writeln!(o, "\nwarnings ({}):", r.lints.len());
        for l in &r.lints {
            let mut at = String::new();
            if let Some(g) = &l.group {
                let _ = write!(at, " `{}`", esc(g));
            }
            if let Some(n) = &l.rule_name {
                let _ = write!(at, " \"{}\"", esc(n));
            }
            if let Some(id) = &l.rule_id {
                let _ = write!(at, " [{}]", esc(id));
            }
            let kb = l.kb.map(|k| format!(" ({k})")).unwrap_or_default();
            let _ = writeln!(o, "  warning[{}]{at}{kb}: {}", l.code, esc(&l.message));
        }
    }
    let _ = writeln!(o, "\n{}", verdict_line(r));
    o
}
