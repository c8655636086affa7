//! `smbguard audit --format html`: one self-contained fleet report (inline
//! CSS, no script, no external resource): the summary counts, compliance
//! per group, the hosts with findings worst first (each finding with its
//! code, severity, KB row, evidence rules, the `check`-style trace, the
//! approximations and the fix), and the legend of finding codes.
//!
//! A fleet of 10,000 hosts stays a readable page: compliant hosts are only
//! counted (per group), at most [`MAX_FINDINGS_PER_HOST`] findings are shown
//! per host, [`MAX_DETAILED_HOSTS`] hosts in full, [`MAX_LISTED_HOSTS`] more
//! one row each, and every cut says how much it left out (`--format json`
//! and `sarif` have everything). Every string read from an input is escaped.

use std::collections::BTreeMap;
use std::fmt::Write;

use smbguard_audit::{AuditCode, AuditFinding, AuditReport, HostAudit, Severity, Store};

use super::audit_text::trace;
use super::html_page::{self, Head, esc};
use super::markdown::to_html;
use super::term;

/// Findings shown in full on one host; the others are counted by code.
pub(crate) const MAX_FINDINGS_PER_HOST: usize = 10;
/// Hosts with findings shown in full, worst first.
pub(crate) const MAX_DETAILED_HOSTS: usize = 100;
/// Further hosts with findings, one table row each.
pub(crate) const MAX_LISTED_HOSTS: usize = 2000;

/// Audit's own rules; the shared ones are in `html_page`.
const CSS: &str = r#"
.tiles { display: flex; flex-wrap: wrap; gap: 10px; margin: 4px 0 0; }
.tile { background: rgba(255,255,255,.1); border-radius: 6px; padding: 6px 14px; min-width: 96px; }
.tile b { display: block; font-size: 22px; }
.badge.high { background: var(--fail-bg); color: var(--fail); border: 1px solid #f2aaa2; }
.badge.medium { background: var(--warn-bg); color: var(--warn); border: 1px solid #e9cc85; }
.badge.low { background: var(--all); color: var(--all-ink); border: 1px solid #9dbbe8; }
table.list { width: 100%; background: var(--card); border: 1px solid var(--line); }
table.list th, table.list td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
table.list th { background: #eef1f6; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.bar { display: flex; width: 100%; min-width: 120px; height: 14px; border-radius: 3px; overflow: hidden; background: var(--none); }
.bar .ok { background: var(--pass); }
.bar .bad { background: var(--fail); }
.host { border-left: 5px solid var(--line); }
.host.high { border-left-color: var(--fail); }
.host.medium { border-left-color: var(--warn); }
.host.low { border-left-color: var(--all-ink); }
.host h3 { overflow-wrap: anywhere; }
.host .meta { color: var(--muted); font-size: 12.5px; margin: 0 0 8px; overflow-wrap: anywhere; }
details.finding summary { font-weight: 400; overflow-wrap: anywhere; }
details.finding .detail { margin: 8px 0; overflow-wrap: anywhere; }
pre { background: #f0f2f6; border-radius: 4px; padding: 8px 10px; margin: 6px 0; overflow-x: auto; font-size: 12px; line-height: 1.4; }
.more { color: var(--muted); font-style: italic; }
.codes { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(420px, 100%), 1fr)); gap: 12px; }
.codes .card { margin: 0; min-width: 0; }
.codes p { margin: 6px 0; font-size: 13px; }
main p, main li, main code { overflow-wrap: anywhere; }
"#;

fn badge(s: Severity) -> String {
    format!("<span class=\"badge {0}\">{0}</span>", s.as_str())
}

fn worst_badge(s: Option<Severity>) -> String {
    s.map_or_else(|| "<span class=\"badge pass\">none</span>".into(), badge)
}

fn group_label(g: Option<&str>) -> String {
    g.map_or_else(|| "(no group)".into(), esc)
}

fn store_label(s: Store) -> &'static str {
    match s {
        Store::Gpo => "GPO",
        Store::Mdm => "MDM",
        Store::Local => "local",
        Store::AssumedBuiltIn => "built-in (assumed enabled)",
        Store::Linux => "Linux firewall",
        Store::Perimeter => "perimeter ACL",
    }
}

/// A finding code, linking to its explanation in the legend.
fn code_link(c: AuditCode) -> String {
    format!("<a href=\"#{0}\"><code>{0}</code></a>", c.id())
}

/// Hosts, compliant hosts and the worst finding of one group.
#[derive(Default)]
struct GroupCount {
    hosts: usize,
    compliant: usize,
    worst: Option<Severity>,
}

fn compliance(o: &mut String, r: &AuditReport) {
    let mut groups: BTreeMap<Option<&str>, GroupCount> = BTreeMap::new();
    for h in &r.hosts {
        let g = groups.entry(h.group.as_deref()).or_default();
        g.hosts += 1;
        g.compliant += usize::from(h.findings.is_empty());
        g.worst = g.worst.max(h.worst());
    }
    o.push_str("<section id=\"compliance\"><h2>Compliance per group</h2>\n<p class=\"muted\">Compliant hosts are counted here and not listed below.</p>\n<table class=\"list\"><tr><th>group</th><th>hosts</th><th>compliant</th><th>with findings</th><th>worst finding</th><th style=\"width:34%\">compliant share</th></tr>\n");
    for (name, g) in &groups {
        let ok = g.compliant * 100 / g.hosts.max(1);
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td><div class=\"bar\" title=\"{ok}% compliant\"><span class=\"ok\" style=\"width:{ok}%\"></span><span class=\"bad\" style=\"width:{}%\"></span></div></td></tr>",
            group_label(*name),
            g.hosts,
            g.compliant,
            g.hosts - g.compliant,
            worst_badge(g.worst),
            100 - ok
        );
    }
    o.push_str("</table>\n</section>\n");
}

fn rules_table(o: &mut String, f: &AuditFinding) {
    if f.evidence.rules.is_empty() {
        return;
    }
    o.push_str("<table class=\"list\"><tr><th>rule ID</th><th>name</th><th>store</th><th>action</th><th>declared by smbguard</th></tr>\n");
    for r in &f.evidence.rules {
        let _ = writeln!(
            o,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.id),
            esc(&r.name),
            store_label(r.store),
            esc(&r.action),
            if r.declared { "yes" } else { "no" }
        );
    }
    o.push_str("</table>\n");
}

