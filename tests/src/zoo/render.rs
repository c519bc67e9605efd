//! From a [`Layout`] to what it prints: the seeded statement, the header-block fields in the
//! layout's label wording, and the table as cells (text plus, for typed xlsx, the number or date
//! behind it) in the layout's column order, money convention, number and date style. The paged
//! and sheet writers only place these cells; the truth is derived from the same statement.

use super::{DateFmt, Lang, Layout, Money, Role};
use crate::samples::model::{Flavour, Spec, Statement};
use crate::samples::{Printed, Truth};
use chrono::{Datelike, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

/// The typed value behind a cell (xlsx writes these when the layout is typed).
#[derive(Debug, Clone, PartialEq)]
pub enum Typed {
    /// Text only.
    Text,
    /// A number.
    Number(Decimal),
    /// A date.
    Date(NaiveDate),
}

/// One table cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Printed text (empty = empty cell).
    pub text: String,
    /// Typed value.
    pub typed: Typed,
}

impl Cell {
    fn text(t: impl Into<String>) -> Cell {
        Cell {
            text: t.into(),
            typed: Typed::Text,
        }
    }
    fn empty() -> Cell {
        Cell::text("")
    }
}

/// What a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// A transaction.
    Txn,
    /// Balance brought forward (no amount).
    BroughtForward,
    /// A totals row.
    Total,
}

/// One table row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Cells in column order.
    pub cells: Vec<Cell>,
    /// Kind.
    pub kind: RowKind,
    /// Running balance after the row (for carried-forward rows at page breaks).
    pub balance: Option<Decimal>,
}

/// Everything a writer places.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Title line.
    pub title: String,
    /// Header-block (label, value) pairs; empty when the layout has no header block.
    pub fields: Vec<(String, Cell)>,
    /// Column header words.
    pub headers: Vec<String>,
    /// Column roles.
    pub roles: Vec<Role>,
    /// Rows in printed order.
    pub rows: Vec<Row>,
}

