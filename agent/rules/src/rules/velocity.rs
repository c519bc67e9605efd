//! velocity: an account's volume in the recent window far above the median of its weekly
//! volumes over the baseline before it. State per (account, currency) is one total per active
//! day of the baseline and the window's legs; it never keeps more than window + baseline.

use super::HashMap;
use super::{Detector, Leg, alert, excess_score};
use crate::model::{Alert, RuleId};
use crate::params::Velocity;
use chrono::Datelike;
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::VecDeque;
use std::rc::Rc;

#[derive(Default)]
struct State {
    /// (local day number, volume that day), oldest first, within window + baseline.
    days: VecDeque<(i64, Decimal)>,
    /// The recent window's legs: (ts, id, |amount|).
    recent: VecDeque<(i64, Rc<str>, Decimal)>,
    recent_sum: Decimal,
    /// Median weekly baseline volume, cached for the day it was computed (it only depends on
    /// days before the window, which no longer change).
    median: Option<(i64, Decimal)>,
    /// No second alert until the window that alerted has passed.
    quiet_until: i64,
    last_ts: i64,
}

pub(crate) struct VelocityRule {
    p: Velocity,
    state: HashMap<(Rc<str>, Rc<str>), State>,
}

impl VelocityRule {
    pub fn new(p: Velocity) -> Self {
        VelocityRule {
            p,
            state: HashMap::default(),
        }
    }

    fn window_days(&self) -> i64 {
        (self.p.window_secs / 86_400).max(1)
    }

    /// Median of the whole weeks (of `window_days`) before the window ending on `today`.
    fn median(&self, days: &VecDeque<(i64, Decimal)>, today: i64) -> Decimal {
        let w = self.window_days();
        let weeks = (self.p.baseline_secs / 86_400 / w).max(1);
        let mut sums = vec![Decimal::ZERO; weeks as usize];
        for (d, v) in days {
            let k = (today - d) / w;
            if (1..=weeks).contains(&k) {
                sums[(k - 1) as usize] += *v;
            }
        }
        sums.sort();
        let n = sums.len();
        if n % 2 == 1 {
            sums[n / 2]
        } else {
            (sums[n / 2 - 1] + sums[n / 2]) / Decimal::TWO
        }
    }
}

impl Detector for VelocityRule {
    fn leg(&mut self, leg: &Leg, out: &mut Vec<Alert>) {
        let Some(floor) = self.p.min_volume.get(&*leg.currency).copied() else {
            return;
        };
        let today = i64::from(leg.local.date().num_days_from_ce());
        let w = self.window_days();
        let horizon = w + self.p.baseline_secs / 86_400;
        let key = (leg.account.clone(), leg.currency.clone());
        // Taken out and put back so `self.median` can borrow `self` meanwhile.
        let mut st = self.state.remove(&key).unwrap_or_default();
        let amt = leg.amount.abs();
        st.last_ts = leg.ts;
        while st.days.front().is_some_and(|(d, _)| today - d > horizon) {
            st.days.pop_front();
        }
        match st.days.back_mut() {
            Some((d, v)) if *d == today => *v += amt,
            _ => st.days.push_back((today, amt)),
        }
        while st
            .recent
            .front()
            .is_some_and(|f| leg.ts - f.0 >= self.p.window_secs)
        {
            if let Some(f) = st.recent.pop_front() {
                st.recent_sum -= f.2;
            }
        }
        st.recent.push_back((leg.ts, leg.id.clone(), amt));
        st.recent_sum += amt;
        // The floor is cheap to test; the median is computed (once a day) only past it.
        if leg.ts < st.quiet_until || st.recent_sum < floor {
            self.state.insert(key, st);
            return;
        }
        let median = match st.median {
            Some((d, m)) if d == today => m,
            _ => {
                let m = self.median(&st.days, today);
                st.median = Some((today, m));
                m
            }
        };
        let th = median * self.p.factor;
        if median > Decimal::ZERO && st.recent_sum >= th {
            st.quiet_until = leg.ts + self.p.window_secs;
            let (account, cur, vol) = (&*leg.account, &*leg.currency, st.recent_sum);
            let days = self.p.window_secs / 86_400;
            let base = self.p.baseline_secs / 86_400;
            out.push(alert(
                RuleId::Velocity,
                account,
                st.recent.iter().map(|f| f.1.to_string()).collect(),
                vec![],
                excess_score(vol, th),
                format!("Account {account} moved {vol} {cur} in {days} days, at least {} times its median weekly volume of {median} {cur} over the previous {base} days.", self.p.factor),
                format!("账户 {account} 在 {days} 天内交易额达 {vol} {cur}，为此前 {base} 天每周交易额中位数 {median} {cur} 的 {} 倍以上，交易频率和金额突增。", self.p.factor),
                json!({"volume": vol.to_string(), "median_weekly": median.to_string(), "factor": self.p.factor.to_string(), "currency": cur, "window_secs": self.p.window_secs, "baseline_secs": self.p.baseline_secs}),
            ));
        }
        self.state.insert(key, st);
    }

    fn evict(&mut self, now: i64, _out: &mut Vec<Alert>) {
        // Idle past window + baseline: every retained day is outside the horizon, so a fresh
        // state screens the next leg exactly as the old one would.
        let horizon = self.p.window_secs + self.p.baseline_secs + 2 * 86_400;
        self.state.retain(|_, st| now - st.last_ts <= horizon);
    }

    fn finish(&mut self, _out: &mut Vec<Alert>) {}
}
