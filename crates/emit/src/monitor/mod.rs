//! Detection content: what Suricata, Zeek and a SIEM fed with Windows events
//! should flag because the estate's plan forbids it, for the SMB that happens
//! anyway (a host outside the plan, a rule disabled by hand, a new NAS).
//!
//! One list of [`Detection`]s and one [`Scope`] (the estate's address sets,
//! placed the way `smbguard traffic` places hosts) feed the three back ends,
//! so the Suricata rules, the Zeek notices and the Sigma rules flag the same
//! cases as the traffic classifier: `smbguard_traffic::classify` is the
//! reference the tests hold each artefact to.

use smbguard_model::{AddrSet, Estate, Role, parse_addr_spec};
use smbguard_semantics::KbRow;

use crate::artifact::EmitContext;
use crate::naming::fnv1a;

pub(crate) mod sigma;
pub(crate) mod suricata;
pub(crate) mod zeek;

/// Addresses that never leave their link, as `smbguard_model::is_local_scope`
/// defines them: the classifier counts them inside the perimeter.
const LOCAL_SCOPE: [&str; 7] = [
    "169.254.0.0/16",
    "127.0.0.0/8",
    "224.0.0.0/4",
    "255.255.255.255",
    "fe80::/10",
    "::1",
    "ff00::/8",
];

/// The estate's address sets as the traffic classifier sees them.
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    /// Inside the perimeter: `internal` plus link-local, loopback and multicast.
    pub inside: AddrSet,
    /// Declared cloud endpoints (perimeter exceptions) outside `inside`.
    pub cloud: AddrSet,
    /// Neither inside nor a cloud endpoint: SMB with these crosses the
    /// perimeter outside every exception.
    pub outside: AddrSet,
    /// Hosts whose group (the first declared that holds them) is a client
    /// role: workstation, member or isolated.
    pub clients: AddrSet,
    /// Internal addresses in no group: a server there is not in the plan.
    pub unplanned: AddrSet,
    /// The estate's `internal` ranges.
    pub internal: AddrSet,
    /// Every group's addresses.
    pub grouped: AddrSet,
    /// Sources of the management exceptions.
    pub management: AddrSet,
    /// Each group's own addresses (minus earlier groups'), in file order.
    pub groups: Vec<(String, Role, AddrSet)>,
}

impl Scope {
    /// The sets of `estate`.
    pub(crate) fn of(estate: &Estate) -> Self {
        let local = LOCAL_SCOPE
            .iter()
            .filter_map(|s| parse_addr_spec(s).ok())
            .fold(AddrSet::empty(), |a, s| a.union(&s));
        let inside = estate.internal.union(&local);
        let cloud = estate
            .perimeter_allow
            .iter()
            .fold(AddrSet::empty(), |a, p| a.union(&p.addresses))
            .difference(&inside);
        let outside = inside.union(&cloud).complement();
        let mut taken = AddrSet::empty();
        let mut groups = Vec::new();
        for g in &estate.groups {
            groups.push((g.name.clone(), g.role, g.addresses.difference(&taken)));
            taken = taken.union(&g.addresses);
        }
        let clients = groups
            .iter()
            .filter(|(_, role, _)| is_client_role(*role))
            .fold(AddrSet::empty(), |a, (_, _, s)| a.union(s));
        let management = estate
            .management
            .iter()
            .fold(AddrSet::empty(), |a, m| a.union(&m.from));
        Scope {
            unplanned: estate.internal.difference(&taken),
            internal: estate.internal.clone(),
            grouped: taken,
            inside,
            cloud,
            outside,
            clients,
            management,
            groups,
        }
    }
}

/// The roles between which SMB is lateral movement (KB3185535's "clients").
pub(crate) fn is_client_role(role: Role) -> bool {
    matches!(role, Role::Workstation | Role::Member | Role::Isolated)
}

