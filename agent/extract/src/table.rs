//! The transaction-table reader shared by page layouts and spreadsheets: once a header has given
//! every column a [`Role`], rows of cells become transactions with provenance, totals rows and
//! brought-forward rows are told apart, and wrapped text is joined. It must never decide where
//! columns are (the layout and sheet readers do) and never compute with anything but decimals.

use crate::parse::{self, DateOrder, Marker};
use crate::vocab::{self, Role};
use docket_core::{BBox, Provenance, Transaction};
use rust_decimal::Decimal;

/// One source token: a word on a page or a spreadsheet cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    /// The text.
    pub text: String,
    /// 1-based page or sheet index.
    pub page: u32,
    /// Box in points, or `[col,row,col,row]` for cells.
    pub bbox: BBox,
    /// 0..=1.
    pub confidence: f32,
}

/// Joins texts with a space, except between two CJK characters (OCR and PDF producers split CJK
/// runs where no space was printed).
pub fn join_texts<'a>(parts: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for p in parts {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        let cjk = |c: Option<char>| c.is_some_and(|c| c as u32 >= 0x2E80);
        let both_cjk = cjk(out.chars().last()) && cjk(p.chars().next());
        if !out.is_empty() && !both_cjk {
            out.push(' ');
        }
        out.push_str(p);
    }
    out
}

/// The text of a cell made of pieces. A CJK run and a Latin word set without a space between
/// them (`ATM取现`) stay joined even when OCR returns them as two words: they are joined when the
/// gap between their boxes is under a quarter of the line height, well below a printed space.
pub fn cell_text(pieces: &[Piece]) -> String {
    let cjk = |c: Option<char>| c.is_some_and(|c| c as u32 >= 0x2E80);
    let mut out = String::new();
    let mut prev: Option<&Piece> = None;
    for p in pieces {
        let t = p.text.trim();
        if t.is_empty() {
            continue;
        }
        let touching = prev.is_some_and(|q| {
            let h = q.bbox.height().max(p.bbox.height());
            h > 0.0
                && p.bbox.x0 - q.bbox.x1 < 0.25 * h
                && (cjk(out.chars().last()) || cjk(t.chars().next()))
        });
        if touching {
            out.push_str(t);
        } else {
            out = join_texts([out.as_str(), t].into_iter());
        }
        prev = Some(p);
    }
    out
}

/// Provenance of a value read from `pieces`.
pub fn provenance(pieces: &[Piece], extractor: &str) -> Option<Provenance> {
    let first = pieces.first()?;
    Some(Provenance {
        page: first.page,
        bbox: pieces
            .iter()
            .skip(1)
            .fold(first.bbox, |acc, p| acc.union(&p.bbox)),
        text: cell_text(pieces),
        extractor: extractor.to_string(),
        confidence: pieces.iter().map(|p| p.confidence).fold(1.0_f32, f32::min),
    })
}

/// A row of the table area: pieces per column.
#[derive(Debug, Clone, Default)]
pub struct RowIn {
    /// Pieces of each column (same length as the roles).
    pub cells: Vec<Vec<Piece>>,
    /// Whether this row may continue the previous one (a wrapped line right under it).
    pub continuation_ok: bool,
}

/// Settles header roles: the first column of each role wins (ICBC prints the amount twice, in
/// transaction and in booking currency); several description columns are all kept;
/// `交易时间` becomes the date when there is no date column; a booking date becomes the date
/// when there is no transaction date (see [`Role::BookingDate`] for why the transaction date
/// wins).
pub fn resolve_roles(raw: &[Option<Role>]) -> Vec<Role> {
    let has_txn_date = raw.contains(&Some(Role::Date));
    let has_date = has_txn_date || raw.contains(&Some(Role::BookingDate));
    let mut seen: Vec<Role> = Vec::new();
    raw.iter()
        .map(|r| {
            let r = match r {
                Some(Role::DateOrTime) if has_date => Role::Time,
                Some(Role::DateOrTime) => Role::Date,
                Some(Role::BookingDate) if !has_txn_date => Role::Date,
                Some(r) => *r,
                None => Role::Other,
            };
            // Money, balance and currency columns may repeat (ICBC prints the amount in
            // transaction and in booking currency, and fills only one of them); the reader takes
            // the first one that holds a value.
            if matches!(
                r,
                Role::Description
                    | Role::Other
                    | Role::Debit
                    | Role::Credit
                    | Role::Amount
                    | Role::Balance
                    | Role::Currency
            ) {
                return r;
            }
            if seen.contains(&r) {
                Role::Other
            } else {
                seen.push(r);
                r
            }
        })
        .collect()
}

