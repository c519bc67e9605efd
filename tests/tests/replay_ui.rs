//! `docket replay` end to end under Xvfb with a real X client (the Tk form of
//! `connectors/desktop/tests/fixtures/form_app.py`): anchors are cut from the running app the way
//! a recorder cuts them, then the built binary replays the script for five records on a headless
//! display it starts itself, with the app started by `--app`; the app's own saved file must hold
//! exactly those records, each step leaves evidence, and the ledger lists each record. With the
//! Save button hidden, the replay stops with DK-E0602 naming the step, the best score and the
//! screenshot, and nothing is saved. The same script looped with `for_each`, a secret and
//! `on_error: skip_record` enters the good records once and names the skipped one; `--dry-run`
//! and `--step-through` are checked on the way; the default log level shows no input-library
//! noise. Skips only when Xvfb cannot start here.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test set-up: a panic is the failure report

mod common;

use common::{docket, err, out};
use docket_desktop::{Desktop, X11Desktop, Xvfb};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

struct App(Child);

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the form on `display` and returns it with its widget boxes.
fn start_app(display: &str, dir: &Path) -> (App, HashMap<String, [u32; 4]>) {
    let geometry = dir.join("geometry.txt");
    let child = Command::new(python_with_tk())
        .arg(fixture())
        .arg("--out")
        .arg(dir.join("recording.csv"))
        .arg("--geometry")
        .arg(&geometry)
        .env("DISPLAY", display)
        .stdin(Stdio::null())
        .spawn()
        .expect("start form_app.py");
    let app = App(child);
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
            let n: Vec<u32> = f[1..5].iter().map(|v| v.parse().unwrap()).collect();
            (f[0].to_string(), [n[0], n[1], n[2], n[3]])
        })
        .collect();
    (app, widgets)
}

fn cut(desk: &mut X11Desktop, b: [u32; 4], path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let shot = desk.capture().unwrap();
        let crop = image::imageops::crop_imm(&shot, b[0], b[1], b[2], b[3]).to_image();
        if docket_desktop::Template::new(&crop).is_some() {
            crop.save(path).unwrap();
            return;
        }
        assert!(Instant::now() < deadline, "anchor box {b:?} stayed blank");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// "Records" the form on a 1024×768 Xvfb: anchors and the script.
fn record(dir: &Path) -> Option<PathBuf> {
    let x = match Xvfb::start(1024, 768) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("SKIP: Xvfb cannot start here: {e}");
            return None;
        }
    };
    let (_app, w) = start_app(x.display(), dir);
    let mut desk = X11Desktop::open(x.display()).unwrap();
    let anchors = dir.join("anchors");
    std::fs::create_dir_all(&anchors).unwrap();
    let date = w["date_label"];
    let (cl, ce) = (w["counterparty_label"], w["counterparty"]);
    cut(&mut desk, date, &anchors.join("date.png"));
    cut(
        &mut desk,
        [cl[0], ce[1], ce[0] + ce[2] - cl[0], ce[3]],
        &anchors.join("empty.png"),
    );
    let [sx, sy, sw, sh] = w["save"];
    cut(
        &mut desk,
        [sx + 4, sy + 4, sw - 8, sh - 8],
        &anchors.join("save.png"),
    );
    let dx = (w["date"][0] + 15) as i32 - (date[0] + date[2] / 2) as i32;
    let dy = (w["date"][1] + w["date"][3] / 2) as i32 - (date[1] + date[3] / 2) as i32;
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
  - name: form cleared
    wait_for: {{anchor: anchors/empty.png, threshold: 0.98, timeout: 20s}}
"#
    );
    let path = dir.join("form.yaml");
    std::fs::write(&path, yaml).unwrap();
    Some(path)
}

const RECORDS: [(&str, &str, &str); 5] = [
    ("2026-03-02", "1200.00", "ACME Ltd"),
    ("2026-03-03", "-45.10", "Müller GmbH"),
    ("2026-03-04", "99999.99", "Banco Sol SA"),
    ("2026-03-05", "0.01", "Øresund Shipping"),
    ("2026-03-06", "777.00", "North Wind"),
];

