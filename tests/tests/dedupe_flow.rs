//! Natural-key de-duplication across files: the same statement dropped twice as different files
//! (the digital PDF and the xlsx of one period) reaches the back office once, the run reports
//! the duplicates (`--json`, the run summary, the ledger entry of the document naming who had
//! them), and `dedupe: off` writes both. Equal rows of one document are told apart by their
//! occurrence index: a second file with the same two coffees duplicates both, a third coffee is
//! new. A kill between staging and delivery loses nothing and duplicates nothing. The same holds
//! with a PostgreSQL back office (`DOCKET_TEST_PG_URL`, as in postgres_flow.rs).

mod common;

use anyhow::Result;
use chrono::NaiveDate;
use common::{backoffice_rows, docket, err, out};
use docket_e2e::samples::{self, Entry, Flavour, Sample, Spec, Statement};
use rust_decimal::Decimal;
use std::path::Path;
use std::str::FromStr;

/// A flow reading `dir/inbox` into `dir/backoffice.db`, with `dedupe` set when given.
fn flow(dir: &Path, dedupe: Option<&str>) -> Result<String> {
    let dedupe = dedupe
        .map(|d| format!("      dedupe: {d}\n"))
        .unwrap_or_default();
    let yaml = format!(
        r#"version: 1
name: dedupe
steps:
  - id: inbox
    ingest: {{ path: inbox, done: done, quarantine: quarantine }}
  - id: read
    extract: {{ from: inbox, schema: bank_statement }}
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
        account: fields.account_number
        source_sha256: source.sha256
{dedupe}  - id: summary
    report: {{ html: reports/summary.html }}
"#
    );
    std::fs::create_dir_all(dir.join("inbox"))?;
    let path = dir.join("flow.yaml");
    std::fs::write(&path, yaml)?;
    Ok(path.display().to_string())
}

/// `docket --json run`: the exit code and the outcome.
fn run(dir: &Path, flow: &str, env: &[(&str, &str)]) -> Result<(Option<i32>, serde_json::Value)> {
    let data = dir.join("data").display().to_string();
    let o = docket(&["--json", "--data-dir", &data, "run", flow], env)?;
    let v = serde_json::from_str(out(&o).trim()).unwrap_or(serde_json::Value::Null);
    if o.status.code() == Some(0) {
        assert!(
            v.is_object(),
            "docket run --json prints the outcome: {}",
            out(&o)
        );
    } else {
        eprintln!("docket run exited {:?}: {}", o.status.code(), err(&o));
    }
    Ok((o.status.code(), v))
}

fn sorted_amounts(rows: &[common::Row]) -> Vec<String> {
    let mut a: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
    a.sort();
    a
}

