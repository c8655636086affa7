//! Link, network and transport decoding, down to a [`Packet`] of a tracked
//! SMB/NetBIOS port.
//!
//! The link layer is peeled by hand (`link.rs`); `etherparse` slices the IP
//! layer (lax mode: a frame cut by the snap length still yields what is
//! there; IPv6 extension headers are followed) and the TCP/UDP headers.
//! Ports are checked before the transport header is sliced, so frames of
//! other protocols cost a few reads. IPv4 fragments of UDP datagrams are
//! reassembled (`defrag.rs`) for NBNS/NBDGM. Checksums are never validated:
//! offloaded checksums are common in real captures.

mod defrag;
mod link;

use std::net::IpAddr;

use etherparse::{IpNumber, LaxIpSlice, TcpSlice, UdpSlice};

use crate::capture::{LinkType, RawFrame};
use crate::dcerpc::pdu_from_client;
use crate::flow::{L4Protocol, PortSet, Service};
use crate::timestamp::Timestamp;

/// Direction of a packet relative to the flow's client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    ToServer = 0,
    ToClient = 1,
}

/// The TCP header fields the flow table needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TcpMeta {
    pub(crate) seq: u32,
    pub(crate) syn: bool,
    pub(crate) ack: bool,
    pub(crate) fin: bool,
    pub(crate) rst: bool,
}

/// A decoded packet on a tracked port; the payload borrows the frame (or the
/// reassembly buffer).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Packet<'a> {
    pub(crate) ts: Timestamp,
    pub(crate) src: IpAddr,
    pub(crate) dst: IpAddr,
    pub(crate) src_port: u16,
    pub(crate) dst_port: u16,
    pub(crate) protocol: L4Protocol,
    /// IP-layer length as stated in the IP header.
    pub(crate) ip_len: u32,
    pub(crate) tcp: Option<TcpMeta>,
    pub(crate) payload: &'a [u8],
}

/// An IPv4 fragment of a UDP datagram, still to be reassembled.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FragmentPiece<'a> {
    ts: Timestamp,
    key: defrag::FragKey,
    offset: usize,
    more: bool,
    payload: &'a [u8],
}

impl<'a> FragmentPiece<'a> {
    pub(crate) fn payload(&self) -> &'a [u8] {
        self.payload
    }

    /// The same fragment over another payload.
    pub(crate) fn with_payload<'b>(&self, payload: &'b [u8]) -> FragmentPiece<'b> {
        FragmentPiece {
            ts: self.ts,
            key: self.key,
            offset: self.offset,
            more: self.more,
            payload,
        }
    }
}

impl Packet<'_> {
    /// The same packet over another payload.
    pub(crate) fn with_payload<'b>(&self, payload: &'b [u8]) -> Packet<'b> {
        Packet {
            ts: self.ts,
            src: self.src,
            dst: self.dst,
            src_port: self.src_port,
            dst_port: self.dst_port,
            protocol: self.protocol,
            ip_len: self.ip_len,
            tcp: self.tcp,
            payload,
        }
    }
}

