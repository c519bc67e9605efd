//! `docket audit export RUN|CASE`: a self-contained bundle an auditor checks on another machine
//! with standard tools only (`sh`, `sha256sum`, `wc`, `openssl`), through the `verify.sh` it
//! contains:
//!
//! - `chain/<seq>/{ts,run_id,kind,payload,hash}` and `chain/START` (`first-seq prev-hash`): the
//!   contiguous ledger range from the subject's first entry to the first signed checkpoint after
//!   its last one, as the exact bytes that were hashed, so the chain can be recomputed;
//! - `checkpoint.txt` / `checkpoint.sig`: the signed checkpoint that closes the range;
//! - `ledger.jsonl`: the same range for people (`"subject": true` on the subject's entries);
//! - `documents/` with `documents.sha256` (each hash also appears in the chain), `reports/`;
//! - `public.pem`, `MANIFEST.sha256` over every file and `MANIFEST.sig` signed by the ledger key.

use super::sign::{self, LedgerKey};
use crate::store::Store;
use anyhow::{Context, Result, bail};
use docket_core::hash::sha256_hex;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What to export.
#[derive(Debug, Clone)]
pub enum Subject {
    /// A run id (`files`, run entries, the run's report).
    Run(String),
    /// A case id (its alerts, its STR reports and their ledger entries).
    Case(String),
}

impl Subject {
    /// A case when `id` names a case in the store, else a run.
    pub fn resolve(store: &Store, id: &str) -> Result<Self> {
        let case: Option<String> = store
            .conn()
            .query_row("SELECT id FROM cases WHERE id = ?1", params![id], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(if case.is_some() {
            Self::Case(id.to_string())
        } else {
            Self::Run(id.to_string())
        })
    }
}

/// What was written.
#[derive(Debug, Clone, Serialize)]
pub struct Exported {
    /// The bundle directory.
    pub dir: PathBuf,
    /// First and last ledger entry in the bundle.
    pub range: (i64, i64),
    /// Entries that belong to the subject.
    pub subject_entries: usize,
    /// Documents copied (verified against their recorded hash).
    pub documents: usize,
    /// Documents recorded but not found on disk (listed in `documents-missing.txt`).
    pub missing_documents: usize,
    /// Public key fingerprint.
    pub key_fingerprint: String,
}

const VERIFY_SH: &str = include_str!("verify.sh");

struct Row {
    seq: i64,
    ts: String,
    run_id: Option<String>,
    kind: String,
    payload: String,
    prev_hash: String,
    hash: String,
}

/// Writes the bundle for `subject` into `out` (created; must be empty or absent).
pub fn export(store: &Store, subject: &Subject, out: &Path) -> Result<Exported> {
    let v = super::verify(store)?;
    if !v.ok {
        bail!(
            "the ledger does not verify ({}); refusing to export a bundle from it",
            v.problem.unwrap_or_default()
        );
    }
    if out.exists() && std::fs::read_dir(out)?.next().is_some() {
        bail!(
            "{} is not empty: export into a new directory",
            out.display()
        );
    }
    let data_dir = store
        .path()
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf();
    // Sign the head now so the subject's last entry is covered by a checkpoint.
    sign::sign_head(store)?;
    let key = LedgerKey::load_or_create(&data_dir)?;

    let (filter, arg): (&str, String) = match subject {
        Subject::Run(id) => ("run_id = ?1", id.clone()),
        Subject::Case(id) => ("instr(payload, ?1) > 0", format!("\"{id}\"")),
    };
    let (lo, hi): (Option<i64>, Option<i64>) = store.conn().query_row(
        &format!("SELECT MIN(seq), MAX(seq) FROM ledger WHERE {filter}"),
        params![arg],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let (Some(lo), Some(last)) = (lo, hi) else {
        bail!(
            "no ledger entry belongs to {subject:?}: check the id with `docket report list` or the runs page"
        );
    };
    let (hi, cp_hash, cp_prev, cp_sig): (i64, String, i64, String) = store.conn().query_row(
        "SELECT seq, hash, prev_seq, signature FROM ledger_signatures WHERE seq >= ?1 ORDER BY seq LIMIT 1",
        params![last],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    ).context("no signed checkpoint covers the subject's last entry")?;

    std::fs::create_dir_all(out.join("chain"))?;
    let mut jsonl = String::new();
    let mut subject_entries = 0usize;
    let mut stmt = store.conn().prepare(
        "SELECT seq, ts, run_id, kind, payload, prev_hash, hash FROM ledger WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![lo, hi], |r| {
        Ok(Row {
            seq: r.get(0)?,
            ts: r.get(1)?,
            run_id: r.get(2)?,
            kind: r.get(3)?,
            payload: r.get(4)?,
            prev_hash: r.get(5)?,
            hash: r.get(6)?,
        })
    })?;
    for row in rows {
        let row = row?;
        if row.seq == lo {
            std::fs::write(
                out.join("chain/START"),
                format!("{} {}\n", row.seq, row.prev_hash),
            )?;
        }
        let d = out.join("chain").join(row.seq.to_string());
        std::fs::create_dir_all(&d)?;
        std::fs::write(d.join("ts"), &row.ts)?;
        std::fs::write(d.join("run_id"), row.run_id.as_deref().unwrap_or(""))?;
        std::fs::write(d.join("kind"), &row.kind)?;
        std::fs::write(d.join("payload"), &row.payload)?;
        std::fs::write(d.join("hash"), &row.hash)?;
        let mine = match subject {
            Subject::Run(id) => row.run_id.as_deref() == Some(id.as_str()),
            Subject::Case(_) => row.payload.contains(&arg),
        };
        subject_entries += usize::from(mine);
        let payload: serde_json::Value =
            serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::Null);
        jsonl.push_str(&serde_json::to_string(&serde_json::json!({
            "seq": row.seq, "ts": row.ts, "run_id": row.run_id, "kind": row.kind,
            "payload": payload, "prev_hash": row.prev_hash, "hash": row.hash, "subject": mine,
        }))?);
        jsonl.push('\n');
    }
    drop(stmt);
    std::fs::write(out.join("ledger.jsonl"), &jsonl)?;
    std::fs::write(
        out.join("checkpoint.txt"),
        sign::message(hi, &cp_hash, cp_prev),
    )?;
    std::fs::write(
        out.join("checkpoint.sig"),
        hex::decode(&cp_sig).context("stored signature is not hex")?,
    )?;
    let pem = sign::public_pem(&key.verifying());
    std::fs::write(out.join("public.pem"), &pem)?;

