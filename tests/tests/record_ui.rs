//! `docket record` end to end under Xvfb with a real X client (the Tk form of
//! `connectors/desktop/tests/fixtures/form_app.py --with-pin`), driven by xdotool as a person
//! would: the built binary records one transaction (click Date, type, Tab, type, Tab, type, click
//! the PIN field, type the PIN, click Save) and stops on its hotkey — or, in the second test, on
//! SIGINT. The script must load back with the expected steps in order, the PIN must be a secret
//! reference whose characters are in no file written (YAML, anchors) and in none of the
//! recorder's output, and no anchor may be cut while the PIN field held the PIN except masked.
//! The recording, with its three typed values turned into `{{record.*}}` as a designer would,
//! is then replayed by `docket replay --records` for 20 records into a fresh instance with the
//! PIN from the secret store (`docket secret set`); the app's CSV must hold exactly those 20 rows
//! with `pin_ok`, and the PIN is in no file of the data dir (evidence screenshots included).
//! Skips only when Xvfb cannot start here.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test set-up: a panic is the failure report

mod common;

use common::docket_bin;
use docket_desktop::{Script, StepAction, TypeText, Xvfb};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The PIN typed during the recording: six digits, searched for as bytes in every file.
const PIN: &str = "839201";
const STOP_KEY: &str = "ctrl+alt+shift+s";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../connectors/desktop/tests/fixtures/form_app.py")
}

/// Debian's python3-tk is under /usr/bin/python3; a pyenv python3 first on PATH may lack Tk.
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

/// A child process killed on drop.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the form with the PIN row on `display`; returns it with its widget boxes.
fn start_app(display: &str, dir: &Path, csv: &Path) -> (Guard, HashMap<String, [i32; 4]>) {
    let geometry = dir.join(format!(
        "geometry-{}.txt",
        csv.file_stem().unwrap().to_string_lossy()
    ));
    let child = Command::new(python_with_tk())
        .arg(fixture())
        .arg("--with-pin")
        .arg("--out")
        .arg(csv)
        .arg("--geometry")
        .arg(&geometry)
        .env("DISPLAY", display)
        .env("FORM_PIN", PIN)
        .stdin(Stdio::null())
        .spawn()
        .expect("start form_app.py");
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
    let widgets = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let n: Vec<i32> = f[1..5].iter().map(|v| v.parse().unwrap()).collect();
            (f[0].to_string(), [n[0], n[1], n[2], n[3]])
        })
        .collect();
    (app, widgets)
}

/// Runs xdotool on `display`, as a person's hands.
fn xdo(display: &str, args: &[&str]) {
    let st = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .status()
        .expect("xdotool (apt-get install xdotool)");
    assert!(st.success(), "xdotool {args:?}");
}

fn click(display: &str, x: i32, y: i32) {
    xdo(
        display,
        &["mousemove", &x.to_string(), &y.to_string(), "click", "1"],
    );
    // A person looks at the field before typing; Tk takes the focus on the press.
    std::thread::sleep(Duration::from_millis(300));
}

fn typ(display: &str, text: &str) {
    xdo(display, &["type", "--delay", "30", text]);
}

/// Waits until `path` holds `rows` lines.
fn wait_rows(path: &Path, rows: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let lines: Vec<String> = std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect();
        if lines.len() >= rows || Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every regular file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.is_file() {
                out.push(p);
            }
        }
    }
    out
}

/// A test's temporary directory, kept (and its path printed) when the test fails or
/// `DOCKET_KEEP_TEST_DIR` is set, so the recording, anchors and evidence screenshots can be
/// looked at.
struct TestDir(Option<tempfile::TempDir>);

impl TestDir {
    fn new() -> Self {
        TestDir(Some(tempfile::tempdir().unwrap()))
    }

