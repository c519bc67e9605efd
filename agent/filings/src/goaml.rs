//! goAML 5.0.2 suspicious-transaction report (`report_code` STR) writer and its structural
//! validator.
//!
//! Covered: report header (`rentity_id`, `rentity_branch`, `submission_code`, `report_code`,
//! `entity_reference`, `submission_date`, `currency_code_local`, `reason`, `action`), one
//! `transaction` per draft transaction with `transactionnumber`, `transaction_location`,
//! `transaction_description`, `date_transaction`, `transmode_code`, `transmode_comment`,
//! `amount_local`, a `t_from` and a `t_to` side (funds code, foreign currency when the
//! transaction currency is not the local one, then the account — with its holder as `t_entity` or
//! `signatory/t_person` — or, without an account, the person or entity), and
//! `report_indicators`.
//! Not covered: the `*_my_client` variants (their account type demands opening date, status and
//! beneficiary, which drafts do not carry), `reporting_person`, `location`, phones, addresses,
//! identifications, `involved_parties`, `activity`, goods and services.
//!
//! The validator checks what can be checked without the XSD. It must never be taken as a
//! replacement for the FIU's schema: the opt-in tests run `xmllint --schema` on the output.

use std::collections::BTreeSet;

use rust_decimal::Decimal;

use crate::codes;
use crate::model::{
    Account, AccountKind, Channel, InstitutionCode, Party, PartyKind, Side, StrDraft, Transaction,
};
use crate::xml::{XmlWriter, has_forbidden_char};
use crate::{FilingError, Issue};

/// Largest magnitude goAML's `sql_decimal` accepts.
const SQL_DECIMAL_MAX: i64 = 7_900_000_000_000_000;

/// Checks a draft against goAML's structural rules. `indicator_codes`, when given (e.g. read from
/// the FIU's code-list CSV with [`codes::codes_from_enums_csv`]), is the list indicators must come
/// from; without it only their shape is checked. Returns every problem found.
pub fn validate(draft: &StrDraft, indicator_codes: Option<&BTreeSet<String>>) -> Vec<Issue> {
    let mut v = Vec::new();
    let re = &draft.reporting_entity;
    if re.id == 0 || re.id > i32::MAX as u32 {
        v.push(Issue::new(
            "reporting_entity.id",
            format!("rentity_id {} is out of range", re.id),
            "use the positive reporting-entity id the FIU assigned at registration",
        ));
    }
    text(
        &mut v,
        "reporting_entity.branch",
        re.branch.as_deref(),
        0,
        255,
    );
    let sub = &draft.submission;
    if !codes::GOAML_SUBMISSION.contains(&sub.code.as_str()) {
        v.push(Issue::new(
            "submission.code",
            format!(
                "submission code {:?} is not a goAML submission_type",
                sub.code
            ),
            "use E (electronic) or M (manual)",
        ));
    }
    text(&mut v, "submission.reference", Some(&sub.reference), 1, 255);
    currency(&mut v, "submission.local_currency", &sub.local_currency);
    text(&mut v, "reason", Some(&reason_text(draft)), 1, 8000);
    text(&mut v, "action", draft.action.as_deref(), 0, 8000);
    if draft.indicators.is_empty() {
        v.push(Issue::new(
            "indicators",
            "no report indicator",
            "add at least one goAML report_indicator_type code (e.g. STRUC)",
        ));
    }
    for (i, code) in draft.indicators.iter().enumerate() {
        let path = format!("indicators[{i}]");
        match indicator_codes {
            Some(list) if !list.contains(code) => v.push(Issue::new(
                path,
                format!("{code:?} is not in the FIU's report_indicator_type list"),
                "pick a code from the FIU's indicator list",
            )),
            None if !codes::looks_like_indicator(code) => v.push(Issue::new(
                path,
                format!("{code:?} is not shaped like a goAML indicator code"),
                "use the 4-5 character upper-case code from the FIU's indicator list",
            )),
            _ => {}
        }
    }
    if draft.transactions.is_empty() {
        v.push(Issue::new(
            "transactions",
            "no transactions",
            "an STR must report at least one transaction; add the transactions behind the case",
        ));
    }
    for (i, t) in draft.transactions.iter().enumerate() {
        transaction(
            &mut v,
            &format!("transactions[{i}]"),
            t,
            &sub.local_currency,
        );
    }
    v
}

/// Writes the goAML STR XML for a draft, after [`validate`] (without an indicator list) passes.
pub fn write(draft: &StrDraft) -> Result<String, FilingError> {
    write_checked(draft, None)
}

