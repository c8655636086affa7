//! AWS network ACL entries (JSON) for the perimeter.
//!
//! A network ACL sits on a subnet and matches one address per entry: the
//! source for inbound (ingress) entries, the destination for outbound
//! (egress) entries; the other end is the subnet itself. Each perimeter
//! entry therefore becomes, per side, one entry per CIDR of its outside
//! end, in the plan's order, numbered from 1 so that they precede the
//! default network ACL's allow-all rule 100. Fields follow the EC2 API
//! (`aws ec2 create-network-acl-entry`): `RuleNumber`, `Protocol` ("6" /
//! "17" / "-1"), `RuleAction`, `Egress`, `CidrBlock` or `Ipv6CidrBlock`,
//! `PortRange`. Network ACLs are stateless, but smbguard only matches
//! destination ports of SMB and NetBIOS, so replies (to ephemeral ports)
//! are not affected.

use ipnet::IpNet;
use serde_json::{Value, json};
use smbguard_model::{AddrSet, Proto};
use smbguard_semantics::{AclAction, AclEntry};

use crate::artifact::{Artifact, EmitContext, EmitError};
use crate::cloud::cut;
use crate::network::{cidrs, protocols};
use crate::non_windows::{Side, artifact, entry_label, header_plain, sides};
use crate::target::Target;

/// AWS's default quota of rules per network ACL and direction.
pub const DEFAULT_RULE_QUOTA: usize = 20;
/// The rule number of the default network ACL's allow-all rule.
pub(crate) const DEFAULT_ALLOW_RULE: u32 = 100;
/// The largest rule number AWS accepts.
pub(crate) const MAX_RULE_NUMBER: u32 = 32766;

/// The outside end of an entry on one side.
fn outside(e: &AclEntry, side: Side) -> &AddrSet {
    match side {
        Side::Inbound => &e.source,
        Side::Outbound => &e.destination,
    }
}

/// True when a later entry on the same side could match traffic of the same
/// protocol and port as `e`.
fn shadows_later(e: &AclEntry, later: &[(&AclEntry, Side)], side: Side) -> bool {
    later.iter().any(|(l, s)| {
        *s == side
            && (l.protocol.is_none() || e.protocol.is_none() || l.protocol == e.protocol)
            && l.destination_ports.intersects(&e.destination_ports)
    })
}

/// One family's CIDRs of an entry's outside end, as (network, action).
///
/// "Deny everything outside the internal network" is a complement with many
/// CIDRs (hundreds in IPv6). When no later entry on the same side matches
/// the same protocol and port and the ACL's default is allow, the same
/// first-match meaning is written with the few complement CIDRs as allow
/// ("holes", which would fall through to the default allow anyway) followed
/// by one entry for the whole family.
fn family_entries(
    e: &AclEntry,
    set: &AddrSet,
    v6: bool,
    holes_ok: bool,
) -> Vec<(IpNet, AclAction)> {
    let direct = cidrs(set, v6);
    if direct.is_empty() || !holes_ok {
        return direct.into_iter().map(|n| (n, e.action)).collect();
    }
    let holes = cidrs(&set.complement(), v6);
    if holes.len() + 1 >= direct.len() || e.action == AclAction::Permit {
        return direct.into_iter().map(|n| (n, e.action)).collect();
    }
    // `Default` is the whole family: 0.0.0.0/0 or ::/0.
    let all = if v6 {
        IpNet::V6(ipnet::Ipv6Net::default())
    } else {
        IpNet::V4(ipnet::Ipv4Net::default())
    };
    holes
        .into_iter()
        .map(|n| (n, AclAction::Permit))
        .chain(std::iter::once((all, e.action)))
        .collect()
}

fn entries(e: &AclEntry, side: Side, holes_ok: bool, next: &mut u32, out: &mut Vec<Value>) {
    let outside = outside(e, side);
    for v6 in [false, true] {
        let nets = family_entries(e, outside, v6, holes_ok);
        for p in protocols(e.protocol, &e.destination_ports) {
            let protocol = match p {
                Some(Proto::Tcp) => "6",
                Some(Proto::Udp) => "17",
                None => "-1",
            };
            let ranges: Vec<(u16, u16)> = if p.is_none() || e.destination_ports.is_full() {
                vec![(0, u16::MAX)]
            } else {
                e.destination_ports.intervals().to_vec()
            };
            for &(net, action) in &nets {
                for &(from, to) in &ranges {
                    let mut entry = serde_json::Map::new();
                    entry.insert("RuleNumber".into(), json!(*next));
                    entry.insert("Protocol".into(), json!(protocol));
                    entry.insert(
                        "RuleAction".into(),
                        json!(match action {
                            AclAction::Permit => "allow",
                            AclAction::Deny => "deny",
                        }),
                    );
                    entry.insert("Egress".into(), json!(side == Side::Outbound));
                    let key = if v6 { "Ipv6CidrBlock" } else { "CidrBlock" };
                    entry.insert(key.into(), json!(net.to_string()));
                    if p.is_some() {
                        entry.insert("PortRange".into(), json!({ "From": from, "To": to }));
                    }
                    entry.insert("Comment".into(), json!(cut(&entry_label(e), 200)));
                    out.push(Value::Object(entry));
                    *next += 1;
                }
            }
        }
    }
}

