//! Weaknesses worth a warning even when every invariant holds.
//!
//! - `dead-allow`: an allow rule that a block rule overrides for every flow
//!   it matches (Windows ranks block above allow; in a first-match chain an
//!   earlier deny shadows it).
//! - `outbound-local-port` / `inbound-remote-port`: a rule that puts the SMB
//!   port on the client side of the connection, so it matches nothing real.
//! - `bypass-without-isolation`: an authenticated bypass with no connection
//!   security rule (IPsec, Kerberos) on this host or on the peers it names.
//! - `bypass-broad-group`: a bypass authorising a well-known broad group.
//! - `ipv4-only-rule`: a block rule scoped to IPv4 while the same path stays
//!   open on IPv6.
//! - `perimeter-unencrypted`: a perimeter exception without SMB 3.x encryption.
//! - `dc-outbound-open`: a domain controller without `outbound-block = true`:
//!   outbound SMB from a DC is what authentication coercion (PetitPotam,
//!   PrinterBug) makes it send to an attacker's relay.
//!
//! Each has a stable [`LintCode`] (`SG-L001`…), documented in `docs/lints.md`.

use smbguard_model::{AddrSet, Dialect, Estate, IntervalSet, Profile, Transport};
use smbguard_semantics::{
    Acl, AclAction, Action, Direction, HostRules, KbRow, Security, WindowsRule,
};

use crate::engine::{Ctx, Engine};
use crate::report::Lint;
use crate::space::{overlapping, profile_index};

