//! `smbguard verify`: prove the guidance holds over every address, explain every failure.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use smbguard_verify::{Options, verify_with};

use crate::common_args::EstateArg;
use crate::input::load_deployed_plan;
use crate::render;
use crate::{CliError, EXIT_FAILED, out};

pub(crate) const VERIFY_LONG_ABOUT: &str = "\
Compile the estate and prove, over every IPv4 and IPv6 address, every governed transport,
every pair of source/destination firewall profiles and every source port, the invariants of
KB3185535:

  I1  no workstation, member or isolated host accepts inbound SMB, except from management hosts
  I2  no lateral SMB between client hosts; no SMB at all to or from isolated hosts
  I3  every domain member reaches every domain controller that accepts it on TCP 445
      (Domain profile), and at least one DC accepts it (`needs-dc-smb = false` opts out)
  I4  file servers are reachable from their clients and nobody else; DCs and file servers
      accept nothing on the Public profile
  I5  nothing crosses the perimeter on SMB/NetBIOS except the declared cloud endpoints
  I6  never the Server service disabled on DCs or file servers, never the Workstation
      service on domain members
  I7  no host opens SMB to an address outside the estate's groups (a rogue server),
      cloud endpoints aside

and the estate's own [[invariants]]. The proof works on classes of addresses (the bounds of
every range in the plan), so it covers every address, not samples. Every failure comes with
a concrete counterexample flow and the same trace `smbguard check` prints for it; every pass
with representative flows and the rules that decide them. Lints (warnings) name rules that
never apply, rules on the wrong port, bypasses without an isolation rule or authorising broad
groups, IPv4-only rules that leave IPv6 open, and unencrypted perimeter exceptions.

A group's `deployed-gpos` (Registry.pol files of GPOs smbguard does not write) are read and laid
over its policy, so the proof is about what Windows would enforce with them: a GPO that puts the
DCs or file servers in shielded mode fails I3/I4.

--format html writes one self-contained page (no external assets, no script) with the group ×
group reachability matrix per transport and profile.

Exit code 0 when every invariant holds (warnings allowed), 1 when any fails, 2 on bad input.";

/// Output formats of `verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum VerifyFormat {
    /// Human-readable text.
    Text,
    /// JSON.
    Json,
    /// One self-contained HTML page with the reachability matrix.
    Html,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    pub(crate) estate: EstateArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = VerifyFormat::Text)]
    pub(crate) format: VerifyFormat,
    /// Write the report to FILE instead of stdout (`-` for stdout).
    #[arg(long, short, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

pub(crate) fn run(args: &VerifyArgs) -> Result<ExitCode, CliError> {
    let (loaded, plan) = load_deployed_plan(args.estate.estate.as_deref())?;
    let options = Options {
        matrix: args.format != VerifyFormat::Text,
        ..Options::default()
    };
    let report = verify_with(&plan, &loaded.estate, &options);
    let body = match args.format {
        VerifyFormat::Text => render::term::sanitize(render::verify_text::render(&plan, &report)),
        VerifyFormat::Json => {
            let mut s = render::to_json(&render::verify_json::document(&report));
            s.push('\n');
            s
        }
        VerifyFormat::Html => render::verify_html::render(&plan, &report),
    };
    if let Some(p) = out::verdict_report(args.out.as_deref(), &body)? {
        eprintln!(
            "{}; report written to {}",
            render::verify_text::verdict_line(&report),
            p.display()
        );
    }
    Ok(if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}
