//! Throughput and memory benchmark for `docket_rules::screen`.
//!
//! `cargo run --release -p docket-rules --example bench -- N [--csv PATH] [--amlsim FILE.tgz]`
//!
//! Generates N transactions deterministically (a 64-bit xorshift, fixed seed) as an iterator —
//! never materialised — over one year: a sliding population of accounts (so accounts come and
//! go), salaries, card spending at merchants, cash, transfers and some cross-border payments, with
//! a fan-in, a structuring and a round-tripping pattern planted every 1,000,000 transactions.
//! Prints txns/s and peak RSS (VmHWM). `--csv PATH` also writes the transfers as
//! `from_account,to_account,amount,timestamp,txn_id,channel` for `benches/pandas_fan_in.py`.
//! `--only RULE` screens with that rule alone at its defaults (`--only fan_in` for the pandas
//! comparison).
//! `--amlsim FILE` instead screens an AMLSim sample (transactions.csv inside the .tgz).
#![allow(clippy::expect_used, clippy::unwrap_used)]

use chrono::{DateTime, Duration, FixedOffset, TimeZone};
use docket_rules::{Channel, CustomerKind, RulePack, Txn, screen};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, VecDeque};
use std::io::{BufWriter, Read, Write};
use std::str::FromStr;

const YEAR_SECS: i64 = 365 * 86_400;
/// Accounts active at any moment; the window slides so total accounts ever seen is N / 25.
const ACTIVE: u64 = 20_000;

struct Gen {
    n: u64,
    i: u64,
    rng: u64,
    base: DateTime<FixedOffset>,
    script: VecDeque<(String, String, i64, Channel)>,
    csv: Option<BufWriter<std::fs::File>>,
}

impl Gen {
    fn next_u(&mut self, m: u64) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng % m
    }

    fn account(&mut self) -> String {
        let total = (self.n / 25).max(ACTIVE);
        let offset = self.i * (total - ACTIVE) / self.n;
        format!("A{}", offset + self.next_u(ACTIVE))
    }

    /// Plant one instance of each pattern (queued; emitted one per step in time order).
    fn plant(&mut self) {
        let k = self.i;
        let mule = format!("FANIN{k}");
        for p in 0..12 {
            self.script.push_back((
                format!("PAYER{k}-{p}"),
                mule.clone(),
                3_000_000,
                Channel::Transfer,
            ));
        }
        self.script
            .push_back((mule, format!("BOSS{k}"), 34_000_000, Channel::Transfer));
        for _ in 0..3 {
            self.script
                .push_back((format!("SMURF{k}"), String::new(), 4_700_000, Channel::Cash));
        }
        let ring: Vec<String> = (0..4).map(|h| format!("RING{k}-{h}")).collect();
        for h in 0..4 {
            self.script.push_back((
                ring[h].clone(),
                ring[(h + 1) % 4].clone(),
                80_000_000 - h as i64 * 1_000_000,
                Channel::Transfer,
            ));
        }
    }
}

impl Iterator for Gen {
    type Item = Txn;
    fn next(&mut self) -> Option<Txn> {
        if self.i >= self.n {
            return None;
        }
        if self.i % 1_000_000 == 500_000 || self.i == self.n / 2 {
            self.plant();
        }
        let ts = self.base + Duration::seconds((self.i as i64) * YEAR_SECS / self.n as i64);
        let (from, to, cents, channel) = match self.script.pop_front() {
            Some(s) => s,
            None => {
                let a = self.account();
                match self.next_u(100) {
                    0..=44 => {
                        let m = format!("M{}", self.next_u(2_000));
                        (a, m, 500 + self.next_u(50_000) as i64, Channel::Card)
                    }
                    45..=54 => (
                        a,
                        String::new(),
                        10_000 * (1 + self.next_u(30) as i64),
                        Channel::Cash,
                    ),
                    55..=64 => {
                        let e = format!("EMP{}", self.next_u(500));
                        (
                            e,
                            a,
                            500_000 + self.next_u(1_500_000) as i64,
                            Channel::Transfer,
                        )
                    }
                    65..=97 => {
                        let b = self.account();
                        (a, b, 1_000 + self.next_u(500_000) as i64, Channel::Transfer)
                    }
                    _ => {
                        let b = format!("F{}", self.next_u(5_000));
                        (
                            a,
                            b,
                            10_000 + self.next_u(2_000_000) as i64,
                            Channel::CrossBorder,
                        )
                    }
                }
            }
        };
        let id = format!("t{}", self.i);
        if let Some(w) = &mut self.csv
            && !to.is_empty()
        {
            writeln!(
                w,
                "{from},{to},{},{},{id},{channel:?}",
                Decimal::new(cents, 2),
                ts.to_rfc3339()
            )
            .expect("csv");
        }
        self.i += 1;
        let cross = channel == Channel::CrossBorder;
        Some(Txn {
            id,
            account: from,
            counterparty_account: (!to.is_empty()).then_some(to),
            counterparty_name: None,
            timestamp: ts,
            amount: -Decimal::new(cents, 2),
            currency: "CNY".to_owned(),
            channel,
            country: Some("CN".to_owned()),
            counterparty_country: Some(if cross { "HK" } else { "CN" }.to_owned()),
            customer_kind: Some(CustomerKind::Individual),
        })
    }
}

