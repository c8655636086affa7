//! PowerShell (`.ps1`, Windows PowerShell 5.1 and PowerShell 7): one
//! converging script per Windows group.
//!
//! The script is data plus a fixed runtime (`powershell/functions.ps1`,
//! `powershell/main.ps1`): the generated part only assigns single-quoted
//! literals, arrays and hashtables, so no estate string is ever parsed as
//! code. Every user string goes through [`literal`].

use std::fmt::Write as _;

use smbguard_model::{Encryption, ProfileSet, Proto, Role, ServiceState};
use smbguard_semantics::{
    Action, Direction, Security, SecurityRequirement, WindowsRule, ids::rule_group,
};

use super::smb::dialect_name;
use super::{
    AddrChunk, MAX_AUTHORIZATION_UNITS, WindowsHost, chunk_remote, one_line, port_list,
    range_string, sddl_parts, skipped_groups, windows_hosts,
};
use crate::artifact::{Artifact, EmitContext, EmitError, Sink, header_lines};
use crate::target::Target;

const FUNCTIONS: &str = include_str!("powershell/functions.ps1");
const MAIN: &str = include_str!("powershell/main.ps1");

/// At most this many address ranges per rule; longer lists are split over
/// several rules (sound: see `scope.rs`). Conservative: MS-FASP bounds the
/// address lists of a rule, and the exact bound was not confirmed.
pub(crate) const MAX_ADDRESSES_PER_RULE: usize = 1000;

/// A single-quoted PowerShell literal. PowerShell treats `'` and the Unicode
/// quotes U+2018, U+2019, U+201A and U+201B alike as single quotes; each is
/// doubled, so the literal cannot end early. Inside single quotes nothing
/// else is special (no `$`, backtick or subexpression expansion). Control
/// characters other than tab and line breaks cannot appear in a literal, so
/// a string with one is written as a `-join` of literals and `[char]` codes.
pub(crate) fn literal(s: &str) -> String {
    let plain = |c: char| !c.is_control() || matches!(c, '\t' | '\n' | '\r');
    if s.chars().all(plain) {
        return quote(s);
    }
    let mut parts: Vec<String> = Vec::new();
    let mut run = String::new();
    for c in s.chars() {
        if plain(c) {
            run.push(c);
        } else {
            if !run.is_empty() {
                parts.push(quote(&std::mem::take(&mut run)));
            }
            parts.push(format!("[char]0x{:04X}", u32::from(c)));
        }
    }
    if !run.is_empty() {
        parts.push(quote(&run));
    }
    format!("(-join @({}))", parts.join(", "))
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

fn array(items: &[String]) -> String {
    if items.is_empty() {
        return "@()".to_owned();
    }
    let quoted: Vec<String> = items.iter().map(|s| literal(s)).collect();
    format!("@({})", quoted.join(", "))
}

fn profile_value(p: ProfileSet) -> String {
    if p.is_all() {
        "Any".to_owned()
    } else {
        p.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")
    }
}

fn proto_value(p: Option<Proto>) -> &'static str {
    match p {
        Some(Proto::Tcp) => "TCP",
        Some(Proto::Udp) => "UDP",
        None => "Any",
    }
}

fn requirement(r: SecurityRequirement) -> &'static str {
    match r {
        SecurityRequirement::None => "None",
        SecurityRequirement::Request => "Request",
        SecurityRequirement::Require => "Require",
    }
}

