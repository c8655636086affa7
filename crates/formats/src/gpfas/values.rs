//! Typed values of the MS-GPFAS grammars (§2.2.2.1–§2.2.2.20, §2.2.6.1, §2.2.6.3)
//! and their text forms.
//!
//! Keyword values are matched case-insensitively and written in the spelling of
//! the grammar. Numbers follow the grammar's digit limits (a leading `+` or sign
//! is never accepted).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use super::version::SchemaVersion;

/// Declares a keyword enum with its exact grammar spellings.
macro_rules! keyword_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[doc = concat!("The keyword `", $text, "`.")] $variant),+
        }

        impl $name {
            /// Every variant, in grammar order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// Parses the keyword (ASCII case-insensitive).
            #[must_use]
            pub fn parse(text: &str) -> Option<Self> {
                $(if text.eq_ignore_ascii_case($text) { return Some(Self::$variant); })+
                None
            }

            /// The grammar spelling.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

keyword_enum! {
    /// `PROFILE-VAL` (§2.2.2.1).
    Profile { Domain => "Domain", Private => "Private", Public => "Public" }
}

keyword_enum! {
    /// `ACTION-VAL` (§2.2.2.5); MS-FASP §2.2.34 values ALLOW=3, BLOCK=2, ALLOW_BYPASS=1.
    Action { Allow => "Allow", Block => "Block", ByPass => "ByPass" }
}

keyword_enum! {
    /// `DIR-VAL` (§2.2.2.4).
    Direction { In => "In", Out => "Out" }
}

keyword_enum! {
    /// `IFSECURE-VAL` for `Security=` (§2.2.2.6).
    Security {
        /// FW_RULE_FLAGS_AUTHENTICATE.
        Authenticate => "Authenticate",
        /// FW_RULE_FLAGS_AUTHENTICATE_WITH_ENCRYPTION.
        AuthenticateEncrypt => "AuthenticateEncrypt",
    }
}

keyword_enum! {
    /// `IFSECURE2-9-VAL` for `Security2_9=` (§2.2.2.6, version ≥ 2.9).
    Security2_9 {
        /// FW_RULE_FLAGS_AUTH_WITH_NO_ENCAPSULATION.
        AnNoEncap => "An-NoEncap",
    }
}

keyword_enum! {
    /// `IFSECURE2-10-VAL` for `Security2=` (§2.2.2.6, version ≥ 2.10).
    Security2 {
        /// FW_RULE_FLAGS_AUTH_WITH_ENC_NEGOTIATE.
        AnENego => "AnE-Nego",
    }
}

keyword_enum! {
    /// `IFTYPE-VAL` (§2.2.2.8).
    InterfaceType { Lan => "Lan", Wireless => "Wireless", RemoteAccess => "RemoteAccess" }
}

keyword_enum! {
    /// `DEFER-VAL` for `Defer=` (§2.2.2.15).
    EdgeDefer {
        /// FW_RULE_FLAGS_ROUTEABLE_ADDRS_TRAVERSE_DEFER_APP.
        App => "App",
        /// FW_RULE_FLAGS_ROUTEABLE_ADDRS_TRAVERSE_DEFER_USER.
        User => "User",
    }
}

keyword_enum! {
    /// `PLATFORM-OP-VAL` for `Platform2=` (§2.2.2.18).
    PlatformOp {
        /// FW_OS_PLATFORM_GTEQ.
        Gteq => "GTEQ",
    }
}

keyword_enum! {
    /// `ADDRESS-KEYWORD-VAL` (§2.2.2.13), allowed in `RA4=`/`RA6=` and the connection
    /// security endpoint tokens.
    AddressKeyword {
        LocalSubnet => "LocalSubnet",
        Dns => "DNS",
        Dhcp => "DHCP",
        Wins => "WINS",
        DefaultGateway => "DefaultGateway",
    }
}

keyword_enum! {
    /// `CS-ACTION-VAL` (§2.2.6.1), MS-FASP §2.2.52.
    ConSecAction {
        /// Require inbound, request outbound (FW_CS_RULE_ACTION_SECURE_SERVER).
        SecureServer => "SecureServer",
        /// Request inbound and outbound (FW_CS_RULE_ACTION_BOUNDARY).
        Boundary => "Boundary",
        /// Require inbound and outbound (FW_CS_RULE_ACTION_SECURE).
        Secure => "Secure",
        /// Exempt (FW_CS_RULE_ACTION_DO_NOT_SECURE).
        DoNotSecure => "DoNotSecure",
    }
}

keyword_enum! {
    /// `KEY-MOD-VAL` (§2.2.6.3).
    KeyModule { Default => "KeyModDefault", IkeV1 => "IkeV1", AuthIp => "AuthIP", IkeV2 => "IkeV2" }
}

/// Declares an open keyword enum: known spellings plus `Other(String)` for
/// keywords added by newer Windows releases.
macro_rules! open_keyword_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A keyword not in [MS-GPFAS] v20240423, kept verbatim.
            Other(String),
        }

        impl $name {
            /// Parses a keyword; unknown keywords become `Other` (never fails).
            #[must_use]
            pub fn parse(text: &str) -> Self {
                $(if text.eq_ignore_ascii_case($text) { return Self::$variant; })+
                Self::Other(text.to_owned())
            }

            /// The grammar spelling (the stored text for `Other`).
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self { $(Self::$variant => $text,)+ Self::Other(s) => s }
            }

            /// Whether this keyword is one of the grammar's.
            #[must_use]
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Other(_))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

