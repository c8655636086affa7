//! Observed flows against a declared estate: who talked to whom, and what
//! about it matters for KB3185535.
//!
//! [`classify`] places both ends of a [`FlowRecord`] in the estate (a group,
//! an internal host in no group, or the internet) and tags the flow with
//! [`Category`]s. [`impact()`] adds the Plan's verdict for every flow, so a
//! defender sees what the plan would break before deploying it.

mod chains;
mod impact;
mod policy;

pub use chains::{Chain, Hop, hops, lateral_chains};
pub use impact::{BlockedRow, Impact, ImpactedFlow, RuleRef, impact};
pub use policy::{PolicyBreach, policy_breaches};

use std::net::IpAddr;

use serde::Serialize;
use smbguard_model::{Estate, Proto, Role, Transport, is_local_scope};

use crate::flow::{FlowRecord, L4Protocol, Service};

pub use smbguard_model::REMOTE_SERVICE_PIPES;

/// DCE/RPC interfaces whose bind (over a named pipe or TCP) is remote
/// service, task, WMI, firewall or registry work, by UUID: with
/// [`REMOTE_SERVICE_PIPES`], what makes a flow `remote-service`.
#[must_use]
pub fn remote_service_interfaces() -> Vec<&'static str> {
    crate::dcerpc::remote_execution_uuids()
}

/// Where one end of a flow sits in the estate.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Endpoint {
    /// A declared group.
    Group {
        /// Group name.
        name: String,
        /// The group's role (kebab-case, as in the estate file).
        role: &'static str,
    },
    /// Inside `estate.internal` but in no group.
    UnknownInternal,
    /// Link-local, loopback or multicast (or the IPv4 broadcast) and in no
    /// group: on the host's own link, never the internet.
    LocalScope,
    /// Outside `estate.internal`.
    Internet,
}

impl Endpoint {
    /// Places `ip` in `estate`.
    #[must_use]
    pub fn of(estate: &Estate, ip: IpAddr) -> Self {
        let ip = ip.to_canonical();
        match estate.group_of(ip) {
            Some(i) => Self::Group {
                name: estate.groups[i].name.clone(),
                role: estate.groups[i].role.as_str(),
            },
            None if estate.is_internal(ip) => Self::UnknownInternal,
            None if is_local_scope(ip) => Self::LocalScope,
            None => Self::Internet,
        }
    }

    /// Short label for tables: the group name, `unknown-internal`,
    /// `local-scope` or `internet`.
    #[must_use]
    pub fn label(&self) -> &str {
        match self {
            Self::Group { name, .. } => name,
            Self::UnknownInternal => "unknown-internal",
            Self::LocalScope => "local-scope",
            Self::Internet => "internet",
        }
    }
}

/// What a flow is, for KB3185535. A flow may have several.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Between two client roles (workstation, member, isolated): what the
    /// article exists to stop.
    Lateral,
    /// From an internal host to a domain controller, or to a file server
    /// whose declared clients include the client.
    ApprovedServer,
    /// From outside `internal` to inside.
    PerimeterInbound,
    /// From inside `internal` to outside.
    PerimeterOutbound,
    /// Across the perimeter to or from a declared cloud endpoint (K2).
    CloudException,
    /// To or from a declared cloud endpoint without evidence of SMB 3.x with
    /// encryption, which K2 requires.
    CloudUnencrypted,
    /// SMB1 actually used (not merely offered).
    Smb1,
    /// SMB 3.x negotiated without encryption.
    CleartextSmb3,
    /// An administrative share (`ADMIN$`, `C$`, any `X$` other than `IPC$`).
    AdminShare,
    /// A remote service / task / registry pipe ([`REMOTE_SERVICE_PIPES`]),
    /// or an RPC interface for remote execution bound over TCP (services,
    /// tasks, WMI and DCOM activation, the firewall, the registry; see
    /// [`crate::RpcPurpose::is_remote_execution`]).
    RemoteService,
    /// An end in no group that is not a declared cloud endpoint.
    UnknownHost,
}