/// The layout's statement.
pub fn statement(l: &Layout) -> Statement {
    let start = NaiveDate::from_ymd_opt(2026, l.month, 1).unwrap_or(NaiveDate::MIN);
    let end = NaiveDate::from_ymd_opt(2026, l.month + 1, 1)
        .or_else(|| NaiveDate::from_ymd_opt(2027, 1, 1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(start);
    Statement::generate(&Spec {
        flavour: match l.lang {
            Lang::En => Flavour::English,
            Lang::Zh => Flavour::Chinese,
        },
        currency: l.currency,
        seed: l.seed,
        transactions: l.transactions,
        period_start: start,
        period_end: end,
    })
}

/// The ground truth of the layout's file: only what it prints, in printed order.
pub fn truth(l: &Layout, s: &Statement) -> Truth {
    let mut t = Truth::of(
        s,
        Printed {
            balances: l.printed_balances && l.header_block,
        },
    );
    // A "Balance brought forward" row prints the opening balance, as a header line would.
    if l.brought_forward {
        t.fields.opening_balance = Some(s.opening_balance);
    }
    if !l.header_block {
        t.fields.account_holder = None;
        t.fields.account_number = None;
        t.fields.currency = None;
        t.fields.period_start = None;
        t.fields.period_end = None;
    }
    let has = |r: Role| l.columns.contains(&r);
    for r in &mut t.records {
        r.description = desc_of(l, &r.description);
        if !(has(Role::Time) || l.datetime) {
            r.time = None;
        }
        if !has(Role::Counterparty) {
            r.counterparty = None;
        }
        if !has(Role::CpAccount) {
            r.counterparty_account = None;
        }
        if !has(Role::Balance) {
            r.balance = None;
        }
    }
    if l.newest_first {
        t.records.reverse();
    }
    t
}

/// `1,234.56` or `1.234,56` (no sign).
pub fn number(amount: Decimal, european: bool) -> String {
    let s = format!("{:.2}", amount.abs().round_dp(2));
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let (group, point) = if european { ('.', ',') } else { (',', '.') };
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(ch);
    }
    format!("{grouped}{point}{frac}")
}

/// An unsigned amount in the layout's number style: `1,234.56`, `1.234,56` or `1 234,56`,
/// after the layout's currency symbol when it has one.
pub fn fmt_num(l: &Layout, amount: Decimal) -> String {
    let n = if l.space_groups {
        number(amount, true).replace('.', " ")
    } else {
        number(amount, l.european)
    };
    format!("{}{n}", l.symbol.unwrap_or(""))
}

/// A date in the layout's style.
pub fn date(d: NaiveDate, f: DateFmt) -> String {
    match f {
        DateFmt::Iso => d.format("%Y-%m-%d").to_string(),
        DateFmt::Slash => d.format("%Y/%m/%d").to_string(),
        DateFmt::Dmy => d.format("%d/%m/%Y").to_string(),
        DateFmt::Mdy => d.format("%m/%d/%Y").to_string(),
        DateFmt::DayMon => d.format("%d %b %Y").to_string(),
        DateFmt::DayMonNoYear => d.format("%d %b").to_string(),
        DateFmt::Dotted => d.format("%d.%m.%Y").to_string(),
        DateFmt::Compact => d.format("%Y%m%d").to_string(),
        DateFmt::ZhYmd => format!("{}年{:02}月{:02}日", d.year(), d.month(), d.day()),
    }
}

/// Split a printed date for a narrow column: `2026-03-` / `01`, `01.03.` / `2026`, `01 Mar` /
/// `2026`, a date-time at its space.
pub fn split_date(text: &str) -> Vec<String> {
    if let Some((a, b)) = text.rsplit_once(' ') {
        return vec![a.to_string(), b.to_string()];
    }
    if let Some((i, c)) = text
        .char_indices()
        .rfind(|(_, c)| matches!(c, '-' | '/' | '.' | '月'))
    {
        let cut = i + c.len_utf8();
        if cut < text.len() {
            return vec![text[..cut].to_string(), text[cut..].to_string()];
        }
    }
    if text.len() == 8 && text.is_ascii() {
        return vec![text[..6].to_string(), text[6..].to_string()];
    }
    vec![text.to_string()]
}

const EN_HEADERS: &[(Role, &[&str])] = &[
    (
        Role::Date,
        &[
            "Date",
            "Date Posted",
            "Txn Date",
            "Booking Date",
            "Posting Date",
            "Trans. Date",
            "Transaction Date",
        ],
    ),
    (Role::Time, &["Time", "Time", "Txn Time"]),
    (
        Role::Desc,
        &[
            "Description",
            "Details",
            "Narrative",
            "Transaction Details",
            "Particulars",
            "Memo",
            "Description",
        ],
    ),
    (
        Role::Counterparty,
        &["Counterparty", "Payee", "Beneficiary", "Other Party"],
    ),
    (Role::CpAccount, &["Counterparty Account", "Payee Account"]),
    (
        Role::Debit,
        &[
            "Paid Out",
            "Money out",
            "Withdrawals",
            "Debit",
            "Debits",
            "Outgoing",
            "Withdrawal Amt",
        ],
    ),
    (
        Role::Credit,
        &[
            "Paid In",
            "Money in",
            "Deposits",
            "Credit",
            "Credits",
            "Incoming",
            "Deposit Amt",
        ],
    ),
    (
        Role::Amount,
        &[
            "Amount",
            "Txn Amt",
            "Transaction Amount",
            "Value",
            "Amount",
            "Sum",
            "Amt",
        ],
    ),
    (Role::Dir, &["Dr/Cr", "Type", "D/C", "Direction", "CR/DR"]),
    (
        Role::Balance,
        &[
            "Balance",
            "Running Bal",
            "Ledger Balance",
            "Available Balance",
            "Bal",
            "Closing Bal",
        ],
    ),
    (
        Role::Reference,
        &["Reference", "Ref No", "Cheque/Ref", "Doc No"],
    ),
    (
        Role::ValueDate,
        &["Value Date", "Val. Date", "Effective Date"],
    ),
];

const ZH_HEADERS: &[(Role, &[&str])] = &[
    (
        Role::Date,
        &[
            "交易日期",
            "记账日期",
            "交易创建时间",
            "入账日期",
            "日期",
            "交易时间",
        ],
    ),
    (Role::Time, &["交易时间", "时间", "记账时间"]),
    (
        Role::Desc,
        &["摘要", "交易摘要", "交易类型", "用途", "附言", "交易说明"],
    ),
    (
        Role::Counterparty,
        &[
            "对方户名",
            "对方名称",
            "交易对方",
            "对手方户名",
            "收/付方名称",
        ],
    ),
    (
        Role::CpAccount,
        &["对方账号", "对方卡号", "对手方账号", "收/付方账号"],
    ),
    (
        Role::Debit,
        &[
            "支出",
            "支出金额",
            "借方发生额",
            "实付金额",
            "转出金额",
            "付款金额",
        ],
    ),
    (
        Role::Credit,
        &[
            "收入",
            "收入金额",
            "贷方发生额",
            "实收金额",
            "转入金额",
            "收款金额",
        ],
    ),
    (
        Role::Amount,
        &[
            "交易金额",
            "金额",
            "发生额",
            "实付金额",
            "交易额",
            "金额(元)",
        ],
    ),
    (Role::Dir, &["收/支", "借贷标志", "收支", "借/贷", "方向"]),
    (
        Role::Balance,
        &[
            "余额",
            "账户余额",
            "联机余额",
            "可用余额",
            "本次余额",
            "交易后余额",
        ],
    ),
    (Role::Reference, &["流水号", "交易流水号", "凭证号"]),
    (Role::ValueDate, &["起息日", "计息日期", "起息日期"]),
];

fn header_word(l: &Layout, role: Role) -> String {
    let table = match l.lang {
        Lang::En => EN_HEADERS,
        Lang::Zh => ZH_HEADERS,
    };
    let word = table
        .iter()
        .find(|(r, _)| *r == role)
        .map(|(_, words)| words[l.vocab % words.len()].to_string())
        .unwrap_or_default();
    // A date column named like a time (交易时间) only when no separate time column exists.
    if role == Role::Date && word.contains("时间") && l.columns.contains(&Role::Time) {
        return if l.vocab.is_multiple_of(2) {
            "交易日期"
        } else {
            "记账日期"
        }
        .to_string();
    }
    word
}

/// (holder, account, currency, period, opening, closing) labels.
const EN_LABELS: &[[&str; 6]] = &[
    [
        "Account Holder",
        "Account Number",
        "Currency",
        "Statement Period",
        "Opening Balance",
        "Closing Balance",
    ],
    [
        "Customer Name",
        "Account No.",
        "Currency",
        "Period",
        "Balance at start",
        "Balance at end",
    ],
    [
        "Name",
        "A/C No",
        "Account Currency",
        "Statement from",
        "Previous Balance",
        "New Balance",
    ],
    [
        "Account Name",
        "Account",
        "CCY",
        "Period Covered",
        "Start Balance",
        "End Balance",
    ],
    [
        "Prepared for",
        "Account number",
        "Currency code",
        "Statement period",
        "Beginning Balance",
        "Ending Balance",
    ],
];

const ZH_LABELS: &[[&str; 6]] = &[
    ["户名", "账号", "币种", "起止日期", "期初余额", "期末余额"],
    [
        "账户名称",
        "卡号",
        "货币",
        "查询期间",
        "上期余额",
        "本期余额",
    ],
    [
        "客户姓名",
        "账户号码",
        "币别",
        "交易期间",
        "起始余额",
        "结束余额",
    ],
    [
        "姓名",
        "账户",
        "币种",
        "查询起止日期",
        "期初金额",
        "期末金额",
    ],
];

fn desc_of(l: &Layout, description: &str) -> String {
    description.to_string()
        + if l.lang == Lang::Zh && l.wrap_desc {
            "（手机银行）"
        } else {
            ""
        }
}

fn money_cells(l: &Layout, amount: Decimal) -> (Cell, Cell, Cell) {
    // (debit or amount, credit, direction)
    let out = amount.is_sign_negative();
    let n = fmt_num(l, amount);
    let abs = amount.abs();
    let zero = fmt_num(l, Decimal::ZERO);
    match l.money {
        Money::Split { zero_fill } => {
            let filled = Cell {
                text: n,
                typed: Typed::Number(abs),
            };
            let other = if zero_fill {
                Cell {
                    text: zero,
                    typed: Typed::Number(Decimal::ZERO),
                }
            } else {
                Cell::empty()
            };
            if out {
                (filled, other, Cell::empty())
            } else {
                (other, filled, Cell::empty())
            }
        }
        Money::Signed { plus } => {
            let text = if out {
                format!("-{n}")
            } else if plus {
                format!("+{n}")
            } else {
                n
            };
            (
                Cell {
                    text,
                    typed: Typed::Number(amount),
                },
                Cell::empty(),
                Cell::empty(),
            )
        }
        Money::DrCrSuffix { tight } => {
            let text = match (tight, out) {
                (false, true) => format!("{n} Dr"),
                (false, false) => format!("{n} Cr"),
                (true, true) => format!("{n}DR"),
                (true, false) => format!("{n}CR"),
            };
            (Cell::text(text), Cell::empty(), Cell::empty())
        }
        Money::Parens => {
            let text = if out { format!("({n})") } else { n };
            (Cell::text(text), Cell::empty(), Cell::empty())
        }
        Money::CrOnlySuffix => {
            let text = if out { n } else { format!("{n} CR") };
            (Cell::text(text), Cell::empty(), Cell::empty())
        }
        Money::TrailingMinus => {
            let text = if out { format!("{n}-") } else { n };
            (Cell::text(text), Cell::empty(), Cell::empty())
        }
        Money::DirectionColumn(d) => {
            let (c, dr) = d.words();
            (
                Cell {
                    text: n,
                    typed: Typed::Number(abs),
                },
                Cell::empty(),
                Cell::text(if out { dr } else { c }),
            )
        }
    }
}

fn balance_cell(l: &Layout, b: Decimal) -> Cell {
    Cell {
        text: fmt_num(l, b),
        typed: Typed::Number(b),
    }
}

/// The layout's table and header block.
pub fn table(l: &Layout, s: &Statement) -> Table {
    let mut rng = ChaCha8Rng::seed_from_u64(l.seed ^ 0x5eed_2002);
    let zh = l.lang == Lang::Zh;
    let mut rows = Vec::new();
    if l.brought_forward {
        let mut cells: Vec<Cell> = l.columns.iter().map(|_| Cell::empty()).collect();
        for (c, r) in cells.iter_mut().zip(&l.columns) {
            match r {
                Role::Date => {
                    *c = Cell {
                        text: date(s.period_start, l.date),
                        typed: Typed::Date(s.period_start),
                    }
                }
                Role::Desc => {
                    *c = Cell::text(match (zh, l.vocab % 2) {
                        (false, 0) => "Balance brought forward",
                        (false, _) => "BALANCE B/F",
                        (true, 0) => "承前余额",
                        (true, _) => "上期结转",
                    })
                }
                Role::Balance => *c = balance_cell(l, s.opening_balance),
                _ => {}
            }
        }
        rows.push(Row {
            cells,
            kind: RowKind::BroughtForward,
            balance: Some(s.opening_balance),
        });
    }
    let mut order: Vec<usize> = (0..s.entries.len()).collect();
    if l.newest_first {
        order.reverse();
    }
    let mut last_date = None;
    for i in order {
        let e = &s.entries[i];
        let repeat_date = l.date_once && last_date == Some(e.date);
        last_date = Some(e.date);
        let (amount, credit, dir) = money_cells(l, e.amount);
        let reference = format!("{:08}", rng.random_range(10_000_000..100_000_000u32));
        let value_lag: i64 = rng.random_range(0..=2);
        let cells = l
            .columns
            .iter()
            .map(|r| match r {
                Role::Date if repeat_date => Cell::empty(),
                Role::Date => {
                    let text = match (l.datetime, e.time) {
                        (true, Some(t)) => {
                            format!("{} {}", date(e.date, l.date), t.format("%H:%M:%S"))
                        }
                        _ => date(e.date, l.date),
                    };
                    Cell {
                        text,
                        typed: if l.datetime {
                            Typed::Text
                        } else {
                            Typed::Date(e.date)
                        },
                    }
                }
                Role::Time => Cell::text(
                    e.time
                        .map(|t| t.format("%H:%M:%S").to_string())
                        .unwrap_or_default(),
                ),
                Role::Desc => Cell::text(desc_of(l, &e.description)),
                Role::Counterparty => Cell::text(e.counterparty.clone().unwrap_or_default()),
                Role::CpAccount => Cell::text(e.counterparty_account.clone().unwrap_or_default()),
                Role::Debit | Role::Amount => amount.clone(),
                Role::Credit => credit.clone(),
                Role::Dir => dir.clone(),
                Role::Balance => balance_cell(l, e.balance),
                Role::Reference => Cell::text(reference.clone()),
                Role::ValueDate => {
                    let v = e.date + chrono::Duration::days(value_lag);
                    Cell {
                        text: date(v, l.date),
                        typed: Typed::Date(v),
                    }
                }
            })
            .collect();
        rows.push(Row {
            cells,
            kind: RowKind::Txn,
            balance: Some(e.balance),
        });
    }
    if l.totals {
        rows.extend(totals(l, s));
    }

    let labels = match l.lang {
        Lang::En => EN_LABELS[l.labels % EN_LABELS.len()],
        Lang::Zh => ZH_LABELS[l.labels % ZH_LABELS.len()],
    };
    let mut fields = Vec::new();
    if l.header_block {
        let currency = if zh && s.currency == "CNY" && l.labels.is_multiple_of(2) {
            "人民币".to_string()
        } else {
            s.currency.clone()
        };
        // The period always carries its year, so year-less row dates can be completed.
        let period_fmt = if l.date == DateFmt::DayMonNoYear {
            DateFmt::DayMon
        } else {
            l.date
        };
        let (a, b) = (
            date(s.period_start, period_fmt),
            date(s.period_end, period_fmt),
        );
        let period = match (zh, l.labels % 3) {
            (true, 0) => format!("{a} 至 {b}"),
            (true, _) => format!("{a} - {b}"),
            (false, 0) => format!("{a} to {b}"),
            (false, 1) => format!("{a} - {b}"),
            (false, _) => format!("{a} to {b}"),
        };
        fields.push((labels[0].to_string(), Cell::text(&s.holder)));
        fields.push((labels[1].to_string(), Cell::text(&s.account_number)));
        fields.push((labels[2].to_string(), Cell::text(currency)));
        fields.push((labels[3].to_string(), Cell::text(period)));
        if l.printed_balances {
            fields.push((labels[4].to_string(), balance_cell(l, s.opening_balance)));
            fields.push((labels[5].to_string(), balance_cell(l, s.closing_balance())));
        }
    }
    let title = match (zh, l.labels % 2) {
        (false, 0) => format!("{}  Account Statement", s.bank),
        (false, _) => format!("{}  Transaction History", s.bank),
        (true, 0) => format!("{} 个人账户交易明细", s.bank),
        (true, _) => format!("{} 账户交易流水", s.bank),
    };
    Table {
        title,
        fields,
        headers: l.columns.iter().map(|r| header_word(l, *r)).collect(),
        roles: l.columns.clone(),
        rows,
    }
}

fn totals(l: &Layout, s: &Statement) -> Vec<Row> {
    let zh = l.lang == Lang::Zh;
    let label_col = l.columns.iter().position(|r| *r == Role::Desc).unwrap_or(0);
    let blank = || -> Vec<Cell> { l.columns.iter().map(|_| Cell::empty()).collect() };
    let put = |cells: &mut Vec<Cell>, role: Role, cell: Cell| {
        if let Some(i) = l.columns.iter().position(|r| *r == role) {
            cells[i] = cell;
        }
    };
    if matches!(l.money, Money::Split { .. }) {
        let mut cells = blank();
        cells[label_col] = Cell::text(if zh { "合计" } else { "Total" });
        let num = |d: Decimal| Cell {
            text: fmt_num(l, d),
            typed: Typed::Number(d),
        };
        put(&mut cells, Role::Debit, num(s.total_debits()));
        put(&mut cells, Role::Credit, num(s.total_credits()));
        return vec![Row {
            cells,
            kind: RowKind::Total,
            balance: None,
        }];
    }
    let mut out = Vec::new();
    for (label, amount) in [
        (
            if zh { "支出合计" } else { "Total debits" },
            -s.total_debits(),
        ),
        (
            if zh { "收入合计" } else { "Total credits" },
            s.total_credits(),
        ),
    ] {
        let mut cells = blank();
        cells[label_col] = Cell::text(label);
        let (a, _, dir) = money_cells(l, amount);
        put(&mut cells, Role::Amount, a);
        put(&mut cells, Role::Dir, dir);
        out.push(Row {
            cells,
            kind: RowKind::Total,
            balance: None,
        });
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on failure
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn numbers_and_dates() {
        let d = |s| Decimal::from_str(s).unwrap();
        assert_eq!(number(d("-1234567.5"), false), "1,234,567.50");
        assert_eq!(number(d("1234.56"), true), "1.234,56");
        assert_eq!(split_date("2026-06-01"), ["2026-06-", "01"]);
        assert_eq!(split_date("31.03.2026"), ["31.03.", "2026"]);
        assert_eq!(split_date("01 Mar 2026"), ["01 Mar", "2026"]);
        assert_eq!(split_date("20260301"), ["202603", "01"]);
    }
}
