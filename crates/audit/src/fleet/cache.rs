//! Judgements reused between hosts that deployed the same configuration
//! (docs/audit.md, "Fleet scale").
//!
//! A judgement depends on the group, the three firewall stores and the SMB
//! facts, and on nothing else of the bundle; the input's location only
//! prefixes the notes (and the evidence quoting them). So a judgement is
//! made once with an empty location (a [`Template`]) and handed to each host
//! with its own location in front ([`Template::host`]).
//!
//! The key is the group and the stores and SMB facts themselves, compared in
//! full: a 64-bit hash only finds the candidates, so two configurations that
//! differ in one byte never share a judgement (a hash as the key would let
//! a host that forged a collision inherit a compliant host's verdict).
//! Judgements are kept from a configuration's first sighting while keys
//! and judgements fit in [`BUDGET_BYTES`]; past that, hosts are judged
//! one by one (as fast as without a cache, never wrong).

use std::collections::hash_map::Entry;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError};

use rustc_hash::{FxHashMap, FxHasher};

use crate::bundle::{FirewallStores, RegValue, RegValueData, SmbFacts};
use crate::finding::Finding;
use crate::report::{AuditFinding, HostAudit, InputKind, Notes};

/// What the cache may hold, keys and judgements together (approximate).
pub(crate) const BUDGET_BYTES: usize = 64 << 20;

/// Everything a Windows judgement reads from a bundle, and the group.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey {
    /// The group's index in the plan.
    pub group: usize,
    pub firewall: FirewallStores,
    pub smb: SmbFacts,
}

fn value_bytes(v: &RegValue) -> usize {
    let data = match &v.data {
        RegValueData::Number(_) => 4,
        RegValueData::Text(t) => t.len(),
        RegValueData::List(l) => l.iter().map(|s| s.len() + 24).sum(),
    };
    // Three strings and the value itself: lengths plus headers.
    v.key.len() + v.name.len() + v.kind.len() + data + 128
}

impl CacheKey {
    /// The hash that finds candidate entries.
    pub(crate) fn hash64(&self) -> u64 {
        let mut h = FxHasher::default();
        self.hash(&mut h);
        h.finish()
    }

    fn bytes(&self) -> usize {
        let f = &self.firewall;
        let values = f.gpo.iter().chain(&f.mdm).chain(&f.local);
        let smb = self.smb.registry.iter();
        values.chain(smb).map(value_bytes).sum::<usize>() + 256
    }
}

/// A judgement made with an empty location: what every host with the same
/// key gets, its location in front of every note.
#[derive(Debug)]
pub(crate) struct Template {
    pub group: String,
    pub policy_hash: String,
    pub classes: usize,
    pub findings: Vec<AuditFinding>,
    pub notes: Arc<[Finding]>,
}

impl Template {
    fn bytes(&self) -> usize {
        let notes: usize = self
            .notes
            .iter()
            .map(|n| n.location.len() + n.message.len() + 96)
            .sum();
        // Findings are few on a host that repeats; a generous flat size.
        notes + self.findings.len() * 4096 + 256
    }

    /// The audit of host `name` read at `location`: the template with the
    /// location in front of every note and of every note the evidence
    /// quotes (`"{location}{rest}"` is what the readers write).
    pub(crate) fn host(&self, name: String, location: String) -> HostAudit {
        let findings = self
            .findings
            .iter()
            .map(|f| {
                let mut f = f.clone();
                for a in &mut f.evidence.approximated {
                    a.insert_str(0, &location);
                }
                f
            })
            .collect();
        let notes = Notes::shared(&location, Arc::clone(&self.notes));
        HostAudit {
            host: name,
            source: location,
            input: InputKind::Bundle,
            group: Some(self.group.clone()),
            policy_hash: self.policy_hash.clone(),
            classes: self.classes,
            findings,
            notes,
        }
    }
}

#[derive(Debug, Default)]
struct State {
    entries: FxHashMap<u64, Vec<(CacheKey, Arc<Template>)>>,
    bytes: usize,
}

/// Judgements by key, shared by the threads of a fleet audit.
#[derive(Debug, Default)]
pub(crate) struct Cache {
    state: Mutex<State>,
}

impl Cache {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panicking thread cannot leave the maps half-updated in a way
        // that matters: every entry is complete when inserted.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The judgement of an equal key, if one is kept.
    pub(crate) fn get(&self, key: &CacheKey, hash: u64) -> Option<Arc<Template>> {
        let state = self.lock();
        let candidates = state.entries.get(&hash)?;
        candidates
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, t)| Arc::clone(t))
    }

    /// Keeps `template` for `key` while the budget allows.
    pub(crate) fn offer(&self, key: CacheKey, hash: u64, template: &Arc<Template>) {
        let mut state = self.lock();
        let size = key.bytes() + template.bytes();
        if state.bytes + size > BUDGET_BYTES {
            return;
        }
        let list = match state.entries.entry(hash) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(Vec::new()),
        };
        if list.iter().any(|(k, _)| *k == key) {
            return;
        }
        list.push((key, Arc::clone(template)));
        state.bytes += size;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(group: usize, rule: &str, smb1: u32) -> CacheKey {
        let value = |key: &str, name: &str, data| RegValue {
            key: key.to_owned(),
            name: name.to_owned(),
            kind: "REG_SZ".to_owned(),
            data,
        };
        CacheKey {
            group,
            firewall: FirewallStores {
                gpo: vec![value(
                    "FirewallRules",
                    "r",
                    RegValueData::Text(rule.to_owned()),
                )],
                ..FirewallStores::default()
            },
            smb: SmbFacts {
                registry: vec![value("LanmanServer", "SMB1", RegValueData::Number(smb1))],
                ..SmbFacts::default()
            },
        }
    }

    fn template(classes: usize) -> Arc<Template> {
        Arc::new(Template {
            group: "g".to_owned(),
            policy_hash: String::new(),
            classes,
            findings: Vec::new(),
            notes: Vec::new().into(),
        })
    }

    #[test]
    fn a_judgement_is_found_only_by_an_equal_key_and_kept_within_the_budget() {
        let cache = Cache::default();
        let k = key(1, "v2.30|Action=Block|", 0);
        let h = k.hash64();
        assert!(cache.get(&k, h).is_none());
        cache.offer(key(1, "v2.30|Action=Block|", 0), h, &template(7));
        assert_eq!(cache.get(&k, h).map(|t| t.classes), Some(7));
        // Another group, rule or SMB value is another key, even under the
        // same hash.
        for other in [
            key(2, "v2.30|Action=Block|", 0),
            key(1, "v2.30|Action=Allow|", 0),
            key(1, "v2.30|Action=Block|", 1),
        ] {
            assert!(cache.get(&other, h).is_none(), "{other:?}");
        }
        // A full cache keeps nothing more.
        cache.lock().bytes = BUDGET_BYTES;
        let late = key(3, "v2.30|Action=Block|", 0);
        cache.offer(
            key(3, "v2.30|Action=Block|", 0),
            late.hash64(),
            &template(8),
        );
        assert!(cache.get(&late, late.hash64()).is_none());
    }
}
