//! Replay against a real X client (the Tk form in `fixtures/form_app.py`) on an owned Xvfb.
//!
//! The anchors are cut from a screenshot of the running app at the widget boxes the app reports,
//! the way the recorder will cut them around a click; the replay then drives the app through
//! XTEST and the app's own saved file is the oracle. Skips (with a message) only when Xvfb
//! cannot start.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use docket_desktop::{
    Desktop, ReplayError, ReplayOptions, Script, StepAction, Vars, X11Desktop, Xvfb, replay,
};

const W: u32 = 1024;
const H: u32 = 768;

fn xvfb_or_skip(test: &str) -> Option<Xvfb> {
    match Xvfb::start(W, H) {
        Ok(x) => Some(x),
        Err(e) => {
            eprintln!("SKIP {test}: Xvfb cannot start here: {e}");
            None
        }
    }
}

/// A Python with Tk: Debian's python3-tk is under /usr/bin/python3; a pyenv python3 first on
/// PATH may or may not have Tk.
fn python_with_tk() -> String {
    for py in ["/usr/bin/python3", "python3"] {
        let ok = Command::new(py)
            .args(["-c", "import tkinter"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return py.to_string();
        }
    }
    panic!("no python3 with tkinter: install python3-tk (installer/install.sh TEST_PKGS)");
}

/// The Tk form app, killed on drop.
struct App {
    child: Child,
    widgets: HashMap<String, [u32; 4]>,
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_app(display: &str, dir: &Path, out: &Path, hide_save: bool) -> App {
    start_app_with(display, dir, out, hide_save, &[])
}

fn start_app_with(display: &str, dir: &Path, out: &Path, hide_save: bool, extra: &[&str]) -> App {
    static STARTED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/form_app.py");
    let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let geometry = dir.join(format!("geometry-{n}.txt"));
    let _ = std::fs::remove_file(&geometry);
    let mut cmd = Command::new(python_with_tk());
    cmd.arg(&fixture)
        .arg("--out")
        .arg(out)
        .arg("--geometry")
        .arg(&geometry)
        .env("DISPLAY", display)
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("XDG_SESSION_TYPE")
        .stdin(Stdio::null());
    if hide_save {
        cmd.arg("--hide-save");
    }
    cmd.args(extra);
    let mut child = cmd.spawn().expect("start form_app.py");
    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        if let Ok(t) = std::fs::read_to_string(&geometry) {
            break t;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("form_app.py exited early: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "form_app.py never drew its window"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let widgets = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let n: Vec<u32> = f[1..5].iter().map(|v| v.parse().unwrap()).collect();
            (f[0].to_string(), [n[0], n[1], n[2], n[3]])
        })
        .collect();
    App { child, widgets }
}

/// Cuts `box_` out of a fresh screenshot into `path`, retrying until the box has contrast.
fn cut_anchor(desk: &mut X11Desktop, box_: [u32; 4], path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let shot = desk.capture().unwrap();
        let crop = image::imageops::crop_imm(&shot, box_[0], box_[1], box_[2], box_[3]).to_image();
        if docket_desktop::Template::new(&crop).is_some() {
            crop.save(path).unwrap();
            return;
        }
        assert!(
            Instant::now() < deadline,
            "anchor box {box_:?} stayed blank"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// "Records" the form: cuts the anchors from the running app and writes the script.
fn record_script(desk: &mut X11Desktop, app: &App, dir: &Path) -> PathBuf {
    record_script_with(desk, app, dir, true)
}

/// `with_wait`: end with `wait_for` the empty Counterparty field (label + entry, threshold 0.98).
fn record_script_with(desk: &mut X11Desktop, app: &App, dir: &Path, with_wait: bool) -> PathBuf {
    let anchors = dir.join("anchors");
    std::fs::create_dir_all(&anchors).unwrap();
    let g = |n: &str| app.widgets[n];
    // The "form cleared" anchor: the Counterparty label and its whole (empty) entry.
    let field = |label: [u32; 4], entry: [u32; 4], entry_width: u32| {
        let x0 = label[0];
        let x1 = entry[0] + entry_width;
        [x0, entry[1], x1 - x0, entry[3]]
    };
    // The Date field's anchor is its label: after a save the entry itself has the focus ring and
    // a blinking cursor, so it looks different from when it was recorded.
    let date = g("date_label");
    let counterparty = field(
        g("counterparty_label"),
        g("counterparty"),
        g("counterparty")[2],
    );
    cut_anchor(desk, date, &anchors.join("date.png"));
    cut_anchor(desk, counterparty, &anchors.join("counterparty-empty.png"));
    // The button's face inside its border, as a recorder crops around the click point (the border
    // stays 2 px at any font scale, so it is left out).
    let [sx, sy, sw, sh] = g("save");
    cut_anchor(
        desk,
        [sx + 4, sy + 4, sw - 8, sh - 8],
        &anchors.join("save.png"),
    );
    // Click 15 px into the Date entry: offset from the anchor's centre.
    let dx = (g("date")[0] + 15) as i32 - (date[0] + date[2] / 2) as i32;
    let dy = (g("date")[1] + g("date")[3] / 2) as i32 - (date[1] + date[3] / 2) as i32;
    let yaml = format!(
        r#"steps:
  - name: date field
    click: {{anchor: anchors/date.png, offset: [{dx}, {dy}]}}
  - type: "{{{{record.date}}}}"
  - key: Tab
  - type: "{{{{record.amount}}}}"
  - key: Tab
  - type: "{{{{record.counterparty}}}}"
  - name: save
    click: {{anchor: anchors/save.png}}
"#
    );
    let yaml = if with_wait {
        yaml + "  - name: form cleared\n    wait_for: {anchor: anchors/counterparty-empty.png, threshold: 0.98, timeout: 20s}\n"
    } else {
        yaml
    };
    let path = dir.join("form.yaml");
    std::fs::write(&path, yaml).unwrap();
    path
}

fn vars_of(rec: &[String; 3]) -> Vars {
    let mut vars = Vars::new();
    vars.insert("record.date".into(), rec[0].clone());
    vars.insert("record.amount".into(), rec[1].clone());
    vars.insert("record.counterparty".into(), rec[2].clone());
    vars
}

fn records() -> Vec<[String; 3]> {
    let names = [
        "ACME Ltd",
        "Müller GmbH",
        "Banco Sol SA",
        "Øresund Trading",
        "Zhang & Co",
    ];
    (1..=20)
        .map(|i| {
            [
                format!("2026-11-{i:02}"),
                format!("{}.{:02}", 1000 + i * 37, i * 3 % 100),
                format!("{} {i}", names[i % names.len()]),
            ]
        })
        .collect()
}

fn read_rows(path: &Path) -> Vec<[String; 3]> {
    let Ok(mut r) = csv::ReaderBuilder::new().has_headers(false).from_path(path) else {
        return Vec::new();
    };
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            [rec[0].to_string(), rec[1].to_string(), rec[2].to_string()]
        })
        .collect()
}

fn opts(dir: &Path, name: &str) -> ReplayOptions {
    let mut o = ReplayOptions::new(dir.join("evidence").join(name));
    // Generous upper bounds: debug builds on a shared 2-core machine.
    o.click_timeout = Duration::from_secs(20);
    o
}

#[test]
fn replay_fills_twenty_records_into_a_tk_form() {
    let Some(xvfb) = xvfb_or_skip("replay_fills_twenty_records_into_a_tk_form") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("saved.csv");
    let mut desk = X11Desktop::open(xvfb.display()).unwrap();
    assert_eq!(desk.screen_size().unwrap(), (W, H));
    let app = start_app(xvfb.display(), dir.path(), &out, false);
    let script = Script::load(&record_script(&mut desk, &app, dir.path())).unwrap();

    let expected = records();
    for (i, rec) in expected.iter().enumerate() {
        let mut vars = Vars::new();
        vars.insert("record.date".into(), rec[0].clone());
        vars.insert("record.amount".into(), rec[1].clone());
        vars.insert("record.counterparty".into(), rec[2].clone());
        let report = replay(
            &mut desk,
            &script,
            &vars,
            &opts(dir.path(), &format!("record-{i:02}")),
        )
        .unwrap_or_else(|e| panic!("record {i}: {e}"));
        assert_eq!(report.steps.len(), script.steps.len());
        for s in &report.steps {
            assert!(
                s.before.is_file() && s.after.is_file(),
                "evidence of step {}",
                s.step
            );
            let is_anchor_step = matches!(
                script.steps[s.step - 1].action,
                StepAction::Click(_) | StepAction::WaitFor(_)
            );
            assert_eq!(s.anchor.is_some(), is_anchor_step, "step {}", s.step);
            if let Some(hit) = &s.anchor {
                assert!(
                    hit.found.score >= 0.85,
                    "step {} score {}",
                    s.step,
                    hit.found.score
                );
                assert!(
                    (hit.found.scale - 1.0).abs() < 0.01,
                    "same screen, scale 1: {hit:?}"
                );
            }
        }
    }
    // The app's own file is the oracle: exactly the 20 records, in order, nothing else.
    let deadline = Instant::now() + Duration::from_secs(20);
    while read_rows(&out).len() < expected.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(read_rows(&out), expected);
    drop(app);
}

#[test]
fn replay_fails_clearly_when_the_save_button_is_gone() {
    let Some(xvfb) = xvfb_or_skip("replay_fails_clearly_when_the_save_button_is_gone") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("saved.csv");
    let mut desk = X11Desktop::open(xvfb.display()).unwrap();
    let script_path = {
        let app = start_app(xvfb.display(), dir.path(), &out, false);
        record_script(&mut desk, &app, dir.path())
    };
    let script = Script::load(&script_path).unwrap();
    let _app = start_app(xvfb.display(), dir.path(), &out, true);
    let mut vars = Vars::new();
    for (k, v) in [
        ("date", "2026-11-30"),
        ("amount", "10.00"),
        ("counterparty", "Nobody"),
    ] {
        vars.insert(format!("record.{k}"), v.to_string());
    }
    let mut o = opts(dir.path(), "missing-save");
    o.click_timeout = Duration::from_secs(2);
    let err = replay(&mut desk, &script, &vars, &o).expect_err("Save is gone: the step must fail");
    let msg = err.to_string();
    eprintln!("expected failure: {msg}");
    match err {
        ReplayError::AnchorNotFound {
            step,
            name,
            anchor,
            best_score,
            threshold,
            screenshot,
            ..
        } => {
            assert_eq!((step, name.as_str()), (7, "save"));
            assert_eq!(anchor, Path::new("anchors/save.png"));
            assert!(
                best_score < threshold && best_score > -1.0,
                "best {best_score}"
            );
            assert!(screenshot.is_file(), "{}", screenshot.display());
            assert!(
                msg.contains("step 7 (save)") && msg.contains("best score"),
                "{msg}"
            );
            assert!(msg.contains(&screenshot.display().to_string()), "{msg}");
            // The failure screenshot is the screen searched: the form without its button.
            let shot = image::open(&screenshot).unwrap();
            assert_eq!((shot.width(), shot.height()), (W, H));
        }
        other => panic!("expected AnchorNotFound, got {other}"),
    }
    // Typed text never reaches the error; nothing was saved.
    assert!(!msg.contains("Nobody"));
    assert!(read_rows(&out).is_empty());
}

#[test]
fn replay_survives_a_moved_window_on_another_screen_size() {
    let Some(small) = xvfb_or_skip("replay_survives_a_moved_window_on_another_screen_size") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Recorded on a 1024x768 screen with the window at (40, 40)…
    let script_path = {
        let mut desk = X11Desktop::open(small.display()).unwrap();
        let app = start_app(
            small.display(),
            dir.path(),
            &dir.path().join("unused.csv"),
            false,
        );
        record_script(&mut desk, &app, dir.path())
    };
    drop(small);
    let script = Script::load(&script_path).unwrap();
    // …replayed on 1280x1024 with the window at (500, 420).
    let big = match Xvfb::start(1280, 1024) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("SKIP: second Xvfb cannot start: {e}");
            return;
        }
    };
    let mut desk = X11Desktop::open(big.display()).unwrap();
    assert_eq!(desk.screen_size().unwrap(), (1280, 1024));
    let out = dir.path().join("saved.csv");
    let app = start_app_with(big.display(), dir.path(), &out, false, &["--at", "500,420"]);
    assert!(
        app.widgets["save"][0] > 500,
        "the window really moved: {:?}",
        app.widgets["save"]
    );
    let expected: Vec<[String; 3]> = records().into_iter().take(3).collect();
    for (i, rec) in expected.iter().enumerate() {
        let report = replay(
            &mut desk,
            &script,
            &vars_of(rec),
            &opts(dir.path(), &format!("moved-{i}")),
        )
        .unwrap_or_else(|e| panic!("record {i}: {e}"));
        let save = report.steps.iter().find(|s| s.name == "save").unwrap();
        let hit = save.anchor.as_ref().unwrap();
        // Found where the button is now, not where it was recorded.
        let [bx, by, bw, bh] = app.widgets["save"];
        let (cx, cy) = hit.found.centre();
        assert!(
            (bx as i32..(bx + bw) as i32).contains(&cx)
                && (by as i32..(by + bh) as i32).contains(&cy),
            "save found at {:?}, button at {:?}",
            hit.found,
            app.widgets["save"]
        );
    }
    assert_eq!(read_rows(&out), expected);
}

