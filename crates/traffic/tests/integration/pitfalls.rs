//! The pitfalls found on real data (reference: shared/reference/traffic.md
//! §0.7 and §6), each as a test on the fixtures; no external tools needed.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::net::{IpAddr, Ipv6Addr};

use crate::common::{Pcap, fixture, fixtures, vlan_tag};
use smbguard_traffic::{Analysis, FlowRecord, Initiator, NetbiosKind, Options, analyze_bytes};

fn analyze(data: &[u8]) -> Analysis {
    analyze_bytes(data, &Options::default()).unwrap()
}

fn dialect(r: &FlowRecord) -> Option<String> {
    r.smb.dialect.map(|d| d.to_string())
}

/// Ethernet fixtures, decoded.
fn ethernet_fixtures() -> Vec<(String, Pcap)> {
    fixtures()
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                Pcap::parse(&std::fs::read(&p).unwrap()),
            )
        })
        .filter(|(_, p)| p.link_type == 1)
        .collect()
}

/// Rewrites every frame of a copy and returns the analysis of the result.
fn rewritten(pcap: &Pcap, link_type: u32, f: impl Fn(&[u8]) -> Vec<u8>) -> Analysis {
    let mut copy = pcap.clone();
    copy.link_type = link_type;
    for (_, _, frame) in &mut copy.frames {
        *frame = f(frame);
    }
    analyze(&copy.write(false, false))
}

#[test]
fn smb1_offered_is_not_smb1_used() {
    // A modern client's SMB1 NEGOTIATE lists "NT LM 0.12" next to
    // "SMB 2.002"/"SMB 2.???"; the server answers in SMB2 (frame 5, 0x02FF
    // wildcard), then 2.1 is negotiated (frame 7).
    let a = analyze(&fixture("sv__smb1_to_smb2_transition_c_share.pcap"));
    let f = &a.flows[0];
    assert!(f.smb.offered_smb1);
    assert!(!f.smb.smb1_used);
    assert_eq!(dialect(f).as_deref(), Some("2.1"));
    assert_eq!(f.smb.share_names().collect::<Vec<_>>(), vec!["IPC$", "C$"]);

    // SMB1 LANMAN negotiate: the server picks index 3, "LANMAN2.1".
    let a = analyze(&fixture("zeek__smb1_negotiate_lanman.pcap"));
    assert!(a.flows[0].smb.smb1_used);
    assert_eq!(a.flows[0].smb.smb1_dialect.as_deref(), Some("LANMAN2.1"));

    // Multi-protocol negotiate answered by the wildcard, then 3.1.1.
    let a = analyze(&fixture("zeek__smb3_negotiate_context.pcap"));
    let f = a.flows.iter().find(|f| f.smb.dialect.is_some()).unwrap();
    assert_eq!(
        (dialect(f).as_deref(), f.smb.offered_smb1, f.smb.smb1_used),
        (Some("3.1.1"), true, false)
    );

    // SMB1 really used, NT LM 0.12.
    let a = analyze(&fixture("sv__smb1_file_transfer_public_ips.pcap"));
    assert!(
        a.flows
            .iter()
            .all(|f| f.smb.smb1_used && f.smb.smb1_dialect.as_deref() == Some("NT LM 0.12"))
    );
}

#[test]
fn encrypted_and_cleartext_smb3() {
    let a = analyze(&fixture("zeek__smb311_encrypted_transform_only.pcap"));
    let f = &a.flows[0];
    assert!(f.smb.encrypted && f.smb.encryption.transform_seen);
    assert_eq!(dialect(f).as_deref(), Some("3.1.1"));
    // 3.0.2 negotiated but nothing encrypted (and BSD NULL link type).
    let a = analyze(&fixture("sv__smb302_cleartext_loopback.pcap"));
    assert_eq!(a.flows.len(), 1);
    assert_eq!(dialect(&a.flows[0]).as_deref(), Some("3.0.2"));
    assert!(!a.flows[0].smb.encrypted);
}

