//! A Zeek package: module `SMBGuard` with the estate's groups as
//! `set[subnet]` and one notice type per [`Case`], raised from the
//! connection, SMB1/SMB2 and DCE/RPC events.
//!
//! Load it with `@load path/to/zeek/smbguard` (the folder holds
//! `__load__.zeek`); notices go to `notice.log`. Every condition is one
//! `if ( ... )` line of `&&`-joined tests over the exported sets, so the
//! tests can read the script back and evaluate it.
//! Events: <https://docs.zeek.org/en/lts/scripts/base/bif/plugins/Zeek_SMB.events.bif.zeek.html>.

use std::fmt::Write as _;

use smbguard_model::AddrSet;

use crate::artifact::{Artifact, EmitContext, EmitError};
use crate::monitor::{Case, Scope, cases};
use crate::non_windows::{artifact, comment_header};
use crate::target::Target;
use smbguard_model::{REMOTE_EXECUTION_INTERFACES, REMOTE_SERVICE_PIPES};

/// The package folder.
pub(crate) const DIR: &str = "zeek/smbguard";

/// A Zeek string literal: `\` and `"` escaped, anything outside printable
/// ASCII as `\xNN` bytes (Zeek strings are bytes).
fn zeek_string(s: &str) -> String {
    let mut out = String::from("\"");
    for b in s.bytes() {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
    out
}

/// The notice type of a case.
pub(crate) fn notice(case: Case) -> &'static str {
    match case {
        Case::PerimeterInbound => "Perimeter_Inbound",
        Case::PerimeterOutbound => "Perimeter_Outbound",
        Case::Lateral => "Lateral_SMB",
        Case::UnplannedServer => "Unplanned_Server",
        Case::Smb1 => "SMB1_Used",
        Case::CloudCleartext => "Cloud_Cleartext_SMB3",
        Case::AdminShare => "Admin_Share",
        Case::RemoteService => "Remote_Service",
    }
}

/// Subnet literals: IPv6 addresses go in brackets (`[2001:db8::]/32`).
fn zeek_cidrs(set: &AddrSet) -> Vec<String> {
    set.to_cidrs()
        .iter()
        .map(|n| match n {
            ipnet::IpNet::V4(n) => n.to_string(),
            ipnet::IpNet::V6(n) => format!("[{}]/{}", n.addr(), n.prefix_len()),
        })
        .collect()
}

fn subnets(set: &AddrSet) -> String {
    let v = zeek_cidrs(set);
    if v.is_empty() {
        "{ }".into()
    } else {
        format!("{{\n\t\t{},\n\t}}", v.join(",\n\t\t"))
    }
}

fn exports(cx: &EmitContext<'_>, scope: &Scope, out: &mut String) {
    out.push_str("export {\n\tredef enum Notice::Type += {\n");
    for case in cases(scope) {
        let _ = writeln!(out, "\t\t## {} [{}]", case.title(), case.kb());
        let _ = writeln!(out, "\t\t{},", notice(case));
    }
    out.push_str("\t};\n\n");
    let _ = writeln!(out, "\t## The estate these sets describe.");
    let _ = writeln!(
        out,
        "\tconst estate = {} &redef;\n",
        zeek_string(&cx.estate.name)
    );
    out.push_str("\t## Each group's own addresses (a host in two groups counts in the first).\n");
    out.push_str("\tconst groups: table[string] of set[subnet] = {\n");
    for (name, _, set) in &scope.groups {
        let v = zeek_cidrs(set);
        let _ = writeln!(out, "\t\t[{}] = set({}),", zeek_string(name), v.join(", "));
    }
    out.push_str("\t} &redef;\n");
    let sets = [
        (
            "inside",
            &scope.inside,
            "Internal ranges plus link-local, loopback and multicast [K1].",
        ),
        (
            "cloud",
            &scope.cloud,
            "Declared cloud endpoints (perimeter exceptions) [K2].",
        ),
        (
            "clients",
            &scope.clients,
            "Groups with a client role: workstation, member, isolated [K4].",
        ),
        ("internal", &scope.internal, "The estate's internal ranges."),
        (
            "grouped",
            &scope.grouped,
            "Every group's addresses: an internal server outside them is not in the plan [K6].",
        ),
        (
            "management",
            &scope.management,
            "Sources of the management exceptions [K4].",
        ),
    ];
    for (name, set, what) in sets {
        let _ = writeln!(out, "\n\t## {what}");
        let _ = writeln!(
            out,
            "\tconst {name}: set[subnet] = {} &redef;",
            subnets(set)
        );
    }
    out.push_str("\n\t## SMB and NetBIOS ports [K1].\n");
    out.push_str("\tconst smb_ports: set[port] = { 139/tcp, 445/tcp, 137/udp, 138/udp } &redef;\n");
    out.push_str("\t## SMB over TCP (direct and NetBIOS session).\n");
    out.push_str("\tconst smb_tcp_ports: set[port] = { 139/tcp, 445/tcp } &redef;\n");
    out.push_str("\t## Named pipes of remote service, task and registry work.\n");
    let pipes: Vec<String> = REMOTE_SERVICE_PIPES
        .iter()
        .map(|p| zeek_string(p))
        .collect();
    let _ = writeln!(
        out,
        "\tconst remote_service_pipes: set[string] = {{ {} }} &redef;",
        pipes.join(", ")
    );
    let names: Vec<&str> = REMOTE_EXECUTION_INTERFACES
        .iter()
        .map(|(_, name)| *name)
        .collect();
    let _ = writeln!(
        out,
        "\t## DCE/RPC interfaces of remote execution ({}), over a pipe or TCP.",
        names.join(", ")
    );
    let uuids: Vec<String> = REMOTE_EXECUTION_INTERFACES
        .iter()
        .map(|(uuid, _)| zeek_string(uuid))
        .collect();
    let _ = writeln!(
        out,
        "\tconst remote_service_uuids: set[string] = {{ {} }} &redef;",
        uuids.join(", ")
    );
    out.push_str("}\n");
}

