//! Finds transaction tables in spreadsheets and CSV exports: title rows, notes and blank rows
//! above the header are skipped, a header split over two rows (a merged `交易金额` above
//! `收入 | 支出`) is joined, vertically merged cells are filled down. Cells keep their grid
//! position as provenance (`[col,row,col,row]`). It must never read a sheet without a header.

use crate::parse;
use crate::table::{Piece, RowIn, is_table_header, resolve_roles};
use crate::vocab::{self, Role};
use docket_core::{BBox, Document, Sheet};

/// One table found in one sheet.
#[derive(Debug, Clone)]
pub struct Area {
    /// Column roles.
    pub roles: Vec<Role>,
    /// Rows below the header.
    pub rows: Vec<RowIn>,
    /// All pieces of each row, for the rows the table reader does not take.
    pub row_pieces: Vec<Vec<Piece>>,
    /// The sheet has no header row: the roles were inferred from the cells (see [`infer_roles`]).
    pub inferred: bool,
    /// Columns whose role came from their content because the header word was unknown, as
    /// `header text → role`, for the report and the confidence gate.
    pub from_content: Vec<String>,
}

/// The sheet as text, with merged values filled: down the first column of a vertical merge, and
/// across a horizontal merge only for header detection (`across`).
fn grid(sheet: &Sheet, across: bool) -> Vec<Vec<String>> {
    let mut g: Vec<Vec<String>> = sheet
        .rows
        .iter()
        .map(|r| r.iter().map(|c| c.as_text().trim().to_string()).collect())
        .collect();
    for &(r0, c0, r1, c1) in &sheet.merged {
        let (r0, c0, r1, c1) = (r0 as usize, c0 as usize, r1 as usize, c1 as usize);
        let Some(v) = g.get(r0).and_then(|r| r.get(c0)).cloned() else {
            continue;
        };
        for (r, row) in g.iter_mut().enumerate().take(r1 + 1).skip(r0) {
            let last = if across { c1 } else { c0 };
            for cell in row.iter_mut().take(last + 1).skip(c0) {
                if (across || r != r0) && cell.is_empty() {
                    *cell = v.clone();
                }
            }
        }
    }
    g
}

fn known_headers(cells: &[String]) -> usize {
    cells
        .iter()
        .filter(|c| vocab::header_role(c).is_some())
        .count()
}

fn header_roles(cells: &[String]) -> Option<Vec<Role>> {
    let non_blank = cells.iter().filter(|c| !c.is_empty()).count();
    let raw: Vec<Option<Role>> = cells.iter().map(|c| vocab::header_role(c)).collect();
    let known = raw.iter().filter(|r| r.is_some()).count();
    if known < 3 || known * 2 < non_blank {
        return None;
    }
    let roles = resolve_roles(&raw);
    is_table_header(&roles).then_some(roles)
}

/// What a column's cells below a header hold, when they agree (four in five filled cells): a
/// date, a time, an amount (never an identifier), or a direction word.
fn content_role(g: &[Vec<String>], first: usize, c: usize) -> Option<Role> {
    let cells: Vec<&str> = g[first..]
        .iter()
        .take(200)
        .filter_map(|r| r.get(c).map(String::as_str))
        .filter(|t| !t.is_empty())
        .collect();
    if cells.len() < 2 {
        return None;
    }
    let share =
        |f: &dyn Fn(&str) -> bool| cells.iter().filter(|t| f(t)).count() * 5 >= cells.len() * 4;
    if share(&|t| parse::is_date(t)) {
        return Some(Role::DateOrTime);
    }
    if share(&|t| parse::parse_time(t).is_some()) {
        return Some(Role::Time);
    }
    if share(&|t| parse::parse_amount(t).is_some() && !parse::is_date(t)) {
        return Some(Role::Amount);
    }
    if share(&|t| crate::table::direction_word(&vocab::normalise(t)).is_some()) {
        return Some(Role::Direction);
    }
    None
}

