//! The RPC interfaces that matter for SMB lateral movement, with the
//! operations worth naming. UUIDs and operation numbers are from the
//! Microsoft protocol documents cited per entry.

use serde::Serialize;

/// What an interface lets a remote caller do, for the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RpcPurpose {
    /// Create, start or change services (PsExec, smbexec, `sc \\host`).
    RemoteService,
    /// Create or run scheduled tasks (`at`, `schtasks /s`).
    RemoteTask,
    /// Run WMI methods (`wmic /node`, `Invoke-WmiMethod`), or activate the
    /// DCOM objects WMI and other remote execution rides on.
    RemoteWmi,
    /// Read or change the firewall remotely ([MS-FASP]).
    RemoteFirewall,
    /// Read or write the registry remotely.
    RemoteRegistry,
    /// Enumerate or change accounts and policy (SAMR, LSA).
    Accounts,
    /// Directory replication (DRSUAPI): from a non-DC, DCSync.
    Replication,
    /// The endpoint mapper, which hands out the dynamic ports.
    EndpointMapper,
    /// Anything else.
    Other,
}

impl RpcPurpose {
    /// The kebab-case name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RemoteService => "remote-service",
            Self::RemoteTask => "remote-task",
            Self::RemoteWmi => "remote-wmi",
            Self::RemoteFirewall => "remote-firewall",
            Self::RemoteRegistry => "remote-registry",
            Self::Accounts => "accounts",
            Self::Replication => "replication",
            Self::EndpointMapper => "endpoint-mapper",
            Self::Other => "other",
        }
    }

    /// Remote execution or reconfiguration: what lateral movement does
    /// once it has reached a host.
    #[must_use]
    pub const fn is_remote_execution(self) -> bool {
        matches!(
            self,
            Self::RemoteService
                | Self::RemoteTask
                | Self::RemoteWmi
                | Self::RemoteFirewall
                | Self::RemoteRegistry
        )
    }
}

/// A known interface.
pub(crate) struct Interface {
    pub(crate) uuid: &'static str,
    pub(crate) name: &'static str,
    pub(crate) purpose: RpcPurpose,
    /// Interface version (major, minor) clients bind to.
    pub(crate) version: (u16, u16),
    /// (opnum, operation) for the operations named in reports.
    pub(crate) operations: &'static [(u16, &'static str)],
}

