//! Suricata 8 rules and the `address-groups` they use, for sensors that
//! watch SMB the firewall should have stopped.
//!
//! `suricata/smbguard.rules` holds one rule per [`Case`] (the perimeter in
//! TCP and UDP, the cloud case in each direction, remote service pipes one
//! per pipe); `suricata/address-groups.yaml` defines the `$SMBGUARD_*`
//! variables, to be copied under `vars: address-groups:` in `suricata.yaml`.
//! SIDs are `1000000 + slot * 100 + n` in the local range, `slot` derived
//! from the estate name, `n` fixed per rule, so a re-emit keeps every SID.
//! Keywords: <https://docs.suricata.io/en/suricata-8.0.3/rules/smb-keywords.html>.

use std::fmt::Write as _;

use smbguard_model::{AddrSet, REMOTE_EXECUTION_INTERFACES, REMOTE_SERVICE_PIPES};

use crate::artifact::{Artifact, EmitContext, EmitError};
use crate::monitor::{Case, Scope, cases, estate_slot, estate_token};
use crate::non_windows::{artifact, clean, comment_header};
use crate::target::Target;

/// The rules file, relative to the output folder.
pub(crate) const RULES: &str = "suricata/smbguard.rules";
/// The address-groups snippet.
pub(crate) const VARS: &str = "suricata/address-groups.yaml";

/// Alert once per flow: a connection is one finding, not one per packet.
const ONCE: &str = "threshold:type limit,track by_flow,count 1,seconds 3600; ";
/// The flowbit the SMB 3 negotiation sets for the cloud rules.
const SMB3_BIT: &str = "smbguard.smb3";