/// The rule table entries for one plan rule (several when its address list
/// is split; the first keeps the plan's ID).
fn rule_entries(rule: &WindowsRule) -> Result<Vec<String>, EmitError> {
    if rule.profiles.is_empty() || rule.local_ports.is_empty() || rule.remote_ports.is_empty() {
        return Ok(Vec::new());
    }
    let unrepresentable = |what: &str| EmitError::Unrepresentable {
        target: Target::PowerShell,
        what: format!("rule {}: {what}", rule.id),
    };
    if !rule.local_addresses.is_any() {
        return Err(unrepresentable("a local address scope"));
    }
    if rule.direction == Direction::Outbound && !rule.local_ports.is_full() {
        return Err(unrepresentable(
            "an outbound rule restricted by local (client) port",
        ));
    }
    if rule.protocol.is_none() && (!rule.local_ports.is_full() || !rule.remote_ports.is_full()) {
        return Err(unrepresentable("ports without a protocol"));
    }
    let (authentication, encryption) = match rule.security {
        Security::None => ("NotRequired", "NotRequired"),
        Security::Authenticate => ("Required", "NotRequired"),
        Security::AuthenticateNoEncap => ("NoEncap", "NotRequired"),
        Security::AuthenticateEncrypt => ("Required", "Required"),
    };
    let remote_machines = sddl_parts(
        Target::PowerShell,
        "D:",
        &rule.remote_machines,
        MAX_AUTHORIZATION_UNITS,
    )?;
    if rule.direction == Direction::Inbound
        && rule.action == Action::Bypass
        && rule.remote_machines.is_empty()
    {
        return Err(unrepresentable(
            "an inbound bypass without authorised computers (Windows requires -RemoteMachine)",
        ));
    }
    let action = match rule.action {
        Action::Block => "Block",
        Action::Allow | Action::Bypass => "Allow",
    };
    let chunks = chunk_remote(
        &rule.remote_addresses,
        MAX_ADDRESSES_PER_RULE,
        usize::MAX,
        |_| 1,
    );
    let mut out = Vec::new();
    // One copy per part of the authorised computers and of the addresses.
    let copies = remote_machines
        .iter()
        .flat_map(|m| chunks.iter().map(move |c| (m, c)));
    for (i, (remote_machine, chunk)) in copies.enumerate() {
        let id = if i == 0 {
            rule.id.clone()
        } else {
            format!("{}-part{}", rule.id, i + 1)
        };
        let addresses: Vec<String> = match chunk {
            AddrChunk::Any => Vec::new(),
            AddrChunk::Ranges(rs) => rs.iter().map(range_string).collect(),
        };
        let mut e = String::new();
        let _ = writeln!(e, "    @{{");
        let _ = writeln!(e, "        Name = {}", literal(&id));
        let _ = writeln!(e, "        DisplayName = {}", literal(&rule.name));
        let _ = writeln!(e, "        Description = {}", literal(&rule.description));
        let _ = writeln!(e, "        Kb = '{}'", rule.kb);
        let _ = writeln!(
            e,
            "        Direction = '{}'",
            match rule.direction {
                Direction::Inbound => "Inbound",
                Direction::Outbound => "Outbound",
            }
        );
        let _ = writeln!(e, "        Action = '{action}'");
        let _ = writeln!(e, "        Profile = '{}'", profile_value(rule.profiles));
        let _ = writeln!(e, "        Protocol = '{}'", proto_value(rule.protocol));
        let _ = writeln!(
            e,
            "        LocalPort = {}",
            array(&port_list(&rule.local_ports).unwrap_or_default())
        );
        let _ = writeln!(
            e,
            "        RemotePort = {}",
            array(&port_list(&rule.remote_ports).unwrap_or_default())
        );
        let _ = writeln!(e, "        RemoteAddress = {}", array(&addresses));
        let _ = writeln!(e, "        Authentication = '{authentication}'");
        let _ = writeln!(e, "        Encryption = '{encryption}'");
        let _ = writeln!(
            e,
            "        OverrideBlockRules = {}",
            if rule.action == Action::Bypass {
                "$true"
            } else {
                "$false"
            }
        );
        let _ = writeln!(e, "        RemoteMachine = {}", literal(remote_machine));
        e.push_str("    }");
        out.push(e);
    }
    Ok(out)
}

