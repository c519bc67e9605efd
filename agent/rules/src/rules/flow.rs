//! Per-account flow rules: large_value, structuring, pass_through, round_amount, dormant,
//! high_risk_country. State per account is bounded by each rule's window.

use super::HashMap;
use super::{Detector, Leg, alert, excess_score};
use crate::model::{Alert, Channel, CustomerKind, RuleId};
use crate::params::{Dormant, HighRiskCountry, LargeValue, PassThrough, RoundAmount, Structuring};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

/// PBOC category of a leg.
fn category(leg: &Leg) -> &'static str {
    let company = leg.kind == Some(CustomerKind::Company);
    match (leg.channel, company) {
        (Channel::Cash, _) => "cash",
        (_, true) => "company_transfer",
        (Channel::CrossBorder, false) => "individual_cross_border",
        (_, false) => "individual_transfer",
    }
}

#[derive(Default)]
#[allow(clippy::type_complexity)]
struct Day {
    date: Option<NaiveDate>,
    /// Epoch seconds of the account's last leg.
    last: i64,
    /// (direction, category, currency) -> (sum, txn ids)
    buckets: BTreeMap<(&'static str, &'static str, Rc<str>), (Decimal, Vec<String>)>,
}

pub(crate) struct LargeValueRule {
    p: LargeValue,
    days: HashMap<Rc<str>, Day>,
}

impl LargeValueRule {
    pub fn new(p: LargeValue) -> Self {
        LargeValueRule {
            p,
            days: HashMap::default(),
        }
    }

    fn flush(p: &LargeValue, account: &str, day: &mut Day, out: &mut Vec<Alert>) {
        let Some(date) = day.date else { return };
        for ((dir, cat, cur), (sum, ids)) in std::mem::take(&mut day.buckets) {
            let table = match cat {
                "cash" => &p.cash,
                "company_transfer" => &p.company_transfer,
                "individual_cross_border" => &p.individual_cross_border,
                _ => &p.individual_transfer,
            };
            let Some(th) = table.get(&*cur) else { continue };
            if sum >= *th {
                let (en_dir, zh_dir) = if dir == "in" {
                    ("received", "收入")
                } else {
                    ("paid", "支出")
                };
                out.push(alert(
                    RuleId::LargeValue,
                    account,
                    ids,
                    vec![],
                    excess_score(sum, *th),
                    format!("On {date} account {account} {en_dir} {sum} {cur} in {cat} transactions, at or above the PBOC large-value threshold of {th} {cur}."),
                    format!("账户 {account} 于 {date} {zh_dir} {cat} 合计 {sum} {cur}，达到人民银行大额交易报告标准 {th} {cur}。"),
                    json!({"date": date.to_string(), "direction": dir, "category": cat, "currency": &*cur, "sum": sum.to_string(), "threshold": th.to_string()}),
                ));
            }
        }
    }
}

impl Detector for LargeValueRule {
    fn leg(&mut self, leg: &Leg, out: &mut Vec<Alert>) {
        if !leg.own {
            return;
        }
        let date = leg.local.date();
        let day = self.days.entry(leg.account.clone()).or_default();
        if day.date != Some(date) {
            Self::flush(&self.p, &leg.account, day, out);
            day.date = Some(date);
        }
        let dir = if leg.amount.is_sign_negative() {
            "out"
        } else {
            "in"
        };
        let b = day
            .buckets
            .entry((dir, category(leg), leg.currency.clone()))
            .or_default();
        b.0 += leg.amount.abs();
        b.1.push(leg.id.to_string());
        day.last = leg.ts;
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        for (account, day) in self.days.iter_mut() {
            Self::flush(&self.p, account, day, out);
        }
    }

    fn evict(&mut self, now: i64, out: &mut Vec<Alert>) {
        // Two days idle: whatever the zone, the account's next leg falls on a later local day,
        // which would flush this day exactly as here.
        let p = &self.p;
        self.days.retain(|account, day| {
            if day.last >= now - 2 * 86_400 {
                return true;
            }
            Self::flush(p, account, day, out);
            false
        });
    }
}

/// A burst: qualifying legs within a window; once enough, an open episode that keeps growing
/// while further pieces arrive within the window of the last one.
#[derive(Default)]
#[allow(clippy::type_complexity)]
struct Burst {
    window: VecDeque<(i64, String, Decimal)>,
    episode: Option<(Vec<(i64, String, Decimal)>, i64)>,
}

