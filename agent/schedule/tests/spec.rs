//! Building schedules: what is refused and how the refusal reads; the names the workflow YAML
//! maps onto; a timetable's insert / replace / remove.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use chrono_tz::Asia::Shanghai;
use common::{at, show};
use docket_schedule::{Days, Schedule, ScheduleError, ScheduleSpec, Shift, Timetable};

#[test]
fn cron_with_or_without_seconds_and_bad_field_counts() {
    // Classic five fields read as second 0: the same instants as the six-field form.
    let five = Schedule::new(ScheduleSpec::new("30 9 * * *", Shanghai)).unwrap();
    let six = Schedule::new(ScheduleSpec::new("0 30 9 * * *", Shanghai)).unwrap();
    let from = at(Shanghai, "2026-03-01 00:00:00");
    let until = at(Shanghai, "2026-03-08 00:00:00");
    assert_eq!(five.between(from, until), six.between(from, until));
    assert_eq!(five.between(from, until).len(), 7);
    let e = Schedule::new(ScheduleSpec::new("30 9 * *", Shanghai)).unwrap_err();
    assert_eq!(
        e,
        ScheduleError::FieldCount {
            expr: "30 9 * *".into(),
            found: 4
        }
    );
    assert!(e.to_string().contains("e.g. `0 30 9 * * *`"), "{e}");
    let e = Schedule::new(ScheduleSpec::new("0 61 9 * * *", Shanghai)).unwrap_err();
    assert!(matches!(e, ScheduleError::Cron { .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("cron `0 61 9 * * *` is invalid: "),
        "{e}"
    );
    // Shorthands and the optional year field are accepted.
    for ok in ["@daily", "0 0 9 * * MON-FRI 2026", "0 30 9 * * *"] {
        Schedule::new(ScheduleSpec::new(ok, Shanghai)).unwrap();
    }
}

#[test]
fn day_rules_and_shifts_have_stable_names() {
    for d in [
        Days::Any,
        Days::Working,
        Days::FirstWorking,
        Days::LastWorking,
    ] {
        assert_eq!(d.to_string().parse::<Days>().unwrap(), d);
    }
    for s in [Shift::None, Shift::NextWorking] {
        assert_eq!(s.to_string().parse::<Shift>().unwrap(), s);
    }
    assert_eq!("first_working".parse::<Days>().unwrap(), Days::FirstWorking);
    assert!(
        "weekdays"
            .parse::<Days>()
            .unwrap_err()
            .contains("any, working")
    );
    assert!("next".parse::<Shift>().is_err());
}

#[test]
fn timetable_insert_replace_remove() {
    let now = at(Shanghai, "2026-09-15 09:00");
    let mut tt: Timetable<u32> = Timetable::new(now);
    let hourly = Schedule::new(ScheduleSpec::new("0 0 * * * *", Shanghai)).unwrap();
    let daily = Schedule::new(ScheduleSpec::new("0 30 17 * * *", Shanghai)).unwrap();
    assert!(tt.insert(1, hourly.clone(), None).is_none());
    tt.insert(2, daily.clone(), None);
    assert_eq!(tt.len(), 2);
    assert_eq!(show(Shanghai, tt.next_wake().unwrap()), "2026-09-15 10:00");
    // Replacing 1 with the daily schedule: its old hourly tick must not fire.
    assert!(tt.insert(1, daily.clone(), None).is_some());
    assert_eq!(show(Shanghai, tt.next_wake().unwrap()), "2026-09-15 17:30");
    assert!(tt.pop_due(at(Shanghai, "2026-09-15 12:00")).is_empty());
    assert!(tt.remove(&2).is_some());
    assert!(tt.remove(&2).is_none());
    let fired = tt.pop_due(at(Shanghai, "2026-09-15 17:30"));
    assert_eq!(fired, [(1, at(Shanghai, "2026-09-15 17:30"))]);
    tt.remove(&1);
    assert!(tt.is_empty());
    assert_eq!(tt.next_wake(), None);
    // Many replacements do not grow the heap without bound (stale entries are dropped).
    for i in 0..10_000 {
        tt.insert(
            7,
            if i % 2 == 0 {
                hourly.clone()
            } else {
                daily.clone()
            },
            None,
        );
    }
    // (the last insert is the daily one; the table is at 17:30 after the pop above)
    assert_eq!(show(Shanghai, tt.next_wake().unwrap()), "2026-09-16 17:30");
    assert_eq!(tt.len(), 1);
    // A schedule that never fires again is kept but never wakes the daemon.
    let past = Schedule::new(ScheduleSpec::new("0 0 9 1 1 * 2025", Shanghai)).unwrap();
    let mut tt: Timetable<u32> = Timetable::new(now);
    tt.insert(1, past, None);
    assert_eq!(tt.next_wake(), None);
    assert_eq!(tt.len(), 1);
}

#[test]
fn next_n_lists_the_same_ticks_as_between() {
    let s = Schedule::new(ScheduleSpec::new("0 30 9 * * *", Shanghai)).unwrap();
    let from = at(Shanghai, "2026-03-01 00:00");
    let five = s.next_n(from, 5);
    assert_eq!(five.len(), 5);
    assert_eq!(five, s.between(from, five[4]));
    assert!(s.next_n(from, 0).is_empty());
}
