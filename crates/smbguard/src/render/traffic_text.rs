//! `smbguard traffic` as text and as JSON lines.

use std::fmt::Write;

use smbguard_model::Estate;
use smbguard_traffic::classify::{
    BlockedRow, Category, Impact, ImpactedFlow, RuleRef, lateral_chains,
};

use smbguard_traffic::Merged;

use super::term::esc;

/// Most flows listed per notable category in the text report.
const MAX_LISTED: usize = 10;

/// `Block all inbound SMB 445 (K4, destination-inbound)`.
pub(crate) fn rule_text(r: &RuleRef) -> String {
    let stage = match serde_json::to_value(r.stage) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{:?}", r.stage),
    };
    match r.kb {
        Some(kb) => format!("{} ({kb}, {stage})", r.name),
        None => format!("{} ({stage})", r.name),
    }
}

/// The policy verdict of a flow: `policy complies` or
/// `policy violates (smb1, ntlm)`.
pub(crate) fn policy_text(f: &ImpactedFlow<'_>) -> String {
    if f.policy.is_empty() {
        return "policy complies".to_owned();
    }
    let names: Vec<&str> = f.policy.iter().map(|b| b.as_str()).collect();
    format!("policy violates ({})", names.join(", "))
}

/// The policy section: flows breaking the estate's `[smb]` settings,
/// whatever the firewall does with them.
fn policy_section(merged: &Merged, impact: &Impact<'_>) -> String {
    let mut out = String::new();
    let violating: Vec<(usize, &ImpactedFlow<'_>)> = impact
        .flows
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.policy.is_empty())
        .collect();
    let _ = writeln!(
        out,
        "\nPolicy verdict (estate [smb] settings): {} of {} flows violate",
        violating.len(),
        impact.flows.len()
    );
    for (b, n) in &impact.policy {
        let _ = writeln!(out, "  {:<20} {n:>6}", b.as_str());
    }
    for (i, f) in violating.iter().take(MAX_LISTED) {
        let _ = writeln!(
            out,
            "  {} -> firewall {}, {}",
            flow_line(f, merged.capture_of(*i)),
            f.verdict.as_str(),
            policy_text(f)
        );
    }
    if violating.len() > MAX_LISTED {
        let _ = writeln!(out, "  ... and {} more", violating.len() - MAX_LISTED);
    }
    out
}

/// One flow in one line.
pub(crate) fn flow_line(f: &ImpactedFlow<'_>, capture: &str) -> String {
    let r = f.flow;
    let mut s = format!(
        "{} -> {}:{} [{} -> {}]",
        r.client,
        r.server,
        r.server_port,
        esc(f.class.client.label()),
        esc(f.class.server.label())
    );
    if let Some(d) = r.smb.dialect {
        let _ = write!(s, " SMB {d}");
        if r.smb.encrypted {
            s.push_str(" encrypted");
        }
    }
    if !r.smb.shares.is_empty() {
        let _ = write!(s, " shares {}", esc(&r.smb.shares.join(", ")));
    }
    if !r.smb.pipes.is_empty() {
        let _ = write!(s, " pipes {}", esc(&r.smb.pipes.join(", ")));
    }
    if let Some(c) = &f.class.cloud_exception {
        let _ = write!(s, " cloud {}", esc(c));
    }
    for note in r.smb.notes().into_iter().chain(r.rpc.notes()) {
        let _ = write!(s, "; {}", esc(&note));
    }
    if !f.smb_same_pair.is_empty() {
        let _ = write!(
            s,
            "; with SMB between the same hosts ({} flows)",
            f.smb_same_pair.len()
        );
    }
    let _ = write!(s, " ({})", esc(capture));
    s
}

