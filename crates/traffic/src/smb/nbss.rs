//! Per-direction reassembly of NetBIOS session messages from TCP segments.
//!
//! Only the first bytes of each SMB PDU matter (headers, and the bodies of a
//! few commands), so the stream keeps a small buffer for the part of a PDU
//! prefix that spans segments and merely counts down the rest. When the
//! wanted prefix lies inside one segment it is dissected in place, without a
//! copy. Out-of-order or missing data is not buffered: a gap inside bytes
//! that would be skipped anyway is stepped over; any other gap drops the
//! framing and the stream resynchronises on the next plausible NBSS header
//! followed by an SMB protocol id.

use super::nbss_records::{NBSS_HEADER_LEN, NBSS_SESSION_MESSAGE, parse_nbss_header};
use super::{HEAD_LEN, MAX_PREFIX, is_smb_magic, wanted_prefix};

/// Counters a stream updates; summed into the analysis statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct StreamCounters {
    pub(crate) gaps: u64,
    pub(crate) resyncs: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    /// At a message boundary; `buf` holds the first bytes of a header that
    /// spans segments.
    Header,
    /// Inside a message body.
    Body {
        /// Body bytes not yet seen.
        remaining: u32,
        /// Body length.
        len: u32,
        /// Prefix length to hand to the dissector; `None` until the first
        /// [`HEAD_LEN`] bytes were seen; 0 once dissected (or not wanted).
        want: Option<u32>,
    },
    /// Framing lost: scanning for a header.
    Lost,
}

/// One direction of a TCP connection carrying NBSS.
#[derive(Debug)]
pub(crate) struct NbssStream {
    next_seq: Option<u32>,
    framing: Framing,
    buf: Vec<u8>,
}

impl Default for NbssStream {
    fn default() -> Self {
        Self {
            next_seq: None,
            framing: Framing::Lost,
            buf: Vec::new(),
        }
    }
}

impl NbssStream {
    /// A SYN: the stream starts at a message boundary at `seq + 1`.
    pub(crate) fn on_syn(&mut self, seq: u32) {
        self.next_seq = Some(seq.wrapping_add(1));
        self.framing = Framing::Header;
        self.buf.clear();
    }

    /// Frees the buffer of a finished connection.
    pub(crate) fn release(&mut self) {
        self.buf = Vec::new();
    }

    /// Feeds one segment's payload; calls `sink` with each SMB PDU prefix.
    pub(crate) fn on_segment(
        &mut self,
        seq: u32,
        payload: &[u8],
        counters: &mut StreamCounters,
        sink: &mut impl FnMut(&[u8]),
    ) {
        if payload.is_empty() {
            return;
        }
        let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
        let end_seq = seq.wrapping_add(len);
        let Some(next) = self.next_seq else {
            // Midstream start: alignment unknown.
            self.next_seq = Some(end_seq);
            self.framing = Framing::Lost;
            self.process(payload, counters, sink);
            return;
        };
        // Signed distance on the 32-bit sequence circle.
        #[allow(clippy::cast_possible_wrap)] // intended: wrapping sequence arithmetic
        let ahead = seq.wrapping_sub(next) as i32;
        if ahead < 0 {
            let overlap = ahead.unsigned_abs() as usize;
            if overlap >= payload.len() {
                return; // pure retransmission
            }
            self.next_seq = Some(end_seq);
            self.process(&payload[overlap..], counters, sink);
            return;
        }
        if ahead > 0 {
            counters.gaps += 1;
            self.skip_gap(ahead.unsigned_abs());
        }
        self.next_seq = Some(end_seq);
        self.process(payload, counters, sink);
    }

    /// Missing bytes: harmless if they fall in a body part being skipped.
    fn skip_gap(&mut self, gap: u32) {
        match &mut self.framing {
            Framing::Body {
                remaining,
                want: Some(0),
                ..
            } if *remaining > gap => *remaining -= gap,
            Framing::Body {
                remaining,
                want: Some(0),
                ..
            } if *remaining == gap => self.framing = Framing::Header,
            _ => {
                self.framing = Framing::Lost;
                self.buf.clear();
            }
        }
    }

    fn process(
        &mut self,
        mut data: &[u8],
        counters: &mut StreamCounters,
        sink: &mut impl FnMut(&[u8]),
    ) {
        while !data.is_empty() {
            let used = match self.framing {
                Framing::Header => self.header(data),
                Framing::Body { .. } => self.body(data, sink),
                Framing::Lost => {
                    let used = resync(data);
                    if used < data.len() {
                        counters.resyncs += 1;
                        self.framing = Framing::Header;
                    }
                    used
                }
            };
            data = &data[used..];
        }
    }