/// Lines in a `<pre>`, control characters other than the line breaks
/// made visible as in the terminal (`\x1b`, `\u{202e}`).
fn pre(o: &mut String, text: &str) {
    let _ = writeln!(o, "<pre>{}</pre>", esc(&term::sanitize(text.to_owned())));
}

fn finding(o: &mut String, f: &AuditFinding, open: bool) {
    let _ = writeln!(
        o,
        "<details class=\"finding\"{}><summary>{} {} <span class=\"kb\">{} · {}</span> {}</summary>\n<p class=\"detail\">{}</p>",
        if open { " open" } else { "" },
        badge(f.severity),
        code_link(f.code),
        f.slug,
        f.kb,
        esc(&f.title),
        esc(&f.evidence.detail)
    );
    rules_table(o, f);
    if let Some(t) = &f.evidence.trace {
        o.push_str("<h4>First differing flow, as <code>smbguard check</code> traces it</h4>\n");
        pre(o, &trace(t, f.evidence.classes));
    }
    if !f.evidence.approximated.is_empty() {
        o.push_str("<h4>Approximated by the reader</h4>\n<ul>");
        for a in &f.evidence.approximated {
            let _ = writeln!(o, "<li>{}</li>", esc(a));
        }
        o.push_str("</ul>\n");
    }
    if let Some(fix) = &f.fix {
        let _ = writeln!(
            o,
            "<h4>Fix ({})</h4>\n<p>{}</p>",
            esc(fix.language),
            esc(&fix.summary)
        );
        pre(o, &fix.snippet);
    }
    o.push_str("</details>\n");
}

/// "N more findings: SG-H001 ×3, …" for the findings past the cap.
fn more_findings(o: &mut String, rest: &[AuditFinding]) {
    if rest.is_empty() {
        return;
    }
    let mut by_code: BTreeMap<AuditCode, usize> = BTreeMap::new();
    for f in rest {
        *by_code.entry(f.code).or_default() += 1;
    }
    let counts: Vec<String> = by_code
        .iter()
        .map(|(c, n)| format!("{} ×{n}", code_link(*c)))
        .collect();
    let _ = writeln!(
        o,
        "<p class=\"more\">{} more finding(s) on this host not shown: {} (<code>--format json</code> or <code>sarif</code> lists them).</p>",
        rest.len(),
        counts.join(", ")
    );
}

