//! Located problems in an estate file. The library never prints: callers
//! render these (the CLI with source snippets, JSON for tools).

use std::ops::Range;

use serde::Serialize;

/// How bad a problem is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; the estate still compiles.
    Warning,
    /// The estate is rejected.
    Error,
}

/// One problem, with where it is, what is wrong and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable identifier, e.g. `invalid-address`.
    pub code: &'static str,
    /// What is wrong, in one sentence.
    pub message: String,
    /// Byte range in the source, when known.
    #[serde(skip)]
    pub span: Option<Range<usize>>,
    /// Short text shown under the span.
    pub label: Option<String>,
    /// How to fix it.
    pub hint: Option<String>,
    /// 1-based line and column of the span start, filled by [`Diagnostic::locate`].
    pub line: Option<usize>,
    /// See `line`.
    pub column: Option<usize>,
}

impl Diagnostic {
    /// An error.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    /// A warning.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    fn new(severity: Severity, code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            span: None,
            label: None,
            hint: None,
            line: None,
            column: None,
        }
    }

    /// Attaches a source span.
    pub fn at(mut self, span: Option<Range<usize>>) -> Self {
        self.span = span;
        self
    }

    /// Attaches a label for the span.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Attaches a fix-it hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Fills `line` and `column` from the span and the source text.
    pub fn locate(&mut self, source: &str) {
        if let Some(span) = &self.span {
            let (line, column) = line_column(source, span.start);
            self.line = Some(line);
            self.column = Some(column);
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// A non-empty list of diagnostics that rejected an estate (errors first).
#[derive(Clone, Debug, thiserror::Error)]
#[error("the estate has {} error(s)", self.errors().count())]
pub struct Rejected {
    /// Every error and warning found, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Rejected {
    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }
}
