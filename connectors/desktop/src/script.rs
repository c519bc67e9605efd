//! The UI script format: the steps of the workflow `ui` step and of `docket replay`.
//!
//! ```yaml
//! steps:
//!   - focus: {window: "Payments entry", timeout: 10s}
//!   - name: login
//!     click: {anchor: anchors/pin.png, label: "PIN", label_offset: [95, 0], window: "Payments entry", rel: [180, 40]}
//!   - type: {secret: teller_pin}               # from the secret store; masked in screenshots
//!   - for_each:                                  # once per record given to the replay
//!       steps:
//!         - click: {anchor: anchors/date.png, offset: [95, 0], text: "Date"}
//!         - type: "{{record.date}}"
//!         - key: Tab
//!         - name: save
//!           click: {anchor: anchors/save.png, text: "Save"}
//!           on_error: {retry: 2, then: skip_record}
//!         - wait_for: {text: "saved", timeout: 5s}
//!   - read_text: {region: {near: {text: "Total"}, box: [60, -10, 120, 20]}, into: total}
//!   - assert_text: {contains: "{{total}}", region: {box: [0, 0, 400, 100]}}
//!   - if: {exists: {anchor: anchors/warning.png}, then: [{key: Return}]}
//!   - screenshot: {name: done}
//! ```
//!
//! A [`Target`] carries several signals recorded for one element: the template crop (`anchor`),
//! its OCR text (`text`) or its label's (`label` + `label_offset`), its position relative to a
//! window (`window` + `rel`), its absolute position (`at`) and the screen it was recorded on
//! (`screen`, `scale`). Replay combines them and fails the step when only a weak signal agrees.
//! Anchor paths are relative to the script's directory. Offsets are in recorded pixels (scaled
//! with the match). Clicks poll up to `timeout` (default 3 s), waits up to 10 s. Typed text and
//! secrets never appear in names, reports or logs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A UI script.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// Directory anchor paths are relative to (the script's directory when loaded from a file).
    #[serde(skip)]
    pub base_dir: PathBuf,
}

/// One step: an optional name, an action and what to do when it fails.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    /// A name for reports and errors; derived from the action when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the step does.
    #[serde(flatten)]
    pub action: StepAction,
    /// Retries and the fallback when the step fails (default: abort at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_error: Option<OnError>,
}

impl Step {
    /// A step with no name and no error policy.
    pub fn new(action: StepAction) -> Self {
        Step {
            name: None,
            action,
            on_error: None,
        }
    }
}

/// What a step does.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepAction {
    /// Bring a window to the front and give it the keyboard focus.
    Focus(FocusWindow),
    /// Left-click a target.
    Click(Target),
    /// Double-click a target.
    DoubleClick(Target),
    /// Right-click a target.
    RightClick(Target),
    /// Press the left button on one target and release it on another.
    Drag(Drag),
    /// Turn the mouse wheel, optionally over a target.
    Scroll(Scroll),
    /// Type text with `{{variable}}` substitution, or a secret. Never logged or reported.
    Type(TypeText),
    /// Press a key combination (`Tab`, `Return`, `ctrl+s`).
    Key(String),
    /// Wait until a target appears (or, with `gone: true`, disappears).
    WaitFor(WaitFor),
    /// OCR a region into a variable.
    ReadText(ReadText),
    /// Check the text of a region (or of the screen).
    AssertText(AssertText),
    /// Store a named screenshot as evidence.
    Screenshot(Screenshot),
    /// Run the steps once per record given to the replay (`{{record.FIELD}}`).
    ForEach(ForEach),
    /// Run `then` when a target is on screen, else `else`.
    If(IfStep),
}

/// A window chosen by title (substring, case-insensitive) and/or class.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FocusWindow {
    /// Part of the window title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// The window class (WM_CLASS instance or class), exact, case-insensitive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// How long to wait for the window (default 10 s).
    #[serde(
        default,
        with = "opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout: Option<Duration>,
}

