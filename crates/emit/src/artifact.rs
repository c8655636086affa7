//! Artefacts, the context emitters read, and the shared header.

use serde::Serialize;
use smbguard_model::Estate;
use smbguard_semantics::Plan;

use crate::target::Target;

/// What every emitter reads.
#[derive(Debug, Clone, Copy)]
pub struct EmitContext<'a> {
    /// The validated estate (names, descriptions, SIDs).
    pub estate: &'a Estate,
    /// The compiled plan.
    pub plan: &'a Plan,
    /// The smbguard version written into headers.
    pub version: &'a str,
    /// Set when the plan fails a built-in invariant and the user insisted
    /// (`--allow-unsafe REASON`); written into every header.
    pub unsafe_reason: Option<&'a str>,
}

/// One file to write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Artifact {
    /// Path relative to the output directory, `/`-separated.
    pub path: String,
    /// The target that produced it.
    #[serde(serialize_with = "target_name")]
    pub target: Target,
    /// The group it is for; `None` for estate-wide files (perimeter).
    pub group: Option<String>,
    /// One line on what it is and how to use it.
    pub description: String,
    /// The bytes.
    #[serde(skip)]
    pub contents: Vec<u8>,
}

/// Where a back end hands each artefact as soon as it is made, so a whole
/// estate's output never has to be in memory at once (see
/// [`emit_each`](crate::emit_each)). An error stops the back end.
pub type Sink<'s> = dyn FnMut(Artifact) -> Result<(), EmitError> + 's;

/// An artefact as `index.json` lists it: everything but its bytes, kept
/// after the bytes are written and dropped. Serialises exactly as the
/// [`Artifact`] it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ArtifactEntry {
    /// Path relative to the output directory, `/`-separated.
    pub path: String,
    /// The target that produced it.
    #[serde(serialize_with = "target_name")]
    pub target: Target,
    /// The group it is for; `None` for estate-wide files.
    pub group: Option<String>,
    /// One line on what it is and how to use it.
    pub description: String,
    /// Its size in bytes.
    #[serde(skip)]
    pub size: usize,
}

impl ArtifactEntry {
    /// The entry of `a`.
    pub fn of(a: &Artifact) -> Self {
        Self {
            path: a.path.clone(),
            target: a.target,
            group: a.group.clone(),
            description: a.description.clone(),
            size: a.contents.len(),
        }
    }
}

fn target_name<S: serde::Serializer>(t: &Target, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(t.as_str())
}

/// Why an artefact set could not be produced or written: the emit crate's
/// one error type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmitError {
    /// A user string cannot be written safely in the target language.
    #[error("{target}: {what} `{value}` cannot be written: {why}")]
    UnsafeString {
        /// Target.
        target: Target,
        /// Which field (group name, description, ...).
        what: String,
        /// The offending value.
        value: String,
        /// Why, and what to do.
        why: String,
    },
    /// The target cannot express part of the plan.
    #[error("{target}: cannot express {what}")]
    Unrepresentable {
        /// Target.
        target: Target,
        /// What.
        what: String,
    },
    /// An artefact path is not a distinct, portable file name (see the
    /// naming authority); `group` is the group whose name causes it.
    #[error("artefact `{path}` cannot be written: {why}")]
    UnsafePath {
        /// The path, relative to the output folder.
        path: String,
        /// The group it belongs to; `None` for estate-wide files.
        group: Option<String>,
        /// Why.
        why: String,
    },
    /// A `--target` name that is none of the targets, `windows` or `all`.
    #[error(
        "unknown target `{name}`; known targets: {known}, or `windows` (powershell, netsh, gpo), or `all`"
    )]
    UnknownTarget {
        /// The name given.
        name: String,
        /// The known names, comma-separated.
        known: String,
    },
    /// The target list names no target.
    #[error("the target list names no target")]
    NoTarget,
    /// Writing the artefact set failed; the output folder is unchanged.
    #[error("cannot write {path}: {message}; nothing in the output folder was changed")]
    Write {
        /// The file or folder concerned.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The output folder holds something smbguard will not write through
    /// or replace (a symbolic link, or a file where a folder must be).
    #[error("refusing to write into {path}: {why}; nothing in the output folder was changed")]
    Refused {
        /// The path concerned.
        path: String,
        /// Why.
        why: String,
    },
}

/// The header every artefact carries, as plain lines (each emitter adds its
/// own comment syntax). No timestamp: output is deterministic.
pub fn header_lines(cx: &EmitContext<'_>, target: Target, group: Option<&str>) -> Vec<String> {
    let rows: Vec<String> = cx.plan.kb_rows().iter().map(ToString::to_string).collect();
    let mut lines = vec![
        format!(
            "Generated by smbguard {} for estate \"{}\" ({} target). Do not edit: re-run `smbguard emit`.",
            cx.version, cx.estate.name, target
        ),
        format!(
            "Implements KB3185535 \"Preventing SMB traffic from lateral connections and entering or leaving the network\", rows {}.",
            rows.join(" ")
        ),
    ];
    if let Some(g) = group {
        lines.push(format!("Group: {g}"));
    }
    if let Some(tags) = &cx.estate.service_tags {
        lines.push(tags.summary());
    }
    if let Some(reason) = cx.unsafe_reason {
        lines.push(format!(
            "UNSAFE: emitted although built-in invariants fail; reason given: {reason}"
        ));
    }
    lines
}

/// The index file listing every artefact (whole [`Artifact`]s or their
/// [`ArtifactEntry`]s: both serialise the same).
pub fn index_json<A: Serialize>(cx: &EmitContext<'_>, artifacts: &[A]) -> String {
    let doc = serde_json::json!({
        "smbguard": cx.version,
        "estate": cx.estate.name,
        "kb_rows": cx.plan.kb_rows(),
        "unsafe_reason": cx.unsafe_reason,
        "service_tags": cx.estate.service_tags.as_ref().map(|t| serde_json::json!({
            "file": t.file,
            "change_number": t.change_number,
            "tags": t.tags.iter().map(|(n, c)| serde_json::json!({ "name": n, "change_number": c })).collect::<Vec<_>>(),
        })),
        "artifacts": artifacts,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}
