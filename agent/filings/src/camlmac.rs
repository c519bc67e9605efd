//! PBOC/CAMLMAC banking-sector suspicious-transaction report (新增报文 `BSTR`, interface spec
//! v1.0 2017-05, sections 4.1.2, 4.3.2 and 9.2) writer and structural validator.
//!
//! Covered: the file name `NBS<RICD 14>-<YYYYMMDD>-<8-digit sequence>.XML`; `RBIF` in full
//! (`RICD RPNC DETR TORP ORXN DORP ODRP TPTR OTPR STCB AOSP TOSCs STCRs SETN STNM RPNM MIRS`);
//! one `SEIF` per subject with `CSNM SEVC SIIFs STNTs SCIF SRIF` (legal representative name
//! only); one `STIF` per transaction seen from the subject's side (`RINI CIIF ATIF TBIF TSIF TCIF
//! ROTFs`) with `TSDR` 01/02 from the direction, `TSTP` and `OCTT` derived from channel and
//! currency, and `@N` wherever the spec allows the substitute and the draft lacks the data
//! (unknown counterparty, identification, place code, conditional "other" fields).
//! Not covered: securities (`SSTR`) and insurance (`ISTR`) messages, correction/deletion
//! messages, attachment packages, transaction agents (`TBIF` is always `@N`), payment matching
//! numbers, controlling shareholders, the zip packaging.
//!
//! This module must never invent data: anything not in the draft is `@N` or an error.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::codes;
use crate::model::{
    Account, AccountKind, Channel, IdKind, InstitutionCode, Party, PartyKind, Side, StrDraft,
    Transaction,
};
use crate::xml::{XmlWriter, has_forbidden_char};
use crate::{FilingError, Issue};

/// The CAMLMAC substitute for data that is not available (替代符).
pub const NA: &str = "@N";

/// Header facts only the CAMLMAC format needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CamlmacParams {
    /// `RICD`: the 14-character reporting-institution code (金融机构代码).
    pub institution_code: String,
    /// `RPNC`: code of the branch that found the activity (also used as `FINC`).
    pub reporting_branch_code: String,
    /// `DETR`: `01` not especially urgent, `02` especially urgent.
    pub urgency: String,
    /// `TORP`: how many times this report has been submitted, starting at 1.
    pub submission_count: u32,
    /// `ORXN`: name (without extension) of the first submission, required when
    /// `submission_count` > 1.
    pub original_file: Option<String>,
    /// `DORP`: report direction code (`01`–`04`, `99`).
    pub direction: String,
    /// `ODRP`: the other recipient, required when `direction` is `99`.
    pub other_direction: Option<String>,
    /// `TPTR`: what triggered the report (`01` model screening … `99` other).
    pub trigger: String,
    /// `OTPR`: the other trigger, required when `trigger` is `99`.
    pub other_trigger: Option<String>,
    /// `TOSC`: suspected-crime type codes (table 10.6); at least one.
    pub crime_types: Vec<String>,
    /// `STCR`: the bank's own registered suspicious-feature codes; empty writes `@N`.
    pub criteria_codes: Vec<String>,
    /// `RPNM`: who prepared the report (up to 16 characters); `None` writes `@N`.
    pub preparer: Option<String>,
    /// Per-day message sequence number used in the file name (1–99999999).
    pub file_sequence: u32,
}

/// A written CAMLMAC message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CamlmacReport {
    /// File name the spec requires, e.g. `NBSC0000000000001-20180701-00000015.XML`.
    pub file_name: String,
    /// The XML message.
    pub xml: String,
}

