//! SMB transports (protocol + well-known port) and port sets.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::interval::IntervalSet;

/// A set of TCP/UDP ports.
pub type PortSet = IntervalSet<u16>;

/// An IP protocol smbguard reasons about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// TCP (IP protocol 6).
    Tcp,
    /// UDP (IP protocol 17).
    Udp,
}

impl Proto {
    /// The IANA protocol number.
    pub fn number(self) -> u8 {
        match self {
            Proto::Tcp => 6,
            Proto::Udp => 17,
        }
    }

    /// The lowercase name, `tcp` or `udp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A transport: protocol and server port, written `tcp/445`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Transport {
    /// TCP or UDP.
    pub proto: Proto,
    /// The server (destination) port.
    pub port: u16,
}

impl Transport {
    /// SMB direct over TCP (KB3185535 K1).
    pub const SMB: Transport = Transport {
        proto: Proto::Tcp,
        port: 445,
    };
    /// NetBIOS session service, SMB1's legacy transport (K1).
    pub const NETBIOS_SESSION: Transport = Transport {
        proto: Proto::Tcp,
        port: 139,
    };
    /// NetBIOS name service (K1).
    pub const NETBIOS_NAME: Transport = Transport {
        proto: Proto::Udp,
        port: 137,
    };
    /// NetBIOS datagram service (K1).
    pub const NETBIOS_DATAGRAM: Transport = Transport {
        proto: Proto::Udp,
        port: 138,
    };
    /// SMB over QUIC (Windows Server 2022 Azure Edition and later).
    pub const SMB_QUIC: Transport = Transport {
        proto: Proto::Udp,
        port: 443,
    };
    /// SMB Direct over iWARP.
    pub const SMB_DIRECT: Transport = Transport {
        proto: Proto::Tcp,
        port: 5445,
    };

    /// The transports KB3185535 names, governed by default.
    pub const DEFAULT: [Transport; 4] = [
        Self::SMB,
        Self::NETBIOS_SESSION,
        Self::NETBIOS_NAME,
        Self::NETBIOS_DATAGRAM,
    ];

    /// Every transport smbguard can govern.
    pub const KNOWN: [Transport; 6] = [
        Self::SMB,
        Self::NETBIOS_SESSION,
        Self::NETBIOS_NAME,
        Self::NETBIOS_DATAGRAM,
        Self::SMB_QUIC,
        Self::SMB_DIRECT,
    ];

    /// True for the NetBIOS transports (TCP 139, UDP 137, UDP 138).
    pub fn is_netbios(self) -> bool {
        matches!(
            self,
            Self::NETBIOS_SESSION | Self::NETBIOS_NAME | Self::NETBIOS_DATAGRAM
        )
    }

    /// What runs on this transport, for rule names and reports.
    pub fn service_name(self) -> &'static str {
        match self {
            Self::SMB => "SMB",
            Self::NETBIOS_SESSION => "NetBIOS Session",
            Self::NETBIOS_NAME => "NetBIOS Name",
            Self::NETBIOS_DATAGRAM => "NetBIOS Datagram",
            Self::SMB_QUIC => "SMB over QUIC",
            Self::SMB_DIRECT => "SMB Direct",
            _ => "SMB",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.proto, self.port)
    }
}

impl FromStr for Transport {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || Error::MalformedTransport(s.to_string());
        let (proto, port) = s.trim().split_once('/').ok_or_else(err)?;
        let proto = match proto.to_ascii_lowercase().as_str() {
            "tcp" => Proto::Tcp,
            "udp" => Proto::Udp,
            _ => return Err(err()),
        };
        let port = port.parse::<u16>().map_err(|_| err())?;
        Ok(Transport { proto, port })
    }
}

impl Serialize for Transport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
