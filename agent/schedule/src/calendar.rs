//! A bank's working-day calendar: which dates are working days (weekdays minus public holidays
//! plus the weekend days that are worked, 调休), the cut-off time of each working day, and the
//! years the calendar was written for. Built once from YAML (format in the crate docs) and
//! read-only afterwards; it never guesses holidays for years it does not cover — it only says so
//! through [`Calendar::covers`].

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};

pub use crate::calendar_file::CalendarError;

/// A working-day calendar.
///
/// A date is a working day when it is not a weekend day and not a holiday, or when it is listed
/// as a working day (a weekend day that is worked, 调休). Build one with [`Calendar::parse`] /
/// [`Calendar::load`] from the YAML format documented in the crate docs, or use
/// [`Calendar::weekdays_only`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) source: Option<String>,
    /// Indexed by `Weekday::num_days_from_monday()`.
    pub(crate) weekend: [bool; 7],
    /// Sorted, without duplicates; empty means "every year" (only for [`Calendar::weekdays_only`]).
    pub(crate) years: Vec<i32>,
    /// Non-working dates with their optional name (e.g. 国庆节).
    pub(crate) holidays: BTreeMap<NaiveDate, Option<String>>,
    /// Weekend dates that are working days, with their optional name.
    pub(crate) working_days: BTreeMap<NaiveDate, Option<String>>,
    pub(crate) cutoff: Option<NaiveTime>,
    pub(crate) cutoffs: BTreeMap<NaiveDate, NaiveTime>,
}

impl Calendar {
    /// Parses a calendar from YAML text. `origin` names the text in error messages (usually the
    /// file name, e.g. `calendars/cn-mainland.yaml`). Every error names `origin`, the line and the
    /// offending value.
    pub fn parse(yaml: &str, origin: &str) -> Result<Calendar, CalendarError> {
        crate::calendar_file::parse(yaml, origin)
    }

