//! A Windows Defender Firewall policy, for one profile and without IPsec,
//! as first-match ACLs.
//!
//! Windows has no rule order: among the enabled rules of the active profile
//! that match, bypass beats block beats allow beats the profile default. Per
//! direction that precedence becomes an ordered list:
//!
//! 1. bypass rules (allow if secure, override block rules) need an IPsec
//!    session, which a first-match firewall cannot check: they become notes,
//!    not entries (the lab compiles with the `complement` strategy, which has
//!    none);
//! 2. every block rule, as a deny entry;
//! 3. every allow rule without an IPsec requirement, as a permit entry
//!    (allow-if-secure rules without override cannot apply without IPsec:
//!    notes);
//! 4. the profile default for each governed transport (inbound block,
//!    outbound allow unless the profile says otherwise).
//!
//! Only governed transports are matched; everything else falls through to
//! the chain's accept default, untouched. [`compare_windows_first_match`]
//! proves an ACL pair means what the Windows evaluator says, over every
//! equivalence class.

use smbguard_model::{AddrSet, PortSet, Profile, Proto, Transport};
use smbguard_semantics::classes::address_classes;
use smbguard_semantics::eval::acl::eval_acl;
use smbguard_semantics::eval::windows::eval_windows;
use smbguard_semantics::{
    Acl, AclAction, AclEntry, Action, Agreement, Difference, Direction, Flow, IpsecContext, KbRow,
    Security, WindowsContext, WindowsPolicy, WindowsRule,
};

use crate::artifact::EmitError;
use crate::linux::HostAcls;
use crate::target::Target;

/// The ports of `proto` among the governed transports.
fn governed_ports(transports: &[Transport], proto: Proto) -> PortSet {
    PortSet::from_intervals(
        transports
            .iter()
            .filter(|t| t.proto == proto)
            .map(|t| (t.port, t.port)),
    )
}

fn dir_word(d: Direction) -> &'static str {
    match d {
        Direction::Inbound => "inbound",
        Direction::Outbound => "outbound",
    }
}

/// The ACL entries of one Windows rule restricted to the governed transports.
fn entries_of(
    r: &WindowsRule,
    action: AclAction,
    transports: &[Transport],
) -> Result<Vec<AclEntry>, String> {
    // The client side of a connection: the evaluator assumes an ephemeral
    // port there, and an ACL entry has no source-port field.
    let client_ports = match r.direction {
        Direction::Inbound => &r.remote_ports,
        Direction::Outbound => &r.local_ports,
    };
    if !client_ports.is_full() {
        return Err(format!(
            "rule `{}` restricts the client-side ports ({}); first-match ACLs here match destination ports only",
            r.id,
            client_ports.to_port_string()
        ));
    }
    let (source, destination) = match r.direction {
        Direction::Inbound => (&r.remote_addresses, &r.local_addresses),
        Direction::Outbound => (&r.local_addresses, &r.remote_addresses),
    };
    let protos = match r.protocol {
        Some(p) => vec![p],
        None => vec![Proto::Tcp, Proto::Udp],
    };
    let mut out = Vec::new();
    for proto in protos {
        let ports = r
            .service_ports()
            .intersection(&governed_ports(transports, proto));
        if ports.is_empty() || source.is_empty() || destination.is_empty() {
            continue;
        }
        out.push(AclEntry {
            name: r.name.clone(),
            action,
            protocol: Some(proto),
            source: source.clone(),
            destination: destination.clone(),
            destination_ports: ports,
            kb: r.kb,
        });
    }
    Ok(out)
}

