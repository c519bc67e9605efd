//! Page layout of a statement: where every string and rule goes, in PDF points with a top-left
//! origin. The digital PDF writer and the scan renderer both draw these pages, so a scan and its
//! digital twin show the same table. Layout never measures with a renderer's font: wrapping and
//! paging use Helvetica / CJK metrics only, and each renderer right-aligns with its own.

use super::model::{Flavour, Statement};
use rust_decimal::Decimal;

/// Which font a string is set in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// Helvetica (digital) / DejaVu Sans (scan).
    Latin,
    /// Helvetica-Bold (digital) / DejaVu Sans (scan).
    LatinBold,
    /// STSong-Light (digital) / Noto Sans CJK SC (scan).
    Cjk,
}

/// Horizontal anchoring of a string at its `x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// `x` is the left edge.
    Left,
    /// `x` is the right edge (amount columns).
    Right,
    /// `x` is the centre (page footers).
    Center,
}

/// One string on a page.
#[derive(Debug, Clone, PartialEq)]
pub struct TextItem {
    /// Anchor x in points from the left edge.
    pub x: f32,
    /// Baseline in points from the top edge.
    pub baseline: f32,
    /// Font size in points.
    pub size: f32,
    /// Font.
    pub face: Face,
    /// How `x` anchors the string.
    pub align: Align,
    /// The text.
    pub text: String,
}

/// A straight rule (table lines).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    /// Start x (points, from left).
    pub x0: f32,
    /// Start y (points, from top).
    pub y0: f32,
    /// End x.
    pub x1: f32,
    /// End y.
    pub y1: f32,
    /// Line width in points.
    pub width: f32,
}

/// One laid-out page.
#[derive(Debug, Clone, PartialEq)]
pub struct PageLayout {
    /// Page width in points.
    pub width: f32,
    /// Page height in points.
    pub height: f32,
    /// Strings.
    pub texts: Vec<TextItem>,
    /// Rules.
    pub rules: Vec<Rule>,
}

/// Table text size; scans need at least 10 pt to stay legible at 200 dpi.
const SIZE: f32 = 10.0;
const LINE: f32 = 12.5;
const ROW_GAP: f32 = 5.0;

struct Column {
    x: f32,
    align: Align,
    /// Wrap width for left-aligned text columns (0 = never wrap).
    wrap: f32,
}

const fn col(x: f32, align: Align, wrap: f32) -> Column {
    Column { x, align, wrap }
}

struct Geometry {
    width: f32,
    height: f32,
    margin: f32,
    face: Face,
    headers: &'static [&'static str],
    columns: &'static [Column],
}

const EN: Geometry = Geometry {
    width: 595.28,
    height: 841.89,
    margin: 36.0,
    face: Face::Latin,
    headers: &[
        "Date",
        "Description",
        "Counterparty",
        "Paid Out",
        "Paid In",
        "Balance",
    ],
    columns: &[
        col(36.0, Align::Left, 0.0),
        col(100.0, Align::Left, 135.0),
        col(252.0, Align::Left, 0.0),
        col(420.0, Align::Right, 0.0),
        col(490.0, Align::Right, 0.0),
        col(559.0, Align::Right, 0.0),
    ],
};

const ZH: Geometry = Geometry {
    width: 841.89,
    height: 595.28,
    margin: 30.0,
    face: Face::Cjk,
    headers: &[
        "交易日期",
        "交易时间",
        "摘要",
        "对方户名",
        "对方账号",
        "收入",
        "支出",
        "余额",
    ],
    columns: &[
        col(30.0, Align::Left, 0.0),
        col(98.0, Align::Left, 0.0),
        col(152.0, Align::Left, 0.0),
        col(228.0, Align::Left, 0.0),
        col(372.0, Align::Left, 0.0),
        col(590.0, Align::Right, 0.0),
        col(690.0, Align::Right, 0.0),
        col(811.0, Align::Right, 0.0),
    ],
};

/// Format an amount the way statements print it: thousands separators, two decimals, no sign.
pub fn money(amount: Decimal) -> String {
    let s = format!("{:.2}", amount.abs().round_dp(2));
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{grouped}.{frac}")
}

/// English date as printed: `01 Mar 2026`.
pub fn en_date(d: chrono::NaiveDate) -> String {
    d.format("%d %b %Y").to_string()
}

/// Width of `text` in points at `size`, with Helvetica metrics for Latin faces and the widths the
/// digital PDF declares for STSong-Light (1 em for CJK, ½ em for ASCII).
pub fn text_width(text: &str, face: Face, size: f32) -> f32 {
    let units: u32 = text
        .chars()
        .map(|c| match face {
            Face::Cjk => {
                if c.is_ascii() {
                    500
                } else {
                    1000
                }
            }
            Face::Latin | Face::LatinBold => helvetica_width(c),
        })
        .sum();
    units as f32 * size / 1000.0
}