impl Burst {
    /// Add a piece; returns a finished episode when a new one starts after it.
    fn push(
        &mut self,
        ts: i64,
        id: String,
        amt: Decimal,
        window: i64,
        ready: impl Fn(&VecDeque<(i64, String, Decimal)>) -> bool,
    ) -> Option<Vec<(i64, String, Decimal)>> {
        let mut done = None;
        if let Some((pieces, last)) = &mut self.episode {
            if ts - *last <= window {
                pieces.push((ts, id, amt));
                *last = ts;
                return None;
            }
            done = self.episode.take().map(|(p, _)| p);
        }
        while self.window.front().is_some_and(|f| ts - f.0 > window) {
            self.window.pop_front();
        }
        self.window.push_back((ts, id, amt));
        if ready(&self.window) {
            let pieces: Vec<_> = self.window.drain(..).collect();
            self.episode = Some((pieces, ts));
        }
        done
    }
}

impl Burst {
    /// Newest piece held, in window or episode.
    fn last(&self) -> i64 {
        let w = self.window.back().map_or(i64::MIN, |f| f.0);
        w.max(self.episode.as_ref().map_or(i64::MIN, |e| e.1))
    }
}

#[allow(clippy::type_complexity)]
/// Remove bursts idle longer than `window` before `now`, returning their finished episodes: the
/// next piece would close the episode and empty the window anyway.
fn evict_bursts(
    bursts: &mut HashMap<BurstKey, Burst>,
    now: i64,
    window: i64,
) -> Vec<(BurstKey, Vec<(i64, String, Decimal)>)> {
    let mut done = Vec::new();
    bursts.retain(|k, b| {
        if now - b.last() <= window {
            return true;
        }
        if let Some((p, _)) = b.episode.take() {
            done.push((k.clone(), p));
        }
        false
    });
    done
}

type BurstKey = (Rc<str>, Rc<str>, bool);

pub(crate) struct StructuringRule {
    p: Structuring,
    bursts: HashMap<BurstKey, Burst>,
}

impl StructuringRule {
    pub fn new(p: Structuring) -> Self {
        StructuringRule {
            p,
            bursts: HashMap::default(),
        }
    }

    fn emit(&self, key: &BurstKey, pieces: Vec<(i64, String, Decimal)>, out: &mut Vec<Alert>) {
        let Some(th) = self.p.threshold.get(&*key.1) else {
            return;
        };
        let sum: Decimal = pieces.iter().map(|p| p.2).sum();
        let n = pieces.len();
        let (account, cur) = (&*key.0, &*key.1);
        let kind = if key.2 { "withdrawals" } else { "deposits" };
        out.push(alert(
            RuleId::Structuring,
            account,
            pieces.into_iter().map(|p| p.1).collect(),
            vec![],
            excess_score(sum, *th),
            format!("Account {account} made {n} cash {kind} totalling {sum} {cur}, each between {}% and {}% of the {th} {cur} reporting threshold, within {} days of each other — consistent with splitting cash to avoid a large-value report.", self.p.min_share * Decimal::ONE_HUNDRED, self.p.max_share * Decimal::ONE_HUNDRED, self.p.window_secs / 86_400),
            format!("账户 {account} 在短期内进行了 {n} 笔现金{}，合计 {sum} {cur}，每笔均略低于 {th} {cur} 的大额报告标准，疑似拆分交易以规避大额报告。", if key.2 { "支取" } else { "存入" }),
            json!({"count": n, "sum": sum.to_string(), "threshold": th.to_string(), "currency": cur, "window_secs": self.p.window_secs}),
        ));
    }
}

impl Detector for StructuringRule {
    fn leg(&mut self, leg: &Leg, out: &mut Vec<Alert>) {
        if !leg.own || leg.channel != Channel::Cash {
            return;
        }
        let Some(th) = self.p.threshold.get(&*leg.currency).copied() else {
            return;
        };
        let amt = leg.amount.abs();
        if amt < th * self.p.min_share || amt > th * self.p.max_share {
            return;
        }
        let key = (
            leg.account.clone(),
            leg.currency.clone(),
            leg.amount.is_sign_negative(),
        );
        let (min_count, window) = (self.p.min_count, self.p.window_secs);
        let done = self.bursts.entry(key.clone()).or_default().push(
            leg.ts,
            leg.id.to_string(),
            amt,
            window,
            |w| w.len() >= min_count && w.iter().map(|p| p.2).sum::<Decimal>() >= th,
        );
        if let Some(pieces) = done {
            self.emit(&key, pieces, out);
        }
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        let bursts = std::mem::take(&mut self.bursts);
        for (key, b) in bursts {
            if let Some((pieces, _)) = b.episode {
                self.emit(&key, pieces, out);
            }
        }
    }

