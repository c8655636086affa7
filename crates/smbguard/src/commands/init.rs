//! `smbguard init`: write the annotated example estate.

use std::process::ExitCode;

use smbguard_model::EXAMPLE_ESTATE;

use crate::CliError;
use crate::args::InitArgs;

pub(crate) fn run(args: &InitArgs) -> Result<ExitCode, CliError> {
    match args.out.as_deref() {
        None => print!("{EXAMPLE_ESTATE}"),
        Some(p) if p.as_os_str() == "-" => print!("{EXAMPLE_ESTATE}"),
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
