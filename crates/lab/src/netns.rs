//! Named network namespaces (`ip netns`), entered per thread with `setns`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use nix::sched::{CloneFlags, setns};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::cleanup;
use crate::cmd::{describe, run};
use crate::error::LabError;

/// Where `ip netns` keeps its bind mounts.
const NETNS_DIR: &str = "/run/netns";

/// A named network namespace, deleted (with every process still inside it
/// killed) when dropped.
#[derive(Debug)]
pub(crate) struct Netns {
    name: String,
    ip: PathBuf,
    deleted: bool,
}

impl Netns {
    /// `ip netns add NAME`, loopback up. Registered for Ctrl-C before it
    /// exists, so a half-built lab is torn down too.
    pub(crate) fn create(ip: &Path, name: &str) -> Result<Netns, LabError> {
        let ns = cleanup::creating(|| {
            cleanup::add_netns(ip, name);
            let ns = Netns {
                name: name.to_string(),
                ip: ip.to_path_buf(),
                deleted: false,
            };
            run(Command::new(ip).args(["netns", "add", name]), None)?;
            Ok(ns)
        })?;
        ns.batch("link set lo up\n")?;
        Ok(ns)
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Runs `ip -n NAME -batch -` with one command per line.
    pub(crate) fn batch(&self, lines: &str) -> Result<(), LabError> {
        run(
            Command::new(&self.ip).args(["-n", &self.name, "-batch", "-"]),
            Some(lines),
        )
        .map(|_| ())
    }

    /// `ip netns exec NAME program`.
    pub(crate) fn exec(&self, program: &Path) -> Command {
        crate::cmd::in_netns(&self.ip, &self.name, program)
    }

    /// The bind mount that `setns` opens.
    pub(crate) fn path(&self) -> PathBuf {
        Path::new(NETNS_DIR).join(&self.name)
    }

    /// Leaves the namespace in place (for `--keep`); returns its name.
    pub(crate) fn keep(mut self) -> String {
        self.deleted = true;
        cleanup::remove_netns(&self.name);
        std::mem::take(&mut self.name)
    }

    /// Kills what runs inside, deletes the namespace; errors are reported.
    pub(crate) fn delete(mut self) -> Result<(), LabError> {
        self.deleted = true;
        kill_processes(&self.ip, &self.name);
        let r = run(
            Command::new(&self.ip).args(["netns", "del", &self.name]),
            None,
        );
        cleanup::remove_netns(&self.name);
        r.map(|_| ())
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        if !self.deleted {
            kill_processes(&self.ip, &self.name);
            delete_quietly(&self.ip, &self.name);
            cleanup::remove_netns(&self.name);
        }
    }
}

/// Moves the calling thread into the namespace mounted at `path`. Only for
/// threads the lab owns: a thread never leaves again.
pub(crate) fn enter(path: &Path) -> Result<(), LabError> {
    let f =
        File::open(path).map_err(|e| LabError::system(format!("open {}", path.display()), e))?;
    setns(&f, CloneFlags::CLONE_NEWNET)
        .map_err(|e| LabError::system(format!("setns {}", path.display()), e))
}

/// Runs `f` on a fresh thread inside the namespace at `path` and returns its
/// result; the calling thread stays where it is. Sockets created by `f` stay
/// in that namespace wherever they are used afterwards.
pub(crate) fn within<T: Send>(
    path: &Path,
    f: impl FnOnce() -> Result<T, LabError> + Send,
) -> Result<T, LabError> {
    std::thread::scope(|s| {
        s.spawn(|| {
            enter(path)?;
            f()
        })
        .join()
        .unwrap_or_else(|_| Err(LabError::system("namespace thread", "panicked")))
    })
}

/// SIGKILLs every process whose network namespace is `name` (never this
/// process), as `ip netns pids` lists them.
pub(crate) fn kill_processes(ip: &Path, name: &str) {
    let mut c = Command::new(ip);
    c.args(["netns", "pids", name]);
    let Ok(out) = run(&mut c, None) else {
        return;
    };
    let me = std::process::id();
    for pid in out.split_whitespace().filter_map(|p| p.parse::<i32>().ok()) {
        if u32::try_from(pid).is_ok_and(|p| p != me) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}

/// `ip netns del NAME`; true when it was deleted.
pub(crate) fn delete_quietly(ip: &Path, name: &str) -> bool {
    let mut c = Command::new(ip);
    c.args(["netns", "del", name]);
    let ok = run(&mut c, None).is_ok();
    if !ok {
        // Already gone is fine; anything else is retried once after a pause
        // (a process may have been exiting).
        if Path::new(NETNS_DIR).join(name).exists() {
            std::thread::sleep(std::time::Duration::from_millis(100));
            return run(&mut c, None).is_ok();
        }
    }
    ok
}

/// For messages: the command that would delete a kept namespace.
pub(crate) fn delete_command(ip: &Path, name: &str) -> String {
    let mut c = Command::new(ip);
    c.args(["netns", "del", name]);
    describe(&c)
}
