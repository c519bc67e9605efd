//! Normalisation of printed values for the grounding verifier: every way a document may print an
//! amount (`1,234.56`, `1.234,56`, `1 234,56`, `¥1,234.56`, `12,000元`, `1.2万`, `壹万贰仟元整`) or
//! a date (`2026-03-01`, `01/03/2026`, `2026年3月1日`, `01 MAR`) is turned into the set of values it
//! can mean. Ambiguous text yields every reading (`1.234` is both 1.234 and 1234): the verifier
//! asks "could the document mean this value?", never "what does it mean?". Pure; no floats.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::str::FromStr;

/// A date as a document can print it: complete, or day and month without a year (`01 MAR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateForm {
    /// A complete date.
    Full(NaiveDate),
    /// Month and day only, `(month, day)`.
    MonthDay(u32, u32),
}

const CURRENCY_WORDS: &[&str] = &[
    "人民币",
    "RMB",
    "CNY",
    "USD",
    "EUR",
    "GBP",
    "HKD",
    "JPY",
    "US$",
    "HK$",
    "元整",
    "圆整",
    "元",
    "圆",
    "整",
    "正",
    "¥",
    "￥",
    "$",
    "€",
    "£",
];

/// Strips currency signs and words, sign markers and spaces; returns the core text and whether
/// the amount is shown negative (`-`, `(…)`, `DR`).
fn strip_amount(text: &str) -> (String, bool) {
    let mut t: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{202f}' && *c != '\'' && *c != '’')
        .collect();
    let mut negative = false;
    loop {
        let before = t.clone();
        for w in CURRENCY_WORDS {
            if let Some(r) = t.strip_prefix(w) {
                t = r.to_string();
            }
            if let Some(r) = t.strip_suffix(w) {
                t = r.to_string();
            }
        }
        for w in ["CR", "Cr", "cr"] {
            if let Some(r) = t.strip_suffix(w) {
                t = r.to_string();
            }
        }
        for w in ["DR", "Dr", "dr"] {
            if let Some(r) = t.strip_suffix(w) {
                t = r.to_string();
                negative = true;
            }
        }
        if t.starts_with('(') && t.ends_with(')') && t.len() > 2 {
            t = t[1..t.len() - 1].to_string();
            negative = true;
        }
        if let Some(r) = t.strip_prefix('-').or_else(|| t.strip_prefix('−')) {
            t = r.to_string();
            negative = !negative;
        } else if let Some(r) = t.strip_suffix('-') {
            t = r.to_string();
            negative = !negative;
        } else if let Some(r) = t.strip_prefix('+') {
            t = r.to_string();
        }
        if t == before {
            break;
        }
    }
    (t, negative)
}

/// Every decimal value a printed amount can mean, with its sign as printed. Empty when the text
/// is not an amount.
pub fn amount_candidates(text: &str) -> Vec<Decimal> {
    let (core, negative) = strip_amount(text);
    if core.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    if let Some(v) = chinese_amount(&core) {
        out.push(v);
    } else if let Some(stripped) = core.strip_suffix('万').or_else(|| core.strip_suffix('萬')) {
        for v in digit_candidates(stripped) {
            out.push(v * Decimal::from(10_000));
        }
    } else if let Some(stripped) = core.strip_suffix('亿') {
        for v in digit_candidates(stripped) {
            out.push(v * Decimal::from(100_000_000));
        }
    } else {
        out = digit_candidates(&core);
    }
    if negative {
        for v in &mut out {
            *v = -*v;
        }
    }
    out.dedup();
    out
}

