//! `docket extract FILE… [--schema NAME|PATH] [--json] [--llm-url URL --llm-model NAME |
//! --llm-gguf FILE] [--no-redact]`: one JSON document per input file, in the shape DESIGN.md
//! fixes. With an LLM (an endpoint: flags or DOCKET_LLM_URL / DOCKET_LLM_MODEL; or a GGUF model
//! run in-process: --llm-gguf or DOCKET_LLM_GGUF, in a build with the `gguf` feature),
//! transfer_slip, invoice, kyc_form and custom JSON Schemas are filled by the model, grounded in
//! the document and redacted. A file that cannot be read yields an error object (JSON) or an
//! error line (text) and the rest of the files go on.

use crate::cli::Global;
use crate::pipeline;
use crate::progress;
use clap::Args;
use docket_core::{CheckStatus, Extraction};
use docket_documents::DigitiseOptions;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `docket extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Files to extract (PDF, PNG, JPEG, TIFF, XLSX, XLS, XLSB, ODS, CSV, TSV, OFX, MT940,
    /// camt.053).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Built-in schema name (bank_statement, transfer_slip, invoice, kyc_form) or path to a JSON
    /// Schema file.
    #[arg(long, default_value = "bank_statement")]
    pub schema: String,
    /// OpenAI-compatible endpoint ending in /v1 (default: DOCKET_LLM_URL).
    #[arg(long, value_name = "URL")]
    pub llm_url: Option<String>,
    /// Model name sent to the endpoint (default: DOCKET_LLM_MODEL).
    #[arg(long, value_name = "NAME")]
    pub llm_model: Option<String>,
    /// A GGUF model file to run in-process instead of an endpoint (default: DOCKET_LLM_GGUF;
    /// needs a docket built with `--features gguf`).
    #[arg(long, value_name = "FILE", conflicts_with = "llm_url")]
    pub llm_gguf: Option<PathBuf>,
    /// Send document text to the model unredacted (refused unless the endpoint is on loopback).
    #[arg(long)]
    pub no_redact: bool,
    /// OCR languages for scans (Tesseract names joined by '+').
    #[arg(long, default_value = "eng+chi_sim")]
    pub languages: String,
    /// Name of an environment variable holding the password of encrypted documents (the password
    /// itself is never taken on the command line, where it would land in shell history).
    #[arg(
        long,
        value_name = "ENV_VAR",
        default_value = "DOCKET_DOCUMENT_PASSWORD"
    )]
    pub password_env: String,
    /// Pixel budget of one image, in millions of pixels: a larger image (or scan inside a PDF) is
    /// refused with DK-E0115 before it is decoded.
    #[arg(long, value_name = "MPX", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_image_mpx: u32,
}

/// Runs `docket extract`.
pub fn run(g: &Global, args: &ExtractArgs) -> anyhow::Result<i32> {
    let schema = pipeline::resolve_schema(&args.schema)?;
    let llm = pipeline::llm_extractor(
        &g.data_dir(),
        args.llm_url.as_deref(),
        args.llm_gguf.as_deref(),
        args.llm_model.as_deref(),
        args.no_redact,
    )?;
    let opts = DigitiseOptions {
        password: std::env::var(&args.password_env)
            .ok()
            .filter(|p| !p.is_empty()),
        languages: args.languages.clone(),
        max_image_pixels: u64::from(args.max_image_mpx) * 1_000_000,
        ..DigitiseOptions::default()
    };
    let pb = progress::bar(args.files.len() as u64, !g.json && !g.quiet);
    let mut exit = 0;
    let stdout = std::io::stdout();
    for path in &args.files {
        pb.set_message(path.display().to_string());
        let started = std::time::Instant::now();
        let outcome = pipeline::process_with(path, &schema, &opts, llm.as_ref());
        // Time per document: a model that needs minutes for one page shows at once.
        let elapsed_ms = started.elapsed().as_millis() as u64;
        if !g.json && !g.quiet {
            pb.suspend(|| eprintln!("{}: {:.1} s", path.display(), elapsed_ms as f64 / 1000.0));
        }
        let mut out = stdout.lock();
        match outcome {
            Ok(ex) => {
                if ex.needs_review || ex.has_failed_checks() {
                    exit = exit.max(1);
                }
                if g.json {
                    let mut v = serde_json::to_value(&ex)?;
                    if let Some(o) = v.as_object_mut() {
                        o.insert("elapsed_ms".into(), elapsed_ms.into());
                    }
                    writeln!(out, "{v}")?;
                } else {
                    pb.suspend(|| print_human(&mut out, &ex))?;
                }
            }
            Err(f) => {
                // The code's class decides: bad input 2, an outside system (the LLM endpoint) 3.
                exit = exit.max(f.code.class().exit_code());
                if g.json {
                    let v = serde_json::json!({
                        "source": { "path": path.display().to_string() },
                        "error": { "code": f.code.code(), "message": f.message, "help": f.code.title() },
                        "elapsed_ms": elapsed_ms,
                    });
                    writeln!(out, "{v}")?;
                }
                pb.suspend(|| eprintln!("error: {f}\n  help: run `docket explain {}`", f.code));
            }
        }
        pb.inc(1);
    }
    pb.finish_and_clear();
    if let Some(l) = &llm {
        let (u, st) = (l.usage(), l.stats());
        tracing::info!(
            requests = u.requests,
            calls = u.calls,
            prompt_tokens = u.prompt_tokens,
            completion_tokens = u.completion_tokens,
            retries = u.retries,
            cache_hits = st.cache_hits,
            template_hits = st.template_hits,
            templates_learned = st.templates_learned,
            ungrounded = st.ungrounded,
            disagreements = st.disagreements,
            "LLM usage"
        );
        if !g.json && !g.quiet {
            eprintln!(
                "llm {}: {} call(s), {} prompt + {} completion tokens, {} cache hit(s), {} template hit(s), {} value(s) rejected as ungrounded{}",
                l.model(),
                u.calls,
                u.prompt_tokens,
                u.completion_tokens,
                st.cache_hits,
                st.template_hits,
                st.ungrounded,
                if l.samples() > 1 {
                    format!(
                        ", {} value(s) where the two samples disagreed",
                        st.disagreements
                    )
                } else {
                    String::new()
                }
            );
        }
    }
    Ok(exit)
}

fn print_human(out: &mut impl Write, ex: &Extraction) -> std::io::Result<()> {
    writeln!(
        out,
        "{} ({} page{}, sha256 {}…)",
        ex.source.path,
        ex.source.pages,
        if ex.source.pages == 1 { "" } else { "s" },
        ex.source.sha256.get(..12).unwrap_or("")
    )?;
    if let Some(fields) = ex.fields.as_object() {
        for (k, v) in fields {
            if !v.is_null() {
                writeln!(
                    out,
                    "  {k:<16} {}",
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string())
                )?;
            }
        }
    }
    writeln!(out, "  {} record(s)", ex.records.len())?;
    for r in ex.records.iter().take(200) {
        let s = |k: &str| r.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
        writeln!(
            out,
            "    {} {:>14} {:>14}  {}{}",
            s("date"),
            s("amount"),
            s("balance"),
            s("description"),
            r.get("counterparty")
                .and_then(|v| v.as_str())
                .map(|c| format!(" — {c}"))
                .unwrap_or_default()
        )?;
    }
    for c in &ex.checks {
        let mark = match c.status {
            CheckStatus::Pass => "ok  ",
            CheckStatus::Fail => "FAIL",
            CheckStatus::Skipped => "skip",
        };
        writeln!(out, "  [{mark}] {}: {}", c.name, c.message)?;
    }
    if ex.needs_review {
        writeln!(out, "  => needs review")?;
    }
    Ok(())
}
