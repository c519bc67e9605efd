//! SWIFT MT940 customer statements: the text of block 4 (`{4:` … `-}`, or bare tags as many
//! banks export them), split into fields at lines that start with a `:NN[A]:` tag; a field's
//! following lines are its continuation. Each `:20:` starts a statement; `:25:` is the account,
//! `:60F:`/`:60M:` the opening balance (the first one), `:62F:`/`:62M:` the closing balance (the
//! last one), and each `:61:` a transaction, described by the `:86:` that follows it.
//!
//! `:61:` is `YYMMDD[MMDD]` (value date, optional entry date), the mark `C`, `D`, `RC`
//! (reversal of a credit: money out) or `RD` (reversal of a debit: money in), an optional funds
//! code letter, the amount with a decimal comma (`1234,56`), the transaction type (`NTRF`), the
//! customer's reference and `//` the bank's reference, and on its next line supplementary
//! details. Dates are by the value date, as the message prints it first; the entry date is kept
//! as the booking date. The description is the `:86:` text with its line breaks as spaces (the
//! supplementary details when there is no `:86:`); the counterparty is read from the structured
//! `/NAME/` and `/IBAN/` sub-fields or the German `?32`/`?33` and `?31` sub-fields.

use super::{At, EXPORT_AGAIN, Entry, Statement, collapse, corrupt, decode, parse_decimal};
use crate::DigitiseError;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

/// One tagged field: its tag, its lines joined with `\n`, and the line it starts on.
#[derive(Debug)]
struct Field {
    tag: String,
    value: String,
    line: usize,
}

/// Parses an MT940 file into its statements.
pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<Statement>, DigitiseError> {
    let text = decode(bytes, None);
    let fields = fields(&text);
    let mut out: Vec<Statement> = Vec::new();
    // Whether the last field of the current statement was a `:61:` (so an `:86:` describes it).
    let mut after_61 = false;
    for f in &fields {
        if f.tag == "20" || out.is_empty() {
            out.push(Statement {
                second_date: Some("Booking Date"),
                ..Statement::default()
            });
        }
        let Some(st) = out.last_mut() else { continue };
        let was_after_61 = after_61;
        after_61 = false;
        let value = f.value.trim();
        match f.tag.as_str() {
            "20" => st.reference = Some(At::new(collapse(value), f.line)),
            "25" => st.account = Some(At::new(collapse(value), f.line)),
            "60F" | "60M" if st.opening.is_none() => {
                let (amount, ccy) = balance(f)?;
                st.opening = Some(At::new(amount, f.line));
                st.currency.get_or_insert(At::new(ccy, f.line));
            }
            "62F" | "62M" => {
                let (amount, ccy) = balance(f)?;
                st.closing = Some(At::new(amount, f.line));
                st.currency.get_or_insert(At::new(ccy, f.line));
            }
            "61" => {
                let ccy = st.currency.as_ref().map(|c| c.value.clone());
                st.entries.push(statement_line(f, ccy)?);
                after_61 = true;
            }
            "86" if was_after_61 => {
                if let Some(e) = st.entries.last_mut() {
                    let info = collapse(value);
                    let (name, account) = counterparty(&info);
                    e.counterparty = name;
                    e.counterparty_account = account;
                    if !info.is_empty() {
                        e.description = info;
                    }
                }
            }
            "86" => st.warnings.push(format!(
                "MT940 line {}: an :86: that follows no :61: (information for the whole \
                 statement) was not read as a transaction",
                f.line
            )),
            _ => {}
        }
    }
    if !fields.iter().any(|f| f.tag == "61") {
        let where_ = match fields.first() {
            Some(f) => format!("the statement starting on line {}", f.line),
            None => "the file".into(),
        };
        return Err(corrupt(format!(
            "MT940: {where_} has no :61: statement line, so no transaction can be read (a \
             balance-only report, or a file cut off before its transactions); {EXPORT_AGAIN}, \
             or skip the file if the account had no movement"
        )));
    }
    for st in &out {
        if st.account.is_none() {
            let line = st.reference.as_ref().map_or(1, |r| r.line);
            return Err(corrupt(format!(
                "MT940 line {line}: the statement has no :25: account identification; \
                 {EXPORT_AGAIN}"
            )));
        }
    }
    Ok(out)
}

