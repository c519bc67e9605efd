//! The encrypted secret store through the built binary: `docket secret set` reads the value from
//! stdin, `list` and `get` show metadata only, `get --reveal` prints the value; the value's bytes
//! are in no file of the data dir; a key file open to others or a lost key is DK-E0206 naming the
//! path; and a workflow's `password_secret` is resolved from the store to read an encrypted PDF.

mod common;

use anyhow::{Context, Result};
use common::{backoffice_rows, docket_bin, encrypted_statement, err, out};
use docket_e2e::samples::bad::ENCRYPTED_PDF_PASSWORD;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A secret value whose bytes are searched for on disk.
const VALUE: &str = "Tr0ub4dor&3-horse-battery";

/// Runs docket with `--data-dir data` and `args`, `stdin` piped in; the environment's own secret
/// settings are removed so only `env` applies.
fn docket_in(data: &Path, args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Result<Output> {
    let mut cmd = Command::new(docket_bin());
    cmd.arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("DOCKET_FAULT")
        .env_remove("DOCKET_DATA_DIR")
        .env_remove("DOCKET_SECRET_KEY_FILE")
        .env_remove("DOCKET_SECRET_STATEMENT_PW")
        .env_remove("DOCKET_USER")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().context("cannot start docket")?;
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin)?;
    }
    child.wait_with_output().context("docket did not finish")
}

/// Every regular file under `dir`, recursively.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d)? {
            let p = e?.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.is_file() {
                out.push(p);
            }
        }
    }
    Ok(out)
}

/// The files under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Result<Vec<PathBuf>> {
    let mut hits = Vec::new();
    for p in files_under(dir)? {
        let bytes = std::fs::read(&p)?;
        if bytes.windows(needle.len()).any(|w| w == needle) {
            hits.push(p);
        }
    }
    Ok(hits)
}

fn mode(p: &Path) -> Result<u32> {
    Ok(std::fs::metadata(p)?.permissions().mode() & 0o777)
}

fn ledger_kinds(data: &Path) -> Result<Vec<(String, serde_json::Value)>> {
    let conn = rusqlite::Connection::open(data.join("docket.db"))?;
    let mut stmt = conn.prepare("SELECT kind, payload FROM ledger ORDER BY seq")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .filter(|(k, _)| k.starts_with("secret_"))
        .map(|(k, p)| Ok((k, serde_json::from_str(&p)?)))
        .collect()
}

