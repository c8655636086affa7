//! Parallel drivers: window after window through the pipeline, from memory,
//! from a file (read by the pool) or from any reader (read by the calling
//! thread).

use std::fs::File;
use std::io::{self, Read};

use super::window::{WindowEnd, WindowInput};
use super::{Framed, Parallel};
use crate::bookkeeping::Bookkeeping;
use crate::capture::FrameStepper;

/// How many bytes the drivers put in a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WindowSizes {
    /// A window of an in-memory capture. Large enough that per-window costs
    /// (waking threads, a few allocations) vanish.
    pub(crate) memory: usize,
    /// A window read from a file or stream: small enough that the window
    /// just read is still in cache when it is framed, which matters more
    /// than per-window costs (measured in BENCHMARKS.md).
    pub(crate) read: usize,
    /// The first window, framed by one thread (no record boundary can be
    /// guessed before the file header is read), so kept short.
    pub(crate) first: usize,
}

impl Default for WindowSizes {
    fn default() -> Self {
        Self {
            memory: 8 * 1024 * 1024,
            read: 1024 * 1024,
            first: 64 * 1024,
        }
    }
}

/// Analyses a whole in-memory capture. Returns the bytes read.
pub(crate) fn run_slice(
    data: &[u8],
    stepper: &mut FrameStepper,
    parallel: &mut Parallel,
    book: &mut Bookkeeping,
) -> u64 {
    let sizes = parallel.window_sizes();
    let mut next_start = Some(0usize);
    let mut previous: Option<(usize, Framed)> = None;
    let mut bytes_read = 0;
    while next_start.is_some() || previous.is_some() {
        let budget = if stepper.is_primed() {
            sizes.memory
        } else {
            sizes.first
        };
        let next = next_start.map(|start| {
            let input = WindowInput {
                bytes: &data[start..],
                base_offset: start as u64,
                budget,
                at_eof: true,
            };
            (input, &mut *stepper)
        });
        let to_dissect = previous.take().map(|(start, f)| (&data[start..], f));
        let (framed, outcome, (), ()) = parallel.step(to_dissect, next, || (), || ());
        if let Some(outcome) = outcome {
            book.apply_window(outcome);
        }
        if let (Some(framed), Some(start)) = (framed, next_start) {
            bytes_read = framed.bytes_read_if_last(start as u64);
            next_start = (framed.end == WindowEnd::Budget).then_some(start + framed.consumed);
            previous = Some((start, framed));
        } else {
            next_start = None;
        }
    }
    bytes_read
}

/// Room kept before a freshly read window, for the incomplete record
/// carried over from the previous one (copied in front without moving the
/// new bytes). A larger carry-over costs one copy of the window.
const HEADROOM: usize = 256 * 1024;

/// Window bytes owned by a reading driver: `buf[from..]`.
#[derive(Debug, Default)]
pub(crate) struct Buffer {
    buf: Vec<u8>,
    from: usize,
}

impl Buffer {
    /// `buf`, whose first [`HEADROOM`] bytes are headroom.
    fn after_headroom(buf: Vec<u8>) -> Self {
        Self {
            buf,
            from: HEADROOM,
        }
    }

    fn bytes(&self) -> &[u8] {
        &self.buf[self.from..]
    }

    /// `carried` followed by the bytes of `self`, reusing `self`'s
    /// headroom when it is big enough.
    fn prepend(mut self, carried: &[u8]) -> Self {
        if carried.len() <= self.from {
            self.from -= carried.len();
            self.buf[self.from..self.from + carried.len()].copy_from_slice(carried);
            return self;
        }
        let mut buf = Vec::with_capacity(carried.len() + self.bytes().len());
        buf.extend_from_slice(carried);
        buf.extend_from_slice(self.bytes());
        Self { buf, from: 0 }
    }
}

/// A window read ahead: its bytes, and whether the input ended there.
type ReadAhead = io::Result<(Buffer, bool)>;

/// What one pipeline step of a reading driver gave: the window framed, the
/// one dissected, and the one read ahead.
type ReadingStep = (
    Option<Framed>,
    Option<super::WindowOutcome>,
    Option<ReadAhead>,
);

/// Where a reading driver's bytes come from.
pub(crate) trait Source {
    /// Reads up to `want` bytes into `buf` after [`HEADROOM`] (reusing its
    /// allocation) on the calling thread; says whether the input ended.
    fn read(&mut self, buf: Vec<u8>, want: usize) -> ReadAhead;

