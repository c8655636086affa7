//! SMB protocol settings (K2, K9) as registry values, for the GPO's
//! `registry.pol`.
//!
//! Two kinds of value, said in each one's comment and in the GPO report:
//! * **policy** values under `Software\Policies\...`: real Group Policy
//!   settings (administrative templates); removed again when the GPO no
//!   longer applies;
//! * **preference-style** writes to the service's own `Parameters` key: the
//!   Registry CSE writes them like any other value, but they are not under a
//!   policy key, so they stay ("tattoo") after the GPO is unlinked. The
//!   signing values are what the Security Options "Microsoft network
//!   server/client: Digitally sign communications (always)" set; `SMB1` is
//!   what the MS Security Guide template "Configure SMB v1 server" writes.

use smbguard_model::{Dialect, Encryption, SmbSettings};

/// One registry value of the SMB settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SmbValue {
    /// Key below HKLM.
    pub(crate) key: &'static str,
    /// Value name.
    pub(crate) value: &'static str,
    /// REG_DWORD data.
    pub(crate) data: u32,
    /// True for a real policy key (`Software\Policies`), false for a
    /// preference-style write.
    pub(crate) policy: bool,
    /// What it does.
    pub(crate) note: &'static str,
}

const SERVER_PARAMS: &str = r"SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters";
const CLIENT_PARAMS: &str = r"SYSTEM\CurrentControlSet\Services\LanmanWorkstation\Parameters";
const SMB1_CLIENT: &str = r"SYSTEM\CurrentControlSet\Services\mrxsmb10";
/// The Workstation service key whose `DependOnService` (REG_MULTI_SZ) must
/// no longer name MRxSmb10 once the SMB1 client driver is disabled.
pub(crate) const WORKSTATION_SERVICE: &str = r"SYSTEM\CurrentControlSet\Services\LanmanWorkstation";
/// `DependOnService` without MRxSmb10 (detect-enable-and-disable-smbv1-v2-v3.md).
pub(crate) const WORKSTATION_DEPENDS: [&str; 3] = ["Bowser", "MRxSmb20", "NSI"];
const SERVER_POLICY: &str = r"Software\Policies\Microsoft\Windows\LanmanServer";
const CLIENT_POLICY: &str = r"Software\Policies\Microsoft\Windows\LanmanWorkstation";

/// The `MinSmb2Dialect` policy value of a dialect (0x0202 … 0x0311).
pub(crate) fn dialect_code(d: Dialect) -> u32 {
    match d {
        Dialect::Smb202 => 0x0202,
        Dialect::Smb210 => 0x0210,
        Dialect::Smb300 => 0x0300,
        Dialect::Smb302 => 0x0302,
        Dialect::Smb311 => 0x0311,
    }
}

/// The PowerShell `-Smb2DialectMin` value of a dialect.
pub(crate) fn dialect_name(d: Dialect) -> &'static str {
    match d {
        Dialect::Smb202 => "SMB202",
        Dialect::Smb210 => "SMB210",
        Dialect::Smb300 => "SMB300",
        Dialect::Smb302 => "SMB302",
        Dialect::Smb311 => "SMB311",
    }
}

