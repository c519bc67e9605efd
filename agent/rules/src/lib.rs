//! Docket's AML screening rule engine: streaming, windowed per-account rules over
//! normalised transactions, YAML rule packs, alerts and cases. Pure: no I/O, no clock, no
//! randomness — the same input and pack always give the same alerts with the same ids.

pub mod engine;
pub mod model;
pub mod pack;
pub mod params;
mod rules;
pub mod units;

pub use engine::{ScreenError, screen, screen_unbounded};
pub use model::{Alert, Case, Channel, CustomerKind, RuleId, Screening, Txn};
pub use pack::{PackProblem, RulePack};
