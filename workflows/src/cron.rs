//! Shape check of schedule expressions (cron with seconds) and time zone names.
//!
//! Only the shape is checked here (field count, characters, ranges, names) so the workflow
//! crate stays free of a scheduler; the daemon parses the expression with the `cron` crate.
//! This module must never compute fire times.

use std::str::FromStr;

/// What is wrong with a cron expression or zone: message and hint.
pub type Complaint = (String, String);

const FIELDS: [(&str, u32, u32); 7] = [
    ("seconds", 0, 59),
    ("minutes", 0, 59),
    ("hours", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 1, 7),
    ("year", 1970, 2099),
];

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// Check a cron expression: 6 or 7 whitespace-separated fields, seconds first, or 5 classic
/// fields (read as second 0); days of the week by name.
pub fn check_cron(expr: &str) -> Result<(), Complaint> {
    let mut fields: Vec<&str> = expr.split_whitespace().collect();
    if fields.len() == 5 {
        // Classic cron without seconds: read as second 0.
        fields.insert(0, "0");
    }
    if fields.len() != 6 && fields.len() != 7 {
        return Err((
            format!(
                "cron expression `{expr}` has {} fields; it needs 6 or 7 (seconds first) or 5 (classic, at second 0)",
                fields.len()
            ),
            "write `sec min hour day-of-month month day-of-week [year]`, e.g. `0 30 9 * * Mon-Fri`, or `min hour day-of-month month day-of-week`, e.g. `30 9 * * Mon-Fri`"
                .to_owned(),
        ));
    }
    for (i, field) in fields.iter().enumerate() {
        check_field(i, field)
            .map_err(|(m, h)| (format!("cron {} field `{field}`: {m}", FIELDS[i].0), h))?;
    }
    Ok(())
}

fn check_field(index: usize, field: &str) -> Result<(), Complaint> {
    let (_, min, max) = FIELDS[index];
    for item in field.split(',') {
        let (base, step) = match item.split_once('/') {
            Some((b, s)) => (b, Some(s)),
            None => (item, None),
        };
        if let Some(step) = step {
            match step.parse::<u32>() {
                Ok(n) if n >= 1 => {}
                _ => {
                    return Err((
                        format!("step `/{step}` must be a whole number ≥ 1"),
                        "e.g. `*/15`".to_owned(),
                    ));
                }
            }
        }
        match base {
            "*" => continue,
            "?" if index == 3 || index == 5 => continue,
            "" => {
                return Err((
                    "empty list item".to_owned(),
                    "remove the extra `,`".to_owned(),
                ));
            }
            _ => {}
        }
        let (lo, hi) = match base.split_once('-') {
            Some((lo, hi)) => (lo, Some(hi)),
            None => (base, None),
        };
        let lo_v = value(index, lo, min, max)?;
        if let Some(hi) = hi {
            let hi_v = value(index, hi, min, max)?;
            if hi_v < lo_v {
                return Err((
                    format!("range `{base}` runs backwards"),
                    "write the smaller value first".to_owned(),
                ));
            }
        }
    }
    Ok(())
}

fn value(index: usize, text: &str, min: u32, max: u32) -> Result<u32, Complaint> {
    let lower = text.to_ascii_lowercase();
    if index == 4
        && let Some(i) = MONTHS.iter().position(|m| *m == lower)
    {
        return Ok(i as u32 + 1);
    }
    if index == 5 {
        if let Some(i) = DAYS.iter().position(|d| *d == lower) {
            return Ok(i as u32 + 1);
        }
        if text.parse::<u32>().is_ok() {
            return Err((
                format!("day of week `{text}` is a number"),
                "write days by name (Sun, Mon, Tue, Wed, Thu, Fri, Sat): in this cron dialect 1 is Sunday, which is easy to get wrong"
                    .to_owned(),
            ));
        }
    }
    match text.parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        Ok(n) => Err((
            format!("{n} is out of range {min}–{max}"),
            format!("use a value from {min} to {max}"),
        )),
        Err(_) => {
            let hint = match index {
                4 => "months are 1–12 or Jan…Dec".to_owned(),
                5 => "days of the week are Sun, Mon, Tue, Wed, Thu, Fri, Sat".to_owned(),
                _ if text.eq_ignore_ascii_case("l") || text.ends_with(['L', 'l']) => {
                    "`L` (last) is not supported".to_owned()
                }
                _ => "use numbers, `*`, ranges `a-b`, lists `a,b` and steps `*/n`".to_owned(),
            };
            Err((format!("`{text}` is not a valid value"), hint))
        }
    }
}

/// Check a time zone name against the IANA tz database (the one the daemon uses).
pub fn check_timezone(name: &str) -> Result<(), Complaint> {
    if chrono_tz::Tz::from_str(name).is_ok() {
        return Ok(());
    }
    let close = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| tz.name())
        .find(|tz| tz.eq_ignore_ascii_case(name))
        .or_else(|| crate::tree::suggest(name, chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())));
    let hint = match close {
        Some(tz) => format!("did you mean `{tz}`?"),
        None => "use an IANA name such as `Asia/Shanghai`, `Europe/London` or `UTC`".to_owned(),
    };
    Err((format!("unknown time zone `{name}`"), hint))
}
