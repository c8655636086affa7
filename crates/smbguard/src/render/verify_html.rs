//! `smbguard verify --format html`: one self-contained page (inline CSS, no
//! script, no external asset) with the verdict, the invariants, every
//! failure with its counterexample and trace, the warnings, the group × group
//! reachability matrix per transport and profile, and the proofs.

use std::fmt::Write;

use smbguard_model::Role;
use smbguard_semantics::{FlowReport, Plan, Profiles, StageKind, Verdict};
use smbguard_verify::{Failure, InvariantResult, Matrix, Reach, Report, Status};

use super::html_page::{self, Head, esc};
use super::verify_text::{check_command, verdict_line};

/// Verify's own rules; the shared ones are in `html_page`.
const CSS: &str = r#"
.verdict { display: inline-block; padding: 8px 14px; border-radius: 6px; font-weight: 700; font-size: 16px; }
.verdict.pass { background: var(--pass-bg); color: var(--pass); }
.verdict.fail { background: var(--fail-bg); color: var(--fail); }
table.inv { width: 100%; background: var(--card); border: 1px solid var(--line); }
table.inv th, table.inv td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
table.inv th { background: #eef1f6; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
table.inv td.cov { color: var(--muted); font-size: 12.5px; max-width: 430px; }
.failure { border-left: 5px solid var(--fail); }
.failure .why { margin: 4px 0 10px; }
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
.grid { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; margin-bottom: 10px; }
.role { color: var(--muted); font-weight: 400; font-size: 11px; }
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
    let items = [Reach::All, Reach::Some, Reach::None, Reach::NotApplicable].map(reach_cell);
    html_page::legend(o, &items);
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
    let pass = r.passed;
    let transports: Vec<String> = r.transports.iter().map(ToString::to_string).collect();
    let s = &r.stats;
    let meta = format!(
        "strategy {} · transports {} · {} groups, {} address ranges, {} rules · every IPv4 and IPv6 address in {} classes · 3 × 3 profile pairs · smbguard {}",
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
    );
    let verdict = format!(
        "<div class=\"verdict {}\">{} {}</div>",
        if pass { "pass" } else { "fail" },
        if pass { "✔" } else { "✘" },
        esc(&verdict_line(r))
    );
    let mut o = html_page::open(&Head {
        title: &format!(
            "smbguard verify — {}: {}",
            r.estate,
            if pass { "PASS" } else { "FAIL" }
        ),
        css: CSS,
        brand: "smbguard verify · KB3185535",
        heading: &format!("Estate “{}”", r.estate),
        meta: &meta,
        extra: &verdict,
    });
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
    html_page::close(&mut o, &format!(" from estate “{}”", esc(&r.estate)));
    o
}
