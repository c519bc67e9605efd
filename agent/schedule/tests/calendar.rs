//! Calendar files: the shipped calendars parse and say what the notices say; broken files are
//! refused with the file, the line and the value in the message.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

mod common;

use chrono::{NaiveDate, NaiveTime};
use common::shipped;
use docket_schedule::{Calendar, CalendarError};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn err(yaml: &str) -> String {
    Calendar::parse(yaml, "calendars/test.yaml")
        .unwrap_err()
        .to_string()
}

#[test]
fn shipped_cn_mainland_matches_the_notices() {
    let cn = Calendar::load(&shipped("cn-mainland.yaml")).unwrap();
    assert_eq!(cn.name(), "cn-mainland");
    assert_eq!(cn.years(), &[2025, 2026]);
    // 2026-02-14 is a Saturday worked for 春节; 2026-02-16 is a Monday off.
    assert!(cn.is_working_day(d("2026-02-14")));
    assert!(!cn.is_working_day(d("2026-02-16")));
    assert_eq!(cn.day_name(d("2026-02-16")), Some("春节"));
    assert_eq!(cn.day_name(d("2026-02-14")), Some("春节调休"));
    // Every 调休 day of both years is a worked weekend day; every holiday range is off.
    for w in [
        "2025-01-26",
        "2025-02-08",
        "2025-04-27",
        "2025-09-28",
        "2025-10-11",
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    ] {
        assert!(cn.is_working_day(d(w)), "{w} should be a working day");
        assert!(cn.is_weekend(d(w)), "{w} should be a weekend day");
    }
    let off = |a: &str, b: &str| {
        let last = d(b);
        d(a).iter_days().take_while(move |x| *x <= last)
    };
    for day in off("2025-01-28", "2025-02-04")
        .chain(off("2025-10-01", "2025-10-08"))
        .chain(off("2026-02-15", "2026-02-23"))
        .chain(off("2026-10-01", "2026-10-07"))
    {
        assert!(!cn.is_working_day(day), "{day} should be a holiday");
    }
    assert_eq!(cn.holidays().count(), 28 + 33);
    assert_eq!(cn.working_days().count(), 11);
    assert!(cn.is_working_day(d("2026-10-08")));
    assert_eq!(cn.next_working_day(d("2026-09-30")), d("2026-10-08"));
    assert_eq!(
        cn.next_working_day_on_or_after(d("2026-10-10")),
        d("2026-10-10")
    );
    assert_eq!(cn.previous_working_day(d("2026-10-08")), d("2026-09-30"));
    assert_eq!(cn.first_working_day(2026, 10), Some(d("2026-10-08")));
    assert_eq!(cn.last_working_day(2026, 9), Some(d("2026-09-30")));
    assert_eq!(cn.first_working_day(2026, 1), Some(d("2026-01-04")));
    assert_eq!(
        cn.cutoff(d("2026-09-30")),
        NaiveTime::from_hms_opt(12, 0, 0)
    );
    assert_eq!(
        cn.cutoff(d("2026-09-29")),
        NaiveTime::from_hms_opt(16, 0, 0)
    );
    assert!(cn.covers(d("2026-12-31")));
    assert!(!cn.covers(d("2027-01-04")));
}

#[test]
fn shipped_uk_england_matches_gov_uk() {
    let uk = Calendar::load(&shipped("uk-england.yaml")).unwrap();
    assert_eq!(uk.name(), "uk-england");
    let listed: Vec<String> = uk.holidays().map(|(d, _)| d.to_string()).collect();
    assert_eq!(
        listed,
        [
            "2025-01-01",
            "2025-04-18",
            "2025-04-21",
            "2025-05-05",
            "2025-05-26",
            "2025-08-25",
            "2025-12-25",
            "2025-12-26",
            "2026-01-01",
            "2026-04-03",
            "2026-04-06",
            "2026-05-04",
            "2026-05-25",
            "2026-08-31",
            "2026-12-25",
            "2026-12-28",
        ]
    );
    assert!(!uk.is_working_day(d("2026-12-28")));
    assert_eq!(uk.next_working_day(d("2026-12-24")), d("2026-12-29"));
    assert_eq!(uk.last_working_day(2026, 8), Some(d("2026-08-28")));
    assert_eq!(uk.cutoff(d("2026-08-28")), None);
}

#[test]
fn every_date_form_parses() {
    let cal = Calendar::parse(
        "name: t\nyears: [2026]\nweekend: [Friday, sat]\nholidays:\n  - 2026-01-01\n  - 2026-01-05..2026-01-06\n  - { date: 2026-02-02, name: x }\n  - date: 2026-03-02\n    name: y\nworking_days: [2026-01-09]\ncutoff: 16:30\ncutoffs: { 2026-01-07: \"09:15:30\" }\n",
        "t.yaml",
    )
    .unwrap();
    assert!(!cal.is_working_day(d("2026-01-02"))); // Friday is weekend here
    assert!(cal.is_working_day(d("2026-01-04"))); // Sunday is not
    assert!(cal.is_working_day(d("2026-01-09"))); // a worked Friday
    assert!(!cal.is_working_day(d("2026-01-06")));
    assert_eq!(cal.day_name(d("2026-03-02")), Some("y"));
    assert_eq!(
        cal.cutoff(d("2026-01-08")),
        NaiveTime::from_hms_opt(16, 30, 0)
    );
    assert_eq!(
        cal.cutoff(d("2026-01-07")),
        NaiveTime::from_hms_opt(9, 15, 30)
    );
}

