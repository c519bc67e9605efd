//! `docket audit verify`: walks the ledger's hash chain and checks its signed checkpoints. Exit 0
//! when both hold, 1 naming the first entry that does not (DK-E0401).
//!
//! `docket audit export RUN|CASE --output DIR`: writes the self-contained bundle of
//! [`crate::ledger::export`], which an auditor verifies elsewhere with its `verify.sh`.

use crate::cli::Global;
use crate::commands::str_state::UserArg;
use crate::ledger;
use crate::ledger::export::{Subject, export};
use crate::store::Store;
use clap::Args;
use std::path::PathBuf;

/// Runs `docket audit verify`.
pub fn verify(g: &Global) -> anyhow::Result<i32> {
    let store = Store::open(&g.data_dir())?;
    let v = ledger::verify(&store)?;
    if g.json {
        println!("{}", serde_json::to_string(&v)?);
    } else if v.ok {
        let signed = match &v.key_fingerprint {
            Some(fp) => format!(
                "{} signed checkpoints through entry {} (key {fp})",
                v.signatures, v.signed_through
            ),
            None => "no signatures (store written before ledger signing)".into(),
        };
        println!(
            "ledger ok: {} entries, chain and head verified, {signed} ({})",
            v.entries,
            store.path().display()
        );
    } else {
        println!(
            "ledger FAILED after {} good entries: {}",
            v.entries,
            v.problem.clone().unwrap_or_default()
        );
        eprintln!("  error[DK-E0401]: run ledger does not verify");
        eprintln!("  help: run `docket explain DK-E0401`");
    }
    Ok(if v.ok { 0 } else { 1 })
}

/// Arguments of `docket audit export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// A run id (from `docket run --json` or the dashboard) or a case id (`C-…`).
    #[arg(value_name = "RUN_OR_CASE")]
    pub subject: String,
    /// The directory to write the bundle into (created; must be empty).
    #[arg(long, short, value_name = "DIR")]
    pub output: PathBuf,
    /// Who is exporting (recorded in the ledger).
    #[command(flatten)]
    pub user: UserArg,
}

/// Runs `docket audit export`.
pub fn export_cmd(g: &Global, args: &ExportArgs) -> anyhow::Result<i32> {
    let user = args.user.resolve()?;
    let mut store = Store::open(&g.data_dir())?;
    let subject = Subject::resolve(&store, &args.subject)?;
    let done = export(&store, &subject, &args.output)?;
    ledger::record(
        &mut store,
        None,
        "audit_exported",
        serde_json::json!({"subject": args.subject, "user": user,
            "range": [done.range.0, done.range.1], "output": done.dir.display().to_string()}),
    )?;
    if g.json {
        println!("{}", serde_json::to_string(&done)?);
    } else {
        println!(
            "exported ledger entries {}..={} ({} of {}), {} documents{} to {} (key {}); verify with: sh {}/verify.sh",
            done.range.0,
            done.range.1,
            done.subject_entries,
            args.subject,
            done.documents,
            if done.missing_documents > 0 {
                format!(
                    ", {} not found (documents-missing.txt)",
                    done.missing_documents
                )
            } else {
                String::new()
            },
            done.dir.display(),
            done.key_fingerprint,
            done.dir.display()
        );
    }
    Ok(0)
}
