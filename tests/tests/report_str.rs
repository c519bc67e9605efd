//! `docket report str` on the planted fan-in of `screen.rs`: the goAML report carries the 13
//! transactions behind the case (and validates against the FIU schema when the fixtures and
//! xmllint are present), the CAMLMAC message gets its `NBS…` name, the HTML page is standalone
//! (no scripts, only in-page links), escapes markup, groups the timeline by day, draws the
//! in/out chart and the counterparty graph, and links every narrative sentence to existing rows;
//! the draft is ledgered, and an unknown case is refused naming it.

mod common;

use anyhow::{Context as _, Result};
use common::{docket, err, out};
use std::path::{Path, PathBuf};
use std::process::Command;

const ENTITY: [(&str, &str); 2] = [
    ("DOCKET_RENTITY_ID", "1234"),
    ("DOCKET_RENTITY_NAME", "Example Bank"),
];

fn xsd() -> Option<PathBuf> {
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/specs/goaml/goAMLSchema-5.0.2.xsd");
    if !xsd.is_file() {
        eprintln!("SKIP: {} is absent; XSD validation not run", xsd.display());
        return None;
    }
    if Command::new("xmllint").arg("--version").output().is_err() {
        eprintln!("SKIP: xmllint is not installed; XSD validation not run");
        return None;
    }
    Some(xsd)
}

#[test]
fn goaml_report_carries_the_case_transactions_and_validates() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = common::screened(
        dir.path(),
        &common::planted_fan_in_csv("Mule <b>Trading</b>"),
    )?;
    let file = dir.path().join("str.xml");
    let f = file.display().to_string();
    let o = docket(
        &[
            "--data-dir",
            &data,
            "report",
            "str",
            "C-MULE",
            "--format",
            "goaml",
            "--output",
            &f,
        ],
        &ENTITY,
    )?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let xml = std::fs::read_to_string(&file)?;
    assert_eq!(xml.matches("<transaction>").count(), 13, "{xml}");
    for i in 1..=12 {
        assert!(xml.contains(&format!("<transactionnumber>F{i:02}</transactionnumber>")));
    }
    assert!(xml.contains("<transactionnumber>X01</transactionnumber>"));
    assert!(!xml.contains("<transactionnumber>S00</transactionnumber>"));
    assert!(xml.contains("<indicator>FRDMR</indicator>"));
    assert!(
        xml.contains("totalling 96000.00 CNY"),
        "narrative amounts: {xml}"
    );
    if let Some(xsd) = xsd() {
        let v = Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(&xsd)
            .arg(&file)
            .output()?;
        assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    }
    let conn = rusqlite::Connection::open(dir.path().join("data/docket.db"))?;
    let payload: String = conn.query_row(
        "SELECT payload FROM ledger WHERE kind = 'str_drafted'",
        [],
        |r| r.get(0),
    )?;
    let p: serde_json::Value = serde_json::from_str(&payload)?;
    assert_eq!(p["case"], "C-MULE");
    assert_eq!(p["format"], "goaml");
    assert_eq!(p["sha256"].as_str().unwrap_or("").len(), 64);
    let v = docket(&["--data-dir", &data, "audit", "verify"], &[])?;
    assert_eq!(v.status.code(), Some(0), "{}", out(&v));

    // Without the reporting entity the draft is refused with each field and its fix.
    let o = docket(
        &[
            "--data-dir",
            &data,
            "report",
            "str",
            "C-MULE",
            "--format",
            "goaml",
            "--output",
            &f,
        ],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("DK-E0701") && err(&o).contains("reporting_entity.id"),
        "{}",
        err(&o)
    );
    Ok(())
}

