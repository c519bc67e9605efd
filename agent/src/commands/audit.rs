//! `docket audit verify`: walks the ledger's hash chain. Exit 0 when it holds, 1 naming the first
//! entry that does not.

use crate::cli::Global;
use crate::ledger;
use crate::store::Store;

/// Runs `docket audit verify`.
pub fn verify(g: &Global) -> anyhow::Result<i32> {
    let store = Store::open(&g.data_dir())?;
    let v = ledger::verify(&store)?;
    if g.json {
        println!("{}", serde_json::to_string(&v)?);
    } else if v.ok {
        println!(
            "ledger ok: {} entries, chain and head verified ({})",
            v.entries,
            store.path().display()
        );
    } else {
        println!(
            "ledger FAILED after {} good entries: {}",
            v.entries,
            v.problem.clone().unwrap_or_default()
        );
        eprintln!("  help: run `docket explain DK-E0401`");
    }
    Ok(if v.ok { 0 } else { 1 })
}
