//! User-facing failures: an error with a stable code (`DK-E…`) whose class decides the exit code,
//! and the one function that prints any error the way an operator needs to read it.

use docket_core::ErrorCode;

/// A failure that carries a stable code. Commands return it inside `anyhow::Error`; [`report`]
/// finds it again to choose the exit code.
#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Failure {
    /// Stable code with a help page.
    pub code: ErrorCode,
    /// What went wrong, naming the file or field.
    pub message: String,
}

impl Failure {
    /// A new failure.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// Prints the error chain and the hint to run `docket explain`, and returns the exit code.
pub fn report(err: &anyhow::Error) -> i32 {
    let failure = err.chain().find_map(|e| e.downcast_ref::<Failure>());
    eprintln!("error: {err}");
    for cause in err.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
    match failure {
        Some(f) => {
            eprintln!(
                "  help: {} — run `docket explain {}` for what to do",
                f.code.title(),
                f.code
            );
            f.code.class().exit_code()
        }
        None => 2,
    }
}
