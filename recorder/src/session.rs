//! One recording: capture until the stop hotkey or the stop flag (SIGINT/SIGTERM), a screenshot
//! at every press, anchors and OCR worked out on a background thread in press order, then the
//! coalesced steps written as a `docket_desktop::Script` (YAML with a header comment) and the
//! anchors folder `<OUT stem>_anchors/` beside it.
//!
//! Screenshots stay in memory; only anchor crops are written, and every secret field seen so far
//! is painted over before a crop is cut or a region is read. Nothing here logs a typed character.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use docket_core::ocr::Ocr;
use docket_desktop::{
    Desktop, Drag, KeyCombo, KeyName, Modifier, Point, Script, Scroll, Step, StepAction, Target,
    TypeText, WindowInfo, X11Desktop,
};
use image::RgbaImage;

use crate::anchor::{self, Crop, Rect, Texts};
use crate::capture::{Capture, CaptureError};
use crate::coalesce::{Action, ClickButton, DRAG_PX, SCROLL_MS, coalesce};
use crate::event::{Key, Mods, NamedKey, RawEvent, RawKind};

/// How to record.
pub struct RecordOptions {
    /// X display, e.g. `:0`.
    pub display: String,
    /// The YAML file to write.
    pub out: PathBuf,
    /// The hotkey that ends the recording (its own events are not recorded).
    pub stop_key: KeyCombo,
    /// The hotkey that marks the field focused now as secret (for fields entered with Tab).
    pub secret_key: Option<KeyCombo>,
    /// Labels of fields whose typing is secret, besides password/PIN labels.
    pub secret_fields: Vec<String>,
    /// Secret name for every secret field (default: derived from the field's label).
    pub secret_name: Option<String>,
    /// OCR engine and languages for texts and labels (`None`: `--no-ocr`).
    pub ocr: Option<(Box<dyn Ocr>, String)>,
}

/// What ended the recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// The stop hotkey.
    Hotkey,
    /// The stop flag (a signal).
    Signal,
}

/// The written recording.
#[derive(Debug, Clone)]
pub struct Recording {
    /// The YAML file.
    pub yaml: PathBuf,
    /// The anchors folder.
    pub anchors: PathBuf,
    /// Number of top-level steps.
    pub steps: usize,
    /// Number of secret steps.
    pub secrets: usize,
    /// Dropped input and weak targets (never a typed character).
    pub notes: Vec<String>,
    /// What ended it.
    pub stopped: Stopped,
}

/// Recording failures.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The display cannot be opened or captured.
    #[error("{message}")]
    Display {
        /// The display.
        display: String,
        /// Why.
        message: String,
    },
    /// RECORD failed.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// Writing the output failed.
    #[error("{}: {message}", path.display())]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The steps do not load back as a script (a bug: please report it with the notes).
    #[error("the recorded steps do not load back as a script: {0}")]
    Invalid(String),
}

/// A screenshot taken at a press, for the analysis thread.
struct Shot {
    index: usize,
    at: Point,
    image: RgbaImage,
    /// A frame from shortly before, taken while the pointer was elsewhere: the element at rest
    /// (not hovered, not pressed), as a replay sees it before clicking.
    before: Option<RgbaImage>,
    windows: Vec<WindowInfo>,
}

/// A frame taken while idle, with where the pointer was.
struct Frame {
    taken: Instant,
    pointer: Option<Point>,
    image: RgbaImage,
}

/// Idle frames are taken at most this often.
const FRAME_EVERY: Duration = Duration::from_millis(250);
/// An idle frame older than this is not used as the element's resting state.
const FRAME_MAX_AGE: Duration = Duration::from_secs(3);

enum Job {
    Shot(Box<Shot>),
    /// The secret hotkey: the field clicked last (if any) is secret from now on.
    Mark(Option<Point>),
}

/// What the analysis found for one press.
#[derive(Debug, Clone)]
struct PressInfo {
    at: Point,
    screen: [u32; 2],
    crop: Option<Crop>,
    texts: Texts,
    window: Option<(String, [i32; 2])>,
    secret: Option<String>,
}

