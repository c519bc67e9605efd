//! Parsing of the printed values a statement is made of: amounts, dates, times and currency names.
//! Everything here is text in, typed value out; it never guesses a value that the text does not
//! state unambiguously (an amount like `1,234` with a comma that could be a decimal comma is read
//! only when its grouping proves it) and it never touches floating point.

use chrono::{Datelike, NaiveDate, NaiveTime};
use rust_decimal::Decimal;
use std::str::FromStr;

/// A sign marker printed next to an amount (`1234.56 CR`, `DR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// `CR`: money in.
    Credit,
    /// `DR`: money out.
    Debit,
}

/// Cell texts that mean "no value" in real exports.
pub fn is_placeholder(s: &str) -> bool {
    let t = s.trim();
    t.is_empty()
        || t.chars()
            .all(|c| matches!(c, '-' | '/' | '—' | '_' | '*' | ' ' | '\t'))
}

/// Quote marks and CJK punctuation that OCR reads from specks at the edge of a cell (`”房租`,
/// `。跨行转账`); no cell value starts or ends with them unless they pair up.
fn is_edge_noise(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '“'
            | '”'
            | '‘'
            | '’'
            | '«'
            | '»'
            | '„'
            | '。'
            | '，'
            | '、'
            | '`'
            | '|'
            | '；'
            | '：'
    )
}

fn partner(c: char) -> Option<char> {
    match c {
        '“' => Some('”'),
        '‘' => Some('’'),
        '«' => Some('»'),
        '"' | '\'' => Some(c),
        _ => None,
    }
}

/// Trims OCR noise from both ends of a text cell: stray quote marks and CJK punctuation, but not
/// a quote that has its partner on the other side (`“Best” Ltd` keeps its quotes), and a leading
/// ASCII comma, semicolon or colon.
pub fn strip_edge_noise(s: &str) -> String {
    let mut t = s.trim();
    while let Some(c) = t.chars().next() {
        let paired = partner(c).is_some_and(|p| t[c.len_utf8()..].contains(p));
        if (is_edge_noise(c) && !paired) || matches!(c, ',' | ';' | ':') {
            t = t[c.len_utf8()..].trim_start();
        } else {
            break;
        }
    }
    while let Some(c) = t.chars().next_back() {
        let rest = &t[..t.len() - c.len_utf8()];
        let opener = ['“', '‘', '«', '"', '\'']
            .into_iter()
            .find(|o| partner(*o) == Some(c));
        let paired = opener.is_some_and(|o| rest.contains(o));
        if is_edge_noise(c) && !paired {
            t = rest.trim_end();
        } else {
            break;
        }
    }
    t.to_string()
}

/// Digits after the decimal point of a currency's minor unit (ISO 4217): 0 for JPY and KRW, 3
/// for the dinars, 2 otherwise (and when the currency is unknown).
pub fn minor_units(currency: Option<&str>) -> u32 {
    match currency {
        Some("JPY" | "KRW" | "VND" | "CLP" | "ISK") => 0,
        Some("BHD" | "KWD" | "JOD" | "OMR" | "TND" | "IQD" | "LYD") => 3,
        _ => 2,
    }
}

/// `value` with at least the currency's minor units (`-240` → `-240.00`): spreadsheets store
/// numbers, and a number cell loses the trailing zeros the bank printed. Never rounds.
pub fn with_minor_units(value: Decimal, currency: Option<&str>) -> Decimal {
    let units = minor_units(currency);
    let mut v = value;
    if v.scale() < units {
        v.rescale(units);
    }
    v
}

