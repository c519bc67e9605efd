//! Exchange rates for regulator reports: a CSV file `date,currency,rate` where `rate` is the
//! value of one unit of `currency` in the report's local currency, valid from `date` until the
//! next row of that currency (e.g. the PBOC central parity rates a bank publishes each morning).
//! A transaction in a foreign currency is converted with the latest rate dated on or before its
//! own date; without one, the draft names the transaction, the currency and the date to add.
//! Rates are decimals, never floats; the local amount is rounded half-even to 2 places.

use anyhow::Result;
use chrono::NaiveDate;
use docket_core::ErrorCode;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use crate::failure::Failure;

/// Rates by currency, then by the first date they apply to.
#[derive(Debug, Clone, Default)]
pub struct Rates {
    by_currency: BTreeMap<String, BTreeMap<NaiveDate, Decimal>>,
}

impl Rates {
    /// Reads a rate file; every bad line is reported with its number.
    pub fn load(path: &Path) -> Result<Rates> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Failure::new(
                ErrorCode::BadUsage,
                format!(
                    "{}: cannot read the exchange-rate file: {e}",
                    path.display()
                ),
            )
        })?;
        Rates::parse(&text).map_err(|problems| {
            Failure::new(
                ErrorCode::BadUsage,
                format!(
                    "{}: {} problem(s) in the exchange-rate file (write `date,currency,rate`, e.g. `2026-03-02,USD,7.1234`):\n{}",
                    path.display(),
                    problems.len(),
                    problems.join("\n")
                ),
            )
            .into()
        })
    }

    /// Parses `date,currency,rate` lines (a header line and `#` comments are skipped).
    pub fn parse(text: &str) -> Result<Rates, Vec<String>> {
        let mut rates = Rates::default();
        let mut problems = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with("date") {
                continue;
            }
            let cols: Vec<&str> = line.split(',').map(str::trim).collect();
            let [date, cur, rate] = cols.as_slice() else {
                problems.push(format!(
                    "  line {}: expected 3 columns, found {}",
                    n + 1,
                    cols.len()
                ));
                continue;
            };
            let Ok(date) = NaiveDate::parse_from_str(date, "%Y-%m-%d") else {
                problems.push(format!(
                    "  line {}: `{date}` is not a date (YYYY-MM-DD)",
                    n + 1
                ));
                continue;
            };
            let cur = cur.to_uppercase();
            if cur.len() != 3 || !cur.chars().all(|c| c.is_ascii_uppercase()) {
                problems.push(format!("  line {}: `{cur}` is not an ISO 4217 code", n + 1));
                continue;
            }
            match Decimal::from_str(rate) {
                Ok(r) if r > Decimal::ZERO => {
                    if rates
                        .by_currency
                        .entry(cur.clone())
                        .or_default()
                        .insert(date, r)
                        .is_some()
                    {
                        problems.push(format!("  line {}: a second {cur} rate for {date}", n + 1));
                    }
                }
                _ => problems.push(format!(
                    "  line {}: `{rate}` is not a positive decimal rate",
                    n + 1
                )),
            }
        }
        if problems.is_empty() {
            Ok(rates)
        } else {
            Err(problems)
        }
    }

    /// The rate of `currency` that applies on `date`, with the date it was set.
    pub fn rate(&self, currency: &str, date: NaiveDate) -> Option<(NaiveDate, Decimal)> {
        self.by_currency
            .get(&currency.to_uppercase())?
            .range(..=date)
            .next_back()
            .map(|(d, r)| (*d, *r))
    }

    /// `amount` in the local currency: `amount × rate`, rounded half-even to 2 places.
    pub fn convert(&self, amount: Decimal, currency: &str, date: NaiveDate) -> Option<Decimal> {
        let (_, r) = self.rate(currency, date)?;
        Some((amount * r).round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn latest_rate_on_or_before_the_date_applies() {
        let r = Rates::parse("date,currency,rate\n2026-03-02,USD,7.1000\n2026-03-05,usd,7.2000\n# comment\n2026-03-02,EUR,7.8")
            .unwrap_or_default();
        assert_eq!(r.rate("USD", d("2026-03-01")), None);
        assert_eq!(
            r.rate("USD", d("2026-03-04")),
            Some((d("2026-03-02"), Decimal::new(71, 1)))
        );
        assert_eq!(
            r.rate("USD", d("2026-03-05")).map(|x| x.1),
            Some(Decimal::new(72, 1))
        );
        assert_eq!(
            r.convert(Decimal::new(1_000_005, 2), "USD", d("2026-03-03")),
            Some(Decimal::new(7_100_036, 2)) // 10000.05 × 7.1 = 71000.355 → 71000.36
        );
        assert_eq!(r.rate("GBP", d("2026-03-09")), None);
    }

    #[test]
    fn bad_lines_are_named() {
        let e = Rates::parse("2026-13-01,USD,7\n2026-03-01,US,7\n2026-03-01,USD,-1\n2026-03-01,USD\n2026-03-02,USD,7\n2026-03-02,USD,7.1")
            .err()
            .unwrap_or_default();
        assert_eq!(e.len(), 5, "{e:?}");
        assert!(e[0].contains("line 1") && e[0].contains("not a date"));
        assert!(e[1].contains("ISO 4217"));
        assert!(e[2].contains("positive"));
        assert!(e[3].contains("3 columns"));
        assert!(e[4].contains("second USD rate"));
    }
}
