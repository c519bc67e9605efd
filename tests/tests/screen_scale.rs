//! `docket screen` at scale: a generated 200,000-transfer table streamed in time order gives
//! exactly the alerts of the in-memory path (the same rows out of order, sorted in memory), with
//! every planted pattern found; a table above the digitiser's old 200 MB cap is accepted; cash
//! deposits with the payer's side empty (or `CASH`) alert on the receiving customer; a plain day
//! of twenty payers into one account raises the collection-account indicator.

mod common;

use anyhow::Result;
use common::{docket, err, out};
use docket_e2e::transfers::{HEADER, Spec, write_file};
use serde_json::Value;
use std::io::Write as _;
use std::path::Path;

fn screen_json(data: &Path, files: &[&Path], extra: &[&str]) -> Result<(Option<i32>, Value)> {
    let data = data.display().to_string();
    let mut args = vec!["--data-dir", &data, "--json", "screen"];
    args.extend_from_slice(extra);
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    let o = docket(&args, &[])?;
    let v: Value = serde_json::from_str(out(&o).trim())
        .map_err(|e| anyhow::anyhow!("not JSON ({e}); stderr: {}", err(&o)))?;
    Ok((o.status.code(), v))
}

fn subjects(v: &Value, rule: &str) -> Vec<String> {
    let mut s: Vec<String> = v["alerts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["rule"] == rule)
        .map(|a| a["subject"].as_str().unwrap_or("").to_string())
        .collect();
    s.sort();
    s.dedup();
    s
}

#[test]
fn streamed_200k_transfers_alert_exactly_as_the_in_memory_path() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let sorted = dir.path().join("sorted.csv");
    let spec = Spec {
        rows: 200_000,
        accounts: 20_000,
        days: 60,
        seed: 7,
        plants: 2,
    };
    write_file(&spec, &sorted)?;
    // The same rows with the last one moved to the top: not in time order, so `docket screen`
    // reads the table whole and sorts it in memory (the path every input took before streaming).
    let text = std::fs::read_to_string(&sorted)?;
    let mut lines: Vec<&str> = text.lines().collect();
    let last = lines.pop().unwrap_or_default();
    lines.insert(1, last);
    let unsorted = dir.path().join("unsorted.csv");
    std::fs::write(&unsorted, lines.join("\n") + "\n")?;

    let (code, streamed) = screen_json(&dir.path().join("a"), &[&sorted], &[])?;
    assert_eq!(code, Some(1), "alerts → exit 1");
    let (_, in_memory) = screen_json(&dir.path().join("b"), &[&unsorted], &[])?;
    assert_eq!(streamed["transactions"], 200_000);
    assert_eq!(in_memory["transactions"], 200_000);
    assert_eq!(
        streamed["alerts"], in_memory["alerts"],
        "same alerts, same order"
    );
    assert_eq!(streamed["cases"], in_memory["cases"]);

    // Every planted pattern is found, on its own subject.
    assert_eq!(subjects(&streamed, "fan_in"), vec!["FANIN0", "FANIN1"]);
    assert_eq!(
        subjects(&streamed, "collection"),
        vec!["COLLECT0", "COLLECT1"]
    );
    let smurfs = subjects(&streamed, "structuring");
    assert!(
        smurfs.contains(&"SMURF0".to_string()) && smurfs.contains(&"SMURF1".to_string()),
        "{smurfs:?}"
    );
    assert!(
        subjects(&streamed, "cycle")
            .iter()
            .any(|s| s.starts_with("RING0-")),
        "ring found"
    );

    // A budget too small to sort the unsorted copy in memory is refused with what to do.
    let data = dir.path().join("c").display().to_string();
    let o = docket(
        &[
            "--data-dir",
            &data,
            "screen",
            "--memory-budget",
            "1",
            &unsorted.display().to_string(),
        ],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("DK-E0703") && err(&o).contains("sort the file by timestamp"),
        "{}",
        err(&o)
    );
    Ok(())
}