/// One notice: the condition line, then `NOTICE` once per connection.
fn raise(out: &mut String, case: Case, cond: &str) {
    let _ = writeln!(out, "\tif ( {cond} )");
    let _ = writeln!(
        out,
        "\t\tNOTICE([$note={}, $conn=c, $msg=fmt(\"%s: {} [{}]\", estate), $identifier=cat(c$uid, \"{}\")]);",
        notice(case),
        case.title(),
        case.kb(),
        notice(case),
    );
}

fn handlers(scope: &Scope, out: &mut String) {
    let has = |c: Case| cases(scope).contains(&c);
    let src_ok = if scope.management.is_empty() {
        String::new()
    } else {
        "c$id$orig_h !in management && ".into()
    };
    out.push_str("\nevent new_connection(c: connection)\n\t{\n");
    if has(Case::PerimeterInbound) {
        raise(
            out,
            Case::PerimeterInbound,
            "c$id$resp_p in smb_ports && c$id$orig_h !in inside && c$id$orig_h !in cloud && c$id$resp_h in inside",
        );
        raise(
            out,
            Case::PerimeterOutbound,
            "c$id$resp_p in smb_ports && c$id$orig_h in inside && c$id$resp_h !in inside && c$id$resp_h !in cloud",
        );
    }
    if has(Case::Lateral) {
        raise(
            out,
            Case::Lateral,
            "c$id$resp_p in smb_tcp_ports && c$id$orig_h in clients && c$id$resp_h in clients",
        );
    }
    if has(Case::UnplannedServer) {
        raise(
            out,
            Case::UnplannedServer,
            "c$id$resp_p in smb_tcp_ports && c$id$resp_h in internal && c$id$resp_h !in grouped",
        );
    }
    out.push_str("\t}\n");
    out.push_str("\nevent smb1_message(c: connection, hdr: SMB1::Header, is_orig: bool)\n\t{\n");
    raise(out, Case::Smb1, "! is_orig");
    out.push_str("\t}\n");
    if has(Case::CloudCleartext) {
        out.push_str(CLOUD_HANDLERS);
        raise(
            out,
            Case::CloudCleartext,
            "c$uid in smb3_sessions && c$uid !in smb_encrypted && c$id$orig_h in inside && c$id$resp_h in cloud",
        );
        raise(
            out,
            Case::CloudCleartext,
            "c$uid in smb3_sessions && c$uid !in smb_encrypted && c$id$orig_h in cloud && c$id$resp_h in inside",
        );
        out.push_str("\t}\n");
    }
    let shares = [
        "smb1_tree_connect_andx_request(c: connection, hdr: SMB1::Header, path: string, service: string)",
        "smb2_tree_connect_request(c: connection, hdr: SMB2::Header, path: string)",
    ];
    for event in shares {
        let _ = writeln!(out, "\nevent {event}\n\t{{");
        raise(
            out,
            Case::AdminShare,
            &format!("{src_ok}is_admin_share(path)"),
        );
        out.push_str("\t}\n");
    }
    let pipes = [
        (
            "smb1_nt_create_andx_request(c: connection, hdr: SMB1::Header, file_name: string)",
            "pipe_name(file_name) in remote_service_pipes",
        ),
        (
            "smb2_create_request(c: connection, hdr: SMB2::Header, request: SMB2::CreateRequest)",
            "pipe_name(request$filename) in remote_service_pipes",
        ),
        (
            "dce_rpc_bind(c: connection, fid: count, ctx_id: count, uuid: string, ver_major: count, ver_minor: count)",
            "uuid_to_string(uuid) in remote_service_uuids",
        ),
    ];
    for (event, test) in pipes {
        let _ = writeln!(out, "\nevent {event}\n\t{{");
        raise(out, Case::RemoteService, &format!("{src_ok}{test}"));
        out.push_str("\t}\n");
    }
}