#[test]
fn set_list_get_reveal_rm_and_no_plaintext_on_disk() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");

    let o = docket_in(
        &data,
        &["secret", "set", "bank-pw", "--user", "alice"],
        &[],
        format!("{VALUE}\n").as_bytes(),
    )?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(!out(&o).contains(VALUE) && !err(&o).contains(VALUE));
    assert!(
        err(&o).contains("secret.key"),
        "key creation is announced: {}",
        err(&o)
    );
    assert_eq!(mode(&data.join("secret.key"))?, 0o600);
    assert_eq!(mode(&data.join("secrets.enc"))?, 0o600);

    let o = docket_in(&data, &["secret", "list"], &[], b"")?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(
        out(&o).contains("bank-pw") && out(&o).contains("alice"),
        "{}",
        out(&o)
    );
    assert!(!out(&o).contains(VALUE));
    let o = docket_in(&data, &["--json", "secret", "list"], &[], b"")?;
    let v: serde_json::Value = serde_json::from_str(out(&o).trim())?;
    assert_eq!(v[0]["name"], "bank-pw");
    assert_eq!(v[0]["updated_by"], "alice");
    assert_eq!(v[0]["length"], VALUE.len());
    assert!(!out(&o).contains(VALUE));

    let o = docket_in(&data, &["secret", "get", "bank-pw"], &[], b"")?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(
        out(&o).contains(&format!("{} bytes", VALUE.len())),
        "{}",
        out(&o)
    );
    assert!(!out(&o).contains(VALUE));

    let o = docket_in(
        &data,
        &["secret", "get", "bank-pw", "--reveal", "--user", "bob"],
        &[],
        b"",
    )?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o), format!("{VALUE}\n"), "the value and one newline");

    // What --reveal prints can be piped back in unchanged.
    let o = docket_in(
        &data,
        &["secret", "set", "copy", "--user", "alice"],
        &[],
        &o.stdout,
    )?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let o = docket_in(
        &data,
        &["secret", "get", "copy", "--reveal", "--user", "bob"],
        &[],
        b"",
    )?;
    assert_eq!(out(&o), format!("{VALUE}\n"));

    assert_eq!(
        files_containing(&data, VALUE.as_bytes())?,
        Vec::<PathBuf>::new(),
        "the value's bytes are in no file of the data dir (store, key, run store, WAL, ledger head)"
    );
    let ledger = ledger_kinds(&data)?;
    let kinds: Vec<&str> = ledger.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "secret_set",
            "secret_revealed",
            "secret_set",
            "secret_revealed"
        ]
    );
    assert_eq!(ledger[1].1["name"], "bank-pw");
    assert_eq!(ledger[1].1["user"], "bob");
    let o = docket_in(&data, &["audit", "verify"], &[], b"")?;
    assert_eq!(o.status.code(), Some(0), "ledger chain intact: {}", err(&o));

    // Refusals: empty value, bad name, unknown name.
    let o = docket_in(
        &data,
        &["secret", "set", "empty", "--user", "a"],
        &[],
        b"\n",
    )?;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("DK-E0204") && err(&o).contains("empty"),
        "{}",
        err(&o)
    );
    let o = docket_in(
        &data,
        &["secret", "set", "Bank PW", "--user", "a"],
        &[],
        b"x",
    )?;
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("lowercase"), "{}", err(&o));
    let o = docket_in(&data, &["secret", "get", "nope"], &[], b"")?;
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("DK-E0205"), "{}", err(&o));

    let o = docket_in(
        &data,
        &["secret", "rm", "bank-pw", "--user", "carol"],
        &[],
        b"",
    )?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let o = docket_in(&data, &["secret", "get", "bank-pw"], &[], b"")?;
    assert!(err(&o).contains("DK-E0205"), "{}", err(&o));
    let o = docket_in(
        &data,
        &["secret", "rm", "bank-pw", "--user", "carol"],
        &[],
        b"",
    )?;
    assert_eq!(o.status.code(), Some(2), "removing twice is an error");
    assert_eq!(
        ledger_kinds(&data)?
            .last()
            .map(|(k, p)| (k.clone(), p["user"].clone())),
        Some(("secret_removed".to_string(), "carol".into()))
    );
    Ok(())
}

#[test]
fn open_or_lost_key_file_is_dk_e0206() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let o = docket_in(
        &data,
        &["secret", "set", "api", "--user", "a"],
        &[],
        VALUE.as_bytes(),
    )?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let key = data.join("secret.key");

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644))?;
    let o = docket_in(
        &data,
        &["secret", "get", "api", "--reveal", "--user", "a"],
        &[],
        b"",
    )?;
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("DK-E0206"), "{}", err(&o));
    assert!(
        err(&o).contains(&format!("chmod 600 {}", key.display())),
        "names the path and the fix: {}",
        err(&o)
    );
    assert!(out(&o).is_empty(), "nothing revealed: {}", out(&o));

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))?;
    std::fs::remove_file(&key)?;
    let o = docket_in(
        &data,
        &["secret", "get", "api", "--reveal", "--user", "a"],
        &[],
        b"",
    )?;
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("DK-E0206"), "{}", err(&o));
    assert!(err(&o).contains(&key.display().to_string()), "{}", err(&o));
    // A lost key is not silently replaced: setting another secret fails too.
    let o = docket_in(&data, &["secret", "set", "other", "--user", "a"], &[], b"v")?;
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("DK-E0206"), "{}", err(&o));
    assert!(!key.exists());
    Ok(())
}

