//! `smbguard audit` as text: a summary, then each host with findings, most
//! severe first, each with its evidence, trace and fix. Every string from
//! a deployed configuration goes through `esc`.

use std::fmt::Write as _;

use smbguard_audit::{AuditFinding, AuditReport, HostAudit};
use smbguard_semantics::{Decision, Difference};

use super::term::esc;

fn decision(s: &mut String, label: &str, d: &Decision) {
    let _ = writeln!(s, "  {label}: {} — {}", d.verdict.as_str(), esc(&d.reason));
    for m in &d.matched {
        let _ = writeln!(
            s,
            "    {} {} \"{}\" ({}){}",
            if m.decisive { "*" } else { "-" },
            esc(&m.id),
            esc(&m.name),
            m.action,
            if m.note.is_empty() {
                String::new()
            } else {
                format!(": {}", esc(&m.note))
            }
        );
    }
}

/// The first differing flow as `smbguard check` would trace it: the flow,
/// then the plan's and the deployed configuration's decisions with every
/// rule that matched (`*` decided). Unindented; escaped for a terminal.
pub(crate) fn trace(t: &Difference, classes: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "flow {}/{} {} -> {} (source port {}), {classes} classes like it",
        t.flow.transport.proto.as_str(),
        t.flow.transport.port,
        t.flow.source,
        t.flow.destination,
        t.flow.source_port,
    );
    decision(&mut s, "plan", &t.expected);
    decision(&mut s, "deployed", &t.actual);
    s
}

fn finding(s: &mut String, f: &AuditFinding) {
    let _ = writeln!(
        s,
        "  [{}] {} {} ({}): {}",
        f.severity.as_str(),
        f.code.id(),
        f.slug,
        f.kb,
        esc(&f.title)
    );
    let _ = writeln!(s, "      {}", esc(&f.evidence.detail));
    for r in &f.evidence.rules {
        let _ = writeln!(
            s,
            "      rule {} \"{}\" ({}, {:?}{})",
            esc(&r.id),
            esc(&r.name),
            r.action,
            r.store,
            if r.declared {
                ", declared"
            } else {
                ", not declared by smbguard"
            }
        );
    }
    if let Some(t) = &f.evidence.trace {
        for line in trace(t, f.evidence.classes).lines() {
            let _ = writeln!(s, "      {line}");
        }
    }
    for a in &f.evidence.approximated {
        let _ = writeln!(s, "      approximated: {}", esc(a));
    }
    if let Some(fix) = &f.fix {
        let _ = writeln!(s, "      fix ({}): {}", fix.language, esc(&fix.summary));
        for line in fix.snippet.lines() {
            let _ = writeln!(s, "        {}", esc(line));
        }
    }
}

fn host(s: &mut String, h: &HostAudit) {
    let _ = writeln!(
        s,
        "\n{} ({}, group {}): {} finding(s), {} SMB flow classes compared",
        esc(&h.host),
        esc(&h.source),
        h.group
            .as_deref()
            .map_or("-".into(), |g| esc(g).into_owned()),
        h.findings.len(),
        h.classes
    );
    for f in &h.findings {
        finding(s, f);
    }
    if !h.notes.is_empty() {
        let _ = writeln!(
            s,
            "  {} reader note(s) (SG-A…); --format json lists them",
            h.notes.len()
        );
    }
}

/// The whole report.
pub(crate) fn render(r: &AuditReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "smbguard audit of estate \"{}\": {} host(s), {} compliant; findings: {} high, {} medium, {} low",
        esc(&r.estate),
        r.summary.hosts,
        r.summary.compliant,
        r.summary.high,
        r.summary.medium,
        r.summary.low
    );
    for h in &r.hosts {
        host(&mut s, h);
    }
    s
}
