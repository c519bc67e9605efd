//! Balance-driven interpretation of a transaction table: a header (or a column's content)
//! proposes which money column is the debit and which the credit, and whether a single amount
//! column is signed from the holder's side; the printed running balances decide. Every plausible
//! reading of the money columns is built, the one whose running balances hold best wins, and the
//! reader reports which reading won and what confirmed it. This module never changes where the
//! columns are (the layout and sheet readers do) and never accepts a reading the arithmetic
//! contradicts when a better one exists.

use crate::checks;
use crate::table;
use crate::vocab::Role;
use rust_decimal::Decimal;

/// One way to read the money columns of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hypothesis {
    /// The header's (or the content's) own reading.
    AsNamed,
    /// The columns named debit and credit hold the other side.
    SidesSwapped,
    /// Two unsigned amount columns: the first is money in, the second money out.
    FirstIn,
    /// Two unsigned amount columns: the first is money out, the second money in.
    FirstOut,
    /// A single amount column printed from the bank's side: signs reversed.
    Negated,
}

impl Hypothesis {
    /// Every reading, the header's own first (it wins ties).
    pub const ALL: [Hypothesis; 5] = [
        Hypothesis::AsNamed,
        Hypothesis::SidesSwapped,
        Hypothesis::FirstIn,
        Hypothesis::FirstOut,
        Hypothesis::Negated,
    ];

    /// What the reading says, for the report.
    pub fn label(self) -> &'static str {
        match self {
            Hypothesis::AsNamed => "money columns as named",
            Hypothesis::SidesSwapped => "debit and credit columns swapped",
            Hypothesis::FirstIn => "first amount column money in, second money out",
            Hypothesis::FirstOut => "first amount column money out, second money in",
            Hypothesis::Negated => "amounts printed from the bank's side (signs reversed)",
        }
    }

    /// The roles under this reading, or `None` when it does not apply to `roles`.
    pub fn apply(self, roles: &[Role]) -> Option<Vec<Role>> {
        let has = |r: Role| roles.contains(&r);
        let amounts: Vec<usize> = roles
            .iter()
            .enumerate()
            .filter(|(_, r)| **r == Role::Amount)
            .map(|(i, _)| i)
            .collect();
        let sided = has(Role::Debit) || has(Role::Credit);
        match self {
            Hypothesis::AsNamed => Some(roles.to_vec()),
            Hypothesis::SidesSwapped => (has(Role::Debit) && has(Role::Credit)).then(|| {
                roles
                    .iter()
                    .map(|r| match r {
                        Role::Debit => Role::Credit,
                        Role::Credit => Role::Debit,
                        r => *r,
                    })
                    .collect()
            }),
            Hypothesis::FirstIn | Hypothesis::FirstOut => {
                if amounts.len() < 2 || sided || has(Role::Direction) {
                    return None;
                }
                let (a, b) = if self == Hypothesis::FirstIn {
                    (Role::Credit, Role::Debit)
                } else {
                    (Role::Debit, Role::Credit)
                };
                let mut r = roles.to_vec();
                r[amounts[0]] = a;
                r[amounts[1]] = b;
                Some(r)
            }
            Hypothesis::Negated => (!amounts.is_empty() && !sided).then(|| roles.to_vec()),
        }
    }
}

/// Running-balance pairs that hold, and pairs checked, in time order.
pub fn running_score(records: &[table::Record]) -> (usize, usize) {
    let order = checks::chronological(records);
    let mut ok = 0;
    let mut total = 0;
    for w in order.windows(2) {
        let (a, b) = (&records[w[0]].tx, &records[w[1]].tx);
        if let (Some(pa), Some(pb)) = (a.balance, b.balance) {
            total += 1;
            if pa + b.amount == pb {
                ok += 1;
            }
        }
    }
    (ok, total)
}

/// Whether printed opening + Σ amounts = printed closing.
pub fn equation_holds(
    opening: Option<Decimal>,
    closing: Option<Decimal>,
    records: &[table::Record],
) -> Option<bool> {
    let (o, c) = (opening?, closing?);
    if records.is_empty() {
        return None;
    }
    Some(o + records.iter().map(|r| r.tx.amount).sum::<Decimal>() == c)
}

