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

use serde::Serialize;
use smbguard_semantics::{KbRow, WindowsRule};

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

/// A configuration policy as Graph takes it, plus the `smbguard`
/// provenance block (fields in JSON key order: see [`graph`]).
#[derive(Serialize)]
struct PolicyDoc<'a, S, D> {
    description: &'a str,
    name: &'a str,
    platforms: &'static str,
    #[serde(rename = "roleScopeTagIds")]
    role_scope_tag_ids: [&'static str; 1],
    settings: &'a [S],
    smbguard: Provenance<'a, D>,
    technologies: &'static str,
    #[serde(rename = "templateReference")]
    template: Template,
}

/// Where a policy comes from; `details` depends on the policy.
#[derive(Serialize)]
struct Provenance<'a, D> {
    details: D,
    estate: &'a str,
    group: Option<&'a str>,
    header: Vec<String>,
    kb_rows: Vec<KbRow>,
    not_carried: &'a [String],
    smbguard: &'a str,
    strategy: &'static str,
    strategy_substituted: bool,
}

#[derive(Serialize)]
struct Template {
    #[serde(rename = "templateFamily")]
    family: &'static str,
    #[serde(rename = "templateId")]
    id: &'static str,
}

const PLAIN_TEMPLATE: Template = Template {
    family: "none",
    id: "",
};

/// `details` of a firewall-rules policy.
#[derive(Serialize)]
struct PartDetails {
    part: usize,
    parts: usize,
    rules: usize,
}

/// `details` of the profile policy: an empty object.
#[derive(Serialize)]
struct NoDetails {}

/// `details` of the SMB policy.
#[derive(Serialize)]
struct SmbDetails {
    settings: Vec<SmbDetail>,
}

#[derive(Serialize)]
struct SmbDetail {
    csp: &'static str,
    id_verified: bool,
    min_build: Option<&'static str>,
    setting: &'static str,
}

/// The provenance block and `description` of one policy.
fn provenance<'a, D>(
    cx: &'a EmitContext<'_>,
    ip: &IntunePlan,
    notes: &'a [String],
    group: Option<&'a str>,
    details: D,
) -> (Provenance<'a, D>, String) {
    let header = header_plain(cx, T, group);
    let description = clean(&header.join(" "));
    let block = Provenance {
        details,
        estate: &cx.estate.name,
        group,
        header,
        kb_rows: cx.plan.kb_rows(),
        not_carried: notes,
        smbguard: cx.version,
        strategy: "complement",
        strategy_substituted: ip.complement_substituted,
    };
    (block, description)
}

/// The policy's JSON, pretty-printed as serde_json does, with a final newline.
fn policy_doc<S: Serialize, D: Serialize>(doc: &PolicyDoc<'_, S, D>, size_hint: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size_hint);
    if serde_json::to_writer_pretty(&mut out, doc).is_err() {
        // Unreachable (every key is a string, no `Serialize` here fails);
        // kept as the empty document the `Value` version wrote.
        out.clear();
    }
    out.push(b'\n');
    out
}

/// Bytes reserved per rule of a firewall-rules policy (a rule takes about
/// 5 KB in the example and generated estates), so the buffer rarely grows.
const BYTES_PER_RULE: usize = 6 << 10;
/// Bytes reserved for a policy's own part (the provenance block and
/// settings of a profile policy take 8–11 KB).
const BYTES_PER_POLICY: usize = 16 << 10;

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
    let groups: Vec<graph::RuleGroup<'_>> = rules
        .iter()
        .zip(&names)
        .filter_map(|(r, n)| {
            let desc = clean(&format!("{} [{}] {}", r.name, r.kb, r.description));
            graph::rule_children(r, n, desc)
        })
        .collect();
    let chunks: Vec<&[graph::RuleGroup<'_>]> = if groups.is_empty() {
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
            let details = PartDetails {
                part,
                parts: total,
                rules: chunk.len(),
            };
            let (block, description) = provenance(cx, ip, notes, Some(&h.host.group), details);
            let doc = PolicyDoc {
                description: &description,
                name: &name,
                platforms: "windows10",
                role_scope_tag_ids: ["0"],
                settings: &[graph::rules_setting(chunk)],
                smbguard: block,
                technologies: "mdm,microsoftSense",
                template: Template {
                    family: graph::FW_RULES_FAMILY,
                    id: graph::FW_RULES_TEMPLATE,
                },
            };
            artifact(
                T,
                format!("intune/{}.firewall-rules-{part}.json", h.stem),
                Some(&h.host.group),
                format!(
                    "Intune Defender Firewall Rules policy, part {part} of {total} ({} rules)",
                    chunk.len()
                ),
                policy_doc(&doc, BYTES_PER_POLICY + chunk.len() * BYTES_PER_RULE),
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
    let (block, description) = provenance(cx, ip, notes, Some(&h.host.group), NoDetails {});
    let settings = settings::profile_settings(&h.policy.profile_defaults);
    let doc = plain_policy(&name, &description, &settings, block);
    artifact(
        T,
        format!("intune/{}.firewall-profiles.json", h.stem),
        Some(&h.host.group),
        "Intune settings-catalog policy: firewall profile defaults, local rule merge off".into(),
        policy_doc(&doc, BYTES_PER_POLICY),
    )
}

/// A settings-catalog policy on no template (technology `mdm`).
fn plain_policy<'a, S, D>(
    name: &'a str,
    description: &'a str,
    settings: &'a [S],
    block: Provenance<'a, D>,
) -> PolicyDoc<'a, S, D> {
    PolicyDoc {
        description,
        name,
        platforms: "windows10",
        role_scope_tag_ids: ["0"],
        settings,
        smbguard: block,
        technologies: "mdm",
        template: PLAIN_TEMPLATE,
    }
}

fn smb_policy(cx: &EmitContext<'_>, ip: &IntunePlan, notes: &[String]) -> Artifact {
    let rows = settings::smb_settings(&cx.estate.smb);
    let detail = SmbDetails {
        settings: rows
            .iter()
            .map(|(row, _)| SmbDetail {
                csp: row.csp,
                id_verified: row.verified,
                min_build: row.min_build,
                setting: row.id,
            })
            .collect(),
    };
    let name = clean(&format!("smbguard {} SMB hardening", cx.estate.name));
    let (block, mut description) = provenance(cx, ip, notes, None, detail);
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
    let settings = settings::smb_setting_values(&rows);
    let doc = plain_policy(&name, &description, &settings, block);
    artifact(
        T,
        "intune/smb-hardening.json".into(),
        None,
        "Intune settings-catalog policy: SMB hardening (LanmanServer/LanmanWorkstation Policy CSP)"
            .into(),
        policy_doc(&doc, BYTES_PER_POLICY),
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
    use serde_json::Value;
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