/// Parses a printed amount. Returns the value with its printed sign (parentheses and a leading or
/// trailing minus make it negative) and a `CR`/`DR` marker when one is printed.
pub fn parse_amount(raw: &str) -> Option<(Decimal, Option<Marker>)> {
    let mut s: String = raw.trim().to_string();
    if is_placeholder(&s) || is_identifier(&s) {
        return None;
    }
    let mut marker = None;
    let upper = s.to_ascii_uppercase();
    for (suffix, m) in [("CR", Marker::Credit), ("DR", Marker::Debit)] {
        if upper.ends_with(suffix) && upper.len() > 2 {
            marker = Some(m);
            s.truncate(s.len() - 2);
            break;
        }
    }
    let mut negative = false;
    let mut t = s.trim().to_string();
    if t.starts_with('(') && t.ends_with(')') {
        negative = true;
        t = t[1..t.len() - 1].to_string();
    }
    // Currency symbols and units that banks print around amounts.
    for sym in ["¥", "￥", "$", "€", "£", "元", "RMB", "CNY", "HKD", "USD"] {
        t = t.replace(sym, "");
    }
    let mut t = t.trim().to_string();
    if let Some(rest) = t.strip_prefix('+') {
        t = rest.trim().to_string();
    } else if let Some(rest) = t.strip_prefix('-') {
        negative = !negative;
        t = rest.trim().to_string();
    } else if let Some(rest) = t.strip_suffix('-') {
        negative = !negative;
        t = rest.trim().to_string();
    }
    let digits = normalise_number(&t)?;
    let mut value = Decimal::from_str(&digits).ok()?;
    if negative {
        value = -value;
    }
    Some((value, marker))
}

/// True for text that is an identifier and never an amount, whatever digits it holds: an Excel
/// text formula (`="1000345234234223"`), a leading-apostrophe text cell (`'0012`), a run of ten
/// or more digits with no separator and no decimal point (order and reference numbers; no
/// statement prints a ten-digit amount without grouping or decimals), or a digit run with
/// leading zeros (`00042`).
pub fn is_identifier(raw: &str) -> bool {
    let t = raw.trim_matches(|c: char| c.is_whitespace());
    if t.starts_with("=\"") || t.starts_with('\'') {
        return true;
    }
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    digits.len() >= 10 || (digits.len() >= 3 && digits.starts_with('0'))
}

/// Reads an amount as OCR misprints it, when [`parse_amount`] refuses the text: stray marks at
/// the ends (`°`, `"`, an unpaired bracket), and any of `. , : ; -` standing for the decimal
/// point before the last two digits and for the thousands separators before groups of three
/// (`157-01)` → 157.01, `1:233:38` → 1233.38, `6:37.` → 6.37). Returns `None` unless the digits
/// group exactly so; the caller must have the value confirmed (running balances) or flag it.
pub fn parse_amount_ocr(raw: &str) -> Option<(Decimal, Option<Marker>)> {
    if let Some(x) = parse_amount(raw) {
        return Some(x);
    }
    let t = raw.trim();
    let negative = t.starts_with('-') || (t.starts_with('(') && t.contains(')'));
    let core: String = t
        .trim_matches(|c: char| !c.is_ascii_digit())
        .chars()
        .collect();
    if core.is_empty()
        || !core
            .chars()
            .all(|c| c.is_ascii_digit() || ".,:;-".contains(c))
    {
        return None;
    }
    let parts: Vec<&str> = core.split(['.', ',', ':', ';', '-']).collect();
    let (frac, int) = parts.split_last()?;
    if frac.len() != 2 || int.is_empty() {
        return None;
    }
    if int[0].is_empty() || int[0].len() > 3 && int.len() > 1 {
        return None;
    }
    if int[1..].iter().any(|g| g.len() != 3) {
        return None;
    }
    let digits = format!("{}.{frac}", int.concat());
    let v = Decimal::from_str(&digits).ok()?;
    Some((if negative { -v } else { v }, None))
}