/// Helvetica advance widths (AFM, 1/1000 em) for printable ASCII; other characters get the
/// width of `o`, which is close enough for the rare accented letter.
pub fn helvetica_width(c: char) -> u32 {
    const W: [u16; 95] = [
        278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278,
        278, // ' '../
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584,
        556, // 0..?
        1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722,
        778, // @..O
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469,
        556, // P.._
        333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556,
        556, // `..o
        556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p..~
    ];
    let code = c as u32;
    if (32..127).contains(&code) {
        u32::from(W[(code - 32) as usize])
    } else {
        556
    }
}

fn wrap(text: &str, face: Face, width: f32) -> Vec<String> {
    if width <= 0.0 || text_width(text, face, SIZE) <= width {
        return vec![text.to_string()];
    }
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if !current.is_empty() && text_width(&candidate, face, SIZE) > width {
            lines.push(std::mem::replace(&mut current, word.to_string()));
        } else {
            current = candidate;
        }
    }
    lines.push(current);
    lines
}

/// The cells of one table row, in column order (empty string = empty cell).
fn row_cells(s: &Statement, i: usize) -> Vec<String> {
    let e = &s.entries[i];
    let (out, inn) = if e.amount.is_sign_negative() {
        (money(e.amount), String::new())
    } else {
        (String::new(), money(e.amount))
    };
    let cp = e.counterparty.clone().unwrap_or_default();
    match s.flavour {
        Flavour::English => vec![
            en_date(e.date),
            e.description.clone(),
            cp,
            out,
            inn,
            money(e.balance),
        ],
        Flavour::Chinese => vec![
            e.date.format("%Y-%m-%d").to_string(),
            e.time
                .map(|t| t.format("%H:%M:%S").to_string())
                .unwrap_or_default(),
            e.description.clone(),
            cp,
            e.counterparty_account.clone().unwrap_or_default(),
            inn,
            out,
            money(e.balance),
        ],
    }
}

fn text(x: f32, baseline: f32, size: f32, face: Face, align: Align, t: &str) -> TextItem {
    TextItem {
        x,
        baseline,
        size,
        face,
        align,
        text: t.to_string(),
    }
}

/// Lay a statement out on as many pages as it needs: header block on page 1, the table header
/// repeated on every page, a totals row after the last line, and "Page n of N" footers.
pub fn layout(s: &Statement) -> Vec<PageLayout> {
    let g = match s.flavour {
        Flavour::English => &EN,
        Flavour::Chinese => &ZH,
    };
    let bottom = g.height - 50.0;
    let mut pages: Vec<PageLayout> = Vec::new();

    let new_page = |pages: &mut Vec<PageLayout>| -> f32 {
        let mut page = PageLayout {
            width: g.width,
            height: g.height,
            texts: Vec::new(),
            rules: Vec::new(),
        };
        let top = if pages.is_empty() {
            header_block(s, g, &mut page)
        } else {
            let title = match s.flavour {
                Flavour::English => format!("{}  Statement (continued)", s.bank),
                Flavour::Chinese => format!("{} 个人账户交易明细（续）", s.bank),
            };
            let face = if s.flavour == Flavour::English {
                Face::LatinBold
            } else {
                Face::Cjk
            };
            page.texts
                .push(text(g.margin, 45.0, 11.0, face, Align::Left, &title));
            70.0
        };
        for (c, h) in g.columns.iter().zip(g.headers) {
            let face = if g.face == Face::Latin {
                Face::LatinBold
            } else {
                g.face
            };
            page.texts
                .push(text(c.x, top + 12.0, SIZE, face, c.align, h));
        }
        page.rules.push(Rule {
            x0: g.margin,
            y0: top,
            x1: g.width - g.margin,
            y1: top,
            width: 0.8,
        });
        page.rules.push(Rule {
            x0: g.margin,
            y0: top + 17.0,
            x1: g.width - g.margin,
            y1: top + 17.0,
            width: 0.8,
        });
        pages.push(page);
        top + 17.0 + LINE + 2.0
    };

    let mut y = new_page(&mut pages);
    for i in 0..s.entries.len() {
        let cells = row_cells(s, i);
        let wrapped: Vec<Vec<String>> = cells
            .iter()
            .zip(g.columns)
            .map(|(t, c)| wrap(t, g.face, c.wrap))
            .collect();
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        let height = (lines - 1) as f32 * LINE;
        if y + height > bottom {
            y = new_page(&mut pages);
        }
        let Some(page) = pages.last_mut() else {
            break;
        };
        for (parts, c) in wrapped.iter().zip(g.columns) {
            for (k, part) in parts.iter().enumerate() {
                if !part.is_empty() {
                    page.texts
                        .push(text(c.x, y + k as f32 * LINE, SIZE, g.face, c.align, part));
                }
            }
        }
        y += height + LINE + ROW_GAP;
    }

    // Totals row: the label sits in the first column, debit and credit sums under their columns.
    if y + LINE > bottom {
        y = new_page(&mut pages);
    }
    if let Some(page) = pages.last_mut() {
        let rule_y = y - LINE + 1.0;
        page.rules.push(Rule {
            x0: g.margin,
            y0: rule_y,
            x1: g.width - g.margin,
            y1: rule_y,
            width: 0.8,
        });
        let (label, face, debit_col, credit_col) = match s.flavour {
            Flavour::English => ("Total", Face::LatinBold, 3, 4),
            Flavour::Chinese => ("合计", Face::Cjk, 6, 5),
        };
        page.texts.push(text(
            g.columns[0].x,
            y + 2.0,
            SIZE,
            face,
            Align::Left,
            label,
        ));
        for (col, amount) in [
            (debit_col, s.total_debits()),
            (credit_col, s.total_credits()),
        ] {
            page.texts.push(text(
                g.columns[col].x,
                y + 2.0,
                SIZE,
                g.face,
                Align::Right,
                &money(amount),
            ));
        }
    }

    let n = pages.len();
    for (i, page) in pages.iter_mut().enumerate() {
        let footer = match s.flavour {
            Flavour::English => format!("Page {} of {}", i + 1, n),
            Flavour::Chinese => format!("第{}页 共{}页", i + 1, n),
        };
        page.texts.push(text(
            g.width / 2.0,
            g.height - 25.0,
            9.0,
            g.face,
            Align::Center,
            &footer,
        ));
    }
    pages
}

