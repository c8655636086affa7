//! IPv4 fragment reassembly for UDP (NBNS/NBDGM datagrams can be fragmented).
//!
//! Hand-written rather than etherparse's `IpDefragPool` because that pool is
//! unbounded ("NOT safe against Out of Memory attacks", its docs say) and
//! takes strict, not lax, slices. This one keeps at most [`MAX_SLOTS`]
//! datagrams of at most 64 KiB, evicting the oldest, and reuses buffers.

use std::net::Ipv4Addr;

use crate::timestamp::Timestamp;

const MAX_SLOTS: usize = 64;
const MAX_DATAGRAM: usize = 65_535;
const MAX_PIECES: usize = 64;
const TIMEOUT_NANOS: u64 = 30 * 1_000_000_000;

/// Identifies the datagram a fragment belongs to (RFC 791; protocol is
/// always UDP here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct FragKey {
    pub(super) src: Ipv4Addr,
    pub(super) dst: Ipv4Addr,
    pub(super) id: u16,
}

#[derive(Debug)]
struct Slot {
    key: FragKey,
    last_ts: Timestamp,
    data: Vec<u8>,
    pieces: Vec<(usize, usize)>,
    total: Option<usize>,
}

#[derive(Debug, Default)]
pub(super) struct Defrag {
    slots: Vec<Slot>,
    spare: Vec<Slot>,
    done: Vec<u8>,
}

impl Defrag {
    /// Adds one fragment; returns the whole datagram payload once complete.
    pub(super) fn add(
        &mut self,
        key: FragKey,
        ts: Timestamp,
        offset: usize,
        more: bool,
        payload: &[u8],
    ) -> Option<&[u8]> {
        self.expire(ts);
        let end = offset + payload.len();
        let idx = self.slot_for(key, ts);
        if end > MAX_DATAGRAM || self.slots[idx].pieces.len() >= MAX_PIECES {
            self.release(idx);
            return None;
        }
        let slot = &mut self.slots[idx];
        slot.last_ts = ts;
        if slot.data.len() < end {
            slot.data.resize(end, 0);
        }
        slot.data[offset..end].copy_from_slice(payload);
        slot.pieces.push((offset, end));
        if !more {
            slot.total = Some(end);
        }
        let total = slot.total?;
        if !covers(&mut slot.pieces, total) {
            return None;
        }
        std::mem::swap(&mut self.done, &mut slot.data);
        self.done.truncate(total);
        self.release(idx);
        Some(&self.done)
    }

    fn slot_for(&mut self, key: FragKey, ts: Timestamp) -> usize {
        if let Some(i) = self.slots.iter().position(|s| s.key == key) {
            return i;
        }
        if self.slots.len() >= MAX_SLOTS {
            let oldest = self
                .slots
                .iter()
                .enumerate()
                .min_by_key(|(_, s)| s.last_ts)
                .map_or(0, |(i, _)| i);
            self.release(oldest);
        }
        let mut slot = self.spare.pop().unwrap_or_else(|| Slot {
            key,
            last_ts: ts,
            data: Vec::new(),
            pieces: Vec::new(),
            total: None,
        });
        slot.key = key;
        slot.last_ts = ts;
        self.slots.push(slot);
        self.slots.len() - 1
    }

    fn release(&mut self, idx: usize) {
        let mut slot = self.slots.swap_remove(idx);
        slot.data.clear();
        slot.pieces.clear();
        slot.total = None;
        self.spare.push(slot);
    }

    fn expire(&mut self, now: Timestamp) {
        let mut i = 0;
        while i < self.slots.len() {
            if self.slots[i].last_ts.saturating_add_nanos(TIMEOUT_NANOS) < now {
                self.release(i);
            } else {
                i += 1;
            }
        }
    }
}

/// Whether the pieces cover `0..total` without a hole.
fn covers(pieces: &mut [(usize, usize)], total: usize) -> bool {
    pieces.sort_unstable();
    let mut reached = 0;
    for &(start, end) in pieces.iter() {
        if start > reached {
            return false;
        }
        reached = reached.max(end);
    }
    reached >= total
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::{Defrag, FragKey};
    use crate::timestamp::Timestamp;

    const KEY: FragKey = FragKey {
        src: Ipv4Addr::new(10, 0, 0, 1),
        dst: Ipv4Addr::new(10, 0, 0, 255),
        id: 7,
    };

    #[test]
    fn reassembles_out_of_order() {
        let mut d = Defrag::default();
        let ts = Timestamp::from_nanos(1);
        assert!(d.add(KEY, ts, 16, false, &[3; 4]).is_none());
        assert!(d.add(KEY, ts, 0, true, &[1; 8]).is_none());
        let whole = d.add(KEY, ts, 8, true, &[2; 8]).unwrap();
        assert_eq!(
            whole,
            &[1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3]
        );
    }

    #[test]
    fn bounded_slots_and_timeouts() {
        let mut d = Defrag::default();
        for id in 0..1000u16 {
            let key = FragKey { id, ..KEY };
            assert!(
                d.add(key, Timestamp::from_nanos(u64::from(id)), 0, true, &[0; 8])
                    .is_none()
            );
        }
        assert!(d.slots.len() <= super::MAX_SLOTS);
        // Far in the future: everything expires.
        let late = Timestamp::from_nanos(1_000_000_000_000);
        assert!(d.add(KEY, late, 8, false, &[0; 8]).is_none());
        assert_eq!(d.slots.len(), 1);
    }

    #[test]
    fn oversized_datagram_is_dropped() {
        let mut d = Defrag::default();
        assert!(
            d.add(KEY, Timestamp::default(), 65_530, false, &[0; 16])
                .is_none()
        );
        assert!(d.slots.is_empty());
    }
}