/// Splits the text into tagged fields. Lines outside block 4 (`{1:…}{2:…}`, `-}`, `{5:…}`) and
/// lines before the first tag are skipped.
fn fields(text: &str) -> Vec<Field> {
    let mut out: Vec<Field> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let mut line = raw.trim_end_matches(['\r', '\n']);
        if let Some((_, rest)) = line.rsplit_once("{4:") {
            line = rest;
        }
        let trimmed = line.trim();
        if trimmed.starts_with('{') || trimmed.starts_with("-}") || trimmed == "-" {
            // A header block or the end of a message; the next message starts with `:20:`.
            if trimmed.starts_with("-}") || trimmed == "-" {
                out.push(Field {
                    tag: "-".into(),
                    value: String::new(),
                    line: line_no,
                });
            }
            continue;
        }
        if let Some(tag) = tag_of(line) {
            out.push(Field {
                tag: tag.to_string(),
                value: line[tag.len() + 2..].to_string(),
                line: line_no,
            });
        } else if let Some(f) = out.last_mut()
            && f.tag != "-"
        {
            f.value.push('\n');
            f.value.push_str(line);
        }
    }
    out.retain(|f| f.tag != "-");
    out
}

/// The tag of a line that starts a field (`:61:` → `61`, `:60F:` → `60F`).
fn tag_of(line: &str) -> Option<&str> {
    let rest = line.strip_prefix(':')?;
    let end = rest.find(':')?;
    let tag = &rest[..end];
    let b = tag.as_bytes();
    let ok = (2..=3).contains(&b.len())
        && b[0].is_ascii_digit()
        && b[1].is_ascii_digit()
        && b.get(2).is_none_or(|c| c.is_ascii_uppercase());
    ok.then_some(tag)
}

/// `YYMMDD` with the SWIFT century rule (years 80-99 are 19xx).
fn yymmdd(s: &str) -> Option<NaiveDate> {
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let yy: i32 = s[..2].parse().ok()?;
    let year = if yy >= 80 { 1900 + yy } else { 2000 + yy };
    NaiveDate::from_ymd_opt(year, s[2..4].parse().ok()?, s[4..6].parse().ok()?)
}

/// A balance field (`C250801EUR1500,00`): the signed amount and the currency.
fn balance(f: &Field) -> Result<(Decimal, String), DigitiseError> {
    let v = f.value.lines().next().unwrap_or_default().trim();
    let bad = |what: &str| {
        corrupt(format!(
            "MT940 line {}: :{}: \"{v}\" {what} (expected a mark C or D, a date YYMMDD, a \
             currency and an amount such as C250801EUR1500,00); {EXPORT_AGAIN}",
            f.line, f.tag
        ))
    };
    let sign = match v.as_bytes().first() {
        Some(b'C') => Decimal::ONE,
        Some(b'D') => Decimal::NEGATIVE_ONE,
        _ => return Err(bad("has no debit/credit mark")),
    };
    let date = v.get(1..7).ok_or_else(|| bad("is too short"))?;
    yymmdd(date).ok_or_else(|| bad("has no valid date"))?;
    let ccy = v.get(7..10).ok_or_else(|| bad("is too short"))?;
    if !ccy.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(bad("has no currency code"));
    }
    let amount = v
        .get(10..)
        .and_then(parse_decimal)
        .ok_or_else(|| bad("has an amount that is not a decimal-comma number"))?;
    Ok((sign * amount, ccy.to_string()))
}