impl Category {
    /// Every category, in report order.
    pub const ALL: [Self; 11] = [
        Self::Lateral,
        Self::ApprovedServer,
        Self::PerimeterInbound,
        Self::PerimeterOutbound,
        Self::CloudException,
        Self::CloudUnencrypted,
        Self::Smb1,
        Self::CleartextSmb3,
        Self::AdminShare,
        Self::RemoteService,
        Self::UnknownHost,
    ];

    /// The kebab-case name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Lateral => "lateral",
            Self::ApprovedServer => "approved-server",
            Self::PerimeterInbound => "perimeter-inbound",
            Self::PerimeterOutbound => "perimeter-outbound",
            Self::CloudException => "cloud-exception",
            Self::CloudUnencrypted => "cloud-unencrypted",
            Self::Smb1 => "smb1",
            Self::CleartextSmb3 => "cleartext-smb3",
            Self::AdminShare => "admin-share",
            Self::RemoteService => "remote-service",
            Self::UnknownHost => "unknown-host",
        }
    }

    /// True for the categories a defender should look at first.
    #[must_use]
    pub const fn is_notable(self) -> bool {
        !matches!(self, Self::ApprovedServer | Self::PerimeterOutbound)
    }
}

/// Both ends of a flow placed in the estate, and its categories.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Classification {
    /// Where the client sits.
    pub client: Endpoint,
    /// Where the server sits.
    pub server: Endpoint,
    /// The declared cloud endpoint (perimeter exception) involved, if any.
    pub cloud_exception: Option<String>,
    /// Categories, sorted, without duplicates.
    pub categories: Vec<Category>,
}

/// The governed transport a flow uses.
#[must_use]
pub fn transport_of(flow: &FlowRecord) -> Transport {
    match flow.service {
        Service::Smb => Transport::SMB,
        Service::NetbiosSession => Transport::NETBIOS_SESSION,
        Service::NetbiosName => Transport::NETBIOS_NAME,
        Service::NetbiosDatagram => Transport::NETBIOS_DATAGRAM,
        Service::SmbOverQuic => Transport::SMB_QUIC,
        Service::SmbDirect => Transport::SMB_DIRECT,
        #[allow(unreachable_patterns)] // Service is non_exhaustive
        _ => Transport {
            proto: match flow.protocol {
                L4Protocol::Tcp => Proto::Tcp,
                L4Protocol::Udp => Proto::Udp,
            },
            port: flow.server_port,
        },
    }
}

fn is_client_role(role: Role) -> bool {
    matches!(role, Role::Workstation | Role::Member | Role::Isolated)
}

/// An administrative share (`ADMIN$`, `C$`, any `X$` other than `IPC$`).
pub(crate) fn is_admin_share(flow: &FlowRecord) -> bool {
    flow.smb
        .share_names()
        .any(|s| s.ends_with('$') && s != "IPC$")
}

/// A remote service, task or registry pipe, or an RPC interface for remote
/// execution bound over TCP.
pub(crate) fn is_remote_service(flow: &FlowRecord) -> bool {
    flow.smb
        .pipes
        .iter()
        .any(|p| REMOTE_SERVICE_PIPES.contains(&p.rsplit('\\').next().unwrap_or(p)))
        || flow.rpc.remote_execution()
}

