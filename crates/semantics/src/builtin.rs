//! Windows built-in rules that open SMB ports.
//!
//! IDs and definitions from the stock rules (reference/windows-firewall.md
//! §4.2). `LocalSubnet` scopes are modelled as any address: the worst case,
//! since the subnet depends on where the host is plugged in.

use std::sync::LazyLock;

use smbguard_model::{PortSet, Profile, ProfileSet, Proto};

use crate::kb::KbRow;
use crate::rule::{Action, Direction, Origin, WindowsRule};

/// The four built-in rules KB3185535 tells hosts without shares to disable,
/// by rule ID (locale-independent; display names are translated).
pub const KB_DISABLE: [&str; 7] = [
    "FPS-SMB-In-TCP",
    "FPS-SMB-In-TCP-NoScope",
    "Netlogon-NamedPipe-In",
    "RemoteEventLogSvc-NP-In-TCP",
    "RemoteEventLogSvc-NP-In-TCP-NoScope",
    "RemoteSvcAdmin-NP-In-TCP",
    "RemoteSvcAdmin-NP-In-TCP-NoScope",
];

/// The SMB Direct (iWARP, TCP 5445) stock rule.
pub const SMB_DIRECT: &str = "FPSSMBD-iWARP-In-TCP";

/// Built-in NetBIOS and SMB Direct rules, disabled alongside when those
/// transports are governed (SMB Direct always).
pub const NETBIOS_AND_DIRECT: [&str; 7] = [
    "FPS-NB_Session-In-TCP",
    "FPS-NB_Session-In-TCP-NoScope",
    "FPS-NB_Name-In-UDP",
    "FPS-NB_Name-In-UDP-NoScope",
    "FPS-NB_Datagram-In-UDP",
    "FPS-NB_Datagram-In-UDP-NoScope",
    "FPSSMBD-iWARP-In-TCP",
];

fn stock(id: &str, name: &str, proto: Proto, port: u16, profiles: &[Profile]) -> WindowsRule {
    let mut r = WindowsRule::new(id, name, Direction::Inbound, Action::Allow, KbRow::K4);
    r.protocol = Some(proto);
    r.local_ports = PortSet::single(port);
    r.profiles = ProfileSet::of(profiles);
    r.group = "File and Printer Sharing".into();
    r.description = "Windows built-in rule, assumed enabled: creating a share enables it".into();
    r.origin = Origin::BuiltIn;
    r
}

static CATALOGUE: LazyLock<Vec<WindowsRule>> = LazyLock::new(|| {
    use Profile::{Domain, Private, Public};
    let pp = [Private, Public];
    let all = [Domain, Private, Public];
    vec![
        stock(
            "FPS-SMB-In-TCP",
            "File and Printer Sharing (SMB-In)",
            Proto::Tcp,
            445,
            &pp,
        ),
        stock(
            "FPS-SMB-In-TCP-NoScope",
            "File and Printer Sharing (SMB-In)",
            Proto::Tcp,
            445,
            &[Domain],
        ),
        stock(
            "Netlogon-NamedPipe-In",
            "Netlogon Service (NP-In)",
            Proto::Tcp,
            445,
            &all,
        ),
        stock(
            "RemoteEventLogSvc-NP-In-TCP",
            "Remote Event Log Management (NP-In)",
            Proto::Tcp,
            445,
            &pp,
        ),
        stock(
            "RemoteEventLogSvc-NP-In-TCP-NoScope",
            "Remote Event Log Management (NP-In)",
            Proto::Tcp,
            445,
            &[Domain],
        ),
        stock(
            "RemoteSvcAdmin-NP-In-TCP",
            "Remote Service Management (NP-In)",
            Proto::Tcp,
            445,
            &pp,
        ),
        stock(
            "RemoteSvcAdmin-NP-In-TCP-NoScope",
            "Remote Service Management (NP-In)",
            Proto::Tcp,
            445,
            &[Domain],
        ),
        stock(
            "FPS-NB_Session-In-TCP",
            "File and Printer Sharing (NB-Session-In)",
            Proto::Tcp,
            139,
            &pp,
        ),
        stock(
            "FPS-NB_Session-In-TCP-NoScope",
            "File and Printer Sharing (NB-Session-In)",
            Proto::Tcp,
            139,
            &[Domain],
        ),
        stock(
            "FPS-NB_Name-In-UDP",
            "File and Printer Sharing (NB-Name-In)",
            Proto::Udp,
            137,
            &pp,
        ),
        stock(
            "FPS-NB_Name-In-UDP-NoScope",
            "File and Printer Sharing (NB-Name-In)",
            Proto::Udp,
            137,
            &[Domain],
        ),
        stock(
            "FPS-NB_Datagram-In-UDP",
            "File and Printer Sharing (NB-Datagram-In)",
            Proto::Udp,
            138,
            &pp,
        ),
        stock(
            "FPS-NB_Datagram-In-UDP-NoScope",
            "File and Printer Sharing (NB-Datagram-In)",
            Proto::Udp,
            138,
            &[Domain],
        ),
        stock(
            "FPSSMBD-iWARP-In-TCP",
            "File and Printer Sharing over SMBDirect (iWARP-In)",
            Proto::Tcp,
            5445,
            &all,
        ),
    ]
});

/// The stock rules, as the evaluator assumes them when not disabled.
pub fn catalogue() -> &'static [WindowsRule] {
    &CATALOGUE
}

/// The catalogue entry with this ID.
pub fn lookup(id: &str) -> Option<&'static WindowsRule> {
    catalogue().iter().find(|r| r.id == id)
}
