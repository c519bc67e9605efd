//! Property-style check over pseudo-random cron expressions, zones (with DST gaps and folds,
//! including at midnight and of 30 minutes), day rules, shifts, cut-offs and time spans:
//! `between(a, c) == between(a, b) ++ between(b, c)` for any b in between, and `between(a, c)`
//! equals an independent, brute-force reading of the rules (enumerate every wall-clock
//! candidate, shift, filter, map to an instant, dedupe, sort). A fixed seed keeps it
//! reproducible; a failure prints the case.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use std::collections::BTreeSet;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Datelike, LocalResult, NaiveDateTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use common::utc;
use docket_schedule::{Calendar, Days, Schedule, ScheduleSpec, Shift};

/// xorshift64*: small, deterministic, good enough to pick test cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn random_cron(rng: &mut Rng) -> String {
    let sec = *rng.pick(&["0", "0", "0", "0,30", "15"]);
    let min = *rng.pick(&["0", "30", "*/15", "*/7", "5-10", "0,45", "*"]);
    let hour = *rng.pick(&["*", "*", "0", "1", "2", "9", "23", "0-3", "*/5", "8-17"]);
    let dom = *rng.pick(&["*", "*", "*", "*", "*", "1", "15", "28-31", "1-7"]);
    let month = *rng.pick(&["*", "*", "*", "*", "*", "*/2", "3,10,11", "2"]);
    let dow = *rng.pick(&["*", "*", "*", "*", "MON-FRI", "SAT,SUN", "SUN", "FRI"]);
    let year = *rng.pick(&["", "", "", "", "", " 2026", " 2018-2026"]);
    let cron = format!("{sec} {min} {hour} {dom} {month} {dow}{year}");
    // Keep the brute force affordable: at most one tick a minute on a wide hour field.
    if min == "*" && hour == "*" {
        cron.replacen("* *", "0 *", 1)
    } else {
        cron
    }
}

/// Instants near which the zones below change offset (and a few ordinary ones).
const AROUND: [&str; 12] = [
    "2026-03-29T01:00:00Z", // London spring forward
    "2026-10-25T01:00:00Z", // London fall back
    "2026-03-08T07:00:00Z", // New York spring forward
    "2026-11-01T06:00:00Z", // New York fall back
    "2026-04-04T15:00:00Z", // Lord Howe: back 30 minutes
    "2026-10-03T15:30:00Z", // Lord Howe: forward 30 minutes
    "2018-11-04T03:00:00Z", // São Paulo: midnight does not exist
    "2019-02-17T02:00:00Z", // São Paulo: 23:00–23:59 happens twice
    "2026-09-30T04:00:00Z", // Shanghai before 国庆
    "2026-02-13T00:00:00Z", // Shanghai before 春节
    "2025-12-31T12:00:00Z",
    "2026-06-15T12:00:00Z",
];

const ZONES: [Tz; 6] = [
    chrono_tz::Europe::London,
    chrono_tz::America::New_York,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::America::Sao_Paulo,
    chrono_tz::Asia::Shanghai,
    chrono_tz::UTC,
];

/// The rules read literally, without the schedule's search: every wall-clock candidate from
/// well before `a` to after `c`, shifted, filtered, mapped, deduplicated.
fn brute_force(
    spec: &ScheduleSpec,
    cal: &Calendar,
    a: DateTime<Utc>,
    c: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let tz = spec.timezone;
    let cron = cron::Schedule::from_str(&spec.cron).unwrap();
    let first = a.with_timezone(&tz).date_naive() - TimeDelta::days(20);
    let last = c.with_timezone(&tz).date_naive() + TimeDelta::days(2);
    let from = first.and_hms_opt(0, 0, 0).unwrap().and_utc() - TimeDelta::seconds(1);
    let mut out = BTreeSet::new();
    for candidate in cron.after(&from).map(|t| t.naive_utc()) {
        if candidate.date() > last {
            break;
        }
        let mut day = candidate.date();
        if spec.shift == Shift::NextWorking && !cal.is_working_day(day) {
            day = cal.next_working_day(day);
        }
        let keep = match spec.days {
            Days::Any => true,
            Days::Working => cal.is_working_day(day),
            Days::FirstWorking => cal.first_working_day(day.year(), day.month()) == Some(day),
            Days::LastWorking => cal.last_working_day(day.year(), day.month()) == Some(day),
        };
        if !keep || (spec.before_cutoff && cal.cutoff(day).is_some_and(|k| candidate.time() > k)) {
            continue;
        }
        let t = instant(tz, day.and_time(candidate.time()));
        if a < t && t <= c {
            out.insert(t);
        }
    }
    out.into_iter().collect()
}

/// Earliest reading of a wall-clock time; in a gap, the first whole minute after it that exists.
fn instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.to_utc(),
        LocalResult::Ambiguous(x, y) => x.to_utc().min(y.to_utc()),
        LocalResult::None => {
            let mut m = local.with_second(0).unwrap();
            loop {
                m += TimeDelta::minutes(1);
                if let Some(t) = tz.from_local_datetime(&m).earliest() {
                    return t.to_utc();
                }
            }
        }
    }
}

#[test]
fn between_splits_at_any_point_and_matches_brute_force() {
    let cn = common::cn();
    let mut rng = Rng(0x00D0_C4E7_5EED);
    let mut nonempty = 0;
    for case in 0..1000 {
        let cron = random_cron(&mut rng);
        let tz = *rng.pick(&ZONES);
        let mut spec = ScheduleSpec::new(cron.clone(), tz);
        let cal: Arc<Calendar> = if rng.below(3) == 0 {
            Arc::new(Calendar::weekdays_only())
        } else {
            cn.clone()
        };
        spec.calendar = Some(cal.clone());
        spec.days = *rng.pick(&[
            Days::Any,
            Days::Any,
            Days::Working,
            Days::FirstWorking,
            Days::LastWorking,
        ]);
        spec.shift = *rng.pick(&[Shift::None, Shift::None, Shift::NextWorking]);
        spec.before_cutoff = rng.below(4) == 0;
        let schedule = Schedule::new(spec.clone()).unwrap();

        let around = utc(AROUND[rng.below(AROUND.len() as u64) as usize]);
        let a = around - TimeDelta::seconds(rng.below(36 * 3600) as i64);
        let c = a + TimeDelta::seconds(rng.below(4 * 86400) as i64);
        let whole = schedule.between(a, c);
        let b = if !whole.is_empty() && rng.below(3) == 0 {
            whole[rng.below(whole.len() as u64) as usize] // exactly on a tick
        } else {
            a + TimeDelta::seconds(rng.below((c - a).num_seconds().max(1) as u64) as i64)
        };
        let context = format!(
            "case {case}: {cron:?} {tz} {:?} {:?} cutoff={} a={a} b={b} c={c}",
            spec.days, spec.shift, spec.before_cutoff
        );

        assert!(
            whole.windows(2).all(|w| w[0] < w[1]),
            "strictly increasing: {context}"
        );
        let mut joined = schedule.between(a, b);
        joined.extend(schedule.between(b, c));
        assert_eq!(joined, whole, "split at b: {context}");
        assert_eq!(
            whole,
            brute_force(&spec, &cal, a, c),
            "brute force: {context}"
        );
        if !whole.is_empty() {
            nonempty += 1;
        }
    }
    assert!(
        nonempty > 100,
        "the cases must mostly have ticks to compare ({nonempty})"
    );
}
