//! The model crate's integration tests, one binary (ripgrep's layout) so the
//! suite links once per crate instead of once per file.

mod diagnostics;
mod never_panics;
mod set_algebra;
