//! Docket's own sample bank statements: a seeded generator and writers for digital PDF, scanned
//! PDF/PNG, xlsx and GB18030 CSV, each with its ground truth (`<file>.truth.json`), plus a set of
//! deliberately broken files. Everything is deterministic — the same seed gives byte-identical
//! files — and nothing here reads the clock or an unseeded random source.

pub mod bad;
pub mod layout;
pub mod model;
pub mod pdf;
pub mod scan;
pub mod sheet;
pub mod truth;

pub use bad::bad_files;
pub use model::{Entry, Flavour, Spec, Statement};
pub use truth::{Printed, Truth};

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// One generated file: its name, bytes and ground truth.
#[derive(Debug, Clone)]
pub struct Sample {
    /// File name (no directory).
    pub name: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// What `docket extract` must find in it.
    pub truth: Truth,
    /// Number of pages as `docket extract` reports them in `source.pages`: sheets for a workbook
    /// ([`sheet::XLSX_SHEETS`]), 1 for CSV.
    pub pages: usize,
}

/// A digital PDF with a text layer.
pub fn digital_pdf(name: &str, s: &Statement) -> Result<Sample> {
    let pages = layout::layout(s);
    Ok(Sample {
        name: name.to_string(),
        bytes: pdf::write_pdf(&pages)?,
        truth: Truth::of(s, Printed::ALL),
        pages: pages.len(),
    })
}

/// A scanned PDF: one rotated, noisy 200-dpi JPEG per page and no text layer.
pub fn scanned_pdf(
    name: &str,
    s: &Statement,
    seed: u64,
    fonts: &scan::ScanFonts,
) -> Result<Sample> {
    let pages = layout::layout(s);
    let mut jpegs = Vec::with_capacity(pages.len());
    for (i, page) in pages.iter().enumerate() {
        let img = scan::degrade(
            &scan::rasterise(page, fonts),
            seed.wrapping_add(i as u64),
            true,
        );
        jpegs.push((img.width(), img.height(), scan::jpeg(&img)?));
    }
    Ok(Sample {
        name: name.to_string(),
        bytes: scan::pdf_of_jpegs(&jpegs)?,
        truth: Truth::of(s, Printed::ALL),
        pages: pages.len(),
    })
}

/// A scanned PNG of a statement that fits on one page (an error otherwise: the PNG would lose
/// rows the truth still lists).
pub fn scanned_png(
    name: &str,
    s: &Statement,
    seed: u64,
    fonts: &scan::ScanFonts,
) -> Result<Sample> {
    let pages = layout::layout(s);
    anyhow::ensure!(
        pages.len() == 1,
        "{name}: a PNG holds one page but the statement needs {}; use fewer transactions",
        pages.len()
    );
    let img = scan::degrade(&scan::rasterise(&pages[0], fonts), seed, false);
    Ok(Sample {
        name: name.to_string(),
        bytes: scan::png_with_dpi(&img)?,
        truth: Truth::of(s, Printed::ALL),
        pages: 1,
    })
}

/// An xlsx export.
pub fn xlsx(name: &str, s: &Statement) -> Result<Sample> {
    Ok(Sample {
        name: name.to_string(),
        bytes: sheet::xlsx(s)?,
        truth: Truth::of(s, Printed::ALL),
        pages: sheet::XLSX_SHEETS,
    })
}

/// A GB18030 CSV export (prints no opening/closing balance).
pub fn gb18030_csv(name: &str, s: &Statement) -> Result<Sample> {
    Ok(Sample {
        name: name.to_string(),
        bytes: sheet::gb18030_csv(s)?,
        truth: Truth::of(s, Printed { balances: false }),
        pages: 1,
    })
}

/// The README demo set (≈6 files): English and Chinese digital PDFs, an English 2-page scanned
/// PDF, a Chinese 1-page scanned PNG, an English xlsx and a Chinese GB18030 CSV.
pub fn demo_set() -> Result<Vec<Sample>> {
    let fonts = scan::ScanFonts::load()?;
    let en = |currency, seed, n| {
        Statement::generate(&Spec::march_2026(Flavour::English, currency, seed, n))
    };
    let zh = |seed, n| Statement::generate(&Spec::march_2026(Flavour::Chinese, "CNY", seed, n));
    Ok(vec![
        digital_pdf("statement-en-gbp-2026-03.pdf", &en("GBP", 1, 48))?,
        digital_pdf("statement-zh-cny-2026-03.pdf", &zh(2, 52))?,
        scanned_pdf("scan-en-usd-2026-03.pdf", &en("USD", 3, 34), 3, &fonts)?,
        scanned_png("scan-zh-cny-2026-03.png", &zh(4, 14), 4, &fonts)?,
        xlsx("statement-en-usd-2026-03.xlsx", &en("USD", 5, 30))?,
        gb18030_csv("export-zh-cny-2026-03.csv", &zh(6, 36))?,
    ])
}

/// An English digital PDF of exactly `pages` pages (for benchmarks): transactions are added
/// until the layout reaches that many pages.
pub fn large_pdf(pages: usize) -> Result<Sample> {
    let pages = pages.max(1);
    let mut spec = Spec::march_2026(Flavour::English, "GBP", 500, 0);
    spec.period_start = spec.period_end - chrono::Duration::days(365);
    let mut count_pages = |n: usize| {
        spec.transactions = n;
        let s = Statement::generate(&spec);
        (layout::layout(&s).len(), s)
    };
    // Rows wrap at random, so search for the smallest transaction count that fills the pages.
    let (mut lo, mut hi) = (1usize, pages * 60);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if count_pages(mid).0 >= pages {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let (n, s) = count_pages(lo);
    anyhow::ensure!(
        n == pages,
        "could not lay out exactly {pages} pages (got {n})"
    );
    digital_pdf(&format!("large-en-gbp-{pages}p.pdf"), &s)
}

/// Write samples into `out`, and each `<name>.truth.json` into `truth_dir` when given.
pub fn write_samples(
    samples: &[Sample],
    out: &Path,
    truth_dir: Option<&Path>,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    if let Some(t) = truth_dir {
        std::fs::create_dir_all(t).with_context(|| format!("creating {}", t.display()))?;
    }
    let mut written = Vec::with_capacity(samples.len());
    for s in samples {
        let path = out.join(&s.name);
        std::fs::write(&path, &s.bytes).with_context(|| format!("writing {}", path.display()))?;
        if let Some(t) = truth_dir {
            let truth_path = t.join(format!("{}.truth.json", s.name));
            std::fs::write(&truth_path, s.truth.to_json()?)
                .with_context(|| format!("writing {}", truth_path.display()))?;
        }
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on failure
mod tests;
