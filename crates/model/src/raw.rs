//! The estate file as written: serde structs mirroring the TOML, with spans.
//! Nothing here is validated; `lower` turns it into an [`crate::Estate`].
//! Every struct denies unknown keys so a typo is an error, not a silent default.

use serde::Deserialize;
use toml::Spanned;

use crate::estate::{Direction, Encryption, Expectation, Platform, Role, ServiceState, Strategy};
use crate::profile::Profile;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawEstate {
    pub(crate) estate: RawHeader,
    #[serde(default)]
    pub(crate) smb: RawSmb,
    #[serde(default)]
    pub(crate) groups: Vec<RawGroup>,
    #[serde(default)]
    pub(crate) management: Vec<RawManagement>,
    #[serde(default)]
    pub(crate) perimeter: RawPerimeter,
    #[serde(default)]
    pub(crate) invariants: Vec<RawInvariant>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawHeader {
    pub(crate) name: Spanned<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
    pub(crate) internal: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub(crate) strategy: Option<Spanned<Strategy>>,
    #[serde(default)]
    pub(crate) transports: Option<Spanned<Vec<Spanned<String>>>>,
    /// Azure service tag file, relative to the estate file.
    #[serde(default)]
    pub(crate) service_tags_file: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawSmb {
    #[serde(default)]
    pub(crate) smb1: Option<Spanned<bool>>,
    #[serde(default)]
    pub(crate) min_dialect: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) encryption: Option<Encryption>,
    #[serde(default)]
    pub(crate) signing: Option<bool>,
    #[serde(default)]
    pub(crate) netbios: Option<bool>,
    #[serde(default)]
    pub(crate) block_ntlm: Option<bool>,
    #[serde(default)]
    pub(crate) ntlm_exceptions: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub(crate) quic_servers: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub(crate) remote_mailslots: Option<bool>,
    #[serde(default)]
    pub(crate) audit: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawGroup {
    pub(crate) name: Spanned<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
    pub(crate) role: Spanned<Role>,
    #[serde(default)]
    pub(crate) platform: Option<Platform>,
    pub(crate) addresses: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub(crate) sid: Option<Spanned<String>>,
    #[serde(default)]
    pub(crate) clients: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub(crate) domain_joined: Option<Spanned<bool>>,
    #[serde(default)]
    pub(crate) outbound_block: Option<Spanned<bool>>,
    #[serde(default)]
    pub(crate) needs_dc_smb: Option<Spanned<bool>>,
    #[serde(default)]
    pub(crate) accept_smb_on: Option<Spanned<Vec<Profile>>>,
    #[serde(default)]
    pub(crate) services: Option<RawServices>,
    #[serde(default)]
    pub(crate) deployed_gpos: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawServices {
    #[serde(default)]
    pub(crate) server: Option<Spanned<ServiceState>>,
    #[serde(default)]
    pub(crate) workstation: Option<Spanned<ServiceState>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawManagement {
    pub(crate) name: Spanned<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
    pub(crate) from: Spanned<Vec<Spanned<String>>>,
    pub(crate) to: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub(crate) transports: Option<Spanned<Vec<Spanned<String>>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawPerimeter {
    #[serde(default)]
    pub(crate) allow: Vec<RawPerimeterAllow>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawPerimeterAllow {
    pub(crate) name: Spanned<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) addresses: Option<Spanned<Vec<Spanned<String>>>>,
    /// Azure service tags whose prefixes join `addresses`.
    #[serde(default)]
    pub(crate) service_tags: Option<Spanned<Vec<Spanned<String>>>>,
    pub(crate) direction: Direction,
    #[serde(default)]
    pub(crate) transports: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub(crate) require_encryption: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawInvariant {
    pub(crate) name: Spanned<String>,
    pub(crate) from: Spanned<Vec<Spanned<String>>>,
    pub(crate) to: Spanned<Vec<Spanned<String>>>,
    pub(crate) transport: Spanned<String>,
    #[serde(default)]
    pub(crate) profile: Option<Vec<Profile>>,
    pub(crate) expect: Expectation,
}
