//! Why an apply, confirm or rollback did not happen: the crate's one error
//! type, [`DeployError`], and [`StateFileRefusal`], the reason its
//! [`DeployError::BadStateFile`] carries (a payload, like rustls's
//! `CertificateError`, not a second error type).
//!
//! A leaf module: every other module builds its errors from here, and this
//! one names none of them.

use std::path::Path;

use crate::TABLE;

/// Why an apply, confirm or rollback did not happen (or, for
/// [`DeployError::TooLate`], happened differently than asked). The one
/// error type of the deploy crate, also returned by the shared
/// [`process`](crate::process) helpers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeployError {
    /// nftables changes need CAP_NET_ADMIN.
    #[error("apply needs root (CAP_NET_ADMIN)")]
    NotRoot,
    /// A program is missing.
    #[error(
        "`{tool}` is not installed (looked on PATH, /usr/sbin and /sbin); install the Debian package `{package}`"
    )]
    MissingTool {
        /// The program.
        tool: &'static str,
        /// Its Debian package.
        package: &'static str,
    },
    /// `--netns` is not a name `ip netns` can create (empty, `.`, a slash...).
    #[error(
        "`--netns {0:?}` is not a network namespace name (empty, `.`, `..`, or contains `/` or NUL)"
    )]
    BadNetnsName(String),
    /// `--netns` names a namespace that does not exist.
    #[error("network namespace `{0}` does not exist (see `ip netns list`)")]
    NoSuchNetns(String),
    /// `$SMBGUARD_STATE_DIR` is set but empty: refusing to guess a folder.
    #[error(
        "SMBGUARD_STATE_DIR is set but empty; set it to a folder, or unset it to use /var/lib/smbguard"
    )]
    EmptyStateDir,
    /// `nft -c` rejected the ruleset; nothing was changed.
    #[error("the ruleset does not pass `nft -c`; nothing was changed:\n{0}")]
    Invalid(String),
    /// The ruleset would touch more than smbguard's own table.
    #[error(
        "the ruleset touches more than `table {TABLE}` ({0}); smbguard never changes other tables, so nothing was changed"
    )]
    Foreign(String),
    /// The saved table would not load again, so the change could not be undone.
    #[error(
        "the current `table {TABLE}` could not be saved in a form nft loads again, so the change could not be rolled back; nothing was changed:\n{0}"
    )]
    Unrestorable(String),
    /// An earlier apply is still waiting for confirmation.
    #[error(
        "an apply is waiting for confirmation (token {token}){dead}; run `smbguard confirm` to keep it or `smbguard rollback` to undo it first",
        dead = if *.watchdog_dead { "; its watchdog is not running, so nothing will roll it back on its own" } else { "" }
    )]
    Pending {
        /// Its token.
        token: String,
        /// True when its watchdog is no longer running.
        watchdog_dead: bool,
    },
    /// Another apply, confirm or rollback holds the state folder's lock.
    #[error(
        "another smbguard apply, confirm or rollback is using {0} (its lock is held); try again when it has finished"
    )]
    Busy(String),
    /// `confirm` with nothing to confirm.
    #[error("no apply is waiting for confirmation in {0} (it may have been rolled back already)")]
    NothingPending(String),
    /// `rollback` with nothing saved.
    #[error("nothing to roll back: no saved table in {0}")]
    NothingSaved(String),
    /// A state file is not what smbguard wrote: refused, nothing changed.
    #[error(
        "refusing to use {path}: {reason}; nothing was changed (smbguard only restores a `table {TABLE}` it saved itself; remove the file once you have checked the firewall by hand)"
    )]
    BadStateFile {
        /// The file.
        path: String,
        /// What is wrong with it.
        reason: StateFileRefusal,
    },
    /// `confirm` after the deadline of an apply whose watchdog had died: the
    /// overdue rollback was done instead.
    #[error(
        "too late to confirm: the confirmation window of apply {token} ended {overdue_secs} s ago and its watchdog (pid {watchdog}) was not running, so the rollback it should have done was done now: {done}"
    )]
    TooLate {
        /// The apply's token.
        token: String,
        /// Seconds since the deadline.
        overdue_secs: u64,
        /// The dead watchdog's pid (`?` when unknown).
        watchdog: String,
        /// What the overdue rollback did.
        done: crate::RolledBack,
    },
    /// A command (`nft`, `ip netns exec`, `setsid`, or one the lab runs
    /// through [`process::run`](crate::process::run)) could not be started
    /// or exited unsuccessfully.
    #[error("`{command}` failed: {detail}")]
    Command {
        /// The command line.
        command: String,
        /// Its exit status and stderr, or why it could not start.
        detail: String,
    },
    /// The state directory could not be read or written.
    #[error("state directory {path}: {detail}")]
    State {
        /// The file or directory.
        path: String,
        /// The OS error.
        detail: String,
    },
}

impl DeployError {
    pub(crate) fn state(path: &Path, e: impl std::fmt::Display) -> Self {
        DeployError::State {
            path: path.display().to_string(),
            detail: e.to_string(),
        }
    }

    pub(crate) fn bad_file(path: &Path, reason: StateFileRefusal) -> Self {
        DeployError::BadStateFile {
            path: path.display().to_string(),
            reason,
        }
    }
}

/// Why a state file was refused: what [`DeployError::BadStateFile`] says
/// about the file, and what [`parse_saved`](crate::parse_saved) and
/// [`Pending::parse`](crate::Pending::parse) return for text with no file
/// around it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateFileRefusal {
    /// The file is empty.
    Empty,
    /// The file is larger than any state smbguard writes.
    TooLarge {
        /// The largest state file smbguard reads, in bytes.
        limit: u64,
    },
    /// Not UTF-8 text.
    NotText,
    /// The header smbguard writes is missing or altered.
    Header(String),
    /// The content changed since apply wrote it.
    Checksum {
        /// The checksum in the header.
        written: String,
        /// The checksum of the content now.
        actual: String,
    },
    /// The content is not one `table inet smbguard` block.
    NotOurTable(String),
    /// The pending marker is not what apply writes.
    Pending(String),
}

impl std::fmt::Display for StateFileRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Empty => f.write_str("it is empty"),
            Self::TooLarge { limit } => write!(f, "it is larger than {limit} bytes"),
            Self::NotText => f.write_str("it is not UTF-8 text"),
            Self::Header(why) => write!(f, "its header is not smbguard's ({why})"),
            Self::Checksum { written, actual } => write!(
                f,
                "its checksum does not match (written {written}, now {actual}): it changed after apply saved it"
            ),
            Self::NotOurTable(why) => f.write_str(why),
            Self::Pending(why) => write!(f, "it is not a pending marker smbguard wrote ({why})"),
        }
    }
}
