//! `netsh advfirewall` (`.cmd`): the same rules, where netsh can express them.
//!
//! netsh has no rule IDs and no rule groups (rules are found by display
//! name, and "adding rules to a custom rule group isn't possible in netsh",
//! reference §4.1), so every rule name ends with its smbguard rule ID in
//! brackets: add-under-a-staging-name, then delete-and-rename, converges
//! without a moment with neither rule, and cannot hit a rule
//! someone else named "Block all inbound SMB 445". Built-in rules can only
//! be addressed by their display names, which are translated. SMB1 (K9) is
//! set with `reg`/`sc.exe`; services and the other SMB settings are not
//! netsh's: use the PowerShell or GPO artefact.
//!
//! cmd has no reliable escape inside a quoted argument: `%` is expanded even
//! in quotes, `"` ends the quotes and exposes `&`, `|`, `<`, `>` and `^`, and
//! a line break ends the command. Values with any of them are rejected
//! ([`quoted`]); comments have them replaced.

use std::fmt::Write as _;

use smbguard_model::{Profile, ProfileSet};
use smbguard_semantics::{Action, Direction, Security, SecurityRequirement, WindowsRule, builtin};

use super::{
    AddrChunk, WindowsHost, chunk_remote, port_list, range_string, sddl_parts, skipped_groups,
    windows_hosts,
};
use crate::artifact::{Artifact, EmitContext, EmitError, Sink, header_lines};
use crate::target::Target;

/// cmd's command line limit is 8191 characters; the address list of one
/// `add rule` stays well below it.
const MAX_ADDRESS_CHARS: usize = 6000;

/// The `rmtcomputergrp=` SDDL of one `add rule` line: with the address list
/// and the rest of the line it stays under cmd's 8191 characters, and far
/// under Windows' own limit on one rule's list
/// ([`MAX_AUTHORIZATION_UNITS`](super::MAX_AUTHORIZATION_UNITS)). Longer
/// lists become several lines of the same rule name, each authorising a
/// part (sound: see `super::sddl_parts`).
const MAX_SDDL_CHARS: usize = 1500;

/// A value as one double-quoted netsh argument, or an error naming the field
/// and the character that cannot be written safely.
pub(crate) fn quoted(what: &str, value: &str) -> Result<String, EmitError> {
    let reject = |why: &str| EmitError::UnsafeString {
        target: Target::Netsh,
        what: what.to_owned(),
        value: value.to_owned(),
        why: format!("{why}; use the PowerShell or GPO artefact for this name, or rename it"),
    };
    for c in value.chars() {
        let why = match c {
            '"' => "a double quote would end the quoted argument and expose the rest to cmd",
            '%' => "cmd expands %...% even inside double quotes",
            '^' => "`^` is cmd's escape character and is not reliably literal in a batch file",
            '&' => "`&` separates commands in cmd",
            '|' => "`|` pipes into another command in cmd",
            '<' | '>' => "`<` and `>` redirect in cmd",
            '\n' | '\r' => "a line break ends the command in cmd",
            c if c.is_control() => "control characters cannot be written in a batch file",
            c if !c.is_ascii() => {
                "cmd reads batch files in the OEM code page, so non-ASCII text would reach netsh garbled"
            }
            _ => continue,
        };
        return Err(reject(why));
    }
    Ok(format!("\"{value}\""))
}

/// Comment text for a `REM` line: cmd metacharacters, quotes, control
/// characters and non-ASCII become `?` (REM lines still go through `%`
/// expansion, and a trailing `^` would join the next line).
fn rem_text(s: &str) -> String {
    s.chars()
        .map(|c| {
            // Quotes (straight or typographic) read as an apostrophe, not `?`
            // (review A.13); an apostrophe means nothing to cmd.
            if matches!(c, '"' | '\u{2018}' | '\u{2019}' | '\u{201C}' | '\u{201D}') {
                return '\'';
            }
            if c.is_ascii()
                && !c.is_control()
                && !matches!(c, '%' | '^' | '&' | '|' | '<' | '>' | '"')
            {
                c
            } else {
                '?'
            }
        })
        .collect()
}

