//! Reassembly and dissection tests on whole NBSS streams, with PDUs cut from
//! the fixtures in fixtures/pcaps.

use super::{DissectCounters, SmbConnection, SmbFacts};
use crate::decode::Direction;
use crate::decode::TcpMeta;
use crate::test_util::hex;

/// sv__smb210_psexec_add_user_nbns.pcap frame 15: SMB2 NEGOTIATE response
/// choosing 2.1 (whole TCP payload, NBSS header included).
const NEGOTIATE_RESPONSE_2_10: &str = "\
    000000f8fe534d4240000000000000000000010001000000000000000100000000000000fffe00000000000000000000\
    00000000000000000000000000000000000000004100030010020000acb9aade1e2315418a6dc95db7d6905b07000000\
    0000100000001000000010002bb7ece51d41d301c8e466f11541d3018000780000000000607606062b0601050502a06c\
    306aa03c303a060a2b06010401823702021e06092a864882f71201020206092a864886f712010202060a2a864886f712\
    01020203060a2b06010401823702020aa32a3028a0261b246e6f745f646566696e65645f696e5f524643343137384070\
    6c656173655f69676e6f7265";

/// Same capture, frame 148: TREE_CONNECT request for \\dc1\IPC$ (message
/// id 2), and frame 149: its response (TreeId 1, share type PIPE).
const TREE_CONNECT_IPC: &str = "\
    0000005cfe534d4240000100000000000300010008000000000000000200000000000000fffe000000000000450000040024\
    000054e7bf2940046b0e3c9feb8aa6f4a7f109000000480014005c005c006400630031005c004900500043002400";
const TREE_CONNECT_IPC_RESPONSE: &str = "\
    00000050fe534d4240000100000000000300010009000000000000000200000000000000\
    fffe0000010000004500000400240000750277e3afee780aa345089157ccad1b\
    100002003000000000000000ff011f01";
/// Frame 150: CREATE of the pipe "svcctl" on TreeId 1.
const CREATE_SVCCTL: &str = "\
    00000084fe534d4240000100000000000500010008000000000000000300000000000000\
    fffe00000100000045000004002400007427a36b96544ed96a9f0cfaa8d2b6b3\
    3900000002000000000000000000000000000000000000009f011200000000000700\
    0000010000004000400078000c000000000000000000730076006300630074006c00";

/// sv__smb302_cleartext_file_delete.pcap frame 27: compound CREATE +
/// QUERY_INFO + CLOSE (NextCommand 0x98, 0x68), related operations.
const COMPOUND_CREATE_QUERY_CLOSE: &str = "\
    00000158fe534d4240000100000000000500000100000000980000000500000000000000fffe00000100000039000000\
    007000000000000000000000000000000000000039000000020000000000000000000000000000000000000080001000\
    100000000700000001000000010000007800000080000000180000000000000000000000000000001000040000000000\
    000000004d78416300000000fe534d4240000100000000001000000104000000680000000600000000000000fffe0000\
    01000000390000000070000000000000000000000000000000000000290002031800000000000000000000000000000000\
    000000fffffffffffffffffffffffffffffffffe534d4240000100000000000600000104000000000000000700000000\
    000000fffe0000010000003900000000700000000000000000000000000000000000001800000000000000ffffffffffff\
    ffffffffffffffffffff";

/// A TCP connection fed segment by segment.
struct Conn {
    smb: SmbConnection,
    facts: SmbFacts,
    counters: DissectCounters,
    seq: [u32; 2],
}

impl Conn {
    /// A connection whose handshake was seen.
    fn new() -> Self {
        let mut c = Self::midstream();
        for dir in [Direction::ToServer, Direction::ToClient] {
            let syn = TcpMeta {
                seq: c.seq[dir as usize].wrapping_sub(1),
                syn: true,
                ack: dir == Direction::ToClient,
                ..TcpMeta::default()
            };
            c.smb
                .on_segment(dir, syn, &[], &mut c.facts, &mut c.counters);
        }
        c
    }

    /// A connection captured after its handshake.
    fn midstream() -> Self {
        Self {
            smb: SmbConnection::default(),
            facts: SmbFacts::default(),
            counters: DissectCounters::default(),
            // Close to wrap-around, so sequence arithmetic is exercised.
            seq: [0xffff_ff00, 0x7fff_fff0],
        }
    }

