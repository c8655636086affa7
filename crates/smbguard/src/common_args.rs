//! Argument types several commands share. A leaf module: `args` (the
//! command table) names every command's arguments, and the commands take
//! these from here, so no command imports `args` back.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use smbguard_model::Profile;

/// Output formats shared by the reporting commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Human-readable text.
    Text,
    /// JSON on stdout.
    Json,
}

/// The estate file argument.
#[derive(Debug, Args)]
pub(crate) struct EstateArg {
    /// Estate policy file (TOML). Omit to use the bundled example estate.
    #[arg(value_name = "ESTATE")]
    pub(crate) estate: Option<PathBuf>,
}

/// A Windows Firewall profile on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ProfileArg {
    /// Domain network (a DC is reachable).
    Domain,
    /// Private (trusted) network.
    Private,
    /// Guest/Public (untrusted) network.
    Public,
}

/// The model's profile for a command-line one.
pub(crate) fn profile(p: ProfileArg) -> Profile {
    match p {
        ProfileArg::Domain => Profile::Domain,
        ProfileArg::Private => Profile::Private,
        ProfileArg::Public => Profile::Public,
    }
}
