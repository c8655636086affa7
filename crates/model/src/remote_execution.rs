//! What counts as remote execution over SMB and DCE/RPC, shared by the
//! traffic classifier and the detection content it is held to (one list,
//! so a Suricata or Zeek rule cannot drift from `traffic`'s `remote-service`).

/// Named pipes whose use over SMB is remote service or task creation, or
/// remote registry: lateral-movement tradecraft (PsExec, `sc \\host`, `at`).
pub const REMOTE_SERVICE_PIPES: [&str; 7] = [
    "svcctl",
    "atsvc",
    "winreg",
    "psexesvc",
    "remcom_communicaton",
    "paexec",
    "csexecsvc",
];

/// DCE/RPC interfaces whose bind, over a named pipe or plain TCP, is remote
/// service, task, WMI, firewall or registry work: (UUID, name), UUIDs from
/// each interface's specification.
pub const REMOTE_EXECUTION_INTERFACES: [(&str, &str); 8] = [
    ("367abb81-9844-35f1-ad32-98f038001003", "svcctl"), // [MS-SCMR] §1.9
    ("1ff70682-0a51-30e8-076d-740be8cee98b", "atsvc"),  // [MS-TSCH] §1.9
    (
        "86d35949-83c9-4044-b424-db363231fd0c",
        "ITaskSchedulerService",
    ), // [MS-TSCH] §1.9
    ("9556dc99-828c-11cf-a37e-00aa003240c7", "IWbemServices"), // [MS-WMI] §1.9
    ("f309ad18-d86a-11d0-a075-00c04fb68820", "IWbemLevel1Login"), // [MS-WMI] §3.1.4.1
    (
        "000001a0-0000-0000-c000-000000000046",
        "IRemoteSCMActivator",
    ), // [MS-DCOM] §1.9
    ("6b5bdd1e-528c-422c-af8c-a4079be4fe48", "RemoteFW"), // [MS-FASP] §1.9
    ("338cd001-2244-31f1-aaaa-900038001003", "winreg"), // [MS-RRP] §1.9
];
