//! Proves that an smbguard plan keeps KB3185535 over every address, and
//! explains every failure.
//!
//! [`verify`] checks the article's invariants (I1–I6, [`builtin_invariants`])
//! and the estate's own (`[[invariants]]`, [`user_invariants`]) for every
//! governed transport, every pair of source/destination firewall profiles and
//! every source-port class. A failure carries a concrete counterexample flow
//! and the [`smbguard_semantics::FlowReport`] of `check_flow` on it, which
//! reproduces the failure; a pass carries representative flows and the rules
//! that decide them. [`guard`] runs the built-in invariants for commands that
//! must refuse an unsafe plan.
//!
//! # How the proof scales
//!
//! The address space is cut at the bounds of every range in the plan and the
//! estate into segments, each owned by one group (or none) and one class of
//! that group's local-address scopes (a *unit*). A host's verdict on a peer
//! depends only on the peer's address (through its own rules' remote scopes)
//! and, for authenticated bypass rules, on the peer group's IPsec ability and
//! SID. So the set of peers a unit lets through is computed once per
//! (direction, transport, profile, source-port class) by interval algebra
//! over that unit's rules alone, and invariants are checked by intersecting
//! such sets: the work is proportional to the number of ranges and rules,
//! and to the number of (source, destination) unit pairs that the outbound
//! policy actually lets out — under KB3185535, only client → server pairs.
//! [`mod@reference`] holds the brute-force and exhaustive evaluators the engine
//! is tested against.

mod engine;
mod fam;
mod lints;
mod matrix;
mod prove;
pub mod reference;
mod report;
mod space;
mod spec;

use smbguard_model::Estate;
use smbguard_semantics::Plan;

pub use lints::{LintCode, broad_sid};
pub use prove::{decisive_rules, observed};
pub use report::{
    DecisiveRule, Evidence, Failure, InvariantResult, IsolationRef, Lint, Matrix, MatrixGroup,
    MatrixTable, Reach, Report, ServiceViolation, Stats, Status,
};
pub use space::effective_addresses;
pub use spec::{
    Clause, EPHEMERAL_LOW, Exemption, FlowClause, Invariant, Observe, all_profile_pairs,
    builtin_invariants, user_invariants,
};

/// What to compute besides the invariants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Check I1–I6.
    pub builtin: bool,
    /// Check the estate's `[[invariants]]`.
    pub user: bool,
    /// Report lints.
    pub lints: bool,
    /// Build the reachability matrix.
    pub matrix: bool,
    /// Draw the matrix only up to this many groups.
    pub matrix_limit: usize,
    /// Representative flows kept per passing invariant.
    pub evidence: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            builtin: true,
            user: true,
            lints: true,
            matrix: false,
            matrix_limit: 40,
            evidence: 12,
        }
    }
}

/// Verifies `plan` (compiled from `estate`) with the default options.
pub fn verify(plan: &Plan, estate: &Estate) -> Report {
    verify_with(plan, estate, &Options::default())
}

/// Verifies `plan` (compiled from `estate`).
pub fn verify_with(plan: &Plan, estate: &Estate, options: &Options) -> Report {
    let space = space::Space::new(plan);
    let mut engine = engine::Engine::new(&space);
    let mut invariants = Vec::new();
    if options.builtin {
        invariants.extend(spec::builtin_with(plan, estate, &space.eff));
    }
    if options.user {
        invariants.extend(user_invariants(estate));
    }
    let mut results = Vec::with_capacity(invariants.len());
    {
        let mut prover = prove::Prover {
            engine: &mut engine,
            evidence_limit: options.evidence,
        };
        for inv in &invariants {
            results.push(prover.run(inv));
        }
    }
    let lints = if options.lints {
        lints::lints(&mut engine, estate)
    } else {
        Vec::new()
    };
    let matrix = options
        .matrix
        .then(|| matrix::build(&mut engine, options.matrix_limit));
    let stats = Stats {
        groups: plan.hosts.len(),
        group_ranges: plan
            .hosts
            .iter()
            .map(|h| h.addresses.v4.intervals().len() + h.addresses.v6.intervals().len())
            .sum(),
        rules: space
            .win_rules
            .iter()
            .flatten()
            .map(Vec::len)
            .sum::<usize>()
            + plan.perimeter.entries.len()
            + plan
                .hosts
                .iter()
                .map(|h| match &h.rules {
                    smbguard_semantics::HostRules::Linux(l) => {
                        l.input.entries.len() + l.output.entries.len()
                    }
                    smbguard_semantics::HostRules::Windows(_) => 0,
                })
                .sum::<usize>(),
        address_classes: space.v4.len() + space.v6.len(),
        units: space.units.len(),
        source_port_classes: space.port_classes.len(),
        contexts: results.iter().map(|r| r.contexts).sum(),
    };
    Report {
        estate: plan.estate.clone(),
        strategy: plan.strategy,
        transports: plan.transports.clone(),
        passed: results.iter().all(|r| r.status == Status::Pass),
        invariants: results,
        lints,
        matrix,
        stats,
    }
}

/// A plan that breaks built-in invariants: emitting or applying it would
/// lock domain members out of their DCs, leave lateral SMB open, or the like.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the plan breaks {} built-in invariant(s) of KB3185535: {}", .failed.len(), .failed.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(", "))]
pub struct UnsafePlan {
    /// The failed invariants, with their counterexamples.
    pub failed: Vec<InvariantResult>,
}

/// Runs the built-in invariants; `Err` when any fails. For `emit`/`apply`,
/// which refuse such a plan unless told `--allow-unsafe "REASON"`.
pub fn guard(plan: &Plan, estate: &Estate) -> Result<(), UnsafePlan> {
    let report = verify_with(
        plan,
        estate,
        &Options {
            builtin: true,
            user: false,
            lints: false,
            matrix: false,
            matrix_limit: 0,
            evidence: 0,
        },
    );
    let failed: Vec<InvariantResult> = report.failed().cloned().collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(UnsafePlan { failed })
    }
}
