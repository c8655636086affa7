//! smbguard back ends: a compiled [`Plan`](smbguard_semantics::Plan) turned into files a defender deploys.
//!
//! Every emitter is a pure function of the plan and the estate: same input,
//! same bytes. Each artefact starts with a header naming the estate, the
//! smbguard version and the KB3185535 rows it realises; every user string is
//! escaped for the target language (or rejected where the language has no
//! escape); only objects smbguard owns are touched.
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)
)]

mod artifact;
mod target;
mod windows;

pub mod cloud;
pub mod fleet;
pub mod intune;
pub mod linux;
pub mod network;
mod non_windows;

pub use artifact::{Artifact, EmitContext, EmitError, header_lines, index_json};
pub use target::Target;

/// Emits every requested target, sorted by path, plus nothing else (the
/// caller writes the index with [`index_json`]).
pub fn emit(cx: &EmitContext<'_>, targets: &[Target]) -> Result<Vec<Artifact>, EmitError> {
    let mut out = Vec::new();
    for &t in targets {
        out.extend(t.emit(cx)?);
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}