/// Checks a draft and the CAMLMAC header against the spec's structural rules; returns every
/// problem found.
pub fn validate(draft: &StrDraft, params: &CamlmacParams) -> Vec<Issue> {
    let mut v = Vec::new();
    let ricd = &params.institution_code;
    if ricd.len() != 14 || !ricd.bytes().all(|b| b.is_ascii_alphanumeric()) {
        v.push(Issue::new(
            "camlmac.institution_code",
            format!("RICD {ricd:?} is not 14 letters/digits"),
            "use the 14-character financial-institution code from the PBOC certificate",
        ));
    }
    len(
        &mut v,
        "camlmac.reporting_branch_code",
        &params.reporting_branch_code,
        1,
        16,
    );
    code(
        &mut v,
        "camlmac.urgency",
        &params.urgency,
        codes::CAMLMAC_DETR,
        "DETR",
    );
    code(
        &mut v,
        "camlmac.direction",
        &params.direction,
        codes::CAMLMAC_DORP,
        "DORP",
    );
    code(
        &mut v,
        "camlmac.trigger",
        &params.trigger,
        codes::CAMLMAC_TPTR,
        "TPTR",
    );
    if params.direction == "99" && params.other_direction.is_none() {
        v.push(Issue::new(
            "camlmac.other_direction",
            "direction is 99 (other) but ODRP is missing",
            "name the other recipient",
        ));
    }
    if params.trigger == "99" && params.other_trigger.is_none() {
        v.push(Issue::new(
            "camlmac.other_trigger",
            "trigger is 99 (other) but OTPR is missing",
            "describe the trigger",
        ));
    }
    if params.submission_count == 0 || params.submission_count > 9999 {
        v.push(Issue::new(
            "camlmac.submission_count",
            format!("TORP {} is outside 1-9999", params.submission_count),
            "count submissions of this report from 1",
        ));
    } else if params.submission_count > 1 && params.original_file.is_none() {
        v.push(Issue::new(
            "camlmac.original_file",
            "a resubmission needs ORXN",
            "give the file name (without .XML) of the first accepted submission",
        ));
    }
    if params.crime_types.is_empty() {
        v.push(Issue::new(
            "camlmac.crime_types",
            "no suspected-crime type (TOSC)",
            "add at least one code from table 10.6, e.g. 1201 for telecom fraud",
        ));
    }
    for (i, c) in params.crime_types.iter().enumerate() {
        code(
            &mut v,
            &format!("camlmac.crime_types[{i}]"),
            c,
            codes::CAMLMAC_TOSC,
            "TOSC",
        );
    }
    if let Some(p) = &params.preparer {
        len(&mut v, "camlmac.preparer", p, 1, 16);
    }
    if params.file_sequence == 0 || params.file_sequence > 99_999_999 {
        v.push(Issue::new(
            "camlmac.file_sequence",
            format!("sequence {} does not fit 8 digits", params.file_sequence),
            "number the day's messages from 1",
        ));
    }
    len(&mut v, "reason", &draft.reason, 1, 10000);
    len(&mut v, "narrative", &draft.narrative, 1, 10000);
    if draft.subjects.is_empty() {
        v.push(Issue::new(
            "subjects",
            "no suspicious subject",
            "add the customer(s) the report is about",
        ));
    }
    for (i, s) in draft.subjects.iter().enumerate() {
        let p = format!("subjects[{i}]");
        len(&mut v, &format!("{p}.id"), &s.id, 1, 32);
        len(&mut v, &format!("{p}.name"), &local_name(s), 1, 512);
        if codes::alpha3(&s.country).is_none() {
            v.push(Issue::new(
                format!("{p}.country"),
                format!("unknown country {:?}", s.country),
                "use an ISO 3166-1 alpha-2 code such as CN",
            ));
        }
    }
    if draft.transactions.is_empty() {
        v.push(Issue::new(
            "transactions",
            "no transactions",
            "a suspicious-transaction report must list at least one transaction",
        ));
    }
    for (i, t) in draft.transactions.iter().enumerate() {
        let p = format!("transactions[{i}]");
        len(&mut v, &format!("{p}.number"), &t.number, 1, 256);
        if client_side(draft, t).is_none() {
            v.push(Issue::new(
                &p,
                "neither side is one of the report's subjects",
                "list the customer of this transaction under subjects (matching party id)",
            ));
        }
        if !codes::is_currency(&t.currency) {
            v.push(Issue::new(
                format!("{p}.currency"),
                format!("unknown currency {:?}", t.currency),
                "use a GB/T 12406 (ISO 4217) code such as CNY or USD",
            ));
        }
        if t.amount <= Decimal::ZERO || t.amount.normalize().scale() > 3 {
            v.push(Issue::new(
                format!("{p}.amount"),
                format!(
                    "amount {} is not positive with at most 3 decimals",
                    t.amount
                ),
                "report the absolute amount in the transaction currency",
            ));
        }
        if let Some(code) = &t.location_code {
            let ok = code.len() == 9
                && code[..3]
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                && code[3..].bytes().all(|b| b.is_ascii_digit());
            if !ok {
                v.push(Issue::new(
                    format!("{p}.location_code"),
                    format!("TRCD {code:?} is not 3 letters + 6 digits"),
                    "use CHN + the county-level division code, or a country code + 000000",
                ));
            }
        }
    }
    v
}

