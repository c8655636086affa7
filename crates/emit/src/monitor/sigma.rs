//! Sigma rules, one file per detection, for a SIEM fed with Windows events:
//! connections the plan forbids (Security 5156/5157, Sysmon 3), admin-share
//! access from non-management hosts (5140/5145), a service installed after
//! SMB from a client host (7045 correlated with 5140), and the SMB server's
//! own audit of SMB1 (3000) and of clients without encryption (3021/3022).
//!
//! Address conditions are `|cidr` lists of the estate's sets, so the rules
//! know the plan; IDs are UUIDv5 of the estate name and the file, stable
//! across re-emits. Event fields: Microsoft's auditing pages
//! (`windows/security/threat-protection/auditing/event-5156.md`, 5157, 5140,
//! 5145), Sysmon's event 3, and `Set-SmbServerConfiguration`'s audit
//! switches (`-AuditSmb1Access`, `-AuditClientDoesNotSupportEncryption`).

use std::fmt::Write as _;

use smbguard_model::AddrSet;
use uuid::Uuid;

use crate::artifact::{Artifact, EmitContext, EmitError};
use crate::monitor::{Case, Scope, cases, cidr_list};
use crate::non_windows::{artifact, clean, comment_header};
use crate::target::Target;

/// The folder of the rules.
pub(crate) const DIR: &str = "sigma";

/// A YAML single-quoted scalar: `'` doubled, control characters as spaces.
fn quoted(s: &str) -> String {
    format!("'{}'", clean(s).replace('\'', "''"))
}

/// A rule's stable ID: UUIDv5 of the estate name and the rule's file stem.
fn rule_id(cx: &EmitContext<'_>, stem: &str) -> Uuid {
    let key = format!("smbguard sigma {} {stem}", cx.estate.name);
    Uuid::new_v5(&Uuid::NAMESPACE_OID, key.as_bytes())
}

/// One field condition inside a selection: `Field|mods: values`.
type Cond = (&'static str, Vec<String>);

fn cidrs(set: &AddrSet) -> Vec<String> {
    cidr_list(set).into_iter().map(|c| quoted(&c)).collect()
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| quoted(s)).collect()
}

