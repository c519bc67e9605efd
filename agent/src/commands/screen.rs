//! `docket screen [--json] INPUT…`: screens transactions for money-laundering and fraud patterns
//! with a rule pack (issue 4). Inputs are extraction JSON from `docket extract --json` (one document
//! per line) or transfer tables (CSV/TSV/xlsx) with at least `from_account,to_account,amount,timestamp`.
//! Alerts and cases are persisted in the run store (re-screening the same data updates, never
//! duplicates) and recorded in the ledger.

use crate::cli::Global;
use crate::failure::Failure;
use crate::ledger;
use crate::store::{Store, now};
use anyhow::Result;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use clap::Args;
use docket_core::ErrorCode;
use docket_core::hash::sha256_hex;
use docket_documents::{DigitiseOptions, digitise};
use docket_rules::{Channel, RulePack, Screening, Txn};
use rusqlite::params;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

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
}

const REQUIRED: [&str; 4] = ["from_account", "to_account", "amount", "timestamp"];

fn bad(path: &Path, msg: impl std::fmt::Display) -> Failure {
    Failure::new(
        ErrorCode::ScreeningInputInvalid,
        format!("{}: {msg}", path.display()),
    )
}

/// Parses a timestamp: RFC 3339, `YYYY-MM-DD HH:MM[:SS]`, `YYYY/MM/DD …`, or a bare date
/// (midnight in `zone`).
fn timestamp(s: &str, zone: Tz) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t);
    }
    let local = |n: NaiveDateTime| {
        zone.from_local_datetime(&n)
            .earliest()
            .map(|t| t.fixed_offset())
    };
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, f) {
            return local(n);
        }
    }
    for f in ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return local(d.and_hms_opt(0, 0, 0)?);
        }
    }
    None
}

fn channel_of(s: &str) -> Option<Channel> {
    match s.trim().to_ascii_lowercase().as_str() {
        "cash" | "现金" => Some(Channel::Cash),
        "transfer" | "转账" | "" => Some(Channel::Transfer),
        "card" | "刷卡" => Some(Channel::Card),
        "cross_border" | "crossborder" | "cross-border" | "跨境" => Some(Channel::CrossBorder),
        _ => None,
    }
}

/// Reads a transfer table into transactions (one per row, booked on the payer).
fn transfer_table(path: &Path, maps: &HashMap<String, String>, zone: Tz) -> Result<Vec<Txn>> {
    let doc =
        digitise(path, &DigitiseOptions::default()).map_err(|e| Failure::new(e.code, e.message))?;
    for sheet in &doc.sheets {
        let Some((hrow, header)) = sheet.rows.iter().enumerate().take(20).find_map(|(i, r)| {
            let names: Vec<String> = r.iter().map(|c| c.as_text().trim().to_string()).collect();
            let col = |want: &str| {
                let source = maps.get(want).map(String::as_str).unwrap_or(want);
                names.iter().position(|n| n.eq_ignore_ascii_case(source))
            };
            REQUIRED.iter().all(|w| col(w).is_some()).then(|| {
                let mut m = HashMap::new();
                for w in REQUIRED.iter().chain(
                    [
                        "txn_id",
                        "currency",
                        "channel",
                        "from_name",
                        "to_name",
                        "from_country",
                        "to_country",
                    ]
                    .iter(),
                ) {
                    if let Some(c) = col(w) {
                        m.insert(*w, c);
                    }
                }
                (i, m)
            })
        }) else {
            continue;
        };
        let mut out = Vec::new();
        for (i, row) in sheet.rows.iter().enumerate().skip(hrow + 1) {
            if row.iter().all(|c| c.is_blank()) {
                continue;
            }
            let line = i + 1;
            let get = |k: &str| {
                header
                    .get(k)
                    .and_then(|&c| row.get(c))
                    .map(|v| v.as_text().trim().to_string())
                    .unwrap_or_default()
            };
            let amount_text = get("amount").replace([',', ' '], "");
            let amount = Decimal::from_str(&amount_text).map_err(|_| {
                bad(
                    path,
                    format!(
                        "row {line}, column amount: '{}' is not a decimal amount",
                        get("amount")
                    ),
                )
            })?;
            let ts = timestamp(&get("timestamp"), zone).ok_or_else(|| {
                bad(path, format!("row {line}, column timestamp: '{}' is not a date or date-time (use YYYY-MM-DD[ HH:MM:SS] or RFC 3339)", get("timestamp")))
            })?;
            let channel = channel_of(&get("channel"))
                .ok_or_else(|| bad(path, format!("row {line}, column channel: '{}' is not cash, transfer, card or cross_border", get("channel"))))?;
            let from = get("from_account");
            let to = get("to_account");
            if from.is_empty() {
                return Err(bad(path, format!("row {line}: from_account is empty")).into());
            }
            let id = match get("txn_id") {
                s if s.is_empty() => {
                    format!("{}:{line}", doc.source.sha256.get(..12).unwrap_or(""))
                }
                s => s,
            };
            let opt = |s: String| (!s.is_empty()).then_some(s);
            let currency = opt(get("currency"))
                .unwrap_or_else(|| "CNY".into())
                .to_uppercase();
            out.push(Txn {
                id,
                account: from,
                counterparty_account: opt(to),
                counterparty_name: opt(get("to_name")),
                timestamp: ts,
                amount: -amount.abs(),
                currency,
                channel,
                country: opt(get("from_country")),
                counterparty_country: opt(get("to_country")),
                customer_kind: None,
            });
        }
        return Ok(out);
    }
    Err(bad(
        path,
        format!(
            "no sheet has a header with {} (use --map NEW=OLD to rename columns)",
            REQUIRED.join(",")
        ),
    )
    .into())
}