#[test]
fn admin_shares_and_pipes() {
    let a = analyze(&fixture("sv__smb210_psexec_add_user_nbns.pcap"));
    let shares: Vec<String> = a.flows.iter().flat_map(|f| f.smb.share_names()).collect();
    assert!(shares.contains(&"ADMIN$".to_owned()) && shares.contains(&"IPC$".to_owned()));
    assert!(
        a.flows
            .iter()
            .any(|f| f.smb.pipes.contains(&"svcctl".to_owned()))
    );
    let names: Vec<&String> = a.flows.iter().flat_map(|f| &f.smb.netbios_names).collect();
    assert!(names.iter().any(|n| *n == "WPAD<00>"));
    assert!(
        a.flows
            .iter()
            .any(|f| f.smb.netbios == Some(NetbiosKind::Datagram))
    );

    let a = analyze(&fixture("sv__smb210_net_user_domain_to_dc.pcap"));
    assert_eq!(a.flows[0].smb.pipes, vec!["samr", "lsarpc"]);
}

#[test]
fn compound_requests_are_all_dissected() {
    // tshark counts 168 SMB2 messages in this capture (`-Y smb2 -e smb2.cmd`),
    // mostly in CREATE+QUERY_DIRECTORY+CLOSE chains, plus one SMB1 NEGOTIATE.
    let a = analyze(&fixture("sv__smb302_cleartext_file_delete.pcap"));
    assert_eq!(a.stats.smb_messages, 169);
    assert_eq!(a.stats.smb_malformed, 0);
    let f = a.flows.iter().find(|f| !f.smb.shares.is_empty()).unwrap();
    assert_eq!(f.smb.shares, vec![r"\\192.168.1.51\SAND"]);
}

#[test]
fn vlan_tags_mixed_with_untagged_frames() {
    for (name, pcap) in ethernet_fixtures() {
        let original = analyze(&pcap.write(false, false));
        let mut copy = pcap.clone();
        for (i, (_, _, frame)) in copy.frames.iter_mut().enumerate() {
            *frame = vlan_tag(frame, i % 3, 42); // untagged, 802.1Q, QinQ
        }
        let tagged = analyze(&copy.write(false, false));
        assert_eq!(tagged.flows, original.flows, "{name}");
        assert_eq!(
            tagged.stats.packets_tracked, original.stats.packets_tracked,
            "{name}"
        );
    }
}

/// Sets the IPv4 header and TCP/UDP checksums of an Ethernet frame to junk.
fn break_checksums(frame: &[u8]) -> Vec<u8> {
    let mut f = frame.to_vec();
    if f.len() < 34 || f[12..14] != [0x08, 0x00] {
        return f;
    }
    let ihl = usize::from(f[14] & 0x0f) * 4;
    f[24..26].copy_from_slice(&[0xde, 0xad]);
    let at = match f[23] {
        6 => 14 + ihl + 16,
        17 => 14 + ihl + 6,
        _ => return f,
    };
    if f.len() >= at + 2 {
        f[at..at + 2].copy_from_slice(&[0xbe, 0xef]);
    }
    f
}

#[test]
fn bad_checksums_are_ignored() {
    // Offloaded checksums: 688 of 689 TCP segments of the loopback fixture
    // have a bad checksum (tshark -o tcp.check_checksum:TRUE) and it is
    // still fully analysed (see encrypted_and_cleartext_smb3). Breaking
    // every checksum of every fixture changes nothing.
    for (name, pcap) in ethernet_fixtures() {
        let original = analyze(&pcap.write(false, false));
        let broken = rewritten(&pcap, 1, break_checksums);
        assert_eq!(broken.flows, original.flows, "{name}");
    }
}

/// Turns an Ethernet frame into another link type's frame.
type Reframe = Box<dyn Fn(&[u8]) -> Vec<u8>>;

