//! iptables-save / ip6tables-save text → one ACL per chain of the `filter`
//! table.
//!
//! Understood: chain declarations and policies; `-A` and `-I`; `-s`/`-d`
//! (addresses, CIDRs, dotted masks, comma lists, `!`); `-p`; `-m tcp`/`udp`
//! `--dport`; `-m multiport --dports`; `-m iprange --src-range/--dst-range`;
//! `-m conntrack --ctstate` and `-m state --state`; `-m comment`; targets
//! `ACCEPT`, `DROP`, `REJECT`, `RETURN`, user chains (`-j`, `-g`) and
//! non-terminating targets (`LOG`, `MARK`, ...). Everything else is a
//! [`Finding`] and read conservatively (see the [module documentation](super)).

use std::net::IpAddr;

use smbguard_model::{AddrSet, PortSet, parse_addr_spec};
use smbguard_semantics::AclAction;

use crate::linux::chains::{Cond, RawChain, RawRule, Verdict, table_acls};
use crate::linux::{IpFamily, LinuxRead, any_v6};
use crate::{Finding, FindingCode};

/// Targets that do not end evaluation.
const NON_TERMINATING: [&str; 14] = [
    "LOG", "NFLOG", "ULOG", "MARK", "CONNMARK", "CT", "NOTRACK", "TRACE", "AUDIT", "TCPMSS",
    "DSCP", "TOS", "CLASSIFY", "SET",
];

/// Reads iptables-save (`IpFamily::V4`) or ip6tables-save (`IpFamily::V6`)
/// text. Never fails: what cannot be read becomes a finding.
pub fn read_iptables_save(text: &str, family: IpFamily) -> LinuxRead {
    let mut p = Parser {
        family,
        table: None,
        chains: Vec::new(),
        findings: Vec::new(),
        other_tables: Vec::new(),
    };
    for (n, raw) in text.lines().enumerate() {
        p.line(n + 1, raw);
    }
    let fam = match family {
        IpFamily::V4 => "ipv4",
        IpFamily::V6 => "ipv6",
    };
    let mut findings = std::mem::take(&mut p.findings);
    let chains = table_acls(fam, "filter", &p.chains, &mut findings);
    LinuxRead { chains, findings }
}

struct Parser {
    family: IpFamily,
    /// The table being read.
    table: Option<String>,
    /// Chains of the filter table.
    chains: Vec<RawChain>,
    findings: Vec<Finding>,
    /// Tables other than filter already reported.
    other_tables: Vec<String>,
}

fn hook_of(chain: &str) -> Option<String> {
    match chain {
        "INPUT" => Some("input".into()),
        "OUTPUT" => Some("output".into()),
        "FORWARD" => Some("forward".into()),
        _ => None,
    }
}

/// Splits a line into words, honouring double quotes (with `\"` and `\\`)
/// and single quotes.
fn words(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut have = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                have = true;
                loop {
                    match chars.next() {
                        Some('\\') => match chars.next() {
                            Some(e) => cur.push(e),
                            None => return Err("unterminated quote".into()),
                        },
                        Some('"') => break,
                        Some(x) => cur.push(x),
                        None => return Err("unterminated quote".into()),
                    }
                }
            }
            '\'' => {
                have = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => cur.push(x),
                        None => return Err("unterminated quote".into()),
                    }
                }
            }
            c if c.is_whitespace() => {
                if have {
                    out.push(std::mem::take(&mut cur));
                    have = false;
                }
            }
            c => {
                have = true;
                cur.push(c);
            }
        }
    }
    if have {
        out.push(cur);
    }
    Ok(out)
}

impl Parser {
    fn note(&mut self, code: FindingCode, location: String, message: impl Into<String>) {
        self.findings.push(Finding::new(code, location, message));
    }

    fn chain_mut(&mut self, name: &str) -> &mut RawChain {
        if let Some(i) = self.chains.iter().position(|c| c.name == name) {
            return &mut self.chains[i];
        }
        self.chains.push(RawChain {
            name: name.to_string(),
            hook: hook_of(name),
            policy: AclAction::Permit,
            priority: 0,
            rules: Vec::new(),
        });
        let last = self.chains.len() - 1;
        &mut self.chains[last]
    }

