//! The layout zoo: a seeded catalogue of distinct bank-statement layouts (English and Chinese
//! vocabularies, many column orders and money conventions, wrapped cells, multi-page tables,
//! European numbers, newest-first order) rendered as digital PDF, 200-dpi scans, xlsx and CSV,
//! each with its ground truth, plus a harness ([`score`]) that runs Docket's real readers on every
//! file and reports transaction F1 and header-field accuracy per split and format.
//!
//! Every layout has a stable id and index; even indexes are the TUNE split, odd ones HELD-OUT.
//! Layouts are authored in pairs that share a theme and differ in vocabulary, order or format, so
//! the two halves are equally varied. Nothing here reads the clock: a layout's seed names its
//! bytes.

pub mod catalog;
pub mod paged;
pub mod render;
pub mod score;
pub mod sheets;
pub mod world;

pub use catalog::layouts;

use crate::samples::Truth;
use crate::samples::scan::ScanFonts;
use anyhow::Result;

/// Output format of a layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Digital PDF with a text layer.
    Pdf,
    /// Scanned PDF (one noisy, slightly rotated 200-dpi JPEG per page, no text layer).
    Scan,
    /// xlsx workbook.
    Xlsx,
    /// CSV in UTF-8 (with a byte-order mark when [`Layout::bom`] is set).
    CsvUtf8,
    /// CSV in GB18030.
    CsvGb18030,
}

impl Format {
    /// The group scores are reported by: `digital`, `scan` or `sheet` (xlsx and CSV).
    pub fn group(self) -> &'static str {
        match self {
            Format::Pdf => "digital",
            Format::Scan => "scan",
            Format::Xlsx | Format::CsvUtf8 | Format::CsvGb18030 => "sheet",
        }
    }

    /// Short name used in ids.
    pub fn short(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Scan => "scan",
            Format::Xlsx => "xlsx",
            Format::CsvUtf8 => "csv",
            Format::CsvGb18030 => "gbcsv",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Pdf | Format::Scan => "pdf",
            Format::Xlsx => "xlsx",
            Format::CsvUtf8 | Format::CsvGb18030 => "csv",
        }
    }
}

/// Statement language (vocabulary, descriptions, fonts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English vocabulary and descriptions.
    En,
    /// Chinese vocabulary and descriptions.
    Zh,
}

/// How a row's direction is shown next to an unsigned amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// 收 / 支.
    ShouZhi,
    /// 收入 / 支出.
    ShouRuZhiChu,
    /// 贷 / 借 (bank's side: 借 = money out).
    JieDai,
    /// Cr / Dr.
    CrDr,
    /// C / D.
    CD,
    /// K / D (Kredit / Debet).
    KD,
}

impl Direction {
    /// (credit word, debit word).
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Direction::ShouZhi => ("收", "支"),
            Direction::ShouRuZhiChu => ("收入", "支出"),
            Direction::JieDai => ("贷", "借"),
            Direction::CrDr => ("Cr", "Dr"),
            Direction::CD => ("C", "D"),
            Direction::KD => ("K", "D"),
        }
    }
}

/// How money is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Money {
    /// Separate debit and credit columns; `zero_fill` prints `0.00` (not blank) in the unused one.
    Split {
        /// The unused column shows zero instead of nothing.
        zero_fill: bool,
    },
    /// One signed amount column (`-12.34` for money out); `plus` prints `+` on credits.
    Signed {
        /// Credits carry an explicit `+`.
        plus: bool,
    },
    /// Unsigned amount with a `Dr`/`Cr` suffix (`12.34 Dr`); `tight` drops the space and uses
    /// upper case (`12.34DR`).
    DrCrSuffix {
        /// `12.34DR` instead of `12.34 Dr`.
        tight: bool,
    },
    /// Credits marked `CR`, debits bare: `12.34` / `12.34 CR`.
    CrOnlySuffix,
    /// Debits in parentheses: `(12.34)`.
    Parens,
    /// Debits with a trailing minus: `12.34-`.
    TrailingMinus,
    /// Unsigned amount plus a separate direction column.
    DirectionColumn(Direction),
}

/// How dates are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFmt {
    /// 2026-03-01
    Iso,
    /// 2026/03/01
    Slash,
    /// 01/03/2026 (day first)
    Dmy,
    /// 03/01/2026 (month first)
    Mdy,
    /// 01 Mar 2026
    DayMon,
    /// 01 Mar (no year: the year comes from the statement period, printed in full)
    DayMonNoYear,
    /// 01.03.2026
    Dotted,
    /// 20260301
    Compact,
    /// 2026年03月01日
    ZhYmd,
}