/// SMB 3 negotiated (MS-SMB2 2.2.4 DialectRevision 0x0300 and above) and
/// encryption seen (a TRANSFORM header, MS-SMB2 2.2.41, or
/// SMB2_SESSION_FLAG_ENCRYPT_DATA, 2.2.6), remembered per connection and
/// judged when the connection ends.
const CLOUD_HANDLERS: &str = "
global smb3_sessions: set[string] &create_expire=1day;
global smb_encrypted: set[string] &create_expire=1day;

event smb2_negotiate_response(c: connection, hdr: SMB2::Header, response: SMB2::NegotiateResponse)
\t{
\tif ( response$dialect_revision >= 0x0300 )
\t\tadd smb3_sessions[c$uid];
\t}

event smb2_transform_header(c: connection, hdr: SMB2::Transform_header)
\t{
\tadd smb_encrypted[c$uid];
\t}

event smb2_session_setup_response(c: connection, hdr: SMB2::Header, response: SMB2::SessionSetupResponse)
\t{
\tif ( response$flags$encrypt )
\t\tadd smb_encrypted[c$uid];
\t}

event connection_state_remove(c: connection)
\t{
";

/// Share and pipe names as the traffic classifier compares them.
const HELPERS: &str = "
## The last component of a share path, upper-cased (`\\\\host\\ADMIN$` is `ADMIN$`).
function share_name(path: string): string
\t{
\tlocal parts = split_string(path, /\\\\/);
\treturn to_upper(parts[|parts| - 1]);
\t}

## An administrative share: any `X$` but `IPC$`.
function is_admin_share(path: string): bool
\t{
\tlocal s = share_name(path);
\treturn /\\$$/ in s && s != \"IPC$\";
\t}

## The last component of a pipe path, lower-cased.
function pipe_name(path: string): string
\t{
\tlocal parts = split_string(path, /\\\\/);
\treturn to_lower(parts[|parts| - 1]);
\t}
";

fn main_file(cx: &EmitContext<'_>, scope: &Scope) -> String {
    let mut out = comment_header(cx, Target::Zeek, None, "# ", &[]);
    out.push_str("\n@load base/frameworks/notice\n@load base/protocols/smb\n@load base/protocols/dce-rpc\n\nmodule SMBGuard;\n\n");
    exports(cx, scope, &mut out);
    out.push_str(HELPERS);
    handlers(scope, &mut out);
    out
}

/// `__load__.zeek` and `main.zeek`.
pub(crate) fn artifacts(cx: &EmitContext<'_>) -> Result<Vec<Artifact>, EmitError> {
    let scope = Scope::of(cx.estate);
    let mut load = comment_header(cx, Target::Zeek, None, "# ", &[
        "Load this folder with `@load path/to/smbguard`; notices [K1 K2 K4 K6 K9] go to notice.log.".into(),
    ]);
    load.push_str("\n@load ./main\n");
    Ok(vec![
        artifact(
            Target::Zeek,
            format!("{DIR}/__load__.zeek"),
            None,
            "Zeek package entry point (@load the folder)".into(),
            load,
        ),
        artifact(
            Target::Zeek,
            format!("{DIR}/main.zeek"),
            None,
            "Zeek module SMBGuard: estate groups as set[subnet], notices for forbidden SMB".into(),
            main_file(cx, &scope),
        ),
    ])
}
