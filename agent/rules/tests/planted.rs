//! Generated transaction sets: a clean population (salaries, rent, shopping) that must alert
//! nothing, and planted laundering patterns that must each alert with the exact transactions.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use chrono::{DateTime, Duration, FixedOffset, TimeZone};
use docket_rules::{Channel, CustomerKind, RuleId, RulePack, ScreenError, Txn, screen};
use rust_decimal::Decimal;

/// Small deterministic generator (64-bit LCG), so the sets are the same on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

fn at(day: i64, hour: u32, minute: u32) -> DateTime<FixedOffset> {
    let tz = FixedOffset::east_opt(8 * 3600).expect("offset");
    tz.with_ymd_and_hms(2026, 1, 1, hour, minute, 0)
        .single()
        .expect("time")
        + Duration::days(day)
}

fn txn(
    id: &str,
    account: &str,
    cp: &str,
    ts: DateTime<FixedOffset>,
    amount: i64,
    channel: Channel,
) -> Txn {
    Txn {
        id: id.to_owned(),
        account: account.to_owned(),
        counterparty_account: (!cp.is_empty()).then(|| cp.to_owned()),
        counterparty_name: None,
        timestamp: ts,
        amount: Decimal::from(amount),
        currency: "CNY".to_owned(),
        channel,
        country: Some("CN".to_owned()),
        counterparty_country: Some("CN".to_owned()),
        customer_kind: Some(CustomerKind::Individual),
    }
}

/// 50 people over 90 days: monthly salary, monthly rent, ~20 card purchases a month.
fn clean(seed: u64) -> Vec<Txn> {
    let mut r = Rng(seed);
    let mut v = Vec::new();
    for p in 0..50 {
        let acct = format!("P{p:03}");
        for month in 0..3 {
            let d0 = month * 30;
            let salary = r.range(8_000, 20_000) as i64;
            v.push(txn(
                &format!("sal-{p}-{month}"),
                &acct,
                "EMPLOYER",
                at(d0 + 24, 10, 0),
                salary,
                Channel::Transfer,
            ));
            v.push(txn(
                &format!("rent-{p}-{month}"),
                &acct,
                &format!("LANDLORD{p}"),
                at(d0, 9, 30),
                -(r.range(2_000, 6_000) as i64),
                Channel::Transfer,
            ));
            for k in 0..20 {
                let shop = format!("SHOP{}", r.range(0, 30));
                let day = d0 + r.range(0, 30) as i64;
                let hour = r.range(8, 22) as u32;
                v.push(txn(
                    &format!("buy-{p}-{month}-{k}"),
                    &acct,
                    &shop,
                    at(day, hour, r.range(0, 60) as u32),
                    -(r.range(20, 900) as i64),
                    Channel::Card,
                ));
            }
        }
    }
    v
}

fn planted() -> Vec<Txn> {
    let mut v = Vec::new();
    // Structuring: three cash deposits just under CNY 50,000 on consecutive days.
    for (i, amt) in [45_000, 46_500, 48_000].into_iter().enumerate() {
        v.push(txn(
            &format!("st-{i}"),
            "S1",
            "",
            at(10 + i as i64, 11, 0),
            amt,
            Channel::Cash,
        ));
    }
    // Pass-through: 200,000 in, 195,000 out within a day.
    v.push(txn(
        "pt-in",
        "PT1",
        "XPAYER",
        at(15, 9, 0),
        200_000,
        Channel::Transfer,
    ));
    v.push(txn(
        "pt-out1",
        "PT1",
        "PTA",
        at(15, 15, 0),
        -120_000,
        Channel::Transfer,
    ));
    v.push(txn(
        "pt-out2",
        "PT1",
        "PTB",
        at(16, 8, 0),
        -75_000,
        Channel::Transfer,
    ));
    // Fan-in: 12 payers of 5,000 over two days, then 57,000 out to one account.
    for i in 0..12 {
        v.push(txn(
            &format!("fi-{i}"),
            "F1",
            &format!("MULE{i}"),
            at(30 + i / 6, 10 + (i % 6) as u32, 0),
            5_000,
            Channel::Transfer,
        ));
    }
    v.push(txn(
        "fi-out",
        "F1",
        "FOUT",
        at(32, 9, 0),
        -57_000,
        Channel::Transfer,
    ));
    // Late night: 12 night receipts from 12 punters on three days within ten, plus daytime noise.
    for d in [20, 23, 26] {
        for i in 0..12 {
            v.push(txn(
                &format!("ln-{d}-{i}"),
                "L1",
                &format!("PUNTER{d}-{i}"),
                at(d, 1 + (i / 6) as u32, (i % 6) as u32 * 9),
                200,
                Channel::Transfer,
            ));
        }
        v.push(txn(
            &format!("ln-day-{d}"),
            "L1",
            "GROCER",
            at(d, 12, 0),
            -80,
            Channel::Card,
        ));
    }
    // Round-tripping: C1 → C2 → C3 → C1 within three days.
    v.push(txn(
        "cy-1",
        "C1",
        "C2",
        at(40, 10, 0),
        -100_000,
        Channel::Transfer,
    ));
    v.push(txn(
        "cy-2",
        "C2",
        "C3",
        at(41, 10, 0),
        -98_000,
        Channel::Transfer,
    ));
    v.push(txn(
        "cy-3",
        "C3",
        "C1",
        at(42, 10, 0),
        -96_000,
        Channel::Transfer,
    ));
    v
}

