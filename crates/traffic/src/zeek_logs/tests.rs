//! The join, on small logs written in Zeek's formats.

use super::{ZeekLog, ZeekLogSet};
use crate::error::TrafficError;
use crate::flow::Service;
use crate::report::Options;

const HEAD: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n";

fn tsv(path: &str, fields: &str, rows: &[&str]) -> String {
    let mut s = format!("{HEAD}#path\t{path}\n#fields\t{fields}\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

#[test]
fn conn_and_details_join_by_uid_across_forms() {
    let mut set = ZeekLogSet::new(&Options::default());
    let conn = tsv(
        "conn",
        "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\thistory",
        &[
            "1.0\tCa\t198.18.16.5\t50001\t198.18.2.7\t445\ttcp\tsmb\tShADadFf",
            "2.0\tCb\t198.18.16.5\t50003\t198.18.2.7\t49667\ttcp\tdce_rpc\tShADadFf",
            "3.0\tCc\t198.18.16.5\t50009\t203.0.113.1\t8443\ttcp\tssl\tShADadFf",
        ],
    );
    assert_eq!(set.add(conn.as_bytes()).unwrap(), ZeekLog::Conn);
    let mapping = r#"{"ts":1.1,"uid":"Ca","id.orig_h":"198.18.16.5","id.orig_p":50001,"id.resp_h":"198.18.2.7","id.resp_p":445,"path":"\\\\h\\ADMIN$","share_type":"DISK"}"#;
    assert_eq!(set.add(mapping.as_bytes()).unwrap(), ZeekLog::SmbMapping);
    let dce = r#"{"ts":2.1,"uid":"Cb","id.orig_h":"198.18.16.5","id.orig_p":50003,"id.resp_h":"198.18.2.7","id.resp_p":49667,"named_pipe":"49667","endpoint":"svcctl","operation":"CreateServiceW"}
{"ts":4.1,"uid":"Cz","id.orig_h":"198.18.16.5","id.orig_p":50010,"id.resp_h":"198.18.0.10","id.resp_p":49672,"named_pipe":"49672","endpoint":"drsuapi","operation":"DRSGetNCChanges"}"#;
    assert_eq!(set.add(dce.as_bytes()).unwrap(), ZeekLog::DceRpc);
    let a = set.finish();
    // The ssl connection is dropped; Cz has no conn line but still counts.
    assert_eq!(a.flows.len(), 3, "{:#?}", a.flows);
    assert_eq!(a.flows[0].smb.shares, [r"\\h\ADMIN$"]);
    assert_eq!(a.flows[1].service, Service::DceRpc);
    assert_eq!(a.flows[1].rpc.calls[0].label(), "svcctl.RCreateServiceW");
    assert!(a.flows[1].smb.pipes.is_empty(), "a TCP port is not a pipe");
    assert_eq!(
        a.flows[2].rpc.calls[0].label(),
        "drsuapi.IDL_DRSGetNCChanges"
    );
    assert!(a.warnings.is_empty());
}

#[test]
fn other_logs_are_refused_by_name() {
    let mut set = ZeekLogSet::new(&Options::default());
    let http = tsv("http", "ts\tuid\thost", &["1.0\tC1\texample"]);
    match set.add(http.as_bytes()) {
        Err(TrafficError::UnsupportedZeekLog { path }) => assert_eq!(path, "http"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        set.add(&b"{\"ts\":1,\"uid\":\"C\",\"method\":\"GET\"}"[..]),
        Err(TrafficError::UnsupportedZeekLog { .. })
    ));
}
