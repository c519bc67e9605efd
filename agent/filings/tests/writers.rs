//! Default suite: the structural validators accept a well-formed draft (person and company
//! subjects, three transactions in CNY and USD), reject broken drafts with precise messages, and
//! the written documents are snapshotted.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use docket_filings::{camlmac, goaml};

fn paths(issues: &[docket_filings::Issue]) -> Vec<String> {
    issues.iter().map(|i| i.path.clone()).collect()
}

#[test]
fn good_draft_passes_both_validators() {
    let d = common::draft();
    assert_eq!(goaml::validate(&d, None), vec![]);
    assert_eq!(camlmac::validate(&d, &common::params()), vec![]);
}

#[test]
fn goaml_document_snapshot() {
    let xml = goaml::write(&common::draft()).unwrap();
    // Amounts exactly as the Decimal holds them, times in the submission zone, markup escaped.
    assert!(xml.contains("<amount_local>49500.00</amount_local>"));
    assert!(xml.contains("<amount_local>47523.6</amount_local>"));
    assert!(xml.contains("<foreign_amount>6600.50</foreign_amount>"));
    assert!(xml.contains("<date_transaction>2026-05-21T11:30:00</date_transaction>"));
    assert!(xml.contains("Wire to Hong Kong &amp; &lt;onwards&gt;"));
    // Deterministic.
    assert_eq!(xml, goaml::write(&common::draft()).unwrap());
    insta::assert_snapshot!("goaml_str", xml);
}

#[test]
fn camlmac_document_snapshot() {
    let r = camlmac::write(&common::draft(), &common::params()).unwrap();
    assert_eq!(r.file_name, "NBSC1234567890123-20260526-00000015.XML");
    assert!(r.xml.contains("<TSTM>20260521113000</TSTM>"));
    assert!(r.xml.contains("<CRAT>6600.50</CRAT>"));
    assert!(r.xml.contains("<TSDR>02</TSDR>"));
    assert!(r.xml.contains("<TSDR>01</TSDR>"));
    assert!(r.xml.contains("<SETN>2</SETN>"));
    assert!(r.xml.contains("<STNM>3</STNM>"));
    insta::assert_snapshot!("camlmac_bstr", r.xml);
}

#[test]
fn missing_counterparty_is_an_error_for_goaml_and_at_n_for_camlmac() {
    let mut d = common::draft();
    d.transactions[2].to.party = None;
    d.transactions[2].to.account = None;
    let err = goaml::write(&d).unwrap_err();
    assert_eq!(err.code(), "DK-E0701");
    assert_eq!(paths(err.issues()), vec!["transactions[2].to.party"]);
    let msg = err.to_string();
    assert!(
        msg.contains("transactions[2].to.party: missing counterparty; goAML needs"),
        "{msg}"
    );

    let r = camlmac::write(&d, &common::params()).unwrap();
    let stif3 = &r.xml[r.xml.find("<STIF seqno=\"3\">").unwrap()..];
    assert!(stif3.contains("<TCNM>@N</TCNM>"));
    assert!(stif3.contains("<TCAC>@N</TCAC>"));
}

#[test]
fn unknown_currency_and_empty_transactions_are_rejected() {
    let mut d = common::draft();
    d.transactions[1].currency = "RMB".into();
    d.transactions[0].to.account.as_mut().unwrap().currency = "XXY".into();
    let issues = goaml::validate(&d, None);
    assert_eq!(
        paths(&issues),
        vec![
            "transactions[0].to.account.currency",
            "transactions[1].currency"
        ]
    );
    assert!(
        issues[1]
            .to_string()
            .contains("unknown currency \"RMB\"; use an active ISO 4217 code")
    );
    let c = camlmac::validate(&d, &common::params());
    assert_eq!(paths(&c), vec!["transactions[1].currency"]);

    let mut d = common::draft();
    d.transactions.clear();
    assert_eq!(paths(&goaml::validate(&d, None)), vec!["transactions"]);
    assert_eq!(
        paths(&camlmac::validate(&d, &common::params())),
        vec!["transactions"]
    );
}

#[test]
fn header_code_errors_are_precise() {
    let mut d = common::draft();
    d.submission.code = "X".into();
    d.indicators = vec!["structuring".into()];
    d.reporting_entity.id = 0;
    d.transactions[0].transmode_code = Some("WIRE".into());
    d.transactions[1].to.account.as_mut().unwrap().name_latin = None;
    // Without a Latin account or entity name the Chinese registered name is used, which goAML's
    // name pattern does not allow.
    d.transactions[1].to.account.as_mut().unwrap().name_latin = None;
    if let Some(docket_filings::PartyKind::Entity { name_latin, .. }) =
        d.transactions[1].to.party.as_mut().map(|p| &mut p.kind)
    {
        *name_latin = None;
    }
    let issues = goaml::validate(&d, None);
    assert_eq!(
        paths(&issues),
        vec![
            "reporting_entity.id",
            "submission.code",
            "indicators[0]",
            "transactions[0].transmode_code",
            "transactions[1].to.party.name_latin",
            "transactions[1].to.account.name_latin",
        ]
    );

    let mut p = common::params();
    p.institution_code = "C123".into();
    p.trigger = "99".into();
    p.crime_types = vec!["9999".into()];
    let c = camlmac::validate(&common::draft(), &p);
    assert_eq!(
        paths(&c),
        vec![
            "camlmac.institution_code",
            "camlmac.other_trigger",
            "camlmac.crime_types[0]"
        ]
    );
    assert!(
        c[2].to_string()
            .starts_with("camlmac.crime_types[0]: \"9999\" is not a TOSC code; use one of 0101")
    );
}

#[test]
fn camlmac_needs_the_subject_on_one_side() {
    let mut d = common::draft();
    d.subjects.truncate(1); // drop the company: T-3 is company -> foreign payee
    let c = camlmac::validate(&d, &common::params());
    assert_eq!(paths(&c), vec!["transactions[2]"]);
    assert!(c[0].problem.contains("neither side"));
}
