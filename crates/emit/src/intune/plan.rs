//! The plan Intune can carry, and what it cannot.
//!
//! The Firewall CSP has Allow and Block only (`Action/Type` 0 or 1) and no
//! connection security rule node (reference notes §2), so an `ipsec-bypass`
//! estate is compiled with strategy `complement` for this target, as the lab
//! does. It cannot disable individual built-in rules either: the profile
//! policy turns local rule merge off, so every local rule (built-in or not)
//! is ignored and the plan lists the whole built-in catalogue as disabled.
//! Service start-up (K8) has no Policy CSP node for `LanmanServer` /
//! `LanmanWorkstation`, so those settings are dropped and said so.

use smbguard_model::{Estate, Strategy};
use smbguard_semantics::{Action, CompileError, HostRules, Plan, Security, builtin, compile};

/// The plan compiled for Intune and what had to change to get it.
#[derive(Debug, Clone)]
pub struct IntunePlan {
    /// The plan the Intune artefacts carry (the one to verify).
    pub plan: Plan,
    /// The estate it was compiled from (strategy as used for Intune).
    pub estate: Estate,
    /// True when the estate asked for `ipsec-bypass` and `complement` was used.
    pub complement_substituted: bool,
    /// What the estate asks for that Intune does not carry, one line each.
    pub notes: Vec<String>,
}

/// Compiles `estate` for Intune (see the module documentation).
pub fn intune_plan(estate: &Estate) -> Result<IntunePlan, CompileError> {
    let mut notes = Vec::new();
    let mut estate = estate.clone();
    let complement_substituted = estate.strategy == Strategy::IpsecBypass;
    if complement_substituted {
        estate.strategy = Strategy::Complement;
        notes.push(
            "the estate asks for strategy \"ipsec-bypass\", but the Intune Firewall CSP has Allow and Block only (no \"allow if secure\", no override, no connection security rules): the Intune policies are compiled with strategy \"complement\" (block rules whose remote addresses are the complement of the allowed servers)".to_owned(),
        );
    }
    let mut plan = compile(&estate)?;
    let all_builtins: Vec<&'static str> =
        builtin::catalogue().iter().map(|r| r.id.as_str()).collect();
    let mut dropped_services = Vec::new();
    for host in &mut plan.hosts {
        let HostRules::Windows(w) = &mut host.rules else {
            continue;
        };
        w.disabled_builtins = all_builtins.clone();
        for s in w.services.drain(..) {
            dropped_services.push(format!("{} {}", host.group, s.service));
        }
        w.connection_security.clear();
    }
    if plan.hosts.iter().any(|h| h.windows().is_some()) {
        notes.push(
            "Intune cannot disable single built-in firewall rules: the profile policy sets AllowLocalPolicyMerge = false, so every local rule (built-in or added by hand) is ignored on these devices; deliver every rule they need through Intune".to_owned(),
        );
    }
    if !dropped_services.is_empty() {
        notes.push(format!(
            "K8 service start-up (disable the Server/Workstation service) has no Intune Policy CSP setting and is not carried: {}; use a remediation script or GPO",
            dropped_services.join(", ")
        ));
    }
    Ok(IntunePlan {
        plan,
        estate,
        complement_substituted,
        notes,
    })
}

/// True when every rule of the plan fits the Firewall CSP (allow or block,
/// no IPsec requirement, no authorised computers, no edge traversal).
pub(crate) fn csp_expressible(plan: &Plan) -> Result<(), String> {
    for host in &plan.hosts {
        let Some(w) = host.windows() else { continue };
        for r in &w.rules {
            if r.action == Action::Bypass
                || r.security != Security::None
                || !r.remote_machines.is_empty()
                || r.edge_traversal
            {
                return Err(format!(
                    "rule {} of group {} (IPsec, authorised computers or edge traversal)",
                    r.id, host.group
                ));
            }
        }
    }
    Ok(())
}
