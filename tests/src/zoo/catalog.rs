//! The catalogue of zoo layouts. Layouts come in pairs (tune at an even index, held-out at the
//! next odd one) that share a theme — a money convention, a wrapping problem, a number style — and
//! differ in language, vocabulary, column order, date style or format, so a reader tuned on one
//! half meets every theme again, in a different guise, in the other. Header words and label
//! wordings rotate with the index, so consecutive layouts also differ in vocabulary.

use super::{DateFmt, Direction, Format, Lang, Layout, Money, Role};

fn roles(spec: &str) -> Vec<Role> {
    spec.split_whitespace()
        .filter_map(|w| match w {
            "date" => Some(Role::Date),
            "time" => Some(Role::Time),
            "desc" => Some(Role::Desc),
            "cp" => Some(Role::Counterparty),
            "cpacct" => Some(Role::CpAccount),
            "out" => Some(Role::Debit),
            "in" => Some(Role::Credit),
            "amt" => Some(Role::Amount),
            "dir" => Some(Role::Dir),
            "bal" => Some(Role::Balance),
            "ref" => Some(Role::Reference),
            "valdate" => Some(Role::ValueDate),
            _ => None,
        })
        .collect()
}

struct Draft {
    theme: &'static str,
    lang: Lang,
    format: Format,
    money: Money,
    date: DateFmt,
    cols: &'static str,
    tweak: fn(&mut Layout),
}

const fn d(
    theme: &'static str,
    lang: Lang,
    format: Format,
    money: Money,
    date: DateFmt,
    cols: &'static str,
    tweak: fn(&mut Layout),
) -> Draft {
    Draft {
        theme,
        lang,
        format,
        money,
        date,
        cols,
        tweak,
    }
}

fn none(_: &mut Layout) {}

use DateFmt::*;
use Format::*;
use Lang::*;

const SPLIT: Money = Money::Split { zero_fill: false };
const SIGNED: Money = Money::Signed { plus: false };

