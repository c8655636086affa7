//! iptables-save / ip6tables-save files.
//!
//! smbguard's rules live in chains of its own (`SMBGUARD-IN`, `SMBGUARD-OUT`,
//! `SMBGUARD-FWD`) in the `filter` table. Loaded with
//! `iptables-restore --noflush FILE`, a file replaces exactly those chains:
//! `--noflush` keeps every other chain and rule, and each `:SMBGUARD-… - [0:0]`
//! line creates the chain or, when it exists, flushes it before the rules
//! that follow refill it, in one commit. The jumps from `INPUT`, `OUTPUT` and
//! `FORWARD` are installed once with an idempotent command given in the
//! header (a restore file cannot test whether a rule already exists, so
//! putting the jump in it would add a duplicate on every load).

use std::fmt::Write as _;

use smbguard_model::{AddrSet, Profile, Proto};
use smbguard_semantics::{Acl, AclAction, AclEntry};

use crate::artifact::{EmitContext, EmitError, Sink};
use crate::linux::{Family, HostAcls, host_acls};
use crate::non_windows::{artifact, clean, comment_header, entry_label};
use crate::target::Target;

/// smbguard's chain for inbound connections.
pub const CHAIN_IN: &str = "SMBGUARD-IN";
/// smbguard's chain for outbound connections.
pub const CHAIN_OUT: &str = "SMBGUARD-OUT";
/// smbguard's chain for forwarded connections (perimeter).
pub const CHAIN_FWD: &str = "SMBGUARD-FWD";

/// A string safe inside `--comment "..."` (at most 256 bytes; no quotes or
/// backslashes, which iptables-restore would interpret; no control characters).
pub fn ipt_comment(s: &str) -> String {
    let s = clean(s).replace('"', "'").replace('\\', "/");
    if s.len() <= 250 {
        return s;
    }
    let mut cut = 247;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}...", &s[..cut])
}

/// One address condition: a CIDR (`-s`/`-d`) or an `iprange` range.
enum AddrCond {
    Cidr(String),
    Range(String),
}

fn addr_conds(set: &AddrSet, fam: Family) -> Vec<Option<AddrCond>> {
    if fam.full_in(set) {
        return vec![None];
    }
    set.to_ranges()
        .into_iter()
        .map(|r| {
            let one = AddrSet::range(r.0, r.1).unwrap_or_default().to_cidrs();
            Some(match one.as_slice() {
                [net] => AddrCond::Cidr(net.to_string()),
                _ => AddrCond::Range(format!("{}-{}", r.0, r.1)),
            })
        })
        .collect()
}

fn l4_conds(e: &AclEntry) -> Vec<String> {
    let protos = match e.protocol {
        Some(p) => vec![p],
        None if e.destination_ports.is_full() => return vec![String::new()],
        None => vec![Proto::Tcp, Proto::Udp],
    };
    let mut out = Vec::new();
    for p in protos {
        if e.destination_ports.is_full() {
            out.push(format!("-p {p}"));
            continue;
        }
        for &(a, b) in e.destination_ports.intervals() {
            let ports = if a == b {
                a.to_string()
            } else {
                format!("{a}:{b}")
            };
            out.push(format!("-p {p} -m {p} --dport {ports}"));
        }
    }
    out
}

fn target(a: AclAction) -> &'static str {
    match a {
        AclAction::Permit => "ACCEPT",
        AclAction::Deny => "DROP",
    }
}

/// The `-A` lines of one entry in one family.
fn rules(chain: &str, e: &AclEntry, fam: Family) -> Vec<String> {
    let (s, d) = (fam.part(&e.source), fam.part(&e.destination));
    if s.is_empty() || d.is_empty() {
        return Vec::new();
    }
    let comment = ipt_comment(&entry_label(e));
    let mut out = Vec::new();
    for src in addr_conds(&s, fam) {
        for dst in addr_conds(&d, fam) {
            for l4 in l4_conds(e) {
                let mut line = format!("-A {chain}");
                let mut ranges = Vec::new();
                match &src {
                    Some(AddrCond::Cidr(c)) => {
                        let _ = write!(line, " -s {c}");
                    }
                    Some(AddrCond::Range(r)) => ranges.push(format!("--src-range {r}")),
                    None => {}
                }
                match &dst {
                    Some(AddrCond::Cidr(c)) => {
                        let _ = write!(line, " -d {c}");
                    }
                    Some(AddrCond::Range(r)) => ranges.push(format!("--dst-range {r}")),
                    None => {}
                }
                if !l4.is_empty() {
                    let _ = write!(line, " {l4}");
                }
                if !ranges.is_empty() {
                    let _ = write!(line, " -m iprange {}", ranges.join(" "));
                }
                let _ = write!(
                    line,
                    " -m comment --comment \"{comment}\" -j {}",
                    target(e.action)
                );
                out.push(line);
            }
        }
    }
    out
}

