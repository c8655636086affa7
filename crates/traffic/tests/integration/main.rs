//! The traffic crate's integration tests, one binary (ripgrep's layout) so the
//! suite links once per crate instead of once per file.

mod classify;
mod common;
mod dcerpc_tcp;
mod never_panic;
mod parallel;
mod pitfalls;
mod robustness;
mod snapshots;
mod tshark_oracle;
mod zeek_logs;
