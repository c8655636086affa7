//! Named network namespaces (`ip netns`), entered per thread with `setns`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use nix::sched::{CloneFlags, setns};

use crate::cleanup;
use crate::cmd::{NETNS_DIR, delete_quietly, kill_processes, run};
use crate::error::LabError;

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
