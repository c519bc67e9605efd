//! Resolution of a workflow that passed every check into a [`Plan`]: typed references, joined
//! paths, parsed column sources.
//!
//! It trusts `validate::check` to have run; it must never report problems of its own (a failure
//! here is a Docket bug, surfaced as `W000`) and never touch the file system.

use std::collections::HashMap;
use std::path::Path;

use crate::config::{
    AlertConfig, MisfireConfig, RawWorkflow, RestAuthConfig, ScheduleConfig, SinkConfig, StepKind,
};
use crate::plan::{
    Action, AlertPlan, Column, DEFAULT_CATCH_UP_MAX, DbUrl, EmailPlan, ExtractPlan, IngestPlan,
    LlmPlan, Misfire, Plan, PlanStep, PostgresUrl, ReportPlan, Requires, RestAuth, Schedule,
    SchemaRef, ScreenPlan, Sink, StepRef, WritePlan,
};
use crate::validate::values::{host_port, parse_duration};
use crate::validate::{
    BANK_DOCUMENT_FIELDS, BANK_RECORD_FIELDS, DEFAULT_SCREEN_ZONE, is_schema_file, parse_source,
    resolve, split_languages,
};

/// Resolve a workflow that passed every check into a plan. `None` only if a check missed
/// something (the caller reports that as an internal problem).
pub fn build(raw: &RawWorkflow, base_dir: &Path) -> Option<Plan> {
    let index: HashMap<&str, usize> = raw
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id.as_str(), i))
        .collect();
    let step_ref = |id: &str| {
        index.get(id).map(|&i| StepRef {
            id: id.to_owned(),
            index: i,
        })
    };
    let mut steps = Vec::with_capacity(raw.steps.len());
    for (i, step) in raw.steps.iter().enumerate() {
        let action = match &step.kind {
            StepKind::Ingest(c) => Action::Ingest(IngestPlan {
                path: resolve(base_dir, &c.path),
                patterns: c.patterns.clone(),
                done: resolve(base_dir, &c.done),
                quarantine: resolve(base_dir, &c.quarantine),
                password_secret: c.password_secret.clone(),
                max_file_bytes: u64::from(c.max_file_mb) * 1024 * 1024,
                max_image_pixels: u64::from(c.max_image_mpx) * 1_000_000,
            }),
            StepKind::Extract(c) => Action::Extract(ExtractPlan {
                from: step_ref(&c.from)?,
                schema: if is_schema_file(&c.schema) {
                    SchemaRef::File(resolve(base_dir, &c.schema))
                } else {
                    SchemaRef::Builtin(c.schema.clone())
                },
                languages: split_languages(c.languages.as_deref().unwrap_or("eng")).ok()?,
                on_failed_checks: c.on_failed_checks,
                llm: match &c.llm {
                    Some(l) => Some(LlmPlan {
                        url: l.url.clone(),
                        model: l.model.clone(),
                        api_key_secret: l.api_key_secret.clone(),
                        redact: l.redact,
                        timeout: match &l.timeout {
                            Some(t) => Some(parse_duration(t).ok()?),
                            None => None,
                        },
                        min_confidence: l.min_confidence,
                        samples: l.samples,
                    }),
                    None => None,
                },
            }),
            StepKind::Write(c) => {
                let from = step_ref(&c.from)?;
                let known = match &raw.steps.get(from.index)?.kind {
                    StepKind::Extract(e) if e.schema == "bank_statement" => {
                        Some((BANK_RECORD_FIELDS, BANK_DOCUMENT_FIELDS))
                    }
                    _ => None,
                };
                let columns = c
                    .columns
                    .iter()
                    .map(|(name, expr)| {
                        parse_source(expr, known).ok().map(|source| Column {
                            name: name.clone(),
                            source,
                        })
                    })
                    .collect::<Option<Vec<_>>>()?;
                let sink = match &c.sink {
                    SinkConfig::Sqlite(s) => Sink::Sqlite {
                        path: resolve(base_dir, &s.path),
                    },
                    SinkConfig::Postgres(p) => Sink::Postgres {
                        url: db_url(p.url.as_ref(), p.url_secret.as_ref())?,
                    },
                    SinkConfig::Mysql(m) => Sink::Mysql {
                        url: db_url(m.url.as_ref(), m.url_secret.as_ref())?,
                    },
                    SinkConfig::File(f) => Sink::File {
                        dir: resolve(base_dir, &f.dir),
                        format: f.format,
                    },
                    SinkConfig::Rest(r) => Sink::Rest {
                        url: r.url.clone(),
                        method: r.method,
                        auth: r.auth.as_ref().map(|a| match a {
                            RestAuthConfig::BearerSecret(s) => {
                                RestAuth::Bearer { secret: s.clone() }
                            }
                            RestAuthConfig::Basic(b) => RestAuth::Basic {
                                user: b.user.clone(),
                                password_secret: b.password_secret.clone(),
                            },
                            RestAuthConfig::Header(h) => RestAuth::Header {
                                name: h.name.clone(),
                                value_secret: h.value_secret.clone(),
                            },
                        }),
                        timeout: parse_duration(&r.timeout).ok()?,
                        max_attempts: r.max_attempts,
                    },
                    SinkConfig::Ui(u) => Sink::Ui(crate::validate::ui::resolve(u, base_dir)?),
                };
                Action::Write(WritePlan {
                    from,
                    sink,
                    table: c.table.clone(),
                    columns,
                    dedupe: c.dedupe,
                })
            }
            StepKind::Screen(c) => Action::Screen(ScreenPlan {
                from: step_ref(&c.from)?,
                pack: c.pack.as_deref().map(|p| resolve(base_dir, p)),
                zone: c
                    .zone
                    .clone()
                    .unwrap_or_else(|| DEFAULT_SCREEN_ZONE.to_owned()),
            }),
            StepKind::Report(c) => Action::Report(ReportPlan {
                html: resolve(base_dir, &c.html),
            }),
        };
        steps.push(PlanStep {
            id: step.id.clone(),
            index: i,
            action,
        });
    }
    Some(Plan {
        name: raw.name.clone(),
        description: raw.description.clone(),
        schedule: match &raw.schedule {
            Some(s) => Some(schedule(s, base_dir)?),
            None => None,
        },
        requires: raw
            .requires
            .as_ref()
            .map(|r| Requires {
                desktop: r.desktop,
                ocr_languages: r.ocr_languages.clone(),
            })
            .unwrap_or_default(),
        base_dir: base_dir.to_path_buf(),
        steps,
    })
}

