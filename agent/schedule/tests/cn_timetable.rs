//! The acceptance run: a manual clock drives one timetable from 2026-09-14 to 2026-10-16 in
//! Asia/Shanghai on the shipped cn-mainland calendar (中秋 on Fri 09-25, 国庆 10-01..10-07,
//! worked Sunday 09-20 and Saturday 10-10, cut-off 16:00 and 12:00 on 09-30). Each schedule's
//! fires are compared with the exact expected list.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Asia::Shanghai;
use common::{at, cn, show_all};
use docket_schedule::{Clock, Days, ManualClock, Schedule, ScheduleSpec, Shift, Timetable};

/// The working days of the window, by hand from the notice.
const WORKING: [&str; 21] = [
    "2026-09-14",
    "2026-09-15",
    "2026-09-16",
    "2026-09-17",
    "2026-09-18",
    "2026-09-20", // Sunday, worked (调休)
    "2026-09-21",
    "2026-09-22",
    "2026-09-23",
    "2026-09-24",
    // 09-25 Fri 中秋, 09-26/27 weekend
    "2026-09-28",
    "2026-09-29",
    "2026-09-30",
    // 10-01..10-07 国庆
    "2026-10-08",
    "2026-10-09",
    "2026-10-10", // Saturday, worked (调休)
    "2026-10-12",
    "2026-10-13",
    "2026-10-14",
    "2026-10-15",
    "2026-10-16",
];

fn spec(cron: &str, days: Days) -> ScheduleSpec {
    let mut s = ScheduleSpec::new(cron, Shanghai);
    s.calendar = Some(cn());
    s.days = days;
    s
}

#[test]
fn five_weeks_of_bank_schedules_in_shanghai() {
    let start = at(Shanghai, "2026-09-13 23:59:59");
    let end = at(Shanghai, "2026-10-16 23:59:59");
    let clock = ManualClock::new(start);
    let mut tt: Timetable<&str> = Timetable::new(clock.now());

    tt.insert(
        "a-working-0930",
        Schedule::new(spec("0 30 9 * * *", Days::Working)).unwrap(),
        None,
    );
    let mut shifted = spec("0 30 9 * * *", Days::Working);
    shifted.shift = Shift::NextWorking;
    tt.insert(
        "b-working-0930-shifted",
        Schedule::new(shifted).unwrap(),
        None,
    );
    tt.insert(
        "c-first-working",
        Schedule::new(spec("0 30 9 * * *", Days::FirstWorking)).unwrap(),
        None,
    );
    tt.insert(
        "d-last-working",
        Schedule::new(spec("0 30 9 * * *", Days::LastWorking)).unwrap(),
        None,
    );
    let mut monthly = spec("0 0 10 1 * *", Days::Working);
    monthly.shift = Shift::NextWorking;
    tt.insert(
        "e-monthly-1st-shifted",
        Schedule::new(monthly).unwrap(),
        None,
    );
    let mut cutoff = spec("0 */15 * * * *", Days::Working);
    cutoff.before_cutoff = true;
    tt.insert(
        "f-quarter-hours-to-cutoff",
        Schedule::new(cutoff).unwrap(),
        None,
    );

    let mut fired: Vec<(&str, DateTime<Utc>)> = Vec::new();
    let mut wakes = 0;
    while let Some(wake) = tt.next_wake() {
        if wake > end {
            break;
        }
        assert!(
            wake > clock.now(),
            "the timetable never asks to wake in the past"
        );
        clock.set(wake);
        let batch = tt.pop_due(clock.now());
        assert!(!batch.is_empty(), "a wake-up always has something to fire");
        assert!(
            batch
                .windows(2)
                .all(|w| (w[0].1, w[0].0) < (w[1].1, w[1].0)),
            "ordered by time then key"
        );
        assert!(
            batch.iter().all(|(_, t)| *t == wake),
            "on time: everything due is due now"
        );
        fired.extend(batch);
        wakes += 1;
    }
    let unique: BTreeSet<_> = fired.iter().collect();
    assert_eq!(
        unique.len(),
        fired.len(),
        "no (schedule, instant) fires twice"
    );
    let of = |key: &str| {
        let ts: Vec<_> = fired.iter().filter(|f| f.0 == key).map(|f| f.1).collect();
        show_all(Shanghai, &ts)
    };

    let daily: Vec<String> = WORKING.iter().map(|d| format!("{d} 09:30")).collect();
    assert_eq!(of("a-working-0930"), daily);
    // Shifting moves Sat 09-19 to Sun 09-20, 09-25..27 to 09-28, 10-01..07 to 10-08 and
    // Sun 10-11 to 10-12 — each onto a day that already fires at 09:30: nothing doubles.
    assert_eq!(of("b-working-0930-shifted"), daily);
    assert_eq!(of("c-first-working"), ["2026-10-08 09:30"]);
    assert_eq!(of("d-last-working"), ["2026-09-30 09:30"]);
    assert_eq!(of("e-monthly-1st-shifted"), ["2026-10-08 10:00"]);

    let mut quarters = Vec::new();
    for d in WORKING {
        let cutoff_minutes = if d == "2026-09-30" { 12 * 60 } else { 16 * 60 };
        for m in (0..=cutoff_minutes).step_by(15) {
            quarters.push(format!("{d} {:02}:{:02}", m / 60, m % 60));
        }
    }
    assert_eq!(quarters.len(), 20 * 65 + 49);
    assert_eq!(of("f-quarter-hours-to-cutoff"), quarters);

    assert_eq!(fired.len(), 21 * 2 + 3 + quarters.len());
    // 09:30 coincides with a quarter hour, so the two daily schedules add no wake-ups of their
    // own; 10-08 10:00 is a quarter hour too.
    assert_eq!(wakes, quarters.len());
    let next = tt.next_wake().unwrap();
    assert_eq!(common::show(Shanghai, next), "2026-10-19 00:00");
}

