//! Microsoft Intune: Microsoft Graph JSON bodies of settings-catalog
//! configuration policies (`POST deviceManagement/configurationPolicies`),
//! per Windows group a "Microsoft Defender Firewall Rules" policy (split at
//! [`MAX_RULES_PER_POLICY`]) and a firewall-profile policy, one estate-wide
//! SMB hardening policy, `deploy-intune.ps1` and `NOTES.txt` saying what
//! Intune cannot carry. The artefacts carry [`intune_plan`], not the plan
//! the caller compiled: see [`plan`] for why they differ.

mod deploy;
mod graph;
mod plan;
mod settings;

use serde_json::{Value, json};
use smbguard_semantics::WindowsRule;

use crate::artifact::{Artifact, EmitContext, EmitError, Sink};
use crate::non_windows::{artifact, clean, header_plain};
use crate::target::Target;
use crate::windows::{WindowsHost, windows_hosts};

pub use plan::{IntunePlan, intune_plan};

/// Rules per "Microsoft Defender Firewall rules" profile (Intune's limit).
pub const MAX_RULES_PER_POLICY: usize = 150;

const T: Target = Target::Intune;

/// Every Intune artefact of the estate.
pub(crate) fn artifacts(cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
    let ip = intune_plan(cx.estate).map_err(|e| EmitError::Unrepresentable {
        target: T,
        what: format!("the estate compiled for Intune: {e}"),
    })?;
    artifacts_for(cx, &ip, sink)
}

/// The artefacts of an already compiled Intune plan.
fn artifacts_for(
    cx: &EmitContext<'_>,
    ip: &IntunePlan,
    sink: &mut Sink<'_>,
) -> Result<(), EmitError> {
    plan::csp_expressible(&ip.plan)
        .map_err(|what| EmitError::Unrepresentable { target: T, what })?;
    let icx = EmitContext {
        plan: &ip.plan,
        ..*cx
    };
    let mut notes = ip.notes.clone();
    notes.extend(settings::smb_not_carried(&cx.estate.smb));
    // The deploy script lists every policy file: their names are kept, the
    // policies themselves go to the sink as they are made.
    let mut files: Vec<String> = Vec::new();
    let mut put = |a: Artifact| {
        if let Some(f) = a.path.strip_prefix("intune/") {
            files.push(f.to_owned());
        }
        sink(a)
    };
    let hosts = windows_hosts(&icx);
    for h in &hosts {
        for a in firewall_rules(&icx, ip, &notes, h) {
            put(a)?;
        }
        put(profiles(&icx, ip, &notes, h))?;
    }
    if !hosts.is_empty() {
        put(smb_policy(&icx, ip, &notes))?;
    }
    let header = header_plain(&icx, T, None);
    sink(artifact(
        T,
        "intune/deploy-intune.ps1".into(),
        None,
        "PowerShell (Microsoft Graph SDK): creates every Intune policy; -WhatIf lists them".into(),
        deploy::script(&header, &files),
    ))?;
    sink(notes_file(&header, &notes, ip.complement_substituted))
}

/// The provenance block and `description` of one policy.
fn provenance(
    cx: &EmitContext<'_>,
    ip: &IntunePlan,
    notes: &[String],
    group: Option<&str>,
    extra: Value,
) -> (Value, String) {
    let header = header_plain(cx, T, group);
    let description = clean(&header.join(" "));
    let block = json!({
        "header": header,
        "estate": cx.estate.name,
        "smbguard": cx.version,
        "kb_rows": cx.plan.kb_rows(),
        "group": group,
        "strategy": "complement",
        "strategy_substituted": ip.complement_substituted,
        "not_carried": notes,
        "details": extra,
    });
    (block, description)
}

