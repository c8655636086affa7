//! `apply`, `confirm` and `rollback`, each under the state folder's lock.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::DeployError;
use crate::nft::Nft;
use crate::scope::{only_smbguard, replace_transaction};
use crate::state::{APPLIED, PENDING, PREVIOUS, Pending, Saved, State, parse_saved, render_saved};
use crate::{TABLE, watchdog};

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn new_token() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{:x}-{:x}", std::process::id(), nanos)
}

/// The command line of the watchdog, given the token: program first. The
/// CLI passes itself (`smbguard rollback --if-unconfirmed TOKEN --after N`).
pub type WatchdogArgv<'a> = &'a dyn Fn(&str) -> Vec<OsString>;

/// What to apply, where.
#[derive(Clone, Copy)]
pub struct ApplyRequest<'a> {
    /// The nftables file (as `smbguard_emit`'s nftables target writes it).
    pub ruleset: &'a str,
    /// The state directory root.
    pub state_dir: &'a Path,
    /// Run everything inside this network namespace.
    pub netns: Option<&'a str>,
    /// Roll back unless confirmed within this time, with this watchdog.
    pub confirm: Option<(Duration, WatchdogArgv<'a>)>,
}

impl std::fmt::Debug for ApplyRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplyRequest")
            .field("state_dir", &self.state_dir)
            .field("netns", &self.netns)
            .field("confirm", &self.confirm.map(|(d, _)| d))
            .finish_non_exhaustive()
    }
}

/// What an apply did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// True when a `table inet smbguard` existed before (it was saved).
    pub replaced_existing: bool,
    /// The confirmation window, when one was asked for.
    pub pending: Option<Pending>,
    /// The state directory used.
    pub state_dir: PathBuf,
    /// An earlier apply's watchdog had died past its deadline: its rollback
    /// was done first, and this is what it did.
    pub overdue_rollback: Option<RolledBack>,
}

/// What a rollback did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolledBack {
    /// The saved table is back.
    Restored,
    /// There was no table before: smbguard's table was deleted.
    Deleted,
    /// `--if-unconfirmed TOKEN` and that apply was confirmed (or already
    /// rolled back, or superseded): nothing done.
    NotNeeded,
}

impl std::fmt::Display for RolledBack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RolledBack::Restored => "the previous table inet smbguard is back",
            RolledBack::Deleted => "there was no table inet smbguard before, so it was deleted",
            RolledBack::NotNeeded => "nothing needed rolling back",
        })
    }
}

/// The pending apply, if any, once its watchdog's liveness is known. A live
/// watchdog (or a dead one before its deadline) keeps it pending; a dead
/// one past its deadline gets its rollback done now.
enum Settled {
    Nothing,
    Waiting {
        pending: Pending,
        watchdog_dead: bool,
    },
    RolledBackNow {
        pending: Pending,
        done: RolledBack,
    },
}

fn settle(state: &State, nft: Option<&Nft>, netns: Option<&str>) -> Result<Settled, DeployError> {
    let Some(pending) = state.pending()? else {
        return Ok(Settled::Nothing);
    };
    let dead = !watchdog::alive(&pending);
    if !dead || now_secs() < pending.deadline {
        return Ok(Settled::Waiting {
            pending,
            watchdog_dead: dead,
        });
    }
    let owned;
    let nft = match nft {
        Some(n) => n,
        None => {
            owned = Nft::new(netns)?;
            &owned
        }
    };
    let done = restore(state, nft)?;
    state.remove(PENDING)?;
    Ok(Settled::RolledBackNow { pending, done })
}

/// Checks, saves, replaces, under the state folder's lock. Nothing changes
/// unless every check passed. A pending apply refuses it, unless that
/// apply's watchdog died past its deadline: then its rollback is done
/// first (and reported in [`Applied::overdue_rollback`]).
pub fn apply(req: &ApplyRequest<'_>) -> Result<Applied, DeployError> {
    only_smbguard(req.ruleset)?;
    let nft = Nft::new(req.netns)?;
    let state = State::new(req.state_dir, req.netns)?;
    let _lock = state.lock()?;
    let overdue_rollback = match settle(&state, Some(&nft), req.netns)? {
        Settled::Nothing => None,
        Settled::Waiting {
            pending,
            watchdog_dead,
        } => {
            return Err(DeployError::Pending {
                token: pending.token,
                watchdog_dead,
            });
        }
        Settled::RolledBackNow { done, .. } => Some(done),
    };
    nft.check(req.ruleset)?;
    let previous = save_previous(&state, &nft)?;
    let pending = match req.confirm {
        Some((within, argv)) => Some(start_window(&state, req.state_dir, within, argv)?),
        None => None,
    };
    if let Err(e) = nft.load(req.ruleset) {
        if let Some(p) = &pending {
            watchdog::stop(p);
            state.remove(PENDING)?;
        }
        return Err(e);
    }
    state.write(APPLIED, req.ruleset)?;
    Ok(Applied {
        replaced_existing: previous,
        pending,
        state_dir: state.dir().to_path_buf(),
        overdue_rollback,
    })
}