fn vm_hwm() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.to_owned())
        })
        .unwrap_or_else(|| "VmHWM: unknown".to_owned())
}

fn amlsim(path: &str) -> Vec<Txn> {
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(path).expect("open"));
    let mut ar = tar::Archive::new(gz);
    let mut csv = String::new();
    for e in ar.entries().expect("entries") {
        let mut e = e.expect("entry");
        if e.path().expect("path").ends_with("transactions.csv") {
            e.read_to_string(&mut csv).expect("read");
        }
    }
    let base = FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 1, 1, 12, 0, 0)
        .unwrap();
    let mut rows: Vec<(i64, usize, Txn)> = Vec::new();
    for (i, l) in csv.lines().skip(1).enumerate() {
        let f: Vec<&str> = l.split(',').collect();
        let step: i64 = f[3].trim().parse().expect("step");
        rows.push((
            step,
            i,
            Txn {
                id: format!("t{i}"),
                account: f[0].to_owned(),
                counterparty_account: Some(f[1].to_owned()),
                counterparty_name: None,
                timestamp: base + Duration::days(step),
                amount: -Decimal::from_str(f[2].trim()).expect("amount"),
                currency: "USD".to_owned(),
                channel: Channel::Transfer,
                country: None,
                counterparty_country: None,
                customer_kind: None,
            },
        ));
    }
    rows.sort_by_key(|r| (r.0, r.1));
    rows.into_iter().map(|r| r.2).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let mut pack = RulePack::default_pack().expect("default pack");
    if let Some(rule) = opt("--only") {
        let yaml = format!("version: 1\ntimezone: Asia/Shanghai\nrules:\n  {rule}:\n");
        pack = RulePack::from_yaml(&yaml).expect("--only takes a rule id such as fan_in");
    }
    let start = std::time::Instant::now();
    let (n, s) = if let Some(path) = opt("--amlsim") {
        let txns = amlsim(&path);
        let n = txns.len() as u64;
        let start = std::time::Instant::now();
        let s = screen(txns.into_iter(), &pack).expect("screen");
        println!("screen only: {:.2}s", start.elapsed().as_secs_f64());
        (n, s)
    } else {
        let n: u64 = args
            .first()
            .and_then(|a| a.parse().ok())
            .unwrap_or(1_000_000);
        let csv = opt("--csv").map(|p| {
            let mut w = BufWriter::new(std::fs::File::create(p).expect("create csv"));
            writeln!(w, "from_account,to_account,amount,timestamp,txn_id,channel").expect("csv");
            w
        });
        let tz = FixedOffset::east_opt(8 * 3600).unwrap();
        let base = tz.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let g = Gen {
            n,
            i: 0,
            rng: 0x9E37_79B9_7F4A_7C15,
            base,
            script: VecDeque::new(),
            csv,
        };
        (n, screen(g, &pack).expect("screen"))
    };
    let secs = start.elapsed().as_secs_f64();
    let mut by_rule: BTreeMap<String, usize> = BTreeMap::new();
    for a in &s.alerts {
        *by_rule.entry(a.rule.to_string()).or_default() += 1;
    }
    println!(
        "{n} txns in {secs:.2}s = {:.0} txns/s; {} alerts, {} cases",
        n as f64 / secs,
        s.alerts.len(),
        s.cases.len()
    );
    println!("alerts by rule: {by_rule:?}");
    let planted = ["FANIN", "SMURF", "RING"]
        .map(|p| s.alerts.iter().filter(|a| a.subject.starts_with(p)).count());
    println!("alerts on planted subjects (fan-in mules, smurfs, ring members): {planted:?}");
    if let Some(p) = opt("--fan-in-out") {
        let mut w = BufWriter::new(std::fs::File::create(p).expect("create"));
        for a in s
            .alerts
            .iter()
            .filter(|a| a.rule == docket_rules::RuleId::FanIn)
        {
            writeln!(w, "{}", a.subject).expect("write");
        }
    }
    println!("{}", vm_hwm());
}
