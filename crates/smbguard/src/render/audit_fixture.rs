//! Audit reports made up for the renderers' unit tests: any severity (the
//! judge raises no `low` finding yet, the renderers must still map one),
//! any number of hosts, hostile strings.

use smbguard_audit::{
    AuditCode, AuditFinding, Evidence, HostAudit, InputKind, RuleRef, Severity, Store,
};

/// A finding of `code` at `severity`, naming one undeclared rule.
pub(crate) fn finding(code: AuditCode, severity: Severity, n: usize) -> AuditFinding {
    let evidence = Evidence {
        detail: format!("difference {n} <i>"),
        rules: vec![RuleRef {
            id: format!("{{rule-{n}}}"),
            name: format!("[rule {n}](https://example.invalid/) <b>"),
            store: Store::Local,
            action: "allow".to_owned(),
            declared: false,
        }],
        direction: None,
        profile: None,
        trace: None,
        classes: 1,
        approximated: Vec::new(),
    };
    let mut f = AuditFinding::new(code, format!("finding {n}"), evidence);
    f.severity = severity;
    f
}

/// A host of `group` read from `source`, with `findings`.
pub(crate) fn host(
    name: &str,
    source: &str,
    group: Option<&str>,
    findings: Vec<AuditFinding>,
) -> HostAudit {
    HostAudit {
        host: name.to_owned(),
        source: source.to_owned(),
        input: InputKind::Bundle,
        group: group.map(str::to_owned),
        policy_hash: "0".repeat(40),
        classes: 1,
        findings,
        notes: Vec::new().into(),
    }
}