fn sorted(mut v: Vec<Txn>) -> Vec<Txn> {
    v.sort_by(|a, b| a.timestamp.cmp(&b.timestamp).then_with(|| a.id.cmp(&b.id)));
    v
}

fn pack() -> RulePack {
    RulePack::default_pack().expect("default pack is valid")
}

#[test]
fn clean_sets_alert_nothing() {
    for seed in [1, 2, 3] {
        let txns = sorted(clean(seed));
        let s = screen(txns.into_iter(), &pack()).expect("screen");
        assert!(
            s.alerts.is_empty(),
            "seed {seed}: {:#?}",
            s.alerts
                .iter()
                .map(|a| (&a.id, &a.explanation_en))
                .collect::<Vec<_>>()
        );
        assert!(s.cases.is_empty());
    }
}

#[test]
fn every_planted_pattern_is_alerted_with_its_transactions() {
    let mut all = clean(7);
    all.extend(planted());
    let s = screen(sorted(all).into_iter(), &pack()).expect("screen");
    let find = |rule: RuleId, subject: &str| {
        s.alerts
            .iter()
            .find(|a| a.rule == rule && a.subject == subject)
            .unwrap_or_else(|| {
                panic!(
                    "no {rule} alert on {subject}: {:#?}",
                    s.alerts.iter().map(|a| &a.id).collect::<Vec<_>>()
                )
            })
    };
    let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        find(RuleId::Structuring, "S1").transactions,
        ids(&["st-0", "st-1", "st-2"])
    );
    assert_eq!(
        find(RuleId::PassThrough, "PT1").transactions,
        ids(&["pt-in", "pt-out1", "pt-out2"])
    );
    let mut fan: Vec<String> = (0..12).map(|i| format!("fi-{i}")).collect();
    fan.push("fi-out".to_owned());
    let fi = find(RuleId::FanIn, "F1");
    assert_eq!(fi.transactions, fan);
    assert!(fi.accounts.contains(&"FOUT".to_owned()));
    let night: Vec<String> = [20, 23, 26]
        .iter()
        .flat_map(|d| (0..12).map(move |i| format!("ln-{d}-{i}")))
        .collect();
    assert_eq!(find(RuleId::LateNight, "L1").transactions, night);
    let cy = find(RuleId::Cycle, "C1");
    assert_eq!(cy.transactions, ids(&["cy-1", "cy-2", "cy-3"]));
    assert_eq!(cy.accounts, ids(&["C1", "C2", "C3"]));
    assert!(!cy.explanation_zh.is_empty() && cy.id == "A-cycle-C1-cy-1");
    // Every alert on a clean-population account would be a false positive.
    for a in &s.alerts {
        assert!(
            !a.subject.starts_with('P') || a.subject.starts_with("PT"),
            "false positive {}: {}",
            a.id,
            a.explanation_en
        );
    }
    // One case per subject, holding that subject's alerts.
    for c in &s.cases {
        assert!(c.alerts.iter().all(|id| {
            s.alerts
                .iter()
                .any(|a| &a.id == id && a.subject == c.subject)
        }));
    }
    // Same input, same output.
    let mut again = clean(7);
    again.extend(planted());
    assert_eq!(
        screen(sorted(again).into_iter(), &pack()).expect("screen"),
        s
    );
}

#[test]
fn large_value_per_day_and_direction() {
    let v = vec![
        txn("c1", "K1", "", at(5, 9, 0), 30_000, Channel::Cash),
        txn("c2", "K1", "", at(5, 15, 0), 25_000, Channel::Cash),
        txn("c3", "K1", "", at(5, 16, 0), -49_000, Channel::Cash),
        txn("c4", "K1", "", at(6, 9, 0), 30_000, Channel::Cash),
    ];
    let s = screen(v.into_iter(), &pack()).expect("screen");
    let lv: Vec<_> = s
        .alerts
        .iter()
        .filter(|a| a.rule == RuleId::LargeValue)
        .collect();
    assert_eq!(lv.len(), 1, "{lv:#?}");
    assert_eq!(lv[0].transactions, vec!["c1".to_owned(), "c2".to_owned()]);
}

#[test]
fn out_of_order_input_names_the_transaction() {
    let v = vec![
        txn("late", "A", "", at(5, 9, 0), 10, Channel::Cash),
        txn("early", "A", "", at(4, 9, 0), 10, Channel::Cash),
    ];
    match screen(v.into_iter(), &pack()) {
        Err(ScreenError::OutOfOrder { id, previous, .. }) => {
            assert_eq!((id.as_str(), previous.as_str()), ("early", "late"))
        }
        other => panic!("expected out-of-order, got {other:?}"),
    }
}
