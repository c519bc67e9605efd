//! The calendar file: YAML text → a checked [`Calendar`]. Parsing is strict (unknown keys,
//! impossible dates, a day listed both as a holiday and as a working day, dates outside the
//! declared years are all errors) because a wrong bank calendar silently moves payments; every
//! error names the file, the line and the value. It never reads anything but the given text.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::calendar::Calendar;

/// Why a calendar could not be read. The daemon reports it as `DK-E0207` (CalendarInvalid).
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// The file could not be read (missing, permissions, not UTF-8).
    #[error("{origin}: cannot read the calendar file: {source}")]
    Read {
        /// The file as given.
        origin: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not a valid calendar; `message` names the offending value.
    #[error("{origin}:{line}: {message}")]
    Invalid {
        /// The file (or other origin) as given to [`Calendar::parse`].
        origin: String,
        /// 1-based line of the offending value.
        line: usize,
        /// What is wrong and, where it helps, what to do.
        message: String,
    },
    /// The text is not a valid calendar and no line can be named (e.g. an empty file).
    #[error("{origin}: {message}")]
    InvalidFile {
        /// The file (or other origin) as given to [`Calendar::parse`].
        origin: String,
        /// What is wrong.
        message: String,
    },
}

impl CalendarError {
    /// The file (or other origin) the error is about.
    pub fn origin(&self) -> &str {
        match self {
            CalendarError::Read { origin, .. }
            | CalendarError::Invalid { origin, .. }
            | CalendarError::InvalidFile { origin, .. } => origin,
        }
    }

    /// The 1-based line of the offending value, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            CalendarError::Invalid { line, .. } => Some(*line),
            _ => None,
        }
    }

    fn at(origin: &str, line: Option<usize>, message: String) -> CalendarError {
        match line {
            Some(line) => CalendarError::Invalid {
                origin: origin.to_owned(),
                line,
                message,
            },
            None => CalendarError::InvalidFile {
                origin: origin.to_owned(),
                message,
            },
        }
    }
}

/// The file as written; checked into a [`Calendar`] by [`parse`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default = "default_weekend")]
    weekend: Vec<WeekdayName>,
    years: Vec<i32>,
    #[serde(default)]
    holidays: Vec<Entry>,
    #[serde(default)]
    working_days: Vec<Entry>,
    #[serde(default)]
    cutoff: Option<TimeOfDay>,
    #[serde(default)]
    cutoffs: Cutoffs,
}

fn default_weekend() -> Vec<WeekdayName> {
    vec![WeekdayName(Weekday::Sat), WeekdayName(Weekday::Sun)]
}

/// `Mon` … `Sun` (or the full English name), any case.
struct WeekdayName(Weekday);

impl<'de> Deserialize<'de> for WeekdayName {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_str(Parse(parse_weekday, "a weekday: Mon … Sun"))
    }
}

fn parse_weekday(text: &str) -> Result<WeekdayName, String> {
    let day = match text.trim().to_ascii_lowercase().as_str() {
        "mon" | "monday" => Weekday::Mon,
        "tue" | "tuesday" => Weekday::Tue,
        "wed" | "wednesday" => Weekday::Wed,
        "thu" | "thursday" => Weekday::Thu,
        "fri" | "friday" => Weekday::Fri,
        "sat" | "saturday" => Weekday::Sat,
        "sun" | "sunday" => Weekday::Sun,
        _ => {
            return Err(format!(
                "{text} is not a weekday (use Mon, Tue, Wed, Thu, Fri, Sat, Sun)"
            ));
        }
    };
    Ok(WeekdayName(day))
}

/// Parses a scalar with `.0`. The error is raised while serde_yaml_ng is on the scalar, so its
/// location is the scalar's own line (an error raised after `String::deserialize` returns would
/// carry the enclosing list's line instead).
struct Parse<T>(fn(&str) -> Result<T, String>, &'static str);

impl<'de, T> Visitor<'de> for Parse<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.1)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.0)(v).map_err(E::custom)
    }
}

/// `"16:00"` or `"16:00:00"`.
struct TimeOfDay(NaiveTime);

impl<'de> Deserialize<'de> for TimeOfDay {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_str(Parse(
            |t| parse_time(t).map(TimeOfDay),
            "a time of day, \"16:00\"",
        ))
    }
}

fn parse_time(text: &str) -> Result<NaiveTime, String> {
    let t = text.trim();
    NaiveTime::parse_from_str(t, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M:%S"))
        .map_err(|_| format!("{text} is not a time of day (write \"16:00\" or \"16:00:00\")"))
}

/// One date or an inclusive range `first..last`, as written.
struct Span {
    raw: String,
    first: NaiveDate,
    last: NaiveDate,
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_str(Parse(
            parse_span,
            "a date (YYYY-MM-DD) or a range (YYYY-MM-DD..YYYY-MM-DD)",
        ))
    }
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let t = text.trim();
    let shaped =
        t.len() == 10 && t.as_bytes().get(4) == Some(&b'-') && t.as_bytes().get(7) == Some(&b'-');
    match NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        Ok(d) if shaped => Ok(d),
        _ => Err(format!("{t} is not a date (write YYYY-MM-DD)")),
    }
}

