//! `Get-NetFirewallRule` exports as rows of named text fields, parse only
//! (the sibling `mod.rs` turns a row into a rule).
//!
//! * CSV: `ConvertTo-Csv`/`Export-Csv` output, `;`- or `,`-separated (the
//!   delimiter the header line uses), every field optionally quoted, quotes
//!   doubled inside; a leading `#TYPE ...` line (Windows PowerShell without
//!   `-NoTypeInformation`) is skipped.
//! * JSON: `ConvertTo-Json` of the rules: an array of objects, or one object
//!   when one rule was exported. Values may be strings, numbers (enums when not
//!   stringified first), booleans, `null` or arrays of those (joined with `,`);
//!   nested objects' fields are lifted into the rule (see `flatten`).

use std::collections::BTreeMap;

use crate::{Error, ErrorKind, Location};

/// One exported rule: field name (lower case) → text.
pub(crate) type Row = BTreeMap<String, String>;

/// The data rows of a CSV export; `Err` for a row that cannot be read.
pub(crate) fn csv_rows(text: &str) -> Result<Vec<Result<Row, Error>>, Error> {
    let body = skip_type_line(text);
    let header_line = body.lines().next().unwrap_or("");
    let delimiter = if header_line.matches(';').count() >= header_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(body.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| {
            Error::line(
                1,
                ErrorKind::syntax("unreadable CSV header", &e.to_string()),
            )
        })?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    if !headers.iter().any(|h| h == "name") {
        return Err(Error::line(
            1,
            ErrorKind::MissingHeader {
                expected: "a CSV header with a `Name` column",
                found: crate::error::clip(header_line),
            },
        ));
    }
    Ok(reader
        .records()
        .enumerate()
        .map(|(index, record)| {
            let record = record.map_err(|e| {
                Error::new(
                    Location::Record { index, field: None },
                    ErrorKind::syntax("unreadable CSV row", &e.to_string()),
                )
            })?;
            Ok(headers
                .iter()
                .zip(record.iter())
                .map(|(h, v)| (h.clone(), v.to_owned()))
                .collect())
        })
        .collect())
}

fn skip_type_line(text: &str) -> &str {
    let trimmed = text.trim_start();
    if trimmed.starts_with("#TYPE") {
        trimmed.split_once('\n').map_or("", |(_, rest)| rest)
    } else {
        trimmed
    }
}

/// The rows of a JSON export; `Err` for an element that is not an object.
pub(crate) fn json_rows(text: &str) -> Result<Vec<Result<Row, Error>>, Error> {
    let value: serde_json::Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| {
            Error::new(
                Location::Line { line: e.line() },
                ErrorKind::Json(crate::error::clip(&e.to_string())),
            )
        })?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        object @ serde_json::Value::Object(_) => vec![object],
        _ => {
            return Err(Error::line(
                1,
                ErrorKind::Json("expected an array of rule objects".to_owned()),
            ));
        }
    };
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(index, item)| match item {
            serde_json::Value::Object(map) => Ok(flatten(&map)),
            _ => Err(Error::new(
                Location::Record { index, field: None },
                ErrorKind::Json("expected a rule object".to_owned()),
            )),
        })
        .collect())
}

/// The object's fields; the fields of a nested object (e.g. `Port` holding
/// `Protocol` and `LocalPort` in an export that kept the filter objects)
/// count as the rule's own, unless the rule has a field of that name.
fn flatten(map: &serde_json::Map<String, serde_json::Value>) -> Row {
    let mut row: Row = map
        .iter()
        .filter(|(_, v)| !v.is_object())
        .map(|(k, v)| (k.to_ascii_lowercase(), json_text(v)))
        .collect();
    for nested in map.values().filter_map(serde_json::Value::as_object) {
        for (k, v) in nested {
            row.entry(k.to_ascii_lowercase())
                .or_insert_with(|| json_text(v));
        }
    }
    row
}

/// A JSON value as the text a CSV export would hold.
fn json_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(b) => if *b { "True" } else { "False" }.to_owned(),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Array(items) => {
            items.iter().map(json_text).collect::<Vec<_>>().join(",")
        }
        serde_json::Value::Object(_) => String::new(),
    }
}
