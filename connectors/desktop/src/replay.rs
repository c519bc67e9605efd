//! Replay of a [`Script`] on a [`Desktop`], with before/after screenshots of every step.
//!
//! Targets are found by [`crate::signals::Finder`] (template, OCR text, position); waits are
//! conditions polled every `poll_interval` up to a timeout, never fixed sleeps. Secrets are typed
//! from [`ReplayInput::secrets`] and the box around the field they went into is blacked out in
//! every screenshot stored afterwards. `for_each` runs its steps once per record; a step's
//! `on_error` retries it and then aborts, skips the record or continues. An [`Observer`] can
//! approve each step first (`docket replay --step-through`).

use std::collections::BTreeMap;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use docket_core::ocr::Ocr;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder, Rgba, RgbaImage};

use crate::desktop::{Desktop, KeyCombo, MouseButton, Point, WindowInfo};
use crate::error::{DesktopError, ReplayError};
use crate::locate::{Match, Screen};
use crate::script::{ErrorAction, Region, Script, Step, StepAction, Target, TypeText};
use crate::signals::{Finder, Miss, Signal, clamp_rect, text_in};

/// Variables for `{{name}}` substitution, e.g. `record.amount` → `1234.56`.
pub type Vars = BTreeMap<String, String>;

/// A secret's value: typed, never printed (its `Debug` shows `***`).
#[derive(Clone)]
pub struct SecretText(String);

impl SecretText {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        SecretText(value.into())
    }

    /// The value, for typing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretText(***)")
    }
}

/// What a replay works on.
#[derive(Debug, Clone, Default)]
pub struct ReplayInput {
    /// Variables for every step.
    pub vars: Vars,
    /// The records `for_each` iterates over (keys like `record.amount`).
    pub records: Vec<Vars>,
    /// Secrets by name for `type: {secret: NAME}`.
    pub secrets: BTreeMap<String, SecretText>,
}

/// How a replay runs.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// Directory for the evidence screenshots (created if missing).
    pub evidence_dir: PathBuf,
    /// Default minimum anchor score.
    pub threshold: f32,
    /// Default time a click looks for its anchor.
    pub click_timeout: Duration,
    /// Default upper bound of a `wait_for`, `focus` and `assert_text`.
    pub wait_timeout: Duration,
    /// Pause between two looks at the screen while polling.
    pub poll_interval: Duration,
    /// Tesseract languages for text signals and `read_text` (`eng`, `eng+chi_sim`).
    pub ocr_languages: String,
}

impl ReplayOptions {
    /// Defaults: threshold 0.85, clicks look for 3 s, waits up to 10 s, poll every 100 ms, OCR in
    /// English.
    pub fn new(evidence_dir: impl Into<PathBuf>) -> Self {
        ReplayOptions {
            evidence_dir: evidence_dir.into(),
            threshold: 0.85,
            click_timeout: Duration::from_secs(3),
            wait_timeout: Duration::from_secs(10),
            poll_interval: Duration::from_millis(100),
            ocr_languages: "eng".to_string(),
        }
    }
}

/// An observer's answer before a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Run the step.
    Run,
    /// Leave this step out.
    Skip,
    /// Stop the replay.
    Abort,
}

/// Sees every step before it runs (`--step-through`).
pub trait Observer {
    /// Called before step `id` (`4`, `4.2`) named `name`, for record `record` (1-based) in a loop.
    fn before_step(&mut self, id: &str, name: &str, record: Option<usize>) -> Decision;
}

/// Which target a step found, where, how well, and by which signals.
#[derive(Debug, Clone, PartialEq)]
pub struct AnchorHit {
    /// The anchor image as written in the script (empty for a text-only target).
    pub anchor: PathBuf,
    /// The box of the deciding signal (template match, or the words read).
    pub found: Match,
    /// Where the step acted.
    pub point: Point,
    /// The signals that agreed, the deciding one first.
    pub matched_by: Vec<Signal>,
    /// The template's best score, when the target has an anchor.
    pub template_score: Option<f32>,
    /// The text similarity, when text was read.
    pub text_score: Option<f32>,
    /// Screens searched before it was found (1 = at once).
    pub attempts: u32,
}

