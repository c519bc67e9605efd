//! Docket end-to-end scenarios and the generator of the project's own sample statements.

pub mod samples;
