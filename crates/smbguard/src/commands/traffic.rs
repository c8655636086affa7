//! `smbguard traffic`: read captures, place every SMB/NetBIOS flow in the
//! estate and show what the plan would block before it is deployed.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use smbguard_traffic::classify::impact;
use smbguard_traffic::{
    Analysis, Merged, Options, ZeekLogSet, analyze_file, analyze_file_mmap,
    analyze_file_with_progress,
};

use crate::common_args::{ProfileArg, profile};
use crate::input::load_plan;
use crate::render;
use crate::render::term::esc;
use crate::{CliError, out};

pub(crate) const TRAFFIC_LONG_ABOUT: &str = "\
Read packet captures (pcap, pcapng) or Zeek conn.log files, place both ends of every
SMB/NetBIOS flow in the estate (group, unknown internal host, or internet) and evaluate each
flow against the compiled plan, so you see what the plan would break before deploying it.

Arguments: [ESTATE.toml] CAPTURE...
  The estate is given with --estate FILE, or as the first argument when that argument ends in
  `.toml`; every other argument is a capture. Without an estate the bundled example (contoso)
  is used. Several captures are merged into one report.

Categories: lateral (between workstations/members/isolated hosts), approved-server (to a DC, or
a file server whose clients include the client), perimeter-inbound/-outbound, cloud-exception
(a declared [[perimeter.allow]] endpoint) and cloud-unencrypted (no SMB 3.x encryption seen,
which K2 requires), smb1 (SMB1 used, not merely offered), cleartext-smb3, admin-share (ADMIN$,
C$, any X$ but IPC$), remote-service (svcctl, atsvc, winreg, psexesvc... pipes), unknown-host
(an end in no group that is not a declared cloud endpoint).

--format text: counts per category, the would-be-blocked table (source group, destination
group, transport, flows, deciding rule and KB row) and notable findings. --format json: JSON
lines, one object per flow. --format html: one self-contained page (inline CSS, no script).

Truncated or corrupt captures: warnings (with byte offsets) go to stderr and the readable part
is still reported. --mmap memory-maps each capture instead of streaming it; only use it on
files nothing is writing to (a file truncated while mapped kills the process with SIGBUS).

--threads N: N threads frame, decode and dissect (and read, for a regular file) windows of the
capture in parallel; the report is identical for every N. Gains depend on the machine's memory
bandwidth: BENCHMARKS.md has the figures. With several threads, --mmap (no copy out of the page
cache) is the fastest way to read a capture nothing is writing to.

Exit code 0 when every capture could be read (even partly), 2 when a capture could not be
read at all (missing, unreadable, unknown format: the report still covers the others and lists
it with its reason) or the estate is invalid.";

/// Output formats of `traffic`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TrafficFormat {
    /// Human-readable summary.
    Text,
    /// JSON lines: one object per flow.
    Json,
    /// One self-contained HTML page.
    Html,
}

#[derive(Debug, Args)]
pub(crate) struct TrafficArgs {
    /// [ESTATE.toml] CAPTURE...: captures (pcap, pcapng, Zeek conn.log); a first argument
    /// ending in `.toml` is the estate.
    #[arg(value_name = "INPUT", required = true, num_args = 1..)]
    pub(crate) inputs: Vec<PathBuf>,
    /// Estate policy file (TOML); then every INPUT is a capture.
    #[arg(long, value_name = "FILE")]
    pub(crate) estate: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TrafficFormat::Text)]
    pub(crate) format: TrafficFormat,
    /// Write the report to FILE instead of stdout (`-` for stdout).
    #[arg(long, short, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Threads that analyse each capture (the report does not depend on it).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(crate) threads: usize,
    /// Firewall profile assumed at both ends when evaluating flows.
    #[arg(long, value_enum, default_value_t = ProfileArg::Domain)]
    pub(crate) profile: ProfileArg,
    /// Memory-map captures instead of streaming them (regular files only; see above).
    #[arg(long)]
    pub(crate) mmap: bool,
}