    /// Reads and parses a calendar file. The path as given is the `origin` in error messages.
    pub fn load(path: &Path) -> Result<Calendar, CalendarError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| CalendarError::Read {
            origin: origin.clone(),
            source,
        })?;
        Calendar::parse(&text, &origin)
    }

    /// Monday to Friday are working days, Saturday and Sunday are not, no holidays, no cut-off,
    /// and every date is covered. The calendar used when a schedule names none.
    pub fn weekdays_only() -> Calendar {
        Calendar {
            name: "weekdays".to_owned(),
            description: Some("Monday to Friday, no holidays".to_owned()),
            source: None,
            weekend: [false, false, false, false, false, true, true],
            years: Vec::new(),
            holidays: BTreeMap::new(),
            working_days: BTreeMap::new(),
            cutoff: None,
            cutoffs: BTreeMap::new(),
        }
    }

    /// The calendar's name (`name:` in the file).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The free-text description, if the file has one.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Where the dates were transcribed from (`source:` in the file), if given.
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    /// The years the calendar declares it covers, ascending. Empty for
    /// [`Calendar::weekdays_only`], which covers every year.
    pub fn years(&self) -> &[i32] {
        &self.years
    }

    /// True when `d` is a weekend day by the calendar's `weekend:` list (holidays and 调休
    /// working days not considered).
    pub fn is_weekend(&self, d: NaiveDate) -> bool {
        self.weekend[d.weekday().num_days_from_monday() as usize]
    }

    /// The weekend days, Monday first.
    pub fn weekend(&self) -> Vec<Weekday> {
        let all = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ];
        all.into_iter()
            .filter(|w| self.weekend[w.num_days_from_monday() as usize])
            .collect()
    }

    /// True when `d` is a working day: a listed working day (调休), or neither a weekend day nor
    /// a holiday. Dates outside [`Calendar::covers`] follow the weekend rule only.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.working_days.contains_key(&d) {
            return true;
        }
        !self.is_weekend(d) && !self.holidays.contains_key(&d)
    }

    /// True when `d` is listed as a holiday.
    pub fn is_holiday(&self, d: NaiveDate) -> bool {
        self.holidays.contains_key(&d)
    }

    /// The name given to the holiday or 调休 working day on `d`, if any (e.g. `国庆节`).
    pub fn day_name(&self, d: NaiveDate) -> Option<&str> {
        self.holidays
            .get(&d)
            .or_else(|| self.working_days.get(&d))
            .and_then(|n| n.as_deref())
    }

    /// The first working day **strictly after** `d`. (Saturates at the last representable date.)
    pub fn next_working_day(&self, d: NaiveDate) -> NaiveDate {
        match d.succ_opt() {
            Some(next) => self.next_working_day_on_or_after(next),
            None => d,
        }
    }

    /// `d` itself when it is a working day, else the first working day after it.
    pub fn next_working_day_on_or_after(&self, d: NaiveDate) -> NaiveDate {
        // Terminates: the weekend has at most six days (checked when parsing) and the holiday
        // list is finite, so a working day always follows.
        let mut day = d;
        while !self.is_working_day(day) {
            match day.succ_opt() {
                Some(next) => day = next,
                None => return day,
            }
        }
        day
    }

    /// The last working day **strictly before** `d`. (Saturates at the first representable date.)
    pub fn previous_working_day(&self, d: NaiveDate) -> NaiveDate {
        let mut day = d;
        loop {
            match day.pred_opt() {
                Some(prev) => day = prev,
                None => return day,
            }
            if self.is_working_day(day) {
                return day;
            }
        }
    }

    /// The first working day of `month` (1–12) of `year`; `None` for an invalid month or a month
    /// without working days.
    pub fn first_working_day(&self, year: i32, month: u32) -> Option<NaiveDate> {
        let first = NaiveDate::from_ymd_opt(year, month, 1)?;
        first
            .iter_days()
            .take_while(|d| d.month() == month)
            .find(|d| self.is_working_day(*d))
    }

    /// The last working day of `month` (1–12) of `year`; `None` for an invalid month or a month
    /// without working days.
    pub fn last_working_day(&self, year: i32, month: u32) -> Option<NaiveDate> {
        let first = NaiveDate::from_ymd_opt(year, month, 1)?;
        let last = match month {
            12 => NaiveDate::from_ymd_opt(year + 1, 1, 1)?,
            _ => NaiveDate::from_ymd_opt(year, month + 1, 1)?,
        }
        .pred_opt()?;
        last.iter_days()
            .rev()
            .take_while(|d| *d >= first)
            .find(|d| self.is_working_day(*d))
    }

    /// The cut-off time of `d`: its entry in `cutoffs:`, else the calendar's default `cutoff:`,
    /// else `None` (no cut-off). The default applies to every date, working or not; callers that
    /// care check [`Calendar::is_working_day`] first.
    pub fn cutoff(&self, d: NaiveDate) -> Option<NaiveTime> {
        self.cutoffs.get(&d).copied().or(self.cutoff)
    }

    /// True when `d` falls in one of the calendar's declared `years:` (always true for
    /// [`Calendar::weekdays_only`]). Outside them the calendar knows no holidays, so a daemon
    /// should warn that the calendar needs its next year.
    pub fn covers(&self, d: NaiveDate) -> bool {
        self.years.is_empty() || self.years.binary_search(&d.year()).is_ok()
    }

    /// Every listed holiday with its name, ascending.
    pub fn holidays(&self) -> impl Iterator<Item = (NaiveDate, Option<&str>)> + '_ {
        self.holidays.iter().map(|(d, n)| (*d, n.as_deref()))
    }

    /// Every listed 调休 working day with its name, ascending.
    pub fn working_days(&self) -> impl Iterator<Item = (NaiveDate, Option<&str>)> + '_ {
        self.working_days.iter().map(|(d, n)| (*d, n.as_deref()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn weekdays_only_calendar() {
        let c = Calendar::weekdays_only();
        assert!(c.is_working_day(d(2026, 9, 18))); // Friday
        assert!(!c.is_working_day(d(2026, 9, 19))); // Saturday
        assert_eq!(c.next_working_day(d(2026, 9, 18)), d(2026, 9, 21));
        assert_eq!(
            c.next_working_day_on_or_after(d(2026, 9, 18)),
            d(2026, 9, 18)
        );
        assert_eq!(c.previous_working_day(d(2026, 9, 21)), d(2026, 9, 18));
        assert_eq!(c.first_working_day(2026, 8), Some(d(2026, 8, 3)));
        assert_eq!(c.last_working_day(2026, 5), Some(d(2026, 5, 29)));
        assert_eq!(c.last_working_day(2026, 12), Some(d(2026, 12, 31)));
        assert_eq!(c.first_working_day(2026, 13), None);
        assert_eq!(c.cutoff(d(2026, 9, 18)), None);
        assert!(c.covers(d(1999, 1, 1)));
        assert_eq!(c.weekend(), vec![Weekday::Sat, Weekday::Sun]);
    }
}
