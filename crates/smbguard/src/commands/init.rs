//! `smbguard init`: write the annotated example estate, or with
//! `--from-traffic` an estate drafted from captures and Zeek logs.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use smbguard_model::EXAMPLE_ESTATE;

use smbguard_traffic::{Options, draft_estate};

use crate::commands::traffic::read_captures;
use crate::{CliError, out, render};

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Where to write the example; `-` or omitted prints it to stdout.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Overwrite FILE if it exists.
    #[arg(long)]
    pub(crate) force: bool,
    /// Draft the estate from these captures (pcap, pcapng) and Zeek logs instead of
    /// writing the example: DC candidates, file servers with their clients,
    /// workstations, management hosts, each with the evidence as a comment.
    #[arg(long, value_name = "CAPTURE_OR_LOG", num_args = 1..)]
    pub(crate) from_traffic: Vec<PathBuf>,
}

pub(crate) fn run(args: &InitArgs) -> Result<ExitCode, CliError> {
    let (text, code) = if args.from_traffic.is_empty() {
        (EXAMPLE_ESTATE.to_owned(), ExitCode::SUCCESS)
    } else {
        let merged = read_captures(&args.from_traffic, &Options::default(), false);
        if merged.captures.is_empty() {
            return Err(CliError::BadInput(
                "error: no input could be read; nothing to draft from".into(),
            ));
        }
        let draft = draft_estate(&merged.flows);
        let body = render::draft_toml::render(&draft, &merged.captures, env!("CARGO_PKG_VERSION"));
        // An unreadable input is listed and exits 2, like `traffic`.
        let code = if merged.unreadable.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        };
        (body, code)
    };
    write(args, &text)?;
    Ok(code)
}

fn write(args: &InitArgs, text: &str) -> Result<(), CliError> {
    match args.out.as_deref() {
        None => out::stdout(text)?,
        Some(p) if p.as_os_str() == "-" => out::stdout(text)?,
        Some(p) => {
            if p.exists() && !args.force {
                return Err(CliError::BadInput(format!(
                    "error: {} already exists; pass --force to overwrite it",
                    p.display()
                )));
            }
            std::fs::write(p, text)
                .map_err(|e| CliError::Io(format!("cannot write {}: {e}", p.display())))?;
            eprintln!("wrote {}; next: smbguard plan {}", p.display(), p.display());
        }
    }
    Ok(())
}
