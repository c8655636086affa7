//! `smbguard audit --format sarif`: the report as SARIF 2.1.0 (OASIS
//! Standard), one run, for code-scanning dashboards. The mapping is in
//! `docs/audit.md` ("SARIF"). Output depends only on the report: no time,
//! no absolute path that was not given, maps in sorted order.
//!
//! Written by hand with serde structs rather than with `serde-sarif`: that
//! crate generates its types from the SARIF schema in a build script, which
//! every clean CI build would pay for, and the subset used here is small.
//! The test `sarif_validates_against_the_oasis_schema` holds this output to
//! the official schema.

use std::collections::BTreeMap;

use serde::Serialize;
use smbguard_audit::{AuditCode, AuditFinding, AuditReport, HostAudit, Severity, Store};

use super::audit_uri::artifact_uri;
use super::markdown::{map_text, to_text};

/// The schema the log names (the OASIS Standard's, errata 01).
const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The finding codes' manual; each rule's `helpUri` is a section of it.
const DOCS_URI: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/audit.md");

/// The base relative artifact URIs are resolved against: the directory
/// smbguard ran in, which the log cannot know (SARIF §3.4.4).
const INPUT_ROOT: &str = "INPUTROOT";

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    automation_details: AutomationDetails,
    results: Vec<SarifResult>,
    properties: RunProperties,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: String,
    semantic_version: String,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
struct AutomationDetails {
    id: String,
}

#[derive(Serialize)]
struct RunProperties {
    estate: String,
    summary: smbguard_audit::Summary,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct TextAndMarkdown {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: &'static str,
    short_description: Text,
    full_description: TextAndMarkdown,
    help: TextAndMarkdown,
    help_uri: String,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: [&'static str; 2],
    /// GitHub code scanning ranks alerts by this (a CVSS-like score).
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    severity: Severity,
    kb: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [Location; 1],
    partial_fingerprints: BTreeMap<&'static str, String>,
    properties: ResultProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
    logical_locations: Vec<LogicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    name: String,
    fully_qualified_name: String,
    kind: &'static str,
}

#[derive(Serialize)]
struct ResultProperties {
    severity: Severity,
    kb: String,
    host: String,
    source: String,
    group: Option<String>,
    stores: Vec<Store>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<smbguard_audit::Fix>,
}

/// SARIF's level for a severity.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::High => "8.0",
        Severity::Medium => "5.0",
        Severity::Low => "2.0",
    }
}

/// A message string as SARIF reads it: `{` and `}` doubled (§3.11.5,
/// placeholders), `[` and `]` escaped with a backslash, and a backslash
/// before either escaped too (§3.11.6, embedded links), so no rule or host
/// name can become a placeholder or a link.
fn message(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' => o.push_str("{{"),
            '}' => o.push_str("}}"),
            '[' | ']' => {
                o.push('\\');
                o.push(c);
            }
            '\\' if matches!(chars.peek(), Some('[' | ']')) => o.push_str("\\\\"),
            _ => o.push(c),
        }
    }
    o
}

/// Explanation Markdown as SARIF text and Markdown message strings.
fn text_and_markdown(markdown: &str) -> TextAndMarkdown {
    TextAndMarkdown {
        text: message(&to_text(markdown)),
        markdown: map_text(markdown, message),
    }
}

fn rule(code: AuditCode) -> Rule {
    let e = code.explanation();
    Rule {
        id: code.id(),
        name: code.slug(),
        short_description: Text {
            text: message(e.summary),
        },
        full_description: text_and_markdown(e.what),
        help: text_and_markdown(&e.markdown()),
        help_uri: format!("{DOCS_URI}#{}", code.anchor()),
        default_configuration: Configuration {
            level: level(code.severity()),
        },
        properties: RuleProperties {
            tags: ["security", "smb"],
            security_severity: security_severity(code.severity()),
            severity: code.severity(),
            kb: code.kb().to_string(),
        },
    }
}

/// SHA-1 of what identifies a finding from one run to the next: the host,
/// the code, the rules named, the differing flow's direction and profile,
/// and the flow itself (transport, source and destination: the
/// representatives of its equivalence class, which stay while the plan
/// does), NUL-separated. Titles and details are left out: wording may
/// change while the finding stays.
fn fingerprint(h: &HostAudit, f: &AuditFinding) -> String {
    let mut parts: Vec<String> = vec![h.host.clone(), f.code.id().to_owned()];
    parts.extend(f.evidence.rules.iter().map(|r| r.id.clone()));
    parts.push(
        f.evidence
            .direction
            .map(|d| format!("{d:?}"))
            .unwrap_or_default(),
    );
    parts.push(
        f.evidence
            .profile
            .map(|p| p.to_string())
            .unwrap_or_default(),
    );
    if let Some(t) = &f.evidence.trace {
        let flow = &t.flow;
        parts.push(format!(
            "{} {} {}",
            flow.transport, flow.source, flow.destination
        ));
    }
    sha1_smol::Sha1::from(parts.join("\0").as_bytes())
        .digest()
        .to_string()
}

