//! ISO 20022 camt.053 bank-to-customer statements (any `camt.053.001.xx` version; namespace
//! prefixes are ignored). The XML is read with quick-xml into a small element tree that keeps
//! each element's line; every `BkToCstmrStmt/Stmt` is one statement.
//!
//! `Stmt/Id` is the statement's reference, `Acct/Id/IBAN` (or `Acct/Id/Othr/Id`) the account,
//! `Acct/Ccy` the currency, `Acct/Ownr/Nm` the holder, `FrToDt` the period, and the balances
//! `Bal` with type code `OPBD` (else `PRCD`) the opening and `CLBD` the closing balance, signed
//! by their `CdtDbtInd`. Each booked `Ntry` is a transaction: `Amt` signed by `CdtDbtInd`
//! (`CRDT` money in, `DBIT` money out; a reversal's indicator already gives its direction),
//! dated by `BookgDt` with `ValDt` as the value date, described by the remittance information
//! (`RmtInf/Ustrd`, else `RmtInf/Strd/CdtrRefInf/Ref`, else `AddtlTxInf` or `AddtlNtryInf`),
//! with the other party (the debtor of a credit, the creditor of a debit) as counterparty.
//! Pending (`PDNG`) and information-only (`INFO`) entries are not booked and are left out with
//! a warning on the sheet. An entry that batches several transactions stays one record with the
//! entry's amount, so the statement still adds up.

use super::{At, EXPORT_AGAIN, Entry, LineIndex, Statement, Tree, collapse, corrupt, decode};
use crate::DigitiseError;
use chrono::NaiveDate;
use quick_xml::Reader;
use quick_xml::events::Event;
use rust_decimal::Decimal;

/// An XML element: local name, attributes, text and children, with the line it starts on.
#[derive(Debug, Default)]
struct El {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<El>,
    line: usize,
}

impl Tree for El {
    fn name(&self) -> &str {
        &self.name
    }

    fn children(&self) -> &[El] {
        &self.children
    }
}

impl El {
    fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a El> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Trimmed, non-empty text at `path`.
    fn text_at(&self, path: &str) -> Option<At<String>> {
        let e = self.at(path)?;
        let t = collapse(&e.text);
        (!t.is_empty()).then(|| At::new(t, e.line))
    }

    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses a camt.053 file into its statements.
pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<Statement>, DigitiseError> {
    let text = decode(bytes, declared_encoding(bytes).as_deref());
    let root = tree(&text)?;
    let mut containers = Vec::new();
    root.find_all("BkToCstmrStmt", &mut containers);
    if containers.is_empty() {
        let first = root.children.first().map_or("", |e| e.name.as_str());
        return Err(corrupt(format!(
            "camt.053: no <BkToCstmrStmt> element (the document holds <{first}>); camt.052 \
             reports and camt.054 notifications are not read; {EXPORT_AGAIN} as a camt.053 \
             statement"
        )));
    }
    let stmts: Vec<&El> = containers
        .iter()
        .flat_map(|c| c.children_named("Stmt"))
        .collect();
    if stmts.is_empty() {
        return Err(corrupt(format!(
            "camt.053 line {}: <BkToCstmrStmt> holds no <Stmt> statement; {EXPORT_AGAIN}",
            containers[0].line
        )));
    }
    stmts.iter().map(|s| statement(s)).collect()
}

/// The `encoding` of the XML declaration.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(256)]).into_owned();
    let decl = &head[..head.find("?>")?];
    let at = decl.find("encoding=")? + "encoding=".len();
    let rest = &decl[at..];
    let q = rest.chars().next()?;
    let rest = &rest[q.len_utf8()..];
    rest.find(q).map(|end| rest[..end].to_string())
}

