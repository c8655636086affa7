//! Samba `smb.conf` hardening for Linux groups that serve SMB.
//!
//! A `[global]` snippet (Samba re-opens a section named twice, so it can be
//! appended to an existing smb.conf): dialect floor (SMB1 removed, K9),
//! encryption (K2), signing, NetBIOS off when the estate does not need it,
//! and `hosts allow` from the group's trusted clients (K5) as defence in
//! depth behind the host firewall.

use std::fmt::Write as _;

use smbguard_model::{AddrSet, Dialect, Encryption, Platform, Transport};
use smbguard_semantics::{AclAction, HostPolicy, HostRules};

use crate::artifact::{EmitContext, EmitError, Sink};
use crate::non_windows::{artifact, clean, comment_header};
use crate::target::Target;

/// The Samba protocol name of a dialect.
pub(crate) fn protocol_name(d: Dialect) -> &'static str {
    match d {
        Dialect::Smb202 => "SMB2_02",
        Dialect::Smb210 => "SMB2_10",
        Dialect::Smb300 => "SMB3_00",
        Dialect::Smb302 => "SMB3_02",
        Dialect::Smb311 => "SMB3_11",
    }
}

/// True for groups that get a Samba snippet: Linux hosts that serve SMB.
pub(crate) fn has_snippet(h: &HostPolicy) -> bool {
    h.platform == Platform::Linux && h.role.hosts_shares()
}

/// Who the group's firewall lets in on TCP 445: the sources of the input
/// chain's permit entries for SMB.
fn trusted_clients(h: &HostPolicy) -> AddrSet {
    let HostRules::Linux(l) = &h.rules else {
        return AddrSet::empty();
    };
    l.input
        .entries
        .iter()
        .filter(|e| {
            e.action == AclAction::Permit
                && e.protocol.is_none_or(|p| p == Transport::SMB.proto)
                && e.destination_ports.contains(Transport::SMB.port)
        })
        .fold(AddrSet::empty(), |acc, e| acc.union(&e.source))
}

/// The snippet for group `group` (an index into `plan.hosts`), or `None`
/// when the group is not a Linux SMB server.
pub(crate) fn snippet(cx: &EmitContext<'_>, group: usize) -> Option<String> {
    let h = cx.plan.hosts.get(group)?;
    if !has_snippet(h) {
        return None;
    }
    let smb = &cx.plan.smb;
    let extra = vec![
        format!(
            "Samba hardening for `{}` ({}). Merge into /etc/samba/smb.conf (the ansible target does),",
            h.group,
            h.role.as_str()
        ),
        "then check with `testparm -s` and reload smbd.".to_string(),
    ];
    // smb.conf joins a line ending in `\` with the next one: no backslash
    // may end a comment line.
    let mut out =
        comment_header(cx, Target::Samba, Some(&h.group), "# ", &extra).replace('\\', "/");
    out.push_str("[global]\n");
    let floor = if smb.smb1 {
        out.push_str(
            "\t# SMB1 kept because the estate says smb1 = true; KB3185535 (K9) says remove it\n",
        );
        "NT1"
    } else {
        let _ = writeln!(
            out,
            "\t# K9: SMB1 removed; nothing below SMB {} is negotiated",
            smb.min_dialect.as_str()
        );
        protocol_name(smb.min_dialect)
    };
    let _ = writeln!(out, "\tserver min protocol = {floor}");
    let _ = writeln!(out, "\tclient min protocol = {floor}");
    let encrypt = match smb.encryption {
        Encryption::Required => "required",
        Encryption::Desired => "desired",
        Encryption::Off => "default",
    };
    let _ = writeln!(
        out,
        "\t# K2: SMB 3.x encryption {} (`server smb encrypt` and `client smb encrypt` need Samba >= 4.15;",
        match smb.encryption {
            Encryption::Required => "required",
            Encryption::Desired => "desired",
            Encryption::Off => "not configured by the estate",
        }
    );
    let _ = writeln!(
        out,
        "\t# on older releases write `smb encrypt = {encrypt}` instead and drop the client line)"
    );
    let _ = writeln!(out, "\tserver smb encrypt = {encrypt}");
    let _ = writeln!(out, "\tclient smb encrypt = {encrypt}");
    let signing = if smb.signing { "mandatory" } else { "auto" };
    let _ = writeln!(
        out,
        "\t# SMB signing {}",
        if smb.signing {
            "required"
        } else {
            "negotiated (the estate does not require it)"
        }
    );
    let _ = writeln!(out, "\tserver signing = {signing}");
    let _ = writeln!(out, "\tclient signing = {signing}");
    if smb.netbios {
        out.push_str(
            "\t# NetBIOS kept (estate netbios = true): TCP 139 and UDP 137/138 stay in use\n",
        );
    } else {
        out.push_str("\t# NetBIOS not needed (K1, K9): no NetBIOS name service, no TCP 139\n");
        out.push_str("\tdisable netbios = yes\n");
        out.push_str("\tsmb ports = 445\n");
    }
    let clients = trusted_clients(h);
    if !clients.is_empty() && !clients.is_any() {
        let cidrs: Vec<String> = clients.to_cidrs().iter().map(ToString::to_string).collect();
        out.push_str("\t# K5: only trusted clients, as in the host firewall (defence in depth); localhost kept\n");
        let _ = writeln!(out, "\thosts allow = 127.0.0.1 ::1 {}", cidrs.join(" "));
        out.push_str("\thosts deny = 0.0.0.0/0 ::/0\n");
    } else if clients.is_empty() {
        out.push_str("\t# K5: the plan admits no SMB client; only localhost\n");
        out.push_str("\thosts allow = 127.0.0.1 ::1\n");
        out.push_str("\thosts deny = 0.0.0.0/0 ::/0\n");
    }
    Some(out)
}

pub(crate) fn artifacts(cx: &EmitContext<'_>, sink: &mut Sink<'_>) -> Result<(), EmitError> {
    // One pass over every group's stem (per-group lookups made emit quadratic).
    let stems = crate::naming::group_stems(cx);
    for (i, h) in cx.plan.hosts.iter().enumerate() {
        if let Some(text) = snippet(cx, i) {
            sink(artifact(
                Target::Samba,
                format!("samba/{}.smb.conf", stems[i]),
                Some(&h.group),
                format!(
                    "smb.conf [global] hardening for `{}`; merge into /etc/samba/smb.conf",
                    clean(&h.group)
                ),
                text,
            ))?;
        }
    }
    Ok(())
}