/// Writes the goAML STR XML, validating indicators against `indicator_codes` when given.
pub fn write_checked(
    draft: &StrDraft,
    indicator_codes: Option<&BTreeSet<String>>,
) -> Result<String, FilingError> {
    let issues = validate(draft, indicator_codes);
    if !issues.is_empty() {
        return Err(FilingError::Invalid {
            format: "goAML",
            issues,
        });
    }
    let tz = draft.submission.time_zone;
    let date = |d: &chrono::DateTime<chrono::FixedOffset>| {
        d.with_timezone(&tz).format("%Y-%m-%dT%H:%M:%S").to_string()
    };
    let mut w = XmlWriter::new(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#);
    w.open("report");
    w.leaf("rentity_id", &draft.reporting_entity.id.to_string());
    w.opt_leaf("rentity_branch", draft.reporting_entity.branch.as_deref());
    w.leaf("submission_code", &draft.submission.code);
    w.leaf("report_code", "STR");
    w.leaf("entity_reference", &draft.submission.reference);
    w.leaf("submission_date", &date(&draft.submission.date));
    w.leaf("currency_code_local", &draft.submission.local_currency);
    w.leaf("reason", &reason_text(draft));
    w.opt_leaf("action", draft.action.as_deref());
    for t in &draft.transactions {
        w.open("transaction");
        w.leaf("transactionnumber", &t.number);
        w.leaf("transaction_location", &t.location);
        w.leaf("transaction_description", &t.description);
        w.leaf("date_transaction", &date(&t.date_time));
        w.leaf("transmode_code", transmode(t));
        // This schema makes transmode_comment a mandatory single character; "-" is the code
        // lists' own "nothing to say" marker.
        w.leaf("transmode_comment", "-");
        w.leaf("amount_local", &decimal(t.amount_local));
        let foreign = (t.currency != draft.submission.local_currency).then_some(t);
        write_side(&mut w, "from", &t.from, t.channel, foreign);
        write_side(&mut w, "to", &t.to, t.channel, None);
        w.close("transaction");
    }
    w.open("report_indicators");
    for code in &draft.indicators {
        w.leaf("indicator", code);
    }
    w.close("report_indicators");
    w.close("report");
    Ok(w.finish())
}

/// goAML has one free-text field for the grounds; the narrative follows the reason.
fn reason_text(draft: &StrDraft) -> String {
    if draft.narrative.trim().is_empty() {
        draft.reason.clone()
    } else {
        format!("{}\n\n{}", draft.reason, draft.narrative)
    }
}

/// Decimal as written by goAML: plain notation, trailing zeros kept as the bank recorded them.
fn decimal(d: Decimal) -> String {
    d.to_string()
}

/// `transmode_code`: the explicit code, or one derived from the channel.
fn transmode(t: &Transaction) -> &str {
    if let Some(code) = &t.transmode_code {
        return code;
    }
    match t.channel {
        Channel::Cash => "OCT",
        Channel::Transfer => "ELCFT",
        Channel::Card => "DBCD",
        Channel::Online => "ONBNK",
        Channel::Atm => "ATM",
        Channel::CrossBorder => "SWIFT",
    }
}

/// goAML `funds_type` for the channel (codes from the goAML 5.0.2 code-list CSV).
fn funds_code(channel: Channel) -> &'static str {
    match channel {
        Channel::Cash | Channel::Atm => "CASH",
        Channel::Card => "CRTCR",
        Channel::Transfer | Channel::Online | Channel::CrossBorder => "ELCFT",
    }
}

fn write_side(
    w: &mut XmlWriter,
    dir: &str,
    side: &Side,
    channel: Channel,
    foreign: Option<&Transaction>,
) {
    let Some(party) = &side.party else {
        return; // unreachable after validation: a side without a party is rejected
    };
    let wrapper = format!("t_{dir}");
    w.open(&wrapper);
    w.leaf(&format!("{dir}_funds_code"), funds_code(channel));
    if let Some(t) = foreign {
        w.open(&format!("{dir}_foreign_currency"));
        w.leaf("foreign_currency_code", &t.currency);
        w.leaf("foreign_amount", &decimal(t.amount));
        if !t.amount.is_zero() {
            let rate = (t.amount_local / t.amount).round_dp(6).normalize();
            w.leaf("foreign_exchange_rate", &rate.to_string());
        }
        w.close(&format!("{dir}_foreign_currency"));
    }
    match (&side.account, &party.kind) {
        (Some(acc), _) => {
            w.open(&format!("{dir}_account"));
            write_account(w, acc, party);
            w.close(&format!("{dir}_account"));
        }
        (None, PartyKind::Person { .. }) => {
            w.open(&format!("{dir}_person"));
            write_person(w, party);
            w.close(&format!("{dir}_person"));
        }
        (None, PartyKind::Entity { .. }) => {
            w.open(&format!("{dir}_entity"));
            write_entity(w, party);
            w.close(&format!("{dir}_entity"));
        }
    }
    w.leaf(&format!("{dir}_country"), &side.country);
    w.close(&wrapper);
}