    fn send(&mut self, dir: Direction, data: &[u8]) {
        let tcp = TcpMeta {
            seq: self.seq[dir as usize],
            ack: true,
            ..TcpMeta::default()
        };
        self.smb
            .on_segment(dir, tcp, data, &mut self.facts, &mut self.counters);
        self.seq[dir as usize] = self.seq[dir as usize].wrapping_add(data.len() as u32);
    }

    /// Pretends `n` bytes were sent but not captured.
    fn lose(&mut self, dir: Direction, n: usize) {
        self.seq[dir as usize] = self.seq[dir as usize].wrapping_add(n as u32);
    }
}

fn server_stream() -> Vec<u8> {
    let mut s = hex(NEGOTIATE_RESPONSE_2_10);
    s.extend(hex(TREE_CONNECT_IPC_RESPONSE));
    s
}

fn client_stream() -> Vec<u8> {
    let mut s = hex(TREE_CONNECT_IPC);
    s.extend(hex(CREATE_SVCCTL));
    s
}

/// Feeds both directions (client first, cut into `cuts` pieces) and
/// returns the facts.
fn feed_split(cut: impl Fn(&[u8]) -> Vec<Vec<u8>>) -> (SmbFacts, DissectCounters) {
    let mut c = Conn::new();
    let (client, server) = (client_stream(), server_stream());
    // Order matters: the TREE_CONNECT response must follow the request and
    // precede the CREATE. Send the request, then the server side, then the
    // CREATE.
    let request_len = hex(TREE_CONNECT_IPC).len();
    for piece in cut(&client[..request_len]) {
        c.send(Direction::ToServer, &piece);
    }
    for piece in cut(&server) {
        c.send(Direction::ToClient, &piece);
    }
    for piece in cut(&client[request_len..]) {
        c.send(Direction::ToServer, &piece);
    }
    (c.facts, c.counters)
}

fn expected_facts(facts: &SmbFacts) {
    assert_eq!(facts.dialect.map(|d| d.to_string()).as_deref(), Some("2.1"));
    assert_eq!(facts.shares, vec![r"\\dc1\IPC$".to_owned()]);
    assert_eq!(facts.pipes, vec!["svcctl".to_owned()]);
    assert!(!facts.smb1_used && !facts.encrypted);
}

#[test]
fn whole_segments() {
    let (facts, counters) = feed_split(|d| vec![d.to_vec()]);
    expected_facts(&facts);
    assert_eq!(counters.messages, 4);
    assert_eq!(
        (counters.gaps, counters.resyncs, counters.malformed),
        (0, 0, 0)
    );
}

#[test]
fn split_at_every_offset() {
    let whole = feed_split(|d| vec![d.to_vec()]);
    for at in 1..100 {
        let split = feed_split(|d| {
            let at = at.min(d.len() - 1);
            vec![d[..at].to_vec(), d[at..].to_vec()]
        });
        assert_eq!(split, whole, "split at {at}");
    }
}

#[test]
fn one_byte_segments() {
    let whole = feed_split(|d| vec![d.to_vec()]);
    let trickled = feed_split(|d| d.iter().map(|&b| vec![b]).collect());
    assert_eq!(trickled, whole);
}

#[test]
fn retransmissions_are_ignored() {
    let mut c = Conn::new();
    let server = server_stream();
    c.send(Direction::ToClient, &server[..100]);
    let before = c.counters;
    // Resend the same bytes, then an overlapping segment.
    c.seq[1] = c.seq[1].wrapping_sub(100);
    c.send(Direction::ToClient, &server[..100]);
    c.seq[1] = c.seq[1].wrapping_sub(50);
    c.send(Direction::ToClient, &server[50..]);
    // Each PDU dissected once: the NEGOTIATE and TREE_CONNECT responses.
    assert_eq!(before.messages, 0);
    assert_eq!(c.counters.messages, 2);
    assert_eq!(
        c.facts.dialect.map(|d| d.to_string()).as_deref(),
        Some("2.1")
    );
}

#[test]
fn gap_inside_skipped_body_keeps_framing() {
    // A 4000-byte READ response (command 8, not interesting beyond its
    // header), of which bytes 1000..2000 are lost, then the NEGOTIATE
    // response: still dissected without a resync.
    let mut read = hex("00000fa0");
    let mut header = hex(NEGOTIATE_RESPONSE_2_10)[4..68].to_vec();
    header[12] = 8;
    read.extend(header);
    read.resize(4 + 4000, 0xaa);
    let mut c = Conn::new();
    c.send(Direction::ToClient, &read[..1000]);
    c.lose(Direction::ToClient, 1000);
    c.send(Direction::ToClient, &read[2000..]);
    c.send(Direction::ToClient, &hex(NEGOTIATE_RESPONSE_2_10));
    assert_eq!(c.counters.gaps, 1);
    assert_eq!(c.counters.resyncs, 0);
    assert_eq!(
        c.facts.dialect.map(|d| d.to_string()).as_deref(),
        Some("2.1")
    );
}

