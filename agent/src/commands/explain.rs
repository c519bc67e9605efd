//! `docket explain CODE`: the help page of a stable error code.

use crate::cli::Global;
use crate::failure::Failure;
use clap::Args;
use docket_core::ErrorCode;

/// Arguments of `docket explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The code, e.g. DK-E0104 (the DK- prefix is optional).
    #[arg(required_unless_present = "all")]
    pub code: Option<String>,
    /// List every code.
    #[arg(long)]
    pub all: bool,
}

/// Runs `docket explain`.
pub fn run(g: &Global, args: &ExplainArgs) -> anyhow::Result<i32> {
    let codes: Vec<ErrorCode> = if args.all {
        ErrorCode::ALL.to_vec()
    } else {
        let raw = args.code.clone().unwrap_or_default();
        let code = raw.parse::<ErrorCode>().map_err(|()| {
            Failure::new(
                ErrorCode::BadUsage,
                format!("unknown error code '{raw}'; `docket explain --all` lists them"),
            )
        })?;
        vec![code]
    };
    for c in codes {
        if g.json {
            println!(
                "{}",
                serde_json::json!({"code": c.code(), "title": c.title(), "class": c.class(), "exit_code": c.class().exit_code(), "help": c.help()})
            );
        } else {
            println!("{} — {}\n", c.code(), c.title());
            println!("{}\n", textwrap(c.help(), 78));
            println!(
                "Class: {:?} (exit code {})\n",
                c.class(),
                c.class().exit_code()
            );
        }
    }
    Ok(0)
}

fn textwrap(s: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in s.split_whitespace() {
        if line > 0 && line + 1 + word.chars().count() > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += word.chars().count();
    }
    out
}
