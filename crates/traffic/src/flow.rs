//! Flow records: one per SMB/NetBIOS conversation (transport 5-tuple).

pub(crate) mod table;

use std::net::IpAddr;

use serde::Serialize;

use crate::dcerpc::RpcFacts;
use crate::smb::SmbFacts;
use crate::timestamp::Timestamp;

/// Transport protocol of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum L4Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// The SMB/NetBIOS service a flow talks to, from its server port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Service {
    /// SMB directly over TCP 445.
    Smb,
    /// NetBIOS session service, TCP 139 (SMB inside NBSS).
    NetbiosSession,
    /// NetBIOS name service, UDP 137.
    NetbiosName,
    /// NetBIOS datagram service, UDP 138.
    NetbiosDatagram,
    /// SMB over QUIC, UDP 443 (only with [`crate::Options::track_quic`]).
    SmbOverQuic,
    /// SMB Direct (RDMA/iWARP), TCP 5445 (only with
    /// [`crate::Options::track_smb_direct`]).
    SmbDirect,
    /// The DCE/RPC endpoint mapper, TCP 135 (remote service, task, WMI and
    /// firewall calls start here; see [`crate::RpcFacts`]).
    EndpointMapper,
    /// DCE/RPC on a dynamic TCP port (one the endpoint mapper hands out),
    /// recognised by its content.
    DceRpc,
}

impl Service {
    /// The well-known server port of this service (0 for [`Service::DceRpc`],
    /// which has none).
    #[must_use]
    pub const fn port(self) -> u16 {
        match self {
            Self::Smb => 445,
            Self::NetbiosSession => 139,
            Self::NetbiosName => 137,
            Self::NetbiosDatagram => 138,
            Self::SmbOverQuic => 443,
            Self::SmbDirect => 5445,
            Self::EndpointMapper => 135,
            Self::DceRpc => 0,
        }
    }

    /// The transport protocol of this service.
    #[must_use]
    pub const fn protocol(self) -> L4Protocol {
        match self {
            Self::Smb
            | Self::NetbiosSession
            | Self::SmbDirect
            | Self::EndpointMapper
            | Self::DceRpc => L4Protocol::Tcp,
            Self::NetbiosName | Self::NetbiosDatagram | Self::SmbOverQuic => L4Protocol::Udp,
        }
    }

    /// Whether the payload is DCE/RPC over TCP that this crate dissects.
    pub(crate) const fn carries_dcerpc(self) -> bool {
        matches!(self, Self::EndpointMapper | Self::DceRpc)
    }

    /// Whether the payload is NetBIOS-session framed SMB that this crate dissects.
    pub(crate) const fn carries_nbss(self) -> bool {
        matches!(self, Self::Smb | Self::NetbiosSession)
    }

    /// The service on `port`, if it is one of the tracked well-known ports.
    pub(crate) const fn from_port(protocol: L4Protocol, port: u16, ports: PortSet) -> Option<Self> {
        match (protocol, port) {
            (L4Protocol::Tcp, 445) => Some(Self::Smb),
            (L4Protocol::Tcp, 139) => Some(Self::NetbiosSession),
            (L4Protocol::Tcp, 135) => Some(Self::EndpointMapper),
            (L4Protocol::Udp, 137) => Some(Self::NetbiosName),
            (L4Protocol::Udp, 138) => Some(Self::NetbiosDatagram),
            (L4Protocol::Udp, 443) if ports.quic => Some(Self::SmbOverQuic),
            (L4Protocol::Tcp, 5445) if ports.smb_direct => Some(Self::SmbDirect),
            _ => None,
        }
    }
}

/// Which optional ports are tracked besides 445/139/137/138.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PortSet {
    pub(crate) quic: bool,
    pub(crate) smb_direct: bool,
}

/// How the client (initiator) side of a flow was decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Initiator {
    /// A TCP SYN (or SYN-ACK) was seen: certain.
    Syn,
    /// Only one side uses a well-known SMB/NetBIOS port: that side is the server.
    ServicePort,
    /// Both sides use the service port (e.g. NBNS 137 to 137): the sender of
    /// the first packet seen is taken as the client.
    FirstPacket,
    /// Taken from a flow log's originator field.
    FlowLog,
    /// From the DCE/RPC PDU type of the first segment seen (a bind or
    /// request comes from the client), on a dynamic port.
    RpcPdu,
}

/// Where a record came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RecordOrigin {
    /// Reconstructed from captured packets.
    Capture,
    /// Read from a Zeek conn.log (no SMB detail available).
    ZeekConnLog,
}

/// One SMB/NetBIOS conversation.
///
/// Counters are per direction. Bytes are IP-layer bytes (header plus payload,
/// as stated in the IP header), so they do not depend on the link layer, VLAN
/// tags or snap length, and match Zeek's `orig_ip_bytes`/`resp_ip_bytes`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FlowRecord {
    /// TCP or UDP.
    pub protocol: L4Protocol,
    /// Service, from the server port.
    pub service: Service,
    /// Initiator address.
    pub client: IpAddr,
    /// Initiator port.
    pub client_port: u16,
    /// Responder address.
    pub server: IpAddr,
    /// Responder port.
    pub server_port: u16,
    /// How client and server were told apart.
    pub initiator: Initiator,
    /// Timestamp of the first packet.
    pub first_seen: Timestamp,
    /// Timestamp of the last packet.
    pub last_seen: Timestamp,
    /// Packets from client to server.
    pub packets_to_server: u64,
    /// Packets from server to client.
    pub packets_to_client: u64,
    /// IP bytes from client to server.
    pub bytes_to_server: u64,
    /// IP bytes from server to client.
    pub bytes_to_client: u64,
    /// What was learnt from the SMB/NetBIOS payload.
    pub smb: SmbFacts,
    /// What was learnt from DCE/RPC over TCP (endpoint mapper and dynamic
    /// ports); empty for other flows.
    #[serde(skip_serializing_if = "RpcFacts::is_empty")]
    pub rpc: RpcFacts,
    /// Capture or flow log.
    pub origin: RecordOrigin,
}

impl FlowRecord {
    pub(crate) fn new(
        service: Service,
        client: (IpAddr, u16),
        server: (IpAddr, u16),
        initiator: Initiator,
        ts: Timestamp,
    ) -> Self {
        Self {
            protocol: service.protocol(),
            service,
            client: client.0,
            client_port: client.1,
            server: server.0,
            server_port: server.1,
            initiator,
            first_seen: ts,
            last_seen: ts,
            packets_to_server: 0,
            packets_to_client: 0,
            bytes_to_server: 0,
            bytes_to_client: 0,
            smb: SmbFacts::for_service(service),
            rpc: RpcFacts::default(),
            origin: RecordOrigin::Capture,
        }
    }

    /// The deterministic output order: by first packet, then by 5-tuple.
    pub(crate) fn sort_key(&self) -> impl Ord + use<> {
        (
            self.first_seen,
            self.protocol,
            self.client,
            self.client_port,
            self.server,
            self.server_port,
            self.last_seen,
        )
    }
}
