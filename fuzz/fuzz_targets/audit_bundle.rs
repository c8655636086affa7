//! Fuzz target: evidence bundles, the JSON a host's collector writes and
//! therefore untrusted, read and judged against the example estate's plan
//! never panic; and the fleet audit (judgements shared between hosts with
//! the same configuration) gives exactly what auditing each bundle on its
//! own gives. The input is audited twice under two locations, so the second
//! copy takes the first one's judgement, once with the group inferred from
//! the bundle's addresses and once named (`workstations`), so that bundles
//! whose addresses place them nowhere are judged too.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use smbguard_audit::{
    AuditError, FleetInput, GroupChoice, HostAudit, audit_bundle, audit_fleet, read_bundle,
};
use smbguard_model::{EXAMPLE_ESTATE, parse_estate};
use smbguard_semantics::{Plan, compile};

fn plan() -> &'static Plan {
    static PLAN: OnceLock<Plan> = OnceLock::new();
    PLAN.get_or_init(|| {
        let estate = parse_estate(EXAMPLE_ESTATE).expect("the example parses").estate;
        compile(&estate).expect("the example compiles")
    })
}

const LOCATIONS: [&str; 2] = ["monday/host.json", "tuesday/host.json"];

fn one_by_one(text: &str, choice: GroupChoice<'_>) -> Result<Vec<HostAudit>, AuditError> {
    LOCATIONS
        .iter()
        .map(|loc| audit_bundle(plan(), &read_bundle(text, loc)?, choice, loc))
        .collect()
}

fn as_a_fleet(text: &str, choice: GroupChoice<'_>) -> Result<Vec<HostAudit>, AuditError> {
    let inputs = LOCATIONS.iter().map(|loc| {
        Ok::<_, AuditError>(FleetInput::Bundle {
            location: (*loc).to_owned(),
            text: text.to_owned(),
        })
    });
    audit_fleet(plan(), choice, inputs, &|| {})
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for choice in [GroupChoice::Infer, GroupChoice::Named("workstations")] {
        assert_eq!(as_a_fleet(&text, choice), one_by_one(&text, choice));
    }
});
