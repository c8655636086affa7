//! `smbguard plan`: compile and print.

use std::process::ExitCode;

use crate::CliError;
use crate::args::{Format, PlanArgs};
use crate::input::load_plan;
use crate::render;

pub(crate) fn run(args: &PlanArgs) -> Result<ExitCode, CliError> {
    let (_, plan) = load_plan(args.estate.estate.as_deref())?;
    match args.format {
        Format::Text => print!("{}", render::plan_text::render(&plan)),
        Format::Json => println!("{}", render::to_json(&render::plan_json::document(&plan))),
    }
    Ok(ExitCode::SUCCESS)
}