/// Writes the CAMLMAC `BSTR` message and its file name, after [`validate`] passes.
pub fn write(draft: &StrDraft, params: &CamlmacParams) -> Result<CamlmacReport, FilingError> {
    let issues = validate(draft, params);
    if !issues.is_empty() {
        return Err(FilingError::Invalid {
            format: "CAMLMAC",
            issues,
        });
    }
    let tz = draft.submission.time_zone;
    let stamp = |d: &chrono::DateTime<chrono::FixedOffset>| {
        d.with_timezone(&tz).format("%Y%m%d%H%M%S").to_string()
    };
    let file_name = format!(
        "NBS{}-{}-{:08}.XML",
        params.institution_code,
        draft.submission.date.with_timezone(&tz).format("%Y%m%d"),
        params.file_sequence
    );
    let mut w = XmlWriter::new(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    w.open("BSTR");
    w.open("RBIF");
    w.leaf("RICD", &params.institution_code);
    w.leaf("RPNC", &params.reporting_branch_code);
    w.leaf("DETR", &params.urgency);
    w.leaf("TORP", &params.submission_count.to_string());
    w.leaf("ORXN", params.original_file.as_deref().unwrap_or(NA));
    w.leaf("DORP", &params.direction);
    w.leaf("ODRP", params.other_direction.as_deref().unwrap_or(NA));
    w.leaf("TPTR", &params.trigger);
    w.leaf("OTPR", params.other_trigger.as_deref().unwrap_or(NA));
    w.leaf("STCB", &draft.narrative);
    w.leaf("AOSP", &draft.reason);
    w.open("TOSCs");
    for (i, c) in params.crime_types.iter().enumerate() {
        w.leaf_seq("TOSC", i + 1, c);
    }
    w.close("TOSCs");
    w.open("STCRs");
    if params.criteria_codes.is_empty() {
        w.leaf_seq("STCR", 1, NA);
    }
    for (i, c) in params.criteria_codes.iter().enumerate() {
        w.leaf_seq("STCR", i + 1, c);
    }
    w.close("STCRs");
    w.leaf("SETN", &draft.subjects.len().to_string());
    w.leaf("STNM", &draft.transactions.len().to_string());
    w.leaf("RPNM", params.preparer.as_deref().unwrap_or(NA));
    w.leaf("MIRS", NA);
    w.close("RBIF");

    w.open("SEIFs");
    for (i, s) in draft.subjects.iter().enumerate() {
        write_subject(&mut w, i + 1, s);
    }
    w.close("SEIFs");

    w.open("STIFs");
    for (i, t) in draft.transactions.iter().enumerate() {
        let Some((client, counter, dir)) = client_side(draft, t) else {
            continue; // unreachable after validation
        };
        w.open_seq("STIF", i + 1);
        w.open("RINI");
        w.leaf("FINC", &params.reporting_branch_code);
        w.leaf("RLFC", if client.account.is_some() { "00" } else { "02" });
        w.close("RINI");
        let party = client.party.as_ref();
        w.open("CIIF");
        w.leaf("CTNM", &party.map(local_name).unwrap_or_else(|| NA.into()));
        let (citp, oitp, ctid) = id_fields(party);
        w.leaf("CITP", &citp);
        w.leaf("OITP", &oitp);
        w.leaf("CTID", &ctid);
        w.leaf("CSNM", party.map(|p| p.id.as_str()).unwrap_or(NA));
        w.close("CIIF");
        w.open("ATIF");
        w.leaf("CATP", &account_type(client.account.as_ref(), party));
        w.leaf(
            "CTAC",
            client
                .account
                .as_ref()
                .map(|a| a.number.as_str())
                .unwrap_or(NA),
        );
        w.leaf("OATM", NA);
        w.leaf("CATM", NA);
        let card = client
            .account
            .as_ref()
            .filter(|a| a.kind == AccountKind::Card);
        w.leaf("CBCT", if card.is_some() { "10" } else { NA });
        w.leaf("OCBT", NA);
        w.leaf("CBCN", card.map(|a| a.number.as_str()).unwrap_or(NA));
        w.close("ATIF");
        w.open("TBIF");
        for tag in ["TBNM", "TBIT", "OITP", "TBID", "TBNT"] {
            w.leaf(tag, NA);
        }
        w.close("TBIF");
        w.open("TSIF");
        w.leaf("TSTM", &stamp(&t.date_time));
        w.leaf("TRCD", t.location_code.as_deref().unwrap_or(NA));
        w.leaf("TICD", &t.number);
        w.leaf("RPMT", NA);
        w.leaf("RPMN", NA);
        w.leaf("TSTP", tstp(t));
        w.leaf("OCTT", octt(t.channel));
        w.leaf("OOCT", NA);
        w.leaf("OCEC", NA);
        w.leaf("BPTC", NA);
        w.leaf("TSCT", NA);
        w.leaf("TSDR", dir);
        w.leaf("CRSP", &t.description);
        w.leaf("CRTP", &t.currency);
        w.leaf("CRAT", &t.amount.to_string());
        w.close("TSIF");
        write_counterparty(&mut w, counter);
        w.open("ROTFs");
        w.leaf_seq("ROTF", 1, NA);
        w.close("ROTFs");
        w.close("STIF");
    }
    w.close("STIFs");
    w.close("BSTR");
    Ok(CamlmacReport {
        file_name,
        xml: w.finish(),
    })
}

fn write_subject(w: &mut XmlWriter, seq: usize, s: &Party) {
    w.open_seq("SEIF", seq);
    w.leaf("CSNM", &s.id);
    w.leaf("SEVC", s.occupation.as_deref().unwrap_or(NA));
    w.open("SIIFs");
    w.open_seq("SIIF", 1);
    w.leaf("SENM", &local_name(s));
    let (setp, oitp, seid) = id_fields(Some(s));
    w.leaf("SETP", &setp);
    w.leaf("OITP", &oitp);
    w.leaf("SEID", &seid);
    w.close("SIIF");
    w.close("SIIFs");
    w.open("STNTs");
    w.leaf_seq("STNT", 1, codes::alpha3(&s.country).unwrap_or(NA));
    w.close("STNTs");
    w.open("SCIF");
    list(w, "SCTLs", "SCTL", &s.phones);
    list(w, "SEARs", "SEAR", &s.addresses);
    list(w, "SEEIs", "SEEI", &[]);
    w.close("SCIF");
    w.open("SRIF");
    let rep = match &s.kind {
        PartyKind::Entity {
            legal_representative: Some(r),
            ..
        } => r.as_str(),
        _ => NA,
    };
    w.leaf("SRNM", rep);
    for tag in ["SRIT", "ORIT", "SRID", "SCNM", "SCIT", "OCIT", "SCID"] {
        w.leaf(tag, NA);
    }
    w.close("SRIF");
    w.close("SEIF");
}

fn list(w: &mut XmlWriter, outer: &str, inner: &str, items: &[String]) {
    w.open(outer);
    if items.is_empty() {
        w.leaf_seq(inner, 1, NA);
    }
    for (i, item) in items.iter().enumerate() {
        w.leaf_seq(inner, i + 1, item);
    }
    w.close(outer);
}

fn write_counterparty(w: &mut XmlWriter, side: &Side) {
    let acc = side.account.as_ref();
    let party = side.party.as_ref();
    w.open("TCIF");
    w.leaf(
        "CFIN",
        acc.map(|a| a.institution_name.as_str()).unwrap_or(NA),
    );
    let (cfct, cfic) = match acc.map(|a| &a.institution_code) {
        // 11 = 现代化支付系统行号 (CNAPS bank number); SWIFT has no code of its own: 99 other.
        Some(InstitutionCode::National(c)) => ("11", c.as_str()),
        Some(InstitutionCode::Swift(c)) => ("99", c.as_str()),
        None => (NA, NA),
    };
    w.leaf("CFCT", cfct);
    w.leaf("CFIC", cfic);
    let cfrc = codes::alpha3(&side.country)
        .filter(|a3| *a3 != "CHN")
        .map(|a3| format!("{a3}000000"));
    w.leaf("CFRC", cfrc.as_deref().unwrap_or(NA));
    w.leaf("TCNM", &party.map(local_name).unwrap_or_else(|| NA.into()));
    let (tcit, oitp, tcid) = id_fields(party);
    w.leaf("TCIT", &tcit);
    w.leaf("OITP", &oitp);
    w.leaf("TCID", &tcid);
    w.leaf(
        "TCAT",
        &acc.map(|a| account_type(Some(a), party))
            .unwrap_or_else(|| NA.into()),
    );
    w.leaf("TCAC", acc.map(|a| a.number.as_str()).unwrap_or(NA));
    w.close("TCIF");
}

/// The subject's side, the counterparty's side and `TSDR` (`01` receipt, `02` payment).
fn client_side<'a>(
    draft: &StrDraft,
    t: &'a Transaction,
) -> Option<(&'a Side, &'a Side, &'static str)> {
    let is_subject = |s: &Side| {
        s.party
            .as_ref()
            .is_some_and(|p| draft.subjects.iter().any(|sub| sub.id == p.id))
    };
    // A cash deposit has the customer on both sides; the side holding the account is the one
    // the bank reports, so a subject with an account wins over one without.
    let from = is_subject(&t.from);
    let to = is_subject(&t.to);
    match (from, to) {
        (true, true) if t.from.account.is_none() && t.to.account.is_some() => {
            Some((&t.to, &t.from, "01"))
        }
        (true, _) => Some((&t.from, &t.to, "02")),
        (false, true) => Some((&t.to, &t.from, "01")),
        (false, false) => None,
    }
}

