//! Entry points: analyse a file, a reader or an in-memory capture.

use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use crate::analyzer::Analyzer;
use crate::capture::stream::{ChunkReader, for_each_line_in_reader};
use crate::capture::{FrameStepper, InputFormat};
use crate::decompress::{Compression, maybe_decompress};
use crate::error::TrafficError;
use crate::parallel::WindowSizes;
use crate::report::{Analysis, Options};
use crate::zeek_conn::ConnLogReader;

/// Bytes looked at to recognise the input format.
const SNIFF_LEN: usize = 64;

/// Analyses a pcap, pcapng or Zeek conn.log file, streaming it through a
/// bounded buffer.
///
/// # Errors
///
/// I/O errors, an unrecognised format, or a thread pool that cannot start.
/// Truncated or corrupt input is not an error: the result holds what could
/// be read plus a [`Warning`](crate::Warning).
pub fn analyze_file(path: impl AsRef<Path>, options: &Options) -> Result<Analysis, TrafficError> {
    // Not memory-mapped: a file truncated while mapped raises SIGBUS, and
    // reads of a page-cached file run at several GB/s anyway. The opt-in
    // mapped path is `analyze_file_mmap` (src/mapped.rs). With several
    // threads, a regular file is read by positional reads on all of them.
    analyze_file_with(path, options, WindowSizes::default())
}

/// As [`analyze_file`], calling `progress` with the number of bytes read so
/// far as reading advances (for a progress bar; called from the calling
/// thread only, every few hundred KiB).
///
/// # Errors
///
/// As [`analyze_file`].
pub fn analyze_file_with_progress(
    path: impl AsRef<Path>,
    options: &Options,
    progress: &dyn Fn(u64),
) -> Result<Analysis, TrafficError> {
    analyze_path(
        path.as_ref(),
        options,
        WindowSizes::default(),
        Some(progress),
    )
}

pub(crate) fn analyze_file_with(
    path: impl AsRef<Path>,
    options: &Options,
    windows: WindowSizes,
) -> Result<Analysis, TrafficError> {
    analyze_path(path.as_ref(), options, windows, None)
}

fn analyze_path(
    path: &Path,
    options: &Options,
    windows: WindowSizes,
    progress: Option<&dyn Fn(u64)>,
) -> Result<Analysis, TrafficError> {
    let mut file = File::open(path)?;
    let streamed = Input {
        file: None,
        progress,
    };
    if !file.metadata()?.is_file() {
        // A pipe or device: read once, front to back.
        return analyze_input(maybe_decompress(&file)?, streamed, options, windows);
    }
    let mut head = [0u8; 4];
    let n = file.read(&mut head)?;
    if Compression::sniff(&head[..n]).is_some() {
        // A compressed stream has no positions to share between threads.
        let rest = Cursor::new(head).take(n as u64).chain(&file);
        return analyze_input(maybe_decompress(rest)?, streamed, options, windows);
    }
    file.seek(SeekFrom::Start(0))?;
    let positional = options.threads > 1;
    let input = Input {
        file: positional.then_some(&file),
        progress,
    };
    analyze_input(&file, input, options, windows)
}

/// How [`analyze_input`] reads past the format sniffing.
#[derive(Clone, Copy, Default)]
pub(crate) struct Input<'a> {
    /// With positional reads from this file (the one being read), when
    /// several threads can share them.
    pub(crate) file: Option<&'a File>,
    /// Told the bytes read so far, from the calling thread.
    pub(crate) progress: Option<&'a dyn Fn(u64)>,
}

/// A reader that reports how many bytes it has handed out.
struct Counting<'p, R> {
    inner: R,
    total: u64,
    progress: Option<&'p dyn Fn(u64)>,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total += n as u64;
        if let Some(progress) = self.progress {
            progress(self.total);
        }
        Ok(n)
    }
}

/// Analyses a capture or conn.log from any reader, with bounded memory.
///
/// # Errors
///
/// As [`analyze_file`].
pub fn analyze_reader(reader: impl Read, options: &Options) -> Result<Analysis, TrafficError> {
    analyze_input(
        maybe_decompress(reader)?,
        Input::default(),
        options,
        WindowSizes::default(),
    )
}

/// Sniffs the format from `reader`, then reads the rest from it, or as
/// `how` says.
pub(crate) fn analyze_input(
    reader: impl Read,
    how: Input<'_>,
    options: &Options,
    windows: WindowSizes,
) -> Result<Analysis, TrafficError> {
    let reader = Counting {
        inner: reader,
        total: 0,
        progress: how.progress,
    };
    let mut input = ChunkReader::new(reader);
    input.fill(SNIFF_LEN)?;
    // Sniff exactly the prefix `analyze_bytes` sees: the reader may have
    // buffered more, and whitespace before a JSON conn.log must not make the
    // two entry points disagree (found by the traffic_capture fuzz target).
    let available = input.available();
    let format = sniff(&available[..available.len().min(SNIFF_LEN)])?;
    if let Some(mut stepper) = FrameStepper::new(format) {
        let mut analyzer = Analyzer::with_window_sizes(options, windows)?;
        analyzer.set_input_format(format);
        match how.file {
            Some(file) => analyzer.read_file(input, file, how.progress, &mut stepper)?,
            None => analyzer.read_stream(input, &mut stepper)?,
        }
        return Ok(analyzer.finish());
    }
    let mut log = ConnLogReader::new(format, options);
    for_each_line_in_reader(&mut input, |line, offset| log.line(line, offset))?;
    Ok(log.finish(input.offset()))
}

/// Analyses a capture or conn.log held in memory (or memory-mapped by the
/// caller). Frames are read in place, without copying.
///
/// # Errors
///
/// An unrecognised format, or a thread pool that cannot start.
pub fn analyze_bytes(data: &[u8], options: &Options) -> Result<Analysis, TrafficError> {
    analyze_bytes_with(data, options, WindowSizes::default())
}

pub(crate) fn analyze_bytes_with(
    data: &[u8],
    options: &Options,
    windows: WindowSizes,
) -> Result<Analysis, TrafficError> {
    if Compression::sniff(data).is_some() {
        // Decompressed as a stream: no in-place frames, bounded memory.
        return analyze_input(maybe_decompress(data)?, Input::default(), options, windows);
    }
    let format = sniff(&data[..data.len().min(SNIFF_LEN)])?;
    if let Some(mut stepper) = FrameStepper::new(format) {
        let mut analyzer = Analyzer::with_window_sizes(options, windows)?;
        analyzer.set_input_format(format);
        analyzer.read_slice(data, &mut stepper);
        return Ok(analyzer.finish());
    }
    let mut log = ConnLogReader::new(format, options);
    let mut offset = 0u64;
    for line in data.split_inclusive(|&b| b == b'\n') {
        log.line(line, offset);
        offset += line.len() as u64;
    }
    Ok(log.finish(offset))
}

fn sniff(prefix: &[u8]) -> Result<InputFormat, TrafficError> {
    InputFormat::sniff(prefix).ok_or_else(|| TrafficError::UnknownFormat {
        magic: prefix.iter().take(4).copied().collect(),
    })
}