#[test]
fn gap_across_a_header_resyncs() {
    let mut c = Conn::new();
    let server = server_stream();
    // Lose the middle of the NEGOTIATE response and the start of the next
    // PDU; the TREE_CONNECT response after that is found again.
    let next = hex(NEGOTIATE_RESPONSE_2_10).len();
    c.send(Direction::ToClient, &server[..10]);
    c.lose(Direction::ToClient, next - 10 + 2);
    c.send(Direction::ToClient, &server[next + 2..]);
    c.send(Direction::ToClient, &hex(TREE_CONNECT_IPC_RESPONSE));
    assert_eq!(c.counters.gaps, 1);
    assert_eq!(c.counters.resyncs, 1);
    assert_eq!(c.facts.dialect, None);
    assert_eq!(c.counters.messages, 1);
}

#[test]
fn midstream_capture_finds_the_first_header() {
    let mut c = Conn::midstream();
    // Starts in the middle of one PDU; the next one is dissected.
    let server = server_stream();
    c.send(Direction::ToClient, &server[30..]);
    c.send(Direction::ToClient, &hex(NEGOTIATE_RESPONSE_2_10));
    assert_eq!(c.counters.resyncs, 1);
    assert_eq!(c.counters.messages, 2);
    assert_eq!(
        c.facts.dialect.map(|d| d.to_string()).as_deref(),
        Some("2.1")
    );
}

#[test]
fn compound_chain_is_walked() {
    let mut c = Conn::new();
    c.send(Direction::ToServer, &hex(COMPOUND_CREATE_QUERY_CLOSE));
    assert_eq!(c.counters.messages, 3);
    assert_eq!(c.counters.malformed, 0);
    // The CREATE is on a tree whose TREE_CONNECT was not seen and names a
    // file, not a well-known pipe.
    assert!(c.facts.pipes.is_empty());
}

#[test]
fn smb1_negotiate_offer_is_not_smb1_use() {
    // sv__smb1_to_smb2_transition_c_share.pcap frames 4 and 5: SMB1
    // NEGOTIATE offering NT LM 0.12 and SMB 2.x, answered by an SMB2
    // NEGOTIATE response with the 0x02FF wildcard; frame 7 would then pick
    // 2.1 (here: the psexec 2.1 response stands in).
    let mut c = Conn::new();
    c.send(
        Direction::ToServer,
        &hex(
            "00000045ff534d427200000000180148000000000000000000000000ffffb802000000\
             00002200024e54204c4d20302e31320002534d4220322e3030320002534d4220322e3f3f3f00",
        ),
    );
    let mut wildcard = hex(NEGOTIATE_RESPONSE_2_10);
    wildcard[4 + 64 + 4] = 0xff;
    wildcard[4 + 64 + 5] = 0x02;
    c.send(Direction::ToClient, &wildcard);
    assert!(c.facts.offered_smb1);
    assert!(!c.facts.smb1_used);
    assert_eq!(
        c.facts.dialect.map(|d| d.to_string()).as_deref(),
        Some("2.???")
    );
    c.send(Direction::ToClient, &hex(NEGOTIATE_RESPONSE_2_10));
    assert_eq!(
        c.facts.dialect.map(|d| d.to_string()).as_deref(),
        Some("2.1")
    );
    assert!(!c.facts.smb1_used);
}

#[test]
fn transform_means_encrypted() {
    // zeek__smb311_encrypted_transform_only.pcap frame 7: the first 60
    // bytes of a 160-byte TRANSFORM PDU; the ciphertext is replaced by zeros.
    let mut pdu = hex(
        "0000009cfd534d426807a87d76f1a7d16c854ac9842992094ebfa014fa5a14dc190e01\
         00000000006800000000000100690000ac1c2800003bda74e5",
    );
    pdu.resize(4 + 0x9c, 0);
    let mut c = Conn::new();
    c.send(Direction::ToServer, &pdu);
    assert!(c.facts.encrypted);
    assert!(c.facts.encryption.transform_seen);
    assert_eq!(c.counters.messages, 1);
}