/// The script for one Windows group.
pub(crate) fn script(cx: &EmitContext<'_>, h: &WindowsHost<'_>) -> Result<String, EmitError> {
    let p = h.policy;
    let mut s = String::new();
    for line in header_lines(cx, Target::PowerShell, Some(&h.host.group)) {
        let _ = writeln!(s, "# {}", one_line(&line));
    }
    if let Some(d) = h.group.and_then(|g| g.description.as_deref()) {
        let _ = writeln!(s, "# {}", one_line(d));
    }
    s.push_str(concat!(
        "#\n",
        "# Converges this computer (or a GPO) on smbguard's plan for the group, then reads\n",
        "# everything back and fails (non-zero exit) if anything differs.\n",
        "#   powershell -ExecutionPolicy Bypass -File THIS.ps1 -WhatIf      # show what would change\n",
        "#   powershell -ExecutionPolicy Bypass -File THIS.ps1               # local Group Policy store\n",
        "#   powershell -ExecutionPolicy Bypass -File THIS.ps1 -PolicyStore 'corp.example\\GPO name'\n",
        "#   powershell -ExecutionPolicy Bypass -File THIS.ps1 -PolicyStore PersistentStore\n",
        "# Only rules in smbguard's rule group, smbguard's connection security rule, the\n",
        "# built-in rules named below and the settings below are touched.\n",
        "#Requires -Version 5.1\n",
        // Every step writes a policy store or machine settings (review A.13).
        "#Requires -RunAsAdministrator\n",
        "[CmdletBinding(SupportsShouldProcess = $true)]\n",
        "param(\n",
        "    # localhost (the local Group Policy object), PersistentStore (local rules),\n",
        "    # or a domain GPO as DOMAIN\\GPO-name.\n",
        "    [string]$PolicyStore = 'localhost'\n",
        ")\n\n",
    ));
    let _ = writeln!(s, "$Estate = {}", literal(&cx.estate.name));
    let _ = writeln!(s, "$GroupName = {}", literal(&h.host.group));
    let _ = writeln!(s, "$Role = '{}'", h.host.role.as_str());
    let _ = writeln!(s, "$RuleGroup = {}", literal(&rule_group(&cx.estate.name)));
    let _ = writeln!(
        s,
        "$RefuseOnDomainController = {}",
        if h.host.role == Role::DomainController {
            "$false"
        } else {
            "$true"
        }
    );
    s.push_str(
        "\n# Firewall rules (no order: bypass > block > allow > profile default).\n$Rules = @(\n",
    );
    let mut entries = Vec::new();
    for r in &p.rules {
        entries.extend(rule_entries(r)?);
    }
    s.push_str(&entries.join(",\n"));
    s.push_str("\n)\n\n");
    s.push_str("# Built-in rules that open SMB, disabled by rule ID (K4/K5).\n");
    let ids: Vec<String> = p
        .disabled_builtins
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let _ = writeln!(s, "$BuiltinRuleIds = {}", array(&ids));
    s.push_str("# Inbound SMB transports governed: other File and Printer Sharing rules on them are disabled too.\n$GovernedInbound = @(\n");
    let governed: Vec<String> = cx
        .plan
        .transports
        .iter()
        .map(|t| {
            format!(
                "    @{{ Protocol = '{}'; Port = '{}' }}",
                proto_value(Some(t.proto)),
                t.port
            )
        })
        .collect();
    s.push_str(&governed.join(",\n"));
    s.push_str("\n)\n\n# Profile defaults (K3).\n$ProfileDefaults = @(\n");
    let profiles: Vec<String> = p
        .profile_defaults
        .iter()
        .map(|d| {
            format!(
                "    @{{ Name = '{}'; Enabled = '{}'; DefaultInboundAction = '{}'; DefaultOutboundAction = '{}' }}",
                d.profile.as_str(),
                if d.enabled { "True" } else { "False" },
                if d.block_inbound { "Block" } else { "Allow" },
                if d.block_outbound { "Block" } else { "Allow" },
            )
        })
        .collect();
    s.push_str(&profiles.join(",\n"));
    s.push_str("\n)\n\n# Connection security rule (K7).\n");
    match p.connection_security.as_slice() {
        [] => s.push_str("$Isolation = $null\n"),
        [c] => {
            let _ = writeln!(s, "$Isolation = @{{");
            let _ = writeln!(s, "    Name = {}", literal(&c.id));
            let _ = writeln!(s, "    DisplayName = {}", literal(&c.name));
            let _ = writeln!(s, "    Description = {}", literal(&c.description));
            let _ = writeln!(s, "    InboundSecurity = '{}'", requirement(c.inbound));
            let _ = writeln!(s, "    OutboundSecurity = '{}'", requirement(c.outbound));
            let _ = writeln!(s, "    Profile = '{}'", profile_value(c.profiles));
            let _ = writeln!(
                s,
                "    Phase1Name = {}",
                literal(&format!("{}-phase1", c.id))
            );
            let _ = writeln!(
                s,
                "    Phase1DisplayName = {}",
                literal(&format!("{} - Kerberos V5 computer", c.name))
            );
            let _ = writeln!(
                s,
                "    Phase2Name = {}",
                literal(&format!("{}-phase2", c.id))
            );
            let _ = writeln!(
                s,
                "    Phase2DisplayName = {}",
                literal(&format!("{} - Kerberos V5 user", c.name))
            );
            // Null encapsulation first, ESP SHA-256 integrity as the
            // fallback netsh's consec remarks require (review A.4).
            let _ = writeln!(
                s,
                "    QuickModeName = {}",
                literal(&format!("{}-quickmode", c.id))
            );
            let _ = writeln!(
                s,
                "    QuickModeDisplayName = {}",
                literal(&format!(
                    "{} - null encapsulation, ESP SHA-256 integrity",
                    c.name
                ))
            );
            s.push_str("    QuickModeProposals = 'None/None/None,ESP/SHA256/None'\n");
            s.push_str("}\n");
        }
        _ => {
            return Err(EmitError::Unrepresentable {
                target: Target::PowerShell,
                what: format!(
                    "more than one connection security rule for group {}",
                    h.host.group
                ),
            });
        }
    }
    let smb = &cx.plan.smb;
    s.push_str("\n# SMB settings (K9, K2): applied when the target is this computer.\n");
    let _ = writeln!(
        s,
        "$Smb = @{{ DisableSmb1 = {}; RequireSigning = {}; Encryption = '{}'; MinDialect = '{}' }}",
        if smb.smb1 { "$false" } else { "$true" },
        if smb.signing { "$true" } else { "$false" },
        match smb.encryption {
            Encryption::Off => "Off",
            Encryption::Desired => "Desired",
            Encryption::Required => "Required",
        },
        dialect_name(smb.min_dialect),
    );
    let h24 = &smb.hardening;
    let bool_lit = |b: bool| if b { "$true" } else { "$false" };
    s.push_str("# Windows 11 24H2 / Server 2025 hardening: applied where the build has it, reported where not.\n");
    let _ = writeln!(
        s,
        "$Smb.BlockNtlm = {}; $Smb.NtlmExceptions = {}; $Smb.QuicServers = {}; $Smb.RemoteMailslots = {}; $Smb.Audit = {}",
        bool_lit(h24.block_ntlm),
        array(&h24.ntlm_exceptions),
        array(&h24.quic_servers),
        bool_lit(h24.remote_mailslots),
        bool_lit(h24.audit),
    );
    let services: Vec<String> = p
        .services
        .iter()
        .filter(|v| v.state == ServiceState::Disabled)
        .map(|v| v.service.to_owned())
        .collect();
    s.push_str("# Services to stop and disable (K8, isolated role only).\n");
    let _ = writeln!(s, "$Services = {}", array(&services));
    s.push('\n');
    s.push_str(FUNCTIONS);
    s.push_str(MAIN);
    Ok(s)
}

