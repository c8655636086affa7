//! The verify crate's integration tests, one binary (ripgrep's layout) so the
//! suite links once per crate instead of once per file.

mod agreement;
mod common;
mod example;
mod invariants;
mod issue13_documented_keys;
mod lints;
mod policy_examples;
