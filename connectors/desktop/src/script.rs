//! The UI script format (a first slice of the workflow `ui` steps).
//!
//! ```yaml
//! steps:
//!   - click: {anchor: anchors/date.png, offset: [40, 0]}
//!   - type: "{{record.date}}"
//!   - key: Tab
//!   - name: save
//!     click: {anchor: anchors/save.png}
//!   - wait_for: {anchor: anchors/saved.png, timeout: 5s}
//! ```
//!
//! Anchor paths are relative to the script's directory. `offset` moves the click point from the
//! anchor's centre, in anchor pixels (scaled with the match). Clicks poll for their anchor up to
//! `timeout` (default 3 s); `wait_for` polls up to its `timeout` (default 10 s).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A UI script.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Directory anchor paths are relative to (the script's directory when loaded from a file).
    #[serde(skip)]
    pub base_dir: PathBuf,
}

/// One step: an optional name and an action.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    /// A name for reports and errors; derived from the action when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the step does.
    #[serde(flatten)]
    pub action: StepAction,
}

/// What a step does.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepAction {
    /// Left-click an anchor.
    Click(Target),
    /// Double-click an anchor.
    DoubleClick(Target),
    /// Right-click an anchor.
    RightClick(Target),
    /// Type text with `{{variable}}` substitution. The text is never logged or reported.
    Type(String),
    /// Press a key combination (`Tab`, `Return`, `ctrl+s`).
    Key(String),
    /// Wait until an anchor appears.
    WaitFor(WaitFor),
}

/// Where to click.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// The anchor image (PNG), relative to the script's directory.
    pub anchor: PathBuf,
    /// Click point relative to the anchor's centre, in anchor pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<[i32; 2]>,
    /// Minimum score (default 0.85).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f32>,
    /// How long to look for the anchor (default 3 s), e.g. `5s`, `500ms`.
    #[serde(
        default,
        with = "opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout: Option<Duration>,
}

/// A condition to wait for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitFor {
    /// The anchor that must appear.
    pub anchor: PathBuf,
    /// Minimum score (default 0.85).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f32>,
    /// Upper bound of the wait (default 10 s).
    #[serde(
        default,
        with = "opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout: Option<Duration>,
}

mod opt_duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&humantime::format_duration(*d).to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        text.map(|t| humantime::parse_duration(&t).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// Errors loading a script.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The script file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The YAML is not a valid script.
    #[error("{}: {message}", path.display())]
    Parse {
        /// The script file.
        path: PathBuf,
        /// The parser's message (line and column included).
        message: String,
    },
}

impl Script {
    /// Parses a script; anchors resolve against `base_dir`.
    pub fn parse(yaml: &str, base_dir: &Path) -> Result<Self, ScriptError> {
        let mut s: Script = serde_yaml_ng::from_str(yaml).map_err(|e| ScriptError::Parse {
            path: base_dir.to_path_buf(),
            message: e.to_string(),
        })?;
        s.base_dir = base_dir.to_path_buf();
        Ok(s)
    }

    /// Loads a script file; anchors resolve against its directory.
    pub fn load(path: &Path) -> Result<Self, ScriptError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScriptError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, base).map_err(|e| match e {
            ScriptError::Parse { message, .. } => ScriptError::Parse {
                path: path.to_path_buf(),
                message,
            },
            other => other,
        })
    }
}

impl Step {
    /// The step's name, or one derived from its action (never containing typed text).
    pub fn display_name(&self) -> String {
        if let Some(n) = &self.name {
            return n.clone();
        }
        match &self.action {
            StepAction::Click(t) => format!("click {}", t.anchor.display()),
            StepAction::DoubleClick(t) => format!("double_click {}", t.anchor.display()),
            StepAction::RightClick(t) => format!("right_click {}", t.anchor.display()),
            StepAction::Type(_) => "type".to_string(),
            StepAction::Key(k) => format!("key {k}"),
            StepAction::WaitFor(w) => format!("wait_for {}", w.anchor.display()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_format() {
        let yaml = r#"
steps:
  - click: {anchor: anchors/date.png, offset: [40, 0]}
  - type: "{{record.date}}"
  - key: Tab
  - name: save
    click: {anchor: anchors/save.png, threshold: 0.9}
  - wait_for: {anchor: anchors/saved.png, timeout: 5s}
"#;
        let s = Script::parse(yaml, Path::new("/x")).unwrap();
        assert_eq!(s.steps.len(), 5);
        assert!(
            matches!(&s.steps[0].action, StepAction::Click(t) if t.offset == Some([40, 0]) && t.timeout.is_none())
        );
        assert!(matches!(&s.steps[1].action, StepAction::Type(t) if t == "{{record.date}}"));
        assert_eq!(s.steps[3].display_name(), "save");
        assert_eq!(s.steps[2].display_name(), "key Tab");
        assert!(
            matches!(&s.steps[4].action, StepAction::WaitFor(w) if w.timeout == Some(Duration::from_secs(5)))
        );
        assert!(Script::parse("steps: [{klick: {anchor: a.png}}]", Path::new("/x")).is_err());
        assert!(
            Script::parse(
                "steps: [{wait_for: {anchor: a.png, timeout: soon}}]",
                Path::new("/x")
            )
            .is_err()
        );
    }
}
