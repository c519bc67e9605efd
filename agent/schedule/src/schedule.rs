//! One schedule: a cron expression read in a time zone, filtered and shifted by a working-day
//! calendar, optionally limited to the day's cut-off, with a misfire policy for ticks missed
//! while the daemon was down or busy. A schedule is a fixed, ordered set of instants; every
//! method here is a pure function of that set and its arguments — no clock, no I/O — so the
//! daemon can record each tick before running it and never fire one twice.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike, Utc};
use chrono_tz::Tz;

use crate::calendar::Calendar;
use crate::local::to_instant;

/// Which days a tick may fall on (after any [`Shift`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Days {
    /// Every day the cron expression names.
    #[default]
    Any,
    /// Working days of the calendar only.
    Working,
    /// Only the first working day of each month.
    FirstWorking,
    /// Only the last working day of each month.
    LastWorking,
}

/// What happens to a cron tick that falls on a non-working day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shift {
    /// Nothing: it stays where it is (and [`Days::Working`] then drops it).
    #[default]
    None,
    /// It moves to the next working day at the same local time. Ticks that land on the same
    /// instant (e.g. Saturday's and Sunday's 09:30 both moved to Monday 09:30, which has its own
    /// 09:30) fire once.
    NextWorking,
}

/// What to do with ticks missed while the daemon was down or busy (see [`Schedule::due`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Misfire {
    /// Fire the latest missed tick only if it is at most `grace` late; skip all others.
    Skip,
    /// Fire the latest missed tick (however late) once; skip the others.
    #[default]
    RunOnce,
    /// Fire the latest `max` missed ticks in order; skip older ones. `max` is at least 1.
    CatchUp {
        /// How many missed ticks to run at most.
        max: u32,
    },
}

/// Everything that defines a schedule. Build with [`ScheduleSpec::new`] and set fields.
#[derive(Debug, Clone)]
pub struct ScheduleSpec {
    /// Cron expression with a seconds field: `sec min hour day-of-month month day-of-week
    /// [year]`, e.g. `0 30 9 * * *`; or `@daily`, `@hourly`, …. Day-of-week numbers run
    /// 1 = Sunday … 7 = Saturday; prefer names (`MON-FRI`). Day-of-month and day-of-week must
    /// both match (AND, unlike classic cron's OR).
    pub cron: String,
    /// The zone in which the cron fields are read, e.g. `Asia/Shanghai`.
    pub timezone: Tz,
    /// The working-day calendar; `None` means [`Calendar::weekdays_only`].
    pub calendar: Option<Arc<Calendar>>,
    /// Which days a tick may fall on.
    pub days: Days,
    /// What happens to a tick on a non-working day.
    pub shift: Shift,
    /// When true, a tick fires only if its local time is at or before the calendar's cut-off for
    /// that date (dates without a cut-off: all fire).
    pub before_cutoff: bool,
    /// What to do with missed ticks.
    pub misfire: Misfire,
    /// How late a tick may be and still fire under [`Misfire::Skip`]. Default 60 s.
    pub grace: Duration,
}

impl ScheduleSpec {
    /// A spec with the defaults: no calendar (weekdays only), [`Days::Any`], [`Shift::None`],
    /// no cut-off limit, [`Misfire::RunOnce`], 60 s grace.
    pub fn new(cron: impl Into<String>, timezone: Tz) -> ScheduleSpec {
        ScheduleSpec {
            cron: cron.into(),
            timezone,
            calendar: None,
            days: Days::Any,
            shift: Shift::None,
            before_cutoff: false,
            misfire: Misfire::RunOnce,
            grace: Duration::from_secs(60),
        }
    }
}

