//! `smbguard apply`, `confirm` and `rollback`: deploy a group's nftables
//! ruleset on this Linux host, touching only `table inet smbguard`, with a
//! confirm-or-roll-back window.

use std::ffi::OsString;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use smbguard_deploy::{
    self as deploy, ApplyRequest, DeployError, RolledBack, TABLE, default_state_dir,
};
use smbguard_emit::nftables::host_ruleset;

use crate::commands::check::profile;
use crate::common_args::{EstateArg, ProfileArg};
use crate::input::load_plan;
use crate::safety;
use crate::{CliError, EXIT_FAILED};

pub(crate) const APPLY_LONG_ABOUT: &str = "\
Render the group's nftables ruleset (for Windows groups: the first-match equivalent of their
Windows Defender Firewall policy in --profile) and load it on this Linux host. Only
`table inet smbguard` is replaced, in one `nft -f` transaction; no other table is touched.

Before anything changes, the ruleset must pass `nft -c` (else exit 2, nothing changed) and
the current `table inet smbguard` (if any) is saved in the state directory
($SMBGUARD_STATE_DIR, default /var/lib/smbguard), so `smbguard rollback` can put it back.

With --confirm-within SECONDS a detached watchdog rolls the change back unless
`smbguard confirm` runs in time (like Junos `commit confirmed`). Needs root (CAP_NET_ADMIN).

Examples:
  smbguard apply --target nftables estate.toml --group nas --confirm-within 60
  smbguard confirm
  smbguard rollback";

/// Where `apply` deploys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ApplyTarget {
    /// nftables on this Linux host: replaces `table inet smbguard` only.
    Nftables,
}

#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    #[command(flatten)]
    pub(crate) estate: EstateArg,
    /// What to deploy to.
    #[arg(long, value_enum)]
    pub(crate) target: ApplyTarget,
    /// The group this host belongs to; its ruleset is loaded.
    #[arg(long, value_name = "NAME")]
    pub(crate) group: String,
    /// For Windows groups: the profile whose nftables equivalent is loaded.
    #[arg(long, value_enum, default_value_t = ProfileArg::Domain)]
    pub(crate) profile: ProfileArg,
    /// Roll back automatically unless `smbguard confirm` runs within SECONDS.
    #[arg(long, value_name = "SECONDS")]
    pub(crate) confirm_within: Option<u64>,
    /// Run inside this network namespace (`ip netns`).
    #[arg(long, value_name = "NAME")]
    pub(crate) netns: Option<String>,
    /// Apply even if the plan fails KB3185535's built-in invariants; the reason is written into the ruleset's header.
    #[arg(long, value_name = "REASON")]
    pub(crate) allow_unsafe: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct ConfirmArgs {
    /// The network namespace the apply ran in.
    #[arg(long, value_name = "NAME")]
    pub(crate) netns: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct RollbackArgs {
    /// The network namespace the apply ran in.
    #[arg(long, value_name = "NAME")]
    pub(crate) netns: Option<String>,
    /// Only roll back the apply with this token, and only if it is still
    /// unconfirmed (the watchdog's call).
    #[arg(long, value_name = "TOKEN", hide = true)]
    pub(crate) if_unconfirmed: Option<String>,
    /// Wait this long first (the watchdog's confirmation window).
    #[arg(long, value_name = "SECONDS", hide = true)]
    pub(crate) after: Option<u64>,
}

fn apply_error(e: DeployError) -> CliError {
    CliError::BadInput(format!("error: {e}"))
}

/// Exit 1 for "nothing to do" and for a confirm that came too late (the
/// change is not kept); exit 2 for everything refused.
fn exit_for(e: DeployError) -> Result<ExitCode, CliError> {
    match e {
        DeployError::NothingPending(_)
        | DeployError::NothingSaved(_)
        | DeployError::TooLate { .. } => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(EXIT_FAILED))
        }
        other => Err(apply_error(other)),
    }
}

fn where_(netns: Option<&str>) -> String {
    netns.map_or_else(String::new, |n| format!(" in network namespace `{n}`"))
}

fn netns_flag(netns: Option<&str>) -> String {
    netns.map_or_else(String::new, |n| format!(" --netns {n}"))
}