fn input_kind(h: &HostAudit) -> String {
    serde_json::to_value(h.input)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn host(o: &mut String, i: usize, h: &HostAudit) {
    let _ = writeln!(
        o,
        "<article class=\"card host {}\" id=\"host-{i}\"><h3>{}</h3>\n<p class=\"meta\">group {} · {} <code>{}</code> · policy SHA-1 <code>{}</code> · {} SMB flow classes compared · {} finding(s)</p>",
        h.worst().map_or("", Severity::as_str),
        esc(&h.host),
        group_label(h.group.as_deref()),
        esc(&input_kind(h)),
        esc(&h.source),
        esc(&h.policy_hash),
        h.classes,
        h.findings.len()
    );
    let shown = h.findings.len().min(MAX_FINDINGS_PER_HOST);
    for (j, f) in h.findings[..shown].iter().enumerate() {
        finding(o, f, j == 0);
    }
    more_findings(o, &h.findings[shown..]);
    if !h.notes.is_empty() {
        let _ = write!(
            o,
            "<details><summary>{} reader note(s): what could not be modelled exactly</summary>\n<ul>",
            h.notes.len()
        );
        for n in h.notes.iter().take(MAX_FINDINGS_PER_HOST) {
            let _ = writeln!(
                o,
                "<li><code>{}</code> {}: {}</li>",
                n.code.id(),
                esc(&n.location),
                esc(&n.message)
            );
        }
        if h.notes.len() > MAX_FINDINGS_PER_HOST {
            let _ = writeln!(
                o,
                "<li class=\"more\">{} more</li>",
                h.notes.len() - MAX_FINDINGS_PER_HOST
            );
        }
        o.push_str("</ul>\n</details>\n");
    }
    o.push_str("</article>\n");
}

/// Hosts past the detailed ones: one row each, then a count of the rest.
fn host_rows(o: &mut String, hosts: &[&HostAudit]) {
    if hosts.is_empty() {
        return;
    }
    let listed = hosts.len().min(MAX_LISTED_HOSTS);
    let _ = writeln!(
        o,
        "<h3>{} more host(s) with findings</h3>\n<table class=\"list\"><tr><th>host</th><th>group</th><th>source</th><th>worst</th><th>findings</th><th>codes</th></tr>",
        hosts.len()
    );
    for h in &hosts[..listed] {
        let mut codes: Vec<AuditCode> = h.findings.iter().map(|f| f.code).collect();
        codes.sort();
        codes.dedup();
        let codes: Vec<String> = codes.into_iter().map(code_link).collect();
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(&h.host),
            group_label(h.group.as_deref()),
            esc(&h.source),
            worst_badge(h.worst()),
            h.findings.len(),
            codes.join(" ")
        );
    }
    o.push_str("</table>\n");
    if hosts.len() > listed {
        let _ = writeln!(
            o,
            "<p class=\"more\">{} more host(s) with findings not listed (<code>--format json</code> or <code>sarif</code> lists them).</p>",
            hosts.len() - listed
        );
    }
}

fn hosts(o: &mut String, r: &AuditReport) {
    let failing: Vec<&HostAudit> = r.hosts.iter().filter(|h| !h.findings.is_empty()).collect();
    let _ = writeln!(
        o,
        "<section id=\"hosts\"><h2>Hosts with findings ({} of {}), worst first</h2>",
        failing.len(),
        r.hosts.len()
    );
    if failing.is_empty() {
        o.push_str("<p>Every host audited matches the plan.</p>\n");
    }
    let detailed = failing.len().min(MAX_DETAILED_HOSTS);
    for (i, h) in failing[..detailed].iter().enumerate() {
        host(o, i, h);
    }
    host_rows(o, &failing[detailed..]);
    o.push_str("</section>\n");
}

fn legend(o: &mut String) {
    o.push_str("<section id=\"codes\"><h2>Finding codes</h2>\n<p class=\"muted\">The explanations of <code>docs/audit.md</code>.</p>\n<div class=\"codes\">");
    for c in AuditCode::ALL {
        let e = c.explanation();
        let _ = writeln!(
            o,
            "<article class=\"card\" id=\"{}\"><h3><code>{}</code> {} {} <span class=\"kb\">{}</span></h3>\n<p><strong>{}</strong></p>",
            c.id(),
            c.id(),
            c.slug(),
            badge(c.severity()),
            c.kb(),
            esc(e.summary)
        );
        for paragraph in e.markdown().split("\n\n") {
            let _ = writeln!(o, "<p>{}</p>", to_html(paragraph));
        }
        o.push_str("</article>\n");
    }
    o.push_str("</div></section>\n");
}

