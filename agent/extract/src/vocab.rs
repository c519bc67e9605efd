//! The words banks print: column headers of transaction tables and the labels of header
//! key/values, in English and Chinese. This is the one place to teach the reader a new layout's
//! vocabulary; it must never hold layout-specific positions.

/// What a table column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Transaction date (交易日), or the only date column a table has.
    Date,
    /// Booking / posting date (记账日, Post date) of a table that also prints a transaction date.
    /// The transaction date wins (it is when the customer acted, and what the counterparty's
    /// records show); the booking date is the fallback for rows whose transaction date is blank
    /// (CMB credit prints repayments with a booking date only) and is kept in provenance.
    BookingDate,
    /// A column that holds a date-time (`交易时间`) or only a time, settled by whether the table
    /// also has a date column.
    DateOrTime,
    /// Time of day.
    Time,
    /// Description text.
    Description,
    /// Counterparty name.
    Counterparty,
    /// Counterparty account.
    CounterpartyAccount,
    /// Money out.
    Debit,
    /// Money in.
    Credit,
    /// A signed amount, or an unsigned one whose sign a direction column gives.
    Amount,
    /// Credit/debit marker (`收/支`, `Dr/Cr`).
    Direction,
    /// Running balance.
    Balance,
    /// Currency of the row.
    Currency,
    /// A column the reader does not use (reference numbers, channels, status …).
    Other,
}

impl Role {
    /// Columns whose content is free text that may wrap onto continuation lines.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Role::Description | Role::Counterparty | Role::CounterpartyAccount | Role::Other
        )
    }

    /// Columns holding money.
    pub fn is_money(self) -> bool {
        matches!(self, Role::Debit | Role::Credit | Role::Amount)
    }
}

/// Lower-cases, drops spaces and unifies full-width punctuation so that `Paid  In`, `paid in` and
/// `交易金额（收入）` compare equal to their vocabulary entries.
pub fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '：' => ':',
            '／' => '/',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