/// Every Windows group's script.
pub(crate) fn emit(cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
    let skipped = skipped_groups(cx);
    for h in windows_hosts(cx) {
        let text = script(cx, &h)?;
        // UTF-8 with a byte order mark: Windows PowerShell 5.1 reads a file
        // without one in the ANSI code page, where a UTF-8 byte such as 0x92
        // would become U+2019, a quote character.
        let mut contents = vec![0xEF, 0xBB, 0xBF];
        contents.extend_from_slice(text.as_bytes());
        let mut description = format!(
            "PowerShell for group {} ({}): converges the rules, built-ins, profiles, isolation rule, SMB settings and services, then verifies; -WhatIf shows changes only",
            h.host.group,
            h.host.role.as_str()
        );
        if !skipped.is_empty() {
            description.push_str(&format!("; Linux groups skipped: {}", skipped.join(", ")));
        }
        sink(Artifact {
            path: format!("{}.powershell.ps1", h.stem),
            target: Target::PowerShell,
            group: Some(h.host.group.clone()),
            description,
            contents,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_double_every_quote_character() {
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal("a\u{2019}b"), "'a\u{2019}\u{2019}b'");
        assert_eq!(literal("$(calc) `n"), "'$(calc) `n'");
        assert_eq!(literal("a\u{0}b"), "(-join @('a', [char]0x0000, 'b'))");
    }
}
