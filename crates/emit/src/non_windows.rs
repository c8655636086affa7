//! Shared helpers for the non-Windows targets (Linux hosts,
//! network devices, clouds, fleet tooling).

use smbguard_semantics::AclEntry;

use crate::artifact::{Artifact, EmitContext, header_lines};
use crate::target::Target;

/// User text for a comment line: the naming authority's one cleaner.
pub(crate) use crate::naming::one_line as clean;

/// The header as comment lines, each starting with `prefix` (e.g. `"# "`),
/// followed by `extra` lines; control characters become spaces.
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

/// The header as plain lines, control characters as spaces (for JSON).
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

/// `name [K1]`, control characters as spaces.
pub(crate) fn entry_label(e: &AclEntry) -> String {
    clean(&format!("{} [{}]", e.name, e.kb))
}

/// An artefact.
pub(crate) fn artifact(
    target: Target,
    path: String,
    group: Option<&str>,
    description: String,
    contents: impl Into<Vec<u8>>,
) -> Artifact {
    Artifact {
        path,
        target,
        group: group.map(str::to_string),
        description,
        contents: contents.into(),
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
