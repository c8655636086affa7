//! The validated estate: what a defender declared, with every reference
//! resolved and every address parsed. Built only by [`crate::parse_estate`].

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::addr::AddrSet;
use crate::profile::{Profile, ProfileSet};
use crate::transport::Transport;

/// What a group of hosts does, which decides its SMB policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Active Directory domain controller: serves SYSVOL/NETLOGON over SMB.
    DomainController,
    /// Hosts SMB shares for its `clients`.
    FileServer,
    /// A server without shares (KB3185535: "clients and servers that do not host SMB shares").
    Member,
    /// A client computer.
    Workstation,
    /// A consumer or highly isolated computer that needs no SMB at all (K8).
    Isolated,
}

impl Role {
    /// True for roles that serve SMB (domain controllers and file servers).
    pub fn hosts_shares(self) -> bool {
        matches!(self, Role::DomainController | Role::FileServer)
    }

    /// The kebab-case name used in the estate file.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::DomainController => "domain-controller",
            Role::FileServer => "file-server",
            Role::Member => "member",
            Role::Workstation => "workstation",
            Role::Isolated => "isolated",
        }
    }
}

/// The host operating system, which decides the firewall semantics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    /// Windows Defender Firewall: profiles, no rule order, IPsec.
    #[default]
    Windows,
    /// Linux (nftables/iptables, Samba): first-match, no IPsec.
    Linux,
}

/// How outbound SMB is limited to DCs and file servers (K6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// The article's recipe: block 445 and bypass it, authenticated by a
    /// Kerberos IPsec isolation rule, to DCs and file servers.
    #[default]
    IpsecBypass,
    /// No IPsec: one block rule whose remote addresses are the complement of
    /// the allowed servers, in IPv4 and IPv6.
    Complement,
}

/// SMB encryption requirement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encryption {
    /// Not configured.
    Off,
    /// Encrypt when the peer supports it.
    #[default]
    Desired,
    /// Refuse unencrypted sessions (SMB 3.x only).
    Required,
}

/// Desired state of a Windows service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceState {
    /// Stopped and disabled (K8).
    Disabled,
    /// Left running.
    Enabled,
}

/// Direction of a perimeter exception.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// Internal clients to the endpoint.
    Outbound,
    /// The endpoint to internal hosts.
    Inbound,
    /// Both.
    Both,
}

/// The expected outcome of a user invariant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expectation {
    /// Every flow must be permitted.
    Allow,
    /// Every flow must be blocked.
    Block,
}

/// An SMB dialect, ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Dialect {
    /// SMB 2.0.2.
    #[serde(rename = "2.0.2")]
    Smb202,
    /// SMB 2.1.
    #[serde(rename = "2.1")]
    Smb210,
    /// SMB 3.0 (first with encryption).
    #[serde(rename = "3.0")]
    Smb300,
    /// SMB 3.0.2.
    #[serde(rename = "3.0.2")]
    Smb302,
    /// SMB 3.1.1.
    #[serde(rename = "3.1.1")]
    Smb311,
}

impl Dialect {
    /// Every dialect, ascending.
    pub const ALL: [Dialect; 5] = [
        Dialect::Smb202,
        Dialect::Smb210,
        Dialect::Smb300,
        Dialect::Smb302,
        Dialect::Smb311,
    ];

    /// The dotted name, e.g. `3.1.1`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Smb202 => "2.0.2",
            Dialect::Smb210 => "2.1",
            Dialect::Smb300 => "3.0",
            Dialect::Smb302 => "3.0.2",
            Dialect::Smb311 => "3.1.1",
        }
    }
}

/// SMB protocol settings applied to every Windows and Samba host (K2, K9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SmbSettings {
    /// Whether SMB1 stays enabled (K9 says remove it).
    pub smb1: bool,
    /// The lowest dialect servers and clients accept.
    pub min_dialect: Dialect,
    /// Encryption requirement.
    pub encryption: Encryption,
    /// Whether signing is required.
    pub signing: bool,
    /// Whether NetBIOS transports stay usable to DCs and file servers.
    pub netbios: bool,
    /// Windows 11 24H2 / Server 2025 client and server hardening.
    pub hardening: SmbHardening,
}

