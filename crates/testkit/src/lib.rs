//! Test support shared by every smbguard crate (a dev-dependency only, never
//! published): the repository's fixtures, THE random-estate generator, the
//! scale estate and the synthetic fleet built on it, the external-tool
//! policy, throwaway network namespaces, the CLI runner and Samba's `preg`
//! dump script. One copy of each, so the tests cannot drift
//! apart the way their private copies did.

pub mod cli;
pub mod estates;
pub mod fleet;
pub mod modules;
pub mod netns;
pub mod oracle;
pub mod preg;
pub mod scale;
pub mod tools;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

pub use estates::{Knobs, Rng};
pub use netns::Netns;
pub use tools::{has_net_admin, require_root, require_tool, require_tools, tools_required};

/// The repository root (this crate lives in `crates/testkit`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// `fixtures/` at the repository root: every file the tests read that the
/// tests do not write themselves. Never a path outside the repository.
pub fn fixtures_dir() -> PathBuf {
    repo_root().join("fixtures")
}

/// One fixture by its path under `fixtures/` (`"pcaps/x.pcap"`).
pub fn fixture(rel: &str) -> PathBuf {
    fixtures_dir().join(rel)
}

/// A fresh, empty, uniquely named directory under the system temp dir
/// (`smbguard-<tag>-<pid>-<n>`). Tests remove it when they care to.
pub fn scratch_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("smbguard-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
    dir
}

/// The name of the running test (libtest names each test's thread after
/// it), for SKIPPED notices.
pub fn test_name() -> String {
    std::thread::current().name().unwrap_or("<test>").to_owned()
}

/// A scratch file with the given contents, deleted on drop.
#[derive(Debug)]
pub struct ScratchFile(pub PathBuf);

impl ScratchFile {
    /// Writes `text` to a new, uniquely named file ending in `.ext`.
    pub fn with(text: &str, ext: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("smbguard-tk-{}-{n}.{ext}", std::process::id()));
        std::fs::write(&p, text).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
        ScratchFile(p)
    }

    /// The path as a string (for command lines).
    pub fn path(&self) -> &str {
        self.0.to_str().expect("UTF-8 temp path")
    }
}

impl Drop for ScratchFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