/// Name as CAMLMAC wants it: the local-script name when known.
fn local_name(p: &Party) -> String {
    match &p.kind {
        PartyKind::Person {
            full_name_local: Some(n),
            ..
        } => n.clone(),
        PartyKind::Person {
            first_name,
            last_name,
            ..
        } => format!("{last_name} {first_name}"),
        PartyKind::Entity { name, .. } => name.clone(),
    }
}

/// (type code, other-type text, number) per table 10.1, `@N` where unknown.
fn id_fields(p: Option<&Party>) -> (String, String, String) {
    let Some(p) = p else {
        return (NA.into(), NA.into(), NA.into());
    };
    let Some(id) = &p.identification else {
        return (NA.into(), NA.into(), NA.into());
    };
    let person = matches!(p.kind, PartyKind::Person { .. });
    let (code, other) = match &id.kind {
        IdKind::ResidentIdCard => ("110001", NA.to_string()),
        IdKind::PrcPassport => ("110023", NA.to_string()),
        IdKind::ForeignPassport => ("110027", NA.to_string()),
        IdKind::UnifiedSocialCreditCode => ("610099", NA.to_string()),
        IdKind::BusinessLicence => ("610047", NA.to_string()),
        IdKind::Other(text) if person => ("119999", text.clone()),
        IdKind::Other(text) => ("619999", text.clone()),
    };
    (code.into(), other, id.number.clone())
}