fn finding_title(c: Category) -> &'static str {
    match c {
        Category::Lateral => "Lateral SMB between client hosts",
        Category::ApprovedServer => "To approved DCs and file servers",
        Category::PerimeterInbound => "Inbound across the perimeter",
        Category::PerimeterOutbound => "Outbound across the perimeter",
        Category::CloudException => "To declared cloud endpoints",
        Category::CloudUnencrypted => "Cloud endpoint without SMB 3.x encryption (K2 violated)",
        Category::Smb1 => "SMB1 used (K9)",
        Category::CleartextSmb3 => "SMB 3.x without encryption",
        Category::AdminShare => "Administrative shares (lateral-movement tradecraft)",
        Category::RemoteService => {
            "Remote service/task/registry pipes (lateral-movement tradecraft)"
        }
        Category::UnknownHost => "Hosts in no group",
    }
}

fn blocked_table(rows: &[BlockedRow]) -> String {
    let head = [
        "SOURCE",
        "DESTINATION",
        "TRANSPORT",
        "FLOWS",
        "DECIDING RULE",
    ];
    let body: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            [
                esc(&r.source).into_owned(),
                esc(&r.destination).into_owned(),
                esc(&r.transport).into_owned(),
                r.flows.to_string(),
                esc(&rule_text(&r.rule)).into_owned(),
            ]
        })
        .collect();
    let mut w = head.map(str::len);
    for row in &body {
        for (i, cell) in row.iter().enumerate() {
            w[i] = w[i].max(cell.len());
        }
    }
    let mut out = String::new();
    let line = |cells: [&str; 5], out: &mut String| {
        let _ = writeln!(
            out,
            "  {:<w0$}  {:<w1$}  {:<w2$}  {:>w3$}  {}",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4],
            w0 = w[0],
            w1 = w[1],
            w2 = w[2],
            w3 = w[3]
        );
    };
    line(head, &mut out);
    for row in &body {
        line([&row[0], &row[1], &row[2], &row[3], &row[4]], &mut out);
    }
    out
}

