//! What `verify` returns: per invariant a proof or counterexamples, the
//! lints, and the reachability matrix.

use serde::Serialize;
use smbguard_model::{Role, ServiceState, Strategy, Transport};
use smbguard_semantics::{Flow, FlowReport, KbRow, Profiles, StageKind, Verdict};

use crate::spec::Observe;

/// Whether an invariant holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Holds for every address, transport and profile in scope.
    Pass,
    /// At least one counterexample.
    Fail,
}

/// A rule that decided one stage of a flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DecisiveRule {
    /// The stage.
    pub stage: StageKind,
    /// The group whose policy it is (none for the perimeter).
    pub group: Option<String>,
    /// Rule ID (or ACL entry position).
    pub id: String,
    /// Display name.
    pub name: String,
    /// `allow`, `block`, `bypass`, `permit` or `deny`.
    pub action: String,
    /// The KB row the rule realises.
    pub kb: KbRow,
    /// Why it applied.
    pub note: String,
}

/// A connection security rule cited by a proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IsolationRef {
    /// The group it is deployed to.
    pub group: String,
    /// Rule ID.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// A representative flow of a passing invariant and the rules that decide it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// One line.
    pub text: String,
    /// The flow.
    pub flow: Flow,
    /// Profiles of both ends.
    pub profiles: Profiles,
    /// The verdict at the stage the invariant constrains.
    pub verdict: Verdict,
    /// The decisive rule of each stage that has one.
    pub decided_by: Vec<DecisiveRule>,
    /// Connection security rules an authenticated bypass relies on (both ends).
    pub isolation: Vec<IsolationRef>,
}

/// A K8 service setting that breaks the guard rails.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServiceViolation {
    /// Group.
    pub group: String,
    /// Its role.
    pub role: Role,
    /// Whether it is domain-joined.
    pub domain_joined: bool,
    /// `LanmanServer` or `LanmanWorkstation`.
    pub service: String,
    /// The state the plan sets.
    pub state: ServiceState,
}

/// One failure of an invariant, with its counterexample.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The clause that fails.
    pub clause: String,
    /// One sentence: what happens instead, and why.
    pub explanation: String,
    /// The stage constrained.
    pub observe: Observe,
    /// The verdict required.
    pub expected: Verdict,
    /// The verdict `check_flow` gives the counterexample at that stage.
    pub observed: Verdict,
    /// The counterexample flow.
    pub flow: Option<Flow>,
    /// Its profiles.
    pub profiles: Option<Profiles>,
    /// Other profile pairs failing on the same transport.
    pub also_in: Vec<Profiles>,
    /// The decisive rule of each stage of the counterexample.
    pub decisive: Vec<DecisiveRule>,
    /// The full `check` trace of the counterexample.
    pub trace: Option<FlowReport>,
    /// True when `check_flow` reproduces the failure (always, unless the
    /// verifier has a bug; reports say so loudly otherwise).
    pub reproduced: bool,
    /// For I6: the offending service setting.
    pub service: Option<ServiceViolation>,
}

/// The outcome for one invariant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InvariantResult {
    /// `I1`..`I6`, `U1`..
    pub id: String,
    /// What it says.
    pub title: String,
    /// KB rows proved.
    pub kb: Vec<KbRow>,
    /// Declared in the estate.
    pub user: bool,
    /// Pass or fail.
    pub status: Status,
    /// What was covered, in one line.
    pub summary: String,
    /// Number of clauses.
    pub clauses: usize,
    /// (clause, transport, profile pair, source-port class) combinations checked.
    pub contexts: usize,
    /// Counterexamples, at most one per clause and transport.
    pub failures: Vec<Failure>,
    /// Representative flows and the rules that decide them (passing invariants).
    pub proof: Vec<Evidence>,
    /// Scope remarks.
    pub notes: Vec<String>,
}

/// A weakness that is not (yet) an invariant failure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lint {
    /// The lint's slug, e.g. `dead-allow`; [`LintCode::from_slug`](crate::LintCode::from_slug) gives its code.
    pub code: &'static str,
    /// Group concerned.
    pub group: Option<String>,
    /// Firewall rule ID concerned.
    pub rule_id: Option<String>,
    /// Firewall rule display name.
    pub rule_name: Option<String>,
    /// What is wrong.
    pub message: String,
    /// KB row concerned.
    pub kb: Option<KbRow>,
}

/// Reachability between two groups in one context.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reach {
    /// Every same-family pair is allowed.
    All,
    /// Some pairs are allowed, some blocked.
    Some,
    /// Every pair is blocked.
    None,
    /// No same-family pair exists.
    NotApplicable,
}

/// A row/column of the matrix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MatrixGroup {
    /// Group name (or `unmanaged internal`, `internet`).
    pub name: String,
    /// Role, for real groups.
    pub role: Option<Role>,
}

/// One transport and profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MatrixTable {
    /// The transport.
    pub transport: Transport,
    /// Both ends' profile.
    pub profile: smbguard_model::Profile,
    /// `cells[source][destination]`.
    pub cells: Vec<Vec<Reach>>,
}

/// Group × group reachability (source port 50000, both ends in the same profile).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Matrix {
    /// Rows and columns.
    pub groups: Vec<MatrixGroup>,
    /// One table per transport and profile.
    pub tables: Vec<MatrixTable>,
    /// Why the tables were left out (too many groups to draw).
    pub omitted: Option<String>,
}

/// Sizes, to show what a proof covered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Host groups in the plan.
    pub groups: usize,
    /// Address ranges declared by the groups.
    pub group_ranges: usize,
    /// Firewall rules and ACL entries evaluated (built-ins included).
    pub rules: usize,
    /// Segments of the owner map (IPv4 + IPv6): the address classes.
    pub address_classes: usize,
    /// Units (group × local-scope class), plus one for "no group".
    pub units: usize,
    /// Source-port classes.
    pub source_port_classes: usize,
    /// Contexts checked over all invariants.
    pub contexts: usize,
}

/// The verification of one plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Estate name.
    pub estate: String,
    /// Outbound strategy.
    pub strategy: Strategy,
    /// Governed transports.
    pub transports: Vec<Transport>,
    /// True when every invariant holds (lints do not count).
    pub passed: bool,
    /// Built-in then user invariants.
    pub invariants: Vec<InvariantResult>,
    /// Warnings.
    pub lints: Vec<Lint>,
    /// The reachability matrix, when asked for.
    pub matrix: Option<Matrix>,
    /// Sizes.
    pub stats: Stats,
}

impl Report {
    /// Failed invariants.
    pub fn failed(&self) -> impl Iterator<Item = &InvariantResult> {
        self.invariants.iter().filter(|i| i.status == Status::Fail)
    }

    /// The result of the invariant with this ID.
    pub fn invariant(&self, id: &str) -> Option<&InvariantResult> {
        self.invariants.iter().find(|i| i.id == id)
    }
}