/// A header is a transaction table's when it has a date and a money column.
pub fn is_table_header(roles: &[Role]) -> bool {
    roles.contains(&Role::Date) && roles.iter().any(|r| r.is_money())
}

/// A transaction with where each of its values came from.
#[derive(Debug, Clone)]
pub struct Record {
    /// The transaction.
    pub tx: Transaction,
    /// `(field, provenance)` pairs, field names as in the JSON record.
    pub prov: Vec<(&'static str, Provenance)>,
    /// The direction column said neither in nor out (`不计收支`, `/`): the sign is a guess.
    pub direction_unknown: bool,
    /// The date was printed without a year and the year was inferred from the statement.
    pub year_inferred: bool,
    /// The row printed no date and was dated by the row above it (statements that print the
    /// date once per day).
    pub date_carried: bool,
    /// The row's money cell holds text that is not an amount (an OCR misreading such as `Sat`
    /// for `5.11`) while the row prints a balance: the amount is `0` until the running balance
    /// supplies it ([`crate::reading::repair_from_balances`]), and the record goes to review.
    pub amount_unread: Option<String>,
    /// The amount or balance was read by the OCR-tolerant parser from this printed text.
    pub loose: Option<String>,
}

/// A printed totals row.
#[derive(Debug, Clone)]
pub struct Totals {
    /// Printed total of the debit column.
    pub debit: Option<Decimal>,
    /// Printed total of the credit column.
    pub credit: Option<Decimal>,
    /// Printed total of a signed amount column.
    pub amount: Option<Decimal>,
    /// Records (over the whole document) that precede this row.
    pub records_before: usize,
    /// Where it was printed.
    pub prov: Option<Provenance>,
}

/// What one table area yielded.
#[derive(Debug, Default)]
pub struct Built {
    /// Transactions in printed order.
    pub records: Vec<Record>,
    /// Totals rows.
    pub totals: Vec<Totals>,
    /// Balance of a "brought forward" row.
    pub opening: Option<(Decimal, Provenance)>,
    /// Balance of a row that states the closing balance inside the table (`Closing balance`
    /// as the description of the last row of an export).
    pub closing: Option<(Decimal, Provenance)>,
    /// Per input row: whether it was read as part of the table.
    pub consumed: Vec<bool>,
    /// Rows that print an amount under a date that does not read as one (`Pending`, an OCR
    /// misreading): `(date text, amount text)`. They are not transactions the reader can date,
    /// and never disappear silently: the document goes to review naming them.
    pub undated: Vec<(String, String)>,
}

/// Reading context shared by all tables of a document.
pub struct Context<'a> {
    /// Settles `05/01/2026`.
    pub order: DateOrder,
    /// Currency of rows without a currency column.
    pub currency: Option<String>,
    /// `layout` or `sheet`.
    pub extractor: &'a str,
    /// Records already read from earlier tables (for totals bookkeeping).
    pub records_before: usize,
    /// The last day the statement covers, which dates rows printed without a year; `None` when
    /// the document gives no year anywhere (such rows are then not read).
    pub year_anchor: Option<chrono::NaiveDate>,
    /// The side of an unmarked amount when only one side carries a marker anywhere in the
    /// document (`885.25 CR` beside plain `172.08`: the plain ones are debits); see
    /// [`marker_counts`] and [`unmarked_side`].
    pub unmarked: Option<bool>,
}

/// A row's date as read: the value, an optional time, and whether its year was inferred.
type RowDate = (chrono::NaiveDate, Option<chrono::NaiveTime>, bool);