    /// The read the pool's threads can do for this source while they frame
    /// and dissect (a file's positional reads), or `None` when it reads
    /// best on the calling thread, with [`Source::read`] (a stream).
    fn pool_reader(&self) -> Option<PoolReader<'_>>;

    /// Moves past `bytes` that a [`PoolReader`] read.
    fn advance(&mut self, bytes: usize);
}

/// One pipeline step that also reads the next window ahead, where `source`
/// reads best (see [`Source::pool_reader`]).
fn step_reading(
    source: &mut impl Source,
    parallel: &mut Parallel,
    previous: Option<(&[u8], Framed)>,
    next: Option<super::ToFrame<'_, '_>>,
    read_ahead: Option<(Vec<u8>, usize)>,
) -> ReadingStep {
    let Some(reader) = source.pool_reader() else {
        let on_caller = || read_ahead.map(|(buf, want)| source.read(buf, want));
        let (framed, outcome, (), read) = parallel.step(previous, next, || (), on_caller);
        return (framed, outcome, read);
    };
    let in_pool = || read_ahead.map(|(buf, want)| reader.read(buf, want));
    let (framed, outcome, read, ()) = parallel.step(previous, next, in_pool, || ());
    if let Some(Ok((window, _))) = &read {
        source.advance(window.bytes().len());
    }
    (framed, outcome, read)
}

/// Any reader, read by the calling thread while the pool works.
#[derive(Debug)]
pub(crate) struct StreamSource<R>(pub(crate) R);

impl<R: Read> Source for StreamSource<R> {
    fn read(&mut self, mut buf: Vec<u8>, want: usize) -> ReadAhead {
        // A recycled buffer's headroom is kept as it is, not zeroed again.
        buf.truncate(HEADROOM);
        buf.resize(HEADROOM, 0);
        let got = (&mut self.0).take(want as u64).read_to_end(&mut buf)?;
        Ok((Buffer::after_headroom(buf), got < want))
    }

    /// A reader is not `Send`: it is read on the calling thread.
    fn pool_reader(&self) -> Option<PoolReader<'_>> {
        None
    }

    fn advance(&mut self, _bytes: usize) {}
}

/// A regular file, read with positional reads by the pool's threads, in
/// parallel with framing and dissecting: the copy out of the page cache is
/// a large share of the work, and one thread doing it would bound the rest.
pub(crate) struct FileSource<'f> {
    file: &'f File,
    /// Offset of the next byte to read.
    offset: u64,
    /// Told `offset` whenever it advances.
    progress: Option<&'f dyn Fn(u64)>,
}

impl std::fmt::Debug for FileSource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileSource")
            .field("offset", &self.offset)
            .finish_non_exhaustive()
    }
}

impl<'f> FileSource<'f> {
    pub(crate) fn new(file: &'f File, offset: u64, progress: Option<&'f dyn Fn(u64)>) -> Self {
        Self {
            file,
            offset,
            progress,
        }
    }
}

impl Source for FileSource<'_> {
    /// Reads on the calling thread (only to top a window up: at the start,
    /// or for a record larger than a window).
    fn read(&mut self, mut buf: Vec<u8>, want: usize) -> ReadAhead {
        buf.resize(HEADROOM + want, 0);
        let got = read_full_at(self.file, &mut buf[HEADROOM..], self.offset)?;
        buf.truncate(HEADROOM + got);
        self.advance(got);
        Ok((Buffer::after_headroom(buf), got < want))
    }

    fn pool_reader(&self) -> Option<PoolReader<'_>> {
        Some(PoolReader {
            file: self.file,
            offset: self.offset,
        })
    }

    fn advance(&mut self, bytes: usize) {
        self.offset += bytes as u64;
        if let Some(progress) = self.progress {
            progress(self.offset);
        }
    }
}

/// Bytes each positional read asks for.
const READ_CHUNK: usize = 128 * 1024;

/// Positional reads of `file` from `offset`, run by the pool's threads.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PoolReader<'f> {
    file: &'f File,
    offset: u64,
}

