//! Loading the estate (a file or the bundled example) and rendering its
//! diagnostics with source snippets.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource, Report,
};
use smbguard_model::{
    Diagnostic, EXAMPLE_ESTATE, Estate, Severity, TagLoader, parse_estate_with_service_tags,
};
use smbguard_semantics::{CompileError, Plan, compile};

use crate::CliError;

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
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| {
                CliError::BadInput(format!("cannot read estate {}: {e}", p.display()))
            })?;
            (p.display().to_string(), text)
        }
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
        Err(CompileError::GuardRails(mut diags)) => {
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
    for d in diags {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match (d.line, d.column) {
            (Some(l), Some(c)) => out.push_str(&format!(
                "{level}[{}]: {name}:{l}:{c}: {}\n",
                d.code, d.message
            )),
            _ => out.push_str(&format!("{level}[{}]: {name}: {}\n", d.code, d.message)),
        }
        let mut md = MietteDiagnostic::new(d.message.clone()).with_severity(match d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        });
        if let Some(span) = &d.span {
            md = md.with_label(LabeledSpan::new_with_span(d.label.clone(), span.clone()));
        }
        if let Some(h) = &d.hint {
            md = md.with_help(h.clone());
        }
        let report = Report::new(md).with_source_code(NamedSource::new(name, source.to_string()));
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
