//! One module per `docket` command. Each exposes `run(global, args) -> anyhow::Result<i32>` where
//! the integer is the exit code for outcomes that are not errors (1 = problems found).

pub mod audit;
pub mod bench;
pub mod daemon;
pub mod demo;
pub mod desktop_session;
pub mod doctor;
pub mod explain;
pub mod extract;
pub mod fleet;
pub mod rates;
pub mod record;
pub mod replay;
pub mod run;
pub mod schema;
pub mod screen;
pub mod secret;
pub mod serve;
mod str_html;
pub mod str_llm;
pub mod str_report;
pub mod str_state;
pub mod user;
pub mod version;