impl PoolReader<'_> {
    /// Reads `want` bytes in chunks, on the current rayon pool (the caller
    /// runs it inside the analysis pool).
    fn read(self, mut buf: Vec<u8>, want: usize) -> ReadAhead {
        use rayon::prelude::{IndexedParallelIterator, ParallelIterator, ParallelSliceMut};
        let Self { file, offset } = self;
        // Not cleared first: a recycled buffer is overwritten, not zeroed.
        buf.resize(HEADROOM + want, 0);
        let got: Vec<usize> = buf[HEADROOM..]
            .par_chunks_mut(READ_CHUNK)
            .enumerate()
            .map(|(i, chunk)| read_full_at(file, chunk, offset + (i * READ_CHUNK) as u64))
            .collect::<io::Result<_>>()?;
        // Bytes up to the first short chunk (the end of the file).
        let mut total = 0;
        for (i, &n) in got.iter().enumerate() {
            total = i * READ_CHUNK + n;
            if n < READ_CHUNK {
                break;
            }
        }
        buf.truncate(HEADROOM + total);
        Ok((Buffer::after_headroom(buf), total < want))
    }
}

/// Fills `chunk` from `offset` unless the file ends first; returns the
/// bytes read.
fn read_full_at(file: &File, chunk: &mut [u8], offset: u64) -> io::Result<usize> {
    #[cfg(unix)]
    use std::os::unix::fs::FileExt;
    #[cfg(windows)]
    use std::os::windows::fs::FileExt;
    let mut done = 0;
    while done < chunk.len() {
        #[cfg(unix)]
        let read = file.read_at(&mut chunk[done..], offset + done as u64);
        #[cfg(windows)]
        let read = file.seek_read(&mut chunk[done..], offset + done as u64);
        match read {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Analyses a capture read from `source`, starting with the bytes the
/// format sniffer already read (`buffered`, at input offset `base`).
/// While the pool frames one window and dissects the one before, the next
/// is read. Memory: three windows' bytes (each [`WindowSizes::read`] plus
/// at most one record), whatever the input's size. Returns the bytes read.
pub(crate) fn run_source(
    source: &mut impl Source,
    buffered: (Vec<u8>, u64, bool),
    stepper: &mut FrameStepper,
    parallel: &mut Parallel,
    book: &mut Bookkeeping,
) -> io::Result<u64> {
    let (buffered, mut base, mut eof) = buffered;
    let sizes = parallel.window_sizes();
    let window = sizes.read;
    let mut current = Some(Buffer {
        buf: buffered,
        from: 0,
    });
    let mut previous: Option<(Buffer, Framed)> = None;
    let mut spare = Vec::new();
    let mut needed = 0;
    let mut bytes_read = base;
    while current.is_some() || previous.is_some() {
        if let Some(buffer) = current.as_mut() {
            let have = buffer.bytes().len();
            if !eof && have < window.max(needed) {
                // Only at the start, or for a record larger than a window.
                let want = window.max(needed) - have;
                let (more, ended) = source.read(std::mem::take(&mut spare), want)?;
                eof = ended;
                let joined = more.prepend(buffer.bytes());
                spare = std::mem::replace(buffer, joined).buf;
            }
        }
        let budget = if stepper.is_primed() {
            usize::MAX
        } else {
            sizes.first
        };
        let next = current.as_ref().map(|buffer| {
            let input = WindowInput {
                bytes: buffer.bytes(),
                base_offset: base,
                budget,
                at_eof: eof,
            };
            (input, &mut *stepper)
        });
        let (previous_buffer, previous_framed) = previous.take().unzip();
        let to_dissect = previous_buffer
            .as_ref()
            .map(Buffer::bytes)
            .zip(previous_framed);
        let read_ahead = (current.is_some() && !eof).then(|| (std::mem::take(&mut spare), window));
        let (framed, outcome, read) = step_reading(source, parallel, to_dissect, next, read_ahead);
        if let Some(old) = previous_buffer {
            spare = old.buf;
        }
        if let Some(outcome) = outcome {
            book.apply_window(outcome);
        }
        let read = read.transpose()?;
        let (Some(framed), Some(buffer)) = (framed, current.take()) else {
            continue;
        };
        bytes_read = framed.bytes_read_if_last(base);
        needed = match framed.end {
            WindowEnd::NeedMore(n) => n,
            WindowEnd::Budget | WindowEnd::Finished => 0,
        };
        if framed.end != WindowEnd::Finished {
            let carried = &buffer.bytes()[framed.consumed..];
            current = Some(match read {
                Some((next, ended)) => {
                    eof = ended;
                    next.prepend(carried)
                }
                // The input had ended: only the carried bytes remain.
                None => Buffer {
                    buf: carried.to_vec(),
                    from: 0,
                },
            });
        }
        base += framed.consumed as u64;
        previous = Some((buffer, framed));
    }
    Ok(bytes_read)
}