/// Why a [`ScheduleSpec`] was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The expression does not have 6 or 7 fields.
    #[error(
        "cron `{expr}` has {found} fields; write `sec min hour day month weekday [year]` (e.g. `0 30 9 * * *`) or classic `min hour day month weekday` (e.g. `30 9 * * *`)"
    )]
    FieldCount {
        /// The expression as given.
        expr: String,
        /// How many whitespace-separated fields it has.
        found: usize,
    },
    /// The cron crate could not parse the expression.
    #[error("cron `{expr}` is invalid: {message}")]
    Cron {
        /// The expression as given.
        expr: String,
        /// The parser's message.
        message: String,
    },
    /// `CatchUp { max: 0 }` would skip everything; use `Misfire::Skip` for that.
    #[error("misfire catch-up needs max of at least 1 (use skip to run no missed ticks)")]
    CatchUpZero,
    /// The grace period does not fit a time difference.
    #[error("grace period {0:?} is too long")]
    Grace(Duration),
}

/// What to do now, as decided by [`Schedule::due`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Due {
    /// Scheduled instants to run now, oldest first.
    pub fire: Vec<DateTime<Utc>>,
    /// Missed instants deliberately not run, oldest first; the daemon records them so that
    /// nothing is skipped silently.
    pub skipped: Vec<DateTime<Utc>>,
}

impl Due {
    /// True when there is nothing to fire or record.
    pub fn is_empty(&self) -> bool {
        self.fire.is_empty() && self.skipped.is_empty()
    }

    /// The latest instant in `fire` or `skipped`: what to store as the schedule's `last`.
    pub fn latest(&self) -> Option<DateTime<Utc>> {
        self.fire.iter().chain(&self.skipped).max().copied()
    }
}

/// A checked schedule. Cheap to clone (shared inside).
#[derive(Debug, Clone)]
pub struct Schedule {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    spec: ScheduleSpec,
    cron: cron::Schedule,
    calendar: Arc<Calendar>,
    grace: TimeDelta,
}

/// The shared default calendar, so schedules without one do not each hold a copy.
fn weekdays() -> Arc<Calendar> {
    static WEEKDAYS: OnceLock<Arc<Calendar>> = OnceLock::new();
    WEEKDAYS
        .get_or_init(|| Arc::new(Calendar::weekdays_only()))
        .clone()
}

/// The last date searched; the cron crate knows no year after 2100.
const LAST_YEAR: i32 = 2100;
/// The longest run of non-working days a shift looks back over.
const MAX_RUN: usize = 400;

impl Schedule {
    /// Checks the spec: a cron expression of 6 or 7 fields (seconds first), 5 fields (classic
    /// cron, read as second 0) or an `@` shorthand; `CatchUp` max at least 1; a representable
    /// grace.
    pub fn new(spec: ScheduleSpec) -> Result<Schedule, ScheduleError> {
        let mut expr = spec.cron.trim().to_owned();
        if !expr.starts_with('@') {
            let found = expr.split_whitespace().count();
            if found == 5 {
                // Classic five-field cron (`min hour day month weekday`): at second 0.
                expr = format!("0 {expr}");
            } else if found != 6 && found != 7 {
                return Err(ScheduleError::FieldCount {
                    expr: spec.cron.clone(),
                    found,
                });
            }
        }
        let cron = cron::Schedule::from_str(&expr).map_err(|e| ScheduleError::Cron {
            expr: spec.cron.clone(),
            message: e.to_string(),
        })?;
        if spec.misfire == (Misfire::CatchUp { max: 0 }) {
            return Err(ScheduleError::CatchUpZero);
        }
        let grace =
            TimeDelta::from_std(spec.grace).map_err(|_| ScheduleError::Grace(spec.grace))?;
        let calendar = spec.calendar.clone().unwrap_or_else(weekdays);
        Ok(Schedule {
            inner: Arc::new(Inner {
                spec,
                cron,
                calendar,
                grace,
            }),
        })
    }

    /// The spec the schedule was built from.
    pub fn spec(&self) -> &ScheduleSpec {
        &self.inner.spec
    }

    /// The calendar in use (the spec's, or [`Calendar::weekdays_only`]).
    pub fn calendar(&self) -> &Calendar {
        &self.inner.calendar
    }

