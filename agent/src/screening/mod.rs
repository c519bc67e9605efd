//! The screening service behind `docket screen` and a flow's `screen` step: maps extraction JSON
//! and transfer tables onto `docket_rules::Txn`, screens them in time order, and persists alerts,
//! cases and the alerted transactions in the run store with a `screening` ledger entry.
//!
//! Transfer tables in UTF-8 CSV/TSV are streamed ([`table`]): no file-size cap, memory follows the
//! rules' windows, not the file. Other inputs (extraction JSON, xlsx, other encodings) are read
//! whole and sorted here.

pub mod table;

use crate::failure::Failure;
use crate::ledger;
use crate::store::{Store, now};
use anyhow::Result;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use docket_core::ErrorCode;
use docket_documents::{DigitiseOptions, digitise};
use docket_rules::{Channel, RulePack, Screening, Txn};
use rusqlite::params;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub(crate) const REQUIRED: [&str; 4] = ["from_account", "to_account", "amount", "timestamp"];

pub(crate) fn bad(path: &Path, msg: impl std::fmt::Display) -> Failure {
    Failure::new(
        ErrorCode::ScreeningInputInvalid,
        format!("{}: {msg}", path.display()),
    )
}

/// Parses a timestamp: RFC 3339, `YYYY-MM-DD HH:MM[:SS]`, `YYYY/MM/DD …`, or a bare date
/// (midnight in `zone`).
pub(crate) fn timestamp(s: &str, zone: Tz) -> Option<DateTime<FixedOffset>> {
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

pub(crate) fn channel_of(s: &str) -> Option<Channel> {
    match s.trim().to_ascii_lowercase().as_str() {
        "cash" | "现金" => Some(Channel::Cash),
        "transfer" | "转账" | "" => Some(Channel::Transfer),
        "card" | "刷卡" => Some(Channel::Card),
        "cross_border" | "crossborder" | "cross-border" | "跨境" => Some(Channel::CrossBorder),
        _ => None,
    }
}

/// Optional columns of a transfer table.
const OPTIONAL: [&str; 7] = [
    "txn_id",
    "currency",
    "channel",
    "from_name",
    "to_name",
    "from_country",
    "to_country",
];

/// Where a transfer table's columns are, by their canonical name.
#[derive(Debug, Clone)]
pub(crate) struct Columns(HashMap<&'static str, usize>);

impl Columns {
    /// The header's columns when `names` (one row's cells, trimmed) hold every required column,
    /// each renamed by `maps` (`--map NEW=OLD`).
    pub(crate) fn find(names: &[String], maps: &HashMap<String, String>) -> Option<Columns> {
        let col = |want: &str| {
            let source = maps.get(want).map(String::as_str).unwrap_or(want);
            names.iter().position(|n| n.eq_ignore_ascii_case(source))
        };
        REQUIRED.iter().all(|w| col(w).is_some()).then(|| {
            let mut m = HashMap::new();
            for w in REQUIRED.iter().chain(OPTIONAL.iter()) {
                if let Some(c) = col(w) {
                    m.insert(*w, c);
                }
            }
            Columns(m)
        })
    }

    /// Whether the table names its transactions (else ids are `<file hash>:<row>`).
    pub(crate) fn has_ids(&self) -> bool {
        self.0.contains_key("txn_id")
    }

    pub(crate) fn get(&self, name: &str) -> Option<usize> {
        self.0.get(name).copied()
    }
}

/// Whether `side` of a cash row stands for the cash itself rather than an account: empty, or
/// the pseudo-accounts banks write there (`CASH`, `现金`).
fn cash_side(side: &str) -> bool {
    side.is_empty() || side.eq_ignore_ascii_case("cash") || side == "现金"
}

/// One (non-blank) row of a transfer table as a transaction. `cell(i)` is the
/// trimmed text of column `i` (empty when absent); `line` the 1-based row number; `doc12` the
/// first 12 hex digits of the file's SHA-256, naming rows without a `txn_id`.
///
/// A transfer is booked on the payer (negative amount). A cash row (`channel` cash) with the
/// payer's side empty or `CASH` is a deposit booked on the receiving customer (positive amount,
/// no counterparty account); with the payee's side empty or `CASH`, a withdrawal by the payer.
pub(crate) fn row_txn(
    cols: &Columns,
    cell: &dyn Fn(usize) -> String,
    line: usize,
    doc12: &str,
    path: &Path,
    zone: Tz,
) -> Result<Txn, Failure> {
    let get = |k: &str| cols.get(k).map(cell).unwrap_or_default();
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
    let channel = channel_of(&get("channel")).ok_or_else(|| {
        bad(
            path,
            format!(
                "row {line}, column channel: '{}' is not cash, transfer, card or cross_border",
                get("channel")
            ),
        )
    })?;
    let from = get("from_account");
    let to = get("to_account");
    let id = match get("txn_id") {
        s if s.is_empty() => format!("{doc12}:{line}"),
        s => s,
    };
    let opt = |s: String| (!s.is_empty()).then_some(s);
    let currency = opt(get("currency"))
        .unwrap_or_else(|| "CNY".into())
        .to_uppercase();
    let cash = channel == Channel::Cash;
    if cash && cash_side(&from) && !cash_side(&to) {
        // A cash deposit: the customer is the receiving account.
        return Ok(Txn {
            id,
            account: to,
            counterparty_account: None,
            counterparty_name: opt(get("from_name")),
            timestamp: ts,
            amount: amount.abs(),
            currency,
            channel,
            country: opt(get("to_country")),
            counterparty_country: opt(get("from_country")),
            customer_kind: None,
        });
    }
    if from.is_empty() {
        return Err(bad(
            path,
            format!(
                "row {line}: from_account is empty (a cash deposit needs channel cash and to_account)"
            ),
        ));
    }
    let counterparty = if cash && cash_side(&to) {
        None
    } else {
        opt(to)
    };
    Ok(Txn {
        id,
        account: from,
        counterparty_account: counterparty,
        counterparty_name: opt(get("to_name")),
        timestamp: ts,
        amount: -amount.abs(),
        currency,
        channel,
        country: opt(get("from_country")),
        counterparty_country: opt(get("to_country")),
        customer_kind: None,
    })
}

/// Reads a transfer table whole through the digitiser (xlsx, non-UTF-8 text), one transaction
/// per row.
fn transfer_table(path: &Path, maps: &HashMap<String, String>, zone: Tz) -> Result<Vec<Txn>> {
    let doc =
        digitise(path, &DigitiseOptions::default()).map_err(|e| Failure::new(e.code, e.message))?;
    let doc12 = doc.source.sha256.get(..12).unwrap_or("");
    for sheet in &doc.sheets {
        let Some((hrow, cols)) = sheet.rows.iter().enumerate().take(20).find_map(|(i, r)| {
            let names: Vec<String> = r.iter().map(|c| c.as_text().trim().to_string()).collect();
            Columns::find(&names, maps).map(|c| (i, c))
        }) else {
            continue;
        };
        let mut out = Vec::new();
        for (i, row) in sheet.rows.iter().enumerate().skip(hrow + 1) {
            if row.iter().all(|c| c.is_blank()) {
                continue;
            }
            let cell = |c: usize| {
                row.get(c)
                    .map(|v| v.as_text().trim().to_string())
                    .unwrap_or_default()
            };
            out.push(row_txn(&cols, &cell, i + 1, doc12, path, zone)?);
        }
        return Ok(out);
    }
    Err(no_header(path).into())
}

pub(crate) fn no_header(path: &Path) -> Failure {
    bad(
        path,
        format!(
            "no sheet has a header with {} (use --map NEW=OLD to rename columns)",
            REQUIRED.join(",")
        ),
    )
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
        // One transaction, cached statements: the whole screening lands as one batch.
        tx.prepare_cached(
            "INSERT INTO screened_txns (id, body) VALUES (?1, ?2)
             ON CONFLICT(id) DO UPDATE SET body = excluded.body",
        )?
        .execute(params![t.id, serde_json::to_string(t)?])?;
    }
    crate::sources::store(&tx, sources, referenced.iter().copied())?;
    for a in &screening.alerts {
        tx.prepare_cached(
            "INSERT INTO alerts (id, rule, subject, score, body, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
             ON CONFLICT(id) DO UPDATE SET score = excluded.score, body = excluded.body, last_seen = excluded.last_seen",
        )?
        .execute(params![a.id, a.rule.as_str(), a.subject, a.score, serde_json::to_string(a)?, ts])?;
    }
    for c in &screening.cases {
        let existing: Option<String> = tx
            .prepare_cached("SELECT alerts FROM cases WHERE id = ?1")?
            .query_row(params![c.id], |r| r.get(0))
            .ok();
        let mut ids: Vec<String> = existing
            .and_then(|e| serde_json::from_str(&e).ok())
            .unwrap_or_default();
        for a in &c.alerts {
            if !ids.contains(a) {
                ids.push(a.clone());
            }
        }
        tx.prepare_cached(
            "INSERT INTO cases (id, subject, alerts, status, updated_at) VALUES (?1, ?2, ?3, 'open', ?4)
             ON CONFLICT(id) DO UPDATE SET alerts = excluded.alerts, updated_at = excluded.updated_at,
                 status = CASE WHEN cases.alerts <> excluded.alerts THEN 'open' ELSE cases.status END",
        )?
        .execute(params![c.id, c.subject, serde_json::to_string(&ids)?, ts])?;
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

/// What to screen and how.
pub struct Request<'a> {
    /// Extraction JSON or transfer tables.
    pub inputs: &'a [PathBuf],
    /// The rule pack.
    pub pack: &'a RulePack,
    /// Zone of timestamps without one.
    pub zone: Tz,
    /// Column renames (`NEW` → `OLD`).
    pub maps: &'a HashMap<String, String>,
    /// Memory a table that must be sorted in memory may take (bytes).
    pub memory_budget: u64,
    /// Show a progress bar on a terminal.
    pub progress: bool,
}

/// What a screening found, with what persisting it needs.
pub struct Outcome {
    /// Alerts and cases.
    pub screening: Screening,
    /// Transactions screened.
    pub count: usize,
    /// The transactions behind the alerts.
    pub alerted: Vec<Txn>,
    /// Each input's path and SHA-256.
    pub inputs: Vec<(String, String)>,
    /// Where transactions read from documents came from.
    pub sources: crate::sources::Sources,
}

fn hash_file(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read as _;
    let mut f = std::fs::File::open(path).map_err(|e| bad(path, format!("cannot read: {e}")))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| bad(path, format!("cannot read: {e}")))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

fn alerted_ids(screening: &Screening) -> HashSet<&str> {
    screening
        .alerts
        .iter()
        .flat_map(|a| a.transactions.iter().map(String::as_str))
        .collect()
}

/// Screens `req.inputs`. Transfer tables in UTF-8 CSV/TSV are streamed when every input is one
/// (a table out of time order is sorted in memory within `req.memory_budget`); otherwise every
/// input is read whole and sorted.
pub fn screen_inputs(req: &Request) -> Result<Outcome> {
    let mut tables = Vec::new();
    for path in req.inputs {
        match table::TableFile::probe(path)? {
            Some(t) => tables.push(t),
            None => break,
        }
    }
    if tables.len() == req.inputs.len() {
        return stream_tables(req, &tables);
    }
    let mut txns = Vec::new();
    let mut inputs = Vec::new();
    let mut sources = crate::sources::Sources::new();
    for path in req.inputs {
        inputs.push((path.display().to_string(), hash_file(path)?));
        let is_json = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("json" | "jsonl")
        );
        txns.extend(if is_json {
            extraction_json(path, req.zone, &mut sources)?
        } else {
            transfer_table(path, req.maps, req.zone)?
        });
    }
    screen_in_memory(txns, req.pack, inputs, sources)
}

/// Screens transactions held in memory and keeps the ones behind an alert.
fn screen_in_memory(
    mut txns: Vec<Txn>,
    pack: &RulePack,
    inputs: Vec<(String, String)>,
    sources: crate::sources::Sources,
) -> Result<Outcome> {
    let screening = screen_txns(&mut txns, pack)?;
    let ids = alerted_ids(&screening);
    let alerted = txns
        .iter()
        .filter(|t| ids.contains(t.id.as_str()))
        .cloned()
        .collect();
    Ok(Outcome {
        count: txns.len(),
        screening,
        alerted,
        inputs,
        sources,
    })
}

fn stream_tables(req: &Request, tables: &[table::TableFile]) -> Result<Outcome> {
    let total: u64 = tables.iter().map(|t| t.size).sum();
    let bar = crate::progress::bytes_bar(total, req.progress);
    let open = |t: &table::TableFile, doc12: &str, with_bar: bool| {
        let b = bar.clone();
        let wrap = move |r: Box<dyn std::io::Read>| -> Box<dyn std::io::Read> {
            if with_bar {
                Box::new(b.wrap_read(r))
            } else {
                r
            }
        };
        table::Rows::open(t, req.maps, req.zone, doc12, &wrap)
    };
    // Hashes are needed before reading only when rows are named by the file's hash; otherwise
    // the other core computes them while the rules run.
    let mut hashes: Vec<Option<String>> = Vec::with_capacity(tables.len());
    let mut doc12s = Vec::with_capacity(tables.len());
    for t in tables {
        if open(t, "", false)?.needs_hash() {
            let h = hash_file(&t.path)?;
            doc12s.push(h.get(..12).unwrap_or("").to_string());
            hashes.push(Some(h));
        } else {
            doc12s.push(String::new());
            hashes.push(None);
        }
    }
    let later: Vec<PathBuf> = tables
        .iter()
        .zip(&hashes)
        .filter(|(_, h)| h.is_none())
        .map(|(t, _)| t.path.clone())
        .collect();
    let hasher = std::thread::spawn(move || {
        later
            .iter()
            .map(|p| hash_file(p))
            .collect::<Result<Vec<String>>>()
    });
    let mut streams = Vec::with_capacity(tables.len());
    for (t, d) in tables.iter().zip(&doc12s) {
        streams.push(table::Sorted::new(open(t, d, true)?));
    }
    bar.set_message("screening");
    let mut count = 0usize;
    let result = {
        let merged = table::Merge::new(&mut streams).inspect(|_| count += 1);
        docket_rules::screen(merged, req.pack)
    };
    bar.finish_and_clear();
    if let Some(e) = streams.iter_mut().find_map(|s| s.error.take()) {
        return Err(e);
    }
    let later = hasher
        .join()
        .map_err(|_| anyhow::anyhow!("hashing the inputs failed"))??;
    let mut later = later.into_iter();
    let inputs: Vec<(String, String)> = tables
        .iter()
        .zip(hashes)
        .map(|(t, h)| {
            (
                t.path.display().to_string(),
                h.or_else(|| later.next()).unwrap_or_default(),
            )
        })
        .collect();
    if let Some((i, (row, id))) = streams
        .iter()
        .enumerate()
        .find_map(|(i, s)| s.unsorted.clone().map(|u| (i, u)))
    {
        let path = tables
            .get(i)
            .map(|t| t.path.as_path())
            .unwrap_or(Path::new(""));
        tracing::info!(file = %path.display(), row, id = %id, "not in time order; sorting in memory");
        return sort_in_memory(req, tables, &doc12s, inputs, (path, row, id));
    }
    let screening = result.map_err(|e| Failure::new(e.code(), e.to_string()))?;
    // Second pass: the alerted rows only (the store keeps what `docket report str` needs).
    let ids = alerted_ids(&screening);
    let mut alerted = Vec::new();
    if !ids.is_empty() {
        for (t, d) in tables.iter().zip(&doc12s) {
            alerted.extend(open(t, d, false)?.collect_ids(&ids)?);
        }
    }
    Ok(Outcome {
        screening,
        count,
        alerted,
        inputs,
        sources: crate::sources::Sources::new(),
    })
}

/// The whole-file path for tables out of time order: every row in memory, sorted, within the
/// memory budget.
fn sort_in_memory(
    req: &Request,
    tables: &[table::TableFile],
    doc12s: &[String],
    inputs: Vec<(String, String)>,
    (path, row, id): (&Path, usize, String),
) -> Result<Outcome> {
    let mut txns = Vec::new();
    let mut used = 0usize;
    let budget = usize::try_from(req.memory_budget).unwrap_or(usize::MAX);
    for (t, d) in tables.iter().zip(doc12s) {
        let mut rows = table::Rows::open(t, req.maps, req.zone, d, &|r| r)?;
        while let Some(txn) = rows.next_txn()? {
            used += table::txn_bytes(&txn);
            if used > budget {
                return Err(Failure::new(
                    ErrorCode::ScreeningInputInvalid,
                    format!(
                        "{}: row {row} ({id}) is earlier than the row before it, and sorting the input in memory needs more than the memory budget of {} MB; sort the file by timestamp (then it is screened as it is read, in bounded memory) or raise --memory-budget",
                        path.display(),
                        req.memory_budget / (1 << 20)
                    ),
                )
                .into());
            }
            txns.push(txn);
        }
    }
    screen_in_memory(txns, req.pack, inputs, crate::sources::Sources::new())
}