/// Splits INPUTs into the estate and the captures.
fn split(args: &TrafficArgs) -> Result<(Option<&Path>, &[PathBuf]), CliError> {
    let is_toml = |p: &Path| {
        p.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
    };
    let (estate, captures) = match (&args.estate, args.inputs.split_first()) {
        (Some(e), _) => (Some(e.as_path()), args.inputs.as_slice()),
        (None, Some((first, rest))) if is_toml(first) => (Some(first.as_path()), rest),
        (None, _) => (None, args.inputs.as_slice()),
    };
    if captures.is_empty() {
        return Err(CliError::BadInput(
            "error: no CAPTURE given (usage: smbguard traffic [ESTATE.toml] CAPTURE...)".into(),
        ));
    }
    Ok((estate, captures))
}

fn display_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Files smaller than this get no progress bar.
const PROGRESS_MIN_BYTES: u64 = 16 << 20;

fn analyze_one(path: &Path, options: &Options, mmap: bool) -> Result<Analysis, String> {
    if mmap {
        return analyze_file_mmap(path, options).map_err(|e| e.to_string());
    }
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if len >= PROGRESS_MIN_BYTES && std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(len);
        if let Ok(style) = ProgressStyle::with_template(
            "{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(display_name(path));
        let result = analyze_file_with_progress(path, options, &|read| bar.set_position(read));
        bar.finish_and_clear();
        return result.map_err(|e| e.to_string());
    }
    analyze_file(path, options).map_err(|e| e.to_string())
}

/// Whether `path` is a Zeek log (TSV or JSON, plain or compressed) rather
/// than a capture. Unreadable files are left to the capture reader, which
/// reports them.
fn is_zeek_log(path: &Path) -> bool {
    let mut head = Vec::new();
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    use std::io::Read;
    if file.take(4096).read_to_end(&mut head).is_err() {
        return false;
    }
    ZeekLogSet::looks_like_log(&head)
}

/// Reads Zeek logs, from one sensor or many, into one joined analysis.
fn read_zeek_logs(logs: &[&PathBuf], options: &Options, merged: &mut Merged) {
    let mut set = ZeekLogSet::new(options);
    let mut names = Vec::new();
    for path in logs {
        let name = display_name(path);
        let added = std::fs::File::open(path)
            .map_err(|e| e.to_string())
            .and_then(|f| set.add(f).map_err(|e| e.to_string()));
        match added {
            Ok(_) => names.push(name),
            Err(e) => {
                eprintln!("error: {}: {}", esc(&path.display().to_string()), esc(&e));
                merged.add_unreadable(name, e);
            }
        }
    }
    if !names.is_empty() {
        report_and_add(&names.join("+"), set.finish(), merged);
    }
}

/// Reads every capture and merges them; warnings go to stderr. A capture
/// that cannot be read at all is listed in `unreadable` (and on stderr)
/// rather than suppressing what the others show. Zeek logs among the
/// inputs are joined by uid into one entry (named after all of them).
pub(crate) fn read_captures(captures: &[PathBuf], options: &Options, mmap: bool) -> Merged {
    let mut merged = Merged::new();
    let (logs, captures): (Vec<&PathBuf>, Vec<&PathBuf>) =
        captures.iter().partition(|p| is_zeek_log(p));
    if !logs.is_empty() {
        read_zeek_logs(&logs, options, &mut merged);
    }
    for path in captures {
        let name = display_name(path);
        let analysis = match analyze_one(path, options, mmap) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("error: {}: {}", esc(&path.display().to_string()), esc(&e));
                merged.add_unreadable(name, e);
                continue;
            }
        };
        report_and_add(&name, analysis, &mut merged);
    }
    merged
}