/// Reads a date cell, inferring the year of a yearless date from the context's anchor.
fn row_date(text: &str, ctx: &Context<'_>) -> Option<RowDate> {
    if let Some((d, t)) = parse::parse_datetime(text, ctx.order) {
        return Some((d, t, false));
    }
    let (m, d) = parse::parse_month_day(text, ctx.order)?;
    parse::infer_year(m, d, ctx.year_anchor?).map(|d| (d, None, true))
}

fn col(roles: &[Role], role: Role) -> Option<usize> {
    roles.iter().position(|r| *r == role)
}

/// The first column of `role` whose cell holds an amount.
fn money(
    roles: &[Role],
    cells: &[Vec<Piece>],
    role: Role,
) -> Option<(Decimal, Option<Marker>, usize)> {
    roles
        .iter()
        .enumerate()
        .filter(|(_, r)| **r == role)
        .find_map(|(i, _)| {
            let text = cell_text(&cells[i]);
            // OCR misprints separators (`157-01)`); such readings are marked and must be
            // confirmed by the balances (see the `ocr_amounts` check).
            let ocr = cells[i].iter().any(|p| p.confidence < 1.0);
            parse::parse_amount(&text)
                .or_else(|| ocr.then(|| parse::parse_amount_ocr(&text)).flatten())
                .map(|(d, m)| (d, m, i))
        })
}

/// Whether a money cell was read only by the OCR-tolerant parser.
fn loosely_read(cells: &[Vec<Piece>], i: usize) -> Option<String> {
    let text = cell_text(&cells[i]);
    (parse::parse_amount(&text).is_none() && parse::parse_amount_ocr(&text).is_some())
        .then_some(text)
}

/// Amounts in `Amount` columns printed with a credit mark (`CR`, a leading `+`) and with a debit
/// mark (`DR`, a minus).
pub fn marker_counts(roles: &[Role], rows: &[RowIn]) -> (usize, usize) {
    let (mut cr, mut dr) = (0usize, 0usize);
    for row in rows {
        for (i, r) in roles.iter().enumerate() {
            if *r == Role::Amount {
                let text = cell_text(&row.cells[i]);
                match parse::parse_amount(&text) {
                    Some((_, Some(Marker::Credit))) => cr += 1,
                    Some((_, Some(Marker::Debit))) => dr += 1,
                    // `+ £1,100.00` among unsigned purchases marks the credits.
                    Some((v, None)) if text.trim_start().starts_with('+') && !v.is_zero() => {
                        cr += 1
                    }
                    Some((v, None)) if v.is_sign_negative() => dr += 1,
                    _ => {}
                }
            }
        }
    }
    (cr, dr)
}

/// The side of unmarked amounts when only one side carries marks: the other one.
pub fn unmarked_side(cr: usize, dr: usize) -> Option<bool> {
    match (cr > 0, dr > 0) {
        (true, false) => Some(false),
        (false, true) => Some(true),
        _ => None,
    }
}

