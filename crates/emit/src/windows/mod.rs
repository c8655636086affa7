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
use crate::target::Target;

pub(crate) use scope::{AddrChunk, chunk_remote, port_list, range_string};
pub(crate) use smb::smb_registry_values;

/// Dispatch for the Windows targets; `None` for the others.
pub(crate) fn emit(
    t: Target,
    cx: &EmitContext<'_>,
) -> Option<Result<Vec<crate::artifact::Artifact>, EmitError>> {
    match t {
        Target::PowerShell => Some(powershell::emit(cx)),
        Target::Netsh => Some(netsh::emit(cx)),
        Target::Gpo => Some(gpo::emit(cx)),
        _ => None,
    }
}

/// One Windows group with everything an emitter needs.
#[derive(Debug, Clone)]
pub(crate) struct WindowsHost<'a> {
    pub(crate) host: &'a HostPolicy,
    pub(crate) policy: &'a WindowsPolicy,
    pub(crate) group: Option<&'a Group>,
    /// File-name-safe, unique stem for the group (see [`file_stem`]).
    pub(crate) stem: String,
}

/// The Windows groups of the plan, in estate order, with unique file stems.
pub(crate) fn windows_hosts<'a>(cx: &EmitContext<'a>) -> Vec<WindowsHost<'a>> {
    let mut out: Vec<WindowsHost<'a>> = Vec::new();
    let stems: Vec<String> = cx.plan.hosts.iter().map(|h| file_stem(&h.group)).collect();
    for (i, host) in cx.plan.hosts.iter().enumerate() {
        let Some(policy) = host.windows() else {
            continue;
        };
        let mut stem = stems[i].clone();
        // Two group names that map to the same safe stem keep apart by hash.
        if stems.iter().filter(|s| **s == stem).count() > 1 {
            stem = format!("{stem}-{:08x}", fnv1a(host.group.as_bytes()));
        }
        out.push(WindowsHost {
            host,
            policy,
            group: cx.estate.groups.iter().find(|g| g.name == host.group),
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

/// A file-name stem for a group: ASCII letters, digits, `-`, `_` and `.`
/// kept, anything else (path separators, spaces, quotes, non-ASCII) turned
/// into `-`; a stem that had to change gets a hash of the real name so two
/// groups never share a file. Never empty, never starts with `.`.
pub(crate) fn file_stem(name: &str) -> String {
    let mapped: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = mapped.trim_start_matches('.');
    if trimmed == name && !trimmed.is_empty() && trimmed.len() <= 64 {
        return trimmed.to_owned();
    }
    let base: String = trimmed.chars().take(48).collect();
    let base = if base.is_empty() {
        "group".to_owned()
    } else {
        base
    };
    format!("{base}-{:08x}", fnv1a(name.as_bytes()))
}

/// 32-bit FNV-1a.
pub(crate) fn fnv1a(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in bytes {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
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

/// `(A;;CC;;;SID)` for every SID (empty string for none).
pub(crate) fn sddl_aces(target: Target, sids: &[String]) -> Result<String, EmitError> {
    let mut out = String::new();
    for sid in sids {
        out.push_str("(A;;CC;;;");
        out.push_str(checked_sid(target, sid)?);
        out.push(')');
    }
    Ok(out)
}

/// Header text made safe for a one-line comment: control characters (and the
/// Unicode line and paragraph separators) become spaces.
pub(crate) fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// The name of the Group Policy object a group's backup creates.
pub(crate) fn gpo_display_name(cx: &EmitContext<'_>, group: &str) -> String {
    format!("smbguard {} {}", cx.estate.name, group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_are_safe_and_unique() {
        assert_eq!(file_stem("workstations"), "workstations");
        let evil = file_stem("../../etc/passwd");
        assert!(!evil.contains('/') && !evil.starts_with('.'), "{evil}");
        assert_ne!(file_stem("a b"), file_stem("a-b"));
        assert!(file_stem("Überwachung").is_ascii());
        assert!(!file_stem("").is_empty());
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
