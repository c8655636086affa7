//! `smbguard verify --format html`: one self-contained page (inline CSS, no
//! script, no external asset) with the verdict, the invariants, every
//! failure with its counterexample and trace, the warnings, the group × group
//! reachability matrix per transport and profile, and the proofs.

use std::fmt::Write;

use smbguard_model::Role;
use smbguard_semantics::{FlowReport, Plan, Profiles, StageKind, Verdict};
use smbguard_verify::{Failure, InvariantResult, Matrix, Reach, Report, Status};

use super::verify_text::{check_command, verdict_line};

/// Escapes text for HTML element content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

const CSS: &str = r#"
:root { --pass:#17703a; --pass-bg:#e3f4e8; --fail:#b3261e; --fail-bg:#fde7e4; --warn:#8a5a00; --warn-bg:#fff3d6;
  --ink:#1d2430; --muted:#5b6472; --line:#d9dee6; --card:#ffffff; --page:#f5f7fa;
  --all:#cfe3ff; --all-ink:#0b3d91; --some:#ffdf9e; --some-ink:#6b4500; --none:#eceff3; --none-ink:#5b6472; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--page); color: var(--ink); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; }
main { max-width: 1360px; margin: 0 auto; padding: 20px 24px 48px; }
header.top { background: #1f2a3c; color: #fff; padding: 18px 24px 20px; }
header.top .inner { max-width: 1360px; margin: 0 auto; }
header.top .brand { font-size: 12px; letter-spacing: .12em; text-transform: uppercase; opacity: .75; }
header.top h1 { margin: 2px 0 4px; font-size: 26px; }
header.top .meta { margin: 0 0 12px; opacity: .85; }
.verdict { display: inline-block; padding: 8px 14px; border-radius: 6px; font-weight: 700; font-size: 16px; }
.verdict.pass { background: var(--pass-bg); color: var(--pass); }
.verdict.fail { background: var(--fail-bg); color: var(--fail); }
nav { margin: 14px 0 6px; font-size: 13px; }
nav a { color: #1f4fa3; margin-right: 14px; text-decoration: none; }
h2 { font-size: 19px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 0 0 8px; }
h4 { font-size: 13px; margin: 12px 0 6px; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; }
table { border-collapse: collapse; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin: 0 0 14px; }
table.inv { width: 100%; background: var(--card); border: 1px solid var(--line); }
table.inv th, table.inv td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
table.inv th { background: #eef1f6; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
table.inv td.cov { color: var(--muted); font-size: 12.5px; max-width: 430px; }
.badge { display: inline-block; white-space: nowrap; min-width: 58px; text-align: center; padding: 2px 8px; border-radius: 4px; font-weight: 700; font-size: 12px; }
.badge.pass { background: var(--pass-bg); color: var(--pass); border: 1px solid #9fd3af; }
.badge.fail { background: var(--fail-bg); color: var(--fail); border: 1px solid #f2aaa2; }
.badge.warn { background: var(--warn-bg); color: var(--warn); border: 1px solid #e9cc85; }
.kb { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; color: var(--muted); }
code, .mono { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, monospace; font-size: 12.5px; }
code { background: #f0f2f6; padding: 1px 4px; border-radius: 3px; }
.failure { border-left: 5px solid var(--fail); }
.failure .why { margin: 4px 0 10px; }
table.kv th { text-align: left; color: var(--muted); font-weight: 600; padding: 3px 14px 3px 0; vertical-align: top; white-space: nowrap; }
table.kv td { padding: 3px 0; }
table.trace { width: 100%; margin-top: 4px; }
table.trace td, table.trace th { border-top: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
table.trace th { font-size: 12px; color: var(--muted); }
.v-allow { color: var(--all-ink); font-weight: 700; }
.v-block { color: var(--fail); font-weight: 700; }
.rules { margin: 4px 0 0; padding: 0; list-style: none; font-size: 12.5px; }
.rules li { margin: 2px 0; color: var(--muted); }
.rules li.decisive { color: var(--ink); font-weight: 600; }
table.lints { width: 100%; background: var(--card); border: 1px solid var(--line); }
table.lints td, table.lints th { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
table.lints th { background: #eef1f6; font-size: 12px; color: var(--muted); text-transform: uppercase; }
.legend { display: flex; flex-wrap: wrap; gap: 18px; align-items: center; margin: 6px 0 14px; font-size: 13px; }
.legend span.sw { display: inline-block; padding: 2px 8px; border-radius: 3px; border: 1px solid #b9c2cf; margin-right: 6px; font-weight: 700; font-size: 12px; }
.grid { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; margin-bottom: 10px; }
table.matrix { background: var(--card); border: 1px solid var(--line); font-size: 11px; }
table.matrix caption { text-align: left; font-weight: 700; padding: 4px 0 6px; font-size: 13px; }
table.matrix th.col { vertical-align: bottom; padding: 4px 2px; height: 150px; }
table.matrix th.col span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; font-weight: 600; }
table.matrix th.row { text-align: right; padding: 2px 6px; white-space: nowrap; font-weight: 600; font-size: 11.5px; }
table.matrix th.corner { font-size: 11px; color: var(--muted); font-weight: 400; text-align: right; vertical-align: bottom; padding: 4px 8px; }
table.matrix td { width: 48px; min-width: 48px; height: 24px; padding: 0 1px; white-space: nowrap; text-align: center; border: 1px solid #fff; font-weight: 700; font-size: 11px; }
.role { color: var(--muted); font-weight: 400; font-size: 11px; }
td.r-all, span.r-all { background: var(--all); color: var(--all-ink); }
td.r-some, span.r-some { background: var(--some); color: var(--some-ink); }
td.r-none, span.r-none { background: var(--none); color: var(--none-ink); font-weight: 400; }
td.r-na, span.r-na { background: #fff; color: #a0a7b2; font-weight: 400; }
details { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin-bottom: 8px; }
details summary { cursor: pointer; font-weight: 600; }
details li { margin: 3px 0; font-size: 12.5px; }
.muted { color: var(--muted); }
footer { margin-top: 30px; color: var(--muted); font-size: 12px; }
@media print { body { background: #fff; } .card, details { break-inside: avoid; } }
"#;

fn role_label(r: Option<Role>) -> &'static str {
    match r {
        Some(Role::DomainController) => "DC",
        Some(Role::FileServer) => "file server",
        Some(Role::Member) => "member",
        Some(Role::Workstation) => "workstation",
        Some(Role::Isolated) => "isolated",
        None => "no group",
    }
}

fn reach_cell(r: Reach) -> (&'static str, &'static str, &'static str) {
    match r {
        Reach::All => ("r-all", "● all", "every pair allowed"),
        Reach::Some => ("r-some", "◐ some", "some pairs allowed, some blocked"),
        Reach::None => ("r-none", "○ none", "every pair blocked"),
        Reach::NotApplicable => ("r-na", "–", "no pair of the same address family"),
    }
}

fn status_badge(s: Status) -> &'static str {
    match s {
        Status::Pass => "<span class=\"badge pass\">✔ PASS</span>",
        Status::Fail => "<span class=\"badge fail\">✘ FAIL</span>",
    }
}

fn verdict_span(v: Verdict) -> String {
    match v {
        Verdict::Allow => "<span class=\"v-allow\">allow</span>".into(),
        Verdict::Block => "<span class=\"v-block\">block</span>".into(),
    }
}

fn profiles_text(p: &Profiles) -> String {
    format!("source {}, destination {}", p.source, p.destination)
}

fn trace(o: &mut String, report: &FlowReport) {
    o.push_str("<table class=\"trace\"><tr><th>stage</th><th>policy</th><th>verdict</th><th>why, and the rules that matched (⇒ decided)</th></tr>");
    for s in &report.stages {
        let stage = match s.stage {
            StageKind::SourceOutbound => "1. source outbound",
            StageKind::Perimeter => "2. perimeter",
            StageKind::DestinationInbound => "3. destination inbound",
        };
        let verdict = match &s.decision {
            None => "<span class=\"muted\">– (no policy)</span>".to_string(),
            Some(d) => verdict_span(d.verdict),
        };
        let group = s.group.as_deref().map_or_else(
            || {
                if s.stage == StageKind::Perimeter {
                    "perimeter ACL".to_string()
                } else {
                    "<span class=\"muted\">no group</span>".to_string()
                }
            },
            |g| format!("<code>{}</code>", esc(g)),
        );
        let _ = write!(
            o,
            "<tr><td>{stage}</td><td>{group}</td><td>{verdict}</td><td>{}",
            esc(&s.summary)
        );
        if let Some(d) = &s.decision {
            if !d.matched.is_empty() {
                o.push_str("<ul class=\"rules\">");
                for m in &d.matched {
                    let _ = write!(
                        o,
                        "<li class=\"{}\">{} {} {} “{}” <span class=\"mono\">[{}]</span> — {}</li>",
                        if m.decisive { "decisive" } else { "" },
                        if m.decisive { "⇒" } else { "·" },
                        esc(&m.action),
                        m.kb,
                        esc(&m.name),
                        esc(&m.id),
                        esc(&m.note)
                    );
                }
                o.push_str("</ul>");
            }
        }
        o.push_str("</td></tr>");
    }
    o.push_str("</table>");
}

/// A short coverage cell: clauses, contexts, and failures if any.
fn coverage(inv: &InvariantResult) -> String {
    let mut s = if inv.contexts == 0 {
        format!("{} clause(s)", inv.clauses)
    } else {
        format!(
            "{} clause(s) × {} context(s), every address",
            inv.clauses, inv.contexts
        )
    };
    if !inv.failures.is_empty() {
        let _ = write!(
            s,
            " · <strong>{} counterexample(s)</strong>",
            inv.failures.len()
        );
    }
    s
}

fn failure(o: &mut String, inv: &InvariantResult, f: &Failure) {
    let _ = write!(
        o,
        "<article class=\"card failure\"><h3><span class=\"badge fail\">✘ FAIL</span> {} · {}</h3><p class=\"why\">{}</p><table class=\"kv\">",
        esc(&inv.id),
        esc(&f.clause),
        esc(&f.explanation)
    );
    if let Some(s) = &f.service {
        let _ = write!(
            o,
            "<tr><th>Setting</th><td><code>{}</code> disabled on <code>{}</code> ({}{})</td></tr>",
            esc(&s.service),
            esc(&s.group),
            s.role.as_str(),
            if s.domain_joined {
                ", domain-joined"
            } else {
                ""
            }
        );
    }
    if let (Some(flow), Some(p)) = (&f.flow, &f.profiles) {
        let _ = write!(
            o,
            "<tr><th>Counterexample</th><td><code>{} → {} {}</code> from source port {}</td></tr>",
            flow.source, flow.destination, flow.transport, flow.source_port
        );
        let mut prof = profiles_text(p);
        if !f.also_in.is_empty() {
            let more: Vec<String> = f
                .also_in
                .iter()
                .map(|q| format!("{} → {}", q.source, q.destination))
                .collect();
            let _ = write!(
                prof,
                " <span class=\"muted\">(also fails with {})</span>",
                more.join(", ")
            );
        }
        let _ = write!(o, "<tr><th>Profiles</th><td>{prof}</td></tr>");
        let _ = write!(
            o,
            "<tr><th>Required</th><td>{} {}</td></tr><tr><th>Observed</th><td>{} {}{}</td></tr>",
            verdict_span(f.expected),
            esc(f.observe.as_str()),
            verdict_span(f.observed),
            esc(f.observe.as_str()),
            if f.reproduced {
                " <span class=\"muted\">(reproduced by the same evaluation as <code>smbguard check</code>)</span>"
            } else {
                " <strong>INTERNAL ERROR: not reproduced by check_flow; please report it</strong>"
            }
        );
        let _ = write!(
            o,
            "<tr><th>Replay</th><td><code>{}</code></td></tr>",
            esc(&check_command(flow, p))
        );
    }
    o.push_str("</table>");
    if let Some(t) = &f.trace {
        o.push_str("<h4>Trace</h4>");
        trace(o, t);
    }
    o.push_str("</article>");
}

fn matrix(o: &mut String, m: &Matrix) {
    o.push_str("<section id=\"matrix\"><h2>Reachability: group × group</h2>");
    o.push_str("<p class=\"muted\">Each cell: can hosts of the row group open the transport to hosts of the column group, end to end (source outbound, perimeter, destination inbound), with both ends in the profile named, from source port 50000? Computed over every address of both groups, same address family only.</p>");
    o.push_str("<div class=\"legend\"><strong>Legend:</strong>");
    for r in [Reach::All, Reach::Some, Reach::None, Reach::NotApplicable] {
        let (class, label, meaning) = reach_cell(r);
        let _ = write!(
            o,
            "<span><span class=\"sw {class}\">{label}</span>{meaning}</span>"
        );
    }
    o.push_str("</div>");
    if let Some(why) = &m.omitted {
        let _ = write!(
            o,
            "<p class=\"card\">Matrix not drawn: {}</p></section>",
            esc(why)
        );
        return;
    }
    let mut transports: Vec<smbguard_model::Transport> = Vec::new();
    for t in &m.tables {
        if !transports.contains(&t.transport) {
            transports.push(t.transport);
        }
    }
    for tr in transports {
        let _ = write!(
            o,
            "<h3>{} <span class=\"muted\">({})</span></h3><div class=\"grid\">",
            tr,
            tr.service_name()
        );
        for t in m.tables.iter().filter(|t| t.transport == tr) {
            let _ = write!(
                o,
                "<table class=\"matrix\"><caption>{tr} · {} profile</caption><thead><tr><th class=\"corner\">from ↓ &nbsp; to →</th>",
                t.profile
            );
            for g in &m.groups {
                let _ = write!(o, "<th class=\"col\"><span>{}</span></th>", esc(&g.name));
            }
            o.push_str("</tr></thead><tbody>");
            for (i, row) in t.cells.iter().enumerate() {
                let g = &m.groups[i];
                let _ = write!(
                    o,
                    "<tr><th class=\"row\">{} <span class=\"role\">{}</span></th>",
                    esc(&g.name),
                    role_label(g.role)
                );
                for (j, c) in row.iter().enumerate() {
                    let (class, label, meaning) = reach_cell(*c);
                    let _ = write!(
                        o,
                        "<td class=\"{class}\" title=\"{} → {} on {tr}, {}: {meaning}\">{label}</td>",
                        esc(&g.name),
                        esc(&m.groups[j].name),
                        t.profile
                    );
                }
                o.push_str("</tr>");
            }
            o.push_str("</tbody></table>");
        }
        o.push_str("</div>");
    }
    o.push_str("</section>");
}

pub(crate) fn render(_plan: &Plan, r: &Report) -> String {
    let mut o = String::with_capacity(64 * 1024);
    let pass = r.passed;
    let transports: Vec<String> = r.transports.iter().map(ToString::to_string).collect();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>smbguard verify — {}: {}</title><style>{CSS}</style></head><body>",
        esc(&r.estate),
        if pass { "PASS" } else { "FAIL" }
    );
    let s = &r.stats;
    let _ = write!(
        o,
        "<header class=\"top\"><div class=\"inner\"><div class=\"brand\">smbguard verify · KB3185535</div><h1>Estate “{}”</h1><p class=\"meta\">strategy {} · transports {} · {} groups, {} address ranges, {} rules · every IPv4 and IPv6 address in {} classes · 3 × 3 profile pairs · smbguard {}</p><div class=\"verdict {}\">{} {}</div></div></header><main>",
        esc(&r.estate),
        match r.strategy {
            smbguard_model::Strategy::IpsecBypass => "ipsec-bypass",
            smbguard_model::Strategy::Complement => "complement",
        },
        esc(&transports.join(", ")),
        s.groups,
        s.group_ranges,
        s.rules,
        s.address_classes,
        env!("CARGO_PKG_VERSION"),
        if pass { "pass" } else { "fail" },
        if pass { "✔" } else { "✘" },
        esc(&verdict_line(r))
    );
    o.push_str("<nav><a href=\"#invariants\">Invariants</a>");
    if !pass {
        o.push_str("<a href=\"#failures\">Failures</a>");
    }
    if !r.lints.is_empty() {
        o.push_str("<a href=\"#warnings\">Warnings</a>");
    }
    if r.matrix.is_some() {
        o.push_str("<a href=\"#matrix\">Reachability</a>");
    }
    o.push_str("<a href=\"#proofs\">Proofs</a></nav>");

    o.push_str("<section id=\"invariants\"><h2>Invariants</h2><table class=\"inv\"><tr><th>status</th><th>id</th><th>what must hold</th><th>KB rows</th><th>coverage</th></tr>");
    for inv in &r.invariants {
        let kb: Vec<String> = inv.kb.iter().map(ToString::to_string).collect();
        let _ = write!(
            o,
            "<tr><td>{}</td><td><strong>{}</strong></td><td>{}{}</td><td class=\"kb\">{}</td><td class=\"cov\" title=\"{}\">{}</td></tr>",
            status_badge(inv.status),
            esc(&inv.id),
            esc(&inv.title),
            if inv.user {
                " <span class=\"muted\">(estate invariant)</span>"
            } else {
                ""
            },
            kb.join(" "),
            esc(&inv.summary),
            coverage(inv)
        );
    }
    o.push_str("</table></section>");

    if !pass {
        o.push_str("<section id=\"failures\"><h2>Failures and counterexamples</h2>");
        for inv in r.failed() {
            for f in &inv.failures {
                failure(&mut o, inv, f);
            }
        }
        o.push_str("</section>");
    }

    if !r.lints.is_empty() {
        let _ = write!(
            o,
            "<section id=\"warnings\"><h2>Warnings ({})</h2><table class=\"lints\"><tr><th>lint</th><th>where</th><th>what</th></tr>",
            r.lints.len()
        );
        for l in &r.lints {
            let mut at = String::new();
            if let Some(g) = &l.group {
                let _ = write!(at, "<code>{}</code> ", esc(g));
            }
            if let Some(n) = &l.rule_name {
                let _ = write!(at, "“{}” ", esc(n));
            }
            if let Some(id) = &l.rule_id {
                let _ = write!(at, "<span class=\"mono muted\">[{}]</span>", esc(id));
            }
            let _ = write!(
                o,
                "<tr><td><span class=\"badge warn\">⚠ {}</span></td><td>{at}</td><td>{}</td></tr>",
                esc(l.code),
                esc(&l.message)
            );
        }
        o.push_str("</table></section>");
    }

    if let Some(m) = &r.matrix {
        matrix(&mut o, m);
    }

    o.push_str("<section id=\"proofs\"><h2>Proofs</h2><p class=\"muted\">Every invariant is proved over whole address classes; these representative flows show which rules decide.</p>");
    for inv in &r.invariants {
        let _ = write!(
            o,
            "<details><summary>{} {} — {}</summary><p class=\"muted\">{}</p>",
            status_badge(inv.status),
            esc(&inv.id),
            esc(&inv.title),
            esc(&inv.summary)
        );
        if !inv.proof.is_empty() {
            o.push_str("<ul>");
            for e in &inv.proof {
                let _ = write!(o, "<li class=\"mono\">{}</li>", esc(&e.text));
            }
            o.push_str("</ul>");
        }
        for n in &inv.notes {
            let _ = write!(o, "<p class=\"muted\">Note: {}</p>", esc(n));
        }
        o.push_str("</details>");
    }
    o.push_str("</section>");
    let _ = writeln!(
        o,
        "<footer>Generated by smbguard {} from estate “{}”. Self-contained: no script, no external resources.</footer></main></body></html>",
        env!("CARGO_PKG_VERSION"),
        esc(&r.estate)
    );
    o
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
