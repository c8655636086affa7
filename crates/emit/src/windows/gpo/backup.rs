//! The XML files of a GPMC backup folder, modelled on a real GPMC backup
//! (the DoD STIG firewall GPO in `fixtures/windows/`) and on
//! hand-built backups known to import:
//!
//! ```text
//! <root>/manifest.xml
//! <root>/{BackupId}/Backup.xml
//! <root>/{BackupId}/bkupInfo.xml
//! <root>/{BackupId}/DomainSysvol/GPO/Machine/registry.pol
//! <root>/{BackupId}/DomainSysvol/GPO/Machine/Preferences/Services/Services.xml   (isolated role)
//! ```
//! `Import-GPO -BackupGpoName NAME -Path <root> -TargetName NAME -CreateIfNeeded`
//! finds the backup through `bkupInfo.xml` / `manifest.xml`. Import copies
//! settings only, so the domain-specific parts GPMC records (security
//! descriptor, domain GUID, domain controller) are left empty; the backup
//! time is fixed so that output is deterministic.

use std::fmt::Write as _;

use crate::artifact::EmitError;
use crate::target::Target;

/// Registry client-side extension (MS-GPREG §1.9).
pub(crate) const REGISTRY_CSE: &str = "{35378EAC-683F-11D2-A89A-00C04FBBCFA2}";
/// Windows Firewall with Advanced Security snap-in (MS-GPFAS §1.9).
pub(crate) const FIREWALL_TOOL: &str = "{B05566AC-FE9C-4368-BE01-7A4CBB6CBA11}";
/// Group Policy Preferences: Services client-side extension.
pub(crate) const SERVICES_CSE: &str = "{91FBB303-0CD5-4055-BF42-E512A681B325}";
/// Group Policy Preferences: Services snap-in.
pub(crate) const SERVICES_TOOL: &str = "{CC5746A9-9B74-4BE5-AE2E-64379C86E0E4}";
/// GPMC's "Unknown Extension" under which backups list preference files.
const PREFERENCES_EXTENSION: &str = "{F15C46CD-82A0-4C2D-A210-5D0D3182A418}";
/// Fixed backup time (deterministic output).
pub(crate) const BACKUP_TIME: &str = "2000-01-01T00:00:00";

/// What the XML files describe.
#[derive(Debug, Clone)]
pub(crate) struct BackupInfo {
    pub(crate) gpo_guid: String,
    pub(crate) backup_id: String,
    pub(crate) display_name: String,
    pub(crate) comment: String,
    pub(crate) services: bool,
}

/// Text as a CDATA section: `]]>` is split across two sections, and the
/// characters XML 1.0 forbids are refused.
pub(crate) fn cdata(what: &str, s: &str) -> Result<String, EmitError> {
    check_xml_chars(what, s)?;
    Ok(format!(
        "<![CDATA[{}]]>",
        s.replace("]]>", "]]]]><![CDATA[>")
    ))
}

fn check_xml_chars(what: &str, s: &str) -> Result<(), EmitError> {
    if s.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(EmitError::UnsafeString {
            target: Target::Gpo,
            what: what.to_owned(),
            value: s.to_owned(),
            why: "XML 1.0 cannot carry control characters".into(),
        });
    }
    Ok(())
}

/// `[{CSE}{tool}]…` sorted by CSE GUID, as GPMC stores gPCMachineExtensionNames.
fn machine_extensions(services: bool) -> String {
    let mut pairs = vec![(REGISTRY_CSE, FIREWALL_TOOL)];
    if services {
        pairs.push(("{00000000-0000-0000-0000-000000000000}", SERVICES_TOOL));
        pairs.push((SERVICES_CSE, SERVICES_TOOL));
    }
    pairs.sort_unstable();
    pairs.iter().map(|(c, t)| format!("[{c}{t}]")).collect()
}

fn backup_inst(b: &BackupInfo) -> Result<String, EmitError> {
    Ok(format!(
        "<BackupInst><GPOGuid>{}</GPOGuid><GPODomain><![CDATA[]]></GPODomain><GPODomainGuid><![CDATA[]]></GPODomainGuid><GPODomainController><![CDATA[]]></GPODomainController><BackupTime>{}</BackupTime><ID>{}</ID><Comment>{}</Comment><GPODisplayName>{}</GPODisplayName></BackupInst>",
        cdata("GPO GUID", &b.gpo_guid)?,
        cdata("backup time", BACKUP_TIME)?,
        cdata("backup ID", &b.backup_id)?,
        cdata("backup comment", &b.comment)?,
        cdata("GPO name", &b.display_name)?,
    ))
}

/// `manifest.xml` of the backup root.
pub(crate) fn manifest_xml(b: &BackupInfo) -> Result<String, EmitError> {
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Backups xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"http://www.microsoft.com/GroupPolicy/GPOOperations/Manifest\" xmlns:mfst=\"http://www.microsoft.com/GroupPolicy/GPOOperations/Manifest\" mfst:version=\"1.0\">{}</Backups>\n",
        backup_inst(b)?
    ))
}

/// `{BackupId}/bkupInfo.xml`.
pub(crate) fn bkup_info_xml(b: &BackupInfo) -> Result<String, EmitError> {
    let inst = backup_inst(b)?;
    Ok(format!(
        "{}\n",
        inst.replacen(
            "<BackupInst>",
            "<BackupInst xmlns=\"http://www.microsoft.com/GroupPolicy/GPOOperations/Manifest\">",
            1
        )
    ))
}