    fn evict(&mut self, now: i64, out: &mut Vec<Alert>) {
        for (key, pieces) in evict_bursts(&mut self.bursts, now, self.p.window_secs) {
            self.emit(&key, pieces, out);
        }
    }
}

pub(crate) struct RoundAmountRule {
    p: RoundAmount,
    bursts: HashMap<BurstKey, Burst>,
}

impl RoundAmountRule {
    pub fn new(p: RoundAmount) -> Self {
        RoundAmountRule {
            p,
            bursts: HashMap::default(),
        }
    }

    fn emit(key: &BurstKey, pieces: Vec<(i64, String, Decimal)>, out: &mut Vec<Alert>) {
        let n = pieces.len();
        let sum: Decimal = pieces.iter().map(|p| p.2).sum();
        let (account, cur) = (&*key.0, &*key.1);
        out.push(alert(
            RuleId::RoundAmount,
            account,
            pieces.into_iter().map(|p| p.1).collect(),
            vec![],
            0.4,
            format!("Account {account} moved {n} large round amounts totalling {sum} {cur} within a short period."),
            format!("账户 {account} 短期内发生 {n} 笔大额整数金额交易，合计 {sum} {cur}。"),
            json!({"count": n, "sum": sum.to_string(), "currency": cur}),
        ));
    }
}

impl Detector for RoundAmountRule {
    fn leg(&mut self, leg: &Leg, out: &mut Vec<Alert>) {
        let Some(m) = self.p.multiple.get(&*leg.currency).copied() else {
            return;
        };
        let amt = leg.amount.abs();
        if !leg.own || amt < m || !(amt % m).is_zero() {
            return;
        }
        let key = (leg.account.clone(), leg.currency.clone(), false);
        let min_count = self.p.min_count;
        if let Some(p) = self.bursts.entry(key.clone()).or_default().push(
            leg.ts,
            leg.id.to_string(),
            amt,
            self.p.window_secs,
            |w| w.len() >= min_count,
        ) {
            Self::emit(&key, p, out);
        }
    }

    fn finish(&mut self, out: &mut Vec<Alert>) {
        for (key, b) in std::mem::take(&mut self.bursts) {
            if let Some((p, _)) = b.episode {
                Self::emit(&key, p, out);
            }
        }
    }

    fn evict(&mut self, now: i64, out: &mut Vec<Alert>) {
        for (key, p) in evict_bursts(&mut self.bursts, now, self.p.window_secs) {
            Self::emit(&key, p, out);
        }
    }
}

struct Watch {
    ts: i64,
    id: String,
    amount: Decimal,
    outs: Vec<String>,
    out_sum: Decimal,
}

#[derive(Default)]
struct PassState {
    balance: Decimal,
    watches: VecDeque<Watch>,
}

/// Open inflows per account are capped so a busy account cannot grow state without bound.
const MAX_WATCHES: usize = 256;

pub(crate) struct PassThroughRule {
    p: PassThrough,
    state: HashMap<(Rc<str>, Rc<str>), PassState>,
}

impl PassThroughRule {
    pub fn new(p: PassThrough) -> Self {
        PassThroughRule {
            p,
            state: HashMap::default(),
        }
    }
}

impl Detector for PassThroughRule {
    fn leg(&mut self, leg: &Leg, out: &mut Vec<Alert>) {
        let key = (leg.account.clone(), leg.currency.clone());
        let st = self.state.entry(key).or_default();
        st.balance += leg.amount;
        let window = self.p.window_secs;
        while st.watches.front().is_some_and(|w| leg.ts - w.ts > window) {
            st.watches.pop_front();
        }
        if leg.amount.is_sign_positive() {
            if self
                .p
                .min_inflow
                .get(&*leg.currency)
                .is_some_and(|m| leg.amount >= *m)
            {
                if st.watches.len() == MAX_WATCHES {
                    st.watches.pop_front();
                }
                st.watches.push_back(Watch {
                    ts: leg.ts,
                    id: leg.id.to_string(),
                    amount: leg.amount,
                    outs: Vec::new(),
                    out_sum: Decimal::ZERO,
                });
            }
            return;
        }
        let remaining = st.balance.max(Decimal::ZERO);
        let mut hit: Vec<Watch> = Vec::new();
        let mut keep = VecDeque::new();
        for mut w in st.watches.drain(..) {
            w.outs.push(leg.id.to_string());
            w.out_sum -= leg.amount;
            if w.out_sum >= w.amount * self.p.min_out_share
                && remaining <= w.amount * self.p.max_remaining_share
            {
                hit.push(w);
            } else {
                keep.push_back(w);
            }
        }
        st.watches = keep;
        if hit.is_empty() {
            return;
        }
        let inflow: Decimal = hit.iter().map(|w| w.amount).sum();
        let out_sum = hit.iter().map(|w| w.out_sum).max().unwrap_or_default();
        let mut ids: Vec<String> = hit.iter().map(|w| w.id.clone()).collect();
        // The earliest watch saw every later outflow, so its list is the union.
        ids.extend(hit[0].outs.iter().cloned());
        let hours = (leg.ts - hit[0].ts) / 3600;
        let (account, cur) = (&*leg.account, &*leg.currency);
        out.push(alert(
            RuleId::PassThrough,
            account,
            ids,
            vec![],
            excess_score(out_sum, inflow),
            format!("Account {account} received {inflow} {cur} and paid out {out_sum} {cur} within {hours} hours, leaving {remaining} {cur} — money passing straight through."),
            format!("账户 {account} 收到 {inflow} {cur} 后 {hours} 小时内转出 {out_sum} {cur}，余额仅剩 {remaining} {cur}，呈快进快出特征。"),
            json!({"inflow": inflow.to_string(), "outflow": out_sum.to_string(), "remaining": remaining.to_string(), "currency": cur, "hours": hours}),
        ));
    }

