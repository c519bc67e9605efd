//! Parameter values with units as written in rule packs: durations (`48h`, `3d`, `30m`),
//! percentages (`90%`), amounts (`50000 CNY`), factors (`5x`), times of day (`06:00`).
//!
//! Parsing only; never guesses a unit that was not written.

use rust_decimal::Decimal;
use std::str::FromStr;

/// Parse `48h`, `3d`, `30m` into seconds.
pub fn duration_secs(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("`{s}` has no unit; write e.g. `48h`, `3d` or `30m`"))?;
    let (num, unit) = s.split_at(split);
    let n: i64 = num
        .parse()
        .map_err(|_| format!("`{s}` must start with a whole number, e.g. `48h`"))?;
    let per = match unit.trim() {
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        other => {
            return Err(format!(
                "unknown duration unit `{other}` in `{s}`; use m (minutes), h (hours) or d (days)"
            ));
        }
    };
    Ok(n * per)
}

/// Parse `90%` into `0.90`.
pub fn percent(s: &str) -> Result<Decimal, String> {
    let s = s.trim();
    let num = s
        .strip_suffix('%')
        .ok_or_else(|| format!("`{s}` must be a percentage such as `90%`"))?;
    let d = Decimal::from_str(num.trim())
        .map_err(|_| format!("`{s}` is not a number followed by %"))?;
    if d < Decimal::ZERO || d > Decimal::ONE_HUNDRED {
        return Err(format!("`{s}` must lie between 0% and 100%"));
    }
    Ok(d / Decimal::ONE_HUNDRED)
}

/// Parse `50000 CNY` into amount and currency.
pub fn amount(s: &str) -> Result<(Decimal, String), String> {
    let s = s.trim();
    let mut parts = s.split_whitespace();
    let (Some(num), Some(cur), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!(
            "`{s}` must be an amount and a currency code, e.g. `50000 CNY`"
        ));
    };
    let d = Decimal::from_str(&num.replace(',', ""))
        .map_err(|_| format!("`{num}` in `{s}` is not a number"))?;
    if d <= Decimal::ZERO {
        return Err(format!("`{s}` must be positive"));
    }
    if cur.len() != 3 || !cur.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "`{cur}` in `{s}` is not an ISO 4217 currency code such as CNY or USD"
        ));
    }
    Ok((d, cur.to_owned()))
}

/// Parse `5x` (or `5`) into a factor.
pub fn factor(s: &str) -> Result<Decimal, String> {
    let s = s.trim();
    let num = s.strip_suffix('x').unwrap_or(s);
    let d = Decimal::from_str(num.trim())
        .map_err(|_| format!("`{s}` must be a factor such as `5x`"))?;
    if d <= Decimal::ZERO {
        return Err(format!("`{s}` must be positive"));
    }
    Ok(d)
}

/// Parse `06:00` into minutes after midnight.
pub fn time_of_day(s: &str) -> Result<u32, String> {
    let s = s.trim();
    let bad = || format!("`{s}` must be a time of day such as `06:00`");
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    let h: u32 = h.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if h > 24 || m > 59 || (h == 24 && m > 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(duration_secs("48h"), Ok(172_800));
        assert_eq!(duration_secs("3d"), Ok(259_200));
        assert!(duration_secs("3 parsecs").is_err_and(|e| e.contains("parsecs")));
        assert_eq!(percent("90%"), Ok(Decimal::new(9, 1)));
        assert!(percent("90").is_err());
        assert_eq!(
            amount("50000 CNY"),
            Ok((Decimal::new(50000, 0), "CNY".to_owned()))
        );
        assert!(amount("50000").is_err());
        assert_eq!(time_of_day("06:00"), Ok(360));
        assert_eq!(factor("5x"), Ok(Decimal::new(5, 0)));
    }
}
