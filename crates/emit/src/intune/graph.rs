//! Microsoft Graph settings-catalog JSON: the setting-instance shapes of
//! `deviceManagement/configurationPolicies` (reference notes §2, as verified
//! in IntuneFirewallMigration), and the firewall rule as a group of children.
//!
//! Each shape is a typed struct borrowing what it writes, serialised
//! directly (no `serde_json::Value` tree: at thousands of groups building,
//! cloning and dropping the trees was most of the emit's time). Fields are
//! declared in byte order of their JSON keys, the order the documents had
//! when they were `Value` maps (sorted `BTreeMap`s), so the bytes are the
//! same.

use std::borrow::Cow;
use std::fmt;

use serde::{Serialize, Serializer};
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

/// The `@odata.type` of each shape (`#microsoft.graph.deviceManagementConfiguration…`).
mod odata {
    pub(super) const SETTING: &str = "#microsoft.graph.deviceManagementConfigurationSetting";
    pub(super) const SIMPLE: &str =
        "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance";
    pub(super) const STRING_VALUE: &str =
        "#microsoft.graph.deviceManagementConfigurationStringSettingValue";
    pub(super) const INTEGER_VALUE: &str =
        "#microsoft.graph.deviceManagementConfigurationIntegerSettingValue";
    pub(super) const CHOICE: &str =
        "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance";
    pub(super) const CHOICE_COLLECTION: &str =
        "#microsoft.graph.deviceManagementConfigurationChoiceSettingCollectionInstance";
    pub(super) const SIMPLE_COLLECTION: &str =
        "#microsoft.graph.deviceManagementConfigurationSimpleSettingCollectionInstance";
    pub(super) const GROUP_COLLECTION: &str =
        "#microsoft.graph.deviceManagementConfigurationGroupSettingCollectionInstance";
}

/// A setting definition ID or choice option: up to three parts joined by
/// `_` (`{rule collection}_{child}_{option}`), written without building the
/// string. Empty parts are left out (no part is ever meant to be empty).
#[derive(Clone, Copy)]
pub(crate) struct Id<'a>([&'a str; 3]);

impl<'a> Id<'a> {
    /// The ID `base`.
    pub(crate) fn new(base: &'a str) -> Self {
        Self([base, "", ""])
    }

    /// This ID followed by `_{part}`.
    pub(crate) fn then(self, part: &'a str) -> Self {
        let [a, b, c] = self.0;
        if b.is_empty() {
            Self([a, part, c])
        } else {
            Self([a, b, part])
        }
    }
}

impl fmt::Display for Id<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c] = self.0;
        f.write_str(a)?;
        for p in [b, c] {
            if !p.is_empty() {
                f.write_str("_")?;
                f.write_str(p)?;
            }
        }
        Ok(())
    }
}

impl Serialize for Id<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // serde_json escapes what `Display` writes exactly as it escapes a `&str`.
        s.collect_str(self)
    }
}

/// The `children` of a choice value: always an empty array here.
type NoChildren = [(); 0];

/// A `deviceManagementConfigurationSetting` wrapping one instance.
#[derive(Serialize)]
pub(crate) struct Setting<I> {
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    #[serde(rename = "settingInstance")]
    instance: I,
}

/// Wraps `instance` in a setting.
pub(crate) fn setting<I: Serialize>(instance: I) -> Setting<I> {
    Setting {
        odata_type: odata::SETTING,
        instance,
    }
}

/// A simple setting (string or integer value).
#[derive(Serialize)]
pub(crate) struct SimpleInstance<'a, V> {
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    #[serde(rename = "settingDefinitionId")]
    id: Id<'a>,
    #[serde(rename = "simpleSettingValue")]
    value: V,
}

#[derive(Serialize)]
pub(crate) struct StringValue<'a> {
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    value: Cow<'a, str>,
}

#[derive(Serialize)]
pub(crate) struct IntegerValue {
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    value: i64,
}

fn string_value(value: Cow<'_, str>) -> StringValue<'_> {
    StringValue {
        odata_type: odata::STRING_VALUE,
        value,
    }
}

/// A string simple setting.
fn string_instance<'a>(id: Id<'a>, value: Cow<'a, str>) -> SimpleInstance<'a, StringValue<'a>> {
    SimpleInstance {
        odata_type: odata::SIMPLE,
        id,
        value: string_value(value),
    }
}

/// An integer simple setting.
fn integer_instance(id: Id<'_>, value: i64) -> SimpleInstance<'_, IntegerValue> {
    SimpleInstance {
        odata_type: odata::SIMPLE,
        id,
        value: IntegerValue {
            odata_type: odata::INTEGER_VALUE,
            value,
        },
    }
}

/// A choice setting whose option is `{id}_{option}`.
#[derive(Serialize)]
pub(crate) struct ChoiceInstance<'a> {
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    #[serde(rename = "choiceSettingValue")]
    value: ChoiceValue<'a>,
    #[serde(rename = "settingDefinitionId")]
    id: Id<'a>,
}

#[derive(Serialize)]
pub(crate) struct ChoiceValue<'a> {
    children: NoChildren,
    value: Id<'a>,
}

