//! Replay of a [`Script`] on a [`Desktop`], with before/after screenshots of every step.

use std::collections::{BTreeMap, HashMap};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder, RgbaImage};

use crate::desktop::{Desktop, KeyCombo, MouseButton, Point};
use crate::error::{DesktopError, ReplayError};
use crate::locate::{Match, Screen, Template, locate};
use crate::script::{Script, Step, StepAction};

/// Variables for `{{name}}` substitution in `type` steps, e.g. `record.amount` → `1234.56`.
pub type Vars = BTreeMap<String, String>;

/// How a replay runs.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    /// Directory for the evidence screenshots (created if missing).
    pub evidence_dir: PathBuf,
    /// Default minimum anchor score.
    pub threshold: f32,
    /// Default time a click looks for its anchor.
    pub click_timeout: Duration,
    /// Default upper bound of a `wait_for`.
    pub wait_timeout: Duration,
    /// Pause between two looks at the screen while polling.
    pub poll_interval: Duration,
}

impl ReplayOptions {
    /// Defaults: threshold 0.85, clicks look for 3 s, waits up to 10 s, poll every 100 ms.
    pub fn new(evidence_dir: impl Into<PathBuf>) -> Self {
        ReplayOptions {
            evidence_dir: evidence_dir.into(),
            threshold: 0.85,
            click_timeout: Duration::from_secs(3),
            wait_timeout: Duration::from_secs(10),
            poll_interval: Duration::from_millis(100),
        }
    }
}

/// Which anchor a step found, where, and how well.
#[derive(Debug, Clone, PartialEq)]
pub struct AnchorHit {
    /// The anchor image as written in the script.
    pub anchor: PathBuf,
    /// The match.
    pub found: Match,
    /// Screens searched before it was found (1 = at once).
    pub attempts: u32,
}

/// What one step did.
#[derive(Debug, Clone)]
pub struct StepReport {
    /// 1-based step number.
    pub step: usize,
    /// The step's name.
    pub name: String,
    /// The anchor found, for anchor steps.
    pub anchor: Option<AnchorHit>,
    /// Screenshot before the action (for anchor steps: the screen the anchor was found on).
    pub before: PathBuf,
    /// Screenshot right after the action.
    pub after: PathBuf,
    /// Time the step took, including polling.
    pub elapsed: Duration,
}

/// The record of a successful replay.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// One entry per step, in order.
    pub steps: Vec<StepReport>,
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

struct Ctx<'a> {
    desktop: &'a mut dyn Desktop,
    opts: &'a ReplayOptions,
    base_dir: &'a Path,
    templates: HashMap<PathBuf, Template>,
    step: usize,
    name: String,
}

