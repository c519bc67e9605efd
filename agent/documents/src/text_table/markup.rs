//! Reads the tables of the two markup formats that web banking saves under `.xls`: an HTML page
//! with `<table>`/`<tr>`/`<td>` (the classic "Excel export" Excel opens without complaint) and an
//! Excel 2003 XML spreadsheet (`<Workbook>`/`<Row>`/`<Cell>`/`<Data>`). One small tag scanner
//! serves both: it never builds a tree, tolerates unclosed `<td>`/`<tr>` and stray `<`, skips
//! comments, `<script>` and `<style>`, and decodes the common character references.

use super::clean_cell;
use docket_core::CellValue;

/// The markup formats read here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Markup {
    /// An HTML page or fragment with at least one `<table>`.
    Html,
    /// Excel 2003 XML (SpreadsheetML).
    SpreadsheetMl,
}

impl Markup {
    /// How a warning names the format.
    pub(crate) fn description(self) -> &'static str {
        match self {
            Markup::Html => "an HTML table",
            Markup::SpreadsheetMl => "an Excel 2003 XML spreadsheet",
        }
    }
}

/// Which markup `text` is, if any: it must open with a tag (after whitespace) and, for HTML,
/// name `html` or `table` near the start, so a CSV whose first cell starts with `<` is not
/// taken for markup.
pub(crate) fn sniff_markup(text: &str) -> Option<Markup> {
    let t = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if !t.starts_with('<') {
        return None;
    }
    let head: String = t
        .chars()
        .take(8192)
        .collect::<String>()
        .to_ascii_lowercase();
    if head.contains("urn:schemas-microsoft-com:office:spreadsheet") && head.contains("<workbook") {
        return Some(Markup::SpreadsheetMl);
    }
    if head.starts_with("<!doctype html")
        || head.contains("<html")
        || head.contains("<table")
        || (head.starts_with("<?xml") && t.to_ascii_lowercase().contains("<table"))
    {
        return Some(Markup::Html);
    }
    None
}

/// The grid read from markup, before it becomes a [`docket_core::Sheet`].
#[derive(Debug, Default)]
pub(crate) struct Grid {
    pub(crate) rows: Vec<Vec<CellValue>>,
    pub(crate) merged: Vec<(u32, u32, u32, u32)>,
    pub(crate) warnings: Vec<String>,
    /// Tables (HTML) or worksheets (XML) seen.
    pub(crate) tables: usize,
}

/// Reads every top-level HTML table, in document order, into one grid (a title table above the
/// data table is like the title block of a CSV export: the extractor finds the header row).
/// Cells of nested tables become text of the enclosing cell.
pub(crate) fn read_html(text: &str) -> Grid {
    let mut g = Grid::default();
    let mut depth = 0usize;
    let mut row: Option<Vec<CellValue>> = None;
    let mut cell: Option<(String, usize)> = None;
    let mut rowspans = false;
    for tok in Tokens::new(text) {
        match tok {
            Token::Start { name, attrs, .. } => match name.as_str() {
                "table" => {
                    depth += 1;
                    if depth == 1 {
                        g.tables += 1;
                    } else if let Some((s, _)) = cell.as_mut() {
                        s.push(' ');
                    }
                }
                "tr" if depth == 1 => {
                    end_cell(&mut cell, &mut row, &mut g);
                    end_row(&mut row, &mut g);
                    row = Some(Vec::new());
                }
                "td" | "th" if depth == 1 => {
                    end_cell(&mut cell, &mut row, &mut g);
                    let span = attr(&attrs, "colspan")
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(1)
                        .clamp(1, 256);
                    rowspans |= attr(&attrs, "rowspan")
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .is_some_and(|n| n > 1);
                    cell = Some((String::new(), span));
                }
                "br" => {
                    if let Some((s, _)) = cell.as_mut() {
                        s.push('\n');
                    }
                }
                "td" | "th" | "tr" | "p" | "div" | "li" => {
                    if let Some((s, _)) = cell.as_mut() {
                        s.push(' ');
                    }
                }
                _ => {}
            },
            Token::End { name } => match name.as_str() {
                "table" => {
                    if depth == 1 {
                        end_cell(&mut cell, &mut row, &mut g);
                        end_row(&mut row, &mut g);
                    }
                    depth = depth.saturating_sub(1);
                }
                "td" | "th" if depth == 1 => end_cell(&mut cell, &mut row, &mut g),
                "tr" if depth == 1 => {
                    end_cell(&mut cell, &mut row, &mut g);
                    end_row(&mut row, &mut g);
                }
                _ => {}
            },
            Token::Text(t) => {
                if let Some((s, _)) = cell.as_mut() {
                    push_collapsed(s, &t);
                }
            }
        }
    }
    end_cell(&mut cell, &mut row, &mut g);
    end_row(&mut row, &mut g);
    if rowspans {
        g.warnings.push(
            "cells spanning several rows (rowspan) hold their value in the first row only"
                .to_string(),
        );
    }
    g
}