#[test]
fn replay_survives_fonts_and_padding_at_one_and_a_quarter() {
    let Some(xvfb) = xvfb_or_skip("replay_survives_fonts_and_padding_at_one_and_a_quarter") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut desk = X11Desktop::open(xvfb.display()).unwrap();
    // Without the final "form cleared" wait: its anchor (label + empty entry) has 1-2 px borders
    // that do not scale with the font (best score 0.81 at 1.25x); a scale-proof condition needs the
    // OCR signal (next slice). Tk handles the XTEST events in order, so the records still do not
    // mix; the saved file is polled at the end.
    let (script_path, recorded_save) = {
        let app = start_app(
            xvfb.display(),
            dir.path(),
            &dir.path().join("unused.csv"),
            false,
        );
        (
            record_script_with(&mut desk, &app, dir.path(), false),
            app.widgets["save"],
        )
    };
    let script = Script::load(&script_path).unwrap();
    let out = dir.path().join("saved.csv");
    let app = start_app_with(
        xvfb.display(),
        dir.path(),
        &out,
        false,
        &["--scale", "1.25"],
    );
    // The button really is about 1.25x larger.
    let save = app.widgets["save"];
    let ratio = f64::from(save[2]) / f64::from(recorded_save[2]);
    assert!(
        (1.15..1.35).contains(&ratio),
        "{save:?} vs {recorded_save:?}"
    );
    let expected: Vec<[String; 3]> = records().into_iter().take(2).collect();
    for (i, rec) in expected.iter().enumerate() {
        let report = replay(
            &mut desk,
            &script,
            &vars_of(rec),
            &opts(dir.path(), &format!("scaled-{i}")),
        )
        .unwrap_or_else(|e| panic!("record {i}: {e}"));
        for s in &report.steps {
            if let Some(hit) = &s.anchor {
                eprintln!(
                    "step {} {}: score {:.3} scale {:.3}",
                    s.step, s.name, hit.found.score, hit.found.scale
                );
                assert!(
                    (hit.found.scale - 1.25).abs() < 0.07,
                    "step {}: {hit:?}",
                    s.step
                );
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while read_rows(&out).len() < expected.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(read_rows(&out), expected);
    drop(app);
}
