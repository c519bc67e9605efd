//! collection: many distinct payers into one account within a window while the account pays
//! (almost) nothing out — the collection account of gambling and fraud schemes. Unlike `fan_in`
//! it needs no onward half. State per account and currency is the window's flows and a count of
//! each payer's payments in it, so the distinct-payer test costs O(1) per leg.

use super::HashMap;
use super::{Detector, Leg, alert, excess_score};
use crate::model::{Alert, Channel, RuleId};
use crate::params::Collection;
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::VecDeque;
use std::rc::Rc;

struct Inflow {
    ts: i64,
    id: Rc<str>,
    party: Rc<str>,
    amount: Decimal,
}

#[derive(Default)]
struct State {
    ins: VecDeque<Inflow>,
    /// Payments per payer among `ins`.
    payers: HashMap<Rc<str>, u32>,
    in_sum: Decimal,
    outs: VecDeque<(i64, Decimal)>,
    out_sum: Decimal,
}

impl State {
    fn expire(&mut self, since: i64) {
        while let Some(f) = self.ins.front() {
            if f.ts >= since {
                break;
            }
            self.in_sum -= f.amount;
            if let Some(n) = self.payers.get_mut(&f.party) {
                *n -= 1;
                if *n == 0 {
                    self.payers.remove(&f.party);
                }
            }
            self.ins.pop_front();
        }
        while let Some(&(ts, amount)) = self.outs.front() {
            if ts >= since {
                break;
            }
            self.out_sum -= amount;
            self.outs.pop_front();
        }
    }

    fn last(&self) -> Option<i64> {
        self.ins
            .back()
            .map(|f| f.ts)
            .max(self.outs.back().map(|o| o.0))
    }
}

pub(crate) struct CollectionRule {
    p: Collection,
    state: HashMap<(Rc<str>, Rc<str>), State>,
}

impl CollectionRule {
    pub fn new(p: Collection) -> Self {
        CollectionRule {
            p,
            state: HashMap::default(),
        }
    }
}

impl Detector for CollectionRule {
    fn leg(&mut self, leg: &Leg, out: &mut Vec<Alert>) {
        // Card payments to merchants are spending; cash has no payer to count.
        if matches!(leg.channel, Channel::Card | Channel::Cash) || leg.amount.is_zero() {
            return;
        }
        let Some(party) = leg.counterparty.clone() else {
            return;
        };
        let Some(min_inflow) = self.p.min_inflow.get(&*leg.currency).copied() else {
            return;
        };
        let key = (leg.account.clone(), leg.currency.clone());
        let st = self.state.entry(key.clone()).or_default();
        st.expire(leg.ts - self.p.window_secs);
        let amount = leg.amount.abs();
        if leg.amount.is_sign_negative() {
            st.outs.push_back((leg.ts, amount));
            st.out_sum += amount;
            return;
        }
        *st.payers.entry(party.clone()).or_default() += 1;
        st.in_sum += amount;
        st.ins.push_back(Inflow {
            ts: leg.ts,
            id: leg.id.clone(),
            party,
            amount,
        });
        let n = st.payers.len();
        if n < self.p.min_payers
            || st.in_sum < min_inflow
            || st.out_sum > st.in_sum * self.p.max_payout_share
        {
            return;
        }
        let (account, cur) = (&*leg.account, &*leg.currency);
        let (in_sum, out_sum) = (st.in_sum, st.out_sum);
        let ids: Vec<String> = st.ins.iter().map(|f| f.id.to_string()).collect();
        let mut payers: Vec<String> = st.payers.keys().map(|p| p.to_string()).collect();
        payers.sort();
        let hours = self.p.window_secs / 3600;
        out.push(alert(
            RuleId::Collection,
            account,
            ids,
            payers,
            excess_score(Decimal::from(n), Decimal::from(self.p.min_payers)),
            format!(
                "Account {account} received {in_sum} {cur} from {n} distinct payers within {hours} hours and paid out only {out_sum} {cur} — a collection account."
            ),
            format!(
                "账户 {account} 在 {hours} 小时内从 {n} 个不同付款人处收到 {in_sum} {cur}，同期仅转出 {out_sum} {cur}，疑似归集账户。"
            ),
            json!({"payers": n, "in_sum": in_sum.to_string(), "out_sum": out_sum.to_string(), "currency": cur, "window_secs": self.p.window_secs}),
        ));
        // The episode is reported; start afresh so the same payments do not alert again.
        self.state.remove(&key);
    }

    fn finish(&mut self, _out: &mut Vec<Alert>) {}

    fn evict(&mut self, now: i64, _out: &mut Vec<Alert>) {
        // The next leg would drop every flow older than the window anyway.
        let since = now - self.p.window_secs;
        self.state
            .retain(|_, st| st.last().is_some_and(|t| t >= since));
    }
}
