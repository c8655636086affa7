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
    for (host, stem) in cx.plan.hosts.iter().zip(group_stems(cx)) {
        let Some(policy) = host.windows() else {
            continue;
        };
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

/// The name of the Group Policy object a group's backup creates.
pub(crate) fn gpo_display_name(cx: &EmitContext<'_>, group: &str) -> String {
    format!("smbguard {} {}", cx.estate.name, group)
}

#[cfg(test)]
mod tests {
    use super::*;

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
