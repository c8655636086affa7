//! What each audit code means, in the words `docs/audit.md` uses (a unit
//! test holds the document to this text, word for word), so the SARIF rules
//! and the HTML report's legend explain a code exactly as the manual does.

use crate::audit_code::AuditCode;

/// The documentation of one [`AuditCode`], in Markdown (inline code, bold,
/// links), one paragraph per field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// One sentence: what the finding is.
    pub summary: &'static str,
    /// **What it detects.**
    pub what: &'static str,
    /// **Why it matters.**
    pub why: &'static str,
    /// **Example.**
    pub example: &'static str,
    /// **Reference.** Sources, with links.
    pub reference: &'static str,
}

impl Explanation {
    /// The four paragraphs as `docs/audit.md` writes them, each led by its
    /// bold label, separated by blank lines.
    #[must_use]
    pub fn markdown(&self) -> String {
        format!(
            "**What it detects.** {}\n\n**Why it matters.** {}\n\n**Example.** {}\n\n**Reference.** {}",
            self.what, self.why, self.example, self.reference
        )
    }
}

impl AuditCode {
    /// The anchor of the code's section in `docs/audit.md` as GitHub and
    /// most Markdown renderers derive it from the heading, e.g.
    /// `sg-h001-smb-inbound-open`.
    #[must_use]
    pub fn anchor(self) -> String {
        format!("{}-{}", self.id().to_ascii_lowercase(), self.slug())
    }