/// The choice setting `id` set to `{id}_{option}`.
pub(crate) fn choice_instance<'a>(id: Id<'a>, option: &'a str) -> ChoiceInstance<'a> {
    ChoiceInstance {
        odata_type: odata::CHOICE,
        value: ChoiceValue {
            children: [],
            value: id.then(option),
        },
        id,
    }
}

/// A choice collection: one `{id}_{option}` per option.
#[derive(Serialize)]
pub(crate) struct ChoiceCollection<'a> {
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    #[serde(rename = "choiceSettingCollectionValue")]
    values: Vec<ChoiceValue<'a>>,
    #[serde(rename = "settingDefinitionId")]
    id: Id<'a>,
}

fn choice_collection<'a>(id: Id<'a>, options: &[&'a str]) -> ChoiceCollection<'a> {
    ChoiceCollection {
        odata_type: odata::CHOICE_COLLECTION,
        values: options
            .iter()
            .map(|o| ChoiceValue {
                children: [],
                value: id.then(o),
            })
            .collect(),
        id,
    }
}

/// A string collection: one element per entry (not a CSV string).
#[derive(Serialize)]
pub(crate) struct StringCollection<'a> {
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    #[serde(rename = "settingDefinitionId")]
    id: Id<'a>,
    #[serde(rename = "simpleSettingCollectionValue")]
    values: StringValues,
}

/// The entries of a string collection, each written as a string value.
pub(crate) struct StringValues(Vec<String>);

impl Serialize for StringValues {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|v| string_value(Cow::Borrowed(v))))
    }
}

fn string_collection(id: Id<'_>, values: Vec<String>) -> StringCollection<'_> {
    StringCollection {
        odata_type: odata::SIMPLE_COLLECTION,
        id,
        values: StringValues(values),
    }
}

/// One child of a firewall rule: each shape serialises as itself.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum Child<'a> {
    Text(SimpleInstance<'a, StringValue<'a>>),
    Integer(SimpleInstance<'a, IntegerValue>),
    Choice(ChoiceInstance<'a>),
    Choices(ChoiceCollection<'a>),
    Texts(StringCollection<'a>),
}

/// One firewall rule: the group of its children.
#[derive(Serialize)]
pub(crate) struct RuleGroup<'a> {
    children: Vec<Child<'a>>,
}

fn child(suffix: &str) -> Id<'_> {
    Id::new(FW_RULES).then(suffix)
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
pub(crate) fn rule_children<'a>(
    rule: &WindowsRule,
    name: &'a str,
    description: String,
) -> Option<RuleGroup<'a>> {
    if rule.remote_addresses.is_empty() || rule.local_addresses.is_empty() {
        return None;
    }
    if rule.local_ports.is_empty() || rule.remote_ports.is_empty() || rule.profiles.is_empty() {
        return None;
    }
    let direction = match rule.direction {
        Direction::Inbound => "in",
        Direction::Outbound => "out",
    };
    let action = if rule.action == Action::Block {
        "0"
    } else {
        "1"
    };
    let mut c = Vec::with_capacity(12);
    c.push(Child::Text(string_instance(child("name"), name.into())));
    c.push(Child::Text(string_instance(
        child("description"),
        description.into(),
    )));
    let enabled = if rule.enabled { "1" } else { "0" };
    c.push(Child::Choice(choice_instance(child("enabled"), enabled)));
    c.push(Child::Choice(choice_instance(
        child("direction"),
        direction,
    )));
    c.push(Child::Choice(choice_instance(child("action_type"), action)));
    if let Some(p) = rule.protocol {
        c.push(Child::Integer(integer_instance(
            child("protocol"),
            i64::from(p.number()),
        )));
    }
    let lists = [
        ("localportranges", ports(&rule.local_ports)),
        ("remoteportranges", ports(&rule.remote_ports)),
        ("localaddressranges", addresses(&rule.local_addresses)),
        ("remoteaddressranges", addresses(&rule.remote_addresses)),
    ];
    for (suffix, values) in lists {
        if let Some(v) = values {
            c.push(Child::Texts(string_collection(child(suffix), v)));
        }
    }
    c.push(Child::Choices(choice_collection(
        child("profiles"),
        &profile_options(rule),
    )));
    c.push(Child::Choices(choice_collection(
        child("interfacetypes"),
        &["all"],
    )));
    Some(RuleGroup { children: c })
}

/// The rule collection instance of a firewall-rules policy.
#[derive(Serialize)]
pub(crate) struct RuleCollection<'a> {
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    #[serde(rename = "groupSettingCollectionValue")]
    groups: &'a [RuleGroup<'a>],
    #[serde(rename = "settingDefinitionId")]
    id: &'static str,
    #[serde(rename = "settingInstanceTemplateReference")]
    template: InstanceTemplate,
}

#[derive(Serialize)]
pub(crate) struct InstanceTemplate {
    #[serde(rename = "settingInstanceTemplateId")]
    id: &'static str,
}

/// The one setting holding every rule of a firewall-rules policy.
pub(crate) fn rules_setting<'a>(groups: &'a [RuleGroup<'a>]) -> Setting<RuleCollection<'a>> {
    setting(RuleCollection {
        odata_type: odata::GROUP_COLLECTION,
        groups,
        id: FW_RULES,
        template: InstanceTemplate {
            id: FW_RULES_INSTANCE_TEMPLATE,
        },
    })
}