/// The stable code of a [`Lint`]: `SG-L…` for people and tickets, the slug for
/// [`Lint::code`] (the text and JSON output). Every code is documented in `docs/lints.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum LintCode {
    /// `SG-L001` `dead-allow`.
    ///
    /// **What it does.**
    /// Flags an allow rule that a block rule overrides for every flow it matches (Windows ranks
    /// block above allow; in a first-match chain an earlier drop shadows it).
    ///
    /// **Why it matters.**
    /// The rule looks like an exception but grants nothing: the service it was meant to reach
    /// stays blocked, and the next person to "fix" it tends to widen the block instead.
    ///
    /// **Example.**
    /// Windows: `Allow outbound SMB 445 to 198.18.0.10` next to `Block outbound SMB 445` on the
    /// same profiles: the block wins, so the DC is unreachable. Use an authenticated bypass
    /// (`ipsec-bypass`) or the `complement` strategy.
    ///
    /// **Reference.**
    /// KB3185535 row K6 (outbound only to DCs and file servers); for the perimeter, row K2.
    /// [KB3185535](https://support.microsoft.com/en-us/help/3185535/preventing-smb-traffic-from-lateral-connections);
    /// [Windows Firewall rule
    /// precedence](https://learn.microsoft.com/windows/security/operating-system-security/network-security/windows-firewall/rules).
    DeadAllow,
    /// `SG-L002` `outbound-local-port`.
    ///
    /// **What it does.**
    /// Flags an outbound rule that puts the SMB port in its local ports (the client side) while
    /// matching every remote port.
    ///
    /// **Why it matters.**
    /// An SMB client connects from an ephemeral port to port 445 on the server, so the rule
    /// matches no real SMB connection: the block or allow it was meant to be does nothing.
    ///
    /// **Example.**
    /// `New-NetFirewallRule -Direction Outbound -LocalPort 445 -Action Block` instead of
    /// `-RemotePort 445`.
    ///
    /// **Reference.**
    /// KB3185535 row K6.
    /// [KB3185535](https://support.microsoft.com/en-us/help/3185535/preventing-smb-traffic-from-lateral-connections).
    OutboundLocalPort,
    /// `SG-L003` `inbound-remote-port`.
    ///
    /// **What it does.**
    /// Flags an inbound rule that puts the SMB port in its remote ports (the client side) while
    /// matching every local port.
    ///
    /// **Why it matters.**
    /// Inbound SMB arrives on local port 445 from an ephemeral remote port, so the rule matches
    /// no real SMB connection and the host stays open (or closed) as if it did not exist.
    ///
    /// **Example.**
    /// `New-NetFirewallRule -Direction Inbound -RemotePort 445 -Action Block` instead of
    /// `-LocalPort 445`.
    ///
    /// **Reference.**
    /// KB3185535 row K6 (and K4 for hosts without shares).
    /// [KB3185535](https://support.microsoft.com/en-us/help/3185535/preventing-smb-traffic-from-lateral-connections).
    InboundRemotePort,
    /// `SG-L004` `bypass-without-isolation`.
    ///
    /// **What it does.**
    /// Flags an authenticated bypass (allow if secure, override block rules) with no connection
    /// security rule on this host or on the peers it names.
    ///
    /// **Why it matters.**
    /// Without an IPsec rule that authenticates the connection, "allow if secure" never
    /// matches: the bypass is dead and the block it was meant to override cuts the host off
    /// from its DCs and file servers.
    ///
    /// **Example.**
    /// A Windows group with the `ipsec-bypass` strategy whose file servers are not Windows
    /// hosts, so no "Isolation ESP Authentication for SMB overrides" rule exists on the server
    /// side.
    ///
    /// **Reference.**
    /// KB3185535 row K7 (Kerberos isolation backing the bypass).
    /// [KB3185535](https://support.microsoft.com/en-us/help/3185535/preventing-smb-traffic-from-lateral-connections).
    BypassWithoutIsolation,
    /// `SG-L005` `bypass-broad-group`.
    ///
    /// **What it does.**
    /// Flags an authenticated bypass that authorises a well-known broad group (Everyone,
    /// Authenticated Users, Domain Users, Domain Computers, …).
    ///
    /// **Why it matters.**
    /// Every member of the group can override the block rules on that port, which is the
    /// lateral movement the block was written to stop.
    ///
    /// **Example.**
    /// A bypass rule with `RemoteMachines` set to `S-1-5-11` (Authenticated Users) instead of
    /// the group of DCs and file servers.
    ///
    /// **Reference.**
    /// KB3185535 row K7.
    /// [KB3185535](https://support.microsoft.com/en-us/help/3185535/preventing-smb-traffic-from-lateral-connections).
    BypassBroadGroup,
    /// `SG-L006` `ipv4-only-rule`.
    ///
    /// **What it does.**
    /// Flags a block rule scoped to IPv4 addresses while the same path stays open on IPv6.
    ///
    /// **Why it matters.**
    /// Hosts with IPv6 (on by default on Windows) reach the same peers over IPv6 and the block
    /// is bypassed without anyone noticing.
    ///
    /// **Example.**
    /// A block of outbound SMB to `198.18.0.0/15` on a host whose peers also have addresses in
    /// `2001:db8:1::/48`.
    ///
    /// **Reference.**
    /// KB3185535 row K6.
    /// [KB3185535](https://support.microsoft.com/en-us/help/3185535/preventing-smb-traffic-from-lateral-connections).
    Ipv4OnlyRule,
    /// `SG-L007` `perimeter-unencrypted`.
    ///
    /// **What it does.**
    /// Flags a perimeter exception that does not require SMB 3.x encryption, or an estate whose
    /// minimum dialect is below SMB 3.0.
    ///
    /// **Why it matters.**
    /// SMB that crosses the perimeter unencrypted exposes credentials and data to the network
    /// path, and dialects before 3.0 cannot encrypt at all.
    ///
    /// **Example.**
    /// `[[perimeter-allow]]` for a cloud file share with `require-encryption = false`, or
    /// `[smb] min-dialect = "2.1"`.
    ///
    /// **Reference.**
    /// KB3185535 row K2 (exceptions only for named endpoints, SMB 3.x encrypted).
    /// [KB3185535](https://support.microsoft.com/en-us/help/3185535/preventing-smb-traffic-from-lateral-connections);
    /// [SMB security
    /// hardening](https://learn.microsoft.com/windows-server/storage/file-server/smb-secure-traffic).
    PerimeterUnencrypted,
    /// `SG-L008` `dc-outbound-open`.
    ///
    /// **What it does.**
    /// Flags a domain-controller group without `outbound-block = true`, which KB3185535's default
    /// scope leaves free to open SMB to any address.
    ///
    /// **Why it matters.**
    /// Authentication coercion (PetitPotam, PrinterBug) makes a DC authenticate over outbound SMB
    /// to an attacker's relay; blocking outbound SMB from DCs except to the servers they need cuts
    /// that path.
    ///
    /// **Example.**
    /// `[[groups]] role = "domain-controller"` without `outbound-block = true`.
    ///
    /// **Reference.**
    /// KB3185535 row K6 (outbound rules on "clients or servers that do not host SMB shares").
    /// [KB3185535](https://support.microsoft.com/en-us/help/3185535/preventing-smb-traffic-from-lateral-connections);
    /// [MS-EFSR abuse, ADV210003](https://msrc.microsoft.com/update-guide/vulnerability/ADV210003).
    DcOutboundOpen,
    /// `SG-L009` `management-no-effect`.
    ///
    /// **What it does.**
    /// Flags a `[[management]]` exception, or one of its targets or transports, that changes no
    /// flow: a target that is an isolated group (it accepts no SMB at all), a domain controller
    /// that already accepts the whole internal network, or a transport the estate does not
    /// govern or keeps closed (NetBIOS with `netbios = false`).
    ///
    /// **Why it matters.**
    /// The exception reads as if the identity sensor or inventory tool can reach those hosts;
    /// it cannot (or could anyway), and nobody notices until the tool fails.
    ///
    /// **Example.**
    /// `[[management]] to = ["kiosks"]` where `kiosks` has `role = "isolated"`, or
    /// `transports = ["tcp/139"]` with `netbios = false`.
    ///
    /// **Reference.**
    /// KB3185535 rows K4 and K8.
    /// [KB3185535](https://support.microsoft.com/en-us/help/3185535/preventing-smb-traffic-from-lateral-connections).
    ManagementNoEffect,
    /// `SG-L010` `edge-traversal`.
    ///
    /// **What it does.**
    /// Flags an inbound allow or bypass rule that allows edge traversal and through which a
    /// governed SMB or NetBIOS port accepts traffic that came through edge traversal (Teredo),
    /// evaluated with everything else on the host (blocks, shielded mode, merge settings).
    ///
    /// **Why it matters.**
    /// Edge traversal lets unsolicited traffic through a NAT device reach the host; an SMB
    /// rule that allows it exposes the host to the internet past the perimeter ACL that
    /// KB3185535 relies on. smbguard's own rules never allow it; a deployed GPO's
    /// (`deployed-gpos`) or a third-party rule may.
    ///
    /// **Example.**
    /// A GPO rule `v2.10|Action=Allow|Dir=In|Protocol=6|LPort=445|Edge=TRUE|`, or
    /// `New-NetFirewallRule -Direction Inbound -LocalPort 445 -EdgeTraversalPolicy Allow`.
    ///
    /// **Reference.**
    /// KB3185535 rows K1 and K4.
    /// [New-NetFirewallRule -EdgeTraversalPolicy](https://learn.microsoft.com/powershell/module/netsecurity/new-netfirewallrule);
    /// [MS-GPFAS §2.2.2.19 `Edge=`](https://learn.microsoft.com/openspecs/windows_protocols/ms-gpfas/).
    EdgeTraversal,
}

