//! `zoo-score`: generate the layout zoo, run Docket's real readers on every file in-process and
//! print the Markdown report (also written to `target/zoo-report.md`).
//!
//! ```text
//! cargo run -p docket-e2e --bin zoo-score -- [--no-scans] [--only SUBSTRING] [--dump DIR] [--list]
//! ```
//!
//! `--dump DIR` also writes each file and its `<file>.truth.json` into DIR for inspection;
//! `--list` prints the catalogue (id, split, format, features, column headers) and exits;
//! `--json` prints each document's extraction (or error) before the report.

use anyhow::{Context, Result};
use docket_e2e::zoo;
use std::path::PathBuf;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut scans, mut only, mut dump, mut list, mut json) = (true, None, None, false, false);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--no-scans" => scans = false,
            "--list" => list = true,
            "--json" => json = true,
            "--only" => only = args.next(),
            "--dump" => dump = args.next().map(PathBuf::from),
            other => anyhow::bail!("unknown argument {other}; see the doc comment of zoo-score"),
        }
    }
    if list {
        println!("| id | split | format | features | columns |\n|---|---|---|---|---|");
        for l in zoo::layouts() {
            let table = zoo::render::table(&l, &zoo::render::statement(&l));
            println!(
                "| {} | {} | {} | {} | {} |",
                l.id,
                l.split(),
                l.format.short(),
                l.features(),
                table.headers.join(" · ").replace('|', "/")
            );
        }
        return Ok(());
    }
    let docs = zoo::generate_all(only.as_deref(), scans)?;
    if let Some(dir) = &dump {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for d in &docs {
            std::fs::write(dir.join(&d.name), &d.bytes)?;
            std::fs::write(
                dir.join(format!("{}.truth.json", d.name)),
                d.truth.to_json()?,
            )?;
        }
    }
    if json {
        for d in &docs {
            match zoo::score::extract(&d.name, &d.bytes) {
                Ok(x) => println!("{}: {}", d.name, serde_json::to_string_pretty(&x)?),
                Err(e) => println!("{}: ERROR {e}", d.name),
            }
        }
    }
    let scores: Vec<_> = docs.iter().map(zoo::score::score_doc).collect();
    let report = zoo::score::report(&scores);
    println!("{report}");
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target");
    std::fs::create_dir_all(&target)?;
    let target = target.join("zoo-report.md");
    std::fs::write(&target, &report).with_context(|| format!("writing {}", target.display()))?;
    eprintln!("report written to {}", target.display());
    Ok(())
}