fn combo_matches(c: &KeyCombo, key: Key, mods: Mods) -> bool {
    let has = |m| c.modifiers.contains(&m);
    if has(Modifier::Ctrl) != mods.ctrl
        || has(Modifier::Alt) != mods.alt
        || has(Modifier::Shift) != mods.shift
        || has(Modifier::Super) != mods.super_
    {
        return false;
    }
    match (c.key, key) {
        (KeyName::Char(a), Key::Char { base, text }) => {
            a.to_lowercase().eq(base.to_lowercase()) || a == text
        }
        (KeyName::Space, Key::Char { base: ' ', .. }) => true,
        (k, Key::Named(n)) => {
            matches!(
                (k, n),
                (KeyName::Return, NamedKey::Return)
                    | (KeyName::Tab, NamedKey::Tab)
                    | (KeyName::Escape, NamedKey::Escape)
                    | (KeyName::Backspace, NamedKey::BackSpace)
                    | (KeyName::Delete, NamedKey::Delete)
                    | (KeyName::Home, NamedKey::Home)
                    | (KeyName::End, NamedKey::End)
                    | (KeyName::PageUp, NamedKey::PageUp)
                    | (KeyName::PageDown, NamedKey::PageDown)
                    | (KeyName::Up, NamedKey::Up)
                    | (KeyName::Down, NamedKey::Down)
                    | (KeyName::Left, NamedKey::Left)
                    | (KeyName::Right, NamedKey::Right)
            ) || matches!((k, n), (KeyName::F(a), NamedKey::F(b)) if a == b)
        }
        _ => false,
    }
}

fn analyse(
    shot: Shot,
    masks: &[Rect],
    ocr: &mut Option<(Box<dyn Ocr>, String)>,
    designer: &[String],
    notes: &mut Vec<String>,
) -> PressInfo {
    let Shot {
        index: _,
        at,
        mut image,
        mut before,
        windows,
    } = shot;
    for m in masks {
        anchor::paint(&mut image, *m);
        if let Some(b) = &mut before {
            anchor::paint(b, *m);
        }
    }
    let texts = match ocr {
        Some((engine, langs)) => match anchor::read_around(engine.as_mut(), langs, &image, at) {
            Ok(words) => anchor::texts(&words, at),
            Err(e) => {
                notes.push(format!("OCR around ({}, {}) failed: {e}", at.x, at.y));
                Texts::default()
            }
        },
        None => Texts::default(),
    };
    // An input field (no caption of its own) is anchored on its label, which does not change
    // with the field's content or focus; anything else on the element itself.
    let mut crop = texts
        .label_box
        .filter(|_| texts.text.is_none())
        .and_then(|b| anchor::choose_label_crop(&image, b, at, before.as_ref()))
        .or_else(|| anchor::choose_crop(&image, at));
    // The press changes how the element looks (hover, pressed relief, focus ring) while the
    // screenshot is taken: the same place in the frame from before the pointer came is the
    // element at rest, as the replay will see it — unless the screen changed meanwhile.
    if let (Some(c), Some(b)) = (&mut crop, &before) {
        let r = c.rect;
        let rest = image::imageops::crop_imm(b, r.x as u32, r.y as u32, r.w, r.h).to_image();
        if anchor::similarity(&rest, &c.image) >= 0.6
            && docket_desktop::Template::new(&rest).is_some()
        {
            c.image = rest;
        }
    }
    let window = anchor::window_at(&windows, at)
        .filter(|w| !w.title.is_empty())
        .map(|w| (w.title.clone(), [at.x - w.x, at.y - w.y]));
    // The label names the secret; a password word elsewhere on the row still makes it one.
    let secret = [&texts.label, &texts.text]
        .into_iter()
        .flatten()
        .find(|s| anchor::is_secret_label(s, designer))
        .or_else(|| {
            texts
                .nearby
                .iter()
                .find(|s| anchor::is_secret_label(s, designer))
        })
        .map(|s| anchor::secret_name(s));
    PressInfo {
        at,
        screen: [image.width(), image.height()],
        crop,
        texts,
        window,
        secret,
    }
}