impl LintCode {
    /// Every code, in `SG-L` order.
    pub const ALL: [LintCode; 10] = [
        LintCode::DeadAllow,
        LintCode::OutboundLocalPort,
        LintCode::InboundRemotePort,
        LintCode::BypassWithoutIsolation,
        LintCode::BypassBroadGroup,
        LintCode::Ipv4OnlyRule,
        LintCode::PerimeterUnencrypted,
        LintCode::DcOutboundOpen,
        LintCode::ManagementNoEffect,
        LintCode::EdgeTraversal,
    ];

    /// The stable identifier, e.g. `SG-L001`.
    #[must_use]
    pub const fn id(self) -> &'static str {
        match self {
            LintCode::DeadAllow => "SG-L001",
            LintCode::OutboundLocalPort => "SG-L002",
            LintCode::InboundRemotePort => "SG-L003",
            LintCode::BypassWithoutIsolation => "SG-L004",
            LintCode::BypassBroadGroup => "SG-L005",
            LintCode::Ipv4OnlyRule => "SG-L006",
            LintCode::PerimeterUnencrypted => "SG-L007",
            LintCode::DcOutboundOpen => "SG-L008",
            LintCode::ManagementNoEffect => "SG-L009",
            LintCode::EdgeTraversal => "SG-L010",
        }
    }

    /// The slug written in [`Lint::code`], e.g. `dead-allow`.
    #[must_use]
    pub const fn slug(self) -> &'static str {
        match self {
            LintCode::DeadAllow => "dead-allow",
            LintCode::OutboundLocalPort => "outbound-local-port",
            LintCode::InboundRemotePort => "inbound-remote-port",
            LintCode::BypassWithoutIsolation => "bypass-without-isolation",
            LintCode::BypassBroadGroup => "bypass-broad-group",
            LintCode::Ipv4OnlyRule => "ipv4-only-rule",
            LintCode::PerimeterUnencrypted => "perimeter-unencrypted",
            LintCode::DcOutboundOpen => "dc-outbound-open",
            LintCode::ManagementNoEffect => "management-no-effect",
            LintCode::EdgeTraversal => "edge-traversal",
        }
    }

    /// The code whose slug is `slug`.
    #[must_use]
    pub fn from_slug(slug: &str) -> Option<LintCode> {
        LintCode::ALL.into_iter().find(|c| c.slug() == slug)
    }
}