fn logical_locations(h: &HostAudit, f: &AuditFinding) -> Vec<LogicalLocation> {
    let mut v = vec![LogicalLocation {
        name: h.host.clone(),
        fully_qualified_name: h.host.clone(),
        kind: "resource",
    }];
    for r in &f.evidence.rules {
        v.push(LogicalLocation {
            name: r.id.clone(),
            fully_qualified_name: format!("{}/{}", h.host, r.id),
            kind: "object",
        });
    }
    v
}

fn result(h: &HostAudit, f: &AuditFinding) -> SarifResult {
    let (uri, base) = artifact_uri(&h.source);
    let mut stores: Vec<Store> = f.evidence.rules.iter().map(|r| r.store).collect();
    stores.sort();
    stores.dedup();
    SarifResult {
        rule_id: f.code.id(),
        rule_index: AuditCode::ALL
            .iter()
            .position(|c| *c == f.code)
            .unwrap_or_default(),
        level: level(f.severity),
        message: Text {
            text: message(&format!("{}. {}", f.title, f.evidence.detail)),
        },
        locations: [Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation {
                    uri,
                    uri_base_id: base.then_some(INPUT_ROOT),
                },
            },
            logical_locations: logical_locations(h, f),
        }],
        partial_fingerprints: BTreeMap::from([("smbguardFinding/v1", fingerprint(h, f))]),
        properties: ResultProperties {
            severity: f.severity,
            kb: f.kb.to_string(),
            host: h.host.clone(),
            source: h.source.clone(),
            group: h.group.clone(),
            stores,
            fix: f.fix.clone(),
        },
    }
}

/// The SARIF log of a report, as pretty JSON with a final newline.
pub(crate) fn render(r: &AuditReport) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let log = Log {
        schema: SARIF_SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "smbguard",
                    version: version.to_owned(),
                    semantic_version: version.to_owned(),
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    rules: AuditCode::ALL.into_iter().map(rule).collect(),
                },
            },
            automation_details: AutomationDetails {
                id: format!("smbguard-audit/{}/", r.estate),
            },
            results: r
                .hosts
                .iter()
                .flat_map(|h| h.findings.iter().map(move |f| result(h, f)))
                .collect(),
            properties: RunProperties {
                estate: r.estate.clone(),
                summary: r.summary,
            },
        }],
    };
    let mut s =
        serde_json::to_string_pretty(&log).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use smbguard_audit::{AuditCode, AuditReport, Severity};

    use super::message;
    use crate::render::audit_fixture::{finding, host};
    use crate::render::sarif_schema;

    /// Every severity (`low` too, which only a made-up report has) maps to
    /// its level and validates, with sources of every shape.
    #[test]
    fn every_severity_and_source_shape_validates() {
        let mut hosts = Vec::new();
        let sources = [
            "/srv/e v/h.json",
            r"C:\ev\h.json",
            r"\\srv\ev$\h.json",
            "<stdin>:3",
            "a:b#c",
        ];
        for (i, source) in sources.iter().enumerate() {
            let findings = [Severity::Low, Severity::Medium, Severity::High]
                .into_iter()
                .enumerate()
                .map(|(j, s)| finding(AuditCode::ALL[i + j], s, 10 * i + j))
                .collect();
            hosts.push(host(&format!("h{i}"), source, Some("g"), findings));
        }
        let report = AuditReport::new("e", "0.0.0", hosts);
        let doc: serde_json::Value = serde_json::from_str(&super::render(&report)).unwrap();
        sarif_schema::assert_valid(&sarif_schema::validator(), &doc, "made-up report");
        let results = doc["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 15);
        for r in results {
            let want = match r["properties"]["severity"].as_str().unwrap() {
                "high" => "error",
                "medium" => "warning",
                _ => "note",
            };
            assert_eq!(r["level"], want);
        }
        assert!(results.iter().any(|r| r["level"] == "note"));
    }

    #[test]
    fn message_strings_escape_placeholders_and_links() {
        assert_eq!(
            message(r"rule {8D3A} [x](https://e.example) \[y] C:\a"),
            r"rule {{8D3A}} \[x\](https://e.example) \\\[y\] C:\a"
        );
    }
}
