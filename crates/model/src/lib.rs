//! The smbguard estate policy: the one file a defender writes.
//!
//! [`parse_estate`] turns TOML into a validated [`Estate`], reporting every
//! problem at once as located [`Diagnostic`]s. [`AddrSet`] and [`PortSet`] are
//! the canonical interval sets every other crate reasons with.

mod addr;
mod diagnostic;
mod error;
mod estate;
mod interval;
mod lower;
mod profile;
mod raw;
mod remote_execution;
mod service_tags;
mod transport;

pub use addr::{AddrRange, AddrSet, is_local_scope, parse_addr_spec};
pub use diagnostic::{Diagnostic, Rejected, Severity, line_column};
pub use error::Error;
pub use estate::{
    DeployedGpo, Dialect, Direction, Encryption, Estate, Expectation, Group, GroupSpans,
    ManagementException, PerimeterException, Platform, Role, ServiceState, SmbHardening,
    SmbSettings, Span, Strategy, UserInvariant, accepted_by_dcs,
};
pub use interval::{Domain, IntervalSet};
pub use lower::{Parsed, TagLoader, parse_estate, parse_estate_with_service_tags};
pub use profile::{Profile, ProfileSet};
pub use remote_execution::{REMOTE_EXECUTION_INTERFACES, REMOTE_SERVICE_PIPES};
pub use service_tags::{ServiceTag, ServiceTagFile, ServiceTagsUsed, parse_service_tags};
pub use transport::{PortSet, Proto, Transport};

/// The bundled example estate ("contoso"), annotated; `smbguard init` writes it.
pub const EXAMPLE_ESTATE: &str = include_str!("../../../examples/contoso.toml");
