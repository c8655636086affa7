//! The official SARIF 2.1.0 schema as a validator, shared by the CLI's
//! integration tests and the SARIF renderer's unit tests (included there by
//! path). `fixtures/MANIFEST.md` says where the schema comes from.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;

/// The schema, as published.
const SARIF_SCHEMA: &str = include_str!("../../../../fixtures/sarif/sarif-schema-2.1.0.json");

/// The `language` pattern as published: its stray `]` is a known erratum
/// (oasis-tcs/sarif-spec#488), and the meta-schema's `format: regex` check
/// refuses it, so the schema would not compile.
const LANGUAGE_PATTERN: &str = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
/// The pattern as SARIF 2.1.0 Errata 01 corrected it (sarif-spec#562).
const LANGUAGE_PATTERN_ERRATA_01: &str = r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#;

/// The schema validator, checking `format` (draft-07 makes it an assertion
/// by default; said explicitly so a change of default cannot disable it).
/// The fixture stays as published; the erratum is corrected in memory.
pub(crate) fn validator() -> jsonschema::Validator {
    assert_eq!(SARIF_SCHEMA.matches(LANGUAGE_PATTERN).count(), 2);
    let corrected = SARIF_SCHEMA.replace(LANGUAGE_PATTERN, LANGUAGE_PATTERN_ERRATA_01);
    let schema: Value = serde_json::from_str(&corrected).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

/// Panics with every schema error of `doc`.
pub(crate) fn assert_valid(validator: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}