const DRAFTS: &[Draft] = &[
    // 1: split debit/credit columns.
    d(
        "split",
        En,
        Pdf,
        SPLIT,
        DayMon,
        "date desc cp out in bal",
        none,
    ),
    d(
        "split-in-first",
        En,
        Pdf,
        SPLIT,
        Dmy,
        "date desc in out bal",
        |l| l.vocab = 1,
    ),
    // 2: Chinese split, date-time cell with an unknown header.
    d(
        "split",
        Zh,
        Pdf,
        SPLIT,
        Iso,
        "date time desc cp cpacct in out bal",
        |l| l.vocab = 0,
    ),
    d(
        "split-datetime",
        Zh,
        Pdf,
        SPLIT,
        Iso,
        "date desc out in bal cp",
        |l| {
            l.vocab = 2;
            l.datetime = true;
        },
    ),
    // 3: one signed amount.
    d("signed", En, Pdf, SIGNED, Iso, "date desc amt bal", |l| {
        l.vocab = 1
    }),
    d(
        "signed-plus-nobal",
        En,
        Pdf,
        Money::Signed { plus: true },
        Slash,
        "date ref desc amt",
        none,
    ),
    // 4: Dr/Cr suffix.
    d(
        "drcr-suffix",
        En,
        Pdf,
        Money::DrCrSuffix { tight: false },
        DayMon,
        "date desc amt bal",
        none,
    ),
    d(
        "drcr-tight-newest",
        En,
        Pdf,
        Money::DrCrSuffix { tight: true },
        Dmy,
        "date desc ref amt bal",
        |l| l.newest_first = true,
    ),
    // 5: parentheses for debits.
    d(
        "parens",
        En,
        Pdf,
        Money::Parens,
        Mdy,
        "date desc amt bal",
        none,
    ),
    d(
        "parens-multipage-bf",
        En,
        Pdf,
        Money::Parens,
        DayMon,
        "date desc cp amt bal",
        |l| {
            l.transactions = 70;
            l.brought_forward = true;
            l.carried = true;
        },
    ),
    // 6: trailing minus.
    d(
        "trailing-minus",
        En,
        Pdf,
        Money::TrailingMinus,
        Dotted,
        "date desc amt bal",
        none,
    ),
    d(
        "trailing-minus",
        Zh,
        Pdf,
        Money::TrailingMinus,
        Slash,
        "date time desc amt bal cp",
        none,
    ),
    // 7: English direction column.
    d(
        "dir-drcr",
        En,
        Pdf,
        Money::DirectionColumn(Direction::CrDr),
        Iso,
        "date desc amt dir bal",
        none,
    ),
    d(
        "dir-cd",
        En,
        Pdf,
        Money::DirectionColumn(Direction::CD),
        DayMon,
        "date dir amt desc bal",
        none,
    ),
    // 8: Chinese direction column.
    d(
        "dir-shouzhi",
        Zh,
        Pdf,
        Money::DirectionColumn(Direction::ShouZhi),
        Iso,
        "date time dir amt bal desc cp cpacct",
        none,
    ),
    d(
        "dir-jiedai",
        Zh,
        Pdf,
        Money::DirectionColumn(Direction::JieDai),
        Compact,
        "date desc dir amt bal cp",
        none,
    ),
    // 9: narrow date column, dates wrap.
    d(
        "wrap-date",
        En,
        Pdf,
        SPLIT,
        Iso,
        "date desc out in bal",
        |l| {
            l.wrap_dates = true;
            l.month = 6;
        },
    ),
    d(
        "wrap-date",
        Zh,
        Pdf,
        SPLIT,
        Iso,
        "date desc cp in out bal",
        |l| l.wrap_dates = true,
    ),
    // 10: wrapped descriptions over several pages, totals.
    d(
        "wrap-desc-multipage",
        En,
        Pdf,
        SPLIT,
        DayMon,
        "date desc cp out in bal",
        |l| {
            l.wrap_desc = true;
            l.transactions = 75;
            l.totals = true;
        },
    ),
    d(
        "wrap-desc-multipage",
        Zh,
        Pdf,
        SIGNED,
        Iso,
        "date time desc cp amt bal",
        |l| {
            l.wrap_desc = true;
            l.transactions = 60;
            l.totals = true;
        },
    ),
    // 11: European numbers and dates.
    d(
        "eu-signed",
        En,
        Pdf,
        SIGNED,
        Dotted,
        "date desc amt bal",
        |l| {
            l.european = true;
            l.currency = "EUR";
        },
    ),
    d(
        "eu-dir-kd",
        En,
        Pdf,
        Money::DirectionColumn(Direction::KD),
        Dotted,
        "date desc dir amt bal",
        |l| {
            l.european = true;
            l.currency = "EUR";
        },
    ),
    // 12: newest first.
    d(
        "newest-first",
        En,
        Pdf,
        SPLIT,
        DayMon,
        "date desc out in bal",
        |l| l.newest_first = true,
    ),
    d(
        "newest-first",
        Zh,
        Pdf,
        SPLIT,
        Iso,
        "date desc in out bal cp",
        |l| {
            l.newest_first = true;
            l.datetime = true;
        },
    ),
    // 13: no printed opening/closing, a brought-forward row instead.
    d(
        "bf-no-openclose",
        En,
        Pdf,
        SPLIT,
        Dmy,
        "date desc out in bal",
        |l| {
            l.brought_forward = true;
            l.printed_balances = false;
        },
    ),
    d(
        "bf-no-openclose",
        Zh,
        Pdf,
        SPLIT,
        Iso,
        "date time desc out in bal",
        |l| {
            l.brought_forward = true;
            l.printed_balances = false;
        },
    ),
    // 14: three pages, zero-filled split columns, totals.
    d(
        "totals-3pages",
        En,
        Pdf,
        Money::Split { zero_fill: true },
        Iso,
        "date desc ref out in bal",
        |l| {
            l.transactions = 100;
            l.totals = true;
        },
    ),
    d(
        "totals-3pages",
        Zh,
        Pdf,
        Money::Split { zero_fill: true },
        Iso,
        "date time desc cp cpacct out in bal",
        |l| {
            l.transactions = 70;
            l.totals = true;
        },
    ),
    // 15–18: scans (few: OCR is slow).
    d(
        "split",
        En,
        Scan,
        SPLIT,
        DayMon,
        "date desc cp out in bal",
        |l| {
            l.vocab = 1;
            l.transactions = 20;
        },
    ),
    d(
        "split",
        Zh,
        Scan,
        SPLIT,
        Iso,
        "date time desc cp in out bal",
        |l| l.transactions = 16,
    ),
    d("signed", En, Scan, SIGNED, Iso, "date desc amt bal", |l| {
        l.transactions = 20
    }),
    d(
        "dir-shouzhi",
        Zh,
        Scan,
        Money::DirectionColumn(Direction::ShouZhi),
        Iso,
        "date time dir amt bal desc cp",
        |l| l.transactions = 16,
    ),
    d(
        "drcr-suffix",
        En,
        Scan,
        Money::DrCrSuffix { tight: false },
        Dmy,
        "date desc amt bal",
        |l| l.transactions = 20,
    ),
    d(
        "parens-newest",
        En,
        Scan,
        Money::Parens,
        DayMon,
        "date desc amt bal",
        |l| {
            l.transactions = 20;
            l.newest_first = true;
        },
    ),
    d("eu", En, Scan, SIGNED, Dotted, "date desc amt bal", |l| {
        l.transactions = 20;
        l.european = true;
        l.currency = "EUR";
    }),
    d(
        "wrap-date",
        Zh,
        Scan,
        SPLIT,
        Iso,
        "date desc in out bal",
        |l| {
            l.transactions = 16;
            l.wrap_dates = true;
        },
    ),
    // 19–21: workbooks.
    d(
        "split-typed",
        En,
        Xlsx,
        SPLIT,
        Dmy,
        "date desc cp out in bal",
        |l| l.typed = true,
    ),
    d(
        "split-typed",
        Zh,
        Xlsx,
        SPLIT,
        Iso,
        "date time desc cp cpacct in out bal",
        |l| {
            l.typed = true;
            l.vocab = 1;
        },
    ),
    d(
        "signed-text",
        En,
        Xlsx,
        SIGNED,
        DayMon,
        "date desc amt bal",
        none,
    ),
    d(
        "dir-drcr-newest",
        En,
        Xlsx,
        Money::DirectionColumn(Direction::CrDr),
        Iso,
        "date desc dir amt bal",
        |l| {
            l.typed = true;
            l.newest_first = true;
        },
    ),
    d(
        "eu-text",
        En,
        Xlsx,
        SIGNED,
        Dotted,
        "date desc amt bal",
        |l| {
            l.european = true;
            l.currency = "EUR";
        },
    ),
    d(
        "dir-jiedai",
        Zh,
        Xlsx,
        Money::DirectionColumn(Direction::JieDai),
        Compact,
        "date time desc dir amt bal cp",
        |l| l.typed = true,
    ),
    // 22–25: CSV exports.
    d(
        "signed-noheader",
        En,
        CsvUtf8,
        SIGNED,
        Iso,
        "date desc amt bal",
        |l| l.header_block = false,
    ),
    d(
        "split-bom-multiline",
        En,
        CsvUtf8,
        SPLIT,
        Dmy,
        "date desc cp out in bal",
        |l| {
            l.bom = true;
            l.wrap_desc = true;
        },
    ),
    d(
        "eu-semicolon",
        En,
        CsvUtf8,
        SIGNED,
        Dotted,
        "date desc amt bal",
        |l| {
            l.european = true;
            l.semicolon = true;
            l.currency = "EUR";
        },
    ),
    d(
        "eu-semicolon-drcr",
        En,
        CsvUtf8,
        Money::DrCrSuffix { tight: false },
        Dotted,
        "date ref desc amt bal",
        |l| {
            l.european = true;
            l.semicolon = true;
            l.currency = "EUR";
        },
    ),
    d(
        "dir-shouzhi",
        Zh,
        CsvGb18030,
        Money::DirectionColumn(Direction::ShouRuZhiChu),
        Iso,
        "date time dir amt bal desc cp cpacct",
        |l| l.printed_balances = false,
    ),
    d(
        "split-datetime",
        Zh,
        CsvGb18030,
        SPLIT,
        Iso,
        "date desc cp out in bal",
        |l| {
            l.vocab = 2;
            l.datetime = true;
        },
    ),
    d(
        "signed",
        Zh,
        CsvUtf8,
        SIGNED,
        Slash,
        "date time desc amt bal cp",
        none,
    ),
    d(
        "parens-newest-totals",
        En,
        CsvUtf8,
        Money::Parens,
        Mdy,
        "date desc amt bal",
        |l| {
            l.newest_first = true;
            l.totals = true;
        },
    ),
    // 26–28: no running balance, so nothing to check a debit/credit reading against.
    d(
        "dir-nobal",
        En,
        Pdf,
        Money::DirectionColumn(Direction::CrDr),
        DayMon,
        "date desc cp amt dir",
        none,
    ),
    d(
        "dir-nobal",
        Zh,
        Xlsx,
        Money::DirectionColumn(Direction::JieDai),
        Iso,
        "date time desc cp dir amt",
        |l| l.typed = true,
    ),
    d(
        "split-nobal",
        Zh,
        Pdf,
        SPLIT,
        Slash,
        "date time desc cp cpacct out in",
        |l| l.vocab = 3,
    ),
    d(
        "split-nobal-noheader",
        En,
        CsvUtf8,
        SPLIT,
        Mdy,
        "date desc out in",
        |l| {
            l.header_block = false;
            l.vocab = 1;
        },
    ),
    d(
        "signed-nobal",
        Zh,
        CsvGb18030,
        SIGNED,
        Compact,
        "date time amt desc cp cpacct",
        |l| l.printed_balances = false,
    ),
    d(
        "signed-nobal-newest",
        En,
        Xlsx,
        SIGNED,
        Iso,
        "date ref desc amt",
        |l| {
            l.typed = true;
            l.newest_first = true;
        },
    ),
    // 29: a value-date column beside the booking date.
    d(
        "value-date",
        En,
        Pdf,
        SPLIT,
        Dmy,
        "date valdate desc out in bal",
        none,
    ),
    d(
        "value-date",
        Zh,
        Pdf,
        SIGNED,
        Iso,
        "date time valdate desc amt bal cp",
        none,
    ),
    // 30: column headers on two lines.
    d(
        "2line-headers",
        En,
        Pdf,
        SPLIT,
        DayMon,
        "date desc cp out in bal",
        |l| {
            l.wrap_headers = true;
            l.vocab = 0;
        },
    ),
    d(
        "2line-headers",
        Zh,
        Pdf,
        SPLIT,
        Iso,
        "date time desc cp in out bal",
        |l| {
            l.wrap_headers = true;
            l.vocab = 1;
        },
    ),
    // 31: dates without a year (the period gives it).
    d(
        "no-year",
        En,
        Pdf,
        SPLIT,
        DayMonNoYear,
        "date desc out in bal",
        |l| l.month = 11,
    ),
    d(
        "no-year",
        En,
        Xlsx,
        Money::DrCrSuffix { tight: false },
        DayMonNoYear,
        "date desc amt bal",
        |l| l.month = 2,
    ),
    // 32: the date printed on a day's first row only.
    d(
        "date-once",
        En,
        Pdf,
        SPLIT,
        DayMon,
        "date desc out in bal",
        |l| {
            l.date_once = true;
            l.transactions = 30;
        },
    ),
    d(
        "date-once",
        En,
        CsvUtf8,
        SIGNED,
        Dmy,
        "date desc amt bal",
        |l| {
            l.date_once = true;
            l.transactions = 30;
        },
    ),
    // 33: only credits marked (`CR`), debits bare.
    d(
        "cr-only",
        En,
        Pdf,
        Money::CrOnlySuffix,
        DayMon,
        "date desc amt bal",
        none,
    ),
    d(
        "cr-only",
        En,
        Xlsx,
        Money::CrOnlySuffix,
        Iso,
        "date ref desc amt bal",
        none,
    ),
    // 34: currency symbols on every amount.
    d(
        "dollar-signed",
        En,
        Pdf,
        SIGNED,
        Mdy,
        "date desc amt bal",
        |l| {
            l.symbol = Some("$");
            l.currency = "USD";
        },
    ),
    d(
        "pound-signed",
        En,
        CsvUtf8,
        SIGNED,
        Dmy,
        "date desc cp amt bal",
        |l| {
            l.symbol = Some("£");
            l.currency = "GBP";
        },
    ),
    // 35: space thousands separators and decimal commas.
    d(
        "space-groups",
        En,
        CsvUtf8,
        SPLIT,
        Dotted,
        "date desc out in bal",
        |l| {
            l.space_groups = true;
            l.semicolon = true;
            l.currency = "EUR";
        },
    ),
    d(
        "space-groups",
        En,
        Pdf,
        SIGNED,
        Dotted,
        "date desc amt bal",
        |l| {
            l.space_groups = true;
            l.currency = "EUR";
        },
    ),
    // 35–37: more scans, so that both halves hold Chinese scans and scans of every money
    // convention (tune: even, held-out: odd).
    d(
        "split-b",
        Zh,
        Scan,
        SPLIT,
        Iso,
        "date desc cp out in bal",
        |l| {
            l.vocab = 1;
            l.transactions = 16;
        },
    ),
    d(
        "signed-b",
        Zh,
        Scan,
        SIGNED,
        Slash,
        "date desc amt bal cp",
        |l| l.transactions = 16,
    ),
    d(
        "wrap-date-b",
        Zh,
        Scan,
        SPLIT,
        Iso,
        "date desc out in bal",
        |l| {
            l.vocab = 1;
            l.transactions = 16;
            l.wrap_dates = true;
        },
    ),
    d(
        "wrap-desc",
        En,
        Scan,
        SPLIT,
        Dmy,
        "date desc out in bal",
        |l| {
            l.transactions = 20;
            l.wrap_desc = true;
        },
    ),
    d(
        "parens-newest-b",
        En,
        Scan,
        Money::Parens,
        Iso,
        "date desc amt bal",
        |l| {
            l.vocab = 2;
            l.transactions = 20;
            l.newest_first = true;
        },
    ),
    d(
        "dir-jiedai",
        Zh,
        Scan,
        Money::DirectionColumn(Direction::JieDai),
        Iso,
        "date dir amt bal desc",
        |l| l.transactions = 16,
    ),
    // 38: single-letter direction columns in a PDF (C/D, K/D), both halves.
    d(
        "dir-cd-b",
        En,
        Pdf,
        Money::DirectionColumn(Direction::CD),
        Dmy,
        "date desc amt dir bal",
        |l| l.vocab = 1,
    ),
    d(
        "dir-kd-b",
        En,
        Pdf,
        Money::DirectionColumn(Direction::KD),
        Iso,
        "date desc amt dir bal",
        |l| {
            l.vocab = 2;
            l.european = true;
            l.currency = "EUR";
        },
    ),
    // 39–44: scans of more money conventions and layouts (OCR meets every convention in
    // both halves).
    d(
        "trailing-minus",
        Zh,
        Scan,
        Money::TrailingMinus,
        Slash,
        "date time desc amt bal cp",
        |l| l.transactions = 16,
    ),
    d(
        "trailing-minus",
        En,
        Scan,
        Money::TrailingMinus,
        Dotted,
        "date desc amt bal",
        |l| l.transactions = 20,
    ),
    d(
        "dir-drcr",
        En,
        Scan,
        Money::DirectionColumn(Direction::CrDr),
        Iso,
        "date desc amt dir bal",
        |l| l.transactions = 20,
    ),
    d(
        "dir-shouru",
        Zh,
        Scan,
        Money::DirectionColumn(Direction::ShouRuZhiChu),
        Iso,
        "date desc dir amt bal",
        |l| l.transactions = 16,
    ),
    d(
        "value-date",
        Zh,
        Scan,
        SIGNED,
        Iso,
        "date valdate desc amt bal cp",
        |l| l.transactions = 16,
    ),
    d(
        "value-date",
        En,
        Scan,
        SPLIT,
        Dmy,
        "date valdate desc out in bal",
        |l| l.transactions = 20,
    ),
    d(
        "2line-headers",
        Zh,
        Scan,
        SPLIT,
        Iso,
        "date desc cp in out bal",
        |l| {
            l.wrap_headers = true;
            l.transactions = 16;
        },
    ),
    d(
        "2line-headers",
        En,
        Scan,
        SPLIT,
        DayMon,
        "date desc out in bal",
        |l| {
            l.wrap_headers = true;
            l.transactions = 20;
        },
    ),
    d(
        "newest-first",
        Zh,
        Scan,
        SPLIT,
        Iso,
        "date time desc cp out in bal",
        |l| {
            l.newest_first = true;
            l.transactions = 16;
        },
    ),
    d(
        "newest-first",
        En,
        Scan,
        SPLIT,
        DayMon,
        "date desc out in bal",
        |l| {
            l.newest_first = true;
            l.transactions = 20;
        },
    ),
];