/// Reads the rows below one header.
pub fn build(roles: &[Role], rows: &[RowIn], ctx: &Context<'_>) -> Built {
    let mut out = Built {
        consumed: vec![false; rows.len()],
        ..Built::default()
    };
    let date_c = col(roles, Role::Date);
    let booking_c = col(roles, Role::BookingDate);
    let merged;
    let rows = match date_c {
        Some(c) => {
            let (m, donors) = merge_wrapped_dates(rows, roles, c, ctx);
            for (i, d) in donors.iter().enumerate() {
                out.consumed[i] |= *d;
            }
            merged = m;
            merged.as_slice()
        }
        None => rows,
    };
    // A dated row without money: its amounts may be on the next line (a tall row whose date is
    // printed at the top and its amounts at the bottom).
    let mut dated_no_money: Option<usize> = None;
    for (ri, row) in rows.iter().enumerate() {
        let texts: Vec<String> = row.cells.iter().map(|c| cell_text(c)).collect();
        if texts.iter().all(|t| t.is_empty()) {
            continue;
        }
        let pending = dated_no_money.take();
        let line = join_texts(texts.iter().map(String::as_str));
        if vocab::is_page_furniture(&line) {
            out.consumed[ri] = true;
            continue;
        }
        let first_text = texts
            .iter()
            .find(|t| !t.is_empty())
            .cloned()
            .unwrap_or_default();
        if vocab::is_totals_label(&first_text) {
            let pick = |role| money(roles, &row.cells, role).map(|x| x.0);
            let all: Vec<Piece> = row.cells.iter().flatten().cloned().collect();
            out.totals.push(Totals {
                debit: pick(Role::Debit),
                credit: pick(Role::Credit),
                amount: pick(Role::Amount),
                records_before: ctx.records_before + out.records.len(),
                prov: provenance(&all, ctx.extractor),
            });
            out.consumed[ri] = true;
            continue;
        }
        // The transaction date wins; a row that prints only a booking date is dated by it.
        let date = match date_c {
            Some(c) if !texts[c].is_empty() => row_date(&texts[c], ctx).map(|d| (d, c)),
            Some(_) => booking_c.and_then(|b| row_date(&texts[b], ctx).map(|d| (d, b))),
            None => None,
        };
        let any_money = roles.iter().enumerate().any(|(i, r)| {
            (r.is_money() || *r == Role::Balance) && parse::parse_amount(&texts[i]).is_some()
        });
        if texts
            .iter()
            .enumerate()
            .any(|(i, t)| roles[i].is_text() && vocab::is_opening_row_label(t))
            && let Some((bal, _, bc)) = money(roles, &row.cells, Role::Balance)
        {
            if let Some(p) = provenance(&row.cells[bc], ctx.extractor) {
                out.opening.get_or_insert((bal, p));
            }
            out.consumed[ri] = true;
            continue;
        }
        // An export that states its opening and closing balances and its turnover as rows of
        // the table (`Opening balance`, `Turnover`, `Closing balance` in the description):
        // they are statement values, never transactions.
        let label = texts
            .iter()
            .enumerate()
            .filter(|(i, t)| roles[*i].is_text() && !t.is_empty())
            .find_map(|(_, t)| vocab::statement_row_label(t));
        if let (Some(kind), Some((d, dc))) = (label, date)
            && let Some(rec) = record(roles, &row.cells, &texts, d, dc, ctx)
        {
            let p = rec
                .prov
                .iter()
                .find(|(n, _)| *n == "amount")
                .map(|x| x.1.clone());
            let value = rec.tx.amount;
            match (kind, p) {
                (vocab::StatementRow::Opening, Some(p)) => {
                    out.opening.get_or_insert((value, p));
                }
                (vocab::StatementRow::Closing, Some(p)) => out.closing = Some((value, p)),
                (vocab::StatementRow::Turnover, p) => out.totals.push(Totals {
                    debit: (value < Decimal::ZERO).then_some(value),
                    credit: (value > Decimal::ZERO).then_some(value),
                    amount: None,
                    records_before: ctx.records_before + out.records.len(),
                    prov: p,
                }),
                _ => {}
            }
            out.consumed[ri] = true;
            continue;
        }
        if let Some((d, dc)) = date {
            if let Some(rec) = record(roles, &row.cells, &texts, d, dc, ctx) {
                out.records.push(rec);
                out.consumed[ri] = true;
            } else {
                dated_no_money = Some(ri);
            }
            continue;
        }
        let side_money = roles
            .iter()
            .enumerate()
            .any(|(i, r)| r.is_money() && parse::parse_amount(&texts[i]).is_some());
        let date_blank = date_c.is_some_and(|c| texts[c].is_empty());
        if side_money
            && let Some(c) = date_c.filter(|c| !texts[*c].is_empty())
            && !vocab::is_summary_text(&line)
        {
            let amount = roles
                .iter()
                .enumerate()
                .find(|(i, r)| r.is_money() && parse::parse_amount(&texts[*i]).is_some())
                .map(|(i, _)| texts[i].clone())
                .unwrap_or_default();
            out.undated.push((texts[c].clone(), amount));
            out.consumed[ri] = true;
            continue;
        }
        if side_money && date_blank {
            // Rows anchored on their money cells: a dated line above without amounts is the
            // top of this row; otherwise a row that prints no date is dated by the row above.
            if let Some(p) = pending.filter(|_| row.continuation_ok || ctx.extractor == "sheet")
                && let Some(dc) = date_c
            {
                let cells: Vec<Vec<Piece>> = rows[p]
                    .cells
                    .iter()
                    .zip(&row.cells)
                    .map(|(a, b)| a.iter().chain(b).cloned().collect())
                    .collect();
                let texts: Vec<String> = cells.iter().map(|c| cell_text(c)).collect();
                if let Some(d) = row_date(&texts[dc], ctx)
                    && let Some(rec) = record(roles, &cells, &texts, d, dc, ctx)
                {
                    out.records.push(rec);
                    out.consumed[ri] = true;
                    out.consumed[p] = true;
                    continue;
                }
            }
            let summary = texts
                .iter()
                .enumerate()
                .any(|(i, t)| roles[i].is_text() && vocab::is_summary_text(t));
            let described = texts
                .iter()
                .enumerate()
                .any(|(i, t)| roles[i].is_text() && !t.is_empty());
            if !summary
                && described
                && let Some(prev) = out.records.last()
            {
                let d = (prev.tx.date, None, prev.year_inferred);
                let dc = date_c.unwrap_or_default();
                if let Some(mut rec) = record(roles, &row.cells, &texts, d, dc, ctx) {
                    rec.date_carried = true;
                    out.records.push(rec);
                    out.consumed[ri] = true;
                    continue;
                }
            }
        }
        let only_text = texts
            .iter()
            .enumerate()
            .all(|(i, t)| t.is_empty() || roles[i].is_text());
        if row.continuation_ok
            && !any_money
            && only_text
            && let Some(prev) = out.records.last_mut()
        {
            append(prev, roles, &row.cells, ctx.extractor);
            out.consumed[ri] = true;
        }
    }
    out
}