fn end_cell(cell: &mut Option<(String, usize)>, row: &mut Option<Vec<CellValue>>, g: &mut Grid) {
    let Some((text, span)) = cell.take() else {
        return;
    };
    let r = row.get_or_insert_with(Vec::new);
    let text: Vec<&str> = text.split('\n').map(str::trim).collect();
    r.push(clean_cell(&text.join("\n")));
    if span > 1 {
        let (row_i, col) = (g.rows.len() as u32, (r.len() - 1) as u32);
        g.merged.push((row_i, col, row_i, col + span as u32 - 1));
        r.extend(std::iter::repeat_n(CellValue::Empty, span - 1));
    }
}

fn end_row(row: &mut Option<Vec<CellValue>>, g: &mut Grid) {
    if let Some(r) = row.take() {
        g.rows.push(r);
    }
}

/// Appends text with HTML's white-space collapsing (runs of ASCII white space become one
/// space; `&nbsp;` survives as U+00A0 until the cell is trimmed).
fn push_collapsed(out: &mut String, text: &str) {
    for c in text.chars() {
        if matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c') {
            if !out.ends_with([' ', '\n']) && !out.is_empty() {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
}

/// Reads the first worksheet of an Excel 2003 XML spreadsheet. `ss:Index` on rows and cells
/// (skipped positions) and `ss:MergeAcross` are honoured; `ss:Type` keeps numbers, dates and
/// booleans typed as a workbook reader would.
pub(crate) fn read_spreadsheet_ml(text: &str) -> Grid {
    let mut g = Grid::default();
    let mut in_sheet = false;
    let mut row: Option<Vec<CellValue>> = None;
    // (value text, ss:Type, merge across) of the open cell, and whether a <Data> is open.
    let mut cell: Option<(String, String, usize)> = None;
    let mut in_data = false;
    for tok in Tokens::new(text) {
        match tok {
            Token::Start {
                name,
                attrs,
                self_closing,
            } => match name.as_str() {
                "worksheet" => {
                    g.tables += 1;
                    in_sheet = g.tables == 1;
                }
                "row" if in_sheet => {
                    if let Some(r) = row.take() {
                        g.rows.push(r);
                    }
                    if let Some(i) = index_attr(&attrs) {
                        while g.rows.len() + 1 < i {
                            g.rows.push(Vec::new());
                        }
                    }
                    if self_closing {
                        g.rows.push(Vec::new());
                    } else {
                        row = Some(Vec::new());
                    }
                }
                "cell" if in_sheet => {
                    let r = row.get_or_insert_with(Vec::new);
                    if let Some(i) = index_attr(&attrs) {
                        while r.len() + 1 < i {
                            r.push(CellValue::Empty);
                        }
                    }
                    let across = attr(&attrs, "mergeacross")
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0)
                        .min(255);
                    let c = (String::new(), String::new(), across);
                    if self_closing {
                        push_ml_cell(c, r, &mut g.merged, g.rows.len());
                    } else {
                        cell = Some(c);
                    }
                }
                "data" if in_sheet => {
                    if let Some(c) = cell.as_mut() {
                        c.1 = attr(&attrs, "type")
                            .unwrap_or_default()
                            .to_ascii_lowercase();
                        in_data = !self_closing;
                    }
                }
                _ => {}
            },
            Token::End { name } => match name.as_str() {
                "data" => in_data = false,
                "cell" => {
                    if let Some(c) = cell.take() {
                        let r = row.get_or_insert_with(Vec::new);
                        push_ml_cell(c, r, &mut g.merged, g.rows.len());
                    }
                }
                "row" => {
                    if let Some(r) = row.take() {
                        g.rows.push(r);
                    }
                }
                "worksheet" => in_sheet = false,
                _ => {}
            },
            Token::Text(t) => {
                if in_data && let Some(c) = cell.as_mut() {
                    c.0.push_str(&t);
                }
            }
        }
    }
    if let Some(r) = row.take() {
        g.rows.push(r);
    }
    if g.tables > 1 {
        g.warnings.push(format!(
            "the file holds {} worksheets; only the first was read",
            g.tables
        ));
    }
    g
}

fn push_ml_cell(
    (text, kind, across): (String, String, usize),
    r: &mut Vec<CellValue>,
    merged: &mut Vec<(u32, u32, u32, u32)>,
    row_i: usize,
) {
    let t = text.trim();
    let value = match kind.as_str() {
        _ if t.is_empty() => CellValue::Empty,
        "number" => CellValue::Number(t.to_string()),
        "boolean" => CellValue::Bool(t == "1" || t.eq_ignore_ascii_case("true")),
        "error" => CellValue::Error(t.to_string()),
        "datetime" => xml_date(t),
        _ => clean_cell(&text),
    };
    r.push(value);
    if across > 0 {
        let col = (r.len() - 1) as u32;
        merged.push((row_i as u32, col, row_i as u32, col + across as u32));
        r.extend(std::iter::repeat_n(CellValue::Empty, across));
    }
}

/// `2026-01-05T00:00:00.000` → a date; with a time of day → a date-time without fractions.
fn xml_date(t: &str) -> CellValue {
    let base = t.split('.').next().unwrap_or(t);
    match base.split_once('T') {
        Some((d, "00:00:00")) => CellValue::Date(d.to_string()),
        Some(_) => CellValue::DateTime(base.to_string()),
        None => CellValue::Date(base.to_string()),
    }
}

fn index_attr(attrs: &[(String, String)]) -> Option<usize> {
    attr(attrs, "index")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&i| (1..=1_048_576).contains(&i))
}

