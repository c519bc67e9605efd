//! Rule parameters and their built-in defaults, each default citing where it comes from.
//!
//! The defaults here equal `packs/default.yaml` (a test holds them together). Regulatory figures
//! are from the PBOC large-value reporting rules as summarised in `shared/fixtures/SOURCES.md`;
//! the rest are the thresholds the screening requirements state, marked as such.

use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Thresholds per currency; a currency not listed is not screened by that threshold (no FX guess).
pub type Amounts = BTreeMap<String, Decimal>;

fn amounts(list: &[(i64, &str)]) -> Amounts {
    list.iter()
        .map(|(n, c)| ((*c).to_owned(), Decimal::from(*n)))
        .collect()
}

fn pct(n: i64) -> Decimal {
    Decimal::new(n, 2)
}

/// `large_value`: PBOC large-value report triggers, per customer per local day, receipts and
/// payments summed separately.
#[derive(Debug, Clone, PartialEq)]
pub struct LargeValue {
    /// Cash: PBOC, CNY 50,000 or USD 10,000.
    pub cash: Amounts,
    /// Company transfers: PBOC, CNY 2,000,000 or USD 200,000.
    pub company_transfer: Amounts,
    /// Individual domestic transfers: PBOC, CNY 500,000 or USD 100,000.
    pub individual_transfer: Amounts,
    /// Individual cross-border transfers: PBOC, CNY 200,000 or USD 10,000.
    pub individual_cross_border: Amounts,
}

impl Default for LargeValue {
    fn default() -> Self {
        LargeValue {
            cash: amounts(&[(50_000, "CNY"), (10_000, "USD")]),
            company_transfer: amounts(&[(2_000_000, "CNY"), (200_000, "USD")]),
            individual_transfer: amounts(&[(500_000, "CNY"), (100_000, "USD")]),
            individual_cross_border: amounts(&[(200_000, "CNY"), (10_000, "USD")]),
        }
    }
}

/// `structuring`: cash split just under the cash reporting threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Structuring {
    /// Window the pieces fall in (default: 3 days).
    pub window_secs: i64,
    /// Fewest pieces (default: 3).
    pub min_count: usize,
    /// Each piece at least this share of the threshold (default: 80%).
    pub min_share: Decimal,
    /// Each piece at most this share of the threshold (default: 99%).
    pub max_share: Decimal,
    /// The cash threshold split around (PBOC cash trigger: CNY 50,000 / USD 10,000).
    pub threshold: Amounts,
}

impl Default for Structuring {
    fn default() -> Self {
        Structuring {
            window_secs: 3 * 86_400,
            min_count: 3,
            min_share: pct(80),
            max_share: pct(99),
            threshold: amounts(&[(50_000, "CNY"), (10_000, "USD")]),
        }
    }
}

/// `pass_through` (快进快出): an inflow mostly leaves again quickly.
#[derive(Debug, Clone, PartialEq)]
pub struct PassThrough {
    /// How soon it must leave (default: 48 h).
    pub window_secs: i64,
    /// Share of the inflow that leaves (default: 90%).
    pub min_out_share: Decimal,
    /// Balance left afterwards, as a share of the inflow (default: 5%).
    pub max_remaining_share: Decimal,
    /// Smallest inflow considered (engineering choice: the PBOC cash trigger, so salaries and
    /// household spending do not qualify).
    pub min_inflow: Amounts,
}

impl Default for PassThrough {
    fn default() -> Self {
        PassThrough {
            window_secs: 48 * 3600,
            min_out_share: pct(90),
            max_remaining_share: pct(5),
            min_inflow: amounts(&[(50_000, "CNY"), (10_000, "USD")]),
        }
    }
}

/// `fan_in` / `fan_out`: many parties on one side, few on the other.
#[derive(Debug, Clone, PartialEq)]
pub struct Fan {
    /// Window both halves fall in (engineering choice: 7 days).
    pub window_secs: i64,
    /// Distinct parties on the many side (default: 10).
    pub min_many: usize,
    /// Most parties on the few side (default: 2).
    pub max_few: usize,
    /// Share of the money the few side carries (default: 80%); `0%` drops the few-side half.
    pub min_share: Decimal,
}

impl Default for Fan {
    fn default() -> Self {
        Fan {
            window_secs: 7 * 86_400,
            min_many: 10,
            max_few: 2,
            min_share: pct(80),
        }
    }
}

/// `late_night`: night-time activity on several days.
#[derive(Debug, Clone, PartialEq)]
pub struct LateNight {
    /// Night starts (minutes after midnight; default: 00:00).
    pub night_start_min: u32,
    /// Night ends (default: 06:00).
    pub night_end_min: u32,
    /// Night transactions in a day (default: 10).
    pub min_night_txns: usize,
    /// Night share of the day's count (default: 50%).
    pub min_night_share: Decimal,
    /// Distinct night counterparties in a day (default: 10).
    pub min_counterparties: usize,
    /// Qualifying days (default: 3) …
    pub min_days: usize,
    /// … within this many days (default: 10).
    pub days_window_secs: i64,
}

