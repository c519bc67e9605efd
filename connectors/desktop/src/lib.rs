//! Desktop automation for legacy applications (issue 7).
//!
//! - [`Desktop`]: the platform-neutral surface (screen size, capture, mouse, keyboard) with no X11
//!   types in it, so that a Windows backend can follow on the same terms.
//! - [`X11Desktop`]: the X11 backend. Input goes through XTEST via `enigo`'s pure-Rust `x11rb`
//!   backend; capture is an `x11rb` `GetImage` of the root window on an explicitly named display
//!   (`xcap` reads only the process' `$DISPLAY`, which a library cannot change safely).
//! - [`Xvfb`]: an owned virtual X server on a free display number, killed on drop (tests, headless runs).
//! - [`locate`]: anchor location by multi-scale zero-mean normalised cross-correlation.
//! - [`script`] and [`replay()`]: a small YAML format for UI steps and its replay with evidence.

mod desktop;
mod error;
pub mod locate;
mod replay;
pub mod script;
mod x11;
mod xvfb;

pub use desktop::{Desktop, KeyCombo, KeyName, Modifier, MouseButton, Point};
pub use error::{DesktopError, ReplayError};
pub use locate::{Match, Screen, Template};
pub use replay::{AnchorHit, ReplayOptions, Report, StepReport, Vars, replay};
pub use script::{Script, ScriptError, Step, StepAction, Target, WaitFor};
pub use x11::X11Desktop;
pub use xvfb::Xvfb;
