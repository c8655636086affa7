//! Shared helpers of the Windows emitter tests.
#![allow(dead_code)]

use smbguard_emit::{Artifact, EmitContext, Target, emit};
use smbguard_model::{EXAMPLE_ESTATE, Estate, Strategy, parse_estate};
use smbguard_semantics::{HostRules, Plan, WindowsPolicy, compile};

/// The bundled example estate with the given strategy, and its plan.
pub(crate) fn example(strategy: Strategy) -> (Estate, Plan) {
    let mut estate = parse_estate(EXAMPLE_ESTATE).expect("example parses").estate;
    estate.strategy = strategy;
    let plan = compile(&estate).expect("example compiles");
    (estate, plan)
}

/// Where the policy of `group` is in `plan.hosts` (and its group in
/// `estate.groups`: one policy per group, in estate order).
pub(crate) fn host_index(plan: &Plan, group: &str) -> usize {
    plan.hosts
        .iter()
        .position(|h| h.group == group)
        .unwrap_or_else(|| panic!("no policy for group {group}"))
}

/// The Windows policy of `group`, to edit.
pub(crate) fn windows_policy_mut<'a>(plan: &'a mut Plan, group: &str) -> &'a mut WindowsPolicy {
    let k = host_index(plan, group);
    let HostRules::Windows(w) = &mut plan.hosts[k].rules else {
        panic!("{group} is not a Windows group")
    };
    w
}

/// Emits `targets` for the estate and plan.
pub(crate) fn artifacts(estate: &Estate, plan: &Plan, targets: &[Target]) -> Vec<Artifact> {
    let cx = EmitContext {
        estate,
        plan,
        version: "0.0.0-test",
        unsafe_reason: None,
    };
    emit(&cx, targets).expect("emit")
}

/// The artefact ending in `suffix` for `group` (by its group field).
pub(crate) fn find<'a>(arts: &'a [Artifact], group: &str, suffix: &str) -> &'a Artifact {
    arts.iter()
        .find(|a| a.group.as_deref() == Some(group) && a.path.ends_with(suffix))
        .unwrap_or_else(|| panic!("no artefact {suffix} for group {group}"))
}

/// 64-bit FNV-1a of bytes, hex (for snapshot headers).
pub(crate) fn fnv64(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}
