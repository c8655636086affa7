//! SMB protocol settings carried in a GPO's `registry.pol`, read back from
//! the registry values Windows documents for them, independently of the
//! emitter, so translation validation can compare them with the plan.
//!
//! Sources (docs/windows.md has the table): detect-enable-and-disable-
//! smbv1-v2-v3.md (`SMB1`, `mrxsmb10!Start`, `DependOnService`);
//! smb-signing-overview.md (`RequireSecuritySignature`); Policy CSP
//! LanmanServer / LanmanWorkstation "Group policy mapping" (`RequireEncryption`,
//! `MinSmb2Dialect`, `EnableMailslots`, `Audit*DoesNotSupport*`);
//! LanmanWorkstation.admx `Pol_BlockNTLM` and
//! `Pol_BlockNTLMServerExceptionList`.

use smbguard_formats::registry_pol::{RegData, RegistryEntry};
use smbguard_model::{Dialect, Encryption};

const SERVER_PARAMS: &str = r"SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters";
const CLIENT_PARAMS: &str = r"SYSTEM\CurrentControlSet\Services\LanmanWorkstation\Parameters";
const WORKSTATION: &str = r"SYSTEM\CurrentControlSet\Services\LanmanWorkstation";
const SMB1_CLIENT: &str = r"SYSTEM\CurrentControlSet\Services\mrxsmb10";
const SERVER_POLICY: &str = r"Software\Policies\Microsoft\Windows\LanmanServer";
const CLIENT_POLICY: &str = r"Software\Policies\Microsoft\Windows\LanmanWorkstation";
const CLIENT_MAILSLOTS: &str = r"Software\Policies\Microsoft\Windows\NetworkProvider";
const SERVER_MAILSLOTS: &str = r"Software\Policies\Microsoft\Windows\Bowser";

/// What a GPO's registry values make of the SMB server and client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GpoSmbSettings {
    /// The SMB1 server is off (`LanmanServer\Parameters!SMB1 = 0`).
    pub smb1_server_off: bool,
    /// The SMB1 client driver is off (`mrxsmb10!Start = 4`) and the
    /// Workstation service no longer depends on it.
    pub smb1_client_off: bool,
    /// Signing is required on both sides.
    pub signing_required: bool,
    /// The encryption the values add up to.
    pub encryption: Encryption,
    /// The minimum dialect, when both policy keys set the same one.
    pub min_dialect: Option<Dialect>,
    /// The SMB client refuses NTLM.
    pub block_ntlm: bool,
    /// Servers the client may still use NTLM with.
    pub ntlm_exceptions: Vec<String>,
    /// Remote mailslots are off on both sides.
    pub remote_mailslots_off: bool,
    /// The four encryption/signing audit policies are on.
    pub audit: bool,
}

/// Registry keys are case-insensitive.
fn find<'a>(entries: &'a [RegistryEntry], key: &str, value: &str) -> Option<&'a RegData> {
    entries
        .iter()
        .rev()
        .find(|e| e.key.eq_ignore_ascii_case(key) && e.value.eq_ignore_ascii_case(value))
        .map(|e| &e.data)
}

fn dword(entries: &[RegistryEntry], key: &str, value: &str) -> Option<u32> {
    find(entries, key, value).and_then(RegData::as_dword)
}

fn is(entries: &[RegistryEntry], key: &str, value: &str, want: u32) -> bool {
    dword(entries, key, value) == Some(want)
}

/// The dialect of a `MinSmb2Dialect` policy value (Policy CSP: 514, 528,
/// 768, 770, 785).
fn dialect(code: u32) -> Option<Dialect> {
    Some(match code {
        0x0202 => Dialect::Smb202,
        0x0210 => Dialect::Smb210,
        0x0300 => Dialect::Smb300,
        0x0302 => Dialect::Smb302,
        0x0311 => Dialect::Smb311,
        _ => return None,
    })
}