const EXACT: &[(&str, Role)] = &[
    ("date", Role::Date),
    ("transactiondate", Role::Date),
    ("postingdate", Role::BookingDate),
    ("postdate", Role::BookingDate),
    ("valuedate", Role::BookingDate),
    ("bookingdate", Role::BookingDate),
    ("txndate", Role::Date),
    ("日期", Role::Date),
    ("交易日期", Role::Date),
    ("记账日期", Role::BookingDate),
    ("记账日", Role::BookingDate),
    ("交易日", Role::Date),
    ("银行记账日", Role::BookingDate),
    ("入账日期", Role::BookingDate),
    ("交易时间", Role::DateOrTime),
    ("time", Role::Time),
    ("时间", Role::Time),
    ("记账时间", Role::Time),
    ("description", Role::Description),
    ("details", Role::Description),
    ("transactiondetails", Role::Description),
    ("narrative", Role::Description),
    ("particulars", Role::Description),
    ("memo", Role::Description),
    ("摘要", Role::Description),
    ("交易摘要", Role::Description),
    ("用途", Role::Description),
    ("附言", Role::Description),
    ("交易类型", Role::Description),
    ("商品", Role::Description),
    ("商品说明", Role::Description),
    ("交易名称", Role::Description),
    ("交易描述", Role::Description),
    ("交易说明", Role::Description),
    ("交易详情", Role::Description),
    ("客户摘要", Role::Description),
    ("counterparty", Role::Counterparty),
    ("payee", Role::Counterparty),
    ("payer", Role::Counterparty),
    ("beneficiary", Role::Counterparty),
    ("merchantname", Role::Counterparty),
    ("对方户名", Role::Counterparty),
    ("对方名称", Role::Counterparty),
    ("交易对方", Role::Counterparty),
    ("对方", Role::Counterparty),
    ("对方账户名", Role::Counterparty),
    ("对手信息", Role::Counterparty),
    ("counterpartyaccount", Role::CounterpartyAccount),
    ("对方账号", Role::CounterpartyAccount),
    ("对方卡号", Role::CounterpartyAccount),
    ("对方账户", Role::CounterpartyAccount),
    ("对方卡号/账号", Role::CounterpartyAccount),
    ("debit", Role::Debit),
    ("debits", Role::Debit),
    ("withdrawal", Role::Debit),
    ("withdrawals", Role::Debit),
    ("paidout", Role::Debit),
    ("moneyout", Role::Debit),
    ("支出", Role::Debit),
    ("借方发生额", Role::Debit),
    ("借方金额", Role::Debit),
    ("转出", Role::Debit),
    ("credit", Role::Credit),
    ("credits", Role::Credit),
    ("deposit", Role::Credit),
    ("deposits", Role::Credit),
    ("paidin", Role::Credit),
    ("moneyin", Role::Credit),
    ("收入", Role::Credit),
    ("贷方发生额", Role::Credit),
    ("贷方金额", Role::Credit),
    ("转入", Role::Credit),
    ("存入", Role::Credit),
    ("amount", Role::Amount),
    ("value", Role::Amount),
    ("sum", Role::Amount),
    ("方向", Role::Direction),
    ("交易方向", Role::Direction),
    ("借贷方向", Role::Direction),
    ("收付标志", Role::Direction),
    ("交易金额", Role::Amount),
    ("金额", Role::Amount),
    ("发生额", Role::Amount),
    ("dr/cr", Role::Direction),
    ("cr/dr", Role::Direction),
    ("credit/debit", Role::Direction),
    ("debit/credit", Role::Direction),
    ("借贷标志", Role::Direction),
    ("借贷", Role::Direction),
    ("收/支", Role::Direction),
    ("收支", Role::Direction),
    ("balance", Role::Balance),
    ("余额", Role::Balance),
    ("账户余额", Role::Balance),
    ("联机余额", Role::Balance),
    ("currency", Role::Currency),
    ("币种", Role::Currency),
    ("币别", Role::Currency),
    ("货币", Role::Currency),
    ("balancecurrency", Role::Other),
];

/// The role a header text names exactly (no pattern rules).
pub fn exact_role(text: &str) -> Option<Role> {
    let n = normalise(text);
    EXACT.iter().find(|(k, _)| *k == n).map(|(_, r)| *r)
}

/// The role a header text names, or `None` when it is not a known header. Exact vocabulary first,
/// then patterns for the many variants (`Billing amount`, `交易金额(收入)`, `金额(元)`).
pub fn header_role(text: &str) -> Option<Role> {
    // OCR reads specks at a cell's edge as quote marks (`”本次余额`).
    let n = normalise(&crate::parse::strip_edge_noise(text));
    if n.is_empty() {
        return None;
    }
    if let Some((_, r)) = EXACT.iter().find(|(k, _)| *k == n) {
        return Some(*r);
    }
    // `交易金额(收入)`: the bracket says which side; `金额(元)`: the bracket is a unit.
    if let (Some(open), true) = (n.find('('), n.ends_with(')')) {
        let outer = &n[..open];
        let inner = &n[open + 1..n.len() - 1];
        let outer_role = header_role(outer);
        if matches!(outer_role, Some(Role::Amount)) || outer.ends_with("金额") {
            if inner.contains("收入") || inner.contains("存入") || inner.contains("贷") {
                return Some(Role::Credit);
            }
            if inner.contains("支出") || inner.contains("借") {
                return Some(Role::Debit);
            }
            return Some(Role::Amount);
        }
        if outer_role.is_some() {
            return outer_role;
        }
    }
    word_role(&n)
}