/// Page-1 title and key/value block; returns the y of the table's top rule.
fn header_block(s: &Statement, g: &Geometry, page: &mut PageLayout) -> f32 {
    let m = g.margin;
    match s.flavour {
        Flavour::English => {
            let right = 330.0;
            page.texts
                .push(text(m, 50.0, 16.0, Face::LatinBold, Align::Left, &s.bank));
            page.texts.push(text(
                g.width - m,
                50.0,
                11.0,
                Face::Latin,
                Align::Right,
                "Current Account Statement",
            ));
            page.rules.push(Rule {
                x0: m,
                y0: 60.0,
                x1: g.width - m,
                y1: 60.0,
                width: 1.2,
            });
            let rows = [
                (
                    format!("Account Holder: {}", s.holder),
                    format!("Opening Balance: {}", money(s.opening_balance)),
                ),
                (
                    format!("Account Number: {}", s.account_number),
                    format!("Closing Balance: {}", money(s.closing_balance())),
                ),
                (
                    format!(
                        "Statement Period: {} to {}",
                        en_date(s.period_start),
                        en_date(s.period_end)
                    ),
                    format!("Currency: {}", s.currency),
                ),
            ];
            for (k, (l, r)) in rows.iter().enumerate() {
                let y = 82.0 + k as f32 * 15.0;
                page.texts
                    .push(text(m, y, SIZE, Face::Latin, Align::Left, l));
                page.texts
                    .push(text(right, y, SIZE, Face::Latin, Align::Left, r));
            }
            140.0
        }
        Flavour::Chinese => {
            page.texts.push(text(
                m,
                45.0,
                16.0,
                Face::Cjk,
                Align::Left,
                &format!("{} 个人账户交易明细", s.bank),
            ));
            page.rules.push(Rule {
                x0: m,
                y0: 55.0,
                x1: g.width - m,
                y1: 55.0,
                width: 1.2,
            });
            let currency = if s.currency == "CNY" {
                "人民币"
            } else {
                &s.currency
            };
            let rows = [
                [
                    format!("户名：{}", s.holder),
                    format!("账号：{}", s.account_number),
                    format!("币种：{currency}"),
                ],
                [
                    format!(
                        "起止日期：{} 至 {}",
                        s.period_start.format("%Y-%m-%d"),
                        s.period_end.format("%Y-%m-%d")
                    ),
                    format!("期初余额：{}", money(s.opening_balance)),
                    format!("期末余额：{}", money(s.closing_balance())),
                ],
            ];
            for (k, row) in rows.iter().enumerate() {
                let y = 76.0 + k as f32 * 17.0;
                for (t, x) in row.iter().zip([m, 300.0, 540.0]) {
                    page.texts.push(text(x, y, SIZE, Face::Cjk, Align::Left, t));
                }
            }
            110.0
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on failure
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn money_groups_thousands() {
        let d = |s| Decimal::from_str(s).unwrap();
        assert_eq!(money(d("1234567.5")), "1,234,567.50");
        assert_eq!(money(d("-12.34")), "12.34");
        assert_eq!(money(d("0.05")), "0.05");
        assert_eq!(money(d("999.99")), "999.99");
    }

    #[test]
    fn helvetica_digits_are_uniform() {
        assert_eq!(text_width("0123456789", Face::Latin, 10.0), 55.6);
    }
}
