//! fan_in and fan_out: many distinct parties on one side of an account, few on the other, within
//! a window. State per account is the window's legs only.

use super::HashMap;
use super::{Detector, Leg, alert, excess_score};
use crate::model::{Alert, Channel, RuleId};
use crate::params::Fan;
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::VecDeque;
use std::rc::Rc;

struct Flow {
    ts: i64,
    id: Rc<str>,
    party: Rc<str>,
    amount: Decimal,
}

#[derive(Default)]
struct State {
    ins: VecDeque<Flow>,
    outs: VecDeque<Flow>,
}

pub(crate) struct FanRule {
    p: Fan,
    /// `true` for fan_in (many payers in, few payees out).
    inward: bool,
    state: HashMap<(Rc<str>, Rc<str>), State>,
}

/// The `k` parties with most money, their total and their flows.
fn top_parties<'a>(flows: impl Iterator<Item = &'a Flow>, k: usize) -> (Decimal, Vec<Rc<str>>) {
    let mut by: HashMap<Rc<str>, Decimal> = HashMap::default();
    for f in flows {
        *by.entry(f.party.clone()).or_default() += f.amount;
    }
    let mut v: Vec<_> = by.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(k);
    (
        v.iter().map(|x| x.1).sum(),
        v.into_iter().map(|x| x.0).collect(),
    )
}

impl FanRule {
    pub fn new(p: Fan, inward: bool) -> Self {
        FanRule {
            p,
            inward,
            state: HashMap::default(),
        }
    }

    #[allow(clippy::type_complexity)]
    fn check(&self, st: &State) -> Option<(Vec<Rc<str>>, Vec<String>, Decimal, Decimal, usize)> {
        let (many, few) = if self.inward {
            (&st.ins, &st.outs)
        } else {
            (&st.outs, &st.ins)
        };
        // fan_out: only what was paid out after the funding arrived counts.
        let since = if self.inward {
            i64::MIN
        } else {
            few.front()?.ts
        };
        let many: VecDeque<&Flow> = many.iter().filter(|f| f.ts >= since).collect();
        let first = many.front()?.ts;
        let mut parties: Vec<&Rc<str>> = many.iter().map(|f| &f.party).collect();
        parties.sort();
        parties.dedup();
        if parties.len() < self.p.min_many {
            return None;
        }
        let many_sum: Decimal = many.iter().map(|f| f.amount).sum();
        let mut ids: Vec<(i64, String)> = many.iter().map(|f| (f.ts, f.id.to_string())).collect();
        let n = parties.len();
        let mut others: Vec<Rc<str>> = parties.into_iter().cloned().collect();
        if self.p.min_share.is_zero() {
            ids.sort();
            return Some((
                others,
                ids.into_iter().map(|x| x.1).collect(),
                many_sum,
                Decimal::ZERO,
                n,
            ));
        }
        // fan_in: the few payees act after the money arrived; fan_out: the few payers funded it.
        let few_flows: Vec<&Flow> = if self.inward {
            few.iter().filter(|f| f.ts >= first).collect()
        } else {
            few.iter().collect()
        };
        let (few_sum, top) = top_parties(few_flows.iter().copied(), self.p.max_few);
        let ok = if self.inward {
            !few_sum.is_zero() && few_sum >= many_sum * self.p.min_share
        } else {
            !few_sum.is_zero() && many_sum >= few_sum * self.p.min_share
        };
        if !ok {
            return None;
        }
        ids.extend(
            few_flows
                .iter()
                .filter(|f| top.contains(&f.party))
                .map(|f| (f.ts, f.id.to_string())),
        );
        ids.sort();
        others.extend(top);
        Some((
            others,
            ids.into_iter().map(|x| x.1).collect(),
            many_sum,
            few_sum,
            n,
        ))
    }
}

impl Detector for FanRule {
    fn leg(&mut self, leg: &Leg, out: &mut Vec<Alert>) {
        // Card payments to merchants are spending, not distribution or collection of funds.
        if matches!(leg.channel, Channel::Card | Channel::Cash) {
            return;
        }
        let Some(party) = leg.counterparty.clone() else {
            return;
        };
        let window = self.p.window_secs;
        let st = self
            .state
            .entry((leg.account.clone(), leg.currency.clone()))
            .or_default();
        for q in [&mut st.ins, &mut st.outs] {
            while q.front().is_some_and(|f| leg.ts - f.ts > window) {
                q.pop_front();
            }
        }
        let flow = Flow {
            ts: leg.ts,
            id: leg.id.clone(),
            party,
            amount: leg.amount.abs(),
        };
        if leg.amount.is_sign_positive() {
            st.ins.push_back(flow);
        } else {
            st.outs.push_back(flow);
        }
        let st = &self.state[&(leg.account.clone(), leg.currency.clone())];
        let Some((others, ids, many_sum, few_sum, n)) = self.check(st) else {
            return;
        };
        let (account, cur) = (&*leg.account, &*leg.currency);
        let (rule, en, zh) = if self.inward {
            (
                RuleId::FanIn,
                format!(
                    "Account {account} received {many_sum} {cur} from {n} distinct payers, and {few_sum} {cur} of it went on to at most {} payees within {} days — collecting and consolidating funds.",
                    self.p.max_few,
                    window / 86_400
                ),
                format!(
                    "账户 {account} 在 {} 天内从 {n} 个不同付款人处收到 {many_sum} {cur}，随后其中 {few_sum} {cur} 集中转给不超过 {} 个收款人，呈分散转入、集中转出特征。",
                    window / 86_400,
                    self.p.max_few
                ),
            )
        } else {
            (
                RuleId::FanOut,
                format!(
                    "Account {account} was funded with {few_sum} {cur} by at most {} payers and paid {many_sum} {cur} out to {n} distinct payees within {} days — distributing funds.",
                    self.p.max_few,
                    window / 86_400
                ),
                format!(
                    "账户 {account} 在 {} 天内由不超过 {} 个付款人转入 {few_sum} {cur}，随后向 {n} 个不同收款人转出 {many_sum} {cur}，呈集中转入、分散转出特征。",
                    window / 86_400,
                    self.p.max_few
                ),
            )
        };
        let a = alert(
            rule,
            account,
            ids,
            others.iter().map(|s| s.to_string()).collect(),
            excess_score(Decimal::from(n), Decimal::from(self.p.min_many)),
            en,
            zh,
            json!({"parties": n, "many_sum": many_sum.to_string(), "few_sum": few_sum.to_string(), "currency": cur, "window_secs": window}),
        );
        out.push(a);
        // The episode is reported; start afresh so the same flows do not alert again.
        if let Some(st) = self
            .state
            .get_mut(&(leg.account.clone(), leg.currency.clone()))
        {
            st.ins.clear();
            st.outs.clear();
        }
    }

    fn finish(&mut self, _out: &mut Vec<Alert>) {}

    fn evict(&mut self, now: i64, _out: &mut Vec<Alert>) {
        // The next leg would drop every flow older than the window anyway.
        let since = now - self.p.window_secs;
        self.state.retain(|_, st| {
            let last = st
                .ins
                .back()
                .map(|f| f.ts)
                .max(st.outs.back().map(|f| f.ts));
            last.is_some_and(|t| t >= since)
        });
    }
}