fn truth_amounts<'a>(samples: impl IntoIterator<Item = &'a Sample>) -> Vec<String> {
    let mut a: Vec<String> = samples
        .into_iter()
        .flat_map(|s| s.truth.records.iter().map(|r| r.amount.to_string()))
        .collect();
    a.sort();
    a
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The payload of the staging ledger entry of document `sha` in the run store of `dir`.
fn staging_entry(dir: &Path, sha: &str) -> Result<serde_json::Value> {
    let conn = rusqlite::Connection::open(dir.join("data").join("docket.db"))?;
    let mut stmt = conn.prepare(
        "SELECT payload FROM ledger WHERE kind IN ('file_extracted', 'file_held_for_review') ORDER BY seq",
    )?;
    let payloads: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for p in payloads {
        let v: serde_json::Value = serde_json::from_str(&p)?;
        if v["sha256"] == sha {
            return Ok(v);
        }
    }
    anyhow::bail!("no staging entry for {sha}")
}

/// The PDF and the xlsx of two statements (English and Chinese, with times), in name order PDF
/// first.
fn pairs() -> Result<Vec<Sample>> {
    let en = Statement::generate(&Spec::march_2026(Flavour::English, "USD", 91, 24));
    let zh = Statement::generate(&Spec::march_2026(Flavour::Chinese, "CNY", 92, 18));
    Ok(vec![
        samples::digital_pdf("a-en-2026-03.pdf", &en)?,
        samples::xlsx("b-en-2026-03.xlsx", &en)?,
        samples::digital_pdf("c-zh-2026-03.pdf", &zh)?,
        samples::xlsx("d-zh-2026-03.xlsx", &zh)?,
    ])
}

#[test]
fn pdf_and_xlsx_of_one_statement_are_written_once() -> Result<()> {
    let set = pairs()?;
    let firsts = [&set[0], &set[2]];
    let n: usize = firsts.iter().map(|s| s.truth.records.len()).sum();

    // Default (natural_key): every transaction once, the second file of each pair reported.
    let dir = tempfile::tempdir()?;
    let f = flow(dir.path(), None)?;
    samples::write_samples(&set, &dir.path().join("inbox"), None)?;
    let (code, v) = run(dir.path(), &f, &[])?;
    assert_eq!(code, Some(0), "{v}");
    let rows = backoffice_rows(&dir.path().join("backoffice.db"))?;
    assert_eq!(rows.len(), n, "each transaction exactly once");
    assert_eq!(sorted_amounts(&rows), truth_amounts(firsts));
    assert_eq!(v["natural_duplicates"], n, "{v}");
    assert_eq!(v["written"], n, "{v}");
    assert_eq!(v["not_deduplicated"], 0, "{v}");
    assert_eq!(v["done"], 4, "{v}");
    for (first, second) in [(&set[0], &set[1]), (&set[2], &set[3])] {
        assert!(dir.path().join("done").join(&second.name).is_file());
        let entry = staging_entry(dir.path(), &sha256(&second.bytes))?;
        let dups = entry["duplicates"].as_array().cloned().unwrap_or_default();
        assert_eq!(dups.len(), first.truth.records.len(), "{entry}");
        for (i, d) in dups.iter().enumerate() {
            assert_eq!(d["record"], i, "{d}");
            assert_eq!(d["step"], "store", "{d}");
            assert_eq!(d["delivered_by"]["sha256"], sha256(&first.bytes), "{d}");
            assert_eq!(d["delivered_by"]["record"], i, "{d}");
            assert_eq!(d["delivered_by"]["run"], v["run_id"], "{d}");
        }
        let first_entry = staging_entry(dir.path(), &sha256(&first.bytes))?;
        assert!(first_entry.get("duplicates").is_none(), "{first_entry}");
    }
    // The run summary in the store says the same as --json, and the report shows the note.
    let conn = rusqlite::Connection::open(dir.path().join("data").join("docket.db"))?;
    let summary: String = conn.query_row(
        "SELECT summary FROM runs WHERE id = ?1",
        [v["run_id"].as_str().unwrap_or("")],
        |r| r.get(0),
    )?;
    let summary: serde_json::Value = serde_json::from_str(&summary)?;
    assert_eq!(summary["natural_duplicates"], n);
    let report = std::fs::read_to_string(dir.path().join("reports/summary.html"))?;
    assert!(
        report.contains(&format!("{n} duplicate(s) of other files not written")),
        "the report counts the duplicates"
    );
    assert!(
        report.contains("not written again"),
        "and notes them per file"
    );

    // The same files again in a later run: nothing new, and they are the same documents, not
    // natural duplicates.
    samples::write_samples(&set, &dir.path().join("inbox"), None)?;
    let (code, v) = run(dir.path(), &f, &[])?;
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(backoffice_rows(&dir.path().join("backoffice.db"))?.len(), n);
    assert_eq!(v["written"], 0, "{v}");

    // dedupe: off, fresh data dir and back office: both files of each pair are written.
    let dir = tempfile::tempdir()?;
    let f = flow(dir.path(), Some("off"))?;
    samples::write_samples(&set, &dir.path().join("inbox"), None)?;
    let (code, v) = run(dir.path(), &f, &[])?;
    assert_eq!(code, Some(0), "{v}");
    let rows = backoffice_rows(&dir.path().join("backoffice.db"))?;
    assert_eq!(rows.len(), 2 * n, "dedupe: off writes both files");
    assert_eq!(sorted_amounts(&rows), truth_amounts(&set));
    assert_eq!(v["natural_duplicates"], 0, "{v}");
    Ok(())
}

#[test]
fn killed_between_staging_and_delivery_loses_and_repeats_nothing() -> Result<()> {
    let set = pairs()?;
    let n = set[0].truth.records.len() + set[2].truth.records.len();
    // after_outbox:1 — the PDF is staged (its keys claimed) but not delivered; after_outbox:2 —
    // the xlsx's staging (all duplicates) is committed too.
    for point in ["after_outbox:1", "after_outbox:2", "after_sink_write:1"] {
        let dir = tempfile::tempdir()?;
        let f = flow(dir.path(), None)?;
        samples::write_samples(&set, &dir.path().join("inbox"), None)?;
        let (code, _) = run(dir.path(), &f, &[("DOCKET_FAULT", point)])?;
        assert_ne!(code, Some(0), "{point}: the fault aborts the run");
        let (code, v) = run(dir.path(), &f, &[])?;
        assert_eq!(code, Some(0), "{point}: {v}");
        assert_eq!(v["resumed"], true, "{point}: {v}");
        let rows = backoffice_rows(&dir.path().join("backoffice.db"))?;
        assert_eq!(rows.len(), n, "{point}: each transaction exactly once");
        assert_eq!(sorted_amounts(&rows), truth_amounts([&set[0], &set[2]]));
        assert_eq!(v["natural_duplicates"], n, "{point}: {v}");
    }
    Ok(())
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap_or_default()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_default()
}

/// A statement whose lines on 5 March alternate a coffee (-3.50) and its refund (+3.50) from
/// 100.00, so every coffee has the same date, amount and balance (96.50), and so does every
/// refund (100.00): `coffees` coffees, one refund between each two.
fn coffees(coffees: usize) -> Statement {
    let mut entries = vec![Entry {
        date: day(2),
        time: None,
        description: "Salary".into(),
        counterparty: Some("ACME LTD".into()),
        counterparty_account: None,
        amount: dec("100.00"),
        balance: dec("100.00"),
    }];
    for i in 0..coffees {
        if i > 0 {
            entries.push(Entry {
                date: day(5),
                time: None,
                description: "Refund Corner Coffee".into(),
                counterparty: Some("CORNER COFFEE".into()),
                counterparty_account: None,
                amount: dec("3.50"),
                balance: dec("100.00"),
            });
        }
        entries.push(Entry {
            date: day(5),
            time: None,
            description: "Corner Coffee".into(),
            counterparty: Some("CORNER COFFEE".into()),
            counterparty_account: None,
            amount: dec("-3.50"),
            balance: dec("96.50"),
        });
    }
    Statement {
        flavour: Flavour::English,
        bank: "DOCKET SAMPLE BANK".into(),
        holder: "Jane Doe".into(),
        account_number: "4021 7788 1234".into(),
        currency: "GBP".into(),
        period_start: day(1),
        period_end: day(31),
        opening_balance: Decimal::ZERO,
        entries,
    }
}

#[test]
fn equal_rows_count_by_occurrence() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let f = flow(dir.path(), None)?;
    let count = |rows: &[common::Row], desc: &str| rows.iter().filter(|r| r.3 == desc).count();

    // Two coffees and a refund: three records (the two coffees are equal rows).
    let two = samples::xlsx("a-two-coffees.xlsx", &coffees(2))?;
    samples::write_samples(std::slice::from_ref(&two), &dir.path().join("inbox"), None)?;
    let (code, v) = run(dir.path(), &f, &[])?;
    assert_eq!(code, Some(0), "{v}");
    let rows = backoffice_rows(&dir.path().join("backoffice.db"))?;
    assert_eq!(rows.len(), 4, "salary, two coffees and a refund");
    assert_eq!(
        count(&rows, "Corner Coffee"),
        2,
        "equal rows are two records"
    );
    assert_eq!(v["natural_duplicates"], 0, "{v}");

    // The same two again in another file: duplicates of both.
    let again = samples::digital_pdf("b-two-coffees.pdf", &coffees(2))?;
    samples::write_samples(
        std::slice::from_ref(&again),
        &dir.path().join("inbox"),
        None,
    )?;
    let (code, v) = run(dir.path(), &f, &[])?;
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(backoffice_rows(&dir.path().join("backoffice.db"))?.len(), 4);
    assert_eq!(v["natural_duplicates"], 4, "{v}");
    assert_eq!(v["written"], 0, "{v}");

    // Three coffees and two refunds: the first two coffees and the first refund are
    // duplicates, the third coffee and the second refund are new.
    let three = samples::digital_pdf("c-three-coffees.pdf", &coffees(3))?;
    samples::write_samples(
        std::slice::from_ref(&three),
        &dir.path().join("inbox"),
        None,
    )?;
    let (code, v) = run(dir.path(), &f, &[])?;
    assert_eq!(code, Some(0), "{v}");
    let rows = backoffice_rows(&dir.path().join("backoffice.db"))?;
    assert_eq!(rows.len(), 6, "{rows:?}");
    assert_eq!(count(&rows, "Corner Coffee"), 3);
    assert_eq!(count(&rows, "Refund Corner Coffee"), 2);
    assert_eq!(
        v["natural_duplicates"], 4,
        "salary, two coffees, one refund: {v}"
    );
    assert_eq!(v["written"], 2, "{v}");
    let entry = staging_entry(dir.path(), &sha256(&three.bytes))?;
    let skipped: Vec<u64> = entry["duplicates"]
        .as_array()
        .map(|a| a.iter().filter_map(|d| d["record"].as_u64()).collect())
        .unwrap_or_default();
    // Records: 0 salary, 1 coffee, 2 refund, 3 coffee, 4 refund, 5 coffee.
    assert_eq!(skipped, vec![0, 1, 2, 3], "{entry}");
    Ok(())
}