/// Type discipline: a column named as money whose filled cells are mostly not amounts (order
/// numbers, `="…"` identifiers, text) is not a money column.
fn money_holds(g: &[Vec<String>], first: usize, c: usize) -> bool {
    let cells: Vec<&str> = g[first..]
        .iter()
        .take(200)
        .filter_map(|r| r.get(c).map(String::as_str))
        .filter(|t| !t.is_empty() && !parse::is_placeholder(t))
        .collect();
    let amounts = cells
        .iter()
        .filter(|t| parse::parse_amount(t).is_some())
        .count();
    cells.len() < 3 || amounts * 2 >= cells.len()
}

/// A header row with unknown words whose columns' content completes it: vocabulary roles where
/// the words are known (and their content agrees), content roles for a missing date, money or
/// direction column. At least two header words must be known, and the row itself holds no
/// values.
fn content_header(g: &[Vec<String>], r: usize) -> Option<(Vec<Role>, Vec<String>)> {
    let row = &g[r];
    let filled = row.iter().filter(|c| !c.is_empty()).count();
    if filled < 3
        || row
            .iter()
            .any(|c| parse::is_date(c) || parse::parse_amount(c).is_some())
    {
        return None;
    }
    let mut raw: Vec<Option<Role>> = row.iter().map(|c| vocab::header_role(c)).collect();
    if raw.iter().filter(|x| x.is_some()).count() < 2 {
        return None;
    }
    let mut named = Vec::new();
    for (c, role) in raw.iter_mut().enumerate() {
        if role.is_some_and(|x| x.is_money() || x == Role::Balance) && !money_holds(g, r + 1, c) {
            named.push(format!(
                "{} → not money (its cells are not amounts)",
                row[c]
            ));
            *role = Some(Role::Other);
        }
    }
    let has_date = raw
        .iter()
        .any(|x| matches!(x, Some(Role::Date | Role::BookingDate | Role::DateOrTime)));
    // A direction-named column over signed amounts (`Withdrawals / Deposits`) is the amount.
    if !raw.iter().any(|x| x.is_some_and(Role::is_money))
        && let Some(c) = (0..raw.len()).find(|&c| {
            raw[c] == Some(Role::Direction) && content_role(g, r + 1, c) == Some(Role::Amount)
        })
    {
        named.push(format!(
            "{} → Amount (its cells are signed amounts)",
            row[c]
        ));
        raw[c] = Some(Role::Amount);
    }
    let has_money = raw.iter().any(|x| x.is_some_and(Role::is_money));
    let has_dir = raw.contains(&Some(Role::Direction));
    for (c, role) in raw.iter_mut().enumerate() {
        if role.is_some() || row[c].is_empty() {
            continue;
        }
        let found = match content_role(g, r + 1, c) {
            Some(Role::DateOrTime) if !has_date => Some(Role::DateOrTime),
            Some(Role::Amount) if !has_money => Some(Role::Amount),
            Some(Role::Direction) if !has_dir && has_money => Some(Role::Direction),
            _ => None,
        };
        if let Some(x) = found {
            named.push(format!("{} → {x:?}", row[c]));
            *role = Some(x);
        }
    }
    let roles = resolve_roles(&raw);
    is_table_header(&roles).then_some((roles, named))
}

fn find_header(g: &[Vec<String>]) -> Option<(usize, usize, Vec<Role>)> {
    for r in 0..g.len() {
        if let Some(roles) = header_roles(&g[r]) {
            return Some((r, 1, roles));
        }
        // A key/value line (`起止日期：…`) right above the header is not part of it.
        // A title line (`中国银行信用卡账单(2025年01月)`) above a complete header is not part of
        // it either: the join must name more columns than the next row alone does.
        if let Some(next) = g.get(r + 1)
            && !g[r].iter().any(|c| c.contains([':', '：']))
            && (header_roles(next).is_none() || known_headers(&g[r]) > 0)
        {
            let joined: Vec<String> = g[r]
                .iter()
                .zip(next)
                .map(|(a, b)| if a == b { a.clone() } else { format!("{a}{b}") })
                .collect();
            if let Some(roles) = header_roles(&joined) {
                return Some((r, 2, roles));
            }
        }
    }
    None
}

