//! A Suricata evaluator for the subset smbguard emits: rule headers with
//! `$VAR`, `!`, `[...]` address lists and port lists, `flow:` direction,
//! the `smb.share` / `smb.named_pipe` sticky buffers with `content`,
//! `dcerpc.iface` (read as an interface bound on the flow),
//! `nocase`, `endswith` and negation, `smb.version:1`, and the two byte
//! signatures of the cloud rules (read as the facts they stand for).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use smbguard_model::{AddrSet, parse_addr_spec};
use smbguard_traffic::{FlowRecord, L4Protocol, Operation, Service};
use yaml_rust2::YamlLoader;

/// A content match on a sticky buffer.
#[derive(Debug, Default, Clone)]
struct Content {
    bytes: Vec<u8>,
    negated: bool,
    nocase: bool,
    endswith: bool,
}

impl Content {
    fn holds(&self, value: &str) -> bool {
        let (v, p) = if self.nocase {
            (
                value.to_ascii_lowercase().into_bytes(),
                self.bytes.to_ascii_lowercase(),
            )
        } else {
            (value.as_bytes().to_vec(), self.bytes.clone())
        };
        let found = if self.endswith {
            v.ends_with(&p)
        } else {
            v.windows(p.len().max(1)).any(|w| w == p.as_slice())
        };
        found != self.negated
    }
}

/// What a rule's options require of a flow.
#[derive(Debug, Default)]
struct Needs {
    to_client: bool,
    established: bool,
    shares: Vec<Content>,
    pipes: Vec<Content>,
    /// `dcerpc.iface` UUIDs (any of them bound).
    interfaces: Vec<String>,
    smb1_from_server: bool,
    sets_flowbit: bool,
    noalert: bool,
    needs_smb3_bit: bool,
    cleartext_tree: bool,
}

/// One parsed rule.
#[derive(Debug)]
struct Rule {
    proto: String,
    src: AddrSet,
    dst: AddrSet,
    dports: Option<BTreeSet<u16>>,
    case: String,
    needs: Needs,
}

/// A rules file with its address groups.
pub struct Rules {
    rules: Vec<Rule>,
}

/// `|FE|SMB`-style content text to bytes.
fn content_bytes(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut parts = s.split('|');
    let mut hex = false;
    for part in parts.by_ref() {
        if hex {
            out.extend(
                part.split_whitespace()
                    .map(|h| u8::from_str_radix(h, 16).expect("hex")),
            );
        } else {
            out.extend(part.bytes());
        }
        hex = !hex;
    }
    out
}

fn address(spec: &str, vars: &BTreeMap<String, String>) -> AddrSet {
    let spec = spec.trim();
    if spec == "any" {
        return AddrSet::any();
    }
    if let Some(name) = spec.strip_prefix('$') {
        return address(
            vars.get(name)
                .unwrap_or_else(|| panic!("undefined ${name}")),
            vars,
        );
    }
    if let Some(rest) = spec.strip_prefix('!') {
        return address(rest, vars).complement();
    }
    if let Some(inner) = spec.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        let (mut yes, mut no) = (AddrSet::empty(), AddrSet::empty());
        for item in split_top(inner, ',') {
            match item.trim().strip_prefix('!') {
                Some(neg) => no = no.union(&address(neg, vars)),
                None => yes = yes.union(&address(&item, vars)),
            }
        }
        if yes.is_empty() {
            yes = AddrSet::any();
        }
        return yes.difference(&no);
    }
    parse_addr_spec(spec).unwrap_or_else(|e| panic!("address {spec}: {e}"))
}

