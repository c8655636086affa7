//! The stable codes of audit findings (`SG-H…`), documented here and in
//! `docs/audit.md` (a unit test keeps the two together).

use serde::Serialize;
use smbguard_semantics::KbRow;

/// How bad a finding is; ordered, so `max` is the worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; the host is not more exposed than planned.
    Low,
    /// Weaker than planned, or something the plan needs is broken.
    Medium,
    /// An SMB path the plan closes is open.
    High,
}

impl Severity {
    /// `low`, `medium` or `high`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }

    /// Parses `low`, `medium` or `high` (the `--fail-on` values).
    #[must_use]
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            _ => None,
        }
    }
}

/// What kind of thing an [`AuditFinding`](crate::AuditFinding) reports: a stable
/// code (`SG-H…`, never reused) documented in `docs/audit.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum AuditCode {
    /// `SG-H001` `smb-inbound-open`.
    ///
    /// **What it detects.** A host whose role has no shares (member, workstation, isolated) accepts
    /// inbound SMB on a transport the plan closes, whatever the rule that opens it is called: a
    /// built-in rule (`FPS-SMB-In-TCP`, the 24H2 "File and Printer Sharing (Restrictive)" group), a
    /// renamed or localised copy, a third-party rule, or a firewall default.
    ///
    /// **Why it matters.** Inbound SMB to a host without shares is the lateral-movement path
    /// KB3185535 closes first: an attacker on any workstation can reach this one's admin shares and
    /// named pipes (PsExec, remote service creation).
    ///
    /// **Example.** A workstation's local store holds `Backup agent`
    /// (`Action=Allow|Dir=In|Protocol=6|LPort=445`): inbound TCP 445 from 198.18.4.20 is allowed in
    /// the Domain profile where the plan blocks it.
    ///
    /// **Reference.** KB3185535 row K4 ("disable the built-in SMB-In rules, block all inbound
    /// SMB");
    /// [New-NetFirewallRule](https://learn.microsoft.com/powershell/module/netsecurity/new-netfirewallrule)
    /// (same-ID overrides).
    SmbInboundOpen,
    /// `SG-H002` `lateral-outbound`.
    ///
    /// **What it detects.** An outbound SMB connection the plan blocks is allowed: on the Public
    /// profile, or on Domain/Private to an address that is not a declared DC or file server.
    ///
    /// **Why it matters.** Outbound SMB to arbitrary hosts lets malware spread and lets a coerced
    /// host authenticate to a relay (NTLM relay, PetitPotam); KB3185535 allows outbound SMB only to
    /// the servers that need it.
    ///
    /// **Example.** Outbound TCP 445 from a workstation to 198.18.4.21 (another workstation) is
    /// allowed because the outbound block rule was disabled.
    ///
    /// **Reference.** KB3185535 row K6.
    LateralOutbound,
    /// `SG-H003` `server-exposed`.
    ///
    /// **What it detects.** A domain controller or file server accepts SMB the plan refuses: on the
    /// Public profile, or from addresses outside its declared clients (including a bypass whose
    /// authorised computers were broadened).
    ///
    /// **Why it matters.** KB3185535 keeps DCs and file servers reachable only from the ranges that
    /// need them and never on Public networks; anything wider exposes SYSVOL, NETLOGON and shares
    /// to hosts that have no business there.
    ///
    /// **Example.** The file server's inbound allow rule has `RA4=` widened to the whole internal
    /// range: TCP 445 from the kiosks is allowed.
    ///
    /// **Reference.** KB3185535 row K5.
    ServerExposed,
    /// `SG-H004` `perimeter-wider`.
    ///
    /// **What it detects.** The perimeter ACL permits an SMB flow across the perimeter that the
    /// plan denies: an exception wider than the declared cloud endpoint, or a missing deny.
    ///
    /// **Why it matters.** Every SMB exception through the perimeter is a path to or from the
    /// internet; a wider one exposes internal servers or lets data leave to any host on that port.
    ///
    /// **Example.** The perimeter permits TCP 445 to 203.0.113.0/24 where the estate declares only
    /// 203.0.113.10.
    ///
    /// **Reference.** KB3185535 rows K1 and K2.
    PerimeterWider,
    /// `SG-H005` `allow-if-secure-shadowed`.
    ///
    /// **What it detects.** An allow-if-secure rule without "override block rules" that a block
    /// rule silently beats: the flow the plan lets through with an authenticated bypass is blocked.
    ///
    /// **Why it matters.** Windows ranks block above allow; only an authenticated bypass
    /// (`Action=ByPass` / `-OverrideBlockRules`) beats a block. The allow looks right in the
    /// console but never applies, so the clients that need the server lose it.
    ///
    /// **Example.** `Action=Allow|Security=Authenticate|Dir=Out|RPort=445` next to the outbound
    /// block: outbound TCP 445 to the DC is blocked even with IPsec established.
    ///
    /// **Reference.** [MS-FASP] §2.2.34 (rule actions); "Order of Windows Firewall rule
    /// evaluation"; KB3185535 row K7.
    AllowIfSecureShadowed,
    /// `SG-H006` `bypass-without-isolation`.
    ///
    /// **What it detects.** An authenticated bypass rule that cannot apply: no connection security
    /// rule authenticates the host (deleted, disabled, or its local copy ignored with
    /// `AllowLocalIPsecPolicyMerge=0`), or the connection security rule names an authentication set
    /// the store does not define.
    ///
    /// **Why it matters.** A bypass needs IPsec on both ends. Without the connection security rule
    /// the bypass never applies and the block it was meant to override blocks the servers too; the
    /// reader also notes the dangling reference (`SG-A003`).
    ///
    /// **Example.** The GPO's `ConSecRules` value was deleted: outbound TCP 445 to the DC with the
    /// peer authenticated is blocked.
    ///
    /// **Reference.** [MS-GPFAS] §2.2.4–2.2.6 (authentication sets, connection security rules);
    /// KB3185535 row K7.
    BypassWithoutIsolation,
    /// `SG-H007` `smb1-enabled`.
    ///
    /// **What it detects.** SMB1 is enabled on the server (`LanmanServer\Parameters!SMB1` not 0
    /// with the SMB1 feature present) or the client (`mrxsmb10` driver not disabled, or still a
    /// dependency of the Workstation service) where the estate removes it.
    ///
    /// **Why it matters.** SMB1 has no pre-authentication integrity, no encryption and the bugs
    /// WannaCry used; KB3185535 asks for its removal.
    ///
    /// **Example.** `mrxsmb10!Start = 2` (automatic) on a workstation.
    ///
    /// **Reference.** KB3185535 row K9; [Detect, enable and disable
    /// SMBv1](https://learn.microsoft.com/windows-server/storage/file-server/troubleshoot/detect-enable-and-disable-smbv1-v2-v3).
    Smb1Enabled,
    /// `SG-H008` `smb-weaker`.
    ///
    /// **What it detects.** SMB signing or encryption, or the minimum dialect, is weaker on the
    /// host than the estate asks for.
    ///
    /// **Why it matters.** Unsigned SMB can be relayed and tampered with; unencrypted SMB exposes
    /// file contents on the wire; an old minimum dialect re-opens downgrade paths.
    ///
    /// **Example.** The estate requires encryption; the host's
    /// `LanmanServer\Parameters!EncryptData` is 0.
    ///
    /// **Reference.** [SMB signing
    /// overview](https://learn.microsoft.com/windows-server/storage/file-server/smb-signing-overview);
    /// [SMB security
    /// hardening](https://learn.microsoft.com/windows-server/storage/file-server/smb-security-hardening);
    /// KB3185535 row K2.
    SmbWeaker,
    /// `SG-H009` `ntlm-allowed`.
    ///
    /// **What it detects.** The SMB client still allows NTLM where the estate blocks it
    /// (`block-ntlm = true`), or its exception list is wider than the estate's.
    ///
    /// **Why it matters.** NTLM over SMB can be relayed or cracked offline; Windows 11 24H2 can
    /// refuse it on the SMB client, and the estate asks for that.
    ///
    /// **Example.** `Software\Policies\Microsoft\Windows\LanmanWorkstation!BlockNTLM` is absent on
    /// a 24H2 workstation.
    ///
    /// **Reference.** [SMB NTLM
    /// blocking](https://learn.microsoft.com/windows-server/storage/file-server/smb-ntlm-blocking).
    NtlmAllowed,
    /// `SG-H010` `firewall-off`.
    ///
    /// **What it detects.** Windows Defender Firewall is turned off in a profile (`EnableFirewall =
    /// 0`) where the plan keeps it on.
    ///
    /// **Why it matters.** With the firewall off every rule is moot: every inbound SMB connection
    /// is accepted in that profile.
    ///
    /// **Example.** `DomainProfile!EnableFirewall = 0` in the local store with no GPO value above
    /// it.
    ///
    /// **Reference.** [MS-GPFAS] §2.2.3.1 (EnableFirewall); KB3185535 row K3.
    FirewallOff,
    /// `SG-H011` `local-merge-on`.
    ///
    /// **What it detects.** Local firewall or connection security rules are merged
    /// (`AllowLocalPolicyMerge` / `AllowLocalIPsecPolicyMerge` not 0) in a profile where the plan
    /// turns merging off.
    ///
    /// **Why it matters.** With merge on, a local administrator or an installer can add an allow
    /// rule that opens SMB, and the central policy no longer is the whole truth.
    ///
    /// **Example.** The GPO lost `PublicProfile!AllowLocalPolicyMerge = 0`.
    ///
    /// **Reference.** [MS-GPFAS] §2.2.3.13–14; KB3185535 row K10.
    LocalMergeOn,
    /// `SG-H012` `undeclared-rule`.
    ///
    /// **What it detects.** A rule smbguard did not declare decides an SMB flow differently from
    /// the plan, and the difference is none of the more specific findings above.
    ///
    /// **Why it matters.** "The declared rules are the whole truth": a rule added by hand, by an
    /// installer or another tool that changes an SMB verdict is drift, whatever its name.
    ///
    /// **Example.** A local block rule `Legacy` blocks outbound TCP 445 to the file server the plan
    /// allows.
    ///
    /// **Reference.** KB3185535 row K10 ("verify and actively manage the settings and their desired
    /// state").
    UndeclaredRule,
    /// `SG-H013` `verdict-differs`.
    ///
    /// **What it detects.** The deployed configuration decides an SMB flow differently from the
    /// plan, through smbguard's own rules or the profile defaults, and none of the more specific
    /// findings applies.
    ///
    /// **Why it matters.** The deployed policy is not the plan: either it was changed in place or
    /// the deployment is stale.
    ///
    /// **Example.** The plan's block rule `smbguard-…-in-block-tcp445` is present but disabled.
    ///
    /// **Reference.** KB3185535 row K10.
    VerdictDiffers,
    /// `SG-H014` `smb-needed-blocked`.
    ///
    /// **What it detects.** An SMB flow the plan allows is blocked: clients cannot reach a DC or
    /// file server (shielded mode on a DC, a narrowed allow, a block added), or a client cannot
    /// reach its servers.
    ///
    /// **Why it matters.** KB3185535 row K11 warns what blocking SMB breaks: Group Policy
    /// processing, logon scripts, DFS and file access fail on the hosts that need them.
    ///
    /// **Example.** `DoNotAllowExceptions = 1` in the DC's Domain profile: inbound TCP 445 from the
    /// workstations is blocked.
    ///
    /// **Reference.** [MS-GPFAS] §2.2.3.3 (DoNotAllowExceptions); KB3185535 rows K5 and K11.
    SmbNeededBlocked,
}

