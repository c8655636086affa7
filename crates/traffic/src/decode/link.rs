//! Link layers down to the network layer: Ethernet with 802.1Q/802.1ad
//! (QinQ) tags, Linux SLL and SLL2, BSD NULL/loopback and raw IP.
//!
//! Hand-written: each is a fixed header plus an EtherType, and going
//! through etherparse's `LaxSlicedPacket` here moved a ~300-byte struct per
//! frame, which was a quarter of the run time on large captures.

use crate::capture::LinkType;

/// DLT_RAW as written by some BSDs into pcap files (12 and 14 are the DLT
/// numbers that leaked into LINKTYPE space before 101 existed).
const LINKTYPE_RAW_BSD_12: LinkType = LinkType(12);
const LINKTYPE_RAW_BSD_14: LinkType = LinkType(14);

pub(super) const ETHERTYPE_IPV4: u16 = 0x0800;
pub(super) const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_OLD: u16 = 0x9100;
/// Stacked VLAN tags followed; more are treated as malformed.
const MAX_VLAN_TAGS: usize = 3;

/// Result of peeling the link layer.
pub(super) enum Network<'a> {
    /// The EtherType (or equivalent) and the network-layer bytes.
    Layer(u16, &'a [u8]),
    Unsupported,
    Malformed,
}

pub(super) fn is_supported(link: LinkType) -> bool {
    matches!(
        link,
        LinkType::ETHERNET
            | LinkType::LINUX_SLL
            | LinkType::LINUX_SLL2
            | LinkType::NULL
            | LinkType::LOOP
            | LinkType::RAW
            | LinkType::IPV4
            | LinkType::IPV6
            | LINKTYPE_RAW_BSD_12
            | LINKTYPE_RAW_BSD_14
    )
}

pub(super) fn network_layer(link: LinkType, data: &[u8]) -> Network<'_> {
    match link {
        // dst(6) src(6) type(2), then tags of TCI(2) type(2).
        LinkType::ETHERNET => by_ether_type(data, 12, 14),
        // SLL: packet type(2) ARPHRD(2) addr len(2) addr(8) protocol(2).
        LinkType::LINUX_SLL => by_ether_type(data, 14, 16),
        // SLL2: protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1)
        // addr len(1) addr(8).
        LinkType::LINUX_SLL2 => by_ether_type(data, 0, 20),
        // The 4-byte address family is in the capturing host's byte order
        // (NULL) or network order (LOOP), and AF_INET6 differs between
        // systems; the IP version nibble is unambiguous, so use that.
        LinkType::NULL | LinkType::LOOP => by_ip_version(data.get(4..)),
        LinkType::RAW
        | LinkType::IPV4
        | LinkType::IPV6
        | LINKTYPE_RAW_BSD_12
        | LINKTYPE_RAW_BSD_14 => by_ip_version(Some(data)),
        _ => Network::Unsupported,
    }
}

fn by_ether_type(data: &[u8], type_at: usize, header_len: usize) -> Network<'_> {
    let (Some(ty), Some(mut payload)) = (data.get(type_at..type_at + 2), data.get(header_len..))
    else {
        return Network::Malformed;
    };
    let mut ether_type = u16::from_be_bytes([ty[0], ty[1]]);
    for _ in 0..MAX_VLAN_TAGS {
        if !matches!(
            ether_type,
            ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_OLD
        ) {
            return Network::Layer(ether_type, payload);
        }
        let Some(tag) = payload.get(..4) else {
            return Network::Malformed;
        };
        ether_type = u16::from_be_bytes([tag[2], tag[3]]);
        payload = &payload[4..];
    }
    Network::Malformed
}

fn by_ip_version(data: Option<&[u8]>) -> Network<'_> {
    let Some(data) = data else {
        return Network::Malformed;
    };
    match data.first().map(|b| b >> 4) {
        Some(4) => Network::Layer(ETHERTYPE_IPV4, data),
        Some(6) => Network::Layer(ETHERTYPE_IPV6, data),
        Some(_) => Network::Layer(0, data),
        None => Network::Malformed,
    }
}

#[cfg(test)]
mod tests {
    use super::{ETHERTYPE_IPV4, ETHERTYPE_IPV6, Network, network_layer};
    use crate::capture::LinkType;

    fn layer(link: LinkType, data: &[u8]) -> Option<(u16, usize)> {
        match network_layer(link, data) {
            Network::Layer(t, p) => Some((t, data.len() - p.len())),
            _ => None,
        }
    }

    #[test]
    fn ethernet_with_stacked_tags() {
        let mut frame = vec![0u8; 12];
        frame.extend([
            0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x64, 0x08, 0x00, 0x45,
        ]);
        assert_eq!(
            layer(LinkType::ETHERNET, &frame),
            Some((ETHERTYPE_IPV4, 22))
        );
        let mut too_deep = vec![0u8; 12];
        for _ in 0..4 {
            too_deep.extend([0x81, 0x00, 0x00, 0x01]);
        }
        too_deep.extend([0x08, 0x00]);
        assert_eq!(layer(LinkType::ETHERNET, &too_deep), None);
        assert_eq!(layer(LinkType::ETHERNET, &[0; 13]), None);
    }

    #[test]
    fn cooked_and_loopback() {
        let mut sll = vec![0u8; 14];
        sll.extend([0x86, 0xdd, 0x60]);
        assert_eq!(layer(LinkType::LINUX_SLL, &sll), Some((ETHERTYPE_IPV6, 16)));
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend([0u8; 18]);
        sll2.push(0x45);
        assert_eq!(
            layer(LinkType::LINUX_SLL2, &sll2),
            Some((ETHERTYPE_IPV4, 20))
        );
        // BSD NULL, AF_INET = 2 in little-endian host order.
        assert_eq!(
            layer(LinkType::NULL, &[2, 0, 0, 0, 0x45]),
            Some((ETHERTYPE_IPV4, 4))
        );
        assert_eq!(layer(LinkType::RAW, &[0x60]), Some((ETHERTYPE_IPV6, 0)));
        assert!(matches!(
            network_layer(LinkType(147), &[0]),
            Network::Unsupported
        ));
    }
}