/// Records on `opts.display` until the stop hotkey is pressed or `stop` becomes true, then
/// writes the script. `ready` is called once capturing has started, with the hotkey text.
pub fn record(
    opts: RecordOptions,
    stop: &AtomicBool,
    ready: impl FnOnce(),
) -> Result<Recording, RecordError> {
    let RecordOptions {
        display,
        out,
        stop_key,
        secret_key,
        secret_fields,
        secret_name,
        mut ocr,
    } = opts;
    let derr = |message: String| RecordError::Display {
        display: display.clone(),
        message,
    };
    let mut desk = X11Desktop::open(&display).map_err(|e| derr(e.to_string()))?;
    let (sw, sh) = desk
        .screen_size()
        .map_err(|e| derr(format!("display {display}: {e}")))?;

    // Analysis thread: masks, crops, OCR, in press order.
    let (job_tx, job_rx) = mpsc::channel::<Job>();
    let designer = secret_fields.clone();
    let worker = std::thread::Builder::new()
        .name("record-anchors".into())
        .spawn(move || {
            let mut infos: HashMap<usize, PressInfo> = HashMap::new();
            let mut masks: Vec<Rect> = Vec::new();
            let mut notes = Vec::new();
            for job in job_rx {
                match job {
                    Job::Mark(Some(at)) => masks.push(anchor::secret_mask(at)),
                    Job::Mark(None) => {}
                    Job::Shot(shot) => {
                        let index = shot.index;
                        let info = analyse(*shot, &masks, &mut ocr, &designer, &mut notes);
                        if info.secret.is_some() {
                            masks.push(anchor::secret_mask(info.at));
                        }
                        infos.insert(index, info);
                    }
                }
            }
            (infos, notes)
        })
        .map_err(|e| derr(format!("cannot start the anchor thread: {e}")))?;

    let (tx, rx) = mpsc::channel::<RawEvent>();
    let capture = Capture::start(&display, tx)?;
    ready();

    let mut events: Vec<RawEvent> = Vec::new();
    let mut notes = Vec::new();
    let mut last_left: Option<Point> = None;
    let mut last_wheel: Option<u32> = None;
    let mut frames: VecDeque<Frame> = VecDeque::new();
    let mut pointer: Option<Point> = None;
    let mut held = false;
    let stopped = loop {
        if stop.load(Ordering::SeqCst) {
            break Stopped::Signal;
        }
        let e = match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(e) => e,
            Err(RecvTimeoutError::Timeout) => {
                if !held
                    && frames
                        .back()
                        .is_none_or(|f| f.taken.elapsed() >= FRAME_EVERY)
                    && let Ok(image) = desk.capture()
                {
                    if frames.len() >= 3 {
                        frames.pop_front();
                    }
                    frames.push_back(Frame {
                        taken: Instant::now(),
                        pointer,
                        image,
                    });
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break Stopped::Signal,
        };
        match e.kind {
            RawKind::Motion { at } | RawKind::ButtonUp { at, .. } => pointer = Some(at),
            RawKind::ButtonDown { at, .. } => pointer = Some(at),
            _ => {}
        }
        match e.kind {
            RawKind::ButtonDown { button: 1, .. } => held = true,
            RawKind::ButtonUp { button: 1, .. } => held = false,
            _ => {}
        }
        let index = events.len();
        let shoot = match e.kind {
            RawKind::KeyDown { key, mods } => {
                if combo_matches(&stop_key, key, mods) {
                    break Stopped::Hotkey;
                }
                if secret_key
                    .as_ref()
                    .is_some_and(|k| combo_matches(k, key, mods))
                {
                    let _ = job_tx.send(Job::Mark(last_left));
                    events.push(RawEvent {
                        t: e.t,
                        kind: RawKind::MarkSecret,
                    });
                    continue;
                }
                None
            }
            RawKind::ButtonDown { button, at, .. } => match button {
                1 => {
                    last_left = Some(at);
                    Some(at)
                }
                3 => Some(at),
                4..=7 => {
                    let first = last_wheel.is_none_or(|t| e.t.wrapping_sub(t) > SCROLL_MS);
                    last_wheel = Some(e.t);
                    first.then_some(at)
                }
                _ => None,
            },
            RawKind::ButtonUp { button: 1, at } => {
                last_left.filter(|p| (p.x - at.x).abs() > DRAG_PX || (p.y - at.y).abs() > DRAG_PX)
            }
            _ => None,
        };
        if let Some(at) = shoot {
            // As soon as possible after the press: the application is redrawing meanwhile.
            match desk.capture() {
                Ok(image) => {
                    let windows = desk.windows().unwrap_or_default();
                    let away = |p: &Option<Point>| {
                        p.is_none_or(|p| (p.x - at.x).abs() > 100 || (p.y - at.y).abs() > 30)
                    };
                    let before = frames
                        .iter()
                        .rev()
                        .find(|f| f.taken.elapsed() <= FRAME_MAX_AGE && away(&f.pointer))
                        .map(|f| f.image.clone());
                    let _ = job_tx.send(Job::Shot(Box::new(Shot {
                        index,
                        at,
                        image,
                        before,
                        windows,
                    })));
                }
                Err(e) => notes.push(format!("screenshot at ({}, {}) failed: {e}", at.x, at.y)),
            }
        }
        events.push(e);
    };
    drop(rx);
    capture.stop()?;
    drop(job_tx);
    let (infos, worker_notes) = worker
        .join()
        .map_err(|_| derr("the anchor thread panicked".into()))?;
    notes.extend(worker_notes);
    if !secret_fields.is_empty() && infos.values().all(|i| i.secret.is_none()) {
        notes.push(format!(
            "no clicked field was recognised as {}: check the YAML for typing that should be a secret",
            secret_fields.join(" / ")
        ));
    }

    let coalesced = coalesce(&events, &|i| {
        infos.get(&i).is_some_and(|p| p.secret.is_some())
    });
    notes.extend(coalesced.notes);
    write(
        &out,
        &display,
        [sw, sh],
        &coalesced.actions,
        &infos,
        secret_name.as_deref(),
        notes,
        stopped,
    )
}

fn anchors_dir(out: &Path) -> (PathBuf, String) {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "recording".into());
    let name = format!("{stem}_anchors");
    let dir = out.parent().unwrap_or(Path::new(".")).join(&name);
    (dir, name)
}

