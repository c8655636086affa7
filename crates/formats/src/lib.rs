//! Exact codecs for the Windows policy formats smbguard reads and writes.
//!
//! * [`registry_pol`]: the Group Policy registry file `Registry.pol`
//!   ([MS-GPREG] §2.2.1, "PReg" version 1): a byte-level reader that keeps
//!   entry order, a canonical byte-exact writer, and an interpreter for the
//!   special `**` value names ([MS-GPREG] §3.2.5.1), including the variants
//!   Samba writes.
//! * [`gpfas`]: the Windows Firewall and Advanced Security policy encoding
//!   ([MS-GPFAS] §2.2): firewall rule strings (§2.2.2.19), connection security
//!   rule strings (§2.2.6), authentication sets (§2.2.4), per-profile and
//!   global settings (§2.2.1, §2.2.3), and the mapping between a list of
//!   registry entries and a typed [`gpfas::FirewallPolicy`].
//!
//! * The audit's other inputs, as registry entries or rule records:
//!   [`reg_file`] (regedit `.reg` exports), [`hive`] (`.wfw` files of
//!   `netsh advfirewall export`, through notatin), [`netfw_export`]
//!   (`Get-NetFirewallRule` CSV/JSON exports, lossy), [`smb_conf`]
//!   (`testparm -s` output), and [`firewall_store`] to tell the GPO, local,
//!   MDM and defaults stores apart.
//!
//! The parsers are hand-written on purpose: no maintained crate implements the
//! MS-GPFAS grammars, and the available PReg crates do not cover the Samba
//! quirks this project must accept. Both directions (reader and writer) live in
//! this crate so that they share one grammar.
//!
//! Nothing in this crate panics on any input: malformed data is reported through
//! typed errors (with byte offsets or field indices) and warnings.
//!
//! This crate has no dependency on the rest of smbguard; lowering these records
//! into the rule IR happens elsewhere.

mod error;
pub mod firewall_store;
pub mod gpfas;
pub mod hive;
pub mod netfw_export;
pub mod reg_file;
pub mod registry_pol;
pub mod smb_conf;
mod text;
mod utf16;

pub use error::{Error, ErrorKind, Location};
pub use text::{TextEncoding, code_page_encoding, decode_text};
