//! The one error type of digitisation: a stable code plus a message naming the file and the fix.

use docket_core::ErrorCode;

/// A digitisation failure.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {message}")]
pub struct DigitiseError {
    /// Stable code; its help page says what to do.
    pub code: ErrorCode,
    /// What went wrong, naming the file (and page/sheet/row where known).
    pub message: String,
}

impl DigitiseError {
    /// A new error.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// Prefixes the message with the file path unless it already names it.
    pub fn in_file(mut self, path: &str) -> Self {
        if !self.message.starts_with(path) {
            self.message = format!("{path}: {}", self.message);
        }
        self
    }
}
