//! External tools and privileges: one policy for every test. A missing tool
//! makes the test print `SKIPPED` on stderr and return, unless
//! `SMBGUARD_REQUIRE_TOOLS=1` (CI), where it is a failure.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Directories searched besides `$PATH`: `nft` and `ip` live in sbin, which
/// a non-login root shell may not have on its path.
const EXTRA_DIRS: [&str; 4] = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

/// Whether `SMBGUARD_REQUIRE_TOOLS=1`: missing tools fail instead of skip.
pub fn tools_required() -> bool {
    std::env::var("SMBGUARD_REQUIRE_TOOLS").as_deref() == Ok("1")
}

/// The executable `name`, on `$PATH` or in the sbin/bin directories.
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(EXTRA_DIRS.iter().map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Prints `SKIPPED <test>: <why>` where libtest does not capture it (the
/// stderr handle), so a skip is visible even when the test passes.
pub fn skip(why: &str) {
    let _ = writeln!(std::io::stderr(), "SKIPPED {}: {why}", crate::test_name());
}

/// A test cannot run because of `why`: fails under
/// `SMBGUARD_REQUIRE_TOOLS=1`, otherwise prints SKIPPED. Always false, so
/// callers write `if !ok { return missing(..) }`-style code.
pub fn missing(why: &str) -> bool {
    assert!(
        !tools_required(),
        "{}: {why}, and SMBGUARD_REQUIRE_TOOLS=1",
        crate::test_name()
    );
    skip(why);
    false
}

/// The tool's path, or `None` after a loud SKIPPED (a failure under
/// `SMBGUARD_REQUIRE_TOOLS=1`). Use: `let Some(nft) = require_tool("nft") else { return };`
pub fn require_tool(name: &str) -> Option<PathBuf> {
    let found = find_tool(name);
    if found.is_none() {
        missing(&format!("`{name}` is not installed"));
    }
    found
}

/// Every tool present (else SKIPPED naming all the missing ones, or a failure
/// under `SMBGUARD_REQUIRE_TOOLS=1`).
pub fn require_tools(names: &[&str]) -> bool {
    let absent: Vec<&str> = names
        .iter()
        .copied()
        .filter(|t| find_tool(t).is_none())
        .collect();
    absent.is_empty() || missing(&format!("missing {}", absent.join(", ")))
}

/// Whether this process may create network namespaces and load nftables
/// (CAP_NET_ADMIN in the effective set).
pub fn has_net_admin() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|h| u64::from_str_radix(h.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << 12) != 0)
}

/// True as root (CAP_NET_ADMIN); otherwise `SKIPPED (needs root)` and false.
/// Never a failure: a developer without root still runs the rest of the
/// suite, and CI runs as root.
pub fn require_root() -> bool {
    has_net_admin() || {
        skip("needs root (network namespaces and nftables need CAP_NET_ADMIN)");
        false
    }
}

/// Whether `python` can import `module` (for optional Python libraries).
pub fn python_has(python: &str, module: &str) -> bool {
    std::process::Command::new(python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}
