//! Shared helpers of the end-to-end scenarios: locate the built `docket` binary, run it, lay out
//! flows in temporary folders and read the SQLite back office they write.

#![allow(dead_code)]

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `docket` binary built by `cargo build --workspace` (the README's test command builds it
/// first; cargo cannot hand another package's binary to these tests).
pub fn docket_bin() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let bin = target.join(profile).join("docket");
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build --workspace` before the end-to-end tests",
        bin.display()
    );
    bin
}

/// Runs docket with `args` and extra environment.
pub fn docket(args: &[&str], env: &[(&str, &str)]) -> Result<Output> {
    let mut cmd = Command::new(docket_bin());
    cmd.args(args)
        .env_remove("DOCKET_FAULT")
        .env_remove("DOCKET_DATA_DIR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().context("cannot start docket")
}

/// Stdout as text.
pub fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Stderr as text.
pub fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A workflow that ingests `dir/inbox` and writes transactions into `dir/backoffice.db`.
pub fn sqlite_flow(dir: &Path, name: &str) -> Result<PathBuf> {
    let yaml = format!(
        r#"version: 1
name: {name}
steps:
  - id: inbox
    ingest: {{ path: inbox, done: done, quarantine: quarantine }}
  - id: read
    extract: {{ from: inbox, schema: bank_statement, languages: eng+chi_sim }}
  - id: store
    write:
      from: read
      sink: {{ sqlite: {{ path: backoffice.db }} }}
      table: transactions
      columns:
        booking_date: record.date
        amount: record.amount
        balance: record.balance
        description: record.description
        counterparty: record.counterparty
        source_sha256: source.sha256
  - id: summary
    report: {{ html: reports/summary.html }}
"#
    );
    std::fs::create_dir_all(dir.join("inbox"))?;
    let path = dir.join("flow.yaml");
    std::fs::write(&path, yaml)?;
    Ok(path)
}

/// One back-office row: (date, amount, balance, description, docket_key).
pub type Row = (String, String, Option<String>, String, String);

/// Rows of the back-office table in insertion order.
pub fn backoffice_rows(db: &Path) -> Result<Vec<Row>> {
    let conn = rusqlite::Connection::open(db)?;
    let mut stmt = conn.prepare(
        "SELECT booking_date, amount, balance, description, docket_key FROM transactions ORDER BY rowid",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// A transfer table with ordinary life (20 salaries from one employer, 20 rents to one landlord
/// each) and a planted fan-in: 12 payers into `MULE` within two days (`F01`..`F12`, each naming
/// the payee `payee_name`), then `X01` takes 90,000.00 onward to `OUT01`.
pub fn planted_fan_in_csv(payee_name: &str) -> String {
    use std::fmt::Write as _;
    let mut csv =
        String::from("txn_id,from_account,to_account,amount,timestamp,currency,channel,to_name\n");
    for p in 0..20 {
        let _ = writeln!(
            csv,
            "S{p:02},EMPLOYER,P{p:02},\"12,500.00\",2026-03-01 09:00:{p:02},CNY,transfer,"
        );
        let _ = writeln!(
            csv,
            "R{p:02},P{p:02},LANDLORD{p:02},4800.00,2026-03-03 10:00:{p:02},CNY,transfer,"
        );
    }
    for i in 1..=12 {
        let _ = writeln!(
            csv,
            "F{i:02},PAYER{i:02},MULE,8000.00,2026-03-10 {:02}:15:00,CNY,transfer,{payee_name}",
            8 + i
        );
    }
    let _ = writeln!(
        csv,
        "X01,MULE,OUT01,90000.00,2026-03-11 16:00:00,CNY,transfer,"
    );
    csv
}

/// Writes `csv` (a transfer table) to `dir/transfers.csv`, screens it with `docket screen` into
/// the data dir `dir/data` (alerts expected: exit 1) and returns that data dir.
pub fn screened(dir: &Path, csv: &str) -> Result<String> {
    let file = dir.join("transfers.csv");
    std::fs::write(&file, csv)?;
    let data = dir.join("data").display().to_string();
    let o = docket(
        &["--data-dir", &data, "screen", &file.display().to_string()],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    Ok(data)
}

/// A password-protected digital statement (password `samples::bad::ENCRYPTED_PDF_PASSWORD`) and
/// the statement it holds.
pub fn encrypted_statement() -> Result<(Vec<u8>, docket_e2e::samples::Statement)> {
    use docket_e2e::samples::{self, Flavour, Spec, Statement};
    let s = Statement::generate(&Spec::march_2026(Flavour::English, "GBP", 77, 15));
    let plain = samples::digital_pdf("plain.pdf", &s)?;
    Ok((samples::bad::encrypted_pdf(&plain.bytes)?, s))
}

/// Serves `app` (an axum router: a real HTTP server) on a free loopback port from a background
/// thread with its own tokio runtime, and returns the address; the server lives until the test
/// process exits.
pub fn serve_loopback(app: axum::Router) -> Result<std::net::SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async move {
            if let Ok(l) = tokio::net::TcpListener::from_std(listener) {
                let _ = axum::serve(l, app).await;
            }
        });
    });
    Ok(addr)
}
