//! The settings-catalog rows for SMB hardening and firewall profiles.
//!
//! One row per setting: adding a setting the estate model learns (NTLM
//! blocking, mailslots, audit, ...) is one more entry in [`SMB_ROWS`].
//! `verified` says whether the setting definition ID is in smbguard's
//! reference notes; unverified IDs follow the Policy CSP path pattern and
//! the policy description says so (they may need adjusting in the portal).

use smbguard_model::{Encryption, Profile, SmbSettings};
use smbguard_semantics::ProfileDefaults;

use super::graph::{ChoiceInstance, Id, Setting, choice_instance, setting};
// The settings catalog numbers MinSmb2Dialect like the GPO value (768 = 3.0, 785 = 3.1.1).
use crate::windows::smb::dialect_code;

/// One settings-catalog setting of the SMB hardening policy.
pub(crate) struct SmbRow {
    /// `settingDefinitionId`.
    pub(crate) id: &'static str,
    /// The Policy CSP node, for the description.
    pub(crate) csp: &'static str,
    /// The choice option the estate asks for (`{id}_{option}`); `None`:
    /// not asked, not written.
    pub(crate) value: fn(&SmbSettings) -> Option<String>,
    /// Lowest Windows build that has the setting (`None`: all supported).
    pub(crate) min_build: Option<&'static str>,
    /// True when the ID is confirmed by the reference notes.
    pub(crate) verified: bool,
}

fn opt(s: &str) -> Option<String> {
    Some(s.to_owned())
}

const BUILD_24H2: Option<&str> = Some("10.0.26100");
/// The SMB audit policies arrived with a 24H2 cumulative update
/// (policy-csp-lanmanworkstation: "10.0.26100.3613 and later").
const BUILD_24H2_AUDIT: Option<&str> = Some("10.0.26100.3613");

/// Every SMB setting smbguard can deliver through Intune.
pub(crate) const SMB_ROWS: &[SmbRow] = &[
    SmbRow {
        id: "device_vendor_msft_policy_config_mssecurityguide_configuresmbv1server",
        csp: "./Device/Vendor/MSFT/Policy/Config/MSSecurityGuide/ConfigureSMBV1Server",
        value: |s| if s.smb1 { None } else { opt("0") },
        min_build: None,
        verified: false,
    },
    SmbRow {
        id: "device_vendor_msft_policy_config_localpoliciessecurityoptions_microsoftnetworkclient_digitallysigncommunicationsalways",
        csp: "./Device/Vendor/MSFT/Policy/Config/LocalPoliciesSecurityOptions/MicrosoftNetworkClient_DigitallySignCommunicationsAlways",
        value: |s| if s.signing { opt("1") } else { None },
        min_build: None,
        verified: false,
    },
    SmbRow {
        id: "device_vendor_msft_policy_config_localpoliciessecurityoptions_microsoftnetworkserver_digitallysigncommunicationsalways",
        csp: "./Device/Vendor/MSFT/Policy/Config/LocalPoliciesSecurityOptions/MicrosoftNetworkServer_DigitallySignCommunicationsAlways",
        value: |s| if s.signing { opt("1") } else { None },
        min_build: None,
        verified: false,
    },
    SmbRow {
        id: "device_vendor_msft_policy_config_lanmanworkstation_requireencryption",
        csp: "./Device/Vendor/MSFT/Policy/Config/LanmanWorkstation/RequireEncryption",
        value: |s| {
            if s.encryption == Encryption::Required {
                opt("1")
            } else {
                None
            }
        },
        min_build: BUILD_24H2,
        verified: true,
    },
    SmbRow {
        id: "device_vendor_msft_policy_config_lanmanserver_minsmb2dialect",
        csp: "./Device/Vendor/MSFT/Policy/Config/LanmanServer/MinSmb2Dialect",
        value: |s| Some(dialect_code(s.min_dialect).to_string()),
        min_build: BUILD_24H2,
        verified: true,
    },
    SmbRow {
        id: "device_vendor_msft_policy_config_lanmanworkstation_minsmb2dialect",
        csp: "./Device/Vendor/MSFT/Policy/Config/LanmanWorkstation/MinSmb2Dialect",
        value: |s| Some(dialect_code(s.min_dialect).to_string()),
        min_build: BUILD_24H2,
        verified: true,
    },
    // 24H2 / Server 2025 hardening (issue 12's `[smb]` keys). The Policy CSP
    // nodes are documented (policy-csp-lanmanworkstation / -lanmanserver);
    // the settings-catalog IDs follow the CSP path pattern, unverified.
    SmbRow {
        id: "device_vendor_msft_policy_config_lanmanworkstation_blockntlm",
        csp: "./Device/Vendor/MSFT/Policy/Config/LanmanWorkstation/BlockNTLM",
        value: |s| s.hardening.block_ntlm.then(|| "1".to_owned()),
        min_build: BUILD_24H2,
        verified: false,
    },
    SmbRow {
        id: "device_vendor_msft_policy_config_lanmanworkstation_enablemailslots",
        csp: "./Device/Vendor/MSFT/Policy/Config/LanmanWorkstation/EnableMailslots",
        value: |s| (!s.hardening.remote_mailslots).then(|| "0".to_owned()),
        min_build: BUILD_24H2,
        verified: false,
    },
    SmbRow {
        id: "device_vendor_msft_policy_config_lanmanworkstation_auditserverdoesnotsupportencryption",
        csp: "./Device/Vendor/MSFT/Policy/Config/LanmanWorkstation/AuditServerDoesNotSupportEncryption",
        value: |s| s.hardening.audit.then(|| "1".to_owned()),
        min_build: BUILD_24H2_AUDIT,
        verified: false,
    },
    SmbRow {
        id: "device_vendor_msft_policy_config_lanmanworkstation_auditserverdoesnotsupportsigning",
        csp: "./Device/Vendor/MSFT/Policy/Config/LanmanWorkstation/AuditServerDoesNotSupportSigning",
        value: |s| s.hardening.audit.then(|| "1".to_owned()),
        min_build: BUILD_24H2_AUDIT,
        verified: false,
    },
    SmbRow {
        id: "device_vendor_msft_policy_config_lanmanserver_auditclientdoesnotsupportencryption",
        csp: "./Device/Vendor/MSFT/Policy/Config/LanmanServer/AuditClientDoesNotSupportEncryption",
        value: |s| s.hardening.audit.then(|| "1".to_owned()),
        min_build: BUILD_24H2_AUDIT,
        verified: false,
    },
    SmbRow {
        id: "device_vendor_msft_policy_config_lanmanserver_auditclientdoesnotsupportsigning",
        csp: "./Device/Vendor/MSFT/Policy/Config/LanmanServer/AuditClientDoesNotSupportSigning",
        value: |s| s.hardening.audit.then(|| "1".to_owned()),
        min_build: BUILD_24H2_AUDIT,
        verified: false,
    },
];

