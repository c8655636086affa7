//! Command-line arguments (clap derive). Only parsing lives here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    Init(InitArgs),
    /// Compile the estate and print every group's rules and the perimeter ACL, each with its KB row.
    #[command(long_about = "\
Compile the estate and print the plan: for every group of hosts its Windows Firewall rules
(or Linux chains), built-in rules disabled, connection security rule, services and profile
defaults, and the perimeter ACL. Every rule names the KB3185535 row (K1-K11) it realises.")]
    Plan(PlanArgs),
    /// Evaluate one flow end to end and explain the verdict.
    #[command(long_about = "\
Evaluate one flow through the source host's outbound rules, the perimeter (when the flow
crosses it) and the destination host's inbound rules, with Windows Firewall precedence
(bypass > block > allow > profile default) or first-match semantics, and print every rule
that matched and the one that decided.

The flow is allowed only if every stage allows it. Exit code 0 when allowed, 1 when blocked;
with --expect, 0 when the verdict is the expected one.")]
    Check(CheckArgs),
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
    #[command(long_about = EMIT_LONG_ABOUT, after_help = EMIT_AFTER_HELP)]
    Emit(EmitArgs),
    /// Read captures, classify every SMB/NetBIOS flow against the estate, show what the plan would block.
    #[command(long_about = crate::commands::traffic::TRAFFIC_LONG_ABOUT)]
    Traffic(crate::commands::traffic::TrafficArgs),
    /// Show what a new Azure service tag file adds to or removes from each perimeter exception.
    DiffTags(crate::commands::diff_tags::DiffTagsArgs),
}

/// Output formats shared by the reporting commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Human-readable text.
    Text,
    /// JSON on stdout.
    Json,
}

/// The estate file argument.
#[derive(Debug, Args)]
pub(crate) struct EstateArg {
    /// Estate policy file (TOML). Omit to use the bundled example estate.
    #[arg(value_name = "ESTATE")]
    pub(crate) estate: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Where to write the example; `-` or omitted prints it to stdout.
    #[arg(long, short, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Overwrite FILE if it exists.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    #[command(flatten)]
    pub(crate) estate: EstateArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

/// A Windows Firewall profile on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProfileArg {
    /// Domain network (a DC is reachable).
    Domain,
    /// Private (trusted) network.
    Private,
    /// Guest/Public (untrusted) network.
    Public,
}

/// The verdict expected by `check --expect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExpectArg {
    /// The flow must be allowed.
    Allow,
    /// The flow must be blocked.
    Block,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    pub(crate) estate: EstateArg,
    /// Source (initiating) address, IPv4 or IPv6.
    #[arg(long, value_name = "ADDR")]
    pub(crate) from: String,
    /// Destination address, IPv4 or IPv6.
    #[arg(long, value_name = "ADDR")]
    pub(crate) to: String,
    /// Protocol and destination port, e.g. tcp/445, tcp/139, udp/137, udp/138.
    #[arg(long, value_name = "PROTO/PORT", default_value = "tcp/445")]
    pub(crate) transport: String,
    /// Firewall profile of both ends (Windows hosts).
    #[arg(long, value_enum, default_value_t = ProfileArg::Domain)]
    pub(crate) profile: ProfileArg,
    /// Profile of the source host only (overrides --profile).
    #[arg(long, value_enum, value_name = "PROFILE")]
    pub(crate) source_profile: Option<ProfileArg>,
    /// Profile of the destination host only (overrides --profile).
    #[arg(long, value_enum, value_name = "PROFILE")]
    pub(crate) destination_profile: Option<ProfileArg>,
    /// Source port of the flow.
    #[arg(long, value_name = "PORT", default_value_t = 50000)]
    pub(crate) source_port: u16,
    /// Exit 0 only if the verdict is this one (for scripts and CI).
    #[arg(long, value_enum)]
    pub(crate) expect: Option<ExpectArg>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

const EMIT_LONG_ABOUT: &str = "\
Compile the estate, check the built-in invariants of KB3185535 (the plan must not lock
domain members out of their DCs nor leave lateral SMB open), and write the deployment
artefacts of every requested target into --out, with index.json listing them.

Windows targets write one artefact per Windows group (Linux groups are skipped, and said so):
  powershell  GROUP.powershell.ps1   converging script (-WhatIf, -PolicyStore); reads everything
                                     back and exits non-zero on any difference
  netsh       GROUP.netsh.cmd        netsh advfirewall batch file (local store; rules by name)
  gpo         gpo/GROUP/...          GPMC backup folder (registry.pol, Backup.xml, bkupInfo.xml,
                                     manifest.xml; Services.xml for isolated groups) for Import-GPO

Output is deterministic: the same estate gives the same bytes.";

const EMIT_AFTER_HELP: &str = "\
Exit codes: 0 written; 1 the plan fails a built-in invariant (nothing written; see
--allow-unsafe); 2 bad input (estate, arguments, or a name a target cannot write safely).

Examples:
  smbguard emit                                   # bundled example, every target, ./out
  smbguard emit estate.toml --target powershell,gpo --out deploy
  smbguard emit estate.toml --allow-unsafe \"lab only, DCs not declared yet\"";

#[derive(Debug, Args)]
pub(crate) struct EmitArgs {
    #[command(flatten)]
    pub(crate) estate: EstateArg,
    /// Targets, comma-separated: powershell, netsh, gpo (or `windows` for those three), any other
    /// target name listed in the long help, or `all`.
    #[arg(
        long,
        short,
        value_name = "TARGETS",
        value_delimiter = ',',
        default_value = "all"
    )]
    pub(crate) target: Vec<String>,
    /// Output directory (created if missing; files smbguard writes are overwritten).
    #[arg(long, short, value_name = "DIR", default_value = "./out")]
    pub(crate) out: PathBuf,
    /// Emit even if the plan fails a built-in invariant; REASON is written into every header.
    #[arg(long, value_name = "REASON")]
    pub(crate) allow_unsafe: Option<String>,
}