/// SMB hardening that exists on Windows 11 24H2 / Server 2025 only
/// (modern-smb.md): applied where the host supports it, reported where not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SmbHardening {
    /// `block-ntlm`: the SMB client refuses NTLM (smb-ntlm-blocking.md).
    pub block_ntlm: bool,
    /// `ntlm-exceptions`: servers (IP, NetBIOS name or FQDN) the client may
    /// still use NTLM with ("Block NTLM Server Exception List").
    pub ntlm_exceptions: Vec<String>,
    /// `quic-servers`: declared SMB over QUIC servers; with none the SMB over
    /// QUIC client is turned off (it would bypass the TCP 445 rules).
    pub quic_servers: Vec<String>,
    /// `remote-mailslots`: keep remote mailslots (SMB1-era; off by default).
    pub remote_mailslots: bool,
    /// `audit`: SMB audit events for peers without encryption or signing and
    /// for SMB1 access.
    pub audit: bool,
}

impl Default for SmbHardening {
    fn default() -> Self {
        SmbHardening {
            block_ntlm: true,
            ntlm_exceptions: Vec::new(),
            quic_servers: Vec::new(),
            remote_mailslots: false,
            audit: true,
        }
    }
}

/// A source span in the estate file.
pub type Span = Option<Range<usize>>;

/// Where each guard-rail-relevant key of a group was written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupSpans {
    /// The `name` value.
    pub name: Span,
    /// The `role` value.
    pub role: Span,
    /// `services.server`.
    pub server_service: Span,
    /// `services.workstation`.
    pub workstation_service: Span,
    /// `accept-smb-on`.
    pub accept_smb_on: Span,
    /// `domain-joined`.
    pub domain_joined: Span,
}

/// A group of hosts sharing one policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// Unique name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// What the hosts do.
    pub role: Role,
    /// Their operating system.
    pub platform: Platform,
    /// Their addresses.
    pub addresses: AddrSet,
    /// The AD security group holding the computers, for IPsec authorisation.
    pub sid: Option<String>,
    /// For servers: who may connect (resolved addresses).
    pub clients: AddrSet,
    /// For servers: the client groups named (indices into `Estate::groups`).
    pub client_groups: Vec<usize>,
    /// Whether the hosts are Active Directory domain members.
    pub domain_joined: bool,
    /// `outbound-block`: outbound SMB blocks (K6) on a group that hosts
    /// shares. KB3185535 puts its outbound rules on "Windows clients or
    /// servers that do not host SMB Shares", so DCs and file servers get none
    /// unless this opts in; ignored (always on) for the other roles.
    pub outbound_block: bool,
    /// `needs-dc-smb`: whether the hosts may open SMB to the domain
    /// controllers. Default `true` whatever `domain_joined` says: KB3185535
    /// allows outbound SMB "to only DCs and file servers" with no membership
    /// condition (an Entra-joined or Linux host still reads SYSVOL, runs
    /// `net ads`, or talks to a DC that is also a DFS root).
    pub needs_dc_smb: bool,
    /// For servers: the profiles on which they accept SMB.
    pub accept_smb_on: ProfileSet,
    /// Desired Server (LanmanServer) service state; `None` = not managed.
    pub server_service: Option<ServiceState>,
    /// Desired Workstation (LanmanWorkstation) service state; `None` = not managed.
    pub workstation_service: Option<ServiceState>,
    /// `deployed-gpos`: Group Policy objects smbguard does not write that
    /// already apply to these (Windows) hosts, highest precedence first.
    /// `check` and `verify` read each `Registry.pol` and judge what Windows
    /// would enforce with them (shielded mode, merge settings, their rules).
    pub deployed_gpos: Vec<DeployedGpo>,
    /// Source locations.
    pub spans: GroupSpans,
}

/// A `Registry.pol` named in a group's `deployed-gpos`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeployedGpo {
    /// The path as written (relative paths are relative to the estate file).
    pub path: String,
    /// Where it is written.
    pub span: Span,
}

impl Group {
    /// True when the hosts can take part in IPsec (Windows only).
    pub fn can_ipsec(&self) -> bool {
        self.platform == Platform::Windows
    }

