//! Intune configuration policies as Microsoft Graph returns or accepts them
//! (`deviceManagement/configurationPolicies`, settings catalog): the
//! "Microsoft Defender Firewall Rules" collection and the Firewall CSP
//! profile settings, lowered into a [`WindowsPolicy`].
//!
//! The reader takes smbguard's own files and policies exported with Graph
//! (same shape plus `id`s and timestamps, possibly wrapped in `{"value":
//! [...]}`). It is total: malformed JSON, unknown settings and conditions
//! the IR cannot model become [`Finding`]s and the widest meaning.

use serde_json::Value;
use smbguard_model::{AddrSet, PortSet, Profile, ProfileSet, Proto, parse_addr_spec};
use smbguard_semantics::{
    Action, Direction, KbRow, Origin, ProfileDefaults, WindowsPolicy, WindowsRule, builtin,
};

use crate::finding::{Finding, FindingCode};
use crate::windows::LoweredWindows;

const FW_RULES: &str = "vendor_msft_firewall_mdmstore_firewallrules_{firewallrulename}";
const PROFILE_PREFIX: &str = "vendor_msft_firewall_mdmstore_";

/// Reads every `(location, bytes)` policy document and lowers them together
/// into one host policy (Intune merges the rules of every profile assigned
/// to a device).
pub fn read_intune_policies(docs: &[(&str, &[u8])]) -> LoweredWindows {
    let mut r = Reader::default();
    for (location, bytes) in docs {
        match serde_json::from_slice::<Value>(bytes) {
            Ok(v) => r.document(location, &v),
            Err(e) => r.note(
                FindingCode::UnreadableInput,
                location,
                format!("not JSON ({e}); ignored"),
            ),
        }
    }
    r.finish()
}

#[derive(Default)]
struct Reader {
    rules: Vec<WindowsRule>,
    defaults: Vec<ProfileDefaults>,
    merge_off: Vec<Profile>,
    other: usize,
    findings: Vec<Finding>,
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn array_at<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The option suffix of a choice value: `{id}_{option}` gives `option`.
fn option<'a>(id: &str, value: &'a str) -> Option<&'a str> {
    value.strip_prefix(id)?.strip_prefix('_')
}

impl Reader {
    fn note(&mut self, code: FindingCode, location: &str, message: impl Into<String>) {
        self.findings.push(Finding::new(code, location, message));
    }

    fn document(&mut self, location: &str, v: &Value) {
        if let Some(list) = v.get("value").and_then(Value::as_array) {
            for (i, p) in list.iter().enumerate() {
                self.policy(&format!("{location}: value[{i}]"), p);
            }
        } else {
            self.policy(location, v);
        }
    }

    fn policy(&mut self, location: &str, p: &Value) {
        if !p.is_object() {
            self.note(
                FindingCode::FormatWarning,
                location,
                "not a configuration policy object; ignored",
            );
            return;
        }
        for (i, s) in array_at(p, "settings").iter().enumerate() {
            let at = format!("{location}: settings[{i}]");
            let inst = s.get("settingInstance").unwrap_or(&Value::Null);
            let Some(id) = str_at(inst, "settingDefinitionId") else {
                self.note(
                    FindingCode::FormatWarning,
                    &at,
                    "setting without settingDefinitionId; ignored",
                );
                continue;
            };
            if id == FW_RULES {
                for (j, g) in array_at(inst, "groupSettingCollectionValue")
                    .iter()
                    .enumerate()
                {
                    let at = format!("{at}: rule[{j}]");
                    if let Some(rule) = self.rule(&at, array_at(g, "children")) {
                        self.rules.push(rule);
                    }
                }
            } else if !self.profile_setting(&at, id, inst) {
                self.other += 1;
            }
        }
    }

