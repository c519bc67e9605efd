//! Wall-clock time → instant, with one fixed rule for daylight-saving changes: a local time that
//! does not exist (the spring-forward gap) means the first instant after the gap, and a local time
//! that occurs twice (the autumn fold) means its first occurrence. The mapping never decreases as
//! the local time increases, which is what lets a schedule walk local candidates in order. It
//! must never depend on what the cron crate does with time zones (it skips gap times and fires
//! fold times twice).

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

/// The instant at which the wall-clock time `local` in `tz` happens, by the rule above.
pub(crate) fn to_instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.to_utc(),
        LocalResult::Ambiguous(a, b) => a.to_utc().min(b.to_utc()),
        LocalResult::None => gap_end(tz, local),
    }
}

fn exists(tz: Tz, local: NaiveDateTime) -> bool {
    !matches!(tz.from_local_datetime(&local), LocalResult::None)
}

/// `local` lies in a gap: find the first local time after it that exists (to the second) and
/// return its instant, which is the instant of the transition.
fn gap_end(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    // Gaps are at most a day long (Samoa skipped 2011-12-30); probe forward, doubling.
    let mut lo = local; // does not exist
    let mut step = TimeDelta::minutes(1);
    let mut hi = None;
    while step <= TimeDelta::hours(64) {
        let probe = local + step;
        if exists(tz, probe) {
            hi = Some(probe);
            break;
        }
        lo = probe;
        step = step * 2;
    }
    let Some(mut hi) = hi else {
        // Not reachable with the tz database; read the time as UTC rather than lose the tick.
        return local.and_utc();
    };
    // Invariant: lo does not exist, hi exists; narrow to one second.
    while hi - lo > TimeDelta::seconds(1) {
        let mid = lo + (hi - lo) / 2;
        let mid = mid.with_nanosecond_zero();
        if mid <= lo {
            break;
        }
        if exists(tz, mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    match tz.from_local_datetime(&hi) {
        LocalResult::Single(t) => t.to_utc(),
        LocalResult::Ambiguous(a, b) => a.to_utc().min(b.to_utc()),
        LocalResult::None => local.and_utc(),
    }
}

trait WholeSeconds {
    fn with_nanosecond_zero(self) -> Self;
}

impl WholeSeconds for NaiveDateTime {
    fn with_nanosecond_zero(self) -> Self {
        use chrono::Timelike;
        self.with_nanosecond(0).unwrap_or(self)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn local(y: i32, m: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn london_gap_maps_to_transition() {
        let tz = chrono_tz::Europe::London;
        assert_eq!(
            to_instant(tz, local(2026, 3, 29, 1, 0)),
            utc("2026-03-29T01:00:00Z")
        );
        assert_eq!(
            to_instant(tz, local(2026, 3, 29, 1, 30)),
            utc("2026-03-29T01:00:00Z")
        );
        assert_eq!(
            to_instant(tz, local(2026, 3, 29, 1, 59)),
            utc("2026-03-29T01:00:00Z")
        );
        assert_eq!(
            to_instant(tz, local(2026, 3, 29, 2, 0)),
            utc("2026-03-29T01:00:00Z")
        );
        assert_eq!(
            to_instant(tz, local(2026, 3, 29, 0, 59)),
            utc("2026-03-29T00:59:00Z")
        );
    }

    #[test]
    fn london_fold_maps_to_first_occurrence() {
        let tz = chrono_tz::Europe::London;
        assert_eq!(
            to_instant(tz, local(2026, 10, 25, 1, 30)),
            utc("2026-10-25T00:30:00Z")
        );
        assert_eq!(
            to_instant(tz, local(2026, 10, 25, 2, 0)),
            utc("2026-10-25T02:00:00Z")
        );
    }

    #[test]
    fn samoa_skipped_day() {
        // Pacific/Apia jumped from 2011-12-29 23:59:59 (-10) to 2011-12-31 00:00 (+14).
        let tz = chrono_tz::Pacific::Apia;
        let end = to_instant(tz, local(2011, 12, 30, 12, 0));
        assert_eq!(end, utc("2011-12-30T10:00:00Z"));
    }
}