/// Readings of digits with `,` / `.` separators (spaces already removed).
fn digit_candidates(s: &str) -> Vec<Decimal> {
    if s.is_empty()
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
    {
        return Vec::new();
    }
    if !s.starts_with(|c: char| c.is_ascii_digit()) || !s.ends_with(|c: char| c.is_ascii_digit()) {
        return Vec::new();
    }
    let commas = s.matches(',').count();
    let dots = s.matches('.').count();
    let parse = |t: &str| Decimal::from_str(t).ok();
    let grouped = |t: &str, sep: char| -> bool {
        let mut parts = t.split(sep);
        let first = parts.next().unwrap_or("");
        !first.is_empty() && first.len() <= 3 && parts.all(|p| p.len() == 3)
    };
    let mut out = Vec::new();
    match (commas, dots) {
        (0, 0) => out.extend(parse(s)),
        (_, 0) => {
            if grouped(s, ',') {
                out.extend(parse(&s.replace(',', "")));
            }
            if commas == 1 {
                out.extend(parse(&s.replace(',', ".")));
            }
        }
        (0, _) => {
            if grouped(s, '.') {
                out.extend(parse(&s.replace('.', "")));
            }
            if dots == 1 {
                out.extend(parse(s));
            }
        }
        _ => {
            // Both: the last separator is the decimal one, the other groups thousands.
            let last_comma = s.rfind(',').unwrap_or(0);
            let last_dot = s.rfind('.').unwrap_or(0);
            let (group, dec) = if last_dot > last_comma {
                (',', '.')
            } else {
                ('.', ',')
            };
            if s.matches(dec).count() == 1 {
                let (int, frac) = s.split_at(s.rfind(dec).unwrap_or(0));
                if grouped(int, group) {
                    out.extend(parse(&format!("{}.{}", int.replace(group, ""), &frac[1..])));
                }
            }
        }
    }
    out
}

fn chinese_digit(c: char) -> Option<i64> {
    Some(match c {
        '零' | '〇' => 0,
        '壹' | '一' => 1,
        '贰' | '貳' | '二' | '两' => 2,
        '叁' | '參' | '三' => 3,
        '肆' | '四' => 4,
        '伍' | '五' => 5,
        '陆' | '陸' | '六' => 6,
        '柒' | '七' => 7,
        '捌' | '八' => 8,
        '玖' | '九' => 9,
        _ => return None,
    })
}

/// Reads an amount in Chinese numerals (`壹万贰仟元整`, `叁佰元伍角`, `一千二百`). Needs at least one
/// Chinese digit; `元` / `角` / `分` give yuan, tenths and hundredths.
pub fn chinese_amount(s: &str) -> Option<Decimal> {
    let s = s.trim_end_matches(['整', '正']);
    if !s
        .chars()
        .any(|c| chinese_digit(c).is_some() || matches!(c, '拾' | '十' | '佰' | '百' | '仟' | '千'))
    {
        return None;
    }
    let mut total: i64 = 0; // whole yuan
    let mut section: i64 = 0; // below 万
    let mut digit: i64 = 0;
    let mut cents: i64 = 0;
    let mut after_yuan = false;
    for c in s.chars() {
        if let Some(d) = chinese_digit(c) {
            digit = d;
            continue;
        }
        let unit = match c {
            '拾' | '十' => 10,
            '佰' | '百' => 100,
            '仟' | '千' => 1000,
            _ => 0,
        };
        if unit > 0 {
            section += if digit == 0 && unit == 10 { 1 } else { digit } * unit;
            digit = 0;
            continue;
        }
        match c {
            '万' | '萬' => {
                total += (section + digit) * 10_000;
                section = 0;
                digit = 0;
            }
            '亿' | '億' => {
                total = (total + section + digit) * 100_000_000;
                section = 0;
                digit = 0;
            }
            '元' | '圆' | '圓' => {
                total += section + digit;
                section = 0;
                digit = 0;
                after_yuan = true;
            }
            '角' => {
                cents += digit * 10;
                digit = 0;
            }
            '分' => {
                cents += digit;
                digit = 0;
            }
            _ => return None,
        }
    }
    if !after_yuan {
        total += section + digit;
    }
    Some(Decimal::from(total) + Decimal::new(cents, 2))
}

/// Strict reading of a value the model returned as an amount: a JSON number's text or a string
/// such as `-1234.56`, `1,234.56`, `¥12,000`. `None` when it is not an unambiguous amount.
pub fn value_amount(text: &str) -> Option<Decimal> {
    let t = text.trim();
    if let Ok(d) = Decimal::from_str(t) {
        return Some(d);
    }
    let c = amount_candidates(t);
    if c.len() == 1 {
        c.first().copied()
    } else {
        None
    }
}

const MONTHS: &[(&str, u32)] = &[
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("may", 5),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
    ("mei", 5),
    ("okt", 10),
    ("mrt", 3),
];

