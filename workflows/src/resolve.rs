//! Resolution of a workflow that passed every check into a [`Plan`]: typed references, joined
//! paths, parsed column sources.
//!
//! It trusts `validate::check` to have run; it must never report problems of its own (a failure
//! here is a Docket bug, surfaced as `W000`) and never touch the file system.

use std::collections::HashMap;
use std::path::Path;

use crate::config::{RawWorkflow, SinkConfig, StepKind};
use crate::plan::{
    Action, Column, ExtractPlan, IngestPlan, Plan, PlanStep, PostgresUrl, ReportPlan, Schedule,
    SchemaRef, ScreenPlan, Sink, StepRef, WritePlan,
};
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
                        url: match (&p.url, &p.url_secret) {
                            (Some(u), None) => PostgresUrl::Literal(u.clone()),
                            (None, Some(s)) => PostgresUrl::Secret(s.clone()),
                            _ => return None,
                        },
                    },
                    SinkConfig::File(f) => Sink::File {
                        dir: resolve(base_dir, &f.dir),
                        format: f.format,
                    },
                };
                Action::Write(WritePlan {
                    from,
                    sink,
                    table: c.table.clone(),
                    columns,
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
        schedule: raw.schedule.as_ref().map(|s| Schedule {
            cron: s.cron.clone(),
            timezone: s.timezone.clone().unwrap_or_else(|| "UTC".to_owned()),
        }),
        base_dir: base_dir.to_path_buf(),
        steps,
    })
}