fn write_account(w: &mut XmlWriter, acc: &Account, holder: &Party) {
    w.leaf("institution_name", &acc.institution_name);
    match &acc.institution_code {
        InstitutionCode::Swift(code) => w.leaf("swift", code),
        InstitutionCode::National(code) => w.leaf("institution_code", code),
    }
    w.opt_leaf("branch", acc.branch.as_deref());
    w.leaf("account", &acc.number);
    w.leaf("currency_code", &acc.currency);
    w.leaf("account_name", &account_name(acc, holder));
    w.leaf("personal_account_type", account_type(acc.kind));
    match &holder.kind {
        PartyKind::Entity { .. } => {
            w.open("t_entity");
            write_entity(w, holder);
            w.close("t_entity");
        }
        PartyKind::Person { .. } => {
            w.open("signatory");
            w.leaf("is_primary", "1");
            w.open("t_person");
            write_person(w, holder);
            w.close("t_person");
            w.close("signatory");
        }
    }
}

/// goAML `account_type` codes (goAML 5.0.2 code-list CSV).
fn account_type(kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::Current => "B",
        AccountKind::Savings => "C",
        AccountKind::Business => "A",
        AccountKind::Loan => "LOAN",
        AccountKind::Card => "DBCD",
        AccountKind::Other => "-",
    }
}

fn account_name(acc: &Account, holder: &Party) -> String {
    acc.name_latin.clone().unwrap_or_else(|| latin_name(holder))
}

fn latin_name(p: &Party) -> String {
    match &p.kind {
        PartyKind::Person {
            first_name,
            last_name,
            ..
        } => format!("{first_name} {last_name}"),
        PartyKind::Entity {
            name, name_latin, ..
        } => name_latin.clone().unwrap_or_else(|| name.clone()),
    }
}

/// goAML's name pattern `[a-zA-Z0-9 .'-]`, non-empty.
fn is_latin_name(s: &str, max: usize) -> bool {
    !s.trim().is_empty()
        && s.chars().count() <= max
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '\'' | '-'))
}

fn latin(v: &mut Vec<Issue>, path: String, value: &str, max: usize) {
    if !is_latin_name(value, max) {
        v.push(Issue::new(
            path,
            format!("{value:?} is not 1-{max} of [a-zA-Z0-9 .'-], as goAML requires for names"),
            "give the romanised name (e.g. pinyin, without punctuation such as & or <>)",
        ));
    }
}

fn write_person(w: &mut XmlWriter, p: &Party) {
    if let PartyKind::Person {
        first_name,
        last_name,
        birthdate,
        ..
    } = &p.kind
    {
        w.leaf("first_name", first_name);
        w.leaf("last_name", last_name);
        if let Some(b) = birthdate {
            w.leaf("birthdate", &format!("{}T00:00:00", b.format("%Y-%m-%d")));
        }
        w.opt_leaf(
            "id_number",
            p.identification.as_ref().map(|i| i.number.as_str()),
        );
        w.leaf("residence", &p.country);
    }
}

fn write_entity(w: &mut XmlWriter, p: &Party) {
    if let PartyKind::Entity { .. } = &p.kind {
        w.leaf("name", &latin_name(p));
        w.opt_leaf(
            "incorporation_number",
            p.identification.as_ref().map(|i| i.number.as_str()),
        );
        w.leaf("incorporation_country_code", &p.country);
    }
}

fn text(v: &mut Vec<Issue>, path: &str, value: Option<&str>, min: usize, max: usize) {
    let Some(s) = value else { return };
    let n = s.chars().count();
    if n < min || (min > 0 && s.trim().is_empty()) {
        v.push(Issue::new(path, "is empty", "fill it in"));
    } else if n > max {
        v.push(Issue::new(
            path,
            format!("is {n} characters long, goAML allows {max}"),
            "shorten it",
        ));
    }
    if has_forbidden_char(s) {
        v.push(Issue::new(
            path,
            "contains a control character XML cannot carry",
            "remove control characters (copy-paste residue) from the text",
        ));
    }
}

