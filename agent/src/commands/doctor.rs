//! `docket doctor`: checks what Docket needs from the machine — Tesseract and its language packs,
//! an X display (or Xvfb) for UI steps, the run store, configured endpoints — and says how to fix
//! each problem. It changes nothing except creating the data dir if missing.

use crate::cli::Global;
use crate::store::Store;
use serde::Serialize;
use std::path::Path;

/// Outcome of one check.
#[derive(Debug, Serialize)]
struct Finding {
    check: &'static str,
    /// `ok`, `warn` (works, degraded or optional), `fail` (a feature cannot work).
    status: &'static str,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<String>,
}

/// The linked Tesseract library's version, if it loads.
pub fn tesseract_version() -> Option<String> {
    Some(tesseract_plumbing::version().to_string_lossy().into_owned())
}

fn on_path(bin: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(bin).is_file()))
        .unwrap_or(false)
}

/// Runs `docket doctor`.
pub fn run(g: &Global) -> anyhow::Result<i32> {
    let mut f = Vec::new();

    match tesseract_version() {
        Some(v) => f.push(Finding {
            check: "tesseract",
            status: "ok",
            detail: format!("libtesseract {v}"),
            fix: None,
        }),
        None => f.push(Finding {
            check: "tesseract",
            status: "fail",
            detail: "libtesseract not loadable".into(),
            fix: Some("apt-get install libtesseract5".into()),
        }),
    }
    match docket_documents::ocr::available_languages() {
        Ok(langs) => {
            for (lang, pkg) in [
                ("eng", "tesseract-ocr-eng"),
                ("chi_sim", "tesseract-ocr-chi-sim"),
            ] {
                if langs.iter().any(|l| l == lang) {
                    f.push(Finding {
                        check: "ocr language",
                        status: "ok",
                        detail: lang.into(),
                        fix: None,
                    });
                } else {
                    f.push(Finding {
                        check: "ocr language",
                        status: "fail",
                        detail: format!("{lang} missing (found: {})", langs.join(", ")),
                        fix: Some(format!("apt-get install {pkg}")),
                    });
                }
            }
        }
        Err(e) => f.push(Finding {
            check: "ocr language",
            status: "fail",
            detail: e.to_string(),
            fix: Some("apt-get install tesseract-ocr-eng tesseract-ocr-chi-sim".into()),
        }),
    }
    let omp = std::env::var("OMP_THREAD_LIMIT").unwrap_or_default();
    f.push(if omp == "1" {
        Finding { check: "ocr threading", status: "ok", detail: "OMP_THREAD_LIMIT=1 (one engine per core)".into(), fix: None }
    } else {
        Finding {
            check: "ocr threading",
            status: "warn",
            detail: format!("OMP_THREAD_LIMIT={omp:?}: OpenMP threading makes OCR several times slower on few cores"),
            fix: Some("unset it and let docket set it, or set OMP_THREAD_LIMIT=1".into()),
        }
    });

    let display = std::env::var("DISPLAY").unwrap_or_default();
    let socket_ok = display
        .strip_prefix(':')
        .and_then(|n| n.split('.').next())
        .map(|n| Path::new(&format!("/tmp/.X11-unix/X{n}")).exists())
        .unwrap_or(false);
    f.push(if socket_ok {
        Finding {
            check: "display",
            status: "ok",
            detail: format!("X display {display}"),
            fix: None,
        }
    } else if on_path("Xvfb") {
        Finding {
            check: "display",
            status: "ok",
            detail: "no display; Xvfb available for headless UI steps".into(),
            fix: None,
        }
    } else {
        Finding {
            check: "display",
            status: "warn",
            detail:
                "no X display and no Xvfb: UI steps cannot run (documents and writes still work)"
                    .into(),
            fix: Some("apt-get install xvfb, or run inside a desktop session".into()),
        }
    });

    let data_dir = g.data_dir();
    match Store::open(&data_dir) {
        Ok(s) => f.push(Finding {
            check: "run store",
            status: "ok",
            detail: format!("{}", s.path().display()),
            fix: None,
        }),
        Err(e) => f.push(Finding {
            check: "run store",
            status: "fail",
            detail: format!("{e:#}"),
            fix: Some(format!(
                "make {} writable or pass --data-dir",
                data_dir.display()
            )),
        }),
    }

    let file_url = crate::config::load(&data_dir)
        .ok()
        .and_then(|c| c.llm)
        .and_then(|l| l.url);
    let url = crate::config::pick(None, "DOCKET_LLM_URL", file_url.as_ref());
    match crate::pipeline::llm_extractor(&data_dir, None, None, None, false) {
        Ok(llm) => {
            let summary = crate::pipeline::extractors_summary(llm.as_ref(), url.as_deref());
            // A configured endpoint must answer and serve the model, or extraction would fail
            // document by document later.
            let probe = llm
                .as_ref()
                .map(|l| l.probe(std::time::Duration::from_secs(5)));
            f.push(match probe {
                Some(Err(e)) => Finding {
                    check: "extractors",
                    status: "fail",
                    detail: format!("{summary}; but the endpoint check failed: {e}"),
                    fix: Some(
                        "start the model server (installer/llm.sh), or fix [llm] url/model in <data dir>/config.toml (or DOCKET_LLM_URL/DOCKET_LLM_MODEL); `docket explain DK-E0307`".into(),
                    ),
                },
                _ => Finding {
                    check: "extractors",
                    status: "ok",
                    detail: summary,
                    fix: None,
                },
            });
        }
        Err(e) => f.push(Finding {
            check: "extractors",
            status: "fail",
            detail: format!("layout reader only: the LLM is misconfigured: {}", e.message),
            fix: Some(if e.message.contains("--features gguf") {
                "rebuild docket with `cargo build --release -p docket --features gguf`, or set [llm] url (an endpoint) instead of gguf; `docket explain DK-E0208`".into()
            } else {
                "set [llm] url/model (or gguf, an in-process model) in the config file (<data dir>/config.toml), or DOCKET_LLM_URL (ending in /v1) and DOCKET_LLM_MODEL (or DOCKET_LLM_GGUF); `docket explain DK-E0208`".into()
            }),
        }),
    }

    let failed = f.iter().any(|x| x.status == "fail");
    if g.json {
        println!("{}", serde_json::json!({ "ok": !failed, "checks": f }));
    } else {
        for x in &f {
            let mark = match x.status {
                "ok" => "ok  ",
                "warn" => "warn",
                _ => "FAIL",
            };
            println!("[{mark}] {:<14} {}", x.check, x.detail);
            if let Some(fix) = &x.fix {
                println!("       fix: {fix}");
            }
        }
    }
    Ok(if failed { 1 } else { 0 })
}