fn record(
    roles: &[Role],
    cells: &[Vec<Piece>],
    texts: &[String],
    (date, time, year_inferred): RowDate,
    date_c: usize,
    ctx: &Context<'_>,
) -> Option<Record> {
    let ex = ctx.extractor;
    let mut prov = Vec::new();
    if let Some(p) = provenance(&cells[date_c], ex) {
        prov.push(("date", p.clone()));
        if time.is_some() {
            prov.push(("time", p));
        }
    }
    // The booking date is not a record field, but a reviewer (or a ledger that dates by it)
    // finds it here.
    if let Some(b) = col(roles, Role::BookingDate)
        && b != date_c
        && !texts[b].is_empty()
        && let Some(p) = provenance(&cells[b], ex)
    {
        prov.push(("booking_date", p));
    }
    let mut time = time;
    if time.is_none()
        && let Some(tc) = col(roles, Role::Time)
        && let Some(t) = parse::parse_time(&texts[tc])
    {
        time = Some(t);
        if let Some(p) = provenance(&cells[tc], ex) {
            prov.push(("time", p));
        }
    }
    let debit = money(roles, cells, Role::Debit).filter(|x| !x.0.is_zero());
    let credit = money(roles, cells, Role::Credit).filter(|x| !x.0.is_zero());
    let single = money(roles, cells, Role::Amount);
    let mut direction_unknown = false;
    let mut amount_unread = None;
    let (amount, amount_col) = match (debit, credit, single) {
        (Some(d), Some(c), _) => (c.0.abs() - d.0.abs(), c.2),
        (Some(d), None, _) => (-d.0.abs(), d.2),
        // A minus printed in the money-in column is a debit (a single signed column whose
        // header names both sides, `Withdrawals / Deposits`, reads as the credit column).
        (None, Some(c), _) => (c.0, c.2),
        (None, None, Some((v, marker, i))) => {
            let dir = col(roles, Role::Direction).map(|c| vocab::normalise(&texts[c]));
            let plus = texts[i].trim_start().starts_with('+');
            let sign = match marker {
                Some(Marker::Credit) => Some(true),
                Some(Marker::Debit) => Some(false),
                None if plus => Some(true),
                None if v.is_sign_negative() => Some(false),
                None => dir.as_deref().and_then(direction).or(ctx.unmarked),
            };
            match sign {
                Some(true) => (v.abs(), i),
                Some(false) => (-v.abs(), i),
                None => {
                    direction_unknown = dir.is_some();
                    (v, i)
                }
            }
        }
        (None, None, None) => {
            // Both sides printed as zero is a real (if odd) zero transaction; no amount at all
            // is not a transaction row, unless a money cell holds unreadable text and the row
            // prints a balance: then the balances may still tell the amount.
            match money(roles, cells, Role::Debit).or_else(|| money(roles, cells, Role::Credit)) {
                Some(zero) => (Decimal::ZERO, zero.2),
                None => {
                    let garbled = roles.iter().enumerate().position(|(i, r)| {
                        r.is_money() && !texts[i].is_empty() && !parse::is_placeholder(&texts[i])
                    })?;
                    money(roles, cells, Role::Balance)?;
                    amount_unread = Some(texts[garbled].clone());
                    (Decimal::ZERO, garbled)
                }
            }
        }
    };
    if let Some(p) = provenance(&cells[amount_col], ex) {
        prov.push(("amount", p));
    }
    let balance = money(roles, cells, Role::Balance).map(|(b, _, i)| {
        if let Some(p) = provenance(&cells[i], ex) {
            prov.push(("balance", p));
        }
        b
    });
    let text_of = |role: Role, name: &'static str, prov: &mut Vec<(&'static str, Provenance)>| {
        let idx: Vec<usize> = roles
            .iter()
            .enumerate()
            .filter(|(i, r)| **r == role && !parse::is_placeholder(&texts[*i]))
            .map(|(i, _)| i)
            .collect();
        let pieces: Vec<Piece> = idx.iter().flat_map(|i| cells[*i].clone()).collect();
        if let Some(p) = provenance(&pieces, ex) {
            prov.push((name, p));
        }
        let t = parse::strip_edge_noise(&join_texts(idx.iter().map(|i| texts[*i].as_str())));
        (!t.is_empty()).then_some(t)
    };
    let description = text_of(Role::Description, "description", &mut prov).unwrap_or_default();
    let counterparty = text_of(Role::Counterparty, "counterparty", &mut prov);
    let counterparty_account =
        text_of(Role::CounterpartyAccount, "counterparty_account", &mut prov);
    let currency = match roles
        .iter()
        .enumerate()
        .filter(|(_, r)| **r == Role::Currency)
        .find_map(|(c, _)| parse::currency_code(&texts[c]).map(|code| (code, c)))
    {
        Some((code, c)) => {
            if let Some(p) = provenance(&cells[c], ex) {
                prov.push(("currency", p));
            }
            Some(code)
        }
        None => ctx.currency.clone(),
    };
    let loose = loosely_read(cells, amount_col).or_else(|| {
        roles
            .iter()
            .position(|r| *r == Role::Balance)
            .and_then(|b| loosely_read(cells, b))
    });
    let amount = parse::with_minor_units(amount, currency.as_deref());
    let balance = balance.map(|b| parse::with_minor_units(b, currency.as_deref()));
    Some(Record {
        tx: Transaction {
            date,
            time,
            description,
            counterparty,
            counterparty_account,
            amount,
            balance,
            currency,
        },
        prov,
        direction_unknown,
        year_inferred,
        date_carried: false,
        amount_unread,
        loose,
    })
}