/// What one step did.
#[derive(Debug, Clone)]
pub struct StepReport {
    /// 1-based number of the top-level step this belongs to.
    pub step: usize,
    /// Position in the script: `4`, or `4.2` inside a `for_each` / `if`.
    pub id: String,
    /// The record (1-based) when inside `for_each`.
    pub record: Option<usize>,
    /// The step's name.
    pub name: String,
    /// The target found, for steps with one.
    pub anchor: Option<AnchorHit>,
    /// Screenshot before the action (for target steps: the screen the target was found on).
    pub before: PathBuf,
    /// Screenshot right after the action.
    pub after: PathBuf,
    /// Attempts made (more than 1 after `on_error: retry`).
    pub attempts: u32,
    /// The failure that `on_error: continue` or `skip_record` let pass.
    pub failed: Option<String>,
    /// Time the step took, including polling.
    pub elapsed: Duration,
}

/// What happened to one record of `for_each`.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordOutcome {
    /// Every step ran.
    Done,
    /// A step failed with `on_error: skip_record`.
    Skipped {
        /// The failing step's id and name.
        step: String,
        /// The failure.
        reason: String,
    },
}

/// The record of a replay that ran to its end.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// One entry per step run, in order.
    pub steps: Vec<StepReport>,
    /// One entry per record of `for_each`, in order.
    pub records: Vec<RecordOutcome>,
    /// Values read by `read_text` (last value per variable).
    pub read: Vars,
    /// Steps an observer skipped.
    pub skipped_steps: usize,
}

/// Replaces `{{ name }}` with `vars[name]`; `Err(name)` for a missing variable.
fn render(text: &str, vars: &Vars) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open + 2..].find("}}") else {
            break;
        };
        out.push_str(&rest[..open]);
        let name = rest[open + 2..open + 2 + close].trim();
        out.push_str(vars.get(name).ok_or_else(|| name.to_string())?);
        rest = &rest[open + 2 + close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn save_png(img: &RgbaImage, path: &Path) -> Result<(), ReplayError> {
    let err = |message: String| ReplayError::Evidence {
        path: path.to_path_buf(),
        message,
    };
    let file = std::fs::File::create(path).map_err(|e| err(e.to_string()))?;
    PngEncoder::new_with_quality(BufWriter::new(file), CompressionType::Fast, FilterType::Sub)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            ExtendedColorType::Rgba8,
        )
        .map_err(|e| err(e.to_string()))
}

/// Default masked box around a secret field: 320×40 px starting 24 px left of the click.
const DEFAULT_MASK: [u32; 2] = [320, 40];

/// Where a step is: its id for files and messages.
#[derive(Debug, Clone)]
struct At {
    top: usize,
    id: String,
    record: Option<usize>,
    name: String,
}

impl At {
    /// `step-004` at top level, `step-004.002-r0003` inside a loop.
    fn file_stem(&self) -> String {
        let parts: Vec<String> = self
            .id
            .split('.')
            .map(|p| {
                p.parse::<usize>()
                    .map_or(p.to_string(), |n| format!("{n:03}"))
            })
            .collect();
        match self.record {
            Some(r) => format!("step-{}-r{r:04}", parts.join(".")),
            None => format!("step-{}", parts.join(".")),
        }
    }

    /// The name with the position when nested: `save [record 3, step 4.5]`.
    fn label(&self) -> String {
        match self.record {
            Some(r) => format!("{} [record {r}, step {}]", self.name, self.id),
            None if self.id.contains('.') => format!("{} [step {}]", self.name, self.id),
            None => self.name.clone(),
        }
    }
}

/// Why a step did not complete.
enum Flow {
    /// An error, to be handled by `on_error` or returned.
    Fail(ReplayError),
    /// A step with `skip_record` gave up the current record.
    SkipRecord { step: String, reason: String },
}

impl From<ReplayError> for Flow {
    fn from(e: ReplayError) -> Self {
        Flow::Fail(e)
    }
}