/// Reads a `:61:` statement line.
fn statement_line(f: &Field, currency: Option<String>) -> Result<Entry, DigitiseError> {
    let mut lines = f.value.split('\n');
    let first = lines.next().unwrap_or_default().trim();
    let supplementary = collapse(&lines.collect::<Vec<_>>().join(" "));
    let bad = |what: &str| {
        corrupt(format!(
            "MT940 line {}: :61: \"{first}\" {what}; {EXPORT_AGAIN}",
            f.line
        ))
    };
    let value_date = first
        .get(..6)
        .and_then(yymmdd)
        .ok_or_else(|| bad("does not start with a valid value date YYMMDD"))?;
    let mut rest = &first[6..];
    let mut entry_date = None;
    if rest.len() >= 4 && rest.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
        let (m, d): (u32, u32) = (
            rest[..2].parse().unwrap_or(0),
            rest[2..4].parse().unwrap_or(0),
        );
        // The entry date has no year: the one that puts it nearest the value date.
        let year = value_date.year();
        entry_date = [year, year - 1, year + 1]
            .iter()
            .filter_map(|y| NaiveDate::from_ymd_opt(*y, m, d))
            .min_by_key(|d| (*d - value_date).num_days().abs());
        if entry_date.is_none() {
            return Err(bad("has an entry date MMDD that is not a date"));
        }
        rest = &rest[4..];
    }
    let (sign, mark_len) = if rest.starts_with("RC") {
        (Decimal::NEGATIVE_ONE, 2)
    } else if rest.starts_with("RD") {
        (Decimal::ONE, 2)
    } else if rest.starts_with('C') {
        (Decimal::ONE, 1)
    } else if rest.starts_with('D') {
        (Decimal::NEGATIVE_ONE, 1)
    } else {
        return Err(bad(
            "has no debit/credit mark (C, D, RC or RD) after the date",
        ));
    };
    rest = &rest[mark_len..];
    // The optional funds code: the third letter of the currency code.
    if rest.as_bytes().first().is_some_and(u8::is_ascii_alphabetic) {
        rest = &rest[1..];
    }
    let amount_len = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.'))
        .unwrap_or(rest.len());
    // SWIFT amounts always carry their decimal comma (`42,` is 42).
    let amount = Some(&rest[..amount_len])
        .filter(|a| a.contains([',', '.']))
        .and_then(parse_decimal)
        .ok_or_else(|| bad("has an amount that is not a decimal-comma number such as 1234,56"))?;
    rest = &rest[amount_len..];
    // Transaction type (`NTRF`, `FMSC`, `S103`), then the references.
    let kind = rest.get(..4).unwrap_or(rest).to_string();
    if kind.len() < 4 || !kind.starts_with(['N', 'F', 'S']) {
        return Err(bad(
            "has no transaction type (N, F or S and three characters) after the amount: the \
             amount or the type is damaged",
        ));
    }
    let refs = rest.get(4..).unwrap_or_default();
    let (customer_ref, bank_ref) = match refs.split_once("//") {
        Some((c, b)) => (c.trim(), b.trim()),
        None => (refs.trim(), ""),
    };
    let reference = [customer_ref, bank_ref]
        .iter()
        .filter(|r| !r.is_empty() && **r != "NONREF")
        .copied()
        .collect::<Vec<_>>()
        .join(" // ");
    let description = if supplementary.is_empty() {
        [kind.as_str(), customer_ref]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        supplementary
    };
    Ok(Entry {
        line: f.line,
        date: value_date,
        second_date: entry_date,
        description,
        counterparty: None,
        counterparty_account: None,
        amount: sign * amount,
        balance: None,
        currency,
        reference: (!reference.is_empty()).then_some(reference),
    })
}

/// Structured `/KEY/` codes of `:86:` texts (SEPA and Dutch banks' layout).
const SLASH_KEYS: &[&str] = &[
    "TRTP", "IBAN", "BIC", "NAME", "REMI", "EREF", "MARF", "CSID", "ADDR", "ORDP", "BENM", "CNTP",
    "PURP", "RTRN", "ULTD", "ULTC", "ULTB", "SVCL", "ISDT", "RTRF", "PREF", "ID",
];

