//! Guesses the field delimiter of delimited text from its first lines. Bank exports often open
//! with a preamble (account holder, period, notes) that has no delimiters at all, and their data
//! lines may carry stray tabs (`"2026-01-05\t"`), so the winner is the candidate that appears
//! the same number of times on the most lines, not the one that appears most often.

/// Candidates in order of preference when scores tie.
const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
/// Non-empty lines looked at.
const SAMPLE_LINES: usize = 100;
/// Line ends inside one quoted field beyond which the quote is taken for a stray one.
const MAX_BREAKS_IN_FIELD: usize = 50;

/// The most likely delimiter of `text` (comma when nothing is delimited).
pub fn guess_delimiter(text: &str) -> u8 {
    let lines: Vec<&str> = records(text)
        .into_iter()
        .filter(|l| !l.trim().is_empty())
        .take(SAMPLE_LINES)
        .collect();
    let mut best = (b',', 0usize, 0usize);
    for &d in &CANDIDATES {
        let counts: Vec<usize> = lines.iter().map(|l| count_outside_quotes(l, d)).collect();
        let (mode, lines_with_mode) = mode_of_nonzero(&counts);
        if (lines_with_mode, mode) > (best.2, best.1) {
            best = (d, mode, lines_with_mode);
        }
    }
    best.0
}

/// The first records of `text`: lines, except that a line end inside a quoted field (a
/// multi-line address or memo) does not end the record. A quote that never closes (a stray `"`
/// in a title line) would swallow the rest of the sample, so then plain lines are used.
fn records(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_quotes = false;
    let mut breaks_inside = 0usize;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'"' => {
                in_quotes = !in_quotes;
                breaks_inside = 0;
            }
            b'\n' if in_quotes => breaks_inside += 1,
            b'\n' => {
                out.push(text[start..i].trim_end_matches('\r'));
                start = i + 1;
                if out.len() >= SAMPLE_LINES * 2 {
                    return out;
                }
            }
            _ => {}
        }
        if breaks_inside > MAX_BREAKS_IN_FIELD {
            break;
        }
    }
    if in_quotes {
        return text.lines().take(SAMPLE_LINES * 2).collect();
    }
    if start < text.len() {
        out.push(text[start..].trim_end_matches('\r'));
    }
    out
}

fn count_outside_quotes(line: &str, delim: u8) -> usize {
    let mut in_quotes = false;
    let mut n = 0;
    for &b in line.as_bytes() {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if b == delim && !in_quotes {
            n += 1;
        }
    }
    n
}

/// The most frequent non-zero count and how many lines have it (ties: the larger count).
fn mode_of_nonzero(counts: &[usize]) -> (usize, usize) {
    let mut sorted: Vec<usize> = counts.iter().copied().filter(|&c| c > 0).collect();
    sorted.sort_unstable();
    let mut best = (0, 0);
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j < sorted.len() && sorted[j] == sorted[i] {
            j += 1;
        }
        if (j - i, sorted[i]) > (best.1, best.0) {
            best = (sorted[i], j - i);
        }
        i = j;
    }
    best
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn preamble_and_stray_tabs_do_not_win() {
        let text = "导出信息：\n姓名：xx\n\n交易时间,金额,备注,\n\
                    2023-02-12 21:32:14 ,49.74,20230212\t,\n2023-02-08 14:16:52 ,20.00,2x\t,\n";
        assert_eq!(guess_delimiter(text), b',');
    }

    #[test]
    fn semicolon_with_decimal_commas() {
        let text = "Datum;Betrag;Text\n01.02.2026;1,50;a\n02.02.2026;12,00;b, c\n03.02.2026;3;d\n";
        assert_eq!(guess_delimiter(text), b';');
    }

    #[test]
    fn fifteen_lines_without_any_delimiter_then_a_tab_table() {
        let mut text = String::new();
        for i in 0..15 {
            text.push_str(&format!("说明第{i}行（无分隔符）\n"));
        }
        text.push_str("日期\t金额\t摘要\n2026-01-05\t1.00\ta\n2026-01-06\t2.00\tb\n");
        assert_eq!(guess_delimiter(&text), b'\t');
    }

    #[test]
    fn line_breaks_inside_quotes_do_not_split_records() {
        // The memo's continuation lines hold semicolons; split as lines they would look like
        // a semicolon table as often as the real rows look like a comma one.
        let text = "Date,Memo,Amount\n\
                    05/01/2026,\"FAST; PAYMENT\nto; JOHN; TAN\nref; 1\",1.00\n\
                    06/01/2026,\"GIRO; X\nY; Z\nW; V\",2.00\n";
        assert_eq!(
            records(text),
            vec![
                "Date,Memo,Amount",
                "05/01/2026,\"FAST; PAYMENT\nto; JOHN; TAN\nref; 1\",1.00",
                "06/01/2026,\"GIRO; X\nY; Z\nW; V\",2.00"
            ]
        );
        assert_eq!(guess_delimiter(text), b',');
    }

    #[test]
    fn a_stray_quote_in_a_title_line_falls_back_to_lines() {
        let text = "Statement \"January\nDate,Amount\n2026-01-05,1.00\n";
        assert_eq!(records(text).len(), 3);
        assert_eq!(guess_delimiter(text), b',');
    }

    #[test]
    fn quoted_commas_are_not_delimiters() {
        let text = "a\tb\tc\n\"1,000.00\"\tx\ty\n\"2,5,5\"\tz\tw\n";
        assert_eq!(guess_delimiter(text), b'\t');
    }
}