#[test]
fn spot_checks_of_the_day_rules() {
    let first = Schedule::new(spec("0 30 9 * * *", Days::FirstWorking)).unwrap();
    let from = at(Shanghai, "2026-01-01 00:00");
    let firsts = first.between(from, at(Shanghai, "2026-12-31 23:59"));
    let days: Vec<String> = firsts
        .iter()
        .map(|t| t.with_timezone(&Shanghai).date_naive().to_string())
        .collect();
    assert_eq!(
        days,
        [
            "2026-01-04", // Sunday 调休, the first working day of the year
            "2026-02-02",
            "2026-03-02",
            "2026-04-01",
            "2026-05-06",
            "2026-06-01",
            "2026-07-01",
            "2026-08-03",
            "2026-09-01",
            "2026-10-08",
            "2026-11-02",
            "2026-12-01",
        ]
    );
    let last = Schedule::new(spec("0 0 17 * * *", Days::LastWorking)).unwrap();
    let lasts: Vec<String> = last
        .between(from, at(Shanghai, "2026-12-31 23:59"))
        .iter()
        .map(|t| t.with_timezone(&Shanghai).date_naive().to_string())
        .collect();
    assert_eq!(
        lasts,
        [
            "2026-01-30",
            "2026-02-28", // Saturday 调休
            "2026-03-31",
            "2026-04-30",
            "2026-05-29",
            "2026-06-30",
            "2026-07-31",
            "2026-08-31",
            "2026-09-30",
            "2026-10-30",
            "2026-11-30",
            "2026-12-31",
        ]
    );
    // A monthly tick on a holiday moves to the next working day, also across a long holiday.
    let mut monthly = spec("0 0 10 1 * *", Days::Any);
    monthly.shift = Shift::NextWorking;
    let monthly = Schedule::new(monthly).unwrap();
    assert_eq!(
        show_all(
            Shanghai,
            &monthly.between(from - TimeDelta::days(1), at(Shanghai, "2026-03-31 00:00"))
        ),
        ["2026-01-04 10:00", "2026-02-02 10:00", "2026-03-02 10:00"]
    );
    // The calendar ends in 2026: past it, weekends only (the daemon warns via `covers`).
    let d = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
    assert!(!cn().covers(d));
    assert!(cn().is_working_day(d));
}
