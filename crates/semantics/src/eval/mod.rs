//! The two evaluators and the types they share. Both are pure functions of
//! (rules, flow, context) returning a verdict with its trace.

use std::net::IpAddr;

use serde::Serialize;
use smbguard_model::{Profile, Transport};

use crate::kb::KbRow;

pub mod acl;
pub mod windows;

/// A connection attempt: who opens what to whom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Flow {
    /// Initiator address.
    pub source: IpAddr,
    /// Responder address.
    pub destination: IpAddr,
    /// Protocol and destination port.
    pub transport: Transport,
    /// Initiator's (ephemeral) port.
    pub source_port: u16,
}

impl Flow {
    /// The usual ephemeral source port smbguard assumes.
    pub const EPHEMERAL_PORT: u16 = 50000;

    /// A flow from an ephemeral port.
    pub fn new(source: IpAddr, destination: IpAddr, transport: Transport) -> Self {
        Flow {
            source,
            destination,
            transport,
            source_port: Self::EPHEMERAL_PORT,
        }
    }
}

/// Allow or block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The flow is permitted.
    Allow,
    /// The flow is dropped.
    Block,
}

impl Verdict {
    /// `allow` or `block`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Block => "block",
        }
    }
}

/// A rule that matched the flow, and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleMatch {
    /// Rule ID (or ACL entry position).
    pub id: String,
    /// Display name.
    pub name: String,
    /// The rule's action (`allow`, `block`, `bypass`, `permit`, `deny`).
    pub action: String,
    /// KB row of the rule.
    pub kb: KbRow,
    /// True when this rule decided the verdict.
    pub decisive: bool,
    /// Why it did or did not apply.
    pub note: String,
}

/// A verdict with the reasoning behind it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// The outcome.
    pub verdict: Verdict,
    /// Every rule that matched the flow.
    pub matched: Vec<RuleMatch>,
    /// One sentence: why.
    pub reason: String,
}

/// IPsec facts about the two ends of a flow, needed for bypass rules.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IpsecContext {
    /// The local host has an active isolation rule and Kerberos.
    pub local: bool,
    /// The peer has an active isolation rule and Kerberos.
    pub peer: bool,
    /// AD group SIDs the peer computer belongs to.
    pub peer_sids: Vec<String>,
    /// The local host's connection security rule lives in the local store
    /// (netsh, `-PolicyStore PersistentStore`), not in a GPO: a profile with
    /// `AllowLocalIPsecPolicyMerge = 0` ignores it (MS-GPFAS §2.2.3.14).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub local_store: bool,
}

impl IpsecContext {
    /// True when an authenticated IPsec session can be negotiated.
    pub fn established(&self) -> bool {
        self.local && self.peer
    }
}

/// What the Windows evaluator needs beyond the rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WindowsContext {
    /// The active profile on the host's interface.
    pub profile: Profile,
    /// IPsec facts.
    pub ipsec: IpsecContext,
}
