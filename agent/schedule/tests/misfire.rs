//! Six hours of downtime on a quarter-hourly schedule (last recorded tick 10:00, back at 16:00
//! and a few seconds), under each misfire policy: exactly which ticks fire and which are
//! recorded as skipped. Nothing due is lost: fire ∪ skipped is every tick in (last, now].
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Asia::Shanghai;
use common::{at, show_all};
use docket_schedule::{Due, Misfire, Schedule, ScheduleError, ScheduleSpec, Timetable};

fn quarter_hourly(misfire: Misfire) -> Schedule {
    let mut spec = ScheduleSpec::new("0 */15 * * * *", Shanghai);
    spec.misfire = misfire;
    spec.grace = Duration::from_secs(60);
    Schedule::new(spec).unwrap()
}

/// "HH:MM" on 2026-09-15 in Shanghai for each quarter hour from `from` to `to` inclusive.
fn quarters(from: &str, to: &str) -> Vec<String> {
    let all: Vec<String> = (0..24 * 4)
        .map(|q| format!("2026-09-15 {:02}:{:02}", q / 4, q % 4 * 15))
        .collect();
    let a = all.iter().position(|s| s.ends_with(from)).unwrap();
    let b = all.iter().position(|s| s.ends_with(to)).unwrap();
    all[a..=b].to_vec()
}

fn shown(due: &Due) -> (Vec<String>, Vec<String>) {
    (
        show_all(Shanghai, &due.fire),
        show_all(Shanghai, &due.skipped),
    )
}

fn last() -> DateTime<Utc> {
    at(Shanghai, "2026-09-15 10:00")
}

#[test]
fn skip_fires_the_last_tick_only_within_grace() {
    let s = quarter_hourly(Misfire::Skip);
    let (fire, skipped) = shown(&s.due(Some(last()), at(Shanghai, "2026-09-15 16:00:20")));
    assert_eq!(fire, ["2026-09-15 16:00"]);
    assert_eq!(skipped, quarters("10:15", "15:45"));
    assert_eq!(skipped.len(), 23);
    // Back five minutes after 16:00: even the last tick is too late.
    let (fire, skipped) = shown(&s.due(Some(last()), at(Shanghai, "2026-09-15 16:05")));
    assert!(fire.is_empty());
    assert_eq!(skipped, quarters("10:15", "16:00"));
    // Exactly at the grace limit it still fires.
    let (fire, _) = shown(&s.due(Some(last()), at(Shanghai, "2026-09-15 16:01")));
    assert_eq!(fire, ["2026-09-15 16:00"]);
}

#[test]
fn run_once_fires_the_latest_however_late() {
    let s = quarter_hourly(Misfire::RunOnce);
    let (fire, skipped) = shown(&s.due(Some(last()), at(Shanghai, "2026-09-15 16:00:20")));
    assert_eq!(fire, ["2026-09-15 16:00"]);
    assert_eq!(skipped, quarters("10:15", "15:45"));
    let (fire, skipped) = shown(&s.due(Some(last()), at(Shanghai, "2026-09-15 16:14")));
    assert_eq!(fire, ["2026-09-15 16:00"]);
    assert_eq!(skipped.len(), 23);
}

#[test]
fn catch_up_fires_the_latest_max_in_order() {
    let s = quarter_hourly(Misfire::CatchUp { max: 4 });
    let (fire, skipped) = shown(&s.due(Some(last()), at(Shanghai, "2026-09-15 16:00:20")));
    assert_eq!(fire, quarters("15:15", "16:00"));
    assert_eq!(skipped, quarters("10:15", "15:00"));
    let s = quarter_hourly(Misfire::CatchUp { max: 100 });
    let (fire, skipped) = shown(&s.due(Some(last()), at(Shanghai, "2026-09-15 16:00:20")));
    assert_eq!(fire, quarters("10:15", "16:00"));
    assert!(skipped.is_empty());
}

#[test]
fn on_time_and_never_ran() {
    for misfire in [Misfire::Skip, Misfire::RunOnce, Misfire::CatchUp { max: 3 }] {
        let s = quarter_hourly(misfire);
        // Never ran: nothing is missed.
        assert_eq!(
            s.due(None, at(Shanghai, "2026-09-15 16:00:20")),
            Due::default()
        );
        // On time: the one due tick fires, nothing is skipped.
        let due = s.due(
            Some(at(Shanghai, "2026-09-15 15:45")),
            at(Shanghai, "2026-09-15 16:00:00.300"),
        );
        assert_eq!(shown(&due), (vec!["2026-09-15 16:00".to_owned()], vec![]));
        // Nothing due yet.
        assert!(
            s.due(Some(last()), at(Shanghai, "2026-09-15 10:14:59"))
                .is_empty()
        );
    }
    let mut spec = ScheduleSpec::new("0 */15 * * * *", Shanghai);
    spec.misfire = Misfire::CatchUp { max: 0 };
    assert_eq!(Schedule::new(spec).unwrap_err(), ScheduleError::CatchUpZero);
}

#[test]
fn a_timetable_reports_fires_and_skips_after_downtime() {
    let mut tt: Timetable<String> = Timetable::new(at(Shanghai, "2026-09-15 16:00:20"));
    tt.insert("skip".into(), quarter_hourly(Misfire::Skip), Some(last()));
    tt.insert(
        "once".into(),
        quarter_hourly(Misfire::RunOnce),
        Some(last()),
    );
    tt.insert(
        "catch-up".into(),
        quarter_hourly(Misfire::CatchUp { max: 2 }),
        Some(last()),
    );
    assert_eq!(
        tt.next_wake(),
        Some(at(Shanghai, "2026-09-15 10:15")),
        "overdue right away"
    );
    let due = tt.take_due(at(Shanghai, "2026-09-15 16:00:20"));
    let fire: Vec<(String, String)> = due
        .fire
        .iter()
        .map(|(k, t)| (k.clone(), common::show(Shanghai, *t)))
        .collect();
    assert_eq!(
        fire,
        [
            ("catch-up".to_owned(), "2026-09-15 15:45".to_owned()),
            ("catch-up".to_owned(), "2026-09-15 16:00".to_owned()),
            ("once".to_owned(), "2026-09-15 16:00".to_owned()),
            ("skip".to_owned(), "2026-09-15 16:00".to_owned()),
        ]
    );
    assert_eq!(due.skipped.len(), 22 + 23 + 23);
    let skipped_of = |k: &str| {
        let ts: Vec<_> = due
            .skipped
            .iter()
            .filter(|s| s.0 == k)
            .map(|s| s.1)
            .collect();
        show_all(Shanghai, &ts)
    };
    assert_eq!(skipped_of("catch-up"), quarters("10:15", "15:30"));
    assert_eq!(skipped_of("once"), quarters("10:15", "15:45"));
    assert_eq!(skipped_of("skip"), quarters("10:15", "15:45"));
    // Everything before now is settled; the next tick is the next quarter hour.
    assert_eq!(tt.next_wake(), Some(at(Shanghai, "2026-09-15 16:15")));
    assert_eq!(
        tt.last(&"once".to_owned()),
        Some(at(Shanghai, "2026-09-15 16:00"))
    );
    assert!(
        tt.take_due(at(Shanghai, "2026-09-15 16:10"))
            .fire
            .is_empty()
    );
}
