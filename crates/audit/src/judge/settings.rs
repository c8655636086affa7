//! Findings that are settings rather than flows: firewall profiles, local
//! merge, SMB1, signing, encryption, dialect, NTLM, and bypass rules left
//! without a connection security rule.

use smbguard_model::{Encryption, Profile, Role, SmbSettings};
use smbguard_semantics::{Action, WindowsPolicy};

use crate::audit_code::AuditCode;
use crate::bundle::HostSmb;
use crate::effective::Effective;
use crate::report::{AuditFinding, Evidence, Fix, RuleRef};

fn evidence(detail: String) -> Evidence {
    Evidence {
        detail,
        rules: Vec::new(),
        direction: None,
        profile: None,
        trace: None,
        classes: 0,
        approximated: Vec::new(),
    }
}

fn ps(summary: &str, snippet: String) -> Option<Fix> {
    Some(Fix {
        language: "powershell",
        summary: summary.to_owned(),
        snippet,
    })
}

fn names(ps: &[Profile]) -> String {
    ps.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// Profiles off, and local merge on where the plan turns it off.
pub(crate) fn profiles(expected: &WindowsPolicy, actual: &WindowsPolicy) -> Vec<AuditFinding> {
    let pick = |f: &dyn Fn(Profile) -> bool| -> Vec<Profile> {
        Profile::ALL.into_iter().filter(|p| f(*p)).collect()
    };
    let off = pick(&|p| expected.defaults(p).enabled && !actual.defaults(p).enabled);
    let merge = pick(&|p| !expected.defaults(p).local_rules && actual.defaults(p).local_rules);
    let ipsec =
        pick(&|p| !expected.defaults(p).local_ipsec_rules && actual.defaults(p).local_ipsec_rules);
    let mut out = Vec::new();
    if !off.is_empty() {
        let mut f = AuditFinding::new(
            AuditCode::FirewallOff,
            format!("firewall off in the {} profile(s)", names(&off)),
            evidence(
                "EnableFirewall = 0: no rule applies, every inbound connection is accepted".into(),
            ),
        );
        f.fix = ps(
            "turn the firewall back on",
            format!(
                "Set-NetFirewallProfile -Profile {} -Enabled True",
                names(&off)
            ),
        );
        out.push(f);
    }
    for (list, value, param) in [
        (&merge, "AllowLocalPolicyMerge", "AllowLocalFirewallRules"),
        (&ipsec, "AllowLocalIPsecPolicyMerge", "AllowLocalIPsecRules"),
    ] {
        if list.is_empty() {
            continue;
        }
        let mut f = AuditFinding::new(
            AuditCode::LocalMergeOn,
            format!(
                "local rules merged in the {} profile(s) ({value} on)",
                names(list)
            ),
            evidence(format!(
                "the plan sets {value} = 0; the host merges local rules"
            )),
        );
        f.fix = ps(
            "turn local merge off in the GPO",
            format!(
                "Set-NetFirewallProfile -PolicyStore DOMAIN\\GPO -Profile {} -{param} False",
                names(list)
            ),
        );
        out.push(f);
    }
    out
}

fn rank(e: Encryption) -> u8 {
    match e {
        Encryption::Off => 0,
        Encryption::Desired => 1,
        Encryption::Required => 2,
    }
}

/// SMB1, signing, encryption, dialect and NTLM against the estate.
pub(crate) fn smb(want: &SmbSettings, host: &HostSmb, role: Role) -> Vec<AuditFinding> {
    let s = &host.settings;
    let mut out = Vec::new();
    if !want.smb1 && !host.smb1_feature_off {
        let mut sides = Vec::new();
        let mut fix = Vec::new();
        if !s.smb1_server_off {
            sides.push("server (LanmanServer\\Parameters!SMB1 is not 0)");
            fix.push("Set-SmbServerConfiguration -EnableSMB1Protocol $false -Force");
        }
        if !s.smb1_client_off {
            sides.push("client (mrxsmb10 not disabled or still a Workstation dependency)");
            fix.push("sc.exe config lanmanworkstation depend= bowser/mrxsmb20/nsi");
            fix.push("sc.exe config mrxsmb10 start= disabled");
        }
        if !sides.is_empty() {
            let mut f = AuditFinding::new(
                AuditCode::Smb1Enabled,
                format!("SMB1 enabled: {}", sides.join(", ")),
                evidence("the estate removes SMB1 (smb1 = false)".into()),
            );
            fix.push("Disable-WindowsOptionalFeature -Online -FeatureName SMB1Protocol -NoRestart");
            f.fix = ps("turn SMB1 off", fix.join("\n"));
            out.push(f);
        }
    }
    let mut weaker = Vec::new();
    if want.signing && !s.signing_required {
        weaker.push("signing is not required on both sides".to_owned());
    }
    if rank(s.encryption) < rank(want.encryption) {
        weaker.push(format!(
            "encryption is {:?}, the estate asks for {:?}",
            s.encryption, want.encryption
        ));
    }
    if s.min_dialect.is_none_or(|d| d < want.min_dialect) {
        weaker.push(format!(
            "minimum dialect {}, the estate asks for {:?}",
            s.min_dialect
                .map_or("not set".to_owned(), |d| format!("{d:?}")),
            want.min_dialect
        ));
    }
    if !weaker.is_empty() {
        let mut f = AuditFinding::new(
            AuditCode::SmbWeaker,
            format!("SMB weaker than the estate: {}", weaker.join("; ")),
            evidence(weaker.join("; ")),
        );
        f.fix = ps(
            "require signing and encryption as the estate does",
            "Set-SmbServerConfiguration -RequireSecuritySignature $true -EncryptData $true -RejectUnencryptedAccess $true -Force\nSet-SmbClientConfiguration -RequireSecuritySignature $true -RequireEncryption $true -Force".to_owned(),
        );
        out.push(f);
    }
    let h = &want.hardening;
    let wider = s
        .ntlm_exceptions
        .iter()
        .any(|e| !h.ntlm_exceptions.iter().any(|w| w.eq_ignore_ascii_case(e)));
    if h.block_ntlm && role != Role::Isolated && (!s.block_ntlm || wider) {
        let detail = if s.block_ntlm {
            "the NTLM exception list names servers the estate does not".to_owned()
        } else {
            "the SMB client does not block NTLM (BlockNTLM not 1)".to_owned()
        };
        let mut f = AuditFinding::new(
            AuditCode::NtlmAllowed,
            format!("NTLM allowed where the estate blocks it: {detail}"),
            evidence(detail),
        );
        f.fix = ps(
            "block NTLM on the SMB client",
            "Set-SmbClientConfiguration -BlockNTLM $true -Force".to_owned(),
        );
        out.push(f);
    }
    out
}

/// A bypass rule on a host with no connection security rule in a profile
/// where the plan has one, when no flow finding already said so.
pub(crate) fn bypass_without_isolation(
    expected: &WindowsPolicy,
    actual: &Effective,
    findings: &mut Vec<AuditFinding>,
) {
    if findings
        .iter()
        .any(|f| f.code == AuditCode::BypassWithoutIsolation)
    {
        return;
    }
    let p = &actual.policy;
    let lacking: Vec<Profile> = Profile::ALL
        .into_iter()
        .filter(|pr| expected.has_isolation(*pr) && !p.has_isolation(*pr))
        .collect();
    let bypasses: Vec<RuleRef> = p
        .rules
        .iter()
        .filter(|r| r.enabled && r.action == Action::Bypass)
        .filter(|r| lacking.iter().any(|pr| r.profiles.contains(*pr)))
        .map(|r| RuleRef {
            id: r.id.clone(),
            name: r.name.clone(),
            store: actual.store_of(&r.id),
            action: "bypass".into(),
            declared: expected.rules.iter().any(|e| e.id == r.id),
        })
        .collect();
    if bypasses.is_empty() {
        return;
    }
    let mut ev = evidence(format!(
        "no enabled connection security rule in the {} profile(s)",
        names(&lacking)
    ));
    ev.rules = bypasses;
    ev.approximated = actual
        .notes
        .iter()
        .filter(|n| actual.within(n).contains("ConSecRules!"))
        .map(|n| format!("{}: {}", n.location, n.message))
        .collect();
    let mut f = AuditFinding::new(
        AuditCode::BypassWithoutIsolation,
        format!(
            "authenticated bypass without a connection security rule in the {} profile(s)",
            names(&lacking)
        ),
        ev,
    );
    f.fix = ps(
        "re-create the isolation rule",
        "# re-apply smbguard's policy (it carries the Kerberos connection security rule): smbguard emit ESTATE --target gpo".to_owned(),
    );
    findings.push(f);
}
