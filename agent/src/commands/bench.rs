//! `docket bench`: measures extraction speed on given files (pages/s, rows/s, peak memory) so that
//! the figures in docs/PERFORMANCE.md can be reproduced on any machine.

use crate::cli::Global;
use crate::pipeline;
use clap::Args;
use docket_documents::{DigitiseOptions, digitise};
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `docket bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Files to digitise and extract.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Repetitions per file (the best time is reported).
    #[arg(long, default_value_t = 3)]
    pub repeat: u32,
    /// OCR threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Runs `docket bench`.
pub fn run(g: &Global, args: &BenchArgs) -> anyhow::Result<i32> {
    let mut opts = DigitiseOptions::default();
    if let Some(t) = args.threads {
        opts.ocr_threads = t.max(1);
    }
    let schema = pipeline::resolve_schema("bank_statement")?;
    for file in &args.files {
        let mut best_digitise = f64::MAX;
        let mut best_total = f64::MAX;
        let mut units = 0usize;
        let mut unit = "pages";
        let mut records = 0usize;
        for _ in 0..args.repeat.max(1) {
            let t0 = Instant::now();
            let doc = digitise(file, &opts)
                .map_err(|e| crate::failure::Failure::new(e.code, e.message))?;
            let t1 = t0.elapsed().as_secs_f64();
            let ex = docket_extract::extract(&doc, &schema).ok();
            let t2 = t0.elapsed().as_secs_f64();
            best_digitise = best_digitise.min(t1);
            best_total = best_total.min(t2);
            if doc.pages.is_empty() {
                unit = "rows";
                units = doc.sheets.iter().map(|s| s.rows.len()).sum();
            } else {
                units = doc.pages.len();
            }
            records = ex.map(|e| e.records.len()).unwrap_or(0);
        }
        let rate = units as f64 / best_total.max(1e-9);
        let rss = peak_rss_mb().unwrap_or(0.0);
        if g.json {
            println!(
                "{}",
                serde_json::json!({"file": file.display().to_string(), "unit": unit, "units": units, "records": records,
                    "digitise_s": best_digitise, "total_s": best_total, "rate_per_s": rate, "peak_rss_mb": rss,
                    "ocr_threads": opts.ocr_threads})
            );
        } else {
            println!(
                "{}: {units} {unit}, {records} records; digitise {:.3}s, digitise+extract {:.3}s => {rate:.1} {unit}/s; peak RSS {rss:.0} MB",
                file.display(),
                best_digitise,
                best_total
            );
        }
    }
    Ok(0)
}
