//! What an smbguard plan means.
//!
//! [`compile`] applies KB3185535 to a validated estate and produces a
//! [`Plan`]: a [`HostPolicy`] per group and the perimeter [`Acl`], every rule
//! tagged with the [`KbRow`] it realises. [`check_flow`] evaluates one flow
//! through source, perimeter and destination with the two evaluators
//! ([`eval::windows`] for Windows Defender Firewall, [`eval::acl`] for
//! first-match devices). This crate is the single source of meaning: emitters
//! and readers never re-implement evaluation.

pub mod builtin;
mod check;
pub mod classes;
mod compile;
mod equivalence;
pub mod eval;
mod guard_rails;
pub mod ids;
mod index;
mod kb;
mod links;
mod policy;
mod rule;

pub use check::{FlowReport, Profiles, Stage, StageKind, check_flow, crosses_perimeter};
pub use compile::{CompileError, ISOLATION_RULE_NAME, compile, server_clients, session_transports};
pub use equivalence::{Agreement, Difference, compare_acl, compare_windows};
pub use eval::{Decision, Flow, IpsecContext, RuleMatch, Verdict, WindowsContext};
pub use kb::KbRow;
pub use policy::{
    HostPolicy, HostRules, LinuxPolicy, Note, Plan, ProfileDefaults, ServiceSetting, WindowsPolicy,
};
pub use rule::{
    Acl, AclAction, AclEntry, Action, AuthMethod, ConnectionSecurityRule, Direction, Origin,
    Security, SecurityRequirement, WindowsRule,
};
