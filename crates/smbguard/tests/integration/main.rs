//! The smbguard crate's integration tests, one binary (ripgrep's layout) so the
//! suite links once per crate instead of once per file.

mod apply;
mod audit_cli;
mod audit_report;
// The audit crate's bundle builders and mutation helpers, shared rather than copied.
#[path = "../../../audit/tests/integration/audit_support.rs"]
mod audit_support;
mod cli;
mod emit_cli;
mod lab_cli;
mod sarif_schema;
mod service_tags_cli;
mod traffic_cli;
mod traffic_report;
mod verify_cli;
mod verify_html;
