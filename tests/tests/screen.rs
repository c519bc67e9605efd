//! `docket screen` over a transfer table with a planted fan-in (twelve payers into one account,
//! then one payee takes the money onward) hidden among ordinary salaries and rents: the fan-in is
//! alerted with exactly its transactions, ordinary accounts raise nothing, re-screening does not
//! duplicate alerts in the store, and bad input or a bad rule pack get their own codes.

mod common;

use anyhow::Result;
use common::{docket, err, out};
use std::fmt::Write as _;

fn transfers() -> String {
    let mut csv =
        String::from("txn_id,from_account,to_account,amount,timestamp,currency,channel\n");
    // Ordinary life: salaries from one employer, rent to one landlord each.
    for p in 0..20 {
        let _ = writeln!(
            csv,
            "S{p:02},EMPLOYER,P{p:02},\"12,500.00\",2026-03-01 09:00:{p:02},CNY,transfer"
        );
        let _ = writeln!(
            csv,
            "R{p:02},P{p:02},LANDLORD{p:02},4800.00,2026-03-03 10:00:{p:02},CNY,transfer"
        );
    }
    // The planted fan-in: 12 distinct payers into MULE within two days, then one payment out.
    for i in 1..=12 {
        let _ = writeln!(
            csv,
            "F{i:02},PAYER{i:02},MULE,8000.00,2026-03-10 {:02}:15:00,CNY,transfer",
            8 + i
        );
    }
    let _ = writeln!(
        csv,
        "X01,MULE,OUT01,90000.00,2026-03-11 16:00:00,CNY,transfer"
    );
    csv
}

#[test]
fn planted_fan_in_is_alerted_with_its_transactions_and_nothing_else() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("transfers.csv");
    std::fs::write(&file, transfers())?;
    let data = dir.path().join("data").display().to_string();
    let f = file.display().to_string();
    let o = docket(&["--data-dir", &data, "--json", "screen", &f], &[])?;
    assert_eq!(
        o.status.code(),
        Some(1),
        "alerts raised → exit 1; stderr {}",
        err(&o)
    );
    let v: serde_json::Value = serde_json::from_str(out(&o).trim())?;
    let alerts = v["alerts"].as_array().cloned().unwrap_or_default();
    let fan: Vec<&serde_json::Value> = alerts.iter().filter(|a| a["rule"] == "fan_in").collect();
    assert_eq!(fan.len(), 1, "one fan-in alert: {v}");
    assert_eq!(fan[0]["subject"], "MULE");
    let mut txns: Vec<String> = fan[0]["transactions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|t| t.as_str().unwrap_or("").to_string())
        .collect();
    txns.sort();
    let mut want: Vec<String> = (1..=12).map(|i| format!("F{i:02}")).collect();
    want.push("X01".into());
    assert_eq!(
        txns, want,
        "the alert names exactly the planted transactions"
    );
    assert!(fan[0]["explanation"].as_str().unwrap_or("").len() > 20);
    for a in &alerts {
        let s = a["subject"].as_str().unwrap_or("");
        assert!(
            !s.starts_with('P') || s.starts_with("PAYER"),
            "ordinary account {s} alerted: {a}"
        );
        assert!(s != "EMPLOYER", "payroll is not laundering: {a}");
    }
    assert!(
        v["cases"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["subject"] == "MULE"))
    );

    // Screening the same data again updates, never duplicates.
    let o = docket(&["--data-dir", &data, "--json", "screen", &f], &[])?;
    let again: serde_json::Value = serde_json::from_str(out(&o).trim())?;
    assert_eq!(again["alerts"], v["alerts"], "deterministic alerts");
    let conn = rusqlite::Connection::open(dir.path().join("data/docket.db"))?;
    let n: i64 = conn.query_row("SELECT COUNT(*) FROM alerts", [], |r| r.get(0))?;
    assert_eq!(n as usize, alerts.len());
    let v = docket(&["--data-dir", &data, "audit", "verify"], &[])?;
    assert_eq!(v.status.code(), Some(0), "{}", out(&v));
    Ok(())
}

#[test]
fn bad_tables_and_bad_packs_get_their_own_codes() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data").display().to_string();
    let nohead = dir.path().join("no-timestamp.csv");
    std::fs::write(&nohead, "from_account,to_account,amount\nA,B,1.00\n")?;
    let o = docket(
        &["--data-dir", &data, "screen", &nohead.display().to_string()],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("DK-E0703") && err(&o).contains("--map"),
        "{}",
        err(&o)
    );

    let badamount = dir.path().join("bad-amount.csv");
    std::fs::write(
        &badamount,
        "from_account,to_account,amount,timestamp\nA,B,12x,2026-03-01\n",
    )?;
    let o = docket(
        &[
            "--data-dir",
            &data,
            "screen",
            &badamount.display().to_string(),
        ],
        &[],
    )?;
    assert!(err(&o).contains("row 2, column amount"), "{}", err(&o));

    let renamed = dir.path().join("cn.csv");
    std::fs::write(
        &renamed,
        "付款账号,收款账号,金额,交易时间\nA,B,\"1,000.00\",2026-03-01\n",
    )?;
    let o = docket(
        &[
            "--data-dir",
            &data,
            "--json",
            "screen",
            "--map",
            "from_account=付款账号",
            "--map",
            "to_account=收款账号",
            "--map",
            "amount=金额",
            "--map",
            "timestamp=交易时间",
            &renamed.display().to_string(),
        ],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(out(&o).trim())?;
    assert_eq!(v["transactions"], 1);

    let pack = dir.path().join("pack.yaml");
    std::fs::write(
        &pack,
        "timezone: Asia/Shanghai\nrules:\n  structuring:\n    window: 3 parsecs\n",
    )?;
    let o = docket(
        &[
            "--data-dir",
            &data,
            "screen",
            "--pack",
            &pack.display().to_string(),
            &renamed.display().to_string(),
        ],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("DK-E0702") && err(&o).contains(":4:"),
        "names line 4: {}",
        err(&o)
    );
    Ok(())
}
