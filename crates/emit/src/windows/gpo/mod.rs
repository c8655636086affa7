//! Group Policy: per Windows group, a complete GPMC backup folder whose
//! `registry.pol` ([MS-GPREG]) carries the firewall policy as MS-GPFAS values
//! (rules, connection security rule, authentication sets, profiles,
//! `PolicyVersion`), the built-in rules disabled by same-ID copies, and the
//! SMB settings; isolated groups also get a Services preference.

mod backup;
mod guid;
pub(crate) mod policy;
mod stock;

use std::fmt::Write as _;

use smbguard_formats::registry_pol::write_registry_pol;
use smbguard_model::ServiceState;

use self::backup::{
    BackupInfo, ServiceItem, backup_xml, bkup_info_xml, manifest_xml, services_xml,
};
use self::guid::guid;
use super::{WindowsHost, gpo_display_name, skipped_groups, smb_registry_values, windows_hosts};
use crate::artifact::{Artifact, EmitContext, EmitError, Sink};
use crate::target::Target;

fn artifact(path: String, h: &WindowsHost<'_>, description: String, contents: Vec<u8>) -> Artifact {
    Artifact {
        path,
        target: Target::Gpo,
        group: Some(h.host.group.clone()),
        description,
        contents,
    }
}

/// The backup folder of one group.
fn group_backup(cx: &EmitContext<'_>, h: &WindowsHost<'_>) -> Result<Vec<Artifact>, EmitError> {
    let estate = &cx.estate.name;
    let group = &h.host.group;
    let entries = policy::registry_entries(cx, h)?;
    let pol = write_registry_pol(&entries).map_err(|e| EmitError::Unrepresentable {
        target: Target::Gpo,
        what: format!("registry.pol for group {group}: {e}"),
    })?;
    let services: Vec<ServiceItem> = h
        .policy
        .services
        .iter()
        .filter(|s| s.state == ServiceState::Disabled)
        // A domain GPO applies only to domain members, where the Workstation
        // item's guard rail (`PartOfDomain = FALSE`) can never match: the
        // item could never apply (review A.13). The PowerShell script stops
        // the Workstation service on a standalone host instead.
        .filter(|s| s.service != "LanmanWorkstation")
        .map(|s| ServiceItem {
            name: s.service,
            uid: guid(estate, group, &format!("service/{}", s.service)),
        })
        .collect();
    let mut comment = String::from("smbguard ");
    let _ = write!(
        comment,
        "{} for estate {estate}, group {group} (KB3185535)",
        cx.version
    );
    if let Some(reason) = cx.unsafe_reason {
        let _ = write!(comment, "; UNSAFE: {reason}");
    }
    let info = BackupInfo {
        gpo_guid: guid(estate, group, "gpo"),
        backup_id: guid(estate, group, "backup"),
        display_name: gpo_display_name(cx, group),
        comment: super::one_line(&comment),
        services: !services.is_empty(),
    };
    let root = format!("gpo/{}", h.stem);
    let dir = format!("{root}/{}", info.backup_id);
    let rules = h.policy.rules.len();
    let smb = smb_registry_values(&cx.plan.smb);
    let policy_values = smb.iter().filter(|v| v.policy).count();
    let mut out = vec![
        artifact(
            format!("{root}/manifest.xml"),
            h,
            format!(
                "GPO backup manifest for group {group}: Import-GPO -BackupGpoName '{}' -Path <this folder> -TargetName '{}' -CreateIfNeeded",
                info.display_name, info.display_name
            ),
            manifest_xml(&info)?.into_bytes(),
        ),
        artifact(
            format!("{dir}/Backup.xml"),
            h,
            format!(
                "GPO backup description for group {group} (Registry CSE + firewall tool extension{})",
                if info.services {
                    ", Services preferences"
                } else {
                    ""
                }
            ),
            backup_xml(&info)?.into_bytes(),
        ),
        artifact(
            format!("{dir}/bkupInfo.xml"),
            h,
            format!(
                "GPO backup identity for group {group}: GPO {} backup {}",
                info.gpo_guid, info.backup_id
            ),
            bkup_info_xml(&info)?.into_bytes(),
        ),
        artifact(
            format!("{dir}/DomainSysvol/GPO/Machine/registry.pol"),
            h,
            format!(
                "Registry.pol for group {group}: {rules} firewall rule(s), {} built-in rule(s) disabled by ID, {} connection security rule(s), profile defaults, {} SMB value(s) ({policy_values} policy, {} preference-style)",
                h.policy.disabled_builtins.len(),
                h.policy.connection_security.len(),
                smb.len(),
                smb.len() - policy_values,
            ),
            pol,
        ),
    ];
    if !services.is_empty() {
        out.push(artifact(
            format!("{dir}/DomainSysvol/GPO/Machine/Preferences/Services/Services.xml"),
            h,
            format!("Group Policy Preferences for group {group}: stop and disable the Server/Workstation services (K8), guarded by WMI item-level targeting"),
            services_xml(&services).into_bytes(),
        ));
    }
    Ok(out)
}

/// Every Windows group's backup folder.
pub(crate) fn emit(cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
    let skipped = skipped_groups(cx);
    for h in windows_hosts(cx) {
        let mut files = group_backup(cx, &h)?;
        if !skipped.is_empty() {
            if let Some(first) = files.first_mut() {
                let _ = write!(
                    first.description,
                    "; Linux groups skipped: {}",
                    skipped.join(", ")
                );
            }
        }
        for a in files {
            sink(a)?;
        }
    }
    Ok(())
}
