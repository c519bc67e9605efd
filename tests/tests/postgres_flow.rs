//! The same flow written into a real PostgreSQL back office (the local cluster started by
//! `installer/install.sh --test`; override with DOCKET_TEST_PG_URL): every transaction lands once,
//! amounts exact as NUMERIC, and a second run writes nothing.

mod common;

use anyhow::{Context, Result};
use common::{docket, err};
use docket_e2e::samples::{self, Flavour, Spec, Statement};

fn pg_url() -> String {
    std::env::var("DOCKET_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

#[test]
fn statements_land_in_postgresql_exactly_once() -> Result<()> {
    let url = pg_url();
    let mut client = postgres::Client::connect(&url, postgres::NoTls)
        .with_context(|| format!("PostgreSQL at {url} is not reachable: start it with installer/install.sh --test or set DOCKET_TEST_PG_URL"))?;
    let schema = format!("e2e_{}", std::process::id());
    client.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
    ))?;

    let dir = tempfile::tempdir()?;
    let yaml = format!(
        r#"version: 1
name: pg-import
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
        counterparty: record.counterparty
        account_number: fields.account_number
"#
    );
    std::fs::write(dir.path().join("flow.yaml"), yaml)?;
    let s1 = samples::digital_pdf(
        "en.pdf",
        &Statement::generate(&Spec::march_2026(Flavour::English, "GBP", 41, 47)),
    )?;
    let s2 = samples::gb18030_csv(
        "zh.csv",
        &Statement::generate(&Spec::march_2026(Flavour::Chinese, "CNY", 42, 20)),
    )?;
    let set = vec![s1, s2];
    samples::write_samples(&set, &dir.path().join("inbox"), None)?;
    let data = dir.path().join("data").display().to_string();
    let flow = dir.path().join("flow.yaml").display().to_string();
    let env = [("DOCKET_SECRET_PG", url.as_str())];
    let o = docket(&["--data-dir", &data, "run", &flow], &env)?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(
        !err(&o).contains(&url) || !url.contains(':'),
        "the URL secret is never printed"
    );

    let rows = client.query(
        &format!(
            "SELECT amount::text, booking_date::text FROM {schema}.transactions ORDER BY amount"
        ),
        &[],
    )?;
    assert_eq!(rows.len(), 67);
    let mut got: Vec<String> = rows.iter().map(|r| r.get::<_, String>(0)).collect();
    let mut want: Vec<String> = set
        .iter()
        .flat_map(|s| s.truth.records.iter().map(|r| r.amount.to_string()))
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want, "NUMERIC amounts are exact");

    samples::write_samples(&set, &dir.path().join("inbox"), None)?;
    let o = docket(&["--data-dir", &data, "run", &flow], &env)?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let n: i64 = client
        .query_one(&format!("SELECT COUNT(*) FROM {schema}.transactions"), &[])?
        .get(0);
    assert_eq!(n, 67, "the second run wrote nothing");
    client.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))?;
    Ok(())
}
