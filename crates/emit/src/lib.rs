//! smbguard back ends: a compiled [`Plan`](smbguard_semantics::Plan) turned into files a defender deploys.
//!
//! Every emitter is a pure function of the plan and the estate: same input,
//! same bytes. Each artefact starts with a header naming the estate, the
//! smbguard version and the KB3185535 rows it realises; every user string is
//! escaped for the target language (or rejected where the language has no
//! escape); only objects smbguard owns are touched.
//!
//! Each [`Target`] has one [`Backend`] ([`Target::backend`], an exhaustive
//! match); [`emit`] runs the requested ones and the naming authority checks
//! the whole set; [`write_artifacts`] puts it into the output folder
//! atomically, and [`emit_staged`] does both while holding one group's
//! artefacts at a time. The back-end modules are private: what other crates reuse is
//! re-exported here.

mod artifact;
mod backend;
mod naming;
mod target;
mod target_list;
mod windows;
mod write;

mod cloud;
mod collector;
mod fleet;
mod intune;
mod linux;
mod monitor;
mod network;
mod non_windows;

pub use artifact::{
    Artifact, ArtifactEntry, EmitContext, EmitError, Sink, header_lines, index_json,
};
pub use backend::Backend;
pub use intune::{IntunePlan, MAX_RULES_PER_POLICY, intune_plan};
pub use naming::windows_name_problem;
pub use target::Target;
pub use write::{INDEX, Staged, WriteReport, write_artifacts};

pub use cloud::aws_nacl::{DEFAULT_RULE_QUOTA, perimeter_entries};
pub use fleet::ansible::{INVENTORY_PREFIX, inventory_group};
pub use linux::first_match::{compare_windows_first_match, windows_first_match};
pub use linux::{HostAcls, host_acls};

/// nftables building blocks the deployer, the lab and the translation tests
/// load directly.
pub mod nftables {
    pub use crate::linux::nftables::{TABLE, host_ruleset, nft_comment, perimeter_ruleset};
}

/// iptables building blocks the translation tests load directly.
pub mod iptables {
    pub use crate::linux::iptables::{
        CHAIN_FWD, CHAIN_IN, CHAIN_OUT, host_rules, ipt_comment, perimeter_rules,
    };
}

/// Emits every requested target, sorted by path, plus nothing else (the
/// caller writes the index with [`index_json`]). The naming authority then
/// checks the whole set: two artefacts that Windows or a case-insensitive
/// share would see as one file, or a path Windows cannot hold, is an
/// [`EmitError::UnsafePath`] naming the group, never a lost file.
///
/// The whole set is in memory; [`emit_staged`] writes it to disk as it is
/// made, [`emit_each`] hands it on one artefact at a time.
pub fn emit(cx: &EmitContext<'_>, targets: &[Target]) -> Result<Vec<Artifact>, EmitError> {
    let mut out = Vec::new();
    emit_each(cx, targets, &mut |a| {
        out.push(a);
        Ok(())
    })?;
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Emits every requested target, handing each artefact to `sink` as soon
/// as it is made (targets in the order given, each back end's own order),
/// and returns the entries of the whole set sorted by path, once the naming
/// authority has checked them (as [`emit`] does). Memory holds one group's
/// artefacts at a time plus the entries, whatever the estate's size.
pub fn emit_each(
    cx: &EmitContext<'_>,
    targets: &[Target],
    sink: &mut Sink<'_>,
) -> Result<Vec<ArtifactEntry>, EmitError> {
    let mut entries = Vec::new();
    for &t in targets {
        t.backend().emit_each(cx, &mut |a| {
            entries.push(ArtifactEntry::of(&a));
            sink(a)
        })?;
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    naming::check_paths(&entries)?;
    Ok(entries)
}

/// [`emit_each`] into a staging folder beside `out`: each artefact is
/// written as it is made and dropped. Errors of the estate (a name a
/// target cannot write, two names sharing a file) are returned here;
/// errors of the output folder (a symbolic link, a full disk) by
/// [`Staged::commit`], which moves the set into `out` with its index, all
/// or nothing, as [`write_artifacts`] does.
pub fn emit_staged(
    cx: &EmitContext<'_>,
    targets: &[Target],
    out: &std::path::Path,
) -> Result<Staged, EmitError> {
    let mut writer = write::Writer::begin(out, write::Faults::none());
    let entries = emit_each(cx, targets, &mut |a| {
        writer.stage(&a.path, &a.contents);
        Ok(())
    })?;
    Ok(Staged::new(writer, entries))
}
