//! The source files: listing the inbox, moving a delivered file to done/ and a bad one to
//! quarantine/ with its reason, atomic writes.

use crate::failure::Failure;
use crate::flow::{FlowSpec, matches};
use crate::ledger;
use crate::store::{Store, now};
use anyhow::{Context, Result};
use docket_core::ErrorCode;
use rusqlite::params;
use serde_json::json;
use std::path::{Path, PathBuf};

/// The documents in the flow's inbox that match its patterns, sorted by path.
pub fn list_inbox(flow: &FlowSpec) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let rd = std::fs::read_dir(&flow.inbox).map_err(|e| {
        Failure::new(
            ErrorCode::WorkflowInvalid,
            format!(
                "{}: cannot read the ingest folder {}: {e}",
                flow.file.display(),
                flow.inbox.display()
            ),
        )
    })?;
    for entry in rd {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.ends_with(".reason.txt") {
            continue;
        }
        if flow.patterns.iter().any(|p| matches(p, &name)) {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

/// Moves the file to done/ after its records are delivered (or held), then records it.
pub(super) fn finish_file(
    store: &mut Store,
    run_id: &str,
    flow: &FlowSpec,
    path: &Path,
    sha: &str,
    status: &str,
) -> Result<()> {
    super::fault("before_move");
    let dest = unique_dest(&flow.done, path);
    move_file(path, &dest)?;
    let tx = store.conn_mut().transaction()?;
    tx.execute(
        "UPDATE files SET status = ?3, updated_at = ?4 WHERE run_id = ?1 AND sha256 = ?2",
        params![run_id, sha, status, now()],
    )?;
    ledger::append(
        &tx,
        Some(run_id),
        "file_done",
        &json!({ "sha256": sha, "status": status, "moved_to": dest.display().to_string() }),
    )?;
    tx.commit()?;
    ledger::write_head(store)
}

/// Moves a bad file to quarantine/ with a `.reason.txt` and records why; closes the attempt to
/// read it (`attempt`, poison.rs) in the same transaction. `attempts` (a poisoned document's
/// attempts that never completed) goes into the ledger entry.
#[allow(clippy::too_many_arguments)]
pub(super) fn quarantine(
    store: &mut Store,
    run_id: &str,
    flow: &FlowSpec,
    path: &Path,
    sha: &str,
    f: &Failure,
    attempt: Option<i64>,
    attempts: Option<serde_json::Value>,
) -> Result<()> {
    let dest = unique_dest(&flow.quarantine, path);
    let reason = format!(
        "{code}: {title}\n\n{msg}\n\nWhat to do: {help}\n\nsha256: {sha}\nrun: {run_id}\n",
        code = f.code,
        title = f.code.title(),
        msg = f.message,
        help = f.code.help()
    );
    let mut reason_path = dest.clone().into_os_string();
    reason_path.push(".reason.txt");
    atomic_write(Path::new(&reason_path), reason.as_bytes())?;
    move_file(path, &dest)?;
    let tx = store.conn_mut().transaction()?;
    tx.execute(
        "UPDATE files SET status = 'quarantined', code = ?3, message = ?4, updated_at = ?5 WHERE run_id = ?1 AND sha256 = ?2",
        params![run_id, sha, f.code.code(), f.message, now()],
    )?;
    super::poison::finish(&tx, &flow.name, sha, attempt, "quarantined")?;
    let mut payload = json!({ "sha256": sha, "code": f.code.code(), "message": f.message, "moved_to": dest.display().to_string() });
    if let Some(a) = attempts {
        payload["attempts"] = a;
    }
    ledger::append(&tx, Some(run_id), "file_quarantined", &payload)?;
    tx.commit()?;
    ledger::write_head(store)?;
    eprintln!("quarantined: {f}");
    Ok(())
}

pub(super) fn unique_dest(dir: &Path, path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    let mut dest = dir.join(&name);
    let mut i = 1;
    while dest.exists() {
        let mut n = name.clone();
        n.push(format!(".{i}"));
        dest = dir.join(n);
        i += 1;
    }
    dest
}

pub(super) fn move_file(from: &Path, to: &Path) -> Result<()> {
    if std::fs::rename(from, to).is_err() {
        std::fs::copy(from, to)
            .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
        std::fs::remove_file(from).with_context(|| format!("cannot remove {}", from.display()))?;
    }
    Ok(())
}

/// Writes a file atomically (temp file in the same folder, then rename).
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_os_string();
    tmp.push(".tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
