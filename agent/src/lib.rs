//! The Docket agent: the one place that wires documents, extraction, workflows and connectors
//! together behind the `docket` command line. `main.rs` only parses and maps exit codes; every
//! command lives in [`commands`]; durable state lives in [`store`] and [`ledger`]; flows execute
//! in [`runner`].

pub mod cli;
pub mod commands;
pub mod config;
pub mod daemon;
pub mod failure;
pub mod fleet;
pub mod flow;
pub mod flowdir;
pub mod ledger;
pub mod logging;
pub mod pipeline;
pub mod process;
pub mod progress;
pub mod report;
pub mod runner;
pub mod screening;
pub mod secrets;
pub mod sources;
pub mod store;
pub mod web;
