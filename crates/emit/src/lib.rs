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
//! atomically. The back-end modules are private: what other crates reuse is
//! re-exported here.

mod artifact;
mod backend;
mod naming;
mod target;
mod target_list;
mod windows;
mod write;

mod cloud;
mod fleet;
mod intune;
mod linux;
mod monitor;
mod network;
mod non_windows;

pub use artifact::{Artifact, EmitContext, EmitError, header_lines, index_json};
pub use backend::Backend;
pub use intune::{IntunePlan, MAX_RULES_PER_POLICY, intune_plan};
pub use naming::windows_name_problem;
pub use target::Target;
pub use write::{INDEX, WriteReport, write_artifacts};

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
pub fn emit(cx: &EmitContext<'_>, targets: &[Target]) -> Result<Vec<Artifact>, EmitError> {
    let mut out = Vec::new();
    for &t in targets {
        out.extend(t.emit(cx)?);
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    naming::check_paths(&out)?;
    Ok(out)
}