/// Known interfaces, by UUID (lower-case, canonical form).
pub(crate) const INTERFACES: &[Interface] = &[
    // [MS-SCMR] §1.9 and §3.1.4.
    Interface {
        uuid: "367abb81-9844-35f1-ad32-98f038001003",
        name: "svcctl",
        purpose: RpcPurpose::RemoteService,
        version: (2, 0),
        operations: &[
            (1, "RControlService"),
            (2, "RDeleteService"),
            (11, "RChangeServiceConfigW"),
            (12, "RCreateServiceW"),
            (15, "ROpenSCManagerW"),
            (16, "ROpenServiceW"),
            (19, "RStartServiceW"),
            (24, "RCreateServiceA"),
            (27, "ROpenSCManagerA"),
            (31, "RStartServiceA"),
            (44, "RCreateServiceWOW64W"),
        ],
    },
    // [MS-TSCH] §1.9 and §3.2.5.2 (ATSvc).
    Interface {
        uuid: "1ff70682-0a51-30e8-076d-740be8cee98b",
        name: "atsvc",
        purpose: RpcPurpose::RemoteTask,
        version: (1, 0),
        operations: &[(0, "NetrJobAdd"), (1, "NetrJobDel"), (2, "NetrJobEnum")],
    },
    // [MS-TSCH] §1.9 and §3.2.5.4 (ITaskSchedulerService).
    Interface {
        uuid: "86d35949-83c9-4044-b424-db363231fd0c",
        name: "ITaskSchedulerService",
        purpose: RpcPurpose::RemoteTask,
        version: (1, 0),
        operations: &[
            (1, "SchRpcRegisterTask"),
            (7, "SchRpcEnumTasks"),
            (12, "SchRpcRun"),
            (13, "SchRpcDelete"),
        ],
    },
    // [MS-WMI] §1.9 and §3.1.4.3 (IWbemServices; opnums 0-2 are IUnknown).
    Interface {
        uuid: "9556dc99-828c-11cf-a37e-00aa003240c7",
        name: "IWbemServices",
        purpose: RpcPurpose::RemoteWmi,
        version: (0, 0),
        operations: &[
            (3, "OpenNamespace"),
            (6, "GetObject"),
            (20, "ExecQuery"),
            (24, "ExecMethod"),
            (25, "ExecMethodAsync"),
        ],
    },
    // [MS-WMI] §3.1.4.1 (IWbemLevel1Login).
    Interface {
        uuid: "f309ad18-d86a-11d0-a075-00c04fb68820",
        name: "IWbemLevel1Login",
        purpose: RpcPurpose::RemoteWmi,
        version: (0, 0),
        operations: &[(6, "NTLMLogin")],
    },
    // [MS-DCOM] §1.9 and §3.1.2.5.2.3 (IRemoteSCMActivator): DCOM activation.
    Interface {
        uuid: "000001a0-0000-0000-c000-000000000046",
        name: "IRemoteSCMActivator",
        purpose: RpcPurpose::RemoteWmi,
        version: (0, 0),
        operations: &[(3, "RemoteGetClassObject"), (4, "RemoteCreateInstance")],
    },
    // [MS-FASP] §1.9 and §3.1.4 (RemoteFW).
    Interface {
        uuid: "6b5bdd1e-528c-422c-af8c-a4079be4fe48",
        name: "RemoteFW",
        purpose: RpcPurpose::RemoteFirewall,
        version: (1, 0),
        operations: &[
            (0, "RRPC_FWOpenPolicyStore"),
            (2, "RRPC_FWRestoreDefaults"),
            (4, "RRPC_FWSetGlobalConfig"),
            (5, "RRPC_FWAddFirewallRule"),
            (6, "RRPC_FWSetFirewallRule"),
            (7, "RRPC_FWDeleteFirewallRule"),
            (8, "RRPC_FWDeleteAllFirewallRules"),
        ],
    },
    // [MS-RRP] §1.9 (winreg).
    Interface {
        uuid: "338cd001-2244-31f1-aaaa-900038001003",
        name: "winreg",
        purpose: RpcPurpose::RemoteRegistry,
        version: (1, 0),
        operations: &[],
    },
    // [MS-SAMR] §1.9 and §3.1.5.
    Interface {
        uuid: "12345778-1234-abcd-ef00-0123456789ac",
        name: "samr",
        purpose: RpcPurpose::Accounts,
        version: (1, 0),
        operations: &[
            (7, "SamrOpenDomain"),
            (13, "SamrEnumerateUsersInDomain"),
            (50, "SamrCreateUser2InDomain"),
            (64, "SamrConnect5"),
        ],
    },
    // [MS-LSAD] §1.9 and [MS-LSAT] §3.1.4.
    Interface {
        uuid: "12345778-1234-abcd-ef00-0123456789ab",
        name: "lsarpc",
        purpose: RpcPurpose::Accounts,
        version: (0, 0),
        operations: &[
            (7, "LsarQueryInformationPolicy"),
            (44, "LsarOpenPolicy2"),
            (57, "LsarLookupSids2"),
            (76, "LsarLookupSids3"),
        ],
    },
    // [MS-DRSR] §1.9 and §4.1.
    Interface {
        uuid: "e3514235-4b06-11d1-ab04-00c04fc2dcd2",
        name: "drsuapi",
        purpose: RpcPurpose::Replication,
        version: (4, 0),
        operations: &[
            (0, "IDL_DRSBind"),
            (3, "IDL_DRSGetNCChanges"),
            (12, "IDL_DRSCrackNames"),
        ],
    },
    // [MS-RPCE] §2.2.1.2.5 (ept_map, the endpoint mapper).
    Interface {
        uuid: "e1af8308-5d1f-11c9-91a4-08002b14a0fa",
        name: "epmapper",
        purpose: RpcPurpose::EndpointMapper,
        version: (3, 0),
        operations: &[(2, "ept_lookup"), (3, "ept_map")],
    },
];

/// The canonical text form of a wire-order UUID.
pub(crate) fn uuid_string(u: &[u8; 16]) -> String {
    let hex =
        |r: std::ops::Range<usize>| u[r].iter().map(|b| format!("{b:02x}")).collect::<String>();
    format!(
        "{}-{}-{}-{}-{}",
        hex(0..4),
        hex(4..6),
        hex(6..8),
        hex(8..10),
        hex(10..16)
    )
}

