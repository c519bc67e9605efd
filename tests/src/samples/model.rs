//! The statement model behind every sample file: one seeded generator produces holder, account,
//! period, balances and transactions, and every writer renders the same [`Statement`]. It must
//! never use wall-clock time or an unseeded random source: a seed names a file's exact bytes.

use chrono::{Duration, NaiveDate, NaiveTime};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

/// The two statement styles Docket's samples imitate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    /// A UK/US current-account statement: Paid Out / Paid In columns, no times, no counterparty
    /// account numbers.
    English,
    /// A Chinese personal account statement (交易明细): dates with times, counterparty names and
    /// accounts, 收入 / 支出 columns.
    Chinese,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Layout and vocabulary.
    pub flavour: Flavour,
    /// ISO 4217 code; English supports GBP and USD, Chinese CNY.
    pub currency: &'static str,
    /// Seed of the ChaCha8 generator: same spec → same statement.
    pub seed: u64,
    /// Number of transaction lines.
    pub transactions: usize,
    /// First day of the statement period.
    pub period_start: NaiveDate,
    /// Last day of the statement period.
    pub period_end: NaiveDate,
}

impl Spec {
    /// A March 2026 statement with `transactions` lines.
    pub fn march_2026(
        flavour: Flavour,
        currency: &'static str,
        seed: u64,
        transactions: usize,
    ) -> Spec {
        Spec {
            flavour,
            currency,
            seed,
            transactions,
            period_start: ymd(2026, 3, 1),
            period_end: ymd(2026, 3, 31),
        }
    }
}

/// One transaction line, as printed and as it must be extracted.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Booking date.
    pub date: NaiveDate,
    /// Time of day (Chinese flavour only).
    pub time: Option<NaiveTime>,
    /// Description / 摘要; English ones may be long enough to wrap in the PDF.
    pub description: String,
    /// Counterparty name, when the line has one.
    pub counterparty: Option<String>,
    /// Counterparty account (Chinese flavour only, and not on every line).
    pub counterparty_account: Option<String>,
    /// Signed amount: credits positive.
    pub amount: Decimal,
    /// Running balance after this line.
    pub balance: Decimal,
}

/// A whole statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Layout and vocabulary.
    pub flavour: Flavour,
    /// Printed bank name (fictional).
    pub bank: String,
    /// Account holder.
    pub holder: String,
    /// Account number exactly as printed.
    pub account_number: String,
    /// ISO 4217 code.
    pub currency: String,
    /// First day of the period.
    pub period_start: NaiveDate,
    /// Last day of the period.
    pub period_end: NaiveDate,
    /// Balance before the first line.
    pub opening_balance: Decimal,
    /// Transaction lines in date order.
    pub entries: Vec<Entry>,
}