fn pieces(sheet: &Sheet, row: &[String], r: usize) -> Vec<Vec<Piece>> {
    row.iter()
        .enumerate()
        .map(|(c, t)| {
            if t.is_empty() {
                Vec::new()
            } else {
                vec![Piece {
                    text: t.clone(),
                    page: sheet.index,
                    bbox: BBox::new(c as f32, r as f32, c as f32, r as f32),
                    confidence: 1.0,
                }]
            }
        })
        .collect()
}

/// Finds the table of every sheet that has one, and returns the cells outside tables.
pub fn areas(doc: &Document) -> (Vec<Area>, Vec<Vec<Piece>>) {
    let mut out = Vec::new();
    let mut outside = Vec::new();
    for sheet in &doc.sheets {
        let g = grid(sheet, false);
        let gh = grid(sheet, true);
        let mut from_content = Vec::new();
        let found = find_header(&gh).map(|(hr, n, roles)| (hr, n, roles, false));
        let found = found.or_else(|| {
            (0..gh.len()).find_map(|r| {
                content_header(&gh, r).map(|(roles, named)| {
                    from_content = named;
                    (r, 1, roles, false)
                })
            })
        });
        let found = found.or_else(|| infer_roles(&g).map(|(r0, roles)| (r0, 0, roles, true)));
        let Some((hr, n, roles, inferred)) = found else {
            for (r, row) in g.iter().enumerate() {
                outside.push(pieces(sheet, row, r).into_iter().flatten().collect());
            }
            continue;
        };
        for (r, row) in g.iter().enumerate().take(hr) {
            outside.push(pieces(sheet, row, r).into_iter().flatten().collect());
        }
        let mut area = Area {
            roles: roles.clone(),
            rows: Vec::new(),
            row_pieces: Vec::new(),
            inferred,
            from_content,
        };
        for (r, row) in g.iter().enumerate().skip(hr + n) {
            let mut cells = pieces(sheet, row, r);
            cells.resize(roles.len(), Vec::new());
            area.row_pieces
                .push(cells.iter().flatten().cloned().collect());
            area.rows.push(RowIn {
                cells,
                continuation_ok: false,
            });
        }
        out.push(area);
    }
    (out, outside)
}

/// Per column of the data rows: whether every filled cell is a date, an amount, or text.
fn all_cells(rows: &[&Vec<String>], c: usize, f: impl Fn(&str) -> bool) -> bool {
    rows.iter()
        .all(|r| r.get(c).is_none_or(|t| t.is_empty() || f(t)))
}

fn amount_at(r: &[String], c: usize) -> Option<rust_decimal::Decimal> {
    r.get(c)
        .and_then(|t| parse::parse_amount(t))
        .map(|(d, _)| d)
}