/// Reads `docket extract --json` output (one document per line) into transactions.
fn extraction_json(
    path: &Path,
    zone: Tz,
    sources: &mut crate::sources::Sources,
) -> Result<Vec<Txn>> {
    let text = std::fs::read_to_string(path).map_err(|e| bad(path, format!("cannot read: {e}")))?;
    let mut out = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let doc: Value = serde_json::from_str(line)
            .map_err(|e| bad(path, format!("line {}: not extraction JSON ({e})", n + 1)))?;
        let origin = format!("{}: line {}", path.display(), n + 1);
        out.extend(extraction_txns(&doc, zone, &origin)?);
        let shown = doc["source"]["path"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| path.display().to_string());
        sources.extend(crate::sources::of_extraction(&doc, &shown));
    }
    Ok(out)
}

/// Turns one extraction (the JSON of a `docket_core::Extraction`) into transactions booked on
/// the statement's account. `origin` names the document in error messages (a path, a line).
/// A document that carries an `error` yields no transactions.
pub fn extraction_txns(doc: &Value, zone: Tz, origin: &str) -> Result<Vec<Txn>, Failure> {
    let bad =
        |msg: String| Failure::new(ErrorCode::ScreeningInputInvalid, format!("{origin}: {msg}"));
    let mut out = Vec::new();
    if doc.get("error").is_some() {
        return Ok(out);
    }
    let sha = doc["source"]["sha256"]
        .as_str()
        .unwrap_or("")
        .get(..12)
        .unwrap_or("")
        .to_string();
    let account = doc["fields"]["account_number"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| format!("doc:{sha}"));
    let currency = doc["fields"]["currency"]
        .as_str()
        .unwrap_or("CNY")
        .to_string();
    for (i, r) in doc["records"].as_array().into_iter().flatten().enumerate() {
        let s = |k: &str| r[k].as_str().unwrap_or("").to_string();
        let when = match r["time"].as_str() {
            Some(t) => format!("{} {t}", s("date")),
            None => s("date"),
        };
        let ts = timestamp(&when, zone)
            .ok_or_else(|| bad(format!("records[{i}].date '{when}' is not a date")))?;
        let amount = Decimal::from_str(&s("amount")).map_err(|_| {
            bad(format!(
                "records[{i}].amount '{}' is not a decimal",
                s("amount")
            ))
        })?;
        let desc = s("description").to_lowercase();
        let channel = if ["现金", "atm", "cash", "取现", "存现"]
            .iter()
            .any(|k| desc.contains(k))
        {
            Channel::Cash
        } else {
            Channel::Transfer
        };
        out.push(Txn {
            id: format!("{sha}:{i}"),
            account: account.clone(),
            counterparty_account: r["counterparty_account"].as_str().map(str::to_string),
            counterparty_name: r["counterparty"].as_str().map(str::to_string),
            timestamp: ts,
            amount,
            currency: r["currency"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| currency.clone()),
            channel,
            country: None,
            counterparty_country: None,
            customer_kind: None,
        });
    }
    Ok(out)
}

/// Loads a rule pack (`None`: the built-in pack), printing each problem to stderr as
/// `FILE:LINE:COLUMN: path: message`. Fails with DK-E0702 when the pack has problems.
pub fn load_pack(pack: Option<&Path>) -> Result<RulePack> {
    let parsed = match pack {
        None => RulePack::default_pack(),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| bad(p, format!("cannot read rule pack: {e}")))?;
            RulePack::from_yaml(&text)
        }
    };
    parsed.map_err(|problems| {
        let file = pack
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "default pack".into());
        for p in &problems {
            eprintln!("{file}:{p}");
        }
        Failure::new(
            ErrorCode::RulePackInvalid,
            format!("{file}: {} problem(s) in the rule pack", problems.len()),
        )
        .into()
    })
}

