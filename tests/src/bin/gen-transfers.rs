//! `gen-transfers ROWS OUT.csv [ACCOUNTS] [DAYS]`: writes a seeded, time-ordered transfer table
//! for `docket screen` benchmarks (default 1,000,000 accounts over 365 days).

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rows: u64 = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let out = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "transfers.csv".into());
    let mut spec = docket_e2e::transfers::Spec::bank(rows);
    if let Some(a) = args.get(2).and_then(|a| a.parse().ok()) {
        spec.accounts = a;
    }
    if let Some(d) = args.get(3).and_then(|a| a.parse().ok()) {
        spec.days = d;
    }
    let start = std::time::Instant::now();
    docket_e2e::transfers::write_file(&spec, std::path::Path::new(&out))?;
    let size = std::fs::metadata(&out)?.len();
    eprintln!(
        "{rows} rows, {} accounts, {} days: {out} ({:.0} MB) in {:.1} s",
        spec.accounts,
        spec.days,
        size as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
