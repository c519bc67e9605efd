//! Structured statement files that banks deliver beside (or instead of) PDFs: OFX (1.x SGML and
//! 2.x XML), SWIFT MT940 and ISO 20022 camt.053. Each format's parser turns the file into
//! [`Statement`]s; every statement becomes one [`Sheet`] in the shape the extractor's sheet
//! reader already understands, so these files go through the same extraction, checks and
//! provenance as a bank's spreadsheet export:
//!
//! ```text
//! Statement        | STATEMENT001                         |   | … | 4
//! Account Number   | FR7630006000011234567890189          |   | … | 5
//! Currency         | EUR                                  |   | … | 7
//! Statement Period | 2025-08-01 to 2025-08-06             |   | … | 7
//! Opening Balance  | 1500.00                              |   | … | 7
//! Closing Balance  | 2496.71                              |   | … | 21
//!                  |                                      |   |   |
//! Date             | Booking Date | Description | … | Amount | Balance | Currency | Reference | Source line
//! 2025-08-01       | 2025-08-01   | …           | … | -42.50 |         | EUR      | NONREF    | 8
//! ```
//!
//! Amounts are signed (credits positive) decimal text, dates ISO, and the last column is the
//! 1-based line of the original file each value was read from, so an auditor can trace it. The
//! blank row keeps the label block from being joined to the header as a two-row header.
//!
//! Recognition is by content ([`sniff`]), never by extension. Money is [`Decimal`] from the
//! file's text, never a float. A file that breaks its format is refused with
//! [`ErrorCode::CorruptStatementFile`] naming the line and the field; nothing here panics.

pub(crate) mod camt;
pub(crate) mod mt940;
pub(crate) mod ofx;

use crate::{DigitiseError, Kind};
use chrono::NaiveDate;
use docket_core::{CellValue, ErrorCode, Sheet};
use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, WINDOWS_1252};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::str::FromStr;

/// The element tree both markup readers (OFX, camt.053) build: lookups by child name, by path
/// and by descendant name, written once.
pub(crate) trait Tree: Sized {
    /// The element's (tag) name.
    fn name(&self) -> &str;
    /// Its children in document order.
    fn children(&self) -> &[Self];

    /// The first child named `name`.
    fn child(&self, name: &str) -> Option<&Self> {
        self.children().iter().find(|c| c.name() == name)
    }

    /// The first descendant at `path` (`"Acct/Id/IBAN"`, `"BANKACCTFROM/ACCTID"`).
    fn at(&self, path: &str) -> Option<&Self> {
        path.split('/').try_fold(self, |e, p| e.child(p))
    }

    /// All descendants named `name` (depth first, document order), not looking inside them.
    fn find_all<'a>(&'a self, name: &str, out: &mut Vec<&'a Self>) {
        for c in self.children() {
            if c.name() == name {
                out.push(c);
            } else {
                c.find_all(name, out);
            }
        }
    }
}

/// A value and the 1-based line of the file it was read from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct At<T> {
    pub value: T,
    pub line: usize,
}

impl<T> At<T> {
    pub fn new(value: T, line: usize) -> Self {
        Self { value, line }
    }
}

/// One transaction of a statement.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    /// Line where the transaction starts (`<STMTTRN>`, `:61:`, `<Ntry>`).
    pub line: usize,
    /// The date the statement dates it by.
    pub date: NaiveDate,
    /// The format's second date (MT940 entry date, camt value date), when given.
    pub second_date: Option<NaiveDate>,
    pub description: String,
    pub counterparty: Option<String>,
    pub counterparty_account: Option<String>,
    /// Signed: credits positive.
    pub amount: Decimal,
    pub balance: Option<Decimal>,
    pub currency: Option<String>,
    /// The bank's or the customer's reference of the transaction.
    pub reference: Option<String>,
}

/// One statement of a file.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Statement {
    pub reference: Option<At<String>>,
    pub holder: Option<At<String>>,
    pub account: Option<At<String>>,
    pub currency: Option<At<String>>,
    pub period: Option<At<(NaiveDate, NaiveDate)>>,
    pub opening: Option<At<Decimal>>,
    pub closing: Option<At<Decimal>>,
    /// Header of the second date column (`Booking Date`, `Value Date`), when the format has one.
    pub second_date: Option<&'static str>,
    pub entries: Vec<Entry>,
    pub warnings: Vec<String>,
}