    /// What the code detects, why it matters, an example and references.
    #[must_use]
    pub const fn explanation(self) -> Explanation {
        match self {
            AuditCode::SmbInboundOpen => Explanation {
                summary: "Inbound SMB is open on a host without shares.",
                what: r#"A host whose role has no shares (member, workstation, isolated) accepts inbound SMB on a transport the plan closes, whatever the rule that opens it is called: a built-in rule (`FPS-SMB-In-TCP`, the 24H2 "File and Printer Sharing (Restrictive)" group), a renamed or localised copy, a third-party rule, or a firewall default."#,
                why: "Inbound SMB to a host without shares is the lateral-movement path KB3185535 closes first: an attacker on any workstation can reach this one's admin shares and named pipes (PsExec, remote service creation).",
                example: "A workstation's local store holds `Backup agent` (`Action=Allow|Dir=In|Protocol=6|LPort=445`): inbound TCP 445 from 198.18.4.20 is allowed in the Domain profile where the plan blocks it.",
                reference: r#"KB3185535 row K4 ("disable the built-in SMB-In rules, block all inbound SMB"); [New-NetFirewallRule](https://learn.microsoft.com/powershell/module/netsecurity/new-netfirewallrule) (same-ID overrides)."#,
            },
            AuditCode::LateralOutbound => Explanation {
                summary: "Outbound SMB to hosts other than its servers is allowed.",
                what: "An outbound SMB connection the plan blocks is allowed: on the Public profile, or on Domain/Private to an address that is not a declared DC or file server.",
                why: "Outbound SMB to arbitrary hosts lets malware spread and lets a coerced host authenticate to a relay (NTLM relay, PetitPotam); KB3185535 allows outbound SMB only to the servers that need it.",
                example: "Outbound TCP 445 from a workstation to 198.18.4.21 (another workstation) is allowed because the outbound block rule was disabled.",
                reference: "KB3185535 row K6.",
            },
            AuditCode::ServerExposed => Explanation {
                summary: "A domain controller or file server accepts SMB from outside its declared clients.",
                what: "A domain controller or file server accepts SMB the plan refuses: on the Public profile, or from addresses outside its declared clients (including a bypass whose authorised computers were broadened).",
                why: "KB3185535 keeps DCs and file servers reachable only from the ranges that need them and never on Public networks; anything wider exposes SYSVOL, NETLOGON and shares to hosts that have no business there.",
                example: "The file server's inbound allow rule has `RA4=` widened to the whole internal range: TCP 445 from the kiosks is allowed.",
                reference: "KB3185535 row K5.",
            },
            AuditCode::PerimeterWider => Explanation {
                summary: "The perimeter lets through SMB the plan denies.",
                what: "The perimeter ACL permits an SMB flow across the perimeter that the plan denies: an exception wider than the declared cloud endpoint, or a missing deny.",
                why: "Every SMB exception through the perimeter is a path to or from the internet; a wider one exposes internal servers or lets data leave to any host on that port.",
                example: "The perimeter permits TCP 445 to 203.0.113.0/24 where the estate declares only 203.0.113.10.",
                reference: "KB3185535 rows K1 and K2.",
            },
            AuditCode::AllowIfSecureShadowed => Explanation {
                summary: "An allow-if-secure rule is silently beaten by a block rule.",
                what: r#"An allow-if-secure rule without "override block rules" that a block rule silently beats: the flow the plan lets through with an authenticated bypass is blocked."#,
                why: "Windows ranks block above allow; only an authenticated bypass (`Action=ByPass` / `-OverrideBlockRules`) beats a block. The allow looks right in the console but never applies, so the clients that need the server lose it.",
                example: "`Action=Allow|Security=Authenticate|Dir=Out|RPort=445` next to the outbound block: outbound TCP 445 to the DC is blocked even with IPsec established.",
                reference: r#"[MS-FASP] §2.2.34 (rule actions); "Order of Windows Firewall rule evaluation"; KB3185535 row K7."#,
            },
            AuditCode::BypassWithoutIsolation => Explanation {
                summary: "An authenticated bypass rule cannot apply: nothing authenticates the host.",
                what: "An authenticated bypass rule that cannot apply: no connection security rule authenticates the host (deleted, disabled, or its local copy ignored with `AllowLocalIPsecPolicyMerge=0`), or the connection security rule names an authentication set the store does not define.",
                why: "A bypass needs IPsec on both ends. Without the connection security rule the bypass never applies and the block it was meant to override blocks the servers too; the reader also notes the dangling reference (`SG-A003`).",
                example: "The GPO's `ConSecRules` value was deleted: outbound TCP 445 to the DC with the peer authenticated is blocked.",
                reference: "[MS-GPFAS] §2.2.4–2.2.6 (authentication sets, connection security rules); KB3185535 row K7.",
            },
            AuditCode::Smb1Enabled => Explanation {
                summary: "SMB1 is enabled where the estate removes it.",
                what: r#"SMB1 is enabled on the server (`LanmanServer\Parameters!SMB1` not 0 with the SMB1 feature present) or the client (`mrxsmb10` driver not disabled, or still a dependency of the Workstation service) where the estate removes it."#,
                why: "SMB1 has no pre-authentication integrity, no encryption and the bugs WannaCry used; KB3185535 asks for its removal.",
                example: "`mrxsmb10!Start = 2` (automatic) on a workstation.",
                reference: "KB3185535 row K9; [Detect, enable and disable SMBv1](https://learn.microsoft.com/windows-server/storage/file-server/troubleshoot/detect-enable-and-disable-smbv1-v2-v3).",
            },
            AuditCode::SmbWeaker => Explanation {
                summary: "SMB signing, encryption or the minimum dialect is weaker than the estate asks.",
                what: "SMB signing or encryption, or the minimum dialect, is weaker on the host than the estate asks for.",
                why: "Unsigned SMB can be relayed and tampered with; unencrypted SMB exposes file contents on the wire; an old minimum dialect re-opens downgrade paths.",
                example: r#"The estate requires encryption; the host's `LanmanServer\Parameters!EncryptData` is 0."#,
                reference: "[SMB signing overview](https://learn.microsoft.com/windows-server/storage/file-server/smb-signing-overview); [SMB security hardening](https://learn.microsoft.com/windows-server/storage/file-server/smb-security-hardening); KB3185535 row K2.",
            },
            AuditCode::NtlmAllowed => Explanation {
                summary: "The SMB client allows NTLM where the estate blocks it.",
                what: "The SMB client still allows NTLM where the estate blocks it (`block-ntlm = true`), or its exception list is wider than the estate's.",
                why: "NTLM over SMB can be relayed or cracked offline; Windows 11 24H2 can refuse it on the SMB client, and the estate asks for that.",
                example: r#"`Software\Policies\Microsoft\Windows\LanmanWorkstation!BlockNTLM` is absent on a 24H2 workstation."#,
                reference: "[SMB NTLM blocking](https://learn.microsoft.com/windows-server/storage/file-server/smb-ntlm-blocking).",
            },
            AuditCode::FirewallOff => Explanation {
                summary: "Windows Defender Firewall is off in a profile.",
                what: "Windows Defender Firewall is turned off in a profile (`EnableFirewall = 0`) where the plan keeps it on.",
                why: "With the firewall off every rule is moot: every inbound SMB connection is accepted in that profile.",
                example: "`DomainProfile!EnableFirewall = 0` in the local store with no GPO value above it.",
                reference: "[MS-GPFAS] §2.2.3.1 (EnableFirewall); KB3185535 row K3.",
            },
            AuditCode::LocalMergeOn => Explanation {
                summary: "Local firewall rules are merged where the plan turns merging off.",
                what: "Local firewall or connection security rules are merged (`AllowLocalPolicyMerge` / `AllowLocalIPsecPolicyMerge` not 0) in a profile where the plan turns merging off.",
                why: "With merge on, a local administrator or an installer can add an allow rule that opens SMB, and the central policy no longer is the whole truth.",
                example: "The GPO lost `PublicProfile!AllowLocalPolicyMerge = 0`.",
                reference: "[MS-GPFAS] §2.2.3.13–14; KB3185535 row K3 (the per-profile settings that keep the central policy the whole truth, as row K10 asks).",
            },
            AuditCode::UndeclaredRule => Explanation {
                summary: "A rule smbguard did not declare changes an SMB verdict.",
                what: "A rule smbguard did not declare decides an SMB flow differently from the plan, and the difference is none of the more specific findings above.",
                why: r#""The declared rules are the whole truth": a rule added by hand, by an installer or another tool that changes an SMB verdict is drift, whatever its name."#,
                example: "A local block rule `Legacy` blocks outbound TCP 445 to the file server the plan allows.",
                reference: r#"KB3185535 row K10 ("verify and actively manage the settings and their desired state")."#,
            },
            AuditCode::VerdictDiffers => Explanation {
                summary: "The deployed configuration decides an SMB flow differently from the plan.",
                what: "The deployed configuration decides an SMB flow differently from the plan, through smbguard's own rules or the profile defaults, and none of the more specific findings applies.",
                why: "The deployed policy is not the plan: either it was changed in place or the deployment is stale.",
                example: "The plan's block rule `smbguard-…-in-block-tcp445` is present but disabled.",
                reference: "KB3185535 row K10.",
            },
            AuditCode::SmbNeededBlocked => Explanation {
                summary: "SMB the plan needs is blocked.",
                what: "An SMB flow the plan allows is blocked: clients cannot reach a DC or file server (shielded mode on a DC, a narrowed allow, a block added), or a client cannot reach its servers.",
                why: "KB3185535 row K11 warns what blocking SMB breaks: Group Policy processing, logon scripts, DFS and file access fail on the hosts that need them.",
                example: "`DoNotAllowExceptions = 1` in the DC's Domain profile: inbound TCP 445 from the workstations is blocked.",
                reference: "[MS-GPFAS] §2.2.3.3 (DoNotAllowExceptions); KB3185535 rows K5 and K11.",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::audit_code::AuditCode;

    /// `docs/audit.md` holds, for every code, the section made of its
    /// heading, severity and KB row, and the explanation word for word.
    #[test]
    fn every_audit_code_is_documented_in_docs_audit_md_with_its_explanation() {
        let doc = include_str!("../../../docs/audit.md");
        for code in AuditCode::ALL {
            let section = format!(
                "### {} `{}`\n\nSeverity **{}**, KB3185535 row {}.\n\n{}\n",
                code.id(),
                code.slug(),
                code.severity().as_str(),
                code.kb(),
                code.explanation().markdown()
            );
            assert!(
                doc.contains(&section),
                "docs/audit.md does not hold, word for word:\n{section}"
            );
        }
    }

    #[test]
    fn summaries_are_one_sentence() {
        for code in AuditCode::ALL {
            let s = code.explanation().summary;
            assert!(s.ends_with('.') && !s.contains(". "), "{}: {s}", code.id());
        }
    }
}