/// An element on screen, described by every signal the recorder kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    /// Template image (PNG) cut around the element, relative to the script's directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<PathBuf>,
    /// The element's own text as OCR reads it (a button caption); the click is at its centre.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The text of the element's label (a field's caption).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Click point relative to the label's centre, in recorded pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_offset: Option<[i32; 2]>,
    /// Title (substring) of the window the element belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// Click point relative to that window's top-left corner at recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rel: Option<[i32; 2]>,
    /// Absolute click point at recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<[i32; 2]>,
    /// Screen size at recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen: Option<[u32; 2]>,
    /// Click point relative to the anchor's centre, in anchor pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<[i32; 2]>,
    /// Minimum template score (default 0.85).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f32>,
    /// How long to look for the target (default 3 s for clicks), e.g. `5s`, `500ms`.
    #[serde(
        default,
        with = "opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout: Option<Duration>,
}

impl Target {
    /// A target found by its template alone.
    pub fn anchor(path: impl Into<PathBuf>) -> Self {
        Target {
            anchor: Some(path.into()),
            ..Target::default()
        }
    }

    /// A short description for names and errors (anchor file, else the text).
    pub fn describe(&self) -> String {
        match (&self.anchor, &self.text, &self.label) {
            (Some(a), _, _) => a.display().to_string(),
            (None, Some(t), _) => format!("text {t:?}"),
            (None, None, Some(l)) => format!("label {l:?}"),
            (None, None, None) => "(no signal)".to_string(),
        }
    }

    fn strong_signals(&self) -> usize {
        usize::from(self.anchor.is_some())
            + usize::from(self.text.is_some())
            + usize::from(self.label.is_some())
    }
}

/// A drag from one target to another.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drag {
    /// Where the button goes down.
    pub from: Target,
    /// Where it is released.
    pub to: Target,
}

/// Mouse-wheel turns (positive `dy` scrolls down).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scroll {
    /// Move the pointer over this target first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over: Option<Target>,
    /// Vertical notches (down is positive).
    #[serde(default)]
    pub dy: i32,
    /// Horizontal notches (right is positive).
    #[serde(default)]
    pub dx: i32,
}

/// Text to type: literal with `{{variables}}`, or a secret from the secret store.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TypeText {
    /// Literal text with `{{variable}}` substitution.
    Text(String),
    /// A secret, by name; its characters appear nowhere but in the keystrokes.
    Secret {
        /// The secret's name (the caller resolves it).
        secret: String,
        /// Size of the box masked in screenshots around the click point that preceded the
        /// typing (default 320×40 px, starting 24 px left of the point).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mask: Option<[u32; 2]>,
    },
}

/// A condition to wait for: a target appears (or, with `gone: true`, disappears).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitFor {
    /// Template image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<PathBuf>,
    /// Text that must appear (OCR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Minimum template score (default 0.85).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f32>,
    /// Upper bound of the wait (default 10 s).
    #[serde(
        default,
        with = "opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout: Option<Duration>,
    /// Wait until it is gone instead.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gone: bool,
}

impl WaitFor {
    /// The wait's target.
    pub fn target(&self) -> Target {
        Target {
            anchor: self.anchor.clone(),
            text: self.text.clone(),
            threshold: self.threshold,
            timeout: self.timeout,
            ..Target::default()
        }
    }
}

/// A screen region: absolute, or relative to a target's centre.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    /// The region is relative to this target's centre (scaled with its match).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub near: Option<Target>,
    /// `[x, y, width, height]`.
    #[serde(rename = "box")]
    pub rect: [i32; 4],
}

/// OCR a region into a variable.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadText {
    /// Where to read.
    pub region: Region,
    /// The variable that receives the text (whitespace collapsed).
    pub into: String,
}

/// Check text on screen; polls until it holds or `timeout` passes (default 3 s).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssertText {
    /// Where to read (default: the whole screen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
    /// The text must equal this (after `{{variable}}` substitution; whitespace collapsed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<String>,
    /// The text must contain this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains: Option<String>,
    /// Upper bound of the polling.
    #[serde(
        default,
        with = "opt_duration",
        skip_serializing_if = "Option::is_none"
    )]
    pub timeout: Option<Duration>,
}

/// A named screenshot.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Screenshot {
    /// File-name part (letters, digits, `-`, `_`).
    pub name: String,
}

/// A loop over the records of the replay.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForEach {
    /// The steps run for each record.
    pub steps: Vec<Step>,
}