fn render(
    cx: &EmitContext<'_>,
    group: Option<&str>,
    fam: Family,
    extra: &[String],
    chains: &[(&str, &str, &Acl)],
) -> String {
    let tool = match fam {
        Family::V4 => "iptables",
        Family::V6 => "ip6tables",
    };
    let mut lines: Vec<String> = extra.to_vec();
    lines.push(format!(
        "{} rules in {tool}-save format. Install with `{tool}-restore --noflush FILE`:",
        match fam {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    ));
    lines.push(
        "--noflush keeps every other chain; each `:SMBGUARD-... - [0:0]` line creates smbguard's chain or flushes it,"
            .to_string(),
    );
    lines.push(
        "and the rules below refill it in one commit, so only smbguard's chains are replaced. Check with `--test`."
            .to_string(),
    );
    lines.push(
        "Hook the chains in once (idempotent; a restore file cannot test for an existing rule):"
            .to_string(),
    );
    for (name, builtin, _) in chains {
        lines.push(format!(
            "  {tool} -C {builtin} -j {name} 2>/dev/null || {tool} -I {builtin} 1 -j {name}"
        ));
    }
    let mut out = comment_header(cx, Target::Iptables, group, "# ", &lines);
    out.push_str("*filter\n");
    for (name, _, _) in chains {
        let _ = writeln!(out, ":{name} - [0:0]");
    }
    for (name, _, acl) in chains {
        let _ = writeln!(
            out,
            "-A {name} -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment \"replies to connections already judged\" -j ACCEPT"
        );
        for e in &acl.entries {
            for line in rules(name, e, fam) {
                out.push_str(&line);
                out.push('\n');
            }
        }
        if acl.default == AclAction::Deny {
            let _ = writeln!(
                out,
                "-A {name} -m comment --comment \"default: drop\" -j DROP"
            );
        }
    }
    out.push_str("COMMIT\n");
    out
}

fn host_extra(acls: &HostAcls) -> Vec<String> {
    let mut extra = Vec::new();
    match acls.profile {
        Some(p) => extra.push(format!(
            "Profile: {p}. First-match equivalent of the group's Windows Defender Firewall policy in the {p} profile, without IPsec."
        )),
        None => extra.push("Linux host policy: first-match input and output chains.".to_string()),
    }
    extra.extend(acls.notes.iter().map(|n| format!("NOTE: {n}")));
    extra
}

/// The iptables-save (`Family::V4`) or ip6tables-save file of a group's ACLs.
fn host_file(cx: &EmitContext<'_>, acls: &HostAcls, v6: bool) -> String {
    let fam = if v6 { Family::V6 } else { Family::V4 };
    render(
        cx,
        Some(&acls.group),
        fam,
        &host_extra(acls),
        &[
            (CHAIN_IN, "INPUT", &acls.input),
            (CHAIN_OUT, "OUTPUT", &acls.output),
        ],
    )
}

/// The iptables-save (IPv4) and ip6tables-save (IPv6) files of group `group`;
/// Windows groups encoded for `profile`.
pub fn host_rules(
    cx: &EmitContext<'_>,
    group: usize,
    profile: Profile,
) -> Result<(String, String), EmitError> {
    let acls = host_acls(cx, Target::Iptables, group, profile)?;
    Ok((host_file(cx, &acls, false), host_file(cx, &acls, true)))
}

/// The perimeter's iptables-save (IPv4) and ip6tables-save (IPv6) files.
pub fn perimeter_rules(cx: &EmitContext<'_>) -> (String, String) {
    let extra =
        vec!["Perimeter (K1, K2): a FORWARD chain for a Linux router at the edge.".to_string()];
    let chains = [(CHAIN_FWD, "FORWARD", &cx.plan.perimeter)];
    (
        render(cx, None, Family::V4, &extra, &chains),
        render(cx, None, Family::V6, &extra, &chains),
    )
}

pub(crate) fn artifacts(cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
    // One pass over every group's stem (per-group lookups made emit quadratic).
    let stems = crate::naming::group_stems(cx);
    for (i, h) in cx.plan.hosts.iter().enumerate() {
        let (v4, v6) = host_rules(cx, i, Profile::Domain)?;
        let stem = &stems[i];
        let g = clean(&h.group);
        sink(artifact(
            Target::Iptables,
            format!("iptables/{stem}.rules.v4"),
            Some(&h.group),
            format!("IPv4 rules for `{g}`; `iptables-restore --noflush`"),
            v4,
        ))?;
        sink(artifact(
            Target::Iptables,
            format!("iptables/{stem}.rules.v6"),
            Some(&h.group),
            format!("IPv6 rules for `{g}`; `ip6tables-restore --noflush`"),
            v6,
        ))?;
    }
    let (v4, v6) = perimeter_rules(cx);
    sink(artifact(
        Target::Iptables,
        "iptables/perimeter.rules.v4".to_string(),
        None,
        "IPv4 perimeter FORWARD rules; `iptables-restore --noflush`".to_string(),
        v4,
    ))?;
    sink(artifact(
        Target::Iptables,
        "iptables/perimeter.rules.v6".to_string(),
        None,
        "IPv6 perimeter FORWARD rules; `ip6tables-restore --noflush`".to_string(),
        v6,
    ))
}
