//! The testkit crate's integration tests, one binary (ripgrep's layout) so the
//! suite links once per crate instead of once per file.

mod estates;
mod fixtures;
mod fleet;
mod module_cycles;
mod oracle;
