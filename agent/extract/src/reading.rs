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
