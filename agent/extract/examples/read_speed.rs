//! Reading speed of digital statements against `pdftotext -layout`, measured in one run: for
//! each PDF given, the best of `--repeat` runs of digitise + layout inference + extraction +
//! checks in this process, then the best of as many `pdftotext -layout` runs on the same file.
//! Prints pages/s for both and their ratio; it never asserts (timings are for reading, not for
//! tests). Run on one core to compare like with like:
//!
//! ```text
//! taskset -c 0 cargo run --release -p docket-extract --example read_speed -- [--repeat N] FILE.pdf…
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used)] // a measuring tool: a panic is the report

use std::process::Command;
use std::time::Instant;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut repeat = 5;
    if let Some(i) = args.iter().position(|a| a == "--repeat") {
        repeat = args[i + 1].parse().expect("--repeat N");
        args.drain(i..i + 2);
    }
    let (mut ours, mut theirs, mut pages) = (0.0_f64, 0.0_f64, 0usize);
    for path in &args {
        let bytes = std::fs::read(path).expect("readable file");
        let mut best = f64::MAX;
        let mut n_pages = 0;
        let mut records = 0;
        for _ in 0..repeat {
            let t = Instant::now();
            let doc = docket_documents::digitise_bytes(path, &bytes, &Default::default())
                .expect("a readable statement");
            let x = docket_extract::extract_bank_statement(&doc).expect("a statement");
            best = best.min(t.elapsed().as_secs_f64());
            n_pages = doc.page_count();
            records = x.records.len();
        }
        let mut best_ref = f64::MAX;
        for _ in 0..repeat {
            let t = Instant::now();
            let out = Command::new("pdftotext")
                .args(["-layout", path, "-"])
                .output()
                .expect("pdftotext (poppler-utils) installed");
            assert!(out.status.success());
            best_ref = best_ref.min(t.elapsed().as_secs_f64());
        }
        println!(
            "{path}: {n_pages} pages, {records} transactions: docket {:.1} pages/s ({:.1} ms), pdftotext -layout {:.1} pages/s ({:.1} ms), ratio {:.2}",
            n_pages as f64 / best,
            best * 1e3,
            n_pages as f64 / best_ref,
            best_ref * 1e3,
            best_ref / best
        );
        ours += best;
        theirs += best_ref;
        pages += n_pages;
    }
    if args.len() > 1 {
        println!(
            "all {} files, {pages} pages: docket {:.1} pages/s, pdftotext -layout {:.1} pages/s, ratio {:.2}",
            args.len(),
            pages as f64 / ours,
            pages as f64 / theirs,
            theirs / ours
        );
    }
}
