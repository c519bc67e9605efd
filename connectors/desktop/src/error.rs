//! Errors of the desktop layer and of replay.

use std::path::PathBuf;

/// A failure talking to the display or the input system.
#[derive(Debug, thiserror::Error)]
pub enum DesktopError {
    /// The X display could not be opened or answered with an error.
    #[error("display {display}: {message}")]
    Display {
        /// The display name, e.g. `:94`.
        display: String,
        /// What went wrong.
        message: String,
    },
    /// Synthesising input failed.
    #[error("input: {0}")]
    Input(String),
    /// Capturing the screen failed.
    #[error("capture: {0}")]
    Capture(String),
    /// A key combination could not be parsed (e.g. `ctrl+`).
    #[error("key combination {combo:?}: {message}")]
    KeyCombo {
        /// The text given.
        combo: String,
        /// Why it is not valid.
        message: String,
    },
    /// Xvfb could not be started.
    #[error("Xvfb: {0}")]
    Xvfb(String),
}

/// A replay that stopped at a step.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The anchor of a step was not found on screen within the step's timeout.
    #[error(
        "step {step} ({name}): anchor {anchor} not found within {timeout_ms} ms (best score {best_score:.3} < threshold {threshold:.2}); screenshot: {screenshot}",
        anchor = anchor.display(),
        screenshot = screenshot.display()
    )]
    AnchorNotFound {
        /// 1-based step number.
        step: usize,
        /// The step's name (given, or derived from its action).
        name: String,
        /// The anchor image.
        anchor: PathBuf,
        /// Best correlation found anywhere at any scale.
        best_score: f32,
        /// The threshold that was required.
        threshold: f32,
        /// How long the step polled.
        timeout_ms: u128,
        /// The last screenshot searched.
        screenshot: PathBuf,
    },
    /// A `{{variable}}` used by a step has no value.
    #[error("step {step} ({name}): variable {variable:?} has no value")]
    UnknownVariable {
        /// 1-based step number.
        step: usize,
        /// The step's name.
        name: String,
        /// The variable name.
        variable: String,
    },
    /// An anchor image could not be read or is unusable.
    #[error("step {step} ({name}): anchor {}: {message}", anchor.display())]
    Anchor {
        /// 1-based step number.
        step: usize,
        /// The step's name.
        name: String,
        /// The anchor image.
        anchor: PathBuf,
        /// Why it cannot be used.
        message: String,
    },
    /// The desktop failed during a step.
    #[error("step {step} ({name}): {source}")]
    Desktop {
        /// 1-based step number.
        step: usize,
        /// The step's name.
        name: String,
        /// The underlying failure.
        source: DesktopError,
    },
    /// Writing evidence failed.
    #[error("evidence {}: {message}", path.display())]
    Evidence {
        /// The file that could not be written.
        path: PathBuf,
        /// Why.
        message: String,
    },
}