#[test]
fn linux_cooked_and_loopback_link_types() {
    // Real SLL capture: SMB1 write to \\192.168.1.3\PUBLIC.
    let a = analyze(&fixture("sv__smb1_write_linux_sll.pcap"));
    assert_eq!(a.flows.len(), 1);
    assert_eq!(a.flows[0].smb.shares, vec![r"\\192.168.1.3\PUBLIC"]);
    assert!(a.flows[0].smb.smb1_used);

    // Every Ethernet fixture re-framed as SLL, SLL2, NULL (both byte
    // orders), LOOP and raw IP gives the same flows.
    for (name, pcap) in ethernet_fixtures() {
        let original = analyze(&pcap.write(false, false));
        let family = |f: &[u8]| if f[12..14] == [0x86, 0xdd] { 30u32 } else { 2 };
        let variants: [(u32, Reframe); 6] = [
            (
                113,
                Box::new(|f| [&[0, 0, 0, 1, 0, 6], &f[6..12], &[0, 0], &f[12..]].concat()),
            ),
            (
                276,
                Box::new(|f| {
                    [
                        &f[12..14],
                        &[0, 0, 0, 0, 0, 2, 0, 1, 0, 6],
                        &f[6..12],
                        &[0, 0],
                        &f[14..],
                    ]
                    .concat()
                }),
            ),
            (
                0,
                Box::new(move |f| [&family(f).to_le_bytes()[..], &f[14..]].concat()),
            ),
            (
                0,
                Box::new(move |f| [&family(f).to_be_bytes()[..], &f[14..]].concat()),
            ),
            (
                108,
                Box::new(move |f| [&family(f).to_be_bytes()[..], &f[14..]].concat()),
            ),
            (101, Box::new(|f| f[14..].to_vec())),
        ];
        for (link, convert) in variants {
            // Only IP frames survive the conversion to NULL/raw, and only
            // those matter.
            let ip_only =
                |f: &[u8]| f.len() > 14 && (f[12..14] == [0x08, 0x00] || f[12..14] == [0x86, 0xdd]);
            let mut ip = pcap.clone();
            ip.frames.retain(|(_, _, f)| ip_only(f));
            let converted = rewritten(&ip, link, |f| convert(f));
            assert_eq!(
                converted.flows, original.flows,
                "{name} as link type {link}"
            );
        }
    }
}

