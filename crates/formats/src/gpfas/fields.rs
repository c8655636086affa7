//! The field layer shared by all MS-GPFAS rule grammars:
//! `RULE = "v" VERSION "|" 1*FIELD`, `FIELD = TYPE-VALUE "|"` (§2.2.2.19, §2.2.6.2, §2.2.7.1).
//!
//! A value ends at the next `|`; there is no escaping, so values never contain `|`.
//! The token is the text before the first `=`; the value is everything after it
//! (values may contain `=`).

use crate::{Error, ErrorKind};

use super::diag::{GpfasWarning, GpfasWarningKind, check_field_value};
use super::version::SchemaVersion;

/// One `TOKEN=VALUE` field of a rule string.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field<'a> {
    /// 1-based index after the version.
    pub(crate) index: usize,
    /// The raw field text (without the terminating `|`).
    pub(crate) raw: &'a str,
    /// Text before the first `=` (the whole field when there is none).
    pub(crate) token: &'a str,
    /// Text after the first `=`; `None` when the field has no `=`.
    pub(crate) value: Option<&'a str>,
}

/// Splits a rule string into its version and fields.
pub(crate) fn lex(text: &str) -> Result<(SchemaVersion, Vec<Field<'_>>, Vec<GpfasWarning>), Error> {
    if text.is_empty() {
        return Err(Error::rule(ErrorKind::Empty));
    }
    let mut warnings = Vec::new();
    let (body, terminated) = match text.strip_suffix('|') {
        Some(body) => (body, true),
        None => (text, false),
    };
    let mut pieces = body.split('|');
    let head = pieces.next().unwrap_or_default();
    let version = head
        .strip_prefix('v')
        .and_then(SchemaVersion::parse)
        .ok_or_else(|| {
            Error::rule(ErrorKind::BadVersion {
                text: head.to_owned(),
            })
        })?;
    let fields: Vec<Field<'_>> = pieces
        .enumerate()
        .map(|(i, raw)| {
            let (token, value) = match raw.split_once('=') {
                Some((t, v)) => (t, Some(v)),
                None => (raw, None),
            };
            Field {
                index: i + 1,
                raw,
                token,
                value,
            }
        })
        .collect();
    if !terminated {
        warnings.push(GpfasWarning {
            field_index: fields.len(),
            token: fields.last().map_or(head, |f| f.raw).to_owned(),
            kind: GpfasWarningKind::MissingTerminator,
        });
    }
    Ok((version, fields, warnings))
}

/// Builds a rule string field by field, rejecting values that contain `|`.
#[derive(Debug)]
pub(crate) struct FieldWriter {
    out: String,
    error: Option<Error>,
}

impl FieldWriter {
    pub(crate) fn new(version: SchemaVersion) -> Self {
        Self {
            out: format!("v{version}|"),
            error: None,
        }
    }

    /// Appends `token=value|`.
    pub(crate) fn field(&mut self, token: &str, value: &str) {
        if self.error.is_none() {
            if let Err(e) = check_field_value(token, value) {
                self.error = Some(e);
                return;
            }
        }
        self.out.push_str(token);
        self.out.push('=');
        self.out.push_str(value);
        self.out.push('|');
    }

    /// Appends `token=value|` when `value` is present.
    pub(crate) fn opt<T: std::fmt::Display>(&mut self, token: &str, value: Option<T>) {
        if let Some(v) = value {
            self.field(token, &v.to_string());
        }
    }

    /// Appends `token=TRUE|` / `token=FALSE|` when present.
    pub(crate) fn bool(&mut self, token: &str, value: Option<bool>) {
        if let Some(v) = value {
            self.field(token, if v { "TRUE" } else { "FALSE" });
        }
    }

    /// Appends one `token=value|` per item.
    pub(crate) fn each<T: std::fmt::Display>(&mut self, token: &str, items: &[T]) {
        for item in items {
            self.field(token, &item.to_string());
        }
    }

    /// Appends a verbatim field (an unknown token kept from parsing).
    pub(crate) fn raw(&mut self, raw: &str) {
        if self.error.is_none() {
            if let Err(e) = check_field_value(raw.split('=').next().unwrap_or(raw), raw) {
                self.error = Some(e);
                return;
            }
        }
        self.out.push_str(raw);
        self.out.push('|');
    }

    pub(crate) fn finish(self) -> Result<String, Error> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.out),
        }
    }
}
