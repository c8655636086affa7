//! Shared interpretation helpers for the rule-string parsers (fields → typed values).

use crate::{Error, ErrorKind};

use super::diag::{GpfasWarning, GpfasWarningKind};
use super::fields::Field;
use super::values::{
    BAD_V4, BAD_V6, Ipv4Spec, Ipv6Spec, PortEntry, PortKeyword, PortValue, parse_bool,
    parse_ipv4_spec, parse_ipv6_spec,
};
use super::version::SchemaVersion;

pub(crate) struct Ctx {
    pub(crate) version: SchemaVersion,
    pub(crate) warnings: Vec<GpfasWarning>,
}

impl Ctx {
    pub(crate) fn warn(&mut self, f: &Field<'_>, kind: GpfasWarningKind) {
        self.warnings.push(GpfasWarning {
            field_index: f.index,
            token: f.token.to_owned(),
            kind,
        });
    }

    pub(crate) fn invalid(f: &Field<'_>, reason: &'static str) -> Error {
        Error::rule(ErrorKind::InvalidValue {
            field_index: f.index,
            token: f.token.to_owned(),
            value: f.value.unwrap_or_default().to_owned(),
            reason,
        })
    }

    /// Stores a value of an at-most-once token; a repeat warns and the last one wins.
    pub(crate) fn once<T>(&mut self, f: &Field<'_>, slot: &mut Option<T>, value: T) {
        if slot.is_some() {
            self.warn(f, GpfasWarningKind::DuplicateToken);
        }
        *slot = Some(value);
    }

    /// Warns when the rule's version is older than the token's.
    pub(crate) fn gate(&mut self, f: &Field<'_>, required: SchemaVersion) {
        if self.version < required {
            self.warn(f, GpfasWarningKind::TokenNewerThanRule { required });
        }
    }

    pub(crate) fn bool(&mut self, f: &Field<'_>, slot: &mut Option<bool>) -> Result<(), Error> {
        let v = parse_bool(f.value.unwrap_or_default())
            .ok_or_else(|| Self::invalid(f, "expected TRUE or FALSE"))?;
        self.once(f, slot, v);
        Ok(())
    }

    pub(crate) fn string(&mut self, f: &Field<'_>, slot: &mut Option<String>) {
        let v = f.value.unwrap_or_default().to_owned();
        self.once(f, slot, v);
    }

    pub(crate) fn keyword<T>(
        &mut self,
        f: &Field<'_>,
        slot: &mut Option<T>,
        parse: impl Fn(&str) -> Option<T>,
        reason: &'static str,
    ) -> Result<(), Error> {
        let v = parse(f.value.unwrap_or_default()).ok_or_else(|| Self::invalid(f, reason))?;
        self.once(f, slot, v);
        Ok(())
    }

    pub(crate) fn protocol(&mut self, f: &Field<'_>, slot: &mut Option<u8>) -> Result<(), Error> {
        let v = super::values::parse_digits(f.value.unwrap_or_default(), 3)
            .and_then(|n| u8::try_from(n).ok())
            .ok_or_else(|| Self::invalid(f, "expected a protocol number 0-255"))?;
        self.once(f, slot, v);
        Ok(())
    }

    pub(crate) fn version_value(
        &mut self,
        f: &Field<'_>,
        slot: &mut Option<SchemaVersion>,
    ) -> Result<(), Error> {
        let v = SchemaVersion::parse(f.value.unwrap_or_default())
            .ok_or_else(|| Self::invalid(f, "expected a version MAJOR.MINOR"))?;
        self.once(f, slot, v);
        Ok(())
    }

    /// Parses a port token `<base>[<M>_<N>]`; `None` if `f.token` is not one.
    pub(crate) fn port(&mut self, f: &Field<'_>, base: &str) -> Option<Result<PortEntry, Error>> {
        let suffix = f.token.strip_prefix(base)?;
        let token_version = if suffix.is_empty() {
            None
        } else {
            Some(SchemaVersion::parse_suffix(suffix)?)
        };
        Some(self.port_value(f, token_version))
    }

    fn port_value(
        &mut self,
        f: &Field<'_>,
        token_version: Option<SchemaVersion>,
    ) -> Result<PortEntry, Error> {
        if let Some(v) = token_version {
            self.gate(f, v);
        }
        let value = PortValue::parse(f.value.unwrap_or_default()).ok_or_else(|| {
            Self::invalid(f, "expected a port 0-65535, a range a-b, or a port keyword")
        })?;
        match &value {
            PortValue::Range(a, b) => {
                if a > b {
                    self.warn(f, GpfasWarningKind::ReversedRange);
                }
                if token_version.is_none() {
                    // §2.2.2.19: `LPort=`/`RPort=` carry PORT-VAL (single port) only.
                    self.warn(f, GpfasWarningKind::ValueFormForToken);
                }
            }
            PortValue::Single(_) => {
                if token_version.is_some() {
                    // `*2_10=` carry PORT-RANGE-VAL or keywords.
                    self.warn(f, GpfasWarningKind::ValueFormForToken);
                }
            }
            PortValue::Keyword(k) => {
                if !k.is_known() {
                    self.warn(f, GpfasWarningKind::UnknownKeyword(k.as_str().to_owned()));
                } else if k.default_token_version() != token_version
                    && !matches!(
                        k,
                        PortKeyword::Mdns | PortKeyword::TcpCdpSvc | PortKeyword::CortanaOut
                    )
                {
                    self.warn(f, GpfasWarningKind::KeywordUnderOtherToken);
                }
            }
        }
        Ok(PortEntry {
            token_version,
            value,
        })
    }

    pub(crate) fn v4(&mut self, f: &Field<'_>, keywords: bool) -> Result<Ipv4Spec, Error> {
        let spec = parse_ipv4_spec(f.value.unwrap_or_default(), keywords)
            .ok_or_else(|| Self::invalid(f, BAD_V4))?;
        match &spec {
            Ipv4Spec::Range(a, b) if a > b => self.warn(f, GpfasWarningKind::ReversedRange),
            Ipv4Spec::Masked(_, m) => {
                let m = u32::from(*m);
                if m.leading_ones() + m.trailing_zeros() != 32 {
                    self.warn(f, GpfasWarningKind::NonContiguousMask);
                }
            }
            _ => {}
        }
        Ok(spec)
    }

    pub(crate) fn v6(&mut self, f: &Field<'_>, keywords: bool) -> Result<Ipv6Spec, Error> {
        let spec = parse_ipv6_spec(f.value.unwrap_or_default(), keywords)
            .ok_or_else(|| Self::invalid(f, BAD_V6))?;
        if let Ipv6Spec::Range(a, b) = &spec {
            if a > b {
                self.warn(f, GpfasWarningKind::ReversedRange);
            }
        }
        Ok(spec)
    }

    /// Records an unknown or malformed field.
    pub(crate) fn unknown(&mut self, f: &Field<'_>, unknown: &mut Vec<String>) {
        let kind = if f.value.is_none() {
            GpfasWarningKind::MalformedField
        } else {
            GpfasWarningKind::UnknownToken
        };
        self.warn(f, kind);
        unknown.push(f.raw.to_owned());
    }
}