/// What the estate asks for that no Policy CSP setting carries.
pub(crate) fn smb_not_carried(s: &SmbSettings) -> Vec<String> {
    let mut out = Vec::new();
    if s.hardening.quic_servers.is_empty() {
        out.push(
            "turning the SMB over QUIC client off has no documented Policy CSP setting: set it with Set-SmbClientConfiguration -EnableSMBQUIC $false in a remediation script".to_owned(),
        );
    }
    if s.encryption != Encryption::Off {
        out.push(
            "server-side SMB encryption (EncryptData / RejectUnencryptedAccess) has no Policy CSP setting: set it with Set-SmbServerConfiguration in a remediation script".to_owned(),
        );
    }
    out
}

/// The rows the estate asks for, with their options, in table order.
pub(crate) fn smb_settings(s: &SmbSettings) -> Vec<(&'static SmbRow, String)> {
    SMB_ROWS
        .iter()
        .filter_map(|row| Some((row, (row.value)(s)?)))
        .collect()
}

/// The settings of [`smb_settings`]' rows.
pub(crate) fn smb_setting_values<'a>(
    rows: &'a [(&'static SmbRow, String)],
) -> Vec<Setting<ChoiceInstance<'a>>> {
    rows.iter()
        .map(|(row, o)| setting(choice_instance(Id::new(row.id), o)))
        .collect()
}

/// The Firewall CSP profile nodes (`MdmStore/{Domain,Private,Public}Profile`).
pub(crate) fn profile_settings(
    defaults: &[ProfileDefaults],
) -> Vec<Setting<ChoiceInstance<'static>>> {
    let mut out = Vec::with_capacity(defaults.len() * 4);
    for d in defaults {
        let p = Id::new(match d.profile {
            Profile::Domain => "vendor_msft_firewall_mdmstore_domainprofile",
            Profile::Private => "vendor_msft_firewall_mdmstore_privateprofile",
            Profile::Public => "vendor_msft_firewall_mdmstore_publicprofile",
        });
        let b = |v: bool| if v { "true" } else { "false" };
        // DefaultInboundAction / DefaultOutboundAction: 0 allow, 1 block.
        let a = |block: bool| if block { "1" } else { "0" };
        // Local rules (built-in ones included) are ignored: Intune cannot
        // disable single built-in rules (see plan.rs).
        for (node, option) in [
            ("enablefirewall", b(d.enabled)),
            ("defaultinboundaction", a(d.block_inbound)),
            ("defaultoutboundaction", a(d.block_outbound)),
            ("allowlocalpolicymerge", "false"),
        ] {
            out.push(setting(choice_instance(p.then(node), option)));
        }
    }
    out
}