    let (documents, missing) = match subject {
        Subject::Run(id) => copy_run_documents(store, id, out)?,
        Subject::Case(id) => (0, copy_case_reports(store, id, out)?),
    };
    if let Subject::Run(id) = subject {
        std::fs::create_dir_all(out.join("reports"))?;
        let html = crate::report::render_run(store, id)?;
        std::fs::write(out.join("reports/run.html"), html)?;
    }
    let fp = sign::fingerprint(&key.verifying());
    std::fs::write(
        out.join("README.txt"),
        format!(
            "Docket audit bundle for {subject:?}\n\nLedger entries {lo}..={hi} (the subject's entries are marked \"subject\": true in ledger.jsonl).\nLedger key fingerprint: {fp}\nCompare this fingerprint with the one the bank publishes for its Docket agent,\nthen run:  sh verify.sh\n"
        ),
    )?;
    write_script(out)?;
    write_manifest(out, &key)?;
    Ok(Exported {
        dir: out.to_path_buf(),
        range: (lo, hi),
        subject_entries,
        documents,
        missing_documents: missing,
        key_fingerprint: fp,
    })
}

fn write_script(out: &Path) -> Result<()> {
    let path = out.join("verify.sh");
    std::fs::write(&path, VERIFY_SH)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(())
}

/// A file name safe on any file system and in a shell script.
fn safe_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Where a run's document is now: its inbox path, else where the ledger says it was moved.
pub fn locate_document(store: &Store, run_id: &str, sha: &str, path: &str) -> Option<PathBuf> {
    let mut candidates = vec![PathBuf::from(path)];
    if let Ok(mut stmt) = store.conn().prepare(
        "SELECT payload FROM ledger WHERE run_id = ?1 AND kind IN ('file_done','file_quarantined') AND instr(payload, ?2) > 0",
    ) && let Ok(rows) = stmt.query_map(params![run_id, sha], |r| r.get::<_, String>(0))
    {
        for p in rows.flatten() {
            if let Some(m) = serde_json::from_str::<serde_json::Value>(&p)
                .ok()
                .and_then(|v| v["moved_to"].as_str().map(PathBuf::from))
            {
                candidates.push(m);
            }
        }
    }
    candidates.into_iter().rev().find(|p| {
        std::fs::read(p)
            .map(|b| sha256_hex(&b) == sha)
            .unwrap_or(false)
    })
}

