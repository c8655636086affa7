//! Bounded streaming input: a refillable window over any `Read`.
//!
//! Memory is one chunk plus, at most, one record ([`super::MAX_RECORD`]); it never
//! grows with the number of packets.

use std::io::{self, Read};

use super::{FrameSink, FrameStepper, MAX_STEP, Step};
use crate::error::WarningKind;

/// Bytes asked from the reader at a time.
const CHUNK: usize = 256 * 1024;

/// A window `buf[start..end]` over a reader, refilled on demand.
#[derive(Debug)]
pub(crate) struct ChunkReader<R> {
    reader: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// Absolute input offset of `buf[start]`.
    offset: u64,
}

impl<R: Read> ChunkReader<R> {
    pub(crate) fn new(reader: R) -> Self {
        Self {
            reader,
            buf: vec![0; CHUNK],
            start: 0,
            end: 0,
            eof: false,
            offset: 0,
        }
    }

    /// The bytes read but not yet consumed.
    pub(crate) fn available(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Absolute offset of the first available byte.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    pub(crate) fn is_eof(&self) -> bool {
        self.eof
    }

    pub(crate) fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.offset += n as u64;
    }

    /// Reads until at least `want` bytes are available or the input ends.
    pub(crate) fn fill(&mut self, want: usize) -> io::Result<()> {
        // Capped at what one step can ask for; a smaller cap would make a
        // record just under MAX_RECORD ask for bytes forever.
        let want = want.min(MAX_STEP);
        if self.end - self.start >= want {
            return Ok(());
        }
        // Move the unconsumed tail to the front, then make room.
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        if self.buf.len() < want {
            self.buf.resize(want.max(CHUNK), 0);
        }
        while self.end < want && !self.eof {
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The buffered bytes not yet consumed, the reader, and whether it
    /// has ended: for a driver that takes over from here.
    pub(crate) fn into_parts(mut self) -> (Vec<u8>, R, bool) {
        self.buf.truncate(self.end);
        self.buf.drain(..self.start);
        (self.buf, self.reader, self.eof)
    }
}

/// Drives a stepper over a reader. Returns the bytes read, as
/// [`super::for_each_frame_in_slice`] counts them.
pub(crate) fn for_each_frame_in_reader<R: Read>(
    input: &mut ChunkReader<R>,
    stepper: &mut FrameStepper,
    sink: &mut impl FrameSink,
) -> io::Result<u64> {
    loop {
        if input.available().is_empty() {
            input.fill(CHUNK)?;
            if input.available().is_empty() {
                return Ok(input.offset());
            }
        }
        let offset = input.offset();
        let (consumed, step) = stepper.step(input.available());
        match step {
            Step::Frame(frame) => sink.frame(&frame, offset),
            Step::Skip(Some(kind)) => sink.warning(offset, kind),
            Step::Skip(None) => {}
            Step::NeedMore(needed) => {
                if input.is_eof() {
                    let trailing_bytes = input.available().len() as u64;
                    sink.warning(offset, WarningKind::Truncated { trailing_bytes });
                    return Ok(offset + trailing_bytes);
                }
                input.fill(needed.max(CHUNK / 2))?;
                continue;
            }
            Step::Corrupt(reason) => {
                sink.warning(offset, WarningKind::CorruptRecord { reason });
                return Ok(offset);
            }
        }
        if consumed == 0 {
            sink.warning(
                offset,
                WarningKind::CorruptRecord {
                    reason: "no progress",
                },
            );
            return Ok(offset);
        }
        input.consume(consumed);
    }
}

/// Longest flow-log line accepted; longer ones are skipped with a warning.
pub(crate) const MAX_LINE: usize = 64 * 1024;

/// Hands each line (with its terminator, if any) and its byte offset to
/// `on_line`. A line longer than [`MAX_LINE`] is handed over cut to that
/// length, and the rest of it is skipped.
pub(crate) fn for_each_line_in_reader<R: Read>(
    input: &mut ChunkReader<R>,
    mut on_line: impl FnMut(&[u8], u64),
) -> io::Result<()> {
    let mut skipping = false;
    loop {
        let newline = input.available().iter().position(|&b| b == b'\n');
        let Some(end) = newline else {
            let have = input.available().len();
            if input.is_eof() || have >= MAX_LINE {
                if have == 0 {
                    return Ok(());
                }
                if !skipping {
                    let offset = input.offset();
                    on_line(&input.available()[..have.min(MAX_LINE)], offset);
                }
                skipping = !input.is_eof();
                input.consume(have);
                if input.is_eof() {
                    return Ok(());
                }
            }
            input.fill(have + CHUNK / 2)?;
            continue;
        };
        if !skipping {
            let offset = input.offset();
            on_line(&input.available()[..=end], offset);
        }
        skipping = false;
        input.consume(end + 1);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::ChunkReader;

    /// A reader that hands out one byte per call, to exercise refills.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let Some((&first, rest)) = self.0.split_first() else {
                return Ok(0);
            };
            let Some(slot) = buf.first_mut() else {
                return Ok(0);
            };
            *slot = first;
            self.0 = rest;
            Ok(1)
        }
    }

    #[test]
    fn fill_collects_across_short_reads() {
        let data: Vec<u8> = (0..=255).collect();
        let mut r = ChunkReader::new(Trickle(&data));
        r.fill(10).unwrap();
        assert_eq!(r.available(), &data[..10]);
        r.consume(4);
        assert_eq!(r.offset(), 4);
        r.fill(300).unwrap();
        assert!(r.is_eof());
        assert_eq!(r.available(), &data[4..]);
    }
}
