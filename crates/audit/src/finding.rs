//! What a reader wants the user to know about the input it lowered.

use serde::Serialize;

/// A warning from a reader: what it could not model exactly, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What kind of finding this is.
    pub code: FindingCode,
    /// Where in the input (file, rule ID, line, byte offset), human readable.
    pub location: String,
    /// What was found and how it was interpreted.
    pub message: String,
}

impl Finding {
    /// A finding of kind `code` at `location`.
    pub fn new(code: FindingCode, location: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            code,
            location: location.into(),
            message: message.into(),
        }
    }
}

/// What kind of thing a [`Finding`] reports: a stable code (`SG-A…`) documented in
/// `docs/findings.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum FindingCode {
    /// `SG-A001` `unreadable-input`.
    ///
    /// **What it does.**
    /// Reports input the reader could not parse at all: a file that is not `nft -j list
    /// ruleset` JSON, an `iptables-save` line it does not understand, or a connection security
    /// rule without the `Action=` it cannot do without. What cannot be parsed is skipped.
    ///
    /// **Why it matters.**
    /// Skipped rules are absent from the audit: if one of them drops SMB, the audit reports the
    /// host as more open than it is; if it accepts SMB, the audit misses a hole. Either way the
    /// verdict rests on less than the whole configuration.
    ///
    /// **Example.**
    /// `smbguard audit` on the output of `nft list ruleset` (text) instead of `nft -j list
    /// ruleset`: "not JSON (…); nothing read".
    ///
    /// **Reference.**
    /// KB3185535 row K10 (verify and actively manage desired state).
    /// [KB3185535](https://support.microsoft.com/en-us/help/3185535/preventing-smb-traffic-from-lateral-connections).
    UnreadableInput,
    /// `SG-A002` `widened`.
    ///
    /// **What it does.**
    /// Reports a match condition, verdict or keyword smbguard does not model (an application
    /// path, a service, an interface, `LocalSubnet`, a conditional `return`, a rule budget
    /// exceeded); the rule is read with its widest meaning: accepts kept as if they matched
    /// everything, drops left out.
    ///
    /// **Why it matters.**
    /// The widest reading is the safe one for a proof of isolation (it never hides an open
    /// path) but it can report an open path the real firewall closes. The finding says which
    /// conclusion to double-check.
    ///
    /// **Example.**
    /// A Windows rule `Allow inbound TCP 445 App=C:\svc.exe` is read as allowing every program
    /// on port 445.
    ///
    /// **Reference.**
    /// [MS-GPFAS] §2.2.2.19 (firewall rule grammar):
    /// [MS-GPFAS](https://learn.microsoft.com/openspecs/windows_protocols/ms-gpfas/2efe0b76-7b4a-41ff-9050-1023f8196d16);
    /// KB3185535 rows K4 and K6.
    /// [KB3185535](https://support.microsoft.com/en-us/help/3185535/preventing-smb-traffic-from-lateral-connections).
    Widened,
    /// `SG-A003` `broken-reference`.
    ///
    /// **What it does.**
    /// Reports a reference that cannot be followed: a jump to a chain that does not exist or
    /// that loops, a rule of an undeclared chain, or a connection security rule naming an
    /// authentication set the policy does not define.
    ///
    /// **Why it matters.**
    /// The firewall itself either rejects such a configuration or ignores the reference, so
    /// what is deployed is not what its author reads; the audit follows the firewall (the
    /// reference is ignored, the rule cannot apply).
    ///
    /// **Example.**
    /// `-A INPUT -p tcp --dport 445 -j SMB_FILTER` with no `:SMB_FILTER` chain declared.
    ///
    /// **Reference.**
    /// KB3185535 row K10.
    /// [KB3185535](https://support.microsoft.com/en-us/help/3185535/preventing-smb-traffic-from-lateral-connections);
    /// [MS-GPFAS](https://learn.microsoft.com/openspecs/windows_protocols/ms-gpfas/2efe0b76-7b4a-41ff-9050-1023f8196d16)
    /// §2.2.4 (authentication sets).
    BrokenReference,
    /// `SG-A004` `default-assumed`.
    ///
    /// **What it does.**
    /// Reports a value the input leaves out, read with the platform's default: a rule without
    /// `Dir=` (inbound) or `Action=` (Allow), a connection security rule without a phase 1 set
    /// (the global default, Kerberos V5), an nftables base chain of another type read as a
    /// filter chain, an nftables ruleset without a base chain on a hook (nothing filters it:
    /// every connection accepted).
    ///
    /// **Why it matters.**
    /// Defaults differ between platforms and versions; a rule that relies on one is easy to
    /// misread and may behave differently after an upgrade or on another host.
    ///
    /// **Example.**
    /// `v2.30|Protocol=6|LPort=445|Name=SMB|` has no `Action=`: read as Allow.
    ///
    /// **Reference.**
    /// [MS-GPFAS](https://learn.microsoft.com/openspecs/windows_protocols/ms-gpfas/2efe0b76-7b4a-41ff-9050-1023f8196d16)
    /// §2.2.2.19 (defaults of the rule grammar); [Windows Firewall
    /// rules](https://learn.microsoft.com/windows/security/operating-system-security/network-security/windows-firewall/rules).
    DefaultAssumed,
    /// `SG-A005` `out-of-scope`.
    ///
    /// **What it does.**
    /// Reports configuration the audit reads past on purpose because it cannot concern SMB or
    /// is outside what smbguard models: another `iptables` table or nftables family, a protocol
    /// that cannot carry SMB, an exemption (`DoNotSecure`) rule, an authentication method other
    /// than Kerberos, registry values outside the firewall key.
    ///
    /// **Why it matters.**
    /// Nothing is wrong with the input, but a reviewer should know it was not analysed: a drop
    /// in the `raw` table, for example, can still block SMB before `filter` sees it.
    ///
    /// **Example.**
    /// An `iptables-save` dump with rules in `*raw`: "table `raw` has rules that can drop
    /// traffic; only `filter` is modelled".
    ///
    /// **Reference.**
    /// KB3185535 rows K1 to K7 name the SMB transports that matter.
    /// [KB3185535](https://support.microsoft.com/en-us/help/3185535/preventing-smb-traffic-from-lateral-connections).
    OutOfScope,
    /// `SG-A006` `profile-setting`.
    ///
    /// **What it does.**
    /// Reports a per-profile setting that changes which rules apply: `AllowLocalPolicyMerge=0`
    /// (local and built-in rules ignored) or `DoNotAllowExceptions=1` ("shield up": inbound
    /// allow and bypass rules not applied).
    ///
    /// **Why it matters.**
    /// Such settings override individual rules wholesale, so a rule that looks decisive may not
    /// apply in that profile; the audit states what it assumed.
    ///
    /// **Example.**
    /// A GPO that sets `DoNotAllowExceptions=1` in the Public profile: inbound SMB exceptions
    /// do not apply there.
    ///
    /// **Reference.**
    /// KB3185535 row K3 (per-profile rules).
    /// [KB3185535](https://support.microsoft.com/en-us/help/3185535/preventing-smb-traffic-from-lateral-connections);
    /// [MS-GPFAS](https://learn.microsoft.com/openspecs/windows_protocols/ms-gpfas/2efe0b76-7b4a-41ff-9050-1023f8196d16)
    /// §2.2.1 (profile settings).
    ProfileSetting,
    /// `SG-A007` `format-warning`.
    ///
    /// **What it does.**
    /// Passes on a warning of the `Registry.pol` / MS-GPFAS reader: a value set twice, an
    /// unknown token kept verbatim, a rule string rejected, a value of the wrong registry type.
    ///
    /// **Why it matters.**
    /// The reader keeps going so that one odd value does not hide the rest of the policy, but
    /// the value it warns about was read differently from what its author may have meant (or
    /// not at all).
    ///
    /// **Example.**
    /// A rule string with `Protocol=Any`, which the grammar does not allow: "rule string
    /// rejected".
    ///
    /// **Reference.**
    /// [MS-GPFAS](https://learn.microsoft.com/openspecs/windows_protocols/ms-gpfas/2efe0b76-7b4a-41ff-9050-1023f8196d16)
    /// §2.2; [MS-GPREG] §2.2.1 (Registry.pol).
    FormatWarning,
}