/// Builds the target for the press at `index`, writing its crop as `<rel_dir>/<file>`.
fn target(
    info: Option<&PressInfo>,
    dir: &Path,
    rel_dir: &str,
    file: &str,
) -> Result<Option<Target>, RecordError> {
    let Some(info) = info else {
        return Ok(None);
    };
    let mut t = Target {
        at: Some([info.at.x, info.at.y]),
        screen: Some(info.screen),
        text: info.texts.text.clone(),
        label: info.texts.label.clone(),
        label_offset: info.texts.label_offset,
        ..Target::default()
    };
    if let Some((title, rel)) = &info.window {
        t.window = Some(title.clone());
        t.rel = Some(*rel);
    }
    if let Some(crop) = &info.crop {
        let path = dir.join(file);
        crop.image.save(&path).map_err(|e| RecordError::Write {
            path: path.clone(),
            message: e.to_string(),
        })?;
        t.anchor = Some(PathBuf::from(rel_dir).join(file));
        t.offset = crop.offset(info.at);
    }
    let strong = t.anchor.is_some() || t.text.is_some() || t.label.is_some();
    Ok(strong.then_some(t))
}

/// Gives each recorded step a short name a person can read: `click "OK"` (the element's text,
/// else its label), `type into "Amount"` (the field the last click chose), `key Tab`.
fn name_steps(steps: &mut [Step]) {
    fn quoted(s: &str) -> String {
        let s = s.trim();
        let short: String = s.chars().take(30).collect();
        let more = if s.chars().count() > 30 { "…" } else { "" };
        format!("\"{}{more}\"", short.replace('"', "'"))
    }
    let mut field: Option<String> = None;
    for step in steps {
        let name = match &step.action {
            StepAction::Click(t) | StepAction::DoubleClick(t) | StepAction::RightClick(t) => {
                let verb = match &step.action {
                    StepAction::DoubleClick(_) => "double_click",
                    StepAction::RightClick(_) => "right_click",
                    _ => "click",
                };
                field = t.label.clone().or_else(|| t.text.clone());
                match t.text.as_deref().or(t.label.as_deref()) {
                    Some(x) => format!("{verb} {}", quoted(x)),
                    None => step.display_name(),
                }
            }
            StepAction::Type(TypeText::Text(_)) => match &field {
                Some(f) => format!("type into {}", quoted(f)),
                None => "type".to_owned(),
            },
            StepAction::Type(TypeText::Secret { secret, .. }) => match &field {
                Some(f) => format!("type secret {secret} into {}", quoted(f)),
                None => format!("type secret {secret}"),
            },
            _ => step.display_name(),
        };
        step.name = Some(name);
    }
}

