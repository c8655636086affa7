//! The command table (clap derive): which arguments each subcommand takes
//! (each command module owns its own) and the top-level help.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

const ABOUT: &str = "Stop SMB lateral movement: compile Microsoft's KB3185535 guidance into proven firewall policy.";

const LONG_ABOUT: &str = "\
smbguard turns one declarative estate policy (TOML) into the firewall rules that Microsoft's
\"Preventing SMB traffic from lateral connections and entering or leaving the network\"
(KB3185535) asks for, and proves what they do.

Windows Defender Firewall has no rule order: a bypass beats a block, a block beats an allow.
The \"allow SMB to the DCs, then block SMB\" pair most tools emit therefore blocks the DCs too.
smbguard compiles the article's authenticated-bypass recipe (or a complement block where
IPsec is not available) and evaluates every flow with the real precedence.

Start with `smbguard init` to write an annotated example, then `smbguard plan` and
`smbguard check`. Commands without an ESTATE argument use the bundled example estate.";

const AFTER_HELP: &str = "\
Exit codes:
  0  success (for `check`: the flow is allowed, or matches --expect)
  1  a check or verification failed (for `check`: the flow is blocked, or differs from --expect)
  2  bad input: the estate or an argument is invalid (diagnostics on stderr)

Examples:
  smbguard init --out estate.toml
  smbguard plan estate.toml
  smbguard check estate.toml --from 198.18.16.5 --to 198.18.0.10 --transport tcp/445 --profile domain
  smbguard verify estate.toml --format html --out report.html";

/// smbguard
#[derive(Debug, Parser)]
#[command(name = "smbguard", version, about = ABOUT, long_about = LONG_ABOUT, after_help = AFTER_HELP)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
    /// Azure service tag file (ServiceTags_Public_*.json) resolving `service-tags` in the
    /// estate; overrides the estate's `service-tags-file`.
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) service_tags: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Write the annotated example estate ("contoso") to start from.
    Init(crate::commands::init::InitArgs),
    /// Compile the estate and print every group's rules and the perimeter ACL, each with its KB row.
    #[command(long_about = crate::commands::plan::PLAN_LONG_ABOUT)]
    Plan(crate::commands::plan::PlanArgs),
    /// Evaluate one flow end to end and explain the verdict (or many: --flows).
    #[command(long_about = crate::commands::check::CHECK_LONG_ABOUT)]
    Check(crate::commands::check::CheckArgs),
    /// Prove the KB3185535 invariants over every address and profile; explain every failure.
    #[command(long_about = crate::commands::verify::VERIFY_LONG_ABOUT)]
    Verify(crate::commands::verify::VerifyArgs),
    /// Load a group's nftables ruleset on this Linux host (only `table inet smbguard`), with rollback.
    #[command(long_about = crate::commands::apply::APPLY_LONG_ABOUT)]
    Apply(crate::commands::apply::ApplyArgs),
    /// Keep the ruleset of a pending `apply --confirm-within`.
    Confirm(crate::commands::apply::ConfirmArgs),
    /// Put back the nftables table saved by the last `apply` (or delete smbguard's if there was none).
    Rollback(crate::commands::apply::RollbackArgs),
    /// Build the estate from real components (namespaces, nftables, Samba), probe it, compare with the plan.
    #[command(long_about = crate::commands::lab::LAB_LONG_ABOUT)]
    Lab(crate::commands::lab::LabArgs),
    /// Write deployment artefacts: PowerShell, netsh and GPO backups per Windows group, plus index.json.
    #[command(long_about = crate::commands::emit::EMIT_LONG_ABOUT, after_help = crate::commands::emit::EMIT_AFTER_HELP)]
    Emit(crate::commands::emit::EmitArgs),
    /// Read captures, classify every SMB/NetBIOS flow against the estate, show what the plan would block.
    #[command(long_about = crate::commands::traffic::TRAFFIC_LONG_ABOUT)]
    Traffic(crate::commands::traffic::TrafficArgs),
    /// Judge what is deployed (bundles, registry.pol, GPO backups, nftables, iptables) against the plan.
    #[command(long_about = crate::commands::audit::AUDIT_LONG_ABOUT)]
    Audit(crate::commands::audit::AuditArgs),
    /// Show what a new Azure service tag file adds to or removes from each perimeter exception.
    DiffTags(crate::commands::diff_tags::DiffTagsArgs),
}