/// The well-known name of a broad SID, if it is one.
pub fn broad_sid(sid: &str) -> Option<&'static str> {
    match sid {
        "S-1-1-0" => return Some("Everyone"),
        "S-1-5-11" => return Some("Authenticated Users"),
        "S-1-5-7" => return Some("Anonymous Logon"),
        "S-1-5-2" => return Some("Network"),
        "S-1-5-32-545" => return Some("BUILTIN\\Users"),
        _ => {}
    }
    let parts: Vec<&str> = sid.split('-').collect();
    // S-1-5-21-<a>-<b>-<c>-<rid>: a domain-relative well-known RID.
    if parts.len() == 8 && parts[..4] == ["S", "1", "5", "21"] {
        return match parts[7] {
            "513" => Some("Domain Users"),
            "514" => Some("Domain Guests"),
            "515" => Some("Domain Computers"),
            _ => None,
        };
    }
    None
}

fn matches_transport(r: &WindowsRule, t: Transport) -> bool {
    r.protocol.is_none_or(|p| p == t.proto) && r.service_ports().contains(t.port)
}

/// The source-side ports of a rule (remote for inbound, local for outbound).
fn client_ports(r: &WindowsRule) -> &smbguard_model::PortSet {
    match r.direction {
        Direction::Inbound => &r.remote_ports,
        Direction::Outbound => &r.local_ports,
    }
}

