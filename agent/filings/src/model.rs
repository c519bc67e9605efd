//! The report draft: everything a suspicious-transaction report says, independent of the format
//! it is filed in. The agent maps a screening case onto a [`StrDraft`]; the writers in
//! [`crate::goaml`] and [`crate::camlmac`] turn it into regulator XML.
//!
//! This module only describes data. It must never decide what is suspicious, never look anything
//! up (no I/O) and never silently invent facts: a value the bank does not know stays `None` and the
//! writers either reject the draft or, where the CAMLMAC spec allows it, write `@N`.

use chrono::{DateTime, FixedOffset, NaiveDate};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A suspicious-transaction report ready to be written in any supported format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrDraft {
    /// The bank (reporting entity) filing the report.
    pub reporting_entity: ReportingEntity,
    /// Submission metadata: when, how, under which reference, in which local currency.
    pub submission: Submission,
    /// Why the activity is suspicious, in one or two sentences (goAML `reason`, CAMLMAC `AOSP`).
    pub reason: String,
    /// What the bank did about it (goAML `action`), if anything.
    pub action: Option<String>,
    /// goAML report indicator codes (`report_indicator_type`, e.g. `STRUC`); at least one.
    pub indicators: Vec<String>,
    /// The narrative describing the funds movements and customer behaviour. CAMLMAC carries it in
    /// `STCB`; goAML has no separate field, so it follows `reason` after a blank line.
    pub narrative: String,
    /// The reported subjects (the bank's customers under suspicion); at least one.
    pub subjects: Vec<Party>,
    /// The transactions reported, in the order they should appear; at least one.
    pub transactions: Vec<Transaction>,
}

/// The reporting entity (the filing bank) as the FIU registered it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportingEntity {
    /// goAML `rentity_id`: the positive integer the FIU assigned.
    pub id: u32,
    /// The bank's name, used as the institution name of its own accounts.
    pub name: String,
    /// goAML `rentity_branch`: the reporting branch, if the FIU wants it.
    pub branch: Option<String>,
    /// ISO 3166-1 alpha-2 country of the bank (e.g. `CN`, `AE`).
    pub country: String,
    /// SWIFT/BIC of the bank, used for accounts held at the bank itself.
    pub swift: Option<String>,
}

/// Submission metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Submission {
    /// goAML `submission_code`: `E` (electronic) or `M` (manual).
    pub code: String,
    /// When the report is submitted (written as wall-clock time in `time_zone`).
    pub date: DateTime<FixedOffset>,
    /// The bank's own reference for the report (goAML `entity_reference`).
    pub reference: String,
    /// ISO 4217 code of the local currency (goAML `currency_code_local`), e.g. `CNY`.
    pub local_currency: String,
    /// Zone in which all dates are written: the formats want local wall-clock time without an
    /// offset, so every timestamp is converted to this zone first (e.g. `Asia/Shanghai`).
    pub time_zone: Tz,
}

/// A person or an organisation that takes part in a transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Party {
    /// The bank's customer number for its own customers (CAMLMAC `CSNM`); any stable id otherwise.
    pub id: String,
    /// Person or entity details.
    pub kind: PartyKind,
    /// ISO 3166-1 alpha-2 country of residence (person) or incorporation (entity).
    pub country: String,
    /// Identity document or registration certificate, when known.
    pub identification: Option<Identification>,
    /// Occupation (person, GB/T 6565 code) or industry (entity, GB/T 4754 code), when known.
    pub occupation: Option<String>,
    /// Addresses, most relevant first.
    pub addresses: Vec<String>,
    /// Telephone numbers, most relevant first.
    pub phones: Vec<String>,
}

/// Person or entity details of a [`Party`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PartyKind {
    /// A natural person.
    Person {
        /// Given name(s) in Latin letters (goAML allows only `[a-zA-Z0-9 .'-]`).
        first_name: String,
        /// Family name in Latin letters (goAML allows only `[a-zA-Z0-9 .'-]`).
        last_name: String,
        /// Full name as written in the local script (e.g. `张伟`), used by CAMLMAC; when `None`
        /// the writers use `last_name first_name`.
        full_name_local: Option<String>,
        /// Date of birth, when known.
        birthdate: Option<NaiveDate>,
    },
    /// A company or other organisation.
    Entity {
        /// Registered name, in the local script if that is how it is registered (CAMLMAC).
        name: String,
        /// Registered or romanised name in Latin letters for goAML (`[a-zA-Z0-9 .'-]`); `None`
        /// uses `name`.
        name_latin: Option<String>,
        /// Legal representative's name (CAMLMAC `SRNM`), when known.
        legal_representative: Option<String>,
    },
}

