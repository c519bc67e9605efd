//! Shared by the dashboard tests: a data dir with a run whose statement fails its running-balance
//! check (held for review), the planted fan-in case C-MULE with an HTML STR draft prepared by
//! alice, five users (one per role), an evidence file and a file outside the evidence folder;
//! and a real `docket serve` on a free loopback port.

#![allow(dead_code)]

use crate::common::{self, docket, err};
use anyhow::{Context, Result, bail};
use docket_e2e::samples::{self, Flavour, Spec, Statement};
use rust_decimal::Decimal;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Every user's password.
pub const PASSWORD: &str = "correct horse battery staple";
/// (name, role)
pub const USERS: [(&str, &str); 5] = [
    ("oper", "operator"),
    ("alice", "compliance"),
    ("bob", "compliance"),
    ("audrey", "auditor"),
    ("root", "admin"),
];

/// A prepared data dir.
pub struct Fixture {
    /// Keeps the files alive.
    pub dir: tempfile::TempDir,
    /// The data dir.
    pub data: String,
    /// The run with the held document.
    pub run: String,
    /// The held document's SHA-256.
    pub sha: String,
    /// The STR draft prepared by alice.
    pub report: String,
}

/// Builds the fixture.
pub fn fixture() -> Result<Fixture> {
    let dir = tempfile::tempdir()?;
    let flow = common::sqlite_flow(dir.path(), "dash")?
        .display()
        .to_string();
    let mut st = Statement::generate(&Spec::march_2026(Flavour::English, "USD", 11, 6));
    st.entries[2].amount += Decimal::ONE;
    let s = samples::digital_pdf("held.pdf", &st)?;
    samples::write_samples(&[s], &dir.path().join("inbox"), None)?;
    let data = dir.path().join("data").display().to_string();
    let o = docket(&["--data-dir", &data, "run", &flow], &[])?;
    let conn = rusqlite::Connection::open(Path::new(&data).join("docket.db"))?;
    let (run, sha): (String, String) = conn
        .query_row(
            "SELECT run_id, sha256 FROM files WHERE status = 'review'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .with_context(|| format!("no held document: {}{}", common::out(&o), err(&o)))?;

    let csv = dir.path().join("transfers.csv");
    std::fs::write(&csv, common::planted_fan_in_csv("Mule Trading"))?;
    let o = docket(
        &["--data-dir", &data, "screen", &csv.display().to_string()],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let html = dir.path().join("str.html").display().to_string();
    let o = docket(
        &[
            "--data-dir",
            &data,
            "--json",
            "report",
            "str",
            "C-MULE",
            "--format",
            "html",
            "--output",
            &html,
        ],
        &[("DOCKET_USER", "alice")],
    )?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(common::out(&o).trim())?;
    let report = v["report"].as_str().unwrap_or_default().to_string();

    for (name, role) in USERS {
        add_user(&data, name, role, PASSWORD)?;
    }
    std::fs::create_dir_all(Path::new(&data).join("evidence/run1"))?;
    std::fs::write(Path::new(&data).join("evidence/run1/step.txt"), "step 1 ok")?;
    std::fs::write(Path::new(&data).join("outside.txt"), "NOT FOR THE WEB")?;
    Ok(Fixture {
        dir,
        data,
        run,
        sha,
        report,
    })
}

/// `docket user add` with the password on stdin.
pub fn add_user(data: &str, name: &str, role: &str, password: &str) -> Result<()> {
    let mut child = Command::new(common::docket_bin())
        .args([
            "--data-dir",
            data,
            "user",
            "add",
            name,
            "--role",
            role,
            "--user",
            "setup",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    child
        .stdin
        .take()
        .context("stdin")?
        .write_all(password.as_bytes())?;
    let o = child.wait_with_output()?;
    if !o.status.success() {
        bail!("user add {name}: {}", String::from_utf8_lossy(&o.stderr));
    }
    assert!(!String::from_utf8_lossy(&o.stdout).contains(password));
    Ok(())
}

/// A running `docket serve`, stopped when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `docket serve` on a free port of 127.0.0.1.
pub fn serve(data: &str) -> Result<Server> {
    let mut child = Command::new(common::docket_bin())
        .args(["--data-dir", data, "serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .map(|w| w.trim_end_matches('/').to_string());
    match base {
        Some(base) => Ok(Server { child, base }),
        None => {
            let _ = child.kill();
            bail!("docket serve did not print its address: {line}")
        }
    }
}

/// The route table of the binary (`docket serve --routes`).
pub fn routes() -> Result<Vec<(String, String)>> {
    let o = docket(&["serve", "--routes"], &[])?;
    let v: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout)?;
    Ok(v.iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap_or("").to_string(),
                r["path"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect())
}

/// Where screenshots and other artifacts go: `target/dashboard-artifacts/`.
pub fn artifacts() -> Result<PathBuf> {
    let d = common::docket_bin()
        .parent()
        .and_then(Path::parent)
        .context("no target dir")?
        .join("dashboard-artifacts");
    std::fs::create_dir_all(&d)?;
    Ok(d)
}