    fn path(&self) -> &Path {
        self.0.as_ref().map(|d| d.path()).unwrap_or(Path::new("."))
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        if (std::thread::panicking() || std::env::var_os("DOCKET_KEEP_TEST_DIR").is_some())
            && let Some(d) = self.0.take()
        {
            eprintln!("the test's files are kept in {}", d.keep().display());
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// How the recording is ended.
#[derive(Clone, Copy, PartialEq)]
enum Stop {
    Hotkey,
    Sigint,
}

/// Records one transaction on a fresh Xvfb; returns the recorder's output and the script path.
fn record(dir: &Path, stop: Stop) -> Option<(Output, PathBuf)> {
    let x = match Xvfb::start(1024, 768) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("SKIP: Xvfb cannot start here: {e}");
            return None;
        }
    };
    let d = x.display().to_owned();
    let csv = dir.join("recording.csv");
    let (_app, w) = start_app(&d, dir, &csv);
    let script = dir.join("form.yaml");
    let (stdout, stderr) = (dir.join("record.out"), dir.join("record.err"));
    let child = Command::new(docket_bin())
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("-vv") // debug logging: the PIN must not reach the log either
        .arg("record")
        .arg(&script)
        .args([
            "--display",
            &d,
            "--secret-field",
            "PIN",
            "--stop-key",
            STOP_KEY,
        ])
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .expect("start docket record");
    let mut rec = Guard(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&stdout)
        .unwrap_or_default()
        .contains("recording on")
    {
        assert!(
            Instant::now() < deadline,
            "docket record never started: {}",
            std::fs::read_to_string(&stderr).unwrap_or_default()
        );
        assert!(
            rec.0.try_wait().unwrap().is_none(),
            "docket record exited: {}",
            std::fs::read_to_string(&stderr).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // A person enters one transaction.
    let field = |name: &str| {
        let [x, y, _, h] = w[name];
        (x + 15, y + h / 2)
    };
    let (dx, dy) = field("date");
    click(&d, dx, dy);
    typ(&d, "2026-03-01");
    xdo(&d, &["key", "Tab"]);
    typ(&d, "1200.00");
    xdo(&d, &["key", "Tab"]);
    typ(&d, "ACME Ltd");
    let (px, py) = field("pin");
    click(&d, px, py);
    typ(&d, PIN);
    let [sx, sy, sw, sh] = w["save"];
    click(&d, sx + sw / 2, sy + sh / 2);
    assert_eq!(
        wait_rows(&csv, 1),
        ["2026-03-01,1200.00,ACME Ltd,pin_ok"],
        "the app saved the transaction while it was recorded"
    );

    match stop {
        Stop::Hotkey => xdo(&d, &["key", STOP_KEY]),
        Stop::Sigint => {
            let st = Command::new("kill")
                .args(["-INT", &rec.0.id().to_string()])
                .status()
                .unwrap();
            assert!(st.success());
        }
    }
    // Anchors and OCR are worked out in the background; a debug build takes a while.
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(s) = rec.0.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "docket record did not stop");
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = Output {
        status,
        stdout: std::fs::read(&stdout).unwrap(),
        stderr: std::fs::read(&stderr).unwrap(),
    };
    Some((out, script))
}

/// What each top-level step is, secrets named.
fn kinds(s: &Script) -> Vec<String> {
    s.steps
        .iter()
        .map(|st| match &st.action {
            StepAction::Click(_) => "click".to_string(),
            StepAction::Type(TypeText::Text(_)) => "type".to_string(),
            StepAction::Type(TypeText::Secret { secret, .. }) => format!("secret {secret}"),
            StepAction::Key(k) => format!("key {k}"),
            other => format!("{other:?}"),
        })
        .collect()
}

/// Asserts the recording and the secret hygiene; returns the loaded script.
fn check_recording(dir: &Path, out: &Output, script: &Path) -> Script {
    let (so, se) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{so}\n{se}");
    assert!(
        so.contains("recorded 9 step(s) (1 secret)"),
        "{so}\n{se}\n{}",
        std::fs::read_to_string(script).unwrap_or_default()
    );
    let s = Script::load(script).unwrap();
    // Readable: every step named, coordinates on their key's line.
    let yaml = std::fs::read_to_string(script).unwrap();
    assert!(s.steps.iter().all(|st| st.name.is_some()), "{yaml}");
    assert!(yaml.contains("name: type into \""), "{yaml}");
    assert!(yaml.contains("at: ["), "{yaml}");
    assert!(
        !yaml.lines().any(|l| l
            .trim_start()
            .strip_prefix("- ")
            .is_some_and(|v| v.parse::<i64>().is_ok())),
        "no coordinate on a line of its own: {yaml}"
    );
    assert_eq!(
        kinds(&s),
        [
            "click",
            "type",
            "key Tab",
            "type",
            "key Tab",
            "type",
            "click",
            "secret pin",
            "click"
        ],
        "{}",
        std::fs::read_to_string(script).unwrap()
    );
    let typed: Vec<&str> = s
        .steps
        .iter()
        .filter_map(|st| match &st.action {
            StepAction::Type(TypeText::Text(t)) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(typed, ["2026-03-01", "1200.00", "ACME Ltd"]);
    let yaml = std::fs::read_to_string(script).unwrap();
    assert!(
        yaml.starts_with("# Recorded by `docket record` at "),
        "{yaml}"
    );
    assert!(yaml.contains("screen 1024x768"));
    // Each click has its anchor, its window and position; the date field its label.
    let StepAction::Click(date) = &s.steps[0].action else {
        unreachable!()
    };
    assert_eq!(date.window.as_deref(), Some("Payments entry"));
    assert!(date.rel.is_some() && date.at.is_some() && date.screen == Some([1024, 768]));
    assert_eq!(date.label.as_deref(), Some("Date"), "OCR label: {yaml}");
    let StepAction::Click(save) = &s.steps[8].action else {
        unreachable!()
    };
    assert_eq!(save.text.as_deref(), Some("Save"), "OCR text: {yaml}");
    let anchors = dir.join("form_anchors");
    let mut pngs: Vec<String> = std::fs::read_dir(&anchors)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pngs.sort();
    // Crops only at the three clicks: none while typing. The one cut after the PIN was typed
    // (Save) is taken with the PIN field painted over (masking is unit-tested in the recorder).
    assert_eq!(pngs, ["step-001.png", "step-007.png", "step-009.png"]);
    for a in s.anchors() {
        assert!(dir.join(&a).is_file(), "{}", a.display());
    }

    // The PIN's bytes: in no file written (script, anchors, data dir), not in the output.
    let pin = PIN.as_bytes();
    for f in files_under(dir) {
        if f.extension().is_some_and(|e| e == "py") {
            continue;
        }
        assert!(
            !contains(&std::fs::read(&f).unwrap(), pin),
            "the PIN is in {}",
            f.display()
        );
    }
    assert!(!contains(&out.stdout, pin) && !contains(&out.stderr, pin));
    s
}

/// Replays the recording for 20 records into a fresh app with the PIN from the secret store.
fn replay_twenty(dir: &Path, recorded: &Script) {
    // The designer turns the literal values into record fields.
    let mut s = recorded.clone();
    for st in &mut s.steps {
        if let StepAction::Type(TypeText::Text(t)) = &mut st.action {
            *t = match t.as_str() {
                "2026-03-01" => "{{record.date}}".into(),
                "1200.00" => "{{record.amount}}".into(),
                "ACME Ltd" => "{{record.counterparty}}".into(),
                other => panic!("unexpected typed text {other:?}"),
            };
        }
    }
    let edited = dir.join("form-records.yaml");
    std::fs::write(&edited, s.to_yaml()).unwrap();
    let s = Script::load(&edited).unwrap();
    assert_eq!(s.secrets(), ["pin"]);

    // The PIN goes into the secret store the way an operator stores it.
    let data = dir.join("data");
    let mut child = Command::new(docket_bin())
        .arg("--data-dir")
        .arg(&data)
        .args(["secret", "set", "pin", "--user", "designer"])
        .env_remove("DOCKET_SECRET_KEY_FILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PIN}\n").as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let x = Xvfb::start(1024, 768).unwrap();
    let saved = dir.join("saved.csv");
    let (_app, _) = start_app(x.display(), dir, &saved);
    let records: Vec<(String, String, String)> = (1..=20)
        .map(|i| {
            (
                format!("2026-04-{i:02}"),
                format!("{}.{:02}", 100 * i, i),
                format!("Counterparty {i} Ltd"),
            )
        })
        .collect();
    let jsonl: String = records
        .iter()
        .map(|(d, a, c)| {
            serde_json::json!({"date": d, "amount": a, "counterparty": c}).to_string() + "\n"
        })
        .collect();
    let recs = dir.join("records.jsonl");
    std::fs::write(&recs, jsonl).unwrap();
    let o = Command::new(docket_bin())
        .arg("--data-dir")
        .arg(&data)
        .arg("replay")
        .arg(&edited)
        .arg("--records")
        .arg(&recs)
        .args(["--display", x.display()])
        .env_remove("DOCKET_SECRET_KEY_FILE")
        .env("OMP_THREAD_LIMIT", "1")
        .output()
        .unwrap();
    let (so, se) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert_eq!(o.status.code(), Some(0), "{so}\n{se}");
    assert!(!contains(&o.stdout, PIN.as_bytes()) && !contains(&o.stderr, PIN.as_bytes()));
    let rows = wait_rows(&saved, 20);
    let expected: Vec<String> = records
        .iter()
        .map(|(d, a, c)| format!("{d},{a},{c},pin_ok"))
        .collect();
    assert_eq!(
        rows, expected,
        "exactly the 20 records, in order, PIN right"
    );
    // The evidence screenshots are masked: the PIN never shows as text there either.
    for f in files_under(dir) {
        if f.extension().is_some_and(|e| e == "py") {
            continue;
        }
        assert!(
            !contains(&std::fs::read(&f).unwrap(), PIN.as_bytes()),
            "the PIN is in {}",
            f.display()
        );
    }
}

/// Once flaky (a clean-clone CI run, 2026-11-29: the Date click's anchor scored 0.747 at replay
/// and its label was not read). Two causes, both fixed and unit-tested: the recorder anchored the
/// Date field on a crop that took in the field's left end, whose frame changes with the focus
/// (a label crop centred on "Date" took in the window edge and matched every row, so it was
/// refused as ambiguous), and OCR of the window region lost every label to Tesseract's global
/// threshold on the light grey form. Labels are now cut from their left edge, only where the crop
/// looks the same before and at the press, and screen OCR whitens light backgrounds first.
#[test]
fn record_one_transaction_by_xdotool_stop_on_hotkey_then_replay_twenty() {
    let dir = TestDir::new();
    let Some((out, script)) = record(dir.path(), Stop::Hotkey) else {
        return;
    };
    let s = check_recording(dir.path(), &out, &script);
    replay_twenty(dir.path(), &s);
}

#[test]
fn record_stops_on_sigint_and_writes_the_same_steps() {
    let dir = TestDir::new();
    let Some((out, script)) = record(dir.path(), Stop::Sigint) else {
        return;
    };
    check_recording(dir.path(), &out, &script);
}

#[test]
fn record_without_a_display_is_e0601_and_bad_hotkeys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.yaml");
    let o = Command::new(docket_bin())
        .arg("record")
        .arg(&out)
        .arg("--no-ocr")
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("DK-E0601") && e.contains("--headless"), "{e}");
    let o = Command::new(docket_bin())
        .arg("record")
        .arg(&out)
        .args(["--display", ":0", "--stop-key", "hyper+x"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("DK-E0204") && e.contains("--stop-key"), "{e}");
    assert!(!out.exists(), "nothing written");
}
