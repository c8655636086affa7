//! Windows deployment artefacts: PowerShell, netsh and Group Policy backups,
//! one file (or folder) per Windows group. Linux groups are skipped here;
//! their back ends live elsewhere.

pub(crate) mod gpo;
pub(crate) mod netsh;
pub(crate) mod powershell;
mod scope;
pub(crate) mod smb;

use smbguard_model::Group;
use smbguard_semantics::{HostPolicy, WindowsPolicy};

use crate::artifact::{EmitContext, EmitError};
use crate::naming::group_stems;
use crate::target::Target;

pub(crate) use crate::naming::one_line;
pub(crate) use scope::{AddrChunk, chunk_remote, port_list, range_string};
pub(crate) use smb::smb_registry_values;

/// One Windows group with everything an emitter needs.
#[derive(Debug, Clone)]
pub(crate) struct WindowsHost<'a> {
    pub(crate) host: &'a HostPolicy,
    pub(crate) policy: &'a WindowsPolicy,
    pub(crate) group: Option<&'a Group>,
    /// File-name-safe, unique stem for the group (from the naming authority).
    pub(crate) stem: String,
}

/// The Windows groups of the plan, in estate order, with the stems of the
/// naming authority (the same in every family).
pub(crate) fn windows_hosts<'a>(cx: &EmitContext<'a>) -> Vec<WindowsHost<'a>> {
    let mut out: Vec<WindowsHost<'a>> = Vec::new();
    for (i, (host, stem)) in cx.plan.hosts.iter().zip(group_stems(cx)).enumerate() {
        let Some(policy) = host.windows() else {
            continue;
        };
        // The plan keeps the estate's group order: look there first, so the
        // lookup is not a scan per group (quadratic at thousands of groups).
        let group = cx
            .estate
            .groups
            .get(i)
            .filter(|g| g.name == host.group)
            .or_else(|| cx.estate.groups.iter().find(|g| g.name == host.group));
        out.push(WindowsHost {
            host,
            policy,
            group,
            stem,
        });
    }
    out
}

/// Names of the groups Windows targets skip (Linux hosts).
pub(crate) fn skipped_groups(cx: &EmitContext<'_>) -> Vec<String> {
    cx.plan
        .hosts
        .iter()
        .filter(|h| h.windows().is_none())
        .map(|h| h.group.clone())
        .collect()
}

/// Validates an AD security identifier before it is written into SDDL
/// (`(A;;CC;;;SID)`): `S-1-` followed by dash-separated decimal numbers.
/// Anything else could close the ACE and smuggle in its own.
pub(crate) fn checked_sid(target: Target, sid: &str) -> Result<&str, EmitError> {
    let ok = sid.strip_prefix("S-1-").is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .split('-')
                .all(|p| !p.is_empty() && p.len() <= 10 && p.bytes().all(|b| b.is_ascii_digit()))
    });
    if ok {
        Ok(sid)
    } else {
        Err(EmitError::UnsafeString {
            target,
            what: "security identifier (SID)".into(),
            value: sid.to_owned(),
            why: "a SID must be S-1- followed by dash-separated numbers; anything else could break out of the SDDL access control entry".into(),
        })
    }
}

/// Longest authorised-computers list Windows takes for one rule, in
/// UTF-16 units without the terminating NUL. [MS-FASP] §2.2.37 `FW_RULE`
/// declares `[string, range(1, 10001)] wchar_t* wszRemoteMachineAuthorizationList`
/// (10,001 units including the NUL), and every front end ends in that
/// structure: `New-NetFirewallRule -RemoteMachine`, netsh `rmtcomputergrp=`
/// and the GPO's `RMauth=` ([MS-GPFAS] §2.2.2.19 "represents a firewall rule
/// as defined in [MS-FASP] section 2.2.37"). It is tighter than the
/// registry's own limit: a registry value may hold 1 MB or more ("Registry
/// element size limits", Win32 documentation), a `registry.pol` value
/// 65,535 bytes ([MS-GPREG] §2.2.1 `Data = *65535OCTET`).
pub(crate) const MAX_AUTHORIZATION_UNITS: usize = 10_000;

/// The SDDL authorising `sids` (`prefix`, then `(A;;CC;;;SID)` per SID),
/// split into strings of at most `max_units` characters, each for its own
/// copy of the rule; one empty string when there are no SIDs (no
/// condition). Splitting keeps the meaning: an authenticated bypass applies
/// when *some* matching rule authorises the peer computer (no rule order,
/// `scope.rs`), and each copy keeps every other condition of the rule, so
/// the copies authorise exactly the computers the whole list does. SIDs
/// are ASCII, so characters are UTF-16 units.
pub(crate) fn sddl_parts(
    target: Target,
    prefix: &str,
    sids: &[String],
    max_units: usize,
) -> Result<Vec<String>, EmitError> {
    if sids.is_empty() {
        return Ok(vec![String::new()]);
    }
    let mut parts = Vec::new();
    let mut current = String::from(prefix);
    for sid in sids {
        let ace = format!("(A;;CC;;;{})", checked_sid(target, sid)?);
        if current.len() > prefix.len() && current.len() + ace.len() > max_units {
            parts.push(std::mem::replace(&mut current, String::from(prefix)));
        }
        current.push_str(&ace);
    }
    parts.push(current);
    Ok(parts)
}

/// The name of the Group Policy object a group's backup creates.
pub(crate) fn gpo_display_name(cx: &EmitContext<'_>, group: &str) -> String {
    format!("smbguard {} {}", cx.estate.name, group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_authorisation_lists_split_within_the_limit() {
        let sids: Vec<String> = (0..700)
            .map(|i| format!("S-1-5-21-1111111111-2222222222-3333333333-{}", 5000 + i))
            .collect();
        let parts =
            sddl_parts(Target::Gpo, "O:LSD:", &sids, MAX_AUTHORIZATION_UNITS).expect("valid SIDs");
        assert!(parts.len() > 1, "{} parts", parts.len());
        let mut again = Vec::new();
        for p in &parts {
            assert!(p.len() <= MAX_AUTHORIZATION_UNITS, "{}", p.len());
            let aces = p.strip_prefix("O:LSD:").expect("prefix");
            again.push(aces.to_owned());
        }
        let whole: String = sids.iter().map(|s| format!("(A;;CC;;;{s})")).collect();
        assert_eq!(again.concat(), whole);
        assert_eq!(
            sddl_parts(Target::Gpo, "D:", &[], 10).expect("none"),
            [String::new()]
        );
        assert!(sddl_parts(Target::Gpo, "D:", &["S-1-5)(A;;GA;;;WD".into()], 99).is_err());
    }

    #[test]
    fn sids_are_validated() {
        assert!(checked_sid(Target::Gpo, "S-1-5-21-1-2-3-515").is_ok());
        for bad in [
            "S-1-5)(A;;GA;;;WD",
            "S-1-",
            "S-1-5-",
            "s-1-5-9",
            "S-1-5;",
            "S-1-5-9\n",
        ] {
            assert!(checked_sid(Target::Gpo, bad).is_err(), "{bad:?}");
        }
    }
}