/// The text report.
pub(crate) fn render(estate: &Estate, merged: &Merged, impact: &Impact<'_>) -> String {
    let mut out = String::new();
    let blocked: u64 = impact.blocked.iter().map(|r| r.flows).sum();
    let _ = writeln!(
        out,
        "smbguard traffic: estate \"{}\", profile {}, {} capture(s): {}",
        esc(&estate.name),
        impact.profile,
        merged.captures.len(),
        esc(&merged.captures.join(", "))
    );
    let _ = writeln!(
        out,
        "{} SMB/NetBIOS flows from {} frames/lines ({} bytes); {} warning(s)",
        impact.flows.len(),
        merged.frames,
        merged.bytes,
        merged.warnings
    );
    out.push_str("\nCategories (a flow may have several)\n");
    if impact.categories.is_empty() {
        out.push_str("  none\n");
    }
    for (c, n) in &impact.categories {
        let _ = writeln!(out, "  {:<20} {n:>6}", c.as_str());
    }
    let _ = writeln!(
        out,
        "\nWould be blocked by the plan ({} profile): {blocked} of {} flows",
        impact.profile,
        impact.flows.len()
    );
    if impact.blocked.is_empty() {
        out.push_str("  nothing observed would be blocked\n");
    } else {
        out.push_str(&blocked_table(&impact.blocked));
    }
    out.push_str(&policy_section(merged, impact));
    out.push_str("\nNotable findings\n");
    let mut any = false;
    for c in Category::ALL.into_iter().filter(|c| c.is_notable()) {
        let hits: Vec<(usize, &ImpactedFlow<'_>)> = impact
            .flows
            .iter()
            .enumerate()
            .filter(|(_, f)| f.class.categories.contains(&c))
            .collect();
        if hits.is_empty() {
            continue;
        }
        any = true;
        let _ = writeln!(out, "  {} ({}):", finding_title(c), hits.len());
        for (i, f) in hits.iter().take(MAX_LISTED) {
            let capture = merged.capture_of(*i);
            let _ = writeln!(
                out,
                "    {} -> firewall {}, {}",
                flow_line(f, capture),
                f.verdict.as_str(),
                policy_text(f)
            );
        }
        if hits.len() > MAX_LISTED {
            let _ = writeln!(out, "    ... and {} more", hits.len() - MAX_LISTED);
        }
    }
    if !any {
        out.push_str("  none\n");
    }
    out.push_str(&chains(merged));
    out.push_str(&outcomes(merged, impact));
    if !merged.unreadable.is_empty() {
        out.push_str("\nUnreadable inputs (not covered by this report)\n");
        for (name, reason) in &merged.unreadable {
            let _ = writeln!(out, "  {}: {}", esc(name), esc(reason));
        }
    }
    out
}

/// Lateral-movement chains, longest first.
fn chains(merged: &Merged) -> String {
    let chains = lateral_chains(&merged.flows);
    let mut out =
        String::from("\nLateral-movement chains (admin shares, remote execution; time order)\n");
    if chains.is_empty() {
        out.push_str("  none\n");
    }
    for c in chains.iter().take(MAX_LISTED) {
        let _ = writeln!(out, "  {}", c.path());
        for h in &c.hops {
            let _ = writeln!(
                out,
                "    {} -> {} at {}: {}",
                h.client,
                h.server,
                h.first_seen,
                esc(&h.evidence.join("; "))
            );
        }
    }
    if chains.len() > MAX_LISTED {
        let _ = writeln!(out, "  ... and {} more", chains.len() - MAX_LISTED);
    }
    out
}

/// Flows with compression, refused attempts or malformations: exposures
/// and failures a category count alone would show as ordinary access.
fn outcomes(merged: &Merged, impact: &Impact<'_>) -> String {
    let mut out = String::from("\nExposures, refused attempts, malformations\n");
    let hits: Vec<(usize, &ImpactedFlow<'_>)> = impact
        .flows
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.flow.smb.notes().is_empty())
        .collect();
    if hits.is_empty() {
        out.push_str("  none\n");
    }
    for (i, f) in hits.iter().take(MAX_LISTED) {
        let _ = writeln!(out, "  {}", flow_line(f, merged.capture_of(*i)));
    }
    if hits.len() > MAX_LISTED {
        let _ = writeln!(out, "  ... and {} more", hits.len() - MAX_LISTED);
    }
    out
}

/// JSON lines: one object per flow, with its capture, classification and verdict.
pub(crate) fn json_lines(merged: &Merged, impact: &Impact<'_>) -> String {
    let mut out = String::new();
    for (i, f) in impact.flows.iter().enumerate() {
        let v = serde_json::json!({
            "capture": merged.capture_of(i),
            "client": f.flow.client,
            "client_port": f.flow.client_port,
            "server": f.flow.server,
            "server_port": f.flow.server_port,
            "protocol": f.flow.protocol,
            "service": f.flow.service,
            "client_endpoint": f.class.client,
            "server_endpoint": f.class.server,
            "cloud_exception": f.class.cloud_exception,
            "categories": f.class.categories,
            "verdict": f.verdict,
            "policy_verdict": f.policy_verdict(),
            "policy": f.policy,
            "rule": f.rule,
            "profile": impact.profile,
            "smb": f.flow.smb,
            "rpc": f.flow.rpc,
            "smb_same_pair": f.smb_same_pair,
            "first_seen": f.flow.first_seen,
            "last_seen": f.flow.last_seen,
            "packets": f.flow.packets_to_server + f.flow.packets_to_client,
            "bytes": f.flow.bytes_to_server + f.flow.bytes_to_client,
        });
        out.push_str(
            &serde_json::to_string(&v).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}")),
        );
        out.push('\n');
    }
    // One line per unreadable input, after the flows: a consumer keyed on
    // "verdict" skips them, one keyed on "unreadable" finds them.
    for (name, reason) in &merged.unreadable {
        let v = serde_json::json!({"unreadable": name, "reason": reason});
        out.push_str(&v.to_string());
        out.push('\n');
    }
    out
}
