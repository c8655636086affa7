//! `smbguard check --format json`: a top-level `verdict` plus every stage.

use serde_json::{Value, json};
use smbguard_semantics::{FlowReport, Plan};

pub(crate) fn document(plan: &Plan, report: &FlowReport) -> Value {
    json!({
        "smbguard": env!("CARGO_PKG_VERSION"),
        "estate": plan.estate,
        "verdict": report.verdict,
        "flow": report.flow,
        "profiles": report.profiles,
        "stages": report.stages,
    })
}
