//! Prints the lines and word boxes of a digitised document and the table areas the layout reader
//! finds in it, to see what the reader sees: `cargo run -p docket-extract --example dump -- FILE`.
//! A debugging aid only; it never writes anything.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use docket_documents::{DigitiseOptions, digitise};

fn main() {
    let path = std::env::args().nth(1).expect("usage: dump FILE");
    let doc = digitise(std::path::Path::new(&path), &DigitiseOptions::default()).expect("digitise");
    for page in &doc.pages {
        println!("== page {} ({} x {})", page.number, page.width, page.height);
        for line in page.lines() {
            let words: Vec<String> = line
                .words
                .iter()
                .map(|w| format!("[{:.1}-{:.1}]{}", w.bbox.x0, w.bbox.x1, w.text))
                .collect();
            println!(
                "y {:.1}-{:.1}: {}",
                line.bbox.y0,
                line.bbox.y1,
                words.join(" ")
            );
        }
    }
    let (areas, _) = docket_extract::layout::areas(&doc);
    for a in &areas {
        println!("AREA roles {:?} rows {}", a.roles, a.rows.len());
    }
    for sheet in &doc.sheets {
        println!("== sheet {} {}", sheet.index, sheet.name);
        for row in &sheet.rows {
            let cells: Vec<String> = row.iter().map(|c| format!("{c:?}")).collect();
            println!("{}", cells.join(" | "));
        }
    }
    match docket_extract::extract_bank_statement(&doc) {
        Ok(x) => {
            for r in &x.records {
                println!("RECORD {} {} {}", r["date"], r["amount"], r["description"]);
            }
            for c in &x.checks {
                println!("CHECK {} {:?} {}", c.name, c.status, c.message);
            }
        }
        Err(e) => println!("EXTRACT ERROR {e}"),
    }
}
