//! The smbguard command line: parse arguments, dispatch, print, exit.
//! The only crate in the workspace that prints or exits.
// The binary is where output and exit codes belong; the workspace denies these in libraries.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::exit)]

mod args;
mod commands;
mod common_args;
mod input;
mod out;
mod render;
mod safety;

use std::process::ExitCode;

use clap::Parser;

/// How a command ended badly.
#[derive(Debug)]
pub(crate) enum CliError {
    /// Bad input (estate, arguments): exit 2, message already rendered.
    BadInput(String),
    /// Could not write output.
    Io(String),
    /// Stdout was closed by its reader (`smbguard plan | head -1`): stop
    /// quietly with exit 0, as ripgrep does.
    BrokenPipe,
}

/// Exit code for a check or verification that failed.
pub(crate) const EXIT_FAILED: u8 = 1;
/// Exit code for bad input.
pub(crate) const EXIT_BAD_INPUT: u8 = 2;

fn main() -> ExitCode {
    out::quiet_on_broken_pipe();
    let cli = args::Cli::parse();
    input::set_service_tags(cli.service_tags.clone());
    let result = match cli.command {
        args::Command::Init(a) => commands::init::run(&a),
        args::Command::Plan(a) => commands::plan::run(&a),
        args::Command::Check(a) => commands::check::run(&a),
        args::Command::Verify(a) => commands::verify::run(&a),
        args::Command::Apply(a) => commands::apply::run_apply(&a),
        args::Command::Confirm(a) => commands::apply::run_confirm(&a),
        args::Command::Rollback(a) => commands::apply::run_rollback(&a),
        args::Command::Lab(a) => commands::lab::run(&a),
        args::Command::Emit(a) => commands::emit::run(&a),
        args::Command::Traffic(a) => commands::traffic::run(&a),
        args::Command::DiffTags(a) => commands::diff_tags::run(&a),
        args::Command::Audit(a) => commands::audit::run(&a),
    };
    match result {
        Ok(code) => code,
        Err(CliError::BrokenPipe) => ExitCode::SUCCESS,
        Err(CliError::BadInput(msg)) => {
            eprint!("{msg}");
            if !msg.ends_with('\n') {
                eprintln!();
            }
            ExitCode::from(EXIT_BAD_INPUT)
        }
        Err(CliError::Io(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(EXIT_BAD_INPUT)
        }
    }
}
