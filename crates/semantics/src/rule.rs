//! The rule IR: what a Windows Defender Firewall rule, a connection security
//! rule and a first-match ACL entry mean, independent of any syntax. Emitters
//! write these; readers of deployed configurations produce them.

use serde::Serialize;
use smbguard_model::{AddrSet, PortSet, ProfileSet, Proto};

use crate::kb::KbRow;

/// Traffic direction relative to the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Connections the host accepts.
    Inbound,
    /// Connections the host opens.
    Outbound,
}

/// A Windows firewall rule action. Windows ranks them Bypass > Block > Allow,
/// whatever order the rules were written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Allow the connection.
    Allow,
    /// Block the connection.
    Block,
    /// Allow if secure with "override block rules" (MS-FASP FW_RULE_ACTION_ALLOW_BYPASS).
    Bypass,
}

/// The IPsec requirement of an allow or bypass rule ("allow the connection if it is secure").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Security {
    /// No requirement.
    None,
    /// Authenticated (integrity), `Security=Authenticate`.
    Authenticate,
    /// Authenticated with null encapsulation, `Security2_9=An-NoEncap` (the article's choice).
    AuthenticateNoEncap,
    /// Authenticated and encrypted.
    AuthenticateEncrypt,
}

/// Where a rule comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// Compiled by smbguard from the estate.
    Plan,
    /// A Windows built-in rule, assumed enabled (the article: do not trust defaults).
    BuiltIn,
    /// Read from a deployed configuration.
    Deployed,
}

/// A Windows Defender Firewall rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WindowsRule {
    /// Stable rule ID (registry value name, PowerShell `-Name`).
    pub id: String,
    /// Display name; the article's name where it gives one.
    pub name: String,
    /// Description.
    pub description: String,
    /// Rule group (`EmbedCtxt`, PowerShell `-Group`).
    pub group: String,
    /// Inbound or outbound.
    pub direction: Direction,
    /// Allow, block or bypass.
    pub action: Action,
    /// IPsec requirement.
    pub security: Security,
    /// Protocol; `None` = any.
    pub protocol: Option<Proto>,
    /// Local ports (full set = any).
    pub local_ports: PortSet,
    /// Remote ports (full set = any).
    pub remote_ports: PortSet,
    /// Local addresses.
    pub local_addresses: AddrSet,
    /// Remote addresses.
    pub remote_addresses: AddrSet,
    /// Profiles the rule is active in.
    pub profiles: ProfileSet,
    /// Edge traversal allowed (inbound only; smbguard never sets it).
    pub edge_traversal: bool,
    /// Authorised remote computers (AD group SIDs) for bypass rules.
    pub remote_machines: Vec<String>,
    /// Enabled.
    pub enabled: bool,
    /// The KB3185535 row realised.
    pub kb: KbRow,
    /// Where it comes from.
    pub origin: Origin,
}

impl WindowsRule {
    /// A rule matching any port and address in every profile, to be narrowed.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        direction: Direction,
        action: Action,
        kb: KbRow,
    ) -> Self {
        WindowsRule {
            id: id.into(),
            name: name.into(),
            description: String::new(),
            group: String::new(),
            direction,
            action,
            security: Security::None,
            protocol: None,
            local_ports: PortSet::full(),
            remote_ports: PortSet::full(),
            local_addresses: AddrSet::any(),
            remote_addresses: AddrSet::any(),
            profiles: ProfileSet::ALL,
            edge_traversal: false,
            remote_machines: Vec::new(),
            enabled: true,
            kb,
            origin: Origin::Plan,
        }
    }

    /// The ports on the server side of a connection this rule governs:
    /// local ports for inbound rules, remote ports for outbound rules.
    pub fn service_ports(&self) -> &PortSet {
        match self.direction {
            Direction::Inbound => &self.local_ports,
            Direction::Outbound => &self.remote_ports,
        }
    }
}

/// IPsec requirement of a connection security rule in one direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SecurityRequirement {
    /// Do not negotiate.
    None,
    /// Negotiate; fall back to clear text.
    Request,
    /// Negotiate or drop.
    Require,
}

/// An IPsec authentication method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum AuthMethod {
    /// Computer Kerberos V5 (phase 1).
    MachineKerberos,
    /// User Kerberos V5 (phase 2).
    UserKerberos,
}

/// A connection security (IPsec) rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConnectionSecurityRule {
    /// Stable ID.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Inbound requirement.
    pub inbound: SecurityRequirement,
    /// Outbound requirement.
    pub outbound: SecurityRequirement,
    /// Phase 1 (main mode) authentication.
    pub phase1: Vec<AuthMethod>,
    /// Phase 2 (extended) authentication.
    pub phase2: Vec<AuthMethod>,
    /// The quick-mode set offers null encapsulation (authentication only)
    /// first, with an integrity fallback: what rules with
    /// `-Authentication NoEncap` need ("you must also configure an IPsec rule
    /// that specifies authentication with encapsulation none as a quick mode
    /// security method", New-NetFirewallRule). False = the default set.
    pub null_encapsulation: bool,
    /// Profiles.
    pub profiles: ProfileSet,
    /// Enabled.
    pub enabled: bool,
    /// KB row (K7).
    pub kb: KbRow,
}

/// First-match ACL action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AclAction {
    /// Forward / accept.
    Permit,
    /// Drop.
    Deny,
}

/// One entry of a first-match ACL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AclEntry {
    /// Name, used as comment or term name.
    pub name: String,
    /// Permit or deny.
    pub action: AclAction,
    /// Protocol; `None` = any.
    pub protocol: Option<Proto>,
    /// Source addresses.
    pub source: AddrSet,
    /// Destination addresses.
    pub destination: AddrSet,
    /// Destination ports.
    pub destination_ports: PortSet,
    /// KB row realised.
    pub kb: KbRow,
}

/// An ordered, first-match access list (perimeter devices, nftables, cloud).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Acl {
    /// Name.
    pub name: String,
    /// Entries, in evaluation order.
    pub entries: Vec<AclEntry>,
    /// What happens when nothing matches.
    pub default: AclAction,
}