#[test]
fn impossible_date_names_file_line_and_value() {
    let yaml = "name: t\nyears: [2026]\nholidays:\n  - 2026-01-01\n  - 2026-02-30\n";
    let e = Calendar::parse(yaml, "calendars/test.yaml").unwrap_err();
    assert_eq!(e.line(), Some(5));
    assert_eq!(e.origin(), "calendars/test.yaml");
    let msg = e.to_string();
    assert!(msg.starts_with("calendars/test.yaml:5: "), "{msg}");
    assert!(msg.contains("2026-02-30 is not a date"), "{msg}");
    // Inside a range, inside a named entry, and as a cut-off key.
    let msg =
        err("name: t\nyears: [2026]\nholidays:\n  - { date: 2026-10-01..2026-13-07, name: x }\n");
    assert!(
        msg.starts_with("calendars/test.yaml:4: ") && msg.contains("2026-13-07 is not a date"),
        "{msg}"
    );
    let msg =
        err("name: t\nyears: [2026]\ncutoffs:\n  2026-09-30: \"12:00\"\n  2026-09-31: \"12:00\"\n");
    assert!(
        msg.starts_with("calendars/test.yaml:5: ") && msg.contains("2026-09-31 is not a date"),
        "{msg}"
    );
    let msg = err("name: t\nyears: [2026]\nholidays:\n  - 2026-10-07..2026-10-01\n");
    assert!(
        msg.starts_with("calendars/test.yaml:4: ") && msg.contains("ends before it starts"),
        "{msg}"
    );
    let msg = err("name: t\nyears: [2026]\ncutoff: \"25:00\"\n");
    assert!(
        msg.starts_with("calendars/test.yaml:3: ") && msg.contains("25:00 is not a time of day"),
        "{msg}"
    );
}

#[test]
fn holiday_that_is_also_a_working_day_is_refused() {
    let yaml = "name: t\nyears: [2026]\nholidays:\n  - { date: 2026-10-01..2026-10-11, name: x }\n# 调休\nworking_days:\n  - 2026-01-04\n  - 2026-10-10\n";
    let e = Calendar::parse(yaml, "calendars/test.yaml").unwrap_err();
    assert!(matches!(e, CalendarError::Invalid { line: 8, .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "calendars/test.yaml:8: 2026-10-10 is listed both as a holiday and as a working day (holiday on line 4)"
    );
}

#[test]
fn unknown_weekday_is_refused() {
    let msg = err("name: t\nyears: [2026]\nweekend:\n  - Sat\n  - Sonday\n");
    assert!(msg.starts_with("calendars/test.yaml:5: "), "{msg}");
    assert!(msg.contains("Sonday is not a weekday"), "{msg}");
}

#[test]
fn missing_file_is_named() {
    let path = std::env::temp_dir().join("docket-schedule-no-such-calendar.yaml");
    let e = Calendar::load(&path).unwrap_err();
    assert!(matches!(e, CalendarError::Read { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!(
            "{}: cannot read the calendar file",
            path.display()
        )),
        "{msg}"
    );
    assert_eq!(e.line(), None);
}

#[test]
fn other_mistakes_are_refused_with_their_line() {
    let cases = [
        // a date outside the declared years
        (
            "name: t\nyears: [2026]\nholidays:\n  - 2026-12-31..2027-01-01\n",
            4,
            "2027-01-01 is outside the calendar's years [2026]",
        ),
        // a holiday listed twice
        (
            "name: t\nyears: [2026]\nholidays:\n  - 2026-05-01..2026-05-05\n  - 2026-05-04\n",
            5,
            "2026-05-04 is listed twice as a holiday (first on line 4)",
        ),
        // a weekday listed as a working day (typo for a 调休 weekend day)
        (
            "name: t\nyears: [2026]\nworking_days:\n  - 2026-01-05\n",
            4,
            "2026-01-05 is a Mon, already a working day",
        ),
        // a cut-off on a holiday
        (
            "name: t\nyears: [2026]\nholidays: [2026-10-01]\ncutoffs:\n  2026-10-01: \"12:00\"\n",
            5,
            "2026-10-01 has a cut-off but is not a working day",
        ),
        // an unknown key (a typo must not be silently ignored)
        (
            "name: t\nyears: [2026]\nholiday:\n  - 2026-10-01\n",
            3,
            "unknown field `holiday`",
        ),
        // all seven days weekend
        (
            "name: t\nyears: [2026]\nweekend: [Mon, Tue, Wed, Thu, Fri, Sat, Sun]\n",
            3,
            "lists all seven days",
        ),
        // no years
        ("name: t\nyears: []\n", 2, "`years:` is empty"),
        // not YAML at all
        ("name: t\nyears: [2026\n", 3, "did not find expected"),
    ];
    for (yaml, line, text) in cases {
        let e = Calendar::parse(yaml, "calendars/test.yaml").unwrap_err();
        let msg = e.to_string();
        assert_eq!(e.line(), Some(line), "{msg}");
        assert!(
            msg.starts_with(&format!("calendars/test.yaml:{line}: ")),
            "{msg}"
        );
        assert!(msg.contains(text), "{msg} should contain {text}");
    }
    let msg = err("");
    assert!(msg.starts_with("calendars/test.yaml"), "{msg}");
}
