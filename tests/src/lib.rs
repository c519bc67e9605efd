//! Docket end-to-end scenarios, the generator of the project's own sample statements and the
//! layout zoo that scores the statement reader.

pub mod samples;
pub mod transfers;
pub mod zoo;
