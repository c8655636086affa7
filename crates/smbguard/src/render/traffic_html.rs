//! `smbguard traffic --format html`: one self-contained page (inline CSS, no
//! script, no external asset) with the category counts, the would-be-blocked
//! table, the notable findings and every flow.

use std::fmt::Write;

use smbguard_model::Estate;
use smbguard_traffic::classify::{Category, Impact, ImpactedFlow};

use super::traffic_text::{policy_text, rule_text};
use super::verify_html::esc;
use smbguard_traffic::Merged;

/// Most flows listed in the "all flows" table.
const MAX_ROWS: usize = 5000;

const CSS: &str = "
body { margin: 0; background: #f5f7fa; color: #1d2430; font: 14px/1.45 system-ui, sans-serif; }
header { background: #1f2a3c; color: #fff; padding: 18px 24px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
main { max-width: 1360px; margin: 0 auto; padding: 16px 24px 48px; }
section { background: #fff; border: 1px solid #d9dee6; border-radius: 8px; padding: 12px 16px; margin: 16px 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #d9dee6; vertical-align: top; }
th { background: #eceff3; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.block { color: #b3261e; font-weight: 600; }
.allow { color: #17703a; }
.tag { display: inline-block; padding: 0 6px; margin: 1px; border-radius: 4px; background: #eceff3; font-size: 12px; }
.tag.hot { background: #fde7e4; color: #b3261e; }
code { font-family: ui-monospace, monospace; font-size: 12px; }
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

pub(crate) fn render(estate: &Estate, merged: &Merged, impact: &Impact<'_>) -> String {
    let mut o = String::new();
    let blocked: u64 = impact.blocked.iter().map(|r| r.flows).sum();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>smbguard traffic: {}</title><style>{CSS}</style></head><body>\
         <header><h1>SMB traffic against estate \"{}\"</h1><div>{} flows from {}; \
         profile {}; <strong>{blocked}</strong> would be blocked</div></header><main>",
        esc(&estate.name),
        esc(&estate.name),
        impact.flows.len(),
        esc(&merged.captures.join(", ")),
        impact.profile
    );
    o.push_str("<section><h2>Categories</h2><table><tr><th>category</th><th>flows</th></tr>");
    for (c, n) in &impact.categories {
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"n\">{n}</td></tr>",
            tags(&[*c])
        );
    }
    o.push_str("</table></section>");
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
        for note in r.smb.notes() {
            smb.push_str("; ");
            smb.push_str(&note);
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
            "<tr><td>{}</td><td><code>{}</code><br>{}</td><td><code>{}:{}</code><br>{}</td>\
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
    o.push_str("</main></body></html>\n");
    o
}
