//! Zeek logs in (issue 15, item 3): the Zeek logs of a fixture's traffic,
//! in TSV from one sensor and in JSON from two, joined by uid, classify
//! every flow the way the capture does.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

use smbguard_model::{EXAMPLE_ESTATE, parse_estate};
use smbguard_traffic::classify::{Category, classify};
use smbguard_traffic::{Analysis, FlowRecord, Options, ZeekLog, ZeekLogSet, analyze_file};

/// Categories per connection.
type Classes = BTreeMap<((IpAddr, u16), (IpAddr, u16)), Vec<Category>>;

fn classes(flows: &[FlowRecord]) -> Classes {
    let estate = parse_estate(EXAMPLE_ESTATE).unwrap().estate;
    flows
        .iter()
        .map(|f| {
            (
                ((f.client, f.client_port), (f.server, f.server_port)),
                classify(&estate, f).categories,
            )
        })
        .collect()
}

fn logs(dir: &Path, files: &[&str]) -> Analysis {
    let mut set = ZeekLogSet::new(&Options::default());
    for f in files {
        let data = std::fs::read(dir.join(f)).unwrap();
        assert!(ZeekLogSet::looks_like_log(&data));
        let kind = set.add(data.as_slice()).unwrap();
        assert_ne!(kind, ZeekLog::Ntlm);
    }
    set.finish()
}

#[test]
fn zeek_logs_classify_like_the_capture() {
    let capture = analyze_file(
        smbguard_testkit::fixture("pcaps/gen__lateral_chain_smb_dcerpc_tcp.pcap"),
        &Options::default(),
    )
    .unwrap();
    let expected = classes(&capture.flows);
    assert_eq!(expected.len(), 10);
    assert!(
        expected
            .values()
            .filter(|c| c.contains(&Category::RemoteService))
            .count()
            >= 5
    );
    let dir = smbguard_testkit::fixture("zeek/gen__lateral_chain");
    let tsv = logs(
        &dir.join("tsv"),
        &["conn.log", "smb_mapping.log", "dce_rpc.log"],
    );
    assert!(tsv.warnings.is_empty(), "{:?}", tsv.warnings);
    assert_eq!(classes(&tsv.flows), expected);
    let json = logs(
        &dir.join("json"),
        &[
            "sensor-b/dce_rpc.log",
            "sensor-a/conn.log",
            "sensor-a/smb_mapping.log",
            "sensor-b/conn.log",
        ],
    );
    assert!(json.warnings.is_empty(), "{:?}", json.warnings);
    assert_eq!(classes(&json.flows), expected);
    // Shares and RPC operations come through the join, not only ports.
    let admin = tsv.flows.iter().find(|f| f.server_port == 445).unwrap();
    assert_eq!(admin.smb.shares, [r"\\198.18.2.7\ADMIN$"]);
    let svcctl = json.flows.iter().find(|f| f.server_port == 49667).unwrap();
    assert!(svcctl.rpc.calls.iter().any(|c| c.opnum == 12));
}
