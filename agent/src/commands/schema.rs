//! `docket schema NAME`: prints the JSON Schema of the workflow format or of a built-in
//! extraction schema, for editors and for LLM prompts.

use crate::cli::Global;
use crate::failure::Failure;
use clap::Args;
use docket_core::ErrorCode;

/// Arguments of `docket schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// `workflow`, a built-in extraction schema (e.g. `bank_statement`), or `list`.
    #[arg(default_value = "list")]
    pub name: String,
}

/// Runs `docket schema`.
pub fn run(_g: &Global, args: &SchemaArgs) -> anyhow::Result<i32> {
    let builtins = docket_llm::schemas::builtin();
    match args.name.as_str() {
        "list" => {
            println!("workflow");
            for (name, _) in &builtins {
                println!("{name}");
            }
        }
        "workflow" => println!(
            "{}",
            serde_json::to_string_pretty(&docket_workflow::json_schema())?
        ),
        other => match builtins.iter().find(|(n, _)| *n == other) {
            Some((_, schema)) => println!("{}", serde_json::to_string_pretty(schema)?),
            None => {
                return Err(Failure::new(
                    ErrorCode::UnknownSchema,
                    format!("no schema named '{other}'; `docket schema list` shows them"),
                )
                .into());
            }
        },
    }
    Ok(0)
}
