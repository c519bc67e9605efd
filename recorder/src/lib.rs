//! Records UI workflows from global input capture (`docket record`).
//!
//! The designer works the application as usual; the recorder listens to every key and button on
//! the X display through the RECORD extension ([`capture`]), takes a screenshot at every press and
//! cuts an anchor crop with OCR text and label around it ([`anchor`]), then coalesces the raw
//! events into script steps ([`coalesce`]) and writes a `docket_desktop::Script` as readable YAML
//! with an anchors folder ([`session`]). Typing into a password field becomes a secret reference:
//! its characters never reach the YAML, a log, a note or an image the recorder writes.

pub mod anchor;
pub mod capture;
pub mod coalesce;
pub mod event;
pub mod keymap;
pub mod session;

pub use capture::{Capture, CaptureError};
pub use coalesce::{Action, ClickButton, Coalesced, coalesce};
pub use event::{Key, Mods, NamedKey, RawEvent, RawKind};
pub use session::{RecordError, RecordOptions, Recording, Stopped, record};