fn parse_span(text: &str) -> Result<Span, String> {
    let raw = text.trim().to_owned();
    let (first, last) = match raw.split_once("..") {
        Some((a, b)) => (parse_date(a)?, parse_date(b)?),
        None => {
            let d = parse_date(&raw)?;
            (d, d)
        }
    };
    if last < first {
        return Err(format!("{raw}: the range ends before it starts"));
    }
    if (last - first).num_days() > 366 {
        return Err(format!("{raw}: the range spans more than a year"));
    }
    Ok(Span { raw, first, last })
}

/// A list item of `holidays:` / `working_days:`: a date or range, optionally with a name.
struct Entry {
    span: Span,
    name: Option<String>,
}

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_any(EntryVisitor)
    }
}

struct EntryVisitor;

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = Entry;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a date (2026-10-01), a range (2026-10-01..2026-10-07) or { date: …, name: … }")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Entry, E> {
        let span = parse_span(v).map_err(E::custom)?;
        Ok(Entry { span, name: None })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entry, A::Error> {
        let mut span = None;
        let mut name = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "date" => span = Some(map.next_value::<Span>()?),
                "name" => name = Some(map.next_value::<String>()?),
                other => {
                    return Err(de::Error::custom(format!(
                        "unknown key `{other}` in a date entry (expected `date` and optionally `name`)"
                    )));
                }
            }
        }
        match span {
            Some(span) => Ok(Entry { span, name }),
            None => Err(de::Error::custom("a date entry needs `date:`")),
        }
    }
}

/// `cutoffs:` — a map from single dates to times, in file order.
#[derive(Default)]
struct Cutoffs(Vec<(Span, NaiveTime)>);

impl<'de> Deserialize<'de> for Cutoffs {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_map(CutoffsVisitor)
    }
}

struct CutoffsVisitor;

impl<'de> Visitor<'de> for CutoffsVisitor {
    type Value = Cutoffs;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of dates to times, e.g. 2026-09-30: \"12:00\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Cutoffs, A::Error> {
        let mut out = Vec::new();
        while let Some(span) = map.next_key::<Span>()? {
            if span.first != span.last {
                return Err(de::Error::custom(format!(
                    "{}: cut-off overrides take single dates, one per line",
                    span.raw
                )));
            }
            let time = map.next_value::<TimeOfDay>()?;
            out.push((span, time.0));
        }
        Ok(Cutoffs(out))
    }
}

