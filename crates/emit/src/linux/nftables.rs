//! nftables rulesets: one `table inet smbguard` per file, nothing else.
//!
//! Every file opens with the replace idiom
//!
//! ```text
//! table inet smbguard {}
//! delete table inet smbguard
//! table inet smbguard { ... }
//! ```
//!
//! `nft -f` runs a file as one transaction: the empty declaration creates the
//! table when it does not exist yet (so the delete cannot fail), the delete
//! drops whatever smbguard loaded before, and the full table replaces it.
//! No other table is read or changed. Base chains have policy `accept` and
//! match only the governed transports, so smbguard only ever adds drops for
//! SMB and NetBIOS; other tables keep deciding everything else.

use std::fmt::Write as _;

use smbguard_model::{AddrSet, PortSet, Profile};
use smbguard_semantics::{Acl, AclAction, AclEntry};

use crate::artifact::{EmitContext, EmitError, Sink};
use crate::linux::{Family, HostAcls, host_acls};
use crate::non_windows::{artifact, clean, comment_header, entry_label};
use crate::target::Target;

/// The table smbguard owns (family `inet`).
pub const TABLE: &str = "smbguard";

/// nft refuses comments longer than 128 bytes.
const COMMENT_MAX: usize = 120;

/// A string safe inside `comment "..."`: nft has no escape for `"`, so double
/// quotes become single quotes; control characters are removed; the text is
/// cut (on a character boundary) to nft's length limit.
pub fn nft_comment(s: &str) -> String {
    let s = clean(s).replace('"', "'");
    if s.len() <= COMMENT_MAX {
        return s;
    }
    let mut cut = COMMENT_MAX - 3;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}...", &s[..cut])
}

fn elements(set: &AddrSet) -> String {
    let items: Vec<String> = set.to_ranges().iter().map(ToString::to_string).collect();
    braces(items)
}

fn braces(items: Vec<String>) -> String {
    if items.len() == 1 {
        items.into_iter().next().unwrap_or_default()
    } else {
        format!("{{ {} }}", items.join(", "))
    }
}

fn ports(p: &PortSet) -> String {
    braces(p.port_ranges())
}

/// The match expressions of `e`, one string per nft rule (an entry spanning
/// both families with restricted addresses needs one rule per family).
fn matches(e: &AclEntry) -> Vec<String> {
    let mut l4 = String::new();
    match (e.protocol, e.destination_ports.is_full()) {
        (Some(p), true) => {
            let _ = write!(l4, "meta l4proto {p}");
        }
        (Some(p), false) => {
            let _ = write!(l4, "{p} dport {}", ports(&e.destination_ports));
        }
        (None, false) => {
            let _ = write!(
                l4,
                "meta l4proto {{ tcp, udp }} th dport {}",
                ports(&e.destination_ports)
            );
        }
        (None, true) => {}
    }
    let join = |parts: Vec<String>| -> String {
        parts
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    };
    if e.source.is_any() && e.destination.is_any() {
        return vec![join(vec![l4])];
    }
    let mut out = Vec::new();
    for fam in Family::BOTH {
        let (s, d) = (fam.part(&e.source), fam.part(&e.destination));
        if s.is_empty() || d.is_empty() {
            continue;
        }
        let kw = match fam {
            Family::V4 => "ip",
            Family::V6 => "ip6",
        };
        let mut parts = Vec::new();
        if !fam.full_in(&s) {
            parts.push(format!("{kw} saddr {}", elements(&s)));
        }
        if !fam.full_in(&d) {
            parts.push(format!("{kw} daddr {}", elements(&d)));
        }
        if parts.is_empty() {
            parts.push(format!(
                "meta nfproto {}",
                match fam {
                    Family::V4 => "ipv4",
                    Family::V6 => "ipv6",
                }
            ));
        }
        parts.push(l4.clone());
        out.push(join(parts));
    }
    out
}

fn verdict(a: AclAction) -> &'static str {
    match a {
        AclAction::Permit => "accept",
        AclAction::Deny => "drop",
    }
}

fn chain(out: &mut String, name: &str, hook: &str, acl: &Acl) {
    let _ = writeln!(out, "\tchain {name} {{");
    let _ = writeln!(
        out,
        "\t\ttype filter hook {hook} priority filter; policy {};",
        verdict(acl.default)
    );
    let _ = writeln!(
        out,
        "\t\tct state established,related accept comment \"replies to connections already judged\""
    );
    for e in &acl.entries {
        let _ = writeln!(out, "\t\t# {}: {}", e.kb, clean(&e.name));
        for m in matches(e) {
            let sep = if m.is_empty() { "" } else { " " };
            let _ = writeln!(
                out,
                "\t\t{m}{sep}counter {} comment \"{}\"",
                verdict(e.action),
                nft_comment(&entry_label(e))
            );
        }
    }
    let _ = writeln!(out, "\t}}");
}

