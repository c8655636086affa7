//! Helpers shared by the verifier's integration tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::print_stderr)]

pub mod random;

use smbguard_model::{EXAMPLE_ESTATE, Estate, parse_estate};
use smbguard_semantics::{Plan, check_flow, compile};
use smbguard_verify::{Failure, Report, Status, observed};

/// Parses and compiles estate text.
pub fn load(text: &str) -> (Estate, Plan) {
    let parsed = match parse_estate(text) {
        Ok(p) => p,
        Err(r) => panic!("estate rejected: {:#?}", r.diagnostics),
    };
    let plan = compile(&parsed.estate).unwrap();
    (parsed.estate, plan)
}

/// The bundled example.
pub fn example() -> (Estate, Plan) {
    load(EXAMPLE_ESTATE)
}

/// The example with `from` replaced by `to` (exactly once).
pub fn example_with(from: &str, to: &str) -> (Estate, Plan) {
    assert_eq!(
        EXAMPLE_ESTATE.matches(from).count(),
        1,
        "`{from}` must occur once"
    );
    load(&EXAMPLE_ESTATE.replacen(from, to, 1))
}

/// The example, rewritten after loading by `edit`. For plans the loader
/// refuses (it refuses estates that would break I2–I4) but `verify` must
/// still catch, e.g. from a deployed policy or a future loader gap.
pub fn example_edited(edit: impl FnOnce(&mut Estate)) -> (Estate, Plan) {
    let (mut estate, _) = example();
    edit(&mut estate);
    let plan = compile(&estate).unwrap();
    (estate, plan)
}

/// The diagnostics the loader refuses the example with `from` replaced by `to`.
pub fn example_refused_with(from: &str, to: &str) -> Vec<smbguard_model::Diagnostic> {
    assert_eq!(
        EXAMPLE_ESTATE.matches(from).count(),
        1,
        "`{from}` must occur once"
    );
    match parse_estate(&EXAMPLE_ESTATE.replacen(from, to, 1)) {
        Ok(_) => panic!("the loader accepted an estate that breaks an invariant"),
        Err(r) => r.diagnostics,
    }
}

/// IDs of the failed invariants.
pub fn failed_ids(r: &Report) -> Vec<String> {
    r.failed().map(|i| i.id.clone()).collect()
}

/// Re-checks a failure's counterexample with `check_flow`, independently of
/// the verifier's own confirmation.
pub fn assert_reproduces(plan: &Plan, f: &Failure) {
    assert!(f.reproduced, "verifier says not reproduced: {f:#?}");
    let (Some(flow), Some(profiles)) = (f.flow, f.profiles) else {
        assert!(
            f.service.is_some(),
            "a failure without a flow must be a service setting"
        );
        return;
    };
    let report = check_flow(plan, &flow, profiles);
    let got = observed(&report, f.observe);
    assert_ne!(got, f.expected, "check_flow does not reproduce: {f:#?}");
    assert_eq!(Some(&report), f.trace.as_ref());
    assert_eq!(f.observed, got);
}

/// Asserts exactly the given invariants fail, and every failure reproduces.
pub fn assert_fails_exactly(plan: &Plan, r: &Report, ids: &[&str]) {
    assert_eq!(failed_ids(r), ids, "{}", describe(r));
    for inv in r.failed() {
        assert!(!inv.failures.is_empty());
        for f in &inv.failures {
            assert_reproduces(plan, f);
        }
    }
    for inv in &r.invariants {
        if !ids.contains(&inv.id.as_str()) {
            assert_eq!(inv.status, Status::Pass);
        }
    }
}

/// A short text of what failed, for assertion messages.
pub fn describe(r: &Report) -> String {
    let mut s = String::new();
    for inv in r.failed() {
        s.push_str(&format!("{} FAIL\n", inv.id));
        for f in inv.failures.iter().take(3) {
            s.push_str(&format!("   {}: {}\n", f.clause, f.explanation));
        }
    }
    s
}