/// An attribute by local name (`ss:Index` answers to `index`), case-insensitive.
fn attr(attrs: &[(String, String)], name: &str) -> Option<String> {
    attrs
        .iter()
        .find(|(k, _)| k.rsplit(':').next().unwrap_or(k) == name)
        .map(|(_, v)| v.clone())
}

#[derive(Debug, PartialEq)]
enum Token {
    /// A start tag: lower-case local name and attributes (lower-case names, decoded values).
    Start {
        name: String,
        attrs: Vec<(String, String)>,
        self_closing: bool,
    },
    /// An end tag: lower-case local name.
    End { name: String },
    /// Text between tags, character references decoded.
    Text(String),
}

/// A forgiving tag scanner over HTML or XML text.
struct Tokens<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Tokens<'a> {
    fn new(s: &'a str) -> Self {
        Self { s, pos: 0 }
    }

    /// Skips past `end` (ASCII-case-insensitive) from the current position, or to the end.
    fn skip_past(&mut self, end: &str) {
        let rest = &self.s.as_bytes()[self.pos..];
        let end = end.as_bytes();
        match rest
            .windows(end.len())
            .position(|w| w.eq_ignore_ascii_case(end))
        {
            Some(i) => self.pos += i + end.len(),
            None => self.pos = self.s.len(),
        }
    }
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        loop {
            let bytes = self.s.as_bytes();
            if self.pos >= bytes.len() {
                return None;
            }
            if bytes[self.pos] != b'<' {
                let start = self.pos;
                let mut i = start;
                // Text runs to the next `<` that opens something tag-like.
                loop {
                    match bytes[i + 1..].iter().position(|&b| b == b'<') {
                        Some(j) => {
                            i += 1 + j;
                            if opens_tag(&bytes[i..]) {
                                break;
                            }
                        }
                        None => {
                            i = bytes.len();
                            break;
                        }
                    }
                }
                self.pos = i;
                return Some(Token::Text(decode_entities(&self.s[start..i])));
            }
            let rest = &bytes[self.pos..];
            if rest.starts_with(b"<!--") {
                self.pos += 4;
                self.skip_past("-->");
                continue;
            }
            if rest.starts_with(b"<![CDATA[") {
                let start = self.pos + 9;
                self.pos = start;
                self.skip_past("]]>");
                let end = self.pos.saturating_sub(3).max(start);
                return Some(Token::Text(self.s[start..end].to_string()));
            }
            if !opens_tag(rest) {
                // A lone `<` in text.
                let start = self.pos;
                self.pos += 1;
                return Some(Token::Text(self.s[start..self.pos].to_string()));
            }
            if matches!(rest.get(1), Some(b'!' | b'?')) {
                self.pos += 2;
                self.skip_past(">");
                continue;
            }
            // Find the closing `>` outside attribute quotes.
            let mut quote = None;
            let mut end = None;
            for (i, &b) in rest.iter().enumerate().skip(1) {
                match (quote, b) {
                    (Some(q), _) if b == q => quote = None,
                    (Some(_), _) => {}
                    (None, b'"' | b'\'') => quote = Some(b),
                    (None, b'>') => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let Some(end) = end else {
                // An unterminated tag: the rest is not readable markup.
                self.pos = bytes.len();
                return None;
            };
            let inner = &self.s[self.pos + 1..self.pos + end];
            self.pos += end + 1;
            if let Some(name) = inner.strip_prefix('/') {
                return Some(Token::End {
                    name: local_name(name),
                });
            }
            let self_closing = inner.ends_with('/');
            let inner = inner.strip_suffix('/').unwrap_or(inner);
            let name = local_name(inner);
            if matches!(name.as_str(), "script" | "style") && !self_closing {
                self.skip_past(&format!("</{name}"));
                self.skip_past(">");
                continue;
            }
            let attrs = parse_attrs(inner);
            return Some(Token::Start {
                name,
                attrs,
                self_closing,
            });
        }
    }
}

