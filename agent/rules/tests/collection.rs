//! The `collection` indicator: twenty payers into one account within a day, with no payout,
//! alerts on that account with exactly those payments; nineteen payers, a day too long, or a
//! payout of half the money do not.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use chrono::{DateTime, Duration, FixedOffset, TimeZone};
use docket_rules::{Channel, RuleId, RulePack, Txn, screen};
use rust_decimal::Decimal;

fn at(minutes: i64) -> DateTime<FixedOffset> {
    let tz = FixedOffset::east_opt(8 * 3600).expect("offset");
    tz.with_ymd_and_hms(2026, 5, 4, 9, 0, 0)
        .single()
        .expect("time")
        + Duration::minutes(minutes)
}

/// `n` payers, each paying CNY 5,000 into `COLLECT`, `step` minutes apart.
fn payments(n: usize, step: i64) -> Vec<Txn> {
    (0..n)
        .map(|i| Txn {
            id: format!("P{i:02}"),
            account: format!("PAYER{i:02}"),
            counterparty_account: Some("COLLECT".into()),
            counterparty_name: None,
            timestamp: at(i as i64 * step),
            amount: Decimal::from(-5_000),
            currency: "CNY".into(),
            channel: Channel::Transfer,
            country: None,
            counterparty_country: None,
            customer_kind: None,
        })
        .collect()
}

fn collection_alerts(txns: Vec<Txn>) -> Vec<docket_rules::Alert> {
    let pack = RulePack::default_pack().expect("default pack");
    let s = screen(txns.into_iter(), &pack).expect("screen");
    s.alerts
        .into_iter()
        .filter(|a| a.rule == RuleId::Collection)
        .collect()
}

#[test]
fn twenty_payers_in_a_day_without_payout_alert_with_exactly_their_payments() {
    let alerts = collection_alerts(payments(20, 30));
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let a = &alerts[0];
    assert_eq!(a.id, "A-collection-COLLECT-P00");
    assert_eq!(a.subject, "COLLECT");
    let want: Vec<String> = (0..20).map(|i| format!("P{i:02}")).collect();
    assert_eq!(a.transactions, want);
    assert_eq!(a.accounts[0], "COLLECT");
    assert_eq!(a.accounts.len(), 21);
    assert_eq!(a.params["payers"], 20);
    assert_eq!(a.params["in_sum"], "100000");
    assert_eq!(a.params["out_sum"], "0");
    // The plain day raises nothing else under the default pack.
    let pack = RulePack::default_pack().expect("default pack");
    let all = screen(payments(20, 30).into_iter(), &pack).expect("screen");
    let rules: Vec<RuleId> = all.alerts.iter().map(|a| a.rule).collect();
    assert_eq!(rules, vec![RuleId::Collection]);
    assert_eq!(all.cases.len(), 1);
    assert_eq!(all.cases[0].id, "C-COLLECT");
}

#[test]
fn nineteen_payers_or_a_longer_spread_do_not_alert() {
    assert!(collection_alerts(payments(19, 30)).is_empty());
    // 20 payers, but 80 minutes apart: never 20 within 24 hours.
    assert!(collection_alerts(payments(20, 80)).is_empty());
}

#[test]
fn paying_half_of_it_out_is_not_a_collection_account() {
    let mut txns = payments(20, 30);
    txns.insert(
        10,
        Txn {
            id: "OUT".into(),
            account: "COLLECT".into(),
            counterparty_account: Some("ONWARD".into()),
            counterparty_name: None,
            timestamp: at(10 * 30),
            amount: Decimal::from(-50_000),
            currency: "CNY".into(),
            channel: Channel::Transfer,
            country: None,
            counterparty_country: None,
            customer_kind: None,
        },
    );
    assert!(collection_alerts(txns).is_empty());
}

#[test]
fn the_thresholds_are_the_packs() {
    let yaml = "version: 1\nrules:\n  collection:\n    window: 2h\n    min_payers: 3\n    max_payout_share: 0%\n    min_inflow: [10000 CNY]\n";
    let pack = RulePack::from_yaml(yaml).expect("valid pack");
    let s = screen(payments(5, 30).into_iter(), &pack).expect("screen");
    let ids: Vec<(&str, &Vec<String>)> = s
        .alerts
        .iter()
        .map(|a| (a.id.as_str(), &a.transactions))
        .collect();
    // P00..P02 reach 3 payers and CNY 15,000 at P02; the episode restarts, P03..P04 are two.
    assert_eq!(
        ids,
        vec![(
            "A-collection-COLLECT-P00",
            &vec!["P00".to_string(), "P01".into(), "P02".into()]
        )]
    );
}
