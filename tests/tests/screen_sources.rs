//! A laundering pattern planted inside a real (generated) PDF statement: three cash deposits just
//! under the PBOC cash threshold on consecutive days. `docket extract` reads the PDF, `docket
//! screen` raises `structuring` on exactly those three transactions, and every one of them
//! carries its document provenance (document hash, page, box and the printed amount), in the
//! `--json` output and in the run store; the STR review page shows where each was read.

mod common;

use anyhow::Result;
use common::{docket, err, out};
use docket_e2e::samples::{self, Flavour, Spec, Statement};
use rust_decimal::Decimal;

#[test]
fn alerts_point_to_the_statement_lines_they_were_read_from() -> Result<()> {
    let mut st = Statement::generate(&Spec::march_2026(Flavour::Chinese, "CNY", 77, 6));
    // Replace the lines: a salary, then three cash deposits of 80–99 % of CNY 50,000 in 3 days.
    let plan: [(u32, &str, i64); 5] = [
        (2, "工资", 1_250_000),
        (10, "现金存入", 4_500_000),
        (11, "现金存入", 4_620_000),
        (12, "现金存入", 4_480_000),
        (20, "水电费", -32_150),
    ];
    let template = st.entries[0].clone();
    let mut balance = st.opening_balance;
    st.entries = plan
        .iter()
        .map(|(day, desc, cents)| {
            let amount = Decimal::new(*cents, 2);
            balance += amount;
            let mut e = template.clone();
            e.date = chrono::NaiveDate::from_ymd_opt(2026, 3, *day).unwrap_or_default();
            e.description = (*desc).to_owned();
            e.counterparty = None;
            e.counterparty_account = None;
            e.amount = amount;
            e.balance = balance;
            e
        })
        .collect();
    let dir = tempfile::tempdir()?;
    let pdf = samples::digital_pdf("planted.pdf", &st)?;
    let path = dir.path().join("planted.pdf");
    std::fs::write(&path, &pdf.bytes)?;

    let o = docket(&["extract", "--json", &path.display().to_string()], &[])?;
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", err(&o));
    let json_path = dir.path().join("planted.jsonl");
    std::fs::write(&json_path, out(&o))?;

    let data = dir.path().join("data").display().to_string();
    let o = docket(
        &[
            "--data-dir",
            &data,
            "--json",
            "screen",
            &json_path.display().to_string(),
        ],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(1), "alerts expected\n{}", err(&o));
    let v: serde_json::Value = serde_json::from_str(out(&o).trim())?;
    let alerts = v["alerts"].as_array().cloned().unwrap_or_default();
    let s = alerts
        .iter()
        .find(|a| a["rule"] == "structuring")
        .unwrap_or_else(|| panic!("no structuring alert: {v}"));
    let txns: Vec<String> = s["transactions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect();
    assert_eq!(txns.len(), 3, "{s}");
    let mut printed = Vec::new();
    for t in &txns {
        let src = &s["sources"][t];
        assert_eq!(
            src["document_sha256"].as_str().map(str::len),
            Some(64),
            "{src}"
        );
        assert_eq!(src["page"], 1, "{src}");
        let bbox = src["bbox"].as_array().cloned().unwrap_or_default();
        assert_eq!(bbox.len(), 4, "{src}");
        assert!(
            bbox.iter().all(|x| x.as_f64().is_some_and(|f| f >= 0.0)),
            "{src}"
        );
        printed.push(src["text"].as_str().unwrap_or("").replace([',', ' '], ""));
    }
    printed.sort();
    assert_eq!(printed, ["44800.00", "45000.00", "46200.00"]);

    // The sources are in the store too, and the STR review page shows them.
    let case = s["subject"].as_str().unwrap_or("");
    let case_id = v["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["subject"] == case)
        .and_then(|c| c["id"].as_str())
        .unwrap_or("")
        .to_owned();
    let html = dir.path().join("case.html");
    let o = docket(
        &[
            "--data-dir",
            &data,
            "report",
            "str",
            &case_id,
            "--format",
            "html",
            "--output",
            &html.display().to_string(),
        ],
        &[],
    )?;
    assert!(o.status.success(), "{}{}", out(&o), err(&o));
    let page = std::fs::read_to_string(&html)?;
    assert!(
        page.contains("planted.pdf"),
        "the review page names the document"
    );
    assert!(page.contains("p. 1"), "and the page");
    Ok(())
}
