//! The formats crate's integration tests, one binary (ripgrep's layout) so the
//! suite links once per crate instead of once per file.

mod audit_inputs;
mod gpfas_rules;
mod policy;
mod proptests;
mod registry_pol;
mod samba_crosscheck;
