//! `docket run FLOW.yaml [--check]`: validates a workflow and executes it once, resuming an
//! interrupted run of the same flow. Secrets named by the workflow are resolved here, never
//! printed.

use crate::cli::Global;
use crate::failure::Failure;
use crate::flow::{ApiKeyText, ColumnSource, FlowSpec, LlmSpec, ScreenSpec, WriteSpec};
use crate::runner;
use crate::store::Store;
use anyhow::Result;
use clap::Args;
use docket_connectors::SinkSpec;
use docket_core::ErrorCode;
use docket_workflow::plan::{Action, Plan, PostgresUrl, RestAuth, SchemaRef, Sink, Source};
use std::path::{Path, PathBuf};

/// Arguments of `docket run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The workflow file.
    #[arg(value_name = "FLOW.yaml")]
    pub flow: PathBuf,
    /// Validate the workflow and exit without running it.
    #[arg(long)]
    pub check: bool,
    /// Base URL (ending in `/v1`) of the OpenAI-compatible endpoint the extract step reads
    /// documents with; overrides the workflow's `llm: url` and `DOCKET_LLM_URL`.
    #[arg(long, value_name = "URL")]
    pub llm_url: Option<String>,
    /// Model name sent to the endpoint; overrides the workflow's `llm: model` and
    /// `DOCKET_LLM_MODEL`.
    #[arg(long, value_name = "NAME")]
    pub llm_model: Option<String>,
    /// A GGUF model file the extract step runs in-process instead of an endpoint; overrides the
    /// workflow's `llm: url` and `DOCKET_LLM_GGUF` (needs a docket built with `--features gguf`).
    #[arg(long, value_name = "FILE", conflicts_with = "llm_url")]
    pub llm_gguf: Option<PathBuf>,
    /// UI write targets without an explicit `display:` start and own an Xvfb display for the
    /// job even when `$DISPLAY` is set (without `$DISPLAY` they always do).
    #[arg(long)]
    pub headless: bool,
}

/// Loads and validates a workflow file, printing every problem with its line and column.
pub fn load_plan(path: &Path) -> Result<Plan> {
    let yaml = std::fs::read_to_string(path).map_err(|e| {
        Failure::new(
            ErrorCode::WorkflowInvalid,
            format!("{}: cannot read workflow: {e}", path.display()),
        )
    })?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let base = if base.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        base
    };
    crate::runner::ui::load_checked(&yaml, &base).map_err(|problems| {
        eprint!(
            "{}",
            docket_workflow::render_problems(&path.display().to_string(), &yaml, &problems)
        );
        Failure::new(
            ErrorCode::WorkflowInvalid,
            format!(
                "{}: {} problem(s) in the workflow",
                path.display(),
                problems.len()
            ),
        )
        .into()
    })
}

/// Reads the secret `name` for a workflow: from the encrypted secret store of `data_dir`
/// ([`crate::secrets`]) first; when the store has no such name, from the environment variable
/// `DOCKET_SECRET_<NAME>` (upper case, `-` and `.` as `_`), which containers and tests use
/// instead of a store; else DK-E0205. A store that holds the name but cannot be decrypted is
/// DK-E0206, never silently bypassed. The value is never logged.
pub fn secret(data_dir: &Path, name: &str) -> Result<String> {
    let store = crate::secrets::SecretStore::open(data_dir, &crate::secrets::key_path(data_dir))?;
    if let Some(value) = store.get(name)? {
        return Ok(value.as_str().to_owned());
    }
    let var = crate::secrets::env_var(name);
    std::env::var(&var).map_err(|_| {
        Failure::new(
            ErrorCode::SecretMissing,
            format!(
                "secret '{name}' is not in the secret store {}: store it with `docket secret set {name}` (or, in containers and tests, export {var})",
                store.path().display()
            ),
        )
        .into()
    })
}

