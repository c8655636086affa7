//! `smbguard plan`: compile and print.

use std::process::ExitCode;

use clap::Args;

use crate::common_args::{EstateArg, Format};
use crate::input::load_plan;
use crate::render;
use crate::{CliError, out};

pub(crate) const PLAN_LONG_ABOUT: &str = "\
Compile the estate and print the plan: for every group of hosts its Windows Firewall rules
(or Linux chains), built-in rules disabled, connection security rule, services and profile
defaults, and the perimeter ACL. Every rule names the KB3185535 row (K1-K11) it realises.";

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    #[command(flatten)]
    pub(crate) estate: EstateArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

pub(crate) fn run(args: &PlanArgs) -> Result<ExitCode, CliError> {
    let (_, plan) = load_plan(args.estate.estate.as_deref())?;
    let body = match args.format {
        Format::Text => render::term::sanitize(render::plan_text::render(&plan)),
        Format::Json => render::to_json(&render::plan_json::document(&plan)) + "\n",
    };
    out::stdout(&body)?;
    Ok(ExitCode::SUCCESS)
}
