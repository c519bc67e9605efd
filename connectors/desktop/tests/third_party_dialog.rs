//! Replay into a real third-party dialog: `zenity --forms` (GTK 3) on an owned Xvfb.
//!
//! Nothing here knows zenity's widget tree: the anchors are found the way the recorder finds
//! them, by reading a screenshot of the running dialog with the real Tesseract CLI (`tesseract
//! … --psm 11 tsv` on a 2× upscale) and cutting the label and button boxes out of that
//! screenshot. The click point of each field is where the entry's white interior starts to the
//! right of its label. zenity's own stdout and exit status are the oracle. zenity draws and takes
//! input on a bare Xvfb (no window manager needed). Skips (with a message) only when Xvfb cannot
//! start; a missing `zenity` or `tesseract` fails with the package to install.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use docket_desktop::{
    Desktop, ReplayError, ReplayOptions, Script, Template, Vars, X11Desktop, Xvfb, replay,
};
use image::RgbaImage;
use image::imageops::{FilterType, crop_imm, resize};

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

fn require(program: &str, package: &str) {
    let found = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    assert!(
        found,
        "{program} not found: install the Debian package {package} (installer/install.sh TEST_PKGS)"
    );
}

/// A running `zenity --forms` dialog, killed on drop.
struct Dialog {
    child: Child,
    stdout: Option<ChildStdout>,
}

impl Drop for Dialog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Dialog {
    fn start(display: &str, extra: &[&str]) -> Dialog {
        require("zenity", "zenity");
        let mut child = Command::new("zenity")
            .args(["--forms", "--title", "Beneficiary"])
            .args(["--add-entry", "Account name"])
            .args(["--add-entry", "Reference"])
            .args(["--add-entry", "Amount"])
            .args(extra)
            .env("DISPLAY", display)
            .env("GDK_BACKEND", "x11")
            // No accessibility bus on a bare Xvfb: without this GTK waits for it and warns.
            .env("NO_AT_BRIDGE", "1")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("XDG_SESSION_TYPE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start zenity");
        let stdout = child.stdout.take();
        Dialog { child, stdout }
    }

    fn still_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits (up to 20 s) for zenity to exit; its whole stdout and its status.
    fn finish(&mut self) -> (String, ExitStatus) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < deadline, "zenity did not exit");
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut out = String::new();
        if let Some(mut s) = self.stdout.take() {
            s.read_to_string(&mut out).unwrap();
        }
        (out, status)
    }

    /// Kills zenity and returns what it had written (nothing, unless something was submitted).
    fn kill(&mut self) -> String {
        let _ = self.child.kill();
        self.finish().0
    }
}

/// A word Tesseract read, in screen pixels.
#[derive(Debug, Clone)]
struct Word {
    text: String,
    x: u32,
    y: u32,
    w: u32,
    h: u32,
}

/// Words on `shot` read by the Tesseract CLI. GTK's 9 px-high labels are below what Tesseract
/// reads reliably, so the screenshot is upscaled 2× first; `--psm 11` (sparse text) suits a
/// screen of scattered labels better than page layout analysis.
fn ocr_words(shot: &RgbaImage, dir: &Path) -> Vec<Word> {
    let big = resize(
        shot,
        shot.width() * 2,
        shot.height() * 2,
        FilterType::CatmullRom,
    );
    let png = dir.join("ocr-2x.png");
    big.save(&png).unwrap();
    let out = Command::new("tesseract")
        .arg(&png)
        .args(["-", "--psm", "11", "tsv"])
        // Debian's libtesseract uses OpenMP; on 2 cores the default threading is much slower.
        .env("OMP_THREAD_LIMIT", "1")
        .stderr(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("tesseract: {e}: install tesseract-ocr tesseract-ocr-eng"));
    assert!(out.status.success(), "tesseract failed: {}", out.status);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|row| {
            let f: Vec<&str> = row.split('\t').collect();
            let text = f.get(11)?.trim();
            if f[0] != "5" || text.is_empty() {
                return None;
            }
            let n = |i: usize| f[i].parse::<u32>().ok().map(|v| v / 2);
            Some(Word {
                text: text.to_string(),
                x: n(6)?,
                y: n(7)?,
                w: n(8)?.max(1),
                h: n(9)?.max(1),
            })
        })
        .collect()
}

