//! `smbguard lab`: the estate built from real components (network
//! namespaces, nftables, Samba), probed, and compared with the prediction.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use smbguard_lab::{LabError, LabOptions};
use smbguard_model::Profile;

use crate::common_args::{EstateArg, Format};
use crate::input::load_estate;
use crate::render::lab_text::render_text;
use crate::render::term::sanitize;
use crate::render::to_json;
use crate::{CliError, EXIT_FAILED};

pub(crate) const LAB_LONG_ABOUT: &str = "\
Build the estate as network namespaces on this Linux host and test the plan against real
packets: a perimeter router namespace between an internal and an internet segment, one
namespace per representative host of every group (two workstations), an internet host and
each perimeter exception's cloud endpoint, all on 198.18.0.0/15, 203.0.113.0/24 and
2001:db8::/32, never routed out of the namespaces.

Every host is stood in by Linux with the nftables equivalent of its policy in its profile
(IPsec is not available, so the estate is compiled with strategy `complement`); the router
gets the perimeter ruleset. Real Samba smbd serves on domain controllers, file servers and
cloud endpoints. Every pair of hosts is probed on every governed transport, IPv4 and IPv6
(TCP connects, UDP datagrams to responders), real smbclient sessions (SMB3 with encryption,
and SMB1, which must be refused), and TCP 22/80, which the plan does not govern and must
flow. The observed matrix is printed beside the one `check` predicts.

Every ruleset is loaded the way `smbguard apply` loads it (inside the host's namespace, with a
state folder per host), then read back from the kernel (`nft -j list ruleset`) and audited
against the plan as `smbguard audit` would judge it on a real host.

Exit code 0 only if observed == predicted for everything and every live ruleset audits clean;
1 if anything differs or the audit finds something; 2 when the lab cannot run (not root, a
tool missing). Needs root; everything is removed afterwards,
also on Ctrl-C.";

/// The profile of the lab's workstations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LabProfile {
    /// Every Windows host in its Domain profile.
    Domain,
    /// Workstations in their Private profile, the rest in Domain.
    Private,
    /// Workstations moved to their Public profile, the rest in Domain.
    Public,
}

#[derive(Debug, Args)]
pub(crate) struct LabArgs {
    #[command(flatten)]
    pub(crate) estate: EstateArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// The profile of the workstations (servers stay in Domain).
    #[arg(long, value_enum, default_value_t = LabProfile::Domain)]
    pub(crate) profile: LabProfile,
    /// Leave the namespaces and smbd running afterwards, and print how to remove them.
    #[arg(long)]
    pub(crate) keep: bool,
}

pub(crate) fn run(args: &LabArgs) -> Result<ExitCode, CliError> {
    let loaded = load_estate(args.estate.estate.as_deref())?;
    // Ctrl-C / SIGTERM: tear down whatever the lab has created, then exit.
    let _ = ctrlc::set_handler(|| {
        let n = smbguard_lab::interrupt();
        eprintln!(
            "\ninterrupted: removed {n} lab object(s) (namespaces, smbd process groups, temporary directories)"
        );
        std::process::exit(130);
    });
    let opts = LabOptions {
        workstation_profile: match args.profile {
            LabProfile::Domain => Profile::Domain,
            LabProfile::Private => Profile::Private,
            LabProfile::Public => Profile::Public,
        },
        keep: args.keep,
        ruleset_hook: None,
    };
    let report = match smbguard_lab::run(&loaded.estate, &opts) {
        Ok(r) => r,
        Err(
            e @ (LabError::NotRoot { .. }
            | LabError::MissingTool { .. }
            | LabError::Estate(_)
            | LabError::Compile(_)),
        ) => {
            return Err(CliError::BadInput(format!("error: {e}")));
        }
        // Ctrl-C reached the lab before the handler's exit: the same exit
        // code as the handler's (128 + SIGINT), whichever thread is first.
        Err(e @ LabError::Interrupted) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(130));
        }
        Err(e) => return Err(CliError::Io(e.to_string())),
    };
    match args.format {
        Format::Text => print!("{}", sanitize(render_text(&report))),
        Format::Json => {
            let mut v = serde_json::to_value(&report).unwrap_or_default();
            v["ok"] = report.ok().into();
            v["differences"] = report.differences().into();
            v["live_findings"] = report.live_findings().into();
            println!("{}", to_json(&v));
        }
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}