/// What decoding one frame gave.
#[derive(Debug)]
pub(crate) enum Decoded<'a> {
    /// A packet to or from a tracked port.
    Packet(Packet<'a>),
    /// IP traffic on other ports, or non-IP frames: skipped.
    Skipped,
    /// An IPv4 fragment of a UDP datagram, for [`Reassembler::add`].
    Fragment(FragmentPiece<'a>),
    /// The link type is not supported.
    UnsupportedLink,
    /// Too short or malformed to reach the transport header.
    Malformed,
}

/// Decodes one frame. Stateless, so frames can be decoded on any thread;
/// fragments come back as [`Decoded::Fragment`] for a [`Reassembler`] that
/// sees them in capture order. The common case, a frame on an untracked
/// port, costs a few header reads and no allocation.
pub(crate) fn decode_frame<'f>(frame: &RawFrame<'f>, ports: PortSet) -> Decoded<'f> {
    let (ether_type, l3) = match link::network_layer(frame.link, frame.data) {
        link::Network::Layer(t, l3) => (t, l3),
        link::Network::Unsupported => return Decoded::UnsupportedLink,
        link::Network::Malformed => return Decoded::Malformed,
    };
    if ether_type != link::ETHERTYPE_IPV4 && ether_type != link::ETHERTYPE_IPV6 {
        return Decoded::Skipped;
    }
    let Ok((ip, _ext_error)) = LaxIpSlice::from_slice(l3) else {
        return Decoded::Malformed;
    };
    let payload = ip.payload();
    let protocol = match payload.ip_number {
        IpNumber::TCP => L4Protocol::Tcp,
        IpNumber::UDP => L4Protocol::Udp,
        _ => return Decoded::Skipped,
    };
    if payload.fragmented {
        return match &ip {
            LaxIpSlice::Ipv4(v4) if protocol == L4Protocol::Udp => {
                let h = v4.header();
                Decoded::Fragment(FragmentPiece {
                    ts: frame.ts,
                    key: defrag::FragKey {
                        src: h.source_addr(),
                        dst: h.destination_addr(),
                        id: h.identification(),
                    },
                    offset: usize::from(h.fragments_offset().byte_offset()),
                    more: h.more_fragments(),
                    payload: payload.payload,
                })
            }
            _ => Decoded::Skipped,
        };
    }
    let l4 = payload.payload;
    // Both TCP and UDP start with the two ports: filter before anything
    // else is looked at.
    let Some(port_bytes) = l4.get(..4) else {
        return Decoded::Malformed;
    };
    let sp = u16::from_be_bytes([port_bytes[0], port_bytes[1]]);
    let dp = u16::from_be_bytes([port_bytes[2], port_bytes[3]]);
    let dynamic_rpc = protocol == L4Protocol::Tcp && begins_dcerpc_pdu(l4);
    if !(is_tracked(protocol, sp, dp, ports) || dynamic_rpc) {
        return Decoded::Skipped;
    }
    let (src, dst, ip_len) = match &ip {
        LaxIpSlice::Ipv4(v4) => {
            let h = v4.header();
            (
                IpAddr::V4(h.source_addr()),
                IpAddr::V4(h.destination_addr()),
                u32::from(h.total_len()),
            )
        }
        LaxIpSlice::Ipv6(v6) => {
            let h = v6.header();
            (
                IpAddr::V6(h.source_addr()),
                IpAddr::V6(h.destination_addr()),
                u32::from(h.payload_length()) + 40,
            )
        }
    };
    let mut packet = Packet {
        ts: frame.ts,
        src,
        dst,
        src_port: sp,
        dst_port: dp,
        protocol,
        ip_len,
        tcp: None,
        payload: &[],
    };
    match protocol {
        L4Protocol::Tcp => {
            let Ok(tcp) = TcpSlice::from_slice(l4) else {
                return Decoded::Malformed;
            };
            packet.tcp = Some(TcpMeta {
                seq: tcp.sequence_number(),
                syn: tcp.syn(),
                ack: tcp.ack(),
                fin: tcp.fin(),
                rst: tcp.rst(),
            });
            packet.payload = tcp.payload();
        }
        L4Protocol::Udp => {
            let Ok(udp) = UdpSlice::from_slice_lax(l4) else {
                return Decoded::Malformed;
            };
            packet.payload = udp.payload();
        }
    }
    Decoded::Packet(packet)
}

/// Reassembles IPv4 UDP fragments, fed in capture order.
#[derive(Debug, Default)]
pub(crate) struct Reassembler {
    ports: PortSet,
    defrag: defrag::Defrag,
}

impl Reassembler {
    pub(crate) fn new(ports: PortSet) -> Self {
        Self {
            ports,
            defrag: defrag::Defrag::default(),
        }
    }

