//! Shared draft builder for the integration tests: a person and a company subject, three
//! transactions in CNY and USD.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
#![allow(dead_code)]

use chrono::{DateTime, NaiveDate};
use docket_filings::camlmac::CamlmacParams;
use docket_filings::*;
use rust_decimal::Decimal;
use std::str::FromStr;

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn at(s: &str) -> DateTime<chrono::FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

fn account(
    number: &str,
    currency: &str,
    kind: AccountKind,
    bank: &str,
    code: InstitutionCode,
) -> Account {
    Account {
        institution_name: bank.into(),
        institution_code: code,
        branch: Some("Shanghai Pudong".into()),
        number: number.into(),
        currency: currency.into(),
        name_latin: None,
        kind,
    }
}

/// Test fixture.
pub fn person() -> Party {
    Party {
        id: "C0001".into(),
        kind: PartyKind::Person {
            first_name: "Wei".into(),
            last_name: "Zhang".into(),
            full_name_local: Some("张伟".into()),
            birthdate: NaiveDate::from_ymd_opt(1985, 3, 14),
        },
        country: "CN".into(),
        identification: Some(Identification {
            kind: IdKind::ResidentIdCard,
            number: "110101198503140011".into(),
        }),
        occupation: Some("4-01".into()),
        addresses: vec!["上海市浦东新区世纪大道100号".into()],
        phones: vec!["13800000000".into()],
    }
}

/// Test fixture.
pub fn company() -> Party {
    Party {
        id: "C0002".into(),
        kind: PartyKind::Entity {
            name: "上海恒达贸易有限公司".into(),
            name_latin: Some("Shanghai Hengda Trading Co. Ltd".into()),
            legal_representative: Some("李强".into()),
        },
        country: "CN".into(),
        identification: Some(Identification {
            kind: IdKind::UnifiedSocialCreditCode,
            number: "91310000MA1FL0000X".into(),
        }),
        occupation: Some("F51".into()),
        addresses: vec![],
        phones: vec![],
    }
}

/// Test fixture.
pub fn foreign_payee() -> Party {
    Party {
        id: "X-77".into(),
        kind: PartyKind::Entity {
            name: "Oceanic Holdings <HK> & Co".into(),
            name_latin: Some("Oceanic Holdings HK Ltd".into()),
            legal_representative: None,
        },
        country: "HK".into(),
        identification: None,
        occupation: None,
        addresses: vec![],
        phones: vec![],
    }
}

fn cnaps(n: &str) -> InstitutionCode {
    InstitutionCode::National(n.into())
}

/// Test fixture.
pub fn draft() -> StrDraft {
    let bank = "Docket Demo Bank";
    let p_acc = account(
        "6222020000000001",
        "CNY",
        AccountKind::Savings,
        bank,
        cnaps("102290000001"),
    );
    let mut c_acc = account(
        "31001234567890",
        "CNY",
        AccountKind::Business,
        bank,
        cnaps("102290000001"),
    );
    let mut c_usd = account(
        "31001234567891",
        "USD",
        AccountKind::Current,
        bank,
        InstitutionCode::Swift("DOCKCNSHXXX".into()),
    );
    c_acc.name_latin = Some("Shanghai Hengda Trading Co. Ltd".into());
    c_usd.name_latin = c_acc.name_latin.clone();
    let hk_acc = Account {
        institution_name: "Harbour Bank".into(),
        institution_code: InstitutionCode::Swift("HARBHKHH".into()),
        branch: None,
        number: "HK-555-0001".into(),
        currency: "USD".into(),
        name_latin: Some("Oceanic Holdings HK Ltd".into()),
        kind: AccountKind::Current,
    };
    StrDraft {
        reporting_entity: ReportingEntity {
            id: 4242,
            name: bank.into(),
            branch: Some("SH-PD".into()),
            country: "CN".into(),
            swift: Some("DOCKCNSHXXX".into()),
        },
        submission: Submission {
            code: "E".into(),
            date: at("2026-05-26T02:00:00Z"),
            reference: "STR-2026-0042".into(),
            local_currency: "CNY".into(),
            time_zone: chrono_tz::Asia::Shanghai,
        },
        reason: "Funds deposited in cash by a person were moved through a company account and wired abroad within 48 hours.".into(),
        action: Some("Accounts placed under enhanced monitoring".into()),
        indicators: vec!["STRUC".into()],
        narrative: "张伟 deposited CNY 49,500.00 in cash, transferred CNY 48,000.00 to Shanghai Hengda, which wired USD 6,600.50 to Hong Kong.".into(),
        subjects: vec![person(), company()],
        transactions: vec![
            Transaction {
                number: "T-1".into(),
                date_time: at("2026-05-20T09:15:00+08:00"),
                description: "Cash deposit".into(),
                location: "Pudong branch".into(),
                location_code: Some("CHN310115".into()),
                channel: Channel::Cash,
                transmode_code: None,
                amount: dec("49500.00"),
                currency: "CNY".into(),
                amount_local: dec("49500.00"),
                from: Side { party: Some(person()), account: None, country: "CN".into() },
                to: Side { party: Some(person()), account: Some(p_acc.clone()), country: "CN".into() },
            },
            Transaction {
                number: "T-2".into(),
                date_time: at("2026-05-20T14:02:11+08:00"),
                description: "Transfer to company \"Hengda\"".into(),
                location: "Online banking".into(),
                location_code: None,
                channel: Channel::Online,
                transmode_code: None,
                amount: dec("48000.00"),
                currency: "CNY".into(),
                amount_local: dec("48000.00"),
                from: Side { party: Some(person()), account: Some(p_acc), country: "CN".into() },
                to: Side { party: Some(company()), account: Some(c_acc), country: "CN".into() },
            },
            Transaction {
                number: "T-3".into(),
                date_time: at("2026-05-21T03:30:00Z"),
                description: "Wire to Hong Kong & <onwards>".into(),
                location: "Head office".into(),
                location_code: Some("CHN310115".into()),
                channel: Channel::CrossBorder,
                transmode_code: None,
                amount: dec("6600.50"),
                currency: "USD".into(),
                amount_local: dec("47523.6"),
                from: Side { party: Some(company()), account: Some(c_usd), country: "CN".into() },
                to: Side { party: Some(foreign_payee()), account: Some(hk_acc), country: "HK".into() },
            },
        ],
    }
}

/// Test fixture.
pub fn params() -> CamlmacParams {
    CamlmacParams {
        institution_code: "C1234567890123".into(),
        reporting_branch_code: "310115001".into(),
        urgency: "01".into(),
        submission_count: 1,
        original_file: None,
        direction: "01".into(),
        other_direction: None,
        trigger: "01".into(),
        other_trigger: None,
        crime_types: vec!["1201".into(), "0802".into()],
        criteria_codes: vec!["DK-STRUCT".into()],
        preparer: Some("王芳".into()),
        file_sequence: 15,
    }
}