pub(crate) fn lints(engine: &mut Engine<'_, '_>, estate: &Estate) -> Vec<Lint> {
    let space = engine.space;
    let plan = space.plan;
    let mut out = Vec::new();
    for (h, host) in plan.hosts.iter().enumerate() {
        match &host.rules {
            HostRules::Windows(_) => {
                let rules: Vec<&WindowsRule> =
                    space.win_rules[h].iter().flatten().copied().collect();
                for r in &rules {
                    if !r.enabled {
                        continue;
                    }
                    let lint = |code, message: String, kb| Lint {
                        code,
                        group: Some(host.group.clone()),
                        rule_id: Some(r.id.clone()),
                        rule_name: Some(r.name.clone()),
                        message,
                        kb,
                    };
                    if r.action == Action::Allow {
                        if let Some(m) = dead_allow(r, &rules, &plan.transports) {
                            out.push(lint(LintCode::DeadAllow.slug(), m, Some(KbRow::K6)));
                        }
                    }
                    if let Some((code, m)) = wrong_port(r, &plan.transports) {
                        out.push(lint(code, m, Some(KbRow::K6)));
                    }
                    if r.action == Action::Bypass {
                        if let Some(m) = bypass_without_isolation(engine, h, r) {
                            out.push(lint(
                                LintCode::BypassWithoutIsolation.slug(),
                                m,
                                Some(KbRow::K7),
                            ));
                        }
                        for sid in &r.remote_machines {
                            if let Some(name) = broad_sid(sid) {
                                out.push(lint(
                                    LintCode::BypassBroadGroup.slug(),
                                    format!(
                                        "the bypass authorises {sid} ({name}): every member of that group can override the block rules on this port"
                                    ),
                                    Some(KbRow::K7),
                                ));
                            }
                        }
                    }
                    if r.action == Action::Block {
                        if let Some(m) = ipv4_only_windows(engine, h, r) {
                            out.push(lint(LintCode::Ipv4OnlyRule.slug(), m, Some(KbRow::K6)));
                        }
                    }
                    if let Some(m) = edge_traversal(engine, h, r) {
                        out.push(lint(LintCode::EdgeTraversal.slug(), m, Some(KbRow::K4)));
                    }
                }
            }
            HostRules::Linux(l) => {
                for (acl, dir) in [
                    (&l.input, Direction::Inbound),
                    (&l.output, Direction::Outbound),
                ] {
                    for (m, name) in acl_dead_permits(acl) {
                        out.push(Lint {
                            code: LintCode::DeadAllow.slug(),
                            group: Some(host.group.clone()),
                            rule_id: None,
                            rule_name: Some(name),
                            message: m,
                            kb: Some(KbRow::K6),
                        });
                    }
                    for (m, name) in ipv4_only_acl(engine, h, acl, dir) {
                        out.push(Lint {
                            code: LintCode::Ipv4OnlyRule.slug(),
                            group: Some(host.group.clone()),
                            rule_id: None,
                            rule_name: Some(name),
                            message: m,
                            kb: Some(KbRow::K6),
                        });
                    }
                }
            }
        }
    }
    for (m, name) in acl_dead_permits(&plan.perimeter) {
        out.push(Lint {
            code: LintCode::DeadAllow.slug(),
            group: None,
            rule_id: None,
            rule_name: Some(name),
            message: m,
            kb: Some(KbRow::K2),
        });
    }
    out.extend(dc_outbound_open(estate));
    out.extend(management_no_effect(estate));
    for e in &estate.perimeter_allow {
        let mut why = Vec::new();
        if !e.require_encryption {
            why.push("does not require SMB 3.x encryption".to_string());
        }
        if estate.smb.min_dialect < Dialect::Smb300 {
            why.push(format!(
                "accepts dialects below SMB 3.0 (min-dialect {})",
                estate.smb.min_dialect.as_str()
            ));
        }
        if !why.is_empty() {
            out.push(Lint {
                code: LintCode::PerimeterUnencrypted.slug(),
                group: None,
                rule_id: None,
                rule_name: None,
                message: format!(
                    "perimeter exception `{}` {}; KB3185535: allow only SMB 3.x across the perimeter and require AES encryption",
                    e.name,
                    why.join(" and ")
                ),
                kb: Some(KbRow::K2),
            });
        }
    }
    out
}

/// Management exceptions (or parts of them) that change no flow.
fn management_no_effect(estate: &Estate) -> Vec<Lint> {
    let session = smbguard_semantics::session_transports(estate);
    let mut out = Vec::new();
    for m in &estate.management {
        let mut why: Vec<String> = Vec::new();
        for g in m.to_groups.iter().map(|&g| &estate.groups[g]) {
            if g.role == smbguard_model::Role::Isolated {
                why.push(format!(
                    "`{}` is isolated and accepts no SMB at all",
                    g.name
                ));
            } else if g.role == smbguard_model::Role::DomainController
                && g.clients.is_empty()
                && g.client_groups.is_empty()
                && m.from.is_subset(&estate.internal)
            {
                why.push(format!(
                    "`{}` is a domain controller without `clients`: it already accepts the whole internal network",
                    g.name
                ));
            }
        }
        for t in m.transports.iter().filter(|t| !session.contains(t)) {
            why.push(format!(
                "{t} is not a transport the estate keeps open (not governed, or NetBIOS with `netbios = false`)"
            ));
        }
        if !why.is_empty() {
            out.push(Lint {
                code: LintCode::ManagementNoEffect.slug(),
                group: None,
                rule_id: None,
                rule_name: None,
                message: format!(
                    "management exception `{}` does nothing there: {}",
                    m.name,
                    why.join("; ")
                ),
                kb: Some(KbRow::K4),
            });
        }
    }
    out
}

