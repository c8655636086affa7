//! One module per subcommand.

pub(crate) mod apply;
pub(crate) mod audit;
pub(crate) mod audit_inputs;
pub(crate) mod check;
pub(crate) mod diff_tags;
pub(crate) mod emit;
pub(crate) mod init;
pub(crate) mod lab;
pub(crate) mod plan;
pub(crate) mod traffic;
pub(crate) mod verify;