impl AuditCode {
    /// Every code, in `SG-H` order.
    pub const ALL: [AuditCode; 14] = [
        AuditCode::SmbInboundOpen,
        AuditCode::LateralOutbound,
        AuditCode::ServerExposed,
        AuditCode::PerimeterWider,
        AuditCode::AllowIfSecureShadowed,
        AuditCode::BypassWithoutIsolation,
        AuditCode::Smb1Enabled,
        AuditCode::SmbWeaker,
        AuditCode::NtlmAllowed,
        AuditCode::FirewallOff,
        AuditCode::LocalMergeOn,
        AuditCode::UndeclaredRule,
        AuditCode::VerdictDiffers,
        AuditCode::SmbNeededBlocked,
    ];

    /// The stable identifier, e.g. `SG-H001`.
    #[must_use]
    pub const fn id(self) -> &'static str {
        match self {
            AuditCode::SmbInboundOpen => "SG-H001",
            AuditCode::LateralOutbound => "SG-H002",
            AuditCode::ServerExposed => "SG-H003",
            AuditCode::PerimeterWider => "SG-H004",
            AuditCode::AllowIfSecureShadowed => "SG-H005",
            AuditCode::BypassWithoutIsolation => "SG-H006",
            AuditCode::Smb1Enabled => "SG-H007",
            AuditCode::SmbWeaker => "SG-H008",
            AuditCode::NtlmAllowed => "SG-H009",
            AuditCode::FirewallOff => "SG-H010",
            AuditCode::LocalMergeOn => "SG-H011",
            AuditCode::UndeclaredRule => "SG-H012",
            AuditCode::VerdictDiffers => "SG-H013",
            AuditCode::SmbNeededBlocked => "SG-H014",
        }
    }

    /// The short name, e.g. `smb-inbound-open`.
    #[must_use]
    pub const fn slug(self) -> &'static str {
        match self {
            AuditCode::SmbInboundOpen => "smb-inbound-open",
            AuditCode::LateralOutbound => "lateral-outbound",
            AuditCode::ServerExposed => "server-exposed",
            AuditCode::PerimeterWider => "perimeter-wider",
            AuditCode::AllowIfSecureShadowed => "allow-if-secure-shadowed",
            AuditCode::BypassWithoutIsolation => "bypass-without-isolation",
            AuditCode::Smb1Enabled => "smb1-enabled",
            AuditCode::SmbWeaker => "smb-weaker",
            AuditCode::NtlmAllowed => "ntlm-allowed",
            AuditCode::FirewallOff => "firewall-off",
            AuditCode::LocalMergeOn => "local-merge-on",
            AuditCode::UndeclaredRule => "undeclared-rule",
            AuditCode::VerdictDiffers => "verdict-differs",
            AuditCode::SmbNeededBlocked => "smb-needed-blocked",
        }
    }

    /// The default severity.
    #[must_use]
    pub const fn severity(self) -> Severity {
        match self {
            AuditCode::SmbInboundOpen => Severity::High,
            AuditCode::LateralOutbound => Severity::High,
            AuditCode::ServerExposed => Severity::High,
            AuditCode::PerimeterWider => Severity::High,
            AuditCode::AllowIfSecureShadowed => Severity::Medium,
            AuditCode::BypassWithoutIsolation => Severity::Medium,
            AuditCode::Smb1Enabled => Severity::High,
            AuditCode::SmbWeaker => Severity::Medium,
            AuditCode::NtlmAllowed => Severity::Medium,
            AuditCode::FirewallOff => Severity::High,
            AuditCode::LocalMergeOn => Severity::Medium,
            AuditCode::UndeclaredRule => Severity::Medium,
            AuditCode::VerdictDiffers => Severity::Medium,
            AuditCode::SmbNeededBlocked => Severity::Medium,
        }
    }

    /// The KB3185535 row the finding falls short of.
    #[must_use]
    pub const fn kb(self) -> KbRow {
        match self {
            AuditCode::SmbInboundOpen => KbRow::K4,
            AuditCode::LateralOutbound => KbRow::K6,
            AuditCode::ServerExposed => KbRow::K5,
            AuditCode::PerimeterWider => KbRow::K2,
            AuditCode::AllowIfSecureShadowed => KbRow::K7,
            AuditCode::BypassWithoutIsolation => KbRow::K7,
            AuditCode::Smb1Enabled => KbRow::K9,
            AuditCode::SmbWeaker => KbRow::K2,
            AuditCode::NtlmAllowed => KbRow::K10,
            AuditCode::FirewallOff => KbRow::K3,
            AuditCode::LocalMergeOn => KbRow::K3,
            AuditCode::UndeclaredRule => KbRow::K10,
            AuditCode::VerdictDiffers => KbRow::K10,
            AuditCode::SmbNeededBlocked => KbRow::K11,
        }
    }
}

/// Serialised as its stable identifier (`"SG-H001"`).
impl Serialize for AuditCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::AuditCode;

    /// Every code, with its slug, has a section in `docs/audit.md`.
    #[test]
    fn every_audit_code_is_documented_in_docs_audit_md() {
        let doc = include_str!("../../../docs/audit.md");
        for code in AuditCode::ALL {
            let heading = format!("### {} `{}`", code.id(), code.slug());
            assert!(doc.contains(&heading), "docs/audit.md lacks `{heading}`");
        }
    }

    #[test]
    fn ids_follow_the_enum_order() {
        for (i, c) in AuditCode::ALL.iter().enumerate() {
            assert_eq!(c.id(), format!("SG-H{:03}", i + 1));
        }
    }
}