/// What a table column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Booking date (for Chinese layouts with [`Layout::datetime`], date and time in one cell).
    Date,
    /// Time of day.
    Time,
    /// Description.
    Desc,
    /// Counterparty name.
    Counterparty,
    /// Counterparty account.
    CpAccount,
    /// Money out (split).
    Debit,
    /// Money in (split).
    Credit,
    /// The one amount column.
    Amount,
    /// Direction word.
    Dir,
    /// Running balance.
    Balance,
    /// A reference number (noise the reader must ignore).
    Reference,
    /// Value date: a second date, 0–2 days after the booking date (the truth's date is the
    /// booking date, printed first).
    ValueDate,
}

/// One layout of the zoo.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Stable id, `NN-lang-format-theme`.
    pub id: String,
    /// Position in the catalogue: even = tune, odd = held-out.
    pub index: usize,
    /// Language.
    pub lang: Lang,
    /// Format.
    pub format: Format,
    /// Money convention.
    pub money: Money,
    /// Date style.
    pub date: DateFmt,
    /// Column roles in printed order.
    pub columns: Vec<Role>,
    /// Which header-word variant each role uses (index into the vocabulary lists).
    pub vocab: usize,
    /// Which label wording the header block uses.
    pub labels: usize,
    /// `1.234,56` numbers.
    pub european: bool,
    /// Narrow date column: the date wraps onto two lines (PDF/scan only).
    pub wrap_dates: bool,
    /// Descriptions wrap over 2–3 lines (PDF/scan) or hold a line break (CSV).
    pub wrap_desc: bool,
    /// Rows printed newest first.
    pub newest_first: bool,
    /// The header block prints the opening and closing balance.
    pub printed_balances: bool,
    /// The file has a header block at all (holder, account, currency, period).
    pub header_block: bool,
    /// A "Balance brought forward" row opens the table (needs a balance column).
    pub brought_forward: bool,
    /// "Balance carried forward" / "brought forward" rows at page breaks (PDF/scan).
    pub carried: bool,
    /// A totals row closes the table.
    pub totals: bool,
    /// Transactions to generate (enough for several pages when large).
    pub transactions: usize,
    /// Chinese: date and time share one cell under the date header.
    pub datetime: bool,
    /// The date is printed only on a day's first row; later rows of the day leave it blank.
    pub date_once: bool,
    /// Currency symbol before every amount and balance (`$`, `£`).
    pub symbol: Option<&'static str>,
    /// `1 234,56` numbers (space groups, decimal comma).
    pub space_groups: bool,
    /// PDF/scan: column headers set on two lines (`Paid` / `Out`, `收入` / `金额`).
    pub wrap_headers: bool,
    /// xlsx: real date and number cells instead of text.
    pub typed: bool,
    /// CSV: `;` separator.
    pub semicolon: bool,
    /// CSV: UTF-8 byte-order mark.
    pub bom: bool,
    /// Statement month (2026).
    pub month: u32,
    /// Currency code.
    pub currency: &'static str,
    /// Generator seed.
    pub seed: u64,
}

impl Layout {
    /// `tune` or `held-out`.
    pub fn split(&self) -> &'static str {
        if self.index.is_multiple_of(2) {
            "tune"
        } else {
            "held-out"
        }
    }

    /// True when the layout has a running-balance column.
    pub fn running_balance(&self) -> bool {
        self.columns.contains(&Role::Balance)
    }

    /// A short human description of what is special about the layout.
    pub fn features(&self) -> String {
        let mut f = vec![match self.money {
            Money::Split { zero_fill: false } => "split".to_string(),
            Money::Split { zero_fill: true } => "split 0-fill".to_string(),
            Money::Signed { plus: false } => "signed".to_string(),
            Money::Signed { plus: true } => "signed +/-".to_string(),
            Money::DrCrSuffix { tight: false } => "Dr/Cr suffix".to_string(),
            Money::DrCrSuffix { tight: true } => "DR/CR tight".to_string(),
            Money::Parens => "(parens)".to_string(),
            Money::CrOnlySuffix => "CR-only suffix".to_string(),
            Money::TrailingMinus => "trailing -".to_string(),
            Money::DirectionColumn(d) => {
                let (c, d) = d.words();
                format!("dir col {c}/{d}")
            }
        }];
        f.push(format!("{:?}", self.date).to_lowercase());
        let flags = [
            (self.european, "eu-num"),
            (self.wrap_dates, "wrap-date"),
            (self.wrap_desc, "wrap-desc"),
            (self.newest_first, "newest-first"),
            (!self.running_balance(), "no-bal-col"),
            (!self.printed_balances, "no-open/close"),
            (!self.header_block, "no-header"),
            (self.brought_forward, "b/f row"),
            (self.carried, "c/f rows"),
            (self.totals, "totals"),
            (self.datetime, "datetime"),
            (self.wrap_headers, "2-line headers"),
            (self.date_once, "date once per day"),
            (self.symbol.is_some(), "currency symbol"),
            (self.space_groups, "1 234,56"),
            (self.columns.contains(&Role::ValueDate), "value-date col"),
            (self.columns.contains(&Role::Reference), "ref col"),
            (self.typed, "typed"),
            (self.semicolon, "semicolon"),
            (self.bom, "bom"),
        ];
        f.extend(
            flags
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, s)| s.to_string()),
        );
        if self.transactions > 40 {
            f.push("multi-page".into());
        }
        f.join(", ")
    }
}

