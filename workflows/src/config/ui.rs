//! The `ui` write target: records are typed into a desktop application by replaying a UI
//! script once per record. Shape only: the script file is read by the agent.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A desktop application the records are entered into, one form per record, by replaying a UI
/// script (the format of `docket replay`). The script must have one top-level `for_each`: its
/// steps run once per record with `{{record.<column>}}` set from this step's `columns`; the steps
/// before it run once per batch (make them safe to repeat: focus a window, not "open the app"),
/// the steps after it once per batch at the end. Give at most one of `display` and `headless`;
/// with neither, the agent's `$DISPLAY` is used, or a headless display when it has none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UiSink {
    /// The UI script (YAML), relative to the workflow file's folder (or absolute); its anchor
    /// images are relative to the script's folder.
    pub script: String,
    /// Command started through `sh -c` on the display before the first record (working folder:
    /// the workflow file's folder) and stopped when the run ends, e.g.
    /// `python3 form.py --out entered.csv`. No passwords in it: type them from the secret
    /// store with `type: {secret: NAME}` in the script.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// X display to drive, e.g. `:5`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// `true`: the agent starts and owns a virtual display (Xvfb) for the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headless: Option<bool>,
    /// Screen size of the headless display, `WIDTHxHEIGHT`. Default `1920x1080`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen: Option<String>,
    /// Tesseract languages for the script's text targets and `read_text`, joined with `+`.
    /// Default `eng`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ocr_languages: Option<String>,
    /// Longest one batch (the records of one document) may take (`10m`, `1h`): checked between
    /// records; records not reached stay pending for the next run. Default `10m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// What a later run does with a record whose entry an earlier run started but never
    /// finished (the agent was killed or the machine stopped mid-record, so the application may
    /// or may not have saved it): `review` (default) does not enter it again and sends its
    /// document to review with the evidence of the interrupted entry; `reenter` enters it again
    /// (only for scripts that first check the application for the record, e.g. with `if:
    /// {exists: …}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_doubt: Option<UiInDoubt>,
}

/// The `in_doubt` choice of a `ui` target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UiInDoubt {
    /// Do not enter the record again; send its document to review (the default).
    Review,
    /// Enter the record again.
    Reenter,
}
