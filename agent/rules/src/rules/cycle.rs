//! cycle (round-tripping): when a transfer arrives at an account, search backwards through
//! earlier transfers, in time order and within the window, for a path that started at that same
//! account. The search is bounded by hop count and an expansion budget, never by wall time.

use super::HashMap;
use super::{Detector, Leg, alert};
use crate::model::{Alert, RuleId};
use crate::params::Cycle;
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::VecDeque;
use std::rc::Rc;

struct Edge {
    from: Rc<str>,
    ts: i64,
    amount: Decimal,
    id: Rc<str>,
}

pub(crate) struct CycleRule {
    p: Cycle,
    /// Incoming transfers per account, oldest first, within the window.
    incoming: HashMap<Rc<str>, VecDeque<Edge>>,
}

struct Search<'a> {
    p: &'a Cycle,
    incoming: &'a HashMap<Rc<str>, VecDeque<Edge>>,
    origin: &'a str,
    closing_amount: Decimal,
    since: i64,
    budget: usize,
    /// Edges from the closing one backwards.
    path: Vec<&'a Edge>,
}

impl<'a> Search<'a> {
    /// Depth-first backwards from `node`, using edges no later than `bound`.
    fn from(&mut self, node: &str, bound: i64) -> bool {
        let Some(edges) = self.incoming.get(node) else {
            return false;
        };
        for e in edges.iter().rev() {
            if e.ts > bound {
                continue;
            }
            if e.ts < self.since || self.budget == 0 {
                return false;
            }
            self.budget -= 1;
            // Edges so far: the closing one, the path, and `e`.
            let hops = self.path.len() + 2;
            if &*e.from == self.origin {
                if hops >= self.p.min_hops
                    && self.closing_amount >= e.amount * self.p.min_return_share
                {
                    self.path.push(e);
                    return true;
                }
                continue;
            }
            if hops >= self.p.max_hops || self.path.iter().any(|p| p.from == e.from) {
                continue;
            }
            self.path.push(e);
            if self.from(&e.from, e.ts) {
                return true;
            }
            self.path.pop();
        }
        false
    }
}

impl CycleRule {
    pub fn new(p: Cycle) -> Self {
        CycleRule {
            p,
            incoming: HashMap::default(),
        }
    }
}

impl Detector for CycleRule {
    fn leg(&mut self, leg: &Leg, out: &mut Vec<Alert>) {
        let Some(cp) = &leg.counterparty else { return };
        if !leg.own || leg.amount.is_zero() {
            return;
        }
        let (from, to) = if leg.amount.is_sign_negative() {
            (leg.account.clone(), cp.clone())
        } else {
            (cp.clone(), leg.account.clone())
        };
        if from == to {
            return;
        }
        let since = leg.ts - self.p.window_secs;
        if let Some(q) = self.incoming.get_mut(&from) {
            while q.front().is_some_and(|e| e.ts < since) {
                q.pop_front();
            }
        }
        let amount = leg.amount.abs();
        let mut s = Search {
            p: &self.p,
            incoming: &self.incoming,
            origin: &to,
            closing_amount: amount,
            since,
            budget: self.p.max_expansions,
            path: Vec::new(),
        };
        if s.from(&from, leg.ts) {
            let mut ids: Vec<String> = s.path.iter().rev().map(|e| e.id.to_string()).collect();
            ids.push(leg.id.to_string());
            let mut accounts: Vec<String> =
                s.path.iter().rev().map(|e| e.from.to_string()).collect();
            accounts.push(from.to_string());
            let hops = ids.len();
            let first = s.path.last().map_or(amount, |e| e.amount);
            let chain = accounts.join(" → ");
            let cur = &*leg.currency;
            out.push(alert(
                RuleId::Cycle,
                &to,
                ids,
                accounts,
                (1.0 - 0.1 * (hops as f64 - 2.0)).clamp(0.5, 1.0),
                format!("Funds left account {to} ({first} {cur}) and came back ({amount} {cur}) through {hops} transfers: {chain} → {to} — round-tripping."),
                format!("资金从账户 {to} 转出（{first} {cur}），经 {hops} 笔转账（{chain} → {to}）后回流至该账户，疑似资金循环。"),
                json!({"hops": hops, "first_amount": first.to_string(), "returned_amount": amount.to_string(), "currency": cur}),
            ));
        }
        let q = self.incoming.entry(to).or_default();
        while q.front().is_some_and(|e| e.ts < since) {
            q.pop_front();
        }
        q.push_back(Edge {
            from,
            ts: leg.ts,
            amount,
            id: leg.id.clone(),
        });
    }

    fn finish(&mut self, _out: &mut Vec<Alert>) {}

    fn evict(&mut self, now: i64, _out: &mut Vec<Alert>) {
        // A search stops at the first edge older than the window, so such edges never count.
        let since = now - self.p.window_secs;
        self.incoming
            .retain(|_, q| q.back().is_some_and(|e| e.ts >= since));
    }
}
