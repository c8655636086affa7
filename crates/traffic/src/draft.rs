//! An estate drafted from what the network does, for a defender with no
//! inventory: who serves SMB, who only connects, who administers many
//! hosts. Every proposal carries the evidence it rests on; the CLI writes
//! it as commented estate TOML to be reviewed, not trusted.
//!
//! Only SMB, NetBIOS and DCE/RPC ports are read, so a domain controller is
//! recognised by what its clients ask of it over those (SYSVOL and
//! NETLOGON shares; the netlogon, lsarpc, samr and drsuapi interfaces or
//! pipes), not by Kerberos or LDAP, which are not captured.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use serde::Serialize;

use crate::flow::{FlowRecord, Service};

/// Hosts an administrator reaches at least this many of (as client only
/// hosts) make a management-host proposal.
const MANAGEMENT_MIN_TARGETS: usize = 3;

/// The role of a drafted group (the estate's kebab-case role names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum DraftRole {
    /// Serves SMB and what a DC serves.
    DomainController,
    /// Serves SMB to the clients listed.
    FileServer,
    /// Serves RPC or NetBIOS but no SMB, or administers other hosts.
    Member,
    /// Only connects.
    Workstation,
    /// Never a host: a broadcast or multicast destination.
    Isolated,
}

impl DraftRole {
    /// The estate's name for the role.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::DomainController => "domain-controller",
            Self::FileServer => "file-server",
            Self::Member => "member",
            Self::Workstation => "workstation",
            Self::Isolated => "isolated",
        }
    }
}

/// One proposed group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DraftGroup {
    /// Group name.
    pub name: String,
    /// Proposed role.
    pub role: DraftRole,
    /// Its hosts.
    pub addresses: Vec<IpAddr>,
    /// For a file server or DC: the hosts seen using it.
    pub clients: Vec<IpAddr>,
    /// Why: one line per fact observed.
    pub evidence: Vec<String>,
}

/// A proposed `[[management]]` exception.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DraftManagement {
    /// The administering group.
    pub from: String,
    /// The groups it reaches.
    pub to: Vec<String>,
    /// Why.
    pub evidence: Vec<String>,
}

/// The drafted estate.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Draft {
    /// Groups, DCs first, then file servers, members, workstations.
    pub groups: Vec<DraftGroup>,
    /// Management exceptions.
    pub management: Vec<DraftManagement>,
}

/// What was seen of one address.
#[derive(Debug, Default)]
struct Host {
    smb_clients: BTreeSet<IpAddr>,
    other_clients: BTreeSet<IpAddr>,
    reached: BTreeSet<IpAddr>,
    dc_evidence: BTreeSet<String>,
    /// Only ever the destination of NetBIOS name or datagram traffic.
    netbios_destination_only: bool,
    seen_otherwise: bool,
}

const DC_SHARES: [&str; 2] = ["SYSVOL", "NETLOGON"];
const DC_INTERFACES: [&str; 4] = ["netlogon", "lsarpc", "samr", "drsuapi"];

fn observe(hosts: &mut BTreeMap<IpAddr, Host>, f: &FlowRecord) {
    let (client, server) = (f.client.to_canonical(), f.server.to_canonical());
    let netbios_udp = matches!(f.service, Service::NetbiosName | Service::NetbiosDatagram);
    hosts.entry(client).or_default().seen_otherwise = true;
    let s = hosts.entry(server).or_default();
    if netbios_udp {
        s.netbios_destination_only = true;
        return;
    }
    s.seen_otherwise = true;
    if f.service.carries_nbss() {
        s.smb_clients.insert(client);
    } else {
        s.other_clients.insert(client);
    }
    for share in f
        .smb
        .share_names()
        .filter(|n| DC_SHARES.contains(&n.as_str()))
    {
        s.dc_evidence
            .insert(format!("{client} opened its {share} share"));
    }
    let names = f
        .smb
        .pipes
        .iter()
        .map(String::as_str)
        .chain(f.rpc.interfaces.iter().filter_map(|i| i.name));
    for name in names.filter(|n| DC_INTERFACES.contains(n)) {
        s.dc_evidence.insert(format!("{client} used {name} on it"));
    }
    hosts.entry(client).or_default().reached.insert(server);
}

fn list(ips: &BTreeSet<IpAddr>, max: usize) -> String {
    let mut s: Vec<String> = ips.iter().take(max).map(ToString::to_string).collect();
    if ips.len() > max {
        s.push(format!("and {} more", ips.len() - max));
    }
    s.join(", ")
}