impl Default for LateNight {
    fn default() -> Self {
        LateNight {
            night_start_min: 0,
            night_end_min: 360,
            min_night_txns: 10,
            min_night_share: pct(50),
            min_counterparties: 10,
            min_days: 3,
            days_window_secs: 10 * 86_400,
        }
    }
}

/// `collection`: many distinct payers into one account that pays (almost) nothing out — the
/// collection account of gambling and fraud schemes, before any onward half `fan_in` needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Collection {
    /// Window the payments fall in (engineering choice: 1 day, an operator's "plain day").
    pub window_secs: i64,
    /// Fewest distinct payers (engineering choice: 20, twice `fan_in`'s many side, since there is
    /// no onward half to confirm it).
    pub min_payers: usize,
    /// Payouts within the window at most this share of what came in (engineering choice: 10%).
    pub max_payout_share: Decimal,
    /// Smallest total received within the window (engineering choice: the PBOC cash trigger, so
    /// a shop's day of small transfers does not qualify); a currency not listed is not screened.
    pub min_inflow: Amounts,
}

impl Default for Collection {
    fn default() -> Self {
        Collection {
            window_secs: 86_400,
            min_payers: 20,
            max_payout_share: pct(10),
            min_inflow: amounts(&[(50_000, "CNY"), (10_000, "USD")]),
        }
    }
}

/// `cycle`: funds returning to their origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    /// Whole cycle within (default: 30 days).
    pub window_secs: i64,
    /// Most hops (default: 5).
    pub max_hops: usize,
    /// Fewest hops (engineering choice: 3, so a refund or a repaid loan, A→B→A, is not a cycle).
    pub min_hops: usize,
    /// The returning amount is at least this share of the first hop (engineering choice: 50%).
    pub min_return_share: Decimal,
    /// Search budget per closing transfer, bounding work at hub accounts.
    pub max_expansions: usize,
}

impl Default for Cycle {
    fn default() -> Self {
        Cycle {
            window_secs: 30 * 86_400,
            max_hops: 5,
            min_hops: 3,
            min_return_share: pct(50),
            max_expansions: 5_000,
        }
    }
}

/// `round_amount`: several large round amounts in a short time.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundAmount {
    /// An amount is round when it is a multiple of this (engineering choice: CNY 10,000 /
    /// USD 1,000).
    pub multiple: Amounts,
    /// Fewest round amounts (engineering choice: 3) …
    pub min_count: usize,
    /// … within (engineering choice: 7 days).
    pub window_secs: i64,
}

impl Default for RoundAmount {
    fn default() -> Self {
        RoundAmount {
            multiple: amounts(&[(10_000, "CNY"), (1_000, "USD")]),
            min_count: 3,
            window_secs: 7 * 86_400,
        }
    }
}

/// `dormant`: no activity for a long time, then a large movement.
#[derive(Debug, Clone, PartialEq)]
pub struct Dormant {
    /// Idle at least (engineering choice: 180 days, a common dormancy definition).
    pub idle_secs: i64,
    /// The reactivating movement is at least (engineering choice: the PBOC cash trigger).
    pub min_amount: Amounts,
}

impl Default for Dormant {
    fn default() -> Self {
        Dormant {
            idle_secs: 180 * 86_400,
            min_amount: amounts(&[(50_000, "CNY"), (10_000, "USD")]),
        }
    }
}

/// `high_risk_country`: counterparty in a listed jurisdiction.
#[derive(Debug, Clone, PartialEq)]
pub struct HighRiskCountry {
    /// ISO 3166 alpha-2 codes.
    pub countries: Vec<String>,
    /// The date of the list the codes were taken from, as written in the pack.
    pub list_date: String,
}

impl Default for HighRiskCountry {
    fn default() -> Self {
        // FATF "high-risk jurisdictions subject to a call for action" (black list): DPRK, Iran,
        // Myanmar. The pack must carry its own dated list; this is only the fallback.
        HighRiskCountry {
            countries: vec!["KP".to_owned(), "IR".to_owned(), "MM".to_owned()],
            list_date: "2025-06-13".to_owned(),
        }
    }
}

/// `velocity`: a week's volume far above the account's usual weekly volume.
#[derive(Debug, Clone, PartialEq)]
pub struct Velocity {
    /// The recent window whose volume is tested (default: 7 days).
    pub window_secs: i64,
    /// The history the usual weekly volume is the median of (default: 90 days, i.e. the 12 whole
    /// weeks before the recent window).
    pub baseline_secs: i64,
    /// Recent volume at least this many times the median weekly volume (default: 5×).
    pub factor: Decimal,
    /// Recent volume at least this much, so small accounts' noise does not alert (engineering
    /// choice: the PBOC cash trigger, CNY 50,000 / USD 10,000). A currency not listed is not screened.
    pub min_volume: Amounts,
}

impl Default for Velocity {
    fn default() -> Self {
        Velocity {
            window_secs: 7 * 86_400,
            baseline_secs: 90 * 86_400,
            factor: Decimal::from(5),
            min_volume: amounts(&[(50_000, "CNY"), (10_000, "USD")]),
        }
    }
}