    fn finish(&mut self, _out: &mut Vec<Alert>) {}

    fn evict(&mut self, now: i64, _out: &mut Vec<Alert>) {
        // The balance decides future alerts, so only a zero-balance state equals a fresh one;
        // others keep just the balance once their inflows have expired.
        let window = self.p.window_secs;
        self.state.retain(|_, st| {
            while st.watches.front().is_some_and(|w| now - w.ts > window) {
                st.watches.pop_front();
            }
            if st.watches.is_empty() {
                st.watches = VecDeque::new();
            }
            !(st.watches.is_empty() && st.balance.is_zero())
        });
    }
}

pub(crate) struct DormantRule {
    p: Dormant,
    last: HashMap<Rc<str>, i64>,
}

impl DormantRule {
    pub fn new(p: Dormant) -> Self {
        DormantRule {
            p,
            last: HashMap::default(),
        }
    }
}

impl Detector for DormantRule {
    fn leg(&mut self, leg: &Leg, out: &mut Vec<Alert>) {
        let prev = self.last.insert(leg.account.clone(), leg.ts);
        let Some(prev) = prev else { return };
        let big = self
            .p
            .min_amount
            .get(&*leg.currency)
            .is_some_and(|m| leg.amount.abs() >= *m);
        if leg.ts - prev >= self.p.idle_secs && big {
            let days = (leg.ts - prev) / 86_400;
            let (account, amt, cur) = (&*leg.account, leg.amount, &*leg.currency);
            out.push(alert(
                RuleId::Dormant,
                account,
                vec![leg.id.to_string()],
                vec![],
                0.5,
                format!("Account {account} was inactive for {days} days, then moved {amt} {cur}."),
                format!("账户 {account} 连续 {days} 天无交易后突然发生 {amt} {cur} 的交易。"),
                json!({"idle_days": days, "amount": amt.to_string(), "currency": cur}),
            ));
        }
    }

    fn finish(&mut self, _out: &mut Vec<Alert>) {}
}

pub(crate) struct HighRiskRule {
    p: HighRiskCountry,
}

impl HighRiskRule {
    pub fn new(p: HighRiskCountry) -> Self {
        HighRiskRule { p }
    }
}

impl Detector for HighRiskRule {
    fn leg(&mut self, leg: &Leg, out: &mut Vec<Alert>) {
        let Some(c) = &leg.counterparty_country else {
            return;
        };
        if !leg.own || !self.p.countries.iter().any(|x| x.as_str() == &**c) {
            return;
        }
        let (account, amt, cur) = (&*leg.account, leg.amount, &*leg.currency);
        out.push(alert(
            RuleId::HighRiskCountry,
            account,
            vec![leg.id.to_string()],
            leg.counterparty.iter().map(|c| c.to_string()).collect(),
            0.6,
            format!("Account {account} moved {amt} {cur} with a counterparty in {c}, listed as high-risk (list of {}).", self.p.list_date),
            format!("账户 {account} 与高风险国家或地区 {c} 的交易对手发生 {amt} {cur} 的交易（名单日期 {}）。", self.p.list_date),
            json!({"country": &**c, "list_date": self.p.list_date}),
        ));
    }

    fn finish(&mut self, _out: &mut Vec<Alert>) {}
}
