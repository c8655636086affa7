//! The flow table: one entry per transport 5-tuple, in either direction.

use std::collections::hash_map::Entry;
use std::net::IpAddr;

use rustc_hash::FxHashMap;

use super::{FlowRecord, Initiator, L4Protocol, PortSet, Service};
use crate::dcerpc::{RpcConnection, pdu_from_client};
use crate::decode::{Direction, Packet};
use crate::netbios::{dissect_nbdgm, dissect_nbns};
use crate::smb::{DissectCounters, SmbConnection};

/// Direction-independent flow identity: the lower endpoint first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct FlowKey {
    protocol: L4Protocol,
    lo: (IpAddr, u16),
    hi: (IpAddr, u16),
}

impl FlowKey {
    pub(crate) fn of(p: &Packet<'_>) -> Self {
        let a = (p.src, p.src_port);
        let b = (p.dst, p.dst_port);
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        Self {
            protocol: p.protocol,
            lo,
            hi,
        }
    }
}

#[derive(Debug)]
struct FlowState {
    record: FlowRecord,
    /// NBSS/SMB reassembly state, for TCP 139/445 only.
    smb: Option<Box<SmbConnection>>,
    /// DCE/RPC context state, for TCP 135 and dynamic RPC ports only.
    rpc: Option<Box<RpcConnection>>,
}

/// Flows of one shard.
#[derive(Debug, Default)]
pub(crate) struct FlowTable {
    index: FxHashMap<FlowKey, usize>,
    flows: Vec<FlowState>,
    /// The flow of the previous packet: consecutive packets usually belong
    /// to the same flow, and comparing keys is cheaper than hashing them.
    last: Option<(FlowKey, usize)>,
    ports: PortSet,
    counters: DissectCounters,
}

impl FlowTable {
    pub(crate) fn new(ports: PortSet) -> Self {
        Self {
            ports,
            ..Self::default()
        }
    }

    /// Accounts one packet to its flow and dissects its payload.
    pub(crate) fn process(&mut self, p: &Packet<'_>) {
        let key = FlowKey::of(p);
        let idx = match self.last {
            Some((last_key, idx)) if last_key == key => idx,
            _ => match self.index.entry(key) {
                Entry::Occupied(e) => *e.get(),
                Entry::Vacant(e) => {
                    let Some(record) = new_record(p, self.ports) else {
                        return;
                    };
                    self.flows.push(FlowState {
                        record,
                        smb: None,
                        rpc: None,
                    });
                    *e.insert(self.flows.len() - 1)
                }
            },
        };
        self.last = Some((key, idx));
        let flow = &mut self.flows[idx];
        let rec = &mut flow.record;
        let dir = if (p.src, p.src_port) == (rec.client, rec.client_port) {
            Direction::ToServer
        } else {
            Direction::ToClient
        };
        rec.first_seen = rec.first_seen.min(p.ts);
        rec.last_seen = rec.last_seen.max(p.ts);
        let ip_len = u64::from(p.ip_len);
        match dir {
            Direction::ToServer => {
                rec.packets_to_server += 1;
                rec.bytes_to_server += ip_len;
            }
            Direction::ToClient => {
                rec.packets_to_client += 1;
                rec.bytes_to_client += ip_len;
            }
        }
        match rec.service {
            s if s.carries_nbss() => {
                let Some(tcp) = p.tcp else { return };
                let conn = flow.smb.get_or_insert_with(Box::default);
                conn.on_segment(dir, tcp, p.payload, &mut rec.smb, &mut self.counters);
            }
            s if s.carries_dcerpc() => {
                if p.tcp.is_some_and(|t| t.syn) {
                    return;
                }
                let conn = flow.rpc.get_or_insert_with(Box::default);
                let to_server = dir == Direction::ToServer;
                conn.on_segment(to_server, p.payload, &mut rec.rpc, &mut self.counters);
            }
            Service::NetbiosName => dissect_nbns(p.payload, &mut rec.smb, &mut self.counters),
            Service::NetbiosDatagram => dissect_nbdgm(p.payload, &mut rec.smb, &mut self.counters),
            _ => {}
        }
    }

    /// The finished records (unsorted) and the dissection counters.
    pub(crate) fn into_parts(self) -> (Vec<FlowRecord>, DissectCounters) {
        let records = self.flows.into_iter().map(|f| f.record).collect();
        (records, self.counters)
    }
}