impl Statement {
    /// Generate a statement from a spec. Balances never go negative, so every printed balance is
    /// a plain positive number.
    pub fn generate(spec: &Spec) -> Statement {
        let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
        let (bank, holder, account_number) = match spec.flavour {
            Flavour::English => {
                let holder = *EN_HOLDERS.choose(&mut rng).unwrap_or(&"Jane Doe");
                let acct = if spec.currency == "USD" {
                    format!(
                        "{:04} {:04} {:04}",
                        rng.random_range(1..10_000),
                        rng.random_range(0..10_000),
                        rng.random_range(0..10_000)
                    )
                } else {
                    format!("{:08}", rng.random_range(10_000_000..100_000_000u32))
                };
                ("DOCKET SAMPLE BANK".to_string(), holder.to_string(), acct)
            }
            Flavour::Chinese => {
                let holder = *ZH_HOLDERS.choose(&mut rng).unwrap_or(&"张三");
                let acct = format!(
                    "6222 0212 {:04} {:04}",
                    rng.random_range(0..10_000),
                    rng.random_range(0..10_000)
                );
                ("示例银行".to_string(), holder.to_string(), acct)
            }
        };
        let opening_cents: i64 = rng.random_range(150_000..2_500_000);
        let span = (spec.period_end - spec.period_start).num_days().max(0);
        let mut offsets: Vec<i64> = (0..spec.transactions)
            .map(|_| rng.random_range(0..=span))
            .collect();
        offsets.sort_unstable();

        let mut balance = opening_cents;
        let mut entries = Vec::with_capacity(spec.transactions);
        for offset in offsets {
            let date = spec.period_start + Duration::days(offset);
            let entry = match spec.flavour {
                Flavour::English => english_entry(&mut rng, balance),
                Flavour::Chinese => chinese_entry(&mut rng, balance),
            };
            balance += entry.cents;
            let time = (spec.flavour == Flavour::Chinese).then(|| {
                NaiveTime::from_hms_opt(
                    rng.random_range(7..23),
                    rng.random_range(0..60),
                    rng.random_range(0..60),
                )
                .unwrap_or(NaiveTime::MIN)
            });
            entries.push(Entry {
                date,
                time,
                description: entry.description,
                counterparty: entry.counterparty,
                counterparty_account: entry.counterparty_account,
                amount: Decimal::new(entry.cents, 2),
                balance: Decimal::new(balance, 2),
            });
        }
        // Times must not run backwards within a day, or the running balance would look shuffled.
        sort_times_within_days(&mut entries);
        Statement {
            flavour: spec.flavour,
            bank,
            holder,
            account_number,
            currency: spec.currency.to_string(),
            period_start: spec.period_start,
            period_end: spec.period_end,
            opening_balance: Decimal::new(opening_cents, 2),
            entries,
        }
    }

    /// Balance after the last line (the opening balance when there are none).
    pub fn closing_balance(&self) -> Decimal {
        self.entries
            .last()
            .map_or(self.opening_balance, |e| e.balance)
    }

    /// Sum of debits as a positive number (the "Paid Out" / 支出 total).
    pub fn total_debits(&self) -> Decimal {
        -self
            .entries
            .iter()
            .filter(|e| e.amount.is_sign_negative())
            .map(|e| e.amount)
            .sum::<Decimal>()
    }

    /// Sum of credits (the "Paid In" / 收入 total).
    pub fn total_credits(&self) -> Decimal {
        self.entries
            .iter()
            .filter(|e| !e.amount.is_sign_negative())
            .map(|e| e.amount)
            .sum()
    }
}

struct Draft {
    cents: i64,
    description: String,
    counterparty: Option<String>,
    counterparty_account: Option<String>,
}

