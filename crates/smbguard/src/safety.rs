//! The guard `emit` and `apply` share: run KB3185535's built-in invariants
//! (smbguard-verify) and refuse an unsafe plan unless the user gives a reason.

use smbguard_emit::EmitContext;
use smbguard_model::Estate;
use smbguard_semantics::Plan;

use crate::render::term::esc;

/// Whether to go on, and with which reason in the artefact headers.
pub(crate) enum Safety<'a> {
    /// Every built-in invariant holds.
    Safe,
    /// Some fail, and the user insisted with this reason.
    Allowed(&'a str),
    /// Some fail, and nothing may be written or applied.
    Refused,
}

/// Checks the plan; explains on stderr. `doing` completes "nothing ...",
/// e.g. "written" or "applied".
pub(crate) fn check<'a>(
    plan: &Plan,
    estate: &Estate,
    allow_unsafe: Option<&'a str>,
    doing: &str,
) -> Safety<'a> {
    match smbguard_verify::guard(plan, estate) {
        Ok(()) => {
            eprintln!("verified: the plan keeps every built-in invariant of KB3185535");
            if allow_unsafe.is_some() {
                eprintln!("note: --allow-unsafe ignored: the plan is safe");
            }
            Safety::Safe
        }
        Err(unsafe_plan) => {
            for f in &unsafe_plan.failed {
                eprintln!("FAIL {} {}: {}", f.id, esc(&f.title), esc(&f.summary));
            }
            match allow_unsafe {
                Some(reason) => {
                    eprintln!(
                        "warning: {unsafe_plan}; going on anyway (--allow-unsafe: {})",
                        esc(reason)
                    );
                    Safety::Allowed(reason)
                }
                None => {
                    eprintln!(
                        "error: {unsafe_plan}; nothing {doing}. Fix the estate (see `smbguard verify`), or pass --allow-unsafe \"REASON\""
                    );
                    Safety::Refused
                }
            }
        }
    }
}

/// [`check`], then the context the artefacts are built from (the reason, if
/// any, goes into every header); `None` when the plan is refused and the
/// caller exits with `EXIT_FAILED`. `emit` and `apply` share it.
pub(crate) fn context<'a>(
    plan: &'a Plan,
    estate: &'a Estate,
    allow_unsafe: Option<&'a str>,
    doing: &str,
) -> Option<EmitContext<'a>> {
    let unsafe_reason = match check(plan, estate, allow_unsafe, doing) {
        Safety::Safe => None,
        Safety::Allowed(reason) => Some(reason),
        Safety::Refused => return None,
    };
    Some(EmitContext {
        estate,
        plan,
        version: env!("CARGO_PKG_VERSION"),
        unsafe_reason,
    })
}
