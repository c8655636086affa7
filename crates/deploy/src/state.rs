//! The state folder of one target (the host, or one network namespace):
//! its lock, and the files `apply` writes and `confirm`/`rollback` read.
//!
//! Every file is validated before use: the saved table must carry the
//! checksum written at apply time and be exactly one `table inet smbguard`
//! block; the pending marker must hold exactly the keys `apply` writes.
//! Anything else is refused, never interpreted.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::fcntl::{Flock, FlockArg};

use crate::error::{DeployError, StateFileRefusal};
use crate::scope::one_smbguard_table;

/// The saved table (`nft list table inet smbguard` before the last apply).
pub(crate) const PREVIOUS: &str = "previous.nft";
/// The ruleset the last apply loaded (for the administrator; never read).
pub(crate) const APPLIED: &str = "applied.nft";
/// The apply waiting for `confirm`.
pub(crate) const PENDING: &str = "pending";
/// The watchdog's stdout and stderr.
pub(crate) const WATCHDOG_LOG: &str = "watchdog.log";
const LOCK: &str = "lock";

/// State files are small; anything bigger is not ours.
const MAX_STATE_FILE: u64 = 16 << 20;

/// How long a command waits for another to release the lock.
const LOCK_WAIT: Duration = Duration::from_secs(15);

/// The first line of every saved-state file.
const MAGIC: &str = "# smbguard saved state v1";

/// What a rollback puts back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    /// This `table inet smbguard { ... }` block.
    Table(String),
    /// There was no smbguard table: delete it.
    NoTable,
}

fn sha1(text: &str) -> String {
    sha1_smol::Sha1::from(text.as_bytes()).digest().to_string()
}

/// The saved-state file for `saved`: a header naming what it holds and the
/// SHA-1 of the content, then the content.
pub fn render_saved(saved: &Saved) -> String {
    let (kind, body) = match saved {
        Saved::Table(t) => ("table", t.as_str()),
        Saved::NoTable => ("none", ""),
    };
    format!(
        "{MAGIC}\n# previous: {kind}\n# sha1: {}\n{body}",
        sha1(body)
    )
}

/// Validates a saved-state file: smbguard's header, a matching checksum,
/// and content that is exactly one `table inet smbguard` block (or nothing,
/// for "there was no table"). Never panics, whatever `text` holds.
pub fn parse_saved(text: &str) -> Result<Saved, StateFileRefusal> {
    if text.is_empty() {
        return Err(StateFileRefusal::Empty);
    }
    let header = |e: &str| StateFileRefusal::Header(e.to_string());
    let mut parts = text.splitn(4, '\n');
    if parts.next() != Some(MAGIC) {
        return Err(header("the first line is not `# smbguard saved state v1`"));
    }
    let kind = parts.next().and_then(|l| l.strip_prefix("# previous: "));
    let written = parts.next().and_then(|l| l.strip_prefix("# sha1: "));
    let (Some(kind), Some(written)) = (kind, written) else {
        return Err(header("the `# previous:` and `# sha1:` lines are missing"));
    };
    // Apply always ends the header with a newline; without it the file was cut.
    let Some(body) = parts.next() else {
        return Err(header("the header does not end"));
    };
    let actual = sha1(body);
    if written != actual {
        return Err(StateFileRefusal::Checksum {
            written: written.chars().take(40).collect(),
            actual,
        });
    }
    match kind {
        "none" if body.is_empty() => Ok(Saved::NoTable),
        "none" => Err(header("`previous: none` with content")),
        "table" => one_smbguard_table(body)
            .map(|()| Saved::Table(body.to_string()))
            .map_err(StateFileRefusal::NotOurTable),
        _ => Err(header("`# previous:` is neither `table` nor `none`")),
    }
}

/// A change waiting for `smbguard confirm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Names this apply; the watchdog rolls back only its own.
    pub token: String,
    /// When the watchdog rolls back (seconds since the Unix epoch).
    pub deadline: u64,
    /// The watchdog's process id.
    pub watchdog: Option<u32>,
}

