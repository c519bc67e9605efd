//! The rule detectors: each keeps bounded, time-windowed state per account and turns legs into
//! alerts. Detectors only see legs in time order; they never look ahead or do I/O.

pub(crate) mod collection;
pub(crate) mod cycle;
pub(crate) mod fan;
pub(crate) mod flow;
pub(crate) mod late_night;
pub(crate) mod velocity;

use crate::model::{Alert, Channel, CustomerKind, RuleId};
use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

/// A fast, deterministic hasher for the per-account maps (FxHash, as in rustc): the maps hold an
/// entry per active account, and SipHash's cost dominated the lookups. Account ids come from the
/// bank's own files, not from an adversary probing collisions.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // The multiply leaves its entropy in the high bits; the table indexes by the low ones
        // (rustc-hash 2 does the same rotation).
        self.0.rotate_left(26)
    }
}

/// `HashMap` with [`FxHasher`].
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FxHasher>>;
/// `HashSet` with [`FxHasher`].
pub(crate) type HashSet<K> = std::collections::HashSet<K, BuildHasherDefault<FxHasher>>;

/// One side of a transaction as seen from `account`.
pub(crate) struct Leg {
    pub id: Rc<str>,
    pub account: Rc<str>,
    pub counterparty: Option<Rc<str>>,
    /// Signed: positive into `account`.
    pub amount: Decimal,
    pub currency: Rc<str>,
    pub channel: Channel,
    /// Seconds since the epoch.
    pub ts: i64,
    /// Wall-clock time in the pack's zone.
    pub local: NaiveDateTime,
    pub kind: Option<CustomerKind>,
    pub counterparty_country: Option<Rc<str>>,
    /// Booked on `account` in the input (not derived from the counterparty's side).
    pub own: bool,
}

/// A rule's streaming state.
pub(crate) trait Detector {
    fn leg(&mut self, leg: &Leg, out: &mut Vec<Alert>);
    fn finish(&mut self, out: &mut Vec<Alert>);
    /// Drop the state of accounts idle so long (before `now`, epoch seconds) that a fresh state
    /// would screen their next leg identically; alerts that state still held are emitted. Called
    /// once per day of input so memory follows activity, not the number of accounts ever seen.
    fn evict(&mut self, _now: i64, _out: &mut Vec<Alert>) {}
}

/// Build an alert with its deterministic id.
#[allow(clippy::too_many_arguments)]
pub(crate) fn alert(
    rule: RuleId,
    subject: &str,
    txns: Vec<String>,
    mut accounts: Vec<String>,
    score: f64,
    en: String,
    zh: String,
    params: serde_json::Value,
) -> Alert {
    let first = txns.first().cloned().unwrap_or_default();
    accounts.retain(|a| a != subject);
    let mut seen = HashSet::default();
    accounts.retain(|a| seen.insert(a.clone()));
    accounts.insert(0, subject.to_owned());
    Alert {
        id: format!("A-{rule}-{subject}-{first}"),
        rule,
        subject: subject.to_owned(),
        score: score.clamp(0.0, 1.0),
        transactions: txns,
        accounts,
        explanation_en: en,
        explanation_zh: zh,
        params,
    }
}

/// Score from how far a measure exceeds its threshold: 0.5 at the threshold, 1.0 at twice it.
pub(crate) fn excess_score(measure: Decimal, threshold: Decimal) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
    let r = crate::pack::share(measure, threshold)
        .to_f64()
        .unwrap_or(1.0);
    (0.5 * r).clamp(0.0, 1.0)
}
