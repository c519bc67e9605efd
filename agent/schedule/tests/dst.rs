//! Daylight-saving changes in Europe/London (2026-03-29 spring forward at 01:00 UTC, 2026-10-25
//! fall back at 01:00 UTC): a wall-clock time in the gap fires once at the end of the gap, a
//! wall-clock time in the fold fires once at its first occurrence, no instant fires twice, and
//! every search start gives the same answer as walking the list.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Europe::London;
use common::utc;
use docket_schedule::{Clock, ManualClock, Schedule, ScheduleSpec, Timetable};

fn london(cron: &str) -> Schedule {
    Schedule::new(ScheduleSpec::new(cron, London)).unwrap()
}

fn utcs(list: &[&str]) -> Vec<DateTime<Utc>> {
    list.iter().map(|s| utc(s)).collect()
}

/// `next_after` from every minute (and half minute) between the first and the last instant of
/// `expected`, a complete run of ticks, agrees with the list.
fn agrees_from_every_minute(s: &Schedule, expected: &[DateTime<Utc>]) {
    let mut t = expected[0];
    let end = *expected.last().unwrap();
    while t < end {
        let want = expected.iter().find(|e| **e > t).copied();
        assert_eq!(s.next_after(t), want, "next_after({t})");
        let half = t + TimeDelta::seconds(30);
        assert_eq!(
            s.next_after(half),
            expected.iter().find(|e| **e > half).copied(),
            "next_after({half})"
        );
        t += TimeDelta::minutes(1);
    }
}

#[test]
fn daily_0130_across_both_changes() {
    let s = london("0 30 1 * * *");
    assert_eq!(
        s.between(utc("2026-03-27T12:00:00Z"), utc("2026-03-31T12:00:00Z")),
        utcs(&[
            "2026-03-28T01:30:00Z", // 01:30 GMT
            "2026-03-29T01:00:00Z", // 01:30 does not exist: 02:00 BST, the end of the gap
            "2026-03-30T00:30:00Z", // 01:30 BST
            "2026-03-31T00:30:00Z",
        ])
    );
    assert_eq!(
        s.between(utc("2026-10-23T12:00:00Z"), utc("2026-10-27T12:00:00Z")),
        utcs(&[
            "2026-10-24T00:30:00Z", // 01:30 BST
            "2026-10-25T00:30:00Z", // 01:30 happens twice: the first (BST) only
            "2026-10-26T01:30:00Z", // 01:30 GMT
            "2026-10-27T01:30:00Z",
        ])
    );
    let all = s.between(utc("2026-03-28T00:00:00Z"), utc("2026-03-30T12:00:00Z"));
    agrees_from_every_minute(&s, &all);
    let all = s.between(utc("2026-10-24T00:00:00Z"), utc("2026-10-26T12:00:00Z"));
    agrees_from_every_minute(&s, &all);
}

#[test]
fn every_half_hour_spring_forward() {
    let s = london("0 */30 * * * *");
    let expected = utcs(&[
        "2026-03-29T00:00:00Z", // 00:00 GMT
        "2026-03-29T00:30:00Z", // 00:30 GMT
        "2026-03-29T01:00:00Z", // 01:00 and 01:30 (missing) and 02:00 BST: one fire
        "2026-03-29T01:30:00Z", // 02:30 BST
        "2026-03-29T02:00:00Z",
        "2026-03-29T02:30:00Z",
        "2026-03-29T03:00:00Z",
    ]);
    let got = s.between(utc("2026-03-28T23:45:00Z"), utc("2026-03-29T03:00:00Z"));
    assert_eq!(got, expected);
    agrees_from_every_minute(&s, &expected);
}

#[test]
fn every_half_hour_fall_back() {
    let s = london("0 */30 * * * *");
    let expected = utcs(&[
        "2026-10-24T23:00:00Z", // 00:00 BST
        "2026-10-24T23:30:00Z", // 00:30 BST
        "2026-10-25T00:00:00Z", // 01:00 BST
        "2026-10-25T00:30:00Z", // 01:30 BST; 01:00 and 01:30 GMT are repeats, not fired
        "2026-10-25T02:00:00Z", // 02:00 GMT
        "2026-10-25T02:30:00Z",
        "2026-10-25T03:00:00Z",
    ]);
    let got = s.between(utc("2026-10-24T22:45:00Z"), utc("2026-10-25T03:00:00Z"));
    assert_eq!(got, expected);
    agrees_from_every_minute(&s, &expected);
}

#[test]
fn a_timetable_on_a_manual_clock_fires_each_instant_once() {
    // Drive both schedules through both change days minute by minute and by next_wake: the
    // fires are the same, in order, without duplicates.
    for (from, to) in [
        ("2026-03-28T22:00:00Z", "2026-03-29T04:00:00Z"),
        ("2026-10-24T21:00:00Z", "2026-10-25T04:00:00Z"),
    ] {
        let (from, to) = (utc(from), utc(to));
        let expected_daily = london("0 30 1 * * *").between(from, to);
        let expected_half = london("0 */30 * * * *").between(from, to);
        assert_eq!(expected_daily.len(), 1);

        for step_by_minute in [true, false] {
            let clock = ManualClock::new(from);
            let mut tt = Timetable::new(clock.now());
            tt.insert("daily", london("0 30 1 * * *"), None);
            tt.insert("half", london("0 */30 * * * *"), None);
            let mut fired: Vec<(&str, DateTime<Utc>)> = Vec::new();
            loop {
                if step_by_minute {
                    clock.advance(TimeDelta::minutes(1));
                } else {
                    match tt.next_wake() {
                        Some(w) => clock.set(w),
                        None => break,
                    }
                }
                if clock.now() > to {
                    break;
                }
                fired.extend(tt.pop_due(clock.now()));
            }
            let of = |k: &str| {
                fired
                    .iter()
                    .filter(|f| f.0 == k)
                    .map(|f| f.1)
                    .collect::<Vec<_>>()
            };
            assert_eq!(of("daily"), expected_daily);
            assert_eq!(of("half"), expected_half);
            assert_eq!(fired.len(), expected_daily.len() + expected_half.len());
        }
    }
}

/// Why the crate maps wall-clock times itself: the cron crate, given the zone, drops the gap's
/// tick and fires the fold's tick twice. If this ever changes, the comment in `local.rs` is
/// stale, not the schedule.
#[test]
fn the_cron_crate_alone_loses_and_repeats_ticks() {
    use std::str::FromStr;
    let cron = cron::Schedule::from_str("0 30 1 * * *").unwrap();
    let from = utc("2026-03-28T12:00:00Z").with_timezone(&London);
    let spring: Vec<_> = cron.after(&from).take(2).map(|t| t.to_utc()).collect();
    assert_eq!(
        spring,
        utcs(&["2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z"])
    ); // 03-29 lost
    let from = utc("2026-10-24T12:00:00Z").with_timezone(&London);
    let autumn: Vec<_> = cron.after(&from).take(2).map(|t| t.to_utc()).collect();
    assert_eq!(
        autumn,
        utcs(&["2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z"])
    ); // twice
    let ours = london("0 30 1 * * *");
    assert_eq!(
        ours.next_after(utc("2026-03-28T12:00:00Z")),
        Some(utc("2026-03-29T01:00:00Z"))
    );
    assert_eq!(
        ours.next_after(utc("2026-10-25T00:30:00Z")),
        Some(utc("2026-10-26T01:30:00Z"))
    );
}