fn policy_doc(
    name: String,
    description: String,
    template: Value,
    technologies: &str,
    settings: Vec<Value>,
    block: Value,
) -> String {
    let doc = json!({
        "name": name,
        "description": description,
        "platforms": "windows10",
        "technologies": technologies,
        "roleScopeTagIds": ["0"],
        "templateReference": template,
        "settings": settings,
        "smbguard": block,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

fn plain_template() -> Value {
    json!({ "templateId": "", "templateFamily": "none" })
}

/// CSP rule names: the rule ID, made unique within the group.
fn rule_names(rules: &[WindowsRule]) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    rules
        .iter()
        .map(|r| {
            let base = clean(&r.id);
            let mut name = base.clone();
            let mut n = 2;
            while !seen.insert(name.clone()) {
                name = format!("{base}-{n}");
                n += 1;
            }
            name
        })
        .collect()
}

fn firewall_rules(
    cx: &EmitContext<'_>,
    ip: &IntunePlan,
    notes: &[String],
    h: &WindowsHost<'_>,
) -> Vec<Artifact> {
    let rules = &h.policy.rules;
    let names = rule_names(rules);
    let groups: Vec<Value> = rules
        .iter()
        .zip(&names)
        .filter_map(|(r, n)| {
            let desc = clean(&format!("{} [{}] {}", r.name, r.kb, r.description));
            graph::rule_children(r, n, &desc)
        })
        .collect();
    let chunks: Vec<&[Value]> = if groups.is_empty() {
        vec![&[]]
    } else {
        groups.chunks(MAX_RULES_PER_POLICY).collect()
    };
    let total = chunks.len();
    chunks
        .into_iter()
        .enumerate()
        .map(|(i, chunk)| {
            let part = i + 1;
            let name = clean(&format!(
                "smbguard {} {} firewall rules {part}",
                cx.estate.name, h.host.group
            ));
            let (block, description) = provenance(
                cx,
                ip,
                notes,
                Some(&h.host.group),
                json!({ "part": part, "parts": total, "rules": chunk.len() }),
            );
            let template = json!({ "templateId": graph::FW_RULES_TEMPLATE, "templateFamily": graph::FW_RULES_FAMILY });
            let settings = vec![graph::rules_setting(chunk.to_vec())];
            artifact(
                T,
                format!("intune/{}.firewall-rules-{part}.json", h.stem),
                Some(&h.host.group),
                format!("Intune Defender Firewall Rules policy, part {part} of {total} ({} rules)", chunk.len()),
                policy_doc(name, description, template, "mdm,microsoftSense", settings, block),
            )
        })
        .collect()
}

fn profiles(
    cx: &EmitContext<'_>,
    ip: &IntunePlan,
    notes: &[String],
    h: &WindowsHost<'_>,
) -> Artifact {
    let name = clean(&format!(
        "smbguard {} {} firewall profiles",
        cx.estate.name, h.host.group
    ));
    let (block, description) = provenance(cx, ip, notes, Some(&h.host.group), json!({}));
    let settings = settings::profile_settings(&h.policy.profile_defaults);
    artifact(
        T,
        format!("intune/{}.firewall-profiles.json", h.stem),
        Some(&h.host.group),
        "Intune settings-catalog policy: firewall profile defaults, local rule merge off".into(),
        policy_doc(name, description, plain_template(), "mdm", settings, block),
    )
}

fn smb_policy(cx: &EmitContext<'_>, ip: &IntunePlan, notes: &[String]) -> Artifact {
    let rows = settings::smb_settings(&cx.estate.smb);
    let detail: Vec<Value> = rows
        .iter()
        .map(|(row, _)| json!({ "setting": row.id, "csp": row.csp, "min_build": row.min_build, "id_verified": row.verified }))
        .collect();
    let name = clean(&format!("smbguard {} SMB hardening", cx.estate.name));
    let (block, mut description) = provenance(cx, ip, notes, None, json!({ "settings": detail }));
    for (row, _) in &rows {
        if let Some(b) = row.min_build {
            description.push_str(&format!(" {} needs Windows build {b} or later.", row.csp));
        }
        if !row.verified {
            description.push_str(&format!(
                " {}: setting ID unverified (derived from the CSP path).",
                row.csp
            ));
        }
    }
    let settings = rows.into_iter().map(|(_, v)| v).collect();
    artifact(
        T,
        "intune/smb-hardening.json".into(),
        None,
        "Intune settings-catalog policy: SMB hardening (LanmanServer/LanmanWorkstation Policy CSP)"
            .into(),
        policy_doc(name, description, plain_template(), "mdm", settings, block),
    )
}

fn notes_file(header: &[String], notes: &[String], substituted: bool) -> Artifact {
    let mut s = String::new();
    for l in header {
        s.push_str(&format!("# {l}\n"));
    }
    s.push_str("\nWhat Intune cannot carry (the Intune policies carry the plan compiled for Intune, with these differences from the estate's own plan):\n");
    for n in notes {
        s.push_str(&format!("- {}\n", clean(n)));
    }
    let description = if substituted {
        "NOTE: ipsec-bypass estate compiled with strategy complement for Intune (Allow/Block only); what Intune cannot carry"
    } else {
        "What Intune cannot carry"
    };
    artifact(T, "intune/NOTES.txt".into(), None, description.into(), s)
}

#[cfg(test)]
mod tests {
    use smbguard_model::{AddrSet, EXAMPLE_ESTATE, parse_estate};
    use smbguard_semantics::{HostRules, compare_windows};

    use super::*;

    /// More rules than one policy holds are split into parts of at most
    /// [`MAX_RULES_PER_POLICY`] with unique policy and rule names, and the
    /// parts together still mean the plan.
    #[test]
    fn rules_split_at_150_with_unique_names_and_keep_their_meaning() {
        let estate = parse_estate(EXAMPLE_ESTATE).expect("example").estate;
        let mut ip = intune_plan(&estate).expect("compiles");
        let ws = ip
            .plan
            .hosts
            .iter()
            .position(|h| h.group == "workstations")
            .expect("ws");
        let HostRules::Windows(w) = &mut ip.plan.hosts[ws].rules else {
            panic!("windows")
        };
        let template = w
            .rules
            .iter()
            .find(|r| r.action == smbguard_semantics::Action::Block)
            .expect("block")
            .clone();
        // Eight distinct addresses keep the equivalence classes (and the
        // comparison's cost) small; the rule count below catches a lost rule.
        for i in 0..400u32 {
            let mut r = template.clone();
            r.id = format!("extra-{i}");
            r.remote_addresses =
                AddrSet::single(std::net::IpAddr::V4((0xc612_0000 + (i % 8) * 4).into()));
            w.rules.push(r);
        }
        // Same ID twice: the CSP names must still differ.
        let dup = w.rules[0].clone();
        w.rules.push(dup);
        let expected = w.clone();
        let cx = EmitContext {
            estate: &estate,
            plan: &ip.plan,
            version: "t",
            unsafe_reason: None,
        };
        let arts = crate::backend::collect(|sink| artifacts_for(&cx, &ip, sink)).expect("emits");
        let parts: Vec<&Artifact> = arts
            .iter()
            .filter(|a| {
                a.group.as_deref() == Some("workstations") && a.path.contains("firewall-rules-")
            })
            .collect();
        assert_eq!(parts.len(), 3);
        let mut names = std::collections::BTreeSet::new();
        let mut policy_names = std::collections::BTreeSet::new();
        for a in &parts {
            let doc: Value = serde_json::from_slice(&a.contents).expect("json");
            assert!(policy_names.insert(doc["name"].to_string()));
            let rules = doc["settings"][0]["settingInstance"]["groupSettingCollectionValue"]
                .as_array()
                .expect("rules");
            assert!(rules.len() <= MAX_RULES_PER_POLICY, "{}", rules.len());
            for r in rules {
                assert!(names.insert(r["children"][0]["simpleSettingValue"]["value"].to_string()));
            }
        }
        let docs: Vec<(&str, &[u8])> = arts
            .iter()
            .filter(|a| a.group.as_deref() == Some("workstations") && a.path.ends_with(".json"))
            .map(|a| (a.path.as_str(), a.contents.as_slice()))
            .collect();
        let lowered = smbguard_audit::read_intune_policies(&docs);
        assert_eq!(lowered.policy.rules.len(), expected.rules.len());
        assert!(compare_windows(&expected, &lowered.policy).is_ok());
    }
}
