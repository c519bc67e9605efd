//! The HTML case report of `docket report str --format html`: a standalone page for
//! people reviewing a case — summary, narrative sentences linked to the rows they state, alerts,
//! a per-day timeline of the transactions, an inline SVG chart of money in and out per day, and an
//! inline SVG graph of the subject and its counterparties.
//!
//! The page must never carry a script, an outside reference (fonts, styles, images, links off the
//! page) or an unescaped stored value: every text from the store goes through [`escape`]. Amounts
//! are printed from their `Decimal` text; they are turned into floats only to size SVG shapes.

use super::str_report::{CaseData, date, indicator, payer_payee, sentences};
use chrono_tz::Tz;
use docket_rules::Txn;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;
use std::fmt::Write as _;

// One HTML escaper for every page Docket writes (the run summary owns it).
use crate::report::esc as escape;

/// Money into or out of the subject, as the page shows it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Dir {
    In,
    Out,
    /// Neither side is the subject (an alert may name such a transaction).
    Other,
}

impl Dir {
    fn label(self) -> &'static str {
        match self {
            Dir::In => "in",
            Dir::Out => "out",
            Dir::Other => "other",
        }
    }
}

/// Direction relative to the subject and the other side's account.
fn side<'a>(t: &'a Txn, subject: &str) -> (Dir, Option<&'a str>) {
    let (payer, payee) = payer_payee(t);
    if payee == Some(subject) {
        (Dir::In, payer)
    } else if payer == Some(subject) {
        (Dir::Out, payee)
    } else {
        (Dir::Other, t.counterparty_account.as_deref())
    }
}

fn day(t: &Txn, tz: Tz) -> String {
    t.timestamp
        .with_timezone(&tz)
        .format("%Y-%m-%d")
        .to_string()
}

/// Sizes a bar or line: a `Decimal` turned into a float only for drawing.
fn frac(v: Decimal, max: Decimal) -> f64 {
    if max <= Decimal::ZERO {
        return 0.0;
    }
    (v / max).to_f64().unwrap_or(0.0).clamp(0.0, 1.0)
}

/// The review page. Every stored text is escaped; the page has no scripts and no outside
/// references.
pub(super) fn page(case: &CaseData, tz: Tz) -> String {
    let e = escape;
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(h, "<title>STR draft {}</title>", e(&case.id));
    h.push_str("<style>body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.3em .6em}td.n{text-align:right}tr.day th{background:#eee;text-align:left}tr:target{background:#ffd}svg text{font-size:11px}.in{fill:#2a7}.out{fill:#c44}</style>\n</head>\n<body>\n");
    let _ = writeln!(
        h,
        "<h1>Case {}</h1>\n<p>Subject account: <strong>{}</strong> &middot; status: {} &middot; {} alert(s), {} transaction(s)</p>",
        e(&case.id),
        e(&case.subject),
        e(&case.status),
        case.alerts.len(),
        case.txns.len()
    );
    h.push_str("<h2>Narrative</h2>\n<ol class=\"narrative\">\n");
    for s in sentences(case, tz) {
        let links: Vec<String> = s
            .txns
            .iter()
            .map(|id| format!("<a href=\"#t-{0}\">{0}</a>", e(id)))
            .collect();
        let _ = writeln!(
            h,
            "<li class=\"sentence\">{} <small>[{}]</small></li>",
            e(&s.text),
            links.join(" ")
        );
    }
    h.push_str("</ol>\n<h2>Alerts</h2>\n");
    for a in &case.alerts {
        let _ = writeln!(
            h,
            "<h3>{} &middot; score {:.2} &middot; goAML indicator {}</h3>\n<p>{}</p>\n<p lang=\"zh\">{}</p>\n<p>Transactions: {}</p>",
            e(a.rule.as_str()),
            a.score,
            indicator(a.rule),
            e(&a.explanation_en),
            e(&a.explanation_zh),
            e(&a.transactions.join(", "))
        );
    }
    h.push_str("<h2>Money in and out per day</h2>\n");
    h.push_str(&flow_chart(case, tz));
    h.push_str("<h2>Counterparties</h2>\n");
    h.push_str(&graph(case));
    timeline(&mut h, case, tz);
    h.push_str("</body>\n</html>\n");
    h
}