    /// A `..._{domain,private,public}profile_{setting}` choice; false when
    /// `id` is not a profile setting.
    fn profile_setting(&mut self, at: &str, id: &str, inst: &Value) -> bool {
        let Some(rest) = id.strip_prefix(PROFILE_PREFIX) else {
            return false;
        };
        let Some((profile, name)) = rest.split_once("profile_") else {
            return false;
        };
        let profile = match profile {
            "domain" => Profile::Domain,
            "private" => Profile::Private,
            "public" => Profile::Public,
            _ => return false,
        };
        let value = inst
            .get("choiceSettingValue")
            .and_then(|c| str_at(c, "value"))
            .and_then(|v| option(id, v));
        let Some(value) = value else {
            self.note(
                FindingCode::FormatWarning,
                at,
                format!("{id}: no readable choice value; ignored"),
            );
            return true;
        };
        let idx = match self.defaults.iter().position(|d| d.profile == profile) {
            Some(i) => i,
            None => {
                self.defaults
                    .push(ProfileDefaults::windows_default(profile));
                self.defaults.len() - 1
            }
        };
        let d = &mut self.defaults[idx];
        match (name, value) {
            ("enablefirewall", v) => d.enabled = v != "false",
            ("defaultinboundaction", v) => d.block_inbound = v != "0",
            ("defaultoutboundaction", v) => d.block_outbound = v == "1",
            ("allowlocalpolicymerge", "false") => self.merge_off.push(profile),
            ("allowlocalpolicymerge", _) => {}
            _ => self.note(
                FindingCode::ProfileSetting,
                at,
                format!("{id}: profile setting not modelled; ignored"),
            ),
        }
        true
    }

    fn finish(mut self) -> LoweredWindows {
        let all_off = Profile::ALL.iter().all(|p| self.merge_off.contains(p));
        if !all_off && !self.merge_off.is_empty() {
            self.note(
                FindingCode::Widened,
                "profiles",
                "AllowLocalPolicyMerge is off in some profiles only; built-in rules read as enabled everywhere (widest)",
            );
        }
        let disabled_builtins = if all_off {
            builtin::catalogue().iter().map(|r| r.id.as_str()).collect()
        } else {
            Vec::new()
        };
        let profile_defaults = Profile::ALL.map(|p| {
            self.defaults
                .iter()
                .copied()
                .find(|d| d.profile == p)
                .unwrap_or(ProfileDefaults::windows_default(p))
        });
        LoweredWindows {
            policy: WindowsPolicy {
                rules: self.rules,
                disabled_builtins,
                profile_defaults,
                connection_security: Vec::new(),
                services: Vec::new(),
            },
            policy_version: None,
            other_values: self.other,
            findings: self.findings,
        }
    }
}

/// One rule's children, by the suffix after the collection's ID.
struct Children<'a>(Vec<(&'a str, &'a Value)>);

impl<'a> Children<'a> {
    fn new(list: &'a [Value]) -> Self {
        Children(
            list.iter()
                .filter_map(|c| {
                    let id = str_at(c, "settingDefinitionId")?;
                    Some((id.strip_prefix(FW_RULES)?.strip_prefix('_')?, c))
                })
                .collect(),
        )
    }

    fn get(&self, suffix: &str) -> Option<&'a Value> {
        self.0.iter().find(|(s, _)| *s == suffix).map(|(_, v)| *v)
    }

    fn string(&self, suffix: &str) -> Option<&'a str> {
        self.get(suffix)?
            .get("simpleSettingValue")
            .and_then(|v| str_at(v, "value"))
    }

    fn integer(&self, suffix: &str) -> Option<i64> {
        self.get(suffix)?
            .get("simpleSettingValue")?
            .get("value")?
            .as_i64()
    }

    fn choice(&self, suffix: &str) -> Option<&'a str> {
        let v = self
            .get(suffix)?
            .get("choiceSettingValue")
            .and_then(|c| str_at(c, "value"))?;
        let id = format!("{FW_RULES}_{suffix}");
        option(&id, v).or(Some(v))
    }

    fn strings(&self, suffix: &str) -> Option<Vec<&'a str>> {
        let list = self
            .get(suffix)?
            .get("simpleSettingCollectionValue")?
            .as_array()?;
        Some(list.iter().filter_map(|v| str_at(v, "value")).collect())
    }

    fn choices(&self, suffix: &str) -> Option<Vec<&'a str>> {
        let list = self
            .get(suffix)?
            .get("choiceSettingCollectionValue")?
            .as_array()?;
        let id = format!("{FW_RULES}_{suffix}");
        Some(
            list.iter()
                .filter_map(|v| str_at(v, "value"))
                .map(|v| option(&id, v).unwrap_or(v))
                .collect(),
        )
    }
}