struct Ctx<'a, 'o> {
    desktop: &'a mut dyn Desktop,
    opts: &'a ReplayOptions,
    input: &'a ReplayInput,
    finder: Finder<'o>,
    observer: Option<&'a mut dyn Observer>,
    masks: Vec<[i32; 4]>,
    last_point: Option<Point>,
    vars: Vars,
    report: Report,
}

impl Ctx<'_, '_> {
    fn desk<T>(&self, at: &At, r: Result<T, DesktopError>) -> Result<T, ReplayError> {
        r.map_err(|source| ReplayError::Desktop {
            step: at.top,
            name: at.label(),
            source,
        })
    }

    fn shot_path(&self, at: &At, what: &str) -> PathBuf {
        self.opts
            .evidence_dir
            .join(format!("{}-{what}.png", at.file_stem()))
    }

    /// Stores `img` with every secret field blacked out.
    fn store(&self, img: &RgbaImage, path: &Path) -> Result<(), ReplayError> {
        if self.masks.is_empty() {
            return save_png(img, path);
        }
        let mut masked = img.clone();
        for &[x, y, w, h] in &self.masks {
            let [x, y, w, h] = clamp_rect(
                &masked,
                [
                    x.max(0) as u32,
                    y.max(0) as u32,
                    w.max(0) as u32,
                    h.max(0) as u32,
                ],
            );
            for py in y..y + h {
                for px in x..x + w {
                    masked.put_pixel(px, py, Rgba([0, 0, 0, 255]));
                }
            }
        }
        save_png(&masked, path)
    }

    fn capture(&mut self, at: &At) -> Result<RgbaImage, ReplayError> {
        let img = self.desktop.capture();
        self.desk(at, img)
    }

    fn capture_to(&mut self, at: &At, what: &str) -> Result<PathBuf, ReplayError> {
        let img = self.capture(at)?;
        let path = self.shot_path(at, what);
        self.store(&img, &path)?;
        Ok(path)
    }

    fn windows(&mut self, at: &At, t: &Target) -> Result<Vec<WindowInfo>, ReplayError> {
        if t.window.is_none() {
            return Ok(Vec::new());
        }
        let w = self.desktop.windows();
        self.desk(at, w)
    }

    fn render(&self, at: &At, text: &str) -> Result<String, ReplayError> {
        render(text, &self.vars).map_err(|variable| ReplayError::UnknownVariable {
            step: at.top,
            name: at.label(),
            variable,
        })
    }