/// The transactions grouped by day (in `tz`), each row `id="t-ID"` for the narrative's links.
fn timeline(h: &mut String, case: &CaseData, tz: Tz) {
    let e = escape;
    let _ = writeln!(
        h,
        "<h2>Timeline</h2>\n<table class=\"timeline\">\n<tr><th>id</th><th>time ({})</th><th>direction</th><th>amount</th><th>currency</th><th>counterparty</th><th>counterparty name</th><th>channel</th><th>read from</th></tr>",
        e(&tz.to_string())
    );
    let mut current = String::new();
    for t in &case.txns {
        let d = day(t, tz);
        if d != current {
            let _ = writeln!(h, "<tr class=\"day\"><th colspan=\"9\">{}</th></tr>", e(&d));
            current = d;
        }
        let (dir, other) = side(t, &case.subject);
        let _ = writeln!(
            h,
            "<tr id=\"t-{0}\"><td>{0}</td><td>{1}</td><td>{2}</td><td class=\"n\">{3}</td><td>{4}</td><td>{5}</td><td>{6}</td><td>{7:?}</td><td>{8}</td></tr>",
            e(&t.id),
            e(&date(&t.timestamp, tz)),
            dir.label(),
            t.amount.abs(),
            e(&t.currency),
            e(other.unwrap_or("")),
            e(t.counterparty_name.as_deref().unwrap_or("")),
            t.channel,
            source_cell(case, &t.id)
        );
    }
    h.push_str("</table>\n");
}

/// `statement.pdf p. 2 “45,000.00” (sha256 1a2b3c4d…)` for a transaction read from a document.
fn source_cell(case: &CaseData, id: &str) -> String {
    let Some(src) = case.sources.get(id) else {
        return String::new();
    };
    let s = |k: &str| src[k].as_str().unwrap_or("").to_owned();
    let name = std::path::Path::new(&s("path"))
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let page = src["page"]
        .as_u64()
        .map(|p| format!(" p. {p}"))
        .unwrap_or_default();
    let text = if s("text").is_empty() {
        String::new()
    } else {
        format!(" “{}”", s("text"))
    };
    let sha = s("document_sha256");
    escape(&format!(
        "{name}{page}{text} (sha256 {}…)",
        sha.get(..8).unwrap_or(&sha)
    ))
}

