//! The layout zoo scored through Docket's real readers in-process (`docket_documents` +
//! `docket_extract`): no zoo document may be silently wrong, and the held-out half's digital and
//! sheet documents must reach [`HELD_OUT_F1_MIN`]. An opt-in test scores real-world statements
//! with answer keys when the shared fixtures are present. Reports go to stdout (`--nocapture`)
//! and `target/zoo-report.md`.

use anyhow::Result;
use docket_e2e::zoo::{self, score};
use std::path::PathBuf;

/// Minimum mean transaction F1 of the held-out digital + sheet documents. Set from what the
/// reader reached (0.986 over 31 documents; 0.818 before the reader inferred column roles from
/// content and settled money sides by the balances); raise it as the reader gets better, never
/// lower it to make a change pass.
const HELD_OUT_F1_MIN: f64 = 0.97;

/// Real documents the reader currently gets silently wrong: printed, not failed on, until the
/// reader flags or reads them. The list must only shrink (it is empty now); a document silently
/// wrong that is not on it fails the opt-in test.
const KNOWN_SILENT_WORLD: &[&str] = &[];

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn zoo_has_no_silently_wrong_document_and_held_out_scores() -> Result<()> {
    let started = std::time::Instant::now();
    // Scans take most of the time (Tesseract, ~1 s a page); DOCKET_ZOO_NO_SCANS=1 skips them
    // while iterating.
    let scans = std::env::var_os("DOCKET_ZOO_NO_SCANS").is_none();
    let docs = zoo::generate_all(None, scans)?;
    let scores: Vec<_> = docs.iter().map(score::score_doc).collect();
    let report = score::report(&scores);
    println!("{report}");
    println!(
        "({} documents in {:.1} s)",
        docs.len(),
        started.elapsed().as_secs_f64()
    );
    let target = workspace().join("target");
    if let Err(e) = std::fs::create_dir_all(&target)
        .and_then(|()| std::fs::write(target.join("zoo-report.md"), &report))
    {
        println!("NOTE: report not written to {}: {e}", target.display());
    }

    let held = score::summarise(&scores, |s| s.split == "held-out" && s.group != "scan");
    let silent: Vec<&str> = scores
        .iter()
        .filter(|s| s.silently_wrong())
        .map(|s| s.id.as_str())
        .collect();
    assert!(
        silent.is_empty(),
        "{} silently wrong zoo document(s): {silent:?}",
        silent.len()
    );
    assert!(
        held.mean_f1 >= HELD_OUT_F1_MIN,
        "held-out digital+sheet mean F1 {:.3} < {HELD_OUT_F1_MIN}",
        held.mean_f1
    );
    Ok(())
}

/// Real statements with answer keys, when the shared fixtures are checked out beside the
/// workspace: reports per-document F1 and the mean by kind; fails only on silently wrong ones.
#[test]
fn statements_world_opt_in() -> Result<()> {
    let root = workspace().join("../shared/fixtures/statements-world");
    if !root.is_dir() {
        println!("NOTE: {} not present; skipping", root.display());
        return Ok(());
    }
    let scores = zoo::world::score_dir(&root)?;
    println!("{}", zoo::world::report(&scores));
    let silent: Vec<&str> = scores
        .iter()
        .filter(|s| s.silently_wrong())
        .map(|s| s.file.as_str())
        .collect();
    let new: Vec<&&str> = silent
        .iter()
        .filter(|f| !KNOWN_SILENT_WORLD.contains(f))
        .collect();
    println!(
        "silently wrong: {} ({} known, {} new)",
        silent.len(),
        silent.len() - new.len(),
        new.len()
    );
    assert!(
        new.is_empty(),
        "{} real document(s) newly silently wrong: {new:?}",
        new.len()
    );
    Ok(())
}