fn profile_arg(p: ProfileSet) -> String {
    if p.is_all() {
        "any".to_owned()
    } else {
        p.iter()
            .map(|p| p.as_str().to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The netsh rule name: display name plus the smbguard rule ID.
fn rule_name(rule: &WindowsRule) -> String {
    format!("{} [{}]", rule.name, rule.id)
}

/// The name a replacement is added under before the old rule goes.
fn staging_name(name: &str) -> String {
    match name.strip_suffix(']') {
        Some(stem) => format!("{stem}.new]"),
        None => format!("{name} [.new]"),
    }
}

/// Replace-without-a-gap (review A.13): the new rule(s) are added under a
/// staging name; only when every `add` succeeded is the old rule deleted and
/// the staged one renamed (`set rule ... new name=`, netsh-advfirewall.md);
/// otherwise the staged copies go and the old rule stays. `context` is
/// `firewall` or `consec`; `adds` are the `add rule` argument tails.
fn replace_lines(
    out: &mut String,
    context: &str,
    name: &str,
    adds: &[String],
) -> Result<(), EmitError> {
    let q = quoted("rule name", name)?;
    let staged = quoted("staging rule name", &staging_name(name))?;
    let _ = writeln!(
        out,
        "netsh advfirewall {context} delete rule name={staged} >nul 2>&1"
    );
    out.push_str("set \"SMBGUARD_OK=1\"\n");
    for tail in adds {
        let _ = writeln!(
            out,
            "netsh advfirewall {context} add rule name={staged} {tail} >nul || set \"SMBGUARD_OK=0\""
        );
    }
    let _ = writeln!(
        out,
        "if \"%SMBGUARD_OK%\"==\"1\" (netsh advfirewall {context} delete rule name={q} >nul 2>&1 & netsh advfirewall {context} set rule name={staged} new name={q} >nul || call :failed {q}) else (netsh advfirewall {context} delete rule name={staged} >nul 2>&1 & call :failed {q})"
    );
    Ok(())
}

fn add_rule_lines(
    rule: &WindowsRule,
    out: &mut String,
    names: &mut Vec<String>,
) -> Result<(), EmitError> {
    if rule.profiles.is_empty() || rule.local_ports.is_empty() || rule.remote_ports.is_empty() {
        return Ok(());
    }
    let unrepresentable = |what: &str| EmitError::Unrepresentable {
        target: Target::Netsh,
        what: format!("rule {}: {what}", rule.id),
    };
    if !rule.local_addresses.is_any() {
        return Err(unrepresentable("a local address scope"));
    }
    let name = quoted(&format!("rule name of {}", rule.id), &rule_name(rule))?;
    let dir = match rule.direction {
        Direction::Inbound => "in",
        Direction::Outbound => "out",
    };
    let action = match rule.action {
        Action::Allow => "allow",
        Action::Block => "block",
        Action::Bypass => "bypass",
    };
    let mut fixed = format!("dir={dir} action={action}");
    match rule.protocol {
        Some(p) => {
            let _ = write!(fixed, " protocol={}", p.as_str());
        }
        None if rule.local_ports.is_full() && rule.remote_ports.is_full() => {
            fixed.push_str(" protocol=any");
        }
        None => return Err(unrepresentable("ports without a protocol")),
    }
    if let Some(ports) = port_list(&rule.local_ports) {
        let _ = write!(fixed, " localport={}", ports.join(","));
    }
    if let Some(ports) = port_list(&rule.remote_ports) {
        let _ = write!(fixed, " remoteport={}", ports.join(","));
    }
    let _ = write!(fixed, " profile={}", profile_arg(rule.profiles));
    if rule.direction == Direction::Inbound {
        // Edge traversal blocked (netsh's `edge` applies to inbound rules only).
        fixed.push_str(" edge=no");
    }
    match rule.security {
        Security::None => {}
        Security::Authenticate => fixed.push_str(" security=authenticate"),
        Security::AuthenticateNoEncap => fixed.push_str(" security=authnoencap"),
        Security::AuthenticateEncrypt => fixed.push_str(" security=authenc"),
    }
    let mut fixed_parts = Vec::new();
    for sddl in sddl_parts(Target::Netsh, "D:", &rule.remote_machines, MAX_SDDL_CHARS)? {
        let mut part = fixed.clone();
        if !sddl.is_empty() {
            let _ = write!(
                part,
                " rmtcomputergrp={}",
                quoted("authorised computers (SDDL)", &sddl)?
            );
        }
        part.push_str(" enable=yes");
        fixed_parts.push(part);
    }
    if rule.remote_machines.is_empty()
        && rule.action == Action::Bypass
        && rule.direction == Direction::Inbound
    {
        return Err(unrepresentable(
            "an inbound bypass without authorised computers",
        ));
    }
    let _ = writeln!(out, "REM {} {}", rule.kb, rem_text(&rule.description));
    let chunks = chunk_remote(
        &rule.remote_addresses,
        super::powershell::MAX_ADDRESSES_PER_RULE,
        MAX_ADDRESS_CHARS,
        |r| range_string(r).len() + 1,
    );
    let mut adds = Vec::new();
    for fixed in &fixed_parts {
        for chunk in &chunks {
            let remote = match chunk {
                AddrChunk::Any => String::new(),
                AddrChunk::Ranges(rs) => {
                    format!(
                        " remoteip={}",
                        rs.iter().map(range_string).collect::<Vec<_>>().join(",")
                    )
                }
            };
            adds.push(format!("{fixed}{remote}"));
        }
    }
    replace_lines(out, "firewall", &rule_name(rule), &adds)?;
    names.push(name);
    Ok(())
}

/// English display names of the built-in rules the plan disables, each once.
fn builtin_names(ids: &[&str]) -> Vec<(&'static str, Vec<String>)> {
    let mut out: Vec<(&'static str, Vec<String>)> = Vec::new();
    for id in ids {
        if let Some(r) = builtin::lookup(id) {
            match out.iter_mut().find(|(n, _)| *n == r.name.as_str()) {
                Some((_, list)) => list.push((*id).to_owned()),
                None => out.push((r.name.as_str(), vec![(*id).to_owned()])),
            }
        }
    }
    out
}

fn consec_action(
    inbound: SecurityRequirement,
    outbound: SecurityRequirement,
) -> Option<&'static str> {
    use SecurityRequirement::{None, Request, Require};
    match (inbound, outbound) {
        (Request, Request) => Some("requestinrequestout"),
        (Require, Request) => Some("requireinrequestout"),
        (Require, Require) => Some("requireinrequireout"),
        (None, None) => Some("noauthentication"),
        _ => Option::None,
    }
}

/// The quick-mode methods of the isolation rule (see `replace_lines` caller).
/// Proposals are comma-separated and `sha256` is an integrity token
/// (netsh-advfirewall.md, consec remarks: "Qmsecmethods can be a list of
/// proposals separated by a \",\"", "integrity=md5|sha1|sha256|…"). An
/// integrity-only ESP proposal is `esp:<integrity>-none`, the form netsh
/// itself shows (`ESP:SHA1-None+60min+100000kb`, Microsoft support article
/// "L2TP VPN fails with error 787"); `authnoencap:<integrity>` is netsh's
/// built-in help form, not on Microsoft Learn (docs/windows.md lists it).
const QM_SECMETHODS: &str = "authnoencap:sha256,esp:sha256-none";

/// K9 without PowerShell: the SMB1 server value and the SMB1 client driver as
/// detect-enable-and-disable-smbv1-v2-v3.md sets them with `sc.exe` ("Disable
/// SMBv1 Client": mrxsmb10 start= disabled, Workstation depend=
/// bowser/mrxsmb20/nsi; review A.10). Where mrxsmb10 is absent (SMB1 already
/// removed), only the dependency is rewritten.
const SMB1_LINES: &str = concat!(
    "\nREM --- SMB1 off, server and client (K9; takes effect after a restart) ---\n",
    "reg add \"HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanmanServer\\Parameters\" /v SMB1 /t REG_DWORD /d 0 /f >nul || call :failed SMB1-server\n",
    "sc.exe query mrxsmb10 >nul 2>&1 && (sc.exe config mrxsmb10 start= disabled >nul || call :failed mrxsmb10)\n",
    "sc.exe config lanmanworkstation depend= bowser/mrxsmb20/nsi >nul || call :failed LanmanWorkstation-depend\n",
);

/// The batch file for one Windows group.
pub(crate) fn script(cx: &EmitContext<'_>, h: &WindowsHost<'_>) -> Result<String, EmitError> {
    let p = h.policy;
    let mut s = String::from("@echo off\n");
    for line in header_lines(cx, Target::Netsh, Some(&h.host.group)) {
        let _ = writeln!(s, "REM {}", rem_text(&line));
    }
    s.push_str(concat!(
        "REM\n",
        "REM netsh has no rule IDs and no rule groups: each rule name ends with its smbguard\n",
        "REM rule ID in brackets; a replacement is added under a staging name first and\n",
        "REM the old rule goes only once it is in place. For\n",
        "REM rule groups, -WhatIf, verification of every field, SMB settings and services,\n",
        "REM use the PowerShell artefact; for domain-wide deployment, the GPO backup.\n",
        "REM Run from an elevated command prompt on the target computer (local store).\n",
        "setlocal\n",
        "set \"SMBGUARD_FAILED=0\"\n",
        // fltmc needs elevation and, unlike `net session`, not the Server
        // service, which the isolated role's policy stops (review A.2).
        "fltmc >nul 2>&1 || goto :not_elevated\n\n",
        "REM --- Firewall rules (no order: bypass beats block beats allow beats profile default) ---\n",
    ));
    let mut names = Vec::new();
    for r in &p.rules {
        add_rule_lines(r, &mut s, &mut names)?;
    }
    s.push_str(concat!(
        "\nREM --- Built-in rules that open SMB (K4/K5) ---\n",
        "REM netsh can only address them by display name, and display names are translated:\n",
        "REM these are the English names, which fail harmlessly on other languages. Disabling\n",
        "REM by rule ID (locale-independent) needs the PowerShell or GPO artefact.\n",
    ));
    let mut builtin_list = builtin_names(&p.disabled_builtins);
    if builtin_list
        .iter()
        .any(|(n, _)| *n == "File and Printer Sharing (SMB-In)")
    {
        // Windows 11 24H2 / Server 2025: the group enabled when a share is created.
        builtin_list.push((
            "File and Printer Sharing (Restrictive) (SMB-In)",
            vec!["24H2/2025".into()],
        ));
    }
    for (name, ids) in builtin_list {
        let q = quoted("built-in rule name", name)?;
        let _ = writeln!(s, "REM {}", rem_text(&ids.join(", ")));
        // An explicit warning, not a silent pass: on another display language
        // (or a build without the rule) the rule stays as it is (review A.13).
        let _ = writeln!(
            s,
            "netsh advfirewall firewall set rule name={q} new enable=no >nul 2>&1 || echo smbguard: WARNING: built-in rule {q} not found by its English name: on a non-English Windows it may still be enabled; disable it by rule ID with the PowerShell or GPO artefact"
        );
    }
    s.push_str("\nREM --- Profile defaults (K3) ---\n");
    for d in &p.profile_defaults {
        let key = match d.profile {
            Profile::Domain => "domainprofile",
            Profile::Private => "privateprofile",
            Profile::Public => "publicprofile",
        };
        let _ = writeln!(
            s,
            "netsh advfirewall set {key} state {} >nul || call :failed {key}",
            if d.enabled { "on" } else { "off" }
        );
        let _ = writeln!(
            s,
            "netsh advfirewall set {key} firewallpolicy {},{} >nul || call :failed {key}",
            if d.block_inbound {
                "blockinbound"
            } else {
                "allowinbound"
            },
            if d.block_outbound {
                "blockoutbound"
            } else {
                "allowoutbound"
            },
        );
    }
    let mut consec_names = Vec::new();
    if !p.connection_security.is_empty() {
        s.push_str("\nREM --- Connection security rule (K7): Kerberos V5 computer and user ---\n");
    }
    for c in &p.connection_security {
        let name = quoted(
            "connection security rule name",
            &format!("{} [{}]", c.name, c.id),
        )?;
        let action =
            consec_action(c.inbound, c.outbound).ok_or_else(|| EmitError::Unrepresentable {
                target: Target::Netsh,
                what: format!(
                    "connection security rule {}: this inbound/outbound combination",
                    c.id
                ),
            })?;
        // Null encapsulation first, then ESP SHA-256 integrity: "AuthNoEncap
        // must be accompanied by at least one AH or ESP integrity suite"
        // (netsh-advfirewall.md, consec remarks; review A.4).
        let tail = format!(
            "endpoint1=any endpoint2=any action={action} auth1=computerkerb auth2=userkerb qmsecmethods={QM_SECMETHODS} profile={} enable=yes",
            profile_arg(c.profiles)
        );
        replace_lines(&mut s, "consec", &format!("{} [{}]", c.name, c.id), &[tail])?;
        consec_names.push(name);
    }
    if !cx.plan.smb.smb1 {
        s.push_str(SMB1_LINES);
    }
    s.push_str(concat!(
        "\nREM --- Verification: every rule is in the effective policy ---\n",
        "REM `monitor show` reads what Windows enforces (all stores merged), so a rule a\n",
        "REM GPO turns off (AllowLocalPolicyMerge = 0) fails here (review A.6).\n",
    ));
    for name in &names {
        let _ = writeln!(
            s,
            "netsh advfirewall monitor show firewall rule name={name} >nul 2>&1 || call :failed {name}"
        );
    }
    for name in &consec_names {
        let _ = writeln!(
            s,
            "netsh advfirewall monitor show consec rule name={name} >nul 2>&1 || call :failed {name}"
        );
    }
    if !p.services.is_empty() || !cx.plan.smb.smb1 {
        s.push_str("\nREM SMB signing, encryption and dialect settings (K2) and services (K8) are not\nREM netsh settings: use the PowerShell artefact or the GPO backup.\n");
    }
    s.push_str(concat!(
        "\nif \"%SMBGUARD_FAILED%\"==\"1\" goto :end_failed\n",
        "echo smbguard: done.\n",
        "exit /b 0\n\n",
        ":end_failed\n",
        "echo smbguard: FAILED: see the messages above.\n",
        "exit /b 1\n\n",
        ":not_elevated\n",
        "echo smbguard: run this from an elevated command prompt.\n",
        "exit /b 2\n\n",
        ":failed\n",
        "echo smbguard: FAILED: %1\n",
        "set \"SMBGUARD_FAILED=1\"\n",
        "goto :eof\n",
    ));
    Ok(s)
}

/// Every Windows group's batch file.
pub(crate) fn emit(cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
    let skipped = skipped_groups(cx);
    for h in windows_hosts(cx) {
        // CRLF: cmd mis-finds `call :label` targets in LF-only batch files.
        let text = script(cx, &h)?.replace('\n', "\r\n");
        let mut description = format!(
            "netsh batch file for group {} ({}): rules by name (staged replace), built-ins by English name, profiles, isolation rule (null encapsulation), SMB1 off; local store only",
            h.host.group,
            h.host.role.as_str()
        );
        if !skipped.is_empty() {
            let _ = write!(
                description,
                "; Linux groups skipped: {}",
                skipped.join(", ")
            );
        }
        sink(Artifact {
            path: format!("{}.netsh.cmd", h.stem),
            target: Target::Netsh,
            group: Some(h.host.group.clone()),
            description,
            contents: text.into_bytes(),
        })?;
    }
    Ok(())
}
