//! Errors and warnings of the MS-GPFAS rule-string codecs.

use std::fmt;

use serde::Serialize;
use thiserror::Error;

use crate::{Error, ErrorKind};

use super::SchemaVersion;

/// What a [`GpfasWarning`] is about.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
pub enum GpfasWarningKind {
    /// A token this parser does not know; kept verbatim ([MS-GPFAS] §3.1.5:
    /// unknown entries MUST be ignored).
    #[error("unknown token (kept verbatim)")]
    UnknownToken,
    /// A field without `=`; kept verbatim.
    #[error("field has no `=` (kept verbatim)")]
    MalformedField,
    /// A token that may appear at most once appeared again; the last one wins.
    #[error("token may appear at most once; the last occurrence wins")]
    DuplicateToken,
    /// The string does not end with `|` (every field must be terminated).
    #[error("last field is not terminated by `|`")]
    MissingTerminator,
    /// The token needs a newer schema version than the string declares.
    #[error("token requires schema version {required} or later")]
    TokenNewerThanRule {
        /// The minimum version for the token.
        required: SchemaVersion,
    },
    /// A port token without a preceding `Protocol=6` or `Protocol=17` ([MS-GPFAS] §2.2.2.19).
    #[error("port token without a preceding Protocol=6 or Protocol=17")]
    PortWithoutTcpUdp,
    /// An ICMP token without a preceding `Protocol=1` (ICMP4) / `Protocol=58` (ICMP6).
    #[error("ICMP token without a preceding matching Protocol=1/58")]
    IcmpWithoutIcmpProtocol,
    /// Port and ICMP tokens in the same rule (mutually exclusive).
    #[error("port and ICMP tokens in the same rule")]
    PortsAndIcmp,
    /// A keyword value this parser does not know (kept as `Other`).
    #[error("unknown keyword {0:?}")]
    UnknownKeyword(String),
    /// A range whose start is after its end.
    #[error("range start is after range end")]
    ReversedRange,
    /// A dotted subnet mask whose one-bits are not contiguous.
    #[error("subnet mask is not contiguous")]
    NonContiguousMask,
    /// A value form the token's grammar does not list (e.g. a range under `LPort=`).
    #[error("value form not allowed for this token by the grammar")]
    ValueFormForToken,
    /// A keyword under a token of another version group (e.g. `TTK=WFDPrint`).
    #[error("keyword belongs to another token of the same family")]
    KeywordUnderOtherToken,
}

/// A non-fatal remark about a rule string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GpfasWarning {
    /// 1-based index of the field after the version (0 = the string as a whole).
    pub field_index: usize,
    /// The token, or the raw field text for malformed fields.
    pub token: String,
    /// What is wrong.
    pub kind: GpfasWarningKind,
}

impl fmt::Display for GpfasWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "field {} `{}`: {}",
            self.field_index, self.token, self.kind
        )
    }
}

/// Rejects a value that contains `|`: MS-GPFAS has no escape mechanism, so such
/// a value would split the field.
///
/// # Errors
/// [`ErrorKind::PipeInValue`] naming `field`.
pub fn check_field_value(field: &str, value: &str) -> Result<(), Error> {
    if value.contains('|') {
        return Err(Error::rule(ErrorKind::PipeInValue {
            field: field.to_owned(),
        }));
    }
    Ok(())
}
