//! The estate's SMB settings (`[smb]`, `[smb.hardening]`, a cloud
//! exception's `require-encryption`) against what a flow did: the policy
//! verdict, beside the firewall's. A flow the firewall allows can still
//! break policy (SMB1 where it is removed, NTLM where it is blocked).

use std::net::IpAddr;

use serde::Serialize;
use smbguard_model::{Encryption, Estate};

use super::Classification;
use crate::flow::FlowRecord;

/// One way a flow breaks the estate's SMB policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyBreach {
    /// SMB1 used while the estate removes it (`smb1 = false`, K9).
    Smb1,
    /// SMB 3.x without encryption where the estate requires encryption
    /// (`encryption = "required"`, or a cloud exception that requires it, K2).
    CleartextSmb3,
    /// NTLM authentication while the estate blocks it (`block-ntlm`), to a
    /// server that is not in `ntlm-exceptions`.
    Ntlm,
}

impl PolicyBreach {
    /// Every breach, in report order.
    pub const ALL: [Self; 3] = [Self::Smb1, Self::CleartextSmb3, Self::Ntlm];

    /// The kebab-case name used in every output.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Smb1 => "smb1",
            Self::CleartextSmb3 => "cleartext-smb3",
            Self::Ntlm => "ntlm",
        }
    }
}

/// The breaches of `flow`, in [`PolicyBreach::ALL`] order; empty when it
/// complies.
#[must_use]
pub fn policy_breaches(
    estate: &Estate,
    flow: &FlowRecord,
    class: &Classification,
) -> Vec<PolicyBreach> {
    let smb = &estate.smb;
    let mut out = Vec::new();
    if flow.smb.smb1_used && !smb.smb1 {
        out.push(PolicyBreach::Smb1);
    }
    let cloud_requires = class.cloud_exception.as_deref().is_some_and(|name| {
        estate
            .perimeter_allow
            .iter()
            .any(|p| p.name == name && p.require_encryption)
    });
    let cleartext_smb3 = flow.smb.dialect.is_some_and(|d| d.is_smb3()) && !flow.smb.encrypted;
    if cleartext_smb3 && (smb.encryption == Encryption::Required || cloud_requires) {
        out.push(PolicyBreach::CleartextSmb3);
    }
    if flow.smb.ntlm && smb.hardening.block_ntlm && !ntlm_exception(estate, flow.server) {
        out.push(PolicyBreach::Ntlm);
    }
    out
}

/// Whether `server` is a declared NTLM exception. Exceptions may also be
/// NetBIOS names or FQDNs, which a capture cannot resolve: only addresses
/// match here, so a name-only exception still reports (the safer side).
fn ntlm_exception(estate: &Estate, server: IpAddr) -> bool {
    let server = server.to_canonical();
    estate.smb.hardening.ntlm_exceptions.iter().any(|e| {
        e.parse::<IpAddr>()
            .is_ok_and(|ip| ip.to_canonical() == server)
    })
}
