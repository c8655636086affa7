//! smbguard's deployment: load a ruleset into nftables on this host (or in
//! a network namespace), touching only `table inet smbguard`.
//!
//! [`apply`] replaces only that table, in one `nft -f` transaction, after
//! checking the ruleset with `nft -c`. Before the change it saves the table
//! that was there (or notes that there was none) in a state folder, with a
//! SHA-1 of what it saved, and checks that the saved table would load again,
//! so [`rollback`] can put it back. With a confirmation window, a detached
//! watchdog process (started with `setsid`, so it outlives the CLI) rolls
//! back unless [`confirm`] runs first, like Junos `commit confirmed`.
//!
//! Guarantees (each held by a test in `crates/smbguard/tests/integration/apply.rs` or
//! this crate's tests):
//!
//! * **Locked state.** apply, confirm and rollback each hold the state
//!   folder's `flock` for their whole run, so two of them never interleave.
//! * **Validated rollback.** A saved state is used only if its checksum
//!   matches and it is exactly one `table inet smbguard` block; the pending
//!   marker only if it holds exactly what apply writes. Anything else is
//!   refused with [`DeployError::BadStateFile`], and nothing changes.
//! * **No silent dead watchdog.** apply, confirm and rollback check that a
//!   pending apply's watchdog still runs; a dead one is reported, and past
//!   its deadline its rollback is done by whichever command comes next.
//!
//! The crate never prints: it returns results and typed errors.

mod error;
mod nft;
mod ops;
pub mod process;
mod scope;
mod state;
mod watchdog;

pub use error::{DeployError, StateFileRefusal};
pub use nft::{Nft, check_netns_name};
pub use ops::{
    Applied, ApplyRequest, Confirmed, RollbackReport, RolledBack, WatchdogArgv, apply, confirm,
    rollback,
};
pub use scope::{only_smbguard, replace_transaction};
pub use state::{Pending, Saved, State, parse_saved, render_saved};

use std::path::PathBuf;

/// The only nftables object smbguard creates, replaces or deletes.
pub const TABLE: &str = "inet smbguard";

/// The default state directory (overridden by `$SMBGUARD_STATE_DIR`).
pub const DEFAULT_STATE_DIR: &str = "/var/lib/smbguard";

/// The state directory: `$SMBGUARD_STATE_DIR`, else [`DEFAULT_STATE_DIR`].
/// Set but empty is an error: an empty value is a mistake in a script, and
/// falling back would put the state somewhere the script does not look.
pub fn default_state_dir() -> Result<PathBuf, DeployError> {
    match std::env::var_os("SMBGUARD_STATE_DIR") {
        Some(v) if v.is_empty() => Err(DeployError::EmptyStateDir),
        Some(v) => Ok(PathBuf::from(v)),
        None => Ok(PathBuf::from(DEFAULT_STATE_DIR)),
    }
}