    /// The first tick strictly after `after`; `None` when the schedule never fires again (or
    /// not before 2101).
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let tz = self.inner.spec.timezone;
        let local = after.with_timezone(&tz).naive_local();
        let local = local.with_nanosecond(0).unwrap_or(local);
        // Every local candidate at or before `local` maps to an instant at or before `after`
        // (the mapping is monotone and takes the earliest reading), so the search starts just
        // after `local` and only checks instants for the fold, where later local times can
        // still be earlier than `after`.
        let mut day = local.date();
        let mut lower = Some(local.time());
        loop {
            if day.year() > LAST_YEAR {
                return None;
            }
            match self.earliest_on(day, lower) {
                Some(t) => {
                    let at = to_instant(tz, day.and_time(t));
                    if at > after {
                        return Some(at);
                    }
                    lower = Some(t);
                }
                None if self.inner.spec.shift == Shift::NextWorking
                    && !self.inner.calendar.is_working_day(day) =>
                {
                    // This day's ticks (if any) belong to the next working day.
                    day = self.inner.calendar.next_working_day(day);
                    lower = None;
                }
                None => {
                    // No tick left on `day`; the next one is on or after the next date on which
                    // the cron expression has a candidate. (A working day between here and
                    // there gets shifted ticks only from non-working days after `day`, which
                    // have no candidates either.)
                    let end = day.and_hms_opt(23, 59, 59)?;
                    let candidate = self.cron_after(end)?;
                    day = day.succ_opt()?.max(candidate.date());
                    lower = None;
                }
            }
        }
    }

    /// The next `n` ticks strictly after `after`, in order (fewer when the schedule ends).
    pub fn next_n(&self, after: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
        std::iter::successors(self.next_after(after), |t| self.next_after(*t))
            .take(n)
            .collect()
    }

    /// All ticks `t` with `after < t <= until`, in order.
    pub fn between(&self, after: DateTime<Utc>, until: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        let mut at = after;
        while let Some(t) = self.next_after(at) {
            if t > until {
                break;
            }
            out.push(t);
            at = t;
        }
        out
    }

    /// What to do at `now`. `last` is the scheduled instant of the last tick the daemon
    /// recorded (fired or skipped); `None` means the schedule never ran, so nothing is missed
    /// and the first tick is `next_after(now)`.
    ///
    /// Every tick `t` with `last < t <= now` is due; the misfire policy splits them:
    /// [`Misfire::Skip`] fires only the latest, and only if `now - t <= grace`;
    /// [`Misfire::RunOnce`] fires the latest; [`Misfire::CatchUp`] fires the latest `max` in
    /// order. All other due ticks are returned in `skipped`. A daemon that is on time sees one
    /// due tick, a few milliseconds late, and fires it under every policy (with `Skip`, when the
    /// delay is within `grace`).
    ///
    /// The lists are not capped: a month of downtime on a per-second schedule returns
    /// 2.6 million skipped instants.
    pub fn due(&self, last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Due {
        match last {
            None => Due::default(),
            Some(last) => self.due_from(self.next_after(last), now).0,
        }
    }

    /// Like [`Schedule::due`], starting from the first due tick (`next_after(last)`, already
    /// known to the caller); also returns the first tick after `now`.
    pub(crate) fn due_from(
        &self,
        first: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> (Due, Option<DateTime<Utc>>) {
        let mut ticks = Vec::new();
        let mut next = first;
        while let Some(t) = next {
            if t > now {
                break;
            }
            ticks.push(t);
            next = self.next_after(t);
        }
        (self.decide(ticks, now), next)
    }

    /// Whether `tick`, the only due tick at `now`, fires (else it is skipped): the
    /// one-element case of [`Schedule::due`].
    pub(crate) fn fires_alone(&self, tick: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        match self.inner.spec.misfire {
            Misfire::Skip => now - tick <= self.inner.grace,
            Misfire::RunOnce | Misfire::CatchUp { .. } => true,
        }
    }

    fn decide(&self, mut ticks: Vec<DateTime<Utc>>, now: DateTime<Utc>) -> Due {
        let keep = match self.inner.spec.misfire {
            Misfire::Skip => match ticks.last() {
                Some(t) if now - *t <= self.inner.grace => 1,
                _ => 0,
            },
            Misfire::RunOnce => 1,
            Misfire::CatchUp { max } => usize::try_from(max).unwrap_or(usize::MAX),
        };
        let split = ticks.len().saturating_sub(keep);
        let fire = ticks.split_off(split);
        Due {
            fire,
            skipped: ticks,
        }
    }

    /// The first local time on `day` strictly after `lower` (from midnight when `None`) at which
    /// a tick falls, after the shift, the day filter and the cut-off.
    fn earliest_on(&self, day: NaiveDate, lower: Option<NaiveTime>) -> Option<NaiveTime> {
        let spec = &self.inner.spec;
        let cal = &*self.inner.calendar;
        let shifting = spec.shift == Shift::NextWorking;
        if shifting && !cal.is_working_day(day) {
            return None; // its ticks belong to the next working day
        }
        let day_ok = match spec.days {
            Days::Any => true,
            Days::Working => cal.is_working_day(day),
            Days::FirstWorking => cal.first_working_day(day.year(), day.month()) == Some(day),
            Days::LastWorking => cal.last_working_day(day.year(), day.month()) == Some(day),
        };
        if !day_ok {
            return None;
        }
        let mut best = self.first_on(day, lower);
        if shifting {
            // Ticks of the non-working days just before `day` move here.
            let mut source = day;
            for _ in 0..MAX_RUN {
                match source.pred_opt() {
                    Some(prev) if !cal.is_working_day(prev) => source = prev,
                    _ => break,
                }
                if let Some(t) = self.first_on(source, lower) {
                    best = Some(best.map_or(t, |b| b.min(t)));
                }
            }
        }
        let t = best?;
        if spec.before_cutoff
            && let Some(cutoff) = cal.cutoff(day)
            && t > cutoff
        {
            return None; // `t` is the earliest; all later ones are past the cut-off too
        }
        Some(t)
    }

    /// The first time on `date` after `lower` (exclusive; from midnight when `None`) that the
    /// cron expression names, read as wall-clock time.
    fn first_on(&self, date: NaiveDate, lower: Option<NaiveTime>) -> Option<NaiveTime> {
        let from = match lower {
            Some(t) => date.and_time(t),
            None => date.and_hms_opt(0, 0, 0)? - TimeDelta::seconds(1),
        };
        let next = self.cron_after(from)?;
        (next.date() == date).then_some(next.time())
    }

    /// The cron expression's next wall-clock time strictly after `after`. Evaluated in UTC,
    /// which has no gaps or folds, so it is pure calendar arithmetic on local times.
    fn cron_after(&self, after: NaiveDateTime) -> Option<NaiveDateTime> {
        self.inner
            .cron
            .after(&after.and_utc())
            .next()
            .map(|t| t.naive_utc())
    }
}

impl fmt::Display for Days {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Days::Any => "any",
            Days::Working => "working",
            Days::FirstWorking => "first_working",
            Days::LastWorking => "last_working",
        })
    }
}

impl FromStr for Days {
    type Err = String;

    /// `any`, `working`, `first_working`, `last_working`.
    fn from_str(s: &str) -> Result<Days, String> {
        match s {
            "any" => Ok(Days::Any),
            "working" => Ok(Days::Working),
            "first_working" => Ok(Days::FirstWorking),
            "last_working" => Ok(Days::LastWorking),
            _ => Err(format!(
                "`{s}` is not a day rule (any, working, first_working, last_working)"
            )),
        }
    }
}

impl fmt::Display for Shift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Shift::None => "none",
            Shift::NextWorking => "next_working",
        })
    }
}

impl FromStr for Shift {
    type Err = String;

    /// `none`, `next_working`.
    fn from_str(s: &str) -> Result<Shift, String> {
        match s {
            "none" => Ok(Shift::None),
            "next_working" => Ok(Shift::NextWorking),
            _ => Err(format!("`{s}` is not a shift (none, next_working)")),
        }
    }
}
