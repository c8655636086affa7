//! Microsoft Graph settings-catalog JSON: the setting-instance shapes of
//! `deviceManagement/configurationPolicies` (reference notes §2, as verified
//! in IntuneFirewallMigration), and the firewall rule as a group of children.

use serde_json::{Value, json};
use smbguard_model::{AddrSet, PortSet, Profile};
use smbguard_semantics::{Action, Direction, WindowsRule};

use crate::windows::{port_list, range_string};

/// The firewall rule collection's setting definition; the literal
/// `{firewallrulename}` token is part of the ID.
pub(crate) const FW_RULES: &str = "vendor_msft_firewall_mdmstore_firewallrules_{firewallrulename}";
/// `settingInstanceTemplateId` of the rule collection in the template.
pub(crate) const FW_RULES_INSTANCE_TEMPLATE: &str = "76c7a8be-67d2-44bf-81a5-38c94926b1a1";
/// The "Microsoft Defender Firewall Rules" endpoint-security template.
pub(crate) const FW_RULES_TEMPLATE: &str = "19c8aa67-f286-4861-9aa0-f23541d31680_1";
/// Its template family.
pub(crate) const FW_RULES_FAMILY: &str = "endpointSecurityFirewall";

const ODATA: &str = "#microsoft.graph.deviceManagementConfiguration";

/// A `deviceManagementConfigurationSetting` wrapping one instance.
pub(crate) fn setting(instance: Value) -> Value {
    json!({ "@odata.type": format!("{ODATA}Setting"), "settingInstance": instance })
}

/// A string simple setting.
pub(crate) fn string_instance(id: String, value: &str) -> Value {
    json!({
        "@odata.type": format!("{ODATA}SimpleSettingInstance"),
        "settingDefinitionId": id,
        "simpleSettingValue": { "@odata.type": format!("{ODATA}StringSettingValue"), "value": value },
    })
}

/// An integer simple setting.
pub(crate) fn integer_instance(id: String, value: i64) -> Value {
    json!({
        "@odata.type": format!("{ODATA}SimpleSettingInstance"),
        "settingDefinitionId": id,
        "simpleSettingValue": { "@odata.type": format!("{ODATA}IntegerSettingValue"), "value": value },
    })
}

/// A choice setting whose option is `{id}_{option}`.
pub(crate) fn choice_instance(id: String, option: &str) -> Value {
    let value = format!("{id}_{option}");
    json!({
        "@odata.type": format!("{ODATA}ChoiceSettingInstance"),
        "settingDefinitionId": id,
        "choiceSettingValue": { "value": value, "children": [] },
    })
}

/// A choice collection: one `{id}_{option}` per option.
fn choice_collection(id: String, options: &[&str]) -> Value {
    let values: Vec<Value> = options
        .iter()
        .map(|o| json!({ "value": format!("{id}_{o}"), "children": [] }))
        .collect();
    json!({
        "@odata.type": format!("{ODATA}ChoiceSettingCollectionInstance"),
        "settingDefinitionId": id,
        "choiceSettingCollectionValue": values,
    })
}

/// A string collection: one element per entry (not a CSV string).
fn string_collection(id: String, values: &[String]) -> Value {
    let values: Vec<Value> = values
        .iter()
        .map(|v| json!({ "@odata.type": format!("{ODATA}StringSettingValue"), "value": v }))
        .collect();
    json!({
        "@odata.type": format!("{ODATA}SimpleSettingCollectionInstance"),
        "settingDefinitionId": id,
        "simpleSettingCollectionValue": values,
    })
}

fn child(suffix: &str) -> String {
    format!("{FW_RULES}_{suffix}")
}

/// The address list of a rule, `None` for "any" (the node is left out).
fn addresses(set: &AddrSet) -> Option<Vec<String>> {
    if set.is_any() {
        return None;
    }
    Some(set.to_ranges().iter().map(range_string).collect())
}

fn ports(set: &PortSet) -> Option<Vec<String>> {
    port_list(set)
}

/// FW_PROFILE_TYPE bits, as the choice options name them.
fn profile_options(rule: &WindowsRule) -> Vec<&'static str> {
    Profile::ALL
        .into_iter()
        .filter(|p| rule.profiles.contains(*p))
        .map(|p| match p {
            Profile::Domain => "1",
            Profile::Private => "2",
            Profile::Public => "4",
        })
        .collect()
}

/// The children of one rule. `name` is the CSP rule name (unique in the
/// policy); `description` already carries the display name and KB row.
/// Returns `None` for a rule that matches nothing (an empty address set: the
/// CSP would read a missing list as "any").
pub(crate) fn rule_children(rule: &WindowsRule, name: &str, description: &str) -> Option<Value> {
    if rule.remote_addresses.is_empty() || rule.local_addresses.is_empty() {
        return None;
    }
    if rule.local_ports.is_empty() || rule.remote_ports.is_empty() || rule.profiles.is_empty() {
        return None;
    }
    let mut c = vec![
        string_instance(child("name"), name),
        string_instance(child("description"), description),
        choice_instance(child("enabled"), if rule.enabled { "1" } else { "0" }),
        choice_instance(
            child("direction"),
            match rule.direction {
                Direction::Inbound => "in",
                Direction::Outbound => "out",
            },
        ),
        choice_instance(
            child("action_type"),
            if rule.action == Action::Block {
                "0"
            } else {
                "1"
            },
        ),
    ];
    if let Some(p) = rule.protocol {
        c.push(integer_instance(child("protocol"), i64::from(p.number())));
    }
    if let Some(v) = ports(&rule.local_ports) {
        c.push(string_collection(child("localportranges"), &v));
    }
    if let Some(v) = ports(&rule.remote_ports) {
        c.push(string_collection(child("remoteportranges"), &v));
    }
    if let Some(v) = addresses(&rule.local_addresses) {
        c.push(string_collection(child("localaddressranges"), &v));
    }
    if let Some(v) = addresses(&rule.remote_addresses) {
        c.push(string_collection(child("remoteaddressranges"), &v));
    }
    c.push(choice_collection(child("profiles"), &profile_options(rule)));
    c.push(choice_collection(child("interfacetypes"), &["all"]));
    Some(json!({ "children": c }))
}

/// The one setting holding every rule of a firewall-rules policy.
pub(crate) fn rules_setting(groups: Vec<Value>) -> Value {
    setting(json!({
        "@odata.type": format!("{ODATA}GroupSettingCollectionInstance"),
        "settingDefinitionId": FW_RULES,
        "settingInstanceTemplateReference": { "settingInstanceTemplateId": FW_RULES_INSTANCE_TEMPLATE },
        "groupSettingCollectionValue": groups,
    }))
}
