//! Seeded bank-scale transfer tables for `docket screen`: time-ordered CSV rows over a year
//! between a fixed population of accounts (transfers, card spending at merchants, cash deposits
//! with the payer's side empty, salaries), with known patterns planted at fixed points: a fan-in
//! mule, cash structuring, a four-account ring and a collection account. The same seed always
//! writes the same bytes.

use std::io::Write;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Rows (transfers) in the file.
    pub rows: u64,
    /// Ordinary accounts.
    pub accounts: u64,
    /// Days the rows span, from 2026-01-01 00:00:00 (Asia/Shanghai wall time, no offset).
    pub days: u64,
    /// Seed of the generator.
    pub seed: u64,
    /// Planting points (each plants every pattern once).
    pub plants: u64,
}

impl Spec {
    /// The benchmark's shape: `rows` transfers, 1M accounts, 365 days.
    pub fn bank(rows: u64) -> Spec {
        Spec {
            rows,
            accounts: 1_000_000,
            days: 365,
            seed: 0x005E_ED0D_0CE7,
            plants: 8,
        }
    }
}

/// The header every generated file starts with.
pub const HEADER: &str = "txn_id,from_account,to_account,amount,timestamp,currency,channel";

struct Rng(u64);

impl Rng {
    fn below(&mut self, m: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % m.max(1)
    }
}

/// (from, to, amount in fen, channel) of the planted rows for point `k`.
fn planted(k: u64) -> Vec<(String, String, u64, &'static str)> {
    let mut v = Vec::new();
    for p in 0..12 {
        v.push((
            format!("PAYER{k}-{p}"),
            format!("FANIN{k}"),
            3_000_000,
            "transfer",
        ));
    }
    v.push((
        format!("FANIN{k}"),
        format!("BOSS{k}"),
        34_000_000,
        "transfer",
    ));
    for _ in 0..3 {
        v.push((String::new(), format!("SMURF{k}"), 4_700_000, "cash"));
    }
    for h in 0..4u64 {
        v.push((
            format!("RING{k}-{h}"),
            format!("RING{k}-{}", (h + 1) % 4),
            80_000_000 - h * 1_000_000,
            "transfer",
        ));
    }
    for p in 0..25 {
        v.push((
            format!("GAMER{k}-{p}"),
            format!("COLLECT{k}"),
            500_000,
            "transfer",
        ));
    }
    v
}

/// Writes `spec.rows` rows (plus the header) to `w`, in time order.
pub fn write(spec: &Spec, w: &mut impl Write) -> std::io::Result<()> {
    writeln!(w, "{HEADER}")?;
    let mut r = Rng(spec.seed | 1);
    let span = spec.days * 86_400;
    let mut script = std::collections::VecDeque::new();
    let every = (spec.rows / spec.plants.max(1)).max(1);
    let mut day_text = String::new();
    let mut day_of_text = u64::MAX;
    for i in 0..spec.rows {
        if i % every == every / 2 && i / every < spec.plants {
            script.extend(planted(i / every));
        }
        let secs = i * span / spec.rows.max(1);
        let day = secs / 86_400;
        if day != day_of_text {
            let d = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
                .and_then(|d| d.checked_add_days(chrono::Days::new(day)))
                .unwrap_or_default();
            day_text = d.format("%Y-%m-%d").to_string();
            day_of_text = day;
        }
        let s = secs % 86_400;
        let (from, to, fen, channel) = match script.pop_front() {
            Some(p) => p,
            None => {
                let a = format!("A{:07}", r.below(spec.accounts));
                match r.below(100) {
                    0..=39 => {
                        let b = format!("A{:07}", r.below(spec.accounts));
                        (a, b, 1_000 + r.below(2_000_000), "transfer")
                    }
                    40..=74 => {
                        let m = format!("M{:05}", r.below(20_000));
                        (a, m, 500 + r.below(50_000), "card")
                    }
                    75..=84 => (String::new(), a, 10_000 * (1 + r.below(30)), "cash"),
                    85..=94 => {
                        let e = format!("E{:05}", r.below(5_000));
                        (e, a, 500_000 + r.below(1_500_000), "transfer")
                    }
                    _ => (a, String::new(), 10_000 * (1 + r.below(20)), "cash"),
                }
            }
        };
        writeln!(
            w,
            "T{i:09},{from},{to},{}.{:02},{day_text} {:02}:{:02}:{:02},CNY,{channel}",
            fen / 100,
            fen % 100,
            s / 3600,
            s / 60 % 60,
            s % 60
        )?;
    }
    Ok(())
}

/// Writes the table to `path`.
pub fn write_file(spec: &Spec, path: &std::path::Path) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    write(spec, &mut w)?;
    w.flush()
}