impl Pending {
    /// Parses the marker strictly: `token=` (hex and `-`), `deadline=`
    /// (seconds), optionally `watchdog=` (a pid), each once, nothing else.
    pub fn parse(text: &str) -> Result<Pending, StateFileRefusal> {
        let bad = |why: String| StateFileRefusal::Pending(why);
        let (mut token, mut deadline, mut watchdog) = (None, None, None);
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else {
                return Err(bad(format!("line `{}` has no `=`", clip(line))));
            };
            let slot_ok = match key {
                "token" if value.chars().all(|c| c.is_ascii_hexdigit() || c == '-') => {
                    token.replace(value.to_string()).is_none()
                }
                "deadline" => value
                    .parse::<u64>()
                    .is_ok_and(|v| deadline.replace(v).is_none()),
                "watchdog" => value
                    .parse::<u32>()
                    .is_ok_and(|v| v > 1 && watchdog.replace(v).is_none()),
                _ => false,
            };
            if !slot_ok {
                return Err(bad(format!("unexpected line `{}`", clip(line))));
            }
        }
        match (token, deadline) {
            (Some(token), Some(deadline)) if !token.is_empty() => Ok(Pending {
                token,
                deadline,
                watchdog,
            }),
            _ => Err(bad("`token=` or `deadline=` is missing".into())),
        }
    }

    /// The marker as apply writes it.
    pub fn render(&self) -> String {
        let mut s = format!("token={}\ndeadline={}\n", self.token, self.deadline);
        if let Some(p) = self.watchdog {
            s.push_str(&format!("watchdog={p}\n"));
        }
        s
    }
}

/// The first 60 characters of a line, control characters escaped.
fn clip(line: &str) -> String {
    line.chars()
        .take(60)
        .flat_map(char::escape_default)
        .collect()
}

/// The state of one target (the host, or one network namespace).
#[derive(Debug, Clone)]
pub struct State {
    dir: PathBuf,
}

/// Held while an apply, confirm or rollback runs: one per state folder.
#[derive(Debug)]
pub(crate) struct StateLock {
    _lock: Flock<File>,
}

impl State {
    /// The state of `netns` (or the host) under `root`; `netns` must be a
    /// valid name (see [`crate::check_netns_name`]).
    pub fn new(root: &Path, netns: Option<&str>) -> Result<State, DeployError> {
        let scope = match netns {
            Some(n) => format!("netns-{}", crate::check_netns_name(n)?),
            None => "host".to_string(),
        };
        Ok(State {
            dir: root.join(scope),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Takes the folder's lock (an `flock` on `lock`), waiting up to
    /// [`LOCK_WAIT`] for another command to finish. Released on drop, also
    /// when the process dies, so a crash never leaves it held.
    pub(crate) fn lock(&self) -> Result<StateLock, DeployError> {
        fs::create_dir_all(&self.dir).map_err(|e| DeployError::state(&self.dir, e))?;
        let path = self.path(LOCK);
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| DeployError::state(&path, e))?;
        let until = Instant::now() + LOCK_WAIT;
        loop {
            match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
                Ok(lock) => return Ok(StateLock { _lock: lock }),
                Err((f, nix::errno::Errno::EWOULDBLOCK)) if Instant::now() < until => {
                    file = f;
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err((_, nix::errno::Errno::EWOULDBLOCK)) => {
                    return Err(DeployError::Busy(self.dir.display().to_string()));
                }
                Err((_, e)) => return Err(DeployError::state(&path, e)),
            }
        }
    }

    pub(crate) fn write(&self, name: &str, text: &str) -> Result<(), DeployError> {
        let tmp = self.path(&format!(".{name}.tmp"));
        let dst = self.path(name);
        fs::write(&tmp, text).map_err(|e| DeployError::state(&tmp, e))?;
        fs::rename(&tmp, &dst).map_err(|e| DeployError::state(&dst, e))
    }

    pub(crate) fn remove(&self, name: &str) -> Result<(), DeployError> {
        let p = self.path(name);
        match fs::remove_file(&p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(DeployError::state(&p, e)),
        }
    }

    /// A state file's text (bounded), or `None` when it does not exist.
    fn read(&self, name: &str) -> Result<Option<String>, DeployError> {
        let p = self.path(name);
        let file = match File::open(&p) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(DeployError::state(&p, e)),
        };
        let mut bytes = Vec::new();
        file.take(MAX_STATE_FILE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| DeployError::state(&p, e))?;
        if bytes.len() as u64 > MAX_STATE_FILE {
            return Err(DeployError::bad_file(
                &p,
                StateFileRefusal::TooLarge {
                    limit: MAX_STATE_FILE,
                },
            ));
        }
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| DeployError::bad_file(&p, StateFileRefusal::NotText))
    }

    /// The pending confirmation, if any; a marker smbguard did not write is
    /// an error.
    pub fn pending(&self) -> Result<Option<Pending>, DeployError> {
        match self.read(PENDING)? {
            Some(text) => Pending::parse(&text)
                .map(Some)
                .map_err(|e| DeployError::bad_file(&self.path(PENDING), e)),
            None => Ok(None),
        }
    }

    /// What `rollback` would restore, validated; `None` when nothing is saved.
    pub fn saved(&self) -> Result<Option<Saved>, DeployError> {
        match self.read(PREVIOUS)? {
            Some(text) => parse_saved(&text)
                .map(Some)
                .map_err(|e| DeployError::bad_file(&self.path(PREVIOUS), e)),
            None => Ok(None),
        }
    }
}