/// Column roles of a sheet without a header row (a bank CSV export of bare rows), inferred from
/// the cells: one column of dates in every row, one text column (the description), and either
/// one signed amount column or two amount columns that are never filled together (debit and
/// credit). A fully filled amount column whose differences match the row amounts is the running
/// balance, and it alone tells the debit column from the credit column. Returns the first data
/// row and the roles, or `None` whenever any of this is not unambiguous: guessing columns would
/// put money in the wrong place, so such a sheet stays "no statement found".
pub fn infer_roles(g: &[Vec<String>]) -> Option<(usize, Vec<Role>)> {
    let first = g
        .iter()
        .position(|r| r.first().is_some_and(|t| parse::is_date(t)))?;
    let rows: Vec<&Vec<String>> = g[first..]
        .iter()
        .filter(|r| r.iter().any(|t| !t.is_empty()))
        .collect();
    if rows.len() < 3 {
        return None;
    }
    let width = rows.iter().map(|r| r.len()).max()?;
    let filled = |c: usize| {
        rows.iter()
            .filter(|r| r.get(c).is_some_and(|t| !t.is_empty()))
            .count()
    };
    let is_amount = |t: &str| parse::parse_amount(t).is_some() && !parse::is_date(t);
    let dates: Vec<usize> = (0..width)
        .filter(|&c| filled(c) == rows.len() && all_cells(&rows, c, parse::is_date))
        .collect();
    let amounts: Vec<usize> = (0..width)
        .filter(|&c| filled(c) > 0 && !dates.contains(&c) && all_cells(&rows, c, is_amount))
        .collect();
    let texts: Vec<usize> = (0..width)
        .filter(|&c| filled(c) > 0 && !dates.contains(&c) && !amounts.contains(&c))
        .collect();
    let ([date], [desc, ..]) = (dates.as_slice(), texts.as_slice()) else {
        return None;
    };
    let mut roles = vec![Role::Other; width];
    roles[*date] = Role::Date;
    roles[*desc] = Role::Description;
    // The running balance: a full column whose step from row to row is a row's amount (read
    // top-down, the amount of the lower row; bottom-up, of the upper one).
    let row_amount = |r: &[String], bal: usize| {
        amounts
            .iter()
            .filter(|&&c| c != bal)
            .find_map(|&c| amount_at(r, c).map(|v| (v, c)))
    };
    let mut balance = None;
    for &b in amounts.iter().filter(|&&c| filled(c) == rows.len()) {
        for top_down in [true, false] {
            let mut steps = Vec::new();
            for w in rows.windows(2) {
                let (older, newer) = if top_down { (w[0], w[1]) } else { (w[1], w[0]) };
                let (Some(x), Some(y), Some((v, c))) = (
                    amount_at(older, b),
                    amount_at(newer, b),
                    row_amount(newer, b),
                ) else {
                    continue;
                };
                if (y - x).abs() == v.abs() {
                    steps.push((c, y > x));
                }
            }
            if steps.len() * 5 >= (rows.len() - 1) * 4 && steps.len() >= 2 {
                if balance.is_some() {
                    return None;
                }
                balance = Some((b, steps));
            }
        }
    }
    let money: Vec<usize> = amounts
        .iter()
        .copied()
        .filter(|c| balance.as_ref().is_none_or(|(b, _)| b != c))
        .collect();
    match money.as_slice() {
        [a] if filled(*a) == rows.len() => roles[*a] = Role::Amount,
        [a, b] => {
            let both = rows
                .iter()
                .any(|r| amount_at(r, *a).is_some() && amount_at(r, *b).is_some());
            let (_, steps) = balance.as_ref()?;
            if both {
                return None;
            }
            // Votes for "a is the debit column": a step down on an a-row, a step up on a b-row.
            let (mut a_debit, mut a_credit) = (0, 0);
            for (c, up) in steps {
                if (*c == *a) != *up {
                    a_debit += 1;
                } else {
                    a_credit += 1;
                }
            }
            if a_debit > 2 * a_credit {
                roles[*a] = Role::Debit;
                roles[*b] = Role::Credit;
            } else if a_credit > 2 * a_debit {
                roles[*a] = Role::Credit;
                roles[*b] = Role::Debit;
            } else {
                return None;
            }
        }
        _ => return None,
    }
    if let Some((b, _)) = balance {
        roles[b] = Role::Balance;
    }
    Some((first, roles))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(rows: &[&str]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.split(',').map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn a_headerless_export_gets_its_roles_from_the_running_balance() {
        let g = grid(&[
            "01/03/2026,SALARY,,1000.00,1000.00",
            "02/03/2026,GROCER,12.50,,987.50",
            "03/03/2026,RENT,500.00,,487.50",
            "04/03/2026,REFUND,,2.50,490.00",
        ]);
        use Role::*;
        assert_eq!(
            infer_roles(&g),
            Some((0, vec![Date, Description, Debit, Credit, Balance]))
        );
    }

    #[test]
    fn without_a_balance_two_amount_columns_stay_unread() {
        let g = grid(&[
            "01/03/2026,SALARY,,1000.00",
            "02/03/2026,GROCER,12.50,",
            "03/03/2026,RENT,500.00,",
        ]);
        assert_eq!(infer_roles(&g), None, "which side is the debit is a guess");
        let notes = grid(&["Note,see below,", "Thanks,,"]);
        assert_eq!(infer_roles(&notes), None);
    }
}
