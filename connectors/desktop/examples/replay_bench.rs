//! Replay overhead per step on a 1920×1080 Xvfb with the Tk fixture (release build recommended).
//!
//! `cargo run --release -p docket-desktop --example replay_bench`
//!
//! Replays 10 records into `tests/fixtures/form_app.py` and prints, per kind of step, the median
//! time a step took. Anchor steps include finding the anchor on a fresh capture; every step
//! includes its before/after capture and PNG evidence. The app answers in well under a frame, so
//! this is essentially Docket's own overhead.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use docket_desktop::{Desktop, ReplayOptions, Script, Vars, X11Desktop, Xvfb, replay};

fn main() {
    let xvfb = Xvfb::start(1920, 1080).expect("Xvfb");
    let dir = tempfile::tempdir().unwrap();
    let geometry = dir.path().join("geometry.txt");
    let out = dir.path().join("saved.csv");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/form_app.py");
    let python = ["/usr/bin/python3", "python3"]
        .into_iter()
        .find(|py| {
            Command::new(py)
                .args(["-c", "import tkinter"])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .expect("python3 with tkinter");
    let mut app = Command::new(python)
        .arg(&fixture)
        .arg("--out")
        .arg(&out)
        .arg("--geometry")
        .arg(&geometry)
        .args(["--at", "700,400"])
        .env("DISPLAY", xvfb.display())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        if let Ok(t) = std::fs::read_to_string(&geometry) {
            break t;
        }
        assert!(Instant::now() < deadline, "app did not start");
        std::thread::sleep(Duration::from_millis(50));
    };
    let w: BTreeMap<String, [u32; 4]> = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let n: Vec<u32> = f[1..5].iter().map(|v| v.parse().unwrap()).collect();
            (f[0].to_string(), [n[0], n[1], n[2], n[3]])
        })
        .collect();
    let mut desk = X11Desktop::open(xvfb.display()).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let shot = desk.capture().unwrap();
    std::fs::create_dir_all(dir.path().join("anchors")).unwrap();
    let cut = |b: [u32; 4], name: &str| {
        image::imageops::crop_imm(&shot, b[0], b[1], b[2], b[3])
            .to_image()
            .save(dir.path().join("anchors").join(name))
            .unwrap();
    };
    let (dl, d, s) = (w["date_label"], w["date"], w["save"]);
    cut(dl, "date.png");
    cut([s[0] + 4, s[1] + 4, s[2] - 8, s[3] - 8], "save.png");
    let dx = (d[0] + 15) as i32 - (dl[0] + dl[2] / 2) as i32;
    let dy = (d[1] + d[3] / 2) as i32 - (dl[1] + dl[3] / 2) as i32;
    let yaml = format!(
        "steps:\n  - click: {{anchor: anchors/date.png, offset: [{dx}, {dy}]}}\n  - type: \"{{{{d}}}}\"\n  - key: Tab\n  - type: \"{{{{a}}}}\"\n  - key: Tab\n  - type: \"{{{{c}}}}\"\n  - click: {{anchor: anchors/save.png}}\n"
    );
    std::fs::write(dir.path().join("s.yaml"), yaml).unwrap();
    let script = Script::load(&dir.path().join("s.yaml")).unwrap();
    let mut times: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for i in 0..10 {
        let mut vars = Vars::new();
        vars.insert("d".into(), format!("2026-11-{:02}", i + 1));
        vars.insert("a".into(), format!("{}.00", 100 + i));
        vars.insert("c".into(), format!("Counterparty {i}"));
        let opts = ReplayOptions::new(dir.path().join(format!("ev-{i}")));
        let report = replay(&mut desk, &script, &vars, &opts).unwrap();
        for (step, r) in script.steps.iter().zip(&report.steps) {
            let kind = match step.action {
                docket_desktop::StepAction::Click(_) => "click (locate + click)",
                docket_desktop::StepAction::Type(_) => "type",
                docket_desktop::StepAction::Key(_) => "key",
                _ => "other",
            };
            times
                .entry(kind)
                .or_default()
                .push(r.elapsed.as_secs_f64() * 1000.0);
        }
    }
    println!("1920x1080, 10 records x 7 steps, evidence PNGs on:");
    for (kind, mut v) in times {
        v.sort_by(f64::total_cmp);
        println!(
            "{kind:<24} median {:6.1} ms  worst {:6.1} ms  (n={})",
            v[v.len() / 2],
            v[v.len() - 1],
            v.len()
        );
    }
    let _ = app.kill();
    let _ = app.wait();
}
