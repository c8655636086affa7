//! `nft -j list ruleset` (or `list table`) JSON → one ACL per chain.
//!
//! Understood: tables of family `inet`, `ip` and `ip6`; base-chain policies;
//! `ip`/`ip6` `saddr`/`daddr` against addresses, prefixes, ranges, anonymous
//! and named sets (`==`, `!=`); `ip protocol`, `ip6 nexthdr`,
//! `meta l4proto`, `meta nfproto`; `tcp`/`udp`/`th` `dport` (values, ranges,
//! sets, comparisons); `ct state`; verdicts `accept`, `drop`, `reject`,
//! `jump`, `goto`, `return`, `continue`; non-filtering statements (counter,
//! log, ...). Everything else is a [`Finding`] and read conservatively (see
//! the [module documentation](super)).

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::Value;
use smbguard_model::{AddrSet, PortSet, Proto, parse_addr_spec};
use smbguard_semantics::AclAction;

use crate::linux::chains::{Cond, RawChain, RawRule, Verdict, table_acls};
use crate::linux::{LinuxRead, any_v6};
use crate::{Finding, FindingCode};

/// A table selector: family and name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NftTable {
    /// `inet`, `ip`, `ip6`, ...
    pub family: String,
    /// Table name.
    pub name: String,
}

impl NftTable {
    /// `inet smbguard`, the table smbguard owns.
    pub fn smbguard() -> Self {
        NftTable {
            family: "inet".into(),
            name: "smbguard".into(),
        }
    }
}

/// Reads `nft -j list ruleset` output. With `table`, only that table is
/// read; with `None`, every table of family `inet`, `ip` or `ip6`. Never
/// fails: malformed input yields findings and whatever could be read.
pub fn read_nft_json(text: &str, table: Option<&NftTable>) -> LinuxRead {
    let mut out = LinuxRead::default();
    let doc: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            out.findings.push(Finding::new(
                FindingCode::UnreadableInput,
                "input",
                format!("not JSON ({e}); nothing read"),
            ));
            return out;
        }
    };
    let Some(items) = doc.get("nftables").and_then(Value::as_array) else {
        out.findings.push(Finding::new(
            FindingCode::UnreadableInput,
            "input",
            "no top-level `nftables` array (expected `nft -j list ruleset` output); nothing read",
        ));
        return out;
    };
    let mut r = Reader {
        tables: BTreeMap::new(),
        findings: Vec::new(),
    };
    // Tables and chains first (the JSON lists them before their rules, but
    // do not rely on it), then sets, then rules.
    for item in items {
        if let Some(c) = item.get("chain") {
            r.chain(c, table);
        }
    }
    for item in items {
        if let Some(s) = item.get("set") {
            r.set(s, table);
        }
    }
    for (i, item) in items.iter().enumerate() {
        if let Some(rule) = item.get("rule") {
            r.rule(rule, i, table);
        }
    }
    let mut findings = r.findings;
    for ((family, tname), t) in &r.tables {
        let acls = table_acls(family, tname, &t.chains, &mut findings);
        out.chains.extend(acls);
    }
    out.findings.extend(findings);
    out
}

#[derive(Default)]
struct Table {
    chains: Vec<RawChain>,
    sets: BTreeMap<String, Vec<Value>>,
}

struct Reader {
    tables: BTreeMap<(String, String), Table>,
    findings: Vec<Finding>,
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn wanted(family: &str, name: &str, table: Option<&NftTable>) -> bool {
    match table {
        Some(t) => t.family == family && t.name == name,
        None => true,
    }
}

impl Reader {
    fn note(&mut self, code: FindingCode, location: &str, message: impl Into<String>) {
        self.findings.push(Finding::new(code, location, message));
    }

    fn chain(&mut self, c: &Value, table: Option<&NftTable>) {
        let (family, tname, name) = (str_of(c, "family"), str_of(c, "table"), str_of(c, "name"));
        if !wanted(family, tname, table) {
            return;
        }
        if !matches!(family, "inet" | "ip" | "ip6") {
            self.note(
                FindingCode::OutOfScope,
                &format!("{family} {tname} {name}"),
                format!("chain of family `{family}` is not read (only inet, ip and ip6)"),
            );
            return;
        }
        let hook = c.get("hook").and_then(Value::as_str).map(str::to_string);
        let policy = match c.get("policy").and_then(Value::as_str) {
            Some("drop") => AclAction::Deny,
            _ => AclAction::Permit,
        };
        if let Some(t) = c.get("type").and_then(Value::as_str) {
            if t != "filter" {
                self.note(
                    FindingCode::DefaultAssumed,
                    &format!("{family} {tname} {name}"),
                    format!("base chain of type `{t}` read as a filter chain"),
                );
            }
        }
        let t = self
            .tables
            .entry((family.to_string(), tname.to_string()))
            .or_default();
        if t.chains.iter().any(|x| x.name == name) {
            return;
        }
        t.chains.push(RawChain {
            name: name.to_string(),
            hook,
            policy,
            priority: c.get("prio").and_then(Value::as_i64).unwrap_or(0),
            rules: Vec::new(),
        });
    }