/// Turns `1,234.56`, `1 234.56`, `1.234,56`, `1 234,56` into `1234.56`; refuses text whose
/// separators do not follow a thousands grouping.
fn normalise_number(t: &str) -> Option<String> {
    if t.is_empty() || !t.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    if !t
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | ' ' | '\u{a0}' | '\''))
    {
        return None;
    }
    let last_dot = t.rfind('.');
    let last_comma = t.rfind(',');
    let (int_part, frac_part) = match (last_dot, last_comma) {
        (Some(d), Some(c)) if d > c => (&t[..d], Some(&t[d + 1..])),
        (Some(d), Some(c)) if c > d => (&t[..c], Some(&t[c + 1..])),
        (Some(d), None) => {
            // Several dots: they are thousands separators (1.234.567).
            if t.matches('.').count() > 1 {
                (t, None)
            } else {
                (&t[..d], Some(&t[d + 1..]))
            }
        }
        (None, Some(c)) => {
            // A single comma followed by exactly 2 digits is a decimal comma (1 234,56); followed by
            // 3 digits it is a thousands separator (1,234).
            let frac = &t[c + 1..];
            if t.matches(',').count() == 1 && frac.len() == 2 && !t[..c].contains(',') {
                (&t[..c], Some(frac))
            } else {
                (t, None)
            }
        }
        _ => (t, None),
    };
    let groups: Vec<&str> = int_part
        .split([',', '.', ' ', '\u{a0}', '\''])
        .filter(|g| !g.is_empty())
        .collect();
    if groups.is_empty() {
        return None;
    }
    let separated = groups.len() > 1;
    if separated && (groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3)) {
        return None;
    }
    let int_digits: String = groups.concat();
    if !int_digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    match frac_part {
        Some(f) if !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()) => {
            Some(format!("{int_digits}.{f}"))
        }
        Some(_) => None,
        None => Some(int_digits),
    }
}

/// Day-first (`05/01/2026` is 5 January) or month-first (US) reading of all-numeric dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// `DD/MM/YYYY`.
    DayFirst,
    /// `MM/DD/YYYY`.
    MonthFirst,
}

/// Decides the order of ambiguous all-numeric dates from the dates of one document: a first
/// number above 12 proves day-first, a second above 12 proves month-first (dates without a year,
/// `12/29`, count too). With no proof, a column whose first number never changes while the
/// second does is a month followed by days (a statement covers one month far more often than
/// the first twelve days of several); otherwise `default` (day-first unless in US dollars).
pub fn detect_order<'a>(texts: impl Iterator<Item = &'a str>, default: DateOrder) -> DateOrder {
    let (mut day_first, mut month_first) = (0, 0);
    let mut firsts = std::collections::BTreeSet::new();
    let mut seconds = std::collections::BTreeSet::new();
    for t in texts {
        let Some(tokens) = date_tokens(t) else {
            continue;
        };
        let numeric = tokens.iter().all(|x| x.chars().all(|c| c.is_ascii_digit()));
        let dated = tokens.len() == 3 && tokens[2].len() != 1;
        if numeric && (dated || tokens.len() == 2) && tokens[0].len() <= 2 {
            let a: u32 = tokens[0].parse().unwrap_or(0);
            let b: u32 = tokens[1].parse().unwrap_or(0);
            firsts.insert(a);
            seconds.insert(b);
            // Dotted numeric dates (`05.12.2025`) are written day first wherever they are used.
            if a > 12 && b <= 12 || (dated && t.contains('.') && !t.contains(['/', '-'])) {
                day_first += 1;
            } else if b > 12 && a <= 12 {
                month_first += 1;
            }
        }
    }
    let unproven = day_first == 0 && month_first == 0;
    if unproven && firsts.len() == 1 && seconds.len() > 1 {
        month_first = 1;
    } else if unproven && seconds.len() == 1 && firsts.len() > 1 {
        day_first = 1;
    }
    match day_first.cmp(&month_first) {
        std::cmp::Ordering::Greater => DateOrder::DayFirst,
        std::cmp::Ordering::Less => DateOrder::MonthFirst,
        std::cmp::Ordering::Equal => default,
    }
}

/// Reads a date printed without a year (`12/29`, `01-05`, `1月5日`) as `(month, day)`; `order`
/// settles which number is the month, as for full dates.
pub fn parse_month_day(s: &str, order: DateOrder) -> Option<(u32, u32)> {
    let t = s
        .trim()
        .trim_matches(|c: char| matches!(c, '[' | ']' | '\t' | ' ') || is_edge_noise(c));
    let tokens = date_tokens(t)?;
    if tokens.len() != 2 {
        return None;
    }
    // `01 Nov`, `Nov 01`: a month name settles the order.
    match (month_name(&tokens[0]), month_name(&tokens[1])) {
        (None, Some(m)) if tokens[0].len() <= 2 => {
            let d: u32 = tokens[0].parse().ok()?;
            return NaiveDate::from_ymd_opt(2000, m, d).map(|_| (m, d));
        }
        (Some(m), None) if tokens[1].len() <= 2 => {
            let d: u32 = tokens[1].parse().ok()?;
            return NaiveDate::from_ymd_opt(2000, m, d).map(|_| (m, d));
        }
        _ => {}
    }
    if tokens.iter().any(|x| x.len() > 2) {
        return None;
    }
    let a: u32 = tokens[0].parse().ok()?;
    let b: u32 = tokens[1].parse().ok()?;
    let (m, d) = if t.contains('月') || order == DateOrder::MonthFirst {
        (a, b)
    } else {
        (b, a)
    };
    // 29 February is valid in a leap year; checking against one keeps it.
    NaiveDate::from_ymd_opt(2000, m, d).map(|_| (m, d))
}