/// A detection rule's parts after the header.
struct Rule {
    stem: String,
    title: String,
    description: String,
    logsource: &'static str,
    selections: Vec<(&'static str, Vec<Cond>)>,
    condition: String,
    level: &'static str,
    tags: &'static str,
    kb: String,
    case: &'static str,
}

fn write_rule(cx: &EmitContext<'_>, r: &Rule, out: &mut String) {
    let _ = writeln!(out, "title: {}", quoted(&r.title));
    let _ = writeln!(out, "id: {}", rule_id(cx, &r.stem));
    out.push_str("status: experimental\n");
    let _ = writeln!(out, "description: {}", quoted(&r.description));
    out.push_str("references:\n    - 'https://support.microsoft.com/help/3185535'\n");
    out.push_str("author: smbguard\n");
    let _ = writeln!(out, "tags:\n{}", r.tags);
    let _ = writeln!(out, "logsource:\n{}", r.logsource);
    out.push_str("detection:\n");
    for (name, conds) in &r.selections {
        let _ = writeln!(out, "    {name}:");
        for (field, values) in conds {
            if values.len() == 1 {
                let _ = writeln!(out, "        {field}: {}", values[0]);
            } else {
                let _ = writeln!(out, "        {field}:");
                for v in values {
                    let _ = writeln!(out, "            - {v}");
                }
            }
        }
    }
    let _ = writeln!(out, "    condition: {}", r.condition);
    out.push_str("falsepositives:\n    - 'A host the estate file places wrongly, or a change not yet in the estate file'\n");
    let _ = writeln!(out, "level: {}", r.level);
    let _ = writeln!(
        out,
        "custom:\n    smbguard_estate: {}\n    smbguard_case: '{}'\n    kb_row: '{}'",
        quoted(&cx.estate.name),
        r.case,
        r.kb
    );
}

const SECURITY: &str = "    product: windows\n    service: security";
const SYSMON: &str = "    product: windows\n    category: network_connection";
const LATERAL_TAGS: &str = "    - attack.lateral-movement\n    - attack.t1021.002";

/// The address conditions of a connection case, in each source's field
/// names: `(selection, filter)`; the filter is empty when there is none.
fn connection_conds(
    case: Case,
    scope: &Scope,
    src: &'static str,
    dst: &'static str,
) -> (Vec<Cond>, Vec<Cond>) {
    match case {
        Case::Lateral => (
            vec![(src, cidrs(&scope.clients)), (dst, cidrs(&scope.clients))],
            vec![],
        ),
        Case::UnplannedServer => (
            vec![(dst, cidrs(&scope.internal))],
            vec![(dst, cidrs(&scope.grouped))],
        ),
        _ => (
            vec![(src, cidrs(&scope.inside))],
            vec![(dst, cidrs(&scope.inside.union(&scope.cloud)))],
        ),
    }
}

/// Outbound connections to 445/139 that the plan forbids, as the initiating
/// host logs them: Security 5156 (allowed) / 5157 (blocked) with Direction
/// `%%14593` (outbound), or Sysmon 3 with `Initiated: true`.
fn connection_rule(cx: &EmitContext<'_>, case: Case, scope: &Scope, sysmon: bool) -> Rule {
    let (src, dst, port) = if sysmon {
        ("SourceIp|cidr", "DestinationIp|cidr", "DestinationPort")
    } else {
        ("SourceAddress|cidr", "DestAddress|cidr", "DestPort")
    };
    let (mut sel, filter) = connection_conds(case, scope, src, dst);
    let mut head: Vec<Cond> = if sysmon {
        vec![("Initiated", strs(&["true"]))]
    } else {
        vec![
            ("EventID", vec!["5156".into(), "5157".into()]),
            ("Direction", strs(&["%%14593"])),
        ]
    };
    head.push((port, vec!["445".into(), "139".into()]));
    head.append(&mut sel);
    let mut selections = vec![("selection", head)];
    let condition = if filter.is_empty() {
        "selection".to_owned()
    } else {
        selections.push(("filter_planned", filter));
        "selection and not filter_planned".to_owned()
    };
    let source = if sysmon { "sysmon" } else { "security" };
    Rule {
        stem: format!("{source}-connection-{}", case.as_str()),
        title: format!(
            "smbguard {}: {} ({})",
            clean(&cx.estate.name),
            case.title(),
            if sysmon {
                "Sysmon 3"
            } else {
                "Security 5156/5157"
            }
        ),
        description: format!(
            "An outbound connection to TCP 445 or 139 that the estate's plan forbids: {} [{}].",
            case.title(),
            case.kb()
        ),
        logsource: if sysmon { SYSMON } else { SECURITY },
        selections,
        condition,
        level: if case == Case::Lateral {
            "high"
        } else {
            "medium"
        },
        tags: LATERAL_TAGS,
        kb: case.kb().to_string(),
        case: case.as_str(),
    }
}

/// 5140 (share accessed) and 5145 (detailed share access) for an `X$`
/// share other than `IPC$`, from an address no management exception names.
fn admin_share_rule(cx: &EmitContext<'_>, scope: &Scope) -> Rule {
    let case = Case::AdminShare;
    let mut selections = vec![
        (
            "selection",
            vec![
                ("EventID", vec!["5140".into(), "5145".into()]),
                ("ShareName|endswith", strs(&["$"])),
            ],
        ),
        ("filter_ipc", vec![("ShareName|endswith", strs(&["IPC$"]))]),
    ];
    let condition = if scope.management.is_empty() {
        "selection and not filter_ipc"
    } else {
        selections.push((
            "filter_management",
            vec![("IpAddress|cidr", cidrs(&scope.management))],
        ));
        "selection and not 1 of filter_*"
    };
    Rule {
        stem: "security-admin-share".into(),
        title: format!(
            "smbguard {}: {} (Security 5140/5145)",
            clean(&cx.estate.name),
            case.title()
        ),
        description: format!(
            "An administrative share (ADMIN$, C$, any X$ but IPC$) opened from a host that no management exception names [{}]. Aligns with SigmaHQ 098d7118-55bc-4912-a836-dc6483a8d150.",
            case.kb()
        ),
        logsource: SECURITY,
        selections,
        condition: condition.into(),
        level: "high",
        tags: LATERAL_TAGS,
        kb: case.kb().to_string(),
        case: case.as_str(),
    }
}

fn smbserver_rule(cx: &EmitContext<'_>, smb1: bool) -> Rule {
    let (stem, case, ids, what) = if smb1 {
        (
            "smbserver-smb1-access",
            "smb1",
            vec!["3000".to_owned()],
            "SMB1 access (SMBServer/Audit 3000, enabled by Set-SmbServerConfiguration -AuditSmb1Access $true)",
        )
    } else {
        (
            "smbserver-unencrypted-client",
            "unencrypted-client",
            vec!["3021".into(), "3022".into()],
            "a client without SMB encryption or signing support (SMBServer/Audit 3021/3022, enabled by -AuditClientDoesNotSupportEncryption / -AuditClientDoesNotSupportSigning)",
        )
    };
    let kb = if smb1 { "K9" } else { "K2" };
    Rule {
        stem: stem.into(),
        title: format!(
            "smbguard {}: {}",
            clean(&cx.estate.name),
            if smb1 {
                "SMB1 access"
            } else {
                "SMB client without encryption"
            }
        ),
        description: format!("The SMB server audited {what} [{kb}]."),
        logsource: "    product: windows\n    service: smbserver-audit",
        selections: vec![("selection", vec![("EventID", ids)])],
        condition: "selection".into(),
        level: "medium",
        tags: "    - attack.defense-evasion\n    - attack.t1562",
        kb: kb.into(),
        case,
    }
}

/// Service installed (System 7045) within ten minutes after the same host
/// logged share access (5140) from a client-role address: PsExec-style
/// remote execution from a workstation. A Sigma correlation over two rules.
fn service_after_smb(cx: &EmitContext<'_>, scope: &Scope) -> String {
    let name = clean(&cx.estate.name);
    let share = Rule {
        stem: "security-share-access-from-client".into(),
        title: format!("smbguard {name}: share access from a client host (Security 5140)"),
        description: "A share opened from an address of a client-role group (workstation, member, isolated) [K4].".into(),
        logsource: SECURITY,
        selections: vec![("selection", vec![("EventID", vec!["5140".into()]), ("IpAddress|cidr", cidrs(&scope.clients))])],
        condition: "selection".into(),
        level: "low",
        tags: LATERAL_TAGS,
        kb: "K4".into(),
        case: "share-access-from-client",
    };
    let install = Rule {
        stem: "system-service-installed".into(),
        title: format!("smbguard {name}: service installed (System 7045)"),
        description: "A service was installed in the system [K4].".into(),
        logsource: "    product: windows\n    service: system",
        selections: vec![(
            "selection",
            vec![
                ("Provider_Name", strs(&["Service Control Manager"])),
                ("EventID", vec!["7045".into()]),
            ],
        )],
        condition: "selection".into(),
        level: "low",
        tags: "    - attack.execution\n    - attack.t1569.002",
        kb: "K4".into(),
        case: "service-installed",
    };
    let mut out = String::new();
    for r in [&share, &install] {
        let _ = writeln!(out, "name: smbguard_{}", r.stem.replace('-', "_"));
        write_rule(cx, r, &mut out);
        out.push_str("---\n");
    }
    let stem = "system-service-install-after-smb";
    let _ = writeln!(
        out,
        "title: {}",
        quoted(&format!(
            "smbguard {name}: service installed after SMB from a client host"
        ))
    );
    let _ = writeln!(out, "id: {}", rule_id(cx, stem));
    out.push_str("status: experimental\n");
    out.push_str("description: 'A service installed (7045) on a host within ten minutes after a client-role host opened one of its shares (5140): remote service creation over SMB (PsExec, smbexec) [K4]. Aligns with SigmaHQ 586a8d6b-6bfe-4ad9-9d78-888cd2fe50c3.'\n");
    out.push_str("author: smbguard\ncorrelation:\n    type: temporal\n    rules:\n        - smbguard_security_share_access_from_client\n        - smbguard_system_service_installed\n    group-by:\n        - Computer\n    timespan: 10m\nlevel: high\n");
    out
}

fn file(cx: &EmitContext<'_>, stem: &str, body: String) -> Artifact {
    let mut text = comment_header(cx, Target::Sigma, None, "# ", &[]);
    text.push_str(&body);
    artifact(
        Target::Sigma,
        format!("{DIR}/{stem}.yaml"),
        None,
        format!("Sigma rule {stem}"),
        text,
    )
}

/// One file per detection.
pub(crate) fn artifacts(cx: &EmitContext<'_>) -> Result<Vec<Artifact>, EmitError> {
    let scope = Scope::of(cx.estate);
    let mut rules = Vec::new();
    let present = cases(&scope);
    for case in [
        Case::PerimeterOutbound,
        Case::Lateral,
        Case::UnplannedServer,
    ] {
        if present.contains(&case) {
            rules.push(connection_rule(cx, case, &scope, false));
            rules.push(connection_rule(cx, case, &scope, true));
        }
    }
    rules.push(admin_share_rule(cx, &scope));
    rules.push(smbserver_rule(cx, true));
    rules.push(smbserver_rule(cx, false));
    let mut out: Vec<Artifact> = rules
        .iter()
        .map(|r| {
            let mut body = String::new();
            write_rule(cx, r, &mut body);
            file(cx, &r.stem, body)
        })
        .collect();
    if !scope.clients.is_empty() {
        out.push(file(
            cx,
            "system-service-install-after-smb",
            service_after_smb(cx, &scope),
        ));
    }
    Ok(out)
}