#[allow(clippy::too_many_arguments)]
fn write(
    out: &Path,
    display: &str,
    screen: [u32; 2],
    actions: &[Action],
    infos: &HashMap<usize, PressInfo>,
    secret_name: Option<&str>,
    mut notes: Vec<String>,
    stopped: Stopped,
) -> Result<Recording, RecordError> {
    let (dir, rel_dir) = anchors_dir(out);
    let werr = |path: &Path, e: &dyn std::fmt::Display| RecordError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(&dir).map_err(|e| werr(&dir, &e))?;
    // A previous recording's crops would be mixed with this one's.
    if let Ok(rd) = std::fs::read_dir(&dir) {
        for entry in rd.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("step-") && name.ends_with(".png") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    let mut steps = Vec::new();
    let mut secrets = 0;
    for a in actions {
        let n = steps.len() + 1;
        let file = format!("step-{n:03}.png");
        let action = match a {
            Action::Click {
                button,
                double,
                press,
                at,
            } => match target(infos.get(press), &dir, &rel_dir, &file)? {
                Some(t) => match (button, double) {
                    (ClickButton::Right, _) => StepAction::RightClick(t),
                    (ClickButton::Left, true) => StepAction::DoubleClick(t),
                    (ClickButton::Left, false) => StepAction::Click(t),
                },
                None => {
                    notes.push(format!(
                        "a click at ({}, {}) had no anchor, text or label on screen: left out — add it by hand after step {}",
                        at.x,
                        at.y,
                        n - 1
                    ));
                    continue;
                }
            },
            Action::Drag {
                press,
                release,
                from,
                ..
            } => {
                let to_file = format!("step-{n:03}-to.png");
                match (
                    target(infos.get(press), &dir, &rel_dir, &file)?,
                    target(infos.get(release), &dir, &rel_dir, &to_file)?,
                ) {
                    (Some(from), Some(to)) => StepAction::Drag(Drag { from, to }),
                    _ => {
                        notes.push(format!(
                            "a drag from ({}, {}) had no anchor at one end: left out — add it by hand after step {}",
                            from.x,
                            from.y,
                            n - 1
                        ));
                        continue;
                    }
                }
            }
            Action::Scroll { press, dx, dy, .. } => StepAction::Scroll(Scroll {
                over: target(infos.get(press), &dir, &rel_dir, &file)?,
                dx: *dx,
                dy: *dy,
            }),
            Action::Type(text) => StepAction::Type(TypeText::Text(text.clone())),
            Action::Secret { field } => {
                secrets += 1;
                let name = secret_name
                    .map(str::to_owned)
                    .or_else(|| field.and_then(|f| infos.get(&f)?.secret.clone()))
                    .unwrap_or_else(|| "password".into());
                StepAction::Type(TypeText::Secret {
                    secret: name,
                    mask: None,
                })
            }
            Action::Key(k) => StepAction::Key(k.clone()),
        };
        steps.push(Step::new(action));
    }
    name_steps(&mut steps);
    let script = Script {
        steps,
        base_dir: PathBuf::new(),
    };
    let header = format!(
        "# Recorded by `docket record` at {} on display {display}, screen {}x{}.\n\
         # Anchors (template crops) are in {rel_dir}/. Typed text is literal: replace it with\n\
         # {{{{record.FIELD}}}} to enter one record per replay. Secrets are references to the secret store.\n",
        chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ"),
        screen[0],
        screen[1],
    );
    let yaml = format!("{header}{}", script.to_yaml());
    let base = out.parent().unwrap_or(Path::new("."));
    Script::parse(&yaml, base).map_err(|e| RecordError::Invalid(e.to_string()))?;
    std::fs::write(out, &yaml).map_err(|e| werr(out, &e))?;
    Ok(Recording {
        yaml: out.to_path_buf(),
        anchors: dir,
        steps: script.steps.len(),
        secrets,
        notes,
        stopped,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn hotkeys_match_on_base_characters_and_exact_modifiers() {
        let c = KeyCombo::parse("ctrl+alt+shift+s").unwrap();
        let all = Mods {
            ctrl: true,
            alt: true,
            shift: true,
            super_: false,
        };
        let s = Key::Char {
            text: 'S',
            base: 's',
        };
        assert!(combo_matches(&c, s, all));
        assert!(!combo_matches(&c, s, Mods::CTRL));
        let f = KeyCombo::parse("ctrl+F12").unwrap();
        assert!(combo_matches(&f, Key::Named(NamedKey::F(12)), Mods::CTRL));
        assert!(!combo_matches(&f, Key::Named(NamedKey::F(11)), Mods::CTRL));
    }

    fn info(at: Point, crop: bool, label: Option<&str>, secret: Option<&str>) -> PressInfo {
        let mut img = RgbaImage::from_pixel(64, 32, image::Rgba([255, 255, 255, 255]));
        img.put_pixel(3, 3, image::Rgba([0, 0, 0, 255]));
        PressInfo {
            at,
            screen: [1024, 768],
            crop: crop.then(|| Crop {
                rect: Rect {
                    x: at.x - 48,
                    y: at.y - 16,
                    w: 64,
                    h: 32,
                },
                image: img,
                unique: true,
            }),
            texts: Texts {
                text: None,
                label: label.map(str::to_owned),
                label_offset: label.map(|_| [90, 0]),
                label_box: None,
                nearby: Vec::new(),
            },
            window: Some(("Payments entry".into(), [at.x - 40, at.y - 40])),
            secret: secret.map(str::to_owned),
        }
    }

    #[test]
    fn writes_a_script_that_loads_back_with_anchors_and_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("form.yaml");
        let p = |x, y| Point { x, y };
        let mut infos = HashMap::new();
        infos.insert(1, info(p(200, 60), true, Some("Date"), None));
        infos.insert(9, info(p(200, 150), true, Some("PIN"), Some("pin")));
        infos.insert(20, info(p(300, 200), false, None, None));
        let actions = [
            Action::Click {
                button: ClickButton::Left,
                double: false,
                press: 1,
                at: p(200, 60),
            },
            Action::Type("2026-03-01".into()),
            Action::Key("Tab".into()),
            Action::Click {
                button: ClickButton::Left,
                double: false,
                press: 9,
                at: p(200, 150),
            },
            Action::Secret { field: Some(9) },
            Action::Click {
                button: ClickButton::Left,
                double: true,
                press: 20,
                at: p(300, 200),
            },
            Action::Key("ctrl+s".into()),
        ];
        let r = write(
            &out,
            ":99",
            [1024, 768],
            &actions,
            &infos,
            None,
            Vec::new(),
            Stopped::Hotkey,
        )
        .unwrap();
        assert_eq!(r.steps, 6, "the click without any signal is left out");
        assert_eq!(r.secrets, 1);
        assert!(r.notes[0].contains("(300, 200)"), "{:?}", r.notes);
        let yaml = std::fs::read_to_string(&out).unwrap();
        assert!(yaml.starts_with("# Recorded by `docket record`"), "{yaml}");
        // Compact and named: coordinates on their key's line, a short name per step.
        assert!(yaml.contains("at: [200, 60]"), "{yaml}");
        assert!(yaml.contains("screen: [1024, 768]"), "{yaml}");
        assert!(!yaml.contains("\n  - 200\n"), "{yaml}");
        assert!(yaml.contains("name: click \"Date\""), "{yaml}");
        assert!(yaml.contains("name: type into \"Date\""), "{yaml}");
        assert!(
            yaml.contains("name: type secret pin into \"PIN\""),
            "{yaml}"
        );
        assert!(yaml.contains("name: key Tab"), "{yaml}");
        assert!(yaml.contains("display :99, screen 1024x768"));
        let s = Script::load(&out).unwrap();
        assert_eq!(s.secrets(), vec!["pin".to_string()]);
        let StepAction::Click(t) = &s.steps[0].action else {
            panic!("{yaml}")
        };
        assert_eq!(t.anchor, Some(PathBuf::from("form_anchors/step-001.png")));
        assert_eq!(t.offset, Some([16, 0]));
        assert_eq!(t.label.as_deref(), Some("Date"));
        assert_eq!(t.window.as_deref(), Some("Payments entry"));
        assert_eq!(t.rel, Some([160, 20]));
        assert_eq!(t.at, Some([200, 60]));
        assert!(dir.path().join("form_anchors/step-001.png").is_file());
        assert!(dir.path().join("form_anchors/step-004.png").is_file());
        assert!(matches!(
            &s.steps[4].action,
            StepAction::Type(TypeText::Secret { secret, .. }) if secret == "pin"
        ));
        // --secret-name wins over the label.
        let r = write(
            &out,
            ":99",
            [1024, 768],
            &actions,
            &infos,
            Some("teller_pin"),
            Vec::new(),
            Stopped::Signal,
        )
        .unwrap();
        assert_eq!(
            Script::load(&r.yaml).unwrap().secrets(),
            vec!["teller_pin".to_string()]
        );
    }
}