fn encryption(entries: &[RegistryEntry]) -> Encryption {
    if !is(entries, SERVER_PARAMS, "EncryptData", 1) {
        return Encryption::Off;
    }
    let rejects = is(entries, SERVER_PARAMS, "RejectUnencryptedAccess", 1);
    let client = is(entries, CLIENT_POLICY, "RequireEncryption", 1);
    if rejects && client {
        Encryption::Required
    } else {
        Encryption::Desired
    }
}

fn smb1_client_off(entries: &[RegistryEntry]) -> bool {
    let depends_clean = match find(entries, WORKSTATION, "DependOnService") {
        Some(RegData::MultiString(list)) => {
            !list.iter().any(|s| s.eq_ignore_ascii_case("MRxSmb10"))
        }
        _ => false,
    };
    is(entries, SMB1_CLIENT, "Start", 4) && depends_clean
}

/// Reads the SMB settings out of a `registry.pol`'s entries.
#[must_use]
pub fn read_gpo_smb(entries: &[RegistryEntry]) -> GpoSmbSettings {
    let min = |key| dword(entries, key, "MinSmb2Dialect").and_then(dialect);
    let server_min = min(SERVER_POLICY);
    let block_ntlm = is(entries, CLIENT_POLICY, "BlockNTLM", 1);
    let ntlm_exceptions = match find(entries, CLIENT_POLICY, "BlockNTLMServerExceptionList") {
        Some(RegData::MultiString(list)) => list.clone(),
        _ => Vec::new(),
    };
    GpoSmbSettings {
        smb1_server_off: is(entries, SERVER_PARAMS, "SMB1", 0),
        smb1_client_off: smb1_client_off(entries),
        signing_required: is(entries, SERVER_PARAMS, "RequireSecuritySignature", 1)
            && is(entries, CLIENT_PARAMS, "RequireSecuritySignature", 1),
        encryption: encryption(entries),
        min_dialect: server_min.filter(|d| min(CLIENT_POLICY) == Some(*d)),
        block_ntlm,
        ntlm_exceptions,
        remote_mailslots_off: is(entries, CLIENT_MAILSLOTS, "EnableMailslots", 0)
            && is(entries, SERVER_MAILSLOTS, "EnableMailslots", 0),
        audit: [
            (SERVER_POLICY, "AuditClientDoesNotSupportEncryption"),
            (SERVER_POLICY, "AuditClientDoesNotSupportSigning"),
            (CLIENT_POLICY, "AuditServerDoesNotSupportEncryption"),
            (CLIENT_POLICY, "AuditServerDoesNotSupportSigning"),
        ]
        .iter()
        .all(|(k, v)| is(entries, k, v, 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_policy_sets_nothing() {
        let s = read_gpo_smb(&[]);
        assert!(!s.smb1_server_off && !s.smb1_client_off && !s.block_ntlm && !s.audit);
        assert_eq!(s.encryption, Encryption::Off);
        assert_eq!(s.min_dialect, None);
    }

    #[test]
    fn audit_needs_all_four_policies_and_keys_are_case_insensitive() {
        let mut entries: Vec<RegistryEntry> = [
            (SERVER_POLICY, "AuditClientDoesNotSupportEncryption"),
            (SERVER_POLICY, "AuditClientDoesNotSupportSigning"),
            (CLIENT_POLICY, "AuditServerDoesNotSupportEncryption"),
        ]
        .iter()
        .map(|(k, v)| RegistryEntry::dword(k.to_uppercase(), *v, 1))
        .collect();
        assert!(!read_gpo_smb(&entries).audit);
        entries.push(RegistryEntry::dword(
            CLIENT_POLICY,
            "AuditServerDoesNotSupportSigning",
            1,
        ));
        assert!(read_gpo_smb(&entries).audit);
    }

    #[test]
    fn dialects_must_agree_on_both_sides() {
        let entries = [
            RegistryEntry::dword(SERVER_POLICY, "MinSmb2Dialect", 0x0300),
            RegistryEntry::dword(CLIENT_POLICY, "MinSmb2Dialect", 0x0311),
        ];
        assert_eq!(read_gpo_smb(&entries).min_dialect, None);
    }
}
