//! The Docket workflow YAML format: parse, validate every problem with line and column, resolve into a Plan; JSON Schema generation.
