//! `VERSION = MAJOR-VER "." MINOR-VER` ([MS-GPFAS] §2.2.2.19).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A schema version: the high (major) and low (minor) byte of `wSchemaVersion`.
///
/// `v2.10` is `0x020A`; the minor part is decimal, so `2.1` (0x0201) and `2.10`
/// (0x020A) are different versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SchemaVersion {
    /// High byte.
    pub major: u8,
    /// Low byte.
    pub minor: u8,
}

impl SchemaVersion {
    /// Windows Vista (0x0200).
    pub const V2_0: Self = Self::new(2, 0);
    /// Windows 7 / Server 2008 R2 (0x020A); enough for every token smbguard emits.
    pub const V2_10: Self = Self::new(2, 10);
    /// Windows 8 / Server 2012 (0x0214).
    pub const V2_20: Self = Self::new(2, 20);
    /// Windows 10 (0x0218).
    pub const V2_24: Self = Self::new(2, 24);
    /// Windows 10 v1903 (0x021E), the newest in [MS-GPFAS] v20240423.
    pub const V2_30: Self = Self::new(2, 30);

    /// Builds a version.
    #[must_use]
    pub const fn new(major: u8, minor: u8) -> Self {
        Self { major, minor }
    }

    /// Parses `MAJOR.MINOR` (each 1–3 decimal digits, at most 255).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let (major, minor) = text.split_once('.')?;
        Some(Self::new(
            parse_u8_3digits(major)?,
            parse_u8_3digits(minor)?,
        ))
    }

    /// The 16-bit `wSchemaVersion` value, e.g. `0x020A` for 2.10.
    #[must_use]
    pub fn code(self) -> u16 {
        u16::from(self.major) << 8 | u16::from(self.minor)
    }

    /// The version a token suffix such as `2_10` names (used by `LPort2_10`, `TTK2_22`, ...).
    pub(crate) fn parse_suffix(suffix: &str) -> Option<Self> {
        let (major, minor) = suffix.split_once('_')?;
        Some(Self::new(
            parse_u8_3digits(major)?,
            parse_u8_3digits(minor)?,
        ))
    }

    /// The token suffix form, e.g. `2_10`.
    pub(crate) fn suffix(self) -> String {
        format!("{}_{}", self.major, self.minor)
    }
}

impl fmt::Display for SchemaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

fn parse_u8_3digits(s: &str) -> Option<u8> {
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}