/// Whether bytes starting with `<` open a tag, end tag, comment or declaration.
fn opens_tag(b: &[u8]) -> bool {
    match b.get(1) {
        Some(c) if c.is_ascii_alphabetic() => true,
        Some(b'!' | b'?') => true,
        Some(b'/') => b.get(2).is_some_and(u8::is_ascii_alphabetic),
        _ => false,
    }
}

/// The lower-case local name of a tag (`ss:Row` → `row`).
fn local_name(inner: &str) -> String {
    let name: String = inner
        .trim_start()
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '/' && *c != '>')
        .collect();
    name.rsplit(':')
        .next()
        .unwrap_or(&name)
        .to_ascii_lowercase()
}

fn parse_attrs(inner: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let b = inner.as_bytes();
    // Skip the tag name.
    let mut i = b
        .iter()
        .position(|c| c.is_ascii_whitespace())
        .unwrap_or(b.len());
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' {
            i += 1;
        }
        if start == i {
            i += 1;
            continue;
        }
        let key = inner[start..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let vstart = i + 1;
                let vend = b[vstart..]
                    .iter()
                    .position(|&c| c == q)
                    .map_or(b.len(), |p| vstart + p);
                value = decode_entities(&inner[vstart..vend]);
                i = (vend + 1).min(b.len());
            } else {
                let vstart = i;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                value = decode_entities(&inner[vstart..i]);
            }
        }
        out.push((key, value));
    }
    out
}