/// Parses and checks a calendar; see the crate docs for the format.
pub(crate) fn parse(yaml: &str, origin: &str) -> Result<Calendar, CalendarError> {
    let raw: RawCalendar = serde_yaml_ng::from_str(yaml).map_err(|e| yaml_error(origin, &e))?;
    let lines = Lines::new(yaml);
    let fail = |line: Option<usize>, message: String| CalendarError::at(origin, line, message);

    let name = raw.name.trim().to_owned();
    if name.is_empty() {
        return Err(fail(lines.key("name"), "`name:` is empty".to_owned()));
    }

    let mut weekend = [false; 7];
    for w in &raw.weekend {
        weekend[w.0.num_days_from_monday() as usize] = true;
    }
    if weekend.iter().all(|w| *w) {
        return Err(fail(
            lines.key("weekend"),
            "`weekend:` lists all seven days; at least one weekday must be a working day"
                .to_owned(),
        ));
    }

    let mut years = raw.years.clone();
    years.sort_unstable();
    years.dedup();
    if years.is_empty() {
        return Err(fail(
            lines.key("years"),
            "`years:` is empty; list the years whose holidays this file holds".to_owned(),
        ));
    }
    if let Some(y) = years.iter().find(|y| !(1970..=2100).contains(*y)) {
        return Err(fail(
            lines.key("years"),
            format!("{y} is not a supported year (1970–2100)"),
        ));
    }
    let years_text = years
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let outside = |d: NaiveDate, line: Option<usize>| {
        fail(
            line,
            format!(
                "{d} is outside the calendar's years [{years_text}]; add {} to `years:`",
                d.year()
            ),
        )
    };

    // Holidays: date → (name, line of its entry).
    let holiday_lines = lines.entries("holidays", raw.holidays.iter().map(|e| e.span.raw.as_str()));
    let mut holidays: BTreeMap<NaiveDate, (Option<String>, Option<usize>)> = BTreeMap::new();
    for (entry, line) in raw.holidays.iter().zip(holiday_lines) {
        for d in entry
            .span
            .first
            .iter_days()
            .take_while(|d| *d <= entry.span.last)
        {
            if years.binary_search(&d.year()).is_err() {
                return Err(outside(d, line));
            }
            if let Some((_, first_line)) = holidays.get(&d) {
                return Err(fail(
                    line,
                    format!("{d} is listed twice as a holiday{}", also(*first_line)),
                ));
            }
            holidays.insert(d, (entry.name.clone(), line));
        }
    }

    let working_lines = lines.entries(
        "working_days",
        raw.working_days.iter().map(|e| e.span.raw.as_str()),
    );
    let mut working_days: BTreeMap<NaiveDate, (Option<String>, Option<usize>)> = BTreeMap::new();
    for (entry, line) in raw.working_days.iter().zip(working_lines) {
        for d in entry
            .span
            .first
            .iter_days()
            .take_while(|d| *d <= entry.span.last)
        {
            if years.binary_search(&d.year()).is_err() {
                return Err(outside(d, line));
            }
            if let Some((_, holiday_line)) = holidays.get(&d) {
                return Err(fail(
                    line,
                    format!(
                        "{d} is listed both as a holiday and as a working day{}",
                        holiday_line
                            .map(|l| format!(" (holiday on line {l})"))
                            .unwrap_or_default()
                    ),
                ));
            }
            if let Some((_, first_line)) = working_days.get(&d) {
                return Err(fail(
                    line,
                    format!("{d} is listed twice as a working day{}", also(*first_line)),
                ));
            }
            if !weekend[d.weekday().num_days_from_monday() as usize] {
                return Err(fail(
                    line,
                    format!(
                        "{d} is a {:?}, already a working day; `working_days:` lists weekend days that are worked (调休)",
                        d.weekday()
                    ),
                ));
            }
            working_days.insert(d, (entry.name.clone(), line));
        }
    }

    let cutoff_lines = lines.entries("cutoffs", raw.cutoffs.0.iter().map(|(s, _)| s.raw.as_str()));
    let mut cutoffs = BTreeMap::new();
    for ((span, time), line) in raw.cutoffs.0.iter().zip(cutoff_lines) {
        let d = span.first;
        if years.binary_search(&d.year()).is_err() {
            return Err(outside(d, line));
        }
        let working = working_days.contains_key(&d)
            || (!weekend[d.weekday().num_days_from_monday() as usize]
                && !holidays.contains_key(&d));
        if !working {
            return Err(fail(
                line,
                format!("{d} has a cut-off but is not a working day"),
            ));
        }
        if cutoffs.insert(d, *time).is_some() {
            return Err(fail(line, format!("{d} has two cut-off times")));
        }
    }

    let strip = |m: BTreeMap<NaiveDate, (Option<String>, Option<usize>)>| {
        m.into_iter().map(|(d, (n, _))| (d, n)).collect()
    };
    Ok(Calendar {
        name,
        description: raw.description,
        source: raw.source,
        weekend,
        years,
        holidays: strip(holidays),
        working_days: strip(working_days),
        cutoff: raw.cutoff.map(|t| t.0),
        cutoffs,
    })
}

fn also(line: Option<usize>) -> String {
    line.map(|l| format!(" (first on line {l})"))
        .unwrap_or_default()
}

/// Turns a serde_yaml_ng error into "origin:line: message" (its own " at line L column C"
/// suffix removed, since the line is already in front).
fn yaml_error(origin: &str, e: &serde_yaml_ng::Error) -> CalendarError {
    let text = e.to_string();
    match e.location() {
        Some(loc) => {
            let suffix = format!(" at line {} column {}", loc.line(), loc.column());
            let message = text.strip_suffix(&suffix).unwrap_or(&text).to_owned();
            CalendarError::at(origin, Some(loc.line()), message)
        }
        None => CalendarError::at(origin, None, text),
    }
}

/// Finds the lines of values that parsed fine but turned out wrong together (a date listed
/// twice): serde_yaml_ng reports positions only for its own errors, so the entries are found
/// again in the text, in order, below their top-level key.
struct Lines<'a> {
    /// Each line with any `# comment` removed.
    lines: Vec<&'a str>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Lines<'a> {
        let lines = text.lines().map(strip_comment).collect();
        Lines { lines }
    }

    /// The 1-based line of the top-level `key:`.
    fn key(&self, key: &str) -> Option<usize> {
        self.key_index(key).map(|i| i + 1)
    }

    fn key_index(&self, key: &str) -> Option<usize> {
        self.lines.iter().position(|l| {
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
    }

    /// The 1-based line of each entry (given by its text, in file order) under `key:`.
    fn entries<'r>(&self, key: &str, raws: impl Iterator<Item = &'r str>) -> Vec<Option<usize>> {
        let Some(mut at) = self.key_index(key) else {
            return raws.map(|_| None).collect();
        };
        raws.map(|raw| {
            let found = (at..self.lines.len()).find(|i| self.lines[*i].contains(raw));
            if let Some(i) = found {
                at = i;
            }
            found.map(|i| i + 1)
        })
        .collect()
    }
}

fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}
