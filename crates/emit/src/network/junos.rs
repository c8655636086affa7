//! Junos firewall filters for the perimeter (K1, K2).
//!
//! One filter `smbguard-perimeter` per family (`inet`, `inet6`), hierarchical
//! configuration with `replace:` tags, for `load replace FILE`: only
//! smbguard's filters are replaced. Terms are evaluated in order (first
//! match); the last term accepts everything else, because smbguard governs
//! SMB and NetBIOS only. Apply the same filter as input and output on the
//! internet-facing interface.

use std::fmt::Write as _;

use smbguard_model::Proto;
use smbguard_semantics::{AclAction, AclEntry};

use crate::artifact::{Artifact, EmitContext, EmitError};
use crate::network::{cidr_strings, protocols, slug};
use crate::non_windows::{artifact, clean, comment_header};
use crate::target::Target;

/// The filter name, in both families.
pub(crate) const FILTER: &str = "smbguard-perimeter";

/// Text safe inside `/* ... */`.
fn annotation(s: &str) -> String {
    clean(s).replace("*/", "* /").replace("/*", "/ *")
}

fn list(items: &[String]) -> String {
    if items.len() == 1 {
        format!("{};", items[0])
    } else {
        format!("[ {} ];", items.join(" "))
    }
}

fn term(out: &mut String, n: usize, e: &AclEntry, v6: bool) {
    let src: Vec<String> = cidr_strings(&e.source, v6);
    let dst: Vec<String> = cidr_strings(&e.destination, v6);
    if src.is_empty() || dst.is_empty() {
        return;
    }
    let full = |v: &[String]| v.len() == 1 && (v[0] == "0.0.0.0/0" || v[0] == "::/0");
    for (k, p) in protocols(e.protocol, &e.destination_ports)
        .into_iter()
        .enumerate()
    {
        let suffix = if k > 0 {
            format!("-{k}")
        } else {
            String::new()
        };
        let _ = writeln!(out, "            /* {}: {} */", e.kb, annotation(&e.name));
        let _ = writeln!(
            out,
            "            term t{n:03}-{}{suffix} {{",
            slug(&e.name, 40)
        );
        out.push_str("                from {\n");
        for (kw, v) in [("source-address", &src), ("destination-address", &dst)] {
            if full(v) {
                continue;
            }
            let _ = writeln!(out, "                    {kw} {{");
            for a in v {
                let _ = writeln!(out, "                        {a};");
            }
            out.push_str("                    }\n");
        }
        if let Some(p) = p {
            let kw = if v6 { "next-header" } else { "protocol" };
            let name = match p {
                Proto::Tcp => "tcp",
                Proto::Udp => "udp",
            };
            let _ = writeln!(out, "                    {kw} {name};");
            if !e.destination_ports.is_full() {
                let ports: Vec<String> = e.destination_ports.port_ranges();
                let _ = writeln!(out, "                    destination-port {}", list(&ports));
            }
        }
        out.push_str("                }\n");
        let action = match e.action {
            AclAction::Permit => "accept",
            AclAction::Deny => "discard",
        };
        let _ = writeln!(out, "                then {action};");
        out.push_str("            }\n");
    }
}

/// The Junos configuration text for the perimeter.
pub(crate) fn perimeter_config(cx: &EmitContext<'_>) -> String {
    let extra = vec![
        "Perimeter filters (K1, K2) for Junos. Load with `load replace FILE` (only the".to_string(),
        format!("`{FILTER}` filters are replaced), then apply on the internet-facing interface:"),
        format!("  set interfaces IFACE unit 0 family inet filter input {FILTER} output {FILTER}"),
        format!("  set interfaces IFACE unit 0 family inet6 filter input {FILTER} output {FILTER}"),
    ];
    let mut out = String::from("/*\n");
    out.push_str(&comment_header(cx, Target::Junos, None, " * ", &extra).replace("*/", "* /"));
    out.push_str(" */\n");
    out.push_str("firewall {\n");
    for (v6, family) in [(false, "inet"), (true, "inet6")] {
        let _ = writeln!(out, "    family {family} {{");
        let _ = writeln!(out, "        replace:");
        let _ = writeln!(out, "        filter {FILTER} {{");
        for (i, e) in cx.plan.perimeter.entries.iter().enumerate() {
            term(&mut out, (i + 1) * 10, e, v6);
        }
        out.push_str(
            "            /* smbguard governs SMB and NetBIOS only: all other traffic is accepted here */\n",
        );
        let default = match cx.plan.perimeter.default {
            AclAction::Permit => "accept",
            AclAction::Deny => "discard",
        };
        out.push_str("            term smbguard-other-traffic {\n");
        let _ = writeln!(out, "                then {default};");
        out.push_str("            }\n");
        out.push_str("        }\n");
        out.push_str("    }\n");
    }
    out.push_str("}\n");
    out
}

pub(crate) fn artifacts(cx: &EmitContext<'_>) -> Result<Vec<Artifact>, EmitError> {
    Ok(vec![artifact(
        Target::Junos,
        "junos/perimeter.conf".to_string(),
        None,
        "Junos firewall filters for the perimeter (inet and inet6); `load replace`".to_string(),
        perimeter_config(cx),
    )])
}