/// Per-day bars of money in (green) and out (red), one group per day and currency so that
/// currencies are never summed together.
fn flow_chart(case: &CaseData, tz: Tz) -> String {
    let e = escape;
    let mut days: BTreeMap<(String, String), (Decimal, Decimal)> = BTreeMap::new();
    for t in &case.txns {
        let (dir, _) = side(t, &case.subject);
        let v = days.entry((day(t, tz), t.currency.clone())).or_default();
        match dir {
            Dir::In => v.0 += t.amount.abs(),
            Dir::Out => v.1 += t.amount.abs(),
            Dir::Other => {}
        }
    }
    let max = days
        .values()
        .flat_map(|(i, o)| [*i, *o])
        .max()
        .unwrap_or(Decimal::ZERO);
    let (group, bar, plot) = (150.0, 50.0, 160.0);
    let width = 40.0 + group * days.len().max(1) as f64;
    let mut s = format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"260\" role=\"img\" aria-label=\"money in and out per day\">\n<line x1=\"20\" y1=\"200\" x2=\"{}\" y2=\"200\" stroke=\"#333\"/>\n",
        width - 10.0
    );
    for (i, ((d, cur), (inn, out))) in days.iter().enumerate() {
        let x = 30.0 + group * i as f64;
        for (k, (v, class)) in [(inn, "in"), (out, "out")].into_iter().enumerate() {
            let hgt = plot * frac(*v, max);
            let bx = x + k as f64 * (bar + 10.0);
            let _ = writeln!(
                s,
                "<rect class=\"{class}\" x=\"{bx:.1}\" y=\"{:.1}\" width=\"{bar}\" height=\"{hgt:.1}\"><title>{} {class}: {} {}</title></rect>\n<text x=\"{bx:.1}\" y=\"{:.1}\">{class} {}</text>",
                200.0 - hgt,
                e(d),
                v,
                e(cur),
                195.0 - hgt,
                v
            );
        }
        let _ = writeln!(
            s,
            "<text x=\"{x:.1}\" y=\"218\">{}</text>\n<text x=\"{x:.1}\" y=\"232\">{}</text>",
            e(d),
            e(cur)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// Per counterparty and direction: count and summed amount per currency.
type Edges = BTreeMap<String, BTreeMap<(Dir, String), (usize, Decimal)>>;

/// The subject in the middle, its counterparties on a circle, each edge labelled with the count
/// and summed amount per direction.
fn graph(case: &CaseData) -> String {
    let e = escape;
    let mut edges: Edges = BTreeMap::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for t in &case.txns {
        let (dir, other) = side(t, &case.subject);
        let key = other.unwrap_or("(unknown account)").to_string();
        if let (Some(n), Some(c)) = (&t.counterparty_name, &t.counterparty_account) {
            // A counterparty name names the account on the other side of the booking, which
            // may be the subject itself.
            names.entry(c.clone()).or_insert_with(|| n.clone());
        }
        let v = edges
            .entry(key)
            .or_default()
            .entry((dir, t.currency.clone()))
            .or_default();
        v.0 += 1;
        v.1 += t.amount.abs();
    }
    let (cx, cy, r) = (450.0_f64, 330.0_f64, 250.0_f64);
    let mut s = String::from(
        "<svg class=\"graph\" xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" height=\"660\" role=\"img\" aria-label=\"counterparty graph\">\n",
    );
    let n = edges.len().max(1) as f64;
    let mut nodes = String::new();
    for (i, (acct, flows)) in edges.iter().enumerate() {
        let a = std::f64::consts::TAU * i as f64 / n - std::f64::consts::FRAC_PI_2;
        let (x, y) = (cx + r * a.cos(), cy + r * a.sin());
        let label: Vec<String> = flows
            .iter()
            .map(|((d, cur), (k, sum))| format!("{} {k}× {sum} {}", d.label(), e(cur)))
            .collect();
        let (lx, ly) = (cx + 0.55 * r * a.cos(), cy + 0.55 * r * a.sin());
        let _ = writeln!(
            s,
            "<line x1=\"{cx}\" y1=\"{cy}\" x2=\"{x:.1}\" y2=\"{y:.1}\" stroke=\"#888\"/>\n<text class=\"edge\" x=\"{lx:.1}\" y=\"{ly:.1}\">{}</text>",
            label.join("; ")
        );
        let name = names
            .get(acct)
            .map(|n| format!(" ({})", e(n)))
            .unwrap_or_default();
        let _ = writeln!(
            nodes,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"6\" fill=\"#457\"/>\n<text class=\"node\" x=\"{:.1}\" y=\"{:.1}\">{}{name}</text>",
            x + 8.0,
            y + 4.0,
            e(acct)
        );
    }
    s.push_str(&nodes);
    let subject_name = names
        .get(&case.subject)
        .map(|n| format!(" ({})", e(n)))
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "<circle cx=\"{cx}\" cy=\"{cy}\" r=\"14\" fill=\"#c80\"/>\n<text class=\"subject\" x=\"{}\" y=\"{}\" font-weight=\"bold\">{}{subject_name}</text>",
        cx + 16.0,
        cy + 4.0,
        e(&case.subject)
    );
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_markup() {
        assert_eq!(escape("<a href='x'>&"), "&lt;a href=&#39;x&#39;&gt;&amp;");
    }

    #[test]
    fn bars_are_sized_from_decimals_and_never_overflow() {
        assert_eq!(frac(Decimal::new(5, 0), Decimal::new(10, 0)), 0.5);
        assert_eq!(frac(Decimal::ONE, Decimal::ZERO), 0.0);
    }
}