    fn line(&mut self, n: usize, raw: &str) {
        let line = raw.trim();
        let loc = format!("line {n}");
        if line.is_empty() || line.starts_with('#') {
            return;
        }
        if let Some(t) = line.strip_prefix('*') {
            self.table = Some(t.trim().to_string());
            return;
        }
        if line == "COMMIT" {
            self.table = None;
            return;
        }
        let filter = self.table.as_deref() == Some("filter");
        if let Some(decl) = line.strip_prefix(':') {
            if !filter {
                return;
            }
            let mut it = decl.split_whitespace();
            let name = it.next().unwrap_or_default().to_string();
            let policy = it.next().unwrap_or("-");
            let c = self.chain_mut(&name);
            c.policy = if policy == "DROP" {
                AclAction::Deny
            } else {
                AclAction::Permit
            };
            return;
        }
        let mut w = match words(line) {
            Ok(w) => w,
            Err(e) => {
                return self.note(
                    FindingCode::UnreadableInput,
                    loc,
                    format!("{e}; line ignored"),
                );
            }
        };
        // `iptables-save -c` prefixes rules with `[packets:bytes]`.
        if w.first().is_some_and(|x| x.starts_with('[')) {
            w.remove(0);
        }
        if !filter {
            let table = self.table.clone().unwrap_or_else(|| "?".into());
            let drops = w.iter().any(|x| x == "DROP" || x == "REJECT" || x == "-P");
            if table != "nat" && drops && !self.other_tables.contains(&table) {
                self.other_tables.push(table.clone());
                self.note(
                    FindingCode::OutOfScope,
                    loc,
                    format!(
                        "table `{table}` has rules that can drop traffic; only `filter` is modelled"
                    ),
                );
            }
            return;
        }
        match w.first().map(String::as_str) {
            Some("-A" | "--append") if w.len() >= 2 => {
                let chain = w[1].clone();
                let rule = self.rule(&chain, &w[2..], &loc);
                self.chain_mut(&chain).rules.push(rule);
            }
            Some("-I" | "--insert") if w.len() >= 2 => {
                let chain = w[1].clone();
                let (pos, rest) = match w.get(2).and_then(|x| x.parse::<usize>().ok()) {
                    Some(p) => (p.saturating_sub(1), &w[3..]),
                    None => (0, &w[2..]),
                };
                let rule = self.rule(&chain, rest, &loc);
                let c = self.chain_mut(&chain);
                let pos = pos.min(c.rules.len());
                c.rules.insert(pos, rule);
            }
            Some("-N" | "--new-chain") if w.len() >= 2 => {
                let name = w[1].clone();
                self.chain_mut(&name);
            }
            Some("-P" | "--policy") if w.len() >= 3 => {
                let (name, policy) = (w[1].clone(), w[2].clone());
                self.chain_mut(&name).policy = if policy == "DROP" {
                    AclAction::Deny
                } else {
                    AclAction::Permit
                };
            }
            Some("-F" | "--flush") => match w.get(1) {
                Some(name) => {
                    let name = name.clone();
                    self.chain_mut(&name).rules.clear();
                }
                None => self.chains.iter_mut().for_each(|c| c.rules.clear()),
            },
            _ => self.note(
                FindingCode::UnreadableInput,
                loc,
                format!("`{}` not understood; line ignored", short(line)),
            ),
        }
    }

    fn family_any(&self) -> AddrSet {
        match self.family {
            IpFamily::V4 => AddrSet::any_v4(),
            IpFamily::V6 => any_v6(),
        }
    }

    /// Parses one address list (`a,b/len,c/mask`) of this family.
    fn addresses(&self, v: &str) -> Option<AddrSet> {
        let mut set = AddrSet::empty();
        for part in v.split(',') {
            let s = match part.split_once('/') {
                Some((a, m)) if m.contains('.') || m.contains(':') => {
                    let mask: IpAddr = m.parse().ok()?;
                    let bits = match mask {
                        IpAddr::V4(x) => u128::from(u32::from(x)) << 96,
                        IpAddr::V6(x) => u128::from(x),
                    };
                    let len = bits.leading_ones();
                    if bits.checked_shl(len).unwrap_or(0) != 0 {
                        return None; // not a contiguous mask
                    }
                    let len = if mask.is_ipv4() { len.min(32) } else { len };
                    parse_addr_spec(&format!("{a}/{len}")).ok()?
                }
                _ => parse_addr_spec(part).ok()?,
            };
            set = set.union(&s);
        }
        let fam = self.family_any();
        if !set.is_subset(&fam) {
            return None;
        }
        Some(set)
    }

