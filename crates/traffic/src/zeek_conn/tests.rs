//! conn.log reader tests, on hand-written logs in Zeek's default layout
//! (columns as listed in Zeek's `base/protocols/conn/main.zeek`).

use std::net::IpAddr;

use crate::analysis::analyze_bytes;
use crate::capture::InputFormat;
use crate::error::WarningKind;
use crate::flow::{Initiator, L4Protocol, RecordOrigin, Service};
use crate::report::Options;
use crate::smb::NetbiosKind;

const TSV: &str = "\
#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tconn
#open\t2017-12-20-18-00-00
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]
1513789420.546771\tCmES5u32sYpV7JYN\t192.168.10.31\t49282\t192.168.10.10\t445\ttcp\tsmb,gssapi,ntlm\t12.500000\t150000\t2000\tSF\tT\tT\t0\tShADadFf\t22\t150960\t25\t2800\t-
1513789421.000000\tC2\t192.168.10.31\t137\t192.168.10.255\t137\tudp\tdns\t3.000000\t150\t0\tS0\tT\tF\t0\tD\t3\t234\t0\t0\t-
1513789422.000000\tC3\t192.168.10.31\t51000\t93.184.216.34\t443\ttcp\tssl\t1.000000\t1\t1\tSF\tT\tF\t0\tShADadFf\t5\t300\t5\t300\t-
1513789423.000000\tC4\t192.168.10.10\t445\t192.168.10.40\t50123\ttcp\t-\t-\t-\t-\tOTH\tT\tT\t0\tda\t1\t52\t1\t52\t-
this line is broken
#close\t2017-12-20-19-00-00
";

const JSON: &str = r#"{"ts":1513789420.546771,"uid":"CmES5u32sYpV7JYN","id.orig_h":"192.168.10.31","id.orig_p":49282,"id.resp_h":"192.168.10.10","id.resp_p":445,"proto":"tcp","service":"smb","duration":12.5,"orig_bytes":150000,"resp_bytes":2000,"conn_state":"SF","history":"ShADadFf","orig_pkts":22,"orig_ip_bytes":150960,"resp_pkts":25,"resp_ip_bytes":2800}
{"ts":1513789421.0,"uid":"C2","id.orig_h":"fe80::1","id.orig_p":138,"id.resp_h":"fe80::2","id.resp_p":138,"proto":"udp","history":"D","orig_pkts":1,"orig_ip_bytes":229}
{"ts":"not a time"}
"#;

#[test]
fn tsv_log() {
    let a = analyze_bytes(TSV.as_bytes(), &Options::default()).unwrap();
    assert_eq!(a.input_format, Some(InputFormat::ZeekConnTsv));
    assert_eq!(a.flows.len(), 3, "443/tcp is not tracked");
    let smb = &a.flows[0];
    assert_eq!(smb.service, Service::Smb);
    assert_eq!(smb.client, "192.168.10.31".parse::<IpAddr>().unwrap());
    assert_eq!((smb.packets_to_server, smb.bytes_to_server), (22, 150_960));
    assert_eq!((smb.packets_to_client, smb.bytes_to_client), (25, 2800));
    assert_eq!(smb.first_seen.as_nanos(), 1_513_789_420_546_771_000);
    assert_eq!(smb.last_seen.as_nanos(), 1_513_789_433_046_771_000);
    assert_eq!(smb.origin, RecordOrigin::ZeekConnLog);
    assert_eq!(smb.initiator, Initiator::FlowLog);
    assert_eq!(smb.smb.dialect, None);

    let nbns = &a.flows[1];
    assert_eq!(nbns.protocol, L4Protocol::Udp);
    assert_eq!(nbns.smb.netbios, Some(NetbiosKind::Name));

    // Zeek saw no SYN and made 445 the originator: the port decides.
    let flipped = &a.flows[2];
    assert_eq!(flipped.server_port, 445);
    assert_eq!(flipped.server, "192.168.10.10".parse::<IpAddr>().unwrap());
    assert_eq!(flipped.initiator, Initiator::ServicePort);

    assert_eq!(a.warnings.len(), 1);
    let w = &a.warnings[0];
    assert_eq!(
        w.kind,
        WarningKind::BadLogLine {
            line: 13,
            reason: "bad ts"
        }
    );
    assert_eq!(w.offset, TSV.find("this line").unwrap() as u64);
    assert_eq!(a.stats.log_lines, 14);
}

#[test]
fn json_log() {
    let a = analyze_bytes(JSON.as_bytes(), &Options::default()).unwrap();
    assert_eq!(a.input_format, Some(InputFormat::ZeekConnJson));
    assert_eq!(a.flows.len(), 2);
    assert_eq!(a.flows[0].bytes_to_server, 150_960);
    assert_eq!(a.flows[0].last_seen.as_nanos(), 1_513_789_433_046_771_000);
    assert_eq!(a.flows[1].service, Service::NetbiosDatagram);
    assert!(a.flows[1].client.is_ipv6());
    assert_eq!(a.warnings.len(), 1);
    assert!(matches!(
        a.warnings[0].kind,
        WarningKind::BadLogLine { line: 3, .. }
    ));
}

#[test]
fn reader_and_slice_agree() {
    for log in [TSV, JSON] {
        let from_slice = analyze_bytes(log.as_bytes(), &Options::default()).unwrap();
        let from_reader =
            crate::analysis::analyze_reader(log.as_bytes(), &Options::default()).unwrap();
        assert_eq!(from_slice.flows, from_reader.flows);
        assert_eq!(from_slice.warnings, from_reader.warnings);
        assert_eq!(from_slice.stats, from_reader.stats);
    }
}
