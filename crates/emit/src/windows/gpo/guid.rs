//! Deterministic GUIDs for GPO backups: name-based (RFC 4122 version 5,
//! SHA-1) over the estate name, the group name and what the GUID is for, so
//! the same estate always gives the same backup ID, GPO GUID and set IDs.

use uuid::Uuid;

/// `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`, upper case, as GPMC writes them.
pub(crate) fn guid(estate: &str, group: &str, purpose: &str) -> String {
    let mut name = Vec::new();
    for part in ["smbguard", estate, group, purpose] {
        name.extend_from_slice(part.as_bytes());
        name.push(0);
    }
    let id = Uuid::new_v5(&Uuid::NAMESPACE_OID, &name);
    let mut buf = Uuid::encode_buffer();
    format!("{{{}}}", id.hyphenated().encode_upper(&mut buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_are_stable_and_distinct() {
        let a = guid("contoso", "workstations", "backup");
        assert_eq!(a, guid("contoso", "workstations", "backup"));
        assert_ne!(a, guid("contoso", "workstations", "gpo"));
        assert_ne!(a, guid("contoso", "workstation", "sbackup"));
        assert_eq!(a.len(), 38);
        assert!(a.starts_with('{') && a.ends_with('}'));
    }
}