/// The known interface with this UUID.
/// UUIDs of the interfaces whose bind is remote execution
/// ([`RpcPurpose::is_remote_execution`]), in table order.
pub(crate) fn remote_execution_uuids() -> Vec<&'static str> {
    INTERFACES
        .iter()
        .filter(|i| i.purpose.is_remote_execution())
        .map(|i| i.uuid)
        .collect()
}

pub(crate) fn lookup(uuid: &str) -> Option<&'static Interface> {
    INTERFACES.iter().find(|i| i.uuid == uuid)
}

/// The name of operation `opnum` of the interface with this UUID.
pub(crate) fn operation_name(uuid: &str, opnum: u16) -> Option<&'static str> {
    lookup(uuid)?
        .operations
        .iter()
        .find(|(n, _)| *n == opnum)
        .map(|(_, name)| *name)
}

/// An operation name without the decorations that differ between the
/// protocol documents and Zeek's tables (`IDL_DRSBind`/`DRSBind`,
/// `RCreateServiceW`/`CreateServiceW`).
fn bare(name: &str) -> &str {
    let name = name.strip_prefix("IDL_").unwrap_or(name);
    match name.as_bytes() {
        [b'R', second, ..] if second.is_ascii_uppercase() => &name[1..],
        _ => name,
    }
}

/// The interface Zeek's `dce_rpc.log` names: a known name (any case), or
/// `unknown-<uuid>`. Returns (uuid, major, minor).
pub(crate) fn interface_by_name(endpoint: &str) -> Option<(String, u16, u16)> {
    if let Some(uuid) = endpoint.strip_prefix("unknown-") {
        let uuid = uuid.to_ascii_lowercase();
        let valid = uuid.len() == 36 && uuid.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        let version = lookup(&uuid).map_or((0, 0), |i| i.version);
        return valid.then_some((uuid, version.0, version.1));
    }
    INTERFACES
        .iter()
        .find(|i| i.name.eq_ignore_ascii_case(endpoint))
        .map(|i| (i.uuid.to_owned(), i.version.0, i.version.1))
}

/// The opnum of `operation` on the interface `endpoint` names: a known
/// operation name, or Zeek's `unknown-<n>` / `unknown-<uuid>-<n>`.
pub(crate) fn opnum_by_name(endpoint: &str, operation: &str) -> Option<u16> {
    if operation.starts_with("unknown") {
        return operation.rsplit('-').next()?.parse().ok();
    }
    let (uuid, ..) = interface_by_name(endpoint)?;
    lookup(&uuid)?
        .operations
        .iter()
        .find(|(_, name)| bare(name).eq_ignore_ascii_case(bare(operation)))
        .map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_canonical_and_unique() {
        for (i, a) in INTERFACES.iter().enumerate() {
            assert_eq!(a.uuid.len(), 36, "{}", a.name);
            assert_eq!(a.uuid, a.uuid.to_ascii_lowercase(), "{}", a.name);
            assert!(INTERFACES[i + 1..].iter().all(|b| b.uuid != a.uuid));
            assert!(
                a.operations.windows(2).all(|w| w[0].0 < w[1].0),
                "{}",
                a.name
            );
        }
        assert_eq!(
            operation_name(INTERFACES[0].uuid, 12),
            Some("RCreateServiceW")
        );
        assert_eq!(operation_name(INTERFACES[0].uuid, 99), None);
    }

    #[test]
    fn zeek_names_map_back_to_opnums() {
        assert_eq!(opnum_by_name("svcctl", "CreateServiceW"), Some(12));
        assert_eq!(opnum_by_name("drsuapi", "DRSGetNCChanges"), Some(3));
        assert_eq!(opnum_by_name("RemoteFW", "RRPC_FWAddFirewallRule"), Some(5));
        assert_eq!(
            opnum_by_name("x", "unknown-6b5bdd1e-528c-422c-af8c-a4079be4fe48-5"),
            Some(5)
        );
        assert_eq!(opnum_by_name("svcctl", "NoSuchOperation"), None);
        let fasp = interface_by_name("unknown-6B5BDD1E-528C-422C-AF8C-A4079BE4FE48").unwrap();
        assert_eq!(
            fasp,
            ("6b5bdd1e-528c-422c-af8c-a4079be4fe48".to_owned(), 1, 0)
        );
        assert_eq!(interface_by_name("unknown-zz"), None);
        assert_eq!(interface_by_name("SVCCTL").unwrap().1, 2);
    }
}