/// The registry values that carry the estate's SMB settings.
pub(crate) fn smb_registry_values(smb: &SmbSettings) -> Vec<SmbValue> {
    let mut out = Vec::new();
    if !smb.smb1 {
        out.push(SmbValue {
            key: SERVER_PARAMS,
            value: "SMB1",
            data: 0,
            policy: false,
            note: "SMB1 server off (K9); preference-style, as the MS Security Guide template writes it",
        });
    }
    if !smb.smb1 {
        // The SMB1 client driver too: "disable and remove SMB1" (KB3185535
        // K9) covers both sides; detect-enable-and-disable-smbv1-v2-v3.md,
        // "Disable SMBv1 Client with Group Policy", sets Start = 4 here and
        // removes MRxSmb10 from the Workstation dependencies
        // ([`WORKSTATION_DEPENDS`]; review A.10).
        out.push(SmbValue {
            key: SMB1_CLIENT,
            value: "Start",
            data: 4,
            policy: false,
            note: "SMB1 client driver mrxsmb10 disabled (K9); preference-style, as the SMBv1 client GPO guidance writes it",
        });
    }
    if smb.signing {
        out.push(SmbValue {
            key: SERVER_PARAMS,
            value: "RequireSecuritySignature",
            data: 1,
            policy: false,
            note: "server signing required; preference-style (Security Options value)",
        });
        out.push(SmbValue {
            key: CLIENT_PARAMS,
            value: "RequireSecuritySignature",
            data: 1,
            policy: false,
            note: "client signing required; preference-style (Security Options value)",
        });
    }
    match smb.encryption {
        Encryption::Off => {}
        Encryption::Desired | Encryption::Required => {
            out.push(SmbValue {
                key: SERVER_PARAMS,
                value: "EncryptData",
                data: 1,
                policy: false,
                note: "server encrypts sessions with clients that can (K2); preference-style",
            });
            out.push(SmbValue {
                key: SERVER_PARAMS,
                value: "RejectUnencryptedAccess",
                data: u32::from(smb.encryption == Encryption::Required),
                policy: false,
                note: "1 refuses clients without SMB 3 encryption; preference-style",
            });
        }
    }
    if smb.encryption == Encryption::Required {
        out.push(SmbValue {
            key: CLIENT_POLICY,
            value: "RequireEncryption",
            data: 1,
            policy: true,
            note: "client requires encryption (policy; Windows 11 24H2 / Server 2025 and later)",
        });
    }
    if !smb.hardening.remote_mailslots {
        // modern-smb.md: "Enable remote mailslots" (Lanman Workstation /
        // Lanman Server) policies; Windows 11 24H2 / Server 2025.
        for (key, side) in [
            (
                r"Software\Policies\Microsoft\Windows\NetworkProvider",
                "client",
            ),
            (r"Software\Policies\Microsoft\Windows\Bowser", "server"),
        ] {
            out.push(SmbValue {
                key,
                value: "EnableMailslots",
                data: 0,
                policy: true,
                note: if side == "client" {
                    "remote mailslots off, client (policy; Windows 11 24H2 / Server 2025)"
                } else {
                    "remote mailslots off, server (policy; Windows 11 24H2 / Server 2025)"
                },
            });
        }
    }
    if smb.hardening.block_ntlm {
        // LanmanWorkstation.admx policy Pol_BlockNTLM ("Block NTLM (LM, NTLM,
        // NTLMv2)", smb-ntlm-blocking.md Group Policy tab): key
        // Software\Policies\Microsoft\Windows\LanmanWorkstation, valueName
        // BlockNTLM, enabledValue 1. Microsoft Learn names the policy but not
        // its value; the value is the shipped 26100 ADMX's (docs/windows.md
        // says where it comes from).
        out.push(SmbValue {
            key: CLIENT_POLICY,
            value: "BlockNTLM",
            data: 1,
            policy: true,
            note: "SMB client blocks NTLM (policy; Windows 11 24H2 / Server 2025)",
        });
    }
    if smb.hardening.audit {
        // Policy CSP LanmanServer / LanmanWorkstation, "Group policy mapping"
        // of Audit{Client,Server}DoesNotSupport{Encryption,Signing}: these
        // keys and value names, 1 = enabled; 10.0.26100.3613 and later. SMB1
        // access auditing has no documented policy value (PowerShell only).
        for (key, value, note) in [
            (
                SERVER_POLICY,
                "AuditClientDoesNotSupportEncryption",
                "server audits clients without encryption (policy; 24H2 / Server 2025)",
            ),
            (
                SERVER_POLICY,
                "AuditClientDoesNotSupportSigning",
                "server audits clients without signing (policy; 24H2 / Server 2025)",
            ),
            (
                CLIENT_POLICY,
                "AuditServerDoesNotSupportEncryption",
                "client audits servers without encryption (policy; 24H2 / Server 2025)",
            ),
            (
                CLIENT_POLICY,
                "AuditServerDoesNotSupportSigning",
                "client audits servers without signing (policy; 24H2 / Server 2025)",
            ),
        ] {
            out.push(SmbValue {
                key,
                value,
                data: 1,
                policy: true,
                note,
            });
        }
    }
    for key in [SERVER_POLICY, CLIENT_POLICY] {
        out.push(SmbValue {
            key,
            value: "MinSmb2Dialect",
            data: dialect_code(smb.min_dialect),
            policy: true,
            note: "minimum SMB 2/3 dialect (policy; Windows 11 24H2 / Server 2025 and later)",
        });
    }
    out
}