#[test]
fn key_file_elsewhere_through_docket_secret_key_file() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let key = dir.path().join("keys/docket.key");
    let key_s = key.display().to_string();
    let env = [("DOCKET_SECRET_KEY_FILE", key_s.as_str())];
    let o = docket_in(
        &data,
        &["secret", "set", "api", "--user", "a"],
        &env,
        VALUE.as_bytes(),
    )?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(mode(&key)?, 0o600);
    assert!(!data.join("secret.key").exists(), "no key in the data dir");
    let o = docket_in(
        &data,
        &["secret", "get", "api", "--reveal", "--user", "a"],
        &env,
        b"",
    )?;
    assert_eq!(out(&o), format!("{VALUE}\n"), "{}", err(&o));
    // The data dir alone (a copy, a backup) cannot be opened.
    let o = docket_in(
        &data,
        &["secret", "get", "api", "--reveal", "--user", "a"],
        &[],
        b"",
    )?;
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("DK-E0206"), "{}", err(&o));
    Ok(())
}

#[test]
fn flow_reads_an_encrypted_pdf_with_the_password_from_the_store() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let yaml = r#"version: 1
name: locked
steps:
  - id: inbox
    ingest: { path: inbox, done: done, quarantine: quarantine, password_secret: statement-pw }
  - id: read
    extract: { from: inbox, schema: bank_statement }
  - id: store
    write:
      from: read
      sink: { sqlite: { path: backoffice.db } }
      table: transactions
      columns: { booking_date: record.date, amount: record.amount, balance: record.balance, description: record.description }
  - id: summary
    report: { html: reports/summary.html }
"#;
    std::fs::create_dir_all(dir.path().join("inbox"))?;
    let flow = dir.path().join("flow.yaml");
    std::fs::write(&flow, yaml)?;
    let (bytes, s) = encrypted_statement()?;
    std::fs::write(dir.path().join("inbox/locked.pdf"), bytes)?;
    let data = dir.path().join("data");
    let flow_s = flow.display().to_string();

    let o = docket_in(&data, &["run", &flow_s], &[], b"")?;
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("DK-E0205") && err(&o).contains("docket secret set statement-pw"),
        "{}",
        err(&o)
    );

    let o = docket_in(
        &data,
        &["secret", "set", "statement-pw", "--user", "ops"],
        &[],
        format!("{ENCRYPTED_PDF_PASSWORD}\n").as_bytes(),
    )?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));

    // The store comes first: a wrong value in the environment does not replace it.
    let o = docket_in(
        &data,
        &["run", &flow_s],
        &[("DOCKET_SECRET_STATEMENT_PW", "not-the-password")],
        b"",
    )?;
    assert_eq!(o.status.code(), Some(0), "{}\n{}", out(&o), err(&o));
    let rows = backoffice_rows(&dir.path().join("backoffice.db"))?;
    assert_eq!(
        rows.len(),
        s.entries.len(),
        "every transaction of the statement"
    );
    assert!(!out(&o).contains(ENCRYPTED_PDF_PASSWORD) && !err(&o).contains(ENCRYPTED_PDF_PASSWORD));
    let html = std::fs::read_to_string(dir.path().join("reports/summary.html"))?;
    assert!(!html.contains(ENCRYPTED_PDF_PASSWORD));
    assert_eq!(
        files_containing(&data, ENCRYPTED_PDF_PASSWORD.as_bytes())?,
        Vec::<PathBuf>::new(),
        "the password is in no file of the data dir"
    );
    Ok(())
}

#[test]
fn flow_with_a_locked_store_stops_with_dk_e0206() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let o = docket_in(
        &data,
        &["secret", "set", "statement-pw", "--user", "ops"],
        &[],
        ENCRYPTED_PDF_PASSWORD.as_bytes(),
    )?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    std::fs::set_permissions(
        data.join("secret.key"),
        std::fs::Permissions::from_mode(0o640),
    )?;
    let flow = common::sqlite_flow(dir.path(), "locked")?;
    let yaml = std::fs::read_to_string(&flow)?.replace(
        "quarantine: quarantine }",
        "quarantine: quarantine, password_secret: statement-pw }",
    );
    assert!(yaml.contains("password_secret"), "{yaml}");
    std::fs::write(&flow, yaml)?;
    let o = docket_in(&data, &["run", &flow.display().to_string()], &[], b"")?;
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("DK-E0206") && err(&o).contains("chmod 600"),
        "{}",
        err(&o)
    );
    Ok(())
}