/// Every layout of the zoo, in catalogue order (`index` = position).
pub fn layouts() -> Vec<Layout> {
    DRAFTS
        .iter()
        .enumerate()
        .map(|(index, dr)| {
            let mut l = Layout {
                id: String::new(),
                index,
                lang: dr.lang,
                format: dr.format,
                money: dr.money,
                date: dr.date,
                columns: roles(dr.cols),
                vocab: index,
                labels: index,
                european: false,
                wrap_dates: false,
                wrap_desc: false,
                newest_first: false,
                printed_balances: true,
                header_block: true,
                brought_forward: false,
                carried: false,
                totals: false,
                transactions: 14 + (index * 7) % 15,
                datetime: false,
                wrap_headers: false,
                date_once: false,
                symbol: None,
                space_groups: false,
                typed: false,
                semicolon: false,
                bom: false,
                month: 1 + (index as u32 * 5) % 12,
                currency: match dr.lang {
                    En => {
                        if index % 3 == 0 {
                            "USD"
                        } else {
                            "GBP"
                        }
                    }
                    Zh => "CNY",
                },
                seed: 7_000 + index as u64,
            };
            (dr.tweak)(&mut l);
            l.id = format!(
                "{index:02}-{}-{}-{}",
                match l.lang {
                    En => "en",
                    Zh => "zh",
                },
                l.format.short(),
                dr.theme
            );
            l
        })
        .collect()
}
