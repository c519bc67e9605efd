//! The screening data model: normalised transactions in, alerts and cases out.
//!
//! Money stays `Decimal`; only the alert score (a ranking, not money) is `f64`. Nothing here does
//! I/O or knows where transactions came from.

use chrono::{DateTime, FixedOffset};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How the money moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Cash deposit or withdrawal at a counter or ATM.
    Cash,
    /// Domestic account-to-account transfer.
    Transfer,
    /// Card payment.
    Card,
    /// Transfer that crosses a border.
    CrossBorder,
}

/// Whether the account holder is a person or an organisation (PBOC thresholds differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerKind {
    /// A natural person.
    Individual,
    /// A company or other organisation.
    Company,
}

/// One normalised transaction, booked on `account`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Txn {
    /// Stable id; alerts name transactions by it.
    pub id: String,
    /// The account this transaction is booked on.
    pub account: String,
    /// The other side's account, when known (transfers); graph rules need it.
    pub counterparty_account: Option<String>,
    /// The other side's name, when known.
    pub counterparty_name: Option<String>,
    /// When it happened, with its UTC offset.
    pub timestamp: DateTime<FixedOffset>,
    /// Signed amount: positive flows into `account`, negative flows out of it.
    pub amount: Decimal,
    /// ISO 4217 code, e.g. `CNY`.
    pub currency: String,
    /// How the money moved.
    pub channel: Channel,
    /// ISO 3166 country of `account`'s side, when known.
    pub country: Option<String>,
    /// ISO 3166 country of the counterparty, when known.
    pub counterparty_country: Option<String>,
    /// Who holds `account`, when known (unknown is screened as an individual: lower thresholds).
    pub customer_kind: Option<CustomerKind>,
}

/// The rules the engine knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleId {
    /// PBOC large-value transaction report triggers.
    LargeValue,
    /// Cash split into amounts just under the reporting threshold.
    Structuring,
    /// Money in and straight out again (快进快出).
    PassThrough,
    /// Many payers into one account, then out to few payees.
    FanIn,
    /// Few payers into one account, then out to many payees.
    FanOut,
    /// Night-time activity typical of gambling and fraud collection accounts.
    LateNight,
    /// Suspiciously round amounts.
    RoundAmount,
    /// A dormant account suddenly moving money.
    Dormant,
    /// Weekly volume far above the account's usual.
    Velocity,
    /// Counterparty in a high-risk jurisdiction.
    HighRiskCountry,
    /// Funds returning to their origin (round-tripping).
    Cycle,
    /// Many payers into one account that pays almost nothing out (collection account).
    Collection,
}

impl RuleId {
    /// Every rule, in report order.
    pub const ALL: [RuleId; 12] = [
        RuleId::LargeValue,
        RuleId::Structuring,
        RuleId::PassThrough,
        RuleId::FanIn,
        RuleId::FanOut,
        RuleId::LateNight,
        RuleId::RoundAmount,
        RuleId::Dormant,
        RuleId::Velocity,
        RuleId::HighRiskCountry,
        RuleId::Cycle,
        RuleId::Collection,
    ];

    /// The id as written in packs and JSON, e.g. `pass_through`.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::LargeValue => "large_value",
            RuleId::Structuring => "structuring",
            RuleId::PassThrough => "pass_through",
            RuleId::FanIn => "fan_in",
            RuleId::FanOut => "fan_out",
            RuleId::LateNight => "late_night",
            RuleId::RoundAmount => "round_amount",
            RuleId::Dormant => "dormant",
            RuleId::Velocity => "velocity",
            RuleId::HighRiskCountry => "high_risk_country",
            RuleId::Cycle => "cycle",
            RuleId::Collection => "collection",
        }
    }

    /// Parse a pack/JSON id.
    pub fn parse(s: &str) -> Option<RuleId> {
        RuleId::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule hit, with the exact transactions behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Deterministic id: `A-<rule>-<subject>-<first txn id>`.
    pub id: String,
    /// Which rule fired.
    pub rule: RuleId,
    /// The account the alert is about.
    pub subject: String,
    /// Strength in 0..=1 (ranking only; not money).
    pub score: f64,
    /// The transactions behind the alert, in time order.
    pub transactions: Vec<String>,
    /// Every account involved, subject first.
    pub accounts: Vec<String>,
    /// Plain-language explanation in English.
    pub explanation_en: String,
    /// The same explanation in Chinese.
    pub explanation_zh: String,
    /// The rule parameters and measured figures that made it fire.
    pub params: serde_json::Value,
}

/// Alerts about one subject, merged for review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// Deterministic id: `C-<subject>`.
    pub id: String,
    /// The account under review.
    pub subject: String,
    /// Alert ids, in alert order.
    pub alerts: Vec<String>,
}

/// What a screening run found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Screening {
    /// Alerts sorted by rule, subject and id.
    pub alerts: Vec<Alert>,
    /// One case per alerted subject, sorted by subject.
    pub cases: Vec<Case>,
}