/// Text safe inside a quoted `msg`: Suricata needs `\`, `"` and `;`
/// escaped; control characters become spaces.
fn msg_text(s: &str) -> String {
    let mut out = String::new();
    for c in clean(s).chars() {
        if matches!(c, '\\' | '"' | ';') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// One rule: header, then the options between `msg` and `classtype`.
struct Rule {
    n: u32,
    case: Case,
    header: String,
    body: String,
    what: String,
    classtype: &'static str,
    deployment: &'static str,
}

fn perimeter_rules(case: Case) -> Vec<Rule> {
    let (src, dst, n, deployment) = match case {
        Case::PerimeterInbound => ("$SMBGUARD_OUTSIDE", "$SMBGUARD_INSIDE", 1, "Perimeter"),
        _ => ("$SMBGUARD_INSIDE", "$SMBGUARD_OUTSIDE", 3, "Perimeter"),
    };
    [("tcp", "[139,445]", 0), ("udp", "[137,138]", 1)]
        .into_iter()
        .map(|(proto, ports, k)| Rule {
            n: n + k,
            case,
            header: format!("alert {proto} {src} any -> {dst} {ports}"),
            body: format!("flow:to_server; {ONCE}"),
            what: format!("{} ({proto} {ports})", case.title()),
            classtype: "policy-violation",
            deployment,
        })
        .collect()
}

fn address_rule(case: Case, n: u32, src: &str, dst: &str) -> Rule {
    Rule {
        n,
        case,
        header: format!("alert tcp {src} any -> {dst} [139,445]"),
        body: format!("flow:to_server; {ONCE}"),
        what: case.title().to_owned(),
        classtype: "policy-violation",
        deployment: "Internal",
    }
}

fn smb_rule(case: Case, n: u32, header: String, body: String, what: String) -> Rule {
    Rule {
        n,
        case,
        header,
        body,
        what,
        classtype: match case {
            Case::AdminShare | Case::RemoteService => "attempted-admin",
            _ => "policy-violation",
        },
        deployment: "Internal",
    }
}

/// SMB 3 without encryption: the server chose a 3.x dialect (flowbit set by
/// the NEGOTIATE response, MS-SMB2 2.2.4: DialectRevision at SMB2 body
/// offset 4), then answered a TREE_CONNECT with STATUS_SUCCESS in cleartext
/// and without SMB2_SHAREFLAG_ENCRYPT_DATA (0x00008000, MS-SMB2 2.2.10:
/// ShareFlags at body offset 4). An encrypted session sends its tree
/// connects inside TRANSFORM headers, which these contents never match.
/// Both are server-to-client packets, so the header names the server first.
fn cloud_rules() -> Vec<Rule> {
    let setter = smb_rule(
        Case::CloudCleartext,
        21,
        "alert smb any any -> any any".into(),
        format!(
            "flow:established,to_client; content:\"|FE|SMB\"; offset:4; depth:4; \
             content:\"|00 00|\"; offset:16; depth:2; byte_test:2,>=,0x0300,72,little; \
             flowbits:set,{SMB3_BIT}; flowbits:noalert; "
        ),
        "SMB 3 dialect negotiated (sets a flowbit, no alert)".into(),
    );
    let tree = format!(
        "flow:established,to_client; flowbits:isset,{SMB3_BIT}; content:\"|FE|SMB\"; offset:4; depth:4; \
         content:\"|00 00 00 00|\"; offset:12; depth:4; content:\"|03 00|\"; offset:16; depth:2; \
         byte_test:1,<,0x80,73; {ONCE}"
    );
    let out = smb_rule(
        Case::CloudCleartext,
        22,
        "alert smb $SMBGUARD_CLOUD any -> $SMBGUARD_INSIDE any".into(),
        tree.clone(),
        format!("{} (outbound)", Case::CloudCleartext.title()),
    );
    let inb = smb_rule(
        Case::CloudCleartext,
        23,
        "alert smb $SMBGUARD_INSIDE any -> $SMBGUARD_CLOUD any".into(),
        tree,
        format!("{} (inbound)", Case::CloudCleartext.title()),
    );
    vec![setter, out, inb]
}

fn rules_for(case: Case, scope: &Scope) -> Vec<Rule> {
    let src = if scope.management.is_empty() {
        "any"
    } else {
        "!$SMBGUARD_MANAGEMENT"
    };
    match case {
        Case::PerimeterInbound | Case::PerimeterOutbound => perimeter_rules(case),
        Case::Lateral => vec![address_rule(case, 10, "$SMBGUARD_CLIENTS", "$SMBGUARD_CLIENTS")],
        Case::UnplannedServer => vec![address_rule(case, 11, "any", "$SMBGUARD_UNPLANNED")],
        Case::Smb1 => vec![smb_rule(
            case,
            20,
            "alert smb any any -> any any".into(),
            format!("flow:established,to_client; smb.version:1; {ONCE}"),
            case.title().into(),
        )],
        Case::CloudCleartext => cloud_rules(),
        Case::AdminShare => vec![smb_rule(
            case,
            30,
            format!("alert smb {src} any -> any any"),
            "flow:established,to_server; smb.share; content:\"|24|\"; endswith; \
             content:!\"IPC|24|\"; nocase; endswith; "
                .into(),
            case.title().into(),
        )],
        Case::RemoteService => (0u32..)
            .zip(REMOTE_SERVICE_PIPES)
            .map(|(i, pipe)| {
                smb_rule(
                    case,
                    40 + i,
                    format!("alert smb {src} any -> any any"),
                    format!(
                        "flow:established,to_server; smb.named_pipe; content:\"{pipe}\"; nocase; endswith; "
                    ),
                    format!("{} ({pipe})", case.title()),
                )
            })
            // The same interfaces bound over TCP (the endpoint mapper's
            // dynamic ports) or a pipe: Suricata's DCE/RPC parser sees both.
            .chain((0u32..).zip(REMOTE_EXECUTION_INTERFACES).map(|(i, (uuid, name))| {
                smb_rule(
                    case,
                    50 + i,
                    format!("alert dcerpc {src} any -> any any"),
                    format!("flow:established,to_server; dcerpc.iface:{uuid}; "),
                    format!("{} ({name} interface)", case.title()),
                )
            }))
            .collect(),
    }
}

fn rule_line(cx: &EmitContext<'_>, base: u32, r: &Rule) -> String {
    let kb = r.case.kb();
    let severity = match r.case {
        Case::AdminShare | Case::RemoteService | Case::PerimeterInbound => "Major",
        _ => "Minor",
    };
    format!(
        "{} (msg:\"SMBGUARD POLICY {} [{kb}] {}\"; {}classtype:{}; sid:{}; rev:1; \
         metadata:smbguard_estate {}, smbguard_case {}, kb_row {kb}, attack_target SMB_Server, \
         deployment {}, signature_severity {severity}, performance_impact Low;)",
        r.header,
        msg_text(&cx.estate.name),
        msg_text(&r.what),
        r.body,
        r.classtype,
        base + r.n,
        estate_token(&cx.estate.name),
        r.case.as_str(),
        r.deployment,
    )
}

/// The `$SMBGUARD_*` variables the rules use, each `(name, value, what)`.
fn variables(scope: &Scope) -> Vec<(&'static str, String, &'static str)> {
    let list = |s: &AddrSet| format!("[{}]", super::cidr_list(s).join(","));
    let mut out = vec![(
        "SMBGUARD_INSIDE",
        list(&scope.inside),
        "internal ranges plus link-local, loopback and multicast [K1]",
    )];
    let fenced = scope.inside.union(&scope.cloud);
    if !scope.outside.is_empty() {
        out.push((
            "SMBGUARD_OUTSIDE",
            format!("!{}", list(&fenced)),
            "everything neither inside nor a declared cloud endpoint [K1]",
        ));
    }
    let more = [
        (
            "SMBGUARD_CLOUD",
            &scope.cloud,
            "declared cloud endpoints (perimeter exceptions) [K2]",
        ),
        (
            "SMBGUARD_CLIENTS",
            &scope.clients,
            "groups with a client role: workstation, member, isolated [K4]",
        ),
        (
            "SMBGUARD_MANAGEMENT",
            &scope.management,
            "sources of the management exceptions [K4]",
        ),
    ];
    for (name, set, what) in more {
        if !set.is_empty() {
            out.push((name, list(set), what));
        }
    }
    if !scope.unplanned.is_empty() {
        let value = if scope.grouped.is_empty() {
            list(&scope.internal)
        } else {
            let inner = list(&scope.internal);
            format!("{},!{}]", &inner[..inner.len() - 1], list(&scope.grouped))
        };
        out.push((
            "SMBGUARD_UNPLANNED",
            value,
            "internal addresses in no group [K6]",
        ));
    }
    out
}

fn vars_file(cx: &EmitContext<'_>, scope: &Scope) -> String {
    let mut out = comment_header(
        cx,
        Target::Suricata,
        None,
        "# ",
        &[
            String::new(),
            "Copy the lines below `address-groups:` into the same section of suricata.yaml.".into(),
        ],
    );
    out.push_str("vars:\n  address-groups:\n");
    for (name, value, what) in variables(scope) {
        let _ = writeln!(out, "    # {what}");
        let _ = writeln!(out, "    {name}: \"{value}\"");
    }
    out.push_str("    # Groups (each group's own addresses):\n");
    for (name, role, set) in &scope.groups {
        let cidrs = super::cidr_list(set).join(", ");
        let _ = writeln!(
            out,
            "    #   {} ({}): {}",
            clean(name),
            role.as_str(),
            cidrs
        );
    }
    out
}

fn rules_file(cx: &EmitContext<'_>, scope: &Scope) -> String {
    let base = 1_000_000 + estate_slot(cx) * 100;
    let mut out = comment_header(
        cx,
        Target::Suricata,
        None,
        "# ",
        &[
            String::new(),
            format!(
                "Needs the $SMBGUARD_* address groups of {VARS} in suricata.yaml; Suricata 8 (smb.version)."
            ),
            format!(
                "SIDs {} to {}, derived from the estate name.",
                base,
                base + 99
            ),
        ],
    );
    for case in cases(scope) {
        let _ = writeln!(out, "\n# {} [{}]", case.title(), case.kb());
        for r in rules_for(case, scope) {
            out.push_str(&rule_line(cx, base, &r));
            out.push('\n');
        }
    }
    out
}

/// The rules and the address-groups snippet.
pub(crate) fn artifacts(cx: &EmitContext<'_>) -> Result<Vec<Artifact>, EmitError> {
    let scope = Scope::of(cx.estate);
    Ok(vec![
        artifact(
            Target::Suricata,
            RULES.into(),
            None,
            "Suricata rules: SMB the plan forbids, seen on the wire".into(),
            rules_file(cx, &scope),
        ),
        artifact(
            Target::Suricata,
            VARS.into(),
            None,
            "address-groups for suricata.yaml ($SMBGUARD_*)".into(),
            vars_file(cx, &scope),
        ),
    ])
}