fn copy_run_documents(store: &Store, run_id: &str, out: &Path) -> Result<(usize, usize)> {
    let files: Vec<(String, String)> = {
        let mut stmt = store
            .conn()
            .prepare("SELECT path, sha256 FROM files WHERE run_id = ?1 ORDER BY path")?;
        stmt.query_map(params![run_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    std::fs::create_dir_all(out.join("documents"))?;
    let mut sums = String::new();
    let mut missing = String::new();
    let mut copied = 0;
    for (path, sha) in &files {
        match locate_document(store, run_id, sha, path) {
            Some(found) => {
                let base = Path::new(path)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let name = format!("{}-{}", &sha[..12], safe_name(&base));
                std::fs::copy(&found, out.join("documents").join(&name))?;
                sums.push_str(&format!("{sha}  documents/{name}\n"));
                copied += 1;
            }
            None => missing.push_str(&format!("{sha}  {path}\n")),
        }
    }
    std::fs::write(out.join("documents.sha256"), sums)?;
    let n_missing = missing.lines().count();
    if n_missing > 0 {
        std::fs::write(out.join("documents-missing.txt"), missing)?;
    }
    Ok((copied, n_missing))
}

fn copy_case_reports(store: &Store, case_id: &str, out: &Path) -> Result<usize> {
    std::fs::create_dir_all(out.join("reports"))?;
    std::fs::create_dir_all(out.join("documents"))?;
    let case: Option<(String, String, String)> = store
        .conn()
        .query_row(
            "SELECT subject, alerts, status FROM cases WHERE id = ?1",
            params![case_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let mut alerts = Vec::new();
    if let Some((subject, ids, status)) = &case {
        let ids: Vec<String> = serde_json::from_str(ids).unwrap_or_default();
        for id in &ids {
            let body: Option<String> = store
                .conn()
                .query_row("SELECT body FROM alerts WHERE id = ?1", params![id], |r| {
                    r.get(0)
                })
                .optional()?;
            alerts.push(serde_json::json!({"id": id, "body": body.and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok())}));
        }
        std::fs::write(
            out.join("reports/case.json"),
            serde_json::to_string_pretty(&serde_json::json!({
                "case": case_id, "subject": subject, "status": status, "alerts": alerts,
            }))?,
        )?;
    }
    let mut sums = String::new();
    let mut missing = 0;
    let reports: Vec<(i64, String, String)> = {
        let mut stmt = store
            .conn()
            .prepare("SELECT id, file, sha256 FROM str_reports WHERE case_id = ?1 ORDER BY id")?;
        stmt.query_map(params![case_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    for (id, file, sha) in reports {
        let ok = std::fs::read(&file)
            .map(|b| sha256_hex(&b) == sha)
            .unwrap_or(false);
        if ok {
            let base = Path::new(&file)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let name = format!("R-{id}-{}", safe_name(&base));
            std::fs::copy(&file, out.join("documents").join(&name))?;
            sums.push_str(&format!("{sha}  documents/{name}\n"));
        } else {
            missing += 1;
        }
    }
    std::fs::write(out.join("documents.sha256"), sums)?;
    Ok(missing)
}

fn write_manifest(out: &Path, key: &LedgerKey) -> Result<()> {
    let mut files = Vec::new();
    collect(out, out, &mut files)?;
    files.sort();
    let mut manifest = String::new();
    for rel in files {
        if rel == "MANIFEST.sha256" || rel == "MANIFEST.sig" {
            continue;
        }
        let bytes = std::fs::read(out.join(&rel))?;
        manifest.push_str(&format!("{}  {rel}\n", sha256_hex(&bytes)));
    }
    std::fs::write(out.join("MANIFEST.sha256"), &manifest)?;
    let sig = hex::decode(key.sign_hex(manifest.as_bytes()))?;
    std::fs::write(out.join("MANIFEST.sig"), sig)?;
    Ok(())
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let p = e.path();
        if e.file_type()?.is_dir() {
            collect(root, &p, out)?;
        } else if let Ok(rel) = p.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}