/// A new record for the first packet of a flow, with client and server
/// decided as well as one packet allows.
fn new_record(p: &Packet<'_>, ports: PortSet) -> Option<FlowRecord> {
    let src = (p.src, p.src_port);
    let dst = (p.dst, p.dst_port);
    let src_service = Service::from_port(p.protocol, p.src_port, ports);
    let dst_service = Service::from_port(p.protocol, p.dst_port, ports);
    if let Some(tcp) = p.tcp.filter(|t| t.syn) {
        // SYN from the client, SYN-ACK from the server.
        let (client, server) = if tcp.ack { (dst, src) } else { (src, dst) };
        let service = Service::from_port(p.protocol, server.1, ports)
            .or(dst_service)
            .or(src_service)?;
        return Some(FlowRecord::new(
            service,
            client,
            server,
            Initiator::Syn,
            p.ts,
        ));
    }
    let (service, client, server, initiator) = match (src_service, dst_service) {
        (None, Some(s)) => (s, src, dst, Initiator::ServicePort),
        (Some(s), None) => (s, dst, src, Initiator::ServicePort),
        (Some(_), Some(s)) => (s, src, dst, Initiator::FirstPacket),
        (None, None) => return dynamic_rpc_record(p),
    };
    Some(FlowRecord::new(service, client, server, initiator, p.ts))
}

/// A flow on an untracked TCP port whose segment begins a DCE/RPC PDU:
/// the PDU type says which side is the client.
fn dynamic_rpc_record(p: &Packet<'_>) -> Option<FlowRecord> {
    p.tcp?;
    let (src, dst) = ((p.src, p.src_port), (p.dst, p.dst_port));
    let (client, server) = if pdu_from_client(p.payload)? {
        (src, dst)
    } else {
        (dst, src)
    };
    Some(FlowRecord::new(
        Service::DceRpc,
        client,
        server,
        Initiator::RpcPdu,
        p.ts,
    ))
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};

    use super::FlowTable;
    use crate::decode::{Packet, TcpMeta};
    use crate::flow::{Initiator, L4Protocol, PortSet, Service};
    use crate::timestamp::Timestamp;

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

    fn tcp(
        ts: u64,
        src: (IpAddr, u16),
        dst: (IpAddr, u16),
        syn: bool,
        ack: bool,
    ) -> Packet<'static> {
        Packet {
            ts: Timestamp::from_nanos(ts),
            src: src.0,
            dst: dst.0,
            src_port: src.1,
            dst_port: dst.1,
            protocol: L4Protocol::Tcp,
            ip_len: 40,
            tcp: Some(TcpMeta {
                syn,
                ack,
                ..TcpMeta::default()
            }),
            payload: &[],
        }
    }

    fn only_flow(packets: &[Packet<'_>]) -> crate::flow::FlowRecord {
        let mut t = FlowTable::new(PortSet::default());
        for p in packets {
            t.process(p);
        }
        let (mut records, _) = t.into_parts();
        assert_eq!(records.len(), 1);
        records.remove(0)
    }

    #[test]
    fn syn_ack_seen_first_still_finds_the_client() {
        // The capture missed the SYN: the SYN-ACK's receiver is the client.
        let f = only_flow(&[
            tcp(2, (B, 445), (A, 50000), true, true),
            tcp(1, (A, 50000), (B, 445), false, true),
        ]);
        assert_eq!((f.client, f.client_port, f.server_port), (A, 50000, 445));
        assert_eq!(f.initiator, Initiator::Syn);
        assert_eq!((f.packets_to_server, f.packets_to_client), (1, 1));
        assert_eq!((f.bytes_to_server, f.bytes_to_client), (40, 40));
        // Out-of-order timestamps: first/last are min/max.
        assert_eq!((f.first_seen.as_nanos(), f.last_seen.as_nanos()), (1, 2));
    }

    #[test]
    fn service_port_decides_without_syn() {
        let f = only_flow(&[tcp(1, (B, 139), (A, 1032), false, true)]);
        assert_eq!(
            (f.client, f.server, f.service),
            (A, B, Service::NetbiosSession)
        );
        assert_eq!(f.initiator, Initiator::ServicePort);
    }

    #[test]
    fn both_on_the_service_port_first_sender_is_client() {
        let mut p = tcp(1, (A, 137), (B, 137), false, false);
        p.protocol = L4Protocol::Udp;
        p.tcp = None;
        let mut back = tcp(2, (B, 137), (A, 137), false, false);
        back.protocol = L4Protocol::Udp;
        back.tcp = None;
        let f = only_flow(&[p, back]);
        assert_eq!(
            (f.client, f.service, f.initiator),
            (A, Service::NetbiosName, Initiator::FirstPacket)
        );
        assert_eq!((f.packets_to_server, f.packets_to_client), (1, 1));
    }
}
