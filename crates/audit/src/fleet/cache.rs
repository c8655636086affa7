//! Judgements reused between hosts that deployed the same configuration
//! (docs/audit.md, "Fleet scale").
//!
//! A judgement depends on the group, the three firewall stores and the SMB
//! facts, and on nothing else of the bundle; the input's location only
//! prefixes the notes (and the evidence quoting them). So a judgement is
//! made once with an empty location (a [`Template`]) and handed to each host
//! with its own location in front ([`Template::host`]).
//!
//! The key is the group and the stores and SMB facts themselves (encoded
//! without loss) and a map compares keys in full, so two configurations
//! that differ in one byte never share a judgement (a hash as the key would
//! let a host that forged a collision inherit a compliant host's verdict).
//! Judgements are kept from a configuration's first sighting while keys and
//! judgements fit in [`BUDGET_BYTES`]. Once full, a configuration seen
//! before takes the place of the least recently used ones, and one seen for
//! the first time is only remembered (by its hash): a stream of one-off
//! hosts cannot push out the configurations the fleet repeats. A host whose
//! configuration is not kept is judged on its own: slower, never different.

use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, PoisonError};

use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};

use crate::bundle::{FirewallStores, RegValue, RegValueData, SmbFacts};
use crate::finding::Finding;
use crate::report::{AuditFinding, HostAudit, InputKind, Notes};

/// What the cache may hold, keys and judgements together (approximate).
pub(crate) const BUDGET_BYTES: usize = 64 << 20;

/// Everything a Windows judgement reads from a bundle, and the group, as
/// bytes: every string with its length in front, every list with its
/// count, so two different configurations never have the same key.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey {
    bytes: Vec<u8>,
}

