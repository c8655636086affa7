//! `smbguard check` as text: the verdict, then each stage with the rules
//! that matched and the one that decided.

use std::fmt::Write;

use smbguard_semantics::{FlowReport, Plan, StageKind, Verdict};

use super::term::esc;

pub(crate) fn render(plan: &Plan, r: &FlowReport) -> String {
    let mut o = String::new();
    let verdict = match r.verdict {
        Verdict::Allow => "ALLOW",
        Verdict::Block => "BLOCK",
    };
    let f = &r.flow;
    let _ = writeln!(
        o,
        "{verdict}  {} -> {} {}  (estate \"{}\"; source profile {}, destination profile {})",
        f.source,
        f.destination,
        f.transport,
        esc(&plan.estate),
        r.profiles.source,
        r.profiles.destination
    );
    for (i, s) in r.stages.iter().enumerate() {
        let stage = match s.stage {
            StageKind::SourceOutbound => "source outbound",
            StageKind::Perimeter => "perimeter",
            StageKind::DestinationInbound => "destination inbound",
        };
        let verdict = match &s.decision {
            None => "-",
            Some(d) => d.verdict.as_str(),
        };
        let _ = writeln!(
            o,
            "  {}. {stage:<20} {verdict:<6} {}",
            i + 1,
            esc(&s.summary)
        );
        if let Some(d) = &s.decision {
            for m in &d.matched {
                let mark = if m.decisive { "=>" } else { "  " };
                let _ = writeln!(
                    o,
                    "       {mark} {:<6} {} \"{}\" [{}]: {}",
                    m.action,
                    m.kb,
                    esc(&m.name),
                    esc(&m.id),
                    esc(&m.note)
                );
            }
        }
    }
    if let Some(s) = r.blocking_stage() {
        let _ = writeln!(o, "decided by: {}", esc(&s.summary));
    }
    o
}
