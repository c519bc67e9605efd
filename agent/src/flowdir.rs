//! A flow directory: every `*.yaml`/`*.yml` workflow in one folder, validated together, as the
//! daemon and fleet agents run them. Names must be unique across the folder.

use anyhow::Result;
use docket_core::ErrorCode;
use docket_workflow::Plan;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::commands::run::{flow_from_plan, load_plan};
use crate::failure::Failure;
use crate::flow::FlowSpec;

/// One loaded workflow.
#[derive(Debug, Clone)]
pub struct LoadedFlow {
    /// The workflow file.
    pub file: PathBuf,
    /// Its validated plan (schedule, requirements).
    pub plan: Plan,
    /// What the runner executes.
    pub spec: FlowSpec,
}

/// The workflow files of `dir`, sorted.
pub fn workflow_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let rd = std::fs::read_dir(dir).map_err(|e| {
        Failure::new(
            ErrorCode::WorkflowInvalid,
            format!("cannot read the flow directory {}: {e}", dir.display()),
        )
    })?;
    let mut files: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Loads and resolves one workflow file (every problem printed; secrets resolved).
pub fn load_file(file: &Path) -> Result<LoadedFlow> {
    let plan = load_plan(file)?;
    let spec = flow_from_plan(&plan, file)?;
    Ok(LoadedFlow {
        file: file.to_path_buf(),
        plan,
        spec,
    })
}

/// Loads every workflow of `dir`; any invalid file, or two files with the same flow name, stops
/// the load with every problem printed.
pub fn load(dir: &Path) -> Result<BTreeMap<String, LoadedFlow>> {
    let mut flows = BTreeMap::new();
    for file in workflow_files(dir)? {
        let flow = load_file(&file)?;
        let name = flow.plan.name.clone();
        if let Some(prev) = flows.insert(name.clone(), flow) {
            return Err(Failure::new(
                ErrorCode::WorkflowInvalid,
                format!(
                    "{} and {} both define the flow '{name}'; flow names must be unique in a flow directory",
                    prev.file.display(),
                    file.display()
                ),
            )
            .into());
        }
    }
    if flows.is_empty() {
        return Err(Failure::new(
            ErrorCode::WorkflowInvalid,
            format!("{} holds no workflow (*.yaml)", dir.display()),
        )
        .into());
    }
    Ok(flows)
}
