//! Dispatch and shared helpers for the non-Windows targets (Linux hosts,
//! network devices, clouds, fleet tooling).

use smbguard_semantics::AclEntry;

use crate::artifact::{Artifact, EmitContext, EmitError, header_lines};
use crate::target::Target;

/// Emits `target` when it is one of the non-Windows targets; `None` otherwise.
pub(crate) fn emit(
    target: Target,
    cx: &EmitContext<'_>,
) -> Option<Result<Vec<Artifact>, EmitError>> {
    Some(match target {
        Target::Nftables => crate::linux::nftables::artifacts(cx),
        Target::Iptables => crate::linux::iptables::artifacts(cx),
        Target::Samba => crate::linux::samba::artifacts(cx),
        Target::CiscoIos => crate::network::cisco_ios::artifacts(cx),
        Target::Junos => crate::network::junos::artifacts(cx),
        Target::AzureNsg => crate::cloud::azure_nsg::artifacts(cx),
        Target::AwsNacl => crate::cloud::aws_nacl::artifacts(cx),
        Target::Ansible => crate::fleet::ansible::artifacts(cx),
        _ => return None,
    })
}

/// `s` with every control character (newline, tab, escape, ...) removed, so
/// a user string can never end a comment line early.
pub(crate) fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

/// The header as comment lines, each starting with `prefix` (e.g. `"# "`),
/// followed by `extra` lines; control characters removed.
pub(crate) fn comment_header(
    cx: &EmitContext<'_>,
    target: Target,
    group: Option<&str>,
    prefix: &str,
    extra: &[String],
) -> String {
    let mut out = String::new();
    for line in header_lines(cx, target, group).iter().chain(extra) {
        let line = clean(line);
        if line.is_empty() {
            out.push_str(prefix.trim_end());
        } else {
            out.push_str(prefix);
            out.push_str(&line);
        }
        out.push('\n');
    }
    out
}

/// The header as plain lines with control characters removed (for JSON).
pub(crate) fn header_plain(
    cx: &EmitContext<'_>,
    target: Target,
    group: Option<&str>,
) -> Vec<String> {
    header_lines(cx, target, group)
        .iter()
        .map(|l| clean(l))
        .collect()
}

/// A file-name stem for group `index`: its slug, with the index appended
/// when another group has the same slug.
pub(crate) fn group_stem(cx: &EmitContext<'_>, index: usize) -> String {
    let mine = smbguard_semantics::ids::slug(&cx.plan.hosts[index].group);
    // The plan counts slugs once for all groups (a scan here made emit quadratic).
    if cx.plan.group_slug_is_shared(index) {
        format!("{mine}-{index}")
    } else {
        mine
    }
}

/// `name [K1]`, control characters removed.
pub(crate) fn entry_label(e: &AclEntry) -> String {
    clean(&format!("{} [{}]", e.name, e.kb))
}

/// An artefact.
pub(crate) fn artifact(
    target: Target,
    path: String,
    group: Option<&str>,
    description: String,
    contents: String,
) -> Artifact {
    Artifact {
        path,
        target,
        group: group.map(str::to_string),
        description,
        contents: contents.into_bytes(),
    }
}

/// Which side of the perimeter an ACL entry governs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    /// Traffic entering the internal network.
    Inbound,
    /// Traffic leaving it.
    Outbound,
}

/// The sides on which a perimeter entry can match: inbound when its
/// destination touches the internal network, outbound when its source does
/// (an entry can be both).
pub(crate) fn sides(cx: &EmitContext<'_>, e: &AclEntry) -> Vec<Side> {
    let internal = &cx.plan.internal;
    let mut out = Vec::new();
    let external = internal.complement();
    if e.destination.intersects(internal) && e.source.intersects(&external) {
        out.push(Side::Inbound);
    }
    if e.source.intersects(internal) && e.destination.intersects(&external) {
        out.push(Side::Outbound);
    }
    out
}