impl Statement {
    /// The statement as a sheet: label/value rows, a blank row, the header, one row per entry.
    fn to_sheet(&self, index: u32, format: &str) -> Sheet {
        let mut header: Vec<&str> = vec!["Date"];
        if let Some(second) = self.second_date {
            header.push(second);
        }
        header.extend([
            "Description",
            "Counterparty",
            "Counterparty Account",
            "Amount",
            "Balance",
            "Currency",
            "Reference",
            "Source line",
        ]);
        let width = header.len();
        let text = |s: &str| CellValue::Text(s.to_string());
        let line_cell = |line: usize| CellValue::Number(line.to_string());
        let mut rows: Vec<Vec<CellValue>> = Vec::new();
        let mut label = |name: &str, value: String, line: usize| {
            let mut row = vec![CellValue::Empty; width];
            row[0] = text(name);
            row[1] = CellValue::Text(value);
            row[width - 1] = line_cell(line);
            rows.push(row);
        };
        if let Some(r) = &self.reference {
            label("Statement", r.value.clone(), r.line);
        }
        if let Some(h) = &self.holder {
            label("Account Holder", h.value.clone(), h.line);
        }
        if let Some(a) = &self.account {
            label("Account Number", a.value.clone(), a.line);
        }
        if let Some(c) = &self.currency {
            label("Currency", c.value.clone(), c.line);
        }
        if let Some(p) = &self.period {
            let (a, b) = p.value;
            label("Statement Period", format!("{a} to {b}"), p.line);
        }
        if let Some(o) = &self.opening {
            label("Opening Balance", o.value.to_string(), o.line);
        }
        if let Some(c) = &self.closing {
            label("Closing Balance", c.value.to_string(), c.line);
        }
        rows.push(vec![CellValue::Empty; width]);
        rows.push(header.iter().map(|h| text(h)).collect());
        for e in &self.entries {
            let mut row = vec![CellValue::Date(e.date.to_string())];
            if self.second_date.is_some() {
                row.push(
                    e.second_date
                        .map_or(CellValue::Empty, |d| CellValue::Date(d.to_string())),
                );
            }
            let opt = |v: &Option<String>| v.as_deref().map_or(CellValue::Empty, text);
            row.push(text(&e.description));
            row.push(opt(&e.counterparty));
            row.push(opt(&e.counterparty_account));
            row.push(CellValue::Text(e.amount.to_string()));
            row.push(
                e.balance
                    .map_or(CellValue::Empty, |b| CellValue::Text(b.to_string())),
            );
            row.push(opt(&e.currency));
            row.push(opt(&e.reference));
            row.push(line_cell(e.line));
            rows.push(row);
        }
        let name = match &self.reference {
            Some(r) => format!("{format} {}", r.value),
            None => format!("{format} statement {index}"),
        };
        Sheet {
            name,
            index,
            rows,
            merged: Vec::new(),
            warnings: self.warnings.clone(),
        }
    }
}

/// Reads a statement file of `kind` into one sheet per statement.
pub fn read(kind: Kind, bytes: &[u8]) -> Result<Vec<Sheet>, DigitiseError> {
    let (statements, format) = match kind {
        Kind::Ofx => (ofx::parse(bytes)?, "OFX"),
        Kind::Mt940 => (mt940::parse(bytes)?, "MT940"),
        Kind::Camt053 => (camt::parse(bytes)?, "camt.053"),
        other => {
            return Err(DigitiseError::new(
                ErrorCode::UnsupportedFile,
                format!("{} is not a statement file", other.name()),
            ));
        }
    };
    Ok(statements
        .iter()
        .enumerate()
        .map(|(i, s)| s.to_sheet(u32::try_from(i + 1).unwrap_or(u32::MAX), format))
        .collect())
}

/// How many bytes of the file's start [`sniff`] looks at.
const SNIFF_PREFIX: usize = 64 * 1024;

/// Recognises OFX, MT940 and camt.053 by their content: OFX by its `OFXHEADER:` header or its
/// `<OFX>` root, camt.053 by an XML root with a camt.053 namespace or a `BkToCstmrStmt` element,
/// MT940 by lines that start with the tags `:20:` (reference), `:25:` (account) and a balance or
/// statement line (`:60F:`, `:60M:`, `:61:`, `:62F:`). Only the first 64 KiB are looked at.
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    let head = &bytes[..bytes.len().min(SNIFF_PREFIX)];
    let text: Cow<'_, str> = if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        let enc = if head[0] == 0xFF { UTF_16LE } else { UTF_16BE };
        enc.decode_without_bom_handling(&head[2..]).0
    } else {
        // The markers are ASCII: decode loosely, a stray byte must not hide them.
        String::from_utf8_lossy(head)
    };
    let t = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    let upper_head: String = t
        .chars()
        .take(4096)
        .collect::<String>()
        .to_ascii_uppercase();
    if upper_head.starts_with("OFXHEADER") {
        return Some(Kind::Ofx);
    }
    if t.starts_with('<') {
        if upper_head.contains("<OFX>") || upper_head.contains("<?OFX ") {
            return Some(Kind::Ofx);
        }
        if t.contains("camt.053") || t.contains("BkToCstmrStmt>") || t.contains("BkToCstmrStmt ") {
            return Some(Kind::Camt053);
        }
        return None;
    }
    let mut tags = [false; 3];
    for line in t.lines() {
        // Block 4 of a SWIFT message may start on the line of its `{4:` marker.
        let line = line
            .rsplit_once("{4:")
            .map_or(line, |(_, rest)| rest)
            .trim_start();
        if line.starts_with(":20:") {
            tags[0] = true;
        } else if line.starts_with(":25:") {
            tags[1] = true;
        } else if [":60F:", ":60M:", ":61:", ":62F:"]
            .iter()
            .any(|tag| line.starts_with(tag))
        {
            tags[2] = true;
        }
        if tags.iter().all(|x| *x) {
            return Some(Kind::Mt940);
        }
    }
    None
}