/// Children the reader understands; any other narrows the rule in a way the
/// IR cannot say (application, user, interface, ...).
const KNOWN: [&str; 13] = [
    "name",
    "description",
    "enabled",
    "direction",
    "action_type",
    "action",
    "protocol",
    "localportranges",
    "remoteportranges",
    "localaddressranges",
    "remoteaddressranges",
    "profiles",
    "interfacetypes",
];

impl Reader {
    fn rule(&mut self, at: &str, list: &[Value]) -> Option<WindowsRule> {
        let c = Children::new(list);
        let name = c.string("name").unwrap_or("(unnamed)").to_owned();
        let at = format!("{at} ({name})");
        // Firewall CSP defaults: Direction OUT, Action Allow, Enabled true.
        let direction = match c.choice("direction") {
            Some("in") => Direction::Inbound,
            Some("out") | None => Direction::Outbound,
            Some(other) => {
                self.note(
                    FindingCode::FormatWarning,
                    &at,
                    format!("direction `{other}` unknown; rule ignored"),
                );
                return None;
            }
        };
        let action = match c.choice("action_type") {
            Some("0") => Action::Block,
            Some("1") | None => Action::Allow,
            Some(other) => {
                self.note(
                    FindingCode::FormatWarning,
                    &at,
                    format!("action `{other}` unknown; rule ignored"),
                );
                return None;
            }
        };
        let protocol = match c.integer("protocol") {
            None if c.get("protocol").is_none() => None,
            Some(6) => Some(Proto::Tcp),
            Some(17) => Some(Proto::Udp),
            _ => {
                self.note(
                    FindingCode::OutOfScope,
                    &at,
                    "protocol other than TCP or UDP cannot carry SMB; rule ignored",
                );
                return None;
            }
        };
        let mut rule = WindowsRule::new(name.clone(), name, direction, action, KbRow::K10);
        rule.origin = Origin::Deployed;
        rule.description = c.string("description").unwrap_or_default().to_owned();
        rule.enabled = !matches!(c.choice("enabled"), Some("0"));
        rule.protocol = protocol;
        rule.local_ports = self.ports(&at, c.strings("localportranges"));
        rule.remote_ports = self.ports(&at, c.strings("remoteportranges"));
        rule.local_addresses = self.addresses(&at, c.strings("localaddressranges"));
        rule.remote_addresses = self.addresses(&at, c.strings("remoteaddressranges"));
        rule.profiles = self.profiles(&at, c.choices("profiles"));
        if c.choices("interfacetypes")
            .is_some_and(|v| v.iter().any(|t| *t != "all"))
        {
            self.note(
                FindingCode::Widened,
                &at,
                "interface types narrow the rule; read as every interface",
            );
        }
        for (suffix, _) in &c.0 {
            if !KNOWN.contains(suffix) {
                self.note(
                    FindingCode::Widened,
                    &at,
                    format!("`{suffix}` not modelled; read as matching every flow"),
                );
            }
        }
        Some(rule)
    }