/// Joins a date that wraps over two lines of a narrow column (`2026-06-` above `01`, `01 Mar`
/// above `2026`) into the line that holds the row's money; a line that gave its date away
/// entirely to the line below also gives it its text. Returns the rows and, per row, whether it
/// was absorbed.
fn merge_wrapped_dates(
    rows: &[RowIn],
    roles: &[Role],
    c: usize,
    ctx: &Context<'_>,
) -> (Vec<RowIn>, Vec<bool>) {
    let mut rows = rows.to_vec();
    let mut donors = vec![false; rows.len()];
    let has_money = |r: &RowIn| {
        roles.iter().enumerate().any(|(i, role)| {
            (role.is_money() || *role == Role::Balance)
                && parse::parse_amount(&cell_text(&r.cells[i])).is_some()
        })
    };
    let mut i = 0;
    while i + 1 < rows.len() {
        let a = cell_text(&rows[i].cells[c]);
        let b = cell_text(&rows[i + 1].cells[c]);
        let wraps = !a.is_empty()
            && !b.is_empty()
            && rows[i + 1].continuation_ok
            && row_date(&a, ctx).is_none()
            && row_date(&b, ctx).is_none()
            && row_date(&join_texts([a.as_str(), b.as_str()].into_iter()), ctx).is_some();
        if !wraps {
            i += 1;
            continue;
        }
        if has_money(&rows[i + 1]) && !has_money(&rows[i]) {
            // The top line only starts the row: all of it moves down into the money line.
            let top = std::mem::take(&mut rows[i].cells);
            for (k, pieces) in top.into_iter().enumerate() {
                if let Some(cell) = rows[i + 1].cells.get_mut(k) {
                    let rest = std::mem::take(cell);
                    *cell = pieces.into_iter().chain(rest).collect();
                }
            }
            rows[i].cells = vec![Vec::new(); rows[i + 1].cells.len()];
            donors[i] = true;
        } else {
            let tail = std::mem::take(&mut rows[i + 1].cells[c]);
            rows[i].cells[c].extend(tail);
            donors[i + 1] = rows[i + 1].cells.iter().all(Vec::is_empty);
        }
        i += 2;
    }
    (rows, donors)
}