#[test]
fn pdf_and_xlsx_land_once_in_postgresql() -> Result<()> {
    use anyhow::Context;
    let url = std::env::var("DOCKET_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let mut client = postgres::Client::connect(&url, postgres::NoTls)
        .with_context(|| format!("PostgreSQL at {url} is not reachable: start it with installer/install.sh --test or set DOCKET_TEST_PG_URL"))?;
    let schema = format!("e2e_dedupe_{}", std::process::id());
    client.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
    ))?;
    let dir = tempfile::tempdir()?;
    let yaml = format!(
        r#"version: 1
name: pg-dedupe
steps:
  - id: inbox
    ingest: {{ path: inbox, done: done, quarantine: quarantine }}
  - id: read
    extract: {{ from: inbox, schema: bank_statement }}
  - id: store
    write:
      from: read
      sink: {{ postgres: {{ url_secret: pg }} }}
      table: {schema}.transactions
      columns:
        booking_date: record.date
        amount: record.amount
        balance: record.balance
"#
    );
    std::fs::create_dir_all(dir.path().join("inbox"))?;
    std::fs::write(dir.path().join("flow.yaml"), yaml)?;
    let f = dir.path().join("flow.yaml").display().to_string();
    let set = pairs()?;
    samples::write_samples(&set, &dir.path().join("inbox"), None)?;
    let (code, v) = run(dir.path(), &f, &[("DOCKET_SECRET_PG", url.as_str())])?;
    assert_eq!(code, Some(0), "{v}");
    let n = set[0].truth.records.len() + set[2].truth.records.len();
    assert_eq!(v["natural_duplicates"], n, "{v}");
    let rows = client.query(
        &format!("SELECT amount::text FROM {schema}.transactions"),
        &[],
    )?;
    let mut got: Vec<String> = rows.iter().map(|r| r.get::<_, String>(0)).collect();
    got.sort();
    assert_eq!(
        got,
        truth_amounts([&set[0], &set[2]]),
        "each transaction once"
    );
    client.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))?;
    Ok(())
}

#[test]
fn statements_without_account_are_not_deduplicated_and_say_so() -> Result<()> {
    let mut s = coffees(2);
    s.holder = String::new();
    s.account_number = String::new();
    let set = vec![
        samples::digital_pdf("a-anonymous.pdf", &s)?,
        samples::xlsx("b-anonymous.xlsx", &s)?,
    ];
    let dir = tempfile::tempdir()?;
    let f = flow(dir.path(), None)?;
    samples::write_samples(&set, &dir.path().join("inbox"), None)?;
    let (code, v) = run(dir.path(), &f, &[])?;
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["not_deduplicated"], 2, "{v}");
    assert_eq!(v["natural_duplicates"], 0, "{v}");
    let rows = backoffice_rows(&dir.path().join("backoffice.db"))?;
    assert_eq!(rows.len(), 8, "both files written");
    let entry = staging_entry(dir.path(), &sha256(&set[1].bytes))?;
    assert_eq!(entry["dedupe"]["skipped"], "no_account", "{entry}");
    let report = std::fs::read_to_string(dir.path().join("reports/summary.html"))?;
    assert!(report.contains("not de-duplicated"), "the report says so");
    Ok(())
}
