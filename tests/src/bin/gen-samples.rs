//! `gen-samples OUT_DIR [--truth TRUTH_DIR] [--large PAGES]`: writes Docket's demo statements
//! (and their ground truth), or one large English PDF for benchmarks.

use anyhow::{Context, Result, bail};
use docket_e2e::samples;
use std::path::PathBuf;

const USAGE: &str = "usage: gen-samples OUT_DIR [--truth TRUTH_DIR] [--large PAGES]";

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-samples: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn run() -> Result<()> {
    let mut out: Option<PathBuf> = None;
    let mut truth: Option<PathBuf> = None;
    let mut large: Option<usize> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--truth" => truth = Some(args.next().context(USAGE)?.into()),
            "--large" => {
                let n = args.next().context(USAGE)?;
                large = Some(
                    n.parse()
                        .with_context(|| format!("--large {n}: not a page count"))?,
                );
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ if a.starts_with('-') => bail!("unknown option {a}\n{USAGE}"),
            _ if out.is_none() => out = Some(a.into()),
            _ => bail!("unexpected argument {a}\n{USAGE}"),
        }
    }
    let out = out.context(USAGE)?;
    let set = match large {
        Some(pages) => vec![samples::large_pdf(pages)?],
        None => samples::demo_set()?,
    };
    for path in samples::write_samples(&set, &out, truth.as_deref())? {
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        println!("{} ({} KB)", path.display(), size.div_ceil(1024));
    }
    Ok(())
}
