//! The one error type every sink returns: a stable [`ErrorCode`] that tells the runner whether to
//! retry (the target is down) or quarantine (the target refused the data), plus a message naming
//! the target, table and column and what to do. It must never carry a password or a record's
//! values beyond what is needed to find the problem.

use docket_core::ErrorCode;
use docket_core::codes::Class;

/// A sink failure, classified for the runner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct SinkError {
    /// [`ErrorCode::SinkUnavailable`] (retry later; records stay in the outbox),
    /// [`ErrorCode::SinkRejected`] (the data or the table mapping must be fixed first) or
    /// [`ErrorCode::SinkMisconfigured`] (the sink's own settings cannot work: bad URL, scheme,
    /// credential shape).
    pub code: ErrorCode,
    /// What happened, where, and what to do; never contains a password.
    pub message: String,
}

impl SinkError {
    /// The target did not answer or failed transiently: the batch can be retried as is.
    pub fn unavailable(message: impl Into<String>) -> Self {
        SinkError {
            code: ErrorCode::SinkUnavailable,
            message: message.into(),
        }
    }

    /// The target (or the sink's own checks) refused the batch: retrying will not help.
    pub fn rejected(message: impl Into<String>) -> Self {
        SinkError {
            code: ErrorCode::SinkRejected,
            message: message.into(),
        }
    }

    /// The sink's configuration cannot work whatever is retried (malformed URL, unsupported
    /// scheme, a credential of the wrong shape).
    pub fn misconfigured(message: impl Into<String>) -> Self {
        SinkError {
            code: ErrorCode::SinkMisconfigured,
            message: message.into(),
        }
    }

    /// True when the runner should keep the batch in the outbox and try again later.
    pub fn is_retryable(&self) -> bool {
        self.code.class() == Class::Retry
    }
}
