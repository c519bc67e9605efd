//! Docket's schedules: when a flow runs. A schedule is a cron expression with a seconds field,
//! read in a time zone with exact daylight-saving rules, filtered and shifted by the bank's
//! working-day calendar, optionally limited to the day's cut-off, with a misfire policy for
//! ticks missed while the daemon was down. A [`Timetable`] holds thousands of them.
//!
//! Pure: no I/O except [`Calendar::load`] reading one file, no threads, no sleeping, and no
//! clock except [`SystemClock`]. The daemon stores each tick as a run *before* executing it;
//! with `last` = the last stored tick, [`Schedule::due`] tells it exactly what to fire and what
//! to record as skipped, so a tick is never run twice and never skipped silently.
//!
//! # Rules
//!
//! * **Cron**: `sec min hour day-of-month month day-of-week [year]` (6 or 7 fields), e.g.
//!   `0 30 9 * * *`, or `@daily`/`@hourly`/…. Day-of-week: names (`MON-FRI`) or 1 = Sunday …
//!   7 = Saturday. Day-of-month and day-of-week must both match.
//! * **Time zone / DST**: fields are wall-clock time in [`ScheduleSpec::timezone`]. A wall-clock
//!   time that does not exist (spring forward; Europe/London 2026-03-29 01:30) fires once at the
//!   first instant after the gap (02:00 BST = 01:00 UTC); several such ticks collapse into that
//!   one. A wall-clock time that happens twice (Europe/London 2026-10-25 01:30) fires once, at
//!   its first occurrence (01:30 BST = 00:30 UTC).
//! * **Days**: [`Days::Working`] keeps ticks on working days, [`Days::FirstWorking`] /
//!   [`Days::LastWorking`] only on the first / last working day of the month.
//! * **Shift**: [`Shift::NextWorking`] moves a tick on a non-working day to the next working
//!   day at the same local time (applied before the day filter); ticks landing on the same
//!   instant fire once.
//! * **Cut-off**: with [`ScheduleSpec::before_cutoff`], a tick fires only at or before the
//!   calendar's cut-off for its date.
//! * **Misfire**: see [`Schedule::due`].
//!
//! # Calendar files
//!
//! Calendars are YAML (shipped ones in `installer/calendars/`); errors name file, line, value
//! (`cn.yaml:14: holidays[3]: 2026-02-30 is not a date (write YYYY-MM-DD)`):
//!
//! ```yaml
//! name: cn-mainland                 # required
//! description: PRC public holidays and adjusted working days (调休)   # optional
//! source: 《国务院办公厅关于2026年部分节假日安排的通知》                    # optional
//! weekend: [Sat, Sun]               # optional, default [Sat, Sun]; Mon…Sun or Monday…Sunday
//! years: [2025, 2026]               # required: the years the lists are complete for;
//!                                   # every date below must fall in them
//! holidays:                         # non-working days
//!   - 2026-01-01..2026-01-03        # a range, both ends included
//!   - 2026-04-06                    # a single date
//!   - { date: 2026-10-01..2026-10-07, name: 国庆节 }   # with a name (shown in logs)
//! working_days:                     # weekend days that are worked (调休); weekdays are refused
//!   - { date: 2026-01-04, name: 元旦调休 }
//! cutoff: "16:00"                   # optional default cut-off ("HH:MM" or "HH:MM:SS")
//! cutoffs:                          # optional per-date cut-offs, working days only
//!   2026-09-30: "12:00"
//! ```
//!
//! Refused: unknown keys, impossible dates, ranges ending before they start, a date listed
//! twice or both as holiday and working day, a listed working day that is not a weekend day,
//! dates outside `years`, a cut-off on a non-working day, a weekend of all seven days.

pub mod calendar;
mod calendar_file;
pub mod clock;
mod local;
pub mod schedule;
pub mod timetable;

pub use calendar::{Calendar, CalendarError};
pub use clock::{Clock, ManualClock, SystemClock};
pub use schedule::{Days, Due, Misfire, Schedule, ScheduleError, ScheduleSpec, Shift};
pub use timetable::{Timetable, TimetableDue};