#[test]
fn camlmac_and_html_reports_and_unknown_cases() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = common::screened(
        dir.path(),
        &common::planted_fan_in_csv("Mule <b>Trading</b>"),
    )?;
    let outdir = dir.path().join("outbox");
    std::fs::create_dir_all(&outdir)?;
    let od = outdir.display().to_string();
    let o = docket(
        &[
            "--data-dir",
            &data,
            "report",
            "str",
            "C-MULE",
            "--format",
            "camlmac",
            "--camlmac-ricd",
            "C1234567890123",
            "--crime-type",
            "1201",
            "--output",
            &od,
        ],
        &ENTITY,
    )?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let names: Vec<String> = std::fs::read_dir(&outdir)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    let name = &names[0];
    assert!(
        name.starts_with("NBSC1234567890123-") && name.ends_with("-00000001.XML"),
        "{name}"
    );
    let xml = std::fs::read_to_string(outdir.join(name))?;
    assert!(
        xml.contains("<RICD>C1234567890123</RICD>") && xml.contains("<STNM>13</STNM>"),
        "{xml}"
    );

    let html = dir.path().join("case.html");
    let h = html.display().to_string();
    let o = docket(
        &[
            "--data-dir",
            &data,
            "report",
            "str",
            "C-MULE",
            "--format",
            "html",
            "--output",
            &h,
        ],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let page = std::fs::read_to_string(&html)?;
    assert!(page.contains("MULE") && page.contains("X01"));
    assert!(page.contains("Mule &lt;b&gt;Trading&lt;/b&gt;"), "{page}");
    assert!(!page.contains("<b>Trading"));
    html_page_is_a_standalone_review_page(&page)?;

    let o = docket(
        &[
            "--data-dir",
            &data,
            "report",
            "str",
            "C-NOBODY",
            "--format",
            "html",
            "--output",
            &h,
        ],
        &[],
    )?;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("C-NOBODY") && err(&o).contains("docket screen"),
        "{}",
        err(&o)
    );
    Ok(())
}

/// Every `href="#t-…"` target inside `chunk`.
fn links(chunk: &str) -> Vec<&str> {
    chunk
        .split("href=\"#t-")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect()
}

/// The text of the first `<svg class="CLASS"` element.
fn svg<'a>(page: &'a str, class: &str) -> Result<&'a str> {
    let start = page
        .find(&format!("<svg class=\"{class}\""))
        .with_context(|| format!("no <svg class=\"{class}\"> in {page}"))?;
    let end = page[start..].find("</svg>").context("unclosed svg")? + start;
    Ok(&page[start..end])
}

fn html_page_is_a_standalone_review_page(page: &str) -> Result<()> {
    // Standalone: no scripts, no outside references.
    let lower = page.to_lowercase();
    assert!(!lower.contains("<script"), "{page}");
    assert!(
        !lower.contains("src=") && !lower.contains("http-equiv"),
        "{page}"
    );
    for href in page.split("href=\"").skip(1) {
        assert!(href.starts_with('#'), "outside link: {href}");
    }

    // Timeline rows: one per case transaction, each addressable, grouped by day.
    let mut rows = Vec::new();
    for id in (1..=12)
        .map(|i| format!("F{i:02}"))
        .chain(["X01".to_string()])
    {
        assert_eq!(
            page.matches(&format!("<tr id=\"t-{id}\">")).count(),
            1,
            "{id}"
        );
        rows.push(id);
    }
    assert!(!page.contains("id=\"t-S00\""));
    assert!(page.contains("<tr class=\"day\"><th colspan=\"9\">2026-03-10</th></tr>"));
    assert!(page.contains("<tr class=\"day\"><th colspan=\"9\">2026-03-11</th></tr>"));

    // Narrative: separate sentences, each linking only to rows that exist.
    let start = page
        .find("<ol class=\"narrative\">")
        .context("narrative list")?;
    let end = page[start..].find("</ol>").context("closed narrative")? + start;
    let sentences: Vec<&str> = page[start..end]
        .split("<li class=\"sentence\">")
        .skip(1)
        .collect();
    assert!(sentences.len() >= 4, "{sentences:?}");
    for s in &sentences {
        let ids = links(s);
        assert!(!ids.is_empty(), "sentence without a link: {s}");
        for id in ids {
            assert!(
                rows.iter().any(|r| r == id),
                "link to missing row t-{id}: {s}"
            );
        }
    }
    let inflow = sentences
        .iter()
        .find(|s| s.contains("Into the account: 12 transaction(s) totalling 96000.00 CNY"))
        .context("inflow sentence")?;
    assert_eq!(links(inflow).len(), 12, "{inflow}");
    let outflow = sentences
        .iter()
        .find(|s| s.contains("Out of the account: 1 transaction(s) totalling 90000.00 CNY"))
        .context("outflow sentence")?;
    assert_eq!(links(outflow), vec!["X01"], "{outflow}");

    // The chart: per-day bars labelled from the Decimal text.
    let chart = svg(page, "chart")?;
    assert!(chart.contains("<rect class=\"in\""), "{chart}");
    assert!(chart.contains(">in 96000.00</text>"), "{chart}");
    assert!(chart.contains(">out 90000.00</text>"), "{chart}");

    // The graph: the subject and every counterparty, with edge sums and counts.
    let graph = svg(page, "graph")?;
    // The subject carries its stored name, markup escaped.
    assert!(
        graph.contains(">MULE (Mule &lt;b&gt;Trading&lt;/b&gt;)</text>"),
        "{graph}"
    );
    for i in 1..=12 {
        assert!(
            graph.contains(&format!(">PAYER{i:02}")),
            "PAYER{i:02}: {graph}"
        );
    }
    assert!(graph.contains(">OUT01"), "{graph}");
    assert!(graph.contains("in 1× 8000.00 CNY"), "{graph}");
    assert!(graph.contains("out 1× 90000.00 CNY"), "{graph}");
    assert!(!graph.contains("<b>"), "{graph}");
    Ok(())
}