/// Decodes named (the common ones) and numeric character references; anything else stays as
/// written.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest[1..]
            .char_indices()
            .take(10)
            .find(|&(_, c)| c == ';')
            .map(|(j, _)| j + 1);
        let decoded = end.and_then(|e| entity(&rest[1..e]).map(|c| (c, e)));
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "yen" => '¥',
        "euro" => '€',
        "pound" => '£',
        "middot" => '·',
        "copy" => '©',
        "ensp" => '\u{2002}',
        "emsp" => '\u{2003}',
        _ => return None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn t(s: &str) -> CellValue {
        CellValue::Text(s.into())
    }

    #[test]
    fn html_table_with_sloppy_markup() {
        let html = "<html><head><style>td{x:1}</style><script>if (a<b) {}</script></head>\
                    <body><!-- <table> --><TABLE border=1><tr><TH>日期<th>金额</tr>\
                    <tr><td>2026-01-05<td align=right>1,234.50</td></tr>\
                    <tr><td colspan=\"2\">合计 &amp; 备注&nbsp;</td>\
                    <tr><td>a<br>b</td><td><table><tr><td>in</td></tr></table></td></tr>\
                    </TABLE></body></html>";
        assert_eq!(sniff_markup(html), Some(Markup::Html));
        let g = read_html(html);
        assert_eq!(g.tables, 1);
        assert_eq!(
            g.rows,
            vec![
                vec![t("日期"), t("金额")],
                vec![t("2026-01-05"), t("1,234.50")],
                vec![t("合计 & 备注"), CellValue::Empty],
                vec![t("a\nb"), t("in")],
            ]
        );
        assert_eq!(g.merged, vec![(2, 0, 2, 1)]);
    }

    #[test]
    fn spreadsheet_ml_cells_and_indexes() {
        let xml = r#"<?xml version="1.0"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"
 xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
 <Worksheet ss:Name="S1"><Table>
  <Row><Cell><Data ss:Type="String">账号</Data></Cell><Cell ss:Index="3"><Data ss:Type="String">金额</Data></Cell></Row>
  <Row ss:Index="3"><Cell><Data ss:Type="String">0012</Data></Cell>
   <Cell><Data ss:Type="DateTime">2026-01-05T00:00:00.000</Data></Cell>
   <Cell><Data ss:Type="Number">12.5</Data></Cell></Row>
 </Table></Worksheet>
 <Worksheet ss:Name="S2"><Table><Row><Cell><Data ss:Type="String">x</Data></Cell></Row></Table></Worksheet>
</Workbook>"#;
        assert_eq!(sniff_markup(xml), Some(Markup::SpreadsheetMl));
        let g = read_spreadsheet_ml(xml);
        assert_eq!(
            g.rows,
            vec![
                vec![t("账号"), CellValue::Empty, t("金额")],
                vec![],
                vec![
                    t("0012"),
                    CellValue::Date("2026-01-05".into()),
                    CellValue::Number("12.5".into())
                ],
            ]
        );
        assert_eq!(g.warnings.len(), 1);
    }

    #[test]
    fn csv_starting_with_angle_bracket_is_not_markup() {
        assert_eq!(sniff_markup("<5000,small\n>5000,large\n"), None);
        assert_eq!(sniff_markup("date,amount\n"), None);
    }

    #[test]
    fn entities() {
        assert_eq!(
            decode_entities("a&amp;b &#165;&#x4e00; &bogus; &"),
            "a&b ¥一 &bogus; &"
        );
    }
}