/// Turns a validated plan into the runner's linear flow.
pub fn flow_from_plan(plan: &Plan, file: &Path) -> Result<FlowSpec> {
    let bad = |m: String| -> anyhow::Error {
        Failure::new(
            ErrorCode::WorkflowInvalid,
            format!("{}: {m}", file.display()),
        )
        .into()
    };
    let mut ingest = None;
    let mut extract = None;
    let mut writes = Vec::new();
    let mut report = None;
    let mut screen = None;
    for step in &plan.steps {
        match &step.action {
            Action::Ingest(i) => {
                if ingest.replace(i).is_some() {
                    return Err(bad(
                        "this version runs flows with exactly one ingest step".into()
                    ));
                }
            }
            Action::Extract(e) => {
                if extract.replace(e).is_some() {
                    return Err(bad(
                        "this version runs flows with exactly one extract step".into()
                    ));
                }
            }
            Action::Write(w) => {
                let sink = match &w.sink {
                    Sink::Sqlite { path } => SinkSpec::Sqlite { path: path.clone() },
                    Sink::Postgres { url } => SinkSpec::Postgres {
                        url: match url {
                            PostgresUrl::Literal(u) => u.clone(),
                            PostgresUrl::Secret(name) => {
                                secret(&crate::secrets::process_data_dir(), name)?
                            }
                        },
                    },
                    Sink::Mysql { url } => SinkSpec::Mysql {
                        url: match url {
                            PostgresUrl::Literal(u) => u.clone(),
                            PostgresUrl::Secret(name) => {
                                secret(&crate::secrets::process_data_dir(), name)?
                            }
                        },
                    },
                    Sink::Rest {
                        url,
                        method,
                        auth,
                        timeout,
                        max_attempts,
                    } => {
                        let dir = crate::secrets::process_data_dir();
                        SinkSpec::Rest {
                            url: url.clone(),
                            method: match method {
                                docket_workflow::plan::HttpMethod::Post => {
                                    docket_connectors::HttpMethod::Post
                                }
                                docket_workflow::plan::HttpMethod::Put => {
                                    docket_connectors::HttpMethod::Put
                                }
                            },
                            auth: match auth {
                                None => None,
                                Some(RestAuth::Bearer { secret: s }) => {
                                    Some(docket_connectors::RestAuth::Bearer(secret(&dir, s)?))
                                }
                                Some(RestAuth::Basic {
                                    user,
                                    password_secret,
                                }) => Some(docket_connectors::RestAuth::Basic {
                                    user: user.clone(),
                                    password: secret(&dir, password_secret)?,
                                }),
                                Some(RestAuth::Header { name, value_secret }) => {
                                    Some(docket_connectors::RestAuth::Header {
                                        name: name.clone(),
                                        value: secret(&dir, value_secret)?,
                                    })
                                }
                            },
                            timeout: *timeout,
                            max_attempts: *max_attempts,
                        }
                    }
                    Sink::Ui(u) => {
                        crate::runner::ui::spec_from_plan(u, &crate::secrets::process_data_dir())?
                    }
                    Sink::File { dir, format } => SinkSpec::FileDrop {
                        dir: dir.clone(),
                        format: match format {
                            docket_workflow::config::FileFormat::Csv => {
                                docket_connectors::FileFormat::Csv
                            }
                            docket_workflow::config::FileFormat::Jsonl => {
                                docket_connectors::FileFormat::Jsonl
                            }
                        },
                    },
                };
                let columns = w
                    .columns
                    .iter()
                    .map(|c| {
                        let src = match &c.source {
                            Source::Record(f) => ColumnSource::Record(f.clone()),
                            Source::Field(f) => ColumnSource::Field(f.clone()),
                            Source::SourcePath => ColumnSource::SourcePath,
                            Source::SourceSha256 => ColumnSource::SourceSha256,
                            Source::SourcePages => ColumnSource::SourcePages,
                            Source::RunId => ColumnSource::RunId,
                            Source::Const(t) => ColumnSource::Const(t.clone()),
                        };
                        (c.name.clone(), src)
                    })
                    .collect();
                writes.push(WriteSpec {
                    step_id: step.id.clone(),
                    sink,
                    table: w.table.clone(),
                    columns,
                    dedupe: w.dedupe,
                });
            }
            Action::Screen(sc) => {
                let zone = sc.zone.parse::<chrono_tz::Tz>().map_err(|_| {
                    bad(format!(
                        "step '{}': zone '{}' is not an IANA time zone",
                        step.id, sc.zone
                    ))
                })?;
                let spec = ScreenSpec {
                    step_id: step.id.clone(),
                    pack: sc.pack.clone(),
                    zone,
                };
                if screen.replace(spec).is_some() {
                    return Err(bad(
                        "this version runs flows with at most one screen step".into()
                    ));
                }
            }
            Action::Report(r) => report = Some(r.html.clone()),
        }
    }
    let ingest = ingest.ok_or_else(|| bad("the flow has no ingest step".into()))?;
    let extract = extract.ok_or_else(|| bad("the flow has no extract step".into()))?;
    let llm = match &extract.llm {
        Some(l) => Some(LlmSpec {
            url: l.url.clone(),
            model: l.model.clone(),
            api_key: match &l.api_key_secret {
                Some(name) => Some(ApiKeyText(secret(
                    &crate::secrets::process_data_dir(),
                    name,
                )?)),
                None => None,
            },
            redact: l.redact,
            timeout: l.timeout,
            // Confidences are products of fractions; f32 is the extractor's own precision.
            min_confidence: l.min_confidence.map(|c| c as f32),
            gguf: None,
            samples: l.samples,
        }),
        None => None,
    };
    let password = match &ingest.password_secret {
        Some(name) => Some(secret(&crate::secrets::process_data_dir(), name)?),
        None => None,
    };
    Ok(FlowSpec {
        name: plan.name.clone(),
        file: file.to_path_buf(),
        fingerprint: plan.fingerprint(),
        inbox: ingest.path.clone(),
        patterns: ingest.patterns.clone(),
        done: ingest.done.clone(),
        quarantine: ingest.quarantine.clone(),
        password,
        max_file_bytes: ingest.max_file_bytes,
        max_image_pixels: ingest.max_image_pixels,
        schema: match &extract.schema {
            SchemaRef::Builtin(n) => n.clone(),
            SchemaRef::File(p) => p.display().to_string(),
        },
        languages: if extract.languages.is_empty() {
            "eng+chi_sim".into()
        } else {
            extract.languages.join("+")
        },
        hold_on_failed_checks: extract.on_failed_checks
            == docket_workflow::config::OnFailedChecks::Review,
        writes,
        screen,
        report,
        llm,
    })
}