/// An identity document or registration certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identification {
    /// What kind of document it is.
    pub kind: IdKind,
    /// The document number as printed.
    pub number: String,
}

/// Identity document kinds both formats can express (mapped to CAMLMAC table 10.1 codes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    /// PRC resident identity card (居民身份证, `110001`).
    ResidentIdCard,
    /// PRC private passport (`110023`).
    PrcPassport,
    /// Foreign passport (`110027`).
    ForeignPassport,
    /// Unified social credit code (统一社会信用代码, `610099`).
    UnifiedSocialCreditCode,
    /// Business licence number (`610047`).
    BusinessLicence,
    /// Any other document; the text says which (CAMLMAC `OITP`).
    Other(String),
}

/// A bank account used on one side of a transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// Name of the institution holding the account.
    pub institution_name: String,
    /// SWIFT/BIC or national bank code of the institution.
    pub institution_code: InstitutionCode,
    /// Branch name or code, when known.
    pub branch: Option<String>,
    /// The account number (or IBAN) as the bank writes it.
    pub number: String,
    /// ISO 4217 code of the account currency.
    pub currency: String,
    /// Account holder's name in Latin letters (goAML `account_name` allows only
    /// `[a-zA-Z0-9 .'-]`); `None` uses the holder's Latin name.
    pub name_latin: Option<String>,
    /// What kind of account it is.
    pub kind: AccountKind,
}

/// How the account's institution is identified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "code", rename_all = "snake_case")]
pub enum InstitutionCode {
    /// SWIFT/BIC (8 or 11 characters).
    Swift(String),
    /// A national code (e.g. a CNAPS bank number).
    National(String),
}

/// Account kinds both formats can express.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// Current / checking / demand settlement account.
    Current,
    /// Savings / demand savings account.
    Savings,
    /// A company's business (basic) account.
    Business,
    /// Loan account.
    Loan,
    /// Card account (debit or credit card number).
    Card,
    /// Anything else.
    Other,
}

/// How the money moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Cash over the counter.
    Cash,
    /// Domestic account-to-account transfer.
    Transfer,
    /// Card payment or card transfer.
    Card,
    /// Online or mobile banking.
    Online,
    /// ATM.
    Atm,
    /// Cross-border wire transfer.
    CrossBorder,
}

/// One reported transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    /// The bank's unique transaction number (goAML `transactionnumber`, CAMLMAC `TICD`).
    pub number: String,
    /// When it happened, with the zone it was recorded in.
    pub date_time: DateTime<FixedOffset>,
    /// What it was, in words.
    pub description: String,
    /// Where it was conducted (branch name, city), in words.
    pub location: String,
    /// CAMLMAC `TRCD` place code: `CHN` + 6-digit administrative division code, or a GB/T 2659
    /// alpha-3 country + `000000`. `None` writes `@N`.
    pub location_code: Option<String>,
    /// How the money moved.
    pub channel: Channel,
    /// Explicit goAML `transmode_code` (conduction type); `None` derives it from `channel`.
    pub transmode_code: Option<String>,
    /// Amount in the transaction currency, positive.
    pub amount: Decimal,
    /// ISO 4217 code of the transaction currency.
    pub currency: String,
    /// The same amount in the submission's local currency, positive (goAML `amount_local`).
    pub amount_local: Decimal,
    /// Where the money came from.
    pub from: Side,
    /// Where the money went.
    pub to: Side,
}

/// One side of a transaction: who, through which account (if any), in which country.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Side {
    /// The party. `None` means the bank does not know the counterparty: goAML rejects the draft;
    /// CAMLMAC writes `@N` for the counterparty fields.
    pub party: Option<Party>,
    /// The account used, if the money went through an account.
    pub account: Option<Account>,
    /// ISO 3166-1 alpha-2 country where the funds were sent from / received.
    pub country: String,
}