/// Captures and OCRs until every word in `needed` is on screen (zenity takes a moment to draw).
fn wait_for_words(desk: &mut X11Desktop, needed: &[&str], dir: &Path) -> (RgbaImage, Vec<Word>) {
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut seen = Vec::new();
    loop {
        let shot = desk.capture().unwrap();
        // Skip OCR while the screen is still empty (all one colour).
        let first = *shot.get_pixel(0, 0);
        if shot.pixels().any(|p| *p != first) {
            let words = ocr_words(&shot, dir);
            if needed.iter().all(|n| words.iter().any(|w| w.text == *n)) {
                return (shot, words);
            }
            seen = words.into_iter().map(|w| w.text).collect();
        }
        assert!(
            Instant::now() < deadline,
            "the dialog never showed {needed:?}; Tesseract read {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn word<'a>(words: &'a [Word], text: &str) -> &'a Word {
    words
        .iter()
        .find(|w| w.text == text)
        .unwrap_or_else(|| panic!("{text:?} not read"))
}

/// The union of word boxes, padded by `px` / `py`, as (x, y, w, h).
fn padded(words: &[&Word], px: u32, py: u32) -> [u32; 4] {
    let x0 = words.iter().map(|w| w.x).min().unwrap() - px;
    let y0 = words.iter().map(|w| w.y).min().unwrap() - py;
    let x1 = words.iter().map(|w| w.x + w.w).max().unwrap() + px;
    let y1 = words.iter().map(|w| w.y + w.h).max().unwrap() + py;
    [x0, y0, x1 - x0, y1 - y0]
}

fn cut(shot: &RgbaImage, b: [u32; 4], path: &Path) {
    let crop = crop_imm(shot, b[0], b[1], b[2], b[3]).to_image();
    assert!(
        Template::new(&crop).is_some(),
        "anchor {} {b:?} has no contrast",
        path.display()
    );
    crop.save(path).unwrap();
}

/// The first pixel right of the label (on its middle row) that is the entry's white interior.
fn entry_start(shot: &RgbaImage, label: [u32; 4]) -> u32 {
    let y = label[1] + label[3] / 2;
    (label[0] + label[2]..shot.width().min(label[0] + label[2] + 200))
        .find(|&x| shot.get_pixel(x, y).0[..3].iter().all(|&c| c >= 253))
        .unwrap_or_else(|| panic!("no entry right of the label at {label:?}"))
}

/// Where the recorded clicks went, for assertions.
struct Recorded {
    script: PathBuf,
    /// (field label anchor box, click point) per field, in script order.
    fields: Vec<([u32; 4], (i32, i32))>,
    ok: [u32; 4],
}

/// "Records" filling the dialog: OCRs the screen, cuts label and button anchors, writes the
/// script with each field's click as an offset from its label's centre.
fn record(desk: &mut X11Desktop, dir: &Path) -> Recorded {
    let (shot, words) = wait_for_words(desk, &["Account", "Reference", "Amount", "OK"], dir);
    let anchors = dir.join("anchors");
    std::fs::create_dir_all(&anchors).unwrap();
    let mut account = vec![word(&words, "Account")];
    // "name" on the same line belongs to the label.
    if let Some(n) = words
        .iter()
        .find(|w| w.text == "name" && w.y.abs_diff(account[0].y) < 6 && w.x > account[0].x)
    {
        account.push(n);
    }
    let fields = [
        ("account-name", "Account name", account),
        ("reference", "Reference", vec![word(&words, "Reference")]),
        ("amount", "Amount", vec![word(&words, "Amount")]),
    ];
    let mut yaml = String::from("steps:\n");
    let mut clicks = Vec::new();
    for (file, label, ws) in fields {
        let b = padded(&ws, 3, 3);
        cut(&shot, b, &anchors.join(format!("{file}.png")));
        // 30 px into the entry, on the label's middle row.
        let at = (entry_start(&shot, b) as i32 + 30, (b[1] + b[3] / 2) as i32);
        let centre = ((b[0] + b[2] / 2) as i32, (b[1] + b[3] / 2) as i32);
        let (dx, dy) = (at.0 - centre.0, at.1 - centre.1);
        let var = file.replace('-', "_");
        yaml += &format!(
            "  - name: {label} field\n    click: {{anchor: anchors/{file}.png, offset: [{dx}, {dy}]}}\n  - type: \"{{{{beneficiary.{var}}}}}\"\n"
        );
        clicks.push((b, at));
    }
    // The OK button's face around its text (the button border is left out, as the recorder does).
    let ok = padded(&[word(&words, "OK")], 8, 5);
    cut(&shot, ok, &anchors.join("ok.png"));
    let cancel = padded(&[word(&words, "Cancel")], 6, 5);
    cut(&shot, cancel, &anchors.join("cancel.png"));
    yaml += "  - name: OK\n    click: {anchor: anchors/ok.png}\n";
    let script = dir.join("beneficiary.yaml");
    std::fs::write(&script, yaml).unwrap();
    std::fs::write(
        dir.join("cancel.yaml"),
        "steps:\n  - name: Cancel\n    click: {anchor: anchors/cancel.png}\n",
    )
    .unwrap();
    Recorded {
        script,
        fields: clicks,
        ok,
    }
}

fn beneficiary() -> Vars {
    let mut v = Vars::new();
    v.insert("beneficiary.account_name".into(), "Zhōu Bank 周".into());
    v.insert(
        "beneficiary.reference".into(),
        "INV-2026/0042 Müller".into(),
    );
    v.insert("beneficiary.amount".into(), "12,345.67".into());
    v
}

fn opts(dir: &Path, name: &str) -> ReplayOptions {
    let mut o = ReplayOptions::new(dir.join("evidence").join(name));
    // Generous upper bound: debug builds on a shared 2-core machine.
    o.click_timeout = Duration::from_secs(20);
    o
}

#[test]
fn replay_fills_a_zenity_forms_dialog_and_zenity_prints_the_values() {
    let Some(xvfb) =
        xvfb_or_skip("replay_fills_a_zenity_forms_dialog_and_zenity_prints_the_values")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut desk = X11Desktop::open(xvfb.display()).unwrap();
    let mut dialog = Dialog::start(xvfb.display(), &[]);
    let rec = record(&mut desk, dir.path());
    let script = Script::load(&rec.script).unwrap();
    assert_eq!(script.steps.len(), 7);

    let vars = beneficiary();
    let report = replay(&mut desk, &script, &vars, &opts(dir.path(), "fill"))
        .unwrap_or_else(|e| panic!("replay: {e}"));
    assert_eq!(report.steps.len(), 7);
    // Each field's label was found where it was recorded (the dialog did not move), at scale 1.
    let clicks: Vec<_> = report
        .steps
        .iter()
        .filter_map(|s| s.anchor.as_ref())
        .collect();
    assert_eq!(clicks.len(), 4);
    for (hit, (label, _)) in clicks.iter().zip(&rec.fields) {
        assert!(hit.found.score >= 0.85, "{hit:?}");
        assert!((hit.found.scale - 1.0).abs() < 0.01, "{hit:?}");
        assert_eq!((hit.found.x, hit.found.y), (label[0], label[1]), "{hit:?}");
    }
    assert_eq!(
        (clicks[3].found.x, clicks[3].found.y),
        (rec.ok[0], rec.ok[1])
    );
    for s in &report.steps {
        assert!(
            s.before.is_file() && s.after.is_file(),
            "evidence of step {}",
            s.step
        );
    }

    // zenity's own output is the oracle: the three values in field order, '|'-separated.
    let (out, status) = dialog.finish();
    assert!(status.success(), "zenity exit status {status}");
    assert_eq!(out, "Zhōu Bank 周|INV-2026/0042 Müller|12,345.67\n");
}

#[test]
fn replay_fails_clearly_when_the_ok_button_is_missing_and_cancel_still_works() {
    let Some(xvfb) =
        xvfb_or_skip("replay_fails_clearly_when_the_ok_button_is_missing_and_cancel_still_works")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut desk = X11Desktop::open(xvfb.display()).unwrap();
    // Recorded on the usual dialog…
    let rec = {
        let mut d = Dialog::start(xvfb.display(), &[]);
        let rec = record(&mut desk, dir.path());
        assert_eq!(d.kill(), "", "nothing submitted while recording");
        rec
    };
    let script = Script::load(&rec.script).unwrap();
    // …replayed on a build of the dialog whose OK button is now labelled "Submit".
    let mut dialog = Dialog::start(xvfb.display(), &["--ok-label", "Submit"]);
    let (_, words) = wait_for_words(&mut desk, &["Amount", "Submit"], dir.path());
    assert!(!words.iter().any(|w| w.text == "OK"), "OK is really gone");

    let mut o = opts(dir.path(), "missing-ok");
    // The dialog is already up (read above): the anchors need no long wait, and the failing step
    // gives up after this.
    o.click_timeout = Duration::from_secs(3);
    let err = replay(&mut desk, &script, &beneficiary(), &o).expect_err("OK is gone");
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
            assert_eq!((step, name.as_str()), (7, "OK"));
            assert_eq!(anchor, Path::new("anchors/ok.png"));
            assert!(
                best_score < threshold && best_score > -1.0,
                "best {best_score}"
            );
            assert!(screenshot.is_file(), "{}", screenshot.display());
            assert!(
                msg.contains("step 7 (OK)") && msg.contains("best score"),
                "{msg}"
            );
            assert!(msg.contains(&screenshot.display().to_string()), "{msg}");
            let shot = image::open(&screenshot).unwrap();
            assert_eq!((shot.width(), shot.height()), (W, H));
        }
        other => panic!("expected AnchorNotFound, got {other}"),
    }
    // Typed values never reach the error, and the dialog was not submitted.
    for v in beneficiary().values() {
        assert!(!msg.contains(v.as_str()), "{msg}");
    }
    assert!(dialog.still_running(), "the dialog must still be open");

    // The clerk's way out still works: Cancel closes the dialog with exit status 1, no output.
    o.evidence_dir = dir.path().join("evidence").join("cancel");
    let cancel = Script::load(&dir.path().join("cancel.yaml")).unwrap();
    replay(&mut desk, &cancel, &Vars::new(), &o).unwrap_or_else(|e| panic!("cancel: {e}"));
    let (out, status) = dialog.finish();
    assert_eq!(status.code(), Some(1), "zenity exit status {status}");
    assert_eq!(out, "");
}