/// A branch on whether a target is on screen now (no waiting beyond `exists.timeout`, default 0).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IfStep {
    /// The condition.
    pub exists: Target,
    /// Steps when it is there.
    #[serde(default)]
    pub then: Vec<Step>,
    /// Steps when it is not.
    #[serde(default, rename = "else", skip_serializing_if = "Vec::is_empty")]
    pub otherwise: Vec<Step>,
}

/// What to do when a step fails.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnError {
    /// Attempts after the first (default 0).
    #[serde(default)]
    pub retry: u32,
    /// After the last attempt fails.
    #[serde(default)]
    pub then: ErrorAction,
}

/// The fallback after a step's last failed attempt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorAction {
    /// Stop the replay (the default).
    #[default]
    Abort,
    /// Give up the current record of the enclosing `for_each` and go on with the next.
    SkipRecord,
    /// Ignore the failure and go on with the next step.
    Continue,
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
        /// The parser's message (line and column included) or the rule broken.
        message: String,
    },
}

impl Script {
    /// Parses and checks a script; anchors resolve against `base_dir`.
    pub fn parse(yaml: &str, base_dir: &Path) -> Result<Self, ScriptError> {
        let perr = |message: String| ScriptError::Parse {
            path: base_dir.to_path_buf(),
            message,
        };
        let mut s: Script = serde_yaml_ng::from_str(yaml).map_err(|e| perr(e.to_string()))?;
        let problems = s.located_problems();
        if !problems.is_empty() {
            // Each rule broken, at its line and column in the YAML (like the parser's own
            // messages), so a hand-edited script is fixed where it is wrong.
            let tree = marked_yaml::parse_yaml(0, yaml).ok();
            let located: Vec<String> = problems
                .into_iter()
                .map(|(m, loc)| match tree.as_ref().and_then(|t| loc.find(t)) {
                    Some((line, column)) => format!("{m} at line {line} column {column}"),
                    None => m,
                })
                .collect();
            return Err(perr(located.join("; ")));
        }
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

    /// Writes the script as YAML.
    pub fn to_yaml(&self) -> String {
        flow_numeric_lists(&serde_yaml_ng::to_string(self).unwrap_or_default())
    }

    /// Rules serde cannot express, as "step N (name): problem" lines.
    pub fn problems(&self) -> Vec<String> {
        self.located_problems()
            .into_iter()
            .map(|(m, _)| m)
            .collect()
    }

    fn located_problems(&self) -> Vec<(String, Loc)> {
        let mut out = Vec::new();
        check_steps(&self.steps, "", false, &[Seg::Key("steps")], &mut out);
        out
    }

    /// Every anchor file the script refers to (for `--dry-run`).
    pub fn anchors(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        walk(&self.steps, &mut |s| {
            for t in s.targets() {
                if let Some(a) = &t.anchor {
                    out.push(a.clone());
                }
            }
            if let StepAction::WaitFor(w) = &s.action
                && let Some(a) = &w.anchor
            {
                out.push(a.clone());
            }
        });
        out
    }

    /// Names of the secrets typed by the script.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        walk(&self.steps, &mut |s| {
            if let StepAction::Type(TypeText::Secret { secret, .. }) = &s.action {
                out.push(secret.clone());
            }
        });
        out.sort();
        out.dedup();
        out
    }

    /// Whether any step reads text (needs an OCR engine).
    pub fn needs_ocr(&self) -> bool {
        let mut needs = false;
        walk(&self.steps, &mut |s| {
            needs |= matches!(
                s.action,
                StepAction::ReadText(_) | StepAction::AssertText(_)
            ) || matches!(&s.action, StepAction::WaitFor(w) if w.text.is_some())
                || s.targets()
                    .iter()
                    .any(|t| t.text.is_some() || t.label.is_some());
        });
        needs
    }
}