/// The counterparty name and account an `:86:` names, from `/NAME/…/IBAN/…` or `?32`…`?33`
/// and `?31` sub-fields; `(None, None)` for free text.
fn counterparty(info: &str) -> (Option<String>, Option<String>) {
    if info.starts_with('/') {
        let value = |key: &str| {
            let marker = format!("/{key}/");
            let start = info.find(&marker)? + marker.len();
            let rest = &info[start..];
            let end = SLASH_KEYS
                .iter()
                .filter_map(|k| rest.find(&format!("/{k}/")))
                .min()
                .unwrap_or(rest.len());
            let v = rest[..end].trim_end_matches('/').trim();
            (!v.is_empty()).then(|| v.to_string())
        };
        return (value("NAME"), value("IBAN"));
    }
    // German layout: a three-digit transaction code, then `?NN` sub-fields.
    let b = info.as_bytes();
    if b.len() > 4 && b[..3].iter().all(u8::is_ascii_digit) && b[3] == b'?' {
        let mut subs: Vec<(&str, String)> = Vec::new();
        for part in info[4..].split('?') {
            if part.len() >= 2 && part.as_bytes()[..2].iter().all(u8::is_ascii_digit) {
                subs.push((&part[..2], part[2..].to_string()));
            } else if let Some((_, v)) = subs.last_mut() {
                // A `?` inside a value: it stays part of that value.
                v.push('?');
                v.push_str(part);
            }
        }
        // Sub-fields are fixed-width pieces: `?32`+`?33` may split a name anywhere.
        let get = |code: &str| {
            subs.iter()
                .filter(|(c, _)| *c == code)
                .map(|(_, v)| v.as_str())
                .collect::<String>()
        };
        let name = collapse(&format!("{}{}", get("32"), get("33")));
        let account = collapse(&get("31"));
        return (
            (!name.is_empty()).then_some(name),
            (!account.is_empty()).then_some(account),
        );
    }
    (None, None)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn field(tag: &str, value: &str) -> Field {
        Field {
            tag: tag.into(),
            value: value.into(),
            line: 7,
        }
    }

    #[test]
    fn statement_lines_with_and_without_entry_date_and_reversals() {
        let e =
            statement_line(&field("61", "2508010801D42,50NTRFNONREF//BANKREF001"), None).unwrap();
        assert_eq!(e.date.to_string(), "2025-08-01");
        assert_eq!(e.second_date.unwrap().to_string(), "2025-08-01");
        assert_eq!(e.amount.to_string(), "-42.50");
        assert_eq!(e.reference.as_deref(), Some("BANKREF001"));
        let e = statement_line(&field("61", "251231RC1,NMSCREF1\nreversed fee"), None).unwrap();
        assert_eq!(e.amount.to_string(), "-1");
        assert_eq!(e.second_date, None);
        assert_eq!(e.description, "reversed fee");
        assert!(statement_line(&field("61", "251231RC1NMSC"), None).is_err());
        assert!(statement_line(&field("61", "251231C1;5NMSC"), None).is_err());
        let e = statement_line(&field("61", "2512310101RDR12,5FTRFX//Y"), None).unwrap();
        assert_eq!(e.amount.to_string(), "12.5");
        assert_eq!(e.second_date.unwrap().to_string(), "2026-01-01");
        let err = statement_line(&field("61", "250801X1,00NTRF"), None).unwrap_err();
        assert!(
            err.message.contains("line 7") && err.message.contains("mark"),
            "{err}"
        );
        let err = statement_line(&field("61", "250801DNTRF"), None).unwrap_err();
        assert!(err.message.contains("amount"), "{err}");
        let err = statement_line(&field("61", "251301D1,00NTRF"), None).unwrap_err();
        assert!(err.message.contains("value date"), "{err}");
    }

    #[test]
    fn counterparties_from_structured_information() {
        assert_eq!(
            counterparty("/TRTP/SEPA/IBAN/FR14 2004/BIC/PSSTFRPP/NAME/Boulangerie/REMI/F 1"),
            (Some("Boulangerie".into()), Some("FR14 2004".into()))
        );
        assert_eq!(
            counterparty("166?00SEPA ÜBERWEISUNG?20Rechnung 4711?31DE02100?32MÜLLER ?33GMBH"),
            (Some("MÜLLER GMBH".into()), Some("DE02100".into()))
        );
        assert_eq!(counterparty("A44?Librairie"), (None, None));
    }

    #[test]
    fn balances_are_signed() {
        assert_eq!(
            balance(&field("60F", "D250801EUR1500,00")).unwrap(),
            (Decimal::new(-150000, 2), "EUR".into())
        );
        let err = balance(&field("62F", "C250801EUR15x")).unwrap_err();
        assert!(err.message.contains(":62F:"), "{err}");
    }
}
