//! `netsh advfirewall` (`.cmd`): the same rules, where netsh can express them.
//!
//! netsh has no rule IDs and no rule groups (rules are found by display
//! name, and "adding rules to a custom rule group isn't possible in netsh",
//! reference §4.1), so every rule name ends with its smbguard rule ID in
//! brackets: delete-then-add by that name converges and cannot hit a rule
//! someone else named "Block all inbound SMB 445". Built-in rules can only
//! be addressed by their display names, which are translated. Services and
//! SMB settings are not netsh's: use the PowerShell or GPO artefact.
//!
//! cmd has no reliable escape inside a quoted argument: `%` is expanded even
//! in quotes, `"` ends the quotes and exposes `&`, `|`, `<`, `>` and `^`, and
//! a line break ends the command. Values with any of them are rejected
//! ([`quoted`]); comments have them replaced.

use std::fmt::Write as _;

use smbguard_model::{Profile, ProfileSet};
use smbguard_semantics::{Action, Direction, Security, SecurityRequirement, WindowsRule, builtin};

use super::{
    AddrChunk, WindowsHost, chunk_remote, port_list, range_string, sddl_aces, skipped_groups,
    windows_hosts,
};
use crate::artifact::{Artifact, EmitContext, EmitError, header_lines};
use crate::target::Target;

/// cmd's command line limit is 8191 characters; the address list of one
/// `add rule` stays well below it.
const MAX_ADDRESS_CHARS: usize = 6000;

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
    if !rule.remote_machines.is_empty() {
        let sddl = format!("D:{}", sddl_aces(Target::Netsh, &rule.remote_machines)?);
        let _ = write!(
            fixed,
            " rmtcomputergrp={}",
            quoted("authorised computers (SDDL)", &sddl)?
        );
    } else if rule.action == Action::Bypass && rule.direction == Direction::Inbound {
        return Err(unrepresentable(
            "an inbound bypass without authorised computers",
        ));
    }
    fixed.push_str(" enable=yes");
    let _ = writeln!(out, "REM {} {}", rule.kb, rem_text(&rule.description));
    let _ = writeln!(
        out,
        "netsh advfirewall firewall delete rule name={name} >nul 2>&1"
    );
    for chunk in chunk_remote(
        &rule.remote_addresses,
        super::powershell::MAX_ADDRESSES_PER_RULE,
        MAX_ADDRESS_CHARS,
        |r| range_string(r).len() + 1,
    ) {
        let remote = match chunk {
            AddrChunk::Any => String::new(),
            AddrChunk::Ranges(rs) => {
                format!(
                    " remoteip={}",
                    rs.iter().map(range_string).collect::<Vec<_>>().join(",")
                )
            }
        };
        let _ = writeln!(
            out,
            "netsh advfirewall firewall add rule name={name} {fixed}{remote} >nul || call :failed {name}"
        );
    }
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
        "REM rule ID in brackets, and convergence is delete-then-add by that name. For\n",
        "REM rule groups, -WhatIf, verification of every field, SMB settings and services,\n",
        "REM use the PowerShell artefact; for domain-wide deployment, the GPO backup.\n",
        "REM Run from an elevated command prompt on the target computer (local store).\n",
        "setlocal\n",
        "set \"SMBGUARD_FAILED=0\"\n",
        "net session >nul 2>&1 || goto :not_elevated\n\n",
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
        let _ = writeln!(
            s,
            "netsh advfirewall firewall set rule name={q} new enable=no >nul 2>&1 || echo smbguard: note: no rule named {q} here (other language or build)"
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
        let _ = writeln!(
            s,
            "netsh advfirewall consec delete rule name={name} >nul 2>&1"
        );
        let _ = writeln!(
            s,
            "netsh advfirewall consec add rule name={name} endpoint1=any endpoint2=any action={action} auth1=computerkerb auth2=userkerb profile={} enable=yes >nul || call :failed {name}",
            profile_arg(c.profiles)
        );
        let _ = writeln!(
            s,
            "netsh advfirewall consec show rule name={name} >nul 2>&1 || call :failed {name}"
        );
    }
    s.push_str("\nREM --- Verification: every rule exists ---\n");
    for name in &names {
        let _ = writeln!(
            s,
            "netsh advfirewall firewall show rule name={name} >nul 2>&1 || call :failed {name}"
        );
    }
    if !p.services.is_empty() || !cx.plan.smb.smb1 {
        s.push_str("\nREM SMB settings (K9, K2) and services (K8) are not netsh settings: use the\nREM PowerShell artefact or the GPO backup.\n");
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
pub(crate) fn emit(cx: &EmitContext<'_>) -> Result<Vec<Artifact>, EmitError> {
    let skipped = skipped_groups(cx);
    let mut out = Vec::new();
    for h in windows_hosts(cx) {
        // CRLF: cmd mis-finds `call :label` targets in LF-only batch files.
        let text = script(cx, &h)?.replace('\n', "\r\n");
        let mut description = format!(
            "netsh batch file for group {} ({}): rules by name (delete-then-add), built-ins by English name, profiles, isolation rule; local store only",
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
        out.push(Artifact {
            path: format!("{}.netsh.cmd", h.stem),
            target: Target::Netsh,
            group: Some(h.host.group.clone()),
            description,
            contents: text.into_bytes(),
        });
    }
    Ok(out)
}
