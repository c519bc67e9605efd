//! The screening pass: checks time order, splits each transaction into legs (its own side and,
//! when asked, the counterparty's), feeds every enabled rule, and merges alerts into cases.
//!
//! One pass, bounded state per account; never sorts or buffers the input.

use crate::model::{Alert, Case, Screening, Txn};
use crate::pack::RulePack;
use crate::rules::collection::CollectionRule;
use crate::rules::cycle::CycleRule;
use crate::rules::fan::FanRule;
use crate::rules::flow::{
    DormantRule, HighRiskRule, LargeValueRule, PassThroughRule, RoundAmountRule, StructuringRule,
};
use crate::rules::late_night::LateNightRule;
use crate::rules::velocity::VelocityRule;
use crate::rules::{Detector, Leg};
use docket_core::codes::ErrorCode;
use std::collections::BTreeMap;
use std::rc::Rc;

/// Why screening stopped.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScreenError {
    /// Input must be sorted by timestamp.
    #[error(
        "transaction `{id}` ({at}) is earlier than `{previous}` ({previous_at}) before it; sort the input by timestamp and screen again"
    )]
    OutOfOrder {
        /// The offending transaction.
        id: String,
        /// Its timestamp.
        at: String,
        /// The transaction before it.
        previous: String,
        /// That one's timestamp.
        previous_at: String,
    },
    /// A transaction lacks its id or account.
    #[error(
        "transaction #{index} has an empty {field}; every transaction needs an id and an account"
    )]
    Incomplete {
        /// 0-based position in the input.
        index: usize,
        /// `id` or `account`.
        field: &'static str,
    },
}

impl ScreenError {
    /// Stable code: the input failed the engine's checks.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::ScreeningInputInvalid
    }
}

/// Interns strings so per-account state shares one allocation per account.
#[derive(Default)]
struct Interner(crate::rules::HashSet<Rc<str>>);

impl Interner {
    fn get(&mut self, s: &str) -> Rc<str> {
        if let Some(r) = self.0.get(s) {
            return r.clone();
        }
        let r: Rc<str> = Rc::from(s);
        self.0.insert(r.clone());
        r
    }
}

fn detectors(pack: &RulePack) -> Vec<Box<dyn Detector>> {
    let mut d: Vec<Box<dyn Detector>> = Vec::new();
    if let Some(p) = &pack.large_value {
        d.push(Box::new(LargeValueRule::new(p.clone())));
    }
    if let Some(p) = &pack.structuring {
        d.push(Box::new(StructuringRule::new(p.clone())));
    }
    if let Some(p) = &pack.pass_through {
        d.push(Box::new(PassThroughRule::new(p.clone())));
    }
    if let Some(p) = &pack.fan_in {
        d.push(Box::new(FanRule::new(p.clone(), true)));
    }
    if let Some(p) = &pack.fan_out {
        d.push(Box::new(FanRule::new(p.clone(), false)));
    }
    if let Some(p) = &pack.late_night {
        d.push(Box::new(LateNightRule::new(p.clone())));
    }
    if let Some(p) = &pack.round_amount {
        d.push(Box::new(RoundAmountRule::new(p.clone())));
    }
    if let Some(p) = &pack.dormant {
        d.push(Box::new(DormantRule::new(p.clone())));
    }
    if let Some(p) = &pack.velocity {
        d.push(Box::new(VelocityRule::new(p.clone())));
    }
    if let Some(p) = &pack.high_risk_country {
        d.push(Box::new(HighRiskRule::new(p.clone())));
    }
    if let Some(p) = &pack.cycle {
        d.push(Box::new(CycleRule::new(p.clone())));
    }
    if let Some(p) = &pack.collection {
        d.push(Box::new(CollectionRule::new(p.clone())));
    }
    d
}

/// Screen time-sorted transactions with `pack` in one pass.
///
/// Output is deterministic: alerts sorted by rule, subject and id; one case per subject.
pub fn screen(txns: impl Iterator<Item = Txn>, pack: &RulePack) -> Result<Screening, ScreenError> {
    run(txns, pack, true)
}