#[test]
fn a_table_above_the_old_size_cap_is_screened() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let big = dir.path().join("big.csv");
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&big)?);
    writeln!(w, "{HEADER}")?;
    for i in 0..5 {
        writeln!(
            w,
            "E{i},P{i},Q{i},100.00,2026-03-01 09:00:0{i},CNY,transfer"
        )?;
    }
    // 210 MB of blank lines (the digitiser refused anything above 200 MB with DK-E0110).
    let blank = vec![b'\n'; 1 << 20];
    for _ in 0..210 {
        w.write_all(&blank)?;
    }
    for i in 5..10 {
        writeln!(
            w,
            "E{i},P{i},Q{i},100.00,2026-03-02 09:00:0{i},CNY,transfer"
        )?;
    }
    w.flush()?;
    drop(w);
    assert!(std::fs::metadata(&big)?.len() > 210 * 1024 * 1024);
    let (code, v) = screen_json(&dir.path().join("data"), &[&big], &[])?;
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["transactions"], 10);
    Ok(())
}

#[test]
fn cash_deposits_alert_on_the_receiving_customer() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("cash.csv");
    // Three deposits just under the CNY 50,000 cash trigger within two days: one with the payer's
    // side empty, two with the pseudo-account CASH; and one ordinary withdrawal.
    std::fs::write(
        &file,
        "txn_id,from_account,to_account,amount,timestamp,currency,channel\n\
         D1,,CUST01,47000.00,2026-04-01 10:00:00,CNY,cash\n\
         D2,CASH,CUST01,46500.00,2026-04-02 11:00:00,CNY,cash\n\
         W1,CUST02,,2000.00,2026-04-02 12:00:00,CNY,cash\n\
         D3,CASH,CUST01,48000.00,2026-04-03 09:30:00,CNY,cash\n",
    )?;
    let (code, v) = screen_json(&dir.path().join("data"), &[&file], &[])?;
    assert_eq!(code, Some(1), "{v}");
    let alerts = v["alerts"].as_array().cloned().unwrap_or_default();
    let got: Vec<(String, String, Vec<String>)> = alerts
        .iter()
        .map(|a| {
            (
                a["rule"].as_str().unwrap_or("").to_string(),
                a["subject"].as_str().unwrap_or("").to_string(),
                a["transactions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|t| t.as_str().unwrap_or("").to_string())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![(
            "structuring".to_string(),
            "CUST01".to_string(),
            vec!["D1".to_string(), "D2".into(), "D3".into()]
        )],
        "{v}"
    );
    assert!(
        !v.to_string().contains("\"subject\":\"CASH\""),
        "no pseudo-account"
    );
    assert_eq!(v["cases"][0]["id"], "C-CUST01");

    // A transfer with no payer is still refused, naming what a cash deposit needs.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "from_account,to_account,amount,timestamp,channel\n,CUST01,10.00,2026-04-01,transfer\n",
    )?;
    let data = dir.path().join("data").display().to_string();
    let o = docket(
        &["--data-dir", &data, "screen", &bad.display().to_string()],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("DK-E0703") && err(&o).contains("channel cash"),
        "{}",
        err(&o)
    );
    Ok(())
}

#[test]
fn twenty_payers_into_one_account_raise_the_collection_indicator() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("day.csv");
    let mut csv = String::from("txn_id,from_account,to_account,amount,timestamp\n");
    for p in 0..20 {
        csv.push_str(&format!(
            "C{p:02},PAYER{p:02},POOL,5000.00,2026-06-01 {:02}:{:02}:00\n",
            9 + p / 4,
            (p % 4) * 15
        ));
    }
    std::fs::write(&file, csv)?;
    let (code, v) = screen_json(&dir.path().join("data"), &[&file], &[])?;
    assert_eq!(code, Some(1), "{v}");
    let alerts = v["alerts"].as_array().cloned().unwrap_or_default();
    assert_eq!(alerts.len(), 1, "{v}");
    let a = &alerts[0];
    assert_eq!(a["id"], "A-collection-POOL-C00");
    assert_eq!(a["rule"], "collection");
    assert_eq!(a["subject"], "POOL");
    let want: Vec<Value> = (0..20).map(|p| Value::from(format!("C{p:02}"))).collect();
    assert_eq!(a["transactions"], Value::from(want));
    assert_eq!(a["params"]["payers"], 20);
    assert_eq!(a["params"]["in_sum"], "100000.00");
    Ok(())
}