/// The role of a header the exact vocabulary does not know, from the words it is made of, in the
/// languages banks export in (`Date Posted`, `Money out`, `收入金额`, `交易创建时间`, `Betrag`,
/// `Libellé`, `Saldo`). Order matters: identifiers and accounts before money (`Card number`
/// is not a credit column), sides before plain amounts (`收入金额` is the credit column),
/// balance before amount (`Balance amount`). This only proposes a role; the reader confirms
/// it from the column's content.
fn word_role(n: &str) -> Option<Role> {
    let has = |k: &str| n.contains(k);
    let any = |ks: &[&str]| ks.iter().any(|k| n.contains(k));
    if has("对方") || has("对手") || has("counterparty") || has("方名称") || has("方户名")
    {
        return Some(if has("账号") || has("卡号") || has("account") {
            Role::CounterpartyAccount
        } else if has("开户行") || has("bank") {
            Role::Other
        } else {
            Role::Counterparty
        });
    }
    if n.ends_with("方向")
        || n.ends_with("标志")
        || any(&[
            "收/支",
            "收支",
            "借/贷",
            "借贷",
            "d/k",
            "k/d",
            "dr/cr",
            "cr/dr",
            "c/d",
            "d/c",
            "in/out",
            "资金流向",
        ])
    {
        return Some(Role::Direction);
    }
    // Identifiers: order numbers, references, card and account numbers are never money.
    if (any(&[
        "订单号",
        "流水号",
        "单号",
        "编号",
        "卡号",
        "账号",
        "number",
        "reference",
        "ref.",
        "txnid",
        "transactionid",
    ]) || n == "id"
        || n == "ref")
        && !any(&["amount", "金额"])
    {
        return Some(Role::Other);
    }
    if has("currency") || n.ends_with("币种") || any(&["währung", "devise", "divisa", "moneda"])
    {
        return Some(Role::Currency);
    }
    if any(&["balance", "余额", "saldo", "solde", "kontostand"])
        || n.starts_with("bal")
        || n.ends_with("bal")
    {
        return Some(Role::Balance);
    }
    // Dates before sides: `Date Credited` is a date column, not the credit column.
    let dated = any(&["date", "datum", "fecha", "日期", "buchungstag"])
        || n.starts_with("data")
        || n.ends_with("日");
    if dated {
        return Some(
            if any(&[
                "post",
                "booking",
                "value",
                "valeur",
                "valuta",
                "wertstellung",
                "记账",
                "入账",
                "起息",
                "计息",
                "生效",
            ]) && !any(&["transaction", "交易"])
            {
                Role::BookingDate
            } else {
                Role::Date
            },
        );
    }
    let debit = any(&[
        "debit",
        "débit",
        "withdraw",
        "moneyout",
        "paidout",
        "outgoing",
        "outflow",
        "支出",
        "借方",
        "转出",
        "付款金额",
        "uscite",
        "addebit",
        "gastos",
        "débito",
        "dépense",
        "depense",
        "ausgang",
        "uttag",
        "wydatki",
        "obciążenia",
        "cargo",
        "soll",
        "lastschrift",
    ]) || n.ends_with("out")
        || n == "dr";
    let credit = any(&[
        "credit",
        "crédit",
        "deposit",
        "moneyin",
        "paidin",
        "incoming",
        "inflow",
        "received",
        "收入",
        "entrate",
        "accredit",
        "ingresos",
        "crédito",
        "recette",
        "eingang",
        "insättning",
        "wpływy",
        "uznania",
        "贷方",
        "存入",
        "转入",
        "收款金额",
        "abono",
        "haben",
        "gutschrift",
        "ingreso",
    ]) || n == "cr"
        || (n.ends_with("in") && any(&["money", "paid"]));
    match (debit, credit) {
        (true, false) => return Some(Role::Debit),
        (false, true) => return Some(Role::Credit),
        (true, true) => return Some(Role::Direction),
        (false, false) => {}
    }
    if any(&[
        "amount",
        "amt",
        "交易额",
        "发生金额",
        "金额",
        "发生额",
        "betrag",
        "montant",
        "importe",
        "bedrag",
        "importo",
        "kwota",
        "summe",
        "suma",
    ]) {
        return Some(Role::Amount);
    }
    if n.ends_with("时间") || n.ends_with("time") {
        return Some(if n.starts_with("记账") {
            Role::Time
        } else {
            Role::DateOrTime
        });
    }
    if any(&[
        "desc",
        "detail",
        "narrat",
        "particular",
        "memo",
        "摘要",
        "说明",
        "用途",
        "附言",
        "concepto",
        "libellé",
        "libelle",
        "verwendungszweck",
        "buchungstext",
        "omschrijving",
        "descrizione",
        "transaction",
        "商品",
    ]) {
        return Some(Role::Description);
    }
    if any(&[
        "payee",
        "merchant",
        "商户",
        "商家",
        "beneficiary",
        "empfänger",
        "remitter",
    ]) {
        return Some(Role::Counterparty);
    }
    None
}