/// Prints an analysis' warnings and adds it to the report.
fn report_and_add(name: &str, analysis: Analysis, merged: &mut Merged) {
    // Warnings quote capture bytes (names, paths): escaped like the report.
    for w in &analysis.warnings {
        eprintln!("warning: {}: {}", esc(name), esc(&w.to_string()));
    }
    if analysis.stats.warnings_suppressed > 0 {
        eprintln!(
            "warning: {}: {} more warnings suppressed",
            esc(name),
            analysis.stats.warnings_suppressed
        );
    }
    merged.add(name, analysis);
}

/// Without an estate, flows are judged against the bundled example: when
/// some of their hosts are in none of its groups, the report says so on
/// stdout (not only stderr, which a redirect hides) and points to
/// `init --from-traffic`.
fn outside_example_note(estate: &smbguard_model::Estate, merged: &Merged) -> Option<String> {
    let outside = merged
        .flows
        .iter()
        .filter(|f| {
            estate.group_of(f.client.to_canonical()).is_none()
                || estate.group_of(f.server.to_canonical()).is_none()
        })
        .count();
    (outside > 0).then(|| {
        format!(
            "no ESTATE given: judged against the bundled example estate \"contoso\", and {outside} of \
             {} flows have a host in none of its groups, so their verdicts describe the example, \
             not your network. Draft an estate from this traffic with `smbguard init \
             --from-traffic CAPTURE... --out estate.toml`, review it, then run `smbguard traffic \
             estate.toml CAPTURE...`.",
            merged.flows.len()
        )
    })
}

/// `--threads`, capped at the machine's parallelism: more threads than
/// cores only add contention (and `--threads 10000` would start thousands).
fn threads(requested: usize) -> usize {
    let available = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    if requested > available {
        eprintln!(
            "note: --threads {requested} capped at {available}, the parallelism this machine offers"
        );
        return available;
    }
    requested.max(1)
}

pub(crate) fn run(args: &TrafficArgs) -> Result<ExitCode, CliError> {
    let (estate_path, captures) = split(args)?;
    let (loaded, plan) = load_plan(estate_path)?;
    let options = Options::default().with_threads(threads(args.threads));
    let merged = read_captures(captures, &options, args.mmap);
    let impact = impact(&loaded.estate, &plan, &merged.flows, profile(args.profile));
    let note = estate_path
        .is_none()
        .then(|| outside_example_note(&loaded.estate, &merged))
        .flatten();
    let body = match args.format {
        TrafficFormat::Text => render::term::sanitize(render::traffic_text::render(
            &loaded.estate,
            &merged,
            &impact,
        )),
        TrafficFormat::Json => render::traffic_text::json_lines(&merged, &impact),
        TrafficFormat::Html => {
            let options = smbguard_verify::Options {
                builtin: false,
                user: false,
                lints: false,
                matrix: true,
                ..smbguard_verify::Options::default()
            };
            let reach = smbguard_verify::verify_with(&plan, &loaded.estate, &options).matrix;
            render::traffic_html::render(&loaded.estate, &merged, &impact, reach.as_ref())
        }
    };
    let body = match (&note, args.format) {
        (None, _) => body,
        (Some(n), TrafficFormat::Text) => format!("note: {n}\n\n{body}"),
        (Some(n), TrafficFormat::Json) => {
            format!("{}\n{body}", serde_json::json!({ "note": n }))
        }
        (Some(n), TrafficFormat::Html) => body.replacen(
            "<main>",
            &format!(
                "<main><section class=\"note\"><strong>Note:</strong> {}</section>",
                render::html_page::esc(n)
            ),
            1,
        ),
    };
    if let Some(p) = out::verdict_report(args.out.as_deref(), &body)? {
        eprintln!(
            "{} flows, {} would be blocked; report written to {}",
            impact.flows.len(),
            impact.blocked.iter().map(|r| r.flows).sum::<u64>(),
            p.display()
        );
    }
    // The report covers what was readable; the exit code still says that
    // an input was not (2, the bad-input code).
    if merged.unreadable.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(2))
    }
}
