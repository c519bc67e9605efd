//! late_night: days on which most of an account's activity falls at night with many
//! counterparties, repeated within a span of days. State per account: one day and the window.

use super::{Detector, Leg, alert};
use super::{HashMap, HashSet};
use crate::model::{Alert, RuleId};
use crate::params::LateNight;
use chrono::{NaiveDate, Timelike};
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::VecDeque;
use std::rc::Rc;

#[derive(Default)]
struct State {
    date: Option<NaiveDate>,
    /// Epoch seconds of the account's last leg.
    last: i64,
    total: usize,
    night: Vec<String>,
    cps: HashSet<Rc<str>>,
    days: VecDeque<(NaiveDate, Vec<String>)>,
    episode: Option<Vec<(NaiveDate, Vec<String>)>>,
}

pub(crate) struct LateNightRule {
    p: LateNight,
    state: HashMap<Rc<str>, State>,
}

impl LateNightRule {
    pub fn new(p: LateNight) -> Self {
        LateNightRule {
            p,
            state: HashMap::default(),
        }
    }

    fn emit(
        p: &LateNight,
        account: &str,
        days: Vec<(NaiveDate, Vec<String>)>,
        out: &mut Vec<Alert>,
    ) {
        let n = days.len();
        let list: Vec<String> = days.iter().map(|d| d.0.to_string()).collect();
        let ids: Vec<String> = days.into_iter().flat_map(|d| d.1).collect();
        out.push(alert(
            RuleId::LateNight,
            account,
            ids,
            vec![],
            (0.5 + 0.1 * (n.saturating_sub(p.min_days)) as f64).min(1.0),
            format!("Account {account} did most of its business at night ({:02}:{:02}–{:02}:{:02}) with many different counterparties on {n} days ({}) — a pattern typical of gambling and fraud collection accounts.", p.night_start_min / 60, p.night_start_min % 60, p.night_end_min / 60, p.night_end_min % 60, list.join(", ")),
            format!("账户 {account} 在 {n} 天（{}）内的交易主要发生在夜间且交易对手众多，符合赌博、诈骗资金归集账户的特征。", list.join("、")),
            json!({"days": list, "min_night_txns": p.min_night_txns, "min_counterparties": p.min_counterparties}),
        ));
    }

    fn close_day(p: &LateNight, account: &str, st: &mut State, out: &mut Vec<Alert>) {
        let Some(date) = st.date else { return };
        let night = std::mem::take(&mut st.night);
        let total = std::mem::take(&mut st.total);
        let cps = std::mem::take(&mut st.cps).len();
        let qualifies = night.len() >= p.min_night_txns
            && Decimal::from(night.len()) >= Decimal::from(total) * p.min_night_share
            && cps >= p.min_counterparties;
        if !qualifies {
            return;
        }
        let span = p.days_window_secs / 86_400;
        if let Some(ep) = &mut st.episode {
            if ep.last().is_some_and(|l| (date - l.0).num_days() < span) {
                ep.push((date, night));
                return;
            }
            if let Some(ep) = st.episode.take() {
                Self::emit(p, account, ep, out);
            }
        }
        st.days.push_back((date, night));
        while st
            .days
            .front()
            .is_some_and(|d| (date - d.0).num_days() >= span)
        {
            st.days.pop_front();
        }
        if st.days.len() >= p.min_days {
            st.episode = Some(st.days.drain(..).collect());
        }
    }
}

impl Detector for LateNightRule {
    fn leg(&mut self, leg: &Leg, out: &mut Vec<Alert>) {
        let date = leg.local.date();
        let st = self.state.entry(leg.account.clone()).or_default();
        if st.date != Some(date) {
            Self::close_day(&self.p, &leg.account, st, out);
            st.date = Some(date);
        }
        st.total += 1;
        st.last = leg.ts;
        let m = leg.local.hour() * 60 + leg.local.minute();
        if m >= self.p.night_start_min && m < self.p.night_end_min {
            st.night.push(leg.id.to_string());
            st.cps
                .insert(leg.counterparty.clone().unwrap_or_else(|| Rc::from("?")));
        }
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        for (account, st) in self.state.iter_mut() {
            Self::close_day(&self.p, account, st, out);
            if let Some(ep) = st.episode.take() {
                Self::emit(&self.p, account, ep, out);
            }
        }
    }
    fn evict(&mut self, now: i64, out: &mut Vec<Alert>) {
        // Idle longer than the days window (plus two days for any zone): its open day closes as
        // the next leg would close it, no later day can extend its episode, and every day it
        // remembers is too old to count, so a fresh state screens the next leg identically.
        let p = &self.p;
        let idle = p.days_window_secs + 2 * 86_400;
        self.state.retain(|account, st| {
            if st.last >= now - idle {
                return true;
            }
            Self::close_day(p, account, st, out);
            if let Some(ep) = st.episode.take() {
                Self::emit(p, account, ep, out);
            }
            false
        });
    }
}