impl FindingCode {
    /// Every code, in `SG-A` order.
    pub const ALL: [FindingCode; 7] = [
        FindingCode::UnreadableInput,
        FindingCode::Widened,
        FindingCode::BrokenReference,
        FindingCode::DefaultAssumed,
        FindingCode::OutOfScope,
        FindingCode::ProfileSetting,
        FindingCode::FormatWarning,
    ];

    /// The stable identifier, e.g. `SG-A001`.
    #[must_use]
    pub const fn id(self) -> &'static str {
        match self {
            FindingCode::UnreadableInput => "SG-A001",
            FindingCode::Widened => "SG-A002",
            FindingCode::BrokenReference => "SG-A003",
            FindingCode::DefaultAssumed => "SG-A004",
            FindingCode::OutOfScope => "SG-A005",
            FindingCode::ProfileSetting => "SG-A006",
            FindingCode::FormatWarning => "SG-A007",
        }
    }

    /// The short name, e.g. `widened`.
    #[must_use]
    pub const fn slug(self) -> &'static str {
        match self {
            FindingCode::UnreadableInput => "unreadable-input",
            FindingCode::Widened => "widened",
            FindingCode::BrokenReference => "broken-reference",
            FindingCode::DefaultAssumed => "default-assumed",
            FindingCode::OutOfScope => "out-of-scope",
            FindingCode::ProfileSetting => "profile-setting",
            FindingCode::FormatWarning => "format-warning",
        }
    }
}

/// Serialised as its stable identifier (`"SG-A002"`).
impl Serialize for FindingCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::FindingCode;

    /// The reference page must not drift from the enum: every code, with its
    /// slug, has a section in `docs/findings.md`.
    #[test]
    fn every_finding_code_is_documented_in_docs_findings_md() {
        let doc = include_str!("../../../docs/findings.md");
        for code in FindingCode::ALL {
            let heading = format!("## {} `{}`", code.id(), code.slug());
            assert!(doc.contains(&heading), "docs/findings.md lacks `{heading}`");
        }
    }

    #[test]
    fn unreadable_nft_input_is_reported_as_sg_a001() {
        let read = crate::linux::read_nft_json("nft list ruleset (text, not JSON)", None);
        let codes: Vec<_> = read.findings.iter().map(|f| f.code).collect();
        assert_eq!(codes, [FindingCode::UnreadableInput]);
        let json = serde_json::to_string(&read.findings[0]).unwrap();
        assert!(json.starts_with(r#"{"code":"SG-A001","#), "{json}");
    }

    #[test]
    fn ids_follow_the_enum_order() {
        for (i, c) in FindingCode::ALL.iter().enumerate() {
            assert_eq!(c.id(), format!("SG-A{:03}", i + 1));
        }
    }
}
