//! `smbguard check`: one flow, end to end, explained.

use std::net::IpAddr;
use std::process::ExitCode;

use smbguard_model::{Profile, Transport};
use smbguard_semantics::{Flow, Profiles, Verdict, check_flow};

use crate::args::{CheckArgs, ExpectArg, Format, ProfileArg};
use crate::input::load_plan;
use crate::render;
use crate::{CliError, EXIT_FAILED};

pub(crate) fn profile(p: ProfileArg) -> Profile {
    match p {
        ProfileArg::Domain => Profile::Domain,
        ProfileArg::Private => Profile::Private,
        ProfileArg::Public => Profile::Public,
    }
}

fn address(flag: &str, text: &str) -> Result<IpAddr, CliError> {
    text.trim().parse().map_err(|_| {
        CliError::BadInput(format!("error: --{flag} `{text}` is not an IPv4 or IPv6 address (e.g. 198.18.16.5 or 2001:db8:1:10::5)"))
    })
}

pub(crate) fn run(args: &CheckArgs) -> Result<ExitCode, CliError> {
    let source = address("from", &args.from)?;
    let destination = address("to", &args.to)?;
    let transport: Transport = args
        .transport
        .parse()
        .map_err(|e| CliError::BadInput(format!("error: --transport: {e}")))?;
    let (_, plan) = load_plan(args.estate.estate.as_deref())?;
    let profiles = Profiles {
        source: profile(args.source_profile.unwrap_or(args.profile)),
        destination: profile(args.destination_profile.unwrap_or(args.profile)),
    };
    let flow = Flow {
        source,
        destination,
        transport,
        source_port: args.source_port,
    };
    let report = check_flow(&plan, &flow, profiles);
    match args.format {
        Format::Text => print!("{}", render::check_text::render(&plan, &report)),
        Format::Json => println!(
            "{}",
            render::to_json(&render::check_json::document(&plan, &report))
        ),
    }
    let ok = match args.expect {
        None => report.verdict == Verdict::Allow,
        Some(ExpectArg::Allow) => report.verdict == Verdict::Allow,
        Some(ExpectArg::Block) => report.verdict == Verdict::Block,
    };
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}