fn sort_times_within_days(entries: &mut [Entry]) {
    let mut times: Vec<Option<NaiveTime>> = entries.iter().map(|e| e.time).collect();
    let mut start = 0;
    while start < entries.len() {
        let mut end = start + 1;
        while end < entries.len() && entries[end].date == entries[start].date {
            end += 1;
        }
        times[start..end].sort();
        for (e, t) in entries[start..end].iter_mut().zip(&times[start..end]) {
            e.time = *t;
        }
        start = end;
    }
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

const EN_HOLDERS: &[&str] = &[
    "Jane Doe",
    "Oliver Bennett",
    "Priya Raman",
    "Thomas Whitfield",
];
const ZH_HOLDERS: &[&str] = &["张三", "李晓梅", "王建国", "陈思远"];

/// (description, counterparty, cents range, credit?)
type Template = (&'static str, Option<&'static str>, (i64, i64), bool);

const EN_TEMPLATES: &[Template] = &[
    (
        "Card payment TESCO STORES 2041",
        Some("Tesco Stores"),
        (350, 9_500),
        false,
    ),
    (
        "Contactless PRET A MANGER",
        Some("Pret A Manger"),
        (250, 1_400),
        false,
    ),
    (
        "Direct Debit British Gas reference 8841220 monthly energy plan",
        Some("British Gas"),
        (4_500, 16_000),
        false,
    ),
    (
        "Faster Payment received invoice INV-2026-0312 consulting services",
        Some("Harbour Analytics Ltd"),
        (20_000, 180_000),
        true,
    ),
    (
        "Salary ACME Widgets March payroll",
        Some("ACME Widgets Ltd"),
        (180_000, 420_000),
        true,
    ),
    (
        "Standing order rent Flat 4 Baker Street",
        Some("Marylebone Lettings"),
        (90_000, 150_000),
        false,
    ),
    ("ATM withdrawal Oxford Street", None, (2_000, 20_000), false),
    ("Interest paid", None, (5, 900), true),
    ("Monthly account fee", None, (300, 1_500), false),
    (
        "Bill payment Thames Water account 44920133 quarterly water and sewerage charge",
        Some("Thames Water"),
        (6_000, 21_000),
        false,
    ),
    (
        "Transfer from savings",
        Some("Oliver Bennett"),
        (10_000, 100_000),
        true,
    ),
    (
        "Online purchase AMZN Mktp order 204-7731",
        Some("Amazon EU"),
        (999, 25_000),
        false,
    ),
];

/// (摘要, 对方户名, has counterparty account, cents range, credit?)
type ZhTemplate = (&'static str, Option<&'static str>, bool, (i64, i64), bool);

const ZH_TEMPLATES: &[ZhTemplate] = &[
    (
        "代发工资",
        Some("上海明远科技有限公司"),
        true,
        (800_000, 2_600_000),
        true,
    ),
    ("消费", Some("华联超市长宁店"), true, (1_500, 60_000), false),
    (
        "快捷支付",
        Some("星河网络支付有限公司"),
        true,
        (990, 120_000),
        false,
    ),
    ("跨行转账", Some("李四"), true, (50_000, 800_000), false),
    ("转账收入", Some("王五"), true, (20_000, 500_000), true),
    ("ATM取现", None, false, (20_000, 300_000), false),
    ("结息", None, false, (10, 3_000), true),
    ("短信服务费", None, false, (200, 300), false),
    (
        "水电燃气缴费",
        Some("城市公用事业缴费中心"),
        true,
        (8_000, 45_000),
        false,
    ),
    ("信用卡还款", Some("张三"), true, (100_000, 900_000), false),
    (
        "房租",
        Some("上海明远物业管理有限公司"),
        true,
        (350_000, 650_000),
        false,
    ),
];

fn english_entry(rng: &mut ChaCha8Rng, balance: i64) -> Draft {
    loop {
        let (desc, cp, (lo, hi), credit) = EN_TEMPLATES[rng.random_range(0..EN_TEMPLATES.len())];
        let cents = rng.random_range(lo..=hi);
        if !credit && cents > balance {
            continue;
        }
        return Draft {
            cents: if credit { cents } else { -cents },
            description: desc.to_string(),
            counterparty: cp.map(str::to_string),
            counterparty_account: None,
        };
    }
}

fn chinese_entry(rng: &mut ChaCha8Rng, balance: i64) -> Draft {
    loop {
        let (desc, cp, has_acct, (lo, hi), credit) =
            ZH_TEMPLATES[rng.random_range(0..ZH_TEMPLATES.len())];
        let cents = rng.random_range(lo..=hi);
        if !credit && cents > balance {
            continue;
        }
        let account = has_acct.then(|| {
            // Personal cards are 19 digits; corporate accounts are shorter and start with a branch.
            if cp.is_some_and(|c| c.chars().count() > 4) {
                format!("31{:014}", rng.random_range(0..100_000_000_000_000u64))
            } else {
                format!("62170{:014}", rng.random_range(0..100_000_000_000_000u64))
            }
        });
        return Draft {
            cents: if credit { cents } else { -cents },
            description: desc.to_string(),
            counterparty: cp.map(str::to_string),
            counterparty_account: account,
        };
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on failure
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_statement_and_balances_follow() {
        for flavour in [Flavour::English, Flavour::Chinese] {
            let spec = Spec::march_2026(flavour, "GBP", 7, 40);
            let a = Statement::generate(&spec);
            assert_eq!(a, Statement::generate(&spec));
            assert_eq!(a.entries.len(), 40);
            let mut running = a.opening_balance;
            for e in &a.entries {
                running += e.amount;
                assert_eq!(running, e.balance);
                assert!(e.balance >= Decimal::ZERO);
                assert!(e.date >= a.period_start && e.date <= a.period_end);
            }
            assert_eq!(
                a.opening_balance + a.total_credits() - a.total_debits(),
                a.closing_balance()
            );
        }
    }
}