/// IPv4 Ethernet frame to IPv6 (2001:db8::a.b.c.d), optionally with a
/// hop-by-hop extension header in front of TCP/UDP.
fn to_ipv6(frame: &[u8], hop_by_hop: bool) -> Vec<u8> {
    if frame.len() < 34 || frame[12..14] != [0x08, 0x00] {
        return frame.to_vec();
    }
    let ip = &frame[14..];
    let ihl = usize::from(ip[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([ip[2], ip[3]])).min(ip.len());
    let payload = &ip[ihl..total];
    let ext: &[u8] = if hop_by_hop {
        &[0, 0, 1, 4, 0, 0, 0, 0]
    } else {
        &[]
    };
    let mut out = frame[..12].to_vec();
    out.extend([0x86, 0xdd, 0x60, 0, 0, 0]);
    out.extend(
        u16::try_from(payload.len() + ext.len())
            .unwrap()
            .to_be_bytes(),
    );
    if hop_by_hop {
        out.push(0); // next header: hop-by-hop options
        out.push(64);
        out.extend(v6(&ip[12..16]));
        out.extend(v6(&ip[16..20]));
        out.push(ip[9]);
        out.extend(&ext[1..]);
    } else {
        out.push(ip[9]);
        out.push(64);
        out.extend(v6(&ip[12..16]));
        out.extend(v6(&ip[16..20]));
    }
    out.extend(payload);
    out
}

fn v6(v4: &[u8]) -> [u8; 16] {
    let mut a = [0u8; 16];
    a[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    a[12..].copy_from_slice(v4);
    a
}

#[test]
fn ipv6_gives_the_same_facts() {
    for (name, pcap) in ethernet_fixtures() {
        let original = analyze(&pcap.write(false, false));
        for hbh in [false, true] {
            let converted = rewritten(&pcap, 1, |f| to_ipv6(f, hbh));
            let mapped: Vec<FlowRecord> = original
                .flows
                .iter()
                .filter(|f| f.client.is_ipv4())
                .cloned()
                .collect();
            let v6_flows: Vec<&FlowRecord> = converted
                .flows
                .iter()
                .filter(|f| f.client.is_ipv6())
                .collect();
            let to_v6 = |a: IpAddr| match a {
                IpAddr::V4(a) => IpAddr::V6(Ipv6Addr::from(v6(&a.octets()))),
                other => other,
            };
            for f in &mapped {
                let g = v6_flows
                    .iter()
                    .find(|g| {
                        g.client == to_v6(f.client)
                            && g.client_port == f.client_port
                            && g.server_port == f.server_port
                    })
                    .unwrap_or_else(|| panic!("{name}: no IPv6 flow for {f:?}"));
                assert_eq!(g.smb, f.smb, "{name} hbh={hbh}");
                assert_eq!(g.packets_to_server, f.packets_to_server, "{name}");
                assert_eq!(g.packets_to_client, f.packets_to_client, "{name}");
            }
        }
    }
}

#[test]
fn fragmented_nbns_is_reassembled() {
    // sv__smb210_psexec_add_user_nbns.pcap frame 58 (WPAD<00> query), split
    // into 8-byte IPv4 fragments, sent last fragment first.
    let pcap = Pcap::parse(&fixture("sv__smb210_psexec_add_user_nbns.pcap"));
    let frame = &pcap.frames[57].2;
    let (eth, ip) = frame.split_at(14);
    let udp = &ip[20..usize::from(u16::from_be_bytes([ip[2], ip[3]]))];
    let mut fragments: Vec<Vec<u8>> = udp
        .chunks(8)
        .enumerate()
        .map(|(i, chunk)| {
            let more = (i + 1) * 8 < udp.len();
            let mut h = ip[..20].to_vec();
            h[2..4].copy_from_slice(&u16::try_from(20 + chunk.len()).unwrap().to_be_bytes());
            h[6..8].copy_from_slice(
                &(u16::from(more) << 13 | u16::try_from(i).unwrap()).to_be_bytes(),
            );
            [eth, &h, chunk].concat()
        })
        .collect();
    fragments.reverse();
    let mut p = pcap.clone();
    p.frames = fragments.into_iter().map(|f| (1, 0, f)).collect();
    let a = analyze(&p.write(false, false));
    assert_eq!(a.stats.ipv4_fragments, p.frames.len() as u64 - 1);
    assert_eq!(a.flows.len(), 1);
    let f = &a.flows[0];
    assert_eq!(f.packets_to_server, 1);
    assert_eq!(f.smb.netbios_names, vec!["WPAD<00>"]);
    assert_eq!(f.initiator, Initiator::FirstPacket);
}

/// Replaces `from` by `to` in the TCP/UDP ports of an IPv4 Ethernet frame.
fn move_port(frame: &[u8], from: u16, to: u16) -> Vec<u8> {
    let mut f = frame.to_vec();
    if f.len() < 38 || f[12..14] != [0x08, 0x00] {
        return f;
    }
    let l4 = 14 + usize::from(f[14] & 0x0f) * 4;
    for at in [l4, l4 + 2] {
        if f[at..at + 2] == from.to_be_bytes() {
            f[at..at + 2].copy_from_slice(&to.to_be_bytes());
        }
    }
    f
}

#[test]
fn optional_ports_are_opt_in() {
    let mut quic = Options::default();
    quic.track_quic = true;
    let mut direct = Options::default();
    direct.track_smb_direct = true;

    // NBNS moved to UDP 443 stands in for SMB over QUIC.
    let nbns = Pcap::parse(&fixture("sv__smb210_psexec_add_user_nbns.pcap"));
    let mut on_443 = nbns.clone();
    on_443
        .frames
        .retain(|(_, _, f)| f.len() > 37 && f[23] == 17);
    for (_, _, f) in &mut on_443.frames {
        *f = move_port(f, 137, 443);
    }
    let data = on_443.write(false, false);
    assert!(analyze(&data).flows.iter().all(|f| f.server_port != 443));
    let a = analyze_bytes(&data, &quic).unwrap();
    let f = a.flows.iter().find(|f| f.server_port == 443).unwrap();
    assert_eq!(f.service, smbguard_traffic::Service::SmbOverQuic);
    assert_eq!(f.smb.netbios, None);

    // SMB moved to TCP 5445 stands in for SMB Direct: tracked, not dissected.
    let lanman = Pcap::parse(&fixture("zeek__smb1_negotiate_lanman.pcap"));
    let moved = rewritten(&lanman, 1, |f| move_port(f, 445, 5445));
    assert!(moved.flows.is_empty());
    let mut copy = lanman.clone();
    for (_, _, f) in &mut copy.frames {
        *f = move_port(f, 445, 5445);
    }
    let a = analyze_bytes(&copy.write(false, false), &direct).unwrap();
    assert_eq!(a.flows.len(), 1);
    assert_eq!(a.flows[0].service, smbguard_traffic::Service::SmbDirect);
    assert_eq!(a.flows[0].smb.dialect, None);
}

/// Frame `number` (1-based, as tshark counts) of a fixture with the
/// 4 bytes `at` past the first `magic` (an SMB header) replaced.
fn patched(name: &str, edits: &[(usize, &[u8], usize, [u8; 4])]) -> Analysis {
    let mut pcap = Pcap::parse(&fixture(name));
    for &(number, magic, at, bytes) in edits {
        let frame = &mut pcap.frames[number - 1].2;
        let start = frame
            .windows(magic.len())
            .position(|w| w == magic)
            .unwrap_or_else(|| panic!("{name} frame {number} has no SMB header"));
        frame[start + at..start + at + 4].copy_from_slice(&bytes);
    }
    analyze(&pcap.write(false, false))
}

#[test]
fn share_encrypt_flag_is_0x8000_not_0x0008() {
    // sv__smb302_cleartext_loopback.pcap frame 23: SMB 3.0.2 TREE_CONNECT
    // response, ShareFlags 0x00000830 (bytes 8..12 of the body, 72 past the
    // SMB2 header start). With SMB2_SHAREFLAG_ENCRYPT_DATA set the share is
    // encrypted; bit 0x0008, which the analyser used to test, is not it.
    let body_flags = 64 + 4;
    let a = patched(
        "sv__smb302_cleartext_loopback.pcap",
        &[(23, b"\xfeSMB", body_flags, 0x0000_8830u32.to_le_bytes())],
    );
    let enc: Vec<_> = a
        .flows
        .iter()
        .filter(|f| f.smb.encryption.share_flag)
        .collect();
    assert_eq!(enc.len(), 1, "the ENCRYPT_DATA share is encrypted");
    assert!(enc[0].smb.encrypted);

    let a = patched(
        "sv__smb302_cleartext_loopback.pcap",
        &[(23, b"\xfeSMB", body_flags, 0x0000_0838u32.to_le_bytes())],
    );
    assert!(
        a.flows.iter().all(|f| !f.smb.encrypted),
        "0x0008 is not encryption"
    );
}

#[test]
fn smb1_tree_connect_service_outside_byte_count_keeps_the_path() {
    // sv__smb1_file_transfer_public_ips.pcap frame 11: TREE_CONNECT_ANDX
    // for \\127.0.0.1\VIDEOS, ByteCount 45 (SMB offset 41), repeated in
    // frames 13 and 19 of the same flow. Cut to 39 in all three, the service
    // string lies past the block, as EternalBlue sends it.
    let a = patched(
        "sv__smb1_file_transfer_public_ips.pcap",
        &[11, 13, 19].map(|n| (n, &b"\xffSMB\x75"[..], 40, [0x00, 39, 0x00, 0x00])),
    );
    let f = a
        .flows
        .iter()
        .find(|f| !f.smb.anomalies.is_empty())
        .expect("the malformation is flagged");
    assert_eq!(
        f.smb.anomalies,
        vec![smbguard_traffic::Anomaly::Smb1TreeConnectOutsideByteCount]
    );
    assert_eq!(f.smb.shares, vec![r"\\127.0.0.1\VIDEOS".to_owned()]);
}

#[test]
fn refused_session_setup_and_tree_connect_are_denials() {
    use smbguard_traffic::{NtStatus, Operation};
    // sv__smb210_psexec_add_user_nbns.pcap frame 18: final SESSION_SETUP
    // response; frame 20: TREE_CONNECT response for \\dc1\ADMIN$. Their
    // Status (SMB2 header offset 8) set to LOGON_FAILURE and ACCESS_DENIED.
    let a = patched(
        "sv__smb210_psexec_add_user_nbns.pcap",
        &[
            (18, b"\xfeSMB", 8, 0xc000_006du32.to_le_bytes()),
            (20, b"\xfeSMB", 8, 0xc000_0022u32.to_le_bytes()),
        ],
    );
    let f = a.flows.iter().find(|f| !f.smb.denied.is_empty()).unwrap();
    assert_eq!(f.smb.session_setup_status, Some(NtStatus(0xc000_006d)));
    assert_eq!(f.smb.denied.len(), 2);
    assert_eq!(f.smb.denied[0].operation, Operation::SessionSetup);
    assert_eq!(f.smb.denied[0].status.to_string(), "STATUS_LOGON_FAILURE");
    assert_eq!(f.smb.denied[1].operation, Operation::TreeConnect);
    assert_eq!(f.smb.denied[1].status.to_string(), "STATUS_ACCESS_DENIED");
    assert_eq!(f.smb.denied[1].share.as_deref(), Some(r"\\dc1\ADMIN$"));

    // SMB1: sv__smb1_file_transfer_public_ips.pcap frame 12 answers the
    // TREE_CONNECT_ANDX of frame 11 (Status at SMB1 offset 5).
    let a = patched(
        "sv__smb1_file_transfer_public_ips.pcap",
        &[(12, b"\xffSMB\x75", 5, 0xc000_00ccu32.to_le_bytes())],
    );
    let denied: Vec<_> = a.flows.iter().flat_map(|f| &f.smb.denied).collect();
    assert_eq!(denied.len(), 1);
    assert_eq!(denied[0].status.to_string(), "STATUS_BAD_NETWORK_NAME");
    assert_eq!(denied[0].share.as_deref(), Some(r"\\127.0.0.1\VIDEOS"));
    // Unpatched captures have no denials.
    let a = analyze(&fixture("sv__smb210_psexec_add_user_nbns.pcap"));
    assert!(a.flows.iter().all(|f| f.smb.denied.is_empty()));
}

#[test]
fn logon_failures_on_a_real_capture_are_denials() {
    // sv__mixed_lan_nbns_nbdgm_139_smb2_smb3.pcap frames 710, 720, 730, 740,
    // 766: SESSION_SETUP responses with STATUS_LOGON_FAILURE on the flows
    // from ports 49670..=49674 (tshark `smb2.nt_status==0xc000006d`).
    let a = analyze(&fixture("sv__mixed_lan_nbns_nbdgm_139_smb2_smb3.pcap"));
    let mut ports: Vec<u16> = a
        .flows
        .iter()
        .filter(|f| {
            f.smb
                .denied
                .iter()
                .any(|d| d.status.to_string() == "STATUS_LOGON_FAILURE")
        })
        .map(|f| f.client_port)
        .collect();
    ports.sort_unstable();
    assert_eq!(ports, vec![49670, 49671, 49672, 49673, 49674]);
}

#[test]
fn gzip_and_zstd_captures_are_read_like_the_plain_ones() {
    // Issue 15: tshark reads .pcap.gz and .pcap.zst; smbguard refused them
    // as an unknown format. Every entry point must give the plain result.
    use std::io::Write;
    for path in fixtures() {
        let plain = std::fs::read(&path).unwrap();
        let expected = analyze(&plain);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&plain).unwrap();
        let gz = gz.finish().unwrap();
        let zst = zstd::stream::encode_all(&plain[..], 3).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for (ext, data) in [("gz", &gz), ("zst", &zst)] {
            let file = crate::common::scratch_dir().join(format!("{name}.{ext}"));
            std::fs::write(&file, data).unwrap();
            let opts = Options::default();
            let results = [
                analyze(data),
                smbguard_traffic::analyze_reader(&data[..], &opts).unwrap(),
                smbguard_traffic::analyze_file(&file, &opts).unwrap(),
                smbguard_traffic::analyze_file(&file, &opts.clone().with_threads(2)).unwrap(),
                smbguard_traffic::analyze_file_mmap(&file, &opts).unwrap(),
            ];
            for (i, got) in results.iter().enumerate() {
                assert_eq!(got.flows, expected.flows, "{name}.{ext} entry point {i}");
            }
        }
    }
}
