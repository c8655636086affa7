//! Turning plans and reports into text and JSON.

#[cfg(test)]
mod audit_fixture;
pub(crate) mod audit_html;
pub(crate) mod audit_sarif;
pub(crate) mod audit_text;
pub(crate) mod audit_uri;
pub(crate) mod check_json;
pub(crate) mod check_text;
pub(crate) mod draft_toml;
pub(crate) mod html_page;
pub(crate) mod lab_text;
pub(crate) mod markdown;
pub(crate) mod plan_json;
pub(crate) mod plan_text;
// The integration tests' SARIF schema validator, shared with the unit tests.
#[cfg(test)]
#[path = "../../tests/integration/sarif_schema.rs"]
mod sarif_schema;
pub(crate) mod term;
pub(crate) mod traffic_html;
pub(crate) mod traffic_text;
pub(crate) mod verify_html;
pub(crate) mod verify_json;
pub(crate) mod verify_text;

use smbguard_model::AddrSet;
use smbguard_semantics::Plan;

/// Pretty JSON; serialisation of our own types cannot fail, but never panic.
pub(crate) fn to_json(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// Short human names for address sets: `any`, `internal`, `internet`,
/// `any except X`, or the ranges.
pub(crate) fn describe(set: &AddrSet, plan: &Plan) -> String {
    if set.is_any() {
        return "any".into();
    }
    if set.is_empty() {
        return "none".into();
    }
    if *set == plan.internal {
        return "internal".into();
    }
    if *set == plan.internal.complement() {
        return "internet".into();
    }
    let complement = set.complement();
    let direct = set.to_ranges().len();
    let inverse = complement.to_ranges().len();
    if inverse < direct {
        return format!("any except {}", describe_ranges(&complement));
    }
    describe_ranges(set)
}

fn describe_ranges(set: &AddrSet) -> String {
    let mut parts: Vec<String> = Vec::new();
    if set.v4.is_full() {
        parts.push("any IPv4".into());
    }
    if set.v6.is_full() {
        parts.push("any IPv6".into());
    }
    for r in set.to_ranges() {
        let full = if r.0.is_ipv4() {
            set.v4.is_full()
        } else {
            set.v6.is_full()
        };
        if !full {
            parts.push(r.to_string());
        }
    }
    parts.join(", ")
}
