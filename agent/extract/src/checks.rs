//! Arithmetic checks on an extracted statement: the balance equation, the running balance, printed
//! totals and the record count. Decimal arithmetic only; a check without the data it needs is
//! `skipped`, never passed. Exports listed newest first are checked in time order.

use crate::table::{Record, Totals};
use docket_core::{Check, CheckStatus, StatementFields};
use rust_decimal::Decimal;

fn check(name: &str, status: CheckStatus, message: String, records: Vec<usize>) -> Check {
    Check {
        name: name.into(),
        status,
        message,
        records,
    }
}

/// Indexes of the records in time order: reversed when the export lists newest first (dates
/// fall, or, with equal dates, the running balance only holds read bottom-up).
pub fn chronological(records: &[Record]) -> Vec<usize> {
    let n = records.len();
    let forward: Vec<usize> = (0..n).collect();
    if n < 2 {
        return forward;
    }
    let (first, last) = (records[0].tx.date, records[n - 1].tx.date);
    let backward: Vec<usize> = (0..n).rev().collect();
    if first > last {
        return backward;
    }
    if first < last {
        return forward;
    }
    if running_failures(records, &backward).len() < running_failures(records, &forward).len() {
        backward
    } else {
        forward
    }
}

fn running_failures(records: &[Record], order: &[usize]) -> Vec<usize> {
    order
        .windows(2)
        .filter_map(|w| {
            let (a, b) = (&records[w[0]].tx, &records[w[1]].tx);
            match (a.balance, b.balance) {
                (Some(pa), Some(pb)) if pa + b.amount != pb => Some(w[1]),
                _ => None,
            }
        })
        .collect()
}

/// Runs every check.
pub fn run(fields: &StatementFields, records: &[Record], totals: &[Totals]) -> Vec<Check> {
    let mut out = Vec::new();
    let order = chronological(records);
    let newest_first = records.len() > 1 && order.first() != Some(&0);
    let order_note = if newest_first {
        " (rows are listed newest first; checked in time order)"
    } else {
        ""
    };

    out.push(if records.is_empty() {
        check(
            "record_count",
            CheckStatus::Fail,
            "no transactions were read from the table".into(),
            vec![],
        )
    } else {
        check(
            "record_count",
            CheckStatus::Pass,
            format!("{} transactions", records.len()),
            vec![],
        )
    });

    let sum: Decimal = records.iter().map(|r| r.tx.amount).sum();
    let inferred = order.first().and_then(|&i| {
        let t = &records[i].tx;
        t.balance.map(|b| (b - t.amount, i))
    });
    let opening = match (fields.opening_balance, inferred) {
        (Some(o), _) => Some((o, String::from("printed opening balance"))),
        (None, Some((o, i))) => Some((
            o,
            format!("opening balance {o} inferred from record {i} (its balance minus its amount)"),
        )),
        (None, None) => None,
    };
    out.push(match (opening, fields.closing_balance) {
        (Some((o, how)), Some(c)) => {
            let expected = o + sum;
            if expected == c {
                check(
                    "balance_equation",
                    CheckStatus::Pass,
                    format!("{how}: {o} + sum of amounts {sum} = closing balance {c}"),
                    vec![],
                )
            } else {
                check(
                    "balance_equation",
                    CheckStatus::Fail,
                    format!(
                        "{how}: {o} + sum of amounts {sum} = {expected}, but the closing balance is {c} (off by {})",
                        c - expected
                    ),
                    vec![],
                )
            }
        }
        (None, _) => check(
            "balance_equation",
            CheckStatus::Skipped,
            "no opening balance printed and no running balance to infer it from".into(),
            vec![],
        ),
        (_, None) => check(
            "balance_equation",
            CheckStatus::Skipped,
            "no closing balance printed".into(),
            vec![],
        ),
    });

    let with_balance = records.iter().filter(|r| r.tx.balance.is_some()).count();
    out.push(if with_balance < 2 {
        check(
            "running_balance",
            CheckStatus::Skipped,
            "fewer than two rows print a balance".into(),
            vec![],
        )
    } else {
        let fails = running_failures(records, &order);
        let mut fails_sorted = fails.clone();
        fails_sorted.sort_unstable();
        if fails.is_empty() {
            check(
                "running_balance",
                CheckStatus::Pass,
                format!("each of {with_balance} balances equals the previous balance plus the amount{order_note}"),
                vec![],
            )
        } else {
            check(
                "running_balance",
                CheckStatus::Fail,
                format!(
                    "balance does not equal the previous balance plus the amount at records {fails_sorted:?}{order_note}"
                ),
                fails_sorted,
            )
        }
    });

    out.push(totals_check(records, totals));

    let unknown: Vec<usize> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| r.direction_unknown)
        .map(|(i, _)| i)
        .collect();
    if !unknown.is_empty() {
        out.push(check(
            "direction",
            CheckStatus::Fail,
            format!(
                "the direction column marks {} records as neither in nor out (e.g. 不计收支); their amounts are unsigned as printed",
                unknown.len()
            ),
            unknown,
        ));
    }
    out
}

fn totals_check(records: &[Record], totals: &[Totals]) -> Check {
    if totals.is_empty() {
        return check(
            "totals_row",
            CheckStatus::Skipped,
            "no totals row printed".into(),
            vec![],
        );
    }
    let mut problems = Vec::new();
    let mut start = 0;
    for t in totals {
        let end = t.records_before.min(records.len());
        let ranges = [(start, end), (0, end)];
        let sums = |f: &dyn Fn(Decimal) -> Option<Decimal>| -> Vec<Decimal> {
            ranges
                .iter()
                .map(|(a, b)| records[*a..*b].iter().filter_map(|r| f(r.tx.amount)).sum())
                .collect()
        };
        let debits = sums(&|a| (a < Decimal::ZERO).then_some(-a));
        let credits = sums(&|a| (a > Decimal::ZERO).then_some(a));
        let net = sums(&Some);
        let abs = sums(&|a| Some(a.abs()));
        let where_ = t
            .prov
            .as_ref()
            .map(|p| format!("totals row on page {} ({})", p.page, p.text))
            .unwrap_or_else(|| "totals row".into());
        if let Some(d) = t.debit
            && !debits.contains(&d.abs())
        {
            problems.push(format!(
                "{where_}: debit total {d} but the debits sum to {}",
                debits[0]
            ));
        }
        if let Some(c) = t.credit
            && !credits.contains(&c.abs())
        {
            problems.push(format!(
                "{where_}: credit total {c} but the credits sum to {}",
                credits[0]
            ));
        }
        if let Some(a) = t.amount
            && !net.contains(&a)
            && !abs.contains(&a)
        {
            problems.push(format!(
                "{where_}: total {a} but the amounts sum to {}",
                net[0]
            ));
        }
        start = end;
    }
    if problems.is_empty() {
        check(
            "totals_row",
            CheckStatus::Pass,
            format!(
                "{} totals row(s) agree with the sums of the records",
                totals.len()
            ),
            vec![],
        )
    } else {
        check("totals_row", CheckStatus::Fail, problems.join("; "), vec![])
    }
}
