//! A Sigma evaluator for the rules smbguard emits, read with a YAML parser:
//! selections of `Field`, `Field|cidr` and `Field|endswith` conditions (a
//! list is any-of, case-insensitive), and the conditions `a`, `a and not b`
//! and `a and not 1 of prefix*`; plus the Windows events a flow produces.

use std::collections::BTreeMap;

use smbguard_model::parse_addr_spec;
use smbguard_traffic::FlowRecord;
use yaml_rust2::{Yaml, YamlLoader};

/// One field test: field, modifiers, any-of values.
struct Test {
    field: String,
    mods: Vec<String>,
    values: Vec<String>,
}

/// A Windows event: field name to value.
pub type Event = BTreeMap<&'static str, String>;

/// A detection rule.
pub struct Rule {
    /// Title.
    pub title: String,
    /// `custom.smbguard_case`.
    pub case: Option<String>,
    /// `product/service/category` of the logsource.
    pub logsource: String,
    /// True when a selection uses `|cidr`.
    pub uses_cidr: bool,
    selections: BTreeMap<String, Vec<Test>>,
    condition: String,
}

fn scalar(y: &Yaml) -> String {
    match y {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        other => panic!("scalar expected, got {other:?}"),
    }
}

impl Rule {
    /// Every detection rule of a (possibly multi-document) file.
    pub fn read_all(text: &str) -> Vec<Rule> {
        let docs = YamlLoader::load_from_str(text).expect("Sigma YAML");
        docs.iter()
            .filter(|d| !d["detection"].is_badvalue())
            .map(Rule::of)
            .collect()
    }

    fn of(doc: &Yaml) -> Rule {
        let mut selections = BTreeMap::new();
        let mut condition = String::new();
        let mut uses_cidr = false;
        for (k, v) in doc["detection"].as_hash().expect("detection") {
            let name = scalar(k);
            if name == "condition" {
                condition = scalar(v);
                continue;
            }
            let mut tests = Vec::new();
            for (fk, fv) in v.as_hash().expect("selection map") {
                let key = scalar(fk);
                let mut parts = key.split('|');
                let field = parts.next().expect("field").to_owned();
                let mods: Vec<String> = parts.map(str::to_owned).collect();
                uses_cidr |= mods.iter().any(|m| m == "cidr");
                let values = match fv {
                    Yaml::Array(a) => a.iter().map(scalar).collect(),
                    one => vec![scalar(one)],
                };
                tests.push(Test {
                    field,
                    mods,
                    values,
                });
            }
            selections.insert(name, tests);
        }
        let ls = &doc["logsource"];
        let logsource = ["product", "service", "category"]
            .iter()
            .filter_map(|k| ls[*k].as_str())
            .collect::<Vec<_>>()
            .join("/");
        Rule {
            title: scalar(&doc["title"]),
            case: doc["custom"]["smbguard_case"].as_str().map(str::to_owned),
            logsource,
            uses_cidr,
            selections,
            condition,
        }
    }

    fn selection(&self, name: &str, e: &Event) -> bool {
        self.selections[name].iter().all(|t| {
            let Some(v) = e.get(t.field.as_str()) else {
                return false;
            };
            t.values.iter().any(|want| match t.mods.as_slice() {
                [] => v.eq_ignore_ascii_case(want),
                [m] if m == "endswith" => {
                    v.to_ascii_lowercase().ends_with(&want.to_ascii_lowercase())
                }
                [m] if m == "cidr" => {
                    let net = parse_addr_spec(want).expect("cidr");
                    v.parse().is_ok_and(|ip| net.contains(ip))
                }
                other => panic!("modifiers {other:?}"),
            })
        })
    }

    /// Whether the rule selects the event.
    pub fn matches(&self, e: &Event) -> bool {
        let (head, not) = match self.condition.split_once(" and not ") {
            Some((h, n)) => (h, Some(n)),
            None => (self.condition.as_str(), None),
        };
        let excluded = |n: &str| match n.strip_prefix("1 of ") {
            Some(prefix) => {
                let prefix = prefix.trim_end_matches('*');
                self.selections
                    .keys()
                    .filter(|k| k.starts_with(prefix))
                    .any(|k| self.selection(k, e))
            }
            None => self.selection(n, e),
        };
        self.selection(head, e) && !not.is_some_and(excluded)
    }
}

/// The events a Windows host would log for `flow`, for rules of `logsource`:
/// the initiating host's 5156 / Sysmon 3 for the connection, and the
/// server's 5140 for each share opened.
pub fn events_of(flow: &FlowRecord, logsource: &str) -> Vec<Event> {
    let (c, s) = (
        flow.client.to_canonical().to_string(),
        flow.server.to_canonical().to_string(),
    );
    let port = flow.server_port.to_string();
    match logsource {
        "windows/security" => {
            let mut out = vec![Event::from([
                ("EventID", "5156".to_owned()),
                ("Direction", "%%14593".to_owned()),
                ("SourceAddress", c.clone()),
                ("DestAddress", s),
                ("DestPort", port),
            ])];
            for share in &flow.smb.shares {
                let name = share.rsplit('\\').next().unwrap_or(share);
                out.push(Event::from([
                    ("EventID", "5140".to_owned()),
                    ("IpAddress", c.clone()),
                    ("ShareName", format!("\\\\*\\{name}")),
                ]));
            }
            out
        }
        "windows/network_connection" => vec![Event::from([
            ("Initiated", "true".to_owned()),
            ("SourceIp", c),
            ("DestinationIp", s),
            ("DestinationPort", port),
        ])],
        other => panic!("logsource {other}"),
    }
}
