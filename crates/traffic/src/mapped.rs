//! Memory-mapped input: the one place in the workspace that uses `unsafe`.

use std::fs::File;
use std::path::Path;

use crate::analysis::analyze_bytes;
use crate::error::TrafficError;
use crate::report::{Analysis, Options};

/// Analyses a regular file by memory-mapping it and reading frames in place
/// ([`analyze_bytes`] on the mapping). Opt-in (`smbguard traffic --mmap`):
/// [`crate::analyze_file`], which streams, stays the default.
///
/// Only use this on a file nothing else is writing or truncating: if the
/// file shrinks while mapped, touching the vanished pages raises `SIGBUS`
/// and kills the process (a Rust panic handler cannot catch it). Files that
/// are not regular (pipes, character devices) are refused with an I/O error
/// of kind `InvalidInput`; use [`crate::analyze_reader`] for those.
///
/// # Errors
///
/// As [`crate::analyze_file`], plus the mapping failing.
pub fn analyze_file_mmap(
    path: impl AsRef<Path>,
    options: &Options,
) -> Result<Analysis, TrafficError> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(TrafficError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "memory mapping needs a regular file",
        )));
    }
    if meta.len() == 0 {
        // Mapping an empty file fails on some platforms; nothing to map.
        return analyze_bytes(&[], options);
    }
    let map = map_read_only(&file)?;
    analyze_bytes(&map, options)
}

#[allow(unsafe_code)]
fn map_read_only(file: &File) -> std::io::Result<memmap2::Mmap> {
    // SAFETY: the mapping is read-only and private to this call (it is
    // dropped when `analyze_file_mmap` returns, never handed out), and the
    // parsers treat its bytes as untrusted input, so contents changing
    // underneath can only change results, never memory safety of our code.
    // What remains is another process truncating the file while it is
    // mapped, which makes the kernel send SIGBUS on access: that is why
    // this path is opt-in, documented, and limited to regular files.
    unsafe { memmap2::Mmap::map(file) }
}
