//! Loading the estate (a file or the bundled example) and rendering its
//! diagnostics with source snippets.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource, Report,
};
use smbguard_model::{
    Diagnostic, EXAMPLE_ESTATE, Estate, Severity, TagLoader, parse_estate_with_service_tags,
};
use smbguard_semantics::{Plan, compile};

use crate::CliError;
use crate::render::term::{esc, truncate};

/// Largest estate file read. Real estates are kilobytes; the limit keeps
/// `plan /dev/zero` (or a mistaken capture) from filling memory.
pub(crate) const MAX_ESTATE_BYTES: u64 = 64 << 20;

/// Longest message, label or hint echoed in a diagnostic: a message quotes
/// the estate's names, and a megabyte name must not give megabytes of text.
const MAX_DIAGNOSTIC_TEXT: usize = 300;

/// Longest source line shown in a snippet; longer lines get the header only.
const MAX_SNIPPET_LINE: usize = 400;

/// Reads at most [`MAX_ESTATE_BYTES`] (plus one, to tell that there is
/// more), so a huge file or an endless device is refused quickly.
fn read_estate_file(p: &Path) -> Result<String, CliError> {
    let fail = |e: &dyn std::fmt::Display| {
        CliError::BadInput(format!("error: cannot read estate {}: {e}", p.display()))
    };
    let file = std::fs::File::open(p).map_err(|e| fail(&e))?;
    let too_big = || {
        CliError::BadInput(format!(
            "error: estate {} is larger than {} MiB; an estate policy is a small TOML file",
            p.display(),
            MAX_ESTATE_BYTES >> 20
        ))
    };
    if file
        .metadata()
        .is_ok_and(|m| m.is_file() && m.len() > MAX_ESTATE_BYTES)
    {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    file.take(MAX_ESTATE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(&e))?;
    if bytes.len() as u64 > MAX_ESTATE_BYTES {
        return Err(too_big());
    }
    String::from_utf8(bytes).map_err(|e| fail(&format!("not UTF-8 text ({e})")))
}

/// The source as miette shows it: every control character but line breaks
/// and tabs replaced byte for byte (spans stay valid), so an estate cannot
/// drive the terminal through a snippet.
fn displayable_source(source: &str) -> String {
    let mut shown = String::with_capacity(source.len());
    for c in source.chars() {
        match c {
            '\n' | '\t' => shown.push(c),
            '\r' => shown.push(' '),
            c if c.is_control() => (0..c.len_utf8()).for_each(|_| shown.push('?')),
            c => shown.push(c),
        }
    }
    shown
}

/// Whether the line holding `offset` is short enough to show.
fn line_is_short(source: &str, offset: usize) -> bool {
    let offset = offset.min(source.len());
    let start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = source[offset..]
        .find('\n')
        .map_or(source.len(), |i| offset + i);
    end - start <= MAX_SNIPPET_LINE
}

/// An estate with the text it came from.
pub(crate) struct LoadedEstate {
    pub(crate) name: String,
    pub(crate) source: String,
    pub(crate) estate: Estate,
}

/// The global `--service-tags FILE`, set once by `main`.
static SERVICE_TAGS: OnceLock<Option<PathBuf>> = OnceLock::new();

/// Records `--service-tags` for every estate loaded afterwards.
pub(crate) fn set_service_tags(path: Option<PathBuf>) {
    let _ = SERVICE_TAGS.set(path);
}

/// Reads a service tag file: `--service-tags` wins, else the estate's
/// `service-tags-file` relative to the estate file's folder.
fn read_tags(estate: Option<&Path>, key: Option<&str>) -> Result<(String, String), String> {
    let path = match (SERVICE_TAGS.get().and_then(Option::as_ref), key) {
        (Some(cli), _) => cli.clone(),
        (None, Some(k)) => estate
            .and_then(Path::parent)
            .map_or_else(|| PathBuf::from(k), |dir| dir.join(k)),
        (None, None) => {
            return Err("no service tag file: pass --service-tags FILE or set `service-tags-file` in [estate]".into());
        }
    };
    read_tag_file(&path)
}

/// The display name and text of a service tag file.
pub(crate) fn read_tag_file(path: &Path) -> Result<(String, String), String> {
    let name = path.display().to_string();
    std::fs::read_to_string(path)
        .map(|text| (name.clone(), text))
        .map_err(|e| format!("cannot read service tag file {name}: {e}"))
}

/// Reads and validates the estate; prints warnings; bad input is an error
/// carrying the rendered diagnostics.
pub(crate) fn load_estate(path: Option<&Path>) -> Result<LoadedEstate, CliError> {
    load_estate_with(path, &|key| read_tags(path, key))
}

/// [`load_estate`] with service tags resolved by `tags`.
pub(crate) fn load_estate_with(
    path: Option<&Path>,
    tags: &TagLoader<'_>,
) -> Result<LoadedEstate, CliError> {
    let (name, source) = match path {
        Some(p) => (p.display().to_string(), read_estate_file(p)?),
        None => {
            eprintln!(
                "note: no ESTATE given; using the bundled example estate \"contoso\" (`smbguard init` writes it)"
            );
            (
                "<bundled contoso.toml>".to_string(),
                EXAMPLE_ESTATE.to_string(),
            )
        }
    };
    match parse_estate_with_service_tags(&source, tags) {
        Ok(parsed) => {
            if !parsed.warnings.is_empty() {
                eprint!("{}", render_diagnostics(&name, &source, &parsed.warnings));
            }
            Ok(LoadedEstate {
                name,
                source,
                estate: parsed.estate,
            })
        }
        Err(rejected) => Err(CliError::BadInput(render_diagnostics(
            &name,
            &source,
            &rejected.diagnostics,
        ))),
    }
}

/// Loads and compiles; guard-rail violations are bad input too.
pub(crate) fn load_plan(path: Option<&Path>) -> Result<(LoadedEstate, Plan), CliError> {
    let loaded = load_estate(path)?;
    match compile(&loaded.estate) {
        Ok(plan) => Ok((loaded, plan)),
        Err(e) => {
            let mut diags = e.into_diagnostics();
            for d in &mut diags {
                d.locate(&loaded.source);
            }
            Err(CliError::BadInput(render_diagnostics(
                &loaded.name,
                &loaded.source,
                &diags,
            )))
        }
    }
}

/// Largest deployed GPO file read: a `Registry.pol` is kilobytes to a few
/// megabytes even for large baselines.
const MAX_GPO_BYTES: u64 = 64 << 20;

/// [`load_plan`], then every group's `deployed-gpos` laid over its policy
/// (`smbguard_audit::overlay`), so `check` and `verify` judge what Windows
/// would enforce. The reader's findings are printed as warnings; a file that
/// cannot be read or is not a PReg file is bad input.
pub(crate) fn load_deployed_plan(path: Option<&Path>) -> Result<(LoadedEstate, Plan), CliError> {
    let (loaded, mut plan) = load_plan(path)?;
    let base = path.and_then(Path::parent);
    for (g, host) in loaded.estate.groups.iter().zip(plan.hosts.iter_mut()) {
        if g.deployed_gpos.is_empty() {
            continue;
        }
        let smbguard_semantics::HostRules::Windows(own) = &host.rules else {
            continue;
        };
        let mut gpos = Vec::with_capacity(g.deployed_gpos.len());
        for d in &g.deployed_gpos {
            let file = base.map_or_else(|| PathBuf::from(&d.path), |b| b.join(&d.path));
            let gpo = read_gpo(&file)?;
            for f in &gpo.lowered.findings {
                let text = format!("{}: {}", f.location, f.message);
                eprintln!(
                    "warning: group `{}`: {} {}: {}",
                    esc(&truncate(&g.name, MAX_DIAGNOSTIC_TEXT)),
                    f.code.id(),
                    f.code.slug(),
                    esc(&truncate(&text, MAX_DIAGNOSTIC_TEXT))
                );
            }
            gpos.push(gpo);
        }
        host.rules = smbguard_semantics::HostRules::Windows(smbguard_audit::overlay(own, &gpos));
    }
    Ok((loaded, plan))
}

fn read_gpo(file: &Path) -> Result<smbguard_audit::DeployedGpo, CliError> {
    let shown = esc(&file.display().to_string()).into_owned();
    let fail = |e: &dyn std::fmt::Display| {
        CliError::BadInput(format!("error: cannot read deployed GPO {shown}: {e}"))
    };
    let f = std::fs::File::open(file).map_err(|e| fail(&e))?;
    let mut bytes = Vec::new();
    f.take(MAX_GPO_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(&e))?;
    if bytes.len() as u64 > MAX_GPO_BYTES {
        return Err(fail(&format!("larger than {} MiB", MAX_GPO_BYTES >> 20)));
    }
    smbguard_audit::read_deployed_gpo(&bytes, &shown)
        .map_err(|e| CliError::BadInput(format!("error: deployed GPO: {e}")))
}

/// Renders diagnostics as compiler-style text: a `file:line:column` header a
/// terminal or editor can jump to, then the snippet.
pub(crate) fn render_diagnostics(name: &str, source: &str, diags: &[Diagnostic]) -> String {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    let shown = displayable_source(source);
    for d in diags {
        let message = truncate(&d.message, MAX_DIAGNOSTIC_TEXT);
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match (d.line, d.column) {
            (Some(l), Some(c)) => {
                out.push_str(&format!("{level}[{}]: {name}:{l}:{c}: {message}\n", d.code))
            }
            _ => out.push_str(&format!("{level}[{}]: {name}: {message}\n", d.code)),
        }
        if d.span
            .as_ref()
            .is_some_and(|s| !line_is_short(source, s.start))
        {
            out.push('\n');
            continue;
        }
        let mut md = MietteDiagnostic::new(message).with_severity(match d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        });
        if let Some(span) = &d.span {
            let label = d.label.as_deref().map(|l| truncate(l, MAX_DIAGNOSTIC_TEXT));
            md = md.with_label(LabeledSpan::new_with_span(label, span.clone()));
        }
        if let Some(h) = &d.hint {
            md = md.with_help(truncate(h, MAX_DIAGNOSTIC_TEXT));
        }
        let report = Report::new(md).with_source_code(NamedSource::new(name, shown.clone()));
        let mut snippet = String::new();
        if handler.render_report(&mut snippet, report.as_ref()).is_ok() {
            out.push_str(&snippet);
        }
        out.push('\n');
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        out.push_str(&format!(
            "{errors} error(s) in {name}; nothing was compiled\n"
        ));
    }
    out
}