#[test]
fn foreign_currency_cases_convert_with_the_rate_file_or_say_which_rate_is_missing() -> Result<()> {
    let dir = tempfile::tempdir()?;
    // The same planted fan-in, booked in US dollars.
    let data = common::screened(
        dir.path(),
        &common::planted_fan_in_csv("Mule Trading").replace(",CNY,", ",USD,"),
    )?;
    let xml = dir.path().join("str.xml");
    let args = |rates: Option<&str>| {
        let mut a = vec![
            "--data-dir".to_owned(),
            data.clone(),
            "report".into(),
            "str".into(),
            "C-MULE".into(),
            "--format".into(),
            "goaml".into(),
            "--output".into(),
            xml.display().to_string(),
        ];
        if let Some(r) = rates {
            a.push("--rates".into());
            a.push(r.to_owned());
        }
        a
    };
    // No rates: refused, naming the transaction, currency and date to add.
    let a = args(None);
    let o = docket(&a.iter().map(String::as_str).collect::<Vec<_>>(), &ENTITY)?;
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(
        err(&o).contains("DK-E0701")
            && err(&o).contains("no USD→CNY exchange rate is dated on or before 2026-03-10"),
        "{}",
        err(&o)
    );
    assert!(err(&o).contains("2026-03-10,USD,RATE"), "{}", err(&o));
    // A rate file with a rate set before the fan-in and a new one the next day.
    let rates = dir.path().join("rates.csv");
    std::fs::write(
        &rates,
        "date,currency,rate\n2026-03-09,USD,7.1000\n2026-03-11,USD,7.2500\n",
    )?;
    let a = args(Some(&rates.display().to_string()));
    let o = docket(&a.iter().map(String::as_str).collect::<Vec<_>>(), &ENTITY)?;
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let text = std::fs::read_to_string(&xml)?;
    // 8,000.00 USD on 03-10 at 7.10, and the onward 90,000.00 USD on 03-11 at 7.25.
    assert!(
        text.contains("<amount_local>56800.00</amount_local>"),
        "{text}"
    );
    assert!(
        text.contains("<amount_local>652500.00</amount_local>"),
        "{text}"
    );
    assert!(
        text.contains("<foreign_currency_code>USD</foreign_currency_code>"),
        "{text}"
    );
    assert!(
        text.contains("<foreign_amount>8000.00</foreign_amount>"),
        "{text}"
    );
    if let Some(xsd) = xsd() {
        let v = Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(&xsd)
            .arg(&xml)
            .output()?;
        assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    }
    // A broken rate file is refused with its line.
    std::fs::write(&rates, "2026-03-09,USD,seven\n")?;
    let a = args(Some(&rates.display().to_string()));
    let o = docket(&a.iter().map(String::as_str).collect::<Vec<_>>(), &ENTITY)?;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err(&o).contains("line 1") && err(&o).contains("seven"),
        "{}",
        err(&o)
    );
    Ok(())
}