impl Ctx<'_> {
    fn desk<T>(&self, r: Result<T, DesktopError>) -> Result<T, ReplayError> {
        r.map_err(|source| ReplayError::Desktop {
            step: self.step,
            name: self.name.clone(),
            source,
        })
    }

    fn shot_path(&self, what: &str) -> PathBuf {
        self.opts
            .evidence_dir
            .join(format!("step-{:03}-{what}.png", self.step))
    }

    fn capture_to(&mut self, what: &str) -> Result<PathBuf, ReplayError> {
        let img = self.desktop.capture();
        let img = self.desk(img)?;
        let path = self.shot_path(what);
        save_png(&img, &path)?;
        Ok(path)
    }

    fn template(&mut self, anchor: &Path) -> Result<Template, ReplayError> {
        if let Some(t) = self.templates.get(anchor) {
            return Ok(t.clone());
        }
        let err = |message: String| ReplayError::Anchor {
            step: self.step,
            name: self.name.clone(),
            anchor: anchor.to_path_buf(),
            message,
        };
        let img = image::open(self.base_dir.join(anchor))
            .map_err(|e| err(e.to_string()))?
            .to_rgba8();
        let t = Template::new(&img)
            .ok_or_else(|| err("too small (< 4 px) or without contrast".to_string()))?;
        self.templates.insert(anchor.to_path_buf(), t.clone());
        Ok(t)
    }

    /// Polls the screen until the anchor scores at least `threshold` or `timeout` passes.
    fn find(
        &mut self,
        anchor: &Path,
        threshold: f32,
        timeout: Duration,
    ) -> Result<(AnchorHit, PathBuf), ReplayError> {
        let template = self.template(anchor)?;
        let start = Instant::now();
        let mut best = f32::NEG_INFINITY;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let shot = self.desktop.capture();
            let shot = self.desk(shot)?;
            let found = locate(&Screen::new(&shot), &template);
            if let Some(m) = found {
                if m.score >= threshold {
                    let before = self.shot_path("before");
                    save_png(&shot, &before)?;
                    let hit = AnchorHit {
                        anchor: anchor.to_path_buf(),
                        found: m,
                        attempts,
                    };
                    return Ok((hit, before));
                }
                best = best.max(m.score);
            }
            if start.elapsed() >= timeout {
                let screenshot = self.shot_path("failed");
                save_png(&shot, &screenshot)?;
                return Err(ReplayError::AnchorNotFound {
                    step: self.step,
                    name: self.name.clone(),
                    anchor: anchor.to_path_buf(),
                    best_score: best,
                    threshold,
                    timeout_ms: start.elapsed().as_millis(),
                    screenshot,
                });
            }
            std::thread::sleep(self.opts.poll_interval);
        }
    }

    fn run_step(&mut self, step: &Step, vars: &Vars) -> Result<StepReport, ReplayError> {
        let start = Instant::now();
        let opts = self.opts;
        let (anchor, before) = match &step.action {
            StepAction::Click(t) | StepAction::DoubleClick(t) | StepAction::RightClick(t) => {
                let threshold = t.threshold.unwrap_or(opts.threshold);
                let timeout = t.timeout.unwrap_or(opts.click_timeout);
                let (hit, before) = self.find(&t.anchor, threshold, timeout)?;
                let (cx, cy) = hit.found.centre();
                let [ox, oy] = t.offset.unwrap_or([0, 0]);
                let at = Point {
                    x: cx + (ox as f32 * hit.found.scale).round() as i32,
                    y: cy + (oy as f32 * hit.found.scale).round() as i32,
                };
                let r = match &step.action {
                    StepAction::DoubleClick(_) => self.desktop.double_click(at),
                    StepAction::RightClick(_) => self.desktop.click(at, MouseButton::Right),
                    _ => self.desktop.click(at, MouseButton::Left),
                };
                self.desk(r)?;
                (Some(hit), before)
            }
            StepAction::WaitFor(w) => {
                let threshold = w.threshold.unwrap_or(opts.threshold);
                let timeout = w.timeout.unwrap_or(opts.wait_timeout);
                let (hit, before) = self.find(&w.anchor, threshold, timeout)?;
                (Some(hit), before)
            }
            StepAction::Type(text) => {
                let text = render(text, vars).map_err(|variable| ReplayError::UnknownVariable {
                    step: self.step,
                    name: self.name.clone(),
                    variable,
                })?;
                let before = self.capture_to("before")?;
                let r = self.desktop.type_text(&text);
                self.desk(r)?;
                (None, before)
            }
            StepAction::Key(k) => {
                let combo = KeyCombo::parse(k);
                let combo = self.desk(combo)?;
                let before = self.capture_to("before")?;
                let r = self.desktop.key(&combo);
                self.desk(r)?;
                (None, before)
            }
        };
        let after = self.capture_to("after")?;
        Ok(StepReport {
            step: self.step,
            name: self.name.clone(),
            anchor,
            before,
            after,
            elapsed: start.elapsed(),
        })
    }
}

/// Replays `script` on `desktop` with `vars`, writing `step-NNN-before.png` / `-after.png` (and
/// `-failed.png` for a step whose anchor was not found) into `opts.evidence_dir`. Stops at the
/// first failing step. Typed text never appears in the report, errors or logs.
pub fn replay(
    desktop: &mut dyn Desktop,
    script: &Script,
    vars: &Vars,
    opts: &ReplayOptions,
) -> Result<Report, ReplayError> {
    std::fs::create_dir_all(&opts.evidence_dir).map_err(|e| ReplayError::Evidence {
        path: opts.evidence_dir.clone(),
        message: e.to_string(),
    })?;
    let mut ctx = Ctx {
        desktop,
        opts,
        base_dir: &script.base_dir,
        templates: HashMap::new(),
        step: 0,
        name: String::new(),
    };
    let mut report = Report::default();
    for (i, step) in script.steps.iter().enumerate() {
        ctx.step = i + 1;
        ctx.name = step.display_name();
        let r = ctx.run_step(step, vars)?;
        match &r.anchor {
            Some(hit) => tracing::debug!(
                step = r.step,
                name = %r.name,
                score = hit.found.score,
                scale = hit.found.scale,
                "step done"
            ),
            None => tracing::debug!(step = r.step, name = %r.name, "step done"),
        }
        report.steps.push(r);
    }
    Ok(report)
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
}