fn month_name(s: &str) -> Option<u32> {
    let l = s.to_lowercase();
    let l = l.trim_end_matches('.');
    if l.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .find(|(m, _)| l.starts_with(m))
        .map(|(_, n)| *n)
        .filter(|_| l.chars().all(|c| c.is_alphabetic()))
}

fn ymd(y: i64, m: i64, d: i64) -> Option<DateForm> {
    let y = if (0..100).contains(&y) { 2000 + y } else { y };
    if !(1900..=2100).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(
        i32::try_from(y).ok()?,
        u32::try_from(m).ok()?,
        u32::try_from(d).ok()?,
    )
    .map(DateForm::Full)
}

fn md(m: i64, d: i64) -> Option<DateForm> {
    let (m, d) = (u32::try_from(m).ok()?, u32::try_from(d).ok()?);
    NaiveDate::from_ymd_opt(2024, m, d).map(|_| DateForm::MonthDay(m, d))
}

/// Every date a printed text can mean. Numeric day/month orders are ambiguous in general
/// (`01/03/2026`), so both readings are returned when both are valid.
pub fn date_candidates(text: &str) -> Vec<DateForm> {
    let t = text.trim().trim_end_matches([',', '.', ';']);
    let mut out = Vec::new();
    // 2026年3月1日 / 3月1日
    if let Some((y, rest)) = t.split_once('年') {
        if let (Ok(y), Some((m, rest))) = (y.trim().parse::<i64>(), rest.split_once('月'))
            && let (Ok(m), Ok(d)) = (
                m.trim().parse::<i64>(),
                rest.trim_end_matches(['日', '号']).trim().parse::<i64>(),
            )
        {
            out.extend(ymd(y, m, d));
        }
        return out;
    }
    if let Some((m, rest)) = t.split_once('月') {
        if let (Ok(m), Ok(d)) = (
            m.trim().parse::<i64>(),
            rest.trim_end_matches(['日', '号']).trim().parse::<i64>(),
        ) {
            out.extend(md(m, d));
        }
        return out;
    }
    let parts: Vec<&str> = t
        .split(['-', '/', '.', ' ', ','])
        .filter(|p| !p.is_empty())
        .collect();
    let num = |s: &str| -> Option<i64> {
        if s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty() && s.len() <= 4 {
            s.parse().ok()
        } else {
            None
        }
    };
    match parts.as_slice() {
        [one] if one.len() == 8 && one.chars().all(|c| c.is_ascii_digit()) => {
            let n = |r: std::ops::Range<usize>| one.get(r).and_then(|x| x.parse::<i64>().ok());
            if let (Some(y), Some(m), Some(d)) = (n(0..4), n(4..6), n(6..8)) {
                out.extend(ymd(y, m, d));
            }
        }
        [one] => {
            // 01MAR2026 / 01MAR
            let digits: String = one.chars().take_while(char::is_ascii_digit).collect();
            let rest = &one[digits.len()..];
            let alpha: String = rest.chars().take_while(|c| c.is_alphabetic()).collect();
            let tail = &rest[alpha.len()..];
            if let (Some(d), Some(m)) = (num(&digits), month_name(&alpha)) {
                if tail.is_empty() {
                    out.extend(md(i64::from(m), d));
                } else if let Some(y) = num(tail) {
                    out.extend(ymd(y, i64::from(m), d));
                }
            }
        }
        [a, b] => match (num(a), num(b), month_name(a), month_name(b)) {
            (Some(d), None, None, Some(m)) => out.extend(md(i64::from(m), d)),
            (None, Some(d), Some(m), None) => out.extend(md(i64::from(m), d)),
            _ => {}
        },
        [a, b, c] => {
            match (num(a), num(b), num(c)) {
                (Some(x), Some(y), Some(z)) if a.len() == 4 => out.extend(ymd(x, y, z)),
                (Some(x), Some(y), Some(z)) if c.len() == 4 || c.len() == 2 => {
                    out.extend(ymd(z, y, x)); // day first
                    out.extend(ymd(z, x, y)); // month first
                }
                _ => {}
            }
            if let (Some(d), Some(m), Some(y)) = (num(a), month_name(b), num(c)) {
                out.extend(ymd(y, i64::from(m), d));
            }
            if let (Some(m), Some(d), Some(y)) = (month_name(a), num(b), num(c)) {
                out.extend(ymd(y, i64::from(m), d));
            }
            if let (Some(y), Some(m), Some(d)) = (num(a), month_name(b), num(c))
                && a.len() == 4
            {
                out.extend(ymd(y, i64::from(m), d));
            }
        }
        _ => {}
    }
    out.dedup();
    out
}