    fn set(&mut self, s: &Value, table: Option<&NftTable>) {
        let (family, tname, name) = (str_of(s, "family"), str_of(s, "table"), str_of(s, "name"));
        if !wanted(family, tname, table) {
            return;
        }
        let elems = s
            .get("elem")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        self.tables
            .entry((family.to_string(), tname.to_string()))
            .or_default()
            .sets
            .insert(name.to_string(), elems);
    }

    fn rule(&mut self, rule: &Value, index: usize, table: Option<&NftTable>) {
        let (family, tname, chain) = (
            str_of(rule, "family"),
            str_of(rule, "table"),
            str_of(rule, "chain"),
        );
        if !wanted(family, tname, table) || !matches!(family, "inet" | "ip" | "ip6") {
            return;
        }
        let handle = rule
            .get("handle")
            .and_then(Value::as_u64)
            .map_or(format!("#{index}"), |h| format!("handle {h}"));
        let location = format!("{family} {tname} {chain} {handle}");
        let key = (family.to_string(), tname.to_string());
        let sets = self
            .tables
            .get(&key)
            .map(|t| t.sets.clone())
            .unwrap_or_default();
        let mut cond = Cond::any();
        match family {
            "ip" => cond.source(&AddrSet::any_v4()),
            "ip6" => cond.source(&any_v6()),
            _ => {}
        }
        let mut lower = Lower {
            cond,
            verdict: Verdict::Continue,
            location: location.clone(),
            sets: &sets,
            findings: Vec::new(),
        };
        match rule.get("expr").and_then(Value::as_array) {
            Some(exprs) => {
                for e in exprs {
                    if lower.verdict != Verdict::Continue {
                        lower.unknown("statements after the verdict are ignored");
                        break;
                    }
                    lower.statement(e);
                }
            }
            None => lower.unknown("rule without `expr`"),
        }
        // Without a comment, the rule is named by where it is: table, chain
        // and handle are what `nft delete rule` needs.
        let name = rule
            .get("comment")
            .and_then(Value::as_str)
            .map_or_else(|| location.clone(), str::to_string);
        let Lower {
            cond,
            verdict,
            findings,
            ..
        } = lower;
        self.findings.extend(findings);
        let t = self.tables.entry(key).or_default();
        let Some(c) = t.chains.iter_mut().find(|c| c.name == chain) else {
            self.note(
                FindingCode::BrokenReference,
                &location,
                "rule of an undeclared chain; ignored",
            );
            return;
        };
        c.rules.push(RawRule {
            cond,
            verdict,
            name,
            location,
        });
    }
}

struct Lower<'a> {
    cond: Cond,
    verdict: Verdict,
    location: String,
    sets: &'a BTreeMap<String, Vec<Value>>,
    findings: Vec<Finding>,
}

/// Statements that neither filter nor decide.
const NEUTRAL: [&str; 7] = ["counter", "log", "mangle", "notrack", "dup", "flow", "set"];