    /// Adds one fragment: `None` while the datagram is incomplete, then the
    /// decoded datagram (a packet, or skipped or malformed).
    pub(crate) fn add(&mut self, piece: &FragmentPiece<'_>) -> Option<Decoded<'_>> {
        let key = piece.key;
        let datagram = self
            .defrag
            .add(key, piece.ts, piece.offset, piece.more, piece.payload)?;
        Some(udp_datagram(
            piece.ts,
            IpAddr::V4(key.src),
            IpAddr::V4(key.dst),
            datagram,
            self.ports,
        ))
    }
}

/// Whether a TCP segment on an untracked port begins a DCE/RPC PDU (a
/// dynamic RPC port): the data offset is read by hand so that the common
/// case, other traffic, costs two byte reads and no header parse.
fn begins_dcerpc_pdu(tcp: &[u8]) -> bool {
    let Some(&offset_byte) = tcp.get(12) else {
        return false;
    };
    let data_offset = usize::from(offset_byte >> 4) * 4;
    match tcp.get(data_offset..) {
        Some(payload) if payload.first() == Some(&5) => pdu_from_client(payload).is_some(),
        _ => false,
    }
}

fn is_tracked(protocol: L4Protocol, a: u16, b: u16, ports: PortSet) -> bool {
    Service::from_port(protocol, a, ports).is_some()
        || Service::from_port(protocol, b, ports).is_some()
}

/// Decodes a reassembled UDP datagram (UDP header plus data).
fn udp_datagram(
    ts: Timestamp,
    src: IpAddr,
    dst: IpAddr,
    datagram: &[u8],
    ports: PortSet,
) -> Decoded<'_> {
    let Some(header) = datagram.get(..8) else {
        return Decoded::Malformed;
    };
    let sp = u16::from_be_bytes([header[0], header[1]]);
    let dp = u16::from_be_bytes([header[2], header[3]]);
    let udp_len = usize::from(u16::from_be_bytes([header[4], header[5]]));
    if !is_tracked(L4Protocol::Udp, sp, dp, ports) {
        return Decoded::Skipped;
    }
    let end = udp_len.clamp(8, datagram.len());
    let ip_header_len: u32 = if src.is_ipv4() { 20 } else { 40 };
    Decoded::Packet(Packet {
        ts,
        src,
        dst,
        src_port: sp,
        dst_port: dp,
        protocol: L4Protocol::Udp,
        ip_len: ip_header_len + u32::try_from(datagram.len()).unwrap_or(u32::MAX),
        tcp: None,
        payload: &datagram[8..end],
    })
}

/// Whether `link` is one this crate decodes.
pub(crate) fn is_supported_link(link: LinkType) -> bool {
    link::is_supported(link)
}

/// Counts of what decoding gave, kept apart from [`crate::Stats`] so that
/// threads can count on their own and add up.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DecodeTally {
    pub(crate) packets_tracked: u64,
    pub(crate) frames_skipped: u64,
    pub(crate) frames_malformed: u64,
    pub(crate) frames_unsupported_link: u64,
    /// Fragments buffered without completing a datagram.
    pub(crate) ipv4_fragments: u64,
}

impl DecodeTally {
    /// Counts one outcome. A fragment is counted by the caller, once the
    /// reassembler has said whether it completed a datagram.
    pub(crate) fn count(&mut self, decoded: &Decoded<'_>) {
        match decoded {
            Decoded::Packet(_) => self.packets_tracked += 1,
            Decoded::Skipped => self.frames_skipped += 1,
            Decoded::Malformed => self.frames_malformed += 1,
            Decoded::UnsupportedLink => self.frames_unsupported_link += 1,
            Decoded::Fragment(_) => {}
        }
    }

    /// Counts the reassembler's answer to one fragment.
    pub(crate) fn count_reassembly(&mut self, outcome: Option<&Decoded<'_>>) {
        match outcome {
            Some(decoded) => self.count(decoded),
            None => self.ipv4_fragments += 1,
        }
    }

    pub(crate) fn add(&mut self, other: &Self) {
        self.packets_tracked += other.packets_tracked;
        self.frames_skipped += other.frames_skipped;
        self.frames_malformed += other.frames_malformed;
        self.frames_unsupported_link += other.frames_unsupported_link;
        self.ipv4_fragments += other.ipv4_fragments;
    }
}
