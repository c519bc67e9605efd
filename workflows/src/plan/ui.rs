//! The resolved `ui` write target: a desktop application fed by a UI script, one form per
//! record. The script itself is loaded and checked by the agent ([`crate::check_ui_scripts`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Serialize, Serializer};

/// Which X display a `ui` target drives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UiDisplay {
    /// A display the agent starts and owns for the run (Xvfb).
    Headless,
    /// A named display, e.g. `:5`.
    Named(String),
    /// The agent's `$DISPLAY`, or a headless display when it has none.
    Default,
}

/// A desktop application records are typed into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UiPlan {
    /// The UI script file.
    #[serde(serialize_with = "lossy_path")]
    pub script: PathBuf,
    /// Command started through `sh -c` on the display before the first record.
    pub app: Option<String>,
    /// Working folder of `app` (the workflow file's folder).
    #[serde(serialize_with = "lossy_path")]
    pub workdir: PathBuf,
    /// The display.
    pub display: UiDisplay,
    /// Size of a headless display, `[width, height]`.
    pub screen: [u32; 2],
    /// Tesseract languages joined with `+`.
    pub ocr_languages: String,
    /// Longest one batch may take (checked between records).
    #[serde(serialize_with = "secs")]
    pub timeout: Duration,
    /// A record an earlier run started entering but never finished is entered again (`true`)
    /// or sent to review (`false`, the default; left out of the plan JSON, so the fingerprints
    /// of flows that do not set it did not change when it was added).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reenter_in_doubt: bool,
}

/// Default headless screen.
pub const DEFAULT_UI_SCREEN: [u32; 2] = [1920, 1080];
/// Default time limit of one batch.
pub const DEFAULT_UI_TIMEOUT: Duration = Duration::from_secs(600);

/// Parse `WIDTHxHEIGHT` (each 200 to 16384 pixels).
pub(crate) fn parse_screen(s: &str) -> Option<[u32; 2]> {
    let (w, h) = s.split_once(['x', 'X'])?;
    let w: u32 = w.trim().parse().ok()?;
    let h: u32 = h.trim().parse().ok()?;
    let ok = |v: u32| (200..=16384).contains(&v);
    (ok(w) && ok(h)).then_some([w, h])
}

fn lossy_path<S: Serializer>(path: &Path, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&path.to_string_lossy())
}

fn secs<S: Serializer>(d: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(d.as_secs())
}