impl Lower<'_> {
    fn unknown(&mut self, what: &str) {
        self.cond.unknown = true;
        self.findings.push(Finding::new(
            FindingCode::Widened,
            &self.location,
            format!(
                "{what}: not modelled; read with the widest meaning (accept kept, drop left out)"
            ),
        ));
    }

    fn statement(&mut self, e: &Value) {
        let Some(obj) = e.as_object() else {
            return self.unknown("statement that is not an object");
        };
        let Some((key, body)) = obj.iter().next() else {
            return self.unknown("empty statement");
        };
        match key.as_str() {
            "match" => self.matches(body),
            "accept" => self.verdict = Verdict::Accept,
            "drop" | "reject" => self.verdict = Verdict::Drop,
            "return" => self.verdict = Verdict::Return,
            "continue" => {}
            "jump" | "goto" => {
                let target = body
                    .get("target")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                self.verdict = if key == "jump" {
                    Verdict::Jump(target)
                } else {
                    Verdict::Goto(target)
                };
            }
            "queue" => self.verdict = Verdict::Unknown("queue".into()),
            k if NEUTRAL.contains(&k) => {}
            k => self.unknown(&format!("statement `{k}`")),
        }
    }

    fn matches(&mut self, m: &Value) {
        let op = m.get("op").and_then(Value::as_str).unwrap_or("==");
        let left = m.get("left").unwrap_or(&Value::Null);
        let right = m.get("right").unwrap_or(&Value::Null);
        let negate = match op {
            "==" | "in" => false,
            "!=" => true,
            "<" | ">" | "<=" | ">=" => {
                return self.compare(op, left, right);
            }
            other => return self.unknown(&format!("match operator `{other}`")),
        };
        if let Some(p) = left.get("payload") {
            let proto = str_of(p, "protocol");
            let field = str_of(p, "field");
            return self.payload(proto, field, right, negate);
        }
        if let Some(meta) = left.get("meta") {
            return match str_of(meta, "key") {
                "l4proto" => self.l4proto(right, negate),
                "nfproto" => self.nfproto(right, negate),
                k => self.unknown(&format!("meta {k}")),
            };
        }
        if let Some(ct) = left.get("ct") {
            return match str_of(ct, "key") {
                "state" => self.ct_state(right, negate),
                k => self.unknown(&format!("ct {k}")),
            };
        }
        self.unknown(&format!("match on {}", short(left)))
    }

    fn payload(&mut self, proto: &str, field: &str, right: &Value, negate: bool) {
        match (proto, field) {
            ("ip" | "ip6", "saddr" | "daddr") => {
                let v6 = proto == "ip6";
                let family = if v6 { any_v6() } else { AddrSet::any_v4() };
                let Some(set) = self.addresses(right) else {
                    return self.unknown(&format!("{proto} {field} value {}", short(right)));
                };
                let set = if negate {
                    family.difference(&set)
                } else {
                    family.intersection(&set)
                };
                if field == "saddr" {
                    self.cond.source(&set);
                } else {
                    self.cond.destination(&set);
                }
            }
            ("ip", "protocol") | ("ip6", "nexthdr") => {
                let family = if proto == "ip6" {
                    any_v6()
                } else {
                    AddrSet::any_v4()
                };
                self.cond.source(&family);
                self.l4proto(right, negate);
            }
            ("tcp" | "udp" | "th", "dport") => {
                match proto {
                    "tcp" => self.cond.proto(Proto::Tcp),
                    "udp" => self.cond.proto(Proto::Udp),
                    _ => {}
                }
                let Some(ports) = self.ports(right) else {
                    return self.unknown(&format!("{proto} dport value {}", short(right)));
                };
                let ports = if negate { ports.complement() } else { ports };
                self.cond.ports(&ports);
            }
            ("tcp" | "udp" | "th", f) => {
                if proto != "th" {
                    self.cond.proto(if proto == "tcp" {
                        Proto::Tcp
                    } else {
                        Proto::Udp
                    });
                }
                self.unknown(&format!("{proto} {f}"));
            }
            // Another layer-4 protocol (icmp, sctp, ...): never a TCP or UDP connection.
            ("icmp" | "icmpv6" | "sctp" | "dccp" | "esp" | "ah" | "igmp" | "udplite", _) => {
                self.cond.never()
            }
            (p, f) => self.unknown(&format!("{p} {f}")),
        }
    }

    fn compare(&mut self, op: &str, left: &Value, right: &Value) {
        let Some(p) = left.get("payload") else {
            return self.unknown(&format!("comparison `{op}` on {}", short(left)));
        };
        let (proto, field) = (str_of(p, "protocol"), str_of(p, "field"));
        let Some(v) = right.as_u64().and_then(|v| u16::try_from(v).ok()) else {
            return self.unknown(&format!("comparison `{op}` with {}", short(right)));
        };
        if field != "dport" || !matches!(proto, "tcp" | "udp" | "th") {
            return self.unknown(&format!("comparison `{op}` on {proto} {field}"));
        }
        let range = match op {
            "<" => v.checked_sub(1).map(|hi| (0, hi)),
            "<=" => Some((0, v)),
            ">" => v.checked_add(1).map(|lo| (lo, u16::MAX)),
            _ => Some((v, u16::MAX)),
        };
        match proto {
            "tcp" => self.cond.proto(Proto::Tcp),
            "udp" => self.cond.proto(Proto::Udp),
            _ => {}
        }
        match range {
            Some((lo, hi)) => self.cond.ports(&PortSet::range(lo, hi)),
            None => self.cond.never(),
        }
    }

    fn l4proto(&mut self, right: &Value, negate: bool) {
        let mut tcp = false;
        let mut udp = false;
        let mut ok = true;
        for v in flatten(right, self.sets) {
            match v
                .as_str()
                .map(str::to_string)
                .or_else(|| v.as_u64().map(|n| n.to_string()))
            {
                Some(s) if s == "tcp" || s == "6" => tcp = true,
                Some(s) if s == "udp" || s == "17" => udp = true,
                Some(_) => {}
                None => ok = false,
            }
        }
        if !ok {
            return self.unknown(&format!("protocol value {}", short(right)));
        }
        if negate {
            self.cond.protocols(!tcp, !udp);
        } else {
            self.cond.protocols(tcp, udp);
        }
    }

    fn nfproto(&mut self, right: &Value, negate: bool) {
        let (mut v4, mut v6) = (false, false);
        for v in flatten(right, self.sets) {
            match v.as_str() {
                Some("ipv4") => v4 = true,
                Some("ipv6") => v6 = true,
                _ => return self.unknown(&format!("meta nfproto value {}", short(right))),
            }
        }
        if negate {
            (v4, v6) = (!v4, !v6);
        }
        let mut keep = AddrSet::empty();
        if v4 {
            keep = keep.union(&AddrSet::any_v4());
        }
        if v6 {
            keep = keep.union(&any_v6());
        }
        self.cond.source(&keep);
    }

    /// The IR models new connections: a rule for other states never matches one.
    fn ct_state(&mut self, right: &Value, negate: bool) {
        let mut new = false;
        for v in flatten(right, self.sets) {
            match v.as_str() {
                Some("new") => new = true,
                Some("established" | "related" | "invalid" | "untracked") => {}
                _ => return self.unknown(&format!("ct state value {}", short(right))),
            }
        }
        if new == negate {
            self.cond.never();
        }
    }

    fn addresses(&self, v: &Value) -> Option<AddrSet> {
        let mut set = AddrSet::empty();
        for item in flatten(v, self.sets) {
            set = set.union(&address(&item)?);
        }
        Some(set)
    }

    fn ports(&self, v: &Value) -> Option<PortSet> {
        let mut set = PortSet::empty();
        for item in flatten(v, self.sets) {
            set = set.union(&port(&item)?);
        }
        Some(set)
    }
}