open_keyword_enum! {
    /// `ADDRESS-KEYWORD-VAL-2-20` for `RA42=`/`RA62=` (§2.2.2.13).
    AddressKeyword2 {
        /// FW_ADDRESS_KEYWORD_INTRANET.
        Intranet => "IntrAnet",
        /// FW_ADDRESS_KEYWORD_INTERNET.
        Internet => "IntErnet",
        /// FW_ADDRESS_KEYWORD_PLAYTO_RENDERERS.
        PlayToRenderers => "Ply2Renders",
        /// FW_ADDRESS_KEYWORD_REMOTE_INTERNET ("remote intranet" in the UI).
        RemoteIntranet => "RmtIntrAnet",
        /// FW_ADDRESS_KEYWORD_CAPTIVE_PORTAL.
        CaptivePortal => "CaptivePortal",
    }
}

open_keyword_enum! {
    /// Port keywords (§2.2.2.3) for the `LPort*` / `RPort*` tokens.
    PortKeyword {
        /// `RPC` (FW_PORT_KEYWORD_DYNAMIC_RPC_PORTS), `LPort=`.
        Rpc => "RPC",
        /// `RPC-EPMap` (FW_PORT_KEYWORD_RPC_EP), `LPort=`.
        RpcEpMap => "RPC-EPMap",
        /// `Teredo`, `LPort=`.
        Teredo => "Teredo",
        /// `IPTLSIn`, `LPort2_10=`.
        IpTlsIn => "IPTLSIn",
        /// `IPHTTPSIn`, `LPort2_10=`.
        IpHttpsIn => "IPHTTPSIn",
        /// `IPTLSOut`, `RPort2_10=`.
        IpTlsOut => "IPTLSOut",
        /// `IPHTTPSOut`, `RPort2_10=`.
        IpHttpsOut => "IPHTTPSOut",
        /// `Ply2Disc`, `LPort2_20=`.
        Ply2Disc => "Ply2Disc",
        /// `DHCP`, `LPort2_20=`.
        Dhcp => "DHCP",
        /// `mDNS` (schema 2.25).
        Mdns => "mDNS",
        /// `CortanaOut` (schema 2.28, remote).
        CortanaOut => "CortanaOut",
        /// `TcpCDPSvc` (schema 2.29).
        TcpCdpSvc => "TcpCDPSvc",
    }
}