/// Runs `docket run`.
pub fn run(g: &Global, args: &RunArgs) -> Result<i32> {
    // A child of `docket daemon` dies with it, so a killed daemon never leaves a second writer.
    crate::daemon::exec::die_with_parent()?;
    if args.headless {
        crate::runner::ui::force_headless();
    }
    let plan = load_plan(&args.flow)?;
    if args.check {
        // Rule packs are files of their own: `--check` loads them so their problems show with
        // the pack's line and column before any run.
        for step in &plan.steps {
            if let Action::Screen(sc) = &step.action {
                crate::screening::load_pack(sc.pack.as_deref())?;
            }
        }
        if g.json {
            println!(
                "{}",
                serde_json::json!({ "ok": true, "flow": plan.name, "fingerprint": plan.fingerprint(), "steps": plan.steps.len() })
            );
        } else {
            println!(
                "{}: ok — flow '{}', {} steps, fingerprint {}",
                args.flow.display(),
                plan.name,
                plan.steps.len(),
                plan.fingerprint()
            );
        }
        return Ok(0);
    }
    let mut flow = flow_from_plan(&plan, &args.flow)?;
    if args.llm_url.is_some() || args.llm_model.is_some() || args.llm_gguf.is_some() {
        let llm = flow.llm.get_or_insert_with(LlmSpec::default);
        if let Some(u) = &args.llm_url {
            llm.url = Some(u.clone());
            llm.gguf = None;
        }
        if let Some(g) = &args.llm_gguf {
            llm.gguf = Some(g.clone());
            llm.url = None;
        }
        if let Some(m) = &args.llm_model {
            llm.model = Some(m.clone());
        }
    }
    let data_dir = g.data_dir();
    let mut store = Store::open(&data_dir)
        .map_err(|e| Failure::new(ErrorCode::StoreUnavailable, format!("{e:#}")))?;
    let outcome = runner::run(&flow, &mut store, &data_dir)?;
    if g.json {
        println!("{}", serde_json::to_string(&outcome)?);
    } else if !g.quiet {
        println!(
            "run {} {}{}: {} file(s) — {} done, {} for review, {} quarantined; {} record(s) written, {} already delivered, {} pending",
            outcome.run_id,
            outcome.status,
            if outcome.resumed { " (resumed)" } else { "" },
            outcome.files,
            outcome.done,
            outcome.review,
            outcome.quarantined,
            outcome.written,
            outcome.already_delivered + outcome.duplicates,
            outcome.pending
        );
        if outcome.natural_duplicates > 0 || outcome.not_deduplicated > 0 {
            println!(
                "duplicates: {} record(s) not written again (another file of the same statement had them), {} document(s) not de-duplicated (no account number or holder)",
                outcome.natural_duplicates, outcome.not_deduplicated
            );
        }
        if let Some(l) = &outcome.llm {
            println!(
                "llm {}: {} call(s) ({} request(s)), {} prompt + {} completion tokens, {} cache hit(s), {} template hit(s), {} value(s) rejected as ungrounded{}",
                l.model,
                l.calls,
                l.requests,
                l.prompt_tokens,
                l.completion_tokens,
                l.cache_hits,
                l.template_hits,
                l.ungrounded,
                if l.samples > 1 {
                    format!(
                        ", {} value(s) where the two samples disagreed",
                        l.disagreements
                    )
                } else {
                    String::new()
                }
            );
        }
        if flow.screen.is_some() {
            println!("screening: {} alert(s)", outcome.alerts);
        }
        if let Some(r) = &outcome.report {
            println!("report: {}", r.display());
        }
        if let Some(r) = &outcome.latest_report {
            println!("latest report: {}", r.display());
        }
    }
    Ok(outcome.exit_code())
}
