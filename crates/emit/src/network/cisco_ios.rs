//! Cisco IOS extended access lists for the perimeter (K1, K2).
//!
//! Four named ACLs, applied on the internet-facing interface: IPv4
//! `SMBGUARD-PERIMETER-IN` / `-OUT` (`ip access-group … in|out`) and IPv6
//! `SMBGUARD-PERIMETER-IN-V6` / `-OUT-V6` (`ipv6 traffic-filter … in|out`).
//! Each is rebuilt from scratch (`no ip access-list …` first), so only
//! smbguard's ACLs change. First match, like the plan's perimeter ACL; each
//! ends with `permit ip any any` because smbguard governs SMB and NetBIOS
//! only.

use std::fmt::Write as _;

use ipnet::IpNet;
use smbguard_model::{PortSet, Proto};
use smbguard_semantics::{AclAction, AclEntry};

use crate::artifact::{Artifact, EmitContext, EmitError};
use crate::network::{cidrs, protocols};
use crate::non_windows::{Side, artifact, clean, comment_header, entry_label, sides};
use crate::target::Target;

/// The IPv4 ACL names, inbound and outbound.
pub(crate) const ACL_IN: &str = "SMBGUARD-PERIMETER-IN";
/// Outbound IPv4 ACL.
pub(crate) const ACL_OUT: &str = "SMBGUARD-PERIMETER-OUT";
/// Inbound IPv6 ACL.
pub(crate) const ACL_IN_V6: &str = "SMBGUARD-PERIMETER-IN-V6";
/// Outbound IPv6 ACL.
pub(crate) const ACL_OUT_V6: &str = "SMBGUARD-PERIMETER-OUT-V6";

/// `remark` text: IOS takes at most 100 characters to the end of the line.
fn remark(s: &str) -> String {
    let s = clean(s);
    if s.chars().count() <= 100 {
        s
    } else {
        let mut t: String = s.chars().take(97).collect();
        t.push_str("...");
        t
    }
}

/// An address operand: `any`, `host A`, `A WILDCARD` (IPv4) or `A/LEN` (IPv6).
fn operand(net: &IpNet) -> String {
    match net {
        IpNet::V4(n) if n.prefix_len() == 0 => "any".to_string(),
        IpNet::V6(n) if n.prefix_len() == 0 => "any".to_string(),
        IpNet::V4(n) if n.prefix_len() == 32 => format!("host {}", n.addr()),
        IpNet::V6(n) if n.prefix_len() == 128 => format!("host {}", n.addr()),
        IpNet::V4(n) => format!("{} {}", n.network(), n.hostmask()),
        IpNet::V6(n) => n.to_string(),
    }
}

fn port_ops(ports: &PortSet) -> Vec<String> {
    if ports.is_full() {
        return vec![String::new()];
    }
    ports
        .intervals()
        .iter()
        .map(|&(a, b)| {
            if a == b {
                format!(" eq {a}")
            } else {
                format!(" range {a} {b}")
            }
        })
        .collect()
}

fn lines(e: &AclEntry, v6: bool) -> Vec<String> {
    let (src, dst) = (cidrs(&e.source, v6), cidrs(&e.destination, v6));
    let action = match e.action {
        AclAction::Permit => "permit",
        AclAction::Deny => "deny",
    };
    let mut out = Vec::new();
    for p in protocols(e.protocol, &e.destination_ports) {
        let proto = match (p, v6) {
            (Some(Proto::Tcp), _) => "tcp",
            (Some(Proto::Udp), _) => "udp",
            (None, false) => "ip",
            (None, true) => "ipv6",
        };
        let ports = if p.is_some() {
            port_ops(&e.destination_ports)
        } else {
            vec![String::new()]
        };
        for s in &src {
            for d in &dst {
                for port in &ports {
                    out.push(format!(
                        " {action} {proto} {} {}{port}",
                        operand(s),
                        operand(d)
                    ));
                }
            }
        }
    }
    out
}

fn acl(out: &mut String, cx: &EmitContext<'_>, side: Side, v6: bool) {
    let (name, kw, any) = match (side, v6) {
        (Side::Inbound, false) => (ACL_IN, "ip access-list extended", "ip"),
        (Side::Outbound, false) => (ACL_OUT, "ip access-list extended", "ip"),
        (Side::Inbound, true) => (ACL_IN_V6, "ipv6 access-list", "ipv6"),
        (Side::Outbound, true) => (ACL_OUT_V6, "ipv6 access-list", "ipv6"),
    };
    let _ = writeln!(out, "no {kw} {name}");
    let _ = writeln!(out, "{kw} {name}");
    // Every remark goes through `remark`: IOS refuses one over 100 characters.
    let _ = writeln!(
        out,
        " remark {}",
        remark(&format!(
            "smbguard {} {}: first match of the perimeter ACL",
            clean(&cx.estate.name).chars().take(40).collect::<String>(),
            match side {
                Side::Inbound => "inbound",
                Side::Outbound => "outbound",
            }
        ))
    );
    for e in &cx.plan.perimeter.entries {
        if !sides(cx, e).contains(&side) {
            continue;
        }
        let body = lines(e, v6);
        if body.is_empty() {
            continue;
        }
        let _ = writeln!(out, " remark {}", remark(&entry_label(e)));
        for l in body {
            out.push_str(&l);
            out.push('\n');
        }
    }
    let _ = writeln!(
        out,
        " remark smbguard governs SMB and NetBIOS only: all other traffic is permitted here"
    );
    let default = match cx.plan.perimeter.default {
        AclAction::Permit => "permit",
        AclAction::Deny => "deny",
    };
    let _ = writeln!(out, " {default} {any} any any");
    out.push_str("exit\n");
}

/// The IOS configuration text for the perimeter.
pub(crate) fn perimeter_config(cx: &EmitContext<'_>) -> String {
    let extra = vec![
        "Perimeter ACLs (K1, K2) for Cisco IOS. Paste in configuration mode, then apply on the"
            .to_string(),
        "internet-facing interface:".to_string(),
        format!("  ip access-group {ACL_IN} in"),
        format!("  ip access-group {ACL_OUT} out"),
        format!("  ipv6 traffic-filter {ACL_IN_V6} in"),
        format!("  ipv6 traffic-filter {ACL_OUT_V6} out"),
        "Each ACL is deleted and rebuilt, so only smbguard's ACLs change.".to_string(),
    ];
    let mut out = comment_header(cx, Target::CiscoIos, None, "! ", &extra);
    for v6 in [false, true] {
        for side in [Side::Inbound, Side::Outbound] {
            out.push_str("!\n");
            acl(&mut out, cx, side, v6);
        }
    }
    out.push_str("end\n");
    out
}

pub(crate) fn artifacts(cx: &EmitContext<'_>) -> Result<Vec<Artifact>, EmitError> {
    Ok(vec![artifact(
        Target::CiscoIos,
        "cisco-ios/perimeter.ios".to_string(),
        None,
        "Cisco IOS extended ACLs for the perimeter (IPv4 and IPv6)".to_string(),
        perimeter_config(cx),
    )])
}