fn tiles(r: &AuditReport) -> String {
    let s = &r.summary;
    let mut o = String::from("<div class=\"tiles\">");
    for (n, label) in [
        (s.hosts, "hosts"),
        (s.compliant, "compliant"),
        (s.high, "high"),
        (s.medium, "medium"),
        (s.low, "low"),
    ] {
        let _ = write!(o, "<div class=\"tile\"><b>{n}</b>{label}</div>");
    }
    o.push_str("</div>");
    o
}

/// The whole report.
pub(crate) fn render(r: &AuditReport) -> String {
    let s = &r.summary;
    let meta = format!(
        "{} of {} host(s) compliant · findings: {} high, {} medium, {} low · smbguard {}",
        s.compliant,
        s.hosts,
        s.high,
        s.medium,
        s.low,
        esc(&r.version)
    );
    let mut o = html_page::open(&Head {
        title: &format!("smbguard audit — {}", r.estate),
        css: CSS,
        brand: "smbguard audit · KB3185535",
        heading: &format!("Estate “{}”: what is deployed against the plan", r.estate),
        meta: &meta,
        extra: &tiles(r),
    });
    o.push_str("<nav><a href=\"#compliance\">Compliance</a><a href=\"#hosts\">Hosts</a><a href=\"#codes\">Finding codes</a></nav>\n");
    compliance(&mut o, r);
    hosts(&mut o, r);
    legend(&mut o);
    html_page::close(&mut o, &format!(" from estate “{}”", esc(&r.estate)));
    o
}

#[cfg(test)]
mod tests {
    use smbguard_audit::{AuditCode, AuditReport, Severity};

    use super::{MAX_DETAILED_HOSTS, MAX_FINDINGS_PER_HOST, MAX_LISTED_HOSTS, render};
    use crate::render::audit_fixture::{finding, host};

    /// 10,000 hosts: the compliant ones only counted, the failing ones
    /// capped in detail and in rows, each cut saying what it left out.
    #[test]
    fn ten_thousand_hosts_stay_a_readable_page() {
        let per_host = MAX_FINDINGS_PER_HOST + 5;
        let mut hosts = Vec::new();
        for i in 0..7000 {
            let group = ["workstations", "members"][i % 2];
            hosts.push(host(&format!("ok-{i}"), "-", Some(group), Vec::new()));
        }
        for i in 0..3000 {
            let findings = (0..per_host)
                .map(|j| {
                    let s = [Severity::High, Severity::Medium, Severity::Low][j % 3];
                    finding(AuditCode::ALL[j % 14], s, j)
                })
                .collect();
            hosts.push(host(
                &format!("bad-{i}"),
                "-",
                Some("workstations"),
                findings,
            ));
        }
        let html = render(&AuditReport::new("big", "0.0.0", hosts));
        assert!(
            !html.contains("ok-17<") && !html.contains(">ok-"),
            "compliant hosts are not listed"
        );
        // workstations: 3500 compliant of 6500; members: 3500 of 3500.
        assert!(
            html.contains(
                "<td>workstations</td><td class=\"n\">6500</td><td class=\"n\">3500</td>"
            )
        );
        assert!(
            html.contains("<td>members</td><td class=\"n\">3500</td><td class=\"n\">3500</td>")
        );
        assert_eq!(
            html.matches("<article class=\"card host").count(),
            MAX_DETAILED_HOSTS
        );
        assert_eq!(
            html.matches("<details class=\"finding\"").count(),
            MAX_DETAILED_HOSTS * MAX_FINDINGS_PER_HOST
        );
        assert_eq!(
            html.matches("5 more finding(s) on this host").count(),
            MAX_DETAILED_HOSTS
        );
        let unlisted = 3000 - MAX_DETAILED_HOSTS - MAX_LISTED_HOSTS;
        assert!(html.contains(&format!(
            "{} more host(s) with findings</h3>",
            3000 - MAX_DETAILED_HOSTS
        )));
        assert!(html.contains(&format!("{unlisted} more host(s) with findings not listed")));
        assert_eq!(html.matches("<tr><td>bad-").count(), MAX_LISTED_HOSTS);
        assert!(html.len() < 4 << 20, "{} bytes", html.len());
    }

    #[test]
    fn strings_from_the_report_are_escaped() {
        let f = finding(AuditCode::SmbInboundOpen, Severity::High, 1);
        let h = host(
            "<img src=x onerror=alert(1)>",
            "a<b>.json",
            Some("<g>"),
            vec![f],
        );
        let html = render(&AuditReport::new("<estate>", "0.0.0", vec![h]));
        for raw in ["<img", "a<b>", "<g>", "<estate>", "<i>"] {
            assert!(!html.contains(raw), "unescaped {raw}");
        }
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    }
}