/// The year of a yearless date: the latest date on or before `anchor` (the end of the period
/// the statement covers), so `12/29` on a statement ending in January is December of the year
/// before.
pub fn infer_year(month: u32, day: u32, anchor: NaiveDate) -> Option<NaiveDate> {
    let y = anchor.year();
    match NaiveDate::from_ymd_opt(y, month, day) {
        Some(d) if d <= anchor => Some(d),
        _ => NaiveDate::from_ymd_opt(y - 1, month, day),
    }
}

/// The last day of the month a heading names (`2024年01月`, `2025年1月`), used to date a
/// statement whose rows print no year.
pub fn heading_month_end(s: &str) -> Option<NaiveDate> {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let (head, _) = compact.split_once('月')?;
    let (y, m) = head.rsplit_once('年')?;
    let y: String = y
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if y.len() != 4 || m.is_empty() || m.len() > 2 || !m.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    }?;
    next.pred_opt()
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month_name(t: &str) -> Option<u32> {
    let l = t.to_ascii_lowercase();
    if l.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| l.starts_with(m))
        .map(|i| i as u32 + 1)
}

/// Splits a date text into its parts, or `None` when it holds anything a date does not.
fn date_tokens(s: &str) -> Option<Vec<String>> {
    let t = s
        .trim()
        .trim_matches(|c| matches!(c, '[' | ']' | '\t' | ' '));
    if t.is_empty() {
        return None;
    }
    let mut tokens = Vec::new();
    let mut cur = String::new();
    for c in t.chars() {
        if c.is_ascii_alphanumeric() {
            cur.push(c);
        } else if matches!(c, '-' | '/' | '.' | ' ' | ',' | '年' | '月' | '日') {
            if !cur.is_empty() {
                tokens.push(std::mem::take(&mut cur));
            }
        } else {
            return None;
        }
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    let ok = tokens
        .iter()
        .all(|x| x.chars().all(|c| c.is_ascii_digit()) || month_name(x).is_some());
    ok.then_some(tokens)
}

fn year(t: &str) -> Option<i32> {
    let y: i32 = t.parse().ok()?;
    match t.len() {
        4 => Some(y),
        2 => Some(2000 + y),
        _ => None,
    }
}

/// Parses a date without a time; `order` settles `05/01/2026`.
pub fn parse_date(s: &str, order: DateOrder) -> Option<NaiveDate> {
    let tokens = date_tokens(s)?;
    let num = |x: &String| x.parse::<u32>().ok();
    match tokens.len() {
        1 => {
            let t = &tokens[0];
            if t.len() == 8 && t.chars().all(|c| c.is_ascii_digit()) {
                let y = t[..4].parse().ok()?;
                let m = t[4..6].parse().ok()?;
                let d = t[6..].parse().ok()?;
                NaiveDate::from_ymd_opt(y, m, d)
            } else {
                None
            }
        }
        3 => {
            let (a, b, c) = (&tokens[0], &tokens[1], &tokens[2]);
            if a.len() == 4 && a.chars().all(|c| c.is_ascii_digit()) {
                let m = month_name(b).or_else(|| num(b))?;
                return NaiveDate::from_ymd_opt(year(a)?, m, num(c)?);
            }
            let y = year(c)?;
            if let Some(m) = month_name(b) {
                return NaiveDate::from_ymd_opt(y, m, num(a)?);
            }
            if let Some(m) = month_name(a) {
                return NaiveDate::from_ymd_opt(y, m, num(b)?);
            }
            let (x, z) = (num(a)?, num(b)?);
            match order {
                DateOrder::DayFirst => NaiveDate::from_ymd_opt(y, z, x),
                DateOrder::MonthFirst => NaiveDate::from_ymd_opt(y, x, z),
            }
        }
        _ => None,
    }
}

/// Parses `HH:MM` or `HH:MM:SS`.
pub fn parse_time(s: &str) -> Option<NaiveTime> {
    let t = s
        .trim()
        .trim_matches(|c: char| matches!(c, '[' | ']' | ' ' | '\t') || is_edge_noise(c));
    NaiveTime::parse_from_str(t, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M"))
        .ok()
}

/// Parses a date optionally followed by a time (`2026-01-05 14:32:10`, `2026-01-05T14:32`).
pub fn parse_datetime(s: &str, order: DateOrder) -> Option<(NaiveDate, Option<NaiveTime>)> {
    let t = s
        .trim()
        .trim_matches(|c: char| matches!(c, '[' | ']' | '\t' | ' ') || is_edge_noise(c));
    if let Some(d) = parse_date(t, order) {
        return Some((d, None));
    }
    let (date_part, time_part) = t.rsplit_once([' ', 'T'])?;
    let time = parse_time(time_part)?;
    Some((parse_date(date_part, order)?, Some(time)))
}

/// True when the text is a date (or date-time) under either reading of numeric dates.
pub fn is_date(s: &str) -> bool {
    parse_datetime(s, DateOrder::DayFirst).is_some()
        || parse_datetime(s, DateOrder::MonthFirst).is_some()
}

/// Maps a printed currency (`人民币`, `RMB`, `港币`, `usd`) to its ISO 4217 code.
pub fn currency_code(s: &str) -> Option<String> {
    // OCR spaces CJK characters apart (`人 民 币`).
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let t = if compact.chars().any(|c| c as u32 >= 0x2E80) {
        compact.as_str()
    } else {
        s.trim()
    };
    let names = [
        ("人民币", "CNY"),
        ("RMB", "CNY"),
        ("CNY", "CNY"),
        ("¥", "CNY"),
        ("美元", "USD"),
        ("港币", "HKD"),
        ("港元", "HKD"),
        ("欧元", "EUR"),
        ("英镑", "GBP"),
        ("日元", "JPY"),
        ("澳元", "AUD"),
        ("加元", "CAD"),
        ("新加坡元", "SGD"),
    ];
    for (name, code) in names {
        if t.eq_ignore_ascii_case(name) || t.starts_with(name) {
            return Some(code.into());
        }
    }
    if t.len() == 3 && t.chars().all(|c| c.is_ascii_alphabetic()) {
        return Some(t.to_ascii_uppercase());
    }
    None
}

/// Finds the two dates of a period (`2026-01-01 to 2026-01-31`, `2026年1月1日至2026年1月31日`).
pub fn parse_period(s: &str, order: DateOrder) -> Option<(NaiveDate, NaiveDate)> {
    for sep in [
        "至", " to ", " TO ", "~", "～", " - ", "—", "–", " ― ", " bis ", " au ", " al ", "-",
    ] {
        if let Some((a, b)) = s.split_once(sep)
            && let (Some((da, _)), Some((db, _))) =
                (parse_datetime(a, order), parse_datetime(b, order))
        {
            return Some((da, db));
        }
    }
    // OCR misreads the separator (`2026-03-01 3 2026-03-31` for `至`): exactly two dates among
    // the tokens, in order, still make a period.
    let tokens: Vec<&str> = s.split_whitespace().collect();
    let mut dates = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let found = (1..=3).rev().find_map(|n| {
            let part = tokens.get(i..i + n)?.join(" ");
            parse_datetime(&part, order).map(|(d, _)| (d, n))
        });
        match found {
            Some((d, n)) => {
                dates.push(d);
                i += n;
            }
            None => i += 1,
        }
    }
    match dates[..] {
        [a, b] if a <= b => Some((a, b)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amt(s: &str) -> Option<String> {
        parse_amount(s).map(|(d, _)| d.to_string())
    }

    #[test]
    fn amounts_in_every_printed_form() {
        assert_eq!(amt("1,234.56").as_deref(), Some("1234.56"));
        assert_eq!(amt("-1,234.56").as_deref(), Some("-1234.56"));
        assert_eq!(amt("(1,234.56)").as_deref(), Some("-1234.56"));
        assert_eq!(amt("¥1,234.56").as_deref(), Some("1234.56"));
        assert_eq!(amt("1 234,56").as_deref(), Some("1234.56"));
        assert_eq!(amt("+12.00").as_deref(), Some("12.00"));
        assert_eq!(amt("12.00元").as_deref(), Some("12.00"));
        assert_eq!(amt("0.01                \t").as_deref(), Some("0.01"));
        assert_eq!(
            parse_amount("1234.56 CR"),
            Some((Decimal::new(123456, 2), Some(Marker::Credit)))
        );
        assert_eq!(
            parse_amount("1234.56DR").map(|x| x.1),
            Some(Some(Marker::Debit))
        );
        assert_eq!(amt("--"), None);
        let ocr = |s: &str| parse_amount_ocr(s).map(|(d, _)| d.to_string());
        assert_eq!(ocr("157-01)").as_deref(), Some("157.01"));
        assert_eq!(ocr("1:233:38").as_deref(), Some("1233.38"));
        assert_eq!(ocr("6:37.").as_deref(), Some("6.37"));
        assert_eq!(ocr("801-3375"), None);
        assert_eq!(ocr("2026-05-05"), None);
        assert_eq!(amt("1000345234234223\t"), None, "an order number");
        assert_eq!(amt("=\"1234.50\""), None, "a text formula");
        assert_eq!(amt("00042"), None);
        assert_eq!(amt("0"), Some("0".into()));
        assert_eq!(amt("123456789").as_deref(), Some("123456789"));
        assert_eq!(amt("12,34.5"), None);
        assert_eq!(amt("2026-01-05"), None);
        assert_eq!(amt("Page 2"), None);
    }

    #[test]
    fn dates_in_every_printed_form() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd);
        let df = DateOrder::DayFirst;
        assert_eq!(parse_date("2026-01-05", df), d(2026, 1, 5));
        assert_eq!(parse_date("2026/01/05", df), d(2026, 1, 5));
        assert_eq!(parse_date("2026.01.05", df), d(2026, 1, 5));
        assert_eq!(parse_date("20260105", df), d(2026, 1, 5));
        assert_eq!(parse_date("05/01/2026", df), d(2026, 1, 5));
        assert_eq!(
            parse_date("01/05/2026", DateOrder::MonthFirst),
            d(2026, 1, 5)
        );
        assert_eq!(parse_date("05 Jan 2026", df), d(2026, 1, 5));
        assert_eq!(parse_date("5-Jan-26", df), d(2026, 1, 5));
        assert_eq!(parse_date("Jan 5, 2026", df), d(2026, 1, 5));
        assert_eq!(parse_date("2026年1月5日", df), d(2026, 1, 5));
        assert_eq!(parse_date("Page 2 of 3", df), None);
        assert_eq!(
            parse_datetime("2026-01-05 14:32:10", df),
            Some((
                NaiveDate::from_ymd_opt(2026, 1, 5).unwrap_or_default(),
                NaiveTime::from_hms_opt(14, 32, 10)
            ))
        );
        assert_eq!(
            detect_order(["01/05/2026", "01/13/2026"].into_iter(), df),
            DateOrder::MonthFirst
        );
        assert_eq!(
            parse_period("2026年1月1日至2026年1月31日", df),
            Some((
                NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
                NaiveDate::from_ymd_opt(2026, 1, 31).unwrap_or_default()
            ))
        );
        assert!(parse_period("2026-01-01 to 2026-01-31", df).is_some());
    }

    #[test]
    fn yearless_dates_take_the_year_of_the_statement() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap_or_default();
        let mf = DateOrder::MonthFirst;
        assert_eq!(parse_month_day("12/29", mf), Some((12, 29)));
        assert_eq!(parse_month_day("1月5日", DateOrder::DayFirst), Some((1, 5)));
        assert_eq!(
            parse_month_day("29/12", DateOrder::DayFirst),
            Some((12, 29))
        );
        assert_eq!(parse_month_day("13/29", mf), None);
        assert_eq!(parse_month_day("2026-01-05", mf), None);
        let end = heading_month_end("招商银行信用卡对账单（个人消费卡账户 2024年01月）（补）");
        assert_eq!(end, Some(d(2024, 1, 31)));
        assert_eq!(heading_month_end("2023年12月"), Some(d(2023, 12, 31)));
        assert_eq!(heading_month_end("共43笔记录"), None);
        // December rows on a January statement belong to the year before.
        assert_eq!(infer_year(12, 29, d(2024, 1, 31)), Some(d(2023, 12, 29)));
        assert_eq!(infer_year(1, 5, d(2024, 1, 31)), Some(d(2024, 1, 5)));
        assert_eq!(
            detect_order(["12/29", "01/02"].into_iter(), DateOrder::DayFirst),
            mf
        );
    }

    #[test]
    fn a_constant_first_number_is_the_month() {
        let texts = ["05/01/2023", "05/01/2023", "05/02/2023", "05/03/2023"];
        assert_eq!(
            detect_order(texts.into_iter(), DateOrder::DayFirst),
            DateOrder::MonthFirst
        );
        let texts = ["01/05/2023", "02/05/2023", "03/05/2023"];
        assert_eq!(
            detect_order(texts.into_iter(), DateOrder::MonthFirst),
            DateOrder::DayFirst
        );
        assert_eq!(
            detect_order(["05/01/2023"].into_iter(), DateOrder::DayFirst),
            DateOrder::DayFirst,
            "one date proves nothing"
        );
    }

    #[test]
    fn ocr_edge_noise_is_trimmed_but_paired_quotes_stay() {
        assert_eq!(
            strip_edge_noise("”城市公用事业缴费中心"),
            "城市公用事业缴费中心"
        );
        assert_eq!(strip_edge_noise("。跨行转账"), "跨行转账");
        assert_eq!(strip_edge_noise("，信用卡还款"), "信用卡还款");
        assert_eq!(strip_edge_noise("“Best” Ltd"), "“Best” Ltd");
        assert_eq!(strip_edge_noise("Acme Ltd."), "Acme Ltd.");
        assert_eq!(
            parse_time("。 19:07:58"),
            NaiveTime::from_hms_opt(19, 7, 58)
        );
        assert_eq!(
            parse_date("2026-03-02”", DateOrder::DayFirst),
            None,
            "parse_date itself stays strict"
        );
        assert!(parse_datetime("”2026-03-02", DateOrder::DayFirst).is_some());
    }

    #[test]
    fn number_cells_get_the_currency_minor_units() {
        let d = |s: &str| Decimal::from_str(s).unwrap_or_default().to_string();
        let w = |s: &str, c: Option<&str>| {
            with_minor_units(Decimal::from_str(s).unwrap_or_default(), c).to_string()
        };
        assert_eq!(w("21315.2", Some("USD")), d("21315.20"));
        assert_eq!(w("-240", None), "-240.00");
        assert_eq!(w("1.005", Some("GBP")), "1.005", "never rounds");
        assert_eq!(w("1500", Some("JPY")), "1500");
        assert_eq!(w("12.5", Some("KWD")), "12.500");
    }

    #[test]
    fn a_period_survives_an_ocr_misread_separator() {
        let df = DateOrder::DayFirst;
        let p = parse_period("2026-03-01 3 2026-03-31", df);
        assert_eq!(
            p.map(|(a, b)| (a.to_string(), b.to_string())),
            Some(("2026-03-01".into(), "2026-03-31".into()))
        );
        assert!(parse_period("01 Mar 2026 _ 31 Mar 2026", df).is_some());
        assert_eq!(parse_period("2026-03-31 3 2026-03-01", df), None);
        assert_eq!(
            parse_period("20260401-20260430", df).map(|(a, b)| (a.to_string(), b.to_string())),
            Some(("2026-04-01".into(), "2026-04-30".into()))
        );
        assert_eq!(parse_period("2026-03-01", df), None);
    }

    #[test]
    fn currencies() {
        assert_eq!(currency_code("人民币").as_deref(), Some("CNY"));
        assert_eq!(currency_code("港币").as_deref(), Some("HKD"));
        assert_eq!(currency_code("usd").as_deref(), Some("USD"));
        assert_eq!(currency_code("Total"), None);
        assert_eq!(currency_code("人 民 币").as_deref(), Some("CNY"));
    }
}
