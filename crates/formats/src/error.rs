//! The one error type of this crate: what went wrong ([`ErrorKind`]) and where
//! ([`Location`]), for every reader and writer.

use std::fmt;

use serde::Serialize;

/// A `Registry.pol` file or a rule string that cannot be read, or a value that
/// cannot be written: [`Error::kind`] says what, [`Error::location`] where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Error {
    // Boxed: the kind and location together are large, and every parser
    // function returns `Result<_, Error>` (clippy::result_large_err).
    inner: Box<Inner>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
struct Inner {
    location: Location,
    kind: ErrorKind,
}

/// Where an [`Error`] was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum Location {
    /// A rule string being parsed or written (a field index, if any, is in the kind).
    RuleString,
    /// A rule of a [`FirewallPolicy`](crate::gpfas::FirewallPolicy) being written.
    PolicyRule {
        /// The rule ID (the registry value name).
        id: String,
    },
    /// A byte of a `Registry.pol` file being read.
    PolByte {
        /// Byte offset into the file.
        offset: usize,
        /// Index of the instruction being read (0-based; equals the number of
        /// entries read successfully before the error).
        entry_index: usize,
    },
    /// A line of a text file being read (`.reg` export, CSV, `testparm` output).
    Line {
        /// 1-based line number (of the first physical line of a continued line).
        line: usize,
    },
    /// A record of a structured export (a CSV row or a JSON array element).
    Record {
        /// 0-based index of the record (data rows only, the CSV header excluded).
        index: usize,
        /// The field concerned, if any.
        field: Option<String>,
    },
    /// A registry hive file (`.wfw`) being read.
    Hive {
        /// Key path below the hive root (empty for the file itself).
        key: String,
    },
    /// An entry of a list being written as a `Registry.pol` file.
    PolEntry {
        /// Index of the entry in the input list.
        index: usize,
        /// Key of the entry.
        key: String,
        /// Value name of the entry.
        value: String,
    },
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Rule string: the input is empty.
    #[error("rule string is empty")]
    Empty,
    /// Rule string: it does not start with `v<MAJOR>.<MINOR>|`.
    #[error("rule string does not start with a version `vMAJOR.MINOR|`: {text:?}")]
    BadVersion {
        /// The first field of the string.
        text: String,
    },
    /// Rule string: a known token carries a value its grammar does not allow.
    #[error("field {field_index} `{token}={value}`: {reason}")]
    InvalidValue {
        /// 1-based index of the field after the version.
        field_index: usize,
        /// The token (e.g. `LPort`).
        token: String,
        /// The offending value.
        value: String,
        /// What the grammar expects.
        reason: &'static str,
    },
    /// Rule string writer: a value contains `|`, which MS-GPFAS has no way to escape.
    #[error("value of `{field}` contains `|`, which MS-GPFAS rule strings cannot escape")]
    PipeInValue {
        /// The token or field whose value is affected (e.g. `Name`).
        field: String,
    },
    /// `Registry.pol` reader: the file does not start with the `PReg` signature.
    #[error("missing `PReg` signature")]
    BadSignature,
    /// `Registry.pol` reader: the header announces a version other than 1.
    #[error("unsupported Registry.pol version {0} (only version 1 exists)")]
    UnsupportedVersion(u32),
    /// `Registry.pol` reader: the file ends in the middle of an instruction.
    #[error("unexpected end of file while reading {0}")]
    Truncated(&'static str),
    /// `Registry.pol` reader: a delimiter (`[`, `;`, `]`) was expected.
    #[error("expected `{expected}`, found UTF-16 unit {found:#06x}")]
    ExpectedDelimiter {
        /// The delimiter the grammar requires here.
        expected: char,
        /// The UTF-16 code unit found instead.
        found: u16,
    },
    /// `Registry.pol` reader: a key or value name is not valid UTF-16 (unpaired surrogate).
    #[error("{0} name is not valid UTF-16")]
    InvalidName(&'static str),
    /// `Registry.pol` reader: the `Size` field exceeds the bytes left in the file.
    #[error("data size {size} exceeds the {available} bytes left in the file")]
    DataTooLong {
        /// Declared size.
        size: u32,
        /// Bytes remaining after the `Size` field's delimiter.
        available: usize,
    },
    /// `Registry.pol` writer: the key or value name contains a NUL or another
    /// control character (the grammar's IdCharacter excludes them, and a reader
    /// could not find the end of the name).
    #[error("{0} name contains a control character")]
    ControlCharInName(&'static str),
    /// `Registry.pol` writer: the data variant does not match the value type
    /// (e.g. a string stored as REG_DWORD).
    #[error("data variant does not fit value type {0}")]
    DataKindMismatch(u32),
    /// `Registry.pol` writer: a string contains a NUL character, which would end it early.
    #[error("string data contains a NUL character")]
    NulInString,
    /// `Registry.pol` writer: a REG_MULTI_SZ element is empty (an empty element
    /// terminates the list).
    #[error("REG_MULTI_SZ element is empty")]
    EmptyMultiStringElement,
    /// `Registry.pol` writer: [`RegData::Bytes`](crate::registry_pol::RegData::Bytes)
    /// whose content is the canonical encoding of a typed value of this type
    /// (e.g. 4 bytes for REG_DWORD): use the typed variant
    /// ([`RegData::decode`](crate::registry_pol::RegData::decode) gives it), so
    /// that reading the file back yields the same entry.
    #[error("raw bytes have a typed form for value type {0}; use RegData::decode")]
    BytesHaveTypedForm(u32),
    /// Text file: the bytes are not text in any encoding the reader knows
    /// (e.g. an odd number of bytes after a UTF-16 byte-order mark).
    #[error("undecodable text: {0}")]
    Undecodable(&'static str),
    /// Text file: the first line is not the header the format requires.
    #[error("missing header: expected {expected}, found {found:?}")]
    MissingHeader {
        /// What the format requires.
        expected: &'static str,
        /// The first non-blank line (at most 80 characters).
        found: String,
    },
    /// Text file: a line (or record) does not follow the grammar.
    #[error("{reason}: {text:?}")]
    Syntax {
        /// What the grammar expects.
        reason: &'static str,
        /// The offending text (at most 80 characters).
        text: String,
    },
    /// Registry hive: the file could not be parsed as a `regf` hive.
    #[error("not a readable registry hive: {0}")]
    Hive(String),
    /// JSON export: the document is not JSON of the expected shape.
    #[error("JSON: {0}")]
    Json(String),
    /// `Registry.pol` writer: the encoded data exceeds
    /// [`MAX_DATA_SIZE`](crate::registry_pol::MAX_DATA_SIZE).
    #[error("data is {0} bytes; MS-GPREG allows at most 65535")]
    DataTooLarge(usize),
}

impl Error {
    /// An error of `kind` found at `location`.
    pub(crate) fn new(location: Location, kind: ErrorKind) -> Self {
        Self {
            inner: Box::new(Inner { location, kind }),
        }
    }

    /// An error in a rule string (no location beyond what the kind carries).
    pub(crate) fn rule(kind: ErrorKind) -> Self {
        Self::new(Location::RuleString, kind)
    }

    /// An error on a 1-based text line.
    pub(crate) fn line(line: usize, kind: ErrorKind) -> Self {
        Self::new(Location::Line { line }, kind)
    }

    /// The same problem, found at another location.
    pub(crate) fn at(mut self, location: Location) -> Self {
        self.inner.location = location;
        self
    }

    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }

    /// Where the problem was found.
    #[must_use]
    pub fn location(&self) -> &Location {
        &self.inner.location
    }

    /// The byte offset into a `Registry.pol` file, for reader errors.
    #[must_use]
    pub fn offset(&self) -> Option<usize> {
        match self.inner.location {
            Location::PolByte { offset, .. } => Some(offset),
            _ => None,
        }
    }
}

impl std::error::Error for Error {}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = &self.inner.kind;
        match &self.inner.location {
            Location::RuleString => write!(f, "{kind}"),
            Location::PolicyRule { id } => write!(f, "cannot write rule {id}: {kind}"),
            Location::PolByte {
                offset,
                entry_index,
            } => write!(
                f,
                "Registry.pol: {kind} (at byte offset {offset}, entry #{entry_index})"
            ),
            Location::Line { line } => write!(f, "line {line}: {kind}"),
            Location::Record { index, field } => match field {
                Some(field) => write!(f, "record #{index}, field {field}: {kind}"),
                None => write!(f, "record #{index}: {kind}"),
            },
            Location::Hive { key } if key.is_empty() => write!(f, "hive: {kind}"),
            Location::Hive { key } => write!(f, "hive key {key}: {kind}"),
            Location::PolEntry { index, key, value } => write!(
                f,
                "cannot write Registry.pol entry #{index} ({key}!{value}): {kind}"
            ),
        }
    }
}

impl ErrorKind {
    /// A [`ErrorKind::Syntax`] quoting at most 80 characters of `text`.
    pub(crate) fn syntax(reason: &'static str, text: &str) -> Self {
        Self::Syntax {
            reason,
            text: clip(text),
        }
    }
}

/// At most 80 characters of `text`, so an error never echoes a whole file.
pub(crate) fn clip(text: &str) -> String {
    text.chars().take(80).collect()
}