#[test]
fn replay_enters_each_record_into_the_desktop_app_headless() {
    let dir = tempfile::tempdir().unwrap();
    let Some(script) = record(dir.path()) else {
        return;
    };
    let recs: String = RECORDS
        .iter()
        .map(|(d, a, c)| {
            serde_json::json!({"date": d, "amount": a, "counterparty": c}).to_string() + "\n"
        })
        .collect();
    let records = dir.path().join("records.jsonl");
    std::fs::write(&records, recs).unwrap();
    let data = dir.path().join("data").display().to_string();
    let saved = dir.path().join("saved.csv");
    let app = |extra: &str| {
        format!(
            "exec {} {} --out {} {extra}",
            python_with_tk(),
            fixture().display(),
            saved.display()
        )
    };
    let args = |app_cmd: &str| {
        vec![
            "--data-dir".to_owned(),
            data.clone(),
            "--json".into(),
            "replay".into(),
            script.display().to_string(),
            "--records".into(),
            records.display().to_string(),
            "--headless".into(),
            "--screen".into(),
            "1024x768".into(),
            "--app".into(),
            app_cmd.to_owned(),
        ]
    };
    let a = args(&app(""));
    let o = docket(&a.iter().map(String::as_str).collect::<Vec<_>>(), &[]).unwrap();
    assert_eq!(o.status.code(), Some(0), "{}\n{}", out(&o), err(&o));
    // Only what a user can act on: the input library's notes on X11 stay at debug level.
    let e = err(&o);
    assert!(
        !e.contains("fast text entry") && !e.contains("is unmapped") && !e.contains("WARN"),
        "no noise at the default level: {e}"
    );
    let rows: Vec<String> = std::fs::read_to_string(&saved)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let expected: Vec<String> = RECORDS
        .iter()
        .map(|(d, a, c)| format!("{d},{a},{c}"))
        .collect();
    assert_eq!(rows, expected, "exactly the records, in order, once");
    let v: serde_json::Value = serde_json::from_str(out(&o).trim()).unwrap();
    assert_eq!(v["done"], 5);
    let evidence = PathBuf::from(v["evidence"].as_str().unwrap());
    assert!(evidence.join("record-0005/step-008-after.png").is_file());

    // The Save button is gone: the replay stops at the save step of record 1 and saves nothing.
    std::fs::remove_file(&saved).unwrap();
    let a = args(&app("--hide-save"));
    let o = docket(&a.iter().map(String::as_str).collect::<Vec<_>>(), &[]).unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let e = err(&o);
    assert!(
        e.contains("DK-E0602") && e.contains("save") && e.contains("record 1 of 5"),
        "{e}"
    );
    assert!(e.contains(".png"), "the failure names its screenshot: {e}");
    assert!(!saved.exists() || std::fs::read_to_string(&saved).unwrap().is_empty());

    // The ledger: five records entered, one failure, and the chain verifies.
    let conn = rusqlite::Connection::open(Path::new(&data).join("docket.db")).unwrap();
    let count = |kind: &str| -> i64 {
        conn.query_row("SELECT count(*) FROM ledger WHERE kind = ?1", [kind], |r| {
            r.get(0)
        })
        .unwrap()
    };
    assert_eq!(count("replay_record"), 5);
    assert_eq!(count("replay_failed"), 1);
    let o = docket(&["--data-dir", &data, "audit", "verify"], &[]).unwrap();
    assert!(o.status.success(), "{}", out(&o));
}

