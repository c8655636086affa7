//! Writing reports to stdout or to the `--out` file. A reader that goes away (`smbguard plan |
//! head -1`) is not an error: like ripgrep, the command stops quietly with
//! exit 0 instead of panicking in `print!`.

use std::io::{ErrorKind, Write};
use std::path::Path;

use crate::CliError;

/// Writes `text` to stdout and flushes it.
pub(crate) fn stdout(text: &str) -> Result<(), CliError> {
    let mut lock = std::io::stdout().lock();
    lock.write_all(text.as_bytes())
        .and_then(|()| lock.flush())
        .map_err(io_error)
}

/// Writes a report to `file`, or to stdout when it is `None` or `-`.
/// Returns the file written, if any (commands then say so on stderr).
pub(crate) fn report<'a>(file: Option<&'a Path>, body: &str) -> Result<Option<&'a Path>, CliError> {
    match file {
        Some(p) if p.as_os_str() != "-" => {
            std::fs::write(p, body)
                .map_err(|e| CliError::Io(format!("cannot write {}: {e}", p.display())))?;
            Ok(Some(p))
        }
        _ => stdout(body).map(|()| None),
    }
}

/// Writes the report of a command whose exit code is already decided by
/// what it found (`verify`, `audit`, `traffic`, `check`): a reader that
/// stops early (`| head`) must not turn a failing verdict into exit 0, so a
/// closed pipe here is not an outcome of its own.
pub(crate) fn verdict_report<'a>(
    file: Option<&'a Path>,
    body: &str,
) -> Result<Option<&'a Path>, CliError> {
    match report(file, body) {
        Err(CliError::BrokenPipe) => Ok(None),
        other => other,
    }
}

/// A stdout write error as a command outcome: a closed pipe ends the
/// command quietly, anything else is reported.
pub(crate) fn io_error(e: std::io::Error) -> CliError {
    if e.kind() == ErrorKind::BrokenPipe {
        CliError::BrokenPipe
    } else {
        CliError::Io(format!("cannot write to stdout: {e}"))
    }
}

/// Backstop for `print!` in commands that do not write through [`stdout`]:
/// the standard library panics when stdout is a closed pipe (Rust ignores
/// SIGPIPE); that panic becomes a quiet exit 0.
pub(crate) fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}
