//! Linux targets: nftables, iptables and Samba.
//!
//! Linux groups translate their first-match [`LinuxPolicy`] ACLs directly.
//! Windows groups get a first-match *equivalent* of their Windows Defender
//! Firewall policy for one profile ([`first_match`]), which the lab uses to
//! stand in Windows hosts.
//!
//! [`LinuxPolicy`]: smbguard_semantics::LinuxPolicy

use smbguard_model::{AddrSet, Profile};
use smbguard_semantics::{Acl, HostRules};

use crate::artifact::{EmitContext, EmitError};
use crate::target::Target;

pub(crate) mod first_match;
pub(crate) mod iptables;
pub(crate) mod nftables;
pub(crate) mod samba;

/// The input and output chains of one group, as first-match ACLs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostAcls {
    /// The group name.
    pub group: String,
    /// Connections the host accepts.
    pub input: Acl,
    /// Connections the host opens.
    pub output: Acl,
    /// For Windows groups, the profile whose semantics the ACLs encode.
    pub profile: Option<Profile>,
    /// What the translation could not carry over, and why (one line each).
    pub notes: Vec<String>,
}

/// The first-match ACLs of group `group` (an index into `plan.hosts`): the
/// plan's own ACLs for Linux groups, the [first-match](crate::windows_first_match) encoding of the
/// Windows policy in `profile` for Windows groups.
pub fn host_acls(
    cx: &EmitContext<'_>,
    target: Target,
    group: usize,
    profile: Profile,
) -> Result<HostAcls, EmitError> {
    let host = cx
        .plan
        .hosts
        .get(group)
        .ok_or_else(|| EmitError::Unrepresentable {
            target,
            what: format!(
                "group index {group}: the plan has {} groups",
                cx.plan.hosts.len()
            ),
        })?;
    match &host.rules {
        HostRules::Linux(l) => Ok(HostAcls {
            group: host.group.clone(),
            input: l.input.clone(),
            output: l.output.clone(),
            profile: None,
            notes: Vec::new(),
        }),
        HostRules::Windows(w) => {
            first_match::windows_first_match(w, &host.group, profile, &cx.plan.transports, target)
        }
    }
}

/// An IP family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl Family {
    /// Both, IPv4 first.
    pub(crate) const BOTH: [Family; 2] = [Family::V4, Family::V6];

    /// The part of `set` in this family.
    pub(crate) fn part(self, set: &AddrSet) -> AddrSet {
        match self {
            Family::V4 => AddrSet {
                v4: set.v4.clone(),
                ..AddrSet::default()
            },
            Family::V6 => AddrSet {
                v6: set.v6.clone(),
                ..AddrSet::default()
            },
        }
    }

    /// True when `set` holds every address of this family.
    pub(crate) fn full_in(self, set: &AddrSet) -> bool {
        match self {
            Family::V4 => set.v4.is_full(),
            Family::V6 => set.v6.is_full(),
        }
    }
}
