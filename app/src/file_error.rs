//! The error of an operator file, naming the file, the field, the value and why.

use std::fmt;

/// An operator file that could not be used (a simulation scenario, `ifund init`'s fund
/// config): where (file), which field, which value, why.
#[derive(Debug)]
pub struct FileError {
    /// What the file is: "scenario" or "fund config".
    pub kind: &'static str,
    pub source: String,
    pub field: String,
    pub value: String,
    pub reason: String,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{} {}: {}", self.kind, self.source, self.reason)
        } else {
            write!(
                f,
                "{} {}: `{}` = {}: {}",
                self.kind, self.source, self.field, self.value, self.reason
            )
        }
    }
}

impl std::error::Error for FileError {}