/// Reads the XML into an element tree under an unnamed root.
fn tree(text: &str) -> Result<El, DigitiseError> {
    let lines = LineIndex::new(text);
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<El> = vec![El::default()];
    let element = |e: &quick_xml::events::BytesStart<'_>, line: usize| El {
        name: e.local_name().as_ref().to_string(),
        attrs: e
            .attributes()
            .flatten()
            .map(|a| {
                let key = a.key.local_name().as_ref().to_string();
                let value = a
                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .map(|v| v.into_owned())
                    .unwrap_or_else(|_| a.value.to_string());
                (key, value)
            })
            .collect(),
        line,
        ..El::default()
    };
    fn close(stack: &mut Vec<El>) {
        if stack.len() > 1
            && let Some(e) = stack.pop()
            && let Some(parent) = stack.last_mut()
        {
            parent.children.push(e);
        }
    }
    loop {
        let offset = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let line = lines.line(offset);
        let event = reader.read_event().map_err(|e| {
            let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
            corrupt(format!(
                "camt.053 line {}: the XML is not well-formed ({e}); {EXPORT_AGAIN}",
                lines.line(at)
            ))
        })?;
        let top = stack.len() - 1;
        match event {
            Event::Start(e) => stack.push(element(&e, line)),
            Event::Empty(e) => {
                stack.push(element(&e, line));
                close(&mut stack);
            }
            Event::End(_) => close(&mut stack),
            Event::Text(t) => stack[top].text.push_str(&t.xml10_content()),
            Event::CData(t) => stack[top].text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let name = r.xml10_content();
                match r.resolve_char_ref() {
                    Ok(Some(c)) => stack[top].text.push(c),
                    _ => match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(s) => stack[top].text.push_str(s),
                        None => {
                            stack[top].text.push('&');
                            stack[top].text.push_str(&name);
                            stack[top].text.push(';');
                        }
                    },
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() > 1 {
        let open: Vec<String> = stack[1..]
            .iter()
            .map(|e| format!("<{}> (line {})", e.name, e.line))
            .collect();
        return Err(corrupt(format!(
            "camt.053 file ends before its elements are closed: {} never closed; the file was \
             cut off; {EXPORT_AGAIN}",
            open.join(", ")
        )));
    }
    Ok(stack.pop().unwrap_or_default())
}

/// A date or date-time element's date (`2014-12-31`, `2007-10-18T08:00:00+01:00`).
fn date_of(v: &At<String>, what: &str) -> Result<NaiveDate, DigitiseError> {
    v.value
        .get(..10)
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .ok_or_else(|| {
            corrupt(format!(
                "camt.053 line {}: {what} \"{}\" is not a date (YYYY-MM-DD); {EXPORT_AGAIN}",
                v.line, v.value
            ))
        })
}

/// The date of a `Dt`/`DtTm` choice under `el`.
fn choice_date(el: &El, what: &str) -> Result<Option<NaiveDate>, DigitiseError> {
    match el.text_at("Dt").or_else(|| el.text_at("DtTm")) {
        Some(v) => date_of(&v, what).map(Some),
        None => Ok(None),
    }
}

/// `Amt` signed by `CdtDbtInd`, with the amount's currency.
fn signed_amount(el: &El, what: &str) -> Result<(Decimal, Option<String>), DigitiseError> {
    let amt = el.child("Amt").ok_or_else(|| {
        corrupt(format!(
            "camt.053 line {}: the {what} has no <Amt>; {EXPORT_AGAIN}",
            el.line
        ))
    })?;
    let raw = amt.text.trim();
    let value = super::parse_decimal(raw).ok_or_else(|| {
        corrupt(format!(
            "camt.053 line {}: the {what}'s <Amt> \"{raw}\" is not an amount (a decimal such as \
             1234.56); {EXPORT_AGAIN}",
            amt.line
        ))
    })?;
    let sign = match el.text_at("CdtDbtInd").map(|v| v.value) {
        Some(v) if v == "CRDT" => Decimal::ONE,
        Some(v) if v == "DBIT" => Decimal::NEGATIVE_ONE,
        other => {
            return Err(corrupt(format!(
                "camt.053 line {}: the {what}'s <CdtDbtInd> is {} instead of CRDT or DBIT, so \
                 the direction of the money is unknown; {EXPORT_AGAIN}",
                el.line,
                other.map_or("missing".to_string(), |v| format!("\"{v}\""))
            )));
        }
    };
    Ok((sign * value, amt.attr("Ccy").map(str::to_string)))
}

/// An account's identification: the IBAN, else the other identification.
fn account_id(acct: &El) -> Option<At<String>> {
    acct.text_at("Id/IBAN")
        .or_else(|| acct.text_at("Id/Othr/Id"))
}

/// A party's name (`Nm`, or `Pty/Nm` from version 08 on).
fn party_name(party: &El) -> Option<String> {
    party
        .text_at("Nm")
        .or_else(|| party.text_at("Pty/Nm"))
        .map(|n| n.value)
}

fn statement(s: &El) -> Result<Statement, DigitiseError> {
    let mut st = Statement {
        second_date: Some("Value Date"),
        reference: s.text_at("Id"),
        ..Statement::default()
    };
    if let Some(acct) = s.child("Acct") {
        st.account = account_id(acct);
        st.currency = acct.text_at("Ccy");
        st.holder = acct.text_at("Ownr/Nm");
    }
    if let Some(fr_to) = s.child("FrToDt")
        && let (Some(a), Some(b)) = (fr_to.text_at("FrDtTm"), fr_to.text_at("ToDtTm"))
    {
        st.period = Some(At::new(
            (date_of(&a, "FrDtTm")?, date_of(&b, "ToDtTm")?),
            a.line,
        ));
    }
    let mut prcd = None;
    for bal in s.children_named("Bal") {
        let code = bal
            .text_at("Tp/CdOrPrtry/Cd")
            .or_else(|| bal.text_at("Tp/CdOrPrtry/Prtry"))
            .map(|c| c.value)
            .unwrap_or_default();
        if !matches!(code.as_str(), "OPBD" | "PRCD" | "CLBD") {
            continue;
        }
        let (value, ccy) = signed_amount(bal, &format!("{code} balance"))?;
        let line = bal.child("Amt").map_or(bal.line, |a| a.line);
        if st.currency.is_none()
            && let Some(c) = ccy
        {
            st.currency = Some(At::new(c, line));
        }
        match code.as_str() {
            "OPBD" if st.opening.is_none() => st.opening = Some(At::new(value, line)),
            "PRCD" if prcd.is_none() => prcd = Some(At::new(value, line)),
            "CLBD" if st.closing.is_none() => st.closing = Some(At::new(value, line)),
            _ => {}
        }
    }
    if st.opening.is_none() {
        st.opening = prcd;
    }
    for n in s.children_named("Ntry") {
        let status = n
            .text_at("Sts/Cd")
            .or_else(|| n.text_at("Sts"))
            .map(|v| v.value)
            .unwrap_or_default();
        if matches!(status.as_str(), "PDNG" | "INFO") {
            st.warnings.push(format!(
                "camt.053 line {}: entry with status {status} (not booked) left out",
                n.line
            ));
            continue;
        }
        st.entries
            .push(entry(n, st.currency.as_ref().map(|c| c.value.clone()))?);
    }
    Ok(st)
}

fn entry(n: &El, default_ccy: Option<String>) -> Result<Entry, DigitiseError> {
    let (amount, ccy) = signed_amount(n, "entry <Ntry>")?;
    let booking = match n.child("BookgDt") {
        Some(b) => choice_date(b, "BookgDt")?,
        None => None,
    };
    let value = match n.child("ValDt") {
        Some(v) => choice_date(v, "ValDt")?,
        None => None,
    };
    let date = booking.or(value).ok_or_else(|| {
        corrupt(format!(
            "camt.053 line {}: the entry <Ntry> has neither a <BookgDt> nor a <ValDt> date; \
             {EXPORT_AGAIN}",
            n.line
        ))
    })?;
    let mut txs = Vec::new();
    for d in n.children_named("NtryDtls") {
        txs.extend(d.children_named("TxDtls"));
    }
    let credit = amount >= Decimal::ZERO;
    let remittance = |tx: &El| -> Option<String> {
        let rmt = tx.child("RmtInf");
        let ustrd: Vec<String> = rmt
            .iter()
            .flat_map(|r| r.children_named("Ustrd"))
            .map(|u| collapse(&u.text))
            .filter(|u| !u.is_empty())
            .collect();
        if !ustrd.is_empty() {
            return Some(ustrd.join(" "));
        }
        rmt.and_then(|r| r.text_at("Strd/CdtrRefInf/Ref"))
            .or_else(|| tx.text_at("AddtlTxInf"))
            .map(|v| v.value)
    };
    let entry_info = n.text_at("AddtlNtryInf").map(|v| v.value);
    let (description, counterparty, counterparty_account) = match txs.as_slice() {
        [tx] => {
            let (party, acct) = if credit {
                ("Dbtr", "DbtrAcct")
            } else {
                ("Cdtr", "CdtrAcct")
            };
            let parties = tx.child("RltdPties");
            (
                remittance(tx).or(entry_info),
                parties.and_then(|p| p.child(party)).and_then(party_name),
                parties
                    .and_then(|p| p.child(acct))
                    .and_then(account_id)
                    .map(|a| a.value),
            )
        }
        [] => (entry_info, None, None),
        many => {
            let parts: Vec<String> = many.iter().filter_map(|t| remittance(t)).collect();
            let d = entry_info
                .unwrap_or_else(|| format!("{} transactions: {}", many.len(), parts.join(" | ")));
            (Some(d), None, None)
        }
    };
    let description = description
        .or_else(|| n.text_at("BkTxCd/Prtry/Cd").map(|v| v.value))
        .unwrap_or_default();
    let reference = n
        .text_at("AcctSvcrRef")
        .or_else(|| {
            txs.first()
                .and_then(|t| t.text_at("Refs/EndToEndId"))
                .filter(|r| r.value != "NOTPROVIDED")
        })
        .or_else(|| txs.first().and_then(|t| t.text_at("Refs/AcctSvcrRef")))
        .map(|v| v.value);
    Ok(Entry {
        line: n.line,
        date,
        second_date: value.filter(|_| booking.is_some()),
        description,
        counterparty,
        counterparty_account,
        amount,
        balance: None,
        currency: ccy.or(default_ccy),
        reference,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tree_keeps_lines_entities_and_local_names() {
        let root = tree("<?xml version=\"1.0\"?>\n<a:Doc xmlns:a=\"x\">\n<a:B Ccy=\"EUR\">1 &amp; 2</a:B>\n</a:Doc>").unwrap();
        let b = root.at("Doc/B").unwrap();
        assert_eq!(b.text, "1 & 2");
        assert_eq!(b.line, 3);
        assert_eq!(b.attr("Ccy"), Some("EUR"));
    }

    #[test]
    fn truncated_and_broken_xml_is_refused_with_a_line() {
        let e = tree("<Document>\n<BkToCstmrStmt>\n<Stmt>\n<Id>1</Id>\n").unwrap_err();
        assert!(
            e.message.contains("<Stmt> (line 3)") && e.message.contains("cut off"),
            "{e}"
        );
        let e = tree("<Document>\n<A>\n</B>\n</Document>").unwrap_err();
        assert!(e.message.contains("line 3"), "{e}");
    }

    #[test]
    fn encoding_from_the_declaration() {
        assert_eq!(
            declared_encoding(b"<?xml version='1.0' encoding='ISO-8859-1'?><a/>").as_deref(),
            Some("ISO-8859-1")
        );
        assert_eq!(declared_encoding(b"<a/>"), None);
    }
}