    /// Polls until `t` is found (`want = true`) or gone (`false`), up to `timeout`.
    fn find(
        &mut self,
        at: &At,
        t: &Target,
        want: bool,
        timeout: Duration,
    ) -> Result<(Option<AnchorHit>, PathBuf), ReplayError> {
        let threshold = t.threshold.unwrap_or(self.opts.threshold);
        let start = Instant::now();
        let mut best = Miss::default();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let shot = self.capture(at)?;
            let windows = self.windows(at, t)?;
            let screen = Screen::new(&shot);
            let outcome = self
                .finder
                .evaluate(t, &shot, &screen, &windows, threshold)
                .map_err(|message| ReplayError::Anchor {
                    step: at.top,
                    name: at.label(),
                    anchor: t.anchor.clone().unwrap_or_else(|| t.describe().into()),
                    message,
                })?;
            match (outcome, want) {
                (Ok(found), true) => {
                    let before = self.shot_path(at, "before");
                    self.store(&shot, &before)?;
                    let hit = AnchorHit {
                        anchor: t.anchor.clone().unwrap_or_default(),
                        found: found.found,
                        point: found.point,
                        matched_by: found.matched_by,
                        template_score: found.template_score,
                        text_score: found.text_score,
                        attempts,
                    };
                    return Ok((Some(hit), before));
                }
                (Err(_), false) => {
                    let before = self.shot_path(at, "before");
                    self.store(&shot, &before)?;
                    return Ok((None, before));
                }
                (Err(miss), true) => {
                    let better = |a: Option<f32>, b: Option<f32>| match (a, b) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        (a, b) => a.or(b),
                    };
                    best.template_score = better(best.template_score, miss.template_score);
                    best.text_score = better(best.text_score, miss.text_score);
                    if miss.weak.len() > best.weak.len() {
                        best.weak = miss.weak;
                    }
                }
                (Ok(_), false) => {}
            }
            if start.elapsed() >= timeout {
                let screenshot = self.shot_path(at, "failed");
                self.store(&shot, &screenshot)?;
                let timeout_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
                if !want {
                    return Err(ReplayError::StillThere {
                        step: at.top,
                        name: at.label(),
                        target: t.describe(),
                        timeout_ms,
                        screenshot,
                    });
                }
                return Err(ReplayError::AnchorNotFound {
                    step: at.top,
                    name: at.label(),
                    anchor: t.anchor.clone().unwrap_or_else(|| t.describe().into()),
                    best_score: best.template_score.or(best.text_score).unwrap_or(-1.0),
                    threshold,
                    timeout_ms,
                    detail: best.describe(threshold),
                    screenshot,
                });
            }
            std::thread::sleep(self.opts.poll_interval);
        }
    }

    /// The screen rectangle of a region (relative ones are found first).
    fn region(&mut self, at: &At, r: &Region) -> Result<[u32; 4], ReplayError> {
        let [x, y, w, h] = r.rect;
        let (ox, oy, scale) = match &r.near {
            Some(t) => {
                let timeout = t.timeout.unwrap_or(self.opts.click_timeout);
                let (Some(hit), _) = self.find(at, t, true, timeout)? else {
                    unreachable!("find(want = true) returns a hit")
                };
                (hit.point.x, hit.point.y, hit.found.scale)
            }
            None => (0, 0, 1.0),
        };
        let s = |v: i32| (v as f32 * scale).round() as i32;
        let (x0, y0) = ((ox + s(x)).max(0), (oy + s(y)).max(0));
        Ok([x0 as u32, y0 as u32, s(w).max(0) as u32, s(h).max(0) as u32])
    }

    fn read_region(&mut self, at: &At, rect: [u32; 4]) -> Result<String, ReplayError> {
        let shot = self.capture(at)?;
        let words = self
            .finder
            .read(&shot, rect)
            .map_err(|message| ReplayError::Ocr {
                step: at.top,
                name: at.label(),
                message,
            })?;
        Ok(collapse(&text_in(&words)))
    }

    /// Runs one action once.
    fn act(&mut self, at: &At, step: &Step) -> Result<(Option<AnchorHit>, PathBuf), Flow> {
        let opts = self.opts;
        Ok(match &step.action {
            StepAction::Click(t) | StepAction::DoubleClick(t) | StepAction::RightClick(t) => {
                let timeout = t.timeout.unwrap_or(opts.click_timeout);
                let (hit, before) = self.find(at, t, true, timeout)?;
                let Some(hit) = hit else {
                    unreachable!("find(want = true) returns a hit")
                };
                let r = match &step.action {
                    StepAction::DoubleClick(_) => self.desktop.double_click(hit.point),
                    StepAction::RightClick(_) => self.desktop.click(hit.point, MouseButton::Right),
                    _ => self.desktop.click(hit.point, MouseButton::Left),
                };
                self.desk(at, r)?;
                self.last_point = Some(hit.point);
                (Some(hit), before)
            }
            StepAction::Drag(d) => {
                let (to, _) =
                    self.find(at, &d.to, true, d.to.timeout.unwrap_or(opts.click_timeout))?;
                let (from, before) = self.find(
                    at,
                    &d.from,
                    true,
                    d.from.timeout.unwrap_or(opts.click_timeout),
                )?;
                let (Some(from), Some(to)) = (from, to) else {
                    unreachable!("find(want = true) returns a hit")
                };
                let r = self.desktop.drag(from.point, to.point);
                self.desk(at, r)?;
                (Some(from), before)
            }
            StepAction::Scroll(s) => {
                let (hit, before) = match &s.over {
                    Some(t) => {
                        let (hit, before) =
                            self.find(at, t, true, t.timeout.unwrap_or(opts.click_timeout))?;
                        if let Some(h) = &hit {
                            let r = self.desktop.move_to(h.point);
                            self.desk(at, r)?;
                        }
                        (hit, before)
                    }
                    None => (None, self.capture_to(at, "before")?),
                };
                let r = self.desktop.scroll(s.dx, s.dy);
                self.desk(at, r)?;
                (hit, before)
            }
            StepAction::Type(TypeText::Text(text)) => {
                let text = self.render(at, text)?;
                let before = self.capture_to(at, "before")?;
                let r = self.desktop.type_text(&text);
                self.desk(at, r)?;
                (None, before)
            }
            StepAction::Type(TypeText::Secret { secret, mask }) => {
                let value =
                    self.input
                        .secrets
                        .get(secret)
                        .ok_or_else(|| ReplayError::MissingSecret {
                            step: at.top,
                            name: at.label(),
                            secret: secret.clone(),
                        })?;
                // Mask the field before anything is typed into it.
                let [w, h] = mask.unwrap_or(DEFAULT_MASK);
                let p = self.last_point.unwrap_or(Point { x: 0, y: 0 });
                self.masks
                    .push([p.x - 24, p.y - h as i32 / 2, w as i32, h as i32]);
                let before = self.capture_to(at, "before")?;
                let r = self.desktop.type_text(value.expose());
                self.desk(at, r)?;
                (None, before)
            }
            StepAction::Key(k) => {
                let combo = KeyCombo::parse(k);
                let combo = self.desk(at, combo)?;
                let before = self.capture_to(at, "before")?;
                let r = self.desktop.key(&combo);
                self.desk(at, r)?;
                (None, before)
            }
            StepAction::WaitFor(w) => {
                let timeout = w.timeout.unwrap_or(opts.wait_timeout);
                self.find(at, &w.target(), !w.gone, timeout)?
            }
            StepAction::Focus(f) => {
                let timeout = f.timeout.unwrap_or(opts.wait_timeout);
                let start = Instant::now();
                loop {
                    let wins = self.desktop.windows();
                    let wins = self.desk(at, wins)?;
                    let found = wins
                        .iter()
                        .rev()
                        .find(|w| w.matches(f.window.as_deref(), f.class.as_deref()));
                    if let Some(w) = found {
                        let id = w.id;
                        let r = self.desktop.focus_window(id);
                        self.desk(at, r)?;
                        break;
                    }
                    if start.elapsed() >= timeout {
                        let screenshot = self.capture_to(at, "failed")?;
                        let open: Vec<String> = wins.iter().map(|w| w.title.clone()).collect();
                        return Err(ReplayError::WindowNotFound {
                            step: at.top,
                            name: at.label(),
                            window: f
                                .window
                                .clone()
                                .or_else(|| f.class.clone())
                                .unwrap_or_default(),
                            open: open.join(", "),
                            screenshot,
                        }
                        .into());
                    }
                    std::thread::sleep(opts.poll_interval);
                }
                (None, self.capture_to(at, "before")?)
            }
            StepAction::ReadText(r) => {
                let rect = self.region(at, &r.region)?;
                let before = self.capture_to(at, "before")?;
                let text = self.read_region(at, rect)?;
                self.vars.insert(r.into.clone(), text.clone());
                self.report.read.insert(r.into.clone(), text);
                (None, before)
            }
            StepAction::AssertText(a) => {
                let timeout = a.timeout.unwrap_or(opts.click_timeout);
                let expected = collapse(&self.render(
                    at,
                    a.equals.as_deref().or(a.contains.as_deref()).unwrap_or(""),
                )?);
                let start = Instant::now();
                loop {
                    let rect = match &a.region {
                        Some(r) => self.region(at, r)?,
                        None => [0, 0, u32::MAX, u32::MAX],
                    };
                    let text = self.read_region(at, rect)?;
                    let ok = if a.equals.is_some() {
                        text == expected
                    } else {
                        text.contains(&expected)
                    };
                    if ok {
                        break;
                    }
                    if start.elapsed() >= timeout {
                        let screenshot = self.capture_to(at, "failed")?;
                        return Err(ReplayError::TextMismatch {
                            step: at.top,
                            name: at.label(),
                            expected,
                            found: text,
                            screenshot,
                        }
                        .into());
                    }
                    std::thread::sleep(opts.poll_interval);
                }
                (None, self.capture_to(at, "before")?)
            }
            StepAction::Screenshot(s) => {
                let path = self.capture_to(at, &s.name)?;
                (None, path)
            }
            StepAction::ForEach(_) | StepAction::If(_) => {
                unreachable!("containers are run by run_steps")
            }
        })
    }

    /// Runs a step with its `on_error` policy and records it.
    fn run_step(&mut self, at: &At, step: &Step) -> Result<(), Flow> {
        let start = Instant::now();
        let policy = step.on_error.clone().unwrap_or_default();
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.act(at, step) {
                Ok((anchor, before)) => {
                    let after = match step.action {
                        StepAction::Screenshot(_) => before.clone(),
                        _ => self.capture_to(at, "after")?,
                    };
                    match &anchor {
                        Some(hit) => tracing::debug!(
                            step = %at.id,
                            name = %at.name,
                            score = hit.found.score,
                            scale = hit.found.scale,
                            matched_by = ?hit.matched_by,
                            "step done"
                        ),
                        None => tracing::debug!(step = %at.id, name = %at.name, "step done"),
                    }
                    self.report.steps.push(StepReport {
                        step: at.top,
                        id: at.id.clone(),
                        record: at.record,
                        name: at.name.clone(),
                        anchor,
                        before,
                        after: after.clone(),
                        attempts,
                        failed: None,
                        elapsed: start.elapsed(),
                    });
                    return Ok(());
                }
                Err(Flow::Fail(e)) if attempts <= policy.retry => {
                    tracing::warn!(step = %at.id, name = %at.name, attempt = attempts, error = %e, "step failed; retrying");
                }
                Err(Flow::Fail(e)) => {
                    let reason = e.to_string();
                    return match policy.then {
                        ErrorAction::Abort => Err(Flow::Fail(e)),
                        ErrorAction::SkipRecord => Err(Flow::SkipRecord {
                            step: format!("{} ({})", at.id, at.name),
                            reason,
                        }),
                        ErrorAction::Continue => {
                            tracing::warn!(step = %at.id, name = %at.name, error = %e, "step failed; continuing");
                            let shot = self.capture_to(at, "after")?;
                            self.report.steps.push(StepReport {
                                step: at.top,
                                id: at.id.clone(),
                                record: at.record,
                                name: at.name.clone(),
                                anchor: None,
                                before: shot.clone(),
                                after: shot,
                                attempts,
                                failed: Some(reason),
                                elapsed: start.elapsed(),
                            });
                            Ok(())
                        }
                    };
                }
                Err(skip) => return Err(skip),
            }
        }
    }

    fn run_steps(
        &mut self,
        steps: &[Step],
        top: Option<usize>,
        prefix: &str,
        record: Option<usize>,
    ) -> Result<(), Flow> {
        for (i, step) in steps.iter().enumerate() {
            let at = At {
                top: top.unwrap_or(i + 1),
                id: format!("{prefix}{}", i + 1),
                record,
                name: step.display_name(),
            };
            if let Some(obs) = self.observer.as_deref_mut() {
                match obs.before_step(&at.id, &at.name, record) {
                    Decision::Run => {}
                    Decision::Skip => {
                        self.report.skipped_steps += 1;
                        continue;
                    }
                    Decision::Abort => {
                        return Err(Flow::Fail(ReplayError::Aborted {
                            step: at.top,
                            name: at.label(),
                        }));
                    }
                }
            }
            match &step.action {
                StepAction::ForEach(fe) => {
                    let records = self.input.records.clone();
                    for (n, rec) in records.iter().enumerate() {
                        let saved = self.vars.clone();
                        self.vars
                            .extend(rec.iter().map(|(k, v)| (k.clone(), v.clone())));
                        let r = self.run_steps(
                            &fe.steps,
                            Some(at.top),
                            &format!("{}.", at.id),
                            Some(n + 1),
                        );
                        self.vars = saved;
                        match r {
                            Ok(()) => self.report.records.push(RecordOutcome::Done),
                            Err(Flow::SkipRecord { step, reason }) => {
                                tracing::warn!(record = n + 1, %step, "record skipped");
                                self.report
                                    .records
                                    .push(RecordOutcome::Skipped { step, reason });
                            }
                            Err(e) => return Err(e),
                        }
                    }
                }
                StepAction::If(branch) => {
                    let timeout = branch.exists.timeout.unwrap_or(Duration::ZERO);
                    let exists = match self.find(&at, &branch.exists, true, timeout) {
                        Ok(_) => true,
                        Err(ReplayError::AnchorNotFound { .. }) => false,
                        Err(e) => return Err(e.into()),
                    };
                    let (steps, tag) = if exists {
                        (&branch.then, "")
                    } else {
                        (&branch.otherwise, "else.")
                    };
                    self.run_steps(steps, Some(at.top), &format!("{}.{tag}", at.id), record)?;
                }
                _ => self.run_step(&at, step)?,
            }
        }
        Ok(())
    }
}

