//! The fast verifier against the reference evaluators, on random and
//! adversarial estates with drifted plans:
//! - exact agreement with the exhaustive oracle (one address per elementary
//!   interval, every pair, every context), invariant by invariant;
//! - every violation found by brute-force sampling of `check_flow` is a
//!   failure of the fast verifier;
//! - every counterexample of the fast verifier reproduces under `check_flow`.
//!
//! `PROPTEST_CASES` raises the number of cases (default 24; run many more
//! with `--release`).

use crate::common::random::case;
use crate::common::*;
use proptest::prelude::*;
use smbguard_model::Estate;
use smbguard_semantics::Plan;
use smbguard_verify::reference::{Outcome, exhaustive, sample};
use smbguard_verify::{
    Invariant, Options, Report, builtin_invariants, user_invariants, verify_with,
};

fn options() -> Options {
    Options {
        lints: false,
        evidence: 2,
        ..Options::default()
    }
}

/// The fast verifier's report, the invariants it proved and the exhaustive
/// oracle's outcome over the same invariants; every counterexample of the
/// fast verifier has been replayed under `check_flow`.
fn fast_and_oracle(plan: &Plan, estate: &Estate) -> (Report, Vec<Invariant>, Outcome) {
    let fast = verify_with(plan, estate, &options());
    let mut invariants = builtin_invariants(plan, estate);
    invariants.extend(user_invariants(estate));
    let oracle = exhaustive(plan, &invariants);
    for f in fast.invariants.iter().flat_map(|i| &i.failures) {
        assert_reproduces(plan, f);
    }
    (fast, invariants, oracle)
}

fn agree(seed: u64) -> Result<(), TestCaseError> {
    let Some((estate, plan)) = case(seed) else {
        return Ok(());
    };
    let (fast, invariants, oracle) = fast_and_oracle(&plan, &estate);
    for inv in &fast.invariants {
        let o = oracle.violations.get(&inv.id);
        prop_assert_eq!(
            inv.failures.is_empty(),
            o.is_none(),
            "seed {}: {} fast={:?} oracle={:?}\n{}",
            seed,
            inv.id,
            inv.failures
                .first()
                .map(|f| (&f.clause, f.flow, f.profiles)),
            o,
            describe(&fast)
        );
    }
    let sampled = sample(&plan, &invariants, 400, seed ^ 0x5eed);
    for (id, v) in &sampled.violations {
        prop_assert!(
            fast.invariant(id).is_some_and(|i| !i.failures.is_empty()),
            "seed {}: sampling found {} violated by {:?} but the verifier proved it",
            seed,
            id,
            v
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn fast_verifier_agrees_with_the_references(seed in any::<u64>()) {
        agree(seed)?;
    }
}

/// Seeds that once disagreed, kept as regressions.
#[test]
fn regression_seeds() {
    for seed in [1_u64, 2, 3, 42, 3_185_535] {
        agree(seed).unwrap();
    }
}

/// Hand-written adversarial estates, each checked against the exhaustive oracle.
#[test]
fn adversarial_estates_agree_with_the_oracle() {
    let header = |internal: &str| {
        format!(
            "[estate]\nname = \"adv\"\ninternal = [{internal}]\nstrategy = \"complement\"\ntransports = [\"tcp/445\"]\n\n[[groups]]\nname = \"dc\"\nrole = \"domain-controller\"\naddresses = [\"10.0.0.1\"]\n\n"
        )
    };
    let cases = [
        // No internet at all: the complement of `internal` is empty.
        format!(
            "{}[[groups]]\nname = \"ws\"\nrole = \"workstation\"\naddresses = [\"10.0.0.16/28\"]\n",
            header("\"0.0.0.0/0\", \"::/0\"")
        ),
        // A workstation group covering every IPv4 address but the DC's: nothing is unmanaged in IPv4.
        format!(
            "{}[[groups]]\nname = \"ws\"\nrole = \"workstation\"\naddresses = [\"0.0.0.0-10.0.0.0\", \"10.0.0.2-255.255.255.255\"]\nneeds-dc-smb = false\n",
            header("\"10.0.0.0/8\"")
        ),
        // IPv6-only client groups, and a DC without IPv6.
        format!(
            "{}[[groups]]\nname = \"ws6\"\nrole = \"workstation\"\naddresses = [\"2001:db8::/64\"]\n\n[[groups]]\nname = \"m6\"\nrole = \"member\"\naddresses = [\"2001:db8:0:1::/64\"]\n",
            header("\"10.0.0.0/8\", \"2001:db8::/32\"")
        ),
        // Overlapping groups of the same role, and a file server whose clients overlap both.
        format!(
            "{}[[groups]]\nname = \"ws-a\"\nrole = \"workstation\"\naddresses = [\"10.0.1.0/24\"]\n\n[[groups]]\nname = \"ws-b\"\nrole = \"workstation\"\naddresses = [\"10.0.1.128/25\", \"10.0.2.0/24\"]\n\n[[groups]]\nname = \"fs\"\nrole = \"file-server\"\naddresses = [\"10.0.3.1\"]\nclients = [\"10.0.1.64-10.0.2.10\"]\n",
            header("\"10.0.0.0/8\"")
        ),
    ];
    for (i, text) in cases.iter().enumerate() {
        let (estate, plan) = load(text);
        let (fast, _, oracle) = fast_and_oracle(&plan, &estate);
        for inv in &fast.invariants {
            assert_eq!(
                inv.failures.is_empty(),
                !oracle.failed(&inv.id),
                "case {i}: {}\n{}",
                inv.id,
                describe(&fast)
            );
        }
        eprintln!("case {i}: failed {:?}", failed_ids(&fast));
    }
}
