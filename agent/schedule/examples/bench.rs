//! Timetable benchmark: `cargo run --release -p docket-schedule --example bench [-- --schedules
//! N --days D]`. Builds N schedules (default 10,000) in Asia/Shanghai — a third every minute, a
//! third every 15 minutes, a third at 09:30 on cn-mainland working days, with staggered seconds
//! and minutes so wake-ups spread — then simulates D days (default 1) of a daemon that sets a
//! manual clock to `next_wake` and calls `pop_due`, once with `usize` keys and once with `String`
//! keys. Reports fires/s and µs per fire by process CPU time (the machine may be shared, so wall
//! time is shown but not used), memory (Linux /proc), and the cost of one `next_after` per kind.
#![allow(clippy::expect_used, clippy::unwrap_used)] // a benchmark: a panic is the failure report

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use docket_schedule::{Calendar, Clock, Days, ManualClock, Schedule, ScheduleSpec, Timetable};

fn main() {
    let mut n = 10_000usize;
    let mut days = 1i64;
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        match (pair[0].as_str(), pair.get(1)) {
            ("--schedules", Some(v)) => n = v.parse().expect("--schedules N"),
            ("--days", Some(v)) => days = v.parse().expect("--days D"),
            _ => panic!("usage: bench [--schedules N] [--days D]"),
        }
    }
    let cal_path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../installer/calendars/cn-mainland.yaml");
    let cn = Arc::new(Calendar::load(&cal_path).expect("shipped calendar"));
    let start: DateTime<Utc> = Shanghai
        .with_ymd_and_hms(2026, 9, 15, 0, 0, 0)
        .unwrap()
        .to_utc();
    let end = start + TimeDelta::days(days);

    let kinds = |i: usize| -> ScheduleSpec {
        match i % 3 {
            0 => ScheduleSpec::new(format!("{} * * * * *", i % 60), Shanghai),
            1 => ScheduleSpec::new(format!("0 {}/15 * * * *", i % 15), Shanghai),
            _ => {
                let mut s = ScheduleSpec::new("0 30 9 * * *", Shanghai);
                s.calendar = Some(cn.clone());
                s.days = Days::Working;
                s
            }
        }
    };

    // Cost of one next_after per kind (the work behind each fire).
    for (kind, name) in [
        (0, "every minute"),
        (1, "every 15 minutes"),
        (2, "working days 09:30 (cn)"),
    ] {
        let s = Schedule::new(kinds(kind)).unwrap();
        let mut t = start;
        // (working days: 10,000 ticks is ~40 years, the cron crate stops at 2100)
        let reps = if kind == 2 { 10_000 } else { 100_000 };
        let timer = Instant::now();
        let mut count = 0;
        while count < reps {
            t = s.next_after(t).unwrap();
            count += 1;
        }
        let per = timer.elapsed().as_secs_f64() * 1e6 / reps as f64;
        println!(
            "next_after, {name:<24} {per:>6.2} µs  (walked to {})",
            t.with_timezone(&Shanghai).format("%Y-%m-%d")
        );
    }

    println!(
        "schedules: {n} (every minute / every 15 min / working-day 09:30), simulated {days} day(s)"
    );
    simulate("usize keys", true, n, start, end, &kinds, |i| i);
    simulate(
        "String keys (\"flow-NNNN\")",
        false,
        n,
        start,
        end,
        &kinds,
        |i| format!("flow-{i:05}"),
    );
}

/// Builds a timetable of `n` schedules keyed by `key(i)` and runs it from `start` to `end`.
fn simulate<K: Clone + Ord + std::fmt::Debug>(
    label: &str,
    first: bool,
    n: usize,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    kinds: &dyn Fn(usize) -> ScheduleSpec,
    key: impl Fn(usize) -> K,
) {
    let rss_before = status_kb("VmRSS");
    let timer = Instant::now();
    let clock = ManualClock::new(start);
    let mut tt: Timetable<K> = Timetable::new(clock.now());
    for i in 0..n {
        tt.insert(key(i), Schedule::new(kinds(i)).unwrap(), None);
    }
    let build = timer.elapsed();
    let rss_built = status_kb("VmRSS");

    let cpu_start = cpu_seconds();
    let timer = Instant::now();
    let (mut fires, mut wakes, mut largest) = (0usize, 0usize, 0usize);
    while let Some(wake) = tt.next_wake() {
        if wake > end {
            break;
        }
        clock.set(wake);
        let batch = tt.pop_due(clock.now());
        fires += batch.len();
        largest = largest.max(batch.len());
        wakes += 1;
    }
    let wall = timer.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_start;

    println!("-- {label}");
    println!(
        "build: {:.1} ms ({:.2} µs per insert)",
        build.as_secs_f64() * 1e3,
        build.as_secs_f64() * 1e6 / n as f64
    );
    println!("fires: {fires} in {wakes} wake-ups (largest batch {largest})");
    println!("wall: {wall:.2} s; process CPU for the simulated day(s): {cpu:.2} s");
    println!(
        "throughput: {:.0} fires/s by CPU time ({:.0} by wall clock), {:.3} µs CPU per fire",
        fires as f64 / cpu.max(0.01),
        fires as f64 / wall,
        cpu * 1e6 / fires.max(1) as f64
    );
    if first {
        // Later runs reuse memory freed by earlier ones, so only the first RSS growth is real.
        println!(
            "memory: RSS +{} KiB for the timetable (≈ {} bytes per schedule), process peak {} KiB",
            rss_built.saturating_sub(rss_before),
            rss_built.saturating_sub(rss_before) * 1024 / n.max(1) as u64,
            status_kb("VmHWM")
        );
    } else {
        println!("memory: process peak {} KiB", status_kb("VmHWM"));
    }
}

/// A field of /proc/self/status in KiB (0 where there is no /proc).
fn status_kb(field: &str) -> u64 {
    let text = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// User + system CPU seconds of this process (Linux /proc; 0 elsewhere). Assumes 100 ticks/s,
/// the Linux default USER_HZ.
fn cpu_seconds() -> f64 {
    let text = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = text.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after the name.
    (ticks(11) + ticks(12)) as f64 / 100.0
}
