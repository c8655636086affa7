//! `smbguard check`: one flow, end to end, explained; or many flows, one
//! line each (`--flows`), for scripts and oracles.

use std::io::{BufRead, BufWriter, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde::Deserialize;
use smbguard_model::Transport;
use smbguard_semantics::{Flow, FlowReport, Plan, Profiles, Verdict, check_flow};

use crate::common_args::{EstateArg, Format, ProfileArg};
use crate::input::load_deployed_plan;
use crate::render::{self, term::esc};
use crate::{CliError, EXIT_BAD_INPUT, EXIT_FAILED, out};

// `apply` takes the profile conversion from here.
pub(crate) use crate::common_args::profile;

pub(crate) const CHECK_LONG_ABOUT: &str = "\
Evaluate one flow through the source host's outbound rules, the perimeter (when the flow
crosses it) and the destination host's inbound rules, with Windows Firewall precedence
(bypass > block > allow > profile default) or first-match semantics, and print every rule
that matched and the one that decided.

The flow is allowed only if every stage allows it. Exit code 0 when allowed, 1 when blocked;
with --expect, 0 when the verdict is the expected one. Both ends must be of one family
(an IPv4-mapped IPv6 address such as ::ffff:198.18.16.5 is the IPv4 address); port 0 is
refused.

--flows FILE (or `-` for stdin) evaluates many flows in one process: one JSON object per
line, e.g. {\"from\": \"198.18.16.5\", \"to\": \"198.18.0.10\", \"transport\": \"tcp/445\"}, with
optional \"source_port\", \"profile\", \"source_profile\", \"destination_profile\" and \"expect\"
(\"allow\" or \"block\"); missing keys take the command-line values. One line is printed per
flow (text, or JSON with --format json), in input order; a line that cannot be read gives an
error line and exit code 2 at the end. Otherwise exit code 1 if any flow is blocked (or not as
expected), 0 if none.";

/// The verdict expected by `check --expect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
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
    #[arg(long, value_name = "ADDR", required_unless_present = "flows")]
    pub(crate) from: Option<String>,
    /// Destination address, IPv4 or IPv6.
    #[arg(long, value_name = "ADDR", required_unless_present = "flows")]
    pub(crate) to: Option<String>,
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
    #[arg(long, value_name = "PORT", default_value_t = Flow::EPHEMERAL_PORT)]
    pub(crate) source_port: u16,
    /// Exit 0 only if the verdict is this one (for scripts and CI).
    #[arg(long, value_enum)]
    pub(crate) expect: Option<ExpectArg>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
    /// Evaluate every flow in FILE (JSON lines; `-` for stdin), one output line each.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["from", "to"])]
    pub(crate) flows: Option<PathBuf>,
}

/// An address as the evaluators see it: IPv4-mapped IPv6 is IPv4.
fn address(flag: &str, text: &str) -> Result<IpAddr, String> {
    text.trim()
        .parse::<IpAddr>()
        .map(|ip| ip.to_canonical())
        .map_err(|_| {
            format!(
                "{flag} `{}` is not an IPv4 or IPv6 address (e.g. 198.18.16.5 or 2001:db8:1:10::5)",
                esc(text)
            )
        })
}

/// A flow from its parts, refusing what no packet can be: ends of two
/// families, port 0. `dash` is `--` for flags, empty for batch keys.
fn flow_of(
    dash: &str,
    from: &str,
    to: &str,
    transport: &str,
    source_port: u16,
) -> Result<Flow, String> {
    let source = address(&format!("{dash}from"), from)?;
    let destination = address(&format!("{dash}to"), to)?;
    if source.is_ipv4() != destination.is_ipv4() {
        let family = |ip: IpAddr| if ip.is_ipv4() { "IPv4" } else { "IPv6" };
        return Err(format!(
            "{dash}from {source} is {} but {dash}to {destination} is {}: a flow's two ends are of one family",
            family(source),
            family(destination)
        ));
    }
    let transport = transport
        .parse::<Transport>()
        .map_err(|e| format!("{dash}transport: {}", esc(&e.to_string())))?;
    if transport.port == 0 {
        return Err(format!(
            "{dash}transport {transport}: port 0 is not a port a flow can use (1-65535)"
        ));
    }
    if source_port == 0 {
        return Err(format!(
            "{dash}source-port 0 is not a port a flow can use (1-65535)"
        ));
    }
    Ok(Flow {
        source,
        destination,
        transport,
        source_port,
    })
}

fn is_ok(report: &FlowReport, expect: Option<ExpectArg>) -> bool {
    match expect {
        None | Some(ExpectArg::Allow) => report.verdict == Verdict::Allow,
        Some(ExpectArg::Block) => report.verdict == Verdict::Block,
    }
}

fn profiles(args: &CheckArgs) -> Profiles {
    Profiles {
        source: profile(args.source_profile.unwrap_or(args.profile)),
        destination: profile(args.destination_profile.unwrap_or(args.profile)),
    }
}

pub(crate) fn run(args: &CheckArgs) -> Result<ExitCode, CliError> {
    if let Some(path) = &args.flows {
        let (_, plan) = load_deployed_plan(args.estate.estate.as_deref())?;
        return run_batch(args, &plan, path);
    }
    let (from, to) = (
        args.from.as_deref().unwrap_or_default(),
        args.to.as_deref().unwrap_or_default(),
    );
    let flow = flow_of("--", from, to, &args.transport, args.source_port)
        .map_err(|e| CliError::BadInput(format!("error: {e}")))?;
    let (_, plan) = load_deployed_plan(args.estate.estate.as_deref())?;
    let report = check_flow(&plan, &flow, profiles(args));
    let body = match args.format {
        Format::Text => render::term::sanitize(render::check_text::render(&plan, &report)),
        Format::Json => render::to_json(&render::check_json::document(&plan, &report)) + "\n",
    };
    out::verdict_report(None, &body)?;
    Ok(if is_ok(&report, args.expect) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}

/// One line of `--flows` input; missing keys take the command-line values.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FlowLine<'a> {
    #[serde(borrow)]
    from: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    to: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    transport: Option<std::borrow::Cow<'a, str>>,
    source_port: Option<u16>,
    profile: Option<ProfileArg>,
    source_profile: Option<ProfileArg>,
    destination_profile: Option<ProfileArg>,
    expect: Option<ExpectArg>,
}

/// What one input line gave.
enum Outcome {
    Checked(Box<FlowReport>, Option<ExpectArg>),
    Invalid(String),
}

fn evaluate(args: &CheckArgs, plan: &Plan, line: &str) -> Outcome {
    let parsed: FlowLine<'_> = match serde_json::from_str(line) {
        Ok(p) => p,
        Err(e) => return Outcome::Invalid(format!("not a flow object: {e}")),
    };
    let transport = parsed.transport.as_deref().unwrap_or(&args.transport);
    let source_port = parsed.source_port.unwrap_or(args.source_port);
    let flow = match flow_of("", &parsed.from, &parsed.to, transport, source_port) {
        Ok(f) => f,
        Err(e) => return Outcome::Invalid(e),
    };
    let both = parsed.profile.unwrap_or(args.profile);
    let profiles = Profiles {
        source: profile(
            parsed
                .source_profile
                .or(args.source_profile)
                .unwrap_or(both),
        ),
        destination: profile(
            parsed
                .destination_profile
                .or(args.destination_profile)
                .unwrap_or(both),
        ),
    };
    let report = check_flow(plan, &flow, profiles);
    Outcome::Checked(Box::new(report), parsed.expect.or(args.expect))
}

