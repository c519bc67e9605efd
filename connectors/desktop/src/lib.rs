//! Desktop automation for legacy applications.
//!
//! - [`Desktop`]: the platform-neutral surface (screen size, capture, mouse, keyboard) with no X11
//!   types in it, so that a Windows backend can follow on the same terms.
//! - [`X11Desktop`]: the X11 backend. Input goes through XTEST via `enigo`'s pure-Rust `x11rb`
//!   backend; capture is an `x11rb` `GetImage` of the root window on an explicitly named display
//!   (`xcap` reads only the process' `$DISPLAY`, which a library cannot change safely).
//! - [`Xvfb`]: an owned virtual X server on a free display number, killed on drop (tests, headless runs).
//! - [`locate`]: anchor location by multi-scale zero-mean normalised cross-correlation.
//! - [`signals`]: finding a target by combining its template, OCR text and position.
//! - [`script`] and [`replay_with()`]: the YAML format of UI steps (click, type, key, wait_for,
//!   focus, read_text, assert_text, screenshot, for_each, if, on_error) and its replay with
//!   masked before/after evidence.

mod desktop;
mod error;
pub mod locate;
mod replay;
pub mod script;
pub mod signals;
mod x11;
mod xvfb;

pub use desktop::{Desktop, KeyCombo, KeyName, Modifier, MouseButton, Point, WindowInfo};
pub use error::{DesktopError, ReplayError};
pub use locate::{Match, Screen, Template};
pub use replay::{
    AnchorHit, Decision, Observer, RecordOutcome, ReplayInput, ReplayOptions, Report, SecretText,
    StepReport, Vars, replay, replay_with,
};
pub use script::{
    AssertText, Drag, ErrorAction, FocusWindow, ForEach, IfStep, OnError, ReadText, Region,
    Screenshot, Script, ScriptError, Scroll, Step, StepAction, Target, TypeText, WaitFor,
};
pub use signals::Signal;
pub use x11::X11Desktop;
pub use xvfb::Xvfb;
