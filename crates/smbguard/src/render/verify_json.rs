//! `smbguard verify --format json`: the whole report, with the smbguard version.

use serde_json::{Value, json};
use smbguard_verify::Report;

pub(crate) fn document(report: &Report) -> Value {
    let mut v = serde_json::to_value(report).unwrap_or_else(|e| json!({ "error": e.to_string() }));
    if let Value::Object(m) = &mut v {
        m.insert("smbguard".into(), json!(env!("CARGO_PKG_VERSION")));
    }
    v
}
