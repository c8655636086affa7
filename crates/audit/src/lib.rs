//! Readers of deployed configurations (Windows policy, nftables, iptables),
//! each lowered into the same rule IR the compiler produces, so that one
//! evaluator judges both the plan and what is really deployed.
//!
//! Readers are total: they never fail wholesale on odd input; what they
//! cannot model becomes a [`Finding`] warning and the widest safe meaning.

mod finding;
pub mod intune;
pub mod linux;
pub mod windows;

pub use finding::{Finding, FindingCode};
pub use intune::read_intune_policies;
pub use windows::{
    AuditError, ConfiguredProfile, DeployedGpo, GpoSmbSettings, LoweredWindows,
    lower_firewall_policy, overlay, read_deployed_gpo, read_gpo_smb, read_registry_pol_policy,
};