/// [`screen`] without evicting idle accounts' state: memory grows with every account ever seen.
/// Only for tests and benchmarks that check eviction changes nothing.
#[doc(hidden)]
pub fn screen_unbounded(
    txns: impl Iterator<Item = Txn>,
    pack: &RulePack,
) -> Result<Screening, ScreenError> {
    run(txns, pack, false)
}

fn run(
    txns: impl Iterator<Item = Txn>,
    pack: &RulePack,
    evict: bool,
) -> Result<Screening, ScreenError> {
    let mut dets = detectors(pack);
    let mut names = Interner::default();
    let mut alerts: Vec<Alert> = Vec::new();
    let mut prev: Option<(i64, u32, String, String)> = None;
    let mut sweep_day: Option<i64> = None;
    for (index, t) in txns.enumerate() {
        if t.id.is_empty() {
            return Err(ScreenError::Incomplete { index, field: "id" });
        }
        if t.account.is_empty() {
            return Err(ScreenError::Incomplete {
                index,
                field: "account",
            });
        }
        let key = (
            t.timestamp.timestamp(),
            t.timestamp.timestamp_subsec_nanos(),
        );
        if let Some((ps, pn, pid, pat)) = &prev
            && key < (*ps, *pn)
        {
            {
                return Err(ScreenError::OutOfOrder {
                    id: t.id.clone(),
                    at: t.timestamp.to_rfc3339(),
                    previous: pid.clone(),
                    previous_at: pat.clone(),
                });
            }
        }
        // Once per day of input: drop idle accounts' state, then names nothing refers to.
        let day = key.0.div_euclid(86_400);
        if evict && sweep_day.is_some_and(|d| day > d) {
            for d in dets.iter_mut() {
                d.evict(key.0, &mut alerts);
            }
            names.0.retain(|r| Rc::strong_count(r) > 1);
        }
        sweep_day = Some(day);
        let local = t.timestamp.with_timezone(&pack.timezone).naive_local();
        let own = Leg {
            id: Rc::from(t.id.as_str()),
            account: names.get(&t.account),
            counterparty: t.counterparty_account.as_deref().map(|c| names.get(c)),
            amount: t.amount,
            currency: names.get(&t.currency),
            channel: t.channel,
            ts: key.0,
            local,
            kind: t.customer_kind,
            counterparty_country: t.counterparty_country.as_deref().map(|c| names.get(c)),
            own: true,
        };
        for d in dets.iter_mut() {
            d.leg(&own, &mut alerts);
        }
        if pack.counterparty_legs
            && let Some(cp) = &own.counterparty
        {
            {
                let mirror = Leg {
                    id: own.id.clone(),
                    account: cp.clone(),
                    counterparty: Some(own.account.clone()),
                    amount: -own.amount,
                    currency: own.currency.clone(),
                    channel: own.channel,
                    ts: own.ts,
                    local,
                    kind: None,
                    counterparty_country: t.country.as_deref().map(|c| names.get(c)),
                    own: false,
                };
                for d in dets.iter_mut() {
                    d.leg(&mirror, &mut alerts);
                }
            }
        }
        prev = Some((key.0, key.1, t.id, t.timestamp.to_rfc3339()));
    }
    for d in dets.iter_mut() {
        d.finish(&mut alerts);
    }
    Ok(assemble(alerts))
}

fn assemble(mut alerts: Vec<Alert>) -> Screening {
    alerts.sort_by(|a, b| (a.rule, &a.subject, &a.id).cmp(&(b.rule, &b.subject, &b.id)));
    alerts.dedup_by(|a, b| a.id == b.id);
    let mut by_subject: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for a in &alerts {
        by_subject
            .entry(a.subject.clone())
            .or_default()
            .push(a.id.clone());
    }
    let cases = by_subject
        .into_iter()
        .map(|(subject, alerts)| Case {
            id: format!("C-{subject}"),
            subject,
            alerts,
        })
        .collect();
    Screening { alerts, cases }
}
