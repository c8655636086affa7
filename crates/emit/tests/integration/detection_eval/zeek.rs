//! A Zeek evaluator for the script smbguard emits: the exported
//! `set[subnet]`, `set[port]` and `set[string]` constants, and each event
//! handler's `if ( ... )` conditions (`&&`-joined tests) with the notice
//! they raise, evaluated on a flow's facts as the event would deliver them.

use std::collections::{BTreeMap, BTreeSet};

use smbguard_model::{AddrSet, parse_addr_spec};
use smbguard_traffic::{FlowRecord, L4Protocol};

/// The notice names and the cases they stand for.
const NOTICES: [(&str, &str); 8] = [
    ("Perimeter_Inbound", "perimeter-inbound"),
    ("Perimeter_Outbound", "perimeter-outbound"),
    ("Lateral_SMB", "lateral"),
    ("Unplanned_Server", "unplanned-server"),
    ("SMB1_Used", "smb1"),
    ("Cloud_Cleartext_SMB3", "cloud-cleartext-smb3"),
    ("Admin_Share", "admin-share"),
    ("Remote_Service", "remote-service"),
];

/// One `if` with its notice, inside an event handler.
struct Check {
    event: String,
    atoms: Vec<String>,
    case: String,
}

/// The script, read back.
pub struct Script {
    subnets: BTreeMap<String, AddrSet>,
    ports: BTreeMap<String, BTreeSet<(u16, &'static str)>>,
    strings: BTreeMap<String, Vec<String>>,
    checks: Vec<Check>,
}

/// `const NAME: set[T] = { a, b } &redef;` possibly over several lines.
fn constants(text: &str) -> Vec<(String, String, Vec<String>)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("\tconst ") {
        rest = &rest[i + 7..];
        let (head, after) = rest.split_once(" = ").expect("const NAME: T = ...");
        let Some((name, ty)) = head.split_once(": ").filter(|(_, t)| t.starts_with("set[")) else {
            continue;
        };
        let (name, ty) = (name.to_owned(), ty.to_owned());
        let body = &after[after.find('{').expect("{")..];
        let body = &body[1..body.find('}').expect("}")];
        let items = body
            .split(',')
            .map(|s| s.trim().trim_matches('"').to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        out.push((name, ty, items));
    }
    out
}

impl Script {
    /// Parses `main.zeek`.
    pub fn read(text: &str) -> Self {
        let (mut subnets, mut ports, mut strings) =
            (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
        for (name, ty, items) in constants(text) {
            match ty.as_str() {
                "set[subnet]" => {
                    let set = items.iter().fold(AddrSet::empty(), |a, s| {
                        // `[2001:db8::]/32` is Zeek's IPv6 subnet literal.
                        let plain = s.replace(['[', ']'], "");
                        a.union(&parse_addr_spec(&plain).unwrap_or_else(|e| panic!("{s}: {e}")))
                    });
                    subnets.insert(name, set);
                }
                "set[port]" => {
                    let set = items
                        .iter()
                        .map(|p| {
                            let (n, proto) = p.split_once('/').expect("port/proto");
                            (
                                n.parse().expect("port"),
                                if proto == "tcp" { "tcp" } else { "udp" },
                            )
                        })
                        .collect();
                    ports.insert(name, set);
                }
                "set[string]" => {
                    strings.insert(name, items);
                }
                other => panic!("type {other}"),
            }
        }
        let mut checks = Vec::new();
        let mut event = String::new();
        let mut pending: Option<Vec<String>> = None;
        for line in text.lines() {
            if let Some(e) = line.strip_prefix("event ") {
                event = e.split('(').next().expect("event name").to_owned();
            } else if let Some(cond) = line
                .trim()
                .strip_prefix("if ( ")
                .and_then(|c| c.strip_suffix(" )"))
            {
                pending = Some(cond.split(" && ").map(str::to_owned).collect());
            } else if let Some(note) = line.trim().strip_prefix("NOTICE([$note=") {
                let note = note.split(',').next().expect("note");
                let case = NOTICES
                    .iter()
                    .find(|(n, _)| *n == note)
                    .expect("known notice")
                    .1;
                let atoms = pending.take().expect("NOTICE under an if");
                checks.push(Check {
                    event: event.clone(),
                    atoms,
                    case: case.to_owned(),
                });
            } else if line.trim().starts_with("if (") {
                pending = None;
            }
        }
        Self {
            subnets,
            ports,
            strings,
            checks,
        }
    }

    /// The `set[string]` constant `name`.
    pub fn strings(&self, name: &str) -> &[String] {
        &self.strings[name]
    }

    /// The cases the script raises notices for.
    pub fn cases(&self) -> BTreeSet<String> {
        self.checks.iter().map(|c| c.case.clone()).collect()
    }

    /// The cases whose notice some event of `flow` raises.
    pub fn notices(&self, flow: &FlowRecord) -> BTreeSet<String> {
        self.checks
            .iter()
            .filter(|c| {
                self.event_fires(&c.event, flow) && c.atoms.iter().all(|a| self.atom(a, flow))
            })
            .map(|c| c.case.clone())
            .collect()
    }

    /// Whether Zeek raises `event` for this flow at all.
    fn event_fires(&self, event: &str, f: &FlowRecord) -> bool {
        match event {
            "new_connection" | "smb1_message" | "connection_state_remove" => true,
            "smb1_tree_connect_andx_request" | "smb2_tree_connect_request" => {
                !f.smb.shares.is_empty()
            }
            "smb1_nt_create_andx_request" | "smb2_create_request" => !f.smb.pipes.is_empty(),
            "dce_rpc_bind" => !f.rpc.interfaces.is_empty(),
            other => panic!("event {other}"),
        }
    }

    fn in_set(&self, set: &str, ip: std::net::IpAddr) -> bool {
        self.subnets
            .get(set)
            .unwrap_or_else(|| panic!("set {set}"))
            .contains(ip.to_canonical())
    }

    fn atom(&self, atom: &str, f: &FlowRecord) -> bool {
        let words: Vec<&str> = atom.split(' ').collect();
        match words.as_slice() {
            ["c$id$orig_h", op, set] => (*op == "in") == self.in_set(set, f.client),
            ["c$id$resp_h", op, set] => (*op == "in") == self.in_set(set, f.server),
            ["c$id$resp_p", "in", set] => {
                let proto = if f.protocol == L4Protocol::Tcp {
                    "tcp"
                } else {
                    "udp"
                };
                self.ports[*set].contains(&(f.server_port, proto))
            }
            ["!", "is_orig"] => f.smb.smb1_used,
            ["c$uid", "in", "smb3_sessions"] => f.smb.dialect.is_some_and(|d| d.is_smb3()),
            ["c$uid", "!in", "smb_encrypted"] => {
                !(f.smb.encryption.transform_seen || f.smb.encryption.session_flag)
            }
            ["is_admin_share(path)"] => {
                f.smb.share_names().any(|s| s.ends_with('$') && s != "IPC$")
            }
            [call, "in", set] if call.starts_with("pipe_name(") => f.smb.pipes.iter().any(|p| {
                let last = p.rsplit('\\').next().unwrap_or(p).to_ascii_lowercase();
                self.strings[*set].contains(&last)
            }),
            ["uuid_to_string(uuid)", "in", set] => f
                .rpc
                .interfaces
                .iter()
                .any(|i| self.strings[*set].contains(&i.uuid)),
            other => panic!("the evaluator does not know {other:?}"),
        }
    }
}
