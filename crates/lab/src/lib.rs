//! smbguard's test lab on Linux.
//!
//! * [`lab::run`] builds an estate as network namespaces joined by veth
//!   pairs (a perimeter router between an "internal" and an "internet"
//!   segment, one namespace per representative host), stands every host in
//!   with the nftables equivalent of its policy, serves real Samba `smbd` where
//!   the estate has SMB servers, probes every pair of hosts on every governed
//!   transport, IPv4 and IPv6, with real sockets and real `smbclient`
//!   sessions, and sets the observed matrix beside the one
//!   [`smbguard_semantics::check_flow`] predicts.
//! * Every ruleset is loaded by [`smbguard_deploy::apply`] inside the host's
//!   namespace, and [`LabRun::audit_hosts`] reads each back from the kernel
//!   (`nft -j list ruleset`) and audits it against the plan with
//!   [`smbguard_audit::audit_nft_json`], as `smbguard audit` judges a real
//!   host.
//!
//! Deployment (`apply`, `confirm`, `rollback`) is not the lab: it lives in
//! the `smbguard-deploy` crate, whose process helpers the lab shares.
//!
//! The crate runs processes (`ip`, `nft`, `smbd`, `smbclient`) and enters
//! network namespaces, but never prints: it returns results and typed
//! errors, and the CLI renders them. Everything it creates is registered so
//! that [`interrupt`] (called from the CLI's Ctrl-C handler) and the `Drop`
//! guards can tear it down.

mod cleanup;
mod cmd;
mod error;
pub mod lab;
mod listen;
pub mod live_audit;
pub mod matrix;
mod netns;
mod probe;
mod samba;
pub mod topology;

pub use cleanup::{interrupt, interrupted};
pub use cmd::{Tools, has_net_admin};
pub use error::LabError;
pub use lab::{LabOptions, LabRun, RulesetHook, run};
pub use live_audit::LiveAudit;
pub use matrix::LabReport;
