//! The stable codes of audit findings (`SG-H…`): identifier, slug, severity
//! and KB row. What each one means is in `explanation.rs`.

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
/// code (`SG-H…`, never reused) explained by [`AuditCode::explanation`], the
/// text `docs/audit.md` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum AuditCode {
    /// `SG-H001` `smb-inbound-open`. Inbound SMB is open on a host without shares.
    SmbInboundOpen,
    /// `SG-H002` `lateral-outbound`. Outbound SMB to hosts other than its servers is allowed.
    LateralOutbound,
    /// `SG-H003` `server-exposed`. A domain controller or file server accepts SMB from outside its
    /// declared clients.
    ServerExposed,
    /// `SG-H004` `perimeter-wider`. The perimeter lets through SMB the plan denies.
    PerimeterWider,
    /// `SG-H005` `allow-if-secure-shadowed`. An allow-if-secure rule is silently beaten by a block
    /// rule.
    AllowIfSecureShadowed,
    /// `SG-H006` `bypass-without-isolation`. An authenticated bypass rule cannot apply: nothing
    /// authenticates the host.
    BypassWithoutIsolation,
    /// `SG-H007` `smb1-enabled`. SMB1 is enabled where the estate removes it.
    Smb1Enabled,
    /// `SG-H008` `smb-weaker`. SMB signing, encryption or the minimum dialect is weaker than the
    /// estate asks.
    SmbWeaker,
    /// `SG-H009` `ntlm-allowed`. The SMB client allows NTLM where the estate blocks it.
    NtlmAllowed,
    /// `SG-H010` `firewall-off`. Windows Defender Firewall is off in a profile.
    FirewallOff,
    /// `SG-H011` `local-merge-on`. Local firewall rules are merged where the plan turns merging
    /// off.
    LocalMergeOn,
    /// `SG-H012` `undeclared-rule`. A rule smbguard did not declare changes an SMB verdict.
    UndeclaredRule,
    /// `SG-H013` `verdict-differs`. The deployed configuration decides an SMB flow differently from
    /// the plan.
    VerdictDiffers,
    /// `SG-H014` `smb-needed-blocked`. SMB the plan needs is blocked.
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

    #[test]
    fn ids_follow_the_enum_order() {
        for (i, c) in AuditCode::ALL.iter().enumerate() {
            assert_eq!(c.id(), format!("SG-H{:03}", i + 1));
        }
    }
}
