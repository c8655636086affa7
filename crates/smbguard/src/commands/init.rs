//! `smbguard init`: write the annotated example estate.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use smbguard_model::EXAMPLE_ESTATE;

use crate::{CliError, out};

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Where to write the example; `-` or omitted prints it to stdout.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Overwrite FILE if it exists.
    #[arg(long)]
    pub(crate) force: bool,
}

pub(crate) fn run(args: &InitArgs) -> Result<ExitCode, CliError> {
    match args.out.as_deref() {
        None => out::stdout(EXAMPLE_ESTATE)?,
        Some(p) if p.as_os_str() == "-" => out::stdout(EXAMPLE_ESTATE)?,
        Some(p) => {
            if p.exists() && !args.force {
                return Err(CliError::BadInput(format!(
                    "error: {} already exists; pass --force to overwrite it",
                    p.display()
                )));
            }
            std::fs::write(p, EXAMPLE_ESTATE)
                .map_err(|e| CliError::Io(format!("cannot write {}: {e}", p.display())))?;
            eprintln!("wrote {}; next: smbguard plan {}", p.display(), p.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