/// Splits at `sep` outside brackets and quotes, honouring `\` escapes.
fn split_top(s: &str, sep: char) -> Vec<String> {
    let (mut out, mut cur, mut depth, mut quoted, mut escaped) =
        (Vec::new(), String::new(), 0, false, false);
    for c in s.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted => depth -= 1,
            _ => {}
        }
        if c == sep && depth == 0 && !quoted {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

fn ports(spec: &str) -> Option<BTreeSet<u16>> {
    if spec == "any" {
        return None;
    }
    let inner = spec.trim_start_matches('[').trim_end_matches(']');
    Some(
        inner
            .split(',')
            .map(|p| p.trim().parse().expect("port"))
            .collect(),
    )
}

/// The byte signatures smbguard emits, and what each stands for.
const SMB3_NEGOTIATE: &str = "|FE|SMB @4 |00 00| @16 byte_test:2,>=,0x0300,72,little";
const CLEARTEXT_TREE: &str = "|FE|SMB @4 |00 00 00 00| @12 |03 00| @16 byte_test:1,<,0x80,73";

fn options(body: &str) -> (Needs, String) {
    let mut n = Needs::default();
    let mut case = String::new();
    let mut buffer = String::new();
    let mut raw = Vec::new();
    for opt in split_top(body, ';') {
        let opt = opt.trim();
        let (key, value) = opt
            .split_once(':')
            .map_or((opt, ""), |(k, v)| (k.trim(), v.trim()));
        match key {
            "flow" => {
                n.to_client = value.contains("to_client");
                n.established = value.contains("established");
            }
            "smb.share" | "smb.named_pipe" => buffer = key.to_owned(),
            "dcerpc.iface" => n.interfaces.push(value.to_ascii_lowercase()),
            "smb.version" => {
                assert_eq!(value, "1");
                n.smb1_from_server = true;
            }
            "content" if !buffer.is_empty() => {
                let negated = value.starts_with('!');
                let text = value.trim_start_matches('!').trim_matches('"');
                let c = Content {
                    bytes: content_bytes(text),
                    negated,
                    ..Content::default()
                };
                if buffer == "smb.share" {
                    n.shares.push(c)
                } else {
                    n.pipes.push(c)
                }
            }
            "content" => raw.push(value.trim_matches('"').to_owned()),
            "offset" => raw.push(format!("@{value}")),
            "depth" => {}
            "byte_test" => raw.push(format!("byte_test:{value}")),
            "nocase" | "endswith" => {
                let list = if buffer == "smb.share" {
                    &mut n.shares
                } else {
                    &mut n.pipes
                };
                let last = list.last_mut().expect("modifier after content");
                if key == "nocase" {
                    last.nocase = true
                } else {
                    last.endswith = true
                }
            }
            "flowbits" if value.starts_with("set,") => n.sets_flowbit = true,
            "flowbits" if value == "noalert" => n.noalert = true,
            "flowbits" if value.starts_with("isset,") => n.needs_smb3_bit = true,
            "metadata" => {
                case = value
                    .split(',')
                    .find_map(|kv| kv.trim().strip_prefix("smbguard_case "))
                    .expect("smbguard_case")
                    .to_owned();
            }
            "msg" | "threshold" | "classtype" | "sid" | "rev" => {}
            other => panic!("the evaluator does not know `{other}`"),
        }
    }
    match raw.join(" ").as_str() {
        "" => {}
        SMB3_NEGOTIATE => assert!(n.sets_flowbit && n.noalert),
        CLEARTEXT_TREE => n.cleartext_tree = true,
        other => panic!("unknown byte signature {other}"),
    }
    (n, case)
}

impl Rules {
    /// Parses the rules file and the address-groups snippet.
    pub fn read(rules: &str, vars_yaml: &str) -> Self {
        let doc = &YamlLoader::load_from_str(vars_yaml).expect("address-groups YAML")[0];
        let mut vars = BTreeMap::new();
        for (k, v) in doc["vars"]["address-groups"]
            .as_hash()
            .expect("address-groups")
        {
            vars.insert(
                k.as_str().expect("name").to_owned(),
                v.as_str().expect("value").to_owned(),
            );
        }
        let mut out = Vec::new();
        for line in rules.lines().filter(|l| l.starts_with("alert ")) {
            let (head, body) = line.split_once(" (").expect("options");
            let body = body.strip_suffix(')').expect("closing paren");
            let words = split_top(head, ' ');
            assert_eq!(words.len(), 7, "{head}");
            assert_eq!(words[4], "->");
            let (needs, case) = options(body);
            out.push(Rule {
                proto: words[1].clone(),
                src: address(&words[2], &vars),
                dst: address(&words[5], &vars),
                dports: ports(&words[6]),
                case,
                needs,
            });
        }
        Self { rules: out }
    }

    /// The cases of the alerting rules.
    pub fn cases(&self) -> BTreeSet<String> {
        self.rules
            .iter()
            .filter(|r| !r.needs.noalert)
            .map(|r| r.case.clone())
            .collect()
    }

    /// True when some alerting rule of `case` fires on `flow`.
    pub fn selects(&self, flow: &FlowRecord, case: &str) -> bool {
        self.rules
            .iter()
            .filter(|r| r.case == case && !r.needs.noalert)
            .any(|r| fires(r, flow))
    }
}

fn smb_seen(f: &FlowRecord) -> bool {
    matches!(f.service, Service::Smb | Service::NetbiosSession)
        && (f.smb.dialect.is_some() || f.smb.smb1_used || f.smb.offered_smb1)
}

/// A TREE_CONNECT the dissector read (so in cleartext) that succeeded, on a
/// share the server does not encrypt.
fn cleartext_tree_connect(f: &FlowRecord) -> bool {
    let denied = |s: &String| {
        f.smb
            .denied
            .iter()
            .any(|d| d.operation == Operation::TreeConnect && d.share.as_ref() == Some(s))
    };
    !f.smb.encryption.share_flag && f.smb.shares.iter().any(|s| !denied(s))
}

fn fires(r: &Rule, f: &FlowRecord) -> bool {
    let (c, s) = (f.client.to_canonical(), f.server.to_canonical());
    let (src, dst, dport): (IpAddr, IpAddr, u16) = if r.needs.to_client {
        (s, c, f.client_port)
    } else {
        (c, s, f.server_port)
    };
    let proto_ok = match r.proto.as_str() {
        "tcp" => f.protocol == L4Protocol::Tcp,
        "udp" => f.protocol == L4Protocol::Udp,
        "smb" => smb_seen(f),
        // Suricata's DCE/RPC parser, over TCP or inside SMB.
        "dcerpc" => !f.rpc.is_empty(),
        other => panic!("protocol {other}"),
    };
    let n = &r.needs;
    proto_ok
        && r.src.contains(src)
        && r.dst.contains(dst)
        && r.dports.as_ref().is_none_or(|p| p.contains(&dport))
        && (!n.established || smb_seen(f) || !f.rpc.is_empty())
        && (n.interfaces.is_empty()
            || f.rpc
                .interfaces
                .iter()
                .any(|i| n.interfaces.contains(&i.uuid)))
        && (!n.smb1_from_server || f.smb.smb1_used)
        && (n.shares.is_empty()
            || f.smb
                .shares
                .iter()
                .any(|v| n.shares.iter().all(|c| c.holds(v))))
        && (n.pipes.is_empty()
            || f.smb
                .pipes
                .iter()
                .any(|v| n.pipes.iter().all(|c| c.holds(v))))
        && (!n.needs_smb3_bit || f.smb.dialect.is_some_and(|d| d.is_smb3()))
        && (!n.cleartext_tree || cleartext_tree_connect(f))
}
