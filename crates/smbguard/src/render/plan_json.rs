//! `smbguard plan --format json`.

use serde_json::{Value, json};
use smbguard_semantics::{KbRow, Plan};

pub(crate) fn document(plan: &Plan) -> Value {
    let rows: Vec<Value> = plan
        .kb_rows()
        .iter()
        .map(|k| json!({"row": k, "requirement": k.summary()}))
        .collect();
    let _ = KbRow::ALL;
    json!({
        "smbguard": env!("CARGO_PKG_VERSION"),
        "estate": plan.estate,
        "kb_rows": rows,
        "plan": plan,
    })
}
