//! The velocity rule on generated accounts (a planted weekly-volume spike alerts with exactly its
//! transactions; steady accounts do not), and eviction of idle accounts' state leaving every
//! alert unchanged on a population whose accounts come and go.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use chrono::{DateTime, Duration, FixedOffset, TimeZone};
use docket_rules::{Channel, CustomerKind, RuleId, RulePack, Txn, screen, screen_unbounded};
use rust_decimal::Decimal;

fn at(day: i64, hour: u32) -> DateTime<FixedOffset> {
    let tz = FixedOffset::east_opt(8 * 3600).expect("offset");
    tz.with_ymd_and_hms(2026, 1, 1, hour, 0, 0)
        .single()
        .expect("time")
        + Duration::days(day)
}

fn txn(id: String, account: &str, cp: &str, ts: DateTime<FixedOffset>, amount: i64) -> Txn {
    Txn {
        id,
        account: account.to_owned(),
        counterparty_account: Some(cp.to_owned()),
        counterparty_name: None,
        timestamp: ts,
        amount: Decimal::from(amount),
        currency: "CNY".to_owned(),
        channel: Channel::Transfer,
        country: Some("CN".to_owned()),
        counterparty_country: Some("CN".to_owned()),
        customer_kind: Some(CustomerKind::Individual),
    }
}

/// Five steady accounts (two 5,000 CNY receipts a week for 20 weeks) and S, steady until day
/// 104, then three 19,870 CNY receipts on days 112–113: 59,610 CNY against a median week of
/// 10,000 CNY (threshold 50,000).
fn spike_set() -> Vec<Txn> {
    let mut v = Vec::new();
    for a in ["V0", "V1", "V2", "V3", "V4", "S"] {
        for day in (0..140).filter(|d| d % 7 == 0 || d % 7 == 3) {
            if a == "S" && day > 104 {
                continue;
            }
            v.push(txn(
                format!("{a}-{day}"),
                a,
                &format!("P-{a}"),
                at(day, 10),
                5_000,
            ));
        }
    }
    for (i, (day, hour)) in [(112, 9), (112, 15), (113, 11)].into_iter().enumerate() {
        v.push(txn(
            format!("SPIKE-{i}"),
            "S",
            &format!("X{i}"),
            at(day, hour),
            19_870,
        ));
    }
    v.sort_by_key(|t| (t.timestamp, t.id.clone()));
    v
}

fn velocity_only() -> RulePack {
    let all = RulePack::default_pack().expect("default pack");
    RulePack {
        velocity: all.velocity,
        ..RulePack::empty()
    }
}

#[test]
fn planted_spike_alerts_with_its_transactions_and_steady_accounts_do_not() {
    let s = screen(spike_set().into_iter(), &velocity_only()).expect("screen");
    let v: Vec<_> = s
        .alerts
        .iter()
        .filter(|a| a.rule == RuleId::Velocity)
        .collect();
    assert_eq!(v.len(), 1, "{:#?}", s.alerts);
    assert_eq!(v[0].subject, "S");
    assert_eq!(v[0].transactions, ["SPIKE-0", "SPIKE-1", "SPIKE-2"]);
    assert_eq!(v[0].params["median_weekly"], "10000");
    assert!(
        v[0].explanation_en.contains("59610"),
        "{}",
        v[0].explanation_en
    );
}

#[test]
fn velocity_in_the_default_pack_and_tunable() {
    let p =
        RulePack::from_yaml("version: 1\nrules:\n  velocity:\n    factor: 3x\n    window: 1d\n")
            .expect("pack");
    let v = p.velocity.expect("velocity on");
    assert_eq!((v.factor, v.window_secs), (Decimal::from(3), 86_400));
    let bad = RulePack::from_yaml("version: 1\nrules:\n  velocity:\n    factor: fast\n")
        .expect_err("bad factor");
    assert_eq!(bad[0].path, "rules.velocity.factor");
    assert!(bad[0].line == 4, "{bad:?}");
}

/// 400 accounts, each active for 30–70 days somewhere in a year, with salaries, shopping, some
/// round and near-threshold cash and fan-in bursts, plus the velocity spike set shifted in time.
fn churning() -> Vec<Txn> {
    let mut r = 0x2545F4914F6CDD1Du64;
    let mut next = |n: u64| {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        r % n
    };
    let mut v = Vec::new();
    for a in 0..400u64 {
        let start = next(300) as i64;
        let len = 30 + next(40) as i64;
        let acct = format!("C{a}");
        for k in 0..(len * 2) {
            let day = start + k / 2;
            let hour = (next(24)) as u32;
            let (cp, amt, ch) = match next(10) {
                0 => (
                    format!("C{}", next(400)),
                    48_000 + next(1_500) as i64,
                    Channel::Cash,
                ),
                1 => (
                    format!("C{}", next(400)),
                    -(10_000 * (1 + next(5) as i64)),
                    Channel::Transfer,
                ),
                2..=4 => (
                    format!("M{}", next(30)),
                    -(50 + next(2_000) as i64),
                    Channel::Card,
                ),
                _ => (
                    format!("C{}", next(400)),
                    1_000 + next(90_000) as i64,
                    Channel::Transfer,
                ),
            };
            let mut t = txn(format!("T{a}-{k}"), &acct, &cp, at(day, hour), amt);
            t.channel = ch;
            v.push(t);
        }
    }
    for mut t in spike_set() {
        t.timestamp += Duration::days(200);
        v.push(t);
    }
    v.sort_by_key(|t| (t.timestamp, t.id.clone()));
    v
}

#[test]
fn evicting_idle_accounts_changes_no_alert() {
    let data = churning();
    let pack = RulePack::default_pack().expect("default pack");
    let bounded = screen(data.clone().into_iter(), &pack).expect("screen");
    let unbounded = screen_unbounded(data.into_iter(), &pack).expect("screen");
    assert!(
        bounded.alerts.len() > 10,
        "the set must exercise the rules: {}",
        bounded.alerts.len()
    );
    assert!(bounded.alerts.iter().any(|a| a.rule == RuleId::Velocity));
    assert_eq!(bounded, unbounded);
}