/// `{BackupId}/Backup.xml`.
pub(crate) fn backup_xml(b: &BackupInfo) -> Result<String, EmitError> {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<GroupPolicyBackupScheme bkp:version=\"2.0\" bkp:type=\"GroupPolicyBackupTemplate\" xmlns:bkp=\"http://www.microsoft.com/GroupPolicy/GPOOperations\" xmlns=\"http://www.microsoft.com/GroupPolicy/GPOOperations\">\n",
    );
    // The header (and any `--allow-unsafe` reason) as an XML comment, which
    // GPMC's import ignores; "--" cannot occur inside one.
    let mut note = b.comment.replace("--", "- -");
    while note.contains("--") {
        note = note.replace("--", "- -");
    }
    let _ = writeln!(s, "<!-- {} -->", note.trim_end_matches('-'));
    // Options 1 = user configuration disabled: the GPO only has computer settings.
    let _ = writeln!(
        s,
        "    <GroupPolicyObject><SecurityGroups/><FilePaths/><GroupPolicyCoreSettings><ID>{}</ID><Domain><![CDATA[]]></Domain><SecurityDescriptor></SecurityDescriptor><DisplayName>{}</DisplayName><Options><![CDATA[1]]></Options><UserVersionNumber><![CDATA[0]]></UserVersionNumber><MachineVersionNumber><![CDATA[1]]></MachineVersionNumber><MachineExtensionGuids>{}</MachineExtensionGuids><UserExtensionGuids/><WMIFilter/></GroupPolicyCoreSettings>",
        cdata("GPO GUID", &b.gpo_guid)?,
        cdata("GPO name", &b.display_name)?,
        cdata("extension GUIDs", &machine_extensions(b.services))?,
    );
    let _ = write!(
        s,
        "        <GroupPolicyExtension bkp:ID=\"{REGISTRY_CSE}\" bkp:DescName=\"Registry\">\n            <FSObjectFile bkp:Path=\"%GPO_MACH_FSPATH%\\registry.pol\" bkp:Location=\"DomainSysvol\\GPO\\Machine\\registry.pol\"/>\n        </GroupPolicyExtension>\n"
    );
    if b.services {
        let _ = write!(
            s,
            "        <GroupPolicyExtension bkp:ID=\"{PREFERENCES_EXTENSION}\" bkp:DescName=\"Unknown Extension\">\n            <FSObjectDir bkp:Path=\"%GPO_MACH_FSPATH%\\Preferences\" bkp:Location=\"DomainSysvol\\GPO\\Machine\\Preferences\"/>\n            <FSObjectDir bkp:Path=\"%GPO_MACH_FSPATH%\\Preferences\\Services\" bkp:Location=\"DomainSysvol\\GPO\\Machine\\Preferences\\Services\"/>\n            <FSObjectFile bkp:Path=\"%GPO_MACH_FSPATH%\\Preferences\\Services\\Services.xml\" bkp:Location=\"DomainSysvol\\GPO\\Machine\\Preferences\\Services\\Services.xml\"/>\n        </GroupPolicyExtension>\n"
        );
    }
    s.push_str("    </GroupPolicyObject>\n</GroupPolicyBackupScheme>\n");
    Ok(s)
}

/// One service to stop and disable, with its preference item GUID.
#[derive(Debug, Clone)]
pub(crate) struct ServiceItem {
    pub(crate) name: &'static str,
    pub(crate) uid: String,
}

/// `Preferences/Services/Services.xml` (Group Policy Preferences, Services):
/// stop each service and set its startup type to Disabled (K8). Item-level
/// targeting repeats the article's guard rails on every client: the Server
/// service item applies only where the computer is not a domain controller
/// (`DomainRole < 4`), the Workstation item only where it is not a domain
/// member (`PartOfDomain = FALSE`).
pub(crate) fn services_xml(items: &[ServiceItem]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<NTServices clsid=\"{2CFB484A-4E96-4b5d-A0B6-093D2F91E6AE}\">",
    );
    for item in items {
        let query = match item.name {
            "LanmanServer" => "SELECT * FROM Win32_ComputerSystem WHERE DomainRole &lt; 4",
            _ => "SELECT * FROM Win32_ComputerSystem WHERE PartOfDomain = FALSE",
        };
        let _ = write!(
            s,
            "<NTService clsid=\"{{AB6F0B67-341F-4e51-92F9-005FBFBA1A43}}\" name=\"{name}\" image=\"2\" changed=\"2000-01-01 00:00:00\" uid=\"{uid}\"><Properties startupType=\"DISABLED\" serviceName=\"{name}\" serviceAction=\"STOP\" timeout=\"30\"/><Filters><FilterWmi bool=\"AND\" not=\"0\" query=\"{query}\" nameSpace=\"Root\\cimv2\" property=\"\" variableName=\"\"/></Filters></NTService>",
            name = item.name,
            uid = item.uid,
        );
    }
    s.push_str("\n</NTServices>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdata_cannot_be_closed_early() {
        assert_eq!(
            cdata("x", "a]]>b").expect("ok"),
            "<![CDATA[a]]]]><![CDATA[>b]]>"
        );
        assert!(cdata("x", "a\u{0}b").is_err());
    }

    #[test]
    fn extension_guids_are_sorted_like_gpmc() {
        assert_eq!(
            machine_extensions(false),
            "[{35378EAC-683F-11D2-A89A-00C04FBBCFA2}{B05566AC-FE9C-4368-BE01-7A4CBB6CBA11}]"
        );
        assert_eq!(
            machine_extensions(true),
            "[{00000000-0000-0000-0000-000000000000}{CC5746A9-9B74-4BE5-AE2E-64379C86E0E4}][{35378EAC-683F-11D2-A89A-00C04FBBCFA2}{B05566AC-FE9C-4368-BE01-7A4CBB6CBA11}][{91FBB303-0CD5-4055-BF42-E512A681B325}{CC5746A9-9B74-4BE5-AE2E-64379C86E0E4}]"
        );
    }
}