/// The recorded script turned into one replay looping over the records: the counterparty comes
/// from the secret store (here its container stand-in, `DOCKET_SECRET_CP_REF`), record 3 lacks
/// its date and is skipped by `on_error`, the rest are entered once. `--dry-run` checks the
/// secret, anchors and records first without a display; `--step-through` stops when told to.
#[test]
fn replay_loops_over_records_with_a_secret_skips_a_bad_one_and_checks_first() {
    let dir = tempfile::tempdir().unwrap();
    let Some(script) = record(dir.path()) else {
        return;
    };
    let recorded = std::fs::read_to_string(&script).unwrap();
    let body: String = recorded
        .lines()
        .skip(1)
        .map(|l| format!("      {l}\n"))
        .collect::<String>()
        .replacen(
            "        - type: \"{{record.date}}\"\n",
            "        - type: \"{{record.date}}\"\n          on_error: {then: skip_record}\n",
            1,
        )
        .replace(
            "        - type: \"{{record.counterparty}}\"\n",
            "        - type: {secret: cp_ref}\n",
        );
    let looped = dir.path().join("looped.yaml");
    std::fs::write(
        &looped,
        format!("steps:\n  - for_each:\n      steps:\n{body}"),
    )
    .unwrap();
    let recs: String = RECORDS
        .iter()
        .enumerate()
        .map(|(i, (d, a, c))| {
            let mut v = serde_json::json!({"date": d, "amount": a, "counterparty": c});
            if i == 2 {
                v.as_object_mut().unwrap().remove("date");
            }
            v.to_string() + "\n"
        })
        .collect();
    let records = dir.path().join("records.jsonl");
    std::fs::write(&records, recs).unwrap();
    let data = dir.path().join("data").display().to_string();
    let saved = dir.path().join("saved.csv");
    let secret = "CP-REF-0042-XYZ";
    let looped_s = looped.display().to_string();
    let records_s = records.display().to_string();
    let base = [
        "--data-dir",
        &data,
        "--json",
        "replay",
        &looped_s,
        "--records",
        &records_s,
    ];

    // Dry run without the secret: refused before any display is touched.
    let o = docket(&[&base[..], &["--dry-run"]].concat(), &[]).unwrap();
    assert_ne!(o.status.code(), Some(0));
    assert!(
        err(&o).contains("DK-E0205") && err(&o).contains("docket secret set cp_ref"),
        "{}",
        err(&o)
    );
    // With it: the plan, and nothing run.
    let env = [("DOCKET_SECRET_CP_REF", secret)];
    let o = docket(&[&base[..], &["--dry-run"]].concat(), &env).unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let plan: serde_json::Value = serde_json::from_str(out(&o).trim()).unwrap();
    assert_eq!(plan["for_each"], true);
    assert_eq!(plan["records"], 5);
    assert_eq!(plan["runs"], 1);
    assert_eq!(plan["secrets"], serde_json::json!(["cp_ref"]));
    assert_eq!(plan["steps"][0], "1  for_each");
    assert!(!out(&o).contains(secret));

    let app = format!(
        "exec {} {} --out {}",
        python_with_tk(),
        fixture().display(),
        saved.display()
    );
    let display = ["--headless", "--screen", "1024x768", "--app", &app];
    // Step-through, answered "q" at the first step: nothing is entered.
    let mut child = std::process::Command::new(common::docket_bin())
        .args([&base[..], &display[..], &["--step-through"]].concat())
        .envs(env)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"q\n").unwrap();
    }
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert!(err(&o).contains("stopped by the operator"), "{}", err(&o));
    assert!(!saved.exists() || std::fs::read_to_string(&saved).unwrap().is_empty());

    // The real run: four records entered, record 3 skipped and named.
    let o = docket(&[&base[..], &display[..]].concat(), &env).unwrap();
    assert_eq!(o.status.code(), Some(1), "{}\n{}", out(&o), err(&o));
    let e = err(&o);
    assert!(
        e.contains("1 of 5 record(s) skipped")
            && e.contains("record 3")
            && e.contains("record.date"),
        "{e}"
    );
    let rows: Vec<String> = std::fs::read_to_string(&saved)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let expected: Vec<String> = RECORDS
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 2)
        .map(|(_, (d, a, _))| format!("{d},{a},{secret}"))
        .collect();
    assert_eq!(rows, expected, "exactly the four good records, once each");
    let v: serde_json::Value = serde_json::from_str(out(&o).trim()).unwrap();
    assert_eq!(v["done"], 4);
    // The secret is nowhere in what Docket printed or ledgered.
    assert!(!out(&o).contains(secret) && !e.contains(secret));
    let conn = rusqlite::Connection::open(Path::new(&data).join("docket.db")).unwrap();
    let ledger: Vec<String> = conn
        .prepare("SELECT kind || ' ' || payload FROM ledger")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        ledger
            .iter()
            .filter(|l| l.starts_with("replay_record "))
            .count(),
        4
    );
    assert_eq!(
        ledger
            .iter()
            .filter(|l| l.starts_with("replay_skipped "))
            .count(),
        1
    );
    assert!(ledger.iter().all(|l| !l.contains(secret)));
}
