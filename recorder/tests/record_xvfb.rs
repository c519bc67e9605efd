//! The recorder library on an owned Xvfb with the real Tk form (`form_app.py --with-pin`) and real
//! Tesseract, driven by xdotool: RECORD capture resolves shifted and Unicode characters
//! (xdotool remaps a scratch keycode for `ü`), chords, a double click and wheel notches come out
//! as their steps, the PIN typed into the PIN field is a secret reference and its bytes are in no
//! file written; the stop flag (what SIGINT sets) ends the recording like the hotkey.
//! Skips only when Xvfb cannot start here.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test set-up: a panic is the failure report

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use docket_desktop::{KeyCombo, Script, StepAction, TypeText, Xvfb};
use docket_recorder::{RecordOptions, Recording, Stopped};

const PIN: &str = "561903";

struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_app(display: &str, dir: &Path) -> (Guard, HashMap<String, [i32; 4]>) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../connectors/desktop/tests/fixtures/form_app.py");
    let geometry = dir.join("geometry.txt");
    let child = Command::new("/usr/bin/python3")
        .arg(fixture)
        .arg("--with-pin")
        .arg("--out")
        .arg(dir.join("app.csv"))
        .arg("--geometry")
        .arg(&geometry)
        .env("DISPLAY", display)
        .env("FORM_PIN", PIN)
        .stdin(Stdio::null())
        .spawn()
        .expect("python3-tk");
    let app = Guard(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        if let Ok(t) = std::fs::read_to_string(&geometry) {
            break t;
        }
        assert!(
            Instant::now() < deadline,
            "form_app.py never drew its window"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let w = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let n: Vec<i32> = f[1..5].iter().map(|v| v.parse().unwrap()).collect();
            (f[0].to_string(), [n[0], n[1], n[2], n[3]])
        })
        .collect();
    (app, w)
}

fn xdo(display: &str, args: &[&str]) {
    let st = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .status()
        .expect("xdotool");
    assert!(st.success(), "xdotool {args:?}");
}

/// Starts a recording on a thread; returns its handle once capture runs.
fn start_recording(
    display: &str,
    out: PathBuf,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Recording> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let display = display.to_owned();
    let h = std::thread::spawn(move || {
        let engine = docket_documents::ocr::TesseractEngine::new("eng").expect("tesseract-ocr-eng");
        let opts = RecordOptions {
            display,
            out,
            stop_key: KeyCombo::parse("ctrl+alt+shift+s").unwrap(),
            secret_key: Some(KeyCombo::parse("ctrl+alt+shift+p").unwrap()),
            secret_fields: Vec::new(),
            secret_name: None,
            ocr: Some((Box::new(engine), "eng".into())),
        };
        docket_recorder::record(opts, &stop, || ready_tx.send(()).unwrap()).unwrap()
    });
    ready_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("recording started");
    h
}

fn kinds(s: &Script) -> Vec<String> {
    s.steps
        .iter()
        .map(|st| match &st.action {
            StepAction::Click(_) => "click".into(),
            StepAction::DoubleClick(_) => "double_click".into(),
            StepAction::Scroll(sc) => format!("scroll {} {}", sc.dx, sc.dy),
            StepAction::Type(TypeText::Text(t)) => format!("type {t}"),
            StepAction::Type(TypeText::Secret { secret, .. }) => format!("secret {secret}"),
            StepAction::Key(k) => format!("key {k}"),
            other => format!("{other:?}"),
        })
        .collect()
}

#[test]
fn captures_real_input_into_steps_and_keeps_the_pin_out() {
    let Ok(x) = Xvfb::start(1024, 768) else {
        eprintln!("SKIP: Xvfb cannot start here");
        return;
    };
    let d = x.display().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let (_app, w) = start_app(&d, dir.path());
    let out = dir.path().join("rec.yaml");
    let stop = Arc::new(AtomicBool::new(false));
    let h = start_recording(&d, out.clone(), stop.clone());

    let at = |name: &str| {
        let [x, y, _, h] = w[name];
        ((x + 15).to_string(), (y + h / 2).to_string())
    };
    let (cx, cy) = at("counterparty");
    xdo(&d, &["mousemove", &cx, &cy, "click", "1"]);
    std::thread::sleep(Duration::from_millis(300));
    xdo(&d, &["type", "--delay", "30", "Müller & Co!"]);
    xdo(&d, &["key", "BackSpace", "ctrl+a"]);
    // A double click (xdotool's repeat delay is 100 ms) and three wheel notches down.
    xdo(&d, &["click", "--repeat", "2", "--delay", "100", "1"]);
    xdo(&d, &["click", "5", "click", "5", "click", "5"]);
    let (px, py) = at("pin");
    xdo(&d, &["mousemove", &px, &py, "click", "1"]);
    std::thread::sleep(Duration::from_millis(300));
    xdo(&d, &["type", "--delay", "30", PIN]);
    xdo(&d, &["key", "Tab"]);
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    let r = h.join().unwrap();
    assert_eq!(r.stopped, Stopped::Signal);

    let s = Script::load(&out).unwrap();
    assert_eq!(
        kinds(&s),
        [
            "click",
            "type Müller & Co",
            "key ctrl+a",
            "double_click",
            "scroll 0 3",
            "click",
            "secret pin",
            "key Tab"
        ],
        "{}",
        std::fs::read_to_string(&out).unwrap()
    );
    for e in std::fs::read_dir(dir.path().join("rec_anchors")).unwrap() {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        assert!(!bytes.windows(PIN.len()).any(|w| w == PIN.as_bytes()));
    }
    let yaml = std::fs::read_to_string(&out).unwrap();
    assert!(!yaml.contains(PIN), "{yaml}");
    assert!(!format!("{r:?}").contains(PIN));
}

#[test]
fn the_stop_hotkey_is_not_recorded() {
    let Ok(x) = Xvfb::start(800, 600) else {
        eprintln!("SKIP: Xvfb cannot start here");
        return;
    };
    let d = x.display().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let (_app, w) = start_app(&d, dir.path());
    let out = dir.path().join("hot.yaml");
    let h = start_recording(&d, out.clone(), Arc::new(AtomicBool::new(false)));
    let [x0, y0, _, hh] = w["amount"];
    xdo(
        &d,
        &[
            "mousemove",
            &(x0 + 15).to_string(),
            &(y0 + hh / 2).to_string(),
            "click",
            "1",
        ],
    );
    std::thread::sleep(Duration::from_millis(300));
    xdo(&d, &["type", "--delay", "30", "42.50"]);
    xdo(&d, &["key", "ctrl+alt+shift+s"]);
    let r = h.join().unwrap();
    assert_eq!(r.stopped, Stopped::Hotkey);
    let s = Script::load(&out).unwrap();
    assert_eq!(kinds(&s), ["click", "type 42.50"]);
    let StepAction::Click(t) = &s.steps[0].action else {
        unreachable!()
    };
    assert_eq!(t.label.as_deref(), Some("Amount"));
}