/// The first-match encoding of `policy` in `profile` with no IPsec, for the
/// governed `transports` (see the module documentation).
///
/// A rule the encoding cannot express is [`EmitError::Unrepresentable`] for
/// `target`, naming the group.
pub fn windows_first_match(
    policy: &WindowsPolicy,
    group: &str,
    profile: Profile,
    transports: &[Transport],
    target: Target,
) -> Result<HostAcls, EmitError> {
    let unrepresentable = |what: String| EmitError::Unrepresentable {
        target,
        what: format!("group `{group}`: {what}"),
    };
    let defaults = policy.defaults(profile);
    let mut notes = Vec::new();
    let mut chains = Vec::new();
    for direction in [Direction::Inbound, Direction::Outbound] {
        let d = dir_word(direction);
        let mut entries = Vec::new();
        if defaults.enabled {
            let rules: Vec<&WindowsRule> = policy
                .effective_rules()
                .filter(|r| r.enabled && r.direction == direction && r.profiles.contains(profile))
                .collect();
            for r in rules.iter().filter(|r| r.action == Action::Bypass) {
                notes.push(format!(
                    "{d} bypass rule \"{}\" ({}) is not encoded: it needs an authenticated IPsec session, which this firewall cannot check (compile with strategy = \"complement\" for hosts without IPsec)",
                    r.name, r.id
                ));
            }
            for r in rules.iter().filter(|r| r.action == Action::Block) {
                entries
                    .extend(entries_of(r, AclAction::Deny, transports).map_err(unrepresentable)?);
            }
            for r in rules.iter().filter(|r| r.action == Action::Allow) {
                if r.security == Security::None {
                    entries.extend(
                        entries_of(r, AclAction::Permit, transports).map_err(unrepresentable)?,
                    );
                } else {
                    notes.push(format!(
                        "{d} allow-if-secure rule \"{}\" ({}) is not encoded: without IPsec it never applies",
                        r.name, r.id
                    ));
                }
            }
            let block = match direction {
                Direction::Inbound => defaults.block_inbound,
                Direction::Outbound => defaults.block_outbound,
            };
            for &t in transports {
                entries.push(AclEntry {
                    name: format!(
                        "{profile} profile default: {d} {t} {}",
                        if block { "blocked" } else { "allowed" }
                    ),
                    action: if block {
                        AclAction::Deny
                    } else {
                        AclAction::Permit
                    },
                    protocol: Some(t.proto),
                    source: AddrSet::any(),
                    destination: AddrSet::any(),
                    destination_ports: PortSet::single(t.port),
                    kb: KbRow::K3,
                });
            }
        } else {
            notes.push(format!(
                "the firewall is off in the {profile} profile: {d} traffic is not filtered"
            ));
        }
        chains.push(Acl {
            name: format!("{group} {d} ({profile} profile)"),
            entries,
            default: AclAction::Permit,
        });
    }
    let output = chains.pop().unwrap_or_else(|| empty_acl(group));
    let input = chains.pop().unwrap_or_else(|| empty_acl(group));
    Ok(HostAcls {
        group: group.to_string(),
        input,
        output,
        profile: Some(profile),
        notes,
    })
}

fn empty_acl(group: &str) -> Acl {
    Acl {
        name: group.to_string(),
        entries: Vec::new(),
        default: AclAction::Permit,
    }
}

/// Proves that the first-match ACLs `input` and `output` decide every flow
/// on the governed `transports` exactly as the Windows evaluator decides it
/// for `policy` in `profile` with no IPsec: one representative flow per
/// equivalence class of (direction, transport, local address, remote
/// address). Returns the first disagreement.
pub fn compare_windows_first_match(
    policy: &WindowsPolicy,
    profile: Profile,
    transports: &[Transport],
    input: &Acl,
    output: &Acl,
) -> Result<Agreement, Box<Difference>> {
    let ctx = WindowsContext {
        profile,
        ipsec: IpsecContext::default(),
    };
    let mut classes = 0;
    for (direction, acl) in [(Direction::Inbound, input), (Direction::Outbound, output)] {
        let rules: Vec<&WindowsRule> = policy.effective_rules().collect();
        // Local is the destination inbound and the source outbound.
        let (acl_local, acl_remote): (Vec<&AddrSet>, Vec<&AddrSet>) = match direction {
            Direction::Inbound => (
                acl.entries.iter().map(|e| &e.destination).collect(),
                acl.entries.iter().map(|e| &e.source).collect(),
            ),
            Direction::Outbound => (
                acl.entries.iter().map(|e| &e.source).collect(),
                acl.entries.iter().map(|e| &e.destination).collect(),
            ),
        };
        let locals = address_classes(rules.iter().map(|r| &r.local_addresses).chain(acl_local));
        let remotes = address_classes(rules.iter().map(|r| &r.remote_addresses).chain(acl_remote));
        for &t in transports {
            for &l in &locals {
                for &r in remotes.iter().filter(|r| r.is_ipv4() == l.is_ipv4()) {
                    let flow = match direction {
                        Direction::Inbound => Flow::new(r, l, t),
                        Direction::Outbound => Flow::new(l, r, t),
                    };
                    classes += 1;
                    let expected = eval_windows(
                        policy.effective_rules(),
                        policy.defaults(profile),
                        direction,
                        &flow,
                        &ctx,
                    );
                    let actual = eval_acl(acl, &flow);
                    if expected.verdict != actual.verdict {
                        return Err(Box::new(Difference {
                            direction: Some(direction),
                            profile: Some(profile),
                            flow,
                            ipsec: Some(IpsecContext::default()),
                            expected,
                            actual,
                        }));
                    }
                }
            }
        }
    }
    Ok(Agreement { classes })
}
