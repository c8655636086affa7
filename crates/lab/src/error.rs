//! Why the lab could not run.

/// Why the lab could not be built or probed: the lab crate's one error
/// type. A lab that ran and found differences is not an error: see
/// [`crate::LabReport::ok`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LabError {
    /// Network namespaces, nftables and `smbd` need CAP_NET_ADMIN.
    #[error("{what} needs root (CAP_NET_ADMIN)")]
    NotRoot {
        /// What needed it (`lab`, `apply`).
        what: &'static str,
    },
    /// A program the lab drives is not installed.
    #[error(
        "`{tool}` is not installed (looked on PATH, /usr/sbin and /sbin); install the Debian package `{package}`"
    )]
    MissingTool {
        /// The program.
        tool: String,
        /// The Debian package that ships it.
        package: String,
    },
    /// The estate cannot be built as a lab (addresses outside the lab
    /// ranges, a group without addresses, too many hosts).
    #[error("the lab cannot build this estate: {0}")]
    Estate(String),
    /// The estate does not compile (guard rails).
    #[error("the estate does not compile: {0}")]
    Compile(String),
    /// The nftables emitter could not render a ruleset.
    #[error("cannot render the nftables ruleset of {what}: {detail}")]
    Emit {
        /// Which host or the perimeter.
        what: String,
        /// The emitter's message.
        detail: String,
    },
    /// A command failed while building or tearing down the lab.
    #[error("`{command}` failed: {detail}")]
    Command {
        /// The command line.
        command: String,
        /// Its exit status and stderr.
        detail: String,
    },
    /// A system call or file operation failed.
    #[error("{what}: {detail}")]
    System {
        /// What was being done.
        what: String,
        /// The OS error.
        detail: String,
    },
    /// `smbguard_deploy::apply` refused or failed to load a host's ruleset.
    #[error("apply on {host} failed: {detail}")]
    Apply {
        /// The lab host (`perimeter` for the router).
        host: String,
        /// The deployment error.
        detail: String,
    },
    /// A host's live ruleset could not be read back or audited.
    #[error("cannot audit the live ruleset of {host}: {detail}")]
    Audit {
        /// The lab host (`perimeter` for the router).
        host: String,
        /// Why.
        detail: String,
    },
    /// `smbd` did not come up.
    #[error("smbd on {host} did not start: {detail}")]
    Smbd {
        /// The lab host.
        host: String,
        /// Why (the end of its log).
        detail: String,
    },
    /// Ctrl-C (or SIGTERM) arrived; everything was torn down.
    #[error("interrupted; the lab was torn down")]
    Interrupted,
}

impl LabError {
    pub(crate) fn system(what: impl Into<String>, err: impl std::fmt::Display) -> Self {
        LabError::System {
            what: what.into(),
            detail: err.to_string(),
        }
    }
}