/// Strict reading of a date the model returned (ISO `YYYY-MM-DD`, or any single-reading form).
pub fn value_date(text: &str) -> Option<NaiveDate> {
    if let Ok(d) = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        return Some(d);
    }
    let full: Vec<NaiveDate> = date_candidates(text)
        .into_iter()
        .filter_map(|d| match d {
            DateForm::Full(d) => Some(d),
            DateForm::MonthDay(..) => None,
        })
        .collect();
    if full.len() == 1 {
        full.first().copied()
    } else {
        None
    }
}

/// Text compared for string values: lower case, without whitespace and without the punctuation
/// that OCR and models drop or add (`,` `.` `:` `：` quotes).
pub fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| {
            !c.is_whitespace()
                && !matches!(
                    c,
                    ',' | '.' | ':' | '：' | '，' | '。' | '"' | '\'' | '“' | '”' | '\u{202f}'
                )
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The printed forms of an ISO currency code (`CNY` is `¥`, `￥`, `元`, `人民币`, `RMB`).
pub fn currency_forms(code: &str) -> &'static [&'static str] {
    match code {
        "CNY" => &["¥", "￥", "元", "人民币", "RMB"],
        "USD" => &["$", "US$", "USD"],
        "EUR" => &["€", "EUR"],
        "GBP" => &["£", "GBP"],
        "HKD" => &["HK$", "港币", "港元"],
        "JPY" => &["¥", "円", "JPY"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap_or_default()
    }

    #[test]
    fn number_formats() {
        assert_eq!(amount_candidates("1,234.56"), vec![d("1234.56")]);
        assert_eq!(amount_candidates("1.234,56"), vec![d("1234.56")]);
        assert_eq!(amount_candidates("1 234,56"), vec![d("1234.56")]);
        assert_eq!(amount_candidates("¥1,234.56"), vec![d("1234.56")]);
        assert_eq!(amount_candidates("12,000元"), vec![d("12000"), d("12")]);
        assert_eq!(amount_candidates("1.2万"), vec![d("12000")]);
        assert_eq!(amount_candidates("壹万贰仟元整"), vec![d("12000")]);
        assert_eq!(amount_candidates("(50.00)"), vec![d("-50.00")]);
        assert!(amount_candidates("abc").is_empty());
        assert!(amount_candidates("1,23,4").is_empty());
    }

    #[test]
    fn chinese_numerals() {
        assert_eq!(chinese_amount("叁佰元伍角"), Some(d("300.50")));
        assert_eq!(chinese_amount("一千二百"), Some(d("1200")));
        assert_eq!(chinese_amount("拾元"), Some(d("10")));
        assert_eq!(chinese_amount("壹佰万零伍元"), Some(d("1000005")));
        assert_eq!(chinese_amount("元"), None);
    }

    #[test]
    fn date_formats() {
        let full = |y, m, dd| DateForm::Full(NaiveDate::from_ymd_opt(y, m, dd).unwrap_or_default());
        assert_eq!(date_candidates("2026-03-01"), vec![full(2026, 3, 1)]);
        assert_eq!(
            date_candidates("01/03/2026"),
            vec![full(2026, 3, 1), full(2026, 1, 3)]
        );
        assert_eq!(date_candidates("2026年3月1日"), vec![full(2026, 3, 1)]);
        assert_eq!(date_candidates("01 MAR"), vec![DateForm::MonthDay(3, 1)]);
        assert_eq!(date_candidates("01MAR2026"), vec![full(2026, 3, 1)]);
        assert_eq!(date_candidates("Aug 3, 2014"), vec![full(2014, 8, 3)]);
        assert_eq!(date_candidates("18 april 2014"), vec![full(2014, 4, 18)]);
        assert!(date_candidates("hello").is_empty());
    }
}
