//! Canonical sets of unsigned integers stored as sorted, disjoint, non-adjacent
//! inclusive intervals. Addresses (IPv4 as `u32`, IPv6 as `u128`) and ports
//! (`u16`) are all sets of this kind, so every set operation in smbguard is
//! written once, here.

use std::fmt::Debug;

/// An unsigned integer domain with a smallest and a largest element.
pub trait Domain: Copy + Ord + Debug + Send + Sync + 'static {
    /// The smallest element.
    const MIN: Self;
    /// The largest element.
    const MAX: Self;
    /// `self + 1`, or `None` at `MAX`.
    fn succ(self) -> Option<Self>;
    /// `self - 1`, or `None` at `MIN`.
    fn pred(self) -> Option<Self>;
}

macro_rules! impl_domain {
    ($($t:ty),*) => {$(
        impl Domain for $t {
            const MIN: Self = <$t>::MIN;
            const MAX: Self = <$t>::MAX;
            fn succ(self) -> Option<Self> { self.checked_add(1) }
            fn pred(self) -> Option<Self> { self.checked_sub(1) }
        }
    )*};
}
impl_domain!(u16, u32, u128);

/// A set of integers as sorted, disjoint, non-adjacent inclusive intervals.
///
/// The representation is canonical: two sets are equal iff their interval
/// lists are equal, so `==` is set equality.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct IntervalSet<T: Domain> {
    intervals: Vec<(T, T)>,
}

impl<T: Domain> Debug for IntervalSet<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.intervals.iter()).finish()
    }
}

impl<T: Domain> IntervalSet<T> {
    /// The empty set.
    pub fn empty() -> Self {
        Self {
            intervals: Vec::new(),
        }
    }

    /// The whole domain.
    pub fn full() -> Self {
        Self {
            intervals: vec![(T::MIN, T::MAX)],
        }
    }

    /// One inclusive interval; empty when `lo > hi`.
    pub fn range(lo: T, hi: T) -> Self {
        if lo > hi {
            Self::empty()
        } else {
            Self {
                intervals: vec![(lo, hi)],
            }
        }
    }

    /// A single element.
    pub fn single(v: T) -> Self {
        Self::range(v, v)
    }

    /// Builds a canonical set from arbitrary (possibly overlapping, unsorted)
    /// inclusive intervals; inverted intervals are ignored.
    pub fn from_intervals(iter: impl IntoIterator<Item = (T, T)>) -> Self {
        let mut v: Vec<(T, T)> = iter.into_iter().filter(|(a, b)| a <= b).collect();
        v.sort_unstable();
        let mut out: Vec<(T, T)> = Vec::with_capacity(v.len());
        for (lo, hi) in v {
            if let Some(last) = out.last_mut() {
                // Merge overlapping or adjacent intervals.
                let adjacent = last.1.succ().is_some_and(|n| n >= lo);
                if last.1 >= lo || adjacent {
                    if hi > last.1 {
                        last.1 = hi;
                    }
                    continue;
                }
            }
            out.push((lo, hi));
        }
        Self { intervals: out }
    }

    /// The canonical intervals, sorted and disjoint.
    pub fn intervals(&self) -> &[(T, T)] {
        &self.intervals
    }

    /// True when the set has no element.
    pub fn is_empty(&self) -> bool {
        self.intervals.is_empty()
    }

    /// True when the set is the whole domain.
    pub fn is_full(&self) -> bool {
        self.intervals.len() == 1 && self.intervals[0] == (T::MIN, T::MAX)
    }

    /// Membership, by binary search.
    pub fn contains(&self, v: T) -> bool {
        match self.intervals.binary_search_by(|&(lo, _)| lo.cmp(&v)) {
            Ok(_) => true,
            Err(0) => false,
            Err(i) => self.intervals[i - 1].1 >= v,
        }
    }

    /// The smallest element, if any.
    pub fn first(&self) -> Option<T> {
        self.intervals.first().map(|i| i.0)
    }

    /// Set union.
    pub fn union(&self, other: &Self) -> Self {
        Self::from_intervals(self.intervals.iter().chain(other.intervals.iter()).copied())
    }

    /// Set complement within the domain.
    pub fn complement(&self) -> Self {
        let mut out = Vec::with_capacity(self.intervals.len() + 1);
        let mut next = Some(T::MIN);
        for &(lo, hi) in &self.intervals {
            if let Some(start) = next {
                if start < lo {
                    // `lo > start >= MIN`, so `pred` cannot fail.
                    if let Some(end) = lo.pred() {
                        out.push((start, end));
                    }
                }
            }
            next = hi.succ();
        }
        if let Some(start) = next {
            out.push((start, T::MAX));
        }
        Self { intervals: out }
    }

    /// Set intersection, by a linear merge.
    pub fn intersection(&self, other: &Self) -> Self {
        let (a, b) = (&self.intervals, &other.intervals);
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        while i < a.len() && j < b.len() {
            let lo = a[i].0.max(b[j].0);
            let hi = a[i].1.min(b[j].1);
            if lo <= hi {
                out.push((lo, hi));
            }
            if a[i].1 < b[j].1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        Self { intervals: out }
    }

    /// Set difference `self \ other`.
    pub fn difference(&self, other: &Self) -> Self {
        self.intersection(&other.complement())
    }

    /// True when the two sets share an element.
    pub fn intersects(&self, other: &Self) -> bool {
        !self.intersection(other).is_empty()
    }

    /// True when every element of `self` is in `other`.
    pub fn is_subset(&self, other: &Self) -> bool {
        self.difference(other).is_empty()
    }
}

impl<T: Domain> FromIterator<(T, T)> for IntervalSet<T> {
    fn from_iter<I: IntoIterator<Item = (T, T)>>(iter: I) -> Self {
        Self::from_intervals(iter)
    }
}

impl IntervalSet<u16> {
    /// Each interval as `445` or `137-138`, the form every firewall syntax accepts.
    pub fn port_ranges(&self) -> Vec<String> {
        self.intervals
            .iter()
            .map(|&(a, b)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a}-{b}")
                }
            })
            .collect()
    }

    /// Formats a port set as `any`, `445` or `137-138, 445`.
    pub fn to_port_string(&self) -> String {
        if self.is_full() {
            return "any".to_string();
        }
        self.port_ranges().join(", ")
    }
}

impl serde::Serialize for IntervalSet<u16> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_port_string())
    }
}
