//! A flow writing into a REST back office (a real HTTP server, axum, on loopback) through
//! `docket run`: the server answers 500 to the first request for every idempotency key, refuses
//! one record with 422, and checks the bearer token, which comes from the secret store. Every
//! other record must be stored exactly once (the server's own count), the refused one is reported
//! and the document goes to review, and a second run sends nothing new.

#![allow(clippy::expect_used)] // the server thread and the test: a panic is the failure report

mod common;

use anyhow::Result;
use common::{docket, err, out};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Backoffice {
    /// Accepted records by idempotency key, with how many times each was accepted.
    stored: HashMap<String, (serde_json::Value, u32)>,
    /// Requests seen per key.
    seen: HashMap<String, u32>,
    /// Requests with a wrong or missing token.
    unauthorised: u32,
}

fn serve(token: &'static str) -> Result<(String, Arc<Mutex<Backoffice>>)> {
    let state: Arc<Mutex<Backoffice>> = Arc::default();
    let st = state.clone();
    let app = axum::Router::new().route(
        "/api/transactions",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::Json<serde_json::Value>| {
                let st = st.clone();
                async move {
                    use axum::http::StatusCode;
                    let mut s = st.lock().expect("lock");
                    let auth = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    if auth != format!("Bearer {token}") {
                        s.unauthorised += 1;
                        return StatusCode::UNAUTHORIZED;
                    }
                    let key = headers
                        .get("idempotency-key")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    let n = {
                        let e = s.seen.entry(key.clone()).or_default();
                        *e += 1;
                        *e
                    };
                    if n == 1 {
                        return StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    if body.0.to_string().contains("REFUSE") {
                        return StatusCode::UNPROCESSABLE_ENTITY;
                    }
                    if let Some(e) = s.stored.get_mut(&key) {
                        e.1 += 1;
                        return StatusCode::CONFLICT;
                    }
                    s.stored.insert(key, (body.0, 1));
                    StatusCode::CREATED
                }
            },
        ),
    );
    let addr = common::serve_loopback(app)?;
    Ok((format!("http://{addr}/api/transactions"), state))
}

#[test]
fn records_reach_a_flaky_rest_back_office_exactly_once() -> Result<()> {
    const TOKEN: &str = "bo-token-77c1";
    let (url, state) = serve(TOKEN)?;
    let dir = tempfile::tempdir()?;
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox)?;
    std::fs::write(
        inbox.join("a.csv"),
        "Date,Description,Counterparty,Amount,Balance\n2026-05-01,Salary,Employer,2500.00,3500.00\n2026-05-02,Rent,Landlord,-1200.00,2300.00\n2026-05-03,REFUSE me,Shop,-0.01,2299.99\n",
    )?;
    std::fs::write(
        inbox.join("b.csv"),
        "Date,Description,Counterparty,Amount,Balance\n2026-05-04,Refund,Shop,19.99,119.99\n2026-05-05,Fee,Bank,-0.50,119.49\n2026-05-06,Interest,Bank,0.01,119.50\n",
    )?;
    std::fs::write(
        dir.path().join("flow.yaml"),
        format!(
            r#"version: 1
name: rest-import
steps:
  - id: inbox
    ingest: {{ path: inbox, done: done, quarantine: quarantine }}
  - id: read
    extract: {{ from: inbox, schema: bank_statement }}
  - id: post
    write:
      from: read
      sink:
        rest:
          url: {url}
          auth: {{ bearer_secret: bo-token }}
          timeout: 5s
          max_attempts: 4
      table: transactions
      columns:
        booking_date: record.date
        amount: record.amount
        description: record.description
"#
        ),
    )?;
    let data = dir.path().join("data").display().to_string();
    let flow = dir.path().join("flow.yaml").display().to_string();
    let env = [("DOCKET_SECRET_BO_TOKEN", TOKEN)];

    let o = docket(&["--data-dir", &data, "run", &flow], &env)?;
    assert_eq!(
        o.status.code(),
        Some(1),
        "review expected\n{}{}",
        out(&o),
        err(&o)
    );
    assert!(err(&o).contains("422"), "{}", err(&o));
    assert!(!out(&o).contains(TOKEN) && !err(&o).contains(TOKEN));
    {
        let s = state.lock().expect("lock");
        assert_eq!(s.unauthorised, 0);
        assert_eq!(s.stored.len(), 5, "five records accepted");
        assert!(s.stored.values().all(|(_, n)| *n == 1), "each stored once");
        let mut amounts: Vec<String> = s
            .stored
            .values()
            .map(|(b, _)| b["amount"].as_str().unwrap_or("").to_owned())
            .collect();
        amounts.sort();
        assert_eq!(amounts, ["-0.50", "-1200.00", "0.01", "19.99", "2500.00"]);
    }

    // A second run: nothing new reaches the server.
    let requests_before: u32 = state.lock().expect("lock").seen.values().sum();
    let o = docket(&["--data-dir", &data, "run", &flow], &env)?;
    assert!(o.status.code().is_some(), "{}", err(&o));
    let s = state.lock().expect("lock");
    assert_eq!(s.seen.values().sum::<u32>(), requests_before);
    assert_eq!(s.stored.len(), 5);
    Ok(())
}
