//! Readers of deployed configurations (Windows policy, nftables, iptables,
//! evidence bundles), each lowered into the same rule IR the compiler
//! produces, so that one evaluator judges both the plan and what is really
//! deployed; and the audit that judges them against the plan.
//!
//! Readers are total: they never fail wholesale on odd input; what they
//! cannot model becomes a [`Finding`] note and the sound meaning (allows
//! widened, blocks narrowed).

mod audit_code;
pub mod bundle;
mod effective;
mod error;
mod explanation;
mod exports;
mod finding;
mod fix_script;
mod fleet;
mod host;
pub mod intune;
mod judge;
pub mod linux;
mod report;
pub mod windows;

pub use audit_code::{AuditCode, Severity};
pub use bundle::{Bundle, FirewallStores, HostSmb, RegValue, RegValueData, SmbFacts, read_bundle};
pub use effective::{Effective, effective_policy};
pub use error::AuditError;
pub use explanation::Explanation;
pub use exports::{DEFAULT_CODE_PAGE, audit_netfw_export, audit_reg_export, audit_wfw};
pub use finding::{Finding, FindingCode};
pub use fix_script::fix_script;
pub use fleet::{FleetInput, audit_fleet};
pub use host::{
    GroupChoice, audit_bundle, audit_iptables, audit_nft_json, audit_registry_pol, detect,
    resolve_group,
};
pub use intune::read_intune_policies;
pub use judge::{Judgement, judge_linux, judge_perimeter, judge_windows, ps_quote};
pub use report::{
    AuditFinding, AuditReport, Evidence, Fix, HostAudit, InputKind, Notes, RuleRef, Store, Summary,
};
pub use windows::{
    ConfiguredProfile, DeployedGpo, GpoSmbSettings, LoweredWindows, lower_firewall_policy, overlay,
    read_deployed_gpo, read_gpo_smb, read_registry_pol_policy,
};