/// `CATP`/`TCAT` per table 10.2; personal vs organisational codes follow the holder.
fn account_type(acc: Option<&Account>, holder: Option<&Party>) -> String {
    let Some(acc) = acc else { return NA.into() };
    let org = matches!(holder.map(|h| &h.kind), Some(PartyKind::Entity { .. }));
    let code = match (org, acc.kind) {
        (false, AccountKind::Savings) => "120001",
        (false, AccountKind::Current) => "120002",
        (false, AccountKind::Loan) => "120018",
        (false, _) => "129999",
        (true, AccountKind::Business) => "620001",
        (true, AccountKind::Current) => "620002",
        (true, _) => "629999",
    };
    code.into()
}

/// `TSTP` per table 10.3: `00` RMB (cash flag + instrument) or `01` foreign currency.
fn tstp(t: &Transaction) -> &'static str {
    if t.currency == "CNY" {
        match t.channel {
            Channel::Cash => "000030",
            Channel::Atm => "000014",
            Channel::Card => "000110",
            Channel::Online => "000120",
            Channel::Transfer | Channel::CrossBorder => "000131",
        }
    } else {
        match t.channel {
            Channel::Cash | Channel::Atm => "010001",
            Channel::Card => "010107",
            Channel::Transfer | Channel::Online | Channel::CrossBorder => "010104",
        }
    }
}

/// `OCTT` non-counter channel, `@N` for counter business.
fn octt(c: Channel) -> &'static str {
    match c {
        Channel::Online => "11",
        Channel::Card => "12",
        Channel::Atm => "15",
        Channel::Cash | Channel::Transfer | Channel::CrossBorder => NA,
    }
}

fn len(v: &mut Vec<Issue>, path: &str, s: &str, min: usize, max: usize) {
    let n = s.chars().count();
    if n < min || s.trim().is_empty() {
        v.push(Issue::new(path, "is empty", "fill it in"));
    } else if n > max {
        v.push(Issue::new(
            path,
            format!("is {n} characters long, CAMLMAC allows {max}"),
            "shorten it",
        ));
    }
    if has_forbidden_char(s) {
        v.push(Issue::new(
            path,
            "contains a control character XML cannot carry",
            "remove control characters from the text",
        ));
    }
}

fn code(v: &mut Vec<Issue>, path: &str, value: &str, table: &[&str], tag: &str) {
    if !table.contains(&value) {
        v.push(Issue::new(
            path,
            format!("{value:?} is not a {tag} code"),
            format!("use one of {}", table.join(", ")),
        ));
    }
}
