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
    /// Listing or focusing windows failed.
    #[error("windows: {0}")]
    Window(String),
    /// Xvfb could not be started.
    #[error("Xvfb: {0}")]
    Xvfb(String),
}

/// A replay that stopped at a step.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The anchor of a step was not found on screen within the step's timeout.
    #[error(
        "step {step} ({name}): {anchor} not found within {timeout_ms} ms (best score {best_score:.3} < threshold {threshold:.2}; {detail}); screenshot: {screenshot}",
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
        timeout_ms: u64,
        /// Every signal's best score, and which weak signals alone agreed.
        detail: String,
        /// The last screenshot searched.
        screenshot: PathBuf,
    },
    /// A `wait_for … gone: true` target was still on screen at the timeout.
    #[error(
        "step {step} ({name}): {target} still on screen after {timeout_ms} ms; screenshot: {}",
        screenshot.display()
    )]
    StillThere {
        /// 1-based step number.
        step: usize,
        /// The step's name.
        name: String,
        /// The target.
        target: String,
        /// How long the step polled.
        timeout_ms: u64,
        /// The last screenshot.
        screenshot: PathBuf,
    },
    /// No window matched a `focus` step.
    #[error(
        "step {step} ({name}): no window matching {window:?} (open: {open}); screenshot: {}",
        screenshot.display()
    )]
    WindowNotFound {
        /// 1-based step number.
        step: usize,
        /// The step's name.
        name: String,
        /// The title or class looked for.
        window: String,
        /// Titles of the windows that were open.
        open: String,
        /// The screen at the timeout.
        screenshot: PathBuf,
    },
    /// `assert_text` did not hold at the timeout.
    #[error(
        "step {step} ({name}): expected text {expected:?}, read {found:?}; screenshot: {}",
        screenshot.display()
    )]
    TextMismatch {
        /// 1-based step number.
        step: usize,
        /// The step's name.
        name: String,
        /// What the script expects.
        expected: String,
        /// What OCR read last.
        found: String,
        /// The screen at the timeout.
        screenshot: PathBuf,
    },
    /// A `type: {secret: NAME}` step has no such secret.
    #[error(
        "step {step} ({name}): secret {secret:?} was not given: store it with `docket secret set {secret}`"
    )]
    MissingSecret {
        /// 1-based step number.
        step: usize,
        /// The step's name.
        name: String,
        /// The secret's name.
        secret: String,
    },
    /// Reading text failed (no engine, or the engine failed).
    #[error("step {step} ({name}): OCR: {message}")]
    Ocr {
        /// 1-based step number.
        step: usize,
        /// The step's name.
        name: String,
        /// Why.
        message: String,
    },
    /// The operator stopped the replay (`--step-through`).
    #[error("step {step} ({name}): stopped by the operator")]
    Aborted {
        /// 1-based step number.
        step: usize,
        /// The step's name.
        name: String,
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
