//! Opt-in: real Chinese bank and payment-app exports from `shared/fixtures/statements-cn/`
//! (deb-sig/double-entry-generator, Apache-2.0), digitised by `docket-documents` and extracted,
//! compared with that project's expected beancount output: each beancount transaction must find
//! an extracted record with the same date and the same absolute amount. Skipped with a note when
//! the fixtures folder is absent (a fresh clone).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use docket_documents::{DigitiseOptions, digitise};
use docket_extract::extract_bank_statement;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// One beancount transaction: its date and its postings `(account, amount)`.
#[derive(Debug)]
struct BeanTx {
    date: String,
    postings: Vec<(String, Decimal)>,
}

fn parse_beancount(text: &str) -> Vec<BeanTx> {
    let mut out: Vec<BeanTx> = Vec::new();
    for line in text.lines() {
        let is_date = line.len() > 11
            && line.as_bytes()[4] == b'-'
            && line[..4].chars().all(|c| c.is_ascii_digit());
        if is_date && matches!(&line[10..12], " *" | " !") {
            out.push(BeanTx {
                date: line[..10].to_string(),
                postings: Vec::new(),
            });
        } else if line.starts_with([' ', '\t']) {
            let toks: Vec<&str> = line.split_whitespace().collect();
            if toks.len() >= 3
                && toks[0].contains(':')
                && toks[0].starts_with(|c: char| c.is_ascii_uppercase())
                && let Ok(v) = Decimal::from_str(toks[1])
                && let Some(tx) = out.last_mut()
            {
                tx.postings.push((toks[0].to_string(), v));
            }
        }
    }
    out
}

fn fixtures() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/statements-cn");
    p.is_dir().then_some(p)
}

fn statement_files(dir: &Path) -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        let bean = files
            .iter()
            .find(|f| f.to_string_lossy().ends_with("-output.beancount"))
            .cloned();
        for f in files {
            if f.is_dir() {
                stack.push(f);
            } else if let Some(b) = &bean {
                let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
                if matches!(ext, "csv" | "xls" | "xlsx") {
                    out.push((f, b.clone()));
                }
            }
        }
    }
    out.sort();
    out
}

#[test]
fn statements_cn_match_their_beancount_dates_and_amounts() {
    let Some(dir) = fixtures() else {
        eprintln!("NOTE: shared/fixtures/statements-cn not found; opt-in fixture test skipped");
        return;
    };
    let mut report = Vec::new();
    let (mut total_bean, mut total_matched) = (0usize, 0usize);
    for (file, bean) in statement_files(&dir) {
        let name = file
            .strip_prefix(&dir)
            .unwrap_or(&file)
            .display()
            .to_string();
        let expected = parse_beancount(&std::fs::read_to_string(&bean).unwrap());
        total_bean += expected.len();
        let doc = match digitise(&file, &DigitiseOptions::default()) {
            Ok(d) => d,
            Err(e) => {
                report.push(format!("{name}: digitise failed: {e}"));
                continue;
            }
        };
        let x = match extract_bank_statement(&doc) {
            Ok(x) => x,
            Err(e) => {
                report.push(format!(
                    "{name}: 0/{} matched; extract failed: {e}",
                    expected.len()
                ));
                continue;
            }
        };
        let got: Vec<(String, Decimal)> = x
            .records
            .iter()
            .map(|r| {
                (
                    r["date"].as_str().unwrap().to_string(),
                    Decimal::from_str(r["amount"].as_str().unwrap()).unwrap(),
                )
            })
            .collect();
        // The extractor dates by the transaction date (交易日); some ledgers date by the booking
        // date, which the extraction keeps as `records[i].booking_date` provenance. A match on
        // that printed date is counted, and reported separately.
        let booking: Vec<Option<String>> = (0..got.len())
            .map(|i| {
                x.provenance
                    .get(&format!("records[{i}].booking_date"))
                    .map(|p| p.text.trim().to_string())
            })
            .collect();
        // The statement's own account is the one posted to most often; its posting's sign is
        // comparable with our credit-positive amount (for a liability account too: a payment
        // into a credit card is a positive posting).
        let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
        for t in &expected {
            for (a, _) in &t.postings {
                *counts.entry(a.as_str()).or_default() += 1;
            }
        }
        let own = counts
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(a, _)| *a)
            .unwrap_or("");
        let mut used = vec![false; got.len()];
        let (mut matched, mut sign_agrees, mut by_booking) = (0, 0, 0);
        let mut missing = Vec::new();
        for t in &expected {
            // Any posting's amount, or the net of the statement's own account: WeChat prints a
            // withdrawal with its fee (¥1001.10, 服务费¥1.00) that the ledger splits in two.
            let mut abs: Vec<Decimal> = t.postings.iter().map(|p| p.1.abs()).collect();
            let own_net: Decimal = t.postings.iter().filter(|p| p.0 == own).map(|p| p.1).sum();
            abs.push(own_net.abs());
            let amount_ok = |i: usize| abs.contains(&got[i].1.abs());
            let hit = (0..got.len())
                .find(|&i| !used[i] && got[i].0 == t.date && amount_ok(i))
                .or_else(|| {
                    let i = (0..got.len()).find(|&i| {
                        !used[i] && booking[i].as_deref() == Some(t.date.as_str()) && amount_ok(i)
                    })?;
                    by_booking += 1;
                    Some(i)
                });
            if let Some(i) = hit {
                used[i] = true;
                matched += 1;
                if let Some((_, v)) = t.postings.iter().find(|p| p.0 == own)
                    && v.is_sign_negative() == got[i].1.is_sign_negative()
                {
                    sign_agrees += 1;
                }
            } else {
                missing.push(format!("{} {:?}", t.date, abs.first()));
            }
        }
        total_matched += matched;
        let failed: Vec<String> = x
            .checks
            .iter()
            .filter(|c| c.status == docket_core::CheckStatus::Fail)
            .map(|c| c.name.clone())
            .collect();
        report.push(format!(
            "{name}: {matched}/{} beancount transactions matched ({by_booking} by booking date; {} records extracted; sign agrees with {own} in {sign_agrees}); failed checks {failed:?}{}",
            expected.len(),
            got.len(),
            if missing.is_empty() {
                String::new()
            } else {
                format!("; missing {}", missing.join(", "))
            }
        ));
    }
    eprintln!(
        "statements-cn: {total_matched}/{total_bean} matched\n{}",
        report.join("\n")
    );
    assert!(total_bean > 0);
    // Measured: 125 of 145 when this test was written; 145 once yearless dates (CMB credit),
    // title rows above a header, duplicate sheets, booking dates and headerless exports (TD)
    // were handled. Fewer means a regression.
    assert!(
        total_matched >= 145,
        "fewer beancount transactions matched than before ({total_matched} < 145):\n{}",
        report.join("\n")
    );
}

#[test]
fn beancount_parser_reads_dates_and_postings() {
    let t = parse_beancount(
        "option \"title\" \"x\"\n\n2023-05-01 * \"TD\" \"DOLLARAMA\" #tag\n\tcategory: \"x\"\n\tExpenses:Grocery 1.96 CAD\n\tAssets:DebitCard:TD -1.96 CAD\n",
    );
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].date, "2023-05-01");
    assert_eq!(t[0].postings.len(), 2);
    assert_eq!(t[0].postings[1].1, Decimal::new(-196, 2));
}
