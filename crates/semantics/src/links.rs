//! Who relates to whom in an estate, computed once per [`compile`](crate::compile)
//! instead of once per group (a per-group scan of every group and every
//! management exception made compiling quadratic in the number of groups).

use smbguard_model::{AddrSet, Estate, IntervalSet, Role};

/// Per-estate lookups the host compiler reads.
#[derive(Debug)]
pub(crate) struct Links {
    /// Domain controllers and file servers, in estate order.
    pub(crate) servers: Vec<usize>,
    /// Per group: the management exceptions listing it in `to`, in estate order.
    pub(crate) mgmt_into: Vec<Vec<usize>>,
    /// Per group: the management exceptions whose `from` lists it or covers
    /// any of its addresses (a bare address inside a group is that group's
    /// host, so the group needs the outbound allowance), in estate order.
    pub(crate) mgmt_from: Vec<Vec<usize>>,
    /// Per group, when any two groups overlap: its addresses minus those of
    /// earlier groups ("a host belongs to the first group listing it"), so
    /// an allowance to a group never reaches another group's host.
    owned: Option<Vec<AddrSet>>,
}

impl Links {
    pub(crate) fn new(estate: &Estate) -> Self {
        let servers = estate
            .groups
            .iter()
            .enumerate()
            .filter(|(_, g)| matches!(g.role, Role::DomainController | Role::FileServer))
            .map(|(i, _)| i)
            .collect();
        let n = estate.groups.len();
        let mut mgmt_into = vec![Vec::new(); n];
        let mut mgmt_from = vec![Vec::new(); n];
        for (mi, m) in estate.management.iter().enumerate() {
            link(&mut mgmt_into, &m.to_groups, mi);
            link(&mut mgmt_from, &m.from_groups, mi);
        }
        // Bare addresses in `from`: one pass per exception over the groups
        // (exceptions are few; the groups they name are linked above).
        for (mi, m) in estate.management.iter().enumerate() {
            let covered: Vec<usize> = estate
                .groups
                .iter()
                .enumerate()
                .filter(|(gi, g)| !m.from_groups.contains(gi) && m.from.intersects(&g.addresses))
                .map(|(gi, _)| gi)
                .collect();
            for gi in covered {
                if !mgmt_from[gi].contains(&mi) {
                    mgmt_from[gi].push(mi);
                }
            }
        }
        for list in &mut mgmt_from {
            list.sort_unstable();
        }
        Links {
            servers,
            mgmt_into,
            mgmt_from,
            owned: owned(estate),
        }
    }

    /// The addresses whose hosts belong to group `g`.
    pub(crate) fn owned<'a>(&'a self, estate: &'a Estate, g: usize) -> &'a AddrSet {
        match &self.owned {
            Some(owned) => &owned[g],
            None => &estate.groups[g].addresses,
        }
    }
}

/// Each group's addresses minus earlier groups', or `None` when no two
/// groups share an address (the usual case, found by one sorted sweep, so
/// large estates pay no running union).
fn owned(estate: &Estate) -> Option<Vec<AddrSet>> {
    if !any_overlap(estate.groups.iter().map(|g| g.addresses.v4.intervals()))
        && !any_overlap(estate.groups.iter().map(|g| g.addresses.v6.intervals()))
    {
        return None;
    }
    let mut earlier = AddrSet::empty();
    let mut out = Vec::with_capacity(estate.groups.len());
    for g in &estate.groups {
        out.push(g.addresses.difference(&earlier));
        earlier = earlier.union(&g.addresses);
    }
    Some(out)
}

/// Whether intervals of two different sets meet (each set's own intervals
/// are disjoint, so any meeting pair after sorting is between two sets).
fn any_overlap<'a, T: Copy + Ord + 'a>(sets: impl Iterator<Item = &'a [(T, T)]>) -> bool {
    let mut all: Vec<(T, T)> = sets.flat_map(|s| s.iter().copied()).collect();
    all.sort_unstable();
    all.windows(2).any(|w| w[1].0 <= w[0].1)
}

/// Records exception `mi` once for each group it names (names may repeat).
fn link(table: &mut [Vec<usize>], groups: &[usize], mi: usize) {
    for &g in groups {
        if let Some(list) = table.get_mut(g) {
            if list.last() != Some(&mi) {
                list.push(mi);
            }
        }
    }
}

/// The union of many sets in one sort, instead of one merge per set
/// (which is quadratic when a group reaches thousands of others).
pub(crate) fn union_all<'a>(parts: impl IntoIterator<Item = &'a AddrSet> + Clone) -> AddrSet {
    AddrSet {
        v4: IntervalSet::from_intervals(
            parts
                .clone()
                .into_iter()
                .flat_map(|p| p.v4.intervals().iter().copied()),
        ),
        v6: IntervalSet::from_intervals(
            parts
                .into_iter()
                .flat_map(|p| p.v6.intervals().iter().copied()),
        ),
    }
}
