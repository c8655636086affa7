//! Readers of deployed Linux firewalls: `nft -j list ruleset` JSON and
//! iptables-save / ip6tables-save text, each lowered into first-match
//! [`Acl`]s, one per chain.
//!
//! Base chains (`input`, `output`, `forward`, ...) are resolved with their
//! jumps and gotos inlined, so each is one ACL whose default is the chain
//! policy. The IR models new connections (protocol, addresses, destination
//! port): replies (`ct state established,related`) never match a new
//! connection and are dropped from the ACL exactly; what cannot be modelled
//! (interfaces, marks, source ports, rate limits, ...) becomes a
//! [`Finding`] and the widest *permissive* meaning: an accept whose
//! condition is unknown is kept as if the unknown part always matched, a
//! drop whose condition is unknown is left out as if it never matched. The
//! resulting ACL therefore never permits less than the real firewall, so an
//! audit that finds SMB blocked can trust it.

use std::borrow::Cow;

use smbguard_model::AddrSet;
use smbguard_model::PortSet;
use smbguard_semantics::{Acl, AclEntry, KbRow};

use crate::Finding;

mod chains;
mod hooks;
pub mod iptables_save;
pub mod nft_json;

pub use iptables_save::read_iptables_save;
pub use nft_json::{NftTable, read_nft_json};

/// An IP family, for readers of single-family formats (iptables-save).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IpFamily {
    /// IPv4 (`iptables-save`).
    V4,
    /// IPv6 (`ip6tables-save`).
    V6,
}

/// One chain lowered into a first-match ACL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainAcl {
    /// nftables table family (`inet`, `ip`, `ip6`) or `ipv4` / `ipv6` for iptables.
    pub family: String,
    /// Table name (`smbguard`, `filter`, ...).
    pub table: String,
    /// Chain name.
    pub chain: String,
    /// The hook of a base chain (`input`, `output`, `forward`, ...); `None`
    /// for a regular chain, which is then read on its own (falling off its
    /// end or returning means "not decided here": the ACL default is permit).
    pub hook: Option<String>,
    /// The priority of a base chain on its hook (lower runs first; 0 for
    /// iptables and regular chains).
    pub priority: i64,
    /// The chain's meaning.
    pub acl: Acl,
}

/// What a reader produced: every chain, and what it could not model.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinuxRead {
    /// The chains, in input order.
    pub chains: Vec<ChainAcl>,
    /// Warnings.
    pub findings: Vec<Finding>,
}

impl LinuxRead {
    /// The ACL of the chain named `name` (first table that has one).
    pub fn chain(&self, name: &str) -> Option<&Acl> {
        self.chains.iter().find(|c| c.chain == name).map(|c| &c.acl)
    }

    /// What every base chain on `hook` decides together, in priority
    /// order: accepted only when each of them accepts, the first drop
    /// decides; a chain of an `ip` or `ip6` table judges its own family only.
    /// Borrowed when one chain of both families is all there is.
    pub fn hook(&self, hook: &str) -> Option<Cow<'_, Acl>> {
        hooks::on_hook(&self.chains, hook)
    }
}

/// One first-match ACL from an IPv4-only and an IPv6-only ACL (as read from
/// iptables-save and ip6tables-save): the entries of each keep only their
/// own family, so concatenating them keeps every decision; when the defaults
/// differ, a catch-all IPv4 entry carries the IPv4 default.
pub fn merge_families(v4: &Acl, v6: &Acl) -> Acl {
    let only = |e: &AclEntry, fam: IpFamily| {
        let keep = |s: &AddrSet| match fam {
            IpFamily::V4 => AddrSet {
                v4: s.v4.clone(),
                ..AddrSet::default()
            },
            IpFamily::V6 => AddrSet {
                v6: s.v6.clone(),
                ..AddrSet::default()
            },
        };
        AclEntry {
            source: keep(&e.source),
            destination: keep(&e.destination),
            ..e.clone()
        }
    };
    let mut entries: Vec<AclEntry> = v4.entries.iter().map(|e| only(e, IpFamily::V4)).collect();
    if v4.default != v6.default {
        entries.push(AclEntry {
            name: format!("{} default", v4.name),
            action: v4.default,
            protocol: None,
            source: AddrSet::any_v4(),
            destination: AddrSet::any_v4(),
            destination_ports: PortSet::full(),
            kb: KbRow::K10,
        });
    }
    entries.extend(v6.entries.iter().map(|e| only(e, IpFamily::V6)));
    Acl {
        name: format!("{} + {}", v4.name, v6.name),
        entries,
        default: v6.default,
    }
}

/// Every IPv6 address and no IPv4 address.
pub(crate) fn any_v6() -> AddrSet {
    AddrSet {
        v6: AddrSet::any().v6,
        ..AddrSet::default()
    }
}

/// The KB row named at the end of a rule comment (`... [K4]`), if any.
pub(crate) fn kb_of(comment: &str) -> Option<KbRow> {
    let inner = comment.trim_end().strip_suffix(']')?;
    let (_, row) = inner.rsplit_once('[')?;
    KbRow::ALL.into_iter().find(|k| k.to_string() == row)
}