pub(crate) fn run_apply(args: &ApplyArgs) -> Result<ExitCode, CliError> {
    let ApplyTarget::Nftables = args.target;
    let (loaded, plan) = load_plan(args.estate.estate.as_deref())?;
    let Some(group) = loaded.estate.group_named(&args.group) else {
        let names: Vec<&str> = loaded
            .estate
            .groups
            .iter()
            .map(|g| g.name.as_str())
            .collect();
        return Err(CliError::BadInput(format!(
            "error: --group `{}` is not a group of estate \"{}\"; its groups are: {}",
            args.group,
            loaded.estate.name,
            names.join(", ")
        )));
    };
    let Some(cx) = safety::context(
        &plan,
        &loaded.estate,
        args.allow_unsafe.as_deref(),
        "applied",
    ) else {
        return Ok(ExitCode::from(EXIT_FAILED));
    };
    let ruleset = host_ruleset(&cx, group, profile(args.profile))
        .map_err(|e| CliError::BadInput(format!("error: {e}")))?;
    let state_dir = default_state_dir().map_err(apply_error)?;
    let netns = args.netns.as_deref();
    let exe = std::env::current_exe()
        .map_err(|e| CliError::Io(format!("cannot find the smbguard executable: {e}")))?;
    let window = args.confirm_within;
    let watchdog = |token: &str| -> Vec<OsString> {
        let mut v: Vec<OsString> = vec![
            exe.clone().into_os_string(),
            "rollback".into(),
            "--if-unconfirmed".into(),
            token.into(),
            "--after".into(),
            window.unwrap_or(0).to_string().into(),
        ];
        if let Some(n) = netns {
            v.push("--netns".into());
            v.push(n.into());
        }
        v
    };
    let req = ApplyRequest {
        ruleset: &ruleset,
        state_dir: &state_dir,
        netns,
        confirm: window.map(|s| {
            (
                Duration::from_secs(s),
                &watchdog as deploy::WatchdogArgv<'_>,
            )
        }),
    };
    let applied = deploy::apply(&req).map_err(apply_error)?;
    if let Some(done) = applied.overdue_rollback {
        println!(
            "note: the previous apply was never confirmed and its watchdog had died past its deadline; its rollback was done first: {done}"
        );
    }
    let kind = match plan.hosts[group].platform {
        smbguard_model::Platform::Windows => {
            format!(
                " (nftables equivalent of its Windows policy, {} profile)",
                profile(args.profile)
            )
        }
        smbguard_model::Platform::Linux => String::new(),
    };
    println!(
        "applied: group \"{}\"{kind} -> table {}{}",
        args.group,
        TABLE,
        where_(netns)
    );
    if applied.replaced_existing {
        println!(
            "  the previous table is saved in {}; `smbguard rollback{}` puts it back",
            applied.state_dir.display(),
            netns_flag(netns)
        );
    } else {
        println!(
            "  there was no table {} before; `smbguard rollback{}` deletes it again",
            TABLE,
            netns_flag(netns)
        );
    }
    println!("  no other table was touched");
    if let Some(p) = &applied.pending {
        println!(
            "  rolls back in {} s unless you run: smbguard confirm{}   (watchdog pid {}, token {})",
            window.unwrap_or(0),
            netns_flag(netns),
            p.watchdog
                .map_or_else(|| "?".to_string(), |w| w.to_string()),
            p.token
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn run_confirm(args: &ConfirmArgs) -> Result<ExitCode, CliError> {
    let netns = args.netns.as_deref();
    let state_dir = default_state_dir().map_err(apply_error)?;
    match deploy::confirm(&state_dir, netns) {
        Ok(c) if c.watchdog_dead => {
            println!(
                "confirmed: the applied ruleset{} stays (token {}); note: its watchdog was no longer running, so it would not have been rolled back",
                where_(netns),
                c.pending.token
            );
            Ok(ExitCode::SUCCESS)
        }
        Ok(c) => {
            println!(
                "confirmed: the applied ruleset{} stays; the automatic rollback (token {}) is cancelled",
                where_(netns),
                c.pending.token
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => exit_for(e),
    }
}

pub(crate) fn run_rollback(args: &RollbackArgs) -> Result<ExitCode, CliError> {
    if let Some(secs) = args.after {
        std::thread::sleep(Duration::from_secs(secs));
    }
    let netns = args.netns.as_deref();
    let state_dir = default_state_dir().map_err(apply_error)?;
    let report = deploy::rollback(&state_dir, netns, args.if_unconfirmed.as_deref());
    if report.as_ref().is_ok_and(|r| r.watchdog_was_dead) {
        println!(
            "note: the pending apply's watchdog was no longer running; it would not have rolled back on its own"
        );
    }
    match report.map(|r| r.done) {
        Ok(RolledBack::Restored) => {
            println!(
                "rolled back: the previous table {} is back{}",
                TABLE,
                where_(netns)
            );
            Ok(ExitCode::SUCCESS)
        }
        Ok(RolledBack::Deleted) => {
            println!(
                "rolled back: there was no table {} before, so it was deleted{}",
                TABLE,
                where_(netns)
            );
            Ok(ExitCode::SUCCESS)
        }
        Ok(RolledBack::NotNeeded) => {
            println!("nothing to do: that apply was confirmed or already rolled back");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => exit_for(e),
    }
}