/// One generated zoo document.
#[derive(Debug, Clone)]
pub struct ZooDoc {
    /// The layout it renders.
    pub layout: Layout,
    /// File name (`<id>.<ext>`).
    pub name: String,
    /// File bytes.
    pub bytes: Vec<u8>,
    /// What the file prints.
    pub truth: Truth,
}

/// Render one layout into its file.
pub fn generate(layout: &Layout, fonts: Option<&ScanFonts>) -> Result<ZooDoc> {
    let statement = render::statement(layout);
    let table = render::table(layout, &statement);
    let truth = render::truth(layout, &statement);
    let bytes = match layout.format {
        Format::Pdf => crate::samples::pdf::write_pdf(&paged::pages(layout, &table))?,
        Format::Scan => {
            let fonts = fonts.ok_or_else(|| anyhow::anyhow!("scans need the scan fonts"))?;
            paged::scan(layout, &table, fonts)?
        }
        Format::Xlsx => sheets::xlsx(layout, &table)?,
        Format::CsvUtf8 | Format::CsvGb18030 => sheets::csv(layout, &table)?,
    };
    Ok(ZooDoc {
        name: format!("{}.{}", layout.id, layout.format.extension()),
        layout: layout.clone(),
        bytes,
        truth,
    })
}

/// Render every layout whose id contains `filter` (all when `None`), skipping scans unless
/// `with_scans`.
pub fn generate_all(filter: Option<&str>, with_scans: bool) -> Result<Vec<ZooDoc>> {
    let all = layouts();
    let wanted: Vec<&Layout> = all
        .iter()
        .filter(|l| filter.is_none_or(|f| l.id.contains(f)))
        .filter(|l| with_scans || l.format != Format::Scan)
        .collect();
    let fonts = if wanted.iter().any(|l| l.format == Format::Scan) {
        Some(ScanFonts::load()?)
    } else {
        None
    };
    wanted
        .into_iter()
        .map(|l| generate(l, fonts.as_ref()))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on failure
mod tests {
    use super::*;

    #[test]
    fn catalogue_ids_are_unique_and_splits_balanced() {
        let all = layouts();
        assert!(all.len() >= 40, "{} layouts", all.len());
        let mut ids: Vec<&str> = all.iter().map(|l| l.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
        for (i, l) in all.iter().enumerate() {
            assert_eq!(l.index, i);
        }
        let held = all.iter().filter(|l| l.split() == "held-out").count();
        assert_eq!(held * 2, all.len() - all.len() % 2);
    }

    #[test]
    fn truth_lists_the_printed_transaction_rows_in_order() {
        for l in layouts() {
            let s = render::statement(&l);
            let table = render::table(&l, &s);
            let truth = render::truth(&l, &s);
            let txns = table
                .rows
                .iter()
                .filter(|r| r.kind == render::RowKind::Txn)
                .count();
            assert_eq!(txns, truth.records.len(), "{}", l.id);
            assert_eq!(table.headers.len(), l.columns.len(), "{}", l.id);
            let dates: Vec<_> = truth.records.iter().map(|r| r.date).collect();
            let mut sorted = dates.clone();
            sorted.sort_unstable();
            if l.newest_first {
                sorted.reverse();
            }
            assert_eq!(dates, sorted, "{}: truth out of printed order", l.id);
        }
    }

    #[test]
    fn same_layout_same_bytes() {
        let all = layouts();
        for l in all.iter().filter(|l| l.format != Format::Scan) {
            let a = generate(l, None).unwrap();
            let b = generate(l, None).unwrap();
            assert_eq!(a.bytes, b.bytes, "{}", l.id);
            assert!(!a.truth.records.is_empty(), "{}", l.id);
        }
    }
}