/// Drafts an estate from observed flows.
#[must_use]
pub fn draft_estate(flows: &[FlowRecord]) -> Draft {
    let mut hosts: BTreeMap<IpAddr, Host> = BTreeMap::new();
    for f in flows {
        observe(&mut hosts, f);
    }
    let servers: BTreeSet<IpAddr> = hosts
        .iter()
        .filter(|(_, h)| !h.smb_clients.is_empty() || !h.other_clients.is_empty())
        .map(|(ip, _)| *ip)
        .collect();
    let mut dcs = DraftGroup::new("domain-controllers", DraftRole::DomainController);
    let mut file_servers = Vec::new();
    let mut members = DraftGroup::new("members", DraftRole::Member);
    let mut management = DraftGroup::new("management", DraftRole::Member);
    let mut workstations = DraftGroup::new("workstations", DraftRole::Workstation);
    let mut broadcast = DraftGroup::new("netbios-broadcast", DraftRole::Isolated);
    for (ip, h) in &hosts {
        let ip = *ip;
        let clients: BTreeSet<IpAddr> = h.smb_clients.union(&h.other_clients).copied().collect();
        if !h.dc_evidence.is_empty() {
            dcs.add(ip, &clients);
            dcs.evidence.push(format!(
                "{ip}: serves SMB/RPC to {} host(s); {}",
                clients.len(),
                h.dc_evidence
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        } else if !h.smb_clients.is_empty() {
            let mut g =
                DraftGroup::new(&format!("file-server-{}", slug(ip)), DraftRole::FileServer);
            g.add(ip, &h.smb_clients);
            g.evidence.push(format!(
                "{ip}: serves SMB to {} client(s): {}",
                h.smb_clients.len(),
                list(&h.smb_clients, 8)
            ));
            file_servers.push(g);
        } else if !h.other_clients.is_empty() {
            members.add(ip, &BTreeSet::new());
            members.evidence.push(format!(
                "{ip}: serves RPC or NetBIOS but no SMB, to {}",
                list(&h.other_clients, 8)
            ));
        } else if !h.seen_otherwise && h.netbios_destination_only {
            broadcast.add(ip, &BTreeSet::new());
            broadcast.evidence.push(format!(
                "{ip}: only ever the destination of NetBIOS name/datagram traffic (a broadcast or multicast address, not a host)"
            ));
        } else {
            let clients_reached: BTreeSet<IpAddr> = h
                .reached
                .iter()
                .filter(|r| !servers.contains(r))
                .copied()
                .collect();
            if clients_reached.len() >= MANAGEMENT_MIN_TARGETS {
                management.add(ip, &BTreeSet::new());
                management.evidence.push(format!(
                    "{ip}: connects to {} hosts that serve nothing to anyone else: {}",
                    clients_reached.len(),
                    list(&clients_reached, 8)
                ));
            } else {
                workstations.add(ip, &BTreeSet::new());
                if workstations.evidence.is_empty() {
                    workstations
                        .evidence
                        .push("hosts that only connect to others and serve nothing".to_owned());
                }
            }
        }
    }
    let mut groups = vec![dcs];
    groups.extend(file_servers);
    groups.extend([members, management, workstations, broadcast]);
    groups.retain(|g| !g.addresses.is_empty());
    let mgmt = groups
        .iter()
        .find(|g| g.name == "management")
        .map(|g| DraftManagement {
            from: g.name.clone(),
            to: vec!["workstations".to_owned()],
            evidence: g.evidence.clone(),
        });
    let has_workstations = groups.iter().any(|g| g.name == "workstations");
    Draft {
        management: mgmt.filter(|_| has_workstations).into_iter().collect(),
        groups,
    }
}

/// `198-18-2-7`, `2001-db8--1`: an address as part of a group name.
fn slug(ip: IpAddr) -> String {
    ip.to_string().replace(['.', ':'], "-")
}

impl DraftGroup {
    fn new(name: &str, role: DraftRole) -> Self {
        Self {
            name: name.to_owned(),
            role,
            addresses: Vec::new(),
            clients: Vec::new(),
            evidence: Vec::new(),
        }
    }

    fn add(&mut self, ip: IpAddr, clients: &BTreeSet<IpAddr>) {
        self.addresses.push(ip);
        for c in clients {
            if !self.clients.contains(c) {
                self.clients.push(*c);
            }
        }
    }
}