/// Decodes a statement file: a byte-order mark decides, then strict UTF-8, then the encoding the
/// file declares (`declared`, an encoding label such as `windows-1252`), then Windows-1252, which
/// the SGML OFX and MT940 files of European banks use. Never fails: Windows-1252 maps every byte.
pub(crate) fn decode<'a>(bytes: &'a [u8], declared: Option<&str>) -> Cow<'a, str> {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        return enc.decode_without_bom_handling(&bytes[bom_len..]).0;
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(s);
    }
    let enc = declared
        .and_then(|l| Encoding::for_label(l.trim().as_bytes()))
        .filter(|e| e.is_ascii_compatible())
        .unwrap_or(WINDOWS_1252);
    enc.decode_without_bom_handling(bytes).0
}

/// Byte offsets of line starts, to turn an offset into a 1-based line number.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { starts }
    }

    /// The 1-based line of byte `offset`.
    pub fn line(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }
}

/// A plain decimal as statement files write it: an optional sign, digits, and at most one
/// decimal point or decimal comma (`-12.50`, `1234,56`, MT940's `42,`). No thousands separators.
pub(crate) fn parse_decimal(raw: &str) -> Option<Decimal> {
    let t = raw.trim();
    let (negative, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut seps = body.match_indices(['.', ',']);
    let (int, frac) = match (seps.next(), seps.next()) {
        (None, _) => (body, ""),
        (Some((i, _)), None) => (&body[..i], &body[i + 1..]),
        (Some(_), Some(_)) => return None,
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() && frac.is_empty() || !digits(int) || !digits(frac) {
        return None;
    }
    let int = if int.is_empty() { "0" } else { int };
    let text = if frac.is_empty() {
        int.to_string()
    } else {
        format!("{int}.{frac}")
    };
    let v = Decimal::from_str(&text).ok()?;
    Some(if negative { -v } else { v })
}

/// Collapses runs of whitespace (line breaks included) into single spaces and trims.
pub(crate) fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A [`ErrorCode::CorruptStatementFile`] error.
pub(crate) fn corrupt(message: impl Into<String>) -> DigitiseError {
    DigitiseError::new(ErrorCode::CorruptStatementFile, message)
}

/// What to do about a file that breaks its format.
pub(crate) const EXPORT_AGAIN: &str = "download or export the statement again from the bank";

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Option<String> {
        parse_decimal(s).map(|d| d.to_string())
    }

    #[test]
    fn decimals_with_point_or_comma_and_nothing_else() {
        assert_eq!(dec("1234,56").as_deref(), Some("1234.56"));
        assert_eq!(dec("-12.50").as_deref(), Some("-12.50"));
        assert_eq!(dec("+0.01").as_deref(), Some("0.01"));
        assert_eq!(dec("42,").as_deref(), Some("42"));
        assert_eq!(dec(",5").as_deref(), Some("0.5"));
        assert_eq!(dec("1,234.56"), None);
        assert_eq!(dec("12a"), None);
        assert_eq!(dec(""), None);
        assert_eq!(dec("-"), None);
        assert_eq!(dec("1e5"), None);
    }

    #[test]
    fn sniffing_by_content() {
        assert_eq!(
            sniff(b"OFXHEADER:100\nDATA:OFXSGML\n\n<OFX>"),
            Some(Kind::Ofx)
        );
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?>\n<?OFX OFXHEADER=\"200\"?>\n<OFX></OFX>"),
            Some(Kind::Ofx)
        );
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>"),
            Some(Kind::Camt053)
        );
        assert_eq!(
            sniff(b"{1:F01X}{2:I940X}{4:\r\n:20:REF\r\n:25:ACC\r\n:28C:1\r\n:60F:C250101EUR1,00\r\n-}"),
            Some(Kind::Mt940)
        );
        assert_eq!(sniff(b"Date,Amount\n2025-01-01,:20:\n"), None);
        assert_eq!(sniff(b"<html><body>OFX</body></html>"), None);
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), None);
    }

    #[test]
    fn line_index() {
        let idx = LineIndex::new("a\nbc\n\nd");
        assert_eq!(idx.line(0), 1);
        assert_eq!(idx.line(2), 2);
        assert_eq!(idx.line(3), 2);
        assert_eq!(idx.line(5), 3);
        assert_eq!(idx.line(6), 4);
    }
}