/// Labels that start a totals row.
pub fn is_totals_label(text: &str) -> bool {
    let n = normalise(text);
    [
        "total",
        "合计",
        "本页合计",
        "总计",
        "合计金额",
        "小计",
        "pagetotal",
        "totals",
    ]
    .iter()
    .any(|k| n == *k || (n.starts_with(k) && n.len() <= k.len() + 12))
}

/// Labels of rows that carry the balance brought forward instead of a transaction.
pub fn is_opening_row_label(text: &str) -> bool {
    let n = normalise(text);
    [
        "openingbalance",
        "balancebroughtforward",
        "broughtforward",
        "balanceb/f",
        "b/f",
        "期初余额",
        "上期余额",
        "承前页",
    ]
    .iter()
    .any(|k| n.starts_with(k))
}

/// The side a section title gives its table's amounts: `Some(true)` for money in (`Deposits &
/// Other Credits`, `Deposits and additions`, `收入明细`), `Some(false)` for money out
/// (`Withdrawals & Debits`, `Checks Paid`, `Card Purchases`, `Fees`), `None` when it names both
/// or neither.
pub fn section_side(title: &str) -> Option<bool> {
    let n = normalise(title);
    let any = |ks: &[&str]| ks.iter().any(|k| n.contains(k));
    let credit = any(&["deposit", "credit", "addition", "收入", "存入", "转入"]);
    let debit = any(&[
        "withdrawal",
        "debit",
        "checkspaid",
        "chequespaid",
        "checks",
        "purchase",
        "fees",
        "charges",
        "payments",
        "subtraction",
        "支出",
        "转出",
    ]);
    match (credit, debit) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

/// A row of a table that states a statement value instead of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementRow {
    /// The opening balance.
    Opening,
    /// The closing balance.
    Closing,
    /// A turnover (sum of one side) line.
    Turnover,
}

/// The statement value a row's whole description names (`Opening balance`, `Closing balance`,
/// `Turnover`, `期末余额`), or `None` for a transaction's description.
pub fn statement_row_label(text: &str) -> Option<StatementRow> {
    let n = normalise(text);
    let n = n.trim_end_matches([':', '.']);
    const OPENING: &[&str] = &[
        "openingbalance",
        "beginningbalance",
        "startingbalance",
        "previousbalance",
        "期初余额",
        "上期余额",
    ];
    const CLOSING: &[&str] = &[
        "closingbalance",
        "endingbalance",
        "newbalance",
        "期末余额",
        "本期余额",
    ];
    if OPENING.contains(&n) {
        Some(StatementRow::Opening)
    } else if CLOSING.contains(&n) {
        Some(StatementRow::Closing)
    } else if ["turnover", "totalturnover", "发生额合计"].contains(&n) {
        Some(StatementRow::Turnover)
    } else {
        None
    }
}