/// What a detection flags; its name is the `smbguard_case` every artefact
/// carries, which the tests map to the traffic classifier's categories.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Case {
    /// From outside every exception into the internal network.
    PerimeterInbound,
    /// From the internal network to outside every exception.
    PerimeterOutbound,
    /// Between two client roles.
    Lateral,
    /// To an internal host in no group.
    UnplannedServer,
    /// SMB1 used (the server speaks it), not merely offered.
    Smb1,
    /// SMB 3 without encryption to or from a cloud exception.
    CloudCleartext,
    /// An administrative share from a host no management exception names.
    AdminShare,
    /// A remote service pipe from a host no management exception names.
    RemoteService,
}

impl Case {
    /// The name artefacts carry.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Case::PerimeterInbound => "perimeter-inbound",
            Case::PerimeterOutbound => "perimeter-outbound",
            Case::Lateral => "lateral",
            Case::UnplannedServer => "unplanned-server",
            Case::Smb1 => "smb1",
            Case::CloudCleartext => "cloud-cleartext-smb3",
            Case::AdminShare => "admin-share",
            Case::RemoteService => "remote-service",
        }
    }

    /// The KB3185535 row whose intent the detection watches.
    pub(crate) fn kb(self) -> KbRow {
        match self {
            Case::PerimeterInbound | Case::PerimeterOutbound => KbRow::K1,
            Case::CloudCleartext => KbRow::K2,
            Case::Lateral | Case::AdminShare | Case::RemoteService => KbRow::K4,
            Case::UnplannedServer => KbRow::K6,
            Case::Smb1 => KbRow::K9,
        }
    }

    /// One line on what it flags, for messages and titles.
    pub(crate) fn title(self) -> &'static str {
        match self {
            Case::PerimeterInbound => {
                "SMB or NetBIOS entering the network outside the declared exceptions"
            }
            Case::PerimeterOutbound => {
                "SMB or NetBIOS leaving the network outside the declared exceptions"
            }
            Case::Lateral => "lateral SMB between client hosts",
            Case::UnplannedServer => "SMB to a server that is not in the plan",
            Case::Smb1 => "SMB1 in use",
            Case::CloudCleartext => "SMB 3 without encryption to or from a cloud exception",
            Case::AdminShare => "administrative share from a non-management host",
            Case::RemoteService => "remote service pipe from a non-management host",
        }
    }
}

/// Detections in a fixed order, with the ones the estate makes meaningless
/// (an empty set on either end) left out.
pub(crate) fn cases(scope: &Scope) -> Vec<Case> {
    let mut out = Vec::new();
    if !scope.outside.is_empty() {
        out.extend([Case::PerimeterInbound, Case::PerimeterOutbound]);
    }
    if !scope.clients.is_empty() {
        out.push(Case::Lateral);
    }
    if !scope.unplanned.is_empty() {
        out.push(Case::UnplannedServer);
    }
    out.push(Case::Smb1);
    if !scope.cloud.is_empty() {
        out.push(Case::CloudCleartext);
    }
    out.extend([Case::AdminShare, Case::RemoteService]);
    out
}

/// A number from 0 to 8999 that names the estate in SIDs and UUIDs: the
/// same estate name always gives the same rule identities.
pub(crate) fn estate_slot(cx: &EmitContext<'_>) -> u32 {
    fnv1a(cx.estate.name.as_bytes()) % 9000
}

/// The estate name as a metadata token: ASCII letters, digits, `-` and `_`,
/// anything else `_`, plus the name's hash when that changed it.
pub(crate) fn estate_token(name: &str) -> String {
    let mapped: String = name
        .chars()
        .take(48)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if mapped == name && !name.is_empty() {
        mapped
    } else {
        format!("{mapped}_{:08x}", fnv1a(name.as_bytes()))
    }
}

/// A set as CIDR strings, IPv4 first.
pub(crate) fn cidr_list(set: &AddrSet) -> Vec<String> {
    set.to_cidrs().iter().map(ToString::to_string).collect()
}
