//! The Intune target: translation validation (the Graph JSON read back by
//! smbguard-audit means the plan compiled for Intune on every equivalence
//! class), the JSON schema, the 150-rule limit, unique names, determinism,
//! snapshots, the deploy script's syntax and the honesty notes.

use crate::windows_support::{artifacts, example};
use proptest::prelude::*;
use serde_json::Value;
use smbguard_audit::read_intune_policies;
use smbguard_emit::{Artifact, EmitContext, Target, index_json};
use smbguard_emit::{MAX_RULES_PER_POLICY, intune_plan};
use smbguard_model::{Estate, Strategy, parse_estate};
use smbguard_semantics::{compare_windows, compile};

const SCHEMA: &str = include_str!("../../schemas/intune-configuration-policy.schema.json");
const FW_RULES: &str = "vendor_msft_firewall_mdmstore_firewallrules_{firewallrulename}";

fn json(a: &Artifact) -> Value {
    serde_json::from_slice(&a.contents).unwrap_or_else(|e| panic!("{}: {e}", a.path))
}

fn policies(arts: &[Artifact]) -> Vec<&Artifact> {
    arts.iter().filter(|a| a.path.ends_with(".json")).collect()
}

fn rule_name(group: &Value) -> String {
    group["children"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["settingDefinitionId"] == format!("{FW_RULES}_name"))
        .and_then(|c| c["simpleSettingValue"]["value"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// Emits Intune for the estate and checks every Windows group against the
/// plan compiled for Intune; returns the classes compared.
fn validate(estate: &Estate) -> usize {
    let ip = intune_plan(estate).expect("compiles for Intune");
    let plan = compile(estate).expect("compiles");
    let arts = artifacts(estate, &plan, &[Target::Intune]);
    let mut classes = 0;
    for host in &ip.plan.hosts {
        let Some(expected) = host.windows() else {
            continue;
        };
        let docs: Vec<(&str, &[u8])> = arts
            .iter()
            .filter(|a| {
                a.group.as_deref() == Some(host.group.as_str()) && a.path.ends_with(".json")
            })
            .map(|a| (a.path.as_str(), a.contents.as_slice()))
            .collect();
        assert!(
            docs.len() >= 2,
            "group {}: {} policies",
            host.group,
            docs.len()
        );
        let lowered = read_intune_policies(&docs);
        assert!(lowered.findings.is_empty(), "{:?}", lowered.findings);
        match compare_windows(expected, &lowered.policy) {
            Ok(a) => classes += a.classes,
            Err(d) => panic!(
                "group {}: Intune differs from the plan on {:?}: plan {:?}, Intune {:?}",
                host.group, d.flow, d.expected, d.actual
            ),
        }
    }
    classes
}

#[test]
fn example_estate_intune_means_the_plan_compiled_for_intune() {
    for strategy in [Strategy::IpsecBypass, Strategy::Complement] {
        let (estate, _) = example(strategy);
        assert!(validate(&estate) > 100);
    }
}

/// The check is not vacuous: a rule dropped from the JSON is noticed.
#[test]
fn a_dropped_rule_is_a_difference() {
    let (estate, plan) = example(Strategy::Complement);
    let ip = intune_plan(&estate).expect("compiles");
    let arts = artifacts(&estate, &plan, &[Target::Intune]);
    let host = ip
        .plan
        .hosts
        .iter()
        .find(|h| h.group == "workstations")
        .expect("ws");
    let a = arts
        .iter()
        .find(|a| a.group.as_deref() == Some("workstations") && a.path.contains("firewall-rules-1"))
        .expect("rules");
    let mut doc = json(a);
    let list = doc["settings"][0]["settingInstance"]["groupSettingCollectionValue"]
        .as_array_mut()
        .expect("rules");
    list.retain(|g| !rule_name(g).contains("block"));
    let bytes = serde_json::to_vec(&doc).expect("json");
    let profiles = arts
        .iter()
        .find(|a| a.group.as_deref() == Some("workstations") && a.path.ends_with("profiles.json"))
        .expect("profiles");
    let lowered = read_intune_policies(&[("r", &bytes), ("p", &profiles.contents)]);
    assert!(compare_windows(host.windows().expect("win"), &lowered.policy).is_err());
}

#[test]
fn an_exported_policy_with_ids_and_timestamps_reads_the_same() {
    let (estate, plan) = example(Strategy::Complement);
    let arts = artifacts(&estate, &plan, &[Target::Intune]);
    for a in policies(&arts).into_iter().filter(|a| a.group.is_some()) {
        let mut doc = json(a);
        doc["id"] = "2b0c5c6e-1111-2222-3333-444455556666".into();
        doc["createdDateTime"] = "2026-12-01T10:00:00Z".into();
        doc["lastModifiedDateTime"] = "2026-12-01T10:00:00Z".into();
        if let Some(list) = doc["settings"].as_array_mut() {
            for (i, s) in list.iter_mut().enumerate() {
                s["id"] = i.to_string().into();
            }
        }
        let wrapped = serde_json::json!({ "value": [doc] });
        let exported = serde_json::to_vec(&wrapped).expect("json");
        let ours = read_intune_policies(&[("a", &a.contents)]);
        let theirs = read_intune_policies(&[("b", &exported)]);
        assert_eq!(ours.policy, theirs.policy, "{}", a.path);
    }
}

#[test]
fn every_policy_validates_against_the_schema() {
    let schema: Value = serde_json::from_str(SCHEMA).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    for strategy in [Strategy::IpsecBypass, Strategy::Complement] {
        let (estate, plan) = example(strategy);
        let arts = artifacts(&estate, &plan, &[Target::Intune]);
        assert!(policies(&arts).len() >= 5);
        for a in policies(&arts) {
            let doc = json(a);
            let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{}: {errors:?}", a.path);
        }
    }
    // The schema can fail: a rule collection over the limit is refused.
    let (estate, plan) = example(Strategy::Complement);
    let arts = artifacts(&estate, &plan, &[Target::Intune]);
    let a = arts
        .iter()
        .find(|a| a.path.contains("firewall-rules-1"))
        .expect("rules");
    let mut doc = json(a);
    let list = doc["settings"][0]["settingInstance"]["groupSettingCollectionValue"]
        .as_array_mut()
        .expect("rules");
    let first = list[0].clone();
    list.resize(MAX_RULES_PER_POLICY + 1, first);
    assert!(!validator.is_valid(&doc));
}

/// Every choice value names its own setting (`{id}_{option}`), which the
/// schema cannot say.
#[test]
fn choice_values_belong_to_their_setting() {
    fn walk(v: &Value, bad: &mut Vec<String>) {
        if let Some(id) = v["settingDefinitionId"].as_str() {
            let mut values: Vec<&Value> = vec![&v["choiceSettingValue"]];
            values.extend(
                v["choiceSettingCollectionValue"]
                    .as_array()
                    .into_iter()
                    .flatten(),
            );
            for c in values {
                if let Some(value) = c["value"].as_str()
                    && !value.starts_with(&format!("{id}_"))
                {
                    bad.push(value.to_owned());
                }
            }
        }
        match v {
            Value::Array(a) => a.iter().for_each(|x| walk(x, bad)),
            Value::Object(o) => o.values().for_each(|x| walk(x, bad)),
            _ => {}
        }
    }
    let (estate, plan) = example(Strategy::IpsecBypass);
    for a in policies(&artifacts(&estate, &plan, &[Target::Intune])) {
        let mut bad = Vec::new();
        walk(&json(a), &mut bad);
        assert!(bad.is_empty(), "{}: {bad:?}", a.path);
    }
}

#[test]
fn output_is_deterministic_and_has_a_header() {
    let (estate, plan) = example(Strategy::IpsecBypass);
    let a = artifacts(&estate, &plan, &[Target::Intune]);
    let b = artifacts(&estate, &plan, &[Target::Intune]);
    assert_eq!(a, b);
    for p in policies(&a) {
        let doc = json(p);
        let desc = doc["description"].as_str().expect("description");
        assert!(
            desc.contains("KB3185535") && desc.contains(&estate.name),
            "{}",
            p.path
        );
        assert_eq!(doc["smbguard"]["strategy"], "complement");
        assert_eq!(doc["smbguard"]["strategy_substituted"], true);
    }
}

#[test]
fn ipsec_bypass_for_intune_says_complement_in_notes_and_index() {
    let (estate, plan) = example(Strategy::IpsecBypass);
    let arts = artifacts(&estate, &plan, &[Target::Intune]);
    let notes = arts
        .iter()
        .find(|a| a.path == "intune/NOTES.txt")
        .expect("notes");
    let text = String::from_utf8(notes.contents.clone()).expect("utf-8");
    assert!(text.contains("\"complement\""), "{text}");
    let cx = EmitContext {
        estate: &estate,
        plan: &plan,
        version: "t",
        unsafe_reason: None,
    };
    let index = index_json(&cx, &arts);
    assert!(
        index.contains("ipsec-bypass estate compiled with strategy complement"),
        "{index}"
    );
    // A complement estate has no substitution to report.
    let (estate, plan) = example(Strategy::Complement);
    let arts = artifacts(&estate, &plan, &[Target::Intune]);
    let notes = arts
        .iter()
        .find(|a| a.path == "intune/NOTES.txt")
        .expect("notes");
    assert!(!String::from_utf8_lossy(&notes.contents).contains("ipsec-bypass"));
}

#[test]
fn settings_carry_their_minimum_build() {
    let (estate, plan) = example(Strategy::IpsecBypass);
    let arts = artifacts(&estate, &plan, &[Target::Intune]);
    let smb = json(
        arts.iter()
            .find(|a| a.path == "intune/smb-hardening.json")
            .expect("smb"),
    );
    let details = smb["smbguard"]["details"]["settings"]
        .as_array()
        .expect("details");
    let dialect = details
        .iter()
        .find(|d| d["setting"] == "device_vendor_msft_policy_config_lanmanserver_minsmb2dialect")
        .expect("dialect row");
    assert_eq!(dialect["min_build"], "10.0.26100");
    assert!(
        smb["description"]
            .as_str()
            .expect("d")
            .contains("10.0.26100")
    );
}

#[test]
fn the_intune_plan_verifies_on_its_own() {
    for strategy in [Strategy::IpsecBypass, Strategy::Complement] {
        let (estate, _) = example(strategy);
        let ip = intune_plan(&estate).expect("compiles");
        let report = smbguard_verify::verify(&ip.plan, &ip.estate);
        let failed: Vec<String> = report
            .invariants
            .iter()
            .filter(|i| !matches!(i.status, smbguard_verify::Status::Pass))
            .map(|i| format!("{} {}", i.id, i.summary))
            .collect();
        assert!(report.passed, "{strategy:?}: {failed:?}");
    }
}

#[test]
fn deploy_script_parses_without_errors() {
    let (estate, plan) = example(Strategy::IpsecBypass);
    let arts = artifacts(&estate, &plan, &[Target::Intune]);
    let script = arts
        .iter()
        .find(|a| a.path == "intune/deploy-intune.ps1")
        .expect("script");
    let text = std::str::from_utf8(&script.contents).expect("utf-8");
    let text = text.strip_prefix('\u{feff}').expect("BOM");
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_powershell::LANGUAGE.into())
        .expect("grammar");
    let tree = parser.parse(text, None).expect("parse");
    let mut stack = vec![tree.root_node()];
    while let Some(n) = stack.pop() {
        assert!(
            !n.is_error() && !n.is_missing(),
            "{:?} at {:?}",
            n.kind(),
            n.start_position()
        );
        let mut c = n.walk();
        stack.extend(n.children(&mut c));
    }
    for p in policies(&arts) {
        let file = p.path.strip_prefix("intune/").expect("in intune/");
        assert!(text.contains(&format!("'{file}'")), "{file} not deployed");
    }
    assert!(text.contains("Connect-MgGraph -Scopes 'DeviceManagementConfiguration.ReadWrite.All'"));
    assert!(text.contains("SupportsShouldProcess"));
}

#[test]
fn example_snapshots() {
    let (estate, plan) = example(Strategy::IpsecBypass);
    for a in artifacts(&estate, &plan, &[Target::Intune]) {
        let name = a.path.replace('/', "__");
        insta::assert_snapshot!(name, String::from_utf8_lossy(&a.contents));
    }
}

/// Random operator-shaped estate files from the workspace's one generator.
fn estate_toml() -> impl proptest::strategy::Strategy<Value = String> {
    proptest::strategy::Strategy::prop_map(any::<u64>(), smbguard_testkit::estates::toml_from_seed)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_estates_intune_means_the_plan(toml in estate_toml()) {
        let parsed = parse_estate(&toml);
        prop_assume!(parsed.is_ok());
        let estate = parsed.expect("checked").estate;
        // Only estates with a Windows group have an Intune policy to read back.
        prop_assume!(estate.groups.iter().any(|g| g.platform == smbguard_model::Platform::Windows));
        prop_assume!(compile(&estate).is_ok());
        prop_assume!(intune_plan(&estate).is_ok());
        validate(&estate);
    }
}
