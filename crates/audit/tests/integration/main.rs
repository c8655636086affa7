//! The audit crate's integration tests, one binary (ripgrep's layout) so the
//! suite links once per crate instead of once per file.

mod audit_exports;
mod audit_fleet;
mod audit_mutations;
mod audit_own_artifacts;
mod audit_support;
mod deployed;
mod gpfas_fixtures;
mod gpfas_lowering;
mod linux_readers;
