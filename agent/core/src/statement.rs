//! The `bank_statement` schema and the shape of an extraction result, exactly as DESIGN.md fixes
//! the `docket extract` contract: `{source, schema, fields, records, checks, provenance}`.
//! Amounts are [`Decimal`] serialised as strings; credits are positive.

use crate::geometry::BBox;
use chrono::{NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Header fields of a bank statement.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StatementFields {
    /// Name of the account holder (户名).
    pub account_holder: Option<String>,
    /// Account or card number (账号 / 卡号), as printed.
    pub account_number: Option<String>,
    /// ISO 4217 code (CNY, USD, …).
    pub currency: Option<String>,
    /// First day of the statement period.
    pub period_start: Option<NaiveDate>,
    /// Last day of the statement period.
    pub period_end: Option<NaiveDate>,
    /// Balance before the first transaction (期初余额).
    #[serde(with = "rust_decimal::serde::str_option")]
    pub opening_balance: Option<Decimal>,
    /// Balance after the last transaction (期末余额).
    #[serde(with = "rust_decimal::serde::str_option")]
    pub closing_balance: Option<Decimal>,
}

/// One transaction line of a statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    /// Booking or transaction date.
    pub date: NaiveDate,
    /// Time of day when the statement gives one.
    pub time: Option<NaiveTime>,
    /// Description / summary (摘要).
    pub description: String,
    /// Counterparty name (对方户名).
    pub counterparty: Option<String>,
    /// Counterparty account (对方账号).
    pub counterparty_account: Option<String>,
    /// Signed amount: credits positive, debits negative.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// Running balance after this transaction, when printed.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub balance: Option<Decimal>,
    /// Currency of the amount.
    pub currency: Option<String>,
}

/// Where one extracted value came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// 1-based page (or sheet index for workbooks).
    pub page: u32,
    /// Box on the page in points (for sheets: `[col, row, col, row]` of the cell, 0-based).
    pub bbox: BBox,
    /// The source text the value was read from.
    pub text: String,
    /// Which extractor produced it (`layout`, `sheet`, `llm:MODEL`, …).
    pub extractor: String,
    /// 0..=1.
    pub confidence: f32,
}

/// Outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// The check held.
    Pass,
    /// The check failed: the document goes to review.
    Fail,
    /// Not enough data to run the check (e.g. no closing balance printed).
    Skipped,
}

/// A validation check and its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// Stable name: `balance_equation`, `running_balance`, `totals_row`, `grounding`, …
    pub name: String,
    /// Outcome.
    pub status: CheckStatus,
    /// Human-readable explanation, with the numbers involved.
    pub message: String,
    /// Record indexes (0-based) the check concerns, when specific.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<usize>,
}

/// The result of extracting one document: the `docket extract --json` contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extraction {
    /// `{path, sha256, pages}` of the input.
    pub source: ExtractionSource,
    /// Schema name (`bank_statement`) or the path of a custom JSON Schema.
    pub schema: String,
    /// Header fields (for `bank_statement`, a [`StatementFields`] object).
    pub fields: serde_json::Value,
    /// Records (for `bank_statement`, [`Transaction`] objects).
    pub records: Vec<serde_json::Value>,
    /// Checks run on the result.
    pub checks: Vec<Check>,
    /// Field path (`fields.opening_balance`, `records[3].amount`) → where it came from.
    pub provenance: BTreeMap<String, Provenance>,
    /// True when a check failed or a value is uncertain: a person must look before it is trusted.
    #[serde(default)]
    pub needs_review: bool,
}

/// The `source` object of an [`Extraction`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtractionSource {
    /// Path as given.
    pub path: String,
    /// SHA-256 of the bytes.
    pub sha256: String,
    /// Page count (sheet count for workbooks).
    pub pages: usize,
}

impl Extraction {
    /// True when any check failed.
    pub fn has_failed_checks(&self) -> bool {
        self.checks.iter().any(|c| c.status == CheckStatus::Fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn transaction_amounts_serialise_as_strings() {
        let t = Transaction {
            date: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default(),
            time: None,
            description: "Salary".into(),
            counterparty: Some("ACME".into()),
            counterparty_account: None,
            amount: Decimal::from_str("-1234.50").unwrap_or_default(),
            balance: Some(Decimal::from_str("10.00").unwrap_or_default()),
            currency: Some("CNY".into()),
        };
        let v = serde_json::to_value(&t).unwrap_or_default();
        assert_eq!(v["amount"], "-1234.50");
        assert_eq!(v["balance"], "10.00");
        assert_eq!(v["date"], "2026-03-01");
        assert!(v["time"].is_null());
        let back: Transaction = serde_json::from_value(v).unwrap_or_else(|_| t.clone());
        assert_eq!(back, t);
    }
}
