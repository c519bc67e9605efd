//! The Docket agent: the one place that wires documents, extraction, workflows and connectors
//! together behind the `docket` command line.