fn currency(v: &mut Vec<Issue>, path: &str, code: &str) {
    if !codes::is_currency(code) {
        v.push(Issue::new(
            path,
            format!("unknown currency {code:?}"),
            "use an active ISO 4217 code such as CNY, USD or EUR",
        ));
    }
}

fn country(v: &mut Vec<Issue>, path: &str, code: &str) {
    if codes::alpha3(code).is_none() {
        v.push(Issue::new(
            path,
            format!("unknown country {code:?}"),
            "use an ISO 3166-1 alpha-2 code such as CN or US",
        ));
    }
}

fn amount(v: &mut Vec<Issue>, path: &str, d: Decimal) {
    if d <= Decimal::ZERO {
        v.push(Issue::new(
            path,
            format!("amount {d} is not positive"),
            "report the absolute amount; direction comes from the from/to sides",
        ));
    } else if d > Decimal::from(SQL_DECIMAL_MAX) || d.scale() > 13 {
        v.push(Issue::new(
            path,
            format!("amount {d} is outside goAML's decimal range"),
            "check the amount; goAML allows at most 13 decimals and 7.9e15",
        ));
    }
}

fn transaction(v: &mut Vec<Issue>, p: &str, t: &Transaction, local: &str) {
    text(v, &format!("{p}.number"), Some(&t.number), 1, 100);
    text(v, &format!("{p}.location"), Some(&t.location), 0, 255);
    text(
        v,
        &format!("{p}.description"),
        Some(&t.description),
        0,
        8000,
    );
    if !codes::GOAML_TRANSMODE.contains(&transmode(t)) {
        v.push(Issue::new(
            format!("{p}.transmode_code"),
            format!("{:?} is not a goAML conduction_type code", transmode(t)),
            "use a code from the conduction_type list (e.g. ELCFT, OCT, SWIFT) or leave it unset",
        ));
    }
    amount(v, &format!("{p}.amount_local"), t.amount_local);
    currency(v, &format!("{p}.currency"), &t.currency);
    if t.currency != local {
        amount(v, &format!("{p}.amount"), t.amount);
    }
    side(v, &format!("{p}.from"), &t.from);
    side(v, &format!("{p}.to"), &t.to);
}

fn side(v: &mut Vec<Issue>, p: &str, s: &Side) {
    country(v, &format!("{p}.country"), &s.country);
    let Some(party) = &s.party else {
        v.push(Issue::new(
            format!("{p}.party"),
            "missing counterparty",
            "goAML needs a person or entity on both sides of a transaction: add the \
             counterparty from the payment details",
        ));
        return;
    };
    party_checks(v, &format!("{p}.party"), party);
    if let Some(acc) = &s.account {
        let ap = format!("{p}.account");
        text(
            v,
            &format!("{ap}.institution_name"),
            Some(&acc.institution_name),
            1,
            255,
        );
        match &acc.institution_code {
            InstitutionCode::Swift(c) => text(v, &format!("{ap}.institution_code"), Some(c), 1, 11),
            InstitutionCode::National(c) => {
                text(v, &format!("{ap}.institution_code"), Some(c), 1, 50)
            }
        }
        text(v, &format!("{ap}.branch"), acc.branch.as_deref(), 1, 255);
        text(v, &format!("{ap}.number"), Some(&acc.number), 1, 255);
        currency(v, &format!("{ap}.currency"), &acc.currency);
        latin(
            v,
            format!("{ap}.name_latin"),
            &account_name(acc, party),
            255,
        );
    }
}

fn party_checks(v: &mut Vec<Issue>, p: &str, party: &Party) {
    country(v, &format!("{p}.country"), &party.country);
    match &party.kind {
        PartyKind::Person {
            first_name,
            last_name,
            ..
        } => {
            latin(v, format!("{p}.first_name"), first_name, 100);
            latin(v, format!("{p}.last_name"), last_name, 100);
        }
        PartyKind::Entity { .. } => latin(v, format!("{p}.name_latin"), &latin_name(party), 255),
    }
    if let Some(id) = &party.identification {
        text(
            v,
            &format!("{p}.identification.number"),
            Some(&id.number),
            1,
            255,
        );
    }
}
