//! Natural keys of statement records, for de-duplication across files. The same statement often
//! arrives twice as different files (a re-scan, the PDF and the xlsx of one period); their
//! idempotency keys differ (they start from the document's hash), so without this the back office
//! would get every transaction twice.
//!
//! A record's natural key is the SHA-256 of its account, booking date, time (when given), signed
//! amount and balance (when given), and its *occurrence index* among the records of its document
//! that agree on all of those: two identical coffee purchases on one day are two records (#0 and
//! #1); another file with the same two duplicates both, one with three adds one. The account is
//! the statement's `account_number` reduced to digits and mask characters (`*`, `x`, `•`, … all
//! read as `*`), or, when no number is printed, the holder's name (case and punctuation folded)
//! with the currency. A document with neither has no natural keys: its records are written as
//! before and the run says so.
//!
//! Values are compared in the extraction's normal forms (ISO dates, `HH:MM:SS` times, decimals
//! without trailing zeros), so the same transaction read from a PDF and from a spreadsheet gets
//! the same key. Only hashes are stored: no account number or amount leaves the extraction.
//! `stage.rs` claims the keys in the run store's `natural_keys` table in the transaction that
//! stages the records.

use docket_core::Extraction;
use docket_core::hash::sha256_parts;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::HashMap;
use std::str::FromStr;

/// Version tag hashed into every key, so that a future change of the normal forms cannot match
/// keys made under the old ones.
const KEY_VERSION: &[u8] = b"docket-natural-key-v1";

/// The natural keys of one document's records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DocumentKeys {
    /// Per record, in document order: its natural key (hex SHA-256), or `None` when it has none
    /// (no account for the document, or no date or amount on the record).
    pub keys: Vec<Option<String>>,
    /// Why the document's records are not de-duplicated, when they are not.
    pub unkeyed: Option<&'static str>,
}

/// Why a document is not de-duplicated: it prints no account number and no holder.
pub(super) const NO_ACCOUNT: &str = "no_account";

/// The natural keys of `ex`'s records.
pub(super) fn document_keys(ex: &Extraction) -> DocumentKeys {
    let Some(account) = account(&ex.fields, &ex.records) else {
        return DocumentKeys {
            keys: vec![None; ex.records.len()],
            unkeyed: Some(NO_ACCOUNT),
        };
    };
    let mut seen: HashMap<[String; 4], u64> = HashMap::new();
    let keys = ex
        .records
        .iter()
        .map(|rec| {
            let parts = record_parts(rec)?;
            let n = seen.entry(parts.clone()).or_insert(0);
            let occurrence = *n;
            *n += 1;
            let [date, time, amount, balance] = &parts;
            Some(sha256_parts(&[
                KEY_VERSION,
                account.as_bytes(),
                date.as_bytes(),
                time.as_bytes(),
                amount.as_bytes(),
                balance.as_bytes(),
                occurrence.to_string().as_bytes(),
            ]))
        })
        .collect();
    DocumentKeys {
        keys,
        unkeyed: None,
    }
}

/// The account a document's records belong to: `n:` and the normalised account number, else
/// `h:` and the normalised holder with the currency (of the document, else of its first record
/// that has one). `None` when the document prints neither a number nor a holder.
pub(super) fn account(fields: &Value, records: &[Value]) -> Option<String> {
    if let Some(n) = text(fields.get("account_number")).and_then(normalise_account_number) {
        return Some(format!("n:{n}"));
    }
    let holder = text(fields.get("account_holder")).and_then(normalise_holder)?;
    let currency = text(fields.get("currency"))
        .or_else(|| records.iter().find_map(|r| text(r.get("currency"))))
        .map(normalise_currency)
        .unwrap_or_default();
    Some(format!("h:{holder}|{currency}"))
}