/// DCs left outside the outbound blocks (the article's default scope).
fn dc_outbound_open(estate: &Estate) -> Vec<Lint> {
    estate
        .groups
        .iter()
        .filter(|g| g.role == smbguard_model::Role::DomainController && !g.outbound_block)
        .map(|g| Lint {
            code: LintCode::DcOutboundOpen.slug(),
            group: Some(g.name.clone()),
            rule_id: None,
            rule_name: None,
            message: "domain controllers may open SMB to any address (KB3185535 scopes its outbound rules to hosts without shares); authentication coercion (PetitPotam, PrinterBug) makes a DC authenticate over outbound SMB to a relay, so set `outbound-block = true` on this group".into(),
            kb: Some(KbRow::K6),
        })
        .collect()
}

/// An allow that some block overrides in every (profile, transport) it matches.
fn dead_allow(a: &WindowsRule, rules: &[&WindowsRule], transports: &[Transport]) -> Option<String> {
    if a.remote_addresses.is_empty() {
        return None;
    }
    let mut any = false;
    let mut blockers: Vec<String> = Vec::new();
    for p in a.profiles.iter() {
        for &t in transports {
            if !matches_transport(a, t) {
                continue;
            }
            any = true;
            let mut cover = AddrSet::empty();
            for b in rules {
                if b.enabled
                    && b.action == Action::Block
                    && b.direction == a.direction
                    && b.profiles.contains(p)
                    && matches_transport(b, t)
                    && a.local_addresses.is_subset(&b.local_addresses)
                    && client_ports(a).is_subset(client_ports(b))
                {
                    cover = cover.union(&b.remote_addresses);
                    if !blockers.contains(&b.name) {
                        blockers.push(b.name.clone());
                    }
                }
            }
            if !a.remote_addresses.is_subset(&cover) {
                return None;
            }
        }
    }
    if !any {
        return None;
    }
    let names: Vec<String> = blockers.iter().map(|n| format!("\"{n}\"")).collect();
    let mut m = format!(
        "this allow never applies: block rule(s) {} match every flow it matches, and Windows ranks block above allow",
        names.join(", ")
    );
    if a.security != Security::None {
        m.push_str(
            "; allow-if-secure without \"override block rules\" does not beat a block (KB3185535: set Override block rules = ON, i.e. a bypass)",
        );
    }
    Some(m)
}

fn wrong_port(r: &WindowsRule, transports: &[Transport]) -> Option<(&'static str, String)> {
    let (client, server, code, side) = match r.direction {
        Direction::Outbound => (
            &r.local_ports,
            &r.remote_ports,
            LintCode::OutboundLocalPort.slug(),
            "local",
        ),
        Direction::Inbound => (
            &r.remote_ports,
            &r.local_ports,
            LintCode::InboundRemotePort.slug(),
            "remote",
        ),
    };
    if client.is_full() || !server.is_full() {
        return None;
    }
    let hit: Vec<String> = transports
        .iter()
        .filter(|t| r.protocol.is_none_or(|p| p == t.proto) && client.contains(t.port))
        .map(ToString::to_string)
        .collect();
    if hit.is_empty() {
        return None;
    }
    let dir = match r.direction {
        Direction::Outbound => "an outbound",
        Direction::Inbound => "an inbound",
    };
    Some((
        code,
        format!(
            "{dir} rule matches the {side} port {} instead of the {} port: the SMB port is on the server side, so this rule matches ordinary SMB connections only by accident (source port {})",
            client.to_port_string(),
            if side == "local" { "remote" } else { "local" },
            hit.join(", ")
        ),
    ))
}

