//! Windows Defender Firewall configurations: Group Policy `Registry.pol`
//! files carrying MS-GPFAS rule strings.

mod deployed;
mod gpfas;
mod sddl;
mod smb;

pub use deployed::{ConfiguredProfile, DeployedGpo, overlay, read_deployed_gpo};
pub use gpfas::{LoweredWindows, lower_firewall_policy, read_registry_pol_policy};
pub use smb::{GpoSmbSettings, read_gpo_smb};