/// `Some(true)` for money in, `Some(false)` for money out, `None` for neutral or unknown; `n`
/// is normalised ([`vocab::normalise`]).
pub fn direction_word(n: &str) -> Option<bool> {
    direction(n)
}

fn direction(n: &str) -> Option<bool> {
    // OCR puts specks around a short word (`°Dr`, `:Dr`, `Cr.`) and reads `Cr` as `Gr`.
    let cleaned: String = n.chars().filter(|c| c.is_alphanumeric()).collect();
    let n = if cleaned == "gr" {
        "cr"
    } else {
        cleaned.as_str()
    };
    if n.is_empty() || n.contains("不计") || n.contains("中性") {
        return None;
    }
    let credit = [
        "收入", "收", "贷", "cr", "credit", "c", "入", "存入", "k", "in",
    ];
    let debit = ["支出", "支", "借", "dr", "debit", "d", "出", "out"];
    if credit.contains(&n) || n.starts_with("收入") || n.starts_with("credit") {
        Some(true)
    } else if debit.contains(&n) || n.starts_with("支出") || n.starts_with("debit") {
        Some(false)
    } else {
        None
    }
}

fn append(prev: &mut Record, roles: &[Role], cells: &[Vec<Piece>], ex: &str) {
    for (i, pieces) in cells.iter().enumerate() {
        if pieces.is_empty() {
            continue;
        }
        let add = cell_text(pieces);
        let (slot, name): (Option<&mut String>, &'static str) = match roles[i] {
            Role::Description => (Some(&mut prev.tx.description), "description"),
            Role::Counterparty => (
                prev.tx.counterparty.get_or_insert_default().into(),
                "counterparty",
            ),
            Role::CounterpartyAccount => (
                prev.tx.counterparty_account.get_or_insert_default().into(),
                "counterparty_account",
            ),
            _ => (None, ""),
        };
        let Some(slot) = slot else { continue };
        let joined =
            join_texts([slot.as_str(), parse::strip_edge_noise(&add).as_str()].into_iter());
        *slot = joined;
        let new = provenance(pieces, ex);
        match (prev.prov.iter_mut().find(|(n, _)| *n == name), new) {
            (Some((_, p)), Some(n)) => {
                p.bbox = p.bbox.union(&n.bbox);
                p.text = join_texts([p.text.as_str(), n.text.as_str()].into_iter());
                p.confidence = p.confidence.min(n.confidence);
            }
            (None, Some(n)) => prev.prov.push((name, n)),
            _ => {}
        }
    }
}
