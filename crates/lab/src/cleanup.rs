//! Everything the lab creates is registered here first, so that Ctrl-C can
//! tear it down ([`interrupt`]) even while a lab is half built. The `Drop`
//! guards of [`crate::netns::Netns`] and the Samba processes unregister what
//! they removed themselves.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

#[derive(Default)]
struct Registry {
    ip: Option<PathBuf>,
    netns: BTreeSet<String>,
    process_groups: BTreeSet<i32>,
    dirs: BTreeSet<PathBuf>,
}

static REGISTRY: Mutex<Option<Registry>> = Mutex::new(None);

/// Held while something is registered and created, and by [`interrupt`]
/// while it sweeps: an object is either created before the sweep (and
/// swept) or refused after it, never created behind its back.
static CREATING: Mutex<()> = Mutex::new(());

/// Runs `create` (which registers what it makes) unless the lab was
/// interrupted; see [`CREATING`].
pub(crate) fn creating<T>(
    create: impl FnOnce() -> Result<T, crate::LabError>,
) -> Result<T, crate::LabError> {
    let _guard = CREATING.lock().unwrap_or_else(|p| p.into_inner());
    if interrupted() {
        return Err(crate::LabError::Interrupted);
    }
    create()
}

fn with<T>(f: impl FnOnce(&mut Registry) -> T) -> T {
    let mut guard = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
    f(guard.get_or_insert_with(Registry::default))
}

pub(crate) fn add_netns(ip: &std::path::Path, name: &str) {
    with(|r| {
        r.ip = Some(ip.to_path_buf());
        r.netns.insert(name.to_string());
    });
}

pub(crate) fn remove_netns(name: &str) {
    with(|r| r.netns.remove(name));
}

pub(crate) fn add_process_group(pgid: i32) {
    with(|r| r.process_groups.insert(pgid));
}

pub(crate) fn remove_process_group(pgid: i32) {
    with(|r| r.process_groups.remove(&pgid));
}

pub(crate) fn add_dir(dir: &std::path::Path) {
    with(|r| r.dirs.insert(dir.to_path_buf()));
}

pub(crate) fn remove_dir(dir: &std::path::Path) {
    with(|r| r.dirs.remove(dir));
}

/// True once [`interrupt`] was called: a running lab stops at its next step
/// with [`crate::LabError::Interrupted`].
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// For the CLI's Ctrl-C / SIGTERM handler: marks every running lab as
/// interrupted and removes everything registered (kills the `smbd` process
/// groups, kills whatever still runs in the lab namespaces, deletes the
/// namespaces and the temporary directories). Returns how many objects were
/// removed. Safe to call from any thread, more than once.
pub fn interrupt() -> usize {
    INTERRUPTED.store(true, Ordering::SeqCst);
    let _guard = CREATING.lock().unwrap_or_else(|p| p.into_inner());
    let (ip, netns, groups, dirs) = with(|r| {
        (
            r.ip.clone(),
            std::mem::take(&mut r.netns),
            std::mem::take(&mut r.process_groups),
            std::mem::take(&mut r.dirs),
        )
    });
    let mut n = 0;
    for pgid in &groups {
        if killpg(Pid::from_raw(*pgid), Signal::SIGKILL).is_ok() {
            n += 1;
        }
    }
    if let Some(ip) = ip {
        for name in &netns {
            crate::cmd::kill_processes(&ip, name);
            if crate::cmd::delete_quietly(&ip, name) {
                n += 1;
            }
        }
    }
    for d in &dirs {
        if remove_dir_retrying(d) {
            n += 1;
        }
    }
    n
}

/// Removes `dir`, trying again for up to two seconds: an `smbd` that was
/// just sent SIGKILL may still be writing into it for a moment, and
/// `remove_dir_all` then fails with "directory not empty" (seen under load
/// in `lab_ctrl_c_tears_everything_down`).
fn remove_dir_retrying(dir: &std::path::Path) -> bool {
    for _ in 0..40 {
        match std::fs::remove_dir_all(dir) {
            Ok(()) => return true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return false,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
    false
}
