//! The KB3185535 requirements every rule traces back to.

use std::fmt;

use serde::Serialize;

/// One row of the guidance (see DESIGN.md): every rule, ACL entry and
/// setting records the row it realises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum KbRow {
    /// Perimeter blocks TCP 445, UDP 137, UDP 138, TCP 139 both ways.
    K1,
    /// Perimeter exceptions only for named cloud endpoints, SMB 3.x encrypted.
    K2,
    /// Per-profile host firewall rules (Domain / Private / Public).
    K3,
    /// Hosts without shares: disable built-in SMB-In rules, block all inbound SMB.
    K4,
    /// DCs and file servers: never blocked globally; trusted ranges; never Public.
    K5,
    /// Outbound: block on Public; on Domain/Private only to DCs and file servers.
    K6,
    /// Kerberos isolation connection security rule backing the bypass.
    K7,
    /// Disable Server/Workstation services only where SMB is not needed.
    K8,
    /// Remove SMB1.
    K9,
    /// Verify and actively manage desired state.
    K10,
    /// Effect of changes: what blocking SMB breaks.
    K11,
}

impl KbRow {
    /// Every row, in order.
    pub const ALL: [KbRow; 11] = [
        KbRow::K1,
        KbRow::K2,
        KbRow::K3,
        KbRow::K4,
        KbRow::K5,
        KbRow::K6,
        KbRow::K7,
        KbRow::K8,
        KbRow::K9,
        KbRow::K10,
        KbRow::K11,
    ];

    /// The requirement in one line.
    pub fn summary(self) -> &'static str {
        match self {
            KbRow::K1 => "perimeter blocks TCP 445, TCP 139, UDP 137, UDP 138 in both directions",
            KbRow::K2 => {
                "perimeter exceptions only for named cloud endpoints, SMB 3.x with encryption"
            }
            KbRow::K3 => "Windows Firewall rules per profile: Domain, Private, Public",
            KbRow::K4 => {
                "hosts without shares: built-in SMB-In rules disabled, all inbound SMB blocked"
            }
            KbRow::K5 => "DCs and file servers: inbound only from trusted ranges, never on Public",
            KbRow::K6 => {
                "outbound SMB blocked on Public; on Domain/Private only to DCs and file servers"
            }
            KbRow::K7 => "Kerberos isolation connection security rule on every participating host",
            KbRow::K8 => "Server/Workstation services disabled only on hosts that need no SMB",
            KbRow::K9 => "SMB1 removed",
            KbRow::K10 => "desired state verified and actively managed",
            KbRow::K11 => "effect of changes: what blocking SMB would break",
        }
    }
}

impl fmt::Display for KbRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}
