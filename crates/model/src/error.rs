//! The error of the value parsers ([`parse_addr_spec`](crate::parse_addr_spec),
//! `str::parse::<Transport>`).
//!
//! A problem in an estate file is a located [`Diagnostic`](crate::Diagnostic)
//! instead: it carries a span, a code and a hint, and all of them are reported
//! at once. This type is for one value string with no file around it; the
//! estate lowering turns it into a diagnostic's message.

/// Why an address or transport string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Not an address, a CIDR network or a range.
    #[error("`{0}` is not an IPv4/IPv6 address, CIDR network or `a-b` range")]
    MalformedAddress(String),
    /// A CIDR prefix longer than the family allows.
    #[error("`{0}` has a prefix length out of range")]
    BadPrefix(String),
    /// Nothing after the `/` of a CIDR network.
    #[error("`{0}` has no prefix length after `/` (e.g. 198.18.16.0/24 or 2001:db8::/32)")]
    MissingPrefix(String),
    /// A prefix length that is not a number.
    #[error("`{0}`: the prefix length after `/` is not a number")]
    PrefixNotNumber(String),
    /// A range mixing IPv4 and IPv6.
    #[error("range `{0}` mixes IPv4 and IPv6")]
    MixedFamilies(String),
    /// A range whose start is after its end.
    #[error("range `{0}` starts after it ends")]
    InvertedRange(String),
    /// Not a transport written as `proto/port` with a TCP or UDP protocol.
    #[error("`{0}` is not a transport; write it as `tcp/445` or `udp/137`")]
    MalformedTransport(String),
}

#[cfg(test)]
mod tests {
    use super::Error;
    use crate::{Transport, parse_addr_spec};

    #[test]
    fn each_parser_failure_has_its_own_variant() {
        let addr = |s: &str| parse_addr_spec(s).err();
        assert_eq!(addr("x"), Some(Error::MalformedAddress("x".into())));
        assert_eq!(
            addr("198.18.0.0/33"),
            Some(Error::BadPrefix("198.18.0.0/33".into()))
        );
        let mixed = "198.18.0.9-2001:db8::1";
        assert_eq!(addr(mixed), Some(Error::MixedFamilies(mixed.into())));
        let inverted = "198.18.0.9-198.18.0.1";
        assert_eq!(addr(inverted), Some(Error::InvertedRange(inverted.into())));
        assert_eq!(
            "sctp/445".parse::<Transport>().err(),
            Some(Error::MalformedTransport("sctp/445".into()))
        );
    }
}