fn text(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// An account number as digits and mask characters only (every mask character as `*`; full-width
/// digits as ASCII), e.g. `6222 0212 **** 5678` and `6222-0212-XXXX-5678` both give
/// `62220212****5678`. `None` when no digit is left: a number printed fully masked identifies
/// nothing.
pub(super) fn normalise_account_number(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_digit() {
            out.push(c);
        } else if ('０'..='９').contains(&c) {
            out.push(char::from(b'0' + (c as u32 - '０' as u32) as u8));
        } else if matches!(c, '*' | '＊' | 'x' | 'X' | '×' | '•' | '●' | '·' | '#') {
            out.push('*');
        }
    }
    out.chars().any(|c| c.is_ascii_digit()).then_some(out)
}

/// A holder's name with case folded and every run of spaces or punctuation as one space, e.g.
/// `SMITH,  John` → `smith john`. `None` when nothing is left.
pub(super) fn normalise_holder(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut gap = false;
    for c in s.chars() {
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    (!out.is_empty()).then_some(out)
}

fn normalise_currency(s: &str) -> String {
    s.trim().to_uppercase()
}

/// `[date, time, amount, balance]` of a record in normal form (time and balance empty when not
/// given); `None` when it has no parsable date or amount.
fn record_parts(rec: &Value) -> Option<[String; 4]> {
    let date = text(rec.get("date")).and_then(normalise_date)?;
    let amount = normalise_decimal(rec.get("amount")?)?;
    let time = match text(rec.get("time")) {
        Some(t) => normalise_time(t)?,
        None => String::new(),
    };
    let balance = match rec.get("balance") {
        None | Some(Value::Null) => String::new(),
        Some(v) => normalise_decimal(v)?,
    };
    Some([date, time, amount, balance])
}

/// `YYYY-MM-DD` (the extraction's form; a timestamp's date part is accepted).
fn normalise_date(s: &str) -> Option<String> {
    let day = s.get(..10).unwrap_or(s);
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .map(|d| d.format("%Y-%m-%d").to_string())
}

/// `HH:MM:SS` (seconds 00 when the record gives minutes only; fractions kept when not zero).
fn normalise_time(s: &str) -> Option<String> {
    chrono::NaiveTime::parse_from_str(s, "%H:%M:%S%.f")
        .or_else(|_| chrono::NaiveTime::parse_from_str(s, "%H:%M"))
        .ok()
        .map(|t| t.format("%H:%M:%S%.f").to_string())
}

/// A signed decimal without trailing zeros (`-12.50` → `-12.5`, `+3` → `3`); JSON numbers are
/// read through their text, never as floats.
pub(super) fn normalise_decimal(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let d = Decimal::from_str(s.trim_start_matches('+')).ok()?;
    Some(d.normalize().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ex(fields: Value, records: Vec<Value>) -> Extraction {
        Extraction {
            source: docket_core::statement::ExtractionSource {
                path: "a.pdf".into(),
                sha256: "00".into(),
                pages: 1,
            },
            schema: "bank_statement".into(),
            fields,
            records,
            checks: Vec::new(),
            provenance: Default::default(),
            needs_review: false,
        }
    }

    fn rec(date: &str, amount: &str, balance: Option<&str>) -> Value {
        json!({ "date": date, "time": null, "description": "COFFEE", "amount": amount, "balance": balance })
    }

    #[test]
    fn account_numbers_keep_digits_and_masks() {
        assert_eq!(
            normalise_account_number("6222 0212 **** 5678").as_deref(),
            Some("62220212****5678")
        );
        assert_eq!(
            normalise_account_number("6222-0212-XXXX-5678"),
            normalise_account_number("6222 0212 •••• 5678")
        );
        assert_eq!(
            normalise_account_number("Acct ６２２２ 0212").as_deref(),
            Some("62220212")
        );
        assert_eq!(normalise_account_number("**** ****"), None);
        assert_eq!(normalise_account_number("   "), None);
    }

    #[test]
    fn holders_fold_case_and_punctuation() {
        assert_eq!(
            normalise_holder("SMITH,  John").as_deref(),
            Some("smith john")
        );
        assert_eq!(
            normalise_holder(" smith john. "),
            normalise_holder("Smith John")
        );
        assert_eq!(normalise_holder("张三").as_deref(), Some("张三"));
        assert_eq!(normalise_holder(" - "), None);
    }

    #[test]
    fn account_falls_back_to_holder_and_currency() {
        let f = json!({ "account_number": "12 34", "account_holder": "A", "currency": "GBP" });
        assert_eq!(account(&f, &[]).as_deref(), Some("n:1234"));
        let f = json!({ "account_number": null, "account_holder": "Jane DOE", "currency": "gbp" });
        assert_eq!(account(&f, &[]).as_deref(), Some("h:jane doe|GBP"));
        let f = json!({ "account_holder": "Jane Doe" });
        let recs = [json!({ "currency": "USD" })];
        assert_eq!(account(&f, &recs).as_deref(), Some("h:jane doe|USD"));
        assert_eq!(account(&json!({ "account_number": "" }), &[]), None);
        assert_eq!(account(&json!({}), &[]), None);
    }

    #[test]
    fn values_in_normal_form() {
        assert_eq!(
            normalise_decimal(&json!("-12.50")).as_deref(),
            Some("-12.5")
        );
        assert_eq!(normalise_decimal(&json!("+3.00")).as_deref(), Some("3"));
        assert_eq!(normalise_decimal(&json!(3.1)).as_deref(), Some("3.1"));
        assert_eq!(normalise_decimal(&json!("abc")), None);
        assert_eq!(normalise_time("09:05").as_deref(), Some("09:05:00"));
        assert_eq!(normalise_time("09:05:07").as_deref(), Some("09:05:07"));
        assert_eq!(normalise_date("2026-03-05").as_deref(), Some("2026-03-05"));
        assert_eq!(normalise_date("05/03/2026"), None);
    }

    #[test]
    fn same_transactions_from_two_files_share_keys() {
        let pdf = ex(
            json!({ "account_number": "6222 0212 1234 5678" }),
            vec![rec("2026-03-05", "-3.50", Some("96.50"))],
        );
        let xlsx = ex(
            json!({ "account_number": "6222021212345678" }),
            vec![rec("2026-03-05", "-3.5", Some("96.5"))],
        );
        assert_eq!(document_keys(&pdf), document_keys(&xlsx));
        assert!(document_keys(&pdf).keys[0].is_some());
        let other = ex(
            json!({ "account_number": "6222 0212 1234 5679" }),
            vec![rec("2026-03-05", "-3.50", Some("96.50"))],
        );
        assert_ne!(document_keys(&pdf).keys, document_keys(&other).keys);
    }

    #[test]
    fn equal_rows_are_told_apart_by_occurrence() {
        let coffee = || rec("2026-03-05", "-3.50", None);
        let two = document_keys(&ex(
            json!({ "account_number": "1" }),
            vec![coffee(), coffee()],
        ));
        let three = document_keys(&ex(
            json!({ "account_number": "1" }),
            vec![coffee(), rec("2026-03-05", "10", None), coffee(), coffee()],
        ));
        assert_ne!(two.keys[0], two.keys[1], "two coffees are two records");
        assert_eq!(two.keys[0], three.keys[0]);
        assert_eq!(two.keys[1], three.keys[2]);
        assert!(!two.keys.contains(&three.keys[3]), "the third one is new");
        // A balance or a time tells otherwise equal rows apart by itself.
        let timed = document_keys(&ex(
            json!({ "account_number": "1" }),
            vec![json!({ "date": "2026-03-05", "time": "08:00:00", "amount": "-3.50" })],
        ));
        assert_ne!(timed.keys[0], two.keys[0]);
    }

    #[test]
    fn documents_without_account_or_records_without_amount_have_no_key() {
        let k = document_keys(&ex(json!({}), vec![rec("2026-03-05", "1", None)]));
        assert_eq!((k.keys, k.unkeyed), (vec![None], Some(NO_ACCOUNT)));
        let k = document_keys(&ex(
            json!({ "account_holder": "Jane" }),
            vec![
                json!({ "date": "2026-03-05" }),
                rec("2026-03-05", "1", None),
            ],
        ));
        assert_eq!(k.unkeyed, None);
        assert!(k.keys[0].is_none() && k.keys[1].is_some());
    }
}
