//! What a reader wants the user to know about the input it lowered.

use serde::Serialize;

/// A warning from a reader: what it could not model exactly, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Where in the input (file, rule ID, line, byte offset), human readable.
    pub location: String,
    /// What was found and how it was interpreted.
    pub message: String,
}

impl Finding {
    /// A finding at `location`.
    pub fn new(location: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            location: location.into(),
            message: message.into(),
        }
    }
}
