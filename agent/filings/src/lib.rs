//! Suspicious-transaction report writers: goAML 5.0.2 XML and PBOC/CAMLMAC XML from a
//! report draft, with a structural validator of the project's own. Pure: no I/O.
//!
//! Flow: build a [`StrDraft`], call [`goaml::write`] or [`camlmac::write`]. Each writer first runs
//! its structural validator over the draft and refuses to write a document the regulator would
//! reject, returning every problem at once as [`FilingError::Invalid`]. This crate must never read
//! files, call the network, or decide what is suspicious.

pub mod camlmac;
pub mod codes;
pub mod goaml;
pub mod model;
mod xml;

pub use model::*;

use std::fmt;

/// One problem found in a draft: where, what is wrong, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Path of the offending field in the draft, e.g. `transactions[1].to.party`.
    pub path: String,
    /// What is wrong.
    pub problem: String,
    /// What to do about it.
    pub fix: String,
}

impl Issue {
    pub(crate) fn new(
        path: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Issue {
            path: path.into(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}; {}", self.path, self.problem, self.fix)
    }
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum FilingError {
    /// The draft fails the structural checks of the target format.
    #[error("{format} report cannot be written, the draft has {} problem(s):\n{}", issues.len(), render(issues))]
    Invalid {
        /// `goAML` or `CAMLMAC`.
        format: &'static str,
        /// Every problem found, in draft order.
        issues: Vec<Issue>,
    },
}

impl FilingError {
    /// Stable error code for this failure (documented alongside `docket-core`'s codes).
    pub fn code(&self) -> &'static str {
        match self {
            FilingError::Invalid { .. } => "DK-E0701",
        }
    }

    /// The individual problems.
    pub fn issues(&self) -> &[Issue] {
        match self {
            FilingError::Invalid { issues, .. } => issues,
        }
    }
}

fn render(issues: &[Issue]) -> String {
    issues
        .iter()
        .map(|i| format!("  {i}"))
        .collect::<Vec<_>>()
        .join("\n")
}