    /// Consumes header bytes; returns how many.
    fn header(&mut self, data: &[u8]) -> usize {
        let have = self.buf.len();
        let take = (NBSS_HEADER_LEN - have).min(data.len());
        let header = if have == 0 && take == NBSS_HEADER_LEN {
            parse_nbss_header(data).ok().map(|(_, h)| h)
        } else {
            self.buf.extend_from_slice(&data[..take]);
            if self.buf.len() < NBSS_HEADER_LEN {
                return take;
            }
            let h = parse_nbss_header(&self.buf).ok().map(|(_, h)| h);
            self.buf.clear();
            h
        };
        self.framing = match header {
            Some(h) if h.is_known_type() => Framing::Body {
                remaining: h.length,
                len: h.length,
                // Control messages (session request etc.) are skipped.
                want: (h.msg_type != NBSS_SESSION_MESSAGE).then_some(0),
            },
            _ => Framing::Lost,
        };
        if let Framing::Body { remaining: 0, .. } = self.framing {
            self.framing = Framing::Header;
        }
        take
    }

    /// Consumes body bytes, dissecting the wanted prefix; returns how many.
    fn body(&mut self, data: &[u8], sink: &mut impl FnMut(&[u8])) -> usize {
        let Framing::Body {
            remaining,
            len,
            mut want,
        } = self.framing
        else {
            return 0;
        };
        let take = (remaining as usize).min(data.len());
        let chunk = &data[..take];
        if want != Some(0) {
            let seen = len - remaining; // body bytes before `chunk`
            let head = (len as usize).min(HEAD_LEN);
            if seen == 0 && chunk.len() >= head {
                // Fast path: decide and maybe dissect in place.
                let w = wanted_prefix(&chunk[..head], len);
                if chunk.len() >= w {
                    sink(&chunk[..w]);
                    want = Some(0);
                } else {
                    want = Some(u32::try_from(w).unwrap_or(u32::MAX));
                    self.buf.extend_from_slice(chunk);
                }
            } else {
                want = self.collect(chunk, (head, len), want, sink);
            }
        }
        let remaining = remaining - u32::try_from(take).unwrap_or(remaining);
        self.framing = if remaining == 0 {
            self.buf.clear();
            Framing::Header
        } else {
            Framing::Body {
                remaining,
                len,
                want,
            }
        };
        take
    }

    /// Slow path: accumulate a prefix that spans segments.
    fn collect(
        &mut self,
        mut chunk: &[u8],
        (head, len): (usize, u32),
        mut want: Option<u32>,
        sink: &mut impl FnMut(&[u8]),
    ) -> Option<u32> {
        loop {
            let target = want.map_or(head, |w| w as usize);
            if self.buf.capacity() < target {
                // One allocation for the whole prefix instead of doubling.
                self.buf.reserve_exact(target - self.buf.len());
            }
            let need = target.saturating_sub(self.buf.len()).min(chunk.len());
            self.buf.extend_from_slice(&chunk[..need]);
            chunk = &chunk[need..];
            if self.buf.len() < target {
                return want;
            }
            if want.is_none() {
                let w = wanted_prefix(&self.buf[..head], len);
                if w > self.buf.len() {
                    want = Some(u32::try_from(w).unwrap_or(u32::MAX));
                    continue;
                }
            }
            sink(&self.buf);
            self.buf.clear();
            return Some(0);
        }
    }
}

/// Scans for a plausible NBSS session message header followed by an SMB
/// protocol id; returns its offset, or `data.len()` when there is none.
fn resync(data: &[u8]) -> usize {
    let limit = data.len().saturating_sub(NBSS_HEADER_LEN + 4);
    (0..=limit)
        .find(|&p| {
            data.len() >= p + NBSS_HEADER_LEN + 4
                && data[p] == NBSS_SESSION_MESSAGE
                && is_smb_magic(&data[p + NBSS_HEADER_LEN..p + NBSS_HEADER_LEN + 4])
                && u32::from_be_bytes([0, data[p + 1], data[p + 2], data[p + 3]]) >= 16
        })
        .unwrap_or(data.len())
        .min(data.len())
}

const _: () = assert!(MAX_PREFIX >= HEAD_LEN);