fn put_len(out: &mut Vec<u8>, n: usize) {
    out.extend_from_slice(&(n as u64).to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

fn put_values(out: &mut Vec<u8>, values: &[RegValue]) {
    put_len(out, values.len());
    for v in values {
        put_str(out, &v.key);
        put_str(out, &v.name);
        put_str(out, &v.kind);
        match &v.data {
            RegValueData::Text(t) => {
                out.push(0);
                put_str(out, t);
            }
            RegValueData::Number(n) => {
                out.push(1);
                out.extend_from_slice(&n.to_le_bytes());
            }
            RegValueData::List(l) => {
                out.push(2);
                put_len(out, l.len());
                l.iter().for_each(|s| put_str(out, s));
            }
        }
    }
}

impl CacheKey {
    /// The key of `group` (its index in the plan) with these stores and
    /// SMB facts.
    pub(crate) fn new(group: usize, firewall: &FirewallStores, smb: &SmbFacts) -> Self {
        let mut bytes = Vec::new();
        put_len(&mut bytes, group);
        for store in [&firewall.gpo, &firewall.mdm, &firewall.local] {
            put_values(&mut bytes, store);
        }
        put_values(&mut bytes, &smb.registry);
        put_str(&mut bytes, &smb.smb1_feature);
        put_len(&mut bytes, smb.shares.len());
        for share in &smb.shares {
            put_str(&mut bytes, &share.name);
            put_str(&mut bytes, &share.path);
            bytes.push(u8::from(share.special));
        }
        bytes.shrink_to_fit();
        CacheKey { bytes }
    }

    fn bytes(&self) -> usize {
        self.bytes.len() + 64
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

/// A kept judgement.
#[derive(Debug)]
struct Kept {
    template: Arc<Template>,
    /// Approximate bytes of key and judgement.
    size: usize,
    /// When it was last used ([`State::clock`]).
    used: u64,
}

#[derive(Debug, Default)]
struct State {
    entries: FxHashMap<CacheKey, Kept>,
    bytes: usize,
    /// Counts lookups and insertions, for least-recently-used eviction.
    clock: u64,
    /// Hashes of keys offered while the cache was full and not kept (only
    /// remembered, so a hash is enough).
    seen: FxHashSet<u64>,
}

impl State {
    /// Drops the least recently used judgements until `size` more bytes fit.
    fn make_room(&mut self, size: usize) {
        while self.bytes + size > BUDGET_BYTES {
            let Some(oldest) = self.entries.values().map(|k| k.used).min() else {
                return;
            };
            // Every use has its own clock value: this drops one entry.
            let mut freed = 0;
            self.entries.retain(|_, k| {
                let keep = k.used != oldest;
                if !keep {
                    freed += k.size;
                }
                keep
            });
            self.bytes -= freed;
        }
    }
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
    pub(crate) fn get(&self, key: &CacheKey) -> Option<Arc<Template>> {
        let mut state = self.lock();
        state.clock += 1;
        let now = state.clock;
        let kept = state.entries.get_mut(key)?;
        kept.used = now;
        Some(Arc::clone(&kept.template))
    }

    /// Keeps `template` for `key` if it fits; when full, only if the key was
    /// offered before, in place of the least recently used judgements.
    pub(crate) fn offer(&self, key: CacheKey, template: &Arc<Template>) {
        let size = key.bytes() + template.bytes();
        if size > BUDGET_BYTES {
            return;
        }
        let mut state = self.lock();
        if state.entries.contains_key(&key) {
            return;
        }
        if state.bytes + size > BUDGET_BYTES {
            if state.seen.insert(FxBuildHasher.hash_one(&key)) {
                return;
            }
            state.make_room(size);
        }
        state.clock += 1;
        let kept = Kept {
            template: Arc::clone(template),
            size,
            used: state.clock,
        };
        state.entries.insert(key, kept);
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
        let firewall = FirewallStores {
            gpo: vec![value(
                "FirewallRules",
                "r",
                RegValueData::Text(rule.to_owned()),
            )],
            ..FirewallStores::default()
        };
        let smb = SmbFacts {
            registry: vec![value("LanmanServer", "SMB1", RegValueData::Number(smb1))],
            ..SmbFacts::default()
        };
        CacheKey::new(group, &firewall, &smb)
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
    fn a_judgement_is_found_only_by_an_equal_key() {
        let cache = Cache::default();
        let k = key(1, "v2.30|Action=Block|", 0);
        assert!(cache.get(&k).is_none());
        cache.offer(key(1, "v2.30|Action=Block|", 0), &template(7));
        assert_eq!(cache.get(&k).map(|t| t.classes), Some(7));
        // Another group, rule or SMB value is another key.
        for other in [
            key(2, "v2.30|Action=Block|", 0),
            key(1, "v2.30|Action=Allow|", 0),
            key(1, "v2.30|Action=Block|", 1),
        ] {
            assert!(cache.get(&other).is_none(), "{other:?}");
        }
    }

    #[test]
    fn a_full_cache_keeps_a_configuration_seen_again_in_place_of_the_least_recently_used() {
        let cache = Cache::default();
        let keys: Vec<CacheKey> = (0..3).map(|g| key(g, "v2.30|Action=Block|", 0)).collect();
        let size = keys[0].bytes() + template(0).bytes();
        // Room for two entries.
        cache.lock().bytes = BUDGET_BYTES - 2 * size;
        for g in 0..2 {
            cache.offer(key(g, "v2.30|Action=Block|", 0), &template(g));
        }
        // The first is used again: the second is the least recently used.
        // The third, new, is only remembered; offered again, it is kept.
        assert!(cache.get(&keys[0]).is_some());
        for _ in 0..2 {
            assert!(cache.get(&keys[2]).is_none());
            let again = key(2, "v2.30|Action=Block|", 0);
            cache.offer(again, &template(2));
        }
        let kept: Vec<bool> = keys.iter().map(|k| cache.get(k).is_some()).collect();
        assert_eq!(kept, [true, false, true]);
        assert_eq!(cache.lock().bytes, BUDGET_BYTES);
    }
}
