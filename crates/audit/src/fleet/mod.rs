//! A fleet of evidence bundles audited as a stream (docs/audit.md, "Fleet
//! scale"): inputs are pulled one at a time from the caller's iterator and
//! parsed and judged on rayon's threads, so only as many bundles as there
//! are threads are in memory at once; the plan's side of every comparison
//! is computed once per group; hosts that deployed the same configuration
//! share one judgement (`cache.rs`). The result is the list
//! [`audit_bundle`](crate::audit_bundle) would give input by input, in
//! input order.

mod cache;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use rayon::iter::{ParallelBridge, ParallelIterator};
use smbguard_semantics::{HostPolicy, Plan, WindowsPolicy};

use crate::bundle::{Bundle, read_bundle};
use crate::error::AuditError;
use crate::host::{GroupChoice, resolve_group, windows_group};
use crate::judge::{PlanSide, Starts, judge_windows_against, plan_starts};
use crate::report::HostAudit;
use cache::{Cache, CacheKey, Template};

/// One input of a fleet audit.
#[derive(Debug)]
pub enum FleetInput {
    /// An evidence bundle's JSON text and where it was read (a file,
    /// `<stdin>:LINE`).
    Bundle {
        /// Where the text was read; the host's `source`.
        location: String,
        /// The bundle (one JSON object).
        text: String,
    },
    /// An input another reader has already audited (a `registry.pol`, an
    /// nftables ruleset, …), kept in its place among the others.
    Audited(Box<HostAudit>),
}

/// Audits `inputs` in parallel and returns one [`HostAudit`] per input, in
/// input order: the same list as reading each bundle with
/// [`read_bundle`](crate::read_bundle) and auditing it with
/// [`audit_bundle`](crate::audit_bundle) one after the other. `progress` is
/// called once per input audited, from any thread.
///
/// # Errors
/// The error of the first input (in input order) that failed, whether the
/// iterator's own (`E`) or the audit's ([`AuditError`], converted); inputs
/// after it are not audited.
pub fn audit_fleet<E, I>(
    plan: &Plan,
    choice: GroupChoice<'_>,
    inputs: I,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<HostAudit>, E>
where
    I: Iterator<Item = Result<FleetInput, E>> + Send,
    E: From<AuditError> + Send,
{
    let fleet = Fleet::new(plan, choice);
    let first_error = AtomicUsize::new(usize::MAX);
    let mut done: Vec<(usize, Result<HostAudit, E>)> = inputs
        .enumerate()
        // Stop reading after a failed input: the sequential audit stops there.
        .take_while(|(i, _)| *i < first_error.load(Ordering::Relaxed))
        .par_bridge()
        .map(|(i, input)| {
            let audited = input.and_then(|input| fleet.audit(input).map_err(E::from));
            if audited.is_err() {
                first_error.fetch_min(i, Ordering::Relaxed);
            }
            progress();
            (i, audited)
        })
        .collect();
    done.sort_unstable_by_key(|(i, _)| *i);
    // Every input before the first failure was audited (an input is skipped
    // only when a failure before it is known), so this is the sequential
    // audit's result or its first error.
    done.into_iter().map(|(_, audited)| audited).collect()
}

/// What the threads share: the plan, the plan side of each group (built
/// when its first host arrives) and the judgements.
struct Fleet<'p> {
    plan: &'p Plan,
    choice: GroupChoice<'p>,
    starts: OnceLock<Starts>,
    sides: Vec<OnceLock<PlanSide<'p>>>,
    cache: Cache,
}

impl<'p> Fleet<'p> {
    fn new(plan: &'p Plan, choice: GroupChoice<'p>) -> Self {
        Fleet {
            plan,
            choice,
            starts: OnceLock::new(),
            sides: plan.hosts.iter().map(|_| OnceLock::new()).collect(),
            cache: Cache::default(),
        }
    }

    fn audit(&self, input: FleetInput) -> Result<HostAudit, AuditError> {
        match input {
            FleetInput::Audited(host) => Ok(*host),
            FleetInput::Bundle { location, text } => {
                let bundle = read_bundle(&text, &location)?;
                drop(text);
                self.audit_bundle(bundle, location)
            }
        }
    }

    fn audit_bundle(&self, bundle: Bundle, location: String) -> Result<HostAudit, AuditError> {
        let group = resolve_group(self.plan, self.choice, &bundle.addresses(), &location)?;
        let (group, expected) = windows_group(group, &location)?;
        let index = self
            .plan
            .hosts
            .iter()
            .position(|h| std::ptr::eq(h, group))
            .unwrap_or_default();
        let key = CacheKey::new(index, &bundle.firewall, &bundle.smb);
        let template = self.cache.get(&key).unwrap_or_else(|| {
            let t = Arc::new(self.judge(group, expected, index, &bundle));
            self.cache.offer(key, &t);
            t
        });
        Ok(template.host(bundle.host.name, location))
    }

    /// The judgement of a bundle's configuration, made with an empty
    /// location.
    fn judge(
        &self,
        group: &'p HostPolicy,
        expected: &'p WindowsPolicy,
        index: usize,
        bundle: &Bundle,
    ) -> Template {
        let side = self.sides[index].get_or_init(|| {
            let starts = self.starts.get_or_init(|| plan_starts(self.plan));
            PlanSide::new(self.plan, &group.addresses, expected, starts)
        });
        let eff = bundle.firewall.effective("");
        let smb = bundle.smb.host_smb();
        let j = judge_windows_against(side, group, &eff, Some(&smb));
        Template {
            group: group.group.clone(),
            policy_hash: bundle.firewall.policy_hash(),
            classes: j.classes,
            findings: j.findings,
            notes: eff.notes.into(),
        }
    }
}