    /// Whether the group gets the outbound SMB rules (K6): every group that
    /// hosts no shares, and share hosts that opt in with `outbound-block`.
    pub fn blocks_outbound(&self) -> bool {
        !self.role.hosts_shares() || self.outbound_block
    }
}

/// Hosts allowed inbound SMB to groups that otherwise accept none (e.g. identity sensors).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManagementException {
    /// Name, used in rule names.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Source addresses (groups resolved).
    pub from: AddrSet,
    /// Source groups named.
    pub from_groups: Vec<usize>,
    /// Destination groups.
    pub to_groups: Vec<usize>,
    /// Transports allowed.
    pub transports: Vec<Transport>,
    /// Where it was declared.
    pub span: Span,
}

/// A named cloud endpoint allowed across the perimeter (K2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PerimeterException {
    /// Name, e.g. `azure-files`.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// The endpoint's addresses (outside `internal`).
    pub addresses: AddrSet,
    /// Which way SMB may cross.
    pub direction: Direction,
    /// Transports allowed.
    pub transports: Vec<Transport>,
    /// Whether SMB 3.x encryption is required to it (K2).
    pub require_encryption: bool,
    /// Where it was declared.
    pub span: Span,
}

/// A reachability property the defender wants proved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInvariant {
    /// Name shown in reports.
    pub name: String,
    /// Source addresses.
    pub from: AddrSet,
    /// Destination addresses.
    pub to: AddrSet,
    /// The transport checked.
    pub transport: Transport,
    /// The profiles checked.
    pub profiles: ProfileSet,
    /// What must hold.
    pub expect: Expectation,
    /// Where it was declared.
    pub span: Span,
}

/// A validated estate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Estate {
    /// Estate name, written into every artefact header.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// The internal network; everything else is internet.
    pub internal: AddrSet,
    /// Outbound strategy (K6).
    pub strategy: Strategy,
    /// Transports governed, sorted.
    pub transports: Vec<Transport>,
    /// SMB settings.
    pub smb: SmbSettings,
    /// Host groups, in file order.
    pub groups: Vec<Group>,
    /// Management exceptions.
    pub management: Vec<ManagementException>,
    /// Perimeter exceptions.
    pub perimeter_allow: Vec<PerimeterException>,
    /// User invariants.
    pub invariants: Vec<UserInvariant>,
    /// The Azure service tag file the perimeter exceptions were resolved
    /// from, when any uses `service-tags`.
    pub service_tags: Option<crate::service_tags::ServiceTagsUsed>,
}

/// The addresses some domain controller accepts SMB from: its `clients`, or
/// all of `internal` when it lists none, and the DCs themselves. What
/// invariant I3 asks every member that needs the DCs to lie in.
#[must_use]
pub fn accepted_by_dcs(groups: &[Group], internal: &AddrSet) -> AddrSet {
    groups
        .iter()
        .filter(|g| g.role == Role::DomainController)
        .fold(AddrSet::empty(), |acc, dc| {
            let accepts = if dc.clients.is_empty() && dc.client_groups.is_empty() {
                internal
            } else {
                &dc.clients
            };
            acc.union(accepts).union(&dc.addresses)
        })
}

impl Estate {
    /// The group containing `ip`, first declared wins.
    pub fn group_of(&self, ip: std::net::IpAddr) -> Option<usize> {
        self.groups.iter().position(|g| g.addresses.contains(ip))
    }

    /// The group with this name.
    pub fn group_named(&self, name: &str) -> Option<usize> {
        self.groups.iter().position(|g| g.name == name)
    }

    /// True when `ip` is inside the internal ranges.
    pub fn is_internal(&self, ip: std::net::IpAddr) -> bool {
        self.internal.contains(ip)
    }

    /// Addresses of every group with the given role.
    pub fn addresses_of_role(&self, role: Role) -> AddrSet {
        self.groups
            .iter()
            .filter(|g| g.role == role)
            .fold(AddrSet::empty(), |acc, g| acc.union(&g.addresses))
    }

    /// True when the profile set is the default for servers.
    pub fn default_server_profiles() -> ProfileSet {
        ProfileSet::of(&[Profile::Domain, Profile::Private])
    }
}