fn file(head: String, chains: &[(&str, &str, &Acl)]) -> String {
    let mut out = head;
    out.push_str("#\n");
    out.push_str(
        "# Load with `nft -f FILE` (check first with `nft -c -f FILE`). The file is one\n",
    );
    out.push_str(&format!(
        "# transaction: the empty declaration creates table inet {TABLE} when it is missing, the\n"
    ));
    out.push_str("# delete removes what smbguard loaded before, and the full table replaces it.\n");
    out.push_str("# No other table is touched. Chains accept by default and match only SMB and\n");
    out.push_str("# NetBIOS transports; `ct state` lets replies of judged connections through.\n");
    let _ = writeln!(out, "table inet {TABLE} {{}}");
    let _ = writeln!(out, "delete table inet {TABLE}");
    let _ = writeln!(out, "table inet {TABLE} {{");
    for (i, (name, hook, acl)) in chains.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        chain(&mut out, name, hook, acl);
    }
    out.push_str("}\n");
    out
}

/// Renders a group's [`HostAcls`] as an nftables file with `input` and
/// `output` base chains.
pub(crate) fn render_host(cx: &EmitContext<'_>, acls: &HostAcls) -> String {
    let mut extra = Vec::new();
    match acls.profile {
        Some(p) => {
            extra.push(format!(
                "Profile: {p}. Windows Defender Firewall semantics of this group in the {p} profile, without IPsec, as first match:"
            ));
            extra.push(
                "block rules drop, then allow rules accept, then the profile default per governed transport."
                    .to_string(),
            );
            extra.push(
                "A stand-in for Windows hosts (lab, Linux gateways in front of them), not a replacement for the Windows policy."
                    .to_string(),
            );
        }
        None => extra.push("Linux host policy: first-match input and output chains.".to_string()),
    }
    extra.extend(acls.notes.iter().map(|n| format!("NOTE: {n}")));
    let head = comment_header(cx, Target::Nftables, Some(&acls.group), "# ", &extra);
    file(
        head,
        &[
            ("input", "input", &acls.input),
            ("output", "output", &acls.output),
        ],
    )
}

/// The nftables file of group `group` (an index into `plan.hosts`). Windows
/// groups are encoded for `profile` (see [`windows_first_match`](crate::windows_first_match));
/// Linux groups ignore it.
pub fn host_ruleset(
    cx: &EmitContext<'_>,
    group: usize,
    profile: Profile,
) -> Result<String, EmitError> {
    let acls = host_acls(cx, Target::Nftables, group, profile)?;
    Ok(render_host(cx, &acls))
}

/// The perimeter as an nftables file with one `forward` base chain.
pub fn perimeter_ruleset(cx: &EmitContext<'_>) -> String {
    let extra = vec![
        "Perimeter (K1, K2): a forward chain for a Linux router or firewall at the edge."
            .to_string(),
    ];
    let head = comment_header(cx, Target::Nftables, None, "# ", &extra);
    file(head, &[("forward", "forward", &cx.plan.perimeter)])
}

/// Every group's file (Windows groups in the Domain profile) and the perimeter.
pub(crate) fn artifacts(cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
    artifacts_for(cx, Profile::Domain, sink)
}

/// Every group's file, Windows groups encoded for `profile`, and the perimeter.
pub(crate) fn artifacts_for(
    cx: &EmitContext<'_>,
    profile: Profile,
    sink: &mut Sink<'_>,
) -> Result<(), EmitError> {
    // One pass over every group's stem (per-group lookups made emit quadratic).
    let stems = crate::naming::group_stems(cx);
    for (i, h) in cx.plan.hosts.iter().enumerate() {
        let acls = host_acls(cx, Target::Nftables, i, profile)?;
        let what = match acls.profile {
            Some(p) => format!("first-match equivalent of the Windows policy ({p} profile)"),
            None => "host firewall".to_string(),
        };
        sink(artifact(
            Target::Nftables,
            format!("nftables/{}.nft", stems[i]),
            Some(&h.group),
            format!(
                "nftables {what} for `{}`; load with `nft -f`",
                clean(&h.group)
            ),
            render_host(cx, &acls),
        ))?;
    }
    sink(artifact(
        Target::Nftables,
        "nftables/perimeter.nft".to_string(),
        None,
        "nftables forward chain for the perimeter (K1, K2); load with `nft -f`".to_string(),
        perimeter_ruleset(cx),
    ))
}
