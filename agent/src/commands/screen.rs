//! `docket screen [--json] INPUT…`: screens transactions for money-laundering and fraud patterns
//! with a rule pack. Inputs are extraction JSON from `docket extract --json` (one document per
//! line) or transfer tables (CSV/TSV/xlsx) with at least `from_account,to_account,amount,timestamp`.
//! The work is the screening service's (`crate::screening`); this module parses the arguments,
//! persists through the service and prints.

use crate::cli::Global;
use crate::failure::Failure;
use crate::screening::{self, Request};
use crate::store::Store;
use anyhow::Result;
use chrono_tz::Tz;
use clap::Args;
use docket_core::ErrorCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;

/// Arguments of `docket screen`.
#[derive(Debug, Args)]
pub struct ScreenArgs {
    /// Extraction JSON (`docket extract --json` output) or transfer tables (CSV/TSV/xlsx).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Rule pack YAML (default: the built-in pack, `agent/rules/packs/default.yaml`).
    #[arg(long, value_name = "PACK.yaml")]
    pub pack: Option<PathBuf>,
    /// Time zone for timestamps without one (a bare date counts as midnight here).
    #[arg(long, default_value = "Asia/Shanghai")]
    pub zone: String,
    /// Rename a column of a transfer table: `--map from_account=付款账号`.
    #[arg(long = "map", value_name = "NEW=OLD")]
    pub map: Vec<String>,
    /// Memory (MB) a transfer table out of time order may take to be sorted in memory. Tables in
    /// time order are streamed in bounded memory whatever their size.
    #[arg(long, value_name = "MB", default_value_t = 1024)]
    pub memory_budget: u64,
}

/// Runs `docket screen`.
pub fn run(g: &Global, args: &ScreenArgs) -> Result<i32> {
    let zone: Tz = args.zone.parse().map_err(|_| {
        Failure::new(
            ErrorCode::BadUsage,
            format!(
                "--zone '{}' is not an IANA time zone (e.g. Asia/Shanghai)",
                args.zone
            ),
        )
    })?;
    let pack = screening::load_pack(args.pack.as_deref())?;
    let mut maps = HashMap::new();
    for m in &args.map {
        let (new, old) = m.split_once('=').ok_or_else(|| {
            Failure::new(
                ErrorCode::BadUsage,
                format!("--map '{m}': write NEW=OLD, e.g. from_account=付款账号"),
            )
        })?;
        maps.insert(new.trim().to_string(), old.trim().to_string());
    }
    let outcome = screening::screen_inputs(&Request {
        inputs: &args.inputs,
        pack: &pack,
        zone,
        maps: &maps,
        memory_budget: args.memory_budget.saturating_mul(1 << 20),
        progress: !g.json,
    })?;
    let screening = &outcome.screening;
    let count = outcome.count;
    let sources = &outcome.sources;
    let mut store = Store::open(&g.data_dir())?;
    screening::persist(
        &mut store,
        None,
        screening,
        &outcome.alerted,
        &outcome.inputs,
        sources,
    )?;
    if g.json {
        let alerts: Vec<Value> = screening
            .alerts
            .iter()
            .map(|a| {
                // Where each alerted transaction was read, when it came from a document.
                let srcs: serde_json::Map<String, Value> = a
                    .transactions
                    .iter()
                    .filter_map(|t| sources.get(t).map(|s| (t.clone(), s.clone())))
                    .collect();
                json!({"id": a.id, "rule": a.rule.as_str(), "subject": a.subject, "score": a.score,
                       "transactions": a.transactions, "sources": srcs, "accounts": a.accounts,
                       "explanation": a.explanation_en, "explanation_zh": a.explanation_zh, "params": a.params})
            })
            .collect();
        let cases: Vec<Value> = screening
            .cases
            .iter()
            .map(|c| json!({"id": c.id, "subject": c.subject, "alerts": c.alerts}))
            .collect();
        println!(
            "{}",
            json!({ "transactions": count, "alerts": alerts, "cases": cases })
        );
    } else {
        println!(
            "screened {count} transaction(s): {} alert(s) in {} case(s)",
            screening.alerts.len(),
            screening.cases.len()
        );
        for a in &screening.alerts {
            println!(
                "  [{}] {} score {:.2}: {}",
                a.rule, a.subject, a.score, a.explanation_en
            );
            println!("      {}", a.explanation_zh);
        }
    }
    Ok(if screening.alerts.is_empty() { 0 } else { 1 })
}