/// The elements of a value: a set's members, a named set's elements (`@name`),
/// a bare list, or the value itself.
fn flatten(v: &Value, sets: &BTreeMap<String, Vec<Value>>) -> Vec<Value> {
    let items: Vec<Value> = if let Some(s) = v.get("set") {
        match s {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        }
    } else if let Value::Array(a) = v {
        a.clone()
    } else if let Some(name) = v.as_str().and_then(|s| s.strip_prefix('@')) {
        match sets.get(name) {
            Some(elems) => elems.clone(),
            // An unknown set: an element nothing can equal.
            None => vec![Value::Null],
        }
    } else {
        vec![v.clone()]
    };
    items
        .into_iter()
        .map(|x| match x.get("elem").and_then(|e| e.get("val")) {
            Some(val) => val.clone(),
            None => x,
        })
        .collect()
}

fn address(v: &Value) -> Option<AddrSet> {
    if let Some(s) = v.as_str() {
        return parse_addr_spec(s).ok();
    }
    if let Some(p) = v.get("prefix") {
        let addr = p.get("addr")?.as_str()?;
        let len = p.get("len")?.as_u64()?;
        return parse_addr_spec(&format!("{addr}/{len}")).ok();
    }
    if let Some(r) = v.get("range").and_then(Value::as_array) {
        let lo: IpAddr = r.first()?.as_str()?.parse().ok()?;
        let hi: IpAddr = r.get(1)?.as_str()?.parse().ok()?;
        return AddrSet::range(lo, hi);
    }
    None
}

fn port_number(v: &Value) -> Option<u16> {
    if let Some(n) = v.as_u64() {
        return u16::try_from(n).ok();
    }
    let s = v.as_str()?;
    if let Ok(n) = s.parse() {
        return Some(n);
    }
    Some(match s {
        "microsoft-ds" => 445,
        "netbios-ssn" => 139,
        "netbios-ns" => 137,
        "netbios-dgm" => 138,
        "https" => 443,
        "http" => 80,
        "ssh" => 22,
        _ => return None,
    })
}

fn port(v: &Value) -> Option<PortSet> {
    if let Some(r) = v.get("range").and_then(Value::as_array) {
        let lo = port_number(r.first()?)?;
        let hi = port_number(r.get(1)?)?;
        return Some(PortSet::range(lo, hi));
    }
    port_number(v).map(PortSet::single)
}

/// A short rendering of a JSON value for findings.
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        let t: String = s.chars().take(77).collect();
        format!("{t}...")
    } else {
        s
    }
}