/// Writes every list of numbers (coordinates, offsets, screen sizes) in flow style on its key's
/// line (`at: [200, 60]`) instead of one line per number, so a person can read and edit a
/// recorded script. Other lists keep the block style.
fn flow_numeric_lists(yaml: &str) -> String {
    let lines: Vec<&str> = yaml.lines().collect();
    let number = |t: &str| !t.is_empty() && t.parse::<f64>().is_ok();
    let mut out = String::with_capacity(yaml.len());
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(key_part) = line.strip_suffix(':') {
            // The column where the key starts (after the indent and a `- ` item mark).
            let indent = key_part.len() - key_part.trim_start().len();
            let col = if key_part.trim_start().starts_with("- ") {
                indent + 2
            } else {
                indent
            };
            let mut items = Vec::new();
            let mut j = i + 1;
            while let Some(next) = lines.get(j) {
                let item_indent = next.len() - next.trim_start().len();
                match next.trim_start().strip_prefix("- ") {
                    Some(v) if (item_indent == col || item_indent == col + 2) && number(v) => {
                        items.push(v);
                        j += 1;
                    }
                    _ => break,
                }
            }
            if !items.is_empty() {
                out.push_str(&format!("{line} [{}]\n", items.join(", ")));
                i = j;
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
        i += 1;
    }
    out
}

fn walk<'a>(steps: &'a [Step], f: &mut dyn FnMut(&'a Step)) {
    for s in steps {
        f(s);
        match &s.action {
            StepAction::ForEach(fe) => walk(&fe.steps, f),
            StepAction::If(i) => {
                walk(&i.then, f);
                walk(&i.otherwise, f);
            }
            _ => {}
        }
    }
}

/// One step of the way from the YAML root to a node.
#[derive(Debug, Clone)]
enum Seg {
    Key(&'static str),
    Index(usize),
}

/// Where a broken rule is: the step (the way to it from the root) and, when one key is to
/// blame, that key (the first with this name inside the step).
#[derive(Debug, Clone)]
struct Loc {
    step: Vec<Seg>,
    field: Option<&'static str>,
}

impl Loc {
    fn with(&self, field: &'static str) -> Loc {
        Loc {
            step: self.step.clone(),
            field: Some(field),
        }
    }

    /// Line and column (1-based) of the key, else of the step, in the parsed YAML.
    fn find(&self, root: &marked_yaml::Node) -> Option<(usize, usize)> {
        let mut node = root;
        for seg in &self.step {
            node = match seg {
                Seg::Key(k) => node.as_mapping()?.get_node(k)?,
                Seg::Index(i) => node.as_sequence()?.get_node(*i)?,
            };
        }
        let marker = match self.field.and_then(|f| find_key(node, f)) {
            Some(m) => m,
            None => *node.span().start()?,
        };
        Some((marker.line(), marker.column()))
    }
}

/// The position of the first key named `key` in `node`'s subtree, depth first.
fn find_key(node: &marked_yaml::Node, key: &str) -> Option<marked_yaml::Marker> {
    match node {
        marked_yaml::Node::Mapping(m) => m.iter().find_map(|(k, v)| {
            if k.as_str() == key {
                k.span().start().copied()
            } else {
                find_key(v, key)
            }
        }),
        marked_yaml::Node::Sequence(s) => s.iter().find_map(|v| find_key(v, key)),
        marked_yaml::Node::Scalar(_) => None,
    }
}

fn check_target(t: &Target, at: &str, loc: &Loc, out: &mut Vec<(String, Loc)>) {
    if t.strong_signals() == 0 {
        out.push((
            format!(
                "{at}: a target needs an anchor, a text or a label (a position alone is too weak to act on)"
            ),
            loc.clone(),
        ));
    }
    if t.label_offset.is_some() && t.label.is_none() {
        out.push((
            format!("{at}: label_offset without label"),
            loc.with("label_offset"),
        ));
    }
    if t.rel.is_some() && t.window.is_none() {
        out.push((
            format!("{at}: rel needs the window it is relative to"),
            loc.with("rel"),
        ));
    }
    if let Some(th) = t.threshold
        && !(0.5..=1.0).contains(&th)
    {
        out.push((
            format!("{at}: threshold {th} is outside 0.5–1.0"),
            loc.with("threshold"),
        ));
    }
}

fn check_steps(
    steps: &[Step],
    prefix: &str,
    in_loop: bool,
    path: &[Seg],
    out: &mut Vec<(String, Loc)>,
) {
    for (i, s) in steps.iter().enumerate() {
        let at = format!("step {prefix}{} ({})", i + 1, s.display_name());
        let mut here = path.to_vec();
        here.push(Seg::Index(i));
        let loc = Loc {
            step: here.clone(),
            field: None,
        };
        let inner = |keys: [&'static str; 2]| {
            let mut p = here.clone();
            p.extend(keys.map(Seg::Key));
            p
        };
        for t in s.targets() {
            check_target(t, &at, &loc, out);
        }
        if s.on_error.as_ref().map(|e| e.then) == Some(ErrorAction::SkipRecord) && !in_loop {
            out.push((
                format!("{at}: on_error then: skip_record is only possible inside for_each"),
                loc.with("on_error"),
            ));
        }
        match &s.action {
            StepAction::ForEach(fe) => {
                if in_loop {
                    out.push((format!("{at}: for_each cannot be nested"), loc.clone()));
                }
                check_steps(
                    &fe.steps,
                    &format!("{prefix}{}.", i + 1),
                    true,
                    &inner(["for_each", "steps"]),
                    out,
                );
            }
            StepAction::If(branch) => {
                check_steps(
                    &branch.then,
                    &format!("{prefix}{}.", i + 1),
                    in_loop,
                    &inner(["if", "then"]),
                    out,
                );
                check_steps(
                    &branch.otherwise,
                    &format!("{prefix}{}.else.", i + 1),
                    in_loop,
                    &inner(["if", "else"]),
                    out,
                );
            }
            StepAction::Focus(f) if f.window.is_none() && f.class.is_none() => {
                out.push((
                    format!("{at}: focus needs a window title or a class"),
                    loc.clone(),
                ));
            }
            StepAction::Screenshot(sh)
                if sh.name.is_empty()
                    || !sh
                        .name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
            {
                out.push((
                    format!(
                        "{at}: screenshot name {:?} must be letters, digits, - or _",
                        sh.name
                    ),
                    loc.with("name"),
                ));
            }
            StepAction::AssertText(a) if a.equals.is_none() == a.contains.is_none() => {
                out.push((
                    format!("{at}: assert_text needs exactly one of equals, contains"),
                    loc.clone(),
                ));
            }
            StepAction::WaitFor(w) => check_target(&w.target(), &at, &loc, out),
            StepAction::Key(k) => {
                if let Err(e) = crate::desktop::KeyCombo::parse(k) {
                    out.push((format!("{at}: {e}"), loc.with("key")));
                }
            }
            _ => {}
        }
    }
}

impl Step {
    /// The targets this step acts on or looks for.
    pub fn targets(&self) -> Vec<&Target> {
        match &self.action {
            StepAction::Click(t) | StepAction::DoubleClick(t) | StepAction::RightClick(t) => {
                vec![t]
            }
            StepAction::Drag(d) => vec![&d.from, &d.to],
            StepAction::Scroll(s) => s.over.iter().collect(),
            StepAction::ReadText(r) => r.region.near.iter().collect(),
            StepAction::AssertText(a) => a
                .region
                .as_ref()
                .and_then(|r| r.near.as_ref())
                .into_iter()
                .collect(),
            StepAction::If(i) => vec![&i.exists],
            _ => Vec::new(),
        }
    }

    /// The step's name, or one derived from its action (never containing typed text).
    pub fn display_name(&self) -> String {
        if let Some(n) = &self.name {
            return n.clone();
        }
        match &self.action {
            StepAction::Focus(f) => format!(
                "focus {}",
                f.window.as_deref().or(f.class.as_deref()).unwrap_or("?")
            ),
            StepAction::Click(t) => format!("click {}", t.describe()),
            StepAction::DoubleClick(t) => format!("double_click {}", t.describe()),
            StepAction::RightClick(t) => format!("right_click {}", t.describe()),
            StepAction::Drag(d) => format!("drag {} to {}", d.from.describe(), d.to.describe()),
            StepAction::Scroll(_) => "scroll".to_string(),
            StepAction::Type(TypeText::Secret { secret, .. }) => format!("type secret {secret}"),
            StepAction::Type(TypeText::Text(_)) => "type".to_string(),
            StepAction::Key(k) => format!("key {k}"),
            StepAction::WaitFor(w) if w.gone => {
                format!("wait_for {} gone", w.target().describe())
            }
            StepAction::WaitFor(w) => format!("wait_for {}", w.target().describe()),
            StepAction::ReadText(r) => format!("read_text into {}", r.into),
            StepAction::AssertText(_) => "assert_text".to_string(),
            StepAction::Screenshot(s) => format!("screenshot {}", s.name),
            StepAction::ForEach(_) => "for_each".to_string(),
            StepAction::If(i) => format!("if {}", i.exists.describe()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Recorded steps wrapped in a `for_each` by hand: the broken rule is reported at the line
    /// and column of the key to blame, like the parser's own errors and workflow problems.
    #[test]
    fn a_broken_rule_points_at_its_line_and_column() {
        let yaml = "steps:
  - focus: {window: Payments}
  - for_each:
      steps:
        - click: {anchor: anchors/ok.png}
        - click:
            anchor: anchors/amount.png
            label_offset: [120, 0]
";
        let e = Script::parse(yaml, Path::new("/x"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("step 2.2 (")
                && e.contains("label_offset without label at line 8 column 13"),
            "{e}"
        );
        let e = Script::parse("steps:\n  - key: ctrl+nonsense\n", Path::new("/x"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("at line 2 column 5"), "{e}");
    }

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
        assert!(
            matches!(&s.steps[1].action, StepAction::Type(TypeText::Text(t)) if t == "{{record.date}}")
        );
        assert_eq!(s.steps[3].display_name(), "save");
        assert_eq!(s.steps[2].display_name(), "key Tab");
        assert!(
            matches!(&s.steps[4].action, StepAction::WaitFor(w) if w.timeout == Some(Duration::from_secs(5)) && !w.gone)
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

    #[test]
    fn parses_the_module_example_and_round_trips() {
        let doc: String = include_str!("script.rs")
            .lines()
            .skip_while(|l| !l.starts_with("//! ```yaml"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| l.trim_start_matches("//!").strip_prefix(' ').unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        let s = Script::parse(&doc, Path::new("/x")).unwrap();
        assert_eq!(s.steps.len(), 8);
        assert_eq!(s.secrets(), vec!["teller_pin".to_string()]);
        assert!(s.needs_ocr());
        assert_eq!(s.steps[2].display_name(), "type secret teller_pin");
        let StepAction::ForEach(fe) = &s.steps[3].action else {
            panic!("for_each expected")
        };
        assert_eq!(
            fe.steps[3].on_error,
            Some(OnError {
                retry: 2,
                then: ErrorAction::SkipRecord
            })
        );
        assert_eq!(
            s.anchors(),
            vec![
                PathBuf::from("anchors/pin.png"),
                PathBuf::from("anchors/date.png"),
                PathBuf::from("anchors/save.png"),
                PathBuf::from("anchors/warning.png"),
            ]
        );
        let again = Script::parse(&s.to_yaml(), Path::new("/x")).unwrap();
        assert_eq!(again.to_yaml(), s.to_yaml());
    }

    #[test]
    fn refuses_what_replay_could_not_do_safely() {
        let bad = |yaml: &str| match Script::parse(yaml, Path::new("/x")) {
            Err(ScriptError::Parse { message, .. }) => message,
            other => panic!("expected a problem, got {other:?}"),
        };
        assert!(bad("steps: [{click: {at: [10, 10]}}]").contains("too weak"));
        assert!(bad("steps: [{click: {anchor: a.png, rel: [1, 2]}}]").contains("rel needs"));
        assert!(bad("steps: [{key: 'hyper+x'}]").contains("step 1 (key hyper+x)"));
        assert!(
            bad("steps: [{key: Tab, on_error: {then: skip_record}}]").contains("inside for_each")
        );
        assert!(bad("steps: [{for_each: {steps: [{for_each: {steps: []}}]}}]").contains("nested"));
        assert!(bad("steps: [{focus: {}}]").contains("title or a class"));
        assert!(bad("steps: [{screenshot: {name: '../x'}}]").contains("letters"));
        assert!(bad("steps: [{assert_text: {equals: a, contains: b}}]").contains("exactly one"));
    }
}
