//! `smbguard traffic --format html`: one self-contained page (inline CSS, no
//! script, no external asset) with the category counts (each linking to its
//! flows), the group × group matrix of observed SMB beside what the plan
//! allows (the visual language of `verify`'s reachability matrix), the
//! lateral-movement chains, the would-be-blocked table, the policy verdict
//! and every flow.

use std::fmt::Write;

use smbguard_model::{Estate, Transport};
use smbguard_traffic::classify::{Category, Endpoint, Impact, ImpactedFlow, lateral_chains};
use smbguard_verify::{Matrix, Reach};

use super::html_page::{self, Head, esc};
use super::traffic_text::{policy_text, rule_text};
use smbguard_traffic::Merged;

/// Most flows listed in the "all flows" table.
const MAX_ROWS: usize = 5000;

/// Traffic's own rules; the shared ones are in `html_page`.
const CSS: &str = "
section { background: #fff; border: 1px solid #d9dee6; border-radius: 8px; padding: 12px 16px; margin: 16px 0; }
section table { width: 100%; }
section th, section td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #d9dee6; vertical-align: top; }
section th { background: #eceff3; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.block { color: #b3261e; font-weight: 600; }
.allow { color: #17703a; }
.tag { display: inline-block; padding: 0 6px; margin: 1px; border-radius: 4px; background: #eceff3; font-size: 12px; }
.tag.hot { background: #fde7e4; color: #b3261e; }
.note { border-left: 5px solid #8a5a00; background: #fff3d6; }
section table.matrix { width: auto; }
table.matrix td { width: 56px; min-width: 56px; height: 26px; padding: 0 2px; }
td.seen, span.seen { outline: 2px solid #0b3d91; outline-offset: -3px; }
td.forbidden, span.forbidden { background: #b3261e; color: #fff; font-weight: 800; outline: 3px solid #5c0f0a; outline-offset: -3px; }
ol.chain { margin: 4px 0 12px; }
ol.chain li { margin: 3px 0; }
.hop { font-family: ui-monospace, monospace; font-weight: 600; }
";

fn tags(categories: &[Category]) -> String {
    categories
        .iter()
        .map(|c| {
            let class = if c.is_notable() { "tag hot" } else { "tag" };
            format!("<span class=\"{class}\">{}</span>", c.as_str())
        })
        .collect()
}

/// The HTML report.
/// A violating flow is styled like a blocked one: both need action.
fn policy_class(f: &ImpactedFlow<'_>) -> &'static str {
    if f.policy.is_empty() {
        "allow"
    } else {
        "block"
    }
}

/// The policy verdict counts, beside the firewall's "would be blocked".
fn policy_summary(impact: &Impact<'_>) -> String {
    let violating = impact.flows.iter().filter(|f| !f.policy.is_empty()).count();
    let mut o = format!(
        "<section><h2>Policy verdict (estate [smb] settings)</h2><p><strong>{violating}</strong> \
         of {} flows violate.</p>",
        impact.flows.len()
    );
    if !impact.policy.is_empty() {
        o.push_str("<table><tr><th>breach</th><th>flows</th></tr>");
        for (b, n) in &impact.policy {
            let _ = write!(
                o,
                "<tr><td class=\"block\">{}</td><td class=\"n\">{n}</td></tr>",
                b.as_str()
            );
        }
        o.push_str("</table>");
    }
    o.push_str("</section>");
    o
}

/// The matrix row/column a flow end belongs to (`None`: not drawn).
fn matrix_label(e: &Endpoint) -> Option<&str> {
    match e {
        Endpoint::Group { name, .. } => Some(name),
        Endpoint::UnknownInternal => Some("unmanaged internal"),
        Endpoint::Internet => Some("internet"),
        _ => None,
    }
}

fn plan_cell(r: Reach) -> (&'static str, &'static str) {
    match r {
        Reach::All => ("r-all", "allowed"),
        Reach::Some => ("r-some", "partly allowed"),
        Reach::None => ("r-none", "forbidden"),
        _ => ("r-na", "no pair of the same address family"),
    }
}

/// Group × group: observed SMB (TCP 445 and 139) flows over the plan's
/// tcp/445 reachability for the report's profile. A cell with observed
/// flows the plan blocks is drawn solid red.
fn matrix(o: &mut String, m: &Matrix, impact: &Impact<'_>) {
    o.push_str("<section id=\"matrix\"><h2>Observed SMB against the plan: group × group</h2>");
    o.push_str("<p class=\"muted\">Background: what the plan allows on tcp/445 (as in <code>smbguard verify</code>'s reachability matrix). Number: SMB flows observed (TCP 445 and 139). Solid red: observed although the plan forbids it.</p>");
    html_page::legend(
        o,
        &[
            ("r-all", "● 0", "plan allows, nothing seen"),
            ("r-some", "◐ 0", "plan allows some pairs"),
            ("r-none", "○ 0", "plan forbids"),
            ("r-all seen", "3", "seen and allowed"),
            ("forbidden", "3 ✘", "seen and forbidden"),
        ],
    );
    let Some(table) = m
        .tables
        .iter()
        .find(|t| t.transport == Transport::SMB && t.profile == impact.profile)
    else {
        let why = m
            .omitted
            .as_deref()
            .unwrap_or("no tcp/445 table for this profile");
        let _ = write!(o, "<p>Matrix not drawn: {}</p></section>", esc(why));
        return;
    };
    let index = |name: &str| m.groups.iter().position(|g| g.name == name);
    let n = m.groups.len();
    let mut seen = vec![vec![(0u64, 0u64); n]; n];
    for f in impact
        .flows
        .iter()
        .filter(|f| f.flow.service.port() == 445 || f.flow.service.port() == 139)
    {
        let (Some(a), Some(b)) = (
            matrix_label(&f.class.client).and_then(index),
            matrix_label(&f.class.server).and_then(index),
        ) else {
            continue;
        };
        seen[a][b].0 += 1;
        if f.verdict == smbguard_semantics::Verdict::Block {
            seen[a][b].1 += 1;
        }
    }
    let _ = write!(
        o,
        "<table class=\"matrix\"><caption>tcp/445 · {} profile</caption><thead><tr><th class=\"corner\">from ↓ &nbsp; to →</th>",
        impact.profile
    );
    for g in &m.groups {
        let _ = write!(o, "<th class=\"col\"><span>{}</span></th>", esc(&g.name));
    }
    o.push_str("</tr></thead><tbody>");
    for (i, row) in table.cells.iter().enumerate() {
        let _ = write!(o, "<tr><th class=\"row\">{}</th>", esc(&m.groups[i].name));
        for (j, reach) in row.iter().enumerate() {
            let (class, meaning) = plan_cell(*reach);
            let (count, blocked) = seen[i][j];
            let (class, label) = match (count, blocked) {
                (0, _) => (class.to_owned(), "·".to_owned()),
                (c, 0) => (format!("{class} seen"), c.to_string()),
                (c, b) => (
                    "forbidden".to_owned(),
                    format!(
                        "{c} ✘{}",
                        if b < c {
                            format!(" ({b})")
                        } else {
                            String::new()
                        }
                    ),
                ),
            };
            let _ = write!(
                o,
                "<td class=\"{class}\" title=\"{} → {}: plan {meaning}; {count} SMB flow(s) seen, {blocked} the plan blocks\">{label}</td>",
                esc(&m.groups[i].name),
                esc(&m.groups[j].name)
            );
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table></section>");
}

/// Lateral-movement chains: host to host over admin shares or remote
/// execution, in time order, each hop linking to its flows.
fn chains(o: &mut String, impact: &Impact<'_>, flows: &[smbguard_traffic::FlowRecord]) {
    let chains = lateral_chains(flows);
    let _ = write!(
        o,
        "<section id=\"chains\"><h2>Lateral-movement chains ({})</h2><p class=\"muted\">A → B over an admin share or remote execution (service, task, WMI, firewall, registry; SMB pipes or RPC over TCP), then B → C, in time order.</p>",
        chains.len()
    );
    if chains.is_empty() {
        o.push_str("<p>None observed.</p></section>");
        return;
    }
    for c in &chains {
        let _ = write!(
            o,
            "<h3 class=\"hop\">{}</h3><ol class=\"chain\">",
            esc(&c.path())
        );
        for h in &c.hops {
            let labels = |ip| {
                impact
                    .flows
                    .get(h.flows[0])
                    .map(|f| {
                        if f.flow.client.to_canonical() == ip {
                            f.class.client.label()
                        } else {
                            f.class.server.label()
                        }
                    })
                    .unwrap_or("")
                    .to_owned()
            };
            let links: Vec<String> = h
                .flows
                .iter()
                .map(|i| format!("<a href=\"#flow-{i}\">#{i}</a>"))
                .collect();
            let _ = write!(
                o,
                "<li><span class=\"hop\">{} ({}) → {} ({})</span> at {}: {} <span class=\"muted\">flows {}</span></li>",
                h.client,
                esc(&labels(h.client)),
                h.server,
                esc(&labels(h.server)),
                h.first_seen,
                esc(&h.evidence.join("; ")),
                links.join(" ")
            );
        }
        o.push_str("</ol>");
    }
    o.push_str("</section>");
}

/// Per category, the flows (links to their rows).
fn category_flows(o: &mut String, impact: &Impact<'_>) {
    for (c, n) in &impact.categories {
        let _ = write!(
            o,
            "<details id=\"cat-{}\"><summary>{} ({n})</summary><p>",
            c.as_str(),
            tags(&[*c])
        );
        for (i, f) in impact
            .flows
            .iter()
            .enumerate()
            .filter(|(_, f)| f.class.categories.contains(c))
            .take(MAX_ROWS)
        {
            let _ = write!(
                o,
                "<a href=\"#flow-{i}\">{} → {}:{}</a> ",
                f.flow.client, f.flow.server, f.flow.server_port
            );
        }
        o.push_str("</p></details>");
    }
}

pub(crate) fn render(
    estate: &Estate,
    merged: &Merged,
    impact: &Impact<'_>,
    reach: Option<&Matrix>,
) -> String {
    let blocked: u64 = impact.blocked.iter().map(|r| r.flows).sum();
    let meta = format!(
        "{} flows from {}; profile {}; <strong>{blocked}</strong> would be blocked",
        impact.flows.len(),
        esc(&merged.captures.join(", ")),
        impact.profile
    );
    let mut o = html_page::open(&Head {
        title: &format!("smbguard traffic: {}", estate.name),
        css: CSS,
        brand: "smbguard traffic · KB3185535",
        heading: &format!("SMB traffic against estate “{}”", estate.name),
        meta: &meta,
        extra: "",
    });
    o.push_str("<section><h2>Categories</h2><table><tr><th>category</th><th>flows</th></tr>");
    for (c, n) in &impact.categories {
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"n\"><a href=\"#cat-{}\">{n}</a></td></tr>",
            tags(&[*c]),
            c.as_str()
        );
    }
    o.push_str("</table>");
    category_flows(&mut o, impact);
    o.push_str("</section>");
    if let Some(m) = reach {
        matrix(&mut o, m, impact);
    }
    chains(&mut o, impact, &merged.flows);
    let _ = write!(
        o,
        "<section><h2>Would be blocked ({} profile)</h2>",
        impact.profile
    );
    if impact.blocked.is_empty() {
        o.push_str("<p>Nothing observed would be blocked.</p>");
    } else {
        o.push_str(
            "<table><tr><th>source</th><th>destination</th><th>transport</th>\
             <th>flows</th><th>deciding rule</th></tr>",
        );
        for r in &impact.blocked {
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                esc(&r.source),
                esc(&r.destination),
                esc(&r.transport),
                r.flows,
                esc(&rule_text(&r.rule))
            );
        }
        o.push_str("</table>");
    }
    o.push_str("</section>");
    o.push_str(&policy_summary(impact));
    let shown = impact.flows.len().min(MAX_ROWS);
    let _ = write!(
        o,
        "<section><h2>Flows ({shown} of {})</h2><table><tr><th>capture</th><th>client</th>\
         <th>server</th><th>service</th><th>SMB</th><th>shares / pipes</th>\
         <th>categories</th><th>firewall</th><th>policy</th><th>rule</th></tr>",
        impact.flows.len()
    );
    for (i, f) in impact.flows.iter().take(MAX_ROWS).enumerate() {
        let r = f.flow;
        let mut smb = match r.smb.dialect {
            Some(d) if r.smb.encrypted => format!("{d} encrypted"),
            Some(d) => d.to_string(),
            None => String::new(),
        };
        for note in r.smb.notes().into_iter().chain(r.rpc.notes()) {
            smb.push_str("; ");
            smb.push_str(&note);
        }
        if !f.smb_same_pair.is_empty() {
            let _ = write!(
                smb,
                "; with SMB between the same hosts ({} flows)",
                f.smb_same_pair.len()
            );
        }
        let names: Vec<&str> = r
            .smb
            .shares
            .iter()
            .chain(r.smb.pipes.iter())
            .map(String::as_str)
            .collect();
        let service = serde_json::to_value(r.service)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let _ = write!(
            o,
            "<tr id=\"flow-{i}\"><td>{}</td><td><code>{}</code><br>{}</td><td><code>{}:{}</code><br>{}</td>\
             <td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td>\
             <td class=\"{}\">{}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
            esc(merged.capture_of(i)),
            r.client,
            esc(f.class.client.label()),
            r.server,
            r.server_port,
            esc(f.class.server.label()),
            esc(&service),
            esc(&smb),
            esc(&names.join(" ")),
            tags(&f.class.categories),
            f.verdict.as_str(),
            f.verdict.as_str(),
            policy_class(f),
            esc(&policy_text(f)),
            f.rule
                .as_ref()
                .map(|x| esc(&rule_text(x)))
                .unwrap_or_default()
        );
    }
    o.push_str("</table></section>");
    if !merged.unreadable.is_empty() {
        o.push_str("<section><h2>Unreadable inputs (not covered by this report)</h2><ul>");
        for (name, reason) in &merged.unreadable {
            let _ = write!(o, "<li><code>{}</code>: {}</li>", esc(name), esc(reason));
        }
        o.push_str("</ul></section>");
    }
    html_page::close(&mut o, &format!(" from estate “{}”", esc(&estate.name)));
    o
}