fn db_url(url: Option<&String>, secret: Option<&String>) -> Option<DbUrl> {
    match (url, secret) {
        (Some(u), None) => Some(PostgresUrl::Literal(u.clone())),
        (None, Some(s)) => Some(PostgresUrl::Secret(s.clone())),
        _ => None,
    }
}

fn schedule(s: &ScheduleConfig, base_dir: &Path) -> Option<Schedule> {
    Some(Schedule {
        cron: s.cron.clone(),
        timezone: s.timezone.clone().unwrap_or_else(|| "UTC".to_owned()),
        calendar: s.calendar.as_deref().map(|c| resolve(base_dir, c)),
        days: s.days,
        shift: s.shift,
        before_cutoff: s.before_cutoff,
        misfire: match s.misfire {
            MisfireConfig::Skip => Misfire::Skip,
            MisfireConfig::RunOnce => Misfire::RunOnce,
            MisfireConfig::CatchUp => Misfire::CatchUp {
                max: s.catch_up_max.unwrap_or(DEFAULT_CATCH_UP_MAX),
            },
        },
        overlap: s.overlap,
        timeout: match &s.timeout {
            Some(t) => Some(parse_duration(t).ok()?),
            None => None,
        },
        retries: s.retries,
        retry_backoff: parse_duration(&s.retry_backoff).ok()?,
        alert: match &s.alert {
            Some(a) => Some(alert(a)?),
            None => None,
        },
    })
}

fn alert(a: &AlertConfig) -> Option<AlertPlan> {
    let email = match &a.email {
        Some(e) => {
            let (smtp_host, port) = host_port(&e.smtp, true).ok()?;
            Some(EmailPlan {
                smtp_host,
                smtp_port: port?,
                tls: e.tls,
                from: e.from.clone(),
                to: e.to.clone(),
                user: e.user.clone(),
                password_secret: e.password_secret.clone(),
            })
        }
        None => None,
    };
    Some(AlertPlan {
        webhook: a.webhook.clone(),
        webhook_secret: a.webhook_secret.clone(),
        email,
        after_failures: a.after_failures,
    })
}