impl PortKeyword {
    /// The token version this keyword is written under by [`PortEntry::new`].
    ///
    /// RPC/RPC-EPMap/Teredo: base token; IPTLS*/IPHTTPS*: `2_10`; Ply2Disc/DHCP:
    /// `2_20` (all per §2.2.2.3/§2.2.2.19). mDNS and TcpCDPSvc: `2_24` and
    /// CortanaOut: `2_10` — **not confirmed**: the spec lists these keywords but no
    /// token for them; `LPort2_24` is the newest local-port token in Windows'
    /// serializer. Parsed entries always keep the token they were read with.
    #[must_use]
    pub fn default_token_version(&self) -> Option<SchemaVersion> {
        match self {
            Self::Rpc | Self::RpcEpMap | Self::Teredo | Self::Other(_) => None,
            Self::IpTlsIn
            | Self::IpHttpsIn
            | Self::IpTlsOut
            | Self::IpHttpsOut
            | Self::CortanaOut => Some(SchemaVersion::V2_10),
            Self::Ply2Disc | Self::Dhcp => Some(SchemaVersion::V2_20),
            Self::Mdns | Self::TcpCdpSvc => Some(SchemaVersion::V2_24),
        }
    }
}

/// A trust tuple keyword (§2.2.2.20); the variant determines the token
/// (`TTK`, `TTK2_22`, `TTK2_27`, `TTK2_28`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TrustTupleKeyword {
    /// `TTK=Proximity`.
    Proximity,
    /// `TTK=ProxSharing`.
    ProxSharing,
    /// `TTK2_22=WFDPrint`.
    WfdPrint,
    /// `TTK2_22=WFDDisplay`.
    WfdDisplay,
    /// `TTK2_22=WFDDevices`.
    WfdDevices,
    /// `TTK2_27=WFDKmDriver`.
    WfdKmDriver,
    /// `TTK2_27=UPnP`.
    UPnP,
    /// `TTK2_28=WFDCDPSvc`.
    WfdCdpSvc,
    /// An unknown keyword under `TTK` (`token_version: None`) or `TTK<v>`.
    Other {
        /// Token version suffix, e.g. 2.22 for `TTK2_22`.
        token_version: Option<SchemaVersion>,
        /// The keyword text.
        value: String,
    },
}

impl TrustTupleKeyword {
    const KNOWN: &'static [(Self, &'static str, Option<SchemaVersion>)] = &[
        (Self::Proximity, "Proximity", None),
        (Self::ProxSharing, "ProxSharing", None),
        (Self::WfdPrint, "WFDPrint", Some(SchemaVersion::new(2, 22))),
        (
            Self::WfdDisplay,
            "WFDDisplay",
            Some(SchemaVersion::new(2, 22)),
        ),
        (
            Self::WfdDevices,
            "WFDDevices",
            Some(SchemaVersion::new(2, 22)),
        ),
        (
            Self::WfdKmDriver,
            "WFDKmDriver",
            Some(SchemaVersion::new(2, 27)),
        ),
        (Self::UPnP, "UPnP", Some(SchemaVersion::new(2, 27))),
        (
            Self::WfdCdpSvc,
            "WFDCDPSvc",
            Some(SchemaVersion::new(2, 28)),
        ),
    ];

    /// Parses the value of a `TTK*` token. Returns the keyword and whether it was
    /// found under the token its grammar assigns.
    pub(crate) fn parse(token_version: Option<SchemaVersion>, text: &str) -> (Self, bool) {
        for (kw, spelling, version) in Self::KNOWN {
            if text.eq_ignore_ascii_case(spelling) {
                return (kw.clone(), *version == token_version);
            }
        }
        (
            Self::Other {
                token_version,
                value: text.to_owned(),
            },
            true,
        )
    }

    /// The token this keyword is written under (`TTK`, `TTK2_22`, ...).
    #[must_use]
    pub fn token(&self) -> String {
        let version = match self {
            Self::Other { token_version, .. } => *token_version,
            known => Self::KNOWN
                .iter()
                .find(|(kw, _, _)| kw == known)
                .and_then(|(_, _, v)| *v),
        };
        match version {
            None => "TTK".to_owned(),
            Some(v) => format!("TTK{}", v.suffix()),
        }
    }

    /// The keyword text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Other { value, .. } => value,
            known => Self::KNOWN
                .iter()
                .find(|(kw, _, _)| kw == known)
                .map_or("", |(_, s, _)| s),
        }
    }
}

