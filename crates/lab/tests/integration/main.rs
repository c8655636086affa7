//! The lab crate's integration tests, one binary (ripgrep's layout) like
//! every other crate's.

mod lab;
mod live_audit;
mod topology;