/// Text of a summary line below or beside a table (`Closing balance`, `Total debits`, `期末余额`,
/// `交易笔数`), which is never a transaction even when it prints an amount.
pub fn is_summary_text(text: &str) -> bool {
    let n = normalise(text);
    // English labels open the line (`Total debits`, `Closing balance`); a description merely
    // containing a word (`Bill payment … account`, `Balance transfer fee`) is not a summary.
    let english = [
        "balance",
        "total",
        "summary",
        "closingbalance",
        "openingbalance",
        "subtotal",
    ]
    .iter()
    .any(|k| n.starts_with(k));
    let chinese = ["余额", "合计", "总计", "汇总", "期末", "期初", "笔数"]
        .iter()
        .any(|k| n.contains(k));
    english || chinese
}

/// Page footers and the like that are never part of a table.
pub fn is_page_furniture(text: &str) -> bool {
    let n = normalise(text);
    let page_of =
        n.starts_with("page") && n[4..].chars().any(|c| c.is_ascii_digit()) && n.len() < 16;
    let cn_page =
        (n.starts_with('第') && n.contains('页')) || (n.starts_with('共') && n.ends_with('页'));
    // `- 2 -`, `-2-`: a page number between dashes.
    let dashed = n.len() >= 3
        && n.starts_with('-')
        && n.ends_with('-')
        && n[1..n.len() - 1].chars().all(|c| c.is_ascii_digit());
    page_of || cn_page || dashed || n.starts_with("continued") || n.starts_with("续")
}

/// A header field of the statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKey {
    /// `account_holder`.
    Holder,
    /// `account_number`.
    Number,
    /// `currency`.
    Currency,
    /// `period_start` and `period_end` from one value.
    Period,
    /// `period_start` alone.
    PeriodStart,
    /// `period_end` alone.
    PeriodEnd,
    /// `opening_balance`.
    Opening,
    /// `closing_balance`.
    Closing,
}