fn bypass_without_isolation(
    engine: &mut Engine<'_, '_>,
    h: usize,
    r: &WindowsRule,
) -> Option<String> {
    let space = engine.space;
    let mut why = Vec::new();
    if r.security == Security::None {
        why.push("it requires no authentication, so Windows ignores it".to_string());
    }
    let host = &space.plan.hosts[h];
    let missing: Vec<&str> = r
        .profiles
        .iter()
        .filter(|&p| !space.hosts[h].ipsec[profile_index(p)])
        .map(Profile::as_str)
        .collect();
    if !missing.is_empty() {
        why.push(format!(
            "`{}` has no connection security rule (or no Kerberos: not domain-joined) in the {} profile(s)",
            host.group,
            missing.join("/")
        ));
    }
    // Peers the bypass names that cannot take part in IPsec.
    let mut peer_hosts: Vec<usize> = Vec::new();
    let mut unmanaged = false;
    {
        let mut visit = |u: u32| match space.units[u as usize].host {
            Some(p) => {
                if !peer_hosts.contains(&p) {
                    peer_hosts.push(p);
                }
            }
            None => unmanaged = true,
        };
        overlapping(&space.v4, r.remote_addresses.v4.intervals(), |u, _, _| {
            visit(u)
        });
        overlapping(&space.v6, r.remote_addresses.v6.intervals(), |u, _, _| {
            visit(u)
        });
    }
    let lacking: Vec<String> = peer_hosts
        .iter()
        .filter(|&&p| {
            r.profiles
                .iter()
                .any(|pr| !space.hosts[p].ipsec[profile_index(pr)])
        })
        .map(|&p| format!("`{}`", space.plan.hosts[p].group))
        .collect();
    if !lacking.is_empty() {
        why.push(format!(
            "peers in its scope have no connection security rule: {}",
            lacking.join(", ")
        ));
    }
    if unmanaged {
        why.push(
            "part of its scope is in no group, where no connection security rule can be assumed"
                .into(),
        );
    }
    if why.is_empty() {
        return None;
    }
    Some(format!(
        "an authenticated bypass needs the isolation rule on both ends; {}",
        why.join("; ")
    ))
}

/// The unit IDs of a host.
fn units_of(engine: &Engine<'_, '_>, h: usize) -> Vec<u32> {
    engine
        .space
        .units
        .iter()
        .enumerate()
        .filter(|(_, u)| u.host == Some(h))
        .map(|(i, _)| i as u32)
        .collect()
}

fn ipv4_only(set: &AddrSet) -> bool {
    set.v6.is_empty() && !set.v4.is_empty()
}

fn ipv4_only_windows(engine: &mut Engine<'_, '_>, h: usize, r: &WindowsRule) -> Option<String> {
    if !(ipv4_only(&r.remote_addresses) || ipv4_only(&r.local_addresses)) {
        return None;
    }
    let transports = engine.space.plan.transports.clone();
    for u in units_of(engine, h) {
        if engine.space.units[u as usize].addrs.v6.is_empty() {
            continue;
        }
        for p in r.profiles.iter() {
            for &t in &transports {
                if !matches_transport(r, t) {
                    continue;
                }
                let ctx = Ctx {
                    t,
                    ps: p,
                    pd: p,
                    port: smbguard_semantics::Flow::EPHEMERAL_PORT,
                    edge: false,
                };
                let open: IntervalSet<u128> = engine.open_without_ipsec(u, r.direction, &ctx);
                if let Some(a) = open.first() {
                    return Some(format!(
                        "this block rule only matches IPv4, and the same path stays open on IPv6 (e.g. {} on {t} in the {p} profile)",
                        std::net::Ipv6Addr::from(a)
                    ));
                }
            }
        }
    }
    None
}