/// One port condition: a single port, a range, or a keyword (§2.2.2.2, §2.2.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PortValue {
    /// `SINGLEPORT`.
    Single(u16),
    /// `BEGINPORT "-" ENDPORT`, inclusive.
    Range(u16, u16),
    /// A port keyword.
    Keyword(PortKeyword),
}

impl PortValue {
    /// Parses `n`, `a-b`, or a keyword. `None` for malformed numbers (e.g. `70000`, `1-`).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        if let Some(n) = parse_port(text) {
            return Some(Self::Single(n));
        }
        if let Some((a, b)) = text.split_once('-') {
            if a.bytes().all(|c| c.is_ascii_digit()) && !a.is_empty() {
                return Some(Self::Range(parse_port(a)?, parse_port(b)?));
            }
        }
        if text.is_empty() || text.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        Some(Self::Keyword(PortKeyword::parse(text)))
    }

    /// The inclusive numeric range, if this is a number or a range.
    #[must_use]
    pub fn range(&self) -> Option<(u16, u16)> {
        match self {
            Self::Single(p) => Some((*p, *p)),
            Self::Range(a, b) => Some((*a, *b)),
            Self::Keyword(_) => None,
        }
    }
}

impl fmt::Display for PortValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Single(p) => write!(f, "{p}"),
            Self::Range(a, b) => write!(f, "{a}-{b}"),
            Self::Keyword(k) => f.write_str(k.as_str()),
        }
    }
}

fn parse_port(text: &str) -> Option<u16> {
    parse_digits(text, 5).and_then(|n| u16::try_from(n).ok())
}

/// Parses 1..=`max_digits` ASCII digits.
pub(crate) fn parse_digits(text: &str, max_digits: usize) -> Option<u64> {
    if text.is_empty() || text.len() > max_digits || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A port condition together with the token variant it is written under.
///
/// `token_version: None` is the base token (`LPort=`, `RPort=`, `EP1Port=`),
/// `Some(2.10)` is `LPort2_10=` and so on. The token carries no meaning beyond
/// down-level compatibility; all port tokens of one side are unioned.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PortEntry {
    /// Token version suffix (`None` = base token).
    pub token_version: Option<SchemaVersion>,
    /// The port condition.
    pub value: PortValue,
}

impl PortEntry {
    /// A port condition under the token its form is defined for: numbers under
    /// the base token, ranges under `*2_10`, keywords per
    /// [`PortKeyword::default_token_version`].
    #[must_use]
    pub fn new(value: PortValue) -> Self {
        let token_version = match &value {
            PortValue::Single(_) => None,
            PortValue::Range(..) => Some(SchemaVersion::V2_10),
            PortValue::Keyword(k) => k.default_token_version(),
        };
        Self {
            token_version,
            value,
        }
    }

    /// The full token, e.g. `token("LPort")` → `LPort2_10` for a range.
    #[must_use]
    pub fn token(&self, base: &str) -> String {
        match self.token_version {
            None => base.to_owned(),
            Some(v) => format!("{base}{}", v.suffix()),
        }
    }
}

