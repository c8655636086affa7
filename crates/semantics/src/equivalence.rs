//! Translation validation: two policies mean the same thing iff they give the
//! same verdict on every equivalence class of flows. Emitters read their own
//! output back into the IR and call these functions against the plan.

use std::net::IpAddr;

use serde::Serialize;
use smbguard_model::{Profile, Proto, Transport};

use crate::classes::{address_classes, port_classes};
use crate::eval::acl::eval_acl;
use crate::eval::windows::eval_windows;
use crate::eval::{Decision, Flow, IpsecContext, WindowsContext};
use crate::policy::WindowsPolicy;
use crate::rule::{Acl, Direction, WindowsRule};

/// The first flow on which two policies disagree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// The direction evaluated (host policies) or `None` (ACLs).
    pub direction: Option<Direction>,
    /// The profile (Windows).
    pub profile: Option<Profile>,
    /// The flow.
    pub flow: Flow,
    /// IPsec context assumed (Windows).
    pub ipsec: Option<IpsecContext>,
    /// The reference's decision.
    pub expected: Decision,
    /// The other side's decision.
    pub actual: Decision,
}

/// How much was compared when the policies agree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Agreement {
    /// Equivalence classes of flows evaluated.
    pub classes: usize,
}

fn same_family(a: IpAddr, b: IpAddr) -> bool {
    a.is_ipv4() == b.is_ipv4()
}

/// The IPsec situations that can make a difference: none, established with
/// a peer in no group, and established with a peer in each named group.
fn ipsec_contexts<'a>(rules: impl Iterator<Item = &'a WindowsRule>) -> Vec<IpsecContext> {
    let mut sids: Vec<String> = rules
        .flat_map(|r| r.remote_machines.iter().cloned())
        .collect();
    sids.sort();
    sids.dedup();
    let mut out = vec![
        IpsecContext {
            local: false,
            peer: false,
            peer_sids: vec![],
            local_store: false,
        },
        IpsecContext {
            local: true,
            peer: false,
            peer_sids: vec![],
            local_store: false,
        },
        IpsecContext {
            local: true,
            peer: true,
            peer_sids: vec![],
            local_store: false,
        },
    ];
    out.extend(sids.into_iter().map(|s| IpsecContext {
        local: true,
        peer: true,
        peer_sids: vec![s],
        local_store: false,
    }));
    out
}

/// Compares two Windows host policies over every class of (direction,
/// profile, protocol, local and remote port, local and remote address, IPsec
/// situation). The host's own isolation rule is taken from each side.
pub fn compare_windows(
    expected: &WindowsPolicy,
    actual: &WindowsPolicy,
) -> Result<Agreement, Box<Difference>> {
    let all: Vec<&WindowsRule> = expected
        .effective_rules()
        .chain(actual.effective_rules())
        .collect();
    let remote = address_classes(all.iter().map(|r| &r.remote_addresses));
    let local = address_classes(all.iter().map(|r| &r.local_addresses));
    let lports = port_classes(all.iter().map(|r| &r.local_ports));
    let rports = port_classes(all.iter().map(|r| &r.remote_ports));
    let contexts = ipsec_contexts(all.iter().copied());
    let mut classes = 0;
    for direction in [Direction::Inbound, Direction::Outbound] {
        for profile in Profile::ALL {
            for ctx in &contexts {
                // A side without an isolation rule cannot establish IPsec.
                let side = |p: &WindowsPolicy| {
                    let mut c = ctx.clone();
                    c.local = c.local && p.has_isolation(profile);
                    WindowsContext { profile, ipsec: c }
                };
                let (ce, ca) = (side(expected), side(actual));
                for proto in [Proto::Tcp, Proto::Udp] {
                    for &lp in &lports {
                        for &rp in &rports {
                            for &la in &local {
                                for &ra in remote.iter().filter(|ra| same_family(la, **ra)) {
                                    let flow = match direction {
                                        Direction::Inbound => Flow {
                                            source: ra,
                                            destination: la,
                                            transport: Transport { proto, port: lp },
                                            source_port: rp,
                                        },
                                        Direction::Outbound => Flow {
                                            source: la,
                                            destination: ra,
                                            transport: Transport { proto, port: rp },
                                            source_port: lp,
                                        },
                                    };
                                    classes += 1;
                                    let e = eval_windows(
                                        expected.effective_rules(),
                                        expected.defaults(profile),
                                        direction,
                                        &flow,
                                        &ce,
                                    );
                                    let a = eval_windows(
                                        actual.effective_rules(),
                                        actual.defaults(profile),
                                        direction,
                                        &flow,
                                        &ca,
                                    );
                                    if e.verdict != a.verdict {
                                        return Err(Box::new(Difference {
                                            direction: Some(direction),
                                            profile: Some(profile),
                                            flow,
                                            ipsec: Some(ctx.clone()),
                                            expected: e,
                                            actual: a,
                                        }));
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(Agreement { classes })
}

/// Compares two first-match ACLs over every class of (protocol, source,
/// destination, destination port).
pub fn compare_acl(expected: &Acl, actual: &Acl) -> Result<Agreement, Box<Difference>> {
    let entries: Vec<_> = expected
        .entries
        .iter()
        .chain(actual.entries.iter())
        .collect();
    let sources = address_classes(entries.iter().map(|e| &e.source));
    let destinations = address_classes(entries.iter().map(|e| &e.destination));
    let ports = port_classes(entries.iter().map(|e| &e.destination_ports));
    let mut classes = 0;
    for proto in [Proto::Tcp, Proto::Udp] {
        for &port in &ports {
            for &s in &sources {
                for &d in destinations.iter().filter(|d| same_family(s, **d)) {
                    let flow = Flow::new(s, d, Transport { proto, port });
                    classes += 1;
                    let e = eval_acl(expected, &flow);
                    let a = eval_acl(actual, &flow);
                    if e.verdict != a.verdict {
                        return Err(Box::new(Difference {
                            direction: None,
                            profile: None,
                            flow,
                            ipsec: None,
                            expected: e,
                            actual: a,
                        }));
                    }
                }
            }
        }
    }
    Ok(Agreement { classes })
}
