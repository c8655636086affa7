//! The JSON shape of an analysis, pinned with insta: a change to the
//! serialised records (field names, dialect strings, ordering) shows up as a
//! snapshot diff for review.
// Integration tests: helpers outside #[test] fns unwrap and print too (clippy.toml covers only the fns).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use crate::common::fixture;
use smbguard_traffic::{Options, analyze_bytes};

#[test]
fn psexec_capture_json() {
    // PsExec-style lateral movement: ADMIN$ + svcctl over SMB 2.1, NBNS and
    // NBDGM noise, short SMB1 sessions on TCP 139.
    let a = analyze_bytes(
        &fixture("sv__smb210_psexec_add_user_nbns.pcap"),
        &Options::default(),
    )
    .unwrap();
    insta::assert_json_snapshot!("psexec", a);
}

#[test]
fn encrypted_capture_json() {
    let a = analyze_bytes(
        &fixture("zeek__smb311_encrypted_transform_only.pcap"),
        &Options::default(),
    )
    .unwrap();
    insta::assert_json_snapshot!("smb311_encrypted", a);
}
