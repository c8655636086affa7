//! Address families and the output-sensitive interval operations the
//! verifier is built on.
//!
//! [`smbguard_model::IntervalSet`] merges linearly in both operands. The
//! verifier constantly intersects a small set (a group's allowed peers, a
//! bypass scope) with a huge one (every workstation range), so here the
//! smaller operand is walked and the larger one binary-searched:
//! `O(small · log big + output)`.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use smbguard_model::{AddrSet, Domain, IntervalSet};

use crate::space::{Seg, Space};

/// IPv4 or IPv6, as the integer domain of its addresses.
pub(crate) trait Fam: Domain + Hash {
    /// This family's part of an address set.
    fn part(set: &AddrSet) -> &IntervalSet<Self>;
    /// The address as an [`IpAddr`].
    fn ip(self) -> IpAddr;
    /// The owner map of this family.
    fn segs<'a>(space: &'a Space<'_>) -> &'a [Seg<Self>];
}

impl Fam for u32 {
    fn part(set: &AddrSet) -> &IntervalSet<Self> {
        &set.v4
    }
    fn ip(self) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(self))
    }
    fn segs<'a>(space: &'a Space<'_>) -> &'a [Seg<Self>] {
        &space.v4
    }
}

impl Fam for u128 {
    fn part(set: &AddrSet) -> &IntervalSet<Self> {
        &set.v6
    }
    fn ip(self) -> IpAddr {
        IpAddr::V6(Ipv6Addr::from(self))
    }
    fn segs<'a>(space: &'a Space<'_>) -> &'a [Seg<Self>] {
        &space.v6
    }
}

/// A canonical set from intervals already sorted, disjoint and non-adjacent
/// (sorting sorted input is linear).
pub(crate) fn set_of<T: Domain>(v: Vec<(T, T)>) -> IntervalSet<T> {
    IntervalSet::from_intervals(v)
}

/// `a ∩ b`, walking the smaller operand.
pub(crate) fn meet<T: Domain>(a: &IntervalSet<T>, b: &IntervalSet<T>) -> IntervalSet<T> {
    set_of(meet_slices(a.intervals(), b.intervals()))
}

