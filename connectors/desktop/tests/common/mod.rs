//! Shared set-up of the desktop tests: an owned Xvfb, the Tk form fixture with its widget boxes,
//! anchors cut from the running app, the form's script, records and the app's saved rows.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use docket_desktop::{Desktop, ReplayOptions, Vars, X11Desktop, Xvfb};

pub const W: u32 = 1024;
pub const H: u32 = 768;

pub fn xvfb_or_skip(test: &str) -> Option<Xvfb> {
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
pub fn python_with_tk() -> String {
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
pub struct App {
    pub child: Child,
    pub widgets: HashMap<String, [u32; 4]>,
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start_app(display: &str, dir: &Path, out: &Path, hide_save: bool) -> App {
    start_app_with(display, dir, out, hide_save, &[])
}

pub fn start_app_with(
    display: &str,
    dir: &Path,
    out: &Path,
    hide_save: bool,
    extra: &[&str],
) -> App {
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
pub fn cut_anchor(desk: &mut X11Desktop, box_: [u32; 4], path: &Path) {
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
pub fn record_script(desk: &mut X11Desktop, app: &App, dir: &Path) -> PathBuf {
    record_script_with(desk, app, dir, true)
}

/// `with_wait`: end with `wait_for` the empty Counterparty field (label + entry, threshold 0.98).
pub fn record_script_with(
    desk: &mut X11Desktop,
    app: &App,
    dir: &Path,
    with_wait: bool,
) -> PathBuf {
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

pub fn vars_of(rec: &[String; 3]) -> Vars {
    let mut vars = Vars::new();
    vars.insert("record.date".into(), rec[0].clone());
    vars.insert("record.amount".into(), rec[1].clone());
    vars.insert("record.counterparty".into(), rec[2].clone());
    vars
}

pub fn records() -> Vec<[String; 3]> {
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

pub fn read_rows(path: &Path) -> Vec<[String; 3]> {
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

pub fn opts(dir: &Path, name: &str) -> ReplayOptions {
    let mut o = ReplayOptions::new(dir.join("evidence").join(name));
    // Generous upper bounds: debug builds on a shared 2-core machine.
    o.click_timeout = Duration::from_secs(20);
    o
}