/// An IPv4 address condition (§2.2.2.9, §2.2.2.10, §2.2.2.13).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Ipv4Spec {
    /// `SINGLEADDRV4`.
    Single(Ipv4Addr),
    /// `BEGINADDRV4 "-" ENDADDRV4`, inclusive.
    Range(Ipv4Addr, Ipv4Addr),
    /// `SUBNET-ADDRV4 "/" V4PREFIX-LENGTH`.
    Prefix(Ipv4Addr, u8),
    /// `SUBNET-ADDRV4 "/" MASK-ADDRV4` (dotted mask, kept as written).
    Masked(Ipv4Addr, Ipv4Addr),
    /// An address keyword.
    Keyword(AddressKeyword),
}

impl Ipv4Spec {
    /// The inclusive address range, when this denotes one (keywords and
    /// non-contiguous masks do not).
    #[must_use]
    pub fn range(&self) -> Option<(Ipv4Addr, Ipv4Addr)> {
        match self {
            Self::Single(a) => Some((*a, *a)),
            Self::Range(a, b) => Some((*a, *b)),
            Self::Prefix(a, len) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(*len)).unwrap_or(0);
                let base = u32::from(*a) & mask;
                Some((Ipv4Addr::from(base), Ipv4Addr::from(base | !mask)))
            }
            Self::Masked(a, m) => {
                let mask = u32::from(*m);
                if mask.leading_ones() + mask.trailing_zeros() != 32 {
                    return None;
                }
                let base = u32::from(*a) & mask;
                Some((Ipv4Addr::from(base), Ipv4Addr::from(base | !mask)))
            }
            Self::Keyword(_) => None,
        }
    }
}

impl fmt::Display for Ipv4Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Single(a) => write!(f, "{a}"),
            Self::Range(a, b) => write!(f, "{a}-{b}"),
            Self::Prefix(a, n) => write!(f, "{a}/{n}"),
            Self::Masked(a, m) => write!(f, "{a}/{m}"),
            Self::Keyword(k) => f.write_str(k.as_str()),
        }
    }
}

/// An IPv6 address condition (§2.2.2.11–§2.2.2.13).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Ipv6Spec {
    /// `SINGLEADDRV6`.
    Single(Ipv6Addr),
    /// `BEGINADDRV6 "-" ENDADDRV6`, inclusive.
    Range(Ipv6Addr, Ipv6Addr),
    /// `SUBNET-ADDRV6 "/" V6PREFIX-LENGTH`.
    Prefix(Ipv6Addr, u8),
    /// An address keyword.
    Keyword(AddressKeyword),
}

impl Ipv6Spec {
    /// The inclusive address range, when this denotes one.
    #[must_use]
    pub fn range(&self) -> Option<(Ipv6Addr, Ipv6Addr)> {
        match self {
            Self::Single(a) => Some((*a, *a)),
            Self::Range(a, b) => Some((*a, *b)),
            Self::Prefix(a, len) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(*len)).unwrap_or(0);
                let base = u128::from(*a) & mask;
                Some((Ipv6Addr::from(base), Ipv6Addr::from(base | !mask)))
            }
            Self::Keyword(_) => None,
        }
    }
}

impl fmt::Display for Ipv6Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Single(a) => write!(f, "{a}"),
            Self::Range(a, b) => write!(f, "{a}-{b}"),
            Self::Prefix(a, n) => write!(f, "{a}/{n}"),
            Self::Keyword(k) => f.write_str(k.as_str()),
        }
    }
}

/// Why an address text was rejected.
pub(crate) const BAD_V4: &str = "expected an IPv4 address, range a-b, subnet a/len or a/mask";
pub(crate) const BAD_V6: &str = "expected an IPv6 address, range a-b or subnet a/len";

/// `ADDRV4 = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT` (leading zeros allowed).
pub(crate) fn parse_ipv4(text: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = text.split('.');
    for octet in &mut octets {
        *octet = u8::try_from(parse_digits(parts.next()?, 3)?).ok()?;
    }
    parts.next().is_none().then(|| Ipv4Addr::from(octets))
}

