//! Windows Firewall with Advanced Security policy encoding, [MS-GPFAS] §2.2
//! (release v20240423).
//!
//! * [`FirewallRuleRecord`] ⇄ firewall rule strings (§2.2.2.19),
//!   e.g. `v2.10|Action=Block|Active=TRUE|Dir=In|Protocol=6|LPort=445|`;
//! * [`ConSecRuleRecord`] ⇄ connection security rule strings (§2.2.6.2);
//! * [`AuthSets`] for `Phase1AuthenticationSets` / `Phase2AuthenticationSets` (§2.2.4);
//! * [`ProfileSettings`] / [`GlobalSettings`] (§2.2.3, §2.2.1);
//! * [`FirewallPolicy`] ⇄ `Vec<RegistryEntry>` for a whole `Registry.pol`.
//!
//! The grammars are implemented by hand (no crate implements MS-GPFAS): a field
//! layer splits `vX.Y|TOKEN=VALUE|...|` (shared by all rule kinds and by the
//! writers, so reading and writing agree), and per-kind interpreters map tokens
//! to typed fields. Values cannot contain `|` (the grammar has no escape);
//! writers reject such values with [`ErrorKind::PipeInValue`](crate::ErrorKind::PipeInValue).
//!
//! * [`CryptoSets`] for `Phase2CryptoSets` (§2.2.5, quick mode).
//!
//! Not modelled (kept verbatim in [`FirewallPolicy::other_entries`]): phase 1
//! crypto sets (§2.2.5) and main mode rules (§2.2.7).

mod auth_sets;
mod consec;
mod crypto_sets;
mod ctx;
mod diag;
mod fields;
mod keyed;
mod policy;
mod rule;
mod rule_records;
mod settings;
mod values;
mod version;

pub use auth_sets::{AuthMethod, AuthPhase, AuthSet, AuthSets, AuthSuite};
pub use consec::{ConSecRuleRecord, parse_consec_rule};
pub use crypto_sets::{AUTH_NO_ENCAP, CryptoSet, CryptoSets, CryptoSuite, PHASE2_CRYPTO_SETS};
pub use diag::{GpfasWarning, GpfasWarningKind, check_field_value};
pub use policy::{BASE_KEY, FirewallPolicy, PolicyWarning, PolicyWarningKind, below_base};
pub use rule::parse_firewall_rule;
pub use rule_records::FirewallRuleRecord;
pub use settings::{DefaultAction, GlobalSettings, ProfileKey, ProfileSettings};
pub use values::{
    Action, AddressKeyword, AddressKeyword2, ConSecAction, Direction, EdgeDefer, IcmpTypeCode,
    InterfaceType, Ipv4Spec, Ipv6Spec, KeyModule, Platform, PlatformOp, PortEntry, PortKeyword,
    PortValue, Profile, Security, Security2, Security2_9, TrustTupleKeyword,
};
pub use version::SchemaVersion;