/// Saves the current table (checked to load again, and to pass the same
/// validation rollback applies); true when there was one.
fn save_previous(state: &State, nft: &Nft) -> Result<bool, DeployError> {
    let previous = match nft.list_table(TABLE)? {
        Some(t) => Saved::Table(t),
        None => Saved::NoTable,
    };
    let file = render_saved(&previous);
    if let Saved::Table(t) = &previous {
        parse_saved(&file).map_err(|e| DeployError::Unrestorable(e.to_string()))?;
        nft.check(&replace_transaction(Some(t)))
            .map_err(|e| DeployError::Unrestorable(e.to_string()))?;
    }
    state.write(PREVIOUS, &file)?;
    Ok(previous != Saved::NoTable)
}

fn start_window(
    state: &State,
    root: &Path,
    within: Duration,
    argv: WatchdogArgv<'_>,
) -> Result<Pending, DeployError> {
    let mut p = Pending {
        token: new_token(),
        deadline: now_secs() + within.as_secs(),
        watchdog: None,
    };
    p.watchdog = Some(watchdog::spawn(state, root, &argv(&p.token))?);
    state.write(PENDING, &p.render())?;
    Ok(p)
}

/// What `confirm` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmed {
    /// The apply confirmed.
    pub pending: Pending,
    /// Its watchdog had already died (the change would not have been rolled
    /// back on its own).
    pub watchdog_dead: bool,
}

/// Keeps the pending apply: removes the marker and stops the watchdog. A
/// marker smbguard did not write is refused; an apply whose watchdog died
/// past its deadline is rolled back instead ([`DeployError::TooLate`]).
pub fn confirm(state_dir: &Path, netns: Option<&str>) -> Result<Confirmed, DeployError> {
    let state = State::new(state_dir, netns)?;
    let _lock = state.lock()?;
    match settle(&state, None, netns)? {
        Settled::Nothing => Err(DeployError::NothingPending(
            state.dir().display().to_string(),
        )),
        Settled::Waiting {
            pending,
            watchdog_dead,
        } => {
            watchdog::stop(&pending);
            state.remove(PENDING)?;
            Ok(Confirmed {
                pending,
                watchdog_dead,
            })
        }
        Settled::RolledBackNow { pending, done } => Err(DeployError::TooLate {
            overdue_secs: now_secs().saturating_sub(pending.deadline),
            watchdog: pending
                .watchdog
                .map_or_else(|| "?".to_string(), |w| w.to_string()),
            token: pending.token,
            done,
        }),
    }
}

/// What an explicit `rollback` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RollbackReport {
    /// What was restored.
    pub done: RolledBack,
    /// An apply was pending and its watchdog had already died.
    pub watchdog_was_dead: bool,
}

/// Restores the table saved by the last apply (or deletes smbguard's table
/// if there was none), after validating the saved state. With
/// `if_unconfirmed`, only when that apply is still pending (the watchdog's
/// call).
pub fn rollback(
    state_dir: &Path,
    netns: Option<&str>,
    if_unconfirmed: Option<&str>,
) -> Result<RollbackReport, DeployError> {
    let state = State::new(state_dir, netns)?;
    let nft = Nft::new(netns)?;
    let _lock = state.lock()?;
    let report = |done, watchdog_was_dead| RollbackReport {
        done,
        watchdog_was_dead,
    };
    if let Some(token) = if_unconfirmed {
        return match state.pending()? {
            Some(p) if p.token == token => {
                let done = restore(&state, &nft)?;
                state.remove(PENDING)?;
                Ok(report(done, false))
            }
            _ => Ok(report(RolledBack::NotNeeded, false)),
        };
    }
    if state.saved()?.is_none() {
        return Err(DeployError::NothingSaved(state.dir().display().to_string()));
    }
    // A garbled marker must not block the way back: the saved table is
    // validated on its own, and the marker goes with the rollback.
    let pending = state.pending().ok().flatten();
    let dead = pending.as_ref().is_some_and(|p| !watchdog::alive(p));
    let done = restore(&state, &nft)?;
    if let Some(p) = &pending {
        watchdog::stop(p);
    }
    state.remove(PENDING)?;
    Ok(report(done, dead))
}

/// Puts the validated saved state back and forgets it.
fn restore(state: &State, nft: &Nft) -> Result<RolledBack, DeployError> {
    let saved = state
        .saved()?
        .ok_or_else(|| DeployError::NothingSaved(state.dir().display().to_string()))?;
    let text = match &saved {
        Saved::Table(t) => replace_transaction(Some(t)),
        Saved::NoTable => replace_transaction(None),
    };
    only_smbguard(&text)?;
    nft.check(&text)?;
    nft.load(&text)?;
    state.remove(PREVIOUS)?;
    state.remove(APPLIED)?;
    Ok(match saved {
        Saved::Table(_) => RolledBack::Restored,
        Saved::NoTable => RolledBack::Deleted,
    })
}