/// `a ∩ b` on canonical interval slices.
pub(crate) fn meet_slices<T: Domain>(a: &[(T, T)], b: &[(T, T)]) -> Vec<(T, T)> {
    let (small, big) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let mut out = Vec::new();
    if small.is_empty() {
        return out;
    }
    if small.len().saturating_mul(8) >= big.len() {
        // Comparable sizes: a linear merge is cheaper than searching.
        let (mut i, mut j) = (0, 0);
        while i < small.len() && j < big.len() {
            let lo = small[i].0.max(big[j].0);
            let hi = small[i].1.min(big[j].1);
            if lo <= hi {
                out.push((lo, hi));
            }
            if small[i].1 < big[j].1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        return out;
    }
    for &(lo, hi) in small {
        let mut j = big.partition_point(|&(_, h)| h < lo);
        while j < big.len() && big[j].0 <= hi {
            out.push((lo.max(big[j].0), hi.min(big[j].1)));
            j += 1;
        }
    }
    out
}

/// `a \ b`, cost driven by `a` (only the part of `b` overlapping `a` is visited).
pub(crate) fn minus<T: Domain>(a: &IntervalSet<T>, b: &IntervalSet<T>) -> IntervalSet<T> {
    if a.is_empty() || b.is_empty() {
        return a.clone();
    }
    let cut = meet(a, b);
    if cut.is_empty() {
        return a.clone();
    }
    a.difference(&cut)
}

/// The first element of the intervals other than `avoid`, or `avoid` itself
/// when it is the only one (used to keep counterexamples off a host talking
/// to itself).
pub(crate) fn other_than<T: Domain>(pieces: &[(T, T)], avoid: T) -> Option<T> {
    let &(lo, hi) = pieces.first()?;
    if lo != avoid {
        return Some(lo);
    }
    if lo < hi {
        return lo.succ();
    }
    pieces.get(1).map(|p| p.0).or(Some(lo))
}

/// True when `v` is in the canonical slice.
pub(crate) fn holds<T: Domain>(s: &[(T, T)], v: T) -> bool {
    let i = s.partition_point(|&(_, h)| h < v);
    i < s.len() && s[i].0 <= v
}

/// One class of a partition: its membership signature and its intervals.
pub(crate) type Class<T> = (Vec<bool>, Vec<(T, T)>);

/// Raw intervals of both families, before canonicalisation.
pub(crate) type Raw = (Vec<(u32, u32)>, Vec<(u128, u128)>);

/// Splits `x` into the classes of the partition induced by `sets`: pieces of
/// `x` grouped by which of the sets contain them. Returns, per class, its
/// membership signature and its intervals (in address order). Cost is
/// driven by `x` and by the parts of the sets overlapping it.
pub(crate) fn classes<T: Domain>(x: &IntervalSet<T>, sets: &[&IntervalSet<T>]) -> Vec<Class<T>> {
    if x.is_empty() {
        return Vec::new();
    }
    // Sets that contain all of `x` or none of it do not cut it.
    let mut constant: Vec<Option<bool>> = Vec::with_capacity(sets.len());
    let mut local: Vec<Vec<(T, T)>> = Vec::with_capacity(sets.len());
    for s in sets {
        let l = meet_slices(s.intervals(), x.intervals());
        if l.is_empty() {
            constant.push(Some(false));
            local.push(Vec::new());
        } else if l == x.intervals() {
            constant.push(Some(true));
            local.push(Vec::new());
        } else {
            constant.push(None);
            local.push(l);
        }
    }
    let cutting: Vec<usize> = (0..sets.len()).filter(|&i| constant[i].is_none()).collect();
    let signature = |lo: T| -> Vec<bool> {
        (0..sets.len())
            .map(|i| constant[i].unwrap_or_else(|| holds(&local[i], lo)))
            .collect()
    };
    if cutting.is_empty() {
        return vec![(signature(x.intervals()[0].0), x.intervals().to_vec())];
    }
    // Cut points: every start and every end+1 of the overlapping parts.
    let mut cuts: Vec<T> = Vec::new();
    for &i in &cutting {
        for &(lo, hi) in &local[i] {
            cuts.push(lo);
            if let Some(n) = hi.succ() {
                cuts.push(n);
            }
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    // Only the cutting sets vary; key classes by their bits.
    let mut out: Vec<Class<T>> = Vec::new();
    let mut index: HashMap<Vec<u64>, usize, Fx> = HashMap::default();
    let mut key: Vec<u64> = vec![0; cutting.len().div_ceil(64)];
    let mut push = |lo: T, hi: T| {
        key.iter_mut().for_each(|k| *k = 0);
        for (b, &i) in cutting.iter().enumerate() {
            if holds(&local[i], lo) {
                key[b / 64] |= 1 << (b % 64);
            }
        }
        match index.get(&key) {
            Some(&c) => out[c].1.push((lo, hi)),
            None => {
                index.insert(key.clone(), out.len());
                out.push((signature(lo), vec![(lo, hi)]));
            }
        }
    };
    let mut c = 0;
    for &(lo, hi) in x.intervals() {
        while c < cuts.len() && cuts[c] <= lo {
            c += 1;
        }
        let mut start = lo;
        while c < cuts.len() && cuts[c] <= hi {
            // `cuts[c] > start >= MIN`, so `pred` exists.
            if let Some(end) = cuts[c].pred() {
                push(start, end);
            }
            start = cuts[c];
            c += 1;
        }
        push(start, hi);
    }
    out
}

/// A fast, non-cryptographic hasher (FxHash) for the verifier's caches,
/// whose keys are small integers.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Fx;

/// The state of [`Fx`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FxHasher(u64);

impl std::hash::BuildHasher for Fx {
    type Hasher = FxHasher;
    fn build_hasher(&self) -> FxHasher {
        FxHasher(0)
    }
}

impl std::hash::Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(b));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
}

impl FxHasher {
    fn add(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// A hash map with the [`Fx`] hasher.
pub(crate) type FxMap<K, V> = HashMap<K, V, Fx>;

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[(u32, u32)]) -> IntervalSet<u32> {
        IntervalSet::from_intervals(v.iter().copied())
    }

    #[test]
    fn meet_matches_the_linear_intersection() {
        let a = s(&[(0, 5), (10, 20), (30, 30)]);
        let b = s(&[(3, 12), (15, 40), (100, 200), (300, 400), (500, 600)]);
        assert_eq!(meet(&a, &b), a.intersection(&b));
        let big = s(&(0..100).map(|i| (i * 10, i * 10 + 4)).collect::<Vec<_>>());
        let small = s(&[(7, 23), (500, 502), (990, u32::MAX)]);
        assert_eq!(meet(&small, &big), small.intersection(&big));
        assert_eq!(minus(&small, &big), small.difference(&big));
    }

    #[test]
    fn classes_partition_by_membership() {
        let x = s(&[(0, 99)]);
        let a = s(&[(10, 19), (50, 59)]);
        let b = s(&[(15, 54)]);
        let cl = classes(&x, &[&a, &b]);
        let total: u64 = cl
            .iter()
            .flat_map(|(_, v)| v.iter().map(|&(l, h)| u64::from(h - l) + 1))
            .sum();
        assert_eq!(total, 100);
        for (sig, pieces) in &cl {
            for &(lo, hi) in pieces {
                for v in [lo, hi] {
                    assert_eq!(sig[0], a.contains(v));
                    assert_eq!(sig[1], b.contains(v));
                }
            }
        }
        assert_eq!(cl.len(), 4);
    }

    #[test]
    fn classes_reach_the_top_of_the_domain() {
        let x = IntervalSet::<u32>::full();
        let a = s(&[(5, u32::MAX)]);
        let cl = classes(&x, &[&a]);
        assert_eq!(cl.len(), 2);
    }
}