    fn ports(&mut self, at: &str, list: Option<Vec<&str>>) -> PortSet {
        let Some(list) = list.filter(|l| !l.is_empty()) else {
            return PortSet::full();
        };
        let mut set = PortSet::empty();
        for item in list.iter().flat_map(|s| s.split(',')) {
            let t = item.trim();
            let parsed = match t.split_once('-') {
                Some((a, b)) => a
                    .trim()
                    .parse::<u16>()
                    .ok()
                    .zip(b.trim().parse::<u16>().ok()),
                None => t.parse::<u16>().ok().map(|p| (p, p)),
            };
            match parsed {
                Some((a, b)) if a <= b => set = set.union(&PortSet::range(a, b)),
                _ => {
                    self.note(
                        FindingCode::Widened,
                        at,
                        format!("port `{t}` unreadable; read as every port"),
                    );
                    return PortSet::full();
                }
            }
        }
        set
    }

    fn addresses(&mut self, at: &str, list: Option<Vec<&str>>) -> AddrSet {
        let Some(list) = list.filter(|l| !l.is_empty()) else {
            return AddrSet::any();
        };
        let mut set = AddrSet::empty();
        for item in list.iter().flat_map(|s| s.split(',')) {
            let t = item.trim();
            if t == "*" {
                return AddrSet::any();
            }
            match parse_addr_spec(t) {
                Ok(a) => set = set.union(&a),
                Err(_) => {
                    self.note(
                        FindingCode::Widened,
                        at,
                        format!("address `{t}` (keyword or unreadable) read as any address"),
                    );
                    return AddrSet::any();
                }
            }
        }
        set
    }

    fn profiles(&mut self, at: &str, list: Option<Vec<&str>>) -> ProfileSet {
        let Some(list) = list.filter(|l| !l.is_empty()) else {
            return ProfileSet::ALL;
        };
        let mut out = Vec::new();
        for v in list {
            match v.parse::<u32>() {
                Ok(bits) if bits <= 7 => {
                    for (bit, p) in [
                        (1, Profile::Domain),
                        (2, Profile::Private),
                        (4, Profile::Public),
                    ] {
                        if bits & bit != 0 {
                            out.push(p);
                        }
                    }
                }
                _ => {
                    self.note(
                        FindingCode::Widened,
                        at,
                        format!("profile `{v}` unknown; read as every profile"),
                    );
                    return ProfileSet::ALL;
                }
            }
        }
        ProfileSet::of(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arbitrary_json_never_panics() {
        for text in [
            "",
            "null",
            "[1,2]",
            "{\"settings\": 5}",
            "{\"settings\": [{\"settingInstance\": {\"settingDefinitionId\": \"vendor_msft_firewall_mdmstore_firewallrules_{firewallrulename}\", \"groupSettingCollectionValue\": [{\"children\": [1, {\"settingDefinitionId\": 3}]}]}}]}",
            "{\"value\": [null, {\"settings\": [{}]}]}",
        ] {
            let _ = read_intune_policies(&[("t", text.as_bytes())]);
        }
    }

    #[test]
    fn keywords_and_bad_ports_widen_with_a_finding() {
        let doc = r#"{"settings":[{"settingInstance":{"settingDefinitionId":"vendor_msft_firewall_mdmstore_firewallrules_{firewallrulename}","groupSettingCollectionValue":[{"children":[
          {"settingDefinitionId":"vendor_msft_firewall_mdmstore_firewallrules_{firewallrulename}_remoteaddressranges","simpleSettingCollectionValue":[{"value":"LocalSubnet"}]},
          {"settingDefinitionId":"vendor_msft_firewall_mdmstore_firewallrules_{firewallrulename}_localportranges","simpleSettingCollectionValue":[{"value":"99999"}]}
        ]}]}}]}"#;
        let l = read_intune_policies(&[("t", doc.as_bytes())]);
        assert_eq!(l.policy.rules.len(), 1);
        assert!(l.policy.rules[0].remote_addresses.is_any());
        assert!(l.policy.rules[0].local_ports.is_full());
        assert_eq!(l.findings.len(), 2, "{:?}", l.findings);
    }
}
