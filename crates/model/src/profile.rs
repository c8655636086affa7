//! Windows Defender Firewall network profiles (KB3185535 K3).

use std::fmt;

use serde::{Deserialize, Serialize};

/// One firewall profile. Windows applies exactly one per interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Connected to a network where a domain controller is reachable.
    Domain,
    /// A network the user marked trusted.
    Private,
    /// "Guest or public": untrusted networks.
    Public,
}

impl Profile {
    /// All three profiles, in Windows order.
    pub const ALL: [Profile; 3] = [Profile::Domain, Profile::Private, Profile::Public];

    /// The capitalised Windows name.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Domain => "Domain",
            Profile::Private => "Private",
            Profile::Public => "Public",
        }
    }

    fn bit(self) -> u8 {
        match self {
            Profile::Domain => 1,
            Profile::Private => 2,
            Profile::Public => 4,
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of profiles.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ProfileSet(u8);

impl ProfileSet {
    /// Every profile (Windows "Any").
    pub const ALL: ProfileSet = ProfileSet(7);
    /// No profile.
    pub const NONE: ProfileSet = ProfileSet(0);
    /// Domain and Private, the article's "trusted" networks.
    pub const TRUSTED: ProfileSet = ProfileSet(3);
    /// Public only.
    pub const PUBLIC: ProfileSet = ProfileSet(4);

    /// A set from a list of profiles.
    pub fn of(profiles: &[Profile]) -> Self {
        ProfileSet(profiles.iter().fold(0, |acc, p| acc | p.bit()))
    }

    /// Membership.
    pub fn contains(self, p: Profile) -> bool {
        self.0 & p.bit() != 0
    }

    /// True for every profile.
    pub fn is_all(self) -> bool {
        self.0 == 7
    }

    /// True for no profile.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The profiles in Windows order.
    pub fn iter(self) -> impl Iterator<Item = Profile> {
        Profile::ALL.into_iter().filter(move |p| self.contains(*p))
    }
}

impl fmt::Debug for ProfileSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for ProfileSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str("Any");
        }
        let names: Vec<&str> = self.iter().map(Profile::as_str).collect();
        f.write_str(&names.join(", "))
    }
}

impl Serialize for ProfileSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}