/// The line printed for one flow (no trailing newline).
fn result_line(format: Format, n: usize, outcome: &Outcome) -> String {
    match (format, outcome) {
        (Format::Json, Outcome::Invalid(e)) => {
            serde_json::json!({ "line": n, "error": e }).to_string()
        }
        (Format::Text, Outcome::Invalid(e)) => format!("line {n}: error: {}", esc(e)),
        (Format::Json, Outcome::Checked(r, expect)) => serde_json::json!({
            "line": n,
            "from": r.flow.source,
            "to": r.flow.destination,
            "transport": r.flow.transport,
            "source_port": r.flow.source_port,
            "profiles": r.profiles,
            "verdict": r.verdict,
            "ok": is_ok(r, *expect),
            "decided_by": r.blocking_stage().map(|s| s.summary.as_str()),
        })
        .to_string(),
        (Format::Text, Outcome::Checked(r, expect)) => {
            let f = &r.flow;
            let mut s = format!(
                "{} {} -> {} {} {}/{}",
                r.verdict.as_str(),
                f.source,
                f.destination,
                f.transport,
                r.profiles.source,
                r.profiles.destination
            );
            if !is_ok(r, *expect) {
                s.push_str(" NOT-OK");
            }
            if let Some(stage) = r.blocking_stage() {
                s.push_str(": ");
                s.push_str(&esc(&stage.summary));
            }
            s
        }
    }
}

fn run_batch(args: &CheckArgs, plan: &Plan, path: &std::path::Path) -> Result<ExitCode, CliError> {
    let reader: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(path).map_err(|e| {
            CliError::BadInput(format!(
                "error: cannot read --flows {}: {e}",
                path.display()
            ))
        })?;
        Box::new(std::io::BufReader::new(file))
    };
    let mut stdout = BufWriter::new(std::io::stdout().lock());
    let (mut failed, mut invalid) = (false, false);
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| CliError::Io(format!("cannot read --flows: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let outcome = evaluate(args, plan, &line);
        match &outcome {
            Outcome::Invalid(_) => invalid = true,
            Outcome::Checked(r, expect) => failed |= !is_ok(r, *expect),
        }
        writeln!(stdout, "{}", result_line(args.format, i + 1, &outcome)).map_err(out::io_error)?;
    }
    stdout.flush().map_err(out::io_error)?;
    Ok(if invalid {
        ExitCode::from(EXIT_BAD_INPUT)
    } else if failed {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_refuses_mixed_family_flows() {
        let e = flow_of("--", "198.18.16.5", "2001:db8::5", "tcp/445", 50000).unwrap_err();
        assert!(e.contains("one family"), "{e}");
    }

    #[test]
    fn check_refuses_port_zero() {
        assert!(flow_of("--", "198.18.16.5", "198.18.0.10", "tcp/0", 50000).is_err());
        assert!(flow_of("--", "198.18.16.5", "198.18.0.10", "tcp/445", 0).is_err());
    }

    #[test]
    fn check_reads_ipv4_mapped_ipv6_as_ipv4() {
        let f = flow_of("--", "::ffff:198.18.16.5", "198.18.0.10", "tcp/445", 50000).unwrap();
        assert_eq!(f.source, "198.18.16.5".parse::<IpAddr>().unwrap());
    }
}