/// Parses an IPv4 condition; keywords are accepted only when `keywords` is set.
pub(crate) fn parse_ipv4_spec(text: &str, keywords: bool) -> Option<Ipv4Spec> {
    if let Some((addr, rest)) = text.split_once('/') {
        let addr = parse_ipv4(addr)?;
        if let Some(len) = parse_digits(rest, 2) {
            return (len <= 32).then(|| Ipv4Spec::Prefix(addr, u8::try_from(len).unwrap_or(0)));
        }
        return Some(Ipv4Spec::Masked(addr, parse_ipv4(rest)?));
    }
    if let Some((a, b)) = text.split_once('-') {
        return Some(Ipv4Spec::Range(parse_ipv4(a)?, parse_ipv4(b)?));
    }
    if let Some(a) = parse_ipv4(text) {
        return Some(Ipv4Spec::Single(a));
    }
    if keywords {
        return AddressKeyword::parse(text).map(Ipv4Spec::Keyword);
    }
    None
}

/// Parses an IPv6 condition; keywords are accepted only when `keywords` is set.
pub(crate) fn parse_ipv6_spec(text: &str, keywords: bool) -> Option<Ipv6Spec> {
    if let Some((addr, rest)) = text.split_once('/') {
        let addr: Ipv6Addr = addr.parse().ok()?;
        let len = parse_digits(rest, 3)?;
        return (len <= 128).then(|| Ipv6Spec::Prefix(addr, u8::try_from(len).unwrap_or(0)));
    }
    if let Some((a, b)) = text.split_once('-') {
        return Some(Ipv6Spec::Range(a.parse().ok()?, b.parse().ok()?));
    }
    if let Ok(a) = text.parse() {
        return Some(Ipv6Spec::Single(a));
    }
    if keywords {
        return AddressKeyword::parse(text).map(Ipv6Spec::Keyword);
    }
    None
}

/// `ICMP-TYPE-CODE-VAL = TYPE ":" CODE` (§2.2.2.16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IcmpTypeCode {
    /// ICMP type (0–255).
    pub icmp_type: u8,
    /// ICMP code; `None` is `*` (any code, wCode 0x100).
    pub code: Option<u8>,
}

impl IcmpTypeCode {
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let (t, c) = text.split_once(':')?;
        let icmp_type = u8::try_from(parse_digits(t, 3)?).ok()?;
        let code = if c == "*" {
            None
        } else {
            Some(u8::try_from(parse_digits(c, 3)?).ok()?)
        };
        Some(Self { icmp_type, code })
    }
}

impl fmt::Display for IcmpTypeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            Some(c) => write!(f, "{}:{c}", self.icmp_type),
            None => write!(f, "{}:*", self.icmp_type),
        }
    }
}

/// `PLATFORM-VAL = PLATFORM ":" OS-MAJOR-VER ":" OS-MINOR-VER` (§2.2.2.17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Platform {
    /// The 3 low bits of `bPlatform` (0–7; 2 = Windows NT).
    pub platform: u8,
    /// OS major version.
    pub major: u8,
    /// OS minor version.
    pub minor: u8,
}

impl Platform {
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split(':');
        let platform = u8::try_from(parse_digits(parts.next()?, 3)?).ok()?;
        let major = u8::try_from(parse_digits(parts.next()?, 3)?).ok()?;
        let minor = u8::try_from(parse_digits(parts.next()?, 3)?).ok()?;
        (parts.next().is_none() && platform <= 7).then_some(Self {
            platform,
            major,
            minor,
        })
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.platform, self.major, self.minor)
    }
}

/// `BOOL-VAL = "TRUE" / "FALSE"` (§2.2.2.14), matched case-insensitively.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("TRUE") {
        Some(true)
    } else if text.eq_ignore_ascii_case("FALSE") {
        Some(false)
    } else {
        None
    }
}