/// Labels of header fields, most specific first within each key so that the longest label wins.
pub const FIELD_LABELS: &[(&str, FieldKey)] = &[
    ("Account Holder", FieldKey::Holder),
    ("Account Holder Name", FieldKey::Holder),
    ("Prepared for", FieldKey::Holder),
    ("Customer", FieldKey::Holder),
    ("持卡人", FieldKey::Holder),
    ("户主", FieldKey::Holder),
    ("Account Name", FieldKey::Holder),
    ("Customer Name", FieldKey::Holder),
    ("Name", FieldKey::Holder),
    ("户名", FieldKey::Holder),
    ("客户姓名", FieldKey::Holder),
    ("客户名称", FieldKey::Holder),
    ("账户名称", FieldKey::Holder),
    ("姓名", FieldKey::Holder),
    ("Account Number", FieldKey::Number),
    ("Account", FieldKey::Number),
    ("Account #", FieldKey::Number),
    ("Acct No", FieldKey::Number),
    ("Acct No.", FieldKey::Number),
    ("A/C No.", FieldKey::Number),
    ("A/C Number", FieldKey::Number),
    ("IBAN", FieldKey::Number),
    ("账户号码", FieldKey::Number),
    ("账户号", FieldKey::Number),
    ("账户", FieldKey::Number),
    ("卡号/账号", FieldKey::Number),
    ("账号/卡号", FieldKey::Number),
    ("Account No.", FieldKey::Number),
    ("Account No", FieldKey::Number),
    ("A/C No", FieldKey::Number),
    ("Card Number", FieldKey::Number),
    ("账号", FieldKey::Number),
    ("卡号", FieldKey::Number),
    ("银行账号", FieldKey::Number),
    ("支付宝账户", FieldKey::Number),
    ("Currency", FieldKey::Currency),
    ("Currency code", FieldKey::Currency),
    ("Account Currency", FieldKey::Currency),
    ("CCY", FieldKey::Currency),
    ("账户币种", FieldKey::Currency),
    ("货币", FieldKey::Currency),
    ("币种", FieldKey::Currency),
    ("币别", FieldKey::Currency),
    ("Statement Period", FieldKey::Period),
    ("For the period", FieldKey::Period),
    ("Date Range", FieldKey::Period),
    ("Statement Date Range", FieldKey::Period),
    ("查询日期", FieldKey::Period),
    ("查询时间", FieldKey::Period),
    ("查询区间", FieldKey::Period),
    ("日期范围", FieldKey::Period),
    ("时间范围", FieldKey::Period),
    ("明细期间", FieldKey::Period),
    ("账单日期", FieldKey::Period),
    ("Zeitraum", FieldKey::Period),
    ("Periodo", FieldKey::Period),
    ("Période", FieldKey::Period),
    ("Period Covered", FieldKey::Period),
    ("Statement from", FieldKey::Period),
    ("Statement Dates", FieldKey::Period),
    ("期间", FieldKey::Period),
    ("起止时间", FieldKey::Period),
    ("查询时间段", FieldKey::Period),
    ("账单期间", FieldKey::Period),
    ("Period", FieldKey::Period),
    ("起止日期", FieldKey::Period),
    ("查询期间", FieldKey::Period),
    ("交易期间", FieldKey::Period),
    ("账单周期", FieldKey::Period),
    ("起始时间", FieldKey::PeriodStart),
    ("起始日期", FieldKey::PeriodStart),
    ("开始日期", FieldKey::PeriodStart),
    ("终止时间", FieldKey::PeriodEnd),
    ("截止日期", FieldKey::PeriodEnd),
    ("结束日期", FieldKey::PeriodEnd),
    ("Opening Balance", FieldKey::Opening),
    ("Beginning Balance", FieldKey::Opening),
    ("Start Balance", FieldKey::Opening),
    ("Starting Balance", FieldKey::Opening),
    ("Balance at start", FieldKey::Opening),
    ("Previous Statement Balance", FieldKey::Opening),
    ("起始余额", FieldKey::Opening),
    ("期初金额", FieldKey::Opening),
    ("上期结余", FieldKey::Opening),
    ("Balance Brought Forward", FieldKey::Opening),
    ("Previous Balance", FieldKey::Opening),
    ("期初余额", FieldKey::Opening),
    ("上期余额", FieldKey::Opening),
    ("Closing Balance", FieldKey::Closing),
    ("End Balance", FieldKey::Closing),
    ("Balance at end", FieldKey::Closing),
    ("结束余额", FieldKey::Closing),
    ("期末金额", FieldKey::Closing),
    ("本期结余", FieldKey::Closing),
    ("Ending Balance", FieldKey::Closing),
    ("New Balance", FieldKey::Closing),
    ("期末余额", FieldKey::Closing),
    // `末` and `未` differ by one stroke length; OCR (and the odd bank template) swaps them.
    ("期未余额", FieldKey::Closing),
    ("本期余额", FieldKey::Closing),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_vocabulary() {
        assert_eq!(header_role("Transaction Date"), Some(Role::Date));
        assert_eq!(header_role("Post date"), Some(Role::BookingDate));
        assert_eq!(header_role("银行记账日"), Some(Role::BookingDate));
        assert_eq!(header_role("Paid In"), Some(Role::Credit));
        assert_eq!(header_role("交易金额(收入)"), Some(Role::Credit));
        assert_eq!(header_role("交易金额（支出）"), Some(Role::Debit));
        assert_eq!(header_role("金额(元)"), Some(Role::Amount));
        assert_eq!(header_role("Billing amount"), Some(Role::Amount));
        assert_eq!(header_role("Credit / Debit"), Some(Role::Direction));
        assert_eq!(
            header_role("对方卡号/账号"),
            Some(Role::CounterpartyAccount)
        );
        assert_eq!(header_role("对方开户行"), Some(Role::Other));
        assert_eq!(header_role("Balance currency"), Some(Role::Other));
        assert_eq!(header_role("交易场所"), None);
        assert!(is_totals_label("本页合计"));
        assert!(is_page_furniture("Page 2 of 3"));
        assert!(is_page_furniture("第 2 页 共 3 页"));
    }
}
