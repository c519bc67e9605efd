//! Shared helpers for the docket-schedule tests: the shipped calendars and readable times.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)] // tests: a panic is the failure report

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use docket_schedule::Calendar;

/// `installer/calendars/NAME` in this checkout.
pub fn shipped(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../installer/calendars")
        .join(name)
}

/// The shipped cn-mainland calendar.
pub fn cn() -> Arc<Calendar> {
    Arc::new(Calendar::load(&shipped("cn-mainland.yaml")).unwrap())
}

/// The instant of an unambiguous wall-clock time "YYYY-MM-DD HH:MM[:SS[.fff]]" in `tz`.
pub fn at(tz: Tz, local: &str) -> DateTime<Utc> {
    let fmt = if local.len() > 16 {
        "%Y-%m-%d %H:%M:%S%.f"
    } else {
        "%Y-%m-%d %H:%M"
    };
    let naive = NaiveDateTime::parse_from_str(local, fmt).unwrap();
    tz.from_local_datetime(&naive).single().unwrap().to_utc()
}

/// An instant written in UTC, "YYYY-MM-DDTHH:MM:SSZ".
pub fn utc(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// `t` as wall-clock "YYYY-MM-DD HH:MM" in `tz`.
pub fn show(tz: Tz, t: DateTime<Utc>) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// Each instant as wall-clock "YYYY-MM-DD HH:MM" in `tz`.
pub fn show_all(tz: Tz, ts: &[DateTime<Utc>]) -> Vec<String> {
    ts.iter().map(|t| show(tz, *t)).collect()
}