/// Replays `script` once on `desktop` with `vars` (no OCR engine, no records, no secrets): the
/// first slice's entry point, kept for template-only scripts. See [`replay_with`].
pub fn replay(
    desktop: &mut dyn Desktop,
    script: &Script,
    vars: &Vars,
    opts: &ReplayOptions,
) -> Result<Report, ReplayError> {
    let input = ReplayInput {
        vars: vars.clone(),
        ..ReplayInput::default()
    };
    replay_with(desktop, script, &input, opts, None, None)
}

/// Replays `script` on `desktop`, writing `step-NNN-before.png` / `-after.png` (and `-failed.png`
/// for a step that failed; nested steps as `step-004.002-r0003-…`) into `opts.evidence_dir`, with
/// secret fields masked. Stops at the first failure its `on_error` does not absorb. Typed text and
/// secrets never appear in the report, errors or logs.
pub fn replay_with<'a>(
    desktop: &'a mut dyn Desktop,
    script: &'a Script,
    input: &'a ReplayInput,
    opts: &'a ReplayOptions,
    ocr: Option<&'a mut dyn Ocr>,
    observer: Option<&'a mut dyn Observer>,
) -> Result<Report, ReplayError> {
    std::fs::create_dir_all(&opts.evidence_dir).map_err(|e| ReplayError::Evidence {
        path: opts.evidence_dir.clone(),
        message: e.to_string(),
    })?;
    let mut ctx = Ctx {
        desktop,
        opts,
        input,
        finder: Finder::new(&script.base_dir, ocr, &opts.ocr_languages),
        observer,
        masks: Vec::new(),
        last_point: None,
        vars: input.vars.clone(),
        report: Report::default(),
    };
    match ctx.run_steps(&script.steps, None, "", None) {
        Ok(()) => Ok(ctx.report),
        Err(Flow::Fail(e)) => Err(e),
        Err(Flow::SkipRecord { reason, .. }) => Err(ReplayError::Evidence {
            path: opts.evidence_dir.clone(),
            message: format!("skip_record outside for_each: {reason}"),
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn renders_variables() {
        let mut v = Vars::new();
        v.insert("record.amount".into(), "12.50".into());
        assert_eq!(render("x{{record.amount}}y", &v).unwrap(), "x12.50y");
        assert_eq!(render("{{ record.amount }}", &v).unwrap(), "12.50");
        assert_eq!(render("no vars {{", &v).unwrap(), "no vars {{");
        assert_eq!(render("{{record.date}}", &v).unwrap_err(), "record.date");
    }

    #[test]
    fn secrets_do_not_print() {
        let s = SecretText::new("4711");
        assert_eq!(format!("{s:?}"), "SecretText(***)");
        assert_eq!(s.expose(), "4711");
    }

    #[test]
    fn evidence_files_sort_by_position() {
        let at = |id: &str, record| At {
            top: 4,
            id: id.to_string(),
            record,
            name: "save".into(),
        };
        assert_eq!(at("4", None).file_stem(), "step-004");
        assert_eq!(at("4.12", Some(3)).file_stem(), "step-004.012-r0003");
        assert_eq!(at("4.else.1", None).file_stem(), "step-004.else.001");
        assert_eq!(at("4.2", Some(3)).label(), "save [record 3, step 4.2]");
    }
}
