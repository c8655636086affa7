//! Shared helpers of the non-Windows target tests: estates, tool checks,
//! throwaway network namespaces, random estates (all from the testkit).
#![allow(dead_code, unreachable_pub)]

use proptest::prelude::*;
use smbguard_emit::EmitContext;
use smbguard_model::{EXAMPLE_ESTATE, Estate, Strategy as OutboundStrategy, parse_estate};
use smbguard_semantics::{Plan, compile};

/// The example estate compiled with `strategy`.
pub fn example(strategy: OutboundStrategy) -> (Estate, Plan) {
    let mut estate = parse_estate(EXAMPLE_ESTATE).expect("example parses").estate;
    estate.strategy = strategy;
    let plan = compile(&estate).expect("example compiles");
    (estate, plan)
}

/// An estate from TOML text, compiled.
pub fn from_toml(text: &str) -> Option<(Estate, Plan)> {
    let estate = parse_estate(text).ok()?.estate;
    let plan = compile(&estate).ok()?;
    Some((estate, plan))
}

/// The context every test uses.
pub fn cx<'a>(estate: &'a Estate, plan: &'a Plan) -> EmitContext<'a> {
    EmitContext {
        estate,
        plan,
        version: "0.1.0",
        unsafe_reason: None,
    }
}

pub use smbguard_testkit::{Netns, ScratchFile as Scratch};

/// True when every tool is installed and (when `need_root`) we are root;
/// otherwise the testkit's loud SKIPPED (a failure under
/// `SMBGUARD_REQUIRE_TOOLS=1` for a missing tool).
pub fn tools_or_skip(_test: &str, tools: &[&str], need_root: bool) -> bool {
    smbguard_testkit::require_tools(tools) && (!need_root || smbguard_testkit::require_root())
}

/// A random operator-shaped estate file from the workspace's one generator
/// (callers skip the few that do not compile).
pub fn estate_toml() -> impl Strategy<Value = String> {
    any::<u64>().prop_map(smbguard_testkit::estates::toml_from_seed)
}