/// The entries as JSON, with the warnings AWS limits call for.
pub fn perimeter_entries(cx: &EmitContext<'_>) -> Result<String, EmitError> {
    let mut ingress = Vec::new();
    let mut egress = Vec::new();
    let (mut next_in, mut next_out) = (1u32, 1u32);
    let mut warnings = Vec::new();
    let internal = &cx.plan.internal;
    let placed: Vec<(&AclEntry, Side)> = cx
        .plan
        .perimeter
        .entries
        .iter()
        .flat_map(|e| sides(cx, e).into_iter().map(move |s| (e, s)))
        .collect();
    let default_allow = cx.plan.perimeter.default == AclAction::Permit;
    for (i, &(e, side)) in placed.iter().enumerate() {
        {
            let holes_ok = default_allow && !shadows_later(e, &placed[i + 1..], side);
            let inside = match side {
                Side::Inbound => &e.destination,
                Side::Outbound => &e.source,
            };
            if !internal.is_subset(inside) {
                warnings.push(format!(
                    "\"{}\": a network ACL entry cannot restrict the inside address ({inside}); it applies to the whole subnet",
                    cut(&e.name, 120)
                ));
            }
            match side {
                Side::Inbound => entries(e, side, holes_ok, &mut next_in, &mut ingress),
                Side::Outbound => entries(e, side, holes_ok, &mut next_out, &mut egress),
            }
        }
    }
    for (what, list) in [("inbound", &ingress), ("outbound", &egress)] {
        let n = list.len();
        if n as u32 > MAX_RULE_NUMBER {
            return Err(EmitError::Unrepresentable {
                target: Target::AwsNacl,
                what: format!("{n} {what} entries (rule numbers end at {MAX_RULE_NUMBER})"),
            });
        }
        if n > DEFAULT_RULE_QUOTA {
            warnings.push(format!(
                "{n} {what} entries exceed AWS's default quota of {DEFAULT_RULE_QUOTA} rules per network ACL and direction (it can be raised to 40); use a network firewall or fewer address ranges"
            ));
        }
        if n as u32 >= DEFAULT_ALLOW_RULE {
            warnings.push(format!(
                "{what} entries reach rule number {n}: renumber your own allow rules (the default ACL's allow-all is rule {DEFAULT_ALLOW_RULE}) above smbguard's"
            ));
        }
    }
    let head = json!({
        "Header": header_plain(cx, Target::AwsNacl, None),
        "Usage": "For each entry: aws ec2 create-network-acl-entry --network-acl-id ACL with its RuleNumber, Protocol, RuleAction, Egress, CidrBlock or Ipv6CidrBlock and PortRange (Comment is smbguard's). smbguard's entries come first (low rule numbers); other traffic is left to the network ACL's own later rules.",
        "Warnings": warnings,
    });
    // One entry per line keeps long lists readable and diffs small.
    let head = serde_json::to_string_pretty(&head).unwrap_or_default();
    let lines: Vec<String> = ingress
        .iter()
        .chain(&egress)
        .map(|e| format!("    {}", serde_json::to_string(e).unwrap_or_default()))
        .collect();
    let head = head.replace('\n', "\n  ");
    Ok(format!(
        "{{\n  \"Smbguard\": {head},\n  \"Entries\": [\n{}\n  ]\n}}\n",
        lines.join(",\n")
    ))
}

pub(crate) fn artifacts(cx: &EmitContext<'_>) -> Result<Vec<Artifact>, EmitError> {
    Ok(vec![artifact(
        Target::AwsNacl,
        "aws-nacl/perimeter.nacl.json".to_string(),
        None,
        "AWS network ACL entries for the perimeter".to_string(),
        perimeter_entries(cx)?,
    )])
}
