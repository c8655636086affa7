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

use etherparse::{IpNumber, Ipv4HeaderSlice, LaxIpSlice, TcpSlice, UdpSlice};

use crate::capture::{LinkType, RawFrame};
use crate::flow::{L4Protocol, PortSet, Service};
use crate::timestamp::Timestamp;

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

/// What decoding one frame gave.
#[derive(Debug)]
pub(crate) enum Decoded<'a> {
    /// A packet to or from a tracked port.
    Packet(Packet<'a>),
    /// IP traffic on other ports, or non-IP frames: skipped.
    Skipped,
    /// An IPv4 fragment was buffered for reassembly.
    Fragment,
    /// The link type is not supported.
    UnsupportedLink,
    /// Too short or malformed to reach the transport header.
    Malformed,
}

/// Frame decoder; owns the fragment reassembly state.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    ports: PortSet,
    defrag: defrag::Defrag,
}

impl Decoder {
    pub(crate) fn new(ports: PortSet) -> Self {
        Self {
            ports,
            defrag: defrag::Defrag::default(),
        }
    }

    /// Decodes one frame. The common case, a frame on an untracked port,
    /// costs a few header reads and no allocation.
    pub(crate) fn decode<'s, 'f: 's>(&'s mut self, frame: &RawFrame<'f>) -> Decoded<'s> {
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
                    self.fragment(frame.ts, v4.header(), payload.payload)
                }
                _ => Decoded::Skipped,
            };
        }
        let l4 = payload.payload;
        // Both TCP and UDP start with the two ports: filter before anything
        // else is looked at.
        let Some(ports) = l4.get(..4) else {
            return Decoded::Malformed;
        };
        let sp = u16::from_be_bytes([ports[0], ports[1]]);
        let dp = u16::from_be_bytes([ports[2], ports[3]]);
        if !is_tracked(protocol, sp, dp, self.ports) {
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

    fn fragment(&mut self, ts: Timestamp, h: Ipv4HeaderSlice<'_>, payload: &[u8]) -> Decoded<'_> {
        let key = defrag::FragKey {
            src: h.source_addr(),
            dst: h.destination_addr(),
            id: h.identification(),
        };
        let offset = usize::from(h.fragments_offset().byte_offset());
        match self
            .defrag
            .add(key, ts, offset, h.more_fragments(), payload)
        {
            Some(datagram) => udp_datagram(
                ts,
                IpAddr::V4(key.src),
                IpAddr::V4(key.dst),
                datagram,
                self.ports,
            ),
            None => Decoded::Fragment,
        }
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