/// An inbound exception allowing edge traversal through which a governed
/// port accepts edge-traversal traffic: the engine's `edge` context, so
/// blocks, shielded mode and merge settings are taken into account.
fn edge_traversal(engine: &mut Engine<'_, '_>, h: usize, r: &WindowsRule) -> Option<String> {
    if !r.edge_traversal || r.direction != Direction::Inbound || r.action == Action::Block {
        return None;
    }
    let transports = engine.space.plan.transports.clone();
    for u in units_of(engine, h) {
        for p in r.profiles.iter() {
            for &t in transports.iter().filter(|t| matches_transport(r, **t)) {
                let ctx = Ctx {
                    t,
                    ps: p,
                    pd: p,
                    port: smbguard_semantics::Flow::EPHEMERAL_PORT,
                    edge: true,
                };
                let v4: IntervalSet<u32> = engine.open_without_ipsec(u, Direction::Inbound, &ctx);
                let v6: IntervalSet<u128> = engine.open_without_ipsec(u, Direction::Inbound, &ctx);
                let from = v4
                    .intersection(&r.remote_addresses.v4)
                    .first()
                    .map(|a| std::net::IpAddr::from(std::net::Ipv4Addr::from(a)))
                    .or_else(|| {
                        v6.intersection(&r.remote_addresses.v6)
                            .first()
                            .map(|a| std::net::IpAddr::from(std::net::Ipv6Addr::from(a)))
                    });
                if let Some(a) = from {
                    return Some(format!(
                        "this rule allows edge traversal, and {t} accepts traffic that came through it (Teredo) in the {p} profile (e.g. from {a}): the host is reachable past the perimeter"
                    ));
                }
            }
        }
    }
    None
}

fn ipv4_only_acl(
    engine: &mut Engine<'_, '_>,
    h: usize,
    acl: &Acl,
    dir: Direction,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in &acl.entries {
        if e.action != AclAction::Deny || !(ipv4_only(&e.source) || ipv4_only(&e.destination)) {
            continue;
        }
        let transports: Vec<Transport> = engine
            .space
            .plan
            .transports
            .iter()
            .copied()
            .filter(|t| {
                e.protocol.is_none_or(|p| p == t.proto) && e.destination_ports.contains(t.port)
            })
            .collect();
        'found: for u in units_of(engine, h) {
            if engine.space.units[u as usize].addrs.v6.is_empty() {
                continue;
            }
            for &t in &transports {
                let ctx = Ctx {
                    t,
                    ps: Profile::Domain,
                    pd: Profile::Domain,
                    port: smbguard_semantics::Flow::EPHEMERAL_PORT,
                    edge: false,
                };
                let open: IntervalSet<u128> = engine.open_without_ipsec(u, dir, &ctx);
                if let Some(a) = open.first() {
                    out.push((
                        format!(
                            "this deny entry only matches IPv4, and the same path stays open on IPv6 (e.g. {} on {t})",
                            std::net::Ipv6Addr::from(a)
                        ),
                        e.name.clone(),
                    ));
                    break 'found;
                }
            }
        }
    }
    out
}

/// Permit entries a single earlier deny entry shadows entirely.
fn acl_dead_permits(acl: &Acl) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, e) in acl.entries.iter().enumerate() {
        if e.action != AclAction::Permit {
            continue;
        }
        let shadow = acl.entries[..i].iter().enumerate().find(|(_, d)| {
            d.action == AclAction::Deny
                && d.protocol.is_none_or(|p| Some(p) == e.protocol)
                && e.destination_ports.is_subset(&d.destination_ports)
                && e.source.is_subset(&d.source)
                && e.destination.is_subset(&d.destination)
        });
        if let Some((j, d)) = shadow {
            out.push((
                format!(
                    "entry {} of \"{}\" is never reached: entry {} \"{}\" denies everything it permits (first match)",
                    i + 1,
                    acl.name,
                    j + 1,
                    d.name
                ),
                e.name.clone(),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::LintCode;

    /// The reference page must not drift from the enum: every code, with its
    /// slug, has a section in `docs/lints.md`.
    #[test]
    fn every_lint_code_is_documented_in_docs_lints_md() {
        let doc = include_str!("../../../docs/lints.md");
        for code in LintCode::ALL {
            let heading = format!("## {} `{}`", code.id(), code.slug());
            assert!(doc.contains(&heading), "docs/lints.md lacks `{heading}`");
        }
    }

    #[test]
    fn ids_and_slugs_are_unique_and_round_trip() {
        for (i, a) in LintCode::ALL.iter().enumerate() {
            assert_eq!(LintCode::from_slug(a.slug()), Some(*a));
            assert_eq!(a.id(), format!("SG-L{:03}", i + 1));
        }
    }
}