/// Classifies one flow against the estate.
#[must_use]
pub fn classify(estate: &Estate, flow: &FlowRecord) -> Classification {
    // An IPv4-mapped IPv6 address (`::ffff:198.18.16.5`, as dual-stack
    // sockets log IPv4 peers) is the IPv4 host.
    let (client, server) = (flow.client.to_canonical(), flow.server.to_canonical());
    let mut cats = Vec::new();
    let client_group = estate.group_of(client).map(|i| &estate.groups[i]);
    let server_group = estate.group_of(server).map(|i| &estate.groups[i]);
    if let (Some(c), Some(s)) = (client_group, server_group) {
        if is_client_role(c.role) && is_client_role(s.role) {
            cats.push(Category::Lateral);
        }
    }
    if let Some(s) = server_group.filter(|_| estate.is_internal(client)) {
        let approved = match s.role {
            Role::DomainController => true,
            Role::FileServer => s.clients.contains(client),
            _ => false,
        };
        if approved {
            cats.push(Category::ApprovedServer);
        }
    }
    // Link-local, loopback and multicast ends never cross the perimeter.
    let inside = |ip| estate.is_internal(ip) || is_local_scope(ip);
    let (client_in, server_in) = (inside(client), inside(server));
    let outside = match (client_in, server_in) {
        (false, true) => {
            cats.push(Category::PerimeterInbound);
            Some(client)
        }
        (true, false) => {
            cats.push(Category::PerimeterOutbound);
            Some(server)
        }
        _ => None,
    };
    let cloud = outside.and_then(|ip| {
        estate
            .perimeter_allow
            .iter()
            .find(|p| p.addresses.contains(ip))
    });
    if cloud.is_some() {
        cats.push(Category::CloudException);
        let k2 = flow.smb.encrypted && flow.smb.dialect.is_some_and(|d| d.is_smb3());
        if !k2 {
            cats.push(Category::CloudUnencrypted);
        }
    }
    if flow.smb.smb1_used {
        cats.push(Category::Smb1);
    }
    if flow.smb.dialect.is_some_and(|d| d.is_smb3()) && !flow.smb.encrypted {
        cats.push(Category::CleartextSmb3);
    }
    if is_admin_share(flow) {
        cats.push(Category::AdminShare);
    }
    if is_remote_service(flow) {
        cats.push(Category::RemoteService);
    }
    let cloud_ip = |ip: IpAddr| cloud.is_some() && outside == Some(ip);
    if (client_group.is_none() && !cloud_ip(client))
        || (server_group.is_none() && !cloud_ip(server))
    {
        cats.push(Category::UnknownHost);
    }
    cats.sort_unstable();
    cats.dedup();
    Classification {
        client: Endpoint::of(estate, client),
        server: Endpoint::of(estate, server),
        cloud_exception: cloud.map(|p| p.name.clone()),
        categories: cats,
    }
}

#[cfg(test)]
mod tests {
    use smbguard_model::{EXAMPLE_ESTATE, parse_estate};

    use super::*;
    use crate::{Options, analyze_bytes};

    /// Example-estate workstation 198.18.16.5 to each of `servers` on tcp/445.
    fn conn_log(servers: &[&str]) -> String {
        let mut log = String::from(
            "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n",
        );
        for (i, s) in servers.iter().enumerate() {
            log.push_str(&format!(
                "{i}.0\tC{i}\t198.18.16.5\t5000{i}\t{s}\t445\ttcp\n"
            ));
        }
        log
    }

    #[test]
    fn link_local_loopback_and_multicast_are_never_internet() {
        // Issue 13, point 5: they were placed on the internet and their
        // flows reported as crossing the perimeter.
        let estate = parse_estate(EXAMPLE_ESTATE).unwrap().estate;
        let local = [
            "169.254.1.1",
            "224.0.0.251",
            "fe80::1",
            "ff02::fb",
            "127.0.0.1",
        ];
        for ip in local {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(Endpoint::of(&estate, ip), Endpoint::LocalScope, "{ip}");
        }
        assert_eq!(
            Endpoint::of(&estate, "203.0.113.9".parse().unwrap()),
            Endpoint::Internet
        );
        let log = conn_log(&["169.254.1.1", "224.0.0.251", "203.0.113.9"]);
        let analysis = analyze_bytes(log.as_bytes(), &Options::default()).unwrap();
        let crossing: Vec<bool> = analysis
            .flows
            .iter()
            .map(|f| {
                classify(&estate, f)
                    .categories
                    .contains(&Category::PerimeterOutbound)
            })
            .collect();
        assert_eq!(crossing, [false, false, true]);
    }

    #[test]
    fn ipv4_mapped_capture_addresses_are_the_ipv4_hosts() {
        // Issue 11, defect 12: `::ffff:198.18.16.5` was treated as internet.
        let estate = parse_estate(EXAMPLE_ESTATE).unwrap().estate;
        let mapped = Endpoint::of(&estate, "::ffff:198.18.16.5".parse().unwrap());
        assert_eq!(
            mapped,
            Endpoint::of(&estate, "198.18.16.5".parse().unwrap())
        );
        assert!(matches!(mapped, Endpoint::Group { .. }));
    }
}