    fn rule(&mut self, chain: &str, w: &[String], loc: &str) -> RawRule {
        let location = format!("{loc} ({chain})");
        let mut cond = Cond::any();
        cond.source(&self.family_any());
        let mut verdict = Verdict::Continue;
        let mut name = None;
        let mut findings: Vec<String> = Vec::new();
        let mut unknown = |cond: &mut Cond, what: String| {
            cond.unknown = true;
            findings.push(what);
        };
        let mut i = 0;
        let mut negate = false;
        let arg = |i: usize| w.get(i + 1).map(String::as_str);
        while i < w.len() {
            let opt = w[i].as_str();
            if opt == "!" {
                negate = true;
                i += 1;
                continue;
            }
            // Old syntax: `--dport ! 445`.
            let mut value = arg(i);
            let mut step = 2;
            if value == Some("!") {
                negate = !negate;
                value = w.get(i + 2).map(String::as_str);
                step = 3;
            }
            match opt {
                "-s" | "--source" | "--src" | "-d" | "--destination" | "--dst" => {
                    let Some(set) = value.and_then(|v| self.addresses(v)) else {
                        unknown(&mut cond, format!("address `{}`", value.unwrap_or("")));
                        i += step;
                        negate = false;
                        continue;
                    };
                    let set = if negate {
                        self.family_any().difference(&set)
                    } else {
                        set
                    };
                    if opt.starts_with("-s") || opt.starts_with("--s") {
                        cond.source(&set);
                    } else {
                        cond.destination(&set);
                    }
                }
                "-p" | "--protocol" => {
                    let v = value.unwrap_or("").to_ascii_lowercase();
                    let (tcp, udp) = match v.as_str() {
                        "tcp" | "6" => (true, false),
                        "udp" | "17" => (false, true),
                        "all" | "0" => (true, true),
                        _ => (false, false),
                    };
                    if negate {
                        cond.protocols(!tcp, !udp);
                    } else {
                        cond.protocols(tcp, udp);
                    }
                }
                "-m" | "--match" => {
                    // Module options are read as they come.
                    step = 2;
                }
                "--dport" | "--destination-port" | "--dports" | "--destination-ports" => {
                    match value.and_then(ports) {
                        Some(p) => {
                            let p = if negate { p.complement() } else { p };
                            cond.ports(&p);
                        }
                        None => unknown(&mut cond, format!("ports `{}`", value.unwrap_or(""))),
                    }
                }
                "--src-range" | "--dst-range" => {
                    let set = value.and_then(|v| {
                        let (a, b) = v.split_once('-')?;
                        let set = AddrSet::range(a.parse().ok()?, b.parse().ok()?)?;
                        set.is_subset(&self.family_any()).then_some(set)
                    });
                    match set {
                        Some(set) => {
                            let set = if negate {
                                self.family_any().difference(&set)
                            } else {
                                set
                            };
                            if opt == "--src-range" {
                                cond.source(&set);
                            } else {
                                cond.destination(&set);
                            }
                        }
                        None => unknown(&mut cond, format!("range `{}`", value.unwrap_or(""))),
                    }
                }
                "--ctstate" | "--state" => {
                    let states = value.unwrap_or("").to_ascii_uppercase();
                    let new = states.split(',').any(|s| s == "NEW");
                    if new == negate {
                        cond.never();
                    }
                }
                "--comment" => name = value.map(str::to_string),
                "--syn" => {
                    step = 1;
                    if negate {
                        cond.never();
                    }
                }
                "-j" | "--jump" | "-g" | "--goto" => {
                    let t = value.unwrap_or("").to_string();
                    verdict = match t.as_str() {
                        "ACCEPT" => Verdict::Accept,
                        "DROP" | "REJECT" => Verdict::Drop,
                        "RETURN" => Verdict::Return,
                        x if NON_TERMINATING.contains(&x) => Verdict::Continue,
                        x if x.chars().any(|c| c.is_ascii_lowercase())
                            || self.chains.iter().any(|c| c.name == x) =>
                        {
                            if opt.starts_with("-g") || opt == "--goto" {
                                Verdict::Goto(t)
                            } else {
                                Verdict::Jump(t)
                            }
                        }
                        x => Verdict::Unknown(x.to_string()),
                    };
                    // Target options (`--reject-with ...`, `--log-prefix ...`) follow.
                    i += step;
                    while i < w.len() && w[i] != "-m" {
                        i += 1;
                    }
                    negate = false;
                    continue;
                }
                "-4" => {
                    step = 1;
                    if self.family == IpFamily::V6 {
                        cond.never();
                    }
                }
                "-6" => {
                    step = 1;
                    if self.family == IpFamily::V4 {
                        cond.never();
                    }
                }
                "-f" | "--fragment" => {
                    step = 1;
                    unknown(&mut cond, "fragment match".into());
                }
                other if other.starts_with('-') => {
                    // An option we do not model, with its arguments.
                    unknown(&mut cond, format!("option `{other}`"));
                    i += 1;
                    while i < w.len() && !w[i].starts_with('-') && w[i] != "!" {
                        i += 1;
                    }
                    negate = false;
                    continue;
                }
                other => {
                    step = 1;
                    unknown(&mut cond, format!("stray word `{other}`"));
                }
            }
            negate = false;
            i += step;
        }
        for what in findings {
            self.note(
                FindingCode::Widened,
                location.clone(),
                format!("{what}: not modelled; read with the widest meaning (accept kept, drop left out)"),
            );
        }
        RawRule {
            cond,
            verdict,
            name: name.unwrap_or_else(|| format!("{chain} {loc}")),
            location,
        }
    }
}

/// `445`, `137:139`, `137,138,445:446`.
fn ports(v: &str) -> Option<PortSet> {
    let mut set = PortSet::empty();
    for part in v.split(',') {
        let p = match part.split_once(':') {
            Some((a, b)) => {
                let lo = if a.is_empty() { 0 } else { a.parse().ok()? };
                let hi = if b.is_empty() {
                    u16::MAX
                } else {
                    b.parse().ok()?
                };
                PortSet::range(lo, hi)
            }
            None => PortSet::single(part.parse().ok()?),
        };
        set = set.union(&p);
    }
    Some(set)
}

fn short(s: &str) -> String {
    if s.chars().count() > 80 {
        let t: String = s.chars().take(77).collect();
        format!("{t}...")
    } else {
        s.to_string()
    }
}
