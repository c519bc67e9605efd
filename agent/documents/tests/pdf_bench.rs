//! Throughput of text-layer extraction (load + interpret + words), printed, never asserted:
//! `cargo test --release -p docket-documents --test pdf_bench -- --ignored --nocapture`.
//! The page is statement-like: 40 transaction lines of five cells each, a Chinese header in
//! STSong-Light, all in one compressed content stream per page.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pdf_common;

use docket_documents::{DigitiseOptions, pdf};
use pdf_common::*;
use std::time::Instant;

fn statement_page(n: usize) -> PageSpec {
    let mut c = format!(
        "BT /F2 12 Tf 1 0 0 1 40 780 Tm {} Tj ET\nBT /F1 9 Tf\n",
        utf16_hex("中国工商银行 账户明细 交易日期 摘要 金额 余额")
    );
    for i in 0..40 {
        let y = 740.0 - 17.0 * i as f32;
        let cells = [
            (40.0, format!("2024-{:02}-{:02}", 1 + n % 12, 1 + i % 28)),
            (110.0, format!("POS PURCHASE MERCHANT {i:03} REF {n}{i}")),
            (330.0, format!("{}.{:02}", 10 + i * 7, i)),
            (410.0, String::new()),
            (490.0, format!("{},{:03}.{:02}", 1 + i, i * 13 % 1000, i)),
        ];
        for (x, t) in cells {
            if !t.is_empty() {
                c.push_str(&format!("1 0 0 1 {x} {y} Tm [({t})] TJ\n"));
            }
        }
    }
    c.push_str("ET\n");
    PageSpec::new(c.as_bytes())
        .font("F1", helvetica("Helvetica"))
        .font("F2", stsong())
}

#[test]
#[ignore]
fn text_layer_pages_per_second() {
    let pages = 200;
    let mut doc = document((0..pages).map(statement_page).collect());
    doc.compress();
    let bytes = save(doc);
    let opts = DigitiseOptions::default();
    let out = pdf::read(&bytes, &opts).unwrap();
    assert_eq!(out.len(), pages);
    assert_eq!(out[0].lines().len(), 41);
    let rounds = 5;
    let t = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(pdf::read(&bytes, &opts).unwrap());
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "pdf text layer: {:.0} pages/s ({} pages x {rounds}, {} words/page, {:.1} ms/page)",
        (pages * rounds) as f64 / secs,
        pages,
        out[0].words.len(),
        secs * 1000.0 / (pages * rounds) as f64
    );
}
