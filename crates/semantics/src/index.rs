//! Lookups over a compiled [`Plan`](crate::Plan) that would otherwise scan
//! every group on every call (quadratic over an estate's emit or proof):
//! the KB rows and the group owning an address. (Which group names clash
//! as file names is the emit crate's naming authority's question.)
//!
//! Each is built on first use and kept with the plan. A plan is not changed
//! after [`compile`](crate::compile) returns; the index is not copied by
//! `Clone` (a clone rebuilds its own) and never takes part in `==`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use smbguard_model::Domain;

use crate::kb::KbRow;

/// Lazily built lookups; see the module documentation.
#[derive(Default)]
pub(crate) struct PlanIndex {
    pub(crate) kb_rows: OnceLock<Vec<KbRow>>,
    pub(crate) owners: OnceLock<Owners>,
}

impl Clone for PlanIndex {
    fn clone(&self) -> Self {
        PlanIndex::default()
    }
}

impl PartialEq for PlanIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for PlanIndex {}

impl fmt::Debug for PlanIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PlanIndex")
    }
}

/// Disjoint, sorted `(lo, hi, group)` segments: each address maps to the
/// first group (in estate order) whose addresses contain it.
#[derive(Debug, Default)]
pub(crate) struct Owners {
    pub(crate) v4: Vec<(u32, u32, usize)>,
    pub(crate) v6: Vec<(u128, u128, usize)>,
}

/// First-wins segments of possibly overlapping `(lo, hi, group)` intervals:
/// a sweep over the interval bounds with the set of groups covering each
/// elementary segment, O(n log n).
pub(crate) fn first_wins<T: Domain>(intervals: &[(T, T, usize)]) -> Vec<(T, T, usize)> {
    // Events: group starts covering at `lo`, stops after `hi`.
    let mut events: Vec<(T, bool, usize)> = Vec::with_capacity(intervals.len() * 2);
    for &(lo, hi, g) in intervals {
        events.push((lo, true, g));
        if let Some(end) = hi.succ() {
            events.push((end, false, g));
        }
    }
    events.sort_unstable();
    let mut active: BTreeMap<usize, usize> = BTreeMap::new();
    let mut out: Vec<(T, T, usize)> = Vec::new();
    let mut i = 0;
    while i < events.len() {
        let at = events[i].0;
        while i < events.len() && events[i].0 == at {
            let (_, start, g) = events[i];
            if start {
                *active.entry(g).or_insert(0) += 1;
            } else if let Some(c) = active.get_mut(&g) {
                *c -= 1;
                if *c == 0 {
                    active.remove(&g);
                }
            }
            i += 1;
        }
        let Some((&owner, _)) = active.first_key_value() else {
            continue;
        };
        // The segment runs to the next event, or to the end of the domain.
        let hi = match events.get(i) {
            Some(&(next, _, _)) => next.pred().unwrap_or(next),
            None => T::MAX,
        };
        match out.last_mut() {
            Some(last) if last.2 == owner && last.1.succ() == Some(at) => last.1 = hi,
            _ => out.push((at, hi, owner)),
        }
    }
    out
}

/// The group of the segment containing `v`, by binary search.
pub(crate) fn owner_of<T: Domain>(segments: &[(T, T, usize)], v: T) -> Option<usize> {
    let i = segments.partition_point(|&(lo, _, _)| lo <= v);
    let &(_, hi, g) = segments.get(i.checked_sub(1)?)?;
    (v <= hi).then_some(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_declared_group_wins_an_overlap() {
        let segs = first_wins::<u32>(&[(10, 20, 1), (0, 30, 2), (15, 40, 0), (50, 50, 3)]);
        assert_eq!(segs, vec![(0, 9, 2), (10, 14, 1), (15, 40, 0), (50, 50, 3)]);
        assert_eq!(owner_of(&segs, 9), Some(2));
        assert_eq!(owner_of(&segs, 41), None);
        assert_eq!(owner_of(&segs, 50), Some(3));
        assert_eq!(owner_of(&segs, 51), None);
    }

    #[test]
    fn segments_reach_the_end_of_the_domain() {
        let segs = first_wins::<u32>(&[(u32::MAX - 1, u32::MAX, 0), (0, u32::MAX, 1)]);
        assert_eq!(
            segs,
            vec![(0, u32::MAX - 2, 1), (u32::MAX - 1, u32::MAX, 0)]
        );
        assert_eq!(owner_of(&segs, u32::MAX), Some(0));
    }
}
