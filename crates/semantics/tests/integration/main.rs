//! The semantics crate's integration tests, one binary (ripgrep's layout) so the
//! suite links once per crate instead of once per file.

mod equivalence;
mod evaluator_props;
mod guard_rails;
mod issue13;
mod kb_rows;
mod random_estates;
mod strategies;