/// Edit distance between two short digit strings.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn digits(d: Decimal) -> String {
    d.abs()
        .to_string()
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// Repairs amounts from the running balance where the amount was unreadable (OCR turned `5.11`
/// into `Sat`) or misread by a digit or two (`372.22` for `1,372.22`), when the balances around
/// the record are themselves confirmed by their neighbours. Every repaired record is listed in a
/// failing `amount_from_balance` check — the document goes to review with the printed text and
/// the value the balances give — and records whose unreadable amount cannot be repaired are
/// removed (named in the same check) rather than written with a made-up amount.
pub fn repair_from_balances(
    records: &mut Vec<table::Record>,
    totals: &mut [table::Totals],
) -> Option<docket_core::Check> {
    let order = checks::chronological(records);
    let holds = |a: &table::Record, b: &table::Record| match (a.tx.balance, b.tx.balance) {
        (Some(pa), Some(pb)) => pa + b.tx.amount == pb,
        _ => false,
    };
    let mut notes = Vec::new();
    let mut repaired = Vec::new();
    for k in 1..order.len() {
        let (p, c) = (order[k - 1], order[k]);
        let (Some(pb), Some(cb)) = (records[p].tx.balance, records[c].tx.balance) else {
            continue;
        };
        let implied = cb - pb;
        // Both balances must be confirmed by the rows around them (a misread balance would
        // otherwise pass its error on to the amount).
        let before_ok = k < 2 || holds(&records[order[k - 2]], &records[p]);
        let after_ok = order
            .get(k + 1)
            .is_some_and(|&n| holds(&records[c], &records[n]));
        if !(before_ok && after_ok) {
            continue;
        }
        if records[c].amount_unread.is_some() {
            let printed = records[c].amount_unread.take().unwrap_or_default();
            records[c].tx.amount = implied;
            notes.push(format!(
                "record {c}: the amount printed as \"{printed}\" could not be read; the balances {pb} → {cb} give {implied}"
            ));
            repaired.push(c);
            continue;
        }
        let read = records[c].tx.amount;
        if pb + read == cb || implied.is_zero() {
            continue;
        }
        // Both balances must be confirmed by the rows around them, and the reading must be a
        // near miss of the implied amount (a digit lost or misread), never a different number.
        let before_ok = k < 2 || holds(&records[order[k - 2]], &records[p]);
        let after_ok = order
            .get(k + 1)
            .is_some_and(|&n| holds(&records[c], &records[n]));
        if before_ok
            && after_ok
            && read.is_sign_negative() == implied.is_sign_negative()
            && distance(&digits(read), &digits(implied)) <= 2
        {
            records[c].tx.amount = implied;
            notes.push(format!(
                "record {c}: the amount was read as {read}; the balances {pb} → {cb} give {implied}"
            ));
            repaired.push(c);
        }
    }
    let unread: Vec<usize> = (0..records.len())
        .filter(|i| records[*i].amount_unread.is_some())
        .collect();
    for &i in unread.iter().rev() {
        let printed = records[i].amount_unread.clone().unwrap_or_default();
        notes.push(format!(
            "a row dated {} whose amount was printed as \"{printed}\" could not be read and has no balance pair to repair it from; it was left out",
            records[i].tx.date
        ));
        records.remove(i);
        repaired = repaired
            .into_iter()
            .filter(|r| *r != i)
            .map(|r| if r > i { r - 1 } else { r })
            .collect();
        for t in totals.iter_mut() {
            if t.records_before > i {
                t.records_before -= 1;
            }
        }
    }
    if notes.is_empty() {
        return None;
    }
    repaired.sort_unstable();
    Some(docket_core::Check {
        name: "amount_from_balance".into(),
        status: docket_core::CheckStatus::Fail,
        message: format!(
            "{}. Check these amounts against the document",
            notes.join("; ")
        ),
        records: repaired,
    })
}
