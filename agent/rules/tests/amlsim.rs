//! Opt-in: AMLSim labelled samples (`shared/fixtures/aml/20K_*.tgz`). Runs fan_in and cycle,
//! prints account-level precision and recall and throughput, and asserts a measured floor.
//! Skips with a note when the fixtures are absent.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use chrono::{Duration, FixedOffset, TimeZone};
use docket_rules::{Channel, RulePack, Txn, screen};
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::PathBuf;
use std::str::FromStr;

fn load(name: &str) -> Option<(Vec<Txn>, HashSet<String>)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/aml")
        .join(name);
    if !path.exists() {
        println!("note: {} absent; AMLSim check skipped", path.display());
        return None;
    }
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(&path).expect("open"));
    let mut ar = tar::Archive::new(gz);
    let mut files: HashMap<String, String> = HashMap::new();
    for e in ar.entries().expect("entries") {
        let mut e = e.expect("entry");
        let p = e.path().expect("path").to_string_lossy().to_string();
        if p.ends_with(".csv") {
            let mut s = String::new();
            e.read_to_string(&mut s).expect("read");
            files.insert(p.rsplit('/').next().unwrap().to_owned(), s);
        }
    }
    let fraud: HashSet<String> = files["nodes.csv"]
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f.get(1) == Some(&"1")).then(|| f[0].to_owned())
        })
        .collect();
    let base = FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 1, 1, 12, 0, 0)
        .unwrap();
    let mut rows: Vec<(i64, usize, Txn)> = Vec::new();
    for (i, l) in files["transactions.csv"].lines().skip(1).enumerate() {
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
    Some((rows.into_iter().map(|r| r.2).collect(), fraud))
}

fn run(name: &str, pack: &RulePack) -> Option<(f64, f64, f64)> {
    let (txns, fraud) = load(name)?;
    let n = txns.len();
    let start = std::time::Instant::now();
    let s = screen(txns.into_iter(), pack).expect("screen");
    let secs = start.elapsed().as_secs_f64();
    let flagged: HashSet<&String> = s.alerts.iter().flat_map(|a| a.accounts.iter()).collect();
    let tp = flagged.iter().filter(|a| fraud.contains(**a)).count() as f64;
    let p = if flagged.is_empty() {
        0.0
    } else {
        tp / flagged.len() as f64
    };
    let r = tp / fraud.len() as f64;
    let f1 = if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    };
    println!(
        "{name}: {} alerts, {} accounts flagged, precision {p:.3}, recall {r:.3}, F1 {f1:.3}; {n} txns in {secs:.2}s = {:.0} txns/s",
        s.alerts.len(),
        flagged.len(),
        n as f64 / secs
    );
    Some((p, r, f1))
}

#[test]
fn amlsim_fan_in_and_cycle() {
    let base = RulePack::default_pack().unwrap();
    // AMLSim's fan-ins only collect (no onward payment), so the default rule, which needs the
    // onward half, finds none: measured 0 alerts. The collection-only variant (min_share 0%) is
    // what can see them.
    let mut collect = base.fan_in.clone().unwrap();
    collect.min_share = Decimal::ZERO;
    let fan = RulePack {
        fan_in: Some(collect),
        ..RulePack::empty()
    };
    let cycle = RulePack {
        cycle: base.cycle.clone(),
        ..RulePack::empty()
    };
    run(
        "20K_fanin200.tgz",
        &RulePack {
            fan_in: base.fan_in.clone(),
            ..RulePack::empty()
        },
    );
    if let Some((p, r, _)) = run("20K_fanin200.tgz", &fan) {
        // Measured: precision 0.071, recall 0.275 (flagged accounts include every payer).
        assert!(
            p >= 0.05 && r >= 0.2,
            "fan_in precision {p:.3} / recall {r:.3} fell below the measured floor"
        );
    }
    // Measured (default cycle rule): precision 0.323, recall 0.101, F1 0.153 on 20K_cycle200.
    // The floor sits a little under it; SOURCES.md notes plain rules reach F1 about 0.26 at best.
    if let Some((p, r, _)) = run("20K_cycle200.tgz", &cycle) {
        assert!(
            p >= 0.25 && r >= 0.08,
            "cycle precision {p:.3} / recall {r:.3} fell below the measured floor"
        );
    }
}