/// Screens `txns` (sorted here by time) with `pack`.
pub fn screen_txns(txns: &mut [Txn], pack: &RulePack) -> Result<Screening> {
    txns.sort_by(|a, b| a.timestamp.cmp(&b.timestamp).then_with(|| a.id.cmp(&b.id)));
    Ok(docket_rules::screen(txns.iter().cloned(), pack)
        .map_err(|e| Failure::new(e.code(), e.to_string()))?)
}

/// Persists a screening's alerts, cases and alerted transactions (re-screening updates, never
/// duplicates) and ledgers a `screening` entry naming `inputs` (path, sha256) and, for a flow's
/// screen step, the run.
pub fn persist(
    store: &mut Store,
    run_id: Option<&str>,
    screening: &Screening,
    txns: &[Txn],
    inputs: &[(String, String)],
    sources: &crate::sources::Sources,
) -> Result<()> {
    let tx = store.conn_mut().transaction()?;
    let ts = now();
    // Only transactions behind an alert are kept: `docket report str` needs them, and storing
    // every screened row would grow the store with data nobody reports.
    let referenced: std::collections::HashSet<&str> = screening
        .alerts
        .iter()
        .flat_map(|a| a.transactions.iter().map(String::as_str))
        .collect();
    for t in txns.iter().filter(|t| referenced.contains(t.id.as_str())) {
        tx.execute(
            "INSERT INTO screened_txns (id, body) VALUES (?1, ?2)
             ON CONFLICT(id) DO UPDATE SET body = excluded.body",
            params![t.id, serde_json::to_string(t)?],
        )?;
    }
    crate::sources::store(&tx, sources, referenced.iter().copied())?;
    for a in &screening.alerts {
        tx.execute(
            "INSERT INTO alerts (id, rule, subject, score, body, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
             ON CONFLICT(id) DO UPDATE SET score = excluded.score, body = excluded.body, last_seen = excluded.last_seen",
            params![a.id, a.rule.as_str(), a.subject, a.score, serde_json::to_string(a)?, ts],
        )?;
    }
    for c in &screening.cases {
        let existing: Option<String> = tx
            .query_row(
                "SELECT alerts FROM cases WHERE id = ?1",
                params![c.id],
                |r| r.get(0),
            )
            .ok();
        let mut ids: Vec<String> = existing
            .and_then(|e| serde_json::from_str(&e).ok())
            .unwrap_or_default();
        for a in &c.alerts {
            if !ids.contains(a) {
                ids.push(a.clone());
            }
        }
        tx.execute(
            "INSERT INTO cases (id, subject, alerts, status, updated_at) VALUES (?1, ?2, ?3, 'open', ?4)
             ON CONFLICT(id) DO UPDATE SET alerts = excluded.alerts, updated_at = excluded.updated_at,
                 status = CASE WHEN cases.alerts <> excluded.alerts THEN 'open' ELSE cases.status END",
            params![c.id, c.subject, serde_json::to_string(&ids)?, ts],
        )?;
    }
    ledger::append(
        &tx,
        run_id,
        "screening",
        &json!({ "inputs": inputs.iter().map(|(p, h)| json!({"path": p, "sha256": h})).collect::<Vec<_>>(),
                 "alerts": screening.alerts.iter().map(|a| &a.id).collect::<Vec<_>>() }),
    )?;
    tx.commit()?;
    ledger::write_head(store)
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
    let pack = load_pack(args.pack.as_deref())?;
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
    let mut txns = Vec::new();
    let mut inputs = Vec::new();
    let mut sources = crate::sources::Sources::new();
    for path in &args.inputs {
        let bytes = std::fs::read(path).map_err(|e| bad(path, format!("cannot read: {e}")))?;
        inputs.push((path.display().to_string(), sha256_hex(&bytes)));
        let is_json = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("json" | "jsonl")
        );
        txns.extend(if is_json {
            extraction_json(path, zone, &mut sources)?
        } else {
            transfer_table(path, &maps, zone)?
        });
    }
    let count = txns.len();
    let screening = screen_txns(&mut txns, &pack)?;
    let mut store = Store::open(&g.data_dir())?;
    persist(&mut store, None, &screening, &txns, &inputs, &sources)?;
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
