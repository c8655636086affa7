//! The crate's one error type.

/// Why an input could not be read or judged at all. Anything inside a
/// readable input is lowered (with notes), never rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// Not a valid `Registry.pol` (MS-GPREG) file.
    #[error("{location}: not a valid Registry.pol file: {error}")]
    RegistryPol {
        /// The file.
        location: String,
        /// What the PReg reader said.
        error: smbguard_formats::Error,
    },
    /// Not an evidence bundle of a schema this version reads.
    #[error("{location}: not an smbguard evidence bundle: {message}")]
    Bundle {
        /// The file (and line, for JSON lines).
        location: String,
        /// What is wrong.
        message: String,
    },
    /// The input's format could not be told.
    #[error("{location}: {message}")]
    UnknownInput {
        /// The file.
        location: String,
        /// What was expected.
        message: String,
    },
    /// No group of the estate can be told for the host.
    #[error("{location}: {message}")]
    NoGroup {
        /// The file.
        location: String,
        /// Why, and what to pass.
        message: String,
    },
}
